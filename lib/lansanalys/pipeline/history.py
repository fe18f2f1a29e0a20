"""Change over time: service files of several years, on the same population and road network.

Each service file has a year: its ``year`` in SOURCES.yml, or a ``year``/``ar`` column (a file may
hold several years). With one year (or none recorded) nothing here runs and the build is as it
always was. With several, the latest year's files are the build's ``service`` as before, and
:func:`year_tables` writes

- ``service_years``: every point of every year, the same point under the same id in every year
  it exists (:func:`match_points`);
- ``access_years``: per level (riket, län, kommun) × area × service type × year, the points, the
  points opened and closed since the previous year of the series, and the share of the latest
  grid's population beyond 10 km and beyond 25 km (the cash rule's distance) by road, computed
  with the build's own road search and definition of "beyond"
  (:func:`lansanalys.analysis.access.beyond_thresholds`) on the same grid and road network every
  year, so a change is a change in service alone.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from lansanalys import geo
from lansanalys.analysis import access, network
from lansanalys.analysis.access import CASH_RULE_KM, CLOSURE_KM
from lansanalys.errors import BuildError
from lansanalys.pipeline.coverage import kommuner_near_lan, service_coverage
from lansanalys.pipeline.inputs import _POINT_KEY, _attach_kommun, _dedup_service

log = logging.getLogger(__name__)

#: Two points of two years are the same point when, failing stable ids, they have the same type
#: and name and stand within this distance (m) of each other.
SAME_POINT_M = 100.0
#: Ids are stable between two years when at least this share of the earlier year's ids recur in
#: the later year with the same service type (else type, name and position decide).
STABLE_ID_SHARE = 0.5
#: Distances (km) of the shares per year: the headline 10 km and the cash rule's 25 km.
YEAR_KM: tuple[float, ...] = (CLOSURE_KM, CASH_RULE_KM)
#: Columns of ``service_years``.
SERVICE_YEAR_COLUMNS = [
    "point_id",
    "service_type",
    "name",
    "x",
    "y",
    "kommun_kod",
    "lan_kod",
    "year",
]


# ---- identity of a point between years -----------------------------------------------------------
def stable_ids(prev: pd.DataFrame, cur: pd.DataFrame) -> bool:
    """Whether ids identify points between the two years (:data:`STABLE_ID_SHARE`)."""
    if prev.empty:
        return True
    same = prev[["point_id", "service_type"]].merge(
        cur[["point_id", "service_type"]].drop_duplicates(), how="inner"
    )
    return len(same) >= STABLE_ID_SHARE * len(prev)


def match_points(prev: pd.DataFrame, cur: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    """Pairs of rows (``prev``, ``cur`` positions) that are the same point, one to one.

    With stable ids (:func:`stable_ids`): the same id and service type. Otherwise the same
    service type and name within :data:`SAME_POINT_M` metres, nearest pairs first.

    Returns
    -------
    (DataFrame, str)
        ``prev``, ``cur`` (row positions) and the basis: ``"point_id"`` or ``"name+position"``.
    """
    if stable_ids(prev, cur):
        a = prev[["point_id", "service_type"]].reset_index(drop=True).rename_axis("prev")
        b = cur[["point_id", "service_type"]].reset_index(drop=True).rename_axis("cur")
        pairs = a.reset_index().merge(b.reset_index(), on=["point_id", "service_type"])
        return pairs[["prev", "cur"]], "point_id"
    rows = []
    for stype in sorted(set(prev["service_type"]) & set(cur["service_type"])):
        ia = np.flatnonzero((prev["service_type"] == stype).to_numpy())
        ib = np.flatnonzero((cur["service_type"] == stype).to_numpy())
        ta = cKDTree(prev[["x", "y"]].to_numpy(dtype=float)[ia])
        tb = cKDTree(cur[["x", "y"]].to_numpy(dtype=float)[ib])
        near = ta.sparse_distance_matrix(tb, SAME_POINT_M, output_type="ndarray")
        if len(near) == 0:
            continue
        pa, pb = ia[near["i"]], ib[near["j"]]
        name_a = prev["name"].astype(str).str.strip().str.casefold().to_numpy()
        name_b = cur["name"].astype(str).str.strip().str.casefold().to_numpy()
        same = name_a[pa] == name_b[pb]
        order = np.argsort(near["v"][same], kind="stable")
        used_a: set[int] = set()
        used_b: set[int] = set()
        for i, j in zip(pa[same][order], pb[same][order], strict=True):
            if i not in used_a and j not in used_b:
                used_a.add(int(i))
                used_b.add(int(j))
                rows.append((int(i), int(j)))
    return pd.DataFrame(rows, columns=["prev", "cur"], dtype=np.int64), "name+position"


def service_years(
    latest: pd.DataFrame, latest_year: int, history: dict[int, pd.DataFrame]
) -> tuple[pd.DataFrame, dict[str, str]]:
    """Every point of every year, a point under its latest id in every year it exists.

    Parameters
    ----------
    latest : DataFrame
        The build's ``service`` table (the latest year).
    history : dict
        Year → points of that year (``point_id, service_type, name, x, y, kommun_kod, lan_kod``).

    Returns
    -------
    (DataFrame, dict)
        ``service_years`` and, per pair of years ("2019–2022"), how points were identified.
    """
    out = [latest.assign(year=latest_year)]
    cur = out[0].reset_index(drop=True)
    basis = {}
    for year in sorted(history, reverse=True):
        prev = history[year].reset_index(drop=True).copy()
        pairs, how = match_points(prev, cur)
        basis[f"{year}–{int(cur['year'].iloc[0]) if len(cur) else latest_year}"] = how
        ids = prev["point_id"].astype(str).to_numpy(dtype=object)
        ids[pairs["prev"].to_numpy()] = cur["point_id"].to_numpy(dtype=object)[pairs["cur"]]
        # An unmatched point must not take the id of another point of a later year.
        taken = set().union(*(set(f["point_id"]) for f in out))
        unmatched = np.ones(len(prev), bool)
        unmatched[pairs["prev"].to_numpy()] = False
        for i in np.flatnonzero(unmatched):
            if ids[i] in taken:
                ids[i] = f"{ids[i]}@{year}"
        prev["point_id"] = ids
        cur = prev.assign(year=year)
        out.append(cur)
    df = pd.concat([f[SERVICE_YEAR_COLUMNS] for f in out], ignore_index=True)
    df["year"] = df["year"].astype(int)
    df["point_id"] = df["point_id"].astype(str)
    df = df.sort_values(["year", "service_type", "point_id"], kind="stable")
    return df.reset_index(drop=True), basis


# ---- access per year ----------------------------------------------------------------------------
def _cells(rutor: pd.DataFrame) -> pd.DataFrame:
    return rutor[["cell_id", "kommun_kod", "lan_kod", "population"]].assign(riket="00")


LEVELS = (("kommun_kod", "kommun"), ("lan_kod", "lan"), ("riket", "riket"))


def _shares(road: pd.DataFrame, cells: pd.DataFrame, types: list[str]) -> pd.DataFrame:
    """Per level × area × type: population and the shares beyond :data:`YEAR_KM` by road."""
    cd = road[road["service_type"].isin(types)][["cell_id", "service_type", "road_m"]].merge(
        cells, on="cell_id", how="inner", validate="m:1"
    )
    parts = []
    for key, level in LEVELS:
        b = access.beyond_thresholds(cd, key, YEAR_KM, dist_col="road_m", stats=False)
        cols = {key: "code"} | {
            access.share_col(t): f"population_share_over_{access.threshold_key(t, 'km')}km"
            for t in YEAR_KM
        }
        parts.append(
            b.rename(columns=cols)[
                ["code", "service_type", "population", *list(cols.values())[1:]]
            ].assign(level=level)
        )
    return pd.concat(parts, ignore_index=True)


def _counts(points: pd.DataFrame) -> pd.DataFrame:
    """Points per level × area × type."""
    parts = []
    for key, level in LEVELS:
        pts = points.assign(riket="00")
        n = pts.groupby([key, "service_type"]).size().rename("points").reset_index()
        parts.append(n.rename(columns={key: "code"}).assign(level=level))
    return pd.concat(parts, ignore_index=True)


def _turnover(prev: pd.DataFrame, cur: pd.DataFrame) -> pd.DataFrame:
    """Opened and closed per level × area × type: a point is open in an area in a year when it
    exists there; opened = in the area this year and not the previous, closed = the reverse
    (a point moved to another kommun closed in the one and opened in the other)."""
    parts = []
    for key, level in LEVELS:
        a = prev.assign(riket="00")[["point_id", "service_type", key]]
        b = cur.assign(riket="00")[["point_id", "service_type", key]]
        both = a.merge(b, on=["point_id", "service_type", key], how="outer", indicator=True)
        opened = both[both["_merge"] == "right_only"].groupby([key, "service_type"]).size()
        closed = both[both["_merge"] == "left_only"].groupby([key, "service_type"]).size()
        t = pd.concat([opened.rename("opened"), closed.rename("closed")], axis=1).fillna(0)
        parts.append(t.rename_axis(["code", "service_type"]).reset_index().assign(level=level))
    return pd.concat(parts, ignore_index=True)


def _complete(coverage: pd.DataFrame, types: list[str]) -> pd.DataFrame:
    """Per level × area × type whether the year's files answer for it: a kommun and a län when
    its län is covered, riket when every län is."""
    cov = coverage[coverage["service_type"].isin(types)]
    ok = cov.set_index(["lan_kod", "service_type"])["covered"]
    kom = pd.DataFrame(
        [(k, t) for k in geo.kommun_codes() for t in types], columns=["code", "service_type"]
    )
    kom["complete"] = [
        bool(ok.get((k[:2], t), False))
        for k, t in zip(kom["code"], kom["service_type"], strict=True)
    ]
    lan = pd.DataFrame(
        [(c, t) for c in geo.lan_codes() for t in types], columns=["code", "service_type"]
    )
    lan["complete"] = [
        bool(ok.get((c, t), False)) for c, t in zip(lan["code"], lan["service_type"], strict=True)
    ]
    rik = pd.DataFrame({"code": "00", "service_type": types})
    rik["complete"] = [bool(lan.loc[lan["service_type"] == t, "complete"].all()) for t in types]
    return pd.concat(
        [kom.assign(level="kommun"), lan.assign(level="lan"), rik.assign(level="riket")],
        ignore_index=True,
    )


def road_by_year(
    net: network.RoadNetwork, rutor: pd.DataFrame, points: pd.DataFrame, types: list[str]
) -> pd.DataFrame:
    """Road metres from every cell to the nearest point of each type: the build's own search
    (:func:`lansanalys.analysis.network.nearest_by_type`), metres only."""
    return network.nearest_by_type(
        net, rutor, points[points["service_type"].isin(types)], types, second=False, minutes=False
    )


def access_years(
    years: pd.DataFrame,
    road: dict[int, pd.DataFrame],
    coverage: dict[int, pd.DataFrame],
    rutor: pd.DataFrame,
    types: list[str],
) -> pd.DataFrame:
    """``access_years``: one row per level × area × type × year (see the module doc).

    Parameters
    ----------
    years : DataFrame
        :func:`service_years`' table.
    road : dict
        Year → ``cell_id, service_type, road_m`` for every cell of ``rutor``.
    coverage : dict
        Year → that year's coverage table (:func:`lansanalys.pipeline.coverage.service_coverage`).
    rutor : DataFrame
        The latest grid (``cell_id, kommun_kod, lan_kod, population``): the population of every
        year.
    types : list of str
        Service types measured (those of the latest year's figures).
    """
    cells = _cells(rutor)
    series = sorted(road)
    full = pd.concat(
        [
            pd.DataFrame({"code": codes})
            .merge(pd.DataFrame({"service_type": types}), how="cross")
            .assign(level=level)
            for level, codes in (
                ("riket", ["00"]),
                ("lan", geo.lan_codes()),
                ("kommun", geo.kommun_codes()),
            )
        ],
        ignore_index=True,
    )
    keys = ["level", "code", "service_type"]
    frames = []
    for i, year in enumerate(series):
        pts = years[years["year"] == year]
        f = full.merge(_counts(pts), on=keys, how="left")
        f["points"] = f["points"].fillna(0).astype(np.int64)
        f = f.merge(_shares(road[year], cells, types), on=keys, how="left")
        f = f.merge(_complete(coverage[year], types), on=keys, how="left")
        f["complete"] = f["complete"].fillna(False).astype(bool) & f["population"].notna()
        if i == 0:
            f["opened"] = pd.array([pd.NA] * len(f), dtype="Int64")
            f["closed"] = pd.array([pd.NA] * len(f), dtype="Int64")
        else:
            prev = years[years["year"] == series[i - 1]]
            f = f.merge(_turnover(prev, pts), on=keys, how="left")
            for col in ("opened", "closed"):
                f[col] = f[col].fillna(0).astype("Int64")
        frames.append(f.assign(year=int(year)))
    out = pd.concat(frames, ignore_index=True)
    # Opened and closed need both years' files to answer for the area.
    was = out.groupby(keys)["complete"].shift(1)
    gap = out["opened"].notna() & ~(out["complete"] & was.fillna(False).astype(bool))
    out.loc[gap, ["opened", "closed"]] = pd.NA
    share_cols = [c for c in out.columns if c.startswith("population_share_over_")]
    out.loc[~out["complete"], share_cols] = np.nan
    # The same population every year: the latest grid's.
    out["population"] = out.groupby(keys)["population"].transform("max").astype(float)
    cols = ["level", "code", "service_type", "year", "points", "opened", "closed", "population"]
    out = out[[*cols, *share_cols, "complete"]]
    return out.sort_values(["level", "code", "service_type", "year"]).reset_index(drop=True)


# ---- the build step ------------------------------------------------------------------------------
def year_tables(
    hist: dict[int, list[tuple[pd.DataFrame, dict]]],
    latest_year: int,
    validated: dict[str, pd.DataFrame],
    nearest: pd.DataFrame,
    coverage: pd.DataFrame,
    graph: tuple[pd.DataFrame, pd.DataFrame],
    types: list[str],
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """``service_years``, ``access_years`` and their record for meta.json, from the earlier
    years' files (:func:`lansanalys.pipeline.years.split_years`) and the latest year's build
    (its service points, nearest table and coverage; the same grid and road graph)."""

    rutor = validated["rutor"]
    near = kommuner_near_lan()
    points: dict[int, pd.DataFrame] = {}
    cov = {latest_year: coverage}
    for year, group in sorted(hist.items()):
        df = pd.concat([d for d, _ in group], ignore_index=True)
        by_file = df[[*_POINT_KEY, "file"]]
        df = _attach_kommun(_dedup_service(df), f"service {year}")
        dup = df["point_id"].duplicated()
        if dup.any():
            pid = df.loc[dup, "point_id"].iloc[0]
            files = ", ".join(sorted(set(df.loc[df["point_id"] == pid, "file"])))
            raise BuildError(
                f"service {year}: point id {pid!r} is given to two different points ({files}); "
                "each point of a year needs its own id"
            )
        by_file = by_file.merge(
            df[[*_POINT_KEY, "kommun_kod"]], on=_POINT_KEY, how="left", validate="m:1"
        )
        entries = {e["file"]: e for _, e in group}
        cov[year] = service_coverage(by_file, entries, near=near, cells=rutor)
        points[year] = df
    years, basis = service_years(validated["service"], latest_year, points)
    net = network.load_network(*graph)
    road = {latest_year: nearest[["cell_id", "service_type", "road_m"]]}
    for year, pts in points.items():
        road[year] = road_by_year(net, rutor, pts, types)
    acc = access_years(years, road, cov, rutor, types)
    meta = {
        "years": sorted(cov),
        "identity": basis,
        "same_point_m": SAME_POINT_M,
        "files": {str(y): sorted(e["file"] for _, e in g) for y, g in sorted(hist.items())},
    }
    return years, acc, meta


def build_step(
    kinds_meta: dict[str, Any],
    validated: dict[str, pd.DataFrame],
    nearest: pd.DataFrame,
    coverage: pd.DataFrame,
    graph: tuple[pd.DataFrame, pd.DataFrame],
    types: list[str],
    timings: dict[str, float],
) -> tuple[pd.DataFrame | None, pd.DataFrame | None, dict[str, Any]]:
    """The build's change-over-time step: ``service_years`` and ``access_years`` (None with one
    service year) and what meta.json records: ``service_years`` (the years, one element with
    one year, none when no file has a year) and, with several, ``change``. Takes the earlier
    years' files out of the service kind's record (``_history``) and lists them there as
    ``history_files``; the step's time goes into ``timings["service_years"]``."""
    t0 = time.perf_counter()
    hist = kinds_meta["service"].pop("_history", {})
    years = kinds_meta["service"].pop("_service_years", [])
    if not hist:
        return None, None, {"service_years": years}
    by_year, acc, meta = year_tables(hist, years[-1], validated, nearest, coverage, graph, types)
    kinds_meta["service"]["history_files"] = [e for g in hist.values() for _, e in g]
    timings["service_years"] = round(time.perf_counter() - t0, 3)
    return by_year, acc, {"service_years": years, "change": meta}
