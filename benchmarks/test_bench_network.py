"""Road-network nearest and the closure ranking, against networkx / recompute-from-scratch.

The network is synthetic (a 400 × 400 grid with random gaps, ~160 000 nodes, the order of a large
län's drivable OSM network); test_bench_road.py times the national demo road network.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from lansanalys.analysis import access
from lansanalys.analysis.network import RoadNetwork

N = 400


@pytest.fixture(scope="module")
def grid():
    rng = np.random.default_rng(11)
    ii, jj = np.meshgrid(np.arange(N), np.arange(N), indexing="ij")
    nodes = pd.DataFrame({"x": 500_000 + ii.ravel() * 500.0, "y": 7_000_000 + jj.ravel() * 500.0})
    k = (ii * N + jj).ravel()
    right = k[(jj.ravel() + 1) < N]
    down = k[(ii.ravel() + 1) < N]
    u = np.concatenate([right, down])
    v = np.concatenate([right + 1, down + N])
    keep = rng.random(len(u)) > 0.1
    edges = pd.DataFrame({"u": u[keep], "v": v[keep]})
    edges["length_m"] = 500.0 * rng.uniform(1.0, 1.5, len(edges))
    edges["speed_kmh"] = rng.choice([50.0, 70.0, 90.0], len(edges))
    cells = rng.uniform([500_000, 7_000_000], [700_000, 7_200_000], (50_000, 2))
    points = rng.uniform([500_000, 7_000_000], [700_000, 7_200_000], (1_500, 2))
    return nodes, edges, cells, points


def test_network_nearest_one_pass(benchmark, grid):
    nodes, edges, cells, points = grid
    net = RoadNetwork(nodes, edges)
    out = benchmark.pedantic(net.nearest, args=(cells, points), rounds=3, iterations=1)
    benchmark.extra_info.update(
        nodes=len(nodes), edges=len(edges), cells=len(cells), points=len(points)
    )
    assert out["reachable"].mean() > 0.95


def test_network_networkx_baseline(benchmark, grid):
    nodes, edges, cells, points = grid
    net = RoadNetwork(nodes, edges)
    att = net.attach(points)
    ends = net.links[["a", "b"]].to_numpy()[att.link]
    pnode = np.where(att.frac < 0.5, ends[:, 0], ends[:, 1])
    g = nx.Graph()
    g.add_weighted_edges_from(
        edges[["u", "v", "length_m"]].itertuples(index=False), weight="length"
    )
    benchmark.pedantic(
        nx.multi_source_dijkstra_path_length,
        args=(g, set(pnode.tolist())),
        kwargs={"weight": "length"},
        rounds=1,
        iterations=1,
    )


def test_closure_ranking_all_points(benchmark, grid):
    _, _, cells, points = grid
    pop = np.ones(len(cells))
    out = benchmark(access.closure_ranking, cells, pop, points, 10_000.0)
    assert len(out) == len(points)


def test_closure_naive_recompute_baseline(benchmark, grid):
    _, _, cells, points = grid
    sample = points[:100]  # recomputing for all 1 500 would take 15× this

    def naive():
        base, _ = access.nearest_points(cells, sample, k=1)
        for j in range(len(sample)):
            access.nearest_points(cells, np.delete(sample, j, axis=0), k=1)
        return base

    benchmark.pedantic(naive, rounds=1, iterations=1)
