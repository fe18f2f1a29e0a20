"""The closure ranking from a regional service file equals the national one, or says it cannot.

Issue #19, item 1. A file of Kalmar län and a buffer zone around it holds every point needed to
count the people in the neighbouring län whom a Kalmar point serves; the build counted only people
in covered län, so a Kalmar point near the border showed too few people served and pushed beyond
10 km. Here a hand-built world on a straight east–west road across the Kronoberg–Kalmar border:

    y = 6 290 000 (SWEREF 99 TM); the län border crosses it at x ≈ 523 400

    x (km)   470     488   503   510     521  530 533   545
             W2      c4    c3    W1      c2   K1  c1    K2       (D1 at 530: the only fuel)
             |---------- Kronoberg (07) ---------|---- Kalmar (08) ----

The regional file holds the points within 30 km of Kalmar län (declared ``lan: ["08"]``,
``buffer_km: 30``): K1, K2, W1 and D1, not W2 (52 km from the län). The national answer is worked
out with networkx on the whole world (every point), independently of the library.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely

from lansanalys import geo
from lansanalys.analysis.access import CLOSURE_KM
from lansanalys.analysis.network import RoadNetwork, nearest_by_type
from lansanalys.errors import BuildError
from lansanalys.pipeline import coverage, tables

Y = 6_290_000.0
FILE = "service/kalmar_30km.csv"

#: Service points: id → (type, x).
POINTS = {
    "K1": ("dagligvaror", 530_000.0),
    "K2": ("dagligvaror", 545_000.0),
    "W1": ("dagligvaror", 510_000.0),
    "W2": ("dagligvaror", 470_000.0),
    "D1": ("drivmedel", 530_000.0),
}
#: Populated cells: id → (x, people).
CELLS = {
    "c1": (533_000.0, 300),  # Kalmar län
    "c2": (521_000.0, 200),  # Kronoberg, 2 km from the border: nearest K1 (9 km), then W1 (11)
    "c3": (503_000.0, 150),  # Kronoberg, 20 km from the border: W1 (7 km), then K1 (27)
    "c4": (488_000.0, 100),  # Kronoberg, beyond the 30 km zone: W2 (18 km), then W1 (22)
    "c5": (445_000.0, 50),  # Kronoberg, far west: W2 (25 km)
}


def _world() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Road nodes and links (one straight road), cells and points with kommun and län."""
    xs = sorted({x for _, x in POINTS.values()} | {x for x, _ in CELLS.values()} | {440_000.0})
    nodes = pd.DataFrame({"x": xs, "y": Y})
    edges = pd.DataFrame(
        {
            "u": range(len(xs) - 1),
            "v": range(1, len(xs)),
            "length_m": np.diff(xs),
            "speed_kmh": 70.0,
        }
    )
    cells = pd.DataFrame(
        [(c, x, Y, pop) for c, (x, pop) in CELLS.items()],
        columns=["cell_id", "x", "y", "population"],
    )
    points = pd.DataFrame(
        [(p, t, x, Y) for p, (t, x) in POINTS.items()],
        columns=["point_id", "service_type", "x", "y"],
    )
    for df in (cells, points):
        df["kommun_kod"] = geo.kommun_of_points(df["x"], df["y"])
        df["lan_kod"] = df["kommun_kod"].str[:2]
    points["name"] = points["point_id"]
    points["label"] = points["service_type"]
    points["file"] = FILE
    return nodes, edges, cells, points


def test_the_world_lies_where_the_picture_says():
    _, _, cells, points = _world()
    lan = dict(zip(cells["cell_id"], cells["lan_kod"], strict=True))
    assert lan == {"c1": "08", "c2": "07", "c3": "07", "c4": "07", "c5": "07"}
    assert dict(zip(points["point_id"], points["lan_kod"], strict=True)) == {
        "K1": "08", "K2": "08", "W1": "07", "W2": "07", "D1": "08",
    }  # fmt: skip


def _national_oracle(nodes, edges, cells, points) -> pd.DataFrame:
    """Per point: people served and people pushed beyond CLOSURE_KM, by networkx on every point."""
    g = nx.Graph()
    for u, v, length in zip(edges["u"], edges["v"], edges["length_m"], strict=True):
        g.add_edge(int(u), int(v), weight=float(length))
    node_of = {x: i for i, x in enumerate(nodes["x"])}
    rows = []
    limit = CLOSURE_KM * 1000
    for stype, pts in points.groupby("service_type"):
        served = dict.fromkeys(pts["point_id"], 0.0)
        pushed = dict.fromkeys(pts["point_id"], 0.0)
        for c in cells.itertuples():
            dist = nx.single_source_dijkstra_path_length(g, node_of[c.x], weight="weight")
            order = sorted((dist[node_of[p.x]], p.point_id) for p in pts.itertuples())
            d1, first = order[0]
            d2 = order[1][0] if len(order) > 1 else np.inf
            served[first] += c.population
            if d1 <= limit < d2:
                pushed[first] += c.population
        rows += [(stype, p, served[p], pushed[p]) for p in served]
    return pd.DataFrame(rows, columns=["service_type", "point_id", "served", "pushed_beyond"])


@pytest.fixture(scope="module")
def regional() -> tuple[pd.DataFrame, pd.DataFrame]:
    """The closure table from the regional file, by the build's own steps; and the national
    oracle."""
    nodes, edges, cells, points = _world()
    national = _national_oracle(nodes, edges, cells, points)
    files = {FILE: {"lan": ["08"], "buffer_km": 30}}
    zone = geo.lan_geometry().set_index("lan_kod").geometry["08"].buffer(30_000)
    inside = shapely.contains_xy(zone, points["x"].to_numpy(), points["y"].to_numpy())
    cut = points[inside].reset_index(drop=True)
    assert sorted(cut["point_id"]) == ["D1", "K1", "K2", "W1"]  # W2 is 52 km from the län
    cov = coverage.service_coverage(cut, files)
    near = nearest_by_type(RoadNetwork(nodes, edges), cells, cut)
    near = near.merge(cells[["cell_id", "kommun_kod", "lan_kod"]], on="cell_id")
    out = tables._closure_tables(
        near,
        cells,
        cut,
        cov,
        zones=coverage.complete_zones(cov, files),
        stretch=tables.road_stretch(nodes, edges),
    )
    return out, national


def test_a_kalmar_point_counts_the_neighbouring_lan_people_it_serves(regional):
    out, national = regional
    got = out.set_index("point_id")
    want = national.set_index("point_id")
    # K1 serves c1 (Kalmar, 300) and c2 (Kronoberg, 200); both would have more than 10 km to
    # their next store if it closed (c1: K2 at 12 km, c2: W1 at 11 km).
    assert want.loc["K1", "served"] == 500 and want.loc["K1", "pushed_beyond"] == 500
    assert got.loc["K1", "served"] == 500, "c2 in Kronoberg is served by K1 and the file shows it"
    assert got.loc["K1", "pushed_beyond"] == 500
    assert bool(got.loc["K1", "complete"]) is True
    # K2 is nobody's nearest, in the regional file and nationally.
    assert got.loc["K2", ["served", "pushed_beyond"]].tolist() == [0, 0]
    assert bool(got.loc["K2", "complete"]) is True


def test_covered_points_that_the_file_can_answer_equal_the_national_figures(regional):
    out, national = regional
    both = out.merge(national, on=["service_type", "point_id"], suffixes=("", "_national"))
    ok = both[both["complete"].astype(bool)]
    assert set(ok["point_id"]) >= {"K1", "K2"}
    for col in ("served", "pushed_beyond"):
        assert (ok[col] == ok[f"{col}_national"]).all(), ok


def test_a_point_the_file_cannot_answer_for_says_so(regional):
    """D1 is the only fuel in the file. c3, 27 km from it by road, is only 11 km inside the
    zone: a station just beyond the zone could be nearer, so the file cannot say whom D1 serves
    (nationally, with no other fuel, it serves every cell that reaches it). W1's cells c4 and
    c5 lie outside the zone, where the file lacks W2."""
    out, national = regional
    got = out.set_index("point_id")
    want = national.set_index("point_id")
    assert bool(got.loc["D1", "complete"]) is False
    assert bool(got.loc["W1", "complete"]) is False
    # What is counted is what the file can vouch for: never more than the national figure.
    for p in ("D1", "W1"):
        for col in ("served", "pushed_beyond"):
            assert got.loc[p, col] <= want.loc[p, col], (p, col)
    # D1 serves at least c1 and c2 (both sure: no station could be nearer than 9 km to c2).
    assert got.loc["D1", "served"] == 500
    assert want.loc["D1", "served"] == 800  # c1..c5 all reach it nationally


def test_a_file_without_a_declared_buffer_answers_for_its_own_lan_only():
    """Declared ``lan`` alone: the file vouches for nothing beyond Kalmar län, so c2's figures
    cannot be counted for K1, and K1 says so instead of showing Kalmar's people only."""
    nodes, edges, cells, points = _world()
    cut = points[points["point_id"] != "W2"].reset_index(drop=True)
    files = {FILE: {"lan": ["08"]}}
    cov = coverage.service_coverage(cut, files)
    near = nearest_by_type(RoadNetwork(nodes, edges), cells, cut)
    near = near.merge(cells[["cell_id", "kommun_kod", "lan_kod"]], on="cell_id")
    out = tables._closure_tables(
        near, cells, cut, cov, zones=coverage.complete_zones(cov, files), stretch=1.0
    ).set_index("point_id")
    assert out.loc["K1", "served"] == 300 and bool(out.loc["K1", "complete"]) is False
    assert bool(out.loc["K2", "complete"]) is True


def test_a_bad_buffer_declaration_is_one_clear_error():
    _, _, _, points = _world()
    files = {FILE: {"lan": ["08"], "buffer_km": "femtio"}}
    cov = coverage.service_coverage(points, {FILE: {"lan": ["08"]}})
    with pytest.raises(BuildError, match="buffer_km 'femtio' is not understood"):
        coverage.complete_zones(cov, files)


def test_road_stretch_bounds_road_from_below():
    # A link of 800 m between nodes 1 000 m apart: a trip can be 0.8 times the straight line.
    nodes = pd.DataFrame({"x": [0.0, 1_000.0, 3_000.0], "y": [0.0, 0.0, 0.0]})
    edges = pd.DataFrame(
        {"u": [0, 1], "v": [1, 2], "length_m": [800.0, 2_500.0], "speed_kmh": [50.0, 50.0]}
    )
    assert tables.road_stretch(nodes, edges) == pytest.approx(1_000 / 800)
    straight = edges.assign(length_m=[1_000.0, 2_000.0])
    assert tables.road_stretch(nodes, straight) == 1.0
