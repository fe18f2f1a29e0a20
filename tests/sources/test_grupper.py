"""The group file (``data/raw/grupper/``): what it reads, and clear errors for bad files."""

from __future__ import annotations

import pytest

from lansanalys import geo
from lansanalys.demo.writers import KFS_KOMMUNER
from lansanalys.errors import InputError
from lansanalys.sources import READERS
from lansanalys.sources.grupper import no_group_twice, read_grupper


def _file(tmp_path, text: str, name: str = "grupper.csv", encoding: str = "utf-8"):
    f = tmp_path / name
    f.write_text(text, encoding=encoding)
    return f


def test_the_kind_is_registered():
    assert READERS["grupper"] is read_grupper


def test_all_23_kfs_names_resolve_to_distinct_real_kommuner():
    codes = [geo.resolve_kommun(n) for n in KFS_KOMMUNER]
    assert len(KFS_KOMMUNER) == 23 and len(set(codes)) == 23
    assert [geo.kommun_name(c) for c in codes] == KFS_KOMMUNER
    # Spot checks against SCB's codes, written out by hand.
    assert {"Sorsele": "2422", "Högsby": "0821", "Ronneby": "1081", "Tjörn": "1419"}.items() <= {
        n: c for n, c in zip(KFS_KOMMUNER, codes, strict=True)
    }.items()


def test_two_groups_with_codes_names_and_periods(tmp_path):
    f = _file(
        tmp_path,
        "grupp;period;kommun\n"
        "Kommuner för serviceutveckling;2022–2025;0821 Högsby\n"
        "Kommuner för serviceutveckling;2022-2025;Malå\n"
        "Service i samverkan;2024;0821\n",
        encoding="cp1252",
    )
    df = read_grupper(f)
    assert list(df.columns) == [
        "group_id",
        "group_name",
        "period_start",
        "period_end",
        "kommun_kod",
    ]
    assert df["group_id"].tolist() == ["kommuner-for-serviceutveckling"] * 2 + [
        "service-i-samverkan"
    ]
    assert df["kommun_kod"].tolist() == ["0821", "2418", "0821"]  # a kommun in two groups is fine
    assert df["period_start"].tolist() == [2022, 2022, 2024]
    assert df["period_end"].tolist() == [2025, 2025, 2024]


def test_comma_separated_with_an_id_column(tmp_path):
    f = _file(tmp_path, "grupp_id,grupp,period,kommun_kod\nkfs,KfS,2022–2025,2422\n")
    df = read_grupper(f)
    assert df.loc[0, ["group_id", "group_name", "kommun_kod"]].tolist() == ["kfs", "KfS", "2422"]


@pytest.mark.parametrize(
    ("body", "row", "column", "words"),
    [
        ("A;2022–2025;821\n", 2, "kommun", "leading zero"),
        ("A;2022–2025;9999\n", 2, "kommun", "unknown kommun"),
        ("A;2022–2025;Atlantis\n", 2, "kommun", "unknown kommun"),
        ("A;2022–2025;0821\nA;2022–2025;0821 Högsby\n", 3, "kommun", "appears twice"),
        ("A;2025–2022;0821\n", 2, "period", "ends before it starts"),
        ("A;22–25;0821\n", 2, "period", "is not a period"),
        ("A;1066–1070;0821\n", 2, "period", "outside"),
        ("A;2022–2025;0821\nA;2022–2026;0840\n", 3, "period", "differs"),
        ("A;2022–2025;0821\n;2022–2025;0840\n", 3, "grupp", "no group name"),
        ("A-B;2022;0821\nA B;2022;0840\n", 3, "grupp", "has the id"),
    ],
)
def test_bad_rows_name_file_row_and_column(tmp_path, body, row, column, words):
    f = _file(tmp_path, "grupp;period;kommun\n" + body)
    with pytest.raises(InputError) as err:
        read_grupper(f)
    msg = str(err.value)
    assert str(f) in msg and f"row {row}" in msg and f"column {column!r}" in msg, msg
    assert words in msg and "expected" in msg, msg


def test_a_file_without_a_period_column_says_what_it_needs(tmp_path):
    f = _file(tmp_path, "grupp;kommun;anm\nA;0821;x\n")
    with pytest.raises(InputError, match=r"no period column"):
        read_grupper(f)


def test_a_group_in_two_files_is_an_error_naming_both(tmp_path):
    a = read_grupper(_file(tmp_path, "grupp;period;kommun\nA;2022;0821\n", "a.csv"))
    b = read_grupper(_file(tmp_path, "grupp;period;kommun\nA;2022;0840\n", "b.csv"))
    with pytest.raises(InputError, match=r"b\.csv: group 'a' is also defined in a\.csv"):
        no_group_twice([a, b], [tmp_path / "a.csv", tmp_path / "b.csv"])
