"""Road ends within 1 m are one node, whichever side of a metre they lie on (issue #19, item 5).

Segment ends of different lines that lie within :data:`vagnat.SNAP_M` of each other are joined
by distance, not by rounding to a 1 m grid (which splits ends 2 cm apart across x = 100.5).
Checked with networkx on the resulting graph (connectivity, shortest path lengths) and through
the road engine (people behind the junction can reach the service).
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from lansanalys.analysis.network import RoadNetwork, nearest_by_type
from lansanalys.sources import vagnat

X0, Y0 = 500_000.0, 6_500_000.0


def _segments(lines, speed: float = 60.0) -> pd.DataFrame:
    """Segments of polylines, in the reader's layout (``vagnat._segments``)."""
    import shapely

    geoms = [shapely.LineString(c) for c in lines]
    return vagnat._segments(np.array(geoms, dtype=object), np.full(len(geoms), speed))


def _graph(nodes: pd.DataFrame, edges: pd.DataFrame) -> nx.Graph:
    g = nx.Graph()
    g.add_nodes_from(range(len(nodes)))
    for e in edges.itertuples():
        w = min(e.length_m, g.edges[e.u, e.v]["w"]) if g.has_edge(e.u, e.v) else e.length_m
        g.add_edge(int(e.u), int(e.v), w=w)
    return g


def test_ends_2_cm_apart_across_a_rounding_boundary_are_one_node_and_reachable():
    # Road A ends at x = 100.49, road B starts at x = 100.51 (2 cm on): 1 m rounding would put
    # them at 100 and 101. B runs 2 km north; a village lies beside B's far end.
    a_end, b_start = (X0 + 100.49, Y0), (X0 + 100.51, Y0)
    seg = _segments([[(X0, Y0), a_end], [b_start, (X0 + 100.51, Y0 + 2_000)]])
    nodes, edges = vagnat.graph_from_segments(seg)
    assert len(nodes) == 3 and nx.is_connected(_graph(nodes, edges))
    cells = pd.DataFrame({"cell_id": ["by"], "x": [X0 + 110.51], "y": [Y0 + 1_990.0]})
    points = pd.DataFrame(
        {"point_id": ["butik"], "service_type": ["dagligvaror"], "x": [X0], "y": [Y0]}
    )
    got = nearest_by_type(RoadNetwork(nodes, edges), cells, points).iloc[0]
    assert got["reachable"] and got["road_point_id"] == "butik"
    # 10 m connector + 1 990 m along B + 100,49 m along A (the 2 cm gap is closed, not driven).
    assert got["road_m"] == pytest.approx(10 + 1_990 + 100.49, abs=0.05)


@pytest.mark.parametrize(
    "a_end, b_start",
    [
        ((100.49, 200.0), (100.51, 200.0)),  # across x = 100.5
        ((100.0, 200.49), (100.0, 200.51)),  # across y = 200.5
        ((100.49, 200.51), (100.51, 200.49)),  # across both, diagonally
        ((100.1, 200.0), (100.9, 200.0)),  # 0.8 m apart, rounding to 100 and 101
    ],
)
def test_ends_within_a_metre_join_on_either_side_of_a_metre(a_end, b_start):
    a_end, b_start = (X0 + a_end[0], Y0 + a_end[1]), (X0 + b_start[0], Y0 + b_start[1])
    seg = _segments([[(X0, Y0), a_end], [b_start, (b_start[0] + 500, b_start[1] + 700)]])
    nodes, edges = vagnat.graph_from_segments(seg)
    assert len(nodes) == 3
    assert nx.is_connected(_graph(nodes, edges))


def test_ends_more_than_a_metre_apart_stay_apart():
    # 1,39 m apart (diagonal of a 1 m cell): the same 1 m grid cell, but not within 1 m.
    a_end, b_start = (X0 + 100.51, Y0 + 100.51), (X0 + 101.49, Y0 + 101.49)
    seg = _segments([[(X0, Y0), a_end], [b_start, (X0 + 600, Y0 + 900)]])
    nodes, edges = vagnat.graph_from_segments(seg)
    assert len(nodes) == 4
    assert not nx.is_connected(_graph(nodes, edges))


def test_a_densely_drawn_road_keeps_its_length():
    """Vertices 0,4 m apart along one line are not ends to join: the road keeps its 60 m (and
    its shape), where joining every pair within 1 m would fold it into one node."""
    xs = np.arange(0, 60.01, 0.4)
    seg = _segments([[(X0 + x, Y0 + 0.01 * x * x) for x in xs]])
    nodes, edges = vagnat.graph_from_segments(seg)
    g = _graph(nodes, edges)
    pts = nodes[["x", "y"]].to_numpy()
    start = int(np.argmin(np.hypot(*(pts - [X0, Y0]).T)))
    end = int(np.argmin(np.hypot(*(pts - [X0 + xs[-1], Y0 + 0.01 * xs[-1] ** 2]).T)))
    length = seg.eval("((x1 - x0) ** 2 + (y1 - y0) ** 2) ** 0.5").sum()
    assert nx.shortest_path_length(g, start, end, weight="w") == pytest.approx(length, rel=1e-12)
    assert len(nodes) == len(xs)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    jx=st.floats(0, 1_000),
    jy=st.floats(0, 1_000),
    gap=st.floats(0.0, 0.99),
    angle=st.floats(0, 2 * np.pi),
    far=st.floats(1.01, 3.0),
)
@example(jx=100.49, jy=0.0, gap=0.02, angle=0.0, far=1.39)
def test_two_roads_join_exactly_when_their_ends_are_within_a_metre(jx, jy, gap, angle, far):
    """Road A ends at J; road B starts ``gap`` (< 1 m) from J in any direction and runs away
    from it: one network (networkx). Road C starts ``far`` (> 1 m) from J: not joined to it."""
    j = np.array([X0 + jx, Y0 + jy])
    d = np.array([np.cos(angle), np.sin(angle)])
    b0 = j + gap * d
    c0 = j - far * d
    seg = _segments(
        [
            [tuple(j - [400.0, 300.0]), tuple(j)],
            [tuple(b0), tuple(b0 + 800 * d)],
            [tuple(c0), tuple(c0 - 800 * d)],
        ]
    )
    # C runs away from J (opposite to B), and A comes in from the south-west: only C's start
    # is near J besides B's.
    nodes, edges = vagnat.graph_from_segments(seg)
    g = _graph(nodes, edges)
    comps = list(nx.connected_components(g))
    assert len(comps) == 2
    pts = nodes[["x", "y"]].to_numpy()

    def node_at(xy):
        return int(np.argmin(np.hypot(*(pts - xy).T)))

    a_start, b_end, c_end = node_at(j - [400, 300]), node_at(b0 + 800 * d), node_at(c0 - 800 * d)
    assert nx.has_path(g, a_start, b_end)
    assert not nx.has_path(g, a_start, c_end)
    # A and B keep their lengths: the gap closes, no road is shortened.
    assert nx.shortest_path_length(g, a_start, b_end, weight="w") == pytest.approx(
        500 + 800, rel=1e-9
    )
