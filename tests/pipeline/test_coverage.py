"""Service coverage: files without some types, files for some län only, the last point closed.

Issue #10: a Pipos download without kontantuttag, betalningsförmedling and dagskasseinsättning
crashed the build; a service file fetched for one län was measured as if it covered the whole
country. Areas and types without data get no figure (NaN in the tables, "uppgift saknas" in the
reports), and riket stands for the län that have data.
"""

from __future__ import annotations

import shutil
from functools import lru_cache
from pathlib import Path

import geopandas as gpd
import nbformat
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from lansanalys import geo, pipeline, render
from lansanalys.analysis import access
from lansanalys.analysis.network import RoadNetwork
from lansanalys.cli import app
from lansanalys.config import Paths
from lansanalys.errors import BuildError
from lansanalys.pipeline import coverage
from lansanalys.provenance import load_sources, record_source, save_sources
from lansanalys.report import KommunReport, LanReport, national_overview
from lansanalys.services import SERVICE_TYPES

DEMO_SERVICE = "service/demo_pipos_serviceanalys.csv"
LACKING = ["kontantuttag", "betalningsformedling", "dagskasseinsattning"]
LACKING_LABELS = ("Kontantuttag", "Betalningsförmedling", "Dagskasseinsättning")


# --------------------------------------------------------------------------------------------
# service_coverage on small worlds


@lru_cache(maxsize=1)
def _inside() -> dict[str, tuple[float, float]]:
    """A point inside each kommun (SWEREF 99 TM)."""
    kom = geo.kommun_geometry()
    pts = kom.geometry.representative_point()
    return {k: (p.x, p.y) for k, p in zip(kom["kommun_kod"], pts, strict=True)}


def _points(file: str, kommuner, types) -> pd.DataFrame:
    """One point of each type in each kommun (inside it), all from ``file``."""
    xy = _inside()
    return pd.DataFrame(
        [(file, t, k, *xy[k]) for k in kommuner for t in types],
        columns=["file", "service_type", "kommun_kod", "x", "y"],
    )


def _covered(cov: pd.DataFrame, stype: str) -> set[str]:
    return set(cov.loc[cov["covered"] & (cov["service_type"] == stype), "lan_kod"])


def test_national_file_covers_every_lan_for_the_types_it_holds_only():
    pts = _points("service/pipos.csv", geo.kommun_codes(), ["dagligvaror", "apotek"])
    cov = coverage.service_coverage(pts, {"service/pipos.csv": {}})
    assert len(cov) == 21 * 7 and not cov.duplicated(["lan_kod", "service_type"]).any()
    assert _covered(cov, "dagligvaror") == _covered(cov, "apotek") == set(geo.lan_codes())
    assert set(cov.loc[cov["covered"], "basis"]) == {"inferred"}
    missing = cov[~cov["covered"]]
    assert set(missing["service_type"]) == set(SERVICE_TYPES) - {"dagligvaror", "apotek"}
    assert set(missing["reason"]) == {"serviceslaget saknas i punktfilerna"}


def test_a_national_file_covers_a_kommun_without_points():
    # Points in every län: a national file. A kommun without a point of the type (common for
    # day-cash deposit) has none nearby, which is a finding, not missing data.
    kom = [k for k in geo.kommun_codes() if k != "0821"]  # no point in Högsby
    cov = coverage.service_coverage(_points("service/a.csv", kom, ["dagskasseinsattning"]), {})
    assert _covered(cov, "dagskasseinsattning") == set(geo.lan_codes())


def test_a_lan_without_points_leaves_it_and_its_near_neighbours_uncovered():
    kom = [k for k in geo.kommun_codes() if not k.startswith("08")]  # nothing in Kalmar län
    cov = coverage.service_coverage(_points("service/a.csv", kom, ["dagligvaror"]), {})
    got = _covered(cov, "dagligvaror")
    assert "08" not in got and got == set(geo.lan_codes()) - {"08"}
    # Kalmar län's neighbours are whole in the file but their border cells lack the points
    # across the border: covered as an extract, which the report says; far län are unaffected.
    basis = cov[cov["service_type"] == "dagligvaror"].set_index("lan_kod")["basis"]
    assert set(basis[["06", "07", "10"]]) == {"extract"}
    assert set(basis[["01", "09", "13", "25"]]) == {"inferred"}
    row = cov.set_index(["lan_kod", "service_type"]).loc[("08", "dagligvaror")]
    assert row["reason"] == "punktfilerna täcker inte länet" and row["source"] == ""


def test_points_in_a_buffer_zone_do_not_cover_the_neighbouring_lan():
    # A file of Kalmar län and 50 km around it: every kommun reaching into the zone has points.
    kom = geo.kommun_geometry()
    lan = geo.lan_geometry().set_index("lan_kod").geometry
    zone = kom[kom.intersects(lan["08"].buffer(50_000))]
    neighbours = set(zone["lan_kod"]) - {"08"}
    assert {"06", "07", "10", "05"} <= neighbours  # the zone reaches into four län
    cov = coverage.service_coverage(_points("service/b.json", zone["kommun_kod"], ["apotek"]), {})
    assert _covered(cov, "apotek") == {"08"}


def test_a_file_of_whole_lan_covers_them_as_an_extract():
    pts = _points("service/c.csv", geo.kommun_codes("08") + geo.kommun_codes("10"), ["apotek"])
    cov = coverage.service_coverage(pts, {})
    assert _covered(cov, "apotek") == {"08", "10"}
    # Its border cells lack the points across the border: the basis says so.
    assert set(cov.loc[cov["covered"], "basis"]) == {"extract"}
    # One stray point in a third län cuts through it: no longer whole län, and 08 and 10 lack
    # the points around them, so nothing is inferred (declare the coverage instead).
    stray = pd.concat([pts, _points("service/c.csv", ["0764"], ["apotek"])])
    assert _covered(coverage.service_coverage(stray, {}), "apotek") == set()
    cov = coverage.service_coverage(stray, {"service/c.csv": {"lan": ["08"]}})
    assert _covered(cov, "apotek") == {"08"}
    # A store just across the border (3 km) is a whole-län extract still; 12 km is not.
    for km, want in ((3, {"08", "10"}), (12, set())):
        x, y = _across_border("08", km)
        spill = pd.DataFrame([("service/c.csv", "apotek", "0765", x, y)], columns=pts.columns)
        got = coverage.service_coverage(pd.concat([pts, spill]), {})
        assert _covered(got, "apotek") == want, km


def _across_border(lan: str, km: float) -> tuple[float, float]:
    """A point on land in another län, ``km`` km from ``lan``'s boundary (SWEREF 99 TM)."""
    gdf = geo.lan_geometry()
    shape = gdf.loc[gdf["lan_kod"] == lan, "geometry"].iloc[0]
    others = gdf[~gdf["lan_kod"].isin([lan, "10"])].union_all()
    ring = shape.buffer(km * 1000).exterior
    for i in range(400):
        pt = ring.interpolate(i / 400, normalized=True)
        if others.contains(pt.buffer(1000)):
            assert abs(shape.distance(pt) - km * 1000) < 200
            return pt.x, pt.y
    raise AssertionError(f"no land {km} km outside län {lan}")


def test_declared_coverage_wins_over_inference():
    pts = _points("service/d.json", geo.kommun_codes(), ["dagligvaror", "apotek"])
    cov = coverage.service_coverage(pts, {"service/d.json": {"lan": ["08", "10"]}})
    assert _covered(cov, "dagligvaror") == _covered(cov, "apotek") == {"08", "10"}
    assert set(cov.loc[cov["covered"], "basis"]) == {"declared"}
    assert set(cov.loc[cov["covered"], "source"]) == {"service/d.json"}
    # Declared types too: a type the file holds no point of may be declared complete (none).
    cov = coverage.service_coverage(
        pts, {"service/d.json": {"lan": "08", "service_types": ["dagligvaror", "kontantuttag"]}}
    )
    assert _covered(cov, "kontantuttag") == {"08"} and _covered(cov, "apotek") == set()


@pytest.mark.parametrize(
    "entry, what",
    [({"lan": ["8"]}, "lan ['8']"), ({"lan": ["08"], "service_types": ["bank"]}, "service_types")],
)
def test_a_bad_declaration_is_one_clear_error(entry, what):
    pts = _points("service/e.csv", ["0821"], ["dagligvaror"])
    with pytest.raises(BuildError, match="SOURCES.yml, entry 'service/e.csv'") as exc:
        coverage.service_coverage(pts, {"service/e.csv": entry})
    assert what in str(exc.value) and "expected a list of codes" in str(exc.value)


@pytest.fixture(scope="module")
def near() -> dict[str, set[str]]:
    return coverage.kommuner_near_lan()


SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@SETTINGS
@given(st.data())
def test_inferred_coverage_needs_every_kommun_of_the_lan(near, data):
    codes = geo.kommun_codes()
    kom = set(codes) - data.draw(st.sets(st.sampled_from(codes), max_size=40))
    got = _covered(coverage.service_coverage(_points("f", kom, ["apotek"]), {}, near), "apotek")
    if {k[:2] for k in kom} == set(geo.lan_codes()):
        assert got == set(geo.lan_codes())  # points in every län: a national file
        return
    for lan in got:  # otherwise a covered län has a point in each of its kommuner
        assert set(geo.kommun_codes(lan)) <= kom
    # A län whose own kommuner and those within 20 km all have points is always covered.
    assert {c for c in geo.lan_codes() if near[c] <= kom} <= got


@SETTINGS
@given(st.sets(st.sampled_from(geo.lan_codes()), min_size=1))
def test_a_file_of_whole_lan_covers_exactly_those_lan(near, lans):
    kom = [k for c in sorted(lans) for k in geo.kommun_codes(c)]
    cov = coverage.service_coverage(_points("f", kom, ["post_paket"]), {}, near)
    assert _covered(cov, "post_paket") == lans


def test_demo_data_cover_every_lan_and_type(demo_home):
    cov = pd.read_parquet(demo_home / "data" / "processed" / "coverage.parquet")
    assert len(cov) == 21 * 7 and cov["covered"].all()
    assert LanReport("08", p=Paths(demo_home)).access_source().count("i hela landet") == 1


# --------------------------------------------------------------------------------------------
# What-if: the last point of a type removed


CELLS = pd.DataFrame({"cell_id": ["a", "b", "c"], "x": [0.0, 1000.0, 2000.0], "y": [0.0] * 3})
POINTS = pd.DataFrame(
    {
        "point_id": ["g1", "g2", "p1"],
        "service_type": ["dagligvaror", "dagligvaror", "apotek"],
        "x": [0.0, 2000.0, 1000.0],
        "y": [0.0, 0.0, 0.0],
    }
)


def test_what_if_removing_the_last_point_gives_no_distance_never_zero():
    out = access.what_if(CELLS, POINTS, remove=["p1"], service_types=["apotek"])
    assert len(out) == 3 and set(out["service_type"]) == {"apotek"}
    assert out["dist_m"].isna().all() and out["point_id"].isna().all()
    # Every type: the other type is measured as before (hand: 0, 1000, 0 m).
    out = access.what_if(CELLS, POINTS, remove=["p1"]).set_index(["service_type", "cell_id"])
    assert out.loc["dagligvaror", "dist_m"].tolist() == [0.0, 1000.0, 0.0]
    assert out.loc["apotek", "dist_m"].isna().all()


def test_what_if_by_road_removing_the_last_point_leaves_every_cell_unreachable():
    nodes = pd.DataFrame({"x": [0.0, 1000.0, 2000.0], "y": [0.0, 0.0, 0.0]})
    edges = pd.DataFrame(
        {"u": [0, 1], "v": [1, 2], "length_m": [1000.0] * 2, "speed_kmh": [60.0] * 2}
    )
    net = RoadNetwork(nodes, edges)
    out = access.what_if(CELLS, POINTS, remove=["p1"], net=net).set_index(
        ["service_type", "cell_id"]
    )
    gone = out.loc["apotek"]
    assert (~gone["reachable"]).all() and gone["road_m"].isna().all()
    assert gone["road_min"].isna().all()
    assert out.loc["dagligvaror", "road_m"].round(3).tolist() == [0.0, 1000.0, 0.0]


# --------------------------------------------------------------------------------------------
# Whole builds


def _copy_home(demo_home: Path, dest: Path) -> Paths:
    shutil.copytree(demo_home / "data" / "raw", dest / "data" / "raw")
    return Paths(dest)


def _replace_service(p: Paths, df: pd.DataFrame, name: str, **entry) -> Path:
    """Swap the demo service file for a real one (``df`` in Pipos' format) with its entry."""
    (p.raw / DEMO_SERVICE).unlink()
    files = load_sources(p)
    del files[DEMO_SERVICE]
    save_sources(p, files)
    path = p.raw_kind("service") / name
    df.to_csv(path, sep=";", index=False, encoding="cp1252", lineterminator="\r\n")
    record_source(
        p, path, kind="service", demo=False, source="Pipos Serviceanalys", licence="",
        url="", table="", year=2024, retrieved="2026-11-23", **entry,
    )  # fmt: skip
    return path


def _demo_points(demo_home: Path) -> pd.DataFrame:
    df = pd.read_csv(
        demo_home / "data" / "raw" / DEMO_SERVICE, sep=";", encoding="cp1252", dtype=str
    )
    return df.assign(**{"Källa": "Pipos"})


def _processed(p: Paths, name: str) -> pd.DataFrame:
    return pd.read_parquet(p.processed / f"{name}.parquet")


@pytest.fixture(scope="module")
def lacking(demo_home: Path, demo_world) -> Paths:
    """The demo points without kontantuttag, betalningsförmedling and dagskasseinsättning
    (a shared world: built once, read-only)."""
    pts = _demo_points(demo_home)
    keep = ~pts["Serviceslag"].isin(LACKING_LABELS)
    assert (~keep).sum() > 1000  # the file really had them

    def make(home: Path) -> None:
        p = _copy_home(demo_home, home)
        _replace_service(p, pts[keep], "pipos_utan_kontanter.csv")
        with pytest.MonkeyPatch.context() as mp:  # the command users run, not only the function
            mp.setenv("LANSANALYS_HOME", str(p.root))
            res = CliRunner().invoke(app, ["build", "--force"])
        assert res.exit_code == 0, res.output
        (home / "build_output.txt").write_text(res.output, encoding="utf-8")

    home = demo_world("lacking", make)
    lacking_build_output.append((home / "build_output.txt").read_text(encoding="utf-8"))
    return Paths(home)


lacking_build_output: list[str] = []


#: Kalmar län and the buffer ``fetch service`` takes around it.
BUFFER_M = 50_000


@pytest.fixture(scope="module")
def one_lan(demo_home: Path, demo_world) -> Paths:
    """The demo points inside Kalmar län and 50 km around it, declared as covering Kalmar län;
    of apotek only one point is kept, in Kalmar län, for the closure scenario (a shared world:
    built once, read-only)."""

    def make(home: Path) -> None:
        p = _copy_home(demo_home, home)
        pts = _demo_points(demo_home)
        area = geo.lan_geometry().set_index("lan_kod").geometry["08"].buffer(BUFFER_M)
        inside = gpd.points_from_xy(pts["X"].astype(float), pts["Y"].astype(float)).within(area)
        pts = pts[inside]
        apotek = pts["Serviceslag"].str.startswith("Apotek")
        first = pts[apotek & pts["Kommunkod"].str.startswith("08")].index[0]
        pts = pts[~apotek | (pts.index == first)]
        _replace_service(p, pts, "pipos_kalmar.csv", lan=["08"])
        pipeline.build(p, force=True)

    return Paths(demo_world("one_lan", make))


def test_service_file_lacking_three_types_builds_without_them(lacking):
    (out,) = lacking_build_output
    assert (
        "build: no access figures where the service files have no data: kontantuttag (not " in out
    )
    cov = _processed(lacking, "coverage")
    for t in LACKING:
        assert _covered(cov, t) == set()
    assert set(cov.loc[cov["service_type"].isin(LACKING), "reason"]) == {
        "serviceslaget saknas i punktfilerna"
    }
    present = set(SERVICE_TYPES) - set(LACKING)
    for name in ("nearest", "access_kommun", "access_lan", "access_riket", "access_klasser"):
        assert set(_processed(lacking, name)["service_type"]) == present, name
    assert _processed(lacking, "cash_rule").empty  # no cash service: no cash rule figure
    lan = _processed(lacking, "access_lan")
    assert len(lan) == 21 * 4 and lan["population_share_over_10km"].notna().all()


def test_reports_say_uppgift_saknas_for_the_missing_types(lacking):
    rpt = LanReport("08", p=lacking)
    cash = rpt.cash_table().data
    assert "Uppgift saknas för kontantuttag och dagskasseinsättning" in cash
    assert "serviceslaget finns inte i servicefilerna" in cash and "%" not in cash
    table = rpt.access_table().data
    for label in LACKING_LABELS:  # no table of their own, one sentence that names them
        assert f"<caption>{label}:" not in table
        assert label.lower() in table.split('<p class="la-missing">')[1].lower()
    assert "<caption>Dagligvaror:" in table and "Uppgift saknas" in table
    assert rpt.fig_distance_map("kontantuttag").data.startswith("*Uppgift saknas för kontantuttag")
    assert rpt.fig_travel_time("betalningsformedling").data.startswith("*Uppgift saknas")
    assert rpt.closure_table("dagskasseinsattning").data.startswith("*Uppgift saknas")
    matrix = rpt.fig_access_matrix(10)
    assert [c for c in matrix.data[0].x] == ["Dagligvaror", "Drivmedel", "Apotek och apoteksombud", "Post och paket"]  # fmt: skip
    kom = KommunReport("0821", p=lacking).access_table().data
    for label in LACKING_LABELS:  # no row of their own, one sentence that names them
        assert f"<td>{label}</td>" not in kom
        assert label.lower() in kom.split('<p class="la-missing">')[1].lower()
    bars = KommunReport("0821", p=lacking).fig_travel_time()
    assert set(bars.to_dict()["data"][0]["y"]) <= {SERVICE_TYPES[t] for t in SERVICE_TYPES if t not in LACKING}  # fmt: skip
    rik = national_overview(lacking).kommungrupp_table().data
    assert "Uppgift saknas för kontantuttag" in rik


def test_rendered_lan_report_says_uppgift_saknas(lacking, tmp_path, monkeypatch):
    monkeypatch.setenv("LANSANALYS_HOME", str(lacking.root))
    out = tmp_path / "reports"
    (outcome,) = render.render(
        render.default_jobs(["08"], index=False), out=out, workers=1, progress=False
    )
    assert outcome.status == "rendered", render.summary([outcome])
    html = (out / "08-kalmar-lan.html").read_text(encoding="utf-8")
    assert "Uppgift saknas för kontantuttag och dagskasseinsättning" in html
    # The access tables: one per type with data; the types without say so in one sentence.
    assert '<caption><span class="la-number">' not in html  # numbered in the browser only
    assert "<caption>Dagligvaror:" in html and "<caption>Dagskasseinsättning:" not in html
    assert '<p class="la-missing"><em>Uppgift saknas' in html
    nb = nbformat.read(out / "_executed" / "08-kalmar-lan.ipynb", as_version=4)
    for cell in nb.cells:
        for o in cell.get("outputs", []):
            assert o["output_type"] != "error", o


def test_one_lan_file_gives_no_figures_elsewhere(one_lan):
    cov = _processed(one_lan, "coverage")
    for t in SERVICE_TYPES:  # the zone holds a point of every type
        assert _covered(cov, t) == {"08"}, t
    assert set(cov.loc[cov["covered"], "basis"]) == {"declared"}
    lan = _processed(one_lan, "access_lan").set_index("lan_kod")
    figures = [c for c in lan.columns if c != "service_type"]
    assert lan.drop(index="08")[figures].isna().all().all()
    assert lan.loc["08", "population_share_over_10km"].notna().all()
    kom = _processed(one_lan, "access_kommun")
    outside = ~kom["kommun_kod"].str.startswith("08")
    assert kom.loc[outside, "mean_km"].isna().all() and len(kom) == 290 * 7
    cls = _processed(one_lan, "access_klasser")
    cls = cls[cls["level"].isin(["kommun", "lan"])]
    assert cls.loc[~cls["code"].str.startswith("08"), "population"].isna().all()
    cash = _processed(one_lan, "cash_rule")
    assert (
        cash.loc[cash["level"] == "lan"]
        .set_index("code")
        .drop(index="08")["share_over_25km"]
        .isna()
        .all()
    )
    # Only Kalmar län's cells are measured: no distance to Kalmar's stores from elsewhere.
    near = _processed(one_lan, "nearest")
    assert set(near["lan_kod"]) == {"08"}


def test_one_lan_riket_is_the_covered_lan_only(one_lan):
    lan = _processed(one_lan, "access_lan").set_index(["lan_kod", "service_type"])
    rik = _processed(one_lan, "access_riket").set_index("service_type")
    for t in rik.index:
        assert rik.at[t, "population"] == lan.at[("08", t), "population"]
        assert rik.at[t, "population_share_over_10km"] == pytest.approx(
            lan.at[("08", t), "population_share_over_10km"]
        )
    grp = _processed(one_lan, "access_kommungrupp")
    assert (
        grp.loc[grp["service_type"] == "dagligvaror", "population"].sum()
        == lan.at[("08", "dagligvaror"), "population"]
    )


def test_one_lan_figures_equal_those_of_the_national_file(one_lan, demo_home):
    """Kalmar län measured from its own points and 50 km around equals the national build
    (apotek left out: the one-län file keeps a single pharmacy)."""
    mine = _processed(one_lan, "access_kommun")
    national = pd.read_parquet(demo_home / "data" / "processed" / "access_kommun.parquet")
    key = ["kommun_kod", "service_type"]
    a = mine[mine["kommun_kod"].str.startswith("08") & (mine["service_type"] != "apotek")]
    b = national[national["kommun_kod"].str.startswith("08") & national["service_type"].isin(a["service_type"])]  # fmt: skip
    a, b = a.sort_values(key).reset_index(drop=True), b.sort_values(key).reset_index(drop=True)
    assert len(a) == 12 * 6  # 12 kommuner × 6 types
    pd.testing.assert_frame_equal(a, b[a.columns], check_dtype=False)


def test_one_lan_reports_say_what_is_missing_and_what_riket_is(one_lan):
    other = LanReport("01", p=one_lan)
    assert other.covered("dagligvaror") is False
    note = other.fig_distance_map().data
    assert "Uppgift saknas för dagligvaror i Stockholms län" in note
    assert "servicefilerna täcker inte området" in note
    assert other.access_table().data.startswith("*Uppgift saknas")
    assert "uppgift saknas" in other.key_figures().data
    kalmar = LanReport("08", p=one_lan)
    assert kalmar.covered("dagligvaror") and not LanReport("10", p=one_lan).covered("apotek")
    cards = kalmar.key_figures().data
    assert "Riket: de län som har uppgifter, 1 av 21" in cards
    assert "i hela landet" not in kalmar.access_source()
    about = kalmar.about().data
    assert "söks i hela landet" not in about and "dagligvaror: 1 av 21 län (Kalmar län)" in about
    assert "dagligvaror 1 av 21 län" in KommunReport("0821", p=one_lan).access_table().data
    rik = national_overview(one_lan)
    ranked = rik.ranked_table().data
    assert (
        # Per län without data: the share and, beside it, the number unreachable by road.
        ranked.count("<td class=num>uppgift saknas</td>") == 2 * 20
        and "bland de 1 län som har uppgifter" in ranked
    )
    fig = rik.fig_indicator("grocery_over_10")
    assert "Uppgift saknas för 20 län" in str(fig.to_dict())
    assert "i de län som har uppgifter" in rik.kommungrupp_table().data


def test_closing_the_last_point_of_a_type_is_said_not_measured(one_lan):
    out = LanReport("08", p=one_lan).scenario_closure("apotek")
    text = out.data
    assert text.startswith("*Om ") and "ingen annan punkt av slaget apotek" in text
    assert "0,0" not in text and "km fågelvägen" not in text
    # The build's closure ranking has the one pharmacy, with a figure (no crash, no NaN).
    clo = _processed(one_lan, "closure")
    assert len(clo[clo["service_type"] == "apotek"]) == 1
    assert np.isfinite(clo["pushed_beyond"]).all()
