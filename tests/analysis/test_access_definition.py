"""One definition of "beyond", user thresholds and classes, 70+ without data, labels.

Hand-made worlds whose answers are computed by hand, hypothesis for the invariants, and on the demo
build an independent brute-force sum over the cells (plain pandas on the processed parquet files,
not the kit's functions) against what the reports show.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from html import unescape
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lansanalys import fmt
from lansanalys.analysis import access
from lansanalys.report import grid_maps, text

REPO = Path(__file__).resolve().parents[2]

# --------------------------------------------------------------------------------------------
# Hand-made worlds


def _world() -> pd.DataFrame:
    # One kommun, four cells: 3, 8 and 15 km by road, and one island without a road link.
    return pd.DataFrame(
        {
            "kommun_kod": ["0001"] * 4,
            "service_type": ["dagligvaror"] * 4,
            "road_m": [3_000.0, 8_000.0, 15_000.0, np.nan],
            "road_min": [4.0, 10.0, 16.0, np.nan],
            "population": [10, 20, 30, 40],
            "pop_70plus": [1, 2, 3, 4],
        }
    )


def test_unreachable_counts_as_beyond_every_threshold_by_hand():
    out = access.beyond_thresholds(
        _world(), "kommun_kod", (5, 10, 20), dist_col="road_m", pop_cols=("population",)
    ).iloc[0]
    assert out["population"] == 100
    assert out["population_unreachable"] == 40
    assert out["population_share_unreachable"] == pytest.approx(40.0)
    # 8, 15 km and the island are beyond 5 km; 15 km and the island beyond 10; only the island
    # beyond 20 km.
    assert out["population_over_5km"] == 20 + 30 + 40
    assert out["population_over_10km"] == 30 + 40
    assert out["population_over_20km"] == 40
    assert out["population_share_over_20km"] == pytest.approx(40.0)
    # Mean and median over the 60 people who can reach the store.
    assert out["mean_km"] == pytest.approx((3 * 10 + 8 * 20 + 15 * 30) / 60)
    assert out["median_km"] == 8.0  # 10 + 20 of 60 live within 8 km


def test_value_equal_to_threshold_is_not_beyond():
    # Equal at the stated resolution (0,1 m) is equal: 10 000,04 m is not beyond 10 km,
    # 10 000,1 m is.
    df = _world().assign(road_m=[10_000.0, 10_000.04, 10_000.1, np.nan])
    out = access.beyond_thresholds(df, "kommun_kod", (10,), dist_col="road_m").iloc[0]
    assert out["population_over_10km"] == 30 + 40


def test_minutes_use_the_same_definition_by_hand():
    out = access.beyond_thresholds(
        _world(), "kommun_kod", (10,), dist_col="road_min", unit="min"
    ).iloc[0]
    # 10,0 minutes is not beyond 10; 16 minutes and the island are.
    assert out["population_over_10min"] == 30 + 40
    assert out["population_share_over_10min"] == pytest.approx(70.0)
    assert out["mean_min"] == pytest.approx((4 * 10 + 10 * 20 + 16 * 30) / 60)


def test_cash_rule_is_the_same_function():
    df = _world().assign(service_type="kontantuttag", road_m=[3_000.0, 26_000.0, 25_000.0, np.nan])
    cash = access.cash_rule(df, "kommun_kod", dist_col="road_m").iloc[0]
    beyond = access.beyond_thresholds(df, "kommun_kod", (25,), dist_col="road_m").iloc[0]
    assert cash["over_25km"] == beyond["population_over_25km"] == 20 + 40
    assert cash["share_over_25km"] == beyond["population_share_over_25km"] == pytest.approx(60)
    assert cash["unreachable"] == 40 and not cash["within_limit"]


@pytest.mark.parametrize(
    "bad", [(0,), (-5,), (float("nan"),), (float("inf"),), ("10",), (), (0.1, 0.1 + 2e-17)]
)
def test_bad_thresholds_are_refused_with_what_was_expected(bad):
    with pytest.raises(ValueError, match="threshold|number"):
        access.beyond_thresholds(_world(), "kommun_kod", bad, dist_col="road_m")


def test_missing_70_plus_gives_no_figure_not_zero_or_the_smallest_distance():
    df = pd.concat(
        [
            _world().assign(pop_70plus=pd.array([pd.NA] * 4, dtype="Int64")),
            # A second kommun where one cell of four lacks the count: still no figure.
            _world().assign(
                kommun_kod="0002", pop_70plus=pd.array([1, 2, pd.NA, 4], dtype="Int64")
            ),
            # A third where every cell has it: a figure.
            _world().assign(kommun_kod="0003"),
        ],
        ignore_index=True,
    )
    out = access.beyond_thresholds(
        df, "kommun_kod", (10,), dist_col="road_m", pop_cols=("population", "pop_70plus")
    ).set_index("kommun_kod")
    for code in ("0001", "0002"):
        r = out.loc[code]
        for col in (
            "pop_70plus",
            "pop_70plus_unreachable",
            "pop_70plus_over_10km",
            "pop_70plus_share_over_10km",
            "pop_70plus_mean_km",
            "pop_70plus_median_km",
        ):
            assert np.isnan(r[col]), (code, col, r[col])
        assert r["population_share_over_10km"] == pytest.approx(70.0)  # the total is known
    r = out.loc["0003"]
    assert r["pop_70plus_share_over_10km"] == pytest.approx(100 * (3 + 4) / 10)
    assert r["pop_70plus_median_km"] == 8.0  # 1 + 2 of the 6 who reach it live within 8 km


def test_weighted_stats_without_weight_give_no_median():
    df = pd.DataFrame({"k": ["a", "a", "b"], "service_type": ["x"] * 3})
    out = access.weighted_stats(
        df, ["k", "service_type"], np.array([1.0, 5.0, 2.0]), np.array([0.0, 0.0, 3.0])
    )
    assert np.isnan(out.loc[("a", "x"), "median"]) and np.isnan(out.loc[("a", "x"), "mean"])
    assert out.loc[("b", "x"), "median"] == 2.0


def test_map_legend_classes_match_the_rule():
    from shapely.geometry import box

    dist = [2.0, 2.5, 5.0, 20.0, 20.5, np.nan]
    cells = pd.DataFrame(
        {
            "x": 500.0 + 1000.0 * np.arange(len(dist)),
            "y": [6_500_500.0] * len(dist),
            "size_m": 1000,
            "population": 1,
            "dagligvaror": dist,
        }
    )
    borders = gpd.GeoDataFrame(geometry=[box(0, 6_500_000, 6_000, 6_501_000)], crs="EPSG:3006")
    pts = pd.DataFrame({"x": [], "y": [], "name": []})
    fig = grid_maps.distance_grid_map(cells, "dagligvaror", borders, pts, "t", "s")
    (heat,) = [t for t in fig.data if t.type == "heatmap"]  # a small area: the cells themselves
    # The classes are the legend's square entries, in class order.
    labels = [t.name for t in fig.data if t.type == "scatter" and t.marker.symbol == "square"]
    assert labels == ["≤ 2 km", "2–5 km", "5–10 km", "10–20 km", "> 20 km", "ej nåbar via väg"]
    drawn = [labels[int(z)] for z in heat.z[: len(dist)]]
    assert drawn == ["≤ 2 km", "2–5 km", "2–5 km", "10–20 km", "> 20 km", "ej nåbar via väg"]
    # The same rule as the access classes: 5,0 km is in the class that ends at 5.
    cls = access.access_classes(
        cells.assign(kommun_kod="0001", service_type="dagligvaror"),
        "kommun_kod",
        (2, 5, 10, 20),
        "dagligvaror",
        "km",
    )
    by_class = cls.set_index("klass")["population"]
    assert by_class["0–2 km"] == 1 and by_class["2–5 km"] == 2 and by_class["ej nåbar"] == 1


# --------------------------------------------------------------------------------------------
# Invariants (hypothesis)

_cells = st.lists(
    st.tuples(
        st.one_of(st.none(), st.floats(0, 60_000, allow_nan=False)),  # None: unreachable
        st.integers(0, 500),
    ),
    min_size=1,
    max_size=40,
)
# Limits on the resolution grid (0,0001 km): a finer one is refused (test_resolution.py).
_limits = st.lists(
    st.integers(1_000, 700_000).map(lambda i: i / 10_000), min_size=1, max_size=6, unique=True
)


def _frame(cells) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "k": "a",
            "service_type": "apotek",
            "road_m": [np.nan if d is None else d for d, _ in cells],
            "population": [p for _, p in cells],
        }
    )


@settings(max_examples=150, deadline=None)
@given(_cells, _limits)
def test_shares_never_rise_with_the_threshold_and_never_fall_below_unreachable(cells, limits):
    df = _frame(cells)
    limits = sorted(limits)
    out = access.beyond_thresholds(df, "k", limits, dist_col="road_m").iloc[0]
    if out["population"] == 0:
        return
    shares = [out[f"population_share_over_{t:g}km"] for t in limits]
    assert all(a >= b - 1e-9 for a, b in zip(shares, shares[1:], strict=False))
    assert all(s >= out["population_share_unreachable"] - 1e-9 for s in shares)
    assert all(s <= 100 + 1e-9 for s in shares)
    # Independent count: people in cells strictly beyond the limit at the stated resolution
    # (km to the nearest 0,0001, i.e. 0,1 m) or without a road.
    d = np.round(df["road_m"].to_numpy() / 1000 * 10_000)
    for t in limits:
        expect = df["population"][np.isnan(d) | (d > round(t * 10_000))].sum()
        assert out[f"population_over_{t:g}km"] == pytest.approx(expect)


@settings(max_examples=150, deadline=None)
@given(_cells, _limits)
def test_classes_add_to_100_with_unreachable_and_agree_with_beyond(cells, limits):
    df = _frame(cells).assign(road_km=lambda d: d["road_m"] / 1000)
    bounds = sorted(limits)
    cls = access.access_classes(df, "k", bounds, "road_km", "km")
    total = df["population"].sum()
    assert cls["population"].sum() == pytest.approx(total)
    if total == 0:
        return
    assert cls["share"].sum() == pytest.approx(100)
    beyond = access.beyond_thresholds(df, "k", bounds, dist_col="road_m").iloc[0]
    for b in bounds:
        far = cls[(cls["lower"] >= b) | (cls["klass"] == "ej nåbar")]["share"].sum()
        assert far == pytest.approx(beyond[f"population_share_over_{b:g}km"])


# --------------------------------------------------------------------------------------------
# On the demo build: the report against a brute-force sum over the cells


def _brute(home: Path, lan: str | None = None) -> pd.DataFrame:
    """Cells × types with people, straight from the parquet files (no kit code)."""
    proc = home / "data" / "processed"
    near = pd.read_parquet(proc / "nearest.parquet")
    rutor = pd.read_parquet(proc / "rutor.parquet")[["cell_id", "population", "pop_70plus"]]
    df = near.merge(rutor, on="cell_id")
    return df if lan is None else df[df["lan_kod"] == lan]


def _share(df: pd.DataFrame, col: str, limit: float, scale: float = 1000.0) -> float:
    """Share beyond ``limit``, compared at the kit's stated resolution (0,1 m; 0,01 min):
    a trip of 7 500,00001 m is 7,5 km, not beyond it (docs/definitions.md)."""
    res = 0.1 if scale == 1000.0 else 0.01
    d = (df[col] / res).round() * res / scale
    return float(100 * df.loc[d.isna() | (d > limit), "population"].sum() / df["population"].sum())


def _row_cells(html: str, service: str, kommun: str) -> list[str]:
    """The number cells of ``kommun``'s row in the table of ``service`` (one table per type)."""
    table = re.search(rf"<caption>{re.escape(service)}: (.*?)</table>", html, re.S)
    assert table, service
    m = re.search(rf"<tr><td>{re.escape(kommun)}</td>(.*?)</tr>", table.group(1))
    assert m, (service, kommun)
    return re.findall(r"<td class=num>(.*?)</td>", m.group(1))


def test_user_thresholds_match_a_brute_force_sum(demo_home):
    from lansanalys import LanReport, config

    rpt = LanReport("08", thresholds_km=(3, 10), p=config.Paths(demo_home))
    html = rpt.access_table().data
    assert "&gt; 3 km" in html and "Ej nåbar via väg" in html
    cells = _brute(demo_home, "08")
    for kod, namn in (("0821", "Högsby"), ("0880", "Kalmar")):
        mine = cells[(cells["kommun_kod"] == kod) & (cells["service_type"] == "dagligvaror")]
        row = _row_cells(html, "Dagligvaror", namn)
        # Shares are numbers with the unit in the column head ("> 3 km, %").
        assert row[1] == fmt.number(_share(mine, "road_m", 3), 1)
        assert row[2] == fmt.number(_share(mine, "road_m", 10), 1)
    lan = rpt.beyond("lan", (3, 7.5)).set_index("service_type")
    for stype in ("apotek", "kontantuttag"):
        mine = cells[cells["service_type"] == stype]
        assert lan.at[stype, "population_share_over_7.5km"] == pytest.approx(
            _share(mine, "road_m", 7.5)
        )


def test_access_matrix_at_any_threshold(demo_home):
    from lansanalys import LanReport, config

    fig = LanReport("08", p=config.Paths(demo_home)).fig_access_matrix(7)
    heat = fig.data[0]
    cells = _brute(demo_home, "08")
    names = dict(zip(["Högsby", "Kalmar"], ["0821", "0880"], strict=True))
    for name, kod in names.items():
        i = list(heat.y).index(name)
        j = list(heat.x).index("Apotek och apoteksombud")
        mine = cells[(cells["kommun_kod"] == kod) & (cells["service_type"] == "apotek")]
        assert heat.z[i][j] == pytest.approx(_share(mine, "road_m", 7))
    assert heat.colorbar.title.text == "> 7 km"


def test_riket_and_build_tables_count_unreachable_as_beyond(demo_home):
    from lansanalys import LanReport, config

    cells = _brute(demo_home)
    groc = cells[cells["service_type"] == "dagligvaror"]
    assert groc.loc[groc["road_m"].isna(), "population"].sum() > 0  # the demo has islands
    riket = pd.read_parquet(demo_home / "data" / "processed" / "access_riket.parquet")
    riket = riket.set_index("service_type")
    assert riket.at["dagligvaror", "population_share_over_10km"] == pytest.approx(
        _share(groc, "road_m", 10)
    )
    rpt = LanReport("08", p=config.Paths(demo_home))
    at7 = rpt.beyond("riket", (7,)).set_index("service_type")
    assert at7.at["dagligvaror", "population_share_over_7km"] == pytest.approx(
        _share(groc, "road_m", 7)
    )


def test_kommun_report_shows_unreachable_and_the_definition(demo_home):
    from lansanalys import KommunReport, config

    kom = KommunReport("0821", thresholds_km=(3, 10), p=config.Paths(demo_home))
    html = kom.access_table().data
    assert "Ej nåbar via väg" in html and "&gt; 3 km" in html
    assert "Medel, km" in html and "medelavstånd och medelrestid för dem som når servicen" in html
    cells = _brute(demo_home, "08")
    mine = cells[(cells["kommun_kod"] == "0821") & (cells["service_type"] == "drivmedel")]
    m = re.search(r"<tr><td>Drivmedel</td>(.*?)</tr>", html)
    assert re.findall(r"<td class=num>(.*?)</td>", m.group(1))[0] == fmt.number(
        _share(mine, "road_m", 3), 1
    )
    # The page's text (definitions open with their subject in bold): tags off, unescaped.
    about = unescape(re.sub(r"<[^>]+>", "", kom.about().data))
    assert access.BEYOND_DEFINITION in about
    # The second-nearest shares the report shows are defined there too, in the same words.
    assert text.closure_note(kom.meta) in about
    assert "Näst närmaste &gt; 10 km" in kom.second_nearest_table().data
    docs = (REPO / "docs" / "definitions.md").read_text(encoding="utf-8")
    assert access.BEYOND_DEFINITION in docs.replace("\n", " ")


def test_cash_table_says_the_rule_is_national(demo_home):
    from lansanalys import LanReport, config

    html = LanReport("08", p=config.Paths(demo_home)).cash_table().data
    assert "Gränsen gäller riket (lagens krav)" in html
    assert "länet och kommunerna jämförs med rikets gräns" in html
    assert "Kontantuttag &gt; 25 km, % (gräns 0,3 %)" in html
    assert "Dagskasseinsättning &gt; 25 km, % (gräns 1,22 %)" in html
    assert "Ej nåbar via väg, invånare" in html and "Inom gränsen" in html
    # Each area's share is set against the national limit: "0,12" then "inom" beside it.
    cells = re.findall(r"<td class=num>(\d+,\d\d)</td><td>(inom|över)</td>", html)
    assert len(cells) == 2 * (2 + 12), cells  # riket, the län and its 12 kommuner
    from lansanalys.services import CASH_RULE_LIMITS

    for i, (share, verdict) in enumerate(cells):
        value = float(share.replace(",", "."))
        limit = CASH_RULE_LIMITS[("kontantuttag", "dagskasseinsattning")[i % 2]]
        if abs(value - limit) > 0.005:  # a share rounded onto the limit could go either way
            assert (verdict == "över") == (value > limit), (share, verdict, limit)
    assert "Regeln" not in html


def test_bad_threshold_is_refused_up_front(demo_home):
    from lansanalys import LanReport, config

    with pytest.raises(ValueError, match="positive"):
        LanReport("08", thresholds_km=(0, 10), p=config.Paths(demo_home))
    with pytest.raises(ValueError, match="positive"):
        LanReport("08", p=config.Paths(demo_home)).fig_access_matrix(-1)


# --------------------------------------------------------------------------------------------
# A build with the user's classes and a grid without a 70+ band (SCB's open grid)


def _make_odd_home(demo_home: Path, home: Path) -> None:
    shutil.copytree(demo_home / "data" / "raw", home / "data" / "raw")
    gpkg = next((home / "data" / "raw" / "rutor").glob("*.gpkg"))
    grid = gpd.read_file(gpkg)
    layer = pyogrio.list_layers(gpkg)[0][0]
    gpkg.unlink()
    grid.drop(columns="ald70w").to_file(gpkg, layer=layer, driver="GPKG")
    r = subprocess.run(
        [str(Path(sys.executable).parent / "lansanalys"), "build", "--classes-min", "5,15,30"],
        capture_output=True,
        text=True,
        env={**os.environ, "LANSANALYS_HOME": str(home)},
        timeout=600,
    )
    assert r.returncode == 0, r.stderr


@pytest.fixture(scope="module")
def odd_home(demo_home, demo_world) -> Path:
    """The demo data with ``--classes-min 5,15,30`` and no ``ald70w`` column, built by the CLI
    (a shared world: built once, read-only)."""
    return demo_world("odd_home", lambda home: _make_odd_home(demo_home, home))


def _title_share(fig) -> str:
    return fig.layout.meta["title"].split(" av invånarna")[0]


def test_user_minute_classes_keep_the_10_minute_figures(odd_home):
    from lansanalys import KommunReport, LanReport, config, national_overview

    p = config.Paths(odd_home)
    rpt = LanReport("08", p=p)
    bounds = set(rpt.access_classes.loc[rpt.access_classes["metric"] == "bil", "upper"])
    assert 15.0 in bounds and 10.0 not in bounds  # the classes really are the user's
    cells = _brute(odd_home, "08")
    groc = cells[cells["service_type"] == "dagligvaror"]
    fig = rpt.fig_travel_time("dagligvaror")
    assert _title_share(fig) == fmt.percent(_share(groc, "road_min", 10, scale=1))
    assert "mer än 10 minuter" in fig.layout.meta["title"]
    hogsby = groc[groc["kommun_kod"] == "0821"]
    kfig = KommunReport("0821", p=p).fig_travel_time()
    assert _title_share(kfig) == fmt.percent(_share(hogsby, "road_min", 10, scale=1))
    # Per kommungrupp in the index: "> 10 min" from the cells, not the class from 15 minutes.
    html = national_overview(p).kommungrupp_table().data
    kl = pd.read_parquet(odd_home / "data" / "processed" / "klassning.parquet")
    group = kl.drop_duplicates("kommun_kod").set_index("kommun_kod")["class_name"]
    allc = _brute(odd_home)
    allc = allc[allc["service_type"] == "dagligvaror"].assign(
        g=lambda d: d["kommun_kod"].map(group)
    )
    for g, part in allc.groupby("g"):
        row = re.search(rf"<tr><td>{re.escape(g)}</td>(.*?)</tr>", html).group(1)
        values = re.findall(r"<td class=num>(.*?)</td>", row)
        assert values[2] == fmt.percent(_share(part, "road_min", 10, scale=1)), g


def test_grid_without_70_plus_says_uppgift_saknas(odd_home):
    from lansanalys import KommunReport, LanReport, config

    p = config.Paths(odd_home)
    acc = pd.read_parquet(odd_home / "data" / "processed" / "access_kommun.parquet")
    for col in ("pop_70plus_share_over_10km", "pop_70plus_median_km", "pop_70plus_median_min"):
        assert acc[col].isna().all(), col
    html = LanReport("08", p=p).access_table().data
    row = _row_cells(html, "Dagligvaror", "Högsby")
    assert "uppgift saknas" in row
    kom = KommunReport("0821", p=p).access_table().data
    assert kom.count("uppgift saknas") == 7  # one per service type, never 0,0 %
