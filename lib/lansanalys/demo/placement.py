"""Demo service points placed by settlement hierarchy, as real ones are, then filled in where
people live far from every point, until the national shares reach published levels.

1. **Settlements.** GeoNames places (≥ 500 inhabitants); each populated cell belongs to the
   place of its kommun whose town kernel (:func:`kernel_sigma`, the one the population surface
   is drawn with) gives it the most people, so a settlement's size is the demo's people in its
   own cells, a town of 19 000 counting its 19 000. Each kommun's centre is the place named as
   the kommun (else its largest place, else its most populous cell).
2. **Hierarchy** (:data:`TIERS`): a kommun centre and every town of :data:`LARGE_TOWN` people
   have every service, a town (at least :data:`TOWN_SIZE` people) the everyday ones, a village
   may have a shop, an ombud or nothing. A town has one point of a label per
   :data:`PEOPLE_PER_POINT` people (a town of 19 000: five full-assortment stores, three or four
   pharmacies, five fuel stations, four ATMs), spread over its cells by population.
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

#: A settlement's cells reach at least this far from its place (and 2,5 kernel widths).
SETTLEMENT_RADIUS_M = 2500.0
#: A settlement with at least this many people is a town (else a village).
TOWN_SIZE = 3000
#: A town this large has every service, as a kommun centre does.
LARGE_TOWN = 10_000
#: A town has one point of a label per this many people (at least one). Swedish towns of
#: 15 000–25 000 have some 8–12 grocery stores, 3–4 pharmacies, 4–6 fuel stations and 3–5
#: ATMs; nationally about 1 400 pharmacies, 2 100 ATMs (Riksbank 2022) and 2 700 fuel stations.
PEOPLE_PER_POINT: dict[str, int] = {
    "Dagligvaror, fullsortiment": 3500,
    "Dagligvaror, övrigt": 6000,
    "Drivmedel": 4000,
    "Apotek": 5000,
    "Apoteksombud": 10**9,
    "Postombud": 8000,
    "Paketautomat": 3000,
    "Kontantuttag": 5000,
    "Betalningsförmedling": 25000,
    "Dagskasseinsättning": 20000,
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
            "Apotek": 1.0,
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
            "Dagligvaror, övrigt": 0.6,
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
    ``radius_m`` (straight line) from its points (of every label of the type), and at most
    ``kommun_share`` of any kommun's people (a sparse kommun is not left to the national
    figure: a village shop or a deposit point where its people are)."""

    radius_m: float
    share: float
    kommun_share: float = 1.0


#: Gap filling: the label added where the label's type leaves people far away (the type of a
#: label is :func:`lansanalys.services.pipos_type`'s).
GAPS: dict[str, Gap] = {
    "Dagligvaror, övrigt": Gap(6500.0, 0.016, 0.2),
    "Drivmedel": Gap(9000.0, 0.02),
    "Apoteksombud": Gap(11000.0, 0.03),
    "Postombud": Gap(8000.0, 0.025),
    "Kontantuttag": Gap(18000.0, 0.002),
    "Betalningsförmedling": Gap(16000.0, 0.02),
    "Dagskasseinsättning": Gap(19000.0, 0.01, 0.3),
}


def kernel_sigma(population) -> np.ndarray:
    """Width (metres, one standard deviation) of a place's town kernel on the population
    surface: wider for larger places (600 m for 1 000 people, 1,8 km for 19 000)."""
    pop = np.maximum(np.asarray(population, dtype=float), 500.0)
    return 600.0 * (pop / 1000.0) ** 0.38


def settlements(cells: pd.DataFrame, places: pd.DataFrame, kommun_names: pd.Series) -> pd.DataFrame:
    """Places with ``kommun_kod``, ``size`` (the demo's people in the settlement's cells),
    ``tier`` and ``cells`` (positions in ``cells`` of the settlement's own cells)."""
    pl = places[["name", "x", "y", "population"]].copy()
    pl["kommun_kod"] = geo.kommun_of_points(pl["x"], pl["y"])
    pl = pl.dropna(subset=["kommun_kod"]).reset_index(drop=True)
    pl["place_x"], pl["place_y"] = pl["x"], pl["y"]  # where GeoNames puts it (for names)
    xy = cells[["x", "y"]].to_numpy(dtype=float)
    pop = cells["population"].to_numpy(dtype=float)
    kom = cells["kommun_kod"].to_numpy()
    tree = cKDTree(xy)
    # A place with no populated cell near it (in a lake hole of the generalised boundaries)
    # moves to its nearest populated cell, where its people are.
    d, nearest = tree.query(pl[["x", "y"]].to_numpy())
    away = d > SETTLEMENT_RADIUS_M
    pl.loc[away, "x"] = xy[nearest[away], 0]
    pl.loc[away, "y"] = xy[nearest[away], 1]
    # A kommun without a GeoNames place gets its most populous cell as its centre.
    extra = []
    for code in sorted(set(kommun_names.index) - set(pl["kommun_kod"])):
        c = cells[cells["kommun_kod"] == code]
        if c.empty:
            continue
        top = c.loc[c["population"].idxmax()]
        extra.append(
            {
                "name": kommun_names[code],
                "x": top["x"],
                "y": top["y"],
                "place_x": top["x"],
                "place_y": top["y"],
                "kommun_kod": code,
            }
        )
    if extra:
        pl = pd.concat([pl, pd.DataFrame(extra)], ignore_index=True)
    pl["population"] = pl["population"].fillna(500.0)
    # Each cell goes to the place of its kommun whose kernel gives it the most people.
    best = np.zeros(len(xy))
    owner = np.full(len(xy), -1)
    sigma = kernel_sigma(pl["population"])
    for i, (px, py, code, p, sg) in enumerate(
        zip(pl["x"], pl["y"], pl["kommun_kod"], pl["population"], sigma, strict=True)
    ):
        idx = np.array(tree.query_ball_point([px, py], max(2.5 * sg, SETTLEMENT_RADIUS_M)))
        if not len(idx):
            continue
        idx = idx[kom[idx] == code]
        d2 = ((xy[idx] - (px, py)) ** 2).sum(axis=1)
        score = p / sg**2 * np.exp(-d2 / (2 * sg**2))
        win = score > best[idx]
        best[idx[win]] = score[win]
        owner[idx[win]] = i
    members = pd.Series(np.arange(len(xy))[owner >= 0]).groupby(owner[owner >= 0]).agg(list)
    pl["cells"] = [members.get(i, []) for i in range(len(pl))]
    pl["size"] = [pop[c].sum() if c else 0.0 for c in pl["cells"]]
    pl["tier"] = np.where(pl["size"] >= TOWN_SIZE, "town", "village")
    named = pl["name"].str.casefold() == pl["kommun_kod"].map(kommun_names).str.casefold()
    for _code, grp in pl.groupby("kommun_kod"):
        pick = grp[named[grp.index]] if named[grp.index].any() else grp
        pl.loc[pick["size"].idxmax(), "tier"] = "centre"
    pl.loc[pl["size"] >= LARGE_TOWN, "tier"] = "centre"
    return pl


def _spread(rng, cells_xy, cells_pop, own, sx, sy, n, exact_first=False):
    """``n`` positions in the settlement's own cells (``own``), weighted by people; with
    ``exact_first`` the first point sits on the centre of the settlement's most populous
    cell (a jittered point of a border cell could land in the neighbour)."""
    if not len(own):
        return np.full(n, sx), np.full(n, sy)
    own = np.asarray(own)
    w = cells_pop[own] + 1e-9
    pick = rng.choice(own, size=n, p=w / w.sum())
    jitter = rng.uniform(-450, 450, (n, 2))
    if exact_first:
        pick[0] = own[np.argmax(cells_pop[own])]
        jitter[0] = 0.0
    return cells_xy[pick, 0] + jitter[:, 0], cells_xy[pick, 1] + jitter[:, 1]


def hierarchy_points(rng, cells: pd.DataFrame, sett: pd.DataFrame) -> pd.DataFrame:
    """Points of every label at the settlements, by tier and size."""
    cells_xy = cells[["x", "y"]].to_numpy(dtype=float)
    cells_pop = cells["population"].to_numpy(dtype=float)
    parts: dict[str, list] = {"label": [], "x": [], "y": []}
    for s in sett.itertuples(index=False):
        for label, prob in TIERS[s.tier].labels.items():
            if rng.random() >= prob:
                continue
            n = 1 if s.tier == "village" else max(1, round(s.size / PEOPLE_PER_POINT[label]))
            # A village's one point stands where most of its people live; a town's are spread
            # over its cells.
            x, y = _spread(
                rng, cells_xy, cells_pop, s.cells, s.x, s.y, n, exact_first=s.tier != "town"
            )
            parts["label"] += [label] * n
            parts["x"].append(x)
            parts["y"].append(y)
    return pd.DataFrame(
        {
            "label": parts["label"],
            "x": np.concatenate(parts["x"]),
            "y": np.concatenate(parts["y"]),
        }
    )


def fill_gaps(rng, cells: pd.DataFrame, points: pd.DataFrame) -> pd.DataFrame:
    """Rural points where people live far from every point of a type (:data:`GAPS`): first
    in every kommun above its cap, then nationally."""
    xy = cells[["x", "y"]].to_numpy(dtype=float)
    pop = cells["population"].to_numpy(dtype=float)
    kommun = cells["kommun_kod"].to_numpy()
    types = points["label"].map(pipos_type)
    added = []
    for label, gap in GAPS.items():
        own = points[types == pipos_type(label)][["x", "y"]].to_numpy()
        new = [np.empty((0, 2))]
        if gap.kommun_share < 1:
            for code in np.unique(kommun):
                mine = kommun == code
                sites = np.vstack([own, *new])
                new.append(greedy_cover(xy[mine], pop[mine], sites, gap.radius_m, gap.kommun_share))
        sites = np.vstack([own, *new])
        new.append(greedy_cover(xy, pop, sites, gap.radius_m, gap.share))
        new = np.vstack(new)
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


#: Words that tell two points of one name apart within a kommun, in order of use.
QUALIFIERS = ("Centrum", "Norra", "Södra", "Östra", "Västra", "Torget", "Station", "Hamnen")


def nearest_place(points: pd.DataFrame, sett: pd.DataFrame) -> np.ndarray:
    """The name of the settlement nearest each point (``x, y, kommun_kod``) among those of
    the point's own kommun, measured from the place itself (``place_x, place_y``)."""
    out = np.empty(len(points), dtype=object)
    for code, idx in points.groupby("kommun_kod").indices.items():
        own = sett[sett["kommun_kod"] == code]
        if own.empty:  # no settlement at all: the kommun's own name is the best address
            out[idx] = None
            continue
        _, j = cKDTree(own[["place_x", "place_y"]].to_numpy()).query(
            points[["x", "y"]].to_numpy()[idx]
        )
        out[idx] = own["name"].to_numpy()[j]
    return out


def unique_names(rng, labels, places, kommuner, brands: dict[str, list[str]]) -> list[str]:
    """ "Brand Place" for each point, never the same name twice within a kommun.

    Points of one label at one place take their brands in a shuffled order, so a town's five
    stores are five chains before any repeats; a name still taken gets a district word
    (:data:`QUALIFIERS`), then a number.
    """
    df = pd.DataFrame({"label": labels, "place": places, "kommun": kommuner})
    names = np.empty(len(df), dtype=object)
    for (label, _place, _kommun), idx in df.groupby(
        ["label", "place", "kommun"], sort=True
    ).indices.items():
        order = rng.permutation(brands[label])
        for k, i in enumerate(idx):
            names[i] = f"{order[k % len(order)]} {df['place'].iat[i]}"
    taken: set[tuple[str, str]] = set()
    for i in range(len(df)):
        base, kommun = names[i], df["kommun"].iat[i]
        name = base
        extra = (f"{base} {q}" for q in QUALIFIERS)
        numbered = (f"{base} {n}" for n in range(2, 10**6))
        for candidate in (name, *extra):
            if (kommun, candidate) not in taken:
                name = candidate
                break
        else:
            name = next(c for c in numbered if (kommun, c) not in taken)
        taken.add((kommun, name))
        names[i] = name
    return list(names)
