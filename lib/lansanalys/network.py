"""Distances along a road network: one multi-source shortest-path pass per service type.

The network is an undirected graph of nodes with SWEREF 99 TM coordinates and edges with a length
in metres and a speed in km/h. Cells and service points are attached to their nearest node; a cell
whose nearest node is further than ``max_attach_m`` (an island without a road link) or that cannot
reach any point is reported as unreachable, never given distance 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix, csr_matrix
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree


@dataclass
class RoadNetwork:
    """A road graph ready for shortest paths.

    Parameters
    ----------
    nodes : DataFrame
        ``x, y`` in metres (row position is the node index).
    edges : DataFrame
        ``u, v`` (node indices), ``length_m`` and ``speed_kmh``; roads are two-way.
    """

    nodes: pd.DataFrame
    edges: pd.DataFrame

    def __post_init__(self) -> None:
        n = len(self.nodes)
        u, v = self.edges["u"].to_numpy(), self.edges["v"].to_numpy()
        if len(u) and (min(u.min(), v.min()) < 0 or max(u.max(), v.max()) >= n):
            raise ValueError("edges refer to nodes that do not exist")
        if (self.edges["length_m"] <= 0).any() or (self.edges["speed_kmh"] <= 0).any():
            raise ValueError("edge lengths and speeds must be positive")
        self._xy = self.nodes[["x", "y"]].to_numpy(dtype=float)
        self._tree = cKDTree(self._xy)
        length = self.edges["length_m"].to_numpy(dtype=float)
        minutes = length / 1000.0 / self.edges["speed_kmh"].to_numpy(dtype=float) * 60.0
        self.graph_m = self._sym(u, v, length, n)
        self.graph_min = self._sym(u, v, minutes, n)

    @staticmethod
    def _sym(u, v, w, n) -> csr_matrix:
        m = coo_matrix(
            (np.concatenate([w, w]), (np.concatenate([u, v]), np.concatenate([v, u]))), shape=(n, n)
        ).tocsr()
        m.sum_duplicates()
        return m

    def attach(self, xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Nearest node of each location and the straight connector length in metres."""
        d, i = self._tree.query(np.asarray(xy, dtype=float))
        return i, d

    def nearest(
        self,
        cells_xy: np.ndarray,
        points_xy: np.ndarray,
        max_attach_m: float = 5_000.0,
        connector_kmh: float = 30.0,
    ) -> pd.DataFrame:
        """Network distance and car minutes from each cell to its nearest point.

        Each point becomes a virtual node joined to its nearest road node by its connector, and
        one Dijkstra from all virtual nodes at once (``min_only``) gives every node its nearest
        point. Returns ``dist_m``, ``minutes`` and ``point`` (row in ``points_xy``) per cell, NaN
        and -1 where unreachable, and ``reachable``. The connector from a cell or point to its
        node counts at ``connector_kmh``. Distance and time are minimised separately, so the
        nearest point by minutes may differ from the nearest by metres (``point`` is by metres).
        """
        cnode, cgap = self.attach(cells_xy)
        pnode, pgap = self.attach(points_xy)
        usable = np.flatnonzero(pgap <= max_attach_m)
        out = pd.DataFrame(
            {"dist_m": np.nan, "minutes": np.nan, "point": -1, "reachable": False},
            index=range(len(cells_xy)),
        )
        if len(usable) == 0:
            return out
        n, k = len(self.nodes), len(usable)
        virtual = n + np.arange(k)
        res = {}
        for name, graph, cost in (
            ("dist_m", self.graph_m, pgap[usable]),
            ("minutes", self.graph_min, pgap[usable] / 1000.0 / connector_kmh * 60.0),
        ):
            # 1e-6: scipy reads a stored zero as "no edge" in some paths; keep connectors real.
            extra = coo_matrix((cost + 1e-6, (virtual, pnode[usable])), shape=(n + k, n + k))
            g = graph.tocoo()
            g = coo_matrix((g.data, (g.row, g.col)), shape=(n + k, n + k)).tocsr()
            g = (g + extra.tocsr()).tocsr()
            dist, _, src = dijkstra(
                g, directed=True, indices=virtual, min_only=True, return_predecessors=True
            )
            res[name] = (dist[:n], src[:n])
        reachable = np.isfinite(res["dist_m"][0][cnode]) & (cgap <= max_attach_m)
        dist_m = res["dist_m"][0][cnode] + cgap
        minutes = res["minutes"][0][cnode] + cgap / 1000.0 / connector_kmh * 60.0
        src = res["dist_m"][1][cnode]
        point = np.where(src >= n, usable[np.clip(src - n, 0, k - 1)], -1)
        out["dist_m"] = np.where(reachable, dist_m, np.nan)
        out["minutes"] = np.where(reachable, minutes, np.nan)
        out["point"] = np.where(reachable, point, -1)
        out["reachable"] = reachable
        return out


#: A populated cell or service point further than this from every road has no road link (m).
ATTACH_M = 3_000.0


def nearest_by_type(
    net: RoadNetwork,
    cells: pd.DataFrame,
    points: pd.DataFrame,
    service_types: list[str] | None = None,
    max_attach_m: float = ATTACH_M,
) -> pd.DataFrame:
    """Road distance and car minutes from every cell to the nearest point of every type.

    One multi-source shortest-path pass per service type (and per cost: metres, minutes), over
    the whole country, so the nearest point may lie in another län.

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
        Cells and points further than this from every road node are unreachable.

    Returns
    -------
    DataFrame
        ``cell_id, service_type, road_m`` (metres), ``road_min`` (car minutes at posted speed),
        ``road_point_id`` and ``reachable``; distances NaN where unreachable (never 0).
    """
    cxy = cells[["x", "y"]].to_numpy(dtype=float)
    frames = []
    types = service_types or sorted(points["service_type"].unique())
    for stype in types:
        pts = points[points["service_type"] == stype]
        # With no point left (all closed in a what-if) every cell is unreachable, not 0 km.
        res = net.nearest(
            cxy, pts[["x", "y"]].to_numpy(dtype=float).reshape(-1, 2), max_attach_m=max_attach_m
        )
        pid = pts["point_id"].to_numpy()
        frames.append(
            pd.DataFrame(
                {
                    "cell_id": cells["cell_id"].to_numpy(),
                    "service_type": stype,
                    "road_m": res["dist_m"].to_numpy(),
                    "road_min": res["minutes"].to_numpy(),
                    "road_point_id": np.where(
                        res["reachable"],
                        pid[res["point"].clip(lower=0).to_numpy()] if len(pid) else None,
                        None,
                    ),
                    "reachable": res["reachable"].to_numpy(),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)
