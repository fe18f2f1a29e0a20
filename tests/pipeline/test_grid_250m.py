"""A 250 m grid is read and built as real data, with every figure meaning what it means on the
1 km grid (issue #22).

A hand-computed world in Kiruna kommun: nine populated 1 km cells in a row north of a straight
east-west road, two grocery stores on the road, and the same people on the 250 m grid (each
kilometre's people over its 16 cells). Both grids go through the build's own steps (the grid
reader, the kommun of each cell, the road search, the access tables, orter, coverage and the
closure ranking) and are checked against distances worked out by hand from the geometry
(a straight road: the way from a cell is the connector straight down to the road, then along
it) and against plain pandas sums.

Where the finer grid legitimately changes a figure: a 250 m cell lies up to 375 m east or west
and north or south of its kilometre's centre, so its road distance differs by up to 750 m (and
its car time by up to a minute: the connector counts at 30 km/h). The world's kilometres are
placed where no 250 m cell crosses a limit (asserted below, so the design cannot drift); one
kilometre exactly at 10 km shows the legitimate difference by hand, and so does a kilometre
across a kommun border.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lansanalys import geo
from lansanalys.analysis import access
from lansanalys.errors import InputError
from lansanalys.pipeline import coverage as cov
from lansanalys.pipeline.areas import orter_table
from lansanalys.pipeline.inputs import _attach_kommun, _one_grid_size
from lansanalys.pipeline.tables import (
    _closure_tables,
    access_indicator_tables,
    measured_cells,
    nearest_table,
)
from lansanalys.sources.rutor import read_rutor

# Lower-left corner of column 0, more than 8 km inside Kiruna kommun (2584, Norrbotten 25):
# every cell and both stores lie in the kommun whatever the grid.
X0, Y0 = 763_000, 7_514_000
KOMMUN, LAN = "2584", "25"
#: The road runs east-west along the cells' lower edge, at 90 km/h.
ROAD_KMH = 90.0
CONNECTOR_KMH = 30.0
#: Two grocery stores on the road, west and east of the cells.
STORES = {"S1": X0 - 2_000, "S2": X0 + 31_000}
#: Column → people of the 1 km cell (row 0: centre Y0 + 500). Multiples of 16, so that the
#: 16 cells of 250 m hold whole people when they are shared equally.
KM_CELLS = {0: 1600, 1: 800, 6: 16, 8: 160, 9: 320, 13: 48, 15: 64, 19: 1200, 20: 960}
LIMITS_KM = (5.0, 10.0, 20.0)
LIMITS_MIN = (access.HEADLINE_MIN, 5.0, 30.0)


def _road_m(x: np.ndarray, y: np.ndarray, store_x: float) -> np.ndarray:
    """By hand: straight down to the road, then along it to the store (on the road)."""
    return np.abs(y - Y0) + np.abs(x - store_x)


def _road_min(x: np.ndarray, y: np.ndarray, store_x: float) -> np.ndarray:
    return np.abs(y - Y0) / (CONNECTOR_KMH * 1000 / 60) + np.abs(x - store_x) / (
        ROAD_KMH * 1000 / 60
    )


def _km_corners() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    cols = np.array(sorted(KM_CELLS))
    x0 = X0 + 1000.0 * cols
    return x0, np.full(len(cols), float(Y0)), np.array([KM_CELLS[c] for c in cols])


def _quarter_corners(split: dict[int, list[int]]):
    """The 250 m cells of every kilometre, with ``split[col]`` people (16 values, row-major
    from the lower-left) in them."""
    x0, y0, pop = [], [], []
    for col in sorted(KM_CELLS):
        for k in range(16):
            x0.append(X0 + 1000.0 * col + 250 * (k % 4))
            y0.append(Y0 + 250.0 * (k // 4))
            pop.append(split[col][k])
    return np.array(x0), np.array(y0), np.array(pop)


def _even_split() -> dict[int, list[int]]:
    return {c: [p // 16] * 16 for c, p in KM_CELLS.items()}


def _write_grid(path: Path, x0, y0, pop, size: int, style: str) -> Path:
    """A grid file as users hold them: SCB's rutid (with the size for 250 m, as SCB's and
    Pipos's 250 m deliveries give it) or INSPIRE cell codes, which carry the size."""
    if style == "rutid":
        ids = geo.rutid_of_corner(x0, y0)
        body = "".join(f"{i};{size};{p}\n" for i, p in zip(ids, pop, strict=True))
        path.write_text("rutid_scb;rutstorl;beftotalt\n" + body, encoding="utf-8")
    else:
        body = "".join(
            f"CRS3006RES{size}mN{b:.0f}E{a:.0f},{p}\n" for a, b, p in zip(x0, y0, pop, strict=True)
        )
        path.write_text("rutid_inspire,beftotalt\n" + body, encoding="utf-8")
    return path


def _read(path: Path) -> pd.DataFrame:
    """The grid as the build holds it: read, then each cell's kommun and län."""
    return _attach_kommun(read_rutor(path), "rutor", fill_given=False)


def _service() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "point_id": list(STORES),
            "service_type": "dagligvaror",
            "name": ["Väst", "Öst"],
            "label": "Dagligvaror, fullsortiment",
            "x": [float(x) for x in STORES.values()],
            "y": float(Y0),
            "kommun_kod": KOMMUN,
            "lan_kod": LAN,
        }
    )


def _roads() -> pd.DataFrame:
    xs = np.arange(X0 - 5_000, X0 + 40_001, 1_000, dtype=float)
    return pd.DataFrame(
        {"x0": xs[:-1], "y0": float(Y0), "x1": xs[1:], "y1": float(Y0), "speed_kmh": ROAD_KMH}
    )


def _declared_coverage() -> pd.DataFrame:
    pts = _service().assign(file="service/world.csv")
    return cov.service_coverage(pts, {"service/world.csv": {"lan": [LAN]}})


def _build(rutor: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The build's access steps on one grid."""
    validated = {"rutor": rutor, "service": _service()}
    nearest, *_ = nearest_table(validated, _roads())
    coverage = _declared_coverage()
    m = measured_cells(nearest, rutor, coverage, None)
    acc = access_indicator_tables(m)
    places = pd.DataFrame(
        {
            "geonameid": [1, 2],
            "name": ["Storby", "Lillby"],
            "population": [5000, 600],
            "x": [X0 + 100.0, X0 + 8_600.0],
            "y": [Y0 + 100.0, Y0 + 300.0],
        }
    )
    orter, basis = orter_table(rutor, m.nearest, _service(), None, places)
    closure = _closure_tables(nearest, rutor, _service(), coverage)
    return {"nearest": nearest, "acc": acc, "orter": orter, "closure": closure, "basis": basis}


def _by_hand(cells: pd.DataFrame) -> pd.DataFrame:
    """Nearest and second-nearest store by road, and car minutes, for every cell, by hand."""
    x, y = cells["x"].to_numpy(float), cells["y"].to_numpy(float)
    d = np.column_stack([_road_m(x, y, sx) for sx in STORES.values()])
    t = np.column_stack([_road_min(x, y, sx) for sx in STORES.values()])
    return pd.DataFrame(
        {
            "cell_id": cells["cell_id"].to_numpy(),
            "population": cells["population"].to_numpy(),
            "road_m": d.min(axis=1),
            "road2_m": d.max(axis=1),
            "road_min": t.min(axis=1),
            "store": np.array(list(STORES))[d.argmin(axis=1)],
        }
    )


def _shares(hand: pd.DataFrame) -> dict[str, float]:
    """Plain pandas: people beyond each limit over all people (everyone reaches a store)."""
    total = hand["population"].sum()
    out = {}
    for km in LIMITS_KM:
        out[f"population_share_over_{km:g}km"] = (
            100 * hand.loc[hand["road_m"] > km * 1000, "population"].sum() / total
        )
    for km in access.SECOND_KM:
        out[f"population_share_second_over_{km:g}km"] = (
            100 * hand.loc[hand["road2_m"] > km * 1000, "population"].sum() / total
        )
    out[f"population_share_over_{access.HEADLINE_MIN:g}min"] = (
        100 * hand.loc[hand["road_min"] > access.HEADLINE_MIN, "population"].sum() / total
    )
    return out


@pytest.fixture(scope="module")
def worlds(tmp_path_factory) -> dict[str, dict]:
    tmp = tmp_path_factory.mktemp("grid250")
    km = _read(_write_grid(tmp / "km.csv", *_km_corners(), 1000, "rutid"))
    q = _read(_write_grid(tmp / "q.csv", *_quarter_corners(_even_split()), 250, "rutid"))
    return {"km": {"cells": km, **_build(km)}, "q": {"cells": q, **_build(q)}}


def test_the_design_keeps_every_250m_cell_on_its_kilometres_side_of_every_limit():
    km = pd.DataFrame(dict(zip(("x", "y"), _km_corners()[:2], strict=True)))
    km = km.assign(x=km["x"] + 500, y=km["y"] + 500, cell_id="k", population=1)
    q = pd.DataFrame(dict(zip(("x", "y"), _quarter_corners(_even_split())[:2], strict=True)))
    q = q.assign(x=q["x"] + 125, y=q["y"] + 125, cell_id="q", population=1)
    hk, hq = _by_hand(km), _by_hand(q)
    parent = np.repeat(np.arange(len(km)), 16)
    for col, limits in (
        ("road_m", [1000 * k for k in (*LIMITS_KM, *access.SECOND_KM, access.CLOSURE_KM)]),
        ("road2_m", [1000 * k for k in access.SECOND_KM]),
        ("road_min", LIMITS_MIN),
    ):
        for lim in limits:
            assert ((hq[col].to_numpy() > lim) == (hk[col].to_numpy()[parent] > lim)).all()
            # ... and not even on the limit, where rounding could decide.
            assert (np.abs(hq[col].to_numpy() - lim) > 1e-6).all()
    assert (hq["store"].to_numpy() == hk["store"].to_numpy()[parent]).all()


def test_grids_are_read_with_their_own_cell_size(worlds, tmp_path):
    km, q = worlds["km"]["cells"], worlds["q"]["cells"]
    assert geo.cell_size_m(km) == 1000 and geo.cell_size_m(q) == 250
    assert len(km) == 9 and len(q) == 9 * 16
    # Centres 500 m and 125 m in from the lower-left corner; rutid is the corner for both.
    assert (km.loc[0, "cell_id"], km.loc[0, "x"], km.loc[0, "y"]) == (
        f"{X0:06d}{Y0:07d}",
        X0 + 500.0,
        Y0 + 500.0,
    )
    assert (q.loc[0, "cell_id"], q.loc[0, "x"], q.loc[0, "y"]) == (
        f"{X0:06d}{Y0:07d}",
        X0 + 125.0,
        Y0 + 125.0,
    )
    # INSPIRE codes carry the size: the same cells without a size column.
    inspire = _read(_write_grid(tmp_path / "i.csv", *_quarter_corners(_even_split()), 250, "x"))
    assert inspire[["x", "y", "size_m", "population"]].equals(q[["x", "y", "size_m", "population"]])
    assert inspire.loc[0, "cell_id"] == f"CRS3006RES250mN{Y0}E{X0}"
    # Kommun totals: every person in Kiruna on both grids, and the 1 km sums of the 250 m grid
    # are the 1 km grid.
    assert set(km["kommun_kod"]) == set(q["kommun_kod"]) == {KOMMUN}
    assert km.groupby("kommun_kod")["population"].sum().to_dict() == {KOMMUN: 5168}
    assert q.groupby("kommun_kod")["population"].sum().to_dict() == {KOMMUN: 5168}
    back = geo.coarsen_cells(q, 1000)
    assert back[["cell_id", "x", "y", "population"]].equals(
        km.sort_values("cell_id")[["cell_id", "x", "y", "population"]].reset_index(drop=True)
    )


def test_road_distances_are_the_hand_computed_ones_on_both_grids(worlds):
    for w in worlds.values():
        near = w["nearest"].set_index("cell_id")
        hand = _by_hand(w["cells"]).set_index("cell_id")
        got = near.loc[hand.index]
        assert np.allclose(got["road_m"], hand["road_m"], atol=0.01)
        assert np.allclose(got["road2_m"], hand["road2_m"], atol=0.01)
        assert np.allclose(got["road_min"], hand["road_min"], atol=1e-6)
        assert (got["road_point_id"] == hand["store"]).all()


def test_access_shares_agree_and_are_the_hand_computed_ones(worlds):
    expected = _shares(_by_hand(worlds["km"]["cells"]))
    # By hand, 1 km: beyond 5 km all but columns 0 and 1 (2 768 of 5 168 people), beyond 10 km
    # all but columns 0, 1 and 6 (2 752), beyond 20 km nobody.
    assert expected["population_share_over_5km"] == pytest.approx(100 * 2768 / 5168)
    assert expected["population_share_over_10km"] == pytest.approx(100 * 2752 / 5168)
    assert expected["population_share_over_20km"] == 0
    for w in worlds.values():
        for level, key, code in (("kommun", "kommun_kod", KOMMUN), ("lan", "lan_kod", LAN)):
            row = w["acc"][level].set_index(key).loc[code]
            row = row[row["service_type"] == "dagligvaror"] if row.ndim == 2 else row
            row = row.iloc[0] if isinstance(row, pd.DataFrame) else row
            assert row["population"] == 5168
            for col, share in expected.items():
                assert row[col] == pytest.approx(share), (level, col)
    # Mean road km over the people: the 16 cells' distances average to their kilometre's, so
    # the mean is the same (by hand, from the 1 km centres).
    hand = _by_hand(worlds["km"]["cells"])
    mean_km = (hand["population"] * hand["road_m"]).sum() / hand["population"].sum() / 1000
    for w in worlds.values():
        cd = w["nearest"].merge(w["cells"][["cell_id", "population"]], on="cell_id")
        assert (cd["population"] * cd["road_m"]).sum() / cd["population"].sum() / 1000 == (
            pytest.approx(mean_km)
        )


def test_orter_agree_and_are_the_hand_computed_ones(worlds):
    for w in worlds.values():
        assert w["basis"] == "orter_geonames"
        o = w["orter"].set_index("name")
        # Storby: columns 0 and 1 (1 600 and 800 per km²); Lillby: columns 8 and 9; the rest
        # is outside (column 6 is sparse, 19 and 20 have no settlement).
        assert o.at["Storby", "population"] == 2400 and o.at["Lillby", "population"] == 480
        assert o.at["Utanför orter", "population"] == 2288
        assert o.at["Storby", "km_dagligvaror"] == pytest.approx((1600 * 3 + 800 * 4) / 2400)
        assert o.at["Lillby", "km_dagligvaror"] == pytest.approx((160 * 11 + 320 * 12) / 480)
        assert o.at["Utanför orter", "n_dagligvaror"] == 2
        assert o["population"].sum() == 5168
    assert worlds["km"]["orter"]["n_cells"].tolist() != worlds["q"]["orter"]["n_cells"].tolist()
    assert (
        worlds["q"]["orter"].set_index("name").at["Storby", "n_cells"]
        == 16 * worlds["km"]["orter"].set_index("name").at["Storby", "n_cells"]
    )


def test_closure_ranking_agrees_and_is_the_hand_computed_one(worlds):
    for w in worlds.values():
        c = w["closure"].set_index("point_id")
        # S1 alone closing sends columns 0, 1 and 6 (within 10 km of it) to S2, 25 km or more
        # away; S2's people are all beyond 10 km already.
        assert c.at["S1", "pushed_beyond"] == 1600 + 800 + 16
        assert c.at["S1", "served"] == 1600 + 800 + 16 + 160 + 320 + 48
        assert c.at["S2", "pushed_beyond"] == 0 and c.at["S2", "served"] == 64 + 1200 + 960
        assert c["complete"].all()


def _part_points(xs: list[float]) -> pd.DataFrame:
    """A file of apotek points at ``xs`` on the road, one listed in every kommun of the län
    (the kommun rule is met; the populated-area rule decides)."""
    rows = [("service/a.csv", "apotek", k, x, float(Y0)) for k in geo.kommun_codes(LAN) for x in xs]
    return pd.DataFrame(rows, columns=["file", "service_type", "kommun_kod", "x", "y"])


def _decisions(cells: pd.DataFrame, xs: list[float]) -> tuple[bool, str]:
    near = {c: set(geo.kommun_codes(c)) for c in geo.lan_codes()}
    c = cov.service_coverage(_part_points(xs), {}, near=near, cells=cells)
    row = c[(c["lan_kod"] == LAN) & (c["service_type"] == "apotek")].iloc[0]
    return bool(row["covered"]), row["reason"]


def test_coverage_decisions_agree(worlds):
    km, q = worlds["km"]["cells"], worlds["q"]["cells"]
    # Two populated parts (20 km squares with 2 000 people or more): columns 0–16 hold
    # 3 008 people, columns 19–20 2 160 (east of X0 + 17 km, the square's edge).
    for cells in (km, q):
        parts = cov.populated_parts(cells).sort_values("x").reset_index(drop=True)
        assert parts["population"].tolist() == [3008.0, 2160.0]
    pk, pq = cov.populated_parts(km), cov.populated_parts(q)
    assert np.allclose(pk[["x", "y"]], pq[["x", "y"]])  # equal shares: the same centres
    # Points 25 km west of the world reach the west part only (the east one is 45 km off).
    west = [X0 - 25_000.0]
    assert _decisions(km, west) == _decisions(q, west)
    assert _decisions(km, west) == (False, "punkterna täcker inte länets befolkade delar")
    both = [X0 - 25_000.0, X0 + 40_000.0]
    assert _decisions(km, both) == _decisions(q, both) == (True, "")


# --------------------------------------------------------------------------------------------
# Where the finer grid legitimately changes a figure


def test_a_kilometre_on_the_limit_is_split_by_the_250m_grid():
    """Column 7's centre is exactly 10 km from S1 by road: on the 1 km grid nobody there is
    beyond 10 km (equal is not beyond). Its 250 m cells lie 10 km + dx + dy away, dx and dy
    each ±125 or ±375 m: 6 of the 16 pairs sum to more than 0, so with people shared equally
    6/16 of them live beyond 10 km on the 250 m grid."""
    centre = _road_m(np.array([X0 + 7_500.0]), np.array([Y0 + 500.0]), STORES["S1"])
    assert centre.tolist() == [10_000.0]
    qx = X0 + 7_000.0 + 125 + 250 * np.arange(4)
    qy = Y0 + 125 + 250 * np.arange(4)
    d = _road_m(np.repeat(qx, 4), np.tile(qy, 4), STORES["S1"])
    offsets = [a + b for a in (-375, -125, 125, 375) for b in (-375, -125, 125, 375)]
    assert sorted(d - 10_000) == sorted(offsets)
    assert int((d > 10_000).sum()) == 6 == sum(o > 0 for o in offsets)


def test_a_kilometre_across_a_kommun_border_is_split_by_the_250m_grid():
    """A kilometre whose centre is in one kommun but part of it in another: on the 1 km grid
    all its people count in its centre's kommun, on the 250 m grid each 250 m cell in the kommun
    its own centre lies in (an independent point-in-polygon here); the total is the same."""
    a = geo.kommun_geometry().set_index("kommun_kod").geometry
    pair = ("0821", "0861")  # Högsby and Mönsterås

    def own(x: float, y: float) -> str | None:
        return next((k for k in pair if a[k].covers(shapely.Point(x, y))), None)

    # The first kilometre along their shared border whose 250 m centres fall in both.
    border = max(
        shapely.get_parts(a[pair[0]].boundary.intersection(a[pair[1]].boundary)),
        key=lambda g: g.length,
    )
    for f in np.linspace(0.05, 0.95, 19):
        p = border.interpolate(f, normalized=True)
        x0, y0 = np.floor(p.x / 1000) * 1000, np.floor(p.y / 1000) * 1000
        qx0 = x0 + 250 * np.tile(np.arange(4), 4)
        qy0 = y0 + 250 * np.repeat(np.arange(4), 4)
        sides = [own(x + 125, y + 125) for x, y in zip(qx0, qy0, strict=True)]
        if set(sides) == set(pair):
            break
    else:
        pytest.fail("no kilometre across the border")
    cells = pd.DataFrame(
        {
            "cell_id": geo.rutid_of_corner(qx0, qy0),
            "x": qx0 + 125,
            "y": qy0 + 125,
            "size_m": 250,
            "population": 10,
        }
    )
    q = _attach_kommun(cells, "rutor", fill_given=False)
    assert q["kommun_kod"].tolist() == sides  # each 250 m cell in its own centre's kommun
    km = _attach_kommun(
        geo.coarsen_cells(cells, 1000).drop(columns="n_cells"), "rutor", fill_given=False
    )
    assert km["population"].sum() == q["population"].sum() == 160
    assert km.loc[0, "kommun_kod"] in set(q["kommun_kod"])


# --------------------------------------------------------------------------------------------
# Any split of each kilometre's people over its 16 cells


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_any_split_over_the_16_cells_keeps_totals_shares_and_coverage(data, worlds, tmp_path):
    split = {}
    for col, pop in KM_CELLS.items():
        cuts = sorted(data.draw(st.lists(st.integers(0, pop), min_size=15, max_size=15)))
        split[col] = np.diff([0, *cuts, pop]).tolist()
    f = _write_grid(tmp_path / "split.csv", *_quarter_corners(split), 250, "rutid")
    q = _read(f)
    km = worlds["km"]["cells"]
    # Totals: riket, län, kommun, and every kilometre.
    for key in ("kommun_kod", "lan_kod"):
        assert (
            q.groupby(key)["population"].sum().to_dict()
            == km.groupby(key)["population"].sum().to_dict()
        )
    back = geo.coarsen_cells(q, 1000).set_index("cell_id")["population"]
    assert back.to_dict() == km.set_index("cell_id")["population"].to_dict()
    # Shares beyond every limit: each 250 m cell is on its kilometre's side (see the design
    # test), so any split gives the 1 km figures.
    built = _build(q)
    row = built["acc"]["kommun"].set_index("kommun_kod").loc[KOMMUN]
    for col, share in _shares(_by_hand(km)).items():
        assert row[col] == pytest.approx(share), col
    c = built["closure"].set_index("point_id")
    assert c.at["S1", "pushed_beyond"] == 2416 and c.at["S2", "served"] == 2224
    # Orter and "utanför orter" add up to the kommun whatever the clusters.
    assert built["orter"]["population"].sum() == 5168
    # Coverage decisions: the parts' squares and sums are the kilometres'; their centres move
    # less than 375 m, far from the 40 km reach.
    west = [X0 - 25_000.0]
    assert _decisions(q, west) == _decisions(km, west)


# --------------------------------------------------------------------------------------------
# One grid size per build


def test_a_1km_and_a_250m_grid_in_one_build_are_refused_naming_the_file(tmp_path):
    a = _write_grid(tmp_path / "km.csv", *_km_corners(), 1000, "rutid")
    b = _write_grid(tmp_path / "q.csv", *_quarter_corners(_even_split()), 250, "rutid")
    with pytest.raises(InputError, match=r"q\.csv: a grid of 250 m cells, but km\.csv has 1000"):
        _one_grid_size([read_rutor(a), read_rutor(b)], [a, b])
    _one_grid_size([read_rutor(b), read_rutor(b)], [b, b])  # the same size: fine
