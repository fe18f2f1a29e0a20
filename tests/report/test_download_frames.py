"""Downloads an analyst can calculate with: Swedish heads with units, numbers as numbers rounded
one decimal beyond the page, codes as text, and Excel number formats in the workbook.

Checked against hand-computed values and against plain pandas and openpyxl reading the files
back, never against the module's own helpers.
"""

from __future__ import annotations

import math
import re

import openpyxl
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lansanalys import config, fmt
from lansanalys.report import downloads
from lansanalys.report.blocks import Table


@pytest.fixture()
def rendering(tmp_path):
    """What the renderer passes a report's kernel in the notebook's ``render`` parameter."""
    config.set_render_context(
        {"html": True, "downloads": str(tmp_path), "downloads_href": "downloads/x"}
    )
    downloads.reset()
    yield tmp_path
    config.set_render_context({})


def _csv(path) -> pd.DataFrame:
    """A download as a Swedish Excel user's tool reads it: ``;``, decimal comma, codes as text
    only where the file keeps their zeros."""
    return pd.read_csv(path, sep=";", decimal=",", encoding="utf-8-sig", dtype={"Kod": str})


def test_a_figure_frame_gets_swedish_heads_whole_numbers_and_its_codes_as_text(rendering):
    df = pd.DataFrame(
        {
            "kommun_kod": ["0821", "0880"],
            "year": [2024, 2024],
            "population": [5321.0, 72704.0],
            "population_share_over_10km": [11.10693478669423, 0.6],
            "km_apotek": [4.146180698430095, 1.0],
            "x": [534500.25, 583500.0],
        }
    )
    href = downloads.save(df, "Avstånd")
    back = pd.read_csv(
        rendering / href.split("/")[-1],
        sep=";",
        decimal=",",
        encoding="utf-8-sig",
        dtype={"Kommunkod": str},
    )
    assert list(back.columns) == [
        "Kommunkod",
        "År",
        "Invånare",
        "> 10 km, %",
        "Apotek och apoteksombud, km",
        "X (SWEREF 99 TM), m",
    ]
    assert back["Kommunkod"].tolist() == ["0821", "0880"]
    assert back["Invånare"].tolist() == [5321, 72704] and back["Invånare"].dtype.kind == "i"
    # Shares and distances to hundredths (the figure shows tenths), metres whole.
    assert back["> 10 km, %"].tolist() == [11.11, 0.6]
    assert back["Apotek och apoteksombud, km"].tolist() == [4.15, 1.0]
    assert back["X (SWEREF 99 TM), m"].tolist() == [534500, 583500]
    raw = (rendering / href.split("/")[-1]).read_text(encoding="utf-8-sig")
    assert "5321;11,11;4,15" in raw and "5321,0" not in raw  # integers print as integers


def test_a_table_keeps_its_heads_and_one_decimal_beyond_the_page(rendering):
    t = Table(
        pd.DataFrame(
            {"Område": ["Högsby", "Riket"], "Kod": ["0821", "00"], "Andel, %": [12.3456, 2.0]}
        ),
        caption="Andel",
        source="Källa: SCB",
        formats={"Andel, %": fmt.percent},
    )
    # The page shows one decimal, and the unit once: in the head, not again in the cell.
    html = t.data
    assert ">12,3<" in html and "12,3 %" not in html
    (csv,) = sorted(rendering.glob("*.csv"))
    back = _csv(csv)
    assert list(back.columns) == ["Område", "Kod", "Andel, %"]
    assert back["Kod"].tolist() == ["0821", "00"]
    assert back["Andel, %"].tolist() == [12.35, 2.0]  # one decimal more than shown


def test_the_unit_stands_in_the_head_or_in_the_cell_never_in_both(rendering):
    t = Table(
        pd.DataFrame({"Område": ["Högsby"], "Andel 70+, %": [22.44], "> 25 km 2024": [0.9]}),
        caption="Enheter",
        source="Källa: SCB",
        formats={"Andel 70+, %": fmt.percent, "> 25 km 2024": fmt.percent},
    )
    html = t.data
    assert ">22,4<" in html and "22,4 %" not in html  # the head says %
    assert ">0,90 %<" in html or ">0,9 %<" in html  # a head without the unit keeps it in the cell


def test_a_row_wise_format_keeps_every_rows_decimals(rendering):
    """A table whose rows have their own format (people whole, km with a decimal) keeps the
    decimals of the row that shows most, in the file and in the workbook's format."""
    df = pd.DataFrame({"": ["Invånare", "Medelavstånd, km"], "I dag": [2271.0, 3.66938]})
    shown = pd.DataFrame({"": df[""], "I dag": ["2 271", "3,7"]})
    assert "3,7" in Table(df, caption="Scenario", formats={"I dag": str}, shown=shown).data
    (csv,) = sorted(rendering.glob("*.csv"))
    back = _csv(csv)
    assert list(back.columns) == ["Mått", "I dag"]  # an empty head gets a name
    assert back["I dag"].tolist() == [2271.0, 3.67]
    book = openpyxl.load_workbook(downloads.write_xlsx(rendering, rendering / "x.xlsx"))
    sheet = book.worksheets[1]
    assert [c.number_format for c in sheet["B"][1:]] == ["#,##0.0", "#,##0.0"]


def test_numbers_handed_over_as_text_become_numbers_with_the_unit_in_the_head(rendering):
    df = pd.DataFrame(
        {
            "Län": ["Kalmar län", "Gotlands län"],
            "Kod": ["08", "09"],
            "Folkmängd": ["246 352", "61 000"],
            "Andel 65+": ["26,0 %", "uppgift saknas"],
            "Förändring": ["−7,9", "+0,5"],
            "Värde (plats)": ["44,9 (4)", "43,1 (9)"],
        }
    )
    downloads.save(df, "Länen")
    (csv,) = sorted(rendering.glob("*.csv"))
    back = _csv(csv)
    assert list(back.columns) == [
        "Län",
        "Kod",
        "Folkmängd",
        "Andel 65+, %",
        "Förändring",
        "Värde (plats)",
    ]
    assert back["Kod"].tolist() == ["08", "09"]
    assert back["Folkmängd"].tolist() == [246352, 61000]
    assert back["Andel 65+, %"].iloc[0] == 26.0 and math.isnan(back["Andel 65+, %"].iloc[1])
    assert back["Förändring"].tolist() == [-7.9, 0.5]
    assert back["Värde (plats)"].tolist() == ["44,9 (4)", "43,1 (9)"]  # not a number: text


def test_the_workbook_holds_numbers_with_excel_formats_and_codes_as_text(rendering):
    downloads.save(
        pd.DataFrame(
            {
                "kommun_kod": ["0821", "0880"],
                "year": [2023, 2024],
                "population": [5321.0, 72704.0],
                "share": [2.125008118464636, 30.0],
            }
        ),
        "Pyramid",
        "pyramid",
        "Källa: SCB",
    )
    target = downloads.write_xlsx(rendering, rendering / "r.xlsx")
    book = openpyxl.load_workbook(target)
    index = list(book["Innehåll"].iter_rows(values_only=True))
    assert index[1][:2] == ("01-pyramid", "01-pyramid.csv") and index[1][3] == "Källa: SCB"
    sheet = book["01-pyramid"]
    assert [c.value for c in sheet[1]] == ["Kommunkod", "År", "Invånare", "Andel, %"]
    row = sheet[2]
    assert [c.value for c in row] == ["0821", 2023, 5321, 2.13]
    assert [type(c.value) for c in row] == [str, int, int, float]
    # Excel's own codes, which a Swedish Excel shows as "5 321" and "2,1"; years without a
    # thousands space; codes as text.
    assert [c.number_format for c in row] == ["@", "0", "#,##0", "#,##0.0"]
    assert sheet.freeze_panes == "A2"


@settings(max_examples=200, deadline=None)
@given(
    value=st.floats(min_value=-1e7, max_value=1e7, allow_nan=False),
    decimals=st.integers(min_value=0, max_value=3),
    unit=st.sampled_from(["", " %", " km"]),
)
def test_any_number_the_page_prints_reads_back_as_that_number(value, decimals, unit):
    """What fmt prints (thousands space, decimal comma, typographic minus, a unit) becomes the
    number it shows again, checked against Python's own rounding."""
    text = fmt.number(value, decimals) + unit
    frame, _ = downloads.download_frame(pd.DataFrame({"Mått": [text]}))
    got = frame.iloc[0, 0]
    assert abs(float(got) - round(value, decimals)) <= 10 ** (-decimals) / 2 + 1e-9
    assert re.fullmatch(r"Mått(, (%|km))?", frame.columns[0])


@settings(max_examples=100, deadline=None)
@given(
    values=st.lists(
        st.floats(min_value=-1e6, max_value=1e6, allow_nan=False), min_size=1, max_size=8
    ),
    shown=st.integers(min_value=0, max_value=2),
)
def test_a_table_column_is_rounded_one_decimal_beyond_what_it_shows(values, shown):
    frame, formats = downloads.download_frame(pd.DataFrame({"Värde": values}), {"Värde": shown})
    got = frame["Värde"].astype(float).tolist()
    step = 10.0 ** -(shown + 1)
    for g, v in zip(got, values, strict=True):
        assert abs(g - v) <= step / 2 + 1e-9 * max(1.0, abs(v))  # the nearest such number
        assert abs(g / step - round(g / step)) < 1e-6  # with no more decimals than that
    code = formats["Värde"]
    if all(g.is_integer() for g in got):
        assert code == "#,##0" and str(frame["Värde"].dtype) == "Int64"
    else:
        assert code == "#,##0" + ("." + "0" * shown if shown else "")
