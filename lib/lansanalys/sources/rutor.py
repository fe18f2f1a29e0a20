"""SCB's population grid: GeoPackage, CSV with SCB's cell id, or CSV with corner coordinates;
every cell on its lattice, SWEREF 99 TM centre, size and population (70+ where given).
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from lansanalys import geo
from lansanalys.errors import InputError
from lansanalys.sources.common import (
    check_sweref,
    file_line,
    file_reader,
    find_column,
    parse_count,
    raise_first,
    table_after_header,
)

# --------------------------------------------------------------------------------------------
# rutor: SCB population grid (GeoPackage, CSV with SCB's cell id, or CSV with corner coordinates)

#: Cell sizes (metres) a grid may have; SCB delivers 1 km and 250 m, and 500 m / 5 km exist.
GRID_SIZES = geo.GRID_SIZES_M
#: Column pairs naming a cell's lower-left corner in SWEREF 99 TM metres (lower case).
CORNER_COLUMNS = (
    ("x", "y"),
    ("ruta_x", "ruta_y"),
    ("easting", "northing"),
    ("x_sweref", "y_sweref"),
)
RUTID_COLUMNS = r"rutid_scb|rutid|ruta|cell_id"
#: Columns of INSPIRE cell codes, used when there is no rutid column.
INSPIRE_COLUMNS = r"rutid_inspire|inspireid|inspire_id|grd_id|grid_id"
SIZE_COLUMNS = r"rutstorl|rutstorlek|size|size_m|storlek|cellsize|cell_size"
_RUTOR_HEADER = (
    r"^(?=.*(rut|cell|grd_id|grid_id|inspire|\bx\b|easting|x_sweref))"
    r"(?=.*(beftotalt|befolkning|population|\btot|pop))"
)
#: An INSPIRE grid cell code, which carries the size: ``CRS3006RES250mN6308750E579250`` is the
#: 250 m cell with lower-left corner (579 250, 6 308 750) in SWEREF 99 TM (EPSG:3006); a
#: country prefix (``SE_``) is allowed.
_INSPIRE = r"(?:[A-Za-z]{2}_)?CRS(\d+)RES(\d+)mN(\d+)E(\d+)"
_RUTID = rf"\d{{{geo.RUTID_DIGITS}}}"


def _corner_from_rutid(rutid: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Lower-left corners of 13-digit rutids (NaN for anything else): easting 6 digits, then
    northing 7 digits, i.e. the number's quotient and remainder by 10⁷ (exact in a float)."""
    s = rutid.astype(str).str.strip()
    v = pd.to_numeric(s.where(s.str.fullmatch(_RUTID), ""), errors="coerce").to_numpy(float)
    x0 = np.floor(v / 1e7)
    return x0, v - x0 * 1e7


def _id_column(df: pd.DataFrame, path: Path) -> str | None:
    """The cell id column: SCB's rutid when there is one, else INSPIRE cell codes."""
    return find_column(df, path, RUTID_COLUMNS, "cell id", required=False) or find_column(
        df, path, INSPIRE_COLUMNS, "cell id", required=False
    )


def _on_lattice(v: np.ndarray, size) -> np.ndarray:
    return np.mod(v, size) == 0


#: Inferring 250 m from corners alone: in a 250 m grid about one corner in 16 lies on the
#: kilometre lattice. A file of at least this many cells with most corners there is a 1 km grid
#: with a stray corner, or a 250 m grid that needs its size column: an error, never a guess.
_INFER_MIN_CELLS = 16


def _infer_size(x0: np.ndarray, y0: np.ndarray, path: Path, lines, column: str) -> np.ndarray:
    """Cell size from the corner lattice: 1000 m when every corner is a multiple of 1000, 250 m
    when every corner is a multiple of 250 and some lie at a 250/750 m offset (but not when
    most of a file of :data:`_INFER_MIN_CELLS` or more cells lies on the kilometre lattice).
    Anything else is an error naming the first row off the lattice (500 m offsets alone are 1 km
    centres given as corners, or a 500 m grid: a size column settles it)."""
    n = len(x0)
    on_1000 = _on_lattice(x0, 1000) & _on_lattice(y0, 1000)
    if on_1000.all():
        return np.full(n, 1000)
    on_250 = _on_lattice(x0, 250) & _on_lattice(y0, 250)
    quarter = ~(_on_lattice(x0, 500) & _on_lattice(y0, 500))
    if on_250.all() and quarter.any():
        if n >= _INFER_MIN_CELLS and on_1000.mean() > 0.5:
            i = int(np.flatnonzero(~on_1000)[0])
            raise InputError(
                path,
                f"corner ({x0[i]:.0f}, {y0[i]:.0f}) is off the 1000 m lattice that "
                f"{int(on_1000.sum())} of the {n} corners lie on: a 1 km grid with a wrong "
                "corner, or a 250 m grid?",
                row=file_line(lines, i),
                column=column,
                expected="a size column (rutstorl) giving the grid's one cell size",
            )
        return np.full(n, 250)
    bad = ~on_250 if not on_250.all() else ~on_1000
    i = int(np.flatnonzero(bad)[0])
    if np.mod(x0[i], 1000) == 500 and np.mod(y0[i], 1000) == 500:
        hint = " — half a 1 km cell off: a centre given where the lower-left corner is expected?"
    elif np.mod(x0[i], 250) == 125 and np.mod(y0[i], 250) == 125:
        hint = " — half a 250 m cell off: a centre given where the lower-left corner is expected?"
    elif on_250.all():
        hint = " — the file has no 250/750 m offsets, so it is not a 250 m grid"
    else:
        hint = ""
    raise InputError(
        path,
        f"corner ({x0[i]:.0f}, {y0[i]:.0f}) is not on the 1000 m or 250 m grid lattice{hint}",
        row=file_line(lines, i),
        column=column,
        expected="lower-left cell corners in SWEREF 99 TM that are multiples of the cell size, "
        "or a size column (rutstorl) giving 250, 500, 1000 or 5000",
    )


def _check_lattice(x0, y0, size, path: Path, lines, column: str) -> None:
    size = np.asarray(size)
    bad = ~(_on_lattice(x0, size) & _on_lattice(y0, size))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        s = int(size[i])
        hint = ""
        if np.mod(x0[i], s) == s / 2 and np.mod(y0[i], s) == s / 2:
            hint = " — half a cell off: a centre given where the lower-left corner is expected?"
        raise InputError(
            path,
            f"corner ({x0[i]:.0f}, {y0[i]:.0f}) is not on the {s} m grid lattice{hint}",
            row=file_line(lines, i),
            column=column,
            expected=f"lower-left cell corners in SWEREF 99 TM, multiples of the cell size ({s} m)",
        )


def _check_sizes(size: np.ndarray, path: Path, lines, column: str) -> None:
    """Every size a grid size, and one size for the whole file (a grid has one cell size)."""
    bad = ~np.isin(size, GRID_SIZES)
    raise_first(
        bad,
        path,
        lines,
        column,
        "a cell size of " + ", ".join(map(str, GRID_SIZES)) + " m",
        lambda i: f"cell size {size[i]:g} m not supported",
    )
    if len(size) == 0:
        return
    raise_first(
        size != size[0],
        path,
        lines,
        column,
        f"one cell size for the whole grid, {size[0]:g} m as in its first cell; a grid of "
        "another size goes in a file of its own, and a build uses one grid size",
        lambda i: f"cell size {size[i]:g} m in a grid of {size[0]:g} m cells",
    )


def _parse_ids(ids: pd.Series, path: Path, lines, column: str, free: bool = False):
    """Lower-left corners (and sizes, from INSPIRE codes) of cell ids.

    SCB's rutid (13 digits) or an INSPIRE code (``CRS3006RES250mN…E…``), one kind per file;
    anything else is an error naming the row, unless ``free`` (a GeoPackage's own ids, whose
    polygons give the cells) and no id is of either kind: then None.
    """
    s = ids.astype(str).str.strip()
    inspire = s.str.fullmatch(_INSPIRE).to_numpy()
    rutid = s.str.fullmatch(_RUTID).to_numpy()
    if free and not inspire.any() and not rutid.any():
        return None
    if inspire.any():
        raise_first(
            ~inspire,
            path,
            lines,
            column,
            "an INSPIRE cell code (CRS3006RES<size>mN<northing>E<easting>) like the file's other "
            "ids",
            lambda i: f"cell id {s.iloc[i]!r} is not an INSPIRE cell code",
        )
        parts = s.str.extract(_INSPIRE)
        crs = parts[0].astype(np.int64).to_numpy()
        raise_first(
            crs != 3006,
            path,
            lines,
            column,
            "cells in SWEREF 99 TM (CRS3006); an ETRS89-LAEA grid (CRS3035, Eurostat's) lies on "
            "another lattice: use SCB's SWEREF 99 TM grid",
            lambda i: f"cell id {s.iloc[i]!r} is in EPSG:{crs[i]}",
        )
        size = parts[1].astype(np.int64).to_numpy()
        y0 = parts[2].astype(np.int64).to_numpy(dtype=float)
        x0 = parts[3].astype(np.int64).to_numpy(dtype=float)
        return x0, y0, size
    raise_first(
        ~rutid,
        path,
        lines,
        column,
        f"SCB's {geo.RUTID_DIGITS}-digit rutid: 6 digits easting + 7 digits northing of the "
        "lower-left corner, for every cell size (or an INSPIRE code CRS3006RES250mN…E…)",
        lambda i: f"cell id {s.iloc[i]!r} ({len(s.iloc[i])} characters) is not an SCB rutid",
    )
    x0, y0 = _corner_from_rutid(s)
    return x0, y0, None


def _vector_cells(path: Path) -> tuple:
    """Cells of a GeoPackage (or other vector file) of square cells in SWEREF 99 TM: the
    attribute frame, its first row, the id column, ids, lower-left corners and sizes."""
    gdf = gpd.read_parquet(path) if path.suffix == ".parquet" else gpd.read_file(path)
    if gdf.crs is None or gdf.crs.to_epsg() != 3006:
        raise InputError(path, f"grid is in {gdf.crs}", expected="SWEREF 99 TM (EPSG:3006)")
    df = pd.DataFrame(gdf.drop(columns="geometry"))
    df.columns = [c.lower() for c in df.columns]
    first = 1
    bounds = gdf.geometry.bounds
    x0 = bounds["minx"].round(3).to_numpy()
    y0 = bounds["miny"].round(3).to_numpy()
    width = (bounds["maxx"] - bounds["minx"]).round().to_numpy()
    height = (bounds["maxy"] - bounds["miny"]).round().to_numpy()
    raise_first(
        width != height,
        path,
        first,
        "geometry",
        "square grid cells",
        lambda i: f"cell is {width[i]:g} × {height[i]:g} m, not square",
    )
    size = width.astype(int)
    _check_sizes(size, path, first, "geometry")
    check_sweref(pd.Series(x0), pd.Series(y0), path, first)
    _check_lattice(x0, y0, size, path, first, "geometry")
    idcol = _id_column(df, path)
    if idcol is not None:
        ids = df[idcol].astype(str).str.strip()
        parsed = _parse_ids(ids, path, first, idcol, free=True)
        if parsed is not None:
            ix, iy, isize = parsed
            raise_first(
                (ix != x0) | (iy != y0) | ((isize != size) if isize is not None else False),
                path,
                first,
                idcol,
                "the id of the cell's own lower-left corner (and size)",
                lambda i: (
                    f"cell id {ids.iloc[i]!r} does not match the cell's corner "
                    f"({x0[i]:.0f}, {y0[i]:.0f}) and size {size[i]:g} m"
                ),
            )
        cell_id = ids.to_numpy()
    else:
        cell_id = geo.rutid_of_corner(x0, y0)
    return df, first, idcol, cell_id, x0, y0, size


def _table_cells(path: Path) -> tuple:
    """Cells of a CSV with SCB's rutid or the lower-left corner: as :func:`_vector_cells`."""
    # Two columns (rutid, population) make a table; the header names a cell and a population.
    df, header_line = table_after_header(path, _RUTOR_HEADER, min_fields=2)
    df.columns = [c.lower() for c in df.columns]
    first = header_line + 1
    idcol = _id_column(df, path)
    corner = next(((a, b) for a, b in CORNER_COLUMNS if a in df.columns and b in df.columns), None)
    if idcol is None and corner is None:
        raise InputError(
            path,
            f"no cell id and no corner columns; columns are {list(df.columns)}",
            expected="SCB's rutid (rutid_scb), or the lower-left corner as x/y, ruta_x/ruta_y, "
            "easting/northing or x_sweref/y_sweref (SWEREF 99 TM metres)",
        )
    if corner is not None:
        cx = parse_count(df[corner[0]], path, corner[0], first, allow_decimal=True)
        cy = parse_count(df[corner[1]], path, corner[1], first, allow_decimal=True)
        for col, s in zip(corner, (cx, cy), strict=True):
            raise_first(
                s.isna(), path, first, col, "SWEREF 99 TM metres", lambda _i: "corner missing"
            )
        cx, cy = cx.to_numpy(), cy.to_numpy()
    id_size = None
    if idcol is not None:
        x0, y0, id_size = _parse_ids(df[idcol], path, first, idcol)
        if corner is not None:
            ids = df[idcol].astype(str).str.strip()
            for col, given, own in ((corner[0], cx, x0), (corner[1], cy, y0)):
                raise_first(
                    given != own,
                    path,
                    first,
                    col,
                    "the lower-left corner, as in the cell id",
                    lambda i, g=given, o=own: (
                        f"{g[i]:.0f} differs from {o[i]:.0f} in cell id "
                        f"{ids.iloc[i]!r} (a centre given as the corner?)"
                    ),
                )
        cell_id = df[idcol].astype(str).str.strip().to_numpy()
        where = idcol
    else:
        x0, y0 = cx, cy
        cell_id = geo.rutid_of_corner(x0, y0)
        where = corner[0]
    check_sweref(pd.Series(x0), pd.Series(y0), path, first)
    size = _table_sizes(df, path, first, x0, y0, where, id_size)
    return df, first, idcol, cell_id, x0, y0, size


def _table_sizes(
    df: pd.DataFrame, path: Path, first: int, x0, y0, where: str, id_size=None
) -> np.ndarray:
    """Cell sizes from a size column or the ids (checked against each other and the lattice),
    or inferred from the lattice; one size for the whole file."""
    scol = find_column(df, path, SIZE_COLUMNS, "cell size", required=False)
    if scol:
        size = parse_count(df[scol], path, scol, first).to_numpy()
        raise_first(
            np.isnan(size),
            path,
            first,
            scol,
            "a cell size in metres",
            lambda _i: "size missing",
        )
        _check_sizes(size, path, first, scol)
        size = size.astype(int)
        if id_size is not None:
            raise_first(
                size != id_size,
                path,
                first,
                scol,
                f"the size in the cell id ({where})",
                lambda i: f"cell size {size[i]} m, but the cell id says {id_size[i]} m",
            )
    elif id_size is not None:
        size = np.asarray(id_size, dtype=int)
        _check_sizes(size, path, first, where)
    else:
        return _infer_size(x0, y0, path, first, where)
    _check_lattice(x0, y0, size, path, first, where)
    return size


@file_reader
def read_rutor(path: Path) -> pd.DataFrame:
    """Read a population grid: columns ``cell_id, x, y, size_m, population, pop_65plus, pop_70plus``.

    ``x, y`` are cell centres in SWEREF 99 TM metres. Accepted layouts:

    - a GeoPackage (or other vector file) of square cells in SWEREF 99 TM, as SCB delivers;
    - a CSV with SCB's ``rutid``/``rutid_scb`` (13 digits: easting and northing of the
      lower-left corner, for every cell size), or INSPIRE cell codes in SWEREF 99 TM
      (``CRS3006RES250mN6308750E579250``, which carry the size);
    - a CSV with the lower-left corner in columns ``x``/``y``, ``ruta_x``/``ruta_y``,
      ``easting``/``northing`` or ``x_sweref``/``y_sweref``.

    The cell size comes from a ``rutstorl``/``size`` column, the geometry, an INSPIRE code, or
    else the corner lattice (1000 m or 250 m, see :func:`_infer_size`). A grid has one cell
    size: cells of another size are an error naming the row. Every corner must lie on the
    lattice of its size: a centre given as a corner is an error naming the row.
    """
    path = Path(path)
    if path.suffix.lower() in {".gpkg", ".shp", ".geojson", ".fgb", ".parquet"}:
        df, first, idcol, cell_id, x0, y0, size = _vector_cells(path)
    else:
        df, first, idcol, cell_id, x0, y0, size = _table_cells(path)
    centre_x = np.asarray(x0, dtype=float) + size / 2
    centre_y = np.asarray(y0, dtype=float) + size / 2
    popcol = find_column(df, path, r"beftotalt|befolkning|population|tot|pop", "population")
    pop = parse_count(df[popcol].astype(str), path, popcol, first).fillna(0)
    out = pd.DataFrame(
        {
            "cell_id": np.asarray(cell_id, dtype=object),
            "x": np.asarray(centre_x, dtype=float),
            "y": np.asarray(centre_y, dtype=float),
            "size_m": np.asarray(size, dtype=int),
            "population": pop.astype(np.int64).to_numpy(),
        }
    )
    older = [c for c in ("ald65_79", "ald80w") if c in df.columns]
    out["pop_65plus"] = (
        sum(parse_count(df[c].astype(str), path, c, first).fillna(0) for c in older)
        .astype(np.int64)
        .to_numpy()
        if len(older) == 2
        else pd.array([pd.NA] * len(out), dtype="Int64")
    )
    out["pop_70plus"] = (
        parse_count(df["ald70w"].astype(str), path, "ald70w", first)
        .fillna(0)
        .astype(np.int64)
        .to_numpy()
        if "ald70w" in df.columns
        else pd.array([pd.NA] * len(out), dtype="Int64")
    )
    check_sweref(out["x"], out["y"], path, first)
    dup = out["cell_id"].duplicated()
    raise_first(
        dup,
        path,
        first,
        idcol,
        "each grid cell once",
        lambda i: f"duplicate cell {out['cell_id'].iloc[i]!r}",
    )
    return out
