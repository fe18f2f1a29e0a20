"""Support per inhabitant and year gives no figure on a partial population (issue #19, item 6).

A year whose population of a kommun has a missing age ('..', NaN) would give a smaller
person-year base and a larger kr per inhabitant; it gives no figure (NaN, "uppgift saknas")
instead. The expected values are computed by hand.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lansanalys.analysis import support


def _bef(rows) -> pd.DataFrame:
    """(kommun, year, age, population) rows; NaN = SCB's '..'."""
    return pd.DataFrame(rows, columns=["kommun_kod", "year", "age", "population"])


# Two kommuner, ages 0 and 1, 2020 and 2021. 0001 lacks age 1 in 2021 ('..'); 0002 is whole.
BEF = _bef(
    [
        ("0001", 2020, 0, 100.0),
        ("0001", 2020, 1, 50.0),
        ("0001", 2021, 0, 100.0),
        ("0001", 2021, 1, np.nan),
        ("0002", 2020, 0, 60.0),
        ("0002", 2020, 1, 40.0),
        ("0002", 2021, 0, 60.0),
        ("0002", 2021, 1, 40.0),
    ]
)
GRANTS = pd.DataFrame(
    {"kommun_kod": ["0001", "0002"], "year": [2020, 2021], "amount_sek": [250.0, 2_000.0]}
)


def test_a_year_with_a_missing_age_gives_no_figure_by_hand():
    out = support.per_inhabitant_year(GRANTS, BEF, ["0001", "0002"], (2020, 2021)).set_index(
        "kommun_kod"
    )
    # 0001: 2021 is partial, so no person-years and no kr per inhabitant (on the partial data
    # it would be 250 / (150 + 100) = 1,00 kr instead of a figure on 300 person-years).
    assert np.isnan(out.at["0001", "person_years"])
    assert np.isnan(out.at["0001", "sek_per_capita_year"])
    assert np.isnan(out.at["0001", "population"])  # the latest year, 2021, is partial
    assert out.at["0001", "amount_sek"] == 250.0  # the money is known
    # 0002 is whole: 2 000 kr over 100 + 100 person-years.
    assert out.at["0002", "person_years"] == 200.0
    assert out.at["0002", "sek_per_capita_year"] == pytest.approx(10.0)
    assert out.at["0002", "population"] == 100.0


def test_a_partial_year_outside_the_period_does_not_matter():
    # 2021 is partial but the period is 2020 only: 250 kr over 150 person-years.
    grants = GRANTS.assign(year=2020)
    out = support.per_inhabitant_year(grants, BEF, ["0001", "0002"], (2020, 2020)).set_index(
        "kommun_kod"
    )
    assert out.at["0001", "sek_per_capita_year"] == pytest.approx(250 / 150)
    assert out.at["0002", "sek_per_capita_year"] == pytest.approx(2_000 / 100)


def test_a_year_standing_in_for_another_is_partial_too():
    # Support 2021–2022; population only to 2021, so 2022 takes 2021, which is partial for 0001.
    grants = GRANTS.assign(year=2021)
    out = support.per_inhabitant_year(grants, BEF, ["0001", "0002"], (2021, 2022)).set_index(
        "kommun_kod"
    )
    assert np.isnan(out.at["0001", "sek_per_capita_year"])
    assert out.at["0002", "sek_per_capita_year"] == pytest.approx(2_000 / 200)


def test_no_grant_is_0_kr_whatever_the_population():
    # 0 kr per inhabitant is exact on any population: a kommun without grants keeps its 0 kr
    # (maps and rankings include it), also where its population is partial.
    grants = GRANTS[GRANTS["kommun_kod"] == "0002"]
    out = support.per_inhabitant_year(grants, BEF, ["0001", "0002"], (2020, 2021)).set_index(
        "kommun_kod"
    )
    assert out.at["0001", "sek_per_capita_year"] == 0.0
    assert np.isnan(out.at["0001", "person_years"])


def test_a_kommun_missing_from_a_year_gives_no_figure():
    bef = BEF[~((BEF["kommun_kod"] == "0002") & (BEF["year"] == 2021))]
    out = support.per_inhabitant_year(GRANTS, bef, ["0002"], (2020, 2021)).set_index("kommun_kod")
    assert np.isnan(out.at["0002", "sek_per_capita_year"])


def test_group_shares_give_no_population_share_on_a_partial_year():
    # The latest year (2021) is partial for 0001: its group's share of the population and every
    # group's ratio rest on the total, which is partial: no figure. The support shares are known.
    groups = pd.Series({"0001": "landsbygd", "0002": "stad"})
    sh = support.share_by_group(GRANTS, BEF, groups).set_index("group")
    assert sh["population_share"].isna().all() and sh["ratio"].isna().all()
    assert sh.at["landsbygd", "support_share"] == pytest.approx(100 * 250 / 2_250)
    # Whole data: shares by hand (150 of 250 people, 250 of 2 250 kr).
    whole = BEF.fillna({"population": 50.0})
    sh = support.share_by_group(GRANTS, whole, groups).set_index("group")
    assert sh.at["landsbygd", "population_share"] == pytest.approx(100 * 150 / 250)
    assert sh.at["landsbygd", "ratio"] == pytest.approx((250 / 2_250) / (150 / 250))
