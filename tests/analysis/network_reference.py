"""An independent reference for road distances: networkx on a graph split at every attach point.

Plain and slow on purpose. Each location joins the road at the foot of the perpendicular to the
nearest road segment, found by brute force over every segment with shapely; every edge, parallel
duplicates included, is cut at the feet that lie on it (lengths and minutes pro rata), and a
connector edge joins the location to its foot. A networkx ``MultiGraph`` then takes the cheapest
of parallel edges by itself, and a shortest path from the points to each cell gives the answer.
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
import numpy as np
import pandas as pd
import shapely


@dataclass
class Foot:
    """Where one location joins the road: segment (unordered node pair), fraction from ``a``."""

    a: int
    b: int
    frac: float
    gap: float


def brute_force_feet(nodes: pd.DataFrame, edges: pd.DataFrame, xy: np.ndarray) -> list[Foot]:
    """The foot on the nearest segment of every location, by trying every segment."""
    xy_nodes = nodes[["x", "y"]].to_numpy(dtype=float)
    pairs = np.unique(np.sort(edges[["u", "v"]].to_numpy(), axis=1), axis=0)
    pairs = pairs[pairs[:, 0] != pairs[:, 1]]
    lines = shapely.linestrings(np.stack([xy_nodes[pairs[:, 0]], xy_nodes[pairs[:, 1]]], axis=1))
    feet = []
    for x, y in np.asarray(xy, dtype=float).reshape(-1, 2):
        p = shapely.Point(x, y)
        d = shapely.distance(p, lines)
        j = int(np.argmin(d))
        frac = float(shapely.line_locate_point(lines[j], p, normalized=True))
        feet.append(Foot(int(pairs[j, 0]), int(pairs[j, 1]), frac, float(d[j])))
    return feet


def _minutes(length_m: float, speed_kmh: float) -> float:
    return length_m / 1000.0 / speed_kmh * 60.0


def split_graph(
    nodes: pd.DataFrame,
    edges: pd.DataFrame,
    cell_feet: list[Foot],
    point_feet: list[Foot],
    max_attach_m: float,
    connector_kmh: float,
) -> nx.MultiGraph:
    """Road graph with a node per foot and per location (``("cell", i)``, ``("point", j)``)."""
    g = nx.MultiGraph()
    g.add_nodes_from(("node", i) for i in range(len(nodes)))
    on_pair: dict[tuple[int, int], list[tuple[float, object]]] = {}
    for kind, feet in (("cell", cell_feet), ("point", point_feet)):
        for i, f in enumerate(feet):
            if f.gap > max_attach_m:
                continue
            foot = ("foot", kind, i)
            on_pair.setdefault((f.a, f.b), []).append((f.frac, foot))
            g.add_edge((kind, i), foot, m=f.gap, min=_minutes(f.gap, connector_kmh))
    for e in edges.itertuples():
        u, v = int(e.u), int(e.v)
        if u == v:
            continue
        a, b = min(u, v), max(u, v)
        stops = sorted(on_pair.get((a, b), []), key=lambda s: s[0])
        chain = [(0.0, ("node", a)), *stops, (1.0, ("node", b))]
        for (t0, n0), (t1, n1) in zip(chain[:-1], chain[1:], strict=True):
            part = (t1 - t0) * e.length_m
            g.add_edge(n0, n1, m=part, min=_minutes(part, e.speed_kmh))
    return g


def reference_nearest(
    nodes: pd.DataFrame,
    edges: pd.DataFrame,
    cells_xy: np.ndarray,
    points_xy: np.ndarray,
    max_attach_m: float = 3_000.0,
    connector_kmh: float = 30.0,
) -> tuple[pd.DataFrame, dict]:
    """Metres and minutes from each cell to the nearest point, and the cost to every point.

    Returns
    -------
    best : DataFrame
        Per cell: ``m`` and ``min`` (NaN where unreachable).
    to_point : dict
        ``to_point[cost][j][i]``: cost from point ``j`` to cell ``i`` (absent if unreachable).
    """
    cf = brute_force_feet(nodes, edges, cells_xy)
    pf = brute_force_feet(nodes, edges, points_xy)
    g = split_graph(nodes, edges, cf, pf, max_attach_m, connector_kmh)
    cells = [("cell", i) for i in range(len(cf)) if cf[i].gap <= max_attach_m]
    points = [("point", j) for j in range(len(pf)) if pf[j].gap <= max_attach_m]
    best = pd.DataFrame({"m": np.nan, "min": np.nan}, index=range(len(cf)))
    to_point: dict[str, dict[int, dict[int, float]]] = {"m": {}, "min": {}}
    for cost in ("m", "min"):
        for p in points:
            d = nx.single_source_dijkstra_path_length(g, p, weight=cost)
            to_point[cost][p[1]] = {c[1]: d[c] for c in cells if c in d}
        for c in cells:
            reach = [to_point[cost][p[1]][c[1]] for p in points if c[1] in to_point[cost][p[1]]]
            if reach:
                best.at[c[1], cost] = min(reach)
    return best, to_point
