"""Service coverage: which län × service type a set of service files covers (declared in
SOURCES.yml, or inferred: national, every kommun of the län and its neighbours, or a whole-län
extract), so that areas without data get no figure (``coverage`` table).
"""

from __future__ import annotations

import logging
from typing import Any

import geopandas as gpd
import pandas as pd

from lansanalys import geo
from lansanalys.config import (
    CRS_METRIC,
)
from lansanalys.errors import BuildError
from lansanalys.services import SERVICE_TYPES

log = logging.getLogger(__name__)


#: Coverage inference: a län counts as covered by a file that declares nothing when the file has
#: points in every kommun within this distance (m) of the län, its own kommuner included.
COVERAGE_NEIGHBOUR_M = 20_000.0


def kommuner_near_lan(radius_m: float = COVERAGE_NEIGHBOUR_M) -> dict[str, set[str]]:
    """Each län's kommuner plus every kommun (in Sweden) within ``radius_m`` metres of it."""
    lan = geo.lan_geometry(CRS_METRIC)
    kom = geo.kommun_geometry(CRS_METRIC)
    out = {}
    for code, shape in zip(lan["lan_kod"], lan.geometry, strict=True):
        near = kom[kom.intersects(shape.buffer(radius_m))]
        out[code] = set(near["kommun_kod"]) | set(geo.kommun_codes(code))
    return out


def _declared(entry: dict[str, Any], key: str, valid: list[str], rel: str) -> list[str] | None:
    """A list of codes declared for a file in SOURCES.yml, checked; None when not declared."""
    value = entry.get(key)
    if value is None:
        return None
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list) or any(str(v) not in valid for v in values):
        raise BuildError(
            f"data/raw/SOURCES.yml, entry {rel!r}: {key} {value!r} is not understood; expected "
            f"a list of codes among {', '.join(valid)} (e.g. {key}: [{valid[0]!r}])"
        )
    return [str(v) for v in values]


def service_coverage(
    points: pd.DataFrame,
    files: dict[str, dict[str, Any]],
    near: dict[str, set[str]] | None = None,
) -> pd.DataFrame:
    """Which län have service data of which type, judged per file.

    A file covers, for every service type it holds (or the ``service_types`` its entry in
    SOURCES.yml lists), the län its entry declares under ``lan`` (``fetch service`` writes the
    län it fetched, never the buffer around it). A file without a declaration covers:

    - the län in which it has a point in every kommun, when its other points lie within
      :data:`EXTRACT_SPILL_M` of them (it stops at län borders: a national file, or an export
      of whole län; basis "extract" unless the next rule also holds, since the border cells of
      such an extract lack the points across the border);
    - every län, when it has points in every län (a national file: a sparse type such as
      day-cash deposit need not reach every kommun);
    - otherwise each län where it has a point in every kommun of the län and in every kommun
      within :data:`COVERAGE_NEIGHBOUR_M` of it (basis "inferred"): a file of a län and a buffer
      zone around it covers that län, not the neighbouring län the zone cuts through (their
      far side is missing).

    Declare ``lan`` in SOURCES.yml to override.

    Parameters
    ----------
    points : DataFrame
        Service points with ``file`` (path relative to data/raw), ``service_type``,
        ``kommun_kod`` and ``x, y`` (SWEREF 99 TM), before duplicates across files are dropped.
    files : dict
        The SOURCES.yml entry of each file, keyed as ``points["file"]``.
    near : dict, optional
        Län → kommuner that must have points (default :func:`kommuner_near_lan`).

    Returns
    -------
    DataFrame
        One row per län × service type (21 × 7): ``lan_kod, service_type, covered`` (bool),
        ``basis`` ("declared", "inferred", "extract" or "" when not covered), ``source`` (the files, ";"
        separated) and ``reason`` (Swedish, why not covered; "" when covered).
    """
    near = near if near is not None else kommuner_near_lan()
    lan_codes, types = geo.lan_codes(), list(SERVICE_TYPES)
    found: dict[tuple[str, str], list[tuple[str, str]]] = {}
    in_any_file: set[str] = set()
    for rel, pts in points.groupby("file", sort=True):
        entry = files.get(rel, {})
        have = set(pts["service_type"])
        in_any_file |= have
        stypes = _declared(entry, "service_types", types, rel)
        stypes = set(stypes) if stypes is not None else have
        lans = _declared(entry, "lan", lan_codes, rel)
        basis = "declared"
        with_points = set(pts["kommun_kod"])
        if lans is None and {k[:2] for k in with_points} >= set(lan_codes):
            # Points in every län: a national file. A sparse type (day-cash deposit, say)
            # need not have a point in every kommun to be complete.
            basis, lans = "inferred", lan_codes
        elif lans is None:
            basis = "inferred"
            lans = [c for c in lan_codes if near[c] <= with_points]
            whole = _whole_lan_extract(pts)
            if whole:
                # The file stops at län borders (no zone cut through a län): an extract of
                # whole län, each covered; its border cells lack points across the border.
                basis = "extract"
                lans = whole
        for c in lans:
            for t in stypes:
                basis_c = "inferred" if basis == "extract" and near[c] <= with_points else basis
                found.setdefault((c, t), []).append((basis_c, rel))
    rows = []
    for c in lan_codes:
        for t in types:
            hits = found.get((c, t), [])
            bases = {b for b, _ in hits}
            if hits:
                reason = ""
            elif t in in_any_file:
                reason = "punktfilerna täcker inte länet"
            else:
                reason = "serviceslaget saknas i punktfilerna"
            rows.append(
                {
                    "lan_kod": c,
                    "service_type": t,
                    "covered": bool(hits),
                    "basis": next(
                        (b for b in ("declared", "inferred", "extract") if b in bases), ""
                    ),
                    "source": "; ".join(sorted({r for _, r in hits})),
                    "reason": reason,
                }
            )
    return pd.DataFrame(rows)


#: Points of a whole-län extract may spill this far (m) over the län border (a store on the
#: border, generalised boundaries); a buffer zone reaches further.
EXTRACT_SPILL_M = 10_000.0


def _whole_lan_extract(pts: pd.DataFrame) -> list[str]:
    """The län of a file that holds whole län only, or [] when it cuts through a län.

    Whole län are those with a point in every kommun; the file is an extract of them when every
    other point lies within :data:`EXTRACT_SPILL_M` of them.
    """
    with_points = set(pts["kommun_kod"])
    whole = sorted(
        c for c in {k[:2] for k in with_points} if set(geo.kommun_codes(c)) <= with_points
    )
    if not whole:
        return []
    rest = pts[~pts["kommun_kod"].str[:2].isin(whole)]
    if rest.empty:
        return whole
    lan = geo.lan_geometry(CRS_METRIC)
    area = lan[lan["lan_kod"].isin(whole)].union_all()
    spill = gpd.GeoSeries(gpd.points_from_xy(rest["x"], rest["y"]), crs=CRS_METRIC).distance(area)
    return whole if bool((spill <= EXTRACT_SPILL_M).all()) else []
