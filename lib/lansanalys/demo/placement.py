"""Demo service points placed by settlement hierarchy, as real ones are, then filled in where
people live far from every point, until the national shares reach published levels.

1. **Settlements.** GeoNames places (≥ 500 inhabitants) with the demo's own population within
   :data:`SETTLEMENT_RADIUS_M`; each kommun's centre is the place named as the kommun (else its
   largest place, else its most populous cell).
2. **Hierarchy** (:data:`TIERS`): a kommun centre has every service, a town (at least
   :data:`TOWN_SIZE` people) the everyday ones, a village may have a shop, an ombud or nothing.
   Larger settlements get more points (one per :data:`PEOPLE_PER_POINT` people).
3. **Gap filling** (:data:`GAPS`): where more than a share of the country lives farther than a
   straight-line radius from every point of a type, a rural shop, ombud or machine is added
   where it reaches most of those people, greedily, until the share is met. The radii are set
   so that the build's *road* figures land near the published ones (Tillväxtverket: about 1,5 %
   more than 10 minutes by car from a grocery store; PTS: about 0,25 % beyond 25 km from cash
   withdrawal and about 1 % from a day-cash deposit); ``tests/demo/test_calibration.py`` checks
   them on the built demo.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from lansanalys import geo
from lansanalys.services import pipos_type

#: People living within this distance of a place count as the settlement's size.
SETTLEMENT_RADIUS_M = 2500.0
#: A settlement with at least this many people is a town (else a village).
TOWN_SIZE = 3000
#: A larger town has one more point of a label per this many people.
PEOPLE_PER_POINT: dict[str, int] = {
    "Dagligvaror, fullsortiment": 4000,
    "Dagligvaror, övrigt": 7000,
    "Drivmedel": 7000,
    "Apotek": 9000,
    "Apoteksombud": 10**9,
    "Postombud": 12000,
    "Paketautomat": 5000,
    "Kontantuttag": 7000,
    "Betalningsförmedling": 30000,
    "Dagskasseinsättning": 30000,
}


@dataclass(frozen=True)
class Tier:
    """Which labels a settlement of a tier has, each with a probability."""

    labels: dict[str, float]


TIERS: dict[str, Tier] = {
    "centre": Tier({label: 1.0 for label in PEOPLE_PER_POINT if label != "Apoteksombud"}),
    "town": Tier(
        {
            "Dagligvaror, fullsortiment": 1.0,
            "Dagligvaror, övrigt": 0.8,
            "Drivmedel": 1.0,
            "Apotek": 0.9,
            "Apoteksombud": 0.1,
            "Postombud": 1.0,
            "Paketautomat": 0.9,
            "Kontantuttag": 0.9,
            "Betalningsförmedling": 0.3,
            "Dagskasseinsättning": 0.3,
        }
    ),
    "village": Tier(
        {
            "Dagligvaror, övrigt": 0.85,
            "Drivmedel": 0.5,
            "Apoteksombud": 0.45,
            "Postombud": 0.6,
            "Paketautomat": 0.25,
            "Kontantuttag": 0.3,
            "Betalningsförmedling": 0.1,
        }
    ),
}


@dataclass(frozen=True)
class Gap:
    """Fill the label's service type until at most ``share`` of the people live beyond
    ``radius_m`` (straight line) from its points (of every label of the type)."""

    radius_m: float
    share: float


#: Gap filling: the label added where the label's type leaves people far away (the type of a
#: label is :func:`lansanalys.services.pipos_type`'s).
GAPS: dict[str, Gap] = {
    "Dagligvaror, övrigt": Gap(6500.0, 0.012),
    "Drivmedel": Gap(9000.0, 0.02),
    "Apoteksombud": Gap(11000.0, 0.03),
    "Postombud": Gap(8000.0, 0.025),
    "Kontantuttag": Gap(18000.0, 0.002),
    "Betalningsförmedling": Gap(16000.0, 0.02),
    "Dagskasseinsättning": Gap(19000.0, 0.01),
}


def settlements(cells: pd.DataFrame, places: pd.DataFrame, kommun_names: pd.Series) -> pd.DataFrame:
    """Places with ``kommun_kod``, ``size`` (demo people within the radius) and ``tier``."""
    pl = places[["name", "x", "y"]].copy()
    pl["kommun_kod"] = geo.kommun_of_points(pl["x"], pl["y"])
    pl = pl.dropna(subset=["kommun_kod"]).reset_index(drop=True)
    xy = cells[["x", "y"]].to_numpy(dtype=float)
    pop = cells["population"].to_numpy(dtype=float)
    tree = cKDTree(xy)
    # A place with no populated cell near it (in a lake hole of the generalised boundaries)
    # moves to its nearest populated cell, where its people are.
    d, nearest = tree.query(pl[["x", "y"]].to_numpy())
    away = d > SETTLEMENT_RADIUS_M
    pl.loc[away, "x"] = xy[nearest[away], 0]
    pl.loc[away, "y"] = xy[nearest[away], 1]
    near = tree.query_ball_point(pl[["x", "y"]].to_numpy(), SETTLEMENT_RADIUS_M)
    pl["size"] = [pop[i].sum() for i in near]
    # A kommun without a GeoNames place gets its most populous cell as its centre.
    extra = []
    for code in sorted(set(kommun_names.index) - set(pl["kommun_kod"])):
        c = cells[cells["kommun_kod"] == code]
        if c.empty:
            continue
        top = c.loc[c["population"].idxmax()]
        extra.append({"name": kommun_names[code], "x": top["x"], "y": top["y"], "kommun_kod": code})
    if extra:
        ex = pd.DataFrame(extra)
        ex["size"] = [
            pop[i].sum()
            for i in tree.query_ball_point(ex[["x", "y"]].to_numpy(), SETTLEMENT_RADIUS_M)
        ]
        pl = pd.concat([pl, ex], ignore_index=True)
    pl["tier"] = np.where(pl["size"] >= TOWN_SIZE, "town", "village")
    named = pl["name"].str.casefold() == pl["kommun_kod"].map(kommun_names).str.casefold()
    for _code, grp in pl.groupby("kommun_kod"):
        pick = grp[named[grp.index]] if named[grp.index].any() else grp
        pl.loc[pick["size"].idxmax(), "tier"] = "centre"
    return pl


def _spread(rng, cells_xy, cells_pop, tree, sx, sy, n, cells_kommun, kommun, exact_first=False):
    """``n`` positions in the settlement's populated cells near (sx, sy), weighted by people.

    Only cells of the settlement's ``kommun`` (``cells_kommun`` per cell) take part; with
    ``exact_first`` the first point sits on its cell's centre, which lies in the kommun (a
    jittered point of a border cell could land in the neighbour).
    """
    idx = [
        i for i in tree.query_ball_point([sx, sy], SETTLEMENT_RADIUS_M) if cells_kommun[i] == kommun
    ]
    if not idx:
        return np.full(n, sx), np.full(n, sy)
    w = cells_pop[idx] + 1e-9
    pick = rng.choice(idx, size=n, p=w / w.sum())
    jitter = rng.uniform(-450, 450, (n, 2))
    if exact_first:
        jitter[0] = 0.0
    return cells_xy[pick, 0] + jitter[:, 0], cells_xy[pick, 1] + jitter[:, 1]


def hierarchy_points(rng, cells: pd.DataFrame, sett: pd.DataFrame) -> pd.DataFrame:
    """Points of every label at the settlements, by tier and size."""
    cells_xy = cells[["x", "y"]].to_numpy(dtype=float)
    cells_pop = cells["population"].to_numpy(dtype=float)
    cells_kommun = cells["kommun_kod"].to_numpy()
    tree = cKDTree(cells_xy)
    parts: dict[str, list] = {"label": [], "x": [], "y": [], "place": []}
    for s in sett.itertuples(index=False):
        for label, prob in TIERS[s.tier].labels.items():
            if rng.random() >= prob:
                continue
            n = 1 if s.tier == "village" else max(1, round(s.size / PEOPLE_PER_POINT[label]))
            # A kommun centre's services stay in its kommun (it has every one of them).
            x, y = _spread(
                rng,
                cells_xy,
                cells_pop,
                tree,
                s.x,
                s.y,
                n,
                cells_kommun,
                s.kommun_kod,
                exact_first=s.tier == "centre",
            )
            parts["label"] += [label] * n
            parts["x"].append(x)
            parts["y"].append(y)
            parts["place"] += [s.name] * n
    return pd.DataFrame(
        {
            "label": parts["label"],
            "x": np.concatenate(parts["x"]),
            "y": np.concatenate(parts["y"]),
            "place": parts["place"],
        }
    )


def fill_gaps(rng, cells: pd.DataFrame, points: pd.DataFrame) -> pd.DataFrame:
    """Rural points where people live far from every point of a type (:data:`GAPS`)."""
    xy = cells[["x", "y"]].to_numpy(dtype=float)
    pop = cells["population"].to_numpy(dtype=float)
    types = points["label"].map(pipos_type)
    added = []
    for label, gap in GAPS.items():
        own = points[types == pipos_type(label)][["x", "y"]].to_numpy()
        new = greedy_cover(xy, pop, own, gap.radius_m, gap.share)
        if len(new):
            jitter = rng.uniform(-450, 450, (len(new), 2))
            added.append(
                pd.DataFrame(
                    {
                        "label": label,
                        "x": new[:, 0] + jitter[:, 0],
                        "y": new[:, 1] + jitter[:, 1],
                    }
                )
            )
    return pd.concat(added, ignore_index=True) if added else points.iloc[:0]


def greedy_cover(
    xy: np.ndarray, pop: np.ndarray, existing: np.ndarray, radius: float, share: float
) -> np.ndarray:
    """Sites (cell centres) added greedily until at most ``share`` of ``pop`` lives farther
    than ``radius`` from every site (existing or added). Each round adds the cells that reach
    the most uncovered people, at least two radii apart.

    >>> xy = np.array([[0.0, 0], [10_000, 0], [10_500, 0]]); pop = np.array([10.0, 5, 5])
    >>> greedy_cover(xy, pop, np.array([[0.0, 0]]), 1000.0, 0.0).tolist()
    [[10000.0, 0.0]]
    """
    covered = np.zeros(len(xy), bool)
    if len(existing):
        d, _ = cKDTree(existing).query(xy, distance_upper_bound=radius)
        covered = d <= radius
    total = pop.sum()
    sites = []
    while pop[~covered].sum() > share * total:
        unc = np.flatnonzero(~covered)
        t = cKDTree(xy[unc])
        pairs = t.query_pairs(radius, output_type="ndarray")  # i < j within the radius
        w = pop[unc]
        score = w + np.bincount(pairs[:, 0], w[pairs[:, 1]], len(unc))
        score += np.bincount(pairs[:, 1], w[pairs[:, 0]], len(unc))
        taken = np.zeros(len(unc), bool)
        picked = []
        # Picks two radii apart reach disjoint people, so each one's gain is its score: stop
        # the round as soon as the target is met.
        left = w.sum()
        for i in np.argsort(-score, kind="stable")[:200]:
            if taken[i]:
                continue
            picked.append(unc[i])
            left -= score[i]
            if left <= share * total:
                break
            taken[t.query_ball_point(xy[unc[i]], 2 * radius)] = True
        sites += picked
        d, _ = cKDTree(xy[picked]).query(xy[unc], distance_upper_bound=radius)
        covered[unc[d <= radius]] = True
    return xy[sites] if sites else np.empty((0, 2))
