"""Cuts of the national tables that reports read again and again: the cells with their
distances, the population per kommun and län, the totals per kommun and year. Kept per process
for the table they were cut from, so a warm render worker cuts once for all its reports.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import pandas as pd

from lansanalys import catalogue
from lansanalys.catalogue import covered_lan
from lansanalys.config import Paths
from lansanalys.services import SERVICE_TYPES


def cells_with_distance(
    p: Paths, meta: dict[str, Any], filters: list | None = None, service_type: str | None = None
) -> pd.DataFrame:
    """Cell × service type distances from the build's nearest table, with each cell's people.

    Used to compute a threshold the build did not precompute (any the API accepts), with the
    same function and definition as the build (:func:`lansanalys.analysis.access.beyond_thresholds`).
    ``filters`` apply to both tables (e.g. ``[("lan_kod", "==", "08")]``). Only cells of län
    with service data of the row's type are kept (:func:`covered_lan`), as in the build: an
    area without data gets no row, hence no figure.
    """
    flt = list(filters or [])
    nflt = flt + ([("service_type", "==", service_type)] if service_type else [])
    near = catalogue.read(p, "nearest", filters=nflt or None)
    rutor = catalogue.read(
        p, "rutor", columns=["cell_id", "population", "pop_70plus"], filters=flt or None
    )
    out = near.merge(rutor, on="cell_id", how="left", validate="m:1")
    pairs = {(lan, st) for st in SERVICE_TYPES for lan in covered_lan(meta, st)}
    keep = [(lan, st) in pairs for lan, st in zip(out["lan_kod"], out["service_type"], strict=True)]
    return out[keep].reset_index(drop=True)


#: Cuts of the population table, kept per process for the table they were cut from (its data
#: buffer: the cached table's shallow copies share it), so a warm render worker cuts once.
_CUTS: dict[tuple, dict] = {}


def _table_key(bef: pd.DataFrame) -> tuple:
    values = bef["population"].to_numpy()
    return (len(bef), values.__array_interface__["data"][0])


def _cut(kind: str, bef: pd.DataFrame, make, extra: tuple = ()) -> Any:
    """``make(bef)`` once per population table, kind and ``extra`` key in this process."""
    key = (kind, _table_key(bef), extra)
    if key not in _CUTS:
        for stale in [k for k in _CUTS if k[0] == kind]:
            del _CUTS[stale]
        _CUTS[key] = make(bef)
    return _CUTS[key]


def population_slices(bef: pd.DataFrame) -> dict[tuple[str, str], pd.DataFrame]:
    """Rows per kommun and per län."""

    def make(b: pd.DataFrame) -> dict[tuple[str, str], pd.DataFrame]:
        out = {("kommun", k): g for k, g in b.groupby("kommun_kod", sort=False)}
        out.update({("lan", k): g for k, g in b.groupby("lan_kod", sort=False)})
        return out

    return _cut("slices", bef, make)


def kommun_totals(bef: pd.DataFrame) -> pd.DataFrame:
    """People per kommun and year, and whether any part of the sum was missing."""

    def make(b: pd.DataFrame) -> pd.DataFrame:
        keys = [b["kommun_kod"], b["year"]]
        return pd.DataFrame(
            {
                "population": b["population"].groupby(keys).sum(),
                "missing": b["population"].isna().groupby(keys).any(),
            }
        ).reset_index()

    return _cut("totals", bef, make)


def kommun_total_map(bef: pd.DataFrame) -> dict[tuple[str, int], tuple[float, bool]]:
    """:func:`kommun_totals` as a dict ``(kommun_kod, year) → (people, missing)`` for lookups."""

    def make(b: pd.DataFrame) -> dict[tuple[str, int], tuple[float, bool]]:
        t = kommun_totals(b)
        keys = zip(t["kommun_kod"], t["year"].astype(int), strict=True)
        values = zip(t["population"].astype(float), t["missing"].astype(bool), strict=True)
        return dict(zip(keys, values, strict=True))

    return _cut("total_map", bef, make)


def support_per_kommun(
    bef: pd.DataFrame, grants: pd.DataFrame, period: tuple[int, int]
) -> pd.DataFrame:
    """Support per inhabitant-year of every kommun (the one definition,
    :func:`lansanalys.analysis.support.per_inhabitant_year`), indexed by ``kommun_kod``; cut
    once per population table, grants table and period in this process."""
    from lansanalys import geo
    from lansanalys.analysis import support

    def make(b: pd.DataFrame) -> pd.DataFrame:
        per = support.per_inhabitant_year(grants, b, geo.kommun_codes(), period)
        return per.set_index("kommun_kod")

    grants_key = (len(grants), grants["amount_sek"].to_numpy().__array_interface__["data"][0])
    return _cut("support", bef, make, (grants_key, tuple(period)))


#: The last few areas' rows of the large tables, read with parquet filters (:func:`area_rows`).
_PARTS: OrderedDict[tuple, pd.DataFrame] = OrderedDict()
_PARTS_KEPT = 4


def area_rows(p: Paths, name: str, level: str, code: str, filters: list | None) -> pd.DataFrame:
    """Rows of table ``name`` for one area, read with ``filters``; the last few areas are kept
    in this process, so a warm worker rendering a län's kommuner reads the län's rows (the
    parent's comparison figures) once, not once per kommun. A rebuilt file is read again."""
    file = catalogue.path(p, name)
    st = file.stat()
    key = (str(file), st.st_size, st.st_mtime_ns, level, code)
    if key in _PARTS:
        _PARTS.move_to_end(key)
    else:
        _PARTS[key] = catalogue.read(p, name, filters=filters)
        while len(_PARTS) > _PARTS_KEPT:
            _PARTS.popitem(last=False)
    return _PARTS[key].copy(deep=False)


def unique_labels(points: pd.DataFrame) -> list[str]:
    """ "Name (kommun)", with the point id added where two points would read the same."""
    base = [f"{n} ({k})" for n, k in zip(points["name"], points["kommun"], strict=True)]
    counts = pd.Series(base).value_counts()
    return [
        f"{b[:-1]}, id {pid})" if counts[b] > 1 else b
        for b, pid in zip(base, points["point_id"], strict=True)
    ]
