"""Support per inhabitant and year (every kommun, the whole period) and the XLSX download.

Hand-computed worlds: which kommuner take part, what a year is, and codes that keep their zeros.
"""

from __future__ import annotations

import os

import numpy as np
import openpyxl
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lansanalys import config
from lansanalys.analysis import support
from lansanalys.report import downloads


def _bef(pops: dict[str, float], years=(2020, 2021, 2022)) -> pd.DataFrame:
    return pd.DataFrame(
        [{"kommun_kod": k, "year": y, "population": p} for k, p in pops.items() for y in years]
    )


def test_kommun_without_grants_takes_part_with_zero():
    grants = pd.DataFrame(
        {"kommun_kod": ["0101", "0102"], "year": [2020, 2021], "amount_sek": [3000.0, 600.0]}
    )
    bef = _bef({"0101": 100.0, "0102": 20.0, "0103": 50.0})
    out = support.per_inhabitant_year(grants, bef, ["0101", "0102", "0103"], (2020, 2022))
    out = out.set_index("kommun_kod")
    # 3 000 kr over 3 years of 100 people = 10 kr per inhabitant and year, not 30 (one grant year).
    assert out.at["0101", "sek_per_capita_year"] == pytest.approx(10.0)
    assert out.at["0102", "sek_per_capita_year"] == pytest.approx(600 / 60)
    assert out.at["0103", "sek_per_capita_year"] == 0.0
    assert out["n_years"].eq(3).all()


def test_rank_correlation_with_the_zeros_included():
    # Three kommuner with grants rise with need; the two with none have the greatest need.
    need = pd.DataFrame(
        {
            "kommun_kod": ["1", "2", "3", "4", "5"],
            "service_type": "dagligvaror",
            "population_share_over_10km": [1.0, 2.0, 3.0, 4.0, 5.0],
        }
    )
    grants = pd.DataFrame(
        {"kommun_kod": ["1", "2", "3"], "year": 2020, "amount_sek": [100.0, 200.0, 300.0]}
    )
    bef = _bef({k: 100.0 for k in "12345"}, years=(2020,))
    per = support.per_inhabitant_year(grants, bef, list("12345"), (2020, 2020))
    change = pd.DataFrame({"kommun_kod": list("12345"), "change_pct": 0.0})
    both = support.against_need(per, need, change)
    assert len(both) == 5
    corr = both["sek_per_capita_year"].corr(both["population_share_over_10km"], method="spearman")
    only_paid = both[both["amount_sek"] > 0]
    corr_paid = only_paid["sek_per_capita_year"].corr(
        only_paid["population_share_over_10km"], method="spearman"
    )
    assert corr_paid == pytest.approx(1.0)  # what the report showed before
    # By hand: ranks of support (1,2,3 grants; 4,5 tied at 0) against need 1..5.
    x = pd.Series([3.0, 4.0, 5.0, 1.5, 1.5])
    y = pd.Series([1.0, 2.0, 3.0, 4.0, 5.0])
    assert corr == pytest.approx(np.corrcoef(x, y)[0, 1])
    assert corr < 0


def test_population_years_outside_the_data_take_the_nearest_year():
    grants = pd.DataFrame({"kommun_kod": ["0101"], "year": [2024], "amount_sek": [900.0]})
    bef = pd.DataFrame({"kommun_kod": "0101", "year": [2021, 2022], "population": [100.0, 200.0]})
    out = support.per_inhabitant_year(grants, bef, ["0101"], (2020, 2024))
    # 2020 -> 2021's 100; 2021 100; 2022 200; 2023, 2024 -> 2022's 200: 800 person-years.
    assert out.at[0, "person_years"] == 800.0
    assert out.at[0, "sek_per_capita_year"] == pytest.approx(900 / 800)


@settings(max_examples=60, deadline=None)
@given(
    amounts=st.lists(st.floats(0, 1e7), min_size=1, max_size=8),
    pops=st.lists(st.floats(1, 1e6), min_size=3, max_size=3),
)
def test_per_inhabitant_year_gives_back_all_the_money(amounts, pops):
    kommuner = ["0101", "0102", "0103"]
    rng = np.random.default_rng(len(amounts))
    grants = pd.DataFrame(
        {
            "kommun_kod": rng.choice(kommuner, len(amounts)),
            "year": rng.integers(2020, 2023, len(amounts)),
            "amount_sek": amounts,
        }
    )
    bef = _bef(dict(zip(kommuner, pops, strict=True)))
    out = support.per_inhabitant_year(grants, bef, kommuner, (2020, 2022))
    assert len(out) == 3 and (out["sek_per_capita_year"] >= 0).all()
    back = (out["sek_per_capita_year"] * out["person_years"]).sum()
    assert back == pytest.approx(sum(amounts), rel=1e-9, abs=1e-6)


@pytest.fixture()
def rendering(tmp_path):
    """What the renderer passes a report's kernel in the notebook's ``render`` parameter."""
    config.set_render_context(
        {"html": True, "downloads": str(tmp_path), "downloads_href": "downloads/x"}
    )
    yield tmp_path
    config.set_render_context({})


def test_render_parameter_is_checked():
    with pytest.raises(ValueError, match="unknown render setting"):
        config.set_render_context({"htlm": True})
    config.set_render_context({})
    assert not config.rendering_html() and config.downloads_dir() is None


def test_xlsx_keeps_codes_as_text(tmp_path, rendering):
    df = pd.DataFrame({"kommun_kod": ["0821", "0880"], "andel": [12.5, 3.25]})
    href = downloads.save(df, "Tillgänglighet")
    assert href and href.endswith(".csv")
    target = downloads.write_xlsx(tmp_path, tmp_path / "x.xlsx")
    assert target is not None and target.exists()
    book = openpyxl.load_workbook(target)
    assert book.sheetnames[0] == "Innehåll"  # the index of every figure and table
    sheet = book.worksheets[1]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("Kommunkod", "andel")  # a known name in Swedish, an unknown as it is
    assert rows[1] == ("0821", 12.5)  # text with its zero, the share a number
    # Only the CSV and the workbook are published.
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([os.path.basename(href), "x.xlsx"])
