"""Time the grid steps of a build on a synthetic Pipos-sized 250 m grid (issue #22).

Usage::

    .venv/bin/python benchmarks/grid250.py                  # about 600 000 cells of 250 m
    .venv/bin/python benchmarks/grid250.py --km-cells 10000 --out /tmp/g

A grid of ``--km-cells`` populated kilometres is drawn around GeoNames' Swedish settlements
(people per kilometre falling off with distance from the settlement), each kilometre's people
shared at random over its 16 cells of 250 m (empty ones dropped), and written as SCB writes it:
a CSV with ``rutid_scb;rutstorl;beftotalt`` and a GeoPackage of squares. Then timed, each once:
reading both files (:func:`lansanalys.sources.rutor.read_rutor`), the kommun of every cell, the
orter clusters without SCB boundaries, the coverage rule's populated parts, and the sum back to
1 km (:func:`lansanalys.geo.coarsen_cells`). Prints one line per step.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from lansanalys import geo
from lansanalys.pipeline.areas import _cells_near_settlements
from lansanalys.pipeline.coverage import populated_parts
from lansanalys.pipeline.inputs import _attach_kommun
from lansanalys.sources.rutor import read_rutor


def synthetic_grid(n_km: int, seed: int = 1) -> pd.DataFrame:
    """Lower-left corners and people of 250 m cells in ``n_km`` populated kilometres."""
    rng = np.random.default_rng(seed)
    pl = geo.places()
    w = pl["population"].to_numpy(float)
    pick = rng.choice(len(pl), size=4 * n_km, p=w / w.sum())
    r = rng.exponential(3000.0, size=len(pick))
    a = rng.uniform(0, 2 * np.pi, size=len(pick))
    x = pl["x"].to_numpy()[pick] + r * np.cos(a)
    y = pl["y"].to_numpy()[pick] + r * np.sin(a)
    kx, ky = geo.cell_index(x, y, 1000)
    km = pd.DataFrame({"ix": kx, "iy": ky, "r": r}).drop_duplicates(["ix", "iy"]).head(n_km)
    people = np.maximum(1, (2000 * np.exp(-km["r"].to_numpy() / 1500))).astype(np.int64)
    split = np.array([rng.multinomial(p, [1 / 16] * 16) for p in people]).ravel()
    k = np.arange(16)
    x0 = (km["ix"].to_numpy()[:, None] * 1000 + 250 * (k % 4)[None, :]).ravel()
    y0 = (km["iy"].to_numpy()[:, None] * 1000 + 250 * (k // 4)[None, :]).ravel()
    keep = split > 0
    return pd.DataFrame({"x0": x0[keep], "y0": y0[keep], "population": split[keep]})


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--km-cells", type=int, default=60_000, help="populated kilometres")
    ap.add_argument("--out", type=Path, default=None, help="folder for the grid files")
    args = ap.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="grid250-"))
    out.mkdir(parents=True, exist_ok=True)
    g = synthetic_grid(args.km_cells)
    ids = geo.rutid_of_corner(g["x0"], g["y0"])
    csv = out / "rutor_250m.csv"
    attrs = {"rutid_scb": ids, "rutstorl": 250, "beftotalt": g["population"].to_numpy()}
    pd.DataFrame(attrs).to_csv(csv, sep=";", index=False)
    x0, y0 = g["x0"].to_numpy(float), g["y0"].to_numpy(float)
    gpkg = out / "rutor_250m.gpkg"
    gpd.GeoDataFrame(
        attrs, geometry=shapely.box(x0, y0, x0 + 250, y0 + 250), crs="EPSG:3006"
    ).to_file(gpkg, driver="GPKG")
    print(f"{len(g)} cells of 250 m, {int(g['population'].sum())} people, files in {out}")

    def timed(label: str, fn):
        t = time.perf_counter()
        res = fn()
        print(f"{label:<40} {time.perf_counter() - t:7.1f} s")
        return res

    timed("read_rutor, CSV (rutid + rutstorl)", lambda: read_rutor(csv))
    cells = timed("read_rutor, GeoPackage", lambda: read_rutor(gpkg))
    cells = timed(
        "kommun of every cell (at sea: dropped)",
        lambda: _attach_kommun(cells, "rutor", fill_given=False, drop_far=True),
    )
    places = _attach_kommun(geo.places(), "places", fill_given=False, drop_far=True)
    places = places.assign(ort_kod="G" + places["geonameid"].astype(str))
    timed("orter clusters (GeoNames settlements)", lambda: _cells_near_settlements(cells, places))
    timed("populated parts (coverage rule)", lambda: populated_parts(cells))
    timed("sum to 1 km (geo.coarsen_cells)", lambda: geo.coarsen_cells(cells, 1000))


if __name__ == "__main__":
    main()
