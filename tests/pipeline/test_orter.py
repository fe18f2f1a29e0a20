"""The orter table on hand-built worlds: SCB boundaries read from a GeoPackage, and the
settlement fallback; orter and 'utanför orter' add up to each kommun."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from lansanalys.errors import InputError
from lansanalys.pipeline.areas import _cells_near_settlements, orter_table
from lansanalys.sources.orter import read_orter


def _cells() -> pd.DataFrame:
    """A 3 × 1 km strip in Högsby (0821) and one cell in Mönsterås (0861)."""
    xs = [500_500.0, 501_500.0, 502_500.0, 510_500.0]
    return pd.DataFrame(
        {
            "cell_id": ["a", "b", "c", "d"],
            "x": xs,
            "y": [6_300_500.0] * 4,
            "size_m": 1000,
            "population": [300, 200, 50, 400],
            "kommun_kod": ["0821", "0821", "0821", "0861"],
            "lan_kod": "08",
        }
    )


def _nearest() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "cell_id": ["a", "b", "c", "d"] * 2,
            "service_type": ["dagligvaror"] * 4 + ["apotek"] * 4,
            "road_m": [500.0, 1500.0, 2500.0, 800.0, 9000.0, 10000.0, np.inf, 3000.0],
        }
    )


def _service() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "point_id": ["s1", "s2"],
            "service_type": ["dagligvaror", "dagligvaror"],
            "x": [500_400.0, 510_400.0],
            "y": [6_300_400.0, 6_300_400.0],
            "kommun_kod": ["0821", "0861"],
        }
    )


def test_scb_boundaries_by_hand(tmp_path):
    # Ort T1 covers cells a and b (their centres), nothing else; Ö1 covers d.
    gdf = gpd.GeoDataFrame(
        {
            "TATORTSKOD": ["T1", "T2"],
            "TATORT": ["Högsby", "Ålem"],
            "KOMMUNKOD": ["0821", "0861"],
            "BEF": [510, 390],
        },
        geometry=[
            box(500_000, 6_300_000, 502_000, 6_301_000),
            box(510_000, 6_300_000, 511_000, 6_301_000),
        ],
        crs="EPSG:3006",
    )
    f = tmp_path / "tatorter.gpkg"
    gdf.to_file(f)
    orter = read_orter(f)
    assert list(orter["kind"]) == ["tätort", "tätort"] and orter["population_scb"].tolist() == [
        510,
        390,
    ]
    rows, basis = orter_table(_cells(), _nearest(), _service(), orter, pd.DataFrame())
    assert basis == "scb"
    h = rows[rows["kommun_kod"] == "0821"].set_index("name")
    assert h.at["Högsby", "population"] == 500 and h.at["Utanför orter", "population"] == 50
    assert h.at["Högsby", "share"] == pytest.approx(100 * 500 / 550)
    assert h.at["Högsby", "n_dagligvaror"] == 1 and h.at["Utanför orter", "n_dagligvaror"] == 0
    # Mean road km over the ort's people: (300 * 0,5 + 200 * 1,5) / 500.
    assert h.at["Högsby", "km_dagligvaror"] == pytest.approx(0.9)
    # Cell c cannot reach a pharmacy by road: it is left out of the mean, never 0 km.
    assert h.at["Utanför orter", "km_apotek"] != h.at["Utanför orter", "km_apotek"]
    total = _cells().groupby("kommun_kod")["population"].sum()
    assert rows.groupby("kommun_kod")["population"].sum().to_dict() == total.to_dict()


def test_bad_boundary_files(tmp_path):
    pts = gpd.GeoDataFrame(
        {"TATORTSKOD": ["T1"], "TATORT": ["X"]},
        geometry=gpd.points_from_xy([500_000], [6_300_000]),
        crs="EPSG:3006",
    )
    f = tmp_path / "points.gpkg"
    pts.to_file(f)
    with pytest.raises(InputError, match="polygons"):
        read_orter(f)
    twice = gpd.GeoDataFrame(
        {"TATORTSKOD": ["T1", "T1"], "TATORT": ["X", "Y"]},
        geometry=[box(0, 0, 1, 1), box(2, 2, 3, 3)],
        crs="EPSG:3006",
    )
    g = tmp_path / "twice.gpkg"
    twice.to_file(g)
    with pytest.raises(InputError, match="T1 appears twice"):
        read_orter(g)


def test_settlement_clusters_by_hand():
    """A town grows through its dense neighbours, not through a sparse gap; a village keeps
    its own cell; a cell between two settlements goes to the one that reaches it first."""
    size = 1000.0
    # Row of cells at x = 0..6 km: populations per cell.
    pops = [400, 300, 150, 20, 300, 300, 50]
    cells = pd.DataFrame(
        {
            "cell_id": [f"c{i}" for i in range(7)],
            "x": [i * size + 500 for i in range(7)],
            "y": 500.0,
            "size_m": 1000,
            "population": pops,
        }
    )
    places = pd.DataFrame(
        {
            "ort_kod": ["A", "B"],
            "name": ["Stad", "By"],
            "population": [5000, 600],
            "x": [100.0, 5100.0],
            "y": [100.0, 100.0],
        }
    )
    owner = _cells_near_settlements(cells, places).to_dict()
    # A: c0 (seed), c1, c2 (dense); c3 has 20 per km²: the gap stops A.
    assert owner == {"c0": "A", "c1": "A", "c2": "A", "c4": "B", "c5": "B"}
