"""Nearest service for the national 1 km grid: the kit's cKDTree path against naive baselines.

Run with ``make bench``. The baseline (geopandas ``sjoin_nearest``) is timed once per run with
``benchmark.pedantic`` so the suite stays short.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from lansanalys.analysis import access


def _tables(home):
    rutor = pd.read_parquet(home / "data" / "processed" / "rutor.parquet")
    service = pd.read_parquet(home / "data" / "processed" / "service.parquet")
    return rutor, service


def test_nearest_all_types_national(benchmark, bench_home):
    """~100 000 populated cells × ~16 000 points, nearest + second-nearest for all 7 types."""
    rutor, service = _tables(bench_home)
    out = benchmark(access.nearest_table, rutor, service)
    benchmark.extra_info.update(cells=len(rutor), points=len(service), rows=len(out))
    assert len(out) == 7 * len(rutor)


def test_nearest_grocery_ckdtree(benchmark, bench_home):
    rutor, service = _tables(bench_home)
    pts = service.loc[service["service_type"] == "dagligvaror", ["x", "y"]].to_numpy()
    cells = rutor[["x", "y"]].to_numpy()
    benchmark.extra_info.update(cells=len(cells), points=len(pts))
    benchmark(access.nearest_points, cells, pts, 2)


def test_nearest_grocery_geopandas_sjoin_nearest_baseline(benchmark, bench_home):
    rutor, service = _tables(bench_home)
    pts = service[service["service_type"] == "dagligvaror"]
    cells = gpd.GeoDataFrame(
        rutor[["cell_id"]], geometry=gpd.points_from_xy(rutor.x, rutor.y), crs=3006
    )
    stores = gpd.GeoDataFrame(
        pts[["point_id"]], geometry=gpd.points_from_xy(pts.x, pts.y), crs=3006
    )
    benchmark.extra_info.update(cells=len(cells), points=len(stores))
    benchmark.pedantic(
        gpd.sjoin_nearest,
        args=(cells, stores),
        kwargs={"distance_col": "d"},
        rounds=1,
        iterations=1,
    )
