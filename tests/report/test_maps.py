"""Maps and figure details: cell sizes from the data, the coarse squares of large areas against
a plain-Python reference, names that never meet, the pyramid legend and Swedish numbers."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import box

from lansanalys.analysis import access
from lansanalys.report import figures, grid_maps, maps

# --------------------------------------------------------------------------------------------
# Cell size from the data


def test_cell_size_comes_from_the_column_the_polygons_or_the_lattice():
    cells = pd.DataFrame({"x": [125.0, 375.0, 875.0], "y": [6_000_125.0] * 3, "size_m": 250})
    assert grid_maps.grid_size(cells) == 250
    polys = gpd.GeoDataFrame(
        geometry=[box(0, 0, 250, 250), box(500, 250, 750, 500)], crs="EPSG:3006"
    )
    assert grid_maps.grid_size(polys) == 250
    # Centres only: the spacing of their lattice (two 250 m steps and one 500 m step).
    assert grid_maps.grid_size(cells.drop(columns="size_m")) == 250
    with pytest.raises(ValueError, match="more than one size"):
        grid_maps.grid_size(cells.assign(size_m=[250, 1000, 250]))
    with pytest.raises(ValueError, match="cannot tell the cell size"):
        grid_maps.grid_size(cells.drop(columns="size_m").head(1))


def _area(w_m: float, h_m: float) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"name": ["A"]}, geometry=[box(0, 6_500_000, w_m, 6_500_000 + h_m)], crs="EPSG:3006"
    )


def test_250_m_cells_are_drawn_at_250_m():
    # A 6 km area: 250 m cells show as several px, so the map draws the cells themselves.
    xs = 125.0 + 250.0 * np.arange(0, 24, 3)
    cells = pd.DataFrame(
        {
            "x": xs,
            "y": 6_500_125.0 + 250.0 * np.arange(len(xs)) % 6000,
            "size_m": 250,
            "population": 3,
            "dagligvaror": np.linspace(0.5, 30, len(xs)),
        }
    )
    pts = pd.DataFrame({"x": [], "y": [], "name": []})
    fig = grid_maps.distance_grid_map(cells, "dagligvaror", _area(6_000, 6_000), pts, "t", "s")
    (heat,) = [t for t in fig.data if t.type == "heatmap"]
    # Every grid column 250 m apart (the padding keeps the lattice whole).
    steps = np.unique(np.diff(np.unique(np.asarray(heat.x, dtype=float))))
    assert list(steps) == [250.0]
    assert not fig.layout.updatemenus


def test_a_large_area_opens_on_coarse_squares_with_the_cells_a_button_away():
    rng = np.random.default_rng(3)
    n = 3000
    ix, iy = rng.integers(0, 1600, n), rng.integers(0, 1600, n)
    cells = pd.DataFrame(
        {"x": ix * 250 + 125.0, "y": 6_500_000 + iy * 250 + 125.0, "size_m": 250}
    ).drop_duplicates(["x", "y"])
    cells["population"] = rng.integers(1, 50, len(cells))
    cells["dagligvaror"] = rng.uniform(0, 40, len(cells))
    pts = pd.DataFrame({"x": [], "y": [], "name": []})
    fig = grid_maps.distance_grid_map(cells, "dagligvaror", _area(400_000, 400_000), pts, "t", "s")
    coarse, fine = (t for t in fig.data if t.type == "heatmap")
    step = np.unique(np.diff(np.unique(np.asarray(coarse.x, dtype=float))))
    assert len(step) == 1 and step[0] > 250 and step[0] % 250 == 0
    # On the printed page a square is at least MIN_CELL_PX wide.
    lay = maps.map_layout(maps._view(fig))
    assert step[0] * lay["px_per_m"] >= grid_maps.MIN_CELL_PX
    assert coarse.visible is not False and fine.visible is False
    # The note under the map says what a square shows.
    assert "medianavståndet" in fig.layout.meta["source"]
    labels = [b.label for b in fig.layout.updatemenus[0].buttons]
    assert labels[1] == "250 m-rutor"


# --------------------------------------------------------------------------------------------
# Coarse squares: checked against a plain-Python weighted median


def _reference(cells: pd.DataFrame, dist: np.ndarray, size: int) -> dict:
    out = {}
    keys = list(zip(cells["x"] // size, cells["y"] // size, strict=True))
    for key in set(keys):
        idx = [i for i, k in enumerate(keys) if k == key]
        pairs = sorted(
            (dist[i] if np.isfinite(dist[i]) else float("inf"), cells["population"].iloc[i])
            for i in idx
        )
        total = sum(p for _, p in pairs)
        weights = [p if total > 0 else 1 for _, p in pairs]
        half, run, median = sum(weights) / 2, 0.0, None
        for (d, _), w in zip(pairs, weights, strict=True):
            run += w
            if run >= half:
                median = d
                break
        beyond = sum(p for d, p in pairs if not d <= 10.0)
        out[key] = (total, len(idx), median, 100 * beyond / total if total else None)
    return out


@settings(max_examples=80, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 11),
            st.integers(0, 11),
            st.one_of(st.none(), st.floats(0, 40, allow_nan=False)),
            st.integers(0, 300),
        ),
        min_size=1,
        max_size=60,
        unique_by=lambda c: (c[0], c[1]),
    ),
    st.sampled_from([500, 1000, 2000]),
)
def test_a_square_shows_the_median_distance_of_its_people(raw, size):
    cells = pd.DataFrame(
        {
            "x": [250 * c[0] + 125.0 for c in raw],
            "y": [250 * c[1] + 125.0 for c in raw],
            "population": [c[3] for c in raw],
        }
    )
    dist = np.array([np.nan if c[2] is None else c[2] for c in raw], dtype=float)
    got = grid_maps.coarse_cells(cells, dist, size, (2, 5, 10, 20), headline_km=10.0)
    ref = _reference(cells, dist, size)
    assert len(got) == len(ref)
    for r in got.itertuples():
        total, n, median, beyond = ref[(r.x // size, r.y // size)]
        assert r.population == total and r.n_cells == n
        assert r.median_km == median
        # Its class follows the kit's one rule (unreachable is the last class).
        want = access.classify(np.array([median]), (2, 5, 10, 20), "km")[0]
        assert r.cls == want
        if beyond is None:
            assert np.isnan(r.share_beyond)
        else:
            assert r.share_beyond == pytest.approx(beyond)


# --------------------------------------------------------------------------------------------
# Names that never meet


def _box(x, y, text, spot, r, font):
    w, h = figures.text_box(text, font)
    r = r + figures.LABEL_GAP
    return {
        "middle center": (x - w / 2, y - h / 2, x + w / 2, y + h / 2),
        "top center": (x - w / 2, y + r, x + w / 2, y + r + h),
        "bottom center": (x - w / 2, y - r - h, x + w / 2, y - r),
        "middle right": (x + r, y - h / 2, x + r + w, y + h / 2),
        "middle left": (x - r - w, y - h / 2, x - r, y + h / 2),
    }[spot]


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.floats(0, 400, allow_nan=False),
            st.floats(0, 300, allow_nan=False),
            st.text("abcdefghij", min_size=1, max_size=14),
            st.floats(1, 1e5, allow_nan=False),
            st.floats(0, 20, allow_nan=False),
        ),
        min_size=1,
        max_size=30,
    )
)
def test_placed_names_never_overlap_each_other_or_other_markers(points):
    x, y, t, w, r = (np.array([p[i] for p in points]) for i in range(5))
    texts = [str(v) for v in t]
    spots = figures.place_labels(x, y, texts, w, radius=r, font_px=11, area=(400, 300))
    boxes = [
        (i, _box(x[i], y[i], texts[i], s, r[i], 11)) for i, s in enumerate(spots) if s is not None
    ]
    for k, (i, a) in enumerate(boxes):
        assert a[0] >= -1e-9 and a[1] >= -1e-9 and a[2] <= 400 + 1e-9 and a[3] <= 300 + 1e-9
        for _, b in boxes[k + 1 :]:
            assert not (a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3])
        # No name covers another point's marker (the box's nearest point is outside its disc).
        for j in range(len(x)):
            if j != i:
                nx, ny = np.clip(x[j], a[0], a[2]), np.clip(y[j], a[1], a[3])
                assert (nx - x[j]) ** 2 + (ny - y[j]) ** 2 >= r[j] ** 2 - 1e-6


def test_a_lone_name_is_written_above_its_point():
    assert figures.place_labels([50.0], [50.0], ["Kiruna"], [1.0], area=(200, 200)) == [
        "top center"
    ]
    # Five places on one spot (Kiruna, Tuolluvaara, Jukkasjärvi at a län's scale): the largest
    # above, the next below; a name beside them would touch those, so the rest are on hover.
    names = ["Kiruna", "Tuolluvaara", "Jukkasjärvi", "Kurravaara", "Paksuniemi"]
    spots = figures.place_labels(
        [100.0] * 5, [100.0] * 5, names, [50.0, 40.0, 30.0, 20.0, 10.0], radius=4
    )
    assert spots == ["top center", "bottom center", None, None, None]


# --------------------------------------------------------------------------------------------
# Figure details


def test_pyramid_legend_names_both_reference_lines():
    ages = ["0–4", "5–9"]
    frame = pd.DataFrame(
        {
            "sex": ["män", "män", "kvinnor", "kvinnor"],
            "age_group": ages * 2,
            "share": [1.0, 2.0, 1.5, 2.5],
            "population": [10, 20, 15, 25],
        }
    )
    fig = figures.pyramid(frame, frame, "Kalmar län", "Riket", "t", "s")
    shown = [t.name for t in fig.data if t.showlegend is not False]
    assert shown == ["Kalmar län, män", "Riket, män", "Kalmar län, kvinnor", "Riket, kvinnor"]
    ref_colors = {t.line.color for t in fig.data if t.type == "scatter"}
    assert len(ref_colors) == 2  # told apart by colour, not only by name


def test_colour_scale_of_whole_kronor_has_no_decimals():
    gdf = gpd.GeoDataFrame(
        {"name": ["A", "B"], "v": [100.0, 250.0]},
        geometry=[box(0, 0, 1000, 1000), box(1000, 0, 2000, 1000)],
        crs="EPSG:3006",
    )
    fig = maps.choropleth(gdf, "v", "name", ["a", "b"], "t", "s", "kr")
    (bar,) = [t.marker.colorbar for t in fig.data if t.type == "scatter" and t.marker.showscale]
    assert bar.tickformat == ",.0f"
    gdf["v"] = [0.5, 2.5]
    fig = maps.choropleth(gdf, "v", "name", ["a", "b"], "t", "s", "%")
    (bar,) = [t.marker.colorbar for t in fig.data if t.type == "scatter" and t.marker.showscale]
    assert bar.tickformat == ",.1f"


def test_every_axis_separates_thousands_and_stands_upright():
    tpl = figures.pio.templates["lansanalys"].layout
    for axis in (tpl.xaxis, tpl.yaxis):
        assert axis.separatethousands is True and axis.exponentformat == "none"
        assert axis.tickangle == 0


def test_a_tall_map_stands_beside_its_bars_and_a_wide_one_above():
    tall = maps.map_layout((0, 0, 100_000, 220_000), rows_px=300, side_px=140)
    wide = maps.map_layout((0, 0, 400_000, 420_000), rows_px=300)
    assert tall["beside"] and not wide["beside"]
    # Either way the map is wider than the 230 px strip it used to be on the printed page.
    for lay, (sx, sy) in ((tall, (100_000, 220_000)), (wide, (400_000, 420_000))):
        assert sx * lay["px_per_m"] > 280 and sy * lay["px_per_m"] > 280


def test_the_kommun_of_a_kommun_report_is_marked_in_the_ranking_and_riket_keeps_its_place():
    gdf = gpd.GeoDataFrame(
        {"name": ["Högsby", "Kalmar", "Nybro"], "v": [-8.0, 12.4, 1.2]},
        geometry=[
            box(0, 0, 10_000, 10_000),
            box(10_000, 0, 20_000, 10_000),
            box(0, 10_000, 10_000, 20_000),
        ],
        crs=3006,
    )
    fig = maps.choropleth(gdf, "v", "name", list(gdf["name"]), "t", "s", "%")
    maps.ranked_side_bars(
        fig, list(gdf["name"]), gdf["v"], str, "%", reference=(8.6, "Riket"), highlight="Högsby"
    )
    bars = next(t for t in fig.data if t.type == "bar")
    # Highest on top; the kommun itself in bold with a marker, the others as they are.
    assert list(bars.y) == ["Kalmar", "<b>Riket</b>", "Nybro", "<b>▸ Högsby</b>"]
    assert list(bars.x) == [12.4, 8.6, 1.2, -8.0]
    # Without a highlight no name is marked.
    fig = maps.choropleth(gdf, "v", "name", list(gdf["name"]), "t", "s", "%")
    maps.ranked_side_bars(fig, list(gdf["name"]), gdf["v"], str, "%", reference=(8.6, "Riket"))
    assert "▸" not in "".join(next(t for t in fig.data if t.type == "bar").y)
