"""Road-network access on the national demo road network (the build's own tables).

One multi-source Dijkstra per service type and cost over the whole country (nearest across county
borders), against networkx's ``multi_source_dijkstra_path_length`` on the same graph.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from lansanalys.analysis import network


@pytest.fixture(scope="module")
def road(bench_home):
    p = bench_home / "data" / "processed"
    tables = {
        n: pd.read_parquet(p / f"{n}.parquet")
        for n in ("vagnat_noder", "vagnat_lankar", "rutor", "service")
    }
    return tables


def test_road_network_load(benchmark, road):
    net = benchmark(network.load_network, road["vagnat_noder"], road["vagnat_lankar"])
    benchmark.extra_info.update(nodes=len(road["vagnat_noder"]), links=len(road["vagnat_lankar"]))
    assert net.graph_m.nnz == 2 * len(road["vagnat_lankar"])


def test_road_nearest_all_types_national(benchmark, road):
    """Every populated cell of Sweden × 7 service types, km and minutes, and the second-nearest
    point by km (the two-label search the closure ranking and the vulnerability shares use)."""
    net = network.load_network(road["vagnat_noder"], road["vagnat_lankar"])
    out = benchmark.pedantic(
        network.nearest_by_type, args=(net, road["rutor"], road["service"]), rounds=3
    )
    benchmark.extra_info.update(cells=len(road["rutor"]), points=len(road["service"]))
    assert out["reachable"].mean() > 0.99


@pytest.mark.parametrize("lan", ["25", "14"])  # Norrbotten (largest area), Västra Götaland
def test_road_nearest_largest_lan(benchmark, road, lan):
    """One län's cells, all 7 types, nearest point searched in the whole country."""
    net = network.load_network(road["vagnat_noder"], road["vagnat_lankar"])
    cells = road["rutor"][road["rutor"]["lan_kod"] == lan]
    out = benchmark.pedantic(network.nearest_by_type, args=(net, cells, road["service"]), rounds=3)
    benchmark.extra_info.update(lan=lan, cells=len(cells))
    assert len(out) == 7 * len(cells)


def test_road_nearest_all_types_national_without_second(benchmark, road):
    """The same without the second-nearest: what the two-label search adds."""
    net = network.load_network(road["vagnat_noder"], road["vagnat_lankar"])
    benchmark.pedantic(
        network.nearest_by_type,
        args=(net, road["rutor"], road["service"]),
        kwargs={"second": False},
        rounds=3,
    )


def test_road_second_nearest_grocery(benchmark, road):
    """The two-label search alone for grocery stores, every populated cell of Sweden."""
    net = network.load_network(road["vagnat_noder"], road["vagnat_lankar"])
    shops = road["service"][road["service"]["service_type"] == "dagligvaror"]
    cells = net.attach(road["rutor"][["x", "y"]].to_numpy(dtype=float))
    out = benchmark.pedantic(
        net.nearest_two, args=(cells, shops[["x", "y"]].to_numpy(dtype=float)), rounds=3
    )
    ok = out["p1"] >= 0
    assert (out.loc[ok & (out["p2"] >= 0), "d2"] >= out.loc[ok & (out["p2"] >= 0), "d1"]).all()


def test_road_grocery_kit(benchmark, road):
    net = network.load_network(road["vagnat_noder"], road["vagnat_lankar"])
    shops = road["service"][road["service"]["service_type"] == "dagligvaror"]
    benchmark.pedantic(
        network.nearest_by_type, args=(net, road["rutor"], shops), rounds=3, iterations=1
    )


def test_road_grocery_networkx_baseline(benchmark, road):
    """The same question with networkx: metres only (minutes would be a second pass)."""
    edges = road["vagnat_lankar"]
    g = nx.Graph()
    g.add_weighted_edges_from(edges[["u", "v", "length_m"]].itertuples(index=False))
    net = network.load_network(road["vagnat_noder"], edges)
    shops = road["service"][road["service"]["service_type"] == "dagligvaror"]
    # networkx starts from a node: the nearer end of each shop's link stands in for the split.
    att = net.attach(shops[["x", "y"]].to_numpy())
    ends = net.links[["a", "b"]].to_numpy()[att.link]
    pnode = np.where(att.frac < 0.5, ends[:, 0], ends[:, 1])
    benchmark.pedantic(
        nx.multi_source_dijkstra_path_length,
        args=(g, set(pnode.tolist())),
        rounds=1,
        iterations=1,
    )
