"""The access tables of the build: area indicators filled for every area, access classes and the
closure ranking.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from lansanalys import geo
from lansanalys.analysis import access, network
from lansanalys.analysis.indicators import area_indicators
from lansanalys.config import CRS_METRIC
from lansanalys.pipeline.inputs import _validate
from lansanalys.services import SERVICE_TYPES
from lansanalys.sources import vagnat

log = logging.getLogger(__name__)


def _fill_areas(df: pd.DataFrame, keys: list[str], full: pd.MultiIndex) -> pd.DataFrame:
    """Rows for every area × type of ``full``; areas without coverage get NaN, never a figure."""
    flags = [c for c in df.columns if c not in keys and df[c].dtype == bool]
    out = df.set_index(keys).reindex(full).reset_index()
    for col in flags:  # the flag of an area without data is unknown, not False
        out[col] = out[col].astype("boolean")
    return out


def road_stretch(nodes: pd.DataFrame, edges: pd.DataFrame) -> float:
    """How many times shorter than the straight line a trip along the roads can be, at most.

    The largest ratio of a link's straight line to its length (1 when every link is at least
    as long as the straight line between its nodes, as for links measured along their
    geometry). Connectors from a location to the road are straight, so a road trip is never
    shorter than the straight line divided by this.
    """
    if edges.empty:
        return 1.0
    x, y = nodes["x"].to_numpy(dtype=float), nodes["y"].to_numpy(dtype=float)
    u, v = edges["u"].to_numpy(dtype=np.int64), edges["v"].to_numpy(dtype=np.int64)
    chord = np.hypot(x[u] - x[v], y[u] - y[v])
    return float(max(1.0, np.max(chord / edges["length_m"].to_numpy(dtype=float))))


#: Subtracted (m) from the straight-line distance to where points may be missing, for rounding
#: in the geometry and in the road sums: a bound must never be too large.
_BOUND_SLACK_M = 1.0


@lru_cache(maxsize=1)
def _point_domain() -> BaseGeometry:
    """Where a service point can lie: in a kommun or within the coast tolerance of one."""
    return geo.kommun_geometry(CRS_METRIC).union_all().buffer(geo.COAST_TOLERANCE_M)


def _missing_bound(xy: np.ndarray, zone: BaseGeometry | None, stretch: float) -> np.ndarray:
    """For each location, a road distance (m) below which no point missing from the files can
    lie: the straight line to the nearest place outside ``zone`` (where the files hold every
    point) that a point could be, over the road stretch; 0 outside the zone."""
    out = np.zeros(len(xy))
    if zone is None or len(xy) == 0:
        return out
    inside = shapely.contains_xy(zone, xy[:, 0], xy[:, 1])
    if not inside.any():
        return out
    missing_area = _point_domain().difference(zone)
    if missing_area.is_empty:
        out[inside] = np.inf
        return out
    dist = shapely.distance(missing_area, shapely.points(xy[inside]))
    out[inside] = np.maximum(dist - _BOUND_SLACK_M, 0.0) / stretch
    return out


def _closure_tables(
    nearest: pd.DataFrame,
    cells: pd.DataFrame,
    points: pd.DataFrame,
    coverage: pd.DataFrame,
    zones: dict[str, BaseGeometry] | None = None,
    stretch: float = 1.0,
) -> pd.DataFrame:
    """For every point of every type: people pushed beyond :data:`CLOSURE_KM` by road if it
    alone closed, the people whose nearest it is, and whether the files answer both.

    From the nearest table's nearest and second-nearest point by road: a cell whose nearest
    point closes goes to its second-nearest (``road2_m``), exactly what a full recomputation
    without the point gives. People are counted wherever they live, as long as the files
    vouch for the cell's nearest and second-nearest point:

    - in a län with data of the type (coverage), as the access tables count them;
    - elsewhere, where no point missing from the files could change the answer: a missing
      point lies outside ``zones`` (covered län and declared buffer zones,
      :func:`lansanalys.pipeline.coverage.complete_zones`), so it is at least as far by road as
      the straight line to there over ``stretch`` (:func:`road_stretch`). The nearest is sure
      when it is nearer than that; whether the cell would be pushed beyond the limit is sure
      when the answer is the same with a missing point at that distance or none at all.

    A point one of whose cells is not sure gets ``complete`` False: its figures count the sure
    cells only (never more than the national figures), and the reports should say the figure
    is missing rather than show it. A file of a län and a buffer zone (``fetch service``
    declares ``lan`` and ``buffer_km``) answers for the län's points unless people at the
    zone's edge have one as their nearest.

    Parameters
    ----------
    nearest : DataFrame
        The nearest table of every cell (not only the covered ones): ``cell_id, service_type,
        lan_kod, road_m, road_point_id, road2_m, road2_point_id``.
    cells : DataFrame
        ``cell_id, x, y, population``.
    points : DataFrame
        ``point_id, service_type, name, label, kommun_kod, lan_kod``.
    coverage : DataFrame
        :func:`lansanalys.pipeline.coverage.service_coverage`'s table.
    zones : dict, optional
        Service type → area where the files hold every point; default the covered län only
        (nothing is sure outside them).
    stretch : float
        :func:`road_stretch` of the network ``nearest`` was measured on.

    Returns
    -------
    DataFrame
        ``point_id, name, label, kommun_kod, lan_kod, pushed_beyond, served, service_type,
        complete``; per type the most critical point first.
    """
    cell = cells.set_index("cell_id")
    frames = []
    for stype, pts in points.groupby("service_type"):
        ok = coverage.loc[coverage["covered"] & (coverage["service_type"] == stype), "lan_kod"]
        near = nearest[nearest["service_type"] == stype]
        pos = pd.Series(np.arange(len(pts)), index=pts["point_id"].to_numpy())
        first = pos.reindex(near["road_point_id"]).fillna(-1).to_numpy(dtype=np.int64)
        second = pos.reindex(near["road2_point_id"]).fillna(-1).to_numpy(dtype=np.int64)
        d1 = near["road_m"].to_numpy(dtype=float)
        d2 = near["road2_m"].to_numpy(dtype=float)
        d2 = np.where(np.isnan(d2), np.inf, d2)  # no second point: beyond every limit
        pop = cell["population"].reindex(near["cell_id"]).to_numpy(dtype=float)
        # Below this road distance no point missing from the files can lie (inf: none can).
        bound = np.full(len(near), np.inf)
        other = ~near["lan_kod"].isin(set(ok)).to_numpy()
        if other.any():
            xy = cell[["x", "y"]].reindex(near["cell_id"][other]).to_numpy(dtype=float)
            zone = zones.get(stype) if zones is not None else _covered_area(set(ok))
            bound[other] = _missing_bound(xy, zone, stretch)
        sure = d1 < bound  # the nearest point in the files is the nearest there is

        # What the files vouch for: sure cells only, the second-nearest no further than a
        # missing point could be. As if the files held every point: every cell as measured.
        # Each cell counts at most as much in the first as in the second, so equal sums mean
        # every cell of the point was sure.
        low = _rank(pop, len(pts), np.where(sure, first, -1), second, d1, np.minimum(d2, bound))
        high = _rank(pop, len(pts), first, second, d1, d2).reindex(low.index)
        complete = (low["served"] == high["served"]) & (
            low["pushed_beyond"] == high["pushed_beyond"]
        )
        info = pts.iloc[low.index.to_numpy()][
            ["point_id", "name", "label", "kommun_kod", "lan_kod"]
        ].reset_index(drop=True)
        frames.append(
            pd.concat(
                [info, low[["pushed_beyond", "served"]].reset_index(drop=True)], axis=1
            ).assign(service_type=stype, complete=complete.to_numpy(dtype=bool))
        )
    if not frames:
        return pd.DataFrame(
            columns=["point_id", "name", "label", "kommun_kod", "lan_kod"]
            + ["pushed_beyond", "served", "service_type", "complete"]
        )
    return _validate("closure", pd.concat(frames, ignore_index=True))


def _rank(
    pop: np.ndarray, n_points: int, first: np.ndarray, second: np.ndarray, d1, d2
) -> pd.DataFrame:
    """:func:`lansanalys.analysis.access.closure_ranking` on given nearest and second-nearest
    points (index, -1 for none) and road distances, indexed by point."""
    dist, idx = np.column_stack([d1, d2]), np.column_stack([first, second])
    return access.closure_ranking(
        np.zeros((len(pop), 2)),
        pop,
        np.zeros((n_points, 2)),
        access.CLOSURE_KM * 1000,
        dist_fn=lambda _c, _p: (dist, idx),
    ).set_index("point")


def _covered_area(lans: set[str]) -> BaseGeometry | None:
    """The covered län as one area (None when there are none)."""
    if not lans:
        return None
    lan = geo.lan_geometry(CRS_METRIC)
    return lan[lan["lan_kod"].isin(lans)].union_all()


def _fill_classes(part: pd.DataFrame, key: str, full: pd.MultiIndex) -> pd.DataFrame:
    """Class rows for every area × type of ``full``; areas without coverage get NaN people."""
    have = pd.MultiIndex.from_frame(part[[key, "service_type"]].drop_duplicates())
    missing = full.difference(have)
    if missing.empty:
        return part
    labels = part.drop_duplicates(["service_type", "order"])[
        ["service_type", "klass", "order", "lower", "upper", "unit"]
    ]
    gaps = missing.to_frame(index=False).merge(labels, on="service_type")
    gaps = gaps.assign(population=np.nan, share=np.nan)[part.columns]
    return pd.concat([part, gaps], ignore_index=True)


def nearest_table(
    validated: dict[str, pd.DataFrame], road_lines: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, dict[str, float]]:
    """Nearest point of each type for every cell, straight-line and along the roads, with the
    cell's kommun and län (reports read only their own rows); the road graph; timings (s)."""
    t_near = time.perf_counter()
    nearest = access.nearest_table(validated["rutor"], validated["service"])
    t_near = time.perf_counter() - t_near
    cells = validated["rutor"].set_index("cell_id")
    nearest["kommun_kod"] = cells["kommun_kod"].reindex(nearest["cell_id"]).to_numpy()
    nearest["lan_kod"] = cells["lan_kod"].reindex(nearest["cell_id"]).to_numpy()
    t_road = time.perf_counter()
    nodes, edges = vagnat.graph_from_segments(road_lines)
    net = network.load_network(nodes, edges)
    road = network.nearest_by_type(net, validated["rutor"], validated["service"])
    nearest = nearest.merge(road, on=["cell_id", "service_type"], how="left", validate="1:1")
    nearest["reachable"] = nearest["reachable"].fillna(False).astype(bool)
    t_road = time.perf_counter() - t_road
    nearest = _validate("nearest", nearest)
    log.info("road network: %d nodes, %d links, nearest in %.1f s", len(nodes), len(edges), t_road)
    return nearest, nodes, edges, {"nearest": round(t_near, 3), "road_nearest": round(t_road, 3)}


def indicator_table(bef: pd.DataFrame, acc: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Headline indicators of every län and kommun, riket as län "00", computed once here so a
    report only filters (:func:`lansanalys.analysis.indicators.area_indicators`; ``span`` is the
    number of years the change is over)."""
    parts = []
    for level, key in (("lan", "lan_kod"), ("kommun", "kommun_kod")):
        ind = area_indicators(bef, key, acc[level], acc["riket"])
        span = ind.attrs["span"]
        if level == "kommun":
            ind = ind.drop(index="00")
        parts.append(ind.rename_axis("code").reset_index().assign(level=level, span=span))
    out = pd.concat(parts, ignore_index=True)
    out["lan_kod"] = out["code"].str[:2]
    return out


@dataclass
class Measured:
    """The cells measured for each service type: only those of a län with data of the type."""

    #: cell × type, with population and 70+ (and the cell's kommungrupp where there is one).
    cell_dist: pd.DataFrame
    #: The nearest table, covered rows only.
    nearest: pd.DataFrame
    #: (column, level name) of each level indicators are computed for.
    levels: list[tuple[str, str]]
    #: Every kommun and län × measured type: areas without coverage get rows of NaN.
    full: dict[str, pd.MultiIndex]
    #: Types with data somewhere, in report order.
    types: list[str]


def measured_cells(
    nearest: pd.DataFrame,
    rutor: pd.DataFrame,
    coverage: pd.DataFrame,
    klassning: pd.DataFrame | None,
) -> Measured:
    """Join population to the nearest table and keep the covered län × type only: elsewhere the
    nearest point in the files is not the nearest point there is (those areas get NaN)."""
    cells = rutor.set_index("cell_id")
    cell_dist = nearest.merge(
        cells[["population", "pop_70plus"]],
        left_on="cell_id",
        right_index=True,
        how="left",
        validate="m:1",
    )
    cell_dist["pop_70plus"] = cell_dist["pop_70plus"].astype("Float64")
    cov = coverage.loc[coverage["covered"], ["lan_kod", "service_type"]]
    in_cov = pd.MultiIndex.from_frame(cell_dist[["lan_kod", "service_type"]]).isin(
        pd.MultiIndex.from_frame(cov)
    )
    all_cells = cell_dist
    cell_dist = cell_dist[in_cov].reset_index(drop=True)
    types = [t for t in SERVICE_TYPES if t in set(cell_dist["service_type"])]
    full = {
        key: pd.MultiIndex.from_product(
            [sorted(set(all_cells[key].dropna())), types], names=[key, "service_type"]
        )
        for key in ("kommun_kod", "lan_kod")
    }
    cell_dist["riket"] = "00"
    levels = [("kommun_kod", "kommun"), ("lan_kod", "lan"), ("riket", "riket")]
    if klassning is not None:
        grp = klassning.drop_duplicates("kommun_kod").set_index("kommun_kod")
        cell_dist["kommungrupp"] = cell_dist["kommun_kod"].map(grp["class_name"])
        levels.append(("kommungrupp", "kommungrupp"))
    return Measured(cell_dist, nearest[in_cov].reset_index(drop=True), levels, full, types)


#: Population columns every access indicator is given for.
POP_COLS = ["population", "pop_70plus"]


def access_indicator_tables(m: Measured) -> dict[str, pd.DataFrame]:
    """Per level (kommun, lan, riket, kommungrupp) × type: shares beyond the thresholds by road
    (km) and mean and median car minutes over the cells that reach the service."""
    cd = m.cell_dist
    acc = {
        level: access.beyond_thresholds(cd, key, dist_col="road_m", pop_cols=POP_COLS)
        for key, level in m.levels
    }
    if "road_min" in cd and cd["road_min"].notna().any():
        # The headline car-time limit too, which every report shows (the reports compute any
        # other limit from the cells with the same function).
        for key, level in m.levels:
            mins = access.beyond_thresholds(
                cd, key, (access.HEADLINE_MIN,), dist_col="road_min", pop_cols=POP_COLS, unit="min"
            )
            made = [c for c in mins if "_over_" in c and c.endswith("min")]
            acc[level] = acc[level].merge(mins[[key, "service_type", *made]], how="left")
    if "road2_m" in cd:
        # The second-nearest point by road beyond SECOND_KM: the same definition of "beyond"
        # (no second point reachable counts as beyond), on the second-nearest's distance.
        for key, level in m.levels:
            sec = access.beyond_thresholds(
                cd, key, access.SECOND_KM, dist_col="road2_m", pop_cols=POP_COLS
            )
            ren = {
                c: c.replace("_over_", "_second_over_")
                for c in sec
                if "_over_" in c and c.endswith("km")
            }
            sec = sec[[key, "service_type", *ren]].rename(columns=ren)
            acc[level] = acc[level].merge(sec, on=[key, "service_type"], how="left")
    reach = cd["reachable"].to_numpy()
    for key, level in m.levels:
        for pc, prefix in (("population", ""), ("pop_70plus", "pop_70plus_")):
            st = access.weighted_stats(
                cd[reach],
                [key, "service_type"],
                cd.loc[reach, "road_min"].to_numpy(dtype=float),
                # Missing counts (no 70+ band in the grid) stay missing: no figure, not 0.
                cd.loc[reach, pc].astype(float).to_numpy(),
            )
            acc[level] = acc[level].merge(
                st.rename(columns={"mean": f"{prefix}mean_min", "median": f"{prefix}median_min"}),
                left_on=[key, "service_type"],
                right_index=True,
                how="left",
            )
    acc["kommun"] = _fill_areas(acc["kommun"], ["kommun_kod", "service_type"], m.full["kommun_kod"])
    acc["lan"] = _fill_areas(acc["lan"], ["lan_kod", "service_type"], m.full["lan_kod"])
    return acc


def cash_table(m: Measured) -> pd.DataFrame:
    """The cash rule per area and level (none when the files hold no cash service)."""
    cash_types = [t for t in access.CASH_RULE_LIMITS if t in m.types]
    parts = []
    for key, level in m.levels if cash_types else []:
        part = access.cash_rule(m.cell_dist, key, dist_col="road_m")
        if key in m.full:
            index = pd.MultiIndex.from_product(
                [m.full[key].levels[0], cash_types], names=[key, "service_type"]
            )
            part = _fill_areas(part, [key, "service_type"], index)
        parts.append(part.rename(columns={key: "code"}).assign(level=level))
    if parts:
        return pd.concat(parts, ignore_index=True)
    return pd.DataFrame(
        columns=["code", "service_type", "population", "over_25km", "unreachable"]
        + ["share_over_25km", "limit_pct", "within_limit", "level"]
    )


def class_table(
    m: Measured, classes_km: tuple[float, ...], classes_min: tuple[float, ...]
) -> pd.DataFrame:
    """Population per access class: by road km, car minutes and straight-line km, every level."""
    cd = m.cell_dist
    cd["road_km"] = cd["road_m"] / 1000.0
    cd["straight_km"] = cd["dist_m"] / 1000.0
    classes = []
    for key, level in m.levels:
        for col, bounds, unit, metric in (
            ("road_km", classes_km, "km", "väg"),
            ("road_min", classes_min, "min", "bil"),
            ("straight_km", classes_km, "km", "fågelvägen"),
        ):
            for pop_col in POP_COLS:
                part = access.access_classes(cd, key, bounds, col, unit, pop_col=pop_col)
                if key in m.full:
                    part = _fill_classes(part, key, m.full[key])
                classes.append(
                    part.rename(columns={key: "code"}).assign(
                        level=level, metric=metric, pop_col=pop_col
                    )
                )
    return pd.concat(classes, ignore_index=True)
