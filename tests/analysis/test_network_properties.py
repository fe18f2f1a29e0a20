"""Property-based tests of road access on random small networks, against networkx.

Each example draws a small random road network (with parallel and two-way duplicate links of
different lengths and speeds), cells (some on nodes, some on points, some far from every road)
and service points (some exactly on nodes, some in the middle of links). The reference
(``tests/network_reference.py``) splits every link at the attach points and runs networkx.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from lansanalys.analysis.network import ATTACH_M, nearest_by_type

from .network_reference import reference_nearest

X0, Y0 = 500_000.0, 6_500_000.0
SPEEDS = np.array([30.0, 50.0, 70.0, 90.0, 110.0])


def _world(seed: int, n_nodes: int, n_edges: int, n_cells: int, n_points: int):
    rng = np.random.default_rng(seed)
    nodes = pd.DataFrame(
        {"x": X0 + rng.uniform(0, 12_000, n_nodes), "y": Y0 + rng.uniform(0, 12_000, n_nodes)}
    )
    u = rng.integers(0, n_nodes, n_edges)
    v = (u + rng.integers(1, n_nodes, n_edges)) % n_nodes  # never a loop
    # Some links again, reversed or not, with another length and speed: duplicates.
    dup = rng.integers(0, n_edges, n_edges // 3)
    flip = rng.random(len(dup)) < 0.5
    u, v = (
        np.concatenate([u, np.where(flip, v[dup], u[dup])]),
        np.concatenate([v, np.where(flip, u[dup], v[dup])]),
    )
    xy = nodes[["x", "y"]].to_numpy()
    straight = np.hypot(*(xy[u] - xy[v]).T)
    # A road is never shorter than the straight line between its ends.
    edges = pd.DataFrame(
        {
            "u": u,
            "v": v,
            "length_m": straight * rng.uniform(1.0, 1.5, len(u)),
            "speed_kmh": rng.choice(SPEEDS, len(u)),
        }
    )
    box = rng.uniform([X0 - 4_000, Y0 - 4_000], [X0 + 16_000, Y0 + 16_000], (n_cells + n_points, 2))
    cells, points = box[:n_cells].copy(), box[n_cells:].copy()
    # Points exactly on a node (they start the search there) and in the middle of a link.
    k = min(n_points, 2)
    points[:k] = xy[rng.integers(0, n_nodes, k)]
    if n_points > 2:
        e = rng.integers(0, len(edges))
        points[2] = (xy[u[e]] + xy[v[e]]) / 2
    # Cells on a node and exactly on a point.
    cells[0] = xy[rng.integers(0, n_nodes)]
    cells[1] = points[0]
    cells[2] = points[-1]
    return nodes, edges, cells, points


def _frames(cells: np.ndarray, points: np.ndarray):
    c = pd.DataFrame({"cell_id": [f"c{i}" for i in range(len(cells))], "x": cells[:, 0]})
    c["y"] = cells[:, 1]
    p = pd.DataFrame(
        {
            "point_id": [f"p{j}" for j in range(len(points))],
            "service_type": "dagligvaror",
            "x": points[:, 0],
            "y": points[:, 1],
        }
    )
    return c, p


def _worlds(max_points: int) -> dict:
    """Strategies for :func:`_world`: small random road networks with cells and points."""
    return dict(
        seed=st.integers(0, 2**32 - 1),
        n_nodes=st.integers(2, 10),
        n_edges=st.integers(1, 14),
        n_cells=st.integers(3, 10),
        n_points=st.integers(1, max_points),
    )


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(**_worlds(4))
def test_road_access_matches_networkx_and_keeps_its_invariants(
    seed, n_nodes, n_edges, n_cells, n_points
):
    nodes, edges, cells_xy, points_xy = _world(seed, n_nodes, n_edges, n_cells, n_points)
    from lansanalys.analysis.network import RoadNetwork

    net = RoadNetwork(nodes, edges)
    cells, points = _frames(cells_xy, points_xy)
    got = nearest_by_type(net, cells, points).set_index("cell_id")
    ref, to_point = reference_nearest(nodes, edges, cells_xy, points_xy, ATTACH_M)
    pxy = points.set_index("point_id")[["x", "y"]]
    for i, cid in enumerate(cells["cell_id"]):
        r = got.loc[cid]
        if np.isnan(ref.at[i, "m"]):
            # Unreachable is NaN with no point, never 0.
            assert not r["reachable"]
            assert np.isnan(r["road_m"]) and np.isnan(r["road_min"])
            assert pd.isna(r["road_point_id"]) and pd.isna(r["road_min_point_id"])
            continue
        assert r["reachable"]
        assert r["road_m"] == pytest.approx(ref.at[i, "m"], rel=1e-9, abs=1e-6)
        assert r["road_min"] == pytest.approx(ref.at[i, "min"], rel=1e-9, abs=1e-8)
        # Each recorded point is one the cost was measured to (ties may pick either).
        jm, jt = int(r["road_point_id"][1:]), int(r["road_min_point_id"][1:])
        assert to_point["m"][jm][i] == pytest.approx(r["road_m"], rel=1e-9, abs=1e-6)
        assert to_point["min"][jt][i] == pytest.approx(r["road_min"], rel=1e-9, abs=1e-8)
        # The fastest point by time is never slower than the nearest point by km.
        assert r["road_min"] <= to_point["min"][jm][i] + 1e-9
        # Along the road is never shorter than the straight line.
        straight = np.hypot(*(cells_xy[i] - pxy.loc[r["road_point_id"]].to_numpy()))
        assert r["road_m"] >= straight - 1e-6
        # 0 only for a cell lying on its point (and that point on the road).
        if r["road_m"] == 0:
            assert straight == 0


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    length=st.floats(100.0, 20_000.0),
    speeds=st.lists(st.sampled_from([30.0, 50.0, 90.0, 110.0]), min_size=2, max_size=4),
)
def test_parallel_links_are_never_summed(seed, length, speeds):
    """The same link k times, in either direction: metres of the shortest, minutes of the fastest."""
    rng = np.random.default_rng(seed)
    nodes = pd.DataFrame({"x": [X0, X0 + length], "y": [Y0, Y0]})
    k = len(speeds)
    flip = rng.random(k) < 0.5
    lengths = length * rng.uniform(1.0, 1.3, k)
    edges = pd.DataFrame(
        {
            "u": np.where(flip, 1, 0),
            "v": np.where(flip, 0, 1),
            "length_m": lengths,
            "speed_kmh": speeds,
        }
    )
    from lansanalys.analysis.network import RoadNetwork

    net = RoadNetwork(nodes, edges)
    res = net.nearest(np.array([[X0, Y0]]), np.array([[X0 + length, Y0]]))
    assert res.at[0, "dist_m"] == pytest.approx(lengths.min(), rel=1e-12)
    fastest = min(le / 1000 / s * 60 for le, s in zip(lengths, speeds, strict=True))
    assert res.at[0, "minutes"] == pytest.approx(fastest, rel=1e-12)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(**_worlds(5))
# Two points at the same road distance, ranked the other way round by the two searches.
@example(seed=143, n_nodes=10, n_edges=3, n_cells=3, n_points=3)
def test_second_nearest_by_road_matches_networkx(seed, n_nodes, n_edges, n_cells, n_points):
    """The second-nearest point by road is networkx's second-cheapest distinct point; it is
    another point, never nearer than the nearest, and NaN when fewer than two are reachable.
    Removing the nearest point and recomputing gives it again (the closure question)."""
    from lansanalys.analysis.network import RoadNetwork

    nodes, edges, cells_xy, points_xy = _world(seed, n_nodes, n_edges, n_cells, n_points)
    net = RoadNetwork(nodes, edges)
    cells, points = _frames(cells_xy, points_xy)
    got = nearest_by_type(net, cells, points).set_index("cell_id")
    _, to_point = reference_nearest(nodes, edges, cells_xy, points_xy, ATTACH_M)
    for i, cid in enumerate(cells["cell_id"]):
        r = got.loc[cid]
        costs = sorted(to_point["m"][j][i] for j in to_point["m"] if i in to_point["m"][j])
        if len(costs) < 2:
            assert np.isnan(r["road2_m"]) and pd.isna(r["road2_point_id"])
            continue
        assert r["road2_m"] == pytest.approx(costs[1], rel=1e-9, abs=1e-6)
        assert r["road2_point_id"] != r["road_point_id"]
        assert r["road2_m"] >= r["road_m"]
        j2 = int(r["road2_point_id"][1:])
        assert to_point["m"][j2][i] == pytest.approx(r["road2_m"], rel=1e-9, abs=1e-6)
    # The closure question answered by recomputation: without each cell's nearest point, the
    # nearest is the second-nearest found above.
    for cid, r in got.iterrows():
        if pd.isna(r["road_point_id"]):
            continue
        rest = points[points["point_id"] != r["road_point_id"]]
        again = nearest_by_type(net, cells[cells["cell_id"] == cid], rest, ["dagligvaror"])
        expect = again["road_m"].iloc[0]
        if np.isnan(r["road2_m"]):
            assert np.isnan(expect)
        else:
            assert expect == pytest.approx(r["road2_m"], rel=1e-9, abs=1e-6)
