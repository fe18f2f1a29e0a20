"""Analysis engine: oracle tests against networkx, brute force and hand-computed values."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from lansanalys.analysis import access, projection, support
from lansanalys.analysis.network import RoadNetwork


def test_closure_ranking_matches_recomputing_from_scratch():
    rng = np.random.default_rng(7)
    cells = rng.uniform(0, 60_000, (3_000, 2))
    pop = rng.integers(0, 50, len(cells))
    points = rng.uniform(0, 60_000, (40, 2))
    t = 8_000.0
    fast = access.closure_ranking(cells, pop, points, t).set_index("point")
    before, _ = access.nearest_points(cells, points, k=1)

    def beyond(d):  # the stated resolution: a distance counts to the nearest 0,1 m
        return np.round(d * 10) > t * 10

    for j in range(len(points)):
        after, _ = access.nearest_points(cells, np.delete(points, j, axis=0), k=1)
        pushed = pop[~beyond(before[:, 0]) & beyond(after[:, 0])].sum()
        assert fast.at[j, "pushed_beyond"] == pushed, j
    assert fast["pushed_beyond"].is_monotonic_decreasing


def test_what_if_close_open_move():
    cells = pd.DataFrame({"cell_id": ["a", "b"], "x": [0.0, 10_000.0], "y": [0.0, 0.0]})
    pts = pd.DataFrame(
        {
            "point_id": ["p1", "p2"],
            "service_type": ["apotek"] * 2,
            "x": [1_000.0, 9_000.0],
            "y": [0.0, 0.0],
        }
    )
    closed = access.what_if(cells, pts, remove=["p1"]).set_index("cell_id")
    assert closed.at["a", "dist_m"] == 9_000.0
    opened = access.what_if(
        cells,
        pts,
        remove=["p1"],
        add=pd.DataFrame(
            {"point_id": ["new"], "service_type": ["apotek"], "x": [0.0], "y": [500.0]}
        ),
    )
    assert opened.set_index("cell_id").at["a", "point_id"] == "new"
    moved = access.what_if(cells, pts, move={"p2": (10_000.0, 0.0)}).set_index("cell_id")
    assert moved.at["b", "dist_m"] == 0.0
    with pytest.raises(KeyError, match="nope"):
        access.what_if(cells, pts, remove=["nope"])


def test_cash_rule_against_the_legal_limit():
    df = pd.DataFrame(
        {
            "lan_kod": ["08"] * 4,
            "service_type": [
                "kontantuttag",
                "kontantuttag",
                "dagskasseinsattning",
                "dagskasseinsattning",
            ],
            "dist_m": [30_000, 1_000, 30_000, 1_000],
            "population": [1, 999, 10, 990],
        }
    )
    out = access.cash_rule(df, "lan_kod").set_index("service_type")
    assert out.at["kontantuttag", "share_over_25km"] == pytest.approx(0.1)
    assert bool(out.at["kontantuttag", "within_limit"]) is True
    assert out.at["dagskasseinsattning", "share_over_25km"] == pytest.approx(1.0)
    assert out.at["dagskasseinsattning", "limit_pct"] == 1.22
    df.loc[0, "population"] = 10
    assert (
        not access.cash_rule(df, "lan_kod")
        .set_index("service_type")
        .at["kontantuttag", "within_limit"]
    )


def _grid_network(rng, n=12, spacing=1_000.0):
    nodes = pd.DataFrame(
        [(i * spacing, j * spacing) for i in range(n) for j in range(n)], columns=["x", "y"]
    )
    edges = []
    for i in range(n):
        for j in range(n):
            k = i * n + j
            if i + 1 < n and rng.random() > 0.15:
                edges.append((k, k + n))
            if j + 1 < n and rng.random() > 0.15:
                edges.append((k, k + 1))
    e = pd.DataFrame(edges, columns=["u", "v"])
    e["length_m"] = spacing * rng.uniform(1.0, 1.6, len(e))
    e["speed_kmh"] = rng.choice([50.0, 70.0, 90.0], len(e))
    return nodes, e


def test_network_nearest_matches_networkx():
    rng = np.random.default_rng(3)
    nodes, edges = _grid_network(rng)
    net = RoadNetwork(nodes, edges)
    point_nodes = [5, 77, 130]
    cell_nodes = list(range(0, len(nodes), 3))
    pts = nodes.loc[point_nodes, ["x", "y"]].to_numpy()
    cells = nodes.loc[cell_nodes, ["x", "y"]].to_numpy()
    res = net.nearest(cells, pts)
    g = nx.Graph()
    for r in edges.itertuples():
        g.add_edge(r.u, r.v, length=r.length_m, minutes=r.length_m / 1000 / r.speed_kmh * 60)
    g.add_nodes_from(range(len(nodes)))
    d_len = nx.multi_source_dijkstra_path_length(g, point_nodes, weight="length")
    d_min = nx.multi_source_dijkstra_path_length(g, point_nodes, weight="minutes")
    for i, node in enumerate(cell_nodes):
        if node in d_len:
            assert res.at[i, "dist_m"] == pytest.approx(d_len[node], abs=1e-3)
            assert res.at[i, "minutes"] == pytest.approx(d_min[node], abs=1e-3)
            nearest = min(
                point_nodes,
                key=lambda p: (
                    nx.shortest_path_length(g, p, node, weight="length")
                    if nx.has_path(g, p, node)
                    else np.inf
                ),
            )
            assert point_nodes[res.at[i, "point"]] == nearest
        else:  # a node cut off from every point: unreachable, never distance 0
            assert not res.at[i, "reachable"] and np.isnan(res.at[i, "dist_m"])


def test_island_cell_is_unreachable_not_zero():
    nodes = pd.DataFrame({"x": [0.0, 1_000.0], "y": [0.0, 0.0]})
    edges = pd.DataFrame({"u": [0], "v": [1], "length_m": [1_000.0], "speed_kmh": [60.0]})
    net = RoadNetwork(nodes, edges)
    res = net.nearest(np.array([[0.0, 100.0], [0.0, 50_000.0]]), np.array([[1_000.0, 0.0]]))
    assert res.at[0, "reachable"] and res.at[0, "dist_m"] == pytest.approx(1_100.0, abs=0.01)
    assert res.at[0, "minutes"] == pytest.approx(1.0 + 0.1 / 30 * 60, abs=1e-3)
    assert not res.at[1, "reachable"] and np.isnan(res.at[1, "dist_m"])


def test_network_refuses_bad_edges():
    nodes = pd.DataFrame({"x": [0.0], "y": [0.0]})
    with pytest.raises(ValueError, match="do not exist"):
        RoadNetwork(
            nodes, pd.DataFrame({"u": [0], "v": [3], "length_m": [1.0], "speed_kmh": [50.0]})
        )


def _stationary(years=(2020, 2021, 2022), n=100.0) -> pd.DataFrame:
    rows = [("A", y, a, s, n) for y in years for a in range(101) for s in ("män", "kvinnor")]
    return pd.DataFrame(rows, columns=["kommun_kod", "year", "age", "sex", "population"])


def test_projection_keeps_a_stationary_population():
    """Mortality held at the base period's: 100 per age stays 100 (the 100+ keep the life
    table's share s and 100 − 100 s enter from 99); births 100 per 3 500 women. With the
    default fall in mortality the young stay as they are and the old grow."""
    proj = projection.project(_stationary(), "kommun_kod", to_year=2040, mortality_improvement=0)
    assert sorted(proj["year"].unique()) == list(range(2023, 2041))
    tot = proj.groupby("year")["population"].sum()
    np.testing.assert_allclose(tot.to_numpy(), 2 * 101 * 100.0)
    falling = projection.project(_stationary(), "kommun_kod", to_year=2040)
    last = falling[falling["year"] == 2040].groupby("age")["population"].sum()
    assert last.loc[0:30].to_numpy() == pytest.approx(200.0, rel=2e-3)
    assert (last.loc[81:100] > 200.0).all() and last.loc[80:100].sum() < 21 * 200 * 1.5


def test_projection_one_step_by_hand():
    pop = _stationary(years=(2020, 2021))
    pop.loc[(pop["year"] == 2021) & (pop["age"] == 31), "population"] = 110.0
    proj = projection.project(pop, "kommun_kod", to_year=2022, mortality_improvement=0)
    p = proj.set_index(["sex", "age"])["population"]
    # ratio(31) = P(31, 2021) / P(30, 2020) = 1.1; ratio(32) = P(32, 2021) / P(31, 2020) = 1.0
    assert p[("män", 31)] == pytest.approx(100.0 * 1.1)
    assert p[("män", 32)] == pytest.approx(110.0 * 1.0)
    assert p[("män", 33)] == pytest.approx(100.0)
    # births: 100 per 3 500 women aged 15–49 in 2020; 3 510 such women in 2021
    assert p[("kvinnor", 0)] == pytest.approx(100.0 / 3_500 * 3_510)


def test_support_per_capita_and_group_shares():
    bef = pd.DataFrame(
        {"kommun_kod": ["0001", "0002"], "year": [2024, 2024], "population": [1_000, 9_000]}
    )
    grants = pd.DataFrame(
        {
            "kommun_kod": ["0001", "0001", "0002"],
            "year": [2024, 2025, 2024],
            "programme": ["a", "a", "b"],
            "amount_sek": [50_000.0, 50_000.0, 90_000.0],
        }
    )
    pc = support.per_inhabitant_year(grants, bef, ["0001", "0002"], (2024, 2025))
    pc = pc.set_index("kommun_kod")
    # 100 000 kr over 2 years of 1 000 people (2025 takes 2024's population).
    assert pc.at["0001", "sek_per_capita_year"] == 50.0
    assert pc.at["0002", "sek_per_capita_year"] == 5.0  # 90 000 kr / (2 × 9 000)
    groups = pd.Series({"0001": "landsbygd", "0002": "stad"})
    sh = support.share_by_group(grants, bef, groups).set_index("group")
    assert sh.at["landsbygd", "population_share"] == 10.0
    assert sh.at["landsbygd", "support_share"] == pytest.approx(100 * 100_000 / 190_000)
    assert sh.at["landsbygd", "ratio"] > 5
