"""SCB's tätorter and småorter (``data/raw/orter/``): boundaries as GeoPackage (or any vector file
geopandas reads), one polygon per ort.

SCB publishes both as open geodata (CC0): a *tätort* is a built-up area of at least 200
inhabitants with at most 200 m between houses, a *småort* one of 50–199. Column names vary by
year and product (``TATORTSKOD``/``tatortskod``, ``SMAORTSKOD``, ``TATORT``, ``KOMMUNKOD``,
``BEF``…), so columns are found by pattern. The population SCB publishes per ort is kept as
``population_scb``; the build counts each ort's people from the population grid instead (the
cells whose centre lies inside the boundary), so orter and "utanför orter" add up to the
kommun's grid total.
"""

from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import pandas as pd

from lansanalys.config import CRS_METRIC
from lansanalys.errors import InputError
from lansanalys.sources.common import file_reader, parse_kommun_codes

#: Column patterns (lower-cased names, Swedish letters folded).
_CODE = r"^(tatortskod|smaortskod|smortskod|ortkod|ort_kod|tatortkod|kod)$"
_NAME = r"^(tatort|smaort|smort|ortnamn|ort|namn|name|tatortsnamn|smaortsnamn)$"
_KOMMUN = r"^(kommunkod|kommun_kod|kommun|kn|knkod)$"
_POP = r"^(bef|befolkning|folkmangd|population|invanare|bef_tot|antal)\w*$"
_KIND = r"^(typ|ortstyp|kind)$"


def _fold(name: str) -> str:
    return name.lower().translate(str.maketrans("åäö", "aao"))


def _column(gdf: pd.DataFrame, pattern: str) -> str | None:
    for c in gdf.columns:
        if c != "geometry" and re.match(pattern, _fold(str(c))):
            return c
    return None


@file_reader
def read_orter(path: Path) -> pd.DataFrame:
    """Read SCB tätort or småort boundaries.

    Returns
    -------
    GeoDataFrame
        ``ort_kod, name, kind`` ("tätort" or "småort"), ``kommun_kod``, ``population_scb``
        (NaN where the file has none) and ``geometry`` (polygons, EPSG:3006).

    Raises
    ------
    InputError
        No polygons, no code or name column, a file without a CRS, a kommun code that does not
        exist, or an ort code twice.
    """
    path = Path(path)
    gdf = gpd.read_file(path)
    if gdf.crs is None:
        raise InputError(
            path, "the layer has no coordinate system", expected="EPSG:3006 (SWEREF 99 TM)"
        )
    gdf = gdf.to_crs(CRS_METRIC)
    geom = gdf.geometry.geom_type.fillna("")
    bad = ~geom.str.contains("Polygon")
    if bad.any():
        i = int(bad.to_numpy().nonzero()[0][0])
        raise InputError(
            path,
            f"geometry is {geom.iloc[i] or 'empty'}",
            row=i + 1,
            column="geometry",
            expected="ort boundaries (polygons)",
        )
    code, name = _column(gdf, _CODE), _column(gdf, _NAME)
    if code is None or name is None:
        raise InputError(
            path,
            f"no {'code' if code is None else 'name'} column among {list(gdf.columns)}",
            expected="SCB's tätort/småort columns, e.g. TATORTSKOD and TATORT",
        )
    kcol, pcol, tcol = _column(gdf, _KOMMUN), _column(gdf, _POP), _column(gdf, _KIND)
    if tcol is not None:
        kind = gdf[tcol].astype(str).map(lambda v: "småort" if "sm" in _fold(v) else "tätort")
    else:
        small = "sma" in _fold(code) or "smort" in _fold(code) or "sma" in _fold(path.stem)
        kind = pd.Series("småort" if small else "tätort", index=gdf.index)
    codes = gdf[code].astype(str).str.strip()
    dup = codes.duplicated()
    if dup.any():
        i = int(dup.to_numpy().nonzero()[0][0])
        raise InputError(
            path,
            f"ort {codes.iloc[i]} appears twice",
            row=i + 1,
            column=code,
            expected="one row per ort",
        )
    out = gpd.GeoDataFrame(
        {
            "ort_kod": codes.to_numpy(),
            "name": gdf[name].astype(str).str.strip().to_numpy(),
            "kind": kind.to_numpy(),
            "kommun_kod": (
                parse_kommun_codes(gdf[kcol].astype(str).str.strip(), path, kcol, 1).to_numpy()
                if kcol
                else None
            ),
            "population_scb": pd.to_numeric(gdf[pcol], errors="coerce").to_numpy()
            if pcol
            else float("nan"),
        },
        geometry=gdf.geometry.to_numpy(),
        crs=CRS_METRIC,
    )
    return out
