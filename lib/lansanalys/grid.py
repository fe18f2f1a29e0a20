"""Grid cells: the population grid's square cells in SWEREF 99 TM, one cell size per grid.

A cell is kept as its centre ``x, y`` and its side ``size_m``; SCB's ``rutid`` is the
lower-left corner (13 digits) for every size, so an id alone never tells the size: it comes
from the data (a size column, the polygons or the corner lattice, see
:func:`lansanalys.sources.rutor.read_rutor`) and is carried as ``size_m``.

Re-exported by :mod:`lansanalys.geo` (``geo.cell_size_m`` …), where they were first written.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from lansanalys.config import CRS_METRIC

#: Cell sizes (m) a population grid may have: SCB's open grid is 1 km, its 250 m grid (and
#: Pipos's 250 m "aktivitetsrutor") comes on order, 500 m and 5 km exist.
GRID_SIZES_M = (250, 500, 1000, 5000)
#: SCB's rutid: the lower-left corner's easting (6 digits) and northing (7 digits).
RUTID_DIGITS = 13


class GridError(ValueError):
    """Grid cells that break a grid rule (more than one size, an id that is not a rutid)."""


def cell_size_m(cells) -> int:
    """The one cell size (m) of a grid: ``cells`` is a frame with ``size_m``, or the sizes.

    A grid has one cell size; cells of two sizes (a 1 km and a 250 m file read together) are an
    error naming a cell of each, and so is a size not in :data:`GRID_SIZES_M` or no cell at all.

    >>> cell_size_m(pd.DataFrame({"size_m": [250, 250]})), cell_size_m(1000)
    (250, 1000)
    >>> cell_size_m(pd.DataFrame({"cell_id": ["a", "b"], "size_m": [1000, 250]}))
    Traceback (most recent call last):
    ...
    lansanalys.grid.GridError: grid cells of more than one size: 1000 m (cell 'a'), 250 m (cell 'b'); a grid has one cell size
    """
    ids = None
    if isinstance(cells, pd.DataFrame):
        ids = cells["cell_id"].to_numpy() if "cell_id" in cells.columns else None
        sizes = cells["size_m"].to_numpy()
    else:
        sizes = np.atleast_1d(np.asarray(cells))
    if len(sizes) == 0:
        raise GridError("no grid cells, so no cell size")
    values, first = np.unique(sizes, return_index=True)
    if len(values) > 1:
        order = np.argsort(first)
        named = ", ".join(
            f"{values[k]:g} m" + (f" (cell {ids[first[k]]!r})" if ids is not None else "")
            for k in order[:3]
        )
        raise GridError(f"grid cells of more than one size: {named}; a grid has one cell size")
    size = float(values[0])
    if size not in GRID_SIZES_M:
        raise GridError(
            f"cell size {size:g} m is not a grid size; expected one of "
            + ", ".join(f"{s}" for s in GRID_SIZES_M)
            + " m"
        )
    return int(size)


def cell_area_km2(size_m: float) -> float:
    """Area (km²) of a cell of side ``size_m``: 1 for 1 km, 0,0625 for 250 m.

    >>> cell_area_km2(1000), cell_area_km2(250)
    (1.0, 0.0625)
    """
    return (float(size_m) / 1000.0) ** 2


def cell_size_label(size_m: float) -> str:
    """The cell size in Swedish report text: ``"1 km"``, ``"250 m"``, ``"5 km"``.

    >>> cell_size_label(1000), cell_size_label(250), cell_size_label(5000)
    ('1 km', '250 m', '5 km')
    """
    size = float(size_m)
    return f"{size / 1000:g} km" if size % 1000 == 0 else f"{size:g} m"


def rutid_corner(rutid) -> tuple[np.ndarray, np.ndarray]:
    """Lower-left corners (m) of SCB rutid strings (13 digits: easting 6 + northing 7).

    An id of another length or with other characters is a :class:`GridError` naming the first
    one (a number that lost a leading zero, a 1 km id with its size appended ...).

    >>> rutid_corner(["5600006334250"])
    (array([560000.]), array([6334250.]))
    """
    s = pd.Series(np.atleast_1d(np.asarray(rutid, dtype=object))).astype(str).str.strip()
    bad = ~s.str.fullmatch(rf"\d{{{RUTID_DIGITS}}}").to_numpy()
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise GridError(
            f"cell id {s.iloc[i]!r} ({len(s.iloc[i])} characters) is not an SCB rutid: "
            f"expected {RUTID_DIGITS} digits, easting (6) + northing (7) of the lower-left corner"
        )
    x0 = s.str[:6].astype(np.int64).to_numpy(dtype=float)
    y0 = s.str[6:RUTID_DIGITS].astype(np.int64).to_numpy(dtype=float)
    return x0, y0


def rutid_of_corner(x0, y0) -> np.ndarray:
    """SCB rutid strings of lower-left corners (m), the inverse of :func:`rutid_corner`.

    >>> rutid_of_corner([560000, 560250], [6334000, 6334750]).tolist()
    ['5600006334000', '5602506334750']
    """
    x0 = np.rint(np.atleast_1d(np.asarray(x0, dtype=float))).astype(np.int64)
    y0 = np.rint(np.atleast_1d(np.asarray(y0, dtype=float))).astype(np.int64)
    out = pd.Series(x0).astype(str).str.zfill(6) + pd.Series(y0).astype(str).str.zfill(7)
    return out.to_numpy(dtype=object)


def cell_corner(x, y, size_m) -> tuple[np.ndarray, np.ndarray]:
    """Lower-left corners of cells given by their centres."""
    half = np.asarray(size_m, dtype=float) / 2
    return np.asarray(x, dtype=float) - half, np.asarray(y, dtype=float) - half


def cell_centre(x0, y0, size_m) -> tuple[np.ndarray, np.ndarray]:
    """Centres of cells given by their lower-left corners."""
    half = np.asarray(size_m, dtype=float) / 2
    return np.asarray(x0, dtype=float) + half, np.asarray(y0, dtype=float) + half


def cell_rutid(x, y, size_m) -> np.ndarray:
    """SCB rutid of cells given by their centres.

    >>> cell_rutid([560125.0], [6334875.0], 250).tolist()
    ['5600006334750']
    """
    return rutid_of_corner(*cell_corner(x, y, size_m))


def cell_index(x, y, size_m) -> tuple[np.ndarray, np.ndarray]:
    """Lattice indices (column, row) of the cell of side ``size_m`` that holds each point.

    A point on a cell edge belongs to the cell above and to the right of it, as a cell holds
    its lower-left corner. For cell centres this is the cell itself.

    >>> cell_index([560125.0, 561000.0], [6334875.0, 6334999.0], 1000)
    (array([560, 561]), array([6334, 6334]))
    """
    size = float(size_m)
    ix = np.floor(np.asarray(x, dtype=float) / size).astype(np.int64)
    iy = np.floor(np.asarray(y, dtype=float) / size).astype(np.int64)
    return np.atleast_1d(ix), np.atleast_1d(iy)


def cell_of_points(x, y, size_m) -> tuple[np.ndarray, np.ndarray]:
    """Centres of the cells of side ``size_m`` that hold the points (see :func:`cell_index`).

    >>> cell_of_points([560990.0], [6334010.0], 250)
    (array([560875.]), array([6334125.]))
    """
    ix, iy = cell_index(x, y, size_m)
    size = float(size_m)
    return ix * size + size / 2, iy * size + size / 2


def cell_polygon(x: float, y: float, size_m: float):
    """The square of one cell given by its centre, as a shapely polygon (SWEREF 99 TM)."""

    half = float(size_m) / 2
    return shapely.box(x - half, y - half, x + half, y + half)


def cell_polygons(cells: pd.DataFrame) -> gpd.GeoSeries:
    """The squares of cells (``x, y, size_m``), as a GeoSeries in SWEREF 99 TM on their index."""

    x0, y0 = cell_corner(cells["x"], cells["y"], cells["size_m"])
    size = cells["size_m"].to_numpy(dtype=float)
    return gpd.GeoSeries(
        shapely.box(x0, y0, x0 + size, y0 + size), index=cells.index, crs=CRS_METRIC
    )


def coarsen_cells(
    cells: pd.DataFrame,
    size_m: int,
    sum_cols: tuple[str, ...] = ("population",),
) -> pd.DataFrame:
    """Cells summed onto a coarser grid of side ``size_m`` (250 m → 1 km, 1 km → 5 km).

    Every cell lies wholly in one coarse cell (the coarse side is a multiple of the fine one,
    and both lattices start at 0). A sum with a missing count in any of its cells is missing,
    never a partial figure.

    Parameters
    ----------
    cells : DataFrame
        ``x, y`` (centres), ``size_m`` (one size) and the columns of ``sum_cols``.
    size_m : int
        The coarse side (m), a multiple of the cells' size.
    sum_cols : tuple of str
        Columns summed (those not in ``cells`` are skipped).

    Returns
    -------
    DataFrame
        ``cell_id`` (SCB rutid of the coarse cell), ``x, y`` (centres), ``size_m``, the sums,
        and ``n_cells`` (cells in it), sorted by ``cell_id``.
    """
    fine = cell_size_m(cells)
    if size_m < fine or size_m % fine:
        raise GridError(
            f"cannot sum {fine} m cells onto {size_m} m cells: not a multiple of {fine}"
        )
    ix, iy = cell_index(cells["x"], cells["y"], size_m)
    cols = [c for c in sum_cols if c in cells.columns]
    df = pd.DataFrame({"ix": ix, "iy": iy, "n_cells": 1}, index=cells.index)
    for c in cols:
        df[c] = cells[c]
    g = df.groupby(["ix", "iy"], sort=True)
    out = g["n_cells"].sum().to_frame()
    for c in cols:
        out[c] = g[c].sum(min_count=1)
        has_na = (g[c].count() < out["n_cells"]).to_numpy()
        if has_na.any():
            out[c] = out[c].astype("Float64" if out[c].dtype.kind == "f" else "Int64")
            out.loc[has_na, c] = pd.NA
    out = out.reset_index()
    x0 = out["ix"].to_numpy(dtype=float) * size_m
    y0 = out["iy"].to_numpy(dtype=float) * size_m
    cx, cy = cell_centre(x0, y0, size_m)
    res = pd.DataFrame(
        {"cell_id": rutid_of_corner(x0, y0), "x": cx, "y": cy, "size_m": int(size_m)}
    )
    for c in cols:
        res[c] = out[c].to_numpy()
    res["n_cells"] = out["n_cells"].to_numpy(dtype=np.int64)
    return res.sort_values("cell_id").reset_index(drop=True)
