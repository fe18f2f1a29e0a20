"""Types of place (issue #20, part 1): the classic split by car time to a tätort of 3 000+, the
EU-style clusters of the grid and the kommuntyper computed from them.

The worlds are built so that the answer is known by construction: straight roads at 60 km/h
(one minute per km) with nodes on the cell centres, a town of exactly 3 000 people, cells at
44, 45 and 46 minutes. Clusters are checked against networkx's connected components, the
classes of random car times against integer arithmetic on hundredths of a minute.
"""

from __future__ import annotations

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from lansanalys.analysis import place_types as pt
from lansanalys.pipeline.place_types import cell_table

X0, Y0 = 500_000.0, 6_500_000.0


def _road(n_km: float, step_m: float, speed: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A straight road east from the first cell's centre, a node every ``step_m``."""
    n = int(round(n_km * 1000 / step_m))
    x = X0 + 500 + step_m * np.arange(n + 1)
    nodes = pd.DataFrame({"x": x, "y": Y0 + 500.0})
    edges = pd.DataFrame(
        {"u": np.arange(n), "v": np.arange(1, n + 1), "length_m": step_m, "speed_kmh": speed}
    )
    return nodes, edges


def _cells(km_people: dict[int, int], off_road: tuple[int, ...] = ()) -> pd.DataFrame:
    """1 km cells centred on the road at whole km from the town cell (km 0), and cells 10 km
    north of the road (no road link within 3 km)."""
    rows = [(f"c{k}", X0 + 500 + 1000 * k, Y0 + 500.0, p) for k, p in km_people.items()]
    rows += [(f"island{k}", X0 + 500 + 1000 * k, Y0 + 10_500.0, 5) for k in off_road]
    df = pd.DataFrame(rows, columns=["cell_id", "x", "y", "population"])
    return df.assign(
        size_m=1000, pop_70plus=pd.array([1] * len(df), dtype="Int64"), kommun_kod="0821"
    ).assign(lan_kod="08")


def test_town_of_3000_and_cells_at_44_45_and_46_minutes():
    # Town (3 000 people in one km²), cells at 3, 5, 6, 44, 45 and 46 minutes, one island.
    cells = _cells({0: 3000, 3: 10, 5: 10, 6: 10, 44: 10, 45: 10, 46: 10}, off_road=(2,))
    nodes, edges = _road(46, 1000.0, 60.0)
    out, basis = cell_table(cells, nodes, edges)
    got = out.set_index("cell_id")
    assert basis == "grid"
    assert got["town_min"].to_dict() == pytest.approx(
        {"c0": 0, "c3": 3, "c5": 5, "c6": 6, "c44": 44, "c45": 45, "c46": 46, "island2": np.nan},
        nan_ok=True,
    )
    assert got["place_type"].to_dict() == {
        "c0": "tätort",
        "c3": "tätort",  # within 5 minutes of the town
        "c5": "tätort",  # exactly 5,00: not beyond the bound
        "c6": "tätortsnära landsbygd",
        "c44": "tätortsnära landsbygd",
        "c45": "tätortsnära landsbygd",  # exactly 45,00
        "c46": "glesbygd",
        "island2": "glesbygd",  # no road link
    }
    # 3 000 people make a town for the split, not an EU urban cluster (5 000).
    assert got["urban"].eq("landsbygd").all()


def test_a_town_of_2999_is_no_town():
    cells = _cells({0: 2999, 10: 10})
    nodes, edges = _road(10, 1000.0, 60.0)
    out, _ = cell_table(cells, nodes, edges)
    assert out["place_type"].eq("glesbygd").all() and out["town_min"].isna().all()


def test_45_minutes_summed_from_inexact_pieces_is_still_45():
    # 100 links of 300 m at 40 km/h: 0,45 min each, a float sum a few ulp off 45.
    cells = _cells({0: 3000, 30: 10, 31: 10})
    nodes, edges = _road(31, 300.0, 40.0)
    out, _ = cell_table(cells, nodes, edges)
    got = out.set_index("cell_id")
    assert got.at["c30", "town_min"] == pytest.approx(45.0, abs=1e-9)
    assert got.at["c30", "place_type"] == "tätortsnära landsbygd"
    assert got.at["c31", "place_type"] == "glesbygd"  # 46,5 min


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.one_of(st.none(), st.integers(0, 20_000)), st.booleans()),
        min_size=1,
        max_size=40,
    )
)
def test_place_type_against_whole_hundredths(rows):
    """Every cell gets exactly one of the three types, by integer comparison of hundredths."""
    hundredths = [h for h, _ in rows]
    minutes = np.array([np.nan if h is None else h / 100 for h in hundredths])
    town = np.array([t for _, t in rows])
    got = pt.place_type(minutes, town)
    for h, t, g in zip(hundredths, town, got, strict=True):
        if t or (h is not None and h <= 500):
            assert g == "tätort"
        elif h is not None and h <= 4500:
            assert g == "tätortsnära landsbygd"
        else:
            assert g == "glesbygd"


@settings(max_examples=150, deadline=None)
@given(
    st.dictionaries(
        st.tuples(st.integers(0, 7), st.integers(0, 7)),
        st.integers(0, 2_000),
        min_size=1,
        max_size=40,
    ),
    st.integers(100, 4_000),
    st.booleans(),
)
def test_clusters_are_networkx_components(cells, min_pop, diagonal):
    df = pd.DataFrame(
        [(X0 + 1000 * i + 500, Y0 + 1000 * j + 500, p) for (i, j), p in sorted(cells.items())],
        columns=["x", "y", "population"],
    ).assign(size_m=1000)
    got = pt.dense_clusters(df, 300.0, min_pop, diagonal=diagonal)
    # Reference: a graph of the dense cells and their 4 or 8 neighbours.
    keys = sorted(cells)
    g = nx.Graph()
    dense = [k for k in keys if cells[k] >= 300]
    g.add_nodes_from(dense)
    steps = [(1, 0), (0, 1), (-1, 0), (0, -1)] + (
        [(1, 1), (1, -1), (-1, 1), (-1, -1)] if diagonal else []
    )
    for i, j in dense:
        for di, dj in steps:
            if (i + di, j + dj) in g:
                g.add_edge((i, j), (i + di, j + dj))
    member = {}
    for comp in nx.connected_components(g):
        if sum(cells[k] for k in comp) >= min_pop:
            for k in comp:
                member[k] = min(comp)
    for k, cid in zip(keys, got, strict=True):
        assert (cid >= 0) == (k in member)
    # Two cells share an id exactly when they share a component.
    ids = dict(zip(keys, got, strict=True))
    for a in member:
        for b in member:
            assert (ids[a] == ids[b]) == (member[a] == member[b])


def _kommun(code: str, rural: int, urban: int, minutes: list[float | None]) -> pd.DataFrame:
    """A kommun of ``rural`` + ``urban`` people in cells of 100 people, with car minutes to a
    larger town per cell cycling through ``minutes``."""
    n = (rural + urban) // 100
    mins = [minutes[i % len(minutes)] for i in range(n)]
    return pd.DataFrame(
        {
            "kommun_kod": code,
            "population": 100,
            "rural": [i < rural // 100 for i in range(n)],
            "city_min": [np.nan if m is None else m for m in mins],
        }
    )


def test_kommuntyper_of_a_hand_made_country():
    cells = pd.concat(
        [
            _kommun("0001", 40_000, 360_000, [10]),  # 10 % rural, with 0002: 600 000
            _kommun("0002", 30_000, 170_000, [20]),  # 15 % rural
            _kommun("0003", 30_000, 270_000, [30]),  # 10 % rural, 300 000 alone: tät
            _kommun("0004", 4_000, 6_000, [30, 60, 60, 60, 60]),  # tät, 20 % near
            _kommun("0005", 5_000, 5_000, [45.0, 45.01]),  # exactly 50 % rural, 50 % near
            _kommun("0006", 8_000, 2_000, [89.99]),  # remote, mean under 90
            _kommun("0007", 8_000, 2_000, [80, 100]),  # mean exactly 90
            _kommun("0008", 10_000, 0, [None]),  # no road link to a larger town
        ],
        ignore_index=True,
    )
    neighbours = [("0001", "0002"), ("0002", "0004"), ("0003", "0005")]
    got = pt.kommun_types(cells, neighbours).set_index("kommun_kod")
    assert got["typ6"].to_dict() == {
        "0001": 1,
        "0002": 1,
        "0003": 2,
        "0004": 3,
        "0005": 4,
        "0006": 5,
        "0007": 6,
        "0008": 5,
    }
    assert got["typ3"].to_dict() == {k: pt.AGGREGATE[v] for k, v in got["typ6"].items()}
    assert got.at["0001", "metro_population"] == 600_000
    assert got.at["0003", "metro_population"] == 300_000  # 0005 is rural, no candidate
    assert got.at["0004", "near_share"] == pytest.approx(20.0)
    assert got.at["0005", "rural_share"] == 50.0 and got.at["0005", "near_share"] == 50.0
    assert got.at["0007", "mean_min"] == pytest.approx(90.0)
    assert np.isnan(got.at["0008", "mean_min"]) and got.at["0008", "unreachable_share"] == 100


def _square(x0: float, x1: float) -> shapely.Polygon:
    return shapely.box(x0, Y0, x1, Y0 + 1000.0)


def test_scb_tatorter_decide_tatort_and_the_towns_of_3000():
    # km 0: a tätort SCB counts at 3 500 (the grid has 2 000 there); km 20: a tätort of 2 500
    # by SCB although the grid puts 4 000 in it; km 30: a småort. Road at 60 km/h.
    cells = _cells({0: 2000, 3: 10, 20: 4000, 30: 300, 50: 10, 51: 10})
    orter = gpd.GeoDataFrame(
        {
            "ort_kod": ["T1", "T2", "S1"],
            "name": ["Stora", "Lilla", "Byn"],
            "kind": ["tätort", "tätort", "småort"],
            "kommun_kod": "0821",
            "population_scb": [3500.0, 2500.0, 120.0],
        },
        geometry=[
            _square(X0, X0 + 1000),
            _square(X0 + 20_000, X0 + 21_000),
            _square(X0 + 30_000, X0 + 31_000),
        ],
        crs="EPSG:3006",
    )
    nodes, edges = _road(51, 1000.0, 60.0)
    out, basis = cell_table(cells, nodes, edges, orter)
    got = out.set_index("cell_id")
    assert basis == "scb"
    # Tätort or landsbygd: inside any SCB tätort, whatever its size; a småort is landsbygd.
    assert got["urban"].to_dict() == {
        "c0": "tätort",
        "c3": "landsbygd",
        "c20": "tätort",
        "c30": "landsbygd",
        "c50": "landsbygd",
        "c51": "landsbygd",
    }
    # Only Stora (3 500 by SCB) is a town of 3 000+: minutes are to it alone.
    assert got["town_min"].to_dict() == pytest.approx(
        {"c0": 0, "c3": 3, "c20": 20, "c30": 30, "c50": 50, "c51": 51}
    )
    assert got["place_type"].to_dict() == {
        "c0": "tätort",
        "c3": "tätort",
        "c20": "tätortsnära landsbygd",
        "c30": "tätortsnära landsbygd",
        "c50": "glesbygd",
        "c51": "glesbygd",
    }
