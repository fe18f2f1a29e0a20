"""More raw formats: OpenStreetMap PBF (service points and road lines), Overpass road answers,
grid CSVs with corner coordinates and 250 m grids, support lists placed by org.nr or coordinates.

Expected values are worked out by hand in the comments; projected coordinates are checked where
they are exact (the central meridian of SWEREF 99 TM, 15° E, is x = 500 000 m).
"""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from lansanalys.errors import InputError
from lansanalys.pipeline import inputs
from lansanalys.pipeline.schemas import OSM_ROADS
from lansanalys.sources import osm
from lansanalys.sources.rutor import read_rutor
from lansanalys.sources.service import read_service
from lansanalys.sources.stod import orgnr_valid, read_stod

osmium = pytest.importorskip("osmium")
from osmium.osm.mutable import Node, Way  # noqa: E402


def _pbf(path: Path, nodes: dict[int, tuple], ways: list[tuple], node_tags=None) -> Path:
    """Write a real .osm.pbf: ``nodes`` id → (lon, lat), ``ways`` (id, node ids, tags)."""
    node_tags = node_tags or {}
    with osmium.SimpleWriter(str(path), overwrite=True) as w:
        for nid, (lon, lat) in sorted(nodes.items()):
            w.add_node(Node(id=nid, location=(lon, lat), tags=node_tags.get(nid, {})))
        for wid, refs, tags in ways:
            w.add_way(Way(id=wid, nodes=refs, tags=tags))
    return path


def _json(path: Path, elements: list[dict], **extra) -> Path:
    path.write_text(json.dumps({"version": 0.6, "elements": elements, **extra}), encoding="utf-8")
    return path


# --------------------------------------------------------------------------------------------
# 1. service points from .osm.pbf

SERVICE_NODES = {
    1: (16.36, 56.66),  # shop=supermarket, named
    2: (16.0, 57.0),  # amenity=atm
    3: (16.1, 57.1),  # amenity=bench: not a service
    4: (16.2, 57.2),  # amenity=vending + vending=parcel_pickup
    # corners of a fuel station drawn as a closed way
    11: (16.000, 57.000),
    12: (16.002, 57.000),
    13: (16.002, 57.001),
    14: (16.000, 57.001),
}
SERVICE_TAGS = {
    1: {"shop": "supermarket", "name": "ICA Nära"},
    2: {"amenity": "atm"},
    3: {"amenity": "bench"},
    4: {"amenity": "vending", "vending": "parcel_pickup"},
}


def test_service_pbf_nodes_and_way_centre(tmp_path):
    f = _pbf(
        tmp_path / "service.osm.pbf",
        SERVICE_NODES,
        [(20, [11, 12, 13, 14, 11], {"amenity": "fuel", "name": "OKQ8"})],
        SERVICE_TAGS,
    )
    df = read_service(f)
    assert df["point_id"].tolist() == ["osm-n1", "osm-n2", "osm-n4", "osm-w20"]
    assert df["service_type"].tolist() == ["dagligvaror", "kontantuttag", "post_paket", "drivmedel"]
    assert df["label"].tolist() == ["shop=supermarket", "amenity=atm", "vending=parcel_pickup"] + [
        "amenity=fuel"
    ]
    assert df["name"].tolist() == ["ICA Nära", "amenity=atm", "vending=parcel_pickup", "OKQ8"]
    # The way sits at the centre of its extent: lon (16.000+16.002)/2, lat (57.000+57.001)/2,
    # i.e. exactly where Overpass' 'out center' puts it. Same answer through the Overpass reader:
    doc = [
        {"type": "node", "id": 1, "lon": 16.36, "lat": 56.66, "tags": SERVICE_TAGS[1]},
        {"type": "node", "id": 2, "lon": 16.0, "lat": 57.0, "tags": SERVICE_TAGS[2]},
        {"type": "node", "id": 4, "lon": 16.2, "lat": 57.2, "tags": SERVICE_TAGS[4]},
        {
            "type": "way",
            "id": 20,
            "center": {"lon": 16.001, "lat": 57.0005},
            "tags": {"amenity": "fuel", "name": "OKQ8"},
        },
    ]
    ref = read_service(_json(tmp_path / "overpass.json", doc))
    assert list(df.columns) == list(ref.columns)
    pd.testing.assert_frame_equal(
        df.drop(columns=["x", "y"]), ref.drop(columns=["x", "y"]), check_dtype=False
    )
    np.testing.assert_allclose(df[["x", "y"]], ref[["x", "y"]], atol=1e-6)


def test_service_pbf_way_with_missing_node_is_named(tmp_path):
    f = _pbf(tmp_path / "s.osm.pbf", {11: (16.0, 57.0)}, [(20, [11, 99], {"amenity": "fuel"})])
    with pytest.raises(InputError, match="way 20 refers to node 99.*complete_ways"):
        read_service(f)


def test_service_pbf_outside_sweden_names_the_object(tmp_path):
    f = _pbf(
        tmp_path / "s.osm.pbf",
        {1: (16.0, 57.0), 2: (2.35, 48.86)},  # node 2 is in Paris
        [],
        {1: {"amenity": "pharmacy"}, 2: {"amenity": "pharmacy"}},
    )
    with pytest.raises(InputError, match="OSM object n2: coordinate lat 48.86, lon 2.35 is not in"):
        read_service(f)


def test_service_pbf_that_is_not_pbf(tmp_path):
    f = tmp_path / "broken.osm.pbf"
    f.write_bytes(b"this is not a protobuf" * 10)
    with pytest.raises(InputError, match="not a readable OpenStreetMap PBF"):
        read_service(f)


def test_overpass_error_row_is_the_element_position(tmp_path):
    doc = [
        {"type": "node", "id": 1, "lat": 57.0, "lon": 16.0, "tags": {"amenity": "bench"}},
        {"type": "node", "id": 2, "lat": 57.0, "lon": 16.0, "tags": {"amenity": "atm"}},
        {"type": "node", "id": 3, "lat": 48.8, "lon": 2.3, "tags": {"amenity": "atm"}},
    ]
    with pytest.raises(InputError) as exc:
        read_service(_json(tmp_path / "o.json", doc))
    assert exc.value.row == 3  # the third element, though the bench before it was dropped


def test_overpass_answer_cut_short_is_refused(tmp_path):
    doc = [{"type": "node", "id": 2, "lat": 57.0, "lon": 16.0, "tags": {"amenity": "atm"}}]
    f = _json(tmp_path / "o.json", doc, remark="runtime error: Query timed out in 'query'")
    with pytest.raises(InputError, match="incomplete: runtime error"):
        read_service(f)


# --------------------------------------------------------------------------------------------
# 2. road lines


@pytest.mark.parametrize(
    ("value", "kmh"),
    [
        ("50", 50.0),
        (" 90 ", 90.0),
        ("50 mph", 50 * 1.609344),  # 80.4672
        ("30mph", 48.28032),
        ("70 km/h", 70.0),
        ("SE:urban", 50.0),
        ("SE:rural", 70.0),
        ("se:motorway", 110.0),
        ("none", math.nan),
        ("signals", math.nan),
        ("50;70", math.nan),
        ("fast", math.nan),
        ("0", math.nan),
        ("500", math.nan),
        (None, math.nan),
    ],
)
def test_parse_maxspeed(value, kmh):
    got = osm.parse_maxspeed(value)
    assert (math.isnan(got) and math.isnan(kmh)) or got == pytest.approx(kmh)


def test_default_speeds():
    assert [
        osm.default_speed_kmh(h)
        for h in ("motorway", "trunk", "primary", "secondary", "tertiary", "unclassified")
    ] == [110, 90, 80, 70, 60, 50]
    assert [
        osm.default_speed_kmh(h) for h in ("residential", "living_street", "service", "track")
    ] == [40, 20, 20, 20]
    assert osm.default_speed_kmh("primary_link") == 70 and osm.default_speed_kmh("trunk_link") == 80
    assert osm.default_speed_kmh("motorway_link") == 80
    assert set(osm.DEFAULT_SPEED_KMH) == set(osm.DRIVABLE_HIGHWAYS)
    with pytest.raises(ValueError, match="footway"):
        osm.default_speed_kmh("footway")


# Nodes on the central meridian of SWEREF 99 TM (15° E), so x = 500 000 m exactly. Going north
# 0.01° at 57° N is one hundredth of a degree of meridian arc: M = a(1-e²)/(1-e²sin²φ)^1.5
# = 6 380 473 m, arc = M·0.01·π/180 = 1 113.6 m, times the scale factor 0.9996 → 1 113.1 m.
ROAD_NODES = {
    1: (15.0, 57.00),
    2: (15.0, 57.01),
    3: (15.0, 57.02),
    4: (15.01, 57.02),
}
ROAD_WAYS = [
    (101, [1, 2], {"highway": "primary", "maxspeed": "70"}),
    (102, [2, 3], {"highway": "residential", "maxspeed": "30 mph"}),
    (103, [1, 2], {"highway": "motorway", "maxspeed": "SE:motorway"}),  # implied one-way
    (104, [3, 4], {"highway": "secondary", "oneway": "-1", "maxspeed": "SE:rural"}),
    (105, [1, 2], {"highway": "footway"}),
    (106, [2, 3], {"highway": "service", "access": "private"}),
    (107, [2, 3], {"highway": "tertiary", "maxspeed": "none"}),
    (108, [3, 4], {"highway": "unclassified", "maxspeed": "fast"}),
    (109, [1, 2], {"highway": "track", "maxspeed": "SE:urban"}),
    (110, [1, 2], {"highway": "construction"}),
    (111, [1, 2], {"highway": "motorway_link", "access": "no", "motor_vehicle": "yes"}),
    (112, [1, 2], {"highway": "cycleway"}),
    (113, [2, 3], {"highway": "residential", "oneway": "yes", "junction": "roundabout"}),
    (114, [2, 3], {"highway": "tertiary", "junction": "roundabout", "oneway": "no"}),
]
EXPECTED_IDS = [101, 102, 103, 104, 107, 108, 109, 111, 113, 114]


def _check_roads(g: gpd.GeoDataFrame) -> None:
    assert g.crs.to_epsg() == 3006
    OSM_ROADS.validate(pd.DataFrame(g.drop(columns="geometry")))
    assert list(g.columns) == ["osm_id", "highway", "maxspeed_kmh", "oneway", "geometry"]
    assert g["osm_id"].tolist() == EXPECTED_IDS
    speed = dict(zip(g["osm_id"], g["maxspeed_kmh"], strict=True))
    assert speed[101] == 70 and speed[102] == pytest.approx(48.28032) and speed[103] == 110
    assert speed[104] == 70 and speed[109] == 50
    assert math.isnan(speed[107]) and math.isnan(speed[108]) and math.isnan(speed[111])
    oneway = dict(zip(g["osm_id"], g["oneway"], strict=True))
    assert [k for k, v in oneway.items() if v] == [103, 104, 113]
    assert (g.geometry.geom_type == "LineString").all()
    first = g.set_index("osm_id").geometry
    (x0, y0), (x1, y1) = shapely.get_coordinates(first[101])
    assert x0 == pytest.approx(500_000, abs=1e-6) and x1 == pytest.approx(500_000, abs=1e-6)
    assert y1 - y0 == pytest.approx(1113.1, abs=0.5)
    # oneway=-1: the line is reversed so it runs the allowed way, from node 4 (east) to node 3.
    (ax, _), (bx, _) = shapely.get_coordinates(first[104])
    assert ax > bx and bx == pytest.approx(500_000, abs=1e-6)


def test_roads_from_pbf(tmp_path):
    f = _pbf(tmp_path / "roads.osm.pbf", ROAD_NODES, ROAD_WAYS)
    with pytest.warns(UserWarning, match=r"1 way\(s\) have a maxspeed.*'fast'"):
        g = osm.read_osm_roads(f)
    _check_roads(g)
    speed = g["maxspeed_kmh"].fillna(g["highway"].map(osm.default_speed_kmh))
    # tertiary without a number → 60, unclassified 'fast' → 50, motorway_link → 80
    assert speed[g["osm_id"].isin([107, 108, 111])].tolist() == [60, 50, 80]


def _overpass_ways(ways, nodes, geom: bool = True) -> list[dict]:
    out = []
    for wid, refs, tags in ways:
        el = {"type": "way", "id": wid, "nodes": refs, "tags": tags}
        if geom:
            el["geometry"] = [{"lat": nodes[r][1], "lon": nodes[r][0]} for r in refs]
        out.append(el)
    return out


def test_roads_from_overpass_out_geom(tmp_path):
    elements = _overpass_ways(ROAD_WAYS, ROAD_NODES)
    f = _json(tmp_path / "roads.json", elements)
    with pytest.warns(UserWarning, match="maxspeed"):
        _check_roads(osm.read_osm_roads(f))


def test_roads_from_overpass_nodes_and_ways(tmp_path):
    """``out body; >; out skel qt;``: ways list node ids, node elements carry the positions."""
    nodes = [
        {"type": "node", "id": k, "lon": lon, "lat": lat} for k, (lon, lat) in ROAD_NODES.items()
    ]
    f = _json(tmp_path / "roads.json", _overpass_ways(ROAD_WAYS, ROAD_NODES, geom=False) + nodes)
    with pytest.warns(UserWarning, match="maxspeed"):
        _check_roads(osm.read_osm_roads(f))


def test_pbf_way_with_missing_node_is_an_error_or_skipped_with_a_warning(tmp_path):
    ways = [
        (201, [1, 2], {"highway": "primary"}),
        (202, [2, 3, 999], {"highway": "secondary"}),  # node 999 is not in the file
    ]
    f = _pbf(tmp_path / "cut.osm.pbf", ROAD_NODES, ways)
    with pytest.raises(InputError, match="way 202 refers to node 999.*complete_ways") as exc:
        osm.read_osm_roads(f)
    assert exc.value.path == f
    with pytest.warns(UserWarning, match=r"1 way\(s\) skipped.*first: way 202"):
        g = osm.read_osm_roads(f, missing_nodes="skip")
    assert g["osm_id"].tolist() == [201]


def test_overpass_clipped_geometry_names_the_element(tmp_path):
    elements = _overpass_ways(ROAD_WAYS[:2], ROAD_NODES)
    elements[1]["geometry"][1] = None  # 'out geom(bbox)' clips nodes outside the box to null
    f = _json(tmp_path / "clipped.json", elements)
    with pytest.raises(InputError, match="way 102 refers to node 3") as exc:
        osm.read_osm_roads(f)
    assert exc.value.row == 2
    with pytest.warns(UserWarning, match="skipped"):
        assert osm.read_osm_roads(f, missing_nodes="skip")["osm_id"].tolist() == [101]


def test_overpass_way_without_geometry(tmp_path):
    f = _json(tmp_path / "body.json", [{"type": "way", "id": 5, "tags": {"highway": "primary"}}])
    with pytest.raises(InputError, match="row 1.*way 5 has neither.*out geom"):
        osm.read_osm_roads(f)


def test_roads_outside_sweden_are_an_error(tmp_path):
    nodes = {**ROAD_NODES, 7: (5.0, 57.0)}  # the North Sea, west of Jutland
    ways = [(301, [1, 2], {"highway": "primary"}), (302, [2, 7], {"highway": "primary"})]
    with pytest.raises(InputError, match="way 302: coordinate lat 57.0, lon 5.0 is not in Sweden"):
        osm.read_osm_roads(_pbf(tmp_path / "r.osm.pbf", nodes, ways))
    f = _json(tmp_path / "r.json", _overpass_ways(ways, nodes))
    with pytest.raises(InputError, match="row 2.*way 302.*not in Sweden"):
        osm.read_osm_roads(f)


def test_roads_file_without_drivable_ways_is_empty(tmp_path):
    f = _pbf(tmp_path / "paths.osm.pbf", ROAD_NODES, [(1, [1, 2], {"highway": "footway"})])
    g = osm.read_osm_roads(f)
    assert g.empty and list(g.columns) == [
        "osm_id",
        "highway",
        "maxspeed_kmh",
        "oneway",
        "geometry",
    ]


def test_one_node_way_is_skipped_with_a_warning(tmp_path):
    ways = [(1, [1, 2], {"highway": "primary"}), (2, [3], {"highway": "primary"})]
    f = _pbf(tmp_path / "r.osm.pbf", ROAD_NODES, ways)
    with pytest.warns(UserWarning, match="fewer than two distinct points.*way 2"):
        assert osm.read_osm_roads(f)["osm_id"].tolist() == [1]


# --------------------------------------------------------------------------------------------
# 3. rutor: corner-coordinate CSVs and the 250 m grid


def _csv(tmp_path: Path, text: str, name: str = "rutor.csv") -> Path:
    f = tmp_path / name
    f.write_text(text, encoding="utf-8")
    return f


@pytest.mark.parametrize(
    ("xcol", "ycol"),
    [("x", "y"), ("ruta_x", "ruta_y"), ("Easting", "Northing"), ("x_sweref", "y_sweref")],
)
def test_corner_csv_1km(tmp_path, xcol, ycol):
    f = _csv(tmp_path, f"{xcol};{ycol};beftotalt\n560000;6334000;12\n561000;6334000;5\n")
    df = read_rutor(f)
    assert df["cell_id"].tolist() == ["5600006334000", "5610006334000"]  # SCB rutid form
    assert df["x"].tolist() == [560_500.0, 561_500.0] and df["y"].tolist() == [6_334_500.0] * 2
    assert df["size_m"].tolist() == [1000, 1000] and df["population"].tolist() == [12, 5]


def test_corner_csv_with_size_column(tmp_path):
    f = _csv(tmp_path, "x;y;size_m;pop\n560250;6334750;250;3\n")
    df = read_rutor(f)
    assert (df.loc[0, "x"], df.loc[0, "y"], df.loc[0, "size_m"]) == (560_375.0, 6_334_875.0, 250)


@pytest.mark.parametrize(
    ("body", "row", "column", "what"),
    [
        # one 1 km centre among corners: row 3, half a cell off
        ("560000;6334000;1\n560500;6334500;1\n", 3, "x", "half a 1 km cell off"),
        # every row a 1 km centre: no 250/750 offsets, so not a 250 m grid either
        ("560500;6334500;1\n561500;6334500;1\n", 2, "x", "half a 1 km cell off"),
        # 250 m centres (125 m offsets)
        ("560000;6334000;1\n560375;6334125;1\n", 3, "x", "half a 250 m cell off"),
        ("560000;6334000;1\n560010;6334000;1\n", 3, "x", "not on the 1000 m or 250 m"),
        ("16,45;57,1;1\n", 2, None, "WGS 84"),
    ],
)
def test_corner_off_the_lattice_names_the_row(tmp_path, body, row, column, what):
    f = _csv(tmp_path, "x;y;pop\n" + body)
    with pytest.raises(InputError, match=what) as exc:
        read_rutor(f)
    assert exc.value.row == row and exc.value.column == column and str(f) in str(exc.value)


def test_corner_off_the_given_size_names_the_row(tmp_path):
    f = _csv(tmp_path, "x;y;rutstorl;pop\n560000;6334000;1000;1\n560500;6334500;1000;1\n")
    with pytest.raises(InputError, match=r"row 3.*not on the 1000 m grid lattice.*half a cell"):
        read_rutor(f)
    f = _csv(tmp_path, "x;y;rutstorl;pop\n560000;6334000;300;1\n")
    with pytest.raises(InputError, match=r"row 2, column 'rutstorl': cell size 300 m"):
        read_rutor(f)


def test_rutid_and_corner_must_agree(tmp_path):
    f = _csv(
        tmp_path, "rutid;x;y;pop\n5600006334000;560000;6334000;1\n5610006334000;561500;6334500;2\n"
    )
    with pytest.raises(InputError, match=r"row 3, column 'x': 561500 differs from 561000"):
        read_rutor(f)


def test_rutid_that_is_not_13_digits(tmp_path):
    f = _csv(tmp_path, "rutid;rutstorl;pop\n5600006334000;1000;1\n560000-6334000;1000;1\n")
    with pytest.raises(InputError, match=r"row 3, column 'rutid'.*not an SCB rutid"):
        read_rutor(f)


# Sixteen 250 m cells tiling the 1 km cell with lower-left corner (560000, 6334000); their
# populations 1 … 16 sum to 16·17/2 = 136, the 1 km cell's population.
QUARTERS = [(560_000 + 250 * i, 6_334_000 + 250 * j) for j in range(4) for i in range(4)]
POPS = list(range(1, 17))


def _grid_gpkg(path: Path, corners, pops, size: int, layer: str) -> Path:
    x0 = np.array([c[0] for c in corners])
    y0 = np.array([c[1] for c in corners])
    gdf = gpd.GeoDataFrame(
        {
            "rutid_scb": [f"{a:06d}{b:07d}" for a, b in corners],
            "rutstorl": size,
            "beftotalt": pops,
        },
        geometry=shapely.box(x0, y0, x0 + size, y0 + size),
        crs="EPSG:3006",
    )
    gdf.to_file(path, layer=layer, driver="GPKG")
    return path


def test_250m_grid_gpkg_and_csv_sum_to_the_1km_cell(tmp_path):
    km = read_rutor(_grid_gpkg(tmp_path / "1km.gpkg", [(560_000, 6_334_000)], [136], 1000, "km"))
    g250 = read_rutor(_grid_gpkg(tmp_path / "250.gpkg", QUARTERS, POPS, 250, "q"))
    rows = "".join(f"{a:06d}{b:07d};{p}\n" for (a, b), p in zip(QUARTERS, POPS, strict=True))
    c250 = read_rutor(_csv(tmp_path, "rutid_scb;beftotalt\n" + rows))  # size from the lattice
    corners = "".join(f"{a};{b};{p}\n" for (a, b), p in zip(QUARTERS, POPS, strict=True))
    x250 = read_rutor(_csv(tmp_path, "x;y;beftotalt\n" + corners, "corners.csv"))
    assert km["size_m"].tolist() == [1000] and (km.loc[0, "x"], km.loc[0, "y"]) == (
        560_500,
        6_334_500,
    )
    for df in (g250, c250, x250):
        assert len(df) == 16 and (df["size_m"] == 250).all()
        assert df["cell_id"].tolist() == g250["cell_id"].tolist()
        # first cell: corner (560000, 6334000) + 125 m; last: (560750, 6334750) + 125 m
        assert (df["x"].iloc[0], df["y"].iloc[0]) == (560_125.0, 6_334_125.0)
        assert (df["x"].iloc[-1], df["y"].iloc[-1]) == (560_875.0, 6_334_875.0)
        # the centres average to the 1 km centre, and every cell falls in the 1 km cell
        assert (df["x"].mean(), df["y"].mean()) == (560_500.0, 6_334_500.0)
        key = (df["x"] // 1000 * 1000).astype(int).astype(str).str.zfill(6) + (
            df["y"] // 1000 * 1000
        ).astype(int).astype(str)
        assert set(key) == {"5600006334000"}
        assert df["population"].sum() == km["population"].sum() == 136


def test_gpkg_cell_that_is_not_square(tmp_path):
    gdf = gpd.GeoDataFrame(
        {"rutid_scb": ["5600006334000"], "beftotalt": [1]},
        geometry=[shapely.box(560_000, 6_334_000, 561_000, 6_334_500)],
        crs="EPSG:3006",
    )
    gdf.to_file(tmp_path / "r.gpkg", layer="r", driver="GPKG")
    with pytest.raises(InputError, match="row 1.*1000 × 500 m, not square"):
        read_rutor(tmp_path / "r.gpkg")


def test_gpkg_rutid_that_disagrees_with_the_geometry(tmp_path):
    gdf = gpd.GeoDataFrame(
        {"rutid_scb": ["5600006334000", "5600006334000"], "beftotalt": [1, 2]},
        geometry=[
            shapely.box(560_000, 6_334_000, 561_000, 6_335_000),
            shapely.box(561_000, 6_334_000, 562_000, 6_335_000),
        ],
        crs="EPSG:3006",
    )
    gdf.to_file(tmp_path / "r.gpkg", layer="r", driver="GPKG")
    with pytest.raises(InputError, match="row 2, column 'rutid_scb'.*does not match"):
        read_rutor(tmp_path / "r.gpkg")


# --------------------------------------------------------------------------------------------
# 4. stod: org.nr with a lookup file, coordinates

# Luhn, weights 2,1,2,1,… on the first nine digits, digit sums of the products:
#   556036-079?: 10→1, 5, 12→3, 0, 6, 6, 0, 7, 18→9 = 37 → check (10 − 7) mod 10 = 3
#   212000-014?: 4, 1, 4, 0, 0, 0, 0, 1, 8 = 18 → check 2
#   202100-548?: 4, 0, 4, 1, 0, 0, 10→1, 4, 16→7 = 21 → check 9
VALID = ["556036-0793", "2120000142", "202100-5489"]


def test_luhn_check_digit():
    assert all(orgnr_valid(o.replace("-", "")) for o in VALID)
    assert not orgnr_valid("5560360794") and not orgnr_valid("2120000141")


STOD_ORG = "Org.nr;År;Stödform;Belopp (kr)\n556036-0793;2024;Servicebidrag;1000\n2120000142;2023;Hemsändningsbidrag;500,5\n"
LOOKUP = (
    "Organisationsnummer;Kommun\n5560360793;Högsby\n212000-0142;0880\n202100-5489;0821 Högsby\n"
)


def test_stod_by_orgnr_with_lookup_file(tmp_path):
    support = _csv(tmp_path, STOD_ORG, "stod.csv")
    lookup = _csv(tmp_path, LOOKUP, "orgnr_kommun.csv")
    df = read_stod(support)
    assert df["kommun_kod"].tolist() == ["0821", "0880"]
    assert df["amount_sek"].tolist() == [1000.0, 500.5] and df["year"].tolist() == [2024, 2023]
    empty = read_stod(lookup)  # the build reads every file: the lookup adds no grants
    assert empty.empty and list(empty.columns) == list(df.columns)
    both = pd.concat([read_stod(lookup), df], ignore_index=True)  # as build concatenates
    assert both.dtypes.to_dict() == df.dtypes.to_dict()


def test_stod_two_column_lookup_in_excel(tmp_path):
    support = _csv(tmp_path, STOD_ORG, "stod.csv")
    pd.DataFrame({"Org nr": ["556036-0793", "212000-0142"], "Kommun": ["0821", "0880"]}).to_excel(
        tmp_path / "lookup.xlsx", index=False
    )
    assert read_stod(support)["kommun_kod"].tolist() == ["0821", "0880"]


@pytest.mark.parametrize(
    ("orgnr", "what"),
    [
        ("556036-0794", "wrong check digit"),
        ("55603-60793", "not understood"),
        ("556036079", "not understood"),
    ],
)
def test_bad_orgnr_in_support_list_names_the_row(tmp_path, orgnr, what):
    _csv(tmp_path, LOOKUP, "lookup.csv")
    text = STOD_ORG.replace("2120000142", orgnr)
    f = _csv(tmp_path, text, "stod.csv")
    with pytest.raises(InputError, match=what) as exc:
        read_stod(f)
    assert (exc.value.row, exc.value.column, exc.value.path) == (3, "Org.nr", f)


def test_orgnr_missing_from_lookup_names_the_row(tmp_path):
    _csv(tmp_path, "Org.nr;Kommun\n556036-0793;Högsby\n", "lookup.csv")
    f = _csv(tmp_path, STOD_ORG, "stod.csv")
    with pytest.raises(InputError, match=r"row 3, column 'Org.nr': org.nr 212000-0142 is not in"):
        read_stod(f)


def test_orgnr_without_lookup_file(tmp_path):
    f = _csv(tmp_path, STOD_ORG, "stod.csv")
    with pytest.raises(InputError, match="no org.nr → kommun lookup file"):
        read_stod(f)


def test_bad_lookup_file_names_its_own_row(tmp_path):
    lookup = _csv(tmp_path, "Org.nr;Kommun\n556036-0793;Högsby\n556036-0793;Kalmar\n", "l.csv")
    f = _csv(tmp_path, STOD_ORG, "stod.csv")
    for target in (f, lookup):
        with pytest.raises(InputError, match="0880 here and 0821") as exc:
            read_stod(target)
        assert exc.value.path == lookup and exc.value.row == 3
    _csv(tmp_path, "Org.nr;Kommun\n556036-0793;Högsby\n556036-0793;Atlantis\n", "l.csv")
    with pytest.raises(InputError, match="row 3, column 'Kommun'.*Atlantis"):
        read_stod(f)


# Högsby church village (57.1667 N, 16.0167 E) → SWEREF 99 TM (561 485, 6 336 401): kommun 0821.
# Kalmar's Kvarnholmen (56.6634 N, 16.3568 E) → (583 162, 6 280 741): 0880, 2 km outside the
# generalised boundary, within the 5 km coastal tolerance. Stockholm, Gamla stan: 0180.
def test_stod_by_sweref_coordinates(tmp_path):
    text = "X;Y;År;Program;Belopp\n561485;6336401;2024;A;10\n583162;6280741;2024;A;20\n674572;6580743;2024;B;30\n"
    df = read_stod(_csv(tmp_path, text, "s.csv"))
    assert df["kommun_kod"].tolist() == ["0821", "0880", "0180"]


def test_stod_by_latlon(tmp_path):
    text = "lat;lon;År;Program;Belopp\n57,1667;16,0167;2024;A;10\n56.6634;16.3568;2024;A;20\n"
    df = read_stod(_csv(tmp_path, text, "s.csv"))
    assert df["kommun_kod"].tolist() == ["0821", "0880"]


def test_stod_wgs84_given_as_sweref(tmp_path):
    text = "X;Y;År;Program;Belopp\n561485;6336401;2024;A;10\n16,0167;57,1667;2024;A;20\n"
    with pytest.raises(InputError, match="row 3.*WGS 84"):
        read_stod(_csv(tmp_path, text, "s.csv"))


def test_stod_point_at_sea_names_the_row(tmp_path):
    # (652 664, 6 297 911) is 56.8 N 17.5 E, in the Baltic some 40 km east of Öland
    text = "X;Y;År;Program;Belopp\n561485;6336401;2024;A;10\n652664;6297911;2024;A;20\n"
    with pytest.raises(
        InputError, match=r"row 3, column 'X': point \(652664, 6297911\) lies outside"
    ):
        read_stod(_csv(tmp_path, text, "s.csv"))


def test_stod_without_place_column(tmp_path):
    with pytest.raises(InputError, match="a place column — kommun, org.nr or coordinates"):
        read_stod(_csv(tmp_path, "Mottagare;År;Program;Belopp\nAB;2024;A;10\n", "s.csv"))


def test_kommun_column_takes_precedence(tmp_path):
    text = "Kommun;Org.nr;År;Stödform;Belopp\nKalmar;556036-0793;2024;A;1\n"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert read_stod(_csv(tmp_path, text, "s.csv"))["kommun_kod"].tolist() == ["0880"]


def test_osm_object_with_two_services_gives_two_points(tmp_path):
    """A supermarket that is also a parcel point (post_office=post_partner) counts for both."""
    import json

    from lansanalys.sources.service import read_service

    answer = {
        "elements": [
            {
                "type": "node",
                "id": 1,
                "lat": 57.0,
                "lon": 16.0,
                "tags": {"shop": "supermarket", "post_office": "post_partner", "name": "ICA"},
            },
            {
                "type": "node",
                "id": 2,
                "lat": 57.1,
                "lon": 16.0,
                "tags": {"post_office": "post_partner"},
            },
            {"type": "node", "id": 3, "lat": 57.2, "lon": 16.0, "tags": {"tourism": "hotel"}},
        ]
    }
    f = tmp_path / "o.json"
    f.write_text(json.dumps(answer), encoding="utf-8")
    df = read_service(f).set_index("point_id")
    assert sorted(df.index) == ["osm-n1", "osm-n1-post_paket", "osm-n2"]
    assert df.at["osm-n1", "service_type"] == "dagligvaror"
    assert df.at["osm-n1-post_paket", "service_type"] == "post_paket"
    assert df.at["osm-n1-post_paket", "x"] == df.at["osm-n1", "x"]
    assert df.at["osm-n2", "label"] == "post_office=post_partner"


def test_same_osm_point_in_two_lan_files_is_read_once(tmp_path):
    """Overpass answers for two neighbouring län can share an object: one point, no clash."""
    import json

    from lansanalys import config

    p = config.Paths(tmp_path)
    folder = p.raw_kind("service")
    folder.mkdir(parents=True)
    shop = {"type": "node", "id": 7, "lat": 57.0, "lon": 16.0, "tags": {"shop": "convenience"}}
    atm = {"type": "node", "id": 8, "lat": 57.5, "lon": 16.0, "tags": {"amenity": "atm"}}
    for name, els in (("osm_service_08.json", [shop]), ("osm_service_10.json", [shop, atm])):
        (folder / name).write_text(json.dumps({"elements": els}), encoding="utf-8")
    df, meta = inputs._read_kind(p, "service", {})
    assert sorted(df["point_id"]) == ["osm-n7", "osm-n8"]
    assert [f["rows"] for f in meta["files"]] == [1, 2]  # each file's own count is recorded
