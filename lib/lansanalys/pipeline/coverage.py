"""Service coverage: which län × service type a set of service files covers (declared in
SOURCES.yml, or inferred per type: national, every kommun of the län and its neighbours, or a
whole-län extract, with points over the län's populated area), so that areas without data get
no figure (``coverage`` table); and the area in which the files hold every point of a type
(:func:`complete_zones`).
"""

from __future__ import annotations

import logging
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree
from shapely.geometry.base import BaseGeometry

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
    cells: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Which län have service data of which type, judged per file and, within a file, per type.

    A file covers, for every service type it holds (or the ``service_types`` its entry in
    SOURCES.yml lists), the län its entry declares under ``lan`` (``fetch service`` writes the
    län it fetched, never the buffer around it). A file without a declaration covers, for each
    type judged on that type's own points only (pharmacies in one kommun of a file that is
    complete for groceries cover nothing):

    - every län, when it has points of the type in every län (a national file: a sparse type
      such as day-cash deposit need not reach every kommun);
    - the län in which it has a point of the type in every kommun, when its other points of the
      type lie within :data:`EXTRACT_SPILL_M` of them (it stops at län borders: an export of
      whole län; basis "extract" unless the next rule also holds, since the border cells of
      such an extract lack the points across the border);
    - otherwise each län where it has a point of the type in every kommun of the län and in
      every kommun within :data:`COVERAGE_NEIGHBOUR_M` of it (basis "inferred"): a file of a
      län and a buffer zone around it covers that län, not the neighbouring län the zone cuts
      through (their far side is missing);

    and, for the last two, only where the points reach the län's populated area
    (:func:`reaches_populated_parts`): one point per kommun is no evidence for a län of one
    kommun (Gotland) that a buffer zone around another län reaches into.

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
    cells : DataFrame, optional
        Populated grid cells (``x, y, population, lan_kod``) for the populated-area rule; the
        build always passes the grid. Without it that rule is not applied.

    Returns
    -------
    DataFrame
        One row per län × service type (21 × 7): ``lan_kod, service_type, covered`` (bool),
        ``basis`` ("declared", "inferred", "extract" or "" when not covered), ``source`` (the files, ";"
        separated) and ``reason`` (Swedish, why not covered; "" when covered).
    """
    near = near if near is not None else kommuner_near_lan()
    parts = populated_parts(cells) if cells is not None else None
    lan_codes, types = geo.lan_codes(), list(SERVICE_TYPES)
    found: dict[tuple[str, str], list[tuple[str, str]]] = {}
    thin: set[tuple[str, str]] = set()  # kommun rule met, populated area not reached
    in_any_file: set[str] = set()
    for rel, pts in points.groupby("file", sort=True):
        entry = files.get(rel, {})
        have = set(pts["service_type"])
        in_any_file |= have
        stypes = _declared(entry, "service_types", types, rel)
        stypes = set(stypes) if stypes is not None else have
        lans = _declared(entry, "lan", lan_codes, rel)
        if lans is not None:
            for c in lans:
                for t in stypes:
                    found.setdefault((c, t), []).append(("declared", rel))
            continue
        for t in sorted(stypes):
            # Each type on its own points; a type declared complete without any point in the
            # file is judged on the file's points of every type (the file's extent).
            own = pts[pts["service_type"] == t] if t in have else pts
            judged, short = _inferred(own, near, parts)
            for c, basis in judged.items():
                found.setdefault((c, t), []).append((basis, rel))
            thin |= {(c, t) for c in short}
    rows = []
    for c in lan_codes:
        for t in types:
            hits = found.get((c, t), [])
            bases = {b for b, _ in hits}
            if hits:
                reason = ""
            elif t not in in_any_file:
                reason = "serviceslaget saknas i punktfilerna"
            elif (c, t) in thin:
                reason = "punkterna täcker inte länets befolkade delar"
            else:
                reason = "punktfilerna täcker inte länet"
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


def _inferred(
    pts: pd.DataFrame, near: dict[str, set[str]], parts: pd.DataFrame | None
) -> tuple[dict[str, str], set[str]]:
    """The län one file's points (of one type) cover without a declaration, with the basis of
    each; and the län that met the kommun rule but whose populated area the points miss."""
    lan_codes = geo.lan_codes()
    with_points = set(pts["kommun_kod"])
    if {k[:2] for k in with_points} >= set(lan_codes):
        # Points in every län: a national file. A sparse type (day-cash deposit, say) need
        # not have a point in every kommun to be complete.
        return dict.fromkeys(lan_codes, "inferred"), set()
    judged = {c: "inferred" for c in lan_codes if near[c] <= with_points}
    whole = _whole_lan_extract(pts)
    if whole:
        # The points stop at län borders (no zone cut through a län): an extract of whole län,
        # each covered; its border cells lack the points across the border.
        judged = {c: "inferred" if near[c] <= with_points else "extract" for c in whole}
    if parts is None:
        return judged, set()
    xy = pts[["x", "y"]].to_numpy(dtype=float)
    short = {c for c in judged if not reaches_populated_parts(xy, parts[parts["lan_kod"] == c])}
    return {c: b for c, b in judged.items() if c not in short}, short


#: The populated-area rule: the län is cut into squares of this side (m) ...
PART_SIDE_M = 20_000.0
#: ... a square with at least this many people is a populated part of the län ...
PART_MIN_POPULATION = 2_000
#: ... and each populated part needs a point of the type within this distance (m, straight
#: line from its population-weighted centre). Every län of the national demo meets it for every
#: type from its own points alone (farthest 35 km, day-cash deposit); a zone around Kalmar län
#: that reaches Gotland's west coast leaves Gotland's north and south 45 km and more away.
PART_REACH_M = 40_000.0


def populated_parts(cells: pd.DataFrame) -> pd.DataFrame:
    """The populated parts of every län: squares of :data:`PART_SIDE_M` holding at least
    :data:`PART_MIN_POPULATION` people, as ``lan_kod, x, y`` (population-weighted centre) and
    ``population``."""
    df = pd.DataFrame(
        {
            "lan_kod": cells["lan_kod"].to_numpy(),
            "bx": np.floor_divide(cells["x"].to_numpy(dtype=float), PART_SIDE_M),
            "by": np.floor_divide(cells["y"].to_numpy(dtype=float), PART_SIDE_M),
            "population": cells["population"].to_numpy(dtype=float),
        }
    )
    df["px"] = cells["x"].to_numpy(dtype=float) * df["population"]
    df["py"] = cells["y"].to_numpy(dtype=float) * df["population"]
    g = df.groupby(["lan_kod", "bx", "by"], as_index=False)[["population", "px", "py"]].sum()
    g = g[g["population"] >= PART_MIN_POPULATION]
    return pd.DataFrame(
        {
            "lan_kod": g["lan_kod"].to_numpy(),
            "x": (g["px"] / g["population"]).to_numpy(),
            "y": (g["py"] / g["population"]).to_numpy(),
            "population": g["population"].to_numpy(),
        }
    )


def reaches_populated_parts(points_xy: np.ndarray, parts: pd.DataFrame) -> bool:
    """Whether every populated part (:func:`populated_parts`, one län's rows) has one of the
    points within :data:`PART_REACH_M` (straight line)."""
    if parts.empty:
        return True
    if len(points_xy) == 0:
        return False
    dist, _ = cKDTree(points_xy).query(parts[["x", "y"]].to_numpy(dtype=float))
    return bool((dist <= PART_REACH_M).all())


def _buffer_km(entry: dict[str, Any], rel: str) -> float:
    """The ``buffer_km`` of a file's SOURCES.yml entry (0 when not declared), checked."""
    value = entry.get("buffer_km")
    if value is None:
        return 0.0
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0:
        raise BuildError(
            f"data/raw/SOURCES.yml, entry {rel!r}: buffer_km {value!r} is not understood; "
            "expected a distance in km, 0 or more (e.g. buffer_km: 50)"
        )
    return float(value)


def complete_zones(
    coverage: pd.DataFrame, files: dict[str, dict[str, Any]]
) -> dict[str, BaseGeometry]:
    """Per service type, the area in which the service files hold every point there is.

    That is every covered län (coverage says so) and, around a län a file declares (``lan``),
    the file's declared ``buffer_km`` (``fetch service`` writes both: it fetched every point
    within that distance of the län). Outside it points may be missing, so a figure there rests
    on the files only where no missing point could change it (the closure ranking's cells in
    other län, :func:`lansanalys.pipeline.tables._closure_tables`).

    Parameters
    ----------
    coverage : DataFrame
        :func:`service_coverage`'s table (``source`` names the files of each covered row).
    files : dict
        The SOURCES.yml entry of each file.

    Returns
    -------
    dict
        Service type → area (SWEREF 99 TM), for the types covered somewhere.
    """
    lan = geo.lan_geometry(CRS_METRIC).set_index("lan_kod").geometry
    codes = geo.lan_codes()
    shapes: dict[str, list[BaseGeometry]] = {}
    for row in coverage[coverage["covered"]].itertuples():
        reach = 0.0
        for rel in row.source.split("; "):
            entry = files.get(rel, {})
            km = _buffer_km(entry, rel)
            if row.lan_kod in (_declared(entry, "lan", codes, rel) or []):
                reach = max(reach, km * 1000.0)
        shape = lan[row.lan_kod]
        shapes.setdefault(row.service_type, []).append(shape.buffer(reach) if reach else shape)
    return {t: shapely.union_all(parts) for t, parts in shapes.items()}


#: Points of a whole-län extract may spill this far (m) over the län border (a store on the
#: border, generalised boundaries); a buffer zone reaches further.
EXTRACT_SPILL_M = 10_000.0


def _whole_lan_extract(pts: pd.DataFrame) -> list[str]:
    """The län of a file that holds whole län only, or [] when it cuts through a län.

    Whole län are those with a point in every kommun; the points are an extract of them when every
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
