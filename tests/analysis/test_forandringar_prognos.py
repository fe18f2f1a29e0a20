"""Components of change (births, deaths, migration) and an official projection (prognos)."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lansanalys import config, geo, pipeline
from lansanalys.analysis import components, lifetable, projection
from lansanalys.errors import BuildError, InputError
from lansanalys.sources.forandringar import read_forandringar

HEADER = '"region","förändringar","kön","2023","2024"\r\n'


def _write(path: Path, rows: list[str], encoding: str = "cp1252") -> Path:
    title = '"Befolkningsförändringar efter region, förändringar och kön. År"\r\n\r\n'
    path.write_text(title + HEADER + "".join(r + "\r\n" for r in rows), encoding=encoding)
    return path


def _rows(region: str, values: dict[str, tuple[int, int]]) -> list[str]:
    return [f'"{region}","{k}","totalt","{a}","{b}"' for k, (a, b) in values.items()]


HOGSBY = {
    "folkökning": (-40, 12),
    "födda": (40, 45),
    "döda": (80, 70),
    "samtliga inflyttningar": (300, 310),
    "samtliga utflyttningar": (300, 273),
    "invandringar": (50, 60),
    "utvandringar": (10, 5),
}


def test_components_by_hand(tmp_path):
    f = _write(
        tmp_path / "f.csv",
        _rows("0821 Högsby", HOGSBY) + _rows("Kalmar", HOGSBY) + _rows("08 Kalmar län", HOGSBY),
    )
    df = read_forandringar(f)
    assert set(df["kommun_kod"]) == {"0821", "0880"}  # the län row is an aggregate, dropped
    c = components.components(df).set_index(["code", "year"])
    r = c.loc[("0821", 2024)]
    assert r["fodelseoverskott"] == 45 - 70
    assert r["utrikes_netto"] == 60 - 5
    assert r["inrikes_netto"] == (310 - 60) - (273 - 5)
    assert r["fodelseoverskott"] + r["inrikes_netto"] + r["utrikes_netto"] == r["folkokning"]
    lan = components.components(df, {"0821": "08", "0880": "08"}).set_index(["code", "year"])
    assert lan.at[("08", 2023), "folkokning"] == -80


def test_sex_split_is_summed_and_long_layout_read(tmp_path):
    rows = []
    for k, (a, b) in HOGSBY.items():
        rows.append(f'"0821 Högsby","{k}","män","{a // 2}","{b // 2}"')
        rows.append(f'"0821 Högsby","{k}","kvinnor","{a - a // 2}","{b - b // 2}"')
        rows.append(f'"0821 Högsby","{k}","totalt","999999","999999"')  # ignored beside the split
    df = read_forandringar(_write(tmp_path / "sex.csv", rows))
    got = df.set_index(["year", "component"])["value"]
    assert got[(2024, "fodda")] == 45 and got[(2023, "folkokning")] == -40
    long = tmp_path / "long.csv"
    long.write_text(
        "kommun;förändringar;år;antal\n"
        + "".join(f"0821;{k};2024;{b}\n" for k, (_, b) in HOGSBY.items()),
        encoding="utf-8-sig",
    )
    got = read_forandringar(long).set_index("component")["value"]
    assert got["utflyttningar"] == 273


@pytest.mark.parametrize(
    "change, row, column, match",
    [
        ({"födda": (40, -45)}, 5, "2024", "negative fodda"),
        ({"folkökning": (-40, 500)}, 4, "2024", "folkökning 500"),
        ({"döda": ("80", "sju")}, 6, "2024", "'sju' is not a number"),
    ],
)
def test_bad_components_name_line_and_column(tmp_path, change, row, column, match):
    vals = {**HOGSBY, **change}
    with pytest.raises(InputError, match=match) as err:
        read_forandringar(_write(tmp_path / "bad.csv", _rows("0821 Högsby", vals)))
    assert err.value.row == row and err.value.column in (column, None)


def test_unknown_kommun_and_duplicates_are_errors(tmp_path):
    with pytest.raises(InputError, match="821"):
        read_forandringar(_write(tmp_path / "z.csv", _rows("821", HOGSBY)))
    dup = _rows("0821 Högsby", HOGSBY) + _rows("0821 Högsby", {"födda": (40, 45)})
    with pytest.raises(InputError, match="appears twice"):
        read_forandringar(_write(tmp_path / "d.csv", dup))


def test_demo_components_explain_the_demo_population(demo_home):
    p = demo_home / "data" / "processed"
    comp = components.components(pd.read_parquet(p / "forandringar.parquet"))
    bef = pd.read_parquet(p / "befolkning.parquet")
    tot = bef.groupby(["kommun_kod", "year"])["population"].sum().unstack()
    delta = tot.diff(axis=1).stack().rename("delta")
    delta.index = delta.index.set_names(["code", "year"])
    m = comp.set_index(["code", "year"]).join(delta, how="inner")
    assert len(m) == 290 * 10
    assert (m["folkokning"] == m["delta"]).all()
    # The demo file has no justeringspost: that part is left out (NaN), not taken as 0, and
    # the other parts add up to the change on their own.
    assert m["justering"].isna().all()
    parts = m["fodelseoverskott"] + m["inrikes_netto"] + m["utrikes_netto"]
    assert (parts == m["folkokning"]).all()


def _projection_csv(path: Path, codes: list[str], years: list[int]) -> Path:
    names = geo.kommuner().set_index("kommun_kod")["kommun"]
    rows = []
    for code in codes:
        for age in range(101):
            for sex in ("män", "kvinnor"):
                a = "100+ år" if age == 100 else f"{age} år"
                vals = ",".join(f'"{100 + age + (y - 2025)}"' for y in years)
                rows.append(f'"{code} {names[code]}","{a}","{sex}",{vals}')
    head = ",".join(f'"{y}"' for y in years)
    path.write_text(
        '"Framskriven folkmängd efter region, ålder, kön och år"\n\n'
        f'"region","ålder","kön",{head}\n' + "\n".join(rows) + "\n",
        encoding="utf-8",
    )
    return path


@pytest.mark.slow  # a national build of its own
def test_official_projection_replaces_the_cohort_one(home_copy):
    from lansanalys.report import LanReport

    p = config.paths()
    kalmar = geo.kommuner().query("lan_kod == '08'")["kommun_kod"].tolist()
    folder = p.raw_kind("prognos")
    folder.mkdir(parents=True)
    _projection_csv(folder / "scb_prognos.csv", kalmar, list(range(2025, 2041)))
    meta = pipeline.build(p)
    assert meta["projection"]["official_kommuner"] == kalmar
    proj = pd.read_parquet(p.processed / "prognos.parquet")
    mine = proj[proj["kommun_kod"] == "0821"]
    assert set(mine["source"]) == {"officiell"}
    one = mine[(mine["year"] == 2030) & (mine["age"] == 7) & (mine["sex"] == "män")]
    assert one["population"].tolist() == [100 + 7 + 5]
    assert set(proj.loc[proj["lan_kod"] == "09", "source"]) == {"framskrivning"}
    fig = LanReport("08").fig_projection()
    assert "Prognos (streckad)" in fig.layout.meta["source"]
    assert "Framskrivning (streckad)" in LanReport("09").fig_projection().layout.meta["source"]


@pytest.mark.slow  # a national build of its own
def test_projection_without_future_years_fails_and_keeps_processed(home_copy):
    p = config.paths()
    before = json.loads((p.processed / "meta.json").read_text(encoding="utf-8"))
    folder = p.raw_kind("prognos")
    folder.mkdir(parents=True)
    _projection_csv(folder / "old.csv", geo.kommuner()["kommun_kod"].tolist()[:2], [2020, 2021])
    with pytest.raises(BuildError, match="no year after 2024"):
        pipeline.build(p)
    after = json.loads((p.processed / "meta.json").read_text(encoding="utf-8"))
    assert after["built_at"] == before["built_at"]
    assert np.isfinite(pd.read_parquet(p.processed / "prognos.parquet")["population"]).all()


# --------------------------------------------------------------------------------------------
# Components the file does not support are left out, never derived as if the flows were 0


def test_file_without_moves_gives_no_domestic_migration_and_no_made_up_change(tmp_path):
    """Födda, döda, invandringar and utvandringar only: the old code gave inrikes = −utrikes
    and folkökning 0."""
    parts = {k: HOGSBY[k] for k in ("födda", "döda", "invandringar", "utvandringar")}
    df = read_forandringar(_write(tmp_path / "f.csv", _rows("0821 Högsby", parts)))
    c = components.components(df).set_index(["code", "year"]).loc[("0821", 2024)]
    assert c["fodelseoverskott"] == 45 - 70
    assert c["utrikes_netto"] == 60 - 5
    assert np.isnan(c["inrikes_netto"]) and np.isnan(c["flyttnetto"])
    assert np.isnan(c["folkokning"]) and np.isnan(c["justering"])
    missing = components.missing_parts(df)
    assert missing["inrikes_netto"] == ["inflyttningar", "utflyttningar"]
    assert missing["folkokning"] == ["folkokning"] and "fodelseoverskott" not in missing


def test_moves_without_migration_show_net_migration_in_place_of_its_split():
    rows = {"fodda": 45, "doda": 70, "inflyttningar": 310, "utflyttningar": 273}
    df = pd.DataFrame(
        {"kommun_kod": "0821", "year": 2024, "component": list(rows), "value": list(rows.values())}
    )
    missing = components.missing_parts(df)
    assert missing["inrikes_netto"] == ["invandringar", "utvandringar"]
    assert list(components.parts_to_show(missing)) == ["fodelseoverskott", "flyttnetto"]
    assert components.components(df).at[0, "flyttnetto"] == 310 - 273
    full = components.parts_to_show({})
    assert list(full) == list(components.PARTS)  # a complete file: the split, no flyttnetto


def test_folkokning_is_derived_only_from_every_part():
    rows = {"fodda": 45, "doda": 70, "inflyttningar": 310, "utflyttningar": 273}
    base = pd.DataFrame(
        {"kommun_kod": "0821", "year": 2024, "component": list(rows), "value": list(rows.values())}
    )
    # Without justeringspost the change is not known exactly: left out.
    assert np.isnan(components.components(base)["folkokning"].iloc[0])
    adj = pd.concat(
        [
            base,
            pd.DataFrame(
                {"kommun_kod": ["0821"], "year": [2024], "component": ["justering"], "value": [-3]}
            ),
        ]
    )
    c = components.components(adj).iloc[0]
    assert c["folkokning"] == 45 - 70 + 310 - 273 - 3
    assert c["flyttnetto"] == 310 - 273 and np.isnan(c["inrikes_netto"])


def test_area_sum_with_a_missing_kommun_value_is_missing():
    df = pd.DataFrame(
        {
            "kommun_kod": ["0821", "0821", "0880", "0880"],
            "year": 2024,
            "component": ["fodda", "doda", "fodda", "doda"],
            "value": [45.0, 70.0, np.nan, 20.0],  # Kalmar's births '..'
        }
    )
    lan = components.components(df, {"0821": "08", "0880": "08"}).iloc[0]
    assert np.isnan(lan["fodda"]) and np.isnan(lan["fodelseoverskott"])
    assert lan["doda"] == 90


def test_a_missing_sex_makes_the_sum_missing(tmp_path):
    rows = [
        '"0821 Högsby","födda","män","20","21"',
        '"0821 Högsby","födda","kvinnor","..","24"',
    ]
    got = read_forandringar(_write(tmp_path / "s.csv", rows))
    got = got.set_index("year")["value"]
    assert np.isnan(got[2023]) and got[2024] == 45


# --------------------------------------------------------------------------------------------
# Projection: only consecutive years form a ratio; too short a base period is refused


def _uniform(values: dict[int, float], areas=("A",)) -> pd.DataFrame:
    """Every age and sex of each area holds ``values[year]`` people."""
    rows = [
        (k, y, a, s, n)
        for k in areas
        for y, n in values.items()
        for a in range(101)
        for s in ("män", "kvinnor")
    ]
    return pd.DataFrame(rows, columns=["kommun_kod", "year", "age", "sex", "population"])


def test_gap_years_are_not_consecutive_by_hand():
    """2020, 2021, 2022, 2024 with 100, 110, 121, 200 people in every age and sex, mortality
    held at the base period's (improvement 0).

    Pairs: 2020→2021 and 2021→2022 only (2022→2024 is two years). Ages 1–99: (110 + 121) /
    (100 + 110) = 1.1. 100+: of (100 + 110) centenarians the life table keeps s, so
    231 − 210 s entered from (100 + 110) 99-year-olds: 1.1 − s each; a year on 200 · (1.1 − s)
    + 200 · s = 220, whatever s. Births: (110 + 121) 0-year-olds per (35 · 100 + 35 · 110)
    women 15–49 = 0.0314…. From 200 in 2024: 2025 has 220 in every age and sex (newborn
    0.0314… · 35 · 200 = 220); 2026 has 242 everywhere.
    """
    pop = _uniform({2020: 100.0, 2021: 110.0, 2022: 121.0, 2024: 200.0})
    proj = projection.project(pop, "kommun_kod", to_year=2026, mortality_improvement=0)
    got = proj.set_index(["year", "sex", "age"])["population"]
    np.testing.assert_allclose(got.loc[2025].to_numpy(), 220.0)
    np.testing.assert_allclose(got.loc[2026].to_numpy(), 242.0)
    # The old code took 2022→2024 as one year: (110 + 121 + 200) / (100 + 110 + 121) ≈ 1.30.
    assert got.loc[(2025, "män", 50)] != pytest.approx(200 * 431 / 331)


def test_brief_gap_series_uses_its_one_consecutive_pair():
    """2019, 2021, 2022, 2024: only 2021→2022 is a pair; ratio 121/110 = 1.1 as above."""
    pop = _uniform({2019: 100.0, 2021: 110.0, 2022: 121.0, 2024: 200.0})
    assert projection.base_pairs(pop["year"].unique()) == [2021]
    proj = projection.project(pop, "kommun_kod", to_year=2025, mortality_improvement=0)
    np.testing.assert_allclose(proj["population"].to_numpy(), 220.0)


@pytest.mark.parametrize(
    "years, sentence",
    [
        ([2019], "minst två år i följd; data innehåller bara 2019."),
        ([2010, 2024], "under de fem åren fram till 2024; data innehåller 2010 och 2024."),
        ([2018, 2020, 2022, 2024], "data innehåller 2018, 2020, 2022 och 2024."),
    ],
)
def test_base_period_without_a_consecutive_pair_is_refused(years, sentence):
    """One year in the window gave 0 births silently before; now a clear error."""
    pop = _uniform({y: 100.0 for y in years})
    with pytest.raises(projection.SeriesTooShort, match="consecutive years") as err:
        projection.project(pop, "kommun_kod")
    assert err.value.sentence.startswith("Framskrivningen kräver befolkning")
    assert err.value.sentence.endswith(sentence)


LIFE_TABLE = Path(lifetable.__file__).parent / "data" / "dodsrisker.csv"


def _plain_survival(year: float, improvement: float) -> dict:
    """(sex, age) → chance to live from completed age a on 31 Dec of year − 1 to a + 1 a year
    later, read with the csv module: risks of 2021 fall by ``improvement`` a year; a person
    of age a lives through a + ½ … a + 1½, so sqrt((1 − q(a))(1 − q(a + 1))); 100+ stays
    with 1 − q(100)."""
    with open(LIFE_TABLE, encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    q = {
        (r["kon"], int(r["alder"])): float(r["qx"]) * (1 - improvement) ** (year - 2021)
        for r in rows
    }
    out = {}
    for sex in ("män", "kvinnor"):
        for a in range(100):
            out[(sex, a)] = math.sqrt((1 - q[(sex, a)]) * (1 - q[(sex, a + 1)]))
        out[(sex, 100)] = 1 - q[(sex, 100)]
    return out


def _reference_projection(
    pop: pd.DataFrame, to_year: int, base_years: int = 5, improvement: float = 0.015
) -> dict:
    """Plain loops over the pairs of consecutive years, one area: an independent oracle.

    Ratios of the base pairs, lifted each projected year by survival in that year over
    survival in the mean year of the pairs' later years; no one in an age of the base: the
    survival alone. 100+: the life table's survivors stay, 99-year-olds enter at the base's
    rate (its 100+ less the survivors, over its 99-year-olds), at most 1 after the lift.
    """
    cell = {(r.year, r.sex, r.age): r.population for r in pop.itertuples()}
    years = sorted(set(pop["year"]))
    last = years[-1]
    pairs = [t for t in years if last - base_years <= t < last and t + 1 in years]
    base = _plain_survival(sum(t + 1 for t in pairs) / len(pairs), improvement)
    ratio = {}
    for sex in ("kvinnor", "män"):
        for a in range(1, 100):
            num = sum(cell[(t + 1, sex, a)] for t in pairs)
            den = sum(cell[(t, sex, a - 1)] for t in pairs)
            ratio[(sex, a)] = num / den if den else base[(sex, a - 1)]
        stayed = base[(sex, 100)] * sum(cell[(t, sex, 100)] for t in pairs)
        num = sum(cell[(t + 1, sex, 100)] for t in pairs) - stayed
        den = sum(cell[(t, sex, 99)] for t in pairs)
        ratio[(sex, 100)] = min(1.0, max(0.0, num / den)) if den else base[(sex, 99)]
    mothers = sum(cell[(t, "kvinnor", a)] for t in pairs for a in range(15, 50))
    born = {s: sum(cell[(t + 1, s, 0)] for t in pairs) for s in ("kvinnor", "män")}
    cur = {(s, a): cell[(last, s, a)] for s in ("kvinnor", "män") for a in range(101)}
    out = {}
    for year in range(last + 1, to_year + 1):
        now = _plain_survival(year, improvement)
        women = sum(cur[("kvinnor", a)] for a in range(15, 50))
        new = {}
        for s in ("kvinnor", "män"):
            new[(s, 0)] = born[s] / mothers * women if mothers else 0.0
            for a in range(1, 100):
                lift = now[(s, a - 1)] / base[(s, a - 1)]
                new[(s, a)] = cur[(s, a - 1)] * ratio[(s, a)] * lift
            enter = min(1.0, ratio[(s, 100)] * now[(s, 99)] / base[(s, 99)])
            new[(s, 100)] = cur[(s, 99)] * enter + cur[(s, 100)] * now[(s, 100)]
        cur = new
        out.update({(year, s, a): v for (s, a), v in cur.items()})
    return out


@settings(max_examples=25, deadline=None)
@given(
    years=st.sets(st.integers(2014, 2024), min_size=2, max_size=8).filter(
        lambda ys: projection.series_problem(ys) is None
    ),
    seed=st.integers(0, 2**32 - 1),
    improvement=st.sampled_from([0.0, 0.015, 0.03]),
    sparse=st.booleans(),
)
def test_projection_matches_a_plain_reference_for_any_gaps(years, seed, improvement, sparse):
    """Any gaps, any mortality improvement; ``sparse`` leaves many cells empty (ages nobody
    had in the base period, no 99-year-olds) as in a small kommun."""
    rng = np.random.default_rng(seed)
    top = 3 if sparse else 400
    rows = [
        ("A", y, a, s, float(rng.integers(0 if sparse else 1, top)))
        for y in sorted(years)
        for a in range(101)
        for s in ("män", "kvinnor")
    ]
    pop = pd.DataFrame(rows, columns=["kommun_kod", "year", "age", "sex", "population"])
    to_year = max(years) + 3
    got = projection.project(pop, "kommun_kod", to_year=to_year, mortality_improvement=improvement)
    want = _reference_projection(pop, to_year, improvement=improvement)
    got = got.set_index(["year", "sex", "age"])["population"]
    keys = sorted(want)
    np.testing.assert_allclose(got.loc[keys].to_numpy(), [want[k] for k in keys], rtol=1e-9)


def test_an_area_with_a_missing_value_gets_no_projection():
    pop = _uniform({2022: 100.0, 2023: 110.0, 2024: 121.0}, areas=("A", "B"))
    pop.loc[
        (pop["kommun_kod"] == "B") & (pop["year"] == 2023) & (pop["age"] == 40), "population"
    ] = np.nan
    proj = projection.project(pop, "kommun_kod", to_year=2025, mortality_improvement=0)
    assert proj.loc[proj["kommun_kod"] == "B", "population"].isna().all()
    np.testing.assert_allclose(proj.loc[proj["kommun_kod"] == "A", "population"], 121 * 1.1)


# --------------------------------------------------------------------------------------------
# The open class 100+ cannot run away (issue #19)


def _q100() -> dict[str, float]:
    with open(LIFE_TABLE, encoding="utf-8") as fh:
        return {r["kon"]: float(r["qx"]) for r in csv.DictReader(fh) if r["alder"] == "100"}


def test_centenarians_do_not_compound_by_hand():
    """A small kommun with no one aged 99 and 1 → 2 centenarians (one moved in). The old open
    class took its own ratio, 2 / (0 + 1) = 2, and doubled it every year: 2 · 2¹⁶ = 131 072 by
    2040. Now no one enters (no 99-year-olds) and the two survive at the life table's 1 − q(100)
    (män 0,4228, kvinnor 0,3971 at mortality held fixed): 2 · 0,5772 = 1,1545 men in 2025."""
    pop = _uniform({2023: 0.0, 2024: 0.0})
    pop.loc[pop["age"] == 100, "population"] = np.where(
        pop.loc[pop["age"] == 100, "year"] == 2023, 1.0, 2.0
    )
    proj = projection.project(pop, "kommun_kod", to_year=2040, mortality_improvement=0)
    top = proj[proj["age"] == 100].set_index(["year", "sex"])["population"]
    q = _q100()
    for sex in ("män", "kvinnor"):
        assert top[(2025, sex)] == pytest.approx(2 * (1 - q[sex]), rel=1e-12)
        assert top[(2040, sex)] == pytest.approx(2 * (1 - q[sex]) ** 16, rel=1e-9)
    assert proj.groupby("year")["population"].sum().max() < 4


@settings(max_examples=40, deadline=None)
@given(
    n_years=st.integers(2, 6),
    seed=st.integers(0, 2**32 - 1),
    improvement=st.sampled_from([0.0, 0.015]),
)
def test_no_age_class_grows_without_bound_in_a_small_kommun(n_years, seed, improvement):
    """Random small kommuner (0–3 people per age, sex and year, so 100+ may jump from 1 to 3)
    projected 60 years: the 100+ never hold more than the 99-year-olds and 100+ of the year
    before (no one enters who was not 99, no one multiplies), so they stay below the people who
    ever turned 100 plus those there at the start; every count is finite and not negative.
    The old open class (its own ratio, often 3 / 1 here) broke the first within a year."""
    rng = np.random.default_rng(seed)
    years = list(range(2024 - n_years + 1, 2025))
    rows = [
        ("A", y, a, s, float(rng.integers(0, 4)))
        for y in years
        for a in range(101)
        for s in ("män", "kvinnor")
    ]
    pop = pd.DataFrame(rows, columns=["kommun_kod", "year", "age", "sex", "population"])
    proj = projection.project(pop, "kommun_kod", to_year=2084, mortality_improvement=improvement)
    v = proj["population"].to_numpy()
    assert np.isfinite(v).all() and (v >= 0).all()
    both = pd.concat([pop, proj], ignore_index=True)
    wide = both.pivot_table(index=["sex", "year"], columns="age", values="population")
    for sex in ("män", "kvinnor"):
        w = wide.loc[sex]
        for y in range(2025, 2085):
            assert w.at[y, 100] <= w.at[y - 1, 99] + w.at[y - 1, 100] + 1e-9
        entered = w.loc[2024:2083, 99].sum()
        assert w.loc[2025:, 100].max() <= w.at[2024, 100] + entered + 1e-9
