"""Tillväxtanalys' kommuntyper (``data/raw/kommuntyp/``): the published workbook and CSV read in
both vocabularies, and bad files refused with the file, row and column (issue #20, part 1).

The files are written here by hand: every kommun gets type ``i % 6 + 1`` by its place in SCB's
list, so the expected class of each kommun is known without the reader.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from lansanalys import geo
from lansanalys.errors import InputError
from lansanalys.pipeline.place_types import kommuntyp_table
from lansanalys.sources import READERS
from lansanalys.sources.kommuntyp import read_kommuntyp

#: Tillväxtanalys' 2021 names (with "städer", as in the published sheet).
NAMES_2021 = {
    1: "Storstadskommuner",
    2: "Täta kommuner nära större städer",
    3: "Täta kommuner avlägset belägna",
    4: "Landsbygdskommuner nära större städer",
    5: "Landsbygdskommuner avlägset belägna",
    6: "Landsbygdskommuner mycket avlägset belägna",
}
#: Jordbruksverket's and Tillväxtverket's names for the same classes.
NAMES_JV = {
    1: "Storstadskommuner",
    2: "Täta blandade kommuner",
    3: "Glesa blandade kommuner",
    4: "Tätortsnära landsbygdskommuner",
    5: "Glesa landsbygdskommuner",
    6: "Mycket glesa landsbygdskommuner",
}
THREE = {1: "Storstadskommuner", 2: "Täta kommuner", 3: "Täta kommuner"} | dict.fromkeys(
    (4, 5, 6), "Landsbygdskommuner"
)
AGG = {1: 1, 2: 2, 3: 2, 4: 3, 5: 3, 6: 3}


def _rows() -> list[list]:
    k = geo.kommuner()
    return [
        [code, name, (i % 6) + 1]
        for i, (code, name) in enumerate(zip(k["kommun_kod"], k["kommun"], strict=True))
    ]


def _workbook(path: Path, rows: list[list], three: bool = True) -> Path:
    head = [
        ["Kommungruppsindelning 2021", "", "", ""],
        ["Källa: Tillväxtanalys", "", "", ""],
        ["", "", "", ""],
        ["Kommunkod", "Kommun", "Kommuntyp 6", "Kommuntyp 3"],
    ]
    body = [[c, n, f"{t}. {NAMES_2021[t]}", THREE[t]] for c, n, t in rows]
    df = pd.DataFrame(head + body)
    if not three:
        df = df.drop(columns=[3])
    df.to_excel(path, header=False, index=False)
    return path


def test_the_published_workbook(tmp_path):
    rows = _rows()
    got = READERS["kommuntyp"](_workbook(tmp_path / "kommuntyper_2021.xlsx", rows))
    assert len(got) == 290 and not got["kommun_kod"].duplicated().any()
    want = {c: t for c, _, t in rows}
    assert dict(zip(got["kommun_kod"], got["typ6"], strict=True)) == want
    assert dict(zip(got["kommun_kod"], got["typ3"], strict=True)) == {
        c: AGG[t] for c, t in want.items()
    }
    hogsby = got.set_index("kommun_kod").loc["0821"]
    assert hogsby["lan_kod"] == "08" and hogsby["typ6_name"].startswith(
        ("Storstads", "Täta", "Landsbygds")
    )


def test_a_csv_in_jordbruksverkets_words_without_the_three_classes(tmp_path):
    rows = _rows()
    text = "kommunkod;kommuntyp\n" + "".join(f"{c};{NAMES_JV[t]}\n" for c, _, t in rows)
    f = tmp_path / "kommuntyper.csv"
    f.write_text(text, encoding="utf-8")
    got = read_kommuntyp(f).set_index("kommun_kod")
    for c, _, t in rows:
        assert got.at[c, "typ6"] == t and got.at[c, "typ3"] == AGG[t]


def test_numbers_alone_are_the_six_classes(tmp_path):
    rows = _rows()
    f = tmp_path / "k.csv"
    f.write_text("Kommunkod,Kommuntyp\n" + "".join(f"{c},{t}\n" for c, _, t in rows), "utf-8")
    got = read_kommuntyp(f)
    assert sorted(got["typ6"].unique()) == [1, 2, 3, 4, 5, 6]


def _error(path: Path) -> str:
    with pytest.raises(InputError) as exc:
        read_kommuntyp(path)
    return str(exc.value)


def test_a_code_that_lost_its_leading_zero(tmp_path):
    rows = _rows()
    rows[5][0] = int(rows[5][0])  # Excel stores 0127 as the number 127
    msg = _error(_workbook(tmp_path / "k.xlsx", rows))
    assert "leading zero" in msg and f"'{rows[5][0]:04d}'" in msg
    assert "row 10" in msg and "Kommunkod" in msg  # header on row 4, sixth kommun on 10


def test_an_unknown_class(tmp_path):
    rows = _rows()
    f = tmp_path / "k.csv"
    lines = [f"{c};{NAMES_2021[t]}" for c, _, t in rows]
    lines[7] = f"{rows[7][0]};Glesbygdskommuner"
    f.write_text("Kommunkod;Kommuntyp 2021\n" + "\n".join(lines) + "\n", "utf-8")
    msg = _error(f)
    assert "unknown class 'Glesbygdskommuner'" in msg
    assert "line 9" in msg or "row 9" in msg
    assert "Kommuntyp 2021" in msg and "Landsbygdskommuner mycket avlägset belägna" in msg


def test_a_class_number_out_of_range_and_a_number_that_contradicts_its_name(tmp_path):
    rows = _rows()
    f = tmp_path / "k.csv"
    body = [f"{c};{t}" for c, _, t in rows]
    body[0] = f"{rows[0][0]};7"
    f.write_text("Kommunkod;Kommuntyp\n" + "\n".join(body) + "\n", "utf-8")
    assert "is not one of 1–6" in _error(f)
    body[0] = f"{rows[0][0]};2. Landsbygdskommuner nära större städer"
    f.write_text("Kommunkod;Kommuntyp\n" + "\n".join(body) + "\n", "utf-8")
    assert "the number says class 2, the name class 4" in _error(f)


def test_three_classes_that_disagree_with_the_six(tmp_path):
    rows = _rows()
    path = _workbook(tmp_path / "k.xlsx", rows)
    df = pd.read_excel(path, header=None, dtype=str)
    df.iloc[4 + 3, 3] = "Storstadskommuner"  # the fourth kommun is type 4 (landsbygd)
    df.to_excel(path, header=False, index=False)
    msg = _error(path)
    assert "does not agree" in msg and "Kommuntyp 3" in msg and "row 8" in msg


def test_a_kommun_twice_or_missing(tmp_path):
    rows = _rows()
    f = tmp_path / "k.csv"
    body = [f"{c};{t}" for c, _, t in rows]
    f.write_text("Kommunkod;Kommuntyp\n" + "\n".join(body + body[:1]) + "\n", "utf-8")
    assert "appears twice" in _error(f)
    f.write_text("Kommunkod;Kommuntyp\n" + "\n".join(body[1:]) + "\n", "utf-8")
    msg = _error(f)
    assert "1 kommuner are missing" in msg and rows[0][0] in msg


def test_no_type_column_or_only_three_classes(tmp_path):
    rows = _rows()
    f = tmp_path / "k.csv"
    f.write_text("Kommunkod;Namn\n" + "".join(f"{c};{n}\n" for c, n, _ in rows), "utf-8")
    assert "no type column" in _error(f)
    f.write_text(
        "Kommunkod;Kommuntyp 3\n" + "".join(f"{c};{AGG[t]}\n" for c, _, t in rows), "utf-8"
    )
    assert "six classes are needed" in _error(f)


def test_a_supplied_classification_replaces_the_computed_one(tmp_path):
    rows = _rows()
    supplied = read_kommuntyp(_workbook(tmp_path / "k.xlsx", rows))
    # Two kommuner with cells: Högsby all rural and far from a larger town (computed 6).
    cells = pd.DataFrame(
        {
            "kommun_kod": ["0821", "0821", "0880"],
            "population": [100, 100, 1000],
            "urban_cluster": [False, False, True],
            "city_min": [95.0, 100.0, 0.0],
        }
    )
    out, basis = kommuntyp_table(supplied, cells, neighbours=[])
    got = out.set_index("kommun_kod")
    want = {c: t for c, _, t in rows}
    assert basis == "tillvaxtanalys" and len(out) == 290
    assert got["typ6"].to_dict() == want
    assert got.at["0821", "computed_typ6"] == 6 and got.at["0880", "computed_typ6"] == 2
    computed, basis = kommuntyp_table(None, cells, neighbours=[])
    assert basis == "computed"
    assert computed.set_index("kommun_kod").at["0821", "typ6"] == 6
