"""Interactive what-if along the roads: close, open or move one service point and get the access
shares of the kommuner it touches, in well under a second on a national network.

:class:`WhatIf` computes every node's nearest and second-nearest point by road km and fastest
point by car minutes once (as :func:`lansanalys.analysis.network.nearest_by_type` does), keeps
them, and after a change recomputes only what the change can touch:

- **Closing** point P: the nodes whose nearest is P take their second-nearest (which is what a
  search without P gives them), and the nodes that held P as nearest or second-nearest get a new
  second-nearest from a search over those nodes alone, started from their neighbours' final
  labels and the points entering there. By car minutes (nearest only) the nodes whose fastest
  was P are searched again the same way.
- **Opening** point Q: a search from Q alone that stops wherever Q is no better than what a node
  already has (then it is no better at the nodes beyond).
- **Moving** is closing and opening the same point.

Then only the cells on links at the changed nodes (or on the point's own link) are measured again,
and the kommuner where a cell changed are compared before and after with the one definition of
"beyond" (:func:`lansanalys.analysis.access.beyond_thresholds`). The result equals a full
recomputation (tested against :func:`~lansanalys.analysis.network.nearest_by_type` on random
worlds), and every change can be undone.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from lansanalys.analysis import access
from lansanalys.analysis import roadsearch as rs
from lansanalys.analysis.network import (
    ATTACH_M,
    CONNECTOR_KMH,
    Attachment,
    Labels,
    RoadNetwork,
    Sources,
    _empty,
    _nan,
)
from lansanalys.config import DEFAULT_THRESHOLDS_KM

#: Labels kept per cost: nearest and second-nearest by km, fastest by minutes.
_K = {"m": 2, "min": 1}


@dataclass
class _Type:
    """One service type's points, node labels and cell results (per cost)."""

    ids: list[str]
    link: np.ndarray
    frac: np.ndarray
    gap: np.ndarray
    alive: np.ndarray
    labels: dict[str, Labels] = field(default_factory=dict)
    #: per cost: cell cost and point row of the nearest (and second-nearest for km)
    cell: dict[str, list[np.ndarray]] = field(default_factory=dict)


@dataclass
class _Undo:
    """What one change overwrote, to put back."""

    stype: str
    points: tuple
    nodes: dict[str, list[tuple[np.ndarray, tuple[np.ndarray, ...]]]]
    cells: np.ndarray
    old_cells: dict[str, list[np.ndarray]]


class WhatIf:
    """Close, open or move service points along the roads and see the access shares change.

    Parameters
    ----------
    net : RoadNetwork
    cells : DataFrame
        ``cell_id, x, y, kommun_kod`` and the population columns (metres, SWEREF 99 TM). Pass
        the cells of areas with data of the type (elsewhere the files do not hold every point).
    points : DataFrame
        ``point_id, service_type, x, y``.
    service_types : list of str, optional
        Types to prepare (each costs one national search per cost); default every type in
        ``points``.
    thresholds_km, limits_min, second_km : sequence of float
        Limits of the shares: beyond km by road to the nearest point, beyond car minutes to the
        fastest, and beyond km to the second-nearest.
    pop_cols : sequence of str
        Population columns counted.

    Example
    -------
    >>> from lansanalys.analysis.network import RoadNetwork
    >>> nodes = pd.DataFrame({"x": [0.0, 10_000.0, 30_000.0], "y": [0.0, 0.0, 0.0]})
    >>> edges = pd.DataFrame({"u": [0, 1], "v": [1, 2], "length_m": [10_000.0, 20_000.0],
    ...                       "speed_kmh": [60.0, 60.0]})
    >>> cells = pd.DataFrame({"cell_id": ["a", "b"], "x": [0.0, 30_000.0], "y": [0.0, 0.0],
    ...                       "kommun_kod": ["0114", "0115"], "population": [100, 50]})
    >>> shops = pd.DataFrame({"point_id": ["P", "Q"], "service_type": "dagligvaror",
    ...                       "x": [0.0, 30_000.0], "y": [0.0, 0.0]})
    >>> wi = WhatIf(RoadNetwork(nodes, edges), cells, shops)
    >>> r = wi.close("P")  # cell a now goes 30 km to Q (and b's second-nearest is gone)
    >>> over20 = r[r["measure"] == "population_share_over_20km"]
    >>> print(over20[["kommun_kod", "before", "after"]].to_string(index=False))
    kommun_kod  before  after
          0114     0.0  100.0
          0115     0.0    0.0
    >>> r = wi.move("Q", 10_000.0, 0.0)  # Q moves to the middle node: a is 10 km from it
    >>> wi.nearest("dagligvaror")[["cell_id", "road_m", "road_point_id"]]
      cell_id   road_m road_point_id
    0       a  10000.0             Q
    1       b  20000.0             Q
    >>> wi.reset()  # back to P and Q where they were
    >>> wi.nearest("dagligvaror")["road_m"].tolist()
    [0.0, 0.0]
    """

    def __init__(
        self,
        net: RoadNetwork,
        cells: pd.DataFrame,
        points: pd.DataFrame,
        service_types: Sequence[str] | None = None,
        thresholds_km: Sequence[float] = DEFAULT_THRESHOLDS_KM,
        limits_min: Sequence[float] = (access.HEADLINE_MIN,),
        second_km: Sequence[float] = access.SECOND_KM,
        pop_cols: Sequence[str] = ("population",),
        max_attach_m: float = ATTACH_M,
        connector_kmh: float = CONNECTOR_KMH,
    ) -> None:
        missing = [c for c in ("cell_id", "x", "y", "kommun_kod", *pop_cols) if c not in cells]
        if missing:
            raise ValueError(f"cells lack the column(s) {missing}")
        self.net = net
        self.cells = cells.reset_index(drop=True)
        self.limits = (tuple(thresholds_km), tuple(limits_min), tuple(second_km))
        self.pop_cols = list(pop_cols)
        self.max_attach_m, self.connector_kmh = max_attach_m, connector_kmh
        self._catt = net.attach(self.cells[["x", "y"]].to_numpy(dtype=float), max_attach_m)
        self._ok = self._catt.usable(max_attach_m)
        self._kcode, self._kname = pd.factorize(self.cells["kommun_kod"])
        self._types: dict[str, _Type] = {}
        self._where: dict[str, str] = {}  # point id -> type
        self._undo: list[_Undo] = []
        wanted = service_types or sorted(points["service_type"].unique())
        for stype in wanted:
            self._prepare(stype, points[points["service_type"] == stype])

    # -- preparation ------------------------------------------------------------------------

    def _prepare(self, stype: str, pts: pd.DataFrame) -> None:
        att = self.net.attach(pts[["x", "y"]].to_numpy(dtype=float).reshape(-1, 2))
        ids = [str(p) for p in pts["point_id"]]
        st = _Type(ids, att.link, att.frac, att.gap_m, np.ones(len(ids), bool))
        self._types[stype] = st
        for pid in ids:
            if pid in self._where:
                raise ValueError(f"point id {pid!r} appears more than once")
            self._where[pid] = stype
        rows = np.flatnonzero(self._ok)
        for cost, k in _K.items():
            src = self._sources(st, cost)
            st.labels[cost] = self.net.labels(src, cost, k)
            full = [*_empty(len(self.cells)), *_empty(len(self.cells))]
            for arr, got in zip(full, self._measure(st, cost, rows, src), strict=True):
                arr[rows] = got
            st.cell[cost] = full

    def _sources(self, st: _Type, cost: str) -> Sources:
        att = Attachment(st.link, st.frac, np.where(st.alive, st.gap, np.inf))
        return self.net.sources(att, cost, self.max_attach_m, self.connector_kmh)

    def _measure(self, st: _Type, cost: str, rows: np.ndarray, src: Sources) -> tuple:
        return self.net.cell_costs(self._catt, rows, src, st.labels[cost], cost, self.connector_kmh)

    # -- the public changes ------------------------------------------------------------------

    def close(self, point_id: str) -> pd.DataFrame:
        """Close a point; the shares of the kommuner where a cell's figures changed.

        Returns
        -------
        DataFrame
            ``kommun_kod, service_type, measure, before, after``: each share (percent) of
            :func:`lansanalys.analysis.access.beyond_thresholds` by road km (``…_over_10km``),
            by car minutes (``…_over_10min``), to the second-nearest point
            (``…_share_second_over_10km``) and unreachable, before and after. ``attrs`` holds
            ``cells_changed``, ``nodes_searched`` and ``seconds``.
        """
        stype, j = self._row(point_id)
        return self._change(stype, [("close", j, None)])

    def add(self, point_id: str, service_type: str, x: float, y: float) -> pd.DataFrame:
        """Open a new point of ``service_type`` at ``(x, y)`` (metres); as :meth:`close`."""
        if service_type not in self._types:
            raise KeyError(f"service type {service_type!r} was not prepared")
        if str(point_id) in self._where:
            raise ValueError(f"point id {point_id!r} exists already")
        st = self._types[service_type]
        st.ids.append(str(point_id))
        st.link = np.append(st.link, -1)
        st.frac, st.gap = np.append(st.frac, 0.0), np.append(st.gap, np.inf)
        st.alive = np.append(st.alive, False)
        self._where[str(point_id)] = service_type
        return self._change(service_type, [("open", len(st.ids) - 1, (x, y))], added=point_id)

    def move(self, point_id: str, x: float, y: float) -> pd.DataFrame:
        """Move a point to ``(x, y)`` (metres); as :meth:`close`."""
        stype, j = self._row(point_id)
        return self._change(stype, [("close", j, None), ("open", j, (x, y))])

    def undo(self) -> None:
        """Take back the last change."""
        if not self._undo:
            raise IndexError("nothing to undo")
        u = self._undo.pop()
        st = self._types[u.stype]
        ids_len, st.link, st.frac, st.gap, st.alive = u.points
        for pid in st.ids[ids_len:]:
            del self._where[pid]
        del st.ids[ids_len:]
        for cost, saved in u.nodes.items():
            lab = st.labels[cost]
            for nodes, old in reversed(saved):
                lab.d1[nodes], lab.p1[nodes], lab.d2[nodes], lab.p2[nodes] = old
        for cost, old in u.old_cells.items():
            for arr, o in zip(st.cell[cost], old, strict=True):
                arr[u.cells] = o

    def reset(self) -> None:
        """Take back every change."""
        while self._undo:
            self.undo()

    def nearest(self, service_type: str) -> pd.DataFrame:
        """The cells' nearest table of a type now, as :func:`nearest_by_type` gives it."""
        st = self._types[service_type]
        pid = np.append(np.array(st.ids, dtype=object), None)
        d1, p1, d2, p2 = st.cell["m"]
        t1, q1 = st.cell["min"][:2]
        reach = np.isfinite(d1)
        return pd.DataFrame(
            {
                "cell_id": self.cells["cell_id"].to_numpy(),
                "service_type": service_type,
                "road_m": _nan(d1),
                "road_min": np.where(reach, t1, np.nan),
                "road_point_id": pid[p1],
                "road_min_point_id": pid[np.where(reach, q1, -1)],
                "reachable": reach,
                "road2_m": _nan(d2),
                "road2_point_id": pid[p2],
            }
        )

    def shares(self, service_type: str, kommuner: Sequence[str] | None = None) -> pd.DataFrame:
        """The shares of :meth:`close`'s result now, for ``kommuner`` (default all), wide."""
        mask = np.ones(len(self.cells), bool)
        if kommuner is not None:
            mask = self.cells["kommun_kod"].isin(list(kommuner)).to_numpy()
        rows = np.flatnonzero(mask)
        now = self._values(self._types[service_type], rows)
        return self._shares(service_type, rows, {"now": now}).drop(columns="phase")

    # -- machinery ---------------------------------------------------------------------------

    def _row(self, point_id: str) -> tuple[str, int]:
        stype = self._where.get(str(point_id))
        if stype is None:
            raise KeyError(f"unknown point id {point_id!r}")
        st = self._types[stype]
        j = st.ids.index(str(point_id))
        if not st.alive[j]:
            raise KeyError(f"point {point_id!r} is closed")
        return stype, j

    def _change(self, stype: str, steps: list, added: str | None = None) -> pd.DataFrame:
        t0 = time.perf_counter()
        st = self._types[stype]
        saved_points = (
            len(st.ids) - (1 if added is not None else 0),
            st.link.copy(),
            st.frac.copy(),
            st.gap.copy(),
            st.alive.copy(),
        )
        if added is not None:  # the undo forgets the new row too
            saved_points = (saved_points[0], *(a[:-1] for a in saved_points[1:]))
        nodes: dict[str, list] = {cost: [] for cost in _K}
        touched_links = []
        for kind, j, xy in steps:
            touched_links.append(st.link[j])
            if kind == "close":
                st.alive[j] = False
                for cost in _K:
                    nodes[cost].append(self._close(st, cost, j))
            else:
                att = self.net.attach(np.array([xy], dtype=float))
                st.link[j], st.frac[j], st.gap[j] = att.link[0], att.frac[0], att.gap_m[0]
                st.alive[j] = True
                touched_links.append(st.link[j])
                for cost in _K:
                    nodes[cost].append(self._open(st, cost, j))
        cells, old, new = self._remeasure(st, nodes, np.array(touched_links))
        self._undo.append(_Undo(stype, saved_points, nodes, cells, old))
        changed = np.zeros(len(cells), bool)
        for cost in _K:
            for o, nw in zip(old[cost], new[cost], strict=True):
                changed |= o != nw  # costs are inf, never NaN, where unreachable
        rows = np.flatnonzero(np.isin(self._kcode, np.unique(self._kcode[cells[changed]])))
        before = self._values(st, rows)
        for cost in _K:
            for arr, nw in zip(st.cell[cost], new[cost], strict=True):
                arr[cells] = nw
        if len(rows):
            out = _long(
                self._shares(stype, rows, {"before": before, "after": self._values(st, rows)})
            )
        else:  # nobody's figures changed (a point far from every road, or beyond others)
            out = pd.DataFrame(columns=["kommun_kod", "service_type", "measure", "before", "after"])
        out.attrs.update(
            cells_changed=int(changed.sum()),
            nodes_searched=int(sum(len(n) for saved in nodes.values() for n, _ in saved)),
            seconds=time.perf_counter() - t0,
        )
        return out

    def _close(self, st: _Type, cost: str, j: int) -> tuple[np.ndarray, tuple]:
        """Take point ``j`` (already marked closed) out of one cost's node labels."""
        lab, net = st.labels[cost], self.net
        graph = net._indptr, net._indices, net._arc[cost]
        near = rs.region_of(1, lab.p1, lab.p2, j)
        region = rs.region_of(lab.k, lab.p1, lab.p2, j)
        old = (lab.d1[region], lab.p1[region], lab.d2[region], lab.p2[region])
        done = np.ones(len(lab.d1), np.bool_)
        done[region] = False
        if lab.k == 2:
            # The nearest of a node that had j as nearest is its second-nearest; the
            # second-nearest of every node that held j is searched again.
            lab.d1[near], lab.p1[near] = lab.d2[near], lab.p2[near]
            lab.d2[region], lab.p2[region] = np.inf, -1
            d, p, excl = lab.d2, lab.p2, lab.p1
        else:
            lab.d1[region], lab.p1[region] = np.inf, -1
            d, p, excl = lab.d1, lab.p1, None
        sn, sc, sp = rs.arc_seeds(*graph, region, done, lab.d1, lab.p1, lab.d2, lab.p2, lab.k == 2)
        node, start, point = net.starts(self._sources(st, cost), cost)
        inside = ~done[node]
        rs.label_search(
            *graph,
            done,
            d,
            p,
            excl,
            np.concatenate([node[inside], sn]),
            np.concatenate([start[inside], sc]),
            np.concatenate([point[inside], sp]),
        )
        return region, old

    def _open(self, st: _Type, cost: str, j: int) -> tuple[np.ndarray, tuple]:
        """Add point ``j`` (already attached and open) to one cost's node labels."""
        lab, net = st.labels[cost], self.net
        src = self._sources(st, cost)
        mine = src.rows == j
        if not mine.any():  # too far from every road: it reaches nobody
            return np.zeros(0, np.int64), (np.zeros(0),) * 4
        one = Sources(src.rows[mine], src.link[mine], src.frac[mine], src.conn[mine])
        node, start, _ = net.starts(one, cost)
        log_v, log_d, log_p = rs.insert_point(
            net._indptr,
            net._indices,
            net._arc[cost],
            lab.k,
            lab.d1,
            lab.p1,
            lab.d2,
            lab.p2,
            node,
            start,
            j,
        )
        changed, first = np.unique(log_v, return_index=True)
        return changed, (log_d[first, 0], log_p[first, 0], log_d[first, 1], log_p[first, 1])

    def _remeasure(self, st: _Type, nodes: dict, links: np.ndarray) -> tuple:
        """Measure again the cells on links at changed nodes or on the changed points' links."""
        mark = np.zeros(len(self.net.nodes), bool)
        for saved in nodes.values():
            for n, _ in saved:
                mark[n] = True
        cl = self._catt.link
        a, b = self.net._a[np.maximum(cl, 0)], self.net._b[np.maximum(cl, 0)]
        hit = self._ok & (mark[a] | mark[b] | np.isin(cl, links[links >= 0]))
        cells = np.flatnonzero(hit)
        old, new = {}, {}
        for cost in _K:
            old[cost] = [arr[cells].copy() for arr in st.cell[cost]]
            new[cost] = list(self._measure(st, cost, cells, self._sources(st, cost)))
        return cells, old, new

    def _values(self, st: _Type, rows: np.ndarray) -> dict[str, np.ndarray]:
        """Road km to the nearest, minutes to the fastest and km to the second-nearest now."""
        return {
            "road_m": _nan(st.cell["m"][0][rows]),
            "road_min": _nan(st.cell["min"][0][rows]),
            "road2_m": _nan(st.cell["m"][2][rows]),
        }

    def _shares(self, stype: str, rows: np.ndarray, phases: dict[str, dict]) -> pd.DataFrame:
        """Shares beyond the limits per kommun and phase for the cells at ``rows`` (wide): one
        :func:`~lansanalys.analysis.access.beyond_thresholds` per distance over all phases."""
        pops = self.cells[self.pop_cols].iloc[rows]
        cd = pd.concat(
            [
                pops.assign(_k=self._kcode[rows], phase=name, service_type=stype, **values)
                for name, values in phases.items()
            ],
            ignore_index=True,
        )
        km, mins, second = self.limits
        keys = ["_k", "phase"]
        out = access.beyond_thresholds(cd, keys, km, "road_m", self.pop_cols)
        parts = [out[[*keys, "service_type"] + [c for c in out if "_share_" in c]]]
        if mins:
            m = access.beyond_thresholds(cd, keys, mins, "road_min", self.pop_cols, "min")
            parts.append(m[keys + [c for c in m if "_share_over_" in c]])
        if second:
            s = access.beyond_thresholds(cd, keys, second, "road2_m", self.pop_cols)
            cols = {c: c.replace("_over_", "_second_over_") for c in s if "_share_over_" in c}
            parts.append(s[keys + list(cols)].rename(columns=cols))
        wide = parts[0]
        for p in parts[1:]:
            wide = wide.merge(p, on=keys)
        wide.insert(0, "kommun_kod", np.asarray(self._kname)[wide.pop("_k").to_numpy()])
        return wide


def _long(wide: pd.DataFrame) -> pd.DataFrame:
    """Before and after side by side, one row per kommun × measure."""
    keys = ["kommun_kod", "service_type"]
    long = wide.melt(id_vars=[*keys, "phase"], var_name="measure")
    out = long.pivot_table(index=[*keys, "measure"], columns="phase", values="value", dropna=False)
    out = out.reset_index()[[*keys, "measure", "before", "after"]]
    out.columns.name = None
    measures = list(dict.fromkeys(long["measure"]))
    out["measure"] = pd.Categorical(out["measure"], categories=measures, ordered=True)
    out = out.sort_values(["kommun_kod", "measure"], kind="stable").reset_index(drop=True)
    out["measure"] = out["measure"].astype(str)
    return out


def warm_up() -> None:
    """Run every road kernel once on a tiny world: compiles them on a cold numba cache (about
    10 s of CPU), so later processes only load them. ``make setup`` runs it."""
    from lansanalys.analysis.network import nearest_by_type

    nodes = pd.DataFrame({"x": [0.0, 1_000.0, 2_000.0], "y": [0.0, 0.0, 0.0]})
    edges = pd.DataFrame(
        {"u": [0, 1], "v": [1, 2], "length_m": [1_000.0, 1_000.0], "speed_kmh": [50.0, 50.0]}
    )
    cells = pd.DataFrame(
        {"cell_id": ["a"], "x": [500.0], "y": [10.0], "kommun_kod": ["0114"], "population": [1]}
    )
    pts = pd.DataFrame(
        {"point_id": ["p", "q"], "service_type": "t", "x": [0.0, 2_000.0], "y": [0.0, 0.0]}
    )
    net = RoadNetwork(nodes, edges)
    nearest_by_type(net, cells, pts)
    wi = WhatIf(net, cells, pts)
    wi.move("p", 1_500.0, 0.0)
    wi.add("r", "t", 100.0, 0.0)
    wi.reset()


if __name__ == "__main__":
    warm_up()
