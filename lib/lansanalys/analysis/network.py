"""Distances along a road network: one multi-source shortest-path search per service type and cost.

The network is an undirected graph of nodes with SWEREF 99 TM coordinates and links with a length
in metres and a speed in km/h; each link is the straight line between its two nodes.

**Attaching.** A cell or service point joins the road at the nearest point of the nearest link (a
grid index over the links' bounding boxes, searched outwards ring by ring until no nearer link
can remain; the lower link row on a tie), not at the nearest node: the link is split there, and
the two partial links get their share of the link's metres and minutes pro rata. The straight
connector from the location to the road counts at ``connector_kmh``. A location further than
``max_attach_m`` from every link (an island without a road) has no road link.

**Sources without an epsilon.** A point on link ``(a, b)`` at fraction ``t`` with connector ``g``
enters the search at ``a`` costing ``g + t·L`` and at ``b`` costing ``g + (1 − t)·L``; one
Dijkstra from all points at once gives every node its nearest point. A point lying exactly on a
node enters there at cost 0 (a source starts at 0); no small number is added anywhere: a trip of
exactly 5 000 m is 5 000 m. A cell's cost is ``g + t·L + D(a)`` or ``g + (1 − t)·L + D(b)``, or
straight along its own link when a point lies on the same link.

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

**Ties.** Two points at the same cost: the lower row of ``points_xy`` wins, in every search and
for every cell, so the nearest of :meth:`~RoadNetwork.nearest_two` is :meth:`~RoadNetwork.nearest`'s.

The searches are compiled (:mod:`lansanalys.analysis.roadsearch`, numba); on a national network
of 4 million nodes they run within a small factor of SciPy's own Dijkstra
(``benchmarks/sweden_scale.py``, figures in ``benchmarks/RESULTS.md``).
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd
from scipy.sparse import csr_matrix

from lansanalys.analysis import roadsearch as rs

#: A populated cell or service point further than this from every road has no road link (m).
ATTACH_M = 3_000.0
#: Speed on the straight connector from a cell or point to the road (km/h).
CONNECTOR_KMH = 30.0
#: Costs: road metres and car minutes.
COSTS = ("m", "min")


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

    def usable(self, max_attach_m: float) -> np.ndarray:
        """Rows with a link within ``max_attach_m``."""
        return (self.link >= 0) & (self.gap_m <= max_attach_m)


@dataclass
class Labels:
    """The ``k`` nearest distinct points of every node (cost, row; inf and -1 where fewer)."""

    k: int
    d1: np.ndarray
    p1: np.ndarray
    d2: np.ndarray
    p2: np.ndarray


@dataclass
class Sources:
    """The usable points of one search: rows, links, fractions and connector costs."""

    rows: np.ndarray
    link: np.ndarray
    frac: np.ndarray
    conn: np.ndarray


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
        edges) and ``minutes`` (the fastest of them, at the posted speed), sorted by ``a, b``.
    graph_m, graph_min : csr_matrix
        Symmetric adjacency in metres and in car minutes (one index array shared by both).
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
        # One link per unordered node pair: a sum of parallel edges is no road (5 km + 5 km is
        # not 10 km), so the shortest is kept for metres and, separately, the fastest for
        # minutes. A loop back to its own node never shortens a trip.
        a, b = np.minimum(u, v), np.maximum(u, v)
        keep = a != b
        la, lb, lm, lt = rs.dedupe_links(
            n, a[keep], b[keep], length[keep], _minutes(length[keep], speed[keep])
        )
        self.links = pd.DataFrame({"a": la, "b": lb, "length_m": lm, "minutes": lt})
        self._xy = self.nodes[["x", "y"]].to_numpy(dtype=float)
        self._a, self._b = la, lb
        self._w = {"m": lm, "min": lt}
        self._indptr, self._indices, wm, wt = rs.build_csr(n, la, lb, lm, lt)
        self._arc = {"m": wm, "min": wt}
        self.graph_m = self._graph("m")
        self.graph_min = self._graph("min")

    def _graph(self, cost: str) -> csr_matrix:
        n = len(self.nodes)
        return csr_matrix((self._arc[cost], self._indices, self._indptr), shape=(n, n), copy=False)

    @cached_property
    def _grid(self) -> tuple:
        """The link index (built on the first attach): origin, cell size, shape, cells, links."""
        ax, ay = self._xy[self._a, 0], self._xy[self._a, 1]
        bx, by = self._xy[self._b, 0], self._xy[self._b, 1]
        if len(ax) == 0:
            return ax, ay, bx, by, 0.0, 0.0, 1.0, 1, 1, np.zeros(2, np.int64), np.zeros(0, np.int64)
        x0, y0 = min(ax.min(), bx.min()), min(ay.min(), by.min())
        span = max(ax.max(), bx.max()) - x0, max(ay.max(), by.max()) - y0
        lo_x, hi_x = np.minimum(ax, bx) - x0, np.maximum(ax, bx) - x0
        lo_y, hi_y = np.minimum(ay, by) - y0, np.maximum(ay, by) - y0
        # About a link per cell, coarser while the links' boxes would fill too many cells.
        cs = max(float(np.median(np.hypot(bx - ax, by - ay))), 1.0)
        while True:
            nx, ny = int(span[0] // cs) + 1, int(span[1] // cs) + 1
            per = ((hi_x // cs - lo_x // cs + 1) * (hi_y // cs - lo_y // cs + 1)).sum()
            if per <= 4 * len(ax) and nx * ny <= 4 * len(ax) + 1_024:
                break
            cs *= 2
        ptr, ids = rs.grid_build(ax, ay, bx, by, x0, y0, cs, nx, ny)
        return ax, ay, bx, by, x0, y0, cs, nx, ny, ptr, ids

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
        if len(xy) == 0 or len(self.links) == 0:
            m = len(xy)
            return Attachment(np.full(m, -1, np.int64), np.zeros(m), np.full(m, np.inf))
        limit = np.inf if max_attach_m is None else float(max_attach_m)
        qx, qy = np.ascontiguousarray(xy[:, 0]), np.ascontiguousarray(xy[:, 1])
        return Attachment(*rs.grid_nearest(qx, qy, *self._grid, limit))

    def sources(
        self, points: Attachment, cost: str, max_attach_m: float, connector_kmh: float
    ) -> Sources:
        """The points within ``max_attach_m`` of a road, with their connector cost in ``cost``."""
        rows = np.flatnonzero(points.usable(max_attach_m))
        return Sources(
            rows,
            points.link[rows],
            points.frac[rows],
            self._conn(points.gap_m[rows], cost, connector_kmh),
        )

    @staticmethod
    def _conn(gap_m: np.ndarray, cost: str, connector_kmh: float) -> np.ndarray:
        return gap_m if cost == "m" else _minutes(gap_m, connector_kmh)

    def starts(self, src: Sources, cost: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Each point enters the search at both ends of its link: node, cost, point row."""
        w = self._w[cost][src.link]
        node = np.concatenate([self._a[src.link], self._b[src.link]])
        start = np.concatenate([src.conn + src.frac * w, src.conn + (1.0 - src.frac) * w])
        return node, start, np.concatenate([src.rows, src.rows])

    def labels(self, src: Sources, cost: str, k: int) -> Labels:
        """The nearest (``k`` 1) or the nearest and second-nearest (``k`` 2) distinct points of
        every node along the roads."""
        n = len(self.nodes)
        lab = Labels(k, *_empty(n), *_empty(n))
        node, start, point = self.starts(src, cost)
        graph = self._indptr, self._indices, self._arc[cost]
        done = np.zeros(n, np.bool_)
        rs.label_search(*graph, done, lab.d1, lab.p1, None, node, start, point)
        if k == 2:
            done[:] = False
            sn, sc, sp = rs.arc_seeds(
                *graph, np.arange(n), done, lab.d1, lab.p1, lab.d2, lab.p2, True
            )
            rs.label_search(
                *graph,
                done,
                lab.d2,
                lab.p2,
                lab.p1,
                np.concatenate([node, sn]),
                np.concatenate([start, sc]),
                np.concatenate([point, sp]),
            )
        return lab

    def cell_costs(
        self,
        cells: Attachment,
        rows: np.ndarray,
        src: Sources,
        lab: Labels,
        cost: str,
        connector_kmh: float,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The ``lab.k`` nearest points of the cells at ``rows`` (cost, point row; inf, -1)."""
        order = np.argsort(src.link, kind="stable")
        w = self._w[cost]
        return rs.cell_labels(
            lab.k,
            cells.link[rows],
            cells.frac[rows],
            self._conn(cells.gap_m[rows], cost, connector_kmh),
            self._a,
            self._b,
            w,
            lab.d1,
            lab.p1,
            lab.d2,
            lab.p2,
            src.link[order],
            src.frac[order],
            src.conn[order],
            src.rows[order],
        )

    def _search(
        self,
        cells: np.ndarray | Attachment,
        points: np.ndarray | Attachment,
        max_attach_m: float,
        connector_kmh: float,
        cost: str,
        k: int,
    ) -> tuple[np.ndarray, ...]:
        """Per cell the ``k`` nearest points for one cost: d1, p1, d2, p2 (inf and -1)."""
        ca = cells if isinstance(cells, Attachment) else self.attach(cells, max_attach_m)
        pa = points if isinstance(points, Attachment) else self.attach(points, max_attach_m)
        nc = len(ca)
        out = (np.full(nc, np.inf), np.full(nc, -1, np.int64))
        out = (*out, *(np.full(nc, np.inf), np.full(nc, -1, np.int64)))
        src = self.sources(pa, cost, max_attach_m, connector_kmh)
        ok = np.flatnonzero(ca.usable(max_attach_m))
        if len(src.rows) == 0 or len(ok) == 0:
            return out
        lab = self.labels(src, cost, k)
        for arr, got in zip(
            out, self.cell_costs(ca, ok, src, lab, cost, connector_kmh), strict=True
        ):
            arr[ok] = got
        return out

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
        dm, pm, _, _ = self._search(ca, pa, max_attach_m, connector_kmh, "m", 1)
        dt, pt, _, _ = self._search(ca, pa, max_attach_m, connector_kmh, "min", 1)
        return _nearest_frame(dm, pm, dt, pt)

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
            ``d1`` and ``p1`` are :meth:`nearest`'s.
        """
        if cost not in COSTS:
            raise ValueError(f"cost must be one of {COSTS}, not {cost!r}")
        d1, p1, d2, p2 = self._search(cells_xy, points_xy, max_attach_m, connector_kmh, cost, 2)
        return pd.DataFrame(
            {"d1": _nan(d1), "p1": p1, "d2": _nan(d2), "p2": p2},
        )


def _empty(n: int) -> tuple[np.ndarray, np.ndarray]:
    """A label array pair with no point: cost inf, point -1."""
    return np.full(n, np.inf), np.full(n, -1, np.int64)


def _nan(d: np.ndarray) -> np.ndarray:
    """Unreachable (inf) as NaN."""
    return np.where(np.isfinite(d), d, np.nan)


def _nearest_frame(dm, pm, dt, pt) -> pd.DataFrame:
    """:meth:`RoadNetwork.nearest`'s table from the two searches' nearest cost and point."""
    # Both costs share the graph's topology, so a cell reaches a point by both or by neither.
    reach = np.isfinite(dm)
    return pd.DataFrame(
        {
            "dist_m": np.where(reach, dm, np.nan),
            "point": np.where(reach, pm, -1),
            "minutes": np.where(reach, dt, np.nan),
            "point_min": np.where(reach, pt, -1),
            "reachable": reach,
        }
    )


def nearest_by_type(
    net: RoadNetwork,
    cells: pd.DataFrame,
    points: pd.DataFrame,
    service_types: list[str] | None = None,
    max_attach_m: float = ATTACH_M,
    second: bool = True,
    workers: int | None = None,
    minutes: bool = True,
) -> pd.DataFrame:
    """Road distance and car minutes from every cell to the nearest point of every type.

    One multi-source shortest-path search per service type and cost (metres, minutes) over the
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
        Also the second-nearest point by road metres (:meth:`RoadNetwork.nearest_two`, from the
        same search as the nearest): ``road2_m`` and ``road2_point_id`` (NaN and None with fewer
        than two reachable).
    minutes : bool
        Also the car minutes (a second search per type); without them ``road_min`` is NaN and
        ``road_min_point_id`` None (the change over time needs road metres only).
    workers : int, optional
        Types computed side by side in threads (the searches release the GIL); default two
        where the machine has two cores or more. The answer is the same with any number.

    Returns
    -------
    DataFrame
        ``cell_id, service_type, road_m`` (metres to the nearest point by road),
        ``road_point_id`` (that point), ``road_min`` (car minutes at the posted speed to the
        fastest point), ``road_min_point_id`` (that point, which may differ from the nearest by
        km) and ``reachable``; distances NaN and ids None where unreachable (never 0).
    """
    catt = net.attach(cells[["x", "y"]].to_numpy(dtype=float), max_attach_m)
    types = service_types or sorted(points["service_type"].unique())
    cell_ids = cells["cell_id"].to_numpy()

    def one(stype: str) -> pd.DataFrame:
        pts = points[points["service_type"] == stype]
        patt = net.attach(pts[["x", "y"]].to_numpy(dtype=float).reshape(-1, 2), max_attach_m)
        # With no point left (all closed in a what-if) every cell is unreachable, not 0 km.
        k = 2 if second else 1
        dm, pm, d2, p2 = net._search(catt, patt, max_attach_m, CONNECTOR_KMH, "m", k)
        if minutes:
            dt, pt, _, _ = net._search(catt, patt, max_attach_m, CONNECTOR_KMH, "min", 1)
        else:
            dt, pt = np.full(len(dm), np.nan), np.full(len(dm), -1, np.int64)
        res = _nearest_frame(dm, pm, dt, pt)
        pid = np.append(pts["point_id"].to_numpy(dtype=object), None)
        frame = pd.DataFrame(
            {
                "cell_id": cell_ids,
                "service_type": stype,
                "road_m": res["dist_m"].to_numpy(),
                "road_min": res["minutes"].to_numpy(),
                # -1 (unreachable) picks the None appended last.
                "road_point_id": pid[res["point"].to_numpy()],
                "road_min_point_id": pid[res["point_min"].to_numpy()],
                "reachable": res["reachable"].to_numpy(),
            }
        )
        if second:
            frame["road2_m"] = _nan(d2)
            frame["road2_point_id"] = pid[p2]
        return frame

    if workers is None:
        workers = min(2, os.cpu_count() or 1)
    if workers > 1 and len(types) > 1:
        with ThreadPoolExecutor(workers) as pool:
            frames = list(pool.map(one, types))
    else:
        frames = [one(t) for t in types]
    return pd.concat(frames, ignore_index=True)


def load_network(nodes: pd.DataFrame, edges: pd.DataFrame) -> RoadNetwork:
    """A :class:`RoadNetwork` from the processed ``vagnat_noder`` and ``vagnat_lankar`` tables."""
    return RoadNetwork(nodes, edges)
