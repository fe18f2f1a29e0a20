"""Raw readers: real SCB exports load as they are; bad input names file, row and column."""

from __future__ import annotations

from pathlib import Path

import pytest

from lansanalys.errors import InputError
from lansanalys.sources.befolkning import read_befolkning
from lansanalys.sources.service import read_service
from lansanalys.sources.stod import read_stod

from ..conftest import shared


def test_real_scb_2019_export_loads_as_is():
    df = read_befolkning(shared("scb-befolkning-2019", "SCB_alderkon.csv"))
    assert len(df) == 58_580
    assert df["population"].sum() == 10_327_589  # SCB's official total, 31 Dec 2019
    assert df["kommun_kod"].nunique() == 290 and set(df["year"]) == {2019}
    hogsby = df[(df["kommun_kod"] == "0821")]
    assert 5_000 < hogsby["population"].sum() < 6_500


def _write(tmp_path: Path, text: str, encoding: str = "utf-8", name: str = "f.csv") -> Path:
    f = tmp_path / name
    f.write_bytes(text.encode(encoding))
    return f


SCB_HEADER = (
    '"Folkmängden efter region, ålder, kön och år"\n\n"region","ålder","kön","2023","2024"\n'
)


def test_latin1_wide_export_with_missing_values(tmp_path):
    body = (
        '"0821 Högsby","0 år","män",30,31\n"0821 Högsby","0 år","kvinnor",..,29\n'
        '"0821 Högsby","100+ år","kvinnor",-,1\n"08 Kalmar län","0 år","män",999,999\n'
    )
    df = read_befolkning(_write(tmp_path, SCB_HEADER + body, "cp1252"))
    assert len(df) == 6  # the län row is an aggregate and is dropped
    assert df["population"].isna().sum() == 2
    assert set(df["age"]) == {0, 100}


def test_long_layout_with_codes_and_numeric_sex(tmp_path):
    text = "region;alder;kon;ar;folkmangd\n0821;5;1;2024;40\n0821;5;2;2024;38\n"
    df = read_befolkning(_write(tmp_path, text))
    assert sorted(df["sex"]) == ["kvinnor", "män"] and df["population"].sum() == 78


@pytest.mark.parametrize(
    ("body", "row", "column", "what"),
    [
        ('"821 Högsby","0 år","män",30,31\n', 4, "region", "leading zero"),
        ('"0821 Högsby","0 år","män",abc,31\n', 4, "2023", "not a number"),
        ('"0821 Högsby","0 år","män",-3,31\n', 4, "2023", "negative"),
        ('"0821 Högsby","0 år","män",1,2\n"0821 Högsby","0 år","män",1,2\n', 5, None, "duplicate"),
        ('"0821 Högsby","tusen år","män",1,2\n', 4, "ålder", "age"),
    ],
)
def test_bad_befolkning_rows_are_named(tmp_path, body, row, column, what):
    f = _write(tmp_path, SCB_HEADER + body)
    with pytest.raises(InputError) as exc:
        read_befolkning(f)
    err = exc.value
    assert err.row == row and what in str(err) and str(f) in str(err)
    if column:
        assert err.column == column


def test_empty_file(tmp_path):
    with pytest.raises(InputError, match="empty"):
        read_befolkning(_write(tmp_path, "  \n"))


PIPOS = "ID;Serviceslag;Namn;X;Y\n"


def test_pipos_export_cp1252(tmp_path):
    text = (
        PIPOS
        + "1;Dagligvaror, fullsortiment;Coop Högsby;560000;6334000\n2;Apoteksombud;Ombud;560100;6334100\n"
    )
    df = read_service(_write(tmp_path, text, "cp1252"))
    assert list(df["service_type"]) == ["dagligvaror", "apotek"]
    assert df.loc[0, "name"] == "Coop Högsby"


def test_wgs84_given_as_sweref_is_caught(tmp_path):
    text = PIPOS + "1;Drivmedel;OKQ8;560000;6334000\n2;Drivmedel;Preem;16,45;57,1\n"
    with pytest.raises(InputError, match="row 3.*WGS 84"):
        read_service(_write(tmp_path, text))


def test_unknown_service_label(tmp_path):
    with pytest.raises(InputError, match="row 2, column 'Serviceslag'.*'Frisör'"):
        read_service(_write(tmp_path, PIPOS + "1;Frisör;Salong;560000;6334000\n"))


def test_support_list_decimal_comma_and_ksek(tmp_path):
    text = "Kommun;År;Stödform;Belopp tkr\nHögsby;2024;Servicebidrag;150,5\n0880;2023;Servicebidrag;1 200\n"
    df = read_stod(_write(tmp_path, text))
    assert df["kommun_kod"].tolist() == ["0821", "0880"]
    assert df["amount_sek"].tolist() == [150_500.0, 1_200_000.0]


def _kalmar_rows(first: int = 10) -> tuple[str, int, int]:
    """One row per kommun in Kalmar län (12): reconciliation needs the whole län."""
    from lansanalys import geo

    codes = geo.kommun_codes("08")
    body = "".join(f'"{c}","0 år","män",{first},{first + 1}\n' for c in codes)
    return body, first * len(codes), (first + 1) * len(codes)


def test_lan_totals_reconcile_with_kommun_rows(tmp_path):
    body, a, b = _kalmar_rows()
    body += f'"08 Kalmar län","0 år","män",{a},{b + 3}\n'  # 2025: within SCB's CKM noise
    body += '"00 Riket","totalt","totalt",1,1\n'  # riket cannot be checked: kommuner missing
    df = read_befolkning(
        _write(tmp_path, SCB_HEADER.replace('"2023","2024"', '"2024","2025"') + body)
    )
    assert df["population"].sum() == a + b


def test_total_that_disagrees_with_its_kommuner_names_the_row(tmp_path):
    body, a, b = _kalmar_rows()
    body += f'"08 Kalmar län","0 år","män",{a},500\n'
    with pytest.raises(InputError, match=f"row 16.*total 500 for region 08, 2024.*{b}"):
        read_befolkning(_write(tmp_path, SCB_HEADER + body))


def test_error_rows_are_file_lines_after_aggregate_rows(tmp_path):
    body = '"08 Kalmar län","0 år","män",1,1\n"0821 Högsby","0 år","män",abc,31\n'
    with pytest.raises(InputError) as exc:
        read_befolkning(_write(tmp_path, SCB_HEADER + body))
    assert exc.value.row == 5
