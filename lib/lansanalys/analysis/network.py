"""Distances along a road network: one multi-source shortest-path pass per service type and cost.

The network is an undirected graph of nodes with SWEREF 99 TM coordinates and links with a length
in metres and a speed in km/h; each link is the straight line between its two nodes.

**Attaching.** A cell or service point joins the road at the nearest point of the nearest link (a
shapely STRtree over the links), not at the nearest node: the link is split there, and the two
partial links get their share of the link's metres and minutes pro rata. The straight connector
from the location to the road counts at ``connector_kmh``. A location further than
``max_attach_m`` from every link (an island without a road) has no road link.

**Sources without an epsilon.** A point on link ``(a, b)`` at fraction ``t`` with connector ``g``
becomes a virtual node with two one-way edges, to ``a`` costing ``g + t·L`` and to ``b`` costing
``g + (1 − t)·L``; one Dijkstra from all virtual nodes at once (``min_only``) gives every node its
nearest point. Those edge costs are positive except for a point lying exactly on a node; such a
point starts the search from that node itself (a source starts at 0), so no zero-weight edge is
ever stored (scipy's sparse arithmetic drops stored zeros) and no small number is added to keep
one: a trip of exactly 5 000 m is 5 000 m. A cell's cost is ``g + t·L + D(a)`` or
``g + (1 − t)·L + D(b)``, or straight along its own link when a point lies on the same link.

**Km and minutes** are minimised separately, each with its own point: the nearest point by road
metres and the fastest point by car minutes may differ (a short slow road against a long fast one).

**Parallel links** between the same two nodes (duplicates, or the same road given in both
directions) keep the shortest for metres and, separately, the fastest for minutes; they are never
summed.

A cell that cannot reach any point is unreachable: NaN, never distance 0.

**Second-nearest** (:meth:`RoadNetwork.nearest_two`): a two-label search keeps, per node, the
nearest and the second-nearest *distinct* point (a label is settled at most once per node and
point, and a node takes no third), so the second-nearest point by road is what the nearest would
be if the nearest closed. That answers the closure question for every point at once.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

#: A populated cell or service point further than this from every road has no road link (m).
ATTACH_M = 3_000.0
#: Speed on the straight connector from a cell or point to the road (km/h).
CONNECTOR_KMH = 30.0


def _minutes(length_m: np.ndarray, speed_kmh: np.ndarray | float) -> np.ndarray:
    """Car minutes for a length at a speed; one rounding, so 5 000 m at 60 km/h is exactly 5."""
    return np.asarray(length_m, dtype=float) * 60.0 / (np.asarray(speed_kmh, dtype=float) * 1000.0)


@dataclass(frozen=True)
class Attachment:
    """Where locations join the road network.

    Attributes
    ----------
    link : ndarray of int
        Row in :attr:`RoadNetwork.links` of the nearest link; -1 where none lies within the
        search distance.
    frac : ndarray of float
        Position of the attach point along the link, 0 at node ``a`` and 1 at node ``b``.
    gap_m : ndarray of float
        Straight connector length in metres (``inf`` where ``link`` is -1).
    """

    link: np.ndarray
    frac: np.ndarray
    gap_m: np.ndarray

    def __len__(self) -> int:
        return len(self.link)


@dataclass
class RoadNetwork:
    """A road graph ready for shortest paths.

    Parameters
    ----------
    nodes : DataFrame
        ``x, y`` in metres (row position is the node index).
    edges : DataFrame
        ``u, v`` (node indices), ``length_m`` and ``speed_kmh``; roads are two-way.

    Attributes
    ----------
    links : DataFrame
        One row per pair of connected nodes: ``a < b``, ``length_m`` (the shortest of the parallel
        edges) and ``minutes`` (the fastest of them, at the posted speed).
    graph_m, graph_min : csr_matrix
        Symmetric adjacency in metres and in car minutes.
    """

    nodes: pd.DataFrame
    edges: pd.DataFrame

    def __post_init__(self) -> None:
        n = len(self.nodes)
        u = self.edges["u"].to_numpy(dtype=np.int64)
        v = self.edges["v"].to_numpy(dtype=np.int64)
        if len(u) and (min(u.min(), v.min()) < 0 or max(u.max(), v.max()) >= n):
            raise ValueError("edges refer to nodes that do not exist")
        length = self.edges["length_m"].to_numpy(dtype=float)
        speed = self.edges["speed_kmh"].to_numpy(dtype=float)
        if not (np.isfinite(length).all() and np.isfinite(speed).all()):
            raise ValueError("edge lengths and speeds must be finite numbers")
        if (length <= 0).any() or (speed <= 0).any():
            raise ValueError("edge lengths and speeds must be positive")
        # One link per unordered node pair: scipy would sum parallel edges (5 km + 5 km = 10 km),
        # so the shortest is kept for metres and, separately, the fastest for minutes. A loop
        # back to its own node never shortens a trip.
        a, b = np.minimum(u, v), np.maximum(u, v)
        keep = a != b
        links = (
            pd.DataFrame(
                {"a": a[keep], "b": b[keep], "length_m": length[keep]}
                | {"minutes": _minutes(length[keep], speed[keep])}
            )
            .groupby(["a", "b"], sort=True, as_index=False)
            .agg(length_m=("length_m", "min"), minutes=("minutes", "min"))
        )
        self.links = links
        self._xy = self.nodes[["x", "y"]].to_numpy(dtype=float)
        la, lb = links["a"].to_numpy(), links["b"].to_numpy()
        self._a, self._b = la, lb
        self._w = {"m": links["length_m"].to_numpy(), "min": links["minutes"].to_numpy()}
        self._pa, self._pb = self._xy[la], self._xy[lb]
        # Small tree nodes: about a third faster nearest queries on the national network.
        self._tree = shapely.STRtree(
            shapely.linestrings(np.stack([self._pa, self._pb], axis=1)), node_capacity=4
        )
        self._rows = np.concatenate([la, lb])
        self._cols = np.concatenate([lb, la])
        self.graph_m = self._graph("m", n)
        self.graph_min = self._graph("min", n)

    def _graph(self, cost: str, size: int) -> csr_matrix:
        w = self._w[cost]
        return csr_matrix((np.concatenate([w, w]), (self._rows, self._cols)), shape=(size, size))

    def attach(self, xy: np.ndarray, max_attach_m: float | None = None) -> Attachment:
        """Nearest point on the nearest link for each location.

        Parameters
        ----------
        xy : ndarray (n, 2)
            Locations in metres (SWEREF 99 TM).
        max_attach_m : float, optional
            Locations with no link within this distance get link -1 and an infinite gap.

        Returns
        -------
        Attachment
            Link, fraction along it and connector length in metres per location.
        """
        xy = np.asarray(xy, dtype=float).reshape(-1, 2)
        m = len(xy)
        link = np.full(m, -1, dtype=np.int64)
        if m and len(self.links):
            # STRtree.nearest (one link per location) is faster than query_nearest with a
            # max_distance on the national network; the limit is applied below.
            link[:] = self._tree.nearest(shapely.points(xy))
        ok = link >= 0
        frac = np.zeros(m)
        gap = np.full(m, np.inf)
        pa, pb, p = self._pa[link[ok]], self._pb[link[ok]], xy[ok]
        ab = pb - pa
        len2 = np.einsum("ij,ij->i", ab, ab)
        # Projection on the segment; a node coordinate gives exactly 0 or 1.
        with np.errstate(invalid="ignore", divide="ignore"):
            t = np.einsum("ij,ij->i", p - pa, ab) / len2
        t = np.clip(np.where(len2 > 0, t, 0.0), 0.0, 1.0)
        foot = pa + t[:, None] * ab
        frac[ok] = t
        gap[ok] = np.hypot(*(p - foot).T)
        if max_attach_m is not None:
            far = gap > max_attach_m
            link[far], frac[far], gap[far] = -1, 0.0, np.inf
        return Attachment(link, frac, gap)

    def nearest(
        self,
        cells_xy: np.ndarray | Attachment,
        points_xy: np.ndarray | Attachment,
        max_attach_m: float = ATTACH_M,
        connector_kmh: float = CONNECTOR_KMH,
    ) -> pd.DataFrame:
        """Road distance and car minutes from each cell to its nearest point.

        Parameters
        ----------
        cells_xy, points_xy : ndarray (n, 2) or Attachment
            Locations in metres, or their :meth:`attach` result (attach cells once for many
            service types).
        max_attach_m : float
            Cells and points further than this from every link have no road link.
        connector_kmh : float
            Speed on the straight connector to the road.

        Returns
        -------
        DataFrame
            Per cell: ``dist_m`` (metres to the nearest point by road), ``point`` (its row in
            ``points_xy``), ``minutes`` (car minutes to the fastest point), ``point_min`` (its
            row), and ``reachable``; NaN and -1 where unreachable, never 0.
        """
        ca = cells_xy if isinstance(cells_xy, Attachment) else self.attach(cells_xy, max_attach_m)
        pa = (
            points_xy if isinstance(points_xy, Attachment) else self.attach(points_xy, max_attach_m)
        )
        nc = len(ca)
        out = pd.DataFrame(
            {
                "dist_m": np.full(nc, np.nan),
                "point": -1,
                "minutes": np.nan,
                "point_min": -1,
                "reachable": False,
            }
        )
        usable = np.flatnonzero((pa.link >= 0) & (pa.gap_m <= max_attach_m))
        cell_ok = (ca.link >= 0) & (ca.gap_m <= max_attach_m)
        if len(usable) == 0 or not cell_ok.any():
            return out
        for cost, dcol, pcol in (("m", "dist_m", "point"), ("min", "minutes", "point_min")):
            best, which = self._nearest_cost(ca, pa, usable, cell_ok, cost, connector_kmh)
            out[dcol] = best
            out[pcol] = which
        reach = np.isfinite(out["dist_m"].to_numpy())
        out["reachable"] = reach
        # Both costs share the graph's topology, so a cell reaches a point by both or by neither.
        out.loc[~reach, ["dist_m", "minutes"]] = np.nan
        out.loc[~reach, ["point", "point_min"]] = -1
        return out

    def nearest_two(
        self,
        cells_xy: np.ndarray | Attachment,
        points_xy: np.ndarray | Attachment,
        max_attach_m: float = ATTACH_M,
        connector_kmh: float = CONNECTOR_KMH,
        cost: str = "m",
    ) -> pd.DataFrame:
        """The nearest and the second-nearest (distinct) point of each cell along the roads.

        Parameters
        ----------
        cells_xy, points_xy : ndarray (n, 2) or Attachment
            As in :meth:`nearest`.
        cost : {"m", "min"}
            Road metres or car minutes.

        Returns
        -------
        DataFrame
            Per cell: ``d1``, ``p1`` (the nearest point's row in ``points_xy``), ``d2``, ``p2``
            (the second-nearest, another point); NaN and -1 where fewer points are reachable.
            ``d1`` and ``p1`` are :meth:`nearest`'s (ties may pick the other point).
        """
        ca = cells_xy if isinstance(cells_xy, Attachment) else self.attach(cells_xy, max_attach_m)
        pa = (
            points_xy if isinstance(points_xy, Attachment) else self.attach(points_xy, max_attach_m)
        )
        nc = len(ca)
        out = pd.DataFrame({"d1": np.full(nc, np.nan), "p1": -1, "d2": np.nan, "p2": -1})
        usable = np.flatnonzero((pa.link >= 0) & (pa.gap_m <= max_attach_m))
        cell_ok = (ca.link >= 0) & (ca.gap_m <= max_attach_m)
        if len(usable) == 0 or not cell_ok.any():
            return out
        w = self._w[cost]

        def conn(gap_m: np.ndarray) -> np.ndarray:
            return gap_m if cost == "m" else _minutes(gap_m, connector_kmh)

        pl, pt, pg = pa.link[usable], pa.frac[usable], conn(pa.gap_m[usable])
        # Each point enters the search at both ends of its link with its cost to that end.
        start_node = np.concatenate([self._a[pl], self._b[pl]])
        start_cost = np.concatenate([pg + pt * w[pl], pg + (1.0 - pt) * w[pl]])
        start_point = np.concatenate([usable, usable])
        g = self._graph(cost, len(self.nodes))
        d1, p1, d2, p2 = _two_label_search(g, start_node, start_cost, start_point)
        # A cell's candidates: the two labels at each end of its link, and the points on its
        # own link reached straight along it; the best two distinct points win.
        ci = np.flatnonzero(cell_ok)
        cl, ct, cg = ca.link[ci], ca.frac[ci], conn(ca.gap_m[ci])
        cw = w[cl]
        cand = []
        for node, along in ((self._a[cl], ct * cw), (self._b[cl], (1.0 - ct) * cw)):
            for d, p in ((d1, p1), (d2, p2)):
                cand.append(pd.DataFrame({"cell": ci, "d": cg + along + d[node], "p": p[node]}))
        on = np.isin(cl, pl)
        same = pd.DataFrame({"cell": ci[on], "link": cl[on], "t": ct[on], "g": cg[on]}).merge(
            pd.DataFrame({"p": usable, "link": pl, "tp": pt, "gp": pg}), on="link"
        )
        if len(same):
            along = np.abs(same["t"].to_numpy() - same["tp"].to_numpy()) * w[same["link"]]
            same["d"] = same["g"].to_numpy() + along + same["gp"].to_numpy()
            cand.append(same[["cell", "d", "p"]])
        c = pd.concat(cand, ignore_index=True)
        c = c[(c["p"] >= 0) & np.isfinite(c["d"])]
        c = c.sort_values(["cell", "d", "p"], kind="stable").drop_duplicates(["cell", "p"])
        rank = c.groupby("cell").cumcount().to_numpy()
        for r, (dcol, pcol) in enumerate((("d1", "p1"), ("d2", "p2"))):
            sel = c[rank == r]
            out.loc[sel["cell"].to_numpy(), dcol] = sel["d"].to_numpy()
            out.loc[sel["cell"].to_numpy(), pcol] = sel["p"].to_numpy()
        return out

    def _nearest_cost(
        self,
        ca: Attachment,
        pa: Attachment,
        usable: np.ndarray,
        cell_ok: np.ndarray,
        cost: str,
        connector_kmh: float,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Cheapest cost and point per cell for one cost (``m`` or ``min``); inf and -1 if none."""
        n, k = len(self.nodes), len(usable)
        w = self._w[cost]

        def conn(gap_m: np.ndarray) -> np.ndarray:
            return gap_m if cost == "m" else _minutes(gap_m, connector_kmh)

        pl, pt, pg = pa.link[usable], pa.frac[usable], conn(pa.gap_m[usable])
        off_a = pg + pt * w[pl]
        off_b = pg + (1.0 - pt) * w[pl]
        na, nb = self._a[pl], self._b[pl]
        # Points exactly on a node start the search there; all others via a virtual node whose
        # two edges carry the point's cost to the link's ends (always > 0).
        zero_a, zero_b = off_a == 0, off_b == 0
        on_node = zero_a | zero_b
        virtual = ~on_node
        vid = n + np.arange(k)
        node_of = np.where(zero_a, na, nb)[on_node]
        node_src, first = np.unique(node_of, return_index=True)
        src_point = np.full(n + k, -1, dtype=np.int64)
        src_point[vid[virtual]] = usable[virtual]
        src_point[node_src] = usable[np.flatnonzero(on_node)[first]]
        rows = np.concatenate([self._rows, vid[virtual], vid[virtual]])
        cols = np.concatenate([self._cols, na[virtual], nb[virtual]])
        data = np.concatenate([w, w, off_a[virtual], off_b[virtual]])
        g = csr_matrix((data, (rows, cols)), shape=(n + k, n + k))
        indices = np.concatenate([vid[virtual], node_src])
        dist, _, src = dijkstra(
            g, directed=True, indices=indices, min_only=True, return_predecessors=True
        )
        dist, src = dist[:n], src[:n]

        nc = len(ca)
        best = np.full(nc, np.inf)
        which = np.full(nc, -1, dtype=np.int64)
        ci = np.flatnonzero(cell_ok)
        cl, ct, cg = ca.link[ci], ca.frac[ci], conn(ca.gap_m[ci])
        cw = w[cl]
        ends = self._a[cl], self._b[cl]
        for node, along in ((ends[0], ct * cw), (ends[1], (1.0 - ct) * cw)):
            d = dist[node]
            s = np.where(np.isfinite(d), src[node], -1)
            cand = cg + along + d
            better = np.isfinite(cand) & (cand < best[ci])
            best[ci[better]] = cand[better]
            which[ci[better]] = src_point[s[better]]
        # A point on the cell's own link is also reached straight along it, past no node.
        on = np.isin(cl, pl)
        same = pd.DataFrame({"cell": ci[on], "link": cl[on], "t": ct[on], "g": cg[on]}).merge(
            pd.DataFrame({"point": usable, "link": pl, "tp": pt, "gp": pg}), on="link"
        )
        if len(same):
            d = (
                same["g"].to_numpy()
                + np.abs(same["t"].to_numpy() - same["tp"].to_numpy()) * w[same["link"].to_numpy()]
                + same["gp"].to_numpy()
            )
            same = same.assign(d=d).sort_values(["cell", "d"]).drop_duplicates("cell")
            c, d, p = same["cell"].to_numpy(), same["d"].to_numpy(), same["point"].to_numpy()
            better = d < best[c]
            best[c[better]] = d[better]
            which[c[better]] = p[better]
        return best, which


def _two_label_search(
    g: csr_matrix, start_node: np.ndarray, start_cost: np.ndarray, start_point: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Nearest and second-nearest distinct point of every node (cost, point; inf and -1).

    A multi-source Dijkstra whose heap entries carry their point: the first entry popped at a
    node is its nearest point, the first popped with another point its second-nearest; later
    ones are dropped and never expanded. A point that is a node's third or worse cannot be a
    neighbour's first or second (both better points reach the neighbour through the node at
    lower cost), so the search is exact.
    """
    n = g.shape[0]
    indptr, indices, data = g.indptr.tolist(), g.indices.tolist(), g.data.tolist()
    inf = float("inf")
    d1, p1, d2, p2 = [inf] * n, [-1] * n, [inf] * n, [-1] * n
    heap = list(zip(start_cost.tolist(), start_node.tolist(), start_point.tolist(), strict=True))
    heapq.heapify(heap)
    pop, push = heapq.heappop, heapq.heappush
    while heap:
        d, v, s = pop(heap)
        if p1[v] == -1:
            d1[v], p1[v] = d, s
        elif p2[v] == -1 and p1[v] != s:
            d2[v], p2[v] = d, s
        else:
            continue
        for j in range(indptr[v], indptr[v + 1]):
            u = indices[j]
            if p2[u] == -1 and p1[u] != s:
                push(heap, (d + data[j], u, s))
    return np.array(d1), np.array(p1), np.array(d2), np.array(p2)


def nearest_by_type(
    net: RoadNetwork,
    cells: pd.DataFrame,
    points: pd.DataFrame,
    service_types: list[str] | None = None,
    max_attach_m: float = ATTACH_M,
    second: bool = True,
) -> pd.DataFrame:
    """Road distance and car minutes from every cell to the nearest point of every type.

    One multi-source shortest-path pass per service type and cost (metres, minutes) over the
    whole country, so the nearest point may lie in another län. Cells are attached to the road
    once for all types.

    Parameters
    ----------
    net : RoadNetwork
    cells : DataFrame
        ``cell_id, x, y`` (SWEREF 99 TM metres).
    points : DataFrame
        ``point_id, service_type, x, y``.
    service_types : list of str, optional
        Types to compute; default every type present in ``points``.
    max_attach_m : float
        Cells and points further than this from every road link are unreachable.
    second : bool
        Also the second-nearest point by road metres (:meth:`RoadNetwork.nearest_two`):
        ``road2_m`` and ``road2_point_id`` (NaN and None with fewer than two reachable).

    Returns
    -------
    DataFrame
        ``cell_id, service_type, road_m`` (metres to the nearest point by road),
        ``road_point_id`` (that point), ``road_min`` (car minutes at the posted speed to the
        fastest point), ``road_min_point_id`` (that point, which may differ from the nearest by
        km) and ``reachable``; distances NaN and ids None where unreachable (never 0).
    """
    catt = net.attach(cells[["x", "y"]].to_numpy(dtype=float), max_attach_m)
    frames = []
    types = service_types or sorted(points["service_type"].unique())
    for stype in types:
        pts = points[points["service_type"] == stype]
        patt = net.attach(pts[["x", "y"]].to_numpy(dtype=float).reshape(-1, 2), max_attach_m)
        # With no point left (all closed in a what-if) every cell is unreachable, not 0 km.
        res = net.nearest(catt, patt, max_attach_m=max_attach_m)
        two = net.nearest_two(catt, patt, max_attach_m=max_attach_m) if second else None
        pid = np.append(pts["point_id"].to_numpy(dtype=object), None)
        frames.append(
            pd.DataFrame(
                {
                    "cell_id": cells["cell_id"].to_numpy(),
                    "service_type": stype,
                    "road_m": res["dist_m"].to_numpy(),
                    "road_min": res["minutes"].to_numpy(),
                    # -1 (unreachable) picks the None appended last.
                    "road_point_id": pid[res["point"].to_numpy()],
                    "road_min_point_id": pid[res["point_min"].to_numpy()],
                    "reachable": res["reachable"].to_numpy(),
                }
            )
        )
        if two is not None:
            # Two points at the same cost: the search may rank them the other way round from
            # nearest(); the second-nearest is then the one nearest() did not pick.
            p1, p2 = two["p1"].to_numpy(), two["p2"].to_numpy()
            p2 = np.where((p2 >= 0) & (p2 == res["point"].to_numpy()), p1, p2)
            frames[-1]["road2_m"] = two["d2"].to_numpy()
            frames[-1]["road2_point_id"] = pid[p2]
    return pd.concat(frames, ignore_index=True)


def load_network(nodes: pd.DataFrame, edges: pd.DataFrame) -> RoadNetwork:
    """A :class:`RoadNetwork` from the processed ``vagnat_noder`` and ``vagnat_lankar`` tables."""
    return RoadNetwork(nodes, edges)
