"""The access tables of the build: area indicators filled for every area, access classes and the
closure ranking.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

from lansanalys.analysis import access, network
from lansanalys.analysis.indicators import area_indicators
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


def _closure_tables(
    nearest: pd.DataFrame, cells: pd.DataFrame, points: pd.DataFrame, coverage: pd.DataFrame
) -> pd.DataFrame:
    """For every point of every type: people pushed beyond :data:`CLOSURE_KM` by road if it
    alone closed, and the people whose nearest it is (national).

    From the nearest table's nearest and second-nearest point by road: a cell whose nearest
    point closes goes to its second-nearest (``road2_m``), exactly what a full recomputation
    without the point gives. Only people in län with data of the type count: elsewhere the
    files do not hold the nearest point, so nobody there can be said to be pushed out.
    """
    pop = cells.set_index("cell_id")["population"]
    frames = []
    for stype, pts in points.groupby("service_type"):
        ok = coverage.loc[coverage["covered"] & (coverage["service_type"] == stype), "lan_kod"]
        near = nearest[(nearest["service_type"] == stype) & nearest["lan_kod"].isin(set(ok))]
        pos = pd.Series(np.arange(len(pts)), index=pts["point_id"].to_numpy())
        idx = np.column_stack(
            [
                pos.reindex(near["road_point_id"]).fillna(-1).to_numpy(dtype=np.int64),
                pos.reindex(near["road2_point_id"]).fillna(-1).to_numpy(dtype=np.int64),
            ]
        )
        dist = near[["road_m", "road2_m"]].to_numpy(dtype=float)
        rank = access.closure_ranking(
            near[[]].to_numpy(),
            pop.reindex(near["cell_id"]).to_numpy(dtype=float),
            pts[["x", "y"]].to_numpy(dtype=float),
            access.CLOSURE_KM * 1000,
            dist_fn=lambda _c, _p, d=dist, i=idx: (d, i),
        )
        info = pts.iloc[rank["point"].to_numpy()][
            ["point_id", "name", "label", "kommun_kod", "lan_kod"]
        ].reset_index(drop=True)
        frames.append(
            pd.concat([info, rank[["pushed_beyond", "served"]]], axis=1).assign(service_type=stype)
        )
    if not frames:
        return pd.DataFrame(
            columns=["point_id", "name", "label", "kommun_kod", "lan_kod"]
            + ["pushed_beyond", "served", "service_type"]
        )
    return pd.concat(frames, ignore_index=True)


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
