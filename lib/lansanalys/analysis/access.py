"""Access to service: distance from populated cells to service points, and indicators.

Distances are in metres in SWEREF 99 TM (EPSG:3006) unless a name says ``_km``. Nearest service is
searched nationally, never within a county only: people shop across county borders.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from lansanalys.analysis.resolution import (  # noqa: F401 - part of this module's API
    _UNITS,
    RESOLUTION_M,
    RESOLUTION_MIN,
    at_resolution,
    check_thresholds,
    classify,
    is_beyond,
    second_col,
    share_col,
    threshold_key,
)
from lansanalys.config import DEFAULT_THRESHOLDS_KM
from lansanalys.services import CASH_RULE_KM, CASH_RULE_LIMITS, SERVICE_TYPES


def nearest_points(
    cells_xy: np.ndarray, points_xy: np.ndarray, k: int = 2
) -> tuple[np.ndarray, np.ndarray]:
    """Straight-line distance from each cell to its ``k`` nearest points.

    Parameters
    ----------
    cells_xy, points_xy : ndarray of shape (n, 2)
        Coordinates in metres, same projected CRS (SWEREF 99 TM).
    k : int
        How many nearest points to return per cell (2 gives the second-nearest, read as
        vulnerability).

    Returns
    -------
    dist : ndarray (n, k)
        Distances in metres; ``inf`` where fewer than ``k`` points exist.
    idx : ndarray (n, k)
        Row positions in ``points_xy``; ``len(points_xy)`` where missing.

    Example
    -------
    >>> d, i = nearest_points(np.array([[0.0, 0.0]]), np.array([[3.0, 4.0], [10.0, 0.0]]))
    >>> d.tolist(), i.tolist()
    ([[5.0, 10.0]], [[0, 1]])
    """
    cells_xy = np.asarray(cells_xy, dtype=float)
    points_xy = np.asarray(points_xy, dtype=float)
    if (
        cells_xy.ndim != 2
        or cells_xy.shape[1] != 2
        or points_xy.ndim != 2
        or points_xy.shape[1] != 2
    ):
        raise ValueError("cells_xy and points_xy must be arrays of shape (n, 2) in metres")
    if len(points_xy) == 0:
        return (np.full((len(cells_xy), k), np.inf), np.full((len(cells_xy), k), 0))
    dist, idx = cKDTree(points_xy).query(cells_xy, k=k, workers=-1)
    if k == 1:
        dist, idx = dist[:, None], idx[:, None]
    return dist, idx


def nearest_table(cells: pd.DataFrame, points: pd.DataFrame) -> pd.DataFrame:
    """Nearest and second-nearest point of every service type for every cell.

    Parameters
    ----------
    cells : DataFrame
        ``cell_id, x, y`` (metres, SWEREF 99 TM).
    points : DataFrame
        ``point_id, service_type, x, y`` for the whole country.

    Returns
    -------
    DataFrame
        One row per cell × service type: ``cell_id, service_type, dist_m, point_id, dist2_m``
        (``dist2_m`` NaN when the type has a single point).
    """
    cxy = cells[["x", "y"]].to_numpy(dtype=float)
    frames = []
    for stype in SERVICE_TYPES:
        pts = points[points["service_type"] == stype]
        if pts.empty:
            continue
        dist, idx = nearest_points(cxy, pts[["x", "y"]].to_numpy(dtype=float), k=2)
        second = np.where(np.isfinite(dist[:, 1]), dist[:, 1], np.nan)
        frames.append(
            pd.DataFrame(
                {
                    "cell_id": cells["cell_id"].to_numpy(),
                    "service_type": stype,
                    "dist_m": dist[:, 0],
                    "point_id": pts["point_id"].to_numpy()[idx[:, 0]],
                    "dist2_m": second,
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


#: The one definition of "beyond" (Swedish, as the reports state it under *Om data och metod*;
#: docs/definitions.md quotes it word for word).
BEYOND_DEFINITION = (
    "Andel som bor längre bort än en gräns (t.ex. mer än 10 km eller mer än 10 minuter till "
    "närmaste dagligvarubutik): invånare som inte kan nå servicen via väg räknas som längre bort "
    "än varje gräns, i både täljaren och nämnaren, och redovisas dessutom för sig som ”ej nåbar "
    "via väg”. Den som bor exakt på gränsen räknas inte som längre bort: avstånd jämförs med "
    "gränsen avrundade till 0,1 meter och restider till 0,01 minut. Medel- och "
    "medianavstånd och restider avser de invånare som kan nå servicen."
)


#: The headline distance of the reports (km by road): "bor mer än 10 km från …" in cards, maps,
#: tables and rankings.
HEADLINE_KM = 10.0
#: The headline car time (minutes), as Tillväxtverket reports access to grocery stores.
HEADLINE_MIN = 10.0
#: The closure ranking: people a point's closure would push beyond this distance (km).
CLOSURE_KM = 10.0
#: Limits of the second-nearest indicator (km by road): the share of people whose
#: second-nearest point of a type is farther than each (how exposed they are to one closure).
SECOND_KM: tuple[float, ...] = (10.0, 20.0)


def beyond_thresholds(
    cell_dist: pd.DataFrame,
    by: str | Sequence[str],
    thresholds_km: Sequence[float] = DEFAULT_THRESHOLDS_KM,
    dist_col: str = "dist_m",
    pop_cols: Sequence[str] = ("population",),
    unit: str = "km",
    stats: bool = True,
) -> pd.DataFrame:
    """Population and share living more than each threshold from the nearest point.

    This is the one definition of "beyond" (:data:`BEYOND_DEFINITION`): a cell whose distance is
    missing or infinite cannot reach the service by road and counts as beyond *every* threshold,
    in the numerator as in the denominator; its people are also counted apart as unreachable.
    Mean and median are over the people who can reach the service.

    Parameters
    ----------
    cell_dist : DataFrame
        One row per cell × service type with ``service_type``, the grouping column(s), a
        distance column and the population column(s).
    by : str or list of str
        Grouping, e.g. ``"kommun_kod"`` or ``"lan_kod"``; ``service_type`` is always added.
    thresholds_km : sequence of float
        Thresholds in ``unit``; "beyond" means strictly more than the threshold at the stated
        resolution (:func:`is_beyond`: 0,1 m, 0,01 min).
    dist_col : str
        Distance column: metres when ``unit`` is ``"km"``, car minutes when it is ``"min"``.
        NaN (or inf) means unreachable.
    pop_cols : sequence of str
        Population columns to count (e.g. ``population`` and ``pop_70plus``). A column with a
        missing value in any cell of a group (SCB's open grid has no 70+ band) gives that group
        no figure for the column (NaN, shown as "uppgift saknas"), never a figure on part of it.
    unit : {"km", "min"}
        Unit of the thresholds and of the column names.
    stats : bool
        Also the mean and median (the costly part); without them those columns are left out.

    Returns
    -------
    DataFrame
        Per group × service type: the total of each population column, ``<pop>_unreachable``
        and ``<pop>_share_unreachable``, ``<pop>_over_<t><unit>`` counts (unreachable included)
        and ``<pop>_share_over_<t><unit>`` in percent, ``mean_<unit>`` and ``median_<unit>``
        (weighted by the first population column, reachable cells only) and
        ``<pop>_mean_<unit>``, ``<pop>_median_<unit>`` for the other columns.

    Example
    -------
    >>> df = pd.DataFrame({"k": ["a"] * 3, "service_type": ["apotek"] * 3,
    ...                    "dist_m": [2_000, 12_000, np.nan], "population": [10, 20, 30]})
    >>> out = beyond_thresholds(df, "k", (10,)).iloc[0]
    >>> float(out["population_over_10km"]), float(out["population_unreachable"])
    (50.0, 30.0)
    """
    if unit not in _UNITS:
        raise ValueError(f"unit must be one of {list(_UNITS)}, not {unit!r}")
    thresholds = check_thresholds(thresholds_km, unit)
    keys = [by] if isinstance(by, str) else list(by)
    keys = keys + ["service_type"]
    df = cell_dist
    value = df[dist_col].astype(float).to_numpy() / _UNITS[unit]
    reach = np.isfinite(value)
    work = df[keys].copy()
    agg: dict[str, str] = {}
    for pc in pop_cols:
        pop = df[pc].astype(float).to_numpy()
        work[f"_{pc}_missing"] = np.isnan(pop)
        agg[f"_{pc}_missing"] = "any"
        pop = np.nan_to_num(pop)
        work[pc] = pop
        agg[pc] = "sum"
        work[f"{pc}_unreachable"] = np.where(reach, 0.0, pop)
        agg[f"{pc}_unreachable"] = "sum"
        for t in thresholds:
            col = f"{pc}_over_{threshold_key(t, unit)}{unit}"
            # Unreachable counts as beyond every threshold (is_beyond says so for NaN and inf).
            work[col] = np.where(is_beyond(value, t, unit), pop, 0.0)
            agg[col] = "sum"
    out = work.groupby(keys, sort=True).agg(agg)
    for pc in pop_cols:
        total = out[pc].where(out[pc] > 0)
        made = [pc, f"{pc}_unreachable", f"{pc}_share_unreachable"]
        out[f"{pc}_share_unreachable"] = 100 * out[f"{pc}_unreachable"] / total
        for t in thresholds:
            col = f"{pc}_over_{threshold_key(t, unit)}{unit}"
            share = share_col(t, pc, unit)
            out[share] = 100 * out[col] / total
            made += [col, share]
        if stats:
            w = df[pc].astype(float).to_numpy()
            st = weighted_stats(df[reach], keys, value[reach], w[reach]).reindex(out.index)
            prefix = "" if pc == pop_cols[0] else f"{pc}_"
            out[f"{prefix}mean_{unit}"] = st["mean"]
            out[f"{prefix}median_{unit}"] = st["median"]
            made += [f"{prefix}mean_{unit}", f"{prefix}median_{unit}"]
        # Partial data gives no figure: a group with a missing count in any cell shows none.
        missing = out.pop(f"_{pc}_missing").astype(bool)
        out.loc[missing, made] = np.nan
    return out.reset_index()


def weighted_stats(
    df: pd.DataFrame, keys: list[str], value: np.ndarray, weight: np.ndarray
) -> pd.DataFrame:
    """Population-weighted mean and median of ``value`` per group of ``keys``.

    Rows with a NaN value (unreachable cells) must be left out by the caller: the result is over
    the people who can reach the service. The median is the value half the people live within
    (the lower weighted median). A group whose weights are all zero, or with a missing (NaN)
    weight in any row, has no mean and no median (NaN), never the smallest value.
    """
    w = np.asarray(weight, dtype=float)
    v = np.asarray(value, dtype=float)
    tmp = df[keys].copy()
    tmp["_wv"], tmp["_w"], tmp["_na"] = v * np.nan_to_num(w), np.nan_to_num(w), np.isnan(w)
    g = tmp.groupby(keys, sort=True)
    total = g["_w"].sum()
    bad = g["_na"].any() | (total <= 0)
    mean = (g["_wv"].sum() / total.where(total > 0)).where(~bad)
    median = _weighted_median(df, keys, v, np.nan_to_num(w)).reindex(mean.index).where(~bad)
    return pd.DataFrame({"mean": mean, "median": median})


def access_classes(
    cell_dist: pd.DataFrame,
    by: str,
    bounds: Sequence[float],
    value_col: str,
    unit: str,
    pop_col: str = "population",
) -> pd.DataFrame:
    """Population and share in each access class, with unreachable cells as a class of their own.

    Parameters
    ----------
    cell_dist : DataFrame
        One row per cell × service type with ``service_type``, ``by``, ``value_col`` (NaN where
        the cell cannot reach the type) and ``pop_col``.
    bounds : sequence of float
        Upper bounds of the classes in ``unit``; ``(5, 10, 30)`` gives 0–5, 5–10, 10–30 and > 30.
        A value equal to a bound at the stated resolution (:func:`classify`: 0,1 m, 0,01 min)
        belongs to the lower class.
    value_col : str
        Column to classify, already in ``unit`` (e.g. ``road_km`` or ``road_min``).
    unit : {"km", "min"}
        Unit of ``value_col`` and the bounds, used in the class labels.

    Returns
    -------
    DataFrame
        Per ``by`` × service type × class: ``klass`` (label, e.g. "5–10 min" or "ej nåbar"),
        ``order`` (0 = nearest class; unreachable last), ``lower``, ``upper``, ``population`` and
        ``share`` (percent of the group's whole population, unreachable included).
    """
    if not len(bounds) or min(bounds) <= 0:
        raise ValueError("class bounds must be positive numbers, e.g. (5, 10, 30)")
    bounds = sorted(check_thresholds(tuple(bounds), unit))
    edges = [0.0, *bounds, np.inf]
    labels = [f"{lo:g}–{hi:g} {unit}" for lo, hi in zip(edges[:-2], edges[1:-1], strict=True)]
    labels.append(f"> {bounds[-1]:g} {unit}")
    val = cell_dist[value_col].to_numpy(dtype=float)
    cls = classify(val, bounds, unit)  # unreachable: len(labels), the last class
    work = cell_dist[[by, "service_type"]].copy()
    work["order"] = cls
    work["population"] = cell_dist[pop_col].fillna(0).to_numpy(dtype=float)
    out = work.groupby([by, "service_type", "order"], sort=True)["population"].sum()
    full = pd.MultiIndex.from_product(
        [out.index.levels[0], out.index.levels[1], range(len(labels) + 1)],
        names=[by, "service_type", "order"],
    )
    out = out.reindex(full, fill_value=0.0).reset_index()
    total = out.groupby([by, "service_type"])["population"].transform("sum")
    out["share"] = 100 * out["population"] / total.where(total > 0)
    all_labels = [*labels, "ej nåbar"]
    out["klass"] = out["order"].map(dict(enumerate(all_labels)))
    out["lower"] = out["order"].map(dict(enumerate([*edges[:-1], np.nan])))
    out["upper"] = out["order"].map(dict(enumerate([*edges[1:], np.nan])))
    out["unit"] = unit
    return out[
        [by, "service_type", "klass", "order", "lower", "upper", "unit", "population", "share"]
    ]


def _weighted_median(
    df: pd.DataFrame, keys: list[str], d_km: np.ndarray, weight: np.ndarray
) -> pd.Series:
    """Population-weighted median distance per group (the distance half the people live within)."""
    tmp = df[keys].copy()
    tmp["_d"], tmp["_w"] = d_km, weight
    tmp = tmp.sort_values(keys + ["_d"])
    tmp["_cw"] = tmp.groupby(keys)["_w"].cumsum()
    half = tmp.groupby(keys)["_w"].transform("sum") / 2
    first = tmp[tmp["_cw"] >= half].groupby(keys)["_d"].first()
    return first


def most_critical_first(closure: pd.DataFrame) -> pd.DataFrame:
    """Closure-ranked points, the most critical first: most people pushed beyond the limit,
    then most people served, then point id (one order for every table, map and list)."""
    return closure.sort_values(
        ["pushed_beyond", "served", "point_id"], ascending=[False, False, True], kind="stable"
    )


def closure_ranking(
    cells_xy: np.ndarray,
    population: np.ndarray,
    points_xy: np.ndarray,
    threshold_m: float,
    dist_fn=None,
) -> pd.DataFrame:
    """For every point: how many people would live beyond ``threshold_m`` if it alone closed.

    One nearest/second-nearest query answers the question for all points at once: when a cell's
    nearest point closes, its new nearest is its second-nearest. People already beyond the
    threshold are not counted (they were not pushed out by this closure).

    Parameters
    ----------
    cells_xy, points_xy : ndarray (n, 2)
        Metres, same projected CRS.
    population : ndarray (n,)
        People per cell.
    threshold_m : float
        Distance limit in metres ("beyond" = strictly more than at the stated resolution,
        :func:`is_beyond`: a second-nearest exactly at the limit does not push a cell out).
    dist_fn : callable, optional
        ``dist_fn(cells_xy, points_xy) -> (dist (n, 2), idx (n, 2))``; default straight line
        (:func:`nearest_points`). The build passes the road network's nearest and
        second-nearest (:meth:`lansanalys.analysis.network.RoadNetwork.nearest_two`); NaN or inf
        is "cannot be reached", index -1 "no point".

    Returns
    -------
    DataFrame
        ``point``, ``pushed_beyond`` (people), ``served`` (people whose nearest it is), sorted with
        the most critical point first.
    """
    dist_fn = dist_fn or (lambda c, p: nearest_points(c, p, k=2))
    dist, idx = dist_fn(cells_xy, points_xy)
    # No second point (NaN or inf) is beyond every limit; a cell with no point serves none.
    dist = np.where(np.isnan(dist), np.inf, dist)
    pop = np.asarray(population, dtype=float)
    has = idx[:, 0] >= 0
    pushed = ~is_beyond(dist[:, 0], threshold_m, "m") & is_beyond(dist[:, 1], threshold_m, "m")
    n = len(points_xy)
    first = idx[has, 0]
    out = pd.DataFrame(
        {
            "point": np.arange(n),
            "pushed_beyond": np.bincount(first, weights=(pop * pushed)[has], minlength=n)[:n],
            "served": np.bincount(first, weights=pop[has], minlength=n)[:n],
        }
    )
    return out.sort_values(["pushed_beyond", "served"], ascending=False, kind="stable").reset_index(
        drop=True
    )


def what_if(
    cells: pd.DataFrame,
    points: pd.DataFrame,
    remove: list[str] | None = None,
    add: pd.DataFrame | None = None,
    move: dict[str, tuple[float, float]] | None = None,
    net=None,
    service_types: list[str] | None = None,
) -> pd.DataFrame:
    """Recompute nearest distances after closing, opening or moving service points.

    Parameters
    ----------
    cells : DataFrame
        ``cell_id, x, y`` (metres, SWEREF 99 TM).
    points : DataFrame
        ``point_id, service_type, x, y``.
    remove : list of str, optional
        Point ids to close.
    add : DataFrame, optional
        New points: ``point_id, service_type, x, y``.
    move : dict, optional
        Point id → new ``(x, y)`` in metres.
    net : RoadNetwork, optional
        Recompute along this road network (``road_m`` in metres, ``road_min`` in car minutes)
        instead of straight-line (``dist_m``).
    service_types : list of str, optional
        Only these types (saves time when one type changes).

    Returns
    -------
    DataFrame
        :func:`nearest_table` (straight-line) or
        :func:`lansanalys.analysis.network.nearest_by_type` (road) for the new set of points. A type whose
        last point was removed has rows with NaN distances (and ``reachable`` False by road).
    """
    pts = points.copy()
    known = set(pts["point_id"])
    unknown = [p for p in [*(remove or []), *(move or {})] if p not in known]
    if unknown:
        raise KeyError(f"unknown point id(s): {unknown}")
    if remove:
        pts = pts[~pts["point_id"].isin(remove)]
    for pid, (x, y) in (move or {}).items():
        pts.loc[pts["point_id"] == pid, ["x", "y"]] = (x, y)
    if add is not None and len(add):
        pts = pd.concat([pts, add[["point_id", "service_type", "x", "y"]]], ignore_index=True)
    # Every type asked for (or that had a point) gets rows, also one whose last point closed.
    wanted = (
        list(service_types)
        if service_types is not None
        else sorted(points["service_type"].unique())
    )
    pts = pts[pts["service_type"].isin(wanted)]
    if net is not None:
        from lansanalys.analysis.network import nearest_by_type

        return nearest_by_type(net, cells, pts, wanted, second=False)
    found = [t for t in wanted if (pts["service_type"] == t).any()]
    parts = [nearest_table(cells, pts)] if found else []
    for t in wanted:
        if t not in found:  # no point left: nothing is near, never 0 km
            parts.append(
                pd.DataFrame(
                    {
                        "cell_id": cells["cell_id"].to_numpy(),
                        "service_type": t,
                        "dist_m": np.nan,
                        "point_id": None,
                        "dist2_m": np.nan,
                    }
                )
            )
    return pd.concat(parts, ignore_index=True)


def cash_rule(cell_dist: pd.DataFrame, by: str, dist_col: str = "dist_m") -> pd.DataFrame:
    """Check the cash-access rule per area: share more than 25 km away against the legal limit.

    ``cell_dist`` is one row per cell × service type with ``service_type``, ``by``, ``dist_col``
    (metres; the law means by road, so pass ``road_m`` when a network is built) and
    ``population``. Cells that cannot reach the service by road count as beyond 25 km (the one
    definition of :func:`beyond_thresholds`) and are also reported in ``unreachable``. Returns
    per area and service type: ``population``, ``over_25km``, ``share_over_25km`` (percent),
    ``limit_pct`` and ``within_limit``.
    """
    df = cell_dist[cell_dist["service_type"].isin(list(CASH_RULE_LIMITS))]
    # The same definition of "beyond" as every other access figure: unreachable counts as beyond.
    out = beyond_thresholds(df, by, (CASH_RULE_KM,), dist_col=dist_col)
    out["unreachable"] = out["population_unreachable"]
    out["over_25km"] = out["population_over_25km"]
    out["share_over_25km"] = out["population_share_over_25km"]
    out["limit_pct"] = out["service_type"].map(CASH_RULE_LIMITS)
    out["within_limit"] = out["share_over_25km"] <= out["limit_pct"]
    return out[
        [
            by,
            "service_type",
            "population",
            "over_25km",
            "unreachable",
            "share_over_25km",
            "limit_pct",
            "within_limit",
        ]
    ]
