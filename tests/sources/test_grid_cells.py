"""The grid-cell helpers of :mod:`lansanalys.geo`: one cell size per grid, SCB rutid both ways,
cell squares and summing onto a coarser grid, checked against hand-computed cells and plain
arithmetic (never against the helpers themselves).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lansanalys import geo
from lansanalys.geo import GridError

# A 1 km cell of Kalmar (lower-left corner) and its 16 quarters of 250 m.
X0, Y0 = 579_000, 6_308_000


def test_one_size_per_grid_and_mixed_sizes_named():
    assert geo.cell_size_m(pd.DataFrame({"size_m": [250] * 3})) == 250
    assert geo.cell_size_m(np.array([1000, 1000])) == 1000
    cells = pd.DataFrame({"cell_id": ["k1", "q1", "k2"], "size_m": [1000, 250, 1000]})
    with pytest.raises(GridError, match=r"1000 m \(cell 'k1'\), 250 m \(cell 'q1'\)"):
        geo.cell_size_m(cells)
    with pytest.raises(GridError, match="300 m is not a grid size"):
        geo.cell_size_m([300])
    with pytest.raises(GridError, match="no grid cells"):
        geo.cell_size_m(pd.DataFrame({"size_m": []}))


def test_area_and_label():
    assert geo.cell_area_km2(250) * 16 == geo.cell_area_km2(1000) == 1.0
    assert [geo.cell_size_label(s) for s in (250, 500, 1000, 5000)] == [
        "250 m",
        "500 m",
        "1 km",
        "5 km",
    ]


@pytest.mark.parametrize(
    "bad",
    ["560000633400", "56000063340000", "560000-6334000", "5.6e12", "", "56000O6334000"],
)
def test_rutid_of_wrong_length_or_characters_is_named(bad):
    with pytest.raises(GridError, match=rf"{bad!r} \({len(bad)} characters\) is not an SCB rutid"):
        geo.rutid_corner(["5600006334000", bad])


def test_rutid_by_hand():
    x0, y0 = geo.rutid_corner(["5792506308750", "0990006100000"])
    assert x0.tolist() == [579_250.0, 99_000.0] and y0.tolist() == [6_308_750.0, 6_100_000.0]
    # The centre of that 250 m cell is 125 m in from its corner; its rutid is the corner's.
    assert geo.cell_rutid([579_375.0], [6_308_875.0], 250).tolist() == ["5792506308750"]
    assert geo.cell_rutid([579_500.0], [6_308_500.0], 1000).tolist() == ["5790006308000"]


@settings(max_examples=60, deadline=None)
@given(
    ix=st.integers(200, 999),
    iy=st.integers(6_100, 7_699),
    sub=st.tuples(st.integers(0, 3), st.integers(0, 3)),
    size=st.sampled_from([250, 1000]),
)
def test_rutid_round_trip_and_containing_cell(ix, iy, sub, size):
    step = 250 if size == 250 else 1000
    x0 = ix * 1000 + sub[0] * step * (size == 250)
    y0 = iy * 1000 + sub[1] * step * (size == 250)
    rid = geo.rutid_of_corner([x0], [y0])[0]
    assert rid == f"{x0:06d}{y0:07d}"
    back = geo.rutid_corner([rid])
    assert (back[0][0], back[1][0]) == (x0, y0)
    # Any point strictly inside the cell, and its lower-left corner, give the cell's centre.
    cx, cy = geo.cell_of_points([x0, x0 + size - 0.01], [y0, y0 + size / 3], size)
    assert cx.tolist() == [x0 + size / 2] * 2 and cy.tolist() == [y0 + size / 2] * 2


def test_cell_polygons_are_the_squares():
    cells = pd.DataFrame({"x": [X0 + 125.0, X0 + 500.0], "y": [Y0 + 875.0, Y0 + 500.0]})
    cells["size_m"] = [250, 1000]  # the helper draws any cells; a grid would have one size
    poly = geo.cell_polygons(cells)
    assert poly.crs.to_epsg() == 3006
    assert poly.area.tolist() == [62_500.0, 1_000_000.0]
    assert tuple(poly.iloc[0].bounds) == (X0, Y0 + 750, X0 + 250, Y0 + 1000)
    assert tuple(geo.cell_polygon(X0 + 500.0, Y0 + 500.0, 1000).bounds) == (
        X0,
        Y0,
        X0 + 1000,
        Y0 + 1000,
    )


def _quarters(pops: list[int]) -> pd.DataFrame:
    x0 = np.array([X0 + 250 * (k % 4) for k in range(16)], dtype=float)
    y0 = np.array([Y0 + 250 * (k // 4) for k in range(16)], dtype=float)
    return pd.DataFrame(
        {
            "cell_id": geo.rutid_of_corner(x0, y0),
            "x": x0 + 125,
            "y": y0 + 125,
            "size_m": 250,
            "population": pops,
        }
    )


@settings(max_examples=40, deadline=None)
@given(pops=st.lists(st.integers(0, 500), min_size=16, max_size=16))
def test_sixteen_quarters_sum_to_their_kilometre(pops):
    # Plus one quarter in the next kilometre to the east, which must stay apart.
    cells = pd.concat([_quarters(pops), _quarters([7] + [0] * 15).head(1)], ignore_index=True)
    cells.loc[16, ["x", "cell_id"]] = [X0 + 1125.0, f"{X0 + 1000:06d}{Y0:07d}"]
    km = geo.coarsen_cells(cells, 1000)
    assert km["cell_id"].tolist() == [f"{X0:06d}{Y0:07d}", f"{X0 + 1000:06d}{Y0:07d}"]
    assert km["x"].tolist() == [X0 + 500.0, X0 + 1500.0] and km["y"].tolist() == [Y0 + 500.0] * 2
    assert km["population"].tolist() == [sum(pops), 7] and km["n_cells"].tolist() == [16, 1]
    assert (km["size_m"] == 1000).all()


def test_coarsen_keeps_a_missing_count_missing():
    cells = _quarters([1] * 16)
    cells["pop_70plus"] = pd.array([1] * 15 + [None], dtype="Int64")
    km = geo.coarsen_cells(cells, 1000, ("population", "pop_70plus"))
    assert km.loc[0, "population"] == 16 and pd.isna(km.loc[0, "pop_70plus"])
    with pytest.raises(GridError, match="not a multiple"):
        geo.coarsen_cells(cells, 300)
    with pytest.raises(GridError, match="more than one size"):
        geo.coarsen_cells(pd.concat([cells, cells.assign(size_m=1000)]), 1000)
