"""Road files as Pipos delivers them: networkGrp and RemoveCode, and CRSs other than SWEREF 99 TM."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from lansanalys.analysis import network
from lansanalys.analysis.network import nearest_by_type
from lansanalys.errors import InputError
from lansanalys.sources import vagnat

X0, Y0 = 560_000.0, 6_340_000.0  # near Högsby, Kalmar län


def _gpkg(path: Path, lines, crs="EPSG:3006", **cols) -> Path:
    gdf = gpd.GeoDataFrame(cols, geometry=[shapely.LineString(c) for c in lines], crs=crs)
    gdf.to_file(path, layer="nvdb_pipos", driver="GPKG")
    return path


def _pipos_world(tmp_path: Path, **override) -> Path:
    """A 10 km main road (group 0); a stub 200 m north of the cell that Pipos found disconnected
    (group 7); a 4 km ferry Pipos removed (RemoveCode 9001) to an island shop."""
    cols = {
        "Hastighetsgräns": [60, 60, 50, 20],
        "networkGrp": [0, 0, 7, 0],
        "RemoveCode": [None, 0, None, 9001],
    } | override
    return _gpkg(
        tmp_path / "pipos_nvdb.gpkg",
        [
            [(X0, Y0), (X0 + 5_000, Y0)],
            [(X0 + 5_000, Y0), (X0 + 10_000, Y0)],
            [(X0 + 4_000, Y0 + 1_200), (X0 + 6_000, Y0 + 1_200)],
            [(X0 + 5_000, Y0), (X0 + 5_000, Y0 - 4_000)],
        ],
        **cols,
    )


def _route(path: Path, cells: dict, shops: dict) -> pd.DataFrame:
    nodes, edges = vagnat.graph_from_segments(vagnat.read_vagnat(path))
    net = network.load_network(nodes, edges)
    c = pd.DataFrame(
        {"cell_id": list(cells), "x": [v[0] for v in cells.values()]}
        | {"y": [v[1] for v in cells.values()]}
    )
    p = pd.DataFrame(
        {"point_id": list(shops), "service_type": "apotek"}
        | {"x": [v[0] for v in shops.values()], "y": [v[1] for v in shops.values()]}
    )
    return nearest_by_type(net, c, p).set_index("cell_id")


def test_removed_and_disconnected_links_are_dropped_as_pipos_does(tmp_path):
    f = _pipos_world(tmp_path)
    seg = vagnat.read_vagnat(f)
    assert len(seg) == 2  # the two links of the main network
    assert seg["speed_kmh"].tolist() == [60.0, 60.0]
    # The cell lies 200 m from the disconnected stub and 1 km from the main road: it attaches to
    # the main road.
    res = _route(f, {"c": (X0 + 5_000, Y0 + 1_000)}, {"s": (X0 + 10_000, Y0)})
    assert res.at["c", "reachable"]
    assert res.at["c", "road_m"] == pytest.approx(1_000 + 5_000, abs=1e-6)
    assert res.at["c", "road_min"] == pytest.approx(2.0 + 5.0, abs=1e-6)
    # Without the removed ferry the island shop is 4 km from every road: it serves nobody by road.
    ferry = _route(f, {"c": (X0, Y0)}, {"s": (X0 + 5_000, Y0 - 4_000)})
    assert not ferry.at["c", "reachable"] and np.isnan(ferry.at["c", "road_m"])


def test_column_names_are_read_in_any_case(tmp_path):
    f = _gpkg(
        tmp_path / "lower.gpkg",
        [[(X0, Y0), (X0 + 1_000, Y0)], [(X0, Y0 + 5_000), (X0 + 1_000, Y0 + 5_000)]],
        hastighetsgrans=[50, 50],
        NETWORKGRP=["0", "2"],
        removecode=["", ""],
    )
    assert len(vagnat.read_vagnat(f)) == 1


@pytest.mark.parametrize(
    ("column", "values", "row"),
    [("networkGrp", [0, None, 0, 0], 2), ("networkGrp", [0, 0, "huvudnät", 0], 3)]
    + [("RemoveCode", [None, "borttagen", None, 9001], 2)],
)
def test_bad_network_group_or_removal_code_names_the_road(tmp_path, column, values, row):
    f = _pipos_world(tmp_path, **{column: values})
    with pytest.raises(InputError) as err:
        vagnat.read_vagnat(f)
    assert err.value.row == row and err.value.column == column
    assert "pipos_nvdb.gpkg" in str(err.value)


def test_a_file_with_only_removed_links_is_refused(tmp_path):
    f = _pipos_world(tmp_path, RemoveCode=[9000, 9999, 9500, 9001])
    with pytest.raises(InputError, match="no link is left"):
        vagnat.read_vagnat(f)


def test_rt90_file_is_transformed_and_gives_the_same_distances(tmp_path):
    lines = [
        [(X0, Y0), (X0 + 3_000, Y0 + 4_000), (X0 + 9_000, Y0 + 4_000)],
        [(X0 + 3_000, Y0 + 4_000), (X0 + 3_000, Y0 + 9_000)],
    ]
    sweref = _gpkg(tmp_path / "sweref.gpkg", lines, hastighetsgrans=[70, 50])
    rt90 = gpd.read_file(sweref).to_crs("EPSG:3021")
    assert rt90.total_bounds[0] > 1_000_000  # RT90 eastings are outside SWEREF 99 TM's range
    rt90.to_file(tmp_path / "rt90.gpkg", layer="vagnat", driver="GPKG")
    a = vagnat.read_vagnat(sweref)
    b = vagnat.read_vagnat(tmp_path / "rt90.gpkg")
    assert (
        np.abs(
            a[["x0", "y0", "x1", "y1"]].to_numpy() - b[["x0", "y0", "x1", "y1"]].to_numpy()
        ).max()
        < 1
    )
    cells = {"c": (X0 + 200, Y0 + 100), "d": (X0 + 3_100, Y0 + 8_000)}
    shops = {"s": (X0 + 9_000, Y0 + 4_100)}
    ra, rb = _route(sweref, cells, shops), _route(tmp_path / "rt90.gpkg", cells, shops)
    assert rb["reachable"].all()
    # By hand: c is 100 m off the diagonal 200 m from its start: 100 + 4 800 + 6 000 + 100;
    # d is 100 m off the north road 4 km up it: 100 + 4 000 + 6 000 + 100.
    np.testing.assert_allclose(ra["road_m"], [11_000, 10_200], atol=1e-6)
    np.testing.assert_allclose(rb["road_m"], ra["road_m"], atol=1.0)


def test_other_sweref_zone_is_transformed(tmp_path):
    lines = [[(X0, Y0), (X0 + 1_000, Y0)]]
    sweref = _gpkg(tmp_path / "tm.gpkg", lines, kmh=[50])
    gpd.read_file(sweref).to_crs("EPSG:3010").to_file(tmp_path / "1630.gpkg", driver="GPKG")
    a, b = vagnat.read_vagnat(sweref), vagnat.read_vagnat(tmp_path / "1630.gpkg")
    assert (
        np.abs(
            a[["x0", "y0", "x1", "y1"]].to_numpy() - b[["x0", "y0", "x1", "y1"]].to_numpy()
        ).max()
        < 1
    )


def test_declared_crs_that_does_not_match_the_coordinates_is_refused(tmp_path):
    """SWEREF 99 TM metres declared as RT90: transformed, they land outside Sweden."""
    f = _gpkg(tmp_path / "wrong.gpkg", [[(X0, Y0), (X0 + 1_000, Y0)]], crs="EPSG:3021", kmh=[50])
    with pytest.raises(InputError, match="declared CRS.*outside Sweden"):
        vagnat.read_vagnat(f)


def test_degrees_declared_as_sweref_are_still_refused(tmp_path):
    f = _gpkg(tmp_path / "deg.gpkg", [[(16.36, 56.66), (16.37, 56.66)]], kmh=[50])
    with pytest.raises(InputError, match="WGS 84"):
        vagnat.read_vagnat(f)
