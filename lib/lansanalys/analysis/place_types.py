"""Types of place: tätort or landsbygd per grid cell, the classic split by car time to a tätort
of 3 000+ (tätort / tätortsnära landsbygd / glesbygd), and Tillväxtanalys' kommuntyper.

Pure functions on frames and a :class:`~lansanalys.analysis.network.RoadNetwork` (its public
API only). Densities are people per km² of each cell, so a 250 m grid and a 1 km grid use the
same bounds. Every comparison of a car time with a bound goes through the kit's one resolution
rule (:func:`lansanalys.analysis.resolution.classify`, :func:`is_beyond`: 0,01 min; a time equal
to the bound is not beyond it). The method and our reading of the published ones are in
``docs/definitions.md`` (*Types of place*).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from lansanalys.analysis.resolution import at_resolution, classify, is_beyond

#: The classic split (Glesbygdsverket, then Tillväxtverket), in order.
PLACE_TYPES: tuple[str, ...] = ("tätort", "tätortsnära landsbygd", "glesbygd")
#: A tätort that counts for the split has at least this many inhabitants.
TOWN_MIN_POPULATION = 3_000
#: Car minutes: up to the first bound is the tätort's own surroundings (tätort), up to the
#: second tätortsnära landsbygd, beyond it (or no road link) glesbygd.
PLACE_BOUNDS_MIN: tuple[float, float] = (5.0, 45.0)

#: Tätort or landsbygd per cell, in that order.
URBAN_RURAL: tuple[str, ...] = ("tätort", "landsbygd")
#: EU degree of urbanisation, grid level: an urban cluster is contiguous cells (diagonals
#: included) of at least this many people per km² ...
URBAN_DENSITY_KM2 = 300.0
#: ... holding at least this many people together.
URBAN_CLUSTER_POPULATION = 5_000

#: Tillväxtanalys' kommuntyper (the 2021 update): code → name, six classes ...
KOMMUNTYPER: dict[int, str] = {
    1: "Storstadskommuner",
    2: "Täta kommuner nära större stad",
    3: "Täta kommuner avlägset belägna",
    4: "Landsbygdskommuner nära större stad",
    5: "Landsbygdskommuner avlägset belägna",
    6: "Landsbygdskommuner mycket avlägset belägna",
}
#: ... and the three-class aggregate.
KOMMUNTYPER3: dict[int, str] = {1: "Storstadskommuner", 2: "Täta kommuner", 3: "Landsbygdskommuner"}
#: Six classes → three.
AGGREGATE: dict[int, int] = {1: 1, 2: 2, 3: 2, 4: 3, 5: 3, 6: 3}
#: A larger town (större stad) has at least this many people (an urban cluster of the grid).
CITY_POPULATION = 50_000
#: Near a larger town: at least half the kommun's people within this many car minutes of one.
CITY_NEAR_MIN = 45.0
#: Very remote: the kommun's people have on average at least this many car minutes to one.
CITY_REMOTE_MEAN_MIN = 90.0
#: Storstadskommun: less than this percentage of its people in rural areas ...
METRO_RURAL_PCT = 20
#: ... in a group of such neighbouring kommuner with at least this many people together.
METRO_POPULATION = 500_000
#: Landsbygdskommun: at least this percentage of its people in rural areas.
RURAL_PCT = 50


def dense_clusters(
    cells: pd.DataFrame,
    min_density_km2: float = URBAN_DENSITY_KM2,
    min_population: int = URBAN_CLUSTER_POPULATION,
    diagonal: bool = True,
) -> np.ndarray:
    """Clusters of contiguous dense grid cells with enough people together.

    Parameters
    ----------
    cells : DataFrame
        ``x, y`` (cell centres, metres), ``size_m`` and ``population``.
    min_density_km2 : float
        A cell is dense with at least this many people per km² of its own area.
    min_population : int
        A cluster counts when its cells hold at least this many people together.
    diagonal : bool
        Cells touching at a corner are contiguous (the EU rule for urban clusters).

    Returns
    -------
    ndarray of int
        Per cell the id of its cluster (its first cell's row), -1 for cells in none.

    Example
    -------
    >>> c = pd.DataFrame({"x": [500.0, 1500, 5500], "y": [500.0, 1500, 500],
    ...                   "size_m": 1000, "population": [3000, 2500, 9000]})
    >>> dense_clusters(c).tolist()
    [0, 0, 2]
    """
    n = len(cells)
    out = np.full(n, -1, dtype=np.int64)
    if n == 0:
        return out
    size_m = cells["size_m"].to_numpy(dtype=float)
    pop = cells["population"].to_numpy(dtype=float)
    step = float(pd.Series(size_m).mode().iloc[0])
    ix = np.floor(cells["x"].to_numpy(dtype=float) / step).astype(np.int64)
    iy = np.floor(cells["y"].to_numpy(dtype=float) / step).astype(np.int64)
    dense = np.flatnonzero(pop / (size_m / 1000.0) ** 2 >= min_density_km2)
    if len(dense) == 0:
        return out
    span = int(iy.max() - iy.min()) + 3
    key = (ix[dense] - ix.min() + 1) * span + (iy[dense] - iy.min() + 1)
    order = np.argsort(key, kind="stable")
    sorted_key = key[order]
    rows, cols = [], []
    steps = [(1, 0), (0, 1)] + ([(1, 1), (1, -1)] if diagonal else [])
    for dx, dy in steps:
        want = key + dx * span + dy
        pos = np.minimum(np.searchsorted(sorted_key, want), len(sorted_key) - 1)
        hit = sorted_key[pos] == want
        rows.append(np.flatnonzero(hit))
        cols.append(order[pos[hit]])
    r, c = np.concatenate(rows), np.concatenate(cols)
    g = csr_matrix((np.ones(len(r)), (r, c)), shape=(len(dense), len(dense)))
    _, label = connected_components(g, directed=False)
    total = np.bincount(label, weights=pop[dense])
    first = np.full(label.max() + 1, n, dtype=np.int64)
    np.minimum.at(first, label, dense)
    big = total >= min_population
    out[dense] = np.where(big[label], first[label], -1)
    return out


def place_type(minutes, in_town) -> np.ndarray:
    """The classic split of each cell by car minutes to the nearest tätort of 3 000+.

    A cell in such a tätort, or at most :data:`PLACE_BOUNDS_MIN` [0] minutes from one, is
    *tätort*; more than that and at most the second bound (45 min) *tätortsnära landsbygd*;
    beyond it, or with no road link to a tätort (an island without a fixed link), *glesbygd*.
    A time equal to a bound at 0,01 min belongs to the lower class.

    >>> place_type([44.0, 45.0, 45.01, 46.0, np.nan, 3.0], [False] * 6).tolist()
    ['tätortsnära landsbygd', 'tätortsnära landsbygd', 'glesbygd', 'glesbygd', 'glesbygd', 'tätort']
    """
    cls = classify(np.asarray(minutes, dtype=float), PLACE_BOUNDS_MIN, "min")
    names = np.array([PLACE_TYPES[0], PLACE_TYPES[1], PLACE_TYPES[2], PLACE_TYPES[2]])
    out = names[cls]
    out[np.asarray(in_town, dtype=bool)] = PLACE_TYPES[0]
    return out.astype(object)


def metro_groups(
    candidates: pd.Series, population: pd.Series, neighbours: Iterable[tuple[str, str]]
) -> pd.Series:
    """The population of each candidate's group of neighbouring candidates.

    Parameters
    ----------
    candidates : Series of bool
        Per kommun (index) whether it may be a storstadskommun (less than 20 % rural).
    population : Series
        People per kommun (same index).
    neighbours : iterable of (str, str)
        Pairs of neighbouring kommuner.

    Returns
    -------
    Series
        Per candidate the people of its group (NaN for the other kommuner).
    """
    codes = list(candidates.index[candidates.to_numpy(dtype=bool)])
    pos = {k: i for i, k in enumerate(codes)}
    pairs = [(pos[a], pos[b]) for a, b in neighbours if a in pos and b in pos]
    out = pd.Series(np.nan, index=candidates.index)
    if not codes:
        return out
    r = np.array([p[0] for p in pairs], dtype=np.int64)
    c = np.array([p[1] for p in pairs], dtype=np.int64)
    g = csr_matrix((np.ones(len(r)), (r, c)), shape=(len(codes), len(codes)))
    _, label = connected_components(g, directed=False)
    pop = population.reindex(codes).to_numpy(dtype=float)
    total = np.bincount(label, weights=pop)
    out.loc[codes] = total[label]
    return out


def kommun_types(cells: pd.DataFrame, neighbours: Iterable[tuple[str, str]]) -> pd.DataFrame:
    """Tillväxtanalys' six kommuntyper computed from the grid and car times (our reading of the
    published method, ``docs/definitions.md``).

    Parameters
    ----------
    cells : DataFrame
        Per populated cell: ``kommun_kod, population``, ``rural`` (bool: outside every urban
        cluster of the grid, :func:`dense_clusters`) and ``city_min`` (car minutes along the
        roads to the nearest urban cluster of :data:`CITY_POPULATION`\\ +, 0 inside one, NaN
        without a road link to one).
    neighbours : iterable of (str, str)
        Pairs of neighbouring kommuner (for the storstad groups).

    Returns
    -------
    DataFrame
        Per kommun: ``kommun_kod, population, rural_share`` (percent of its people in rural
        cells), ``near_share`` (percent within 45 min of a larger town; no road link counts as
        beyond), ``mean_min`` (mean car minutes over the people who reach one), ``unreachable_share``,
        ``metro_population`` (people of its storstad group, NaN when not a candidate), ``typ6``
        (1–6) and ``typ3`` (1–3).
    """
    c = cells
    pop = c["population"].to_numpy(dtype=float)
    minutes = c["city_min"].to_numpy(dtype=float)
    reach = np.isfinite(minutes)
    work = pd.DataFrame(
        {
            "kommun_kod": c["kommun_kod"].to_numpy(),
            "population": pop,
            "rural": np.where(c["rural"].to_numpy(dtype=bool), pop, 0.0),
            "near": np.where(is_beyond(minutes, CITY_NEAR_MIN, "min"), 0.0, pop),
            "unreachable": np.where(reach, 0.0, pop),
            "reach_pop": np.where(reach, pop, 0.0),
            "weighted_min": np.where(reach, pop * np.nan_to_num(minutes), 0.0),
        }
    )
    k = work.groupby("kommun_kod", sort=True).sum()
    total = k["population"]
    out = pd.DataFrame(index=k.index)
    out["population"] = total
    out["rural_share"] = 100 * k["rural"] / total
    out["near_share"] = 100 * k["near"] / total
    out["unreachable_share"] = 100 * k["unreachable"] / total
    out["mean_min"] = (k["weighted_min"] / k["reach_pop"]).where(k["reach_pop"] > 0)
    # Whole people, compared exactly: "less than 20 %" is rural · 100 < 20 · total.
    metro_candidate = k["rural"] * 100 < METRO_RURAL_PCT * total
    out["metro_population"] = metro_groups(metro_candidate, total, neighbours)
    metro = metro_candidate & (out["metro_population"] >= METRO_POPULATION)
    rural = k["rural"] * 100 >= RURAL_PCT * total
    near = k["near"] * 2 >= total  # at least half within 45 minutes
    mean_steps = at_resolution(out["mean_min"].to_numpy(dtype=float), "min")
    remote = np.nan_to_num(mean_steps, nan=-1.0) >= at_resolution(CITY_REMOTE_MEAN_MIN, "min")
    typ6 = np.select(
        [metro, ~rural & near, ~rural, near, remote],
        [1, 2, 3, 4, 6],
        default=5,
    )
    out["typ6"] = typ6.astype(int)
    out["typ3"] = out["typ6"].map(AGGREGATE).astype(int)
    return out.reset_index()
