"""Grid files of 250 m and 1 km cells: the size comes from the data (a size column, the polygons,
an INSPIRE code or the lattice), a file has one size, and a broken cell id or a mixed file is an
error naming the file, row and column (issue #22)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely

from lansanalys.errors import InputError
from lansanalys.sources.rutor import read_rutor


def _csv(tmp_path: Path, text: str, name: str = "rutor.csv") -> Path:
    f = tmp_path / name
    f.write_text(text, encoding="utf-8")
    return f


def _gpkg(tmp_path: Path, cells, ids=None, name: str = "rutor.gpkg") -> Path:
    """Square cells given as (x0, y0, size); ``ids`` an optional rutid column."""
    x0 = np.array([c[0] for c in cells], dtype=float)
    y0 = np.array([c[1] for c in cells], dtype=float)
    s = np.array([c[2] for c in cells], dtype=float)
    cols = {"beftotalt": [5] * len(cells)}
    if ids is not None:
        cols = {"rutid_scb": ids, **cols}
    gdf = gpd.GeoDataFrame(cols, geometry=shapely.box(x0, y0, x0 + s, y0 + s), crs="EPSG:3006")
    f = tmp_path / name
    gdf.to_file(f, driver="GPKG")
    return f


def _raises(f: Path, row: int, column: str, pattern: str) -> InputError:
    with pytest.raises(InputError, match=pattern) as exc:
        read_rutor(f)
    assert (exc.value.row, exc.value.column) == (row, column), str(exc.value)
    assert str(f) in str(exc.value)
    return exc.value


def test_pipos_style_250m_rutid_with_size_column(tmp_path):
    f = _csv(tmp_path, "Rutid;Rutstorl;Befolkning\n5792506308750;250;12\n5795006308000;250;3\n")
    df = read_rutor(f)
    assert df["size_m"].tolist() == [250, 250]
    assert df["x"].tolist() == [579_375.0, 579_625.0] and df["y"].tolist() == [
        6_308_875.0,
        6_308_125.0,
    ]
    assert df["cell_id"].tolist() == ["5792506308750", "5795006308000"]


def test_inspire_codes_carry_the_size(tmp_path):
    f = _csv(
        tmp_path,
        "grd_id,pop\nSE_CRS3006RES250mN6308750E579250,12\nCRS3006RES250mN6308000E579000,4\n",
    )
    df = read_rutor(f)
    assert df["size_m"].tolist() == [250, 250]
    assert df["x"].tolist() == [579_375.0, 579_125.0] and df["y"].tolist() == [
        6_308_875.0,
        6_308_125.0,
    ]
    km = read_rutor(_csv(tmp_path, "grd_id;pop\nCRS3006RES1000mN6308000E579000;7\n", "k.csv"))
    assert (km.loc[0, "x"], km.loc[0, "y"], km.loc[0, "size_m"]) == (579_500.0, 6_308_500.0, 1000)


def test_a_250m_grid_without_size_column_is_inferred_from_its_corners(tmp_path):
    # Twenty 250 m cells, none on the kilometre lattice: inferred 250 m from the corners.
    rows = "".join(
        f"{579_250 + 250 * (i % 3)}{6_308_250 + 250 * (i // 3):07d};1\n" for i in range(20)
    )
    df = read_rutor(_csv(tmp_path, "rutid;pop\n" + rows))
    assert set(df["size_m"]) == {250}


@pytest.mark.parametrize(
    ("text", "row", "column", "pattern"),
    [
        # A 250 m cell in a 1 km grid (size column): a grid has one cell size.
        (
            "rutid;rutstorl;pop\n5790006308000;1000;1\n5792506308250;250;1\n",
            3,
            "rutstorl",
            r"cell size 250 m in a grid of 1000 m cells \(expected one cell size",
        ),
        # ... and INSPIRE codes of two sizes.
        (
            "grd_id;pop\nCRS3006RES250mN6308250E579250;1\nCRS3006RES1000mN6309000E579000;1\n",
            3,
            "grd_id",
            r"cell size 1000 m in a grid of 250 m cells",
        ),
        # A size column that contradicts the INSPIRE code.
        (
            "grd_id;rutstorl;pop\nCRS3006RES250mN6308250E579250;1000;1\n",
            2,
            "rutstorl",
            r"cell size 1000 m, but the cell id says 250 m",
        ),
        # Eurostat's ETRS89-LAEA grid is another lattice.
        (
            "grd_id;pop\nCRS3035RES1000mN3950000E4620000;1\n",
            2,
            "grd_id",
            r"is in EPSG:3035.*SWEREF 99 TM",
        ),
        # An SCB rutid among INSPIRE codes.
        (
            "grd_id;pop\nCRS3006RES250mN6308250E579250;1\n5792506308250;1\n",
            3,
            "grd_id",
            r"'5792506308250' is not an INSPIRE cell code",
        ),
        # rutid of the wrong length: a digit lost, a digit too many.
        (
            "rutid;rutstorl;pop\n5792506308250;250;1\n579250630825;250;1\n",
            3,
            "rutid",
            r"'579250630825' \(12 characters\) is not an SCB rutid.*13-digit",
        ),
        (
            "rutid_scb;pop\n57925063082500;1\n",
            2,
            "rutid_scb",
            r"'57925063082500' \(14 characters\) is not an SCB rutid",
        ),
    ],
)
def test_bad_grid_tables_name_the_row(tmp_path, text, row, column, pattern):
    _raises(_csv(tmp_path, text), row, column, pattern)


def test_a_stray_quarter_corner_in_a_1km_grid_is_not_read_as_250m(tmp_path):
    # Nineteen 1 km corners and one 250 m off: a 1 km grid with a wrong corner, or a 250 m grid
    # that needs its size column; either way never sixteen times the density by a guess.
    rows = [f"{579_000 + 1000 * i}6308000;10\n" for i in range(19)]
    rows.insert(7, "5862506308000;10\n")
    f = _csv(tmp_path, "rutid;pop\n" + "".join(rows))
    err = _raises(f, 9, "rutid", r"\(586250, 6308000\) is off the 1000 m lattice that 19 of the 20")
    assert "rutstorl" in str(err)


def test_gpkg_of_two_cell_sizes_names_the_row(tmp_path):
    f = _gpkg(
        tmp_path,
        [(579_000, 6_308_000, 1000), (580_000, 6_308_000, 1000), (581_250, 6_308_250, 250)],
    )
    _raises(f, 3, "geometry", r"cell size 250 m in a grid of 1000 m cells")


def test_gpkg_250m_with_rutid_and_a_broken_id(tmp_path):
    ok = read_rutor(
        _gpkg(
            tmp_path,
            [(579_250, 6_308_750, 250), (579_500, 6_308_750, 250)],
            ["5792506308750", "5795006308750"],
        )
    )
    assert ok["size_m"].tolist() == [250, 250] and ok["x"].tolist() == [579_375.0, 579_625.0]
    f = _gpkg(
        tmp_path,
        [(579_250, 6_308_750, 250), (579_500, 6_308_750, 250)],
        ["5792506308750", "579500630875"],
        "broken.gpkg",
    )
    _raises(f, 2, "rutid_scb", r"'579500630875' \(12 characters\) is not an SCB rutid")


def test_gpkg_inspire_id_must_match_the_polygon_size(tmp_path):
    gdf = gpd.GeoDataFrame(
        {"rutid_inspire": ["CRS3006RES1000mN6308000E579000"], "beftotalt": [3]},
        geometry=[shapely.box(579_000, 6_308_000, 579_250, 6_308_250)],
        crs="EPSG:3006",
    )
    f = tmp_path / "i.gpkg"
    gdf.to_file(f, driver="GPKG")
    _raises(
        f,
        1,
        "rutid_inspire",
        r"does not match the cell's corner \(579000, 6308000\) and size 250 m",
    )
