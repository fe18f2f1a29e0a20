"""Vulnerability by road on a hand-computed network: one road, two villages, two shops.

    A(0 km) ---- B(4 km) ~~~~~~~~~~~~~~~~ C(16 km) ---- D(20 km)
    shop S1 at A, shop S2 at D; village 1 at B (300 people), village 2 at C (200 people).

The road from B to C bends: 26 km of road for 12 km of straight line. So by road village 1 has
S1 at 4 km and S2 at 26 + 4 = 30 km, while in a straight line S2 is only 16 km away; village 2
mirrors it. Every figure is worked out here by hand, not by the code under test.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lansanalys.analysis import access
from lansanalys.analysis.network import RoadNetwork, nearest_by_type

Y = 6_500_000.0
X0 = 500_000.0


def _world():
    # Nodes along a straight east-west line; the B–C link is 26 km of road for 12 km of line.
    nodes = pd.DataFrame({"x": [X0, X0 + 4_000, X0 + 16_000, X0 + 20_000], "y": [Y] * 4})
    edges = pd.DataFrame(
        {
            "u": [0, 1, 2],
            "v": [1, 2, 3],
            "length_m": [4_000.0, 26_000.0, 4_000.0],
            "speed_kmh": [60.0, 60.0, 60.0],
        }
    )
    cells = pd.DataFrame(
        {
            "cell_id": ["v1", "v2"],
            "x": [X0 + 4_000, X0 + 16_000],
            "y": [Y, Y],
            "population": [300, 200],
        }
    )
    points = pd.DataFrame(
        {
            "point_id": ["S1", "S2"],
            "service_type": "dagligvaror",
            "x": [X0, X0 + 20_000],
            "y": [Y, Y],
        }
    )
    return RoadNetwork(nodes, edges), cells, points


def test_second_nearest_along_the_road_by_hand():
    net, cells, points = _world()
    res = nearest_by_type(net, cells, points).set_index("cell_id")
    # Village 1: S1 at 4 km; S2 at 26 + 4 = 30 km by road (16 km in a straight line).
    assert res.loc["v1", "road_m"] == 4_000 and res.loc["v1", "road_point_id"] == "S1"
    assert res.loc["v1", "road2_m"] == 30_000 and res.loc["v1", "road2_point_id"] == "S2"
    # Village 2: S2 at 4 km; S1 at 26 + 4 = 30 km.
    assert res.loc["v2", "road2_m"] == 30_000 and res.loc["v2", "road2_point_id"] == "S1"


def test_closure_ranking_by_road_by_hand():
    """If S1 closed, village 1's 300 people would have 30 km to S2 by road: pushed beyond
    10 km. In a straight line S2 is 16 km away, so the straight-line ranking says the same
    here, but with the limit at 20 km only the road sees them pushed out."""
    net, cells, points = _world()
    res = nearest_by_type(net, cells, points).set_index("cell_id").loc[cells["cell_id"]]
    pos = {"S1": 0, "S2": 1}
    idx = np.column_stack(
        [res["road_point_id"].map(pos).to_numpy(), res["road2_point_id"].map(pos).to_numpy()]
    )
    dist = res[["road_m", "road2_m"]].to_numpy()
    for limit_m, pushed in ((10_000, [300, 200]), (20_000, [300, 200]), (30_000, [0, 0])):
        rank = access.closure_ranking(
            None,
            cells["population"].to_numpy(),
            np.zeros((2, 2)),
            limit_m,
            dist_fn=lambda _c, _p: (dist, idx),
        ).set_index("point")
        assert rank.loc[0, "pushed_beyond"] == pushed[0]
        assert rank.loc[1, "pushed_beyond"] == pushed[1]
        assert rank.loc[0, "served"] == 300 and rank.loc[1, "served"] == 200
    straight = access.closure_ranking(
        cells[["x", "y"]].to_numpy(float),
        cells["population"].to_numpy(),
        points[["x", "y"]].to_numpy(float),
        20_000,
    ).set_index("point")
    assert straight.loc[0, "pushed_beyond"] == 0  # 16 km in a straight line: not beyond 20


def test_no_second_point_counts_as_beyond_and_no_point_serves_nobody():
    dist = np.array([[2_000.0, np.nan], [np.nan, np.nan]])
    idx = np.array([[0, -1], [-1, -1]])
    rank = access.closure_ranking(
        None, np.array([50.0, 70.0]), np.zeros((1, 2)), 10_000, dist_fn=lambda _c, _p: (dist, idx)
    )
    assert rank["pushed_beyond"].tolist() == [50.0] and rank["served"].tolist() == [50.0]


@pytest.mark.parametrize("limit", [10.0, 20.0])
def test_second_col_names_the_build_column(limit):
    assert access.second_col(limit) == f"population_share_second_over_{limit:g}km"
