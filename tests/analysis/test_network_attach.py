"""Road access on small worlds computed by hand: link attach, class edges, km and minutes, duplicates.

Speeds are chosen so that the minutes are round: 60 km/h is a kilometre a minute and the 30 km/h
connector is two minutes a kilometre.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lansanalys.analysis import access
from lansanalys.analysis.network import ATTACH_M, RoadNetwork, nearest_by_type
from lansanalys.sources import vagnat

X0, Y0 = 500_000.0, 6_500_000.0


def _net(xy, links) -> RoadNetwork:
    """Nodes at ``xy`` (offsets from X0, Y0) and links ``(u, v, length_m, speed_kmh)``."""
    nodes = pd.DataFrame({"x": [X0 + x for x, _ in xy], "y": [Y0 + y for _, y in xy]})
    edges = pd.DataFrame(links, columns=["u", "v", "length_m", "speed_kmh"])
    return RoadNetwork(nodes, edges)


def _cells(**at) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "cell_id": list(at),
            "x": [X0 + x for x, _ in at.values()],
            "y": [Y0 + y for _, y in at.values()],
        }
    )


def _points(stype="dagligvaror", **at) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "point_id": list(at),
            "service_type": stype,
            "x": [X0 + x for x, _ in at.values()],
            "y": [Y0 + y for _, y in at.values()],
        }
    )


# A straight 10 km road at 60 km/h, one link, with a shop at its east end.
ROAD = ([(0, 0), (10_000, 0)], [(0, 1, 10_000.0, 60.0)])


def test_cell_beside_the_middle_of_a_long_link_attaches_to_the_link():
    """1 km beside the middle: 1 km connector + 5 km along the road; 5 km from either node."""
    net = _net(*ROAD)
    res = nearest_by_type(net, _cells(beside=(5_000, 1_000)), _points(shop=(10_000, 0))).set_index(
        "cell_id"
    )
    assert res.at["beside", "reachable"]
    assert res.at["beside", "road_m"] == pytest.approx(6_000, abs=1e-9)
    # 1 km at 30 km/h (2 min) + 5 km at 60 km/h (5 min).
    assert res.at["beside", "road_min"] == pytest.approx(7.0, abs=1e-9)
    assert res.at["beside", "road_point_id"] == "shop"


def test_service_point_beside_a_link_attaches_to_the_link():
    """Shop 500 m south of the 3 km mark, cell at the west end: 3 km + 0,5 km."""
    net = _net(*ROAD)
    res = nearest_by_type(net, _cells(west=(0, 0)), _points(shop=(3_000, -500)))
    assert res.at[0, "road_m"] == pytest.approx(3_500, abs=1e-9)
    assert res.at[0, "road_min"] == pytest.approx(3.0 + 1.0, abs=1e-9)


def test_cell_and_point_on_the_same_link_meet_along_it():
    """Both on the one link, between its nodes: the trip never passes a node."""
    net = _net(*ROAD)
    res = nearest_by_type(net, _cells(c=(4_000, 200)), _points(shop=(6_500, -100)))
    assert res.at[0, "road_m"] == pytest.approx(200 + 2_500 + 100, abs=1e-9)
    assert res.at[0, "road_min"] == pytest.approx(0.4 + 2.5 + 0.2, abs=1e-9)


def test_split_link_lengths_are_pro_rata_of_the_link_not_of_the_line():
    """A winding road: 15 km of road between nodes 10 km apart, so the middle is 7,5 km away."""
    net = _net([(0, 0), (10_000, 0)], [(0, 1, 15_000.0, 90.0)])
    res = nearest_by_type(net, _cells(mid=(5_000, 0)), _points(shop=(10_000, 0)))
    assert res.at[0, "road_m"] == pytest.approx(7_500, abs=1e-9)
    assert res.at[0, "road_min"] == pytest.approx(5.0, abs=1e-9)  # 7,5 km at 90 km/h


def test_the_3_km_rule_is_measured_to_the_road_line():
    """2,9 km beside the middle has a road link; 3,1 km has not (both 5+ km from a node)."""
    net = _net(*ROAD)
    res = nearest_by_type(
        net, _cells(near=(5_000, 2_900), far=(5_000, -3_100)), _points(shop=(0, 0))
    ).set_index("cell_id")
    assert ATTACH_M == 3_000
    assert res.at["near", "reachable"]
    assert res.at["near", "road_m"] == pytest.approx(2_900 + 5_000, abs=1e-9)
    assert not res.at["far", "reachable"] and np.isnan(res.at["far", "road_m"])
    # A shop 3,1 km off the road serves nobody by road.
    off = nearest_by_type(net, _cells(near=(5_000, 0)), _points(shop=(5_000, 3_100)))
    assert not off.at[0, "reachable"] and np.isnan(off.at[0, "road_min"])


def test_a_cell_nearer_a_link_than_a_node_of_a_disconnected_road_takes_the_link():
    """The nearest *node* belongs to a stub that reaches no shop; the nearest *link* does."""
    net = _net(
        [(0, 0), (10_000, 0), (5_000, 1_500), (5_000, 2_500)],
        [(0, 1, 10_000.0, 60.0), (2, 3, 1_000.0, 60.0)],
    )
    res = nearest_by_type(net, _cells(c=(5_000, 600)), _points(shop=(0, 0)))
    assert res.at[0, "reachable"]
    assert res.at[0, "road_m"] == pytest.approx(600 + 5_000, abs=1e-9)


# --- class edges: a value equal to a bound belongs to the lower class ---------------------------


def _classes(res: pd.DataFrame, col: str, unit: str) -> dict[str, float]:
    cd = res.assign(kommun_kod="0821", population=10, road_km=res["road_m"] / 1000)
    out = access.access_classes(cd, "kommun_kod", (5, 10, 30), col, unit)
    return dict(zip(out["klass"], out["population"], strict=True))


def test_exactly_5_km_by_road_is_in_the_0_5_km_class():
    """Cell on a node, shop on the node 5 km on: 5 000 m and 5 minutes, nothing added."""
    net = _net([(0, 0), (5_000, 0), (10_000, 0)], [(0, 1, 5_000.0, 60.0), (1, 2, 5_000.0, 60.0)])
    res = nearest_by_type(net, _cells(c=(5_000, 0)), _points(shop=(10_000, 0)))
    assert res.at[0, "road_m"] == 5_000.0
    assert res.at[0, "road_min"] == 5.0
    assert _classes(res, "road_km", "km")["0–5 km"] == 10
    assert _classes(res, "road_min", "min")["0–5 min"] == 10


def test_exactly_5_km_from_the_middle_of_a_link_is_in_the_0_5_km_class():
    net = _net(*ROAD)
    res = nearest_by_type(net, _cells(mid=(5_000, 0)), _points(shop=(10_000, 0)))
    assert res.at[0, "road_m"] == 5_000.0 and res.at[0, "road_min"] == 5.0
    assert _classes(res, "road_km", "km")["0–5 km"] == 10
    assert _classes(res, "road_min", "min")["0–5 min"] == 10


def test_exactly_5_minutes_on_the_connector_is_in_the_0_5_min_class():
    """2,5 km straight to the road at 30 km/h is 5 minutes, and the shop is where it joins."""
    net = _net(*ROAD)
    res = nearest_by_type(net, _cells(c=(10_000, 2_500)), _points(shop=(10_000, 0)))
    assert res.at[0, "road_m"] == 2_500.0 and res.at[0, "road_min"] == 5.0
    assert _classes(res, "road_min", "min")["0–5 min"] == 10


def test_a_cell_on_its_point_is_at_0_and_reachable():
    net = _net(*ROAD)
    res = nearest_by_type(net, _cells(c=(0, 0), d=(2_000, 0)), _points(a=(0, 0), b=(2_000, 0)))
    assert (res["road_m"] == 0).all() and (res["road_min"] == 0).all()
    assert res["reachable"].all()
    assert res["road_point_id"].tolist() == ["a", "b"]


def test_two_points_at_one_place_the_first_listed_is_nearest_and_the_other_second():
    """Shops b and a in one building 10 km away (b listed first): b is the nearest, a the
    second-nearest at the same 10 km, by km and by minutes alike, in any order of the search."""
    net = _net(*ROAD)
    res = nearest_by_type(net, _cells(home=(0, 0)), _points(b=(10_000, 0), a=(10_000, 0)))
    r = res.iloc[0]
    assert r["road_point_id"] == r["road_min_point_id"] == "b"
    assert r["road2_point_id"] == "a" and r["road2_m"] == r["road_m"] == 10_000.0


def test_types_in_threads_give_the_same_table():
    """workers=2 computes the types side by side; the table is the same as one at a time."""
    net = _net(
        [(0, 0), (4_000, 0), (4_000, 3_000), (9_000, 0)],
        [
            (0, 1, 4_000.0, 50.0),
            (1, 2, 3_500.0, 70.0),
            (1, 3, 5_000.0, 90.0),
            (2, 3, 6_000.0, 90.0),
        ],
    )
    cells = _cells(c=(100, 200), d=(4_100, 2_000), e=(8_000, -300), f=(50_000, 0))
    pts = pd.concat(
        [
            _points("dagligvaror", A=(0, 0), B=(9_000, 0)),
            _points("apotek", C=(4_000, 3_000)),
            _points("drivmedel", D=(2_000, 50), E=(7_000, 10)),
        ],
        ignore_index=True,
    )
    one = nearest_by_type(net, cells, pts)
    pd.testing.assert_frame_equal(nearest_by_type(net, cells, pts, workers=2), one)
    assert one.loc[one["cell_id"] == "f", "reachable"].eq(False).all()  # 50 km from any road


# --- km and minutes: each with its own point ------------------------------------------------------


def test_nearest_by_km_and_fastest_by_time_are_recorded_apart():
    """Village street 4 km at 30 km/h to shop A (8 min); motorway 9 km at 108 km/h to B (5 min)."""
    net = _net(
        [(0, 0), (-4_000, 0), (9_000, 0)],
        [(0, 1, 4_000.0, 30.0), (0, 2, 9_000.0, 108.0)],
    )
    res = nearest_by_type(net, _cells(home=(0, 0)), _points(A=(-4_000, 0), B=(9_000, 0)))
    r = res.iloc[0]
    assert r["road_m"] == pytest.approx(4_000) and r["road_point_id"] == "A"
    assert r["road_min"] == pytest.approx(5.0) and r["road_min_point_id"] == "B"


def test_fastest_point_is_the_nearest_when_one_road_serves_both():
    net = _net(*ROAD)
    res = nearest_by_type(net, _cells(c=(2_000, 0)), _points(A=(0, 0), B=(10_000, 0)))
    assert res.at[0, "road_point_id"] == res.at[0, "road_min_point_id"] == "A"


# --- duplicate links -----------------------------------------------------------------------------


def test_two_parallel_5_km_links_give_5_km_not_10():
    net = _net([(0, 0), (5_000, 0)], [(0, 1, 5_000.0, 60.0), (0, 1, 5_000.0, 60.0)])
    res = net.nearest(np.array([[X0, Y0]]), np.array([[X0 + 5_000, Y0]]))
    assert res.at[0, "dist_m"] == 5_000.0 and res.at[0, "minutes"] == 5.0


def test_a_two_way_duplicate_is_one_road():
    net = _net([(0, 0), (5_000, 0)], [(0, 1, 5_000.0, 60.0), (1, 0, 5_000.0, 60.0)])
    res = net.nearest(np.array([[X0, Y0]]), np.array([[X0 + 5_000, Y0]]))
    assert res.at[0, "dist_m"] == 5_000.0
    assert net.graph_m.nnz == 2 and net.graph_m[0, 1] == 5_000.0


def test_parallel_links_shortest_for_km_and_fastest_for_minutes():
    """A 5 km road at 30 km/h (10 min) beside a 6 km road at 120 km/h (3 min)."""
    net = _net([(0, 0), (5_000, 0)], [(0, 1, 5_000.0, 30.0), (1, 0, 6_000.0, 120.0)])
    res = net.nearest(np.array([[X0, Y0]]), np.array([[X0 + 5_000, Y0]]))
    assert res.at[0, "dist_m"] == 5_000.0
    assert res.at[0, "minutes"] == pytest.approx(3.0)
    # Half way along (the split link keeps both minima pro rata).
    mid = net.nearest(np.array([[X0 + 2_500, Y0]]), np.array([[X0 + 5_000, Y0]]))
    assert mid.at[0, "dist_m"] == 2_500.0 and mid.at[0, "minutes"] == pytest.approx(1.5)


def test_segments_between_the_same_nodes_become_one_link(tmp_path):
    seg = pd.DataFrame(
        {
            "x0": [X0, X0 + 5_000, X0],
            "y0": [Y0, Y0, Y0],
            "x1": [X0 + 5_000, X0, X0 + 5_000],
            "y1": [Y0, Y0, Y0],
            "speed_kmh": [50.0, 90.0, 70.0],
        }
    )
    nodes, edges = vagnat.graph_from_segments(seg)
    assert len(nodes) == 2 and len(edges) == 1
    assert edges.at[0, "length_m"] == 5_000.0 and edges.at[0, "speed_kmh"] == 90.0
