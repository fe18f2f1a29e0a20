"""The embedded demo looks like the real country: its population is the real one per kommun
(2024 totals, 2019 age and sex shape) and its service points reach people about as the
published national figures say. Checked on the built demo (the session's ``demo_home``)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lansanalys import catalogue, config, geo
from lansanalys.analysis.access import HEADLINE_MIN
from lansanalys.demo import calibration, placement
from tests.conftest import shared

# ---- the packaged tables are the published ones --------------------------------------------


def test_packaged_totals_are_kolada_2024():
    src = pd.read_csv(
        shared("kolada-folkmangd-2024", "folkmangd_2024.csv"), dtype={"kommunkod": str}
    )
    expected = src.set_index("kommunkod")["folkmangd"].sort_index()
    got = calibration.totals()
    assert list(got.index) == list(expected.index) == geo.kommun_codes()
    assert (got.to_numpy() == expected.to_numpy()).all()
    assert got.sum() == 10_587_710  # SCB: Sweden on 31 Dec 2024


def test_packaged_age_table_is_scb_2019():
    src = pd.read_csv(shared("scb-befolkning-2019", "SCB_alderkon.csv"))
    codes = geo.kommuner().set_index("kommun")["kommun_kod"]
    src["kommun_kod"] = src["region"].map(codes)
    assert src["kommun_kod"].notna().all()
    by_age = src.pivot_table(
        index=["kommun_kod", "kön"], columns="ålder", values="X2019", aggfunc="sum"
    )
    got = calibration.age_sex_counts()
    # Band sums are SCB's exactly; the national single-age shape is SCB's exactly.
    band = np.minimum(np.arange(101) // 5, 20)
    for sex in calibration.SEXES:
        want = by_age.xs(sex, level="kön").T.groupby(band).sum().T
        have = got.xs(sex, level="sex").T.groupby(band).sum().T
        assert np.allclose(have.loc[want.index].to_numpy(), want.to_numpy())
        nat = got.xs(sex, level="sex").sum()
        assert np.allclose(nat.to_numpy(), by_age.xs(sex, level="kön").sum().to_numpy())
    assert round(got.to_numpy().sum()) == 10_327_589  # SCB: Sweden on 31 Dec 2019


def test_packaged_history_is_scb_2014_2019():
    """Re-derived from SCB's 1950–2019 series (kommuner by ASCII-folded name; the two rows named
    "Habo" told apart by their ids, as its SOURCE.md says)."""
    import unicodedata

    src = pd.read_csv(shared("scb-folkmangd-1950-2019", "folkmangd.csv"), sep=";")
    src.columns = [c.lstrip("\ufeff") for c in src.columns]
    k = geo.kommuner()

    def fold(name: str) -> str:
        return unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()

    codes = dict(zip(k["kommun"].map(fold), k["kommun_kod"], strict=True))
    src["kommun_kod"] = [
        {"HBO": "0643", "HAB": "0305"}.get(i, codes.get(n))
        for i, n in zip(src["k_ID"], src["kommun"], strict=True)
    ]
    assert src["kommun_kod"].notna().all() and src["kommun_kod"].nunique() == 290
    want = src.set_index("kommun_kod")[[f"ar_{y}" for y in range(2014, 2020)]].sort_index()
    got = calibration.history()
    assert list(got.index) == geo.kommun_codes()
    assert (got[list(range(2014, 2020))].to_numpy() == want.loc[got.index].to_numpy()).all()
    # SCB's official totals for Sweden; 2019 agrees with the age table, 2024 with Kolada.
    assert got[2014].sum() == 9_747_355 and got[2019].sum() == 10_327_589
    assert (got[2019] == calibration.totals_shape_year().reindex(got.index)).all()
    assert (got[2024] == calibration.totals()).all()
    # 2020–2023 lie on the constant-rate path between 2019 and 2024, kommun by kommun.
    for a, b, c in ((2019, 2020, 2021), (2022, 2023, 2024)):
        lo, mid, hi = got[a], got[b], got[c]
        assert ((mid - np.sqrt(lo * hi)).abs() <= 1.5).all()


# ---- the built demo ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def built(demo_home):
    p = config.paths()
    return {
        name: catalogue.read(p, name)
        for name in ("rutor", "befolkning", "access_riket", "access_kommun", "cash_rule")
    }


def test_every_kommun_has_its_real_2024_population(built):
    grid = built["rutor"].groupby("kommun_kod")["population"].sum()
    bef = built["befolkning"]
    latest = bef[bef["year"] == bef["year"].max()].groupby("kommun_kod")["population"].sum()
    target = calibration.totals()
    assert bef["year"].max() == calibration.TOTALS_YEAR
    assert (grid.reindex(target.index) == target).all()
    assert (latest.reindex(target.index) == target).all()
    kalmar = target[target.index.str.startswith("08")].sum()
    assert grid[grid.index.str.startswith("08")].sum() == kalmar == 246_352
    # Every year's total is the real one (SCB 2014–2019, 2024) or on the path between.
    per_year = bef.groupby(["kommun_kod", "year"])["population"].sum().unstack()
    history = calibration.history()
    assert (per_year.loc[history.index, history.columns] == history).all().all()
    lan = per_year[per_year.index.str.startswith("08")].sum()
    assert (lan[2014], lan[2019]) == (235_598, 245_446)  # SCB: Kalmar län


def _mean_age(df: pd.DataFrame) -> float:
    return float(np.average(df["age"] + 0.5, weights=df["population"]))


def test_age_shape_is_scb_2019_per_kommun(built):
    """The demo's 2019 population has each kommun's SCB shape: the share 65+ within four
    standard errors of the multinomial draw in every kommun (about 1 percentage point in the
    smallest), and Kalmar län's mean age about 44 in 2024."""
    bef = built["befolkning"]
    y19 = bef[bef["year"] == calibration.SHAPE_YEAR]
    demo65 = (
        y19[y19["age"] >= 65].groupby("kommun_kod")["population"].sum()
        / y19.groupby("kommun_kod")["population"].sum()
    )
    counts = calibration.age_sex_counts().groupby(level="kommun_kod").sum()
    scb65 = counts.loc[:, 65:].sum(axis=1) / counts.sum(axis=1)
    scb65 = scb65.reindex(demo65.index)
    n = y19.groupby("kommun_kod")["population"].sum()
    se = np.sqrt(scb65 * (1 - scb65) / n)
    assert ((demo65 - scb65).abs() <= 4 * se).all()
    y24 = bef[bef["year"] == calibration.TOTALS_YEAR]
    assert 43.5 <= _mean_age(y24[y24["kommun_kod"].str.startswith("08")]) <= 45.5
    assert 41.0 <= _mean_age(y24) <= 42.5  # SCB: 41,8 years in 2024


def test_national_access_is_near_the_published_figures(built):
    """Tillväxtverket: 98 % reach a grocery store within 10 minutes by car, about 1,5 % need
    more; PTS: about 0,25 % live beyond 25 km from cash withdrawal, about 1 % from a day-cash
    deposit. The demo is measured by the build, along its roads, as real data would be."""
    riket = built["access_riket"].set_index("service_type")
    grocery = riket.loc["dagligvaror", f"population_share_over_{HEADLINE_MIN:g}min"]
    assert 1.0 <= grocery <= 2.0
    cash = built["cash_rule"]
    cash = cash[cash["level"] == "riket"].set_index("service_type")["share_over_25km"]
    assert 0.1 <= cash["kontantuttag"] <= 0.4
    assert 0.6 <= cash["dagskasseinsattning"] <= 1.22  # the legal limit


def test_no_kommun_is_without_a_service_close_to_most_people(built):
    """Settlement hierarchy: every kommun centre has every service, so no kommun has almost
    everyone far from a pharmacy or a store (the old demo had 100 % in Borgholm)."""
    k = built["access_kommun"]
    worst = k.groupby("service_type")["population_share_over_10km"].max()
    assert worst["dagligvaror"] < 75 and worst["apotek"] < 90
    kalmar = k[k["kommun_kod"].str.startswith("08")]
    assert kalmar.groupby("service_type")["population_share_over_10km"].max()["apotek"] < 50


# ---- the greedy gap filling ---------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(
    pts=st.lists(
        st.tuples(st.integers(0, 60), st.integers(0, 60), st.integers(1, 500)),  # cell (km), people
        min_size=1,
        max_size=60,
        unique_by=lambda t: (t[0], t[1]),
    ),
    n_existing=st.integers(0, 3),
    radius_km=st.floats(1.0, 20.0),
    share=st.floats(0.0, 0.3),
)
def test_greedy_cover_meets_its_target(pts, n_existing, radius_km, share):
    """After filling, at most ``share`` of the people live beyond the radius of every site,
    checked by brute force (all distances), and every added site is a cell with people."""
    xy = np.array([(x * 1000.0, y * 1000.0) for x, y, _ in pts])
    pop = np.array([p for _, _, p in pts], dtype=float)
    existing = xy[:n_existing]
    radius = radius_km * 1000.0
    added = placement.greedy_cover(xy, pop, existing, radius, share)
    sites = np.vstack([existing, added]) if len(existing) else added
    if len(sites):
        d = np.sqrt(((xy[:, None, :] - sites[None, :, :]) ** 2).sum(axis=2)).min(axis=1)
    else:
        d = np.full(len(xy), np.inf)
    assert pop[d > radius].sum() <= share * pop.sum() + 1e-9
    assert all(any((a == c).all() for c in xy) for a in added)
    assert len({tuple(a) for a in added}) == len(added)  # no site twice
