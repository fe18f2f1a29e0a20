"""The programme group report against a recomputation from the processed tables in plain pandas,
properties of any group (group + rest = riket), and the consumption of ``access_years`` (a
hand-made table per the #20 contract)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lansanalys import config, geo
from lansanalys.demo.writers import KFS_KOMMUNER
from lansanalys.report.chapters import programme
from lansanalys.report.group_data import Group, GroupData

KFS = "kommuner-for-serviceutveckling"


def _processed(home, name: str) -> pd.DataFrame:
    return pd.read_parquet(home / "data" / "processed" / f"{name}.parquet")


@pytest.fixture(scope="module")
def plain(demo_home):
    """The processed tables, read with pandas alone."""
    bef = _processed(demo_home, "befolkning")
    return {
        "people": bef.groupby(["kommun_kod", "year"])["population"].sum(min_count=1),
        "grupper": _processed(demo_home, "grupper"),
        "stod": _processed(demo_home, "stod"),
        "typ": _processed(demo_home, "kommuntyp").set_index("kommun_kod")["typ6_name"],
        "years": sorted(int(y) for y in bef["year"].unique()),
    }


@pytest.fixture(scope="module")
def kfs(demo_home):
    return GroupData(KFS, config.Paths(demo_home))


def _people(plain, codes, year) -> float:
    return float(plain["people"].loc[[(k, year) for k in codes]].sum())


def test_the_demo_group_is_kfs_with_its_23_real_kommuner(plain):
    g = plain["grupper"]
    assert set(g["group_id"]) == {KFS}
    assert (g["period_start"] == 2022).all() and (g["period_end"] == 2025).all()
    assert sorted(g["kommun_kod"]) == sorted(geo.resolve_kommun(n) for n in KFS_KOMMUNER)


def test_the_demo_records_the_list_as_tillvaxtverkets_not_as_demo_data(demo_home):
    from lansanalys.provenance import load_sources
    from lansanalys.sources import files

    p = config.Paths(demo_home)
    (f,) = files.raw_files(p, "grupper")
    entry = load_sources(p)[f.relative_to(p.raw).as_posix()]
    assert entry["demo"] is False and "Tillväxtverket" in entry["source"]
    assert not files.is_demo(f, load_sources(p), p)
    meta = json.loads((p.processed / "meta.json").read_text(encoding="utf-8"))
    assert meta["kinds"]["grupper"]["demo"] is False


def test_population_table_matches_plain_pandas(kfs, plain):
    members = sorted(plain["grupper"]["kommun_kod"])
    rest = sorted(set(geo.kommun_codes()) - set(members))
    years = plain["years"]
    base = max(y for y in years if y < 2022)
    first = min(y for y in years if y >= base - 10)
    last = max(y for y in years if y <= 2025)

    def annual(codes, a, b):
        return 100 * ((_people(plain, codes, b) / _people(plain, codes, a)) ** (1 / (b - a)) - 1)

    # Comparable: each type's kommuner outside the group, weighted by the group's people.
    typ = plain["typ"]
    types = sorted({typ[k] for k in members})
    w = {t: _people(plain, [k for k in members if typ[k] == t], last) for t in types}
    total = sum(w.values())

    def comparable(a, b):
        return sum(w[t] / total * annual([k for k in rest if typ[k] == t], a, b) for t in types)

    t = programme.population_table(kfs).set_index("Område")
    assert list(t.index) == ["Gruppen", "Övriga riket", "Jämförbara kommuner", "Riket"]
    for name, codes in (("Gruppen", members), ("Övriga riket", rest)):
        assert t.at[name, f"Folkmängd {last}"] == _people(plain, codes, last)
        assert t.at[name, f"Folkmängd {base}"] == _people(plain, codes, base)
        assert t.at[name, f"Förändring per år {first}–{base}"] == pytest.approx(
            annual(codes, first, base), rel=1e-9
        )
        assert t.at[name, f"Förändring per år {base}–{last}"] == pytest.approx(
            annual(codes, base, last), rel=1e-9
        )
    assert t.at["Jämförbara kommuner", f"Förändring per år {base}–{last}"] == pytest.approx(
        comparable(base, last), rel=1e-9
    )
    assert np.isnan(t.at["Jämförbara kommuner", f"Folkmängd {last}"])  # a weighted mix: none


def test_support_table_matches_plain_pandas(kfs, plain, demo_home):
    meta = json.loads((demo_home / "data" / "processed" / "meta.json").read_text())
    s0, s1 = meta["years"]["stod"]
    members = sorted(plain["grupper"]["kommun_kod"])
    rest = sorted(set(geo.kommun_codes()) - set(members))
    grants = plain["stod"]

    def rate(codes, a, b, programme_name=None):
        g = grants[grants["kommun_kod"].isin(codes) & grants["year"].between(a, b)]
        if programme_name:
            g = g[g["programme"] == programme_name]
        person_years = sum(_people(plain, codes, y) for y in range(a, b + 1))
        return g["amount_sek"].sum() / person_years

    t = programme.support_table(kfs).set_index("Program")
    before, during = (s0, 2021), (2022, min(2025, s1))
    prog = grants.groupby("programme")["amount_sek"].sum().idxmax()
    for name, codes in (("Gruppen", members), ("Övriga riket", rest)):
        for when, (a, b) in (("före", before), ("under", during)):
            col = f"{name}, {when} ({a}–{b})"
            assert t.at["Alla program", col] == pytest.approx(rate(codes, a, b), rel=1e-9)
            assert t.at[prog, col] == pytest.approx(rate(codes, a, b, prog), rel=1e-9)


def test_members_link_to_their_reports_where_the_set_has_them(kfs):
    config.set_render_context({"linkable": ["0821-hogsby.html", "08-kalmar-lan.html"]})
    try:
        t = programme.members_table(kfs)
        html = t.data
    finally:
        config.set_render_context({})
    links = dict(zip(t["Kommun"], t.links["Kommun"], strict=True))
    lan_links = dict(zip(t["Kommun"], t.links["Län"], strict=True))
    assert len(t) == 23 and set(t["Kommun"]) == set(KFS_KOMMUNER)
    assert links["Högsby"] == "0821-hogsby.html" and links["Mörbylånga"] is None
    assert lan_links["Mörbylånga"] == "08-kalmar-lan.html" and lan_links["Sorsele"] is None
    assert '<a href="0821-hogsby.html">Högsby</a>' in html
    assert 'href="2422-sorsele.html"' not in html  # no link to a report not in the set


def test_the_demo_service_history_agrees_with_plain_pandas(kfs, demo_home):
    """The demo has several service years: the group's openings, closures and shares beyond
    10 km are the sums and people-weighted means of access_years' kommun rows."""
    ay = _processed(demo_home, "access_years")
    ay = ay[(ay["level"] == "kommun") & (ay["service_type"] == "dagligvaror")]
    years = sorted(int(y) for y in ay["year"].unique())
    assert len(years) > 1
    members = list(kfs.members)
    base = max(y for y in years if y <= kfs.group.start)
    last = max(y for y in years if y <= kfs.group.end)
    t = programme.service_table(kfs)
    t = t[t["Service"] == "Dagligvaror"].set_index("Område")
    mine = ay[ay["code"].isin(members)]
    during = mine[(mine["year"] > base) & (mine["year"] <= last)]
    for word, col in (("Öppnade", "opened"), ("Stängda", "closed")):
        assert t.at["Gruppen", f"{word} under ({base}–{last}), antal"] == float(during[col].sum())
    now = mine[mine["year"] == last]
    share = (now["population_share_over_10km"] * now["population"]).sum() / now["population"].sum()
    assert t.at["Gruppen", f"Andel > 10 km {last}"] == pytest.approx(share, rel=1e-9)
    assert "bara ett års servicepunkter" not in programme.findings(kfs).data


def test_one_service_year_says_so_and_shows_no_change(home_copy):
    processed = home_copy / "data" / "processed"
    (processed / "access_years.parquet").unlink()
    meta = json.loads((processed / "meta.json").read_text(encoding="utf-8"))
    meta["service_years"] = [2024]
    (processed / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    g = GroupData(KFS, config.Paths(home_copy))
    out = programme.service_table(g)
    assert "Uppgift saknas: bara ett års servicepunkter" in out.data
    assert "bara ett års servicepunkter" in programme.findings(g).data


# ---- any group: group + rest = riket ------------------------------------------------------------

CODES = geo.kommun_codes()


@settings(max_examples=20, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    members=st.sets(st.sampled_from(CODES), min_size=1, max_size=len(CODES)),
    start=st.integers(2015, 2026),
    length=st.integers(0, 4),
)
def test_group_and_rest_add_up_to_riket(demo_home, members, start, length):
    g = GroupData(
        Group("x", "X", start, start + length, tuple(sorted(members))), config.Paths(demo_home)
    )
    year = g.year
    assert g.population(g.members, year) + (
        g.population(g.rest, year) if g.rest else 0.0
    ) == g.population(CODES, year)
    for when in ("före", "under"):
        money, years = g.support_parts(g.members, None, when)
        if np.isnan(money):  # no support years on this side of the period
            assert g.support_windows[when].first is None
            continue
        rest = g.support_parts(g.rest, None, when) if g.rest else (0.0, 0.0)
        whole = g.support_parts(CODES, None, when)
        assert money + rest[0] == pytest.approx(whole[0], rel=1e-12)
        assert years + rest[1] == pytest.approx(whole[1], rel=1e-12)


def test_a_group_of_every_kommun_has_no_rest(demo_home):
    g = GroupData(Group("alla", "Alla", 2022, 2025, tuple(CODES)), config.Paths(demo_home))
    t = programme.population_table(g).set_index("Område")
    assert list(t.index) == ["Gruppen", "Riket"]
    assert (t.loc["Gruppen"].fillna(-1) == t.loc["Riket"].fillna(-1)).all()
    assert "Övriga riket" not in programme.findings(g).data
    assert "Övriga riket" not in programme.support_table(g).data


# ---- consuming access_years (the change helper's table, hand-made here) ------------------------

YEARS = [2016, 2019, 2022, 2024]
#: Per year: points, opened, closed, share beyond 10 km, for every member kommun.
MEMBER = {2016: (10, None, None, 20.0), 2019: (9, 1, 2, 22.0), 2022: (9, 0, 0, 22.0),
          2024: (8, 1, 2, 25.0)}  # fmt: skip


def _access_years(members: set[str], incomplete: str | None = None) -> pd.DataFrame:
    rows = []
    for k in CODES:
        for y in YEARS:
            pts, op, cl, share = MEMBER[y] if k in members else (5, 0, 0, 10.0)
            if y == YEARS[0]:
                op = cl = None
            rows.append(
                {
                    "level": "kommun",
                    "code": k,
                    "service_type": "dagligvaror",
                    "year": y,
                    "points": pts,
                    "opened": op,
                    "closed": cl,
                    "population": 1000.0 if k in members else 2000.0,
                    "population_share_over_10km": np.nan
                    if k == incomplete and y == 2024
                    else share,
                    "population_share_over_25km": 0.0,
                    "complete": not (k == incomplete and y == 2024),
                }
            )
    df = pd.DataFrame(rows)
    df[["opened", "closed"]] = df[["opened", "closed"]].astype("Int64")
    return df


def test_opened_closed_and_shares_from_access_years(home_copy):
    processed = home_copy / "data" / "processed"
    members = set(pd.read_parquet(processed / "grupper.parquet")["kommun_kod"])
    _access_years(members).to_parquet(processed / "access_years.parquet", index=False)
    meta = json.loads((processed / "meta.json").read_text(encoding="utf-8"))
    meta["service_years"] = YEARS
    (processed / "meta.json").write_text(json.dumps(meta), encoding="utf-8")

    g = GroupData(KFS, config.Paths(home_copy))
    assert g.service_windows["före"].text() == "2016–2022"
    assert g.service_windows["under"].text() == "2022–2024"
    t = programme.service_table(g).set_index("Område")
    n = len(members)
    assert t.at["Gruppen", "Öppnade under (2022–2024), antal"] == n * 1
    assert t.at["Gruppen", "Stängda under (2022–2024), antal"] == n * 2
    assert t.at["Gruppen", "Öppnade före (2016–2022), antal"] == n * (1 + 0)
    assert t.at["Gruppen", "Stängda före (2016–2022), antal"] == n * (2 + 0)
    assert t.at["Gruppen", "Öppnade under (2022–2024), per 10 000 inv."] == pytest.approx(10.0)
    assert t.at["Övriga riket", "Stängda under (2022–2024), antal"] == 0
    assert t.at["Jämförbara kommuner", "Stängda under (2022–2024), per 10 000 inv."] == 0
    assert t.at["Gruppen", "Andel > 10 km 2016"] == pytest.approx(20.0)
    assert t.at["Gruppen", "Andel > 10 km 2022"] == pytest.approx(22.0)
    assert t.at["Gruppen", "Andel > 10 km 2024"] == pytest.approx(25.0)
    assert t.at["Övriga riket", "Andel > 10 km 2024"] == pytest.approx(10.0)
    text = programme.findings(g).data
    assert f"öppnade {n} och stängde {2 * n} dagligvarubutiker" in text
    assert "från 22,0 % till 25,0 % (övriga riket 10,0 % till 10,0 %)" in text

    # One member without a complete figure in 2024: the group has no share that year.
    _access_years(members, incomplete="0821").to_parquet(
        processed / "access_years.parquet", index=False
    )
    g = GroupData(KFS, config.Paths(home_copy))
    t = programme.service_table(g).set_index("Område")
    assert np.isnan(t.at["Gruppen", "Andel > 10 km 2024"])
    assert t.at["Gruppen", "Andel > 10 km 2022"] == pytest.approx(22.0)
    assert "uppgift saknas" in programme.service_table(g).data


def test_a_period_from_the_first_population_year_has_no_before(demo_home, plain):
    first = plain["years"][0]
    members = ("0821", "0840")
    g = GroupData(Group("tidig", "Tidig", first, first + 3, members), config.Paths(demo_home))
    t = programme.population_table(g)
    before = [c for c in t.columns if c.startswith("Förändring per år före")]
    assert before and t[before[0]].isna().all()
    assert (
        f"Förändringen före perioden: uppgift saknas (inget befolkningsår före {first})" in t.data
    )
    # Without a baseline before it, the stretch during the period starts at its first year.
    during = f"Förändring per år {first}–{first + 3}"
    expected = 100 * (
        (_people(plain, members, first + 3) / _people(plain, members, first)) ** (1 / 3) - 1
    )
    assert t.set_index("Område").at["Gruppen", during] == pytest.approx(expected, rel=1e-9)
