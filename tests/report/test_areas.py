"""One set of chapters over riket, a län and a kommun (issue #18): every chapter is rendered for
each level on the demo build, and what it shows is checked against the processed tables
recomputed here with plain pandas."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import pytest
from IPython.display import HTML, Markdown

from lansanalys import catalogue, config
from lansanalys.report import Area, KommunReport, LanReport, Report, national_overview
from lansanalys.report.blocks import Table

#: Every chapter method of the facade that takes no argument.
CHAPTERS = [
    "title",
    "key_figures",
    "findings",
    "fig_pyramid",
    "fig_pyramid_then",
    "fig_trend",
    "fig_change_map",
    "fig_components",
    "age_table",
    "fig_projection",
    "projection_table",
    "orter_table",
    "fig_orter_map",
    "fig_distance_map",
    "access_table",
    "fig_access_matrix",
    "fig_travel_time",
    "fig_closure_map",
    "closure_chooser",
    "closure_table",
    "second_nearest_table",
    "scenario_closure",
    "cash_table",
    "support_table",
    "fig_support_map",
    "fig_support_programmes",
    "fig_support_vs_need",
    "kommun_profiles",
    "about",
]


def test_area_structure():
    hogsby = Area.of("0821")
    assert (hogsby.level, hogsby.name, hogsby.slug) == ("kommun", "Högsby", "0821-hogsby")
    assert [a.name for a in hogsby.lineage] == ["Högsby", "Kalmar län", "Riket"]
    assert hogsby.children == () and len(hogsby.siblings) == 12
    assert len(Area.riket().children) == 21 and Area.of("00") == Area.riket()
    assert Area.of(8) == Area.lan("08") and Area.of(821) == hogsby  # notebook parameters
    assert len(Area.lan("08").children) == 12 and Area.lan("08").parent == Area.riket()
    assert Area.lan("08").filters() == [("lan_kod", "==", "08")] and Area.riket().filters() is None


@pytest.mark.parametrize("code", ["00", "08", "0821"])
def test_every_chapter_renders_for_every_level(demo_home, code):
    rpt = Report(Area.of(code), p=config.Paths(demo_home))
    for name in CHAPTERS:
        out = getattr(rpt, name)()
        assert isinstance(out, go.Figure | Table | HTML | Markdown), (name, type(out))
        if isinstance(out, go.Figure):
            assert out.layout.title.text, name  # every figure says what it shows
            assert out.layout.meta["source"], name
        if isinstance(out, Table):
            assert len(out) and "<table" in out.data, name


def test_constructors_are_the_one_facade(demo_home):
    p = config.Paths(demo_home)
    assert type(LanReport("08", p=p)) is type(KommunReport("0821", p=p)) is Report
    assert national_overview(p).area == Area.riket()
    assert KommunReport(821, p=p).area.code == "0821"


def test_kommun_key_figures_compare_with_lan_riket_and_group(demo_home):
    p = config.Paths(demo_home)
    kom = KommunReport("0821", p=p)
    html = kom.key_figures().data
    ind = catalogue.read(p, "indicators").set_index(["level", "code"])
    kl = catalogue.read(p, "klassning").set_index("kommun_kod")
    group = kl.at["0821", "class_name"]
    pop = {
        "kommun": ind.loc[("kommun", "0821"), "population"],
        "län": ind.loc[("lan", "08"), "population"],
        "riket": ind.loc[("lan", "00"), "population"],
        "group": ind.loc[("kommungrupp", group), "population"],
    }
    fmt = lambda v: f"{int(round(v)):,}".replace(",", " ")  # noqa: E731
    for v in pop.values():
        assert fmt(v) in html
    # The group's figure is the sum over its kommuner (recomputed from the population table).
    bef = catalogue.read(p, "befolkning")
    last = bef[bef["year"] == bef["year"].max()]
    members = kl.index[kl["class_name"] == group]
    assert pop["group"] == pytest.approx(last[last["kommun_kod"].isin(members)]["population"].sum())
    assert "i länet" in html and "i kommungruppen" in html


def test_kommun_access_table_has_lan_and_riket(demo_home):
    p = config.Paths(demo_home)
    t = KommunReport("0821", p=p).access_table()
    assert list(t["Service"])[0] == "Dagligvaror"
    lan = catalogue.read(p, "access_lan").set_index(["lan_kod", "service_type"])
    col = [c for c in t.columns if c.startswith("> 10 km, Kalmar län")][0]
    assert t[col].iloc[0] == pytest.approx(
        lan.at[("08", "dagligvaror"), "population_share_over_10km"]
    )
    assert any("riket" in c for c in t.columns)
    # Numbers stay numbers in Python; the HTML shows them in Swedish format.
    assert t["> 10 km, %"].dtype.kind == "f"


def test_orter_add_up_to_the_kommun(demo_home):
    """Orter and 'utanför orter' add up to each kommun's grid population (recomputed)."""
    p = config.Paths(demo_home)
    orter = catalogue.read(p, "orter")
    rutor = catalogue.read(p, "rutor")
    total = rutor.groupby("kommun_kod")["population"].sum()
    got = orter.groupby("kommun_kod")["population"].sum()
    pd.testing.assert_series_equal(got.sort_index(), total.sort_index(), check_names=False)
    assert (orter.groupby("kommun_kod")["kind"].apply(lambda k: (k == "utanför").sum()) == 1).all()
    t = KommunReport("0821", p=p).orter_table()
    assert t["Ort"].iloc[-1] == "Utanför orter"
    assert t["Invånare"].sum() == total["0821"]
    assert "ungefärliga orter" in t.source  # says which basis was used


def test_kommun_closure_is_its_own_and_scenario_matches_the_ranking(demo_home):
    p = config.Paths(demo_home)
    kom = KommunReport("0821", p=p)
    table = kom.closure_table()
    assert set(table["Kommun"]) == {"Högsby"}
    closure = catalogue.read(p, "closure")
    mine = closure[(closure["kommun_kod"] == "0821") & (closure["service_type"] == "dagligvaror")]
    top = mine.sort_values(["pushed_beyond", "served", "point_id"], ascending=[False, False, True])
    assert table["Id"].iloc[0] == top["point_id"].iloc[0]
    scen = kom.scenario_closure()
    # People the closure adds beyond 10 km = the ranking's figure for that point.
    assert scen["Skillnad"].iloc[0] == pytest.approx(top["pushed_beyond"].iloc[0])
    # A named point is computed now, with the same definition.
    other = top["point_id"].iloc[1]
    named = kom.scenario_closure(point_id=other)
    assert named["Skillnad"].iloc[0] == pytest.approx(top["pushed_beyond"].iloc[1])
    with pytest.raises(KeyError, match="no dagligvaror point"):
        kom.scenario_closure(point_id="NOPE")


def test_chooser_labels_are_unique(demo_home):
    p = config.Paths(demo_home)
    html = LanReport("25", p=p).closure_chooser().data
    import re

    labels = re.findall(r"<option[^>]*>([^<]*)</option>", html)
    assert len(labels) == len(set(labels)) > 10


def test_riket_uses_the_same_chapters_over_the_lan(demo_home):
    p = config.Paths(demo_home)
    rik = national_overview(p)
    fig = rik.fig_support_map()
    assert len([t for t in fig.data if t.type == "bar"]) >= 1
    profiles = rik.kommun_profiles()
    assert len(profiles) == 22  # 21 län and riket
    assert profiles["Folkmängd"].iloc[:21].sum() == pytest.approx(profiles["Folkmängd"].iloc[21])
