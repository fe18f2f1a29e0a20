"""Sweden at national scale: the kit's road engine against SciPy's Dijkstra on the same graph.

Usage (sizes as parameters; the defaults are the 0,5 M-node check)::

    .venv/bin/python benchmarks/sweden_scale.py
    .venv/bin/python benchmarks/sweden_scale.py --nodes 4000000 --cells 600000 --out full.json

One process, one synthetic world (``benchmarks/synthetic_sweden.py``: a perturbed grid with mixed
speeds, cells clustered around towns in 290 kommuner, national counts of points for the seven
types), in this order:

1. **numba**: the compiled kernels loaded (or compiled, on a cold cache) on a tiny graph;
2. **load**: the processed tables (``vagnat_noder``, ``vagnat_lankar`` as parquet) read and
   :func:`~lansanalys.analysis.network.load_network` with its link index;
3. **kit**: :func:`~lansanalys.analysis.network.nearest_by_type` for every type, km, minutes and
   the second-nearest, every cell
   (types two at a time in threads, the default on two cores), then again one type at a time;
4. **floor**: SciPy's ``dijkstra(graph, indices=sources, min_only=True)`` once per type and cost
   (14 searches) on the same graph from the points' nearest nodes: the least any exact
   nearest-facility answer can cost (no attaching, no split links, no cells, no second-nearest);
5. **what-if**: :class:`~lansanalys.analysis.whatif.WhatIf` prepared for the most and the least
   common type, then random closes, moves and openings, each timed.

Wall and CPU seconds and the peak resident memory of each phase (sampled every 5 ms) are printed
as a Markdown table and written as JSON (``--out``). Not part of the test run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import psutil
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synthetic_sweden import NATIONAL_COUNTS, world  # noqa: E402

GB = 1024**3


class Phase:
    """Wall and CPU time and the peak resident memory of a block."""

    def __init__(self, name: str, log: list) -> None:
        self.name, self.log = name, log

    def _sample(self) -> None:
        proc = psutil.Process()
        while not self._stop.wait(0.005):
            self.peak = max(self.peak, proc.memory_info().rss)

    def __enter__(self) -> Phase:
        self.start_rss = psutil.Process().memory_info().rss
        self.peak = self.start_rss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        self.t0, self.c0 = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc) -> None:
        self.wall = time.perf_counter() - self.t0
        self.cpu = time.process_time() - self.c0
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, psutil.Process().memory_info().rss)
        self.log.append(
            {
                "phase": self.name,
                "wall_s": round(self.wall, 3),
                "cpu_s": round(self.cpu, 3),
                "peak_rss_gb": round(self.peak / GB, 3),
                "added_gb": round((self.peak - self.start_rss) / GB, 3),
            }
        )
        print(
            f"  {self.name}: {self.wall:.2f} s wall, {self.cpu:.2f} s CPU, "
            f"peak {self.peak / GB:.2f} GB",
            flush=True,
        )


def floor_searches(net, points: pd.DataFrame, types: list[str]) -> tuple[list, dict]:
    """SciPy's multi-source Dijkstra per type and cost from the points' nearest nodes."""
    g = {"m": net.graph_m, "min": net.graph_min}
    g = {c: csr_matrix((m.data, m.indices, m.indptr), shape=m.shape) for c, m in g.items()}
    _, node = cKDTree(net.nodes[["x", "y"]].to_numpy()).query(points[["x", "y"]].to_numpy())
    dist = {}
    for stype in types:
        src = np.unique(node[(points["service_type"] == stype).to_numpy()])
        for cost in ("m", "min"):
            dist[(stype, cost)] = dijkstra(g[cost], directed=True, indices=src, min_only=True)
    return node, dist


def kit_equals_floor(net, node: np.ndarray, points, stype: str, floor: np.ndarray) -> float:
    """The kit's search started from the same nodes at cost 0: largest difference from SciPy."""
    from lansanalys.analysis import roadsearch as rs

    src = np.unique(node[(points["service_type"] == stype).to_numpy()])
    n = len(net.nodes)
    d, p = np.full(n, np.inf), np.full(n, -1, np.int64)
    rs.label_search(
        net._indptr,
        net._indices,
        net._arc["m"],
        np.zeros(n, bool),
        d,
        p,
        None,
        src,
        np.zeros(len(src)),
        np.arange(len(src)),
    )
    if not (np.isfinite(d) == np.isfinite(floor)).all():
        return float("inf")
    ok = np.isfinite(d)
    return float(np.abs(d[ok] - floor[ok]).max())


def what_ifs(net, w, types: list[str], n: int, log: list, seed: int) -> list[dict]:
    from lansanalys.analysis.whatif import WhatIf

    rng = np.random.default_rng(seed)
    with Phase(f"what-if: prepare {', '.join(types)}", log):
        wi = WhatIf(net, w.cells, w.points, types)
    rows = []
    box = w.nodes[["x", "y"]].agg(["min", "max"]).to_numpy()
    for stype in types:
        ids = w.points.loc[w.points["service_type"] == stype, "point_id"].to_numpy()
        for i in range(n):
            for kind in ("close", "move", "add"):
                xy = rng.uniform(box[0], box[1])
                pid = ids[rng.integers(0, len(ids))]
                t0, c0 = time.perf_counter(), time.process_time()
                if kind == "close":
                    res = wi.close(pid)
                elif kind == "move":
                    res = wi.move(pid, *xy)
                else:
                    res = wi.add(f"new{i}", stype, *xy)
                wall, cpu = time.perf_counter() - t0, time.process_time() - c0
                rows.append(
                    {
                        "type": stype,
                        "kind": kind,
                        "seconds": wall,
                        "cpu_seconds": cpu,
                        "kommuner": res["kommun_kod"].nunique(),
                        "cells_changed": res.attrs["cells_changed"],
                        "nodes_searched": res.attrs["nodes_searched"],
                    }
                )
                wi.undo()
    return rows


def machine() -> dict:
    return {
        "python": platform.python_version(),
        "cpu": platform.processor() or platform.machine(),
        "cores": os.cpu_count(),
        "memory_gb": round(psutil.virtual_memory().total / GB, 1),
        "load_1min": round(os.getloadavg()[0], 2),
    }


def _args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--nodes", type=int, default=500_000)
    ap.add_argument("--cells", type=int, default=100_000)
    ap.add_argument("--extent-km", type=float, default=700.0)
    ap.add_argument("--types", nargs="*", default=list(NATIONAL_COUNTS))
    ap.add_argument("--what-ifs", type=int, default=5, help="of each kind and type")
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--out", type=Path)
    return ap.parse_args(argv)


def _load(w, log: list):
    """Write the processed road tables, then time reading them into a RoadNetwork."""
    from lansanalys.analysis import network
    from lansanalys.analysis.whatif import warm_up

    with tempfile.TemporaryDirectory() as tmp:
        w.nodes.to_parquet(Path(tmp) / "vagnat_noder.parquet")
        w.edges.to_parquet(Path(tmp) / "vagnat_lankar.parquet")
        with Phase("numba kernels (load or compile)", log):
            warm_up()
        with Phase("load: read tables, RoadNetwork, link index", log):
            nodes = pd.read_parquet(Path(tmp) / "vagnat_noder.parquet")
            edges = pd.read_parquet(Path(tmp) / "vagnat_lankar.parquet")
            net = network.load_network(nodes, edges)
            net.attach(np.zeros((1, 2)))
    return net


def _kit(net, w, types: list[str], log: list) -> tuple[float, Phase, Phase]:
    """The kit as a user gets it (types in two threads on two cores), then one at a time."""
    from lansanalys.analysis import network

    with Phase("kit: nearest_by_type (km, minutes, second-nearest)", log) as kit:
        out = network.nearest_by_type(net, w.cells, w.points, types)
    reach = float(out["reachable"].mean())
    with Phase("kit, one type at a time (workers=1)", log) as single:
        again = network.nearest_by_type(net, w.cells, w.points, types, workers=1)
    pd.testing.assert_frame_equal(again, out)
    return reach, kit, single


def _report(result: dict, log: list, wi: pd.DataFrame) -> None:
    print()
    print(
        f"{result['nodes']:,} nodes, {result['links']:,} links, {result['cells']:,} cells, "
        f"{sum(result['points'].values()):,} points; {result['machine']}"
    )
    print("| phase | wall s | CPU s | peak GB |\n|---|---|---|---|")
    for p in log:
        print(f"| {p['phase']} | {p['wall_s']:.2f} | {p['cpu_s']:.2f} | {p['peak_rss_gb']:.2f} |")
    print(
        f"kit / floor: {result['ratio_wall']:.2f}x wall (default workers); one thread "
        f"{result['ratio_wall_one_thread']:.2f}x wall, {result['ratio_cpu_one_thread']:.2f}x CPU; "
        f"kit search vs SciPy max |diff| "
        f"{result['kit_search_equals_scipy_max_abs_diff_m']:.3g} m; "
        f"peak {result['peak_rss_gb']} GB"
    )
    cols = ["seconds", "cpu_seconds", "cells_changed", "kommuner"]
    print(wi.groupby(["type", "kind"])[cols].median())
    print("what-if max seconds:", round(wi["seconds"].max(), 3))


def main(argv: list[str] | None = None) -> dict:
    import numba

    a = _args(argv)
    log: list[dict] = []
    print(f"world: {a.nodes:,} nodes, {a.cells:,} cells, types {a.types}", flush=True)
    w = world(a.nodes, a.cells, a.extent_km, {t: NATIONAL_COUNTS[t] for t in a.types}, a.seed)
    net = _load(w, log)
    reach, kit, single = _kit(net, w, a.types, log)
    with Phase(f"floor: SciPy dijkstra min_only x {2 * len(a.types)}", log) as floor:
        node, dist = floor_searches(net, w.points, a.types)
    diff = kit_equals_floor(net, node, w.points, a.types[0], dist[(a.types[0], "m")])
    del dist
    common = [t for t in ("dagligvaror", "dagskasseinsattning") if t in a.types] or a.types[:1]
    wi = pd.DataFrame(what_ifs(net, w, common, a.what_ifs, log, a.seed))
    result = {
        "machine": machine(),
        "numba": numba.__version__,
        "nodes": len(net.nodes),
        "links": len(net.links),
        "cells": len(w.cells),
        "points": {t: int((w.points["service_type"] == t).sum()) for t in a.types},
        "reachable_share": reach,
        "phases": log,
        "ratio_wall": kit.wall / floor.wall,
        "ratio_wall_one_thread": single.wall / floor.wall,
        "ratio_cpu_one_thread": single.cpu / floor.cpu,
        "kit_search_equals_scipy_max_abs_diff_m": diff,
        "what_if": wi.groupby(["type", "kind"])
        .agg(
            median_s=("seconds", "median"),
            max_s=("seconds", "max"),
            median_cpu_s=("cpu_seconds", "median"),
            max_cpu_s=("cpu_seconds", "max"),
        )
        .round(3)
        .reset_index()
        .to_dict("records"),
        "what_if_cells_changed_median": float(wi["cells_changed"].median()),
        "peak_rss_gb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / GB, 2),
    }
    _report(result, log, wi)
    if a.out:
        a.out.write_text(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
