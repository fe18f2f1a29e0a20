"""Road network: reading road lines, the graph, road distances and car minutes, unreachable cells.

Expected values are computed by hand on small networks, and the national demo build is checked
against networkx and against the triangle inequality (a road is never shorter than a straight line).
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely

from lansanalys.analysis import access, network
from lansanalys.analysis.network import ATTACH_M, nearest_by_type
from lansanalys.errors import InputError
from lansanalys.sources import vagnat

from ..analysis.network_reference import Foot, split_graph

X0, Y0 = 500_000.0, 6_500_000.0


def _gpkg(path: Path, lines, crs="EPSG:3006", **cols) -> Path:
    gdf = gpd.GeoDataFrame(cols, geometry=[shapely.LineString(c) for c in lines], crs=crs)
    gdf.to_file(path, layer="vagnat", driver="GPKG")
    return path


def _network(tmp_path: Path):
    """A 10 km main road (60 km/h) with a 2 km side road (30 km/h) from its middle, plus an
    island road 20 km away that touches nothing. The side road starts at an interior vertex."""
    f = _gpkg(
        tmp_path / "nvdb.gpkg",
        [
            [(X0, Y0), (X0 + 5_000, Y0), (X0 + 10_000, Y0)],
            [(X0 + 5_000, Y0), (X0 + 5_000, Y0 + 2_000)],
            [(X0, Y0 + 20_000), (X0 + 1_000, Y0 + 20_000)],
        ],
        Hastighetsgräns=[60, 30, 50],
    )
    seg = vagnat.read_vagnat(f)
    nodes, edges = vagnat.graph_from_segments(seg)
    return network.load_network(nodes, edges), nodes, edges


def test_lines_become_a_graph_joined_at_shared_vertices(tmp_path):
    net, nodes, edges = _network(tmp_path)
    assert len(nodes) == 6  # 3 on the main road, 1 side-road end, 2 on the island
    assert len(edges) == 4
    assert sorted(edges["speed_kmh"]) == [30, 50, 60, 60]
    assert edges["length_m"].sum() == pytest.approx(5_000 + 5_000 + 2_000 + 1_000)


def test_road_distance_and_minutes_by_hand(tmp_path):
    net, _, _ = _network(tmp_path)
    cells = pd.DataFrame(
        {
            "cell_id": ["side_end", "west", "island", "far"],
            "x": [X0 + 5_000, X0 - 300, X0 + 500, X0 + 60_000],
            "y": [Y0 + 2_000, Y0, Y0 + 20_000, Y0],
        }
    )
    pts = pd.DataFrame(
        {"point_id": ["shop"], "service_type": ["dagligvaror"], "x": [X0 + 10_000], "y": [Y0]}
    )
    res = nearest_by_type(net, cells, pts).set_index("cell_id")
    # Side road 2 km at 30 km/h (4 min) + 5 km at 60 km/h (5 min).
    assert res.at["side_end", "road_m"] == pytest.approx(7_000, abs=0.01)
    assert res.at["side_end", "road_min"] == pytest.approx(9.0, abs=1e-3)
    # 300 m connector at 30 km/h (0,6 min) + 10 km at 60 km/h (10 min).
    assert res.at["west", "road_m"] == pytest.approx(10_300, abs=0.01)
    assert res.at["west", "road_min"] == pytest.approx(10.6, abs=1e-3)
    assert res.at["west", "road_point_id"] == "shop"
    # The island's road does not reach the shop; the far cell has no road within 3 km.
    for cid in ("island", "far"):
        assert not res.at[cid, "reachable"]
        assert np.isnan(res.at[cid, "road_m"]) and np.isnan(res.at[cid, "road_min"])
    assert res.loc[["side_end", "west"], "reachable"].all()


def test_what_if_along_roads(tmp_path):
    net, _, _ = _network(tmp_path)
    cells = pd.DataFrame({"cell_id": ["c"], "x": [X0 + 5_000], "y": [Y0 + 2_000]})
    pts = pd.DataFrame(
        {
            "point_id": ["east", "west"],
            "service_type": ["apotek", "apotek"],
            "x": [X0 + 10_000, X0],
            "y": [Y0, Y0],
        }
    )
    both = access.what_if(cells, pts, net=net).set_index("cell_id")
    assert both.at["c", "road_m"] == pytest.approx(7_000, abs=0.01)
    # Move the west point onto the side road, 400 m from its end: it attaches mid-link, and the
    # 400 m along the side road is the whole trip.
    moved = access.what_if(cells, pts, move={"west": (X0 + 5_000, Y0 + 1_600)}, net=net)
    assert moved.set_index("cell_id").at["c", "road_m"] == pytest.approx(400, abs=0.01)
    gone = access.what_if(cells, pts, remove=["east", "west"], net=net, service_types=["apotek"])
    assert gone.empty or not gone["reachable"].any()


def test_speed_from_functional_class_and_osm_style_maxspeed(tmp_path):
    f = _gpkg(
        tmp_path / "klass.gpkg",
        [[(X0, Y0), (X0 + 1_000, Y0)], [(X0 + 1_000, Y0), (X0 + 2_000, Y0)]],
        funktionell_vagklass=[1, 9],
    )
    assert vagnat.read_vagnat(f)["speed_kmh"].tolist() == [90.0, 20.0]
    g = _gpkg(
        tmp_path / "max.gpkg",
        [[(X0, Y0), (X0 + 1_000, Y0)], [(X0 + 1_000, Y0), (X0 + 2_000, Y0)]],
        maxspeed=["70", "50 km/h"],
    )
    assert vagnat.read_vagnat(g)["speed_kmh"].tolist() == [70.0, 50.0]


def test_wgs84_lines_are_transformed_and_wgs84_without_crs_is_caught(tmp_path):
    lines = [[(16.36, 56.66), (16.37, 56.66)]]
    ok = vagnat.read_vagnat(_gpkg(tmp_path / "wgs.gpkg", lines, crs="EPSG:4326", kmh=[50]))
    assert 550_000 < ok["x0"].iloc[0] < 600_000 and 6_250_000 < ok["y0"].iloc[0] < 6_300_000
    with pytest.raises(InputError, match="WGS 84"):
        vagnat.read_vagnat(_gpkg(tmp_path / "nocrs.gpkg", lines, crs=None, kmh=[50]))


def test_bad_speed_names_the_road_and_column(tmp_path):
    f = _gpkg(
        tmp_path / "bad.gpkg",
        [[(X0, Y0), (X0 + 1_000, Y0)], [(X0 + 1_000, Y0), (X0 + 2_000, Y0)]],
        hastighetsgrans=["70", "snabbt"],
    )
    with pytest.raises(InputError) as err:
        vagnat.read_vagnat(f)
    assert err.value.row == 2 and err.value.column == "hastighetsgrans"
    g = _gpkg(tmp_path / "nospeed.gpkg", [[(X0, Y0), (X0 + 1_000, Y0)]], namn=["Storgatan"])
    with pytest.raises(InputError, match="no speed and no road class"):
        vagnat.read_vagnat(g)


def test_access_classes_and_unreachable_by_hand():
    cd = pd.DataFrame(
        {
            "kommun_kod": ["0821"] * 4,
            "service_type": ["dagligvaror"] * 4,
            "road_min": [3.0, 5.0, 12.0, np.nan],
            "population": [10, 20, 30, 40],
        }
    )
    out = access.access_classes(cd, "kommun_kod", (5, 10, 30), "road_min", "min")
    got = dict(zip(out["klass"], out["population"], strict=True))
    # 5,0 minutes belongs to the lower class; NaN is unreachable, not 0.
    assert got == {"0–5 min": 30, "5–10 min": 0, "10–30 min": 30, "> 30 min": 0, "ej nåbar": 40}
    assert out["share"].sum() == pytest.approx(100)
    cd["road_m"] = cd["road_min"] * 1000  # km equal to the minutes, for the next check
    bt = access.beyond_thresholds(cd, "kommun_kod", (10.0,), dist_col="road_m").iloc[0]
    assert bt["population_unreachable"] == 40
    # One definition: the 40 who cannot reach the store by road are beyond every distance.
    assert bt["population_over_10km"] == 30 + 40
    assert bt["mean_km"] == pytest.approx((3 * 10 + 5 * 20 + 12 * 30) / 60)
    assert bt["median_km"] == 5.0
    cd["service_type"] = "kontantuttag"
    cash = access.cash_rule(cd, "kommun_kod", dist_col="road_m").iloc[0]
    assert cash["unreachable"] == 40 and cash["over_25km"] == 40  # nobody > 25 km by road
    assert cash["share_over_25km"] == pytest.approx(40.0) and not cash["within_limit"]


@pytest.fixture(scope="module")
def built(demo_home):
    p = demo_home / "data" / "processed"
    return {
        n: pd.read_parquet(p / f"{n}.parquet")
        for n in ("nearest", "vagnat_noder", "vagnat_lankar", "rutor", "service", "access_klasser")
    }


def test_national_road_distances_obey_the_triangle_inequality(built):
    n = built["nearest"]
    r = n[n["reachable"]]
    assert len(r) > 0.99 * len(n)
    assert (r["road_m"] >= r["dist_m"] - 1e-6).all()
    assert (n.loc[~n["reachable"], "road_m"].isna()).all()  # never 0 for the unreachable
    # Cars drive at most 110 km/h (the connector at 30): minutes ≥ metres at that speed.
    assert (r["road_min"] >= r["road_m"] / 1000 / 110 * 60 - 1e-6).all()


def test_national_road_distances_match_networkx(built):
    """40 cells to every pharmacy: networkx on the national graph split at the attach points."""
    nodes, edges = built["vagnat_noder"], built["vagnat_lankar"]
    net = network.load_network(nodes, edges)
    svc = built["service"]
    shops = svc[svc["service_type"] == "apotek"]
    rut = built["rutor"].sample(40, random_state=3)
    mine = nearest_by_type(net, rut, shops).set_index("cell_id")
    cxy, pxy = rut[["x", "y"]].to_numpy(), shops[["x", "y"]].to_numpy()
    catt, patt = net.attach(cxy), net.attach(pxy)
    # The attach point is the nearest point of every link (brute force over all of them).
    xy = nodes[["x", "y"]].to_numpy()
    lines = shapely.linestrings(np.stack([xy[edges["u"]], xy[edges["v"]]], axis=1))
    for (x, y), gap in zip(cxy, catt.gap_m, strict=True):
        assert gap == pytest.approx(shapely.distance(shapely.Point(x, y), lines).min(), abs=1e-6)
    links = net.links

    def feet(att):
        return [
            Foot(int(links.at[k, "a"]), int(links.at[k, "b"]), float(t), float(g))
            for k, t, g in zip(att.link, att.frac, att.gap_m, strict=True)
        ]

    g = split_graph(nodes, edges, feet(catt), feet(patt), ATTACH_M, 30.0)
    for j, f in enumerate(feet(patt)):
        if f.gap <= ATTACH_M:  # a point without a road link serves nobody by road
            g.add_edge("src", ("point", j), m=0.0, min=0.0)
    dm = nx.single_source_dijkstra_path_length(g, "src", weight="m")
    dmin = nx.single_source_dijkstra_path_length(g, "src", weight="min")
    for i, cid in enumerate(rut["cell_id"]):
        if ("cell", i) in dm:
            assert mine.at[cid, "reachable"]
            assert mine.at[cid, "road_m"] == pytest.approx(dm[("cell", i)], abs=1e-6)
            assert mine.at[cid, "road_min"] == pytest.approx(dmin[("cell", i)], abs=1e-6)
        else:
            assert not mine.at[cid, "reachable"] and np.isnan(mine.at[cid, "road_m"])


def test_national_fastest_point_is_recorded_beside_the_nearest(built):
    n = built["nearest"]
    r = n[n["reachable"]]
    assert r["road_point_id"].notna().all() and r["road_min_point_id"].notna().all()
    assert n.loc[~n["reachable"], ["road_point_id", "road_min_point_id"]].isna().all().all()
    # On a real network the fastest point is sometimes not the nearest by km.
    assert (r["road_point_id"] != r["road_min_point_id"]).any()


def test_nearest_by_road_crosses_county_borders(built):
    n = built["nearest"]
    svc = built["service"].set_index("point_id")["lan_kod"]
    r = n[n["reachable"]]
    other = r["road_point_id"].map(svc) != r["lan_kod"]
    assert other.sum() > 100  # many cells have their nearest point in a neighbouring län


def test_access_classes_cover_every_area_and_sum_to_population(built):
    c = built["access_klasser"]
    assert set(c["level"]) >= {"kommun", "lan", "riket"}
    assert set(c["metric"]) == {"väg", "bil", "fågelvägen"}
    riket = c[(c["level"] == "riket") & (c["pop_col"] == "population")]
    tot = riket.groupby(["metric", "service_type"])["population"].sum()
    pop = built["rutor"]["population"].sum()
    assert np.allclose(tot.to_numpy(), pop)


def test_osm_roads_become_one_connected_graph(tmp_path):
    """Overpass ``out geom`` ways: a 30 km/h street and a primary road without maxspeed (80)."""
    import json

    answer = {
        "elements": [
            {
                "type": "way",
                "id": 1,
                "tags": {"highway": "residential", "maxspeed": "30"},
                "geometry": [{"lat": 57.0, "lon": 15.0}, {"lat": 57.01, "lon": 15.0}],
            },
            {
                "type": "way",
                "id": 2,
                "tags": {"highway": "primary"},
                "geometry": [{"lat": 57.01, "lon": 15.0}, {"lat": 57.01, "lon": 15.01}],
            },
            {
                "type": "way",
                "id": 3,
                "tags": {"highway": "footway"},
                "geometry": [{"lat": 57.0, "lon": 15.0}, {"lat": 57.0, "lon": 15.01}],
            },
        ]
    }
    f = tmp_path / "roads.json"
    f.write_text(json.dumps(answer), encoding="utf-8")
    seg = vagnat.read_vagnat(f)
    assert sorted(seg["speed_kmh"]) == [30.0, 80.0]  # the footway is not a road for cars
    nodes, edges = vagnat.graph_from_segments(seg)
    assert len(nodes) == 3 and len(edges) == 2  # the shared point joins the two ways
    # 0,01° of latitude ≈ 1 113 m; 0,01° of longitude at 57° N ≈ 606 m.
    assert edges["length_m"].sum() == pytest.approx(1113 + 606, rel=0.01)


def test_mean_and_median_for_people_aged_70_plus_by_hand():
    cd = pd.DataFrame(
        {
            "k": ["a"] * 4,
            "service_type": ["apotek"] * 4,
            "d": [3000.0, 5000.0, 12000.0, np.nan],
            "population": [10, 20, 30, 40],
            "pop_70plus": [5, 0, 5, 1],
        }
    )
    out = access.beyond_thresholds(
        cd, "k", (10.0,), dist_col="d", pop_cols=["population", "pop_70plus"]
    ).iloc[0]
    assert out["pop_70plus_mean_km"] == pytest.approx((3 * 5 + 12 * 5) / 10)
    assert out["pop_70plus_median_km"] == 3.0  # half of the ten 70+ live within 3 km
    assert out["pop_70plus_unreachable"] == 1
