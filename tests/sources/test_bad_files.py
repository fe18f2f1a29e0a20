"""The error contract for bad raw files: one clear error naming the file (and its own line).

One group of tests per root cause (issue #10, "Bad files: the error contract everywhere"):

1. errors raised while reading keep the file's name and the file's own line;
2. text encodings are recognised by their byte order mark (UTF-8, UTF-16 LE/BE) first;
3. a file cut off mid-row or missing rows is refused, never read as missing values;
4. damaged containers (XLSX, GeoPackage), implausible years and gaps in a projection are
   refused at read time, optional kinds included;
5. no command ends in a raw traceback, and a failed build leaves ``data/processed`` as it was.

The small files are written by hand in each test; expected values are counted by hand or by a
brute-force reference, not by the code under test.
"""

from __future__ import annotations

import codecs
import hashlib
import os
import subprocess
import sys
import zipfile
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lansanalys import config, pipeline
from lansanalys.errors import BuildError, InputError
from lansanalys.sources import files
from lansanalys.sources.befolkning import read_befolkning, read_prognos
from lansanalys.sources.common import check_complete, read_text
from lansanalys.sources.forandringar import read_forandringar
from lansanalys.sources.klassning import read_klassning
from lansanalys.sources.rutor import read_rutor
from lansanalys.sources.stod import read_stod
from lansanalys.sources.vagnat import read_vagnat

REPO = Path(__file__).resolve().parents[2]
THIS_YEAR = date.today().year
SEXES = ("män", "kvinnor")

# ------------------------------------------------------------------------------------------------
# Small hand-made files


def pop_lines(
    kommuner=("0821 Högsby", "0880 Kalmar"), years=(2023, 2024), sep=";", skip=()
) -> list[str]:
    """An SCB-style wide population export: title, blank line, header, one row per
    kommun × age × sex (population = age + 1 for män, age + 2 for kvinnor, every year).

    ``skip`` holds (kommun code, age, sex) rows to leave out.
    """
    q = '"{}"'.format
    lines = [q("Folkmängden efter region, ålder, kön och år"), ""]
    lines.append(sep.join([q("region"), q("ålder"), q("kön"), *(q(y) for y in years)]))
    for k in kommuner:
        for age in range(101):
            for sex in SEXES:
                if (k[:4], age, sex) in skip:
                    continue
                a = "100+ år" if age == 100 else f"{age} år"
                v = age + (1 if sex == "män" else 2)
                lines.append(sep.join([q(k), q(a), q(sex), *(q(v) for _ in years)]))
    return lines


def write_lines(path: Path, lines: list[str], encoding="cp1252", newline="\r\n") -> Path:
    path.write_bytes(newline.join(lines).encode(encoding) + newline.encode(encoding))
    return path


def line_of(lines: list[str], needle: str) -> int:
    """1-based line of the first line containing ``needle`` (counting the title lines)."""
    return next(i for i, ln in enumerate(lines, start=1) if needle in ln)


def expected_population(kommuner=("0821", "0880"), years=(2023, 2024)) -> pd.DataFrame:
    rows = [
        (k, y, a, s, float(a + (1 if s == "män" else 2)))
        for k in kommuner
        for y in years
        for a in range(101)
        for s in SEXES
    ]
    return pd.DataFrame(rows, columns=["kommun_kod", "year", "age", "sex", "population"])


def canonical(df: pd.DataFrame) -> pd.DataFrame:
    cols = ["kommun_kod", "year", "age", "sex"]
    out = df[[*cols, "population"]].sort_values(cols).reset_index(drop=True)
    return out.astype({"year": int, "age": int, "population": float})


def truncated_gpkg(tmp_path: Path, src: Path, name: str) -> Path:
    """A GeoPackage cut off after its first 20 kB, as an interrupted download leaves it."""
    dest = tmp_path / name
    dest.write_bytes(src.read_bytes()[:20_000])
    return dest


# ------------------------------------------------------------------------------------------------
# 1. Errors keep the file's name and its own line


def test_undecodable_byte_names_file_and_line(tmp_path):
    lines = pop_lines()
    path = write_lines(tmp_path / "befolkning.csv", lines)
    raw = path.read_bytes().split(b"\r\n")
    raw[40] = raw[40].replace(b"kvinnor", b"kvinn\x81r").replace(b"m\xe4n", b"m\x81n")
    path.write_bytes(b"\r\n".join(raw))
    with pytest.raises(InputError) as err:
        read_befolkning(path)
    msg = str(err.value)
    assert "befolkning.csv" in msg and "row 41" in msg and "0x81" in msg
    assert err.value.row == 41


def test_row_with_an_extra_field_names_the_files_own_line(tmp_path):
    """pandas counted from the header and called it 'line 29291'; the file's line it is."""
    lines = pop_lines()
    n = line_of(lines, '"0880 Kalmar";"37 år";"kvinnor"')
    lines[n - 1] = lines[n - 1].replace('"0880 Kalmar"', "0880 Kalmar;Kalmar")
    path = write_lines(tmp_path / "befolkning.csv", lines)
    with pytest.raises(InputError) as err:
        read_befolkning(path)
    assert err.value.row == n
    assert str(err.value).startswith(f"{path}, row {n}: the row has 6 fields, more than the 5")


def test_errors_a_library_raises_name_the_file(tmp_path, demo_home):
    raw = demo_home / "data" / "raw"
    for reader, src, name in (
        (read_rutor, raw / "rutor" / "demo_befolkning_1km.gpkg", "rutor.gpkg"),
        (read_vagnat, raw / "vagnat" / "demo_vagnat.gpkg", "vagnat.gpkg"),
    ):
        bad = truncated_gpkg(tmp_path, src, name)
        with pytest.raises(InputError) as err:
            reader(bad)
        assert str(err.value).startswith(str(bad)), err.value
        assert "geodata" in str(err.value)


def test_build_error_names_the_file_not_only_the_kind(home_copy):
    """Was ``befolkning: could not read raw files: 'charmap' codec can't decode …``."""
    p = config.paths()
    f = p.raw_kind("befolkning") / "demo_befolkning_scb.csv"
    data = bytearray(f.read_bytes())
    at = data.index(b"\r\n", 100_000) + 5  # inside the region name of a row further down
    data[at] = 0x90
    f.write_bytes(bytes(data))
    line = data[:at].count(b"\n") + 1
    with pytest.raises(InputError) as err:
        pipeline.build(p, force=True)
    assert err.value.path == f and err.value.row == line


def test_point_at_sea_names_its_file_and_id(home_copy):
    """A point inside Sweden's box but at sea, between Öland and Gotland: its file and its id."""
    p = config.paths()
    f = p.raw_kind("service") / "demo_pipos_serviceanalys.csv"
    with open(f, "a", encoding="cp1252", newline="") as fh:
        fh.write(
            "X777777;Apotek;Apoteket Utlandet;Hamngatan 1;Kalmar;0880;Kalmar;645000;6330000;x\r\n"
        )
    before = sorted((p.processed).glob("*"))
    with pytest.raises(BuildError) as err:
        pipeline.build(p, force=True)
    msg = str(err.value)
    assert "data/raw/service/demo_pipos_serviceanalys.csv" in msg
    assert "'X777777'" in msg and "Apoteket Utlandet" in msg and "(645000, 6330000)" in msg
    assert "SWEREF 99 TM" in msg
    assert sorted((p.processed).glob("*")) == before  # nothing half-written


# ------------------------------------------------------------------------------------------------
# 2. Encodings: byte order marks first


@pytest.mark.parametrize(
    ("encoding", "sep", "bom"),
    [
        ("cp1252", ";", b""),  # SCB's and Pipos' older exports
        ("utf-8", ",", b""),
        ("utf-8", ";", codecs.BOM_UTF8),  # Excel's "CSV UTF-8"
        ("utf-16-le", "\t", codecs.BOM_UTF16_LE),  # Excel's "Unicode text"
        ("utf-16-be", "\t", codecs.BOM_UTF16_BE),
        ("utf-16-le", "\t", b""),  # the same, its BOM lost
    ],
)
def test_every_encoding_reads_the_same_population(tmp_path, encoding, sep, bom):
    lines = pop_lines(kommuner=("0821 Högsby", "0880 Kalmar", "1283 Helsingborg"), sep=sep)
    text = "\r\n".join(lines) + "\r\n"
    path = tmp_path / "befolkning.txt"
    path.write_bytes(bom + text.encode(encoding))
    got = canonical(read_befolkning(path))
    want = canonical(expected_population(kommuner=("0821", "0880", "1283")))
    pd.testing.assert_frame_equal(got, want)


def test_utf16_klassning_keeps_its_letters(tmp_path):
    text = "Kommun\tKommunkod\tGruppkod\tKommungrupp\r\nHögsby\t0821\tC8\tLandsbygdskommun\r\n"
    path = tmp_path / "grupper.txt"
    path.write_bytes(codecs.BOM_UTF16_LE + text.encode("utf-16-le"))
    df = read_klassning(path)
    assert df.loc[0, "kommun_kod"] == "0821" and df.loc[0, "class_name"] == "Landsbygdskommun"


SWEDISH = st.text(
    alphabet=st.sampled_from(list("abcåäöÅÄÖéü xyz0189;,.-\t\n\"'")), min_size=1, max_size=200
).filter(lambda s: s.strip())


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    text=SWEDISH, how=st.sampled_from(["utf-8", "utf-8-sig", "utf-16-le", "utf-16-be", "cp1252"])
)
def test_read_text_round_trips_every_supported_encoding(tmp_path, text, how):
    """Any text of Swedish letters comes back as written, whatever encoding carried it."""
    boms = {"utf-16-le": codecs.BOM_UTF16_LE, "utf-16-be": codecs.BOM_UTF16_BE}
    path = tmp_path / "t.csv"
    path.write_bytes(boms.get(how, b"") + text.encode(how))
    assert read_text(path) == text


def test_binary_file_is_refused_with_its_line(tmp_path):
    path = tmp_path / "befolkning.csv"
    path.write_bytes(b'"region";"\xe5lder";"k\xf6n";"2024"\r\n"0821";"0";"1";"\x00\x01"\r\n')
    with pytest.raises(InputError, match=r"row 2: the text holds NUL"):
        read_befolkning(path)


# ------------------------------------------------------------------------------------------------
# 3. Files cut off mid-row or missing rows


def test_file_cut_off_mid_row_is_refused(tmp_path):
    lines = pop_lines()
    path = write_lines(tmp_path / "befolkning.csv", lines)
    raw = path.read_bytes()
    cut = raw[: len(raw) - 12]  # the last row ends inside its 2023 value: "1
    path.write_bytes(cut)
    with pytest.raises(InputError) as err:
        read_befolkning(path)
    assert err.value.row == len(lines)
    assert "4 fields, fewer than the 5 of the header on line 3" in str(err.value)


def test_short_row_in_the_middle_is_refused_not_read_as_missing(tmp_path):
    lines = pop_lines()
    n = line_of(lines, '"0821 Högsby";"50 år";"män"')
    lines[n - 1] = '"0821 Högsby";"50 år";"män";"51"'  # 2024 lost
    path = write_lines(tmp_path / "befolkning.csv", lines)
    with pytest.raises(InputError) as err:
        read_befolkning(path)
    assert err.value.row == n


def test_missing_age_is_refused_with_what_is_missing(tmp_path):
    lines = pop_lines(skip={("0821", 37, "kvinnor")})
    df = read_befolkning(write_lines(tmp_path / "befolkning.csv", lines))
    with pytest.raises(InputError) as err:
        check_complete(df, tmp_path / "befolkning.csv")
    msg = str(err.value)
    # Two years without that row: 2 of 2 kommuner × 2 years × 101 ages × 2 sexes.
    assert "2 of 808 kommun × year × age × sex combinations are missing" in msg
    assert "0821 Högsby 2023 age 37 kvinnor; 0821 Högsby 2024 age 37 kvinnor" in msg


def test_kommun_without_a_year_is_refused(tmp_path):
    full = expected_population()
    long = full[~((full["kommun_kod"] == "0880") & (full["year"] == 2023))]
    with pytest.raises(InputError, match=r"202 of 808 .*0880 Kalmar 2023 \(no rows at all\)"):
        check_complete(long, "befolkning.csv")


def test_complete_table_passes():
    check_complete(expected_population(), "befolkning.csv")


@settings(max_examples=60, deadline=None)
@given(drop=st.sets(st.integers(min_value=0, max_value=807), max_size=30))
def test_complete_check_counts_exactly_what_is_missing(drop):
    """Brute-force reference: the missing count is the number of rows dropped, and a table is
    accepted exactly when nothing was dropped (kommuner and years still present)."""
    full = expected_population()
    part = full.drop(index=sorted(drop))
    left = set(zip(part["kommun_kod"], part["year"], strict=True))
    # The check expects every kommun × year of the file; count the reference from that grid.
    ks, ys = {k for k, _ in left}, {y for _, y in left}
    grid = {(k, y, a, s) for k in ks for y in ys for a in range(101) for s in SEXES}
    have = set(zip(part["kommun_kod"], part["year"], part["age"], part["sex"], strict=True))
    missing = len(grid - have)
    if missing == 0:
        check_complete(part, "b.csv")
    else:
        with pytest.raises(InputError, match=rf"\b{missing} of {len(grid)} kommun"):
            check_complete(part, "b.csv")


def test_build_refuses_population_with_a_deleted_row(home_copy):
    p = config.paths()
    f = p.raw_kind("befolkning") / "demo_befolkning_scb.csv"
    lines = f.read_bytes().split(b"\r\n")
    gone = next(
        i for i, ln in enumerate(lines) if ln.startswith(b'"0821 H\xf6gsby","37 \xe5r","kv')
    )
    del lines[gone]
    f.write_bytes(b"\r\n".join(lines))
    with pytest.raises(InputError) as err:
        pipeline.build(p, force=True)
    msg = str(err.value)
    assert str(f) in msg
    assert "11 of 644380" in msg and "0821 Högsby 2014 age 37 kvinnor" in msg


# ------------------------------------------------------------------------------------------------
# 4. Damaged containers, implausible years, gaps in a projection, optional kinds


def test_corrupt_xlsx_is_an_input_error(tmp_path):
    good = tmp_path / "good.xlsx"
    pd.DataFrame(
        {"Kommun": ["0821"], "År": ["2023"], "Stödform": ["Servicebidrag"], "Belopp": ["100"]}
    ).to_excel(good, index=False)
    assert zipfile.is_zipfile(good)
    bad = tmp_path / "stod.xlsx"
    bad.write_bytes(good.read_bytes()[:300])  # a download cut short
    with pytest.raises(InputError, match=r"stod\.xlsx: not a readable Excel workbook"):
        read_stod(bad)


def test_truncated_geopackage_is_named_before_any_reader_runs(tmp_path, demo_home):
    """``is_demo`` opened the GeoPackage first and raised DataSourceError without the file."""
    p = config.Paths(tmp_path)
    p.raw_kind("rutor").mkdir(parents=True)
    src = demo_home / "data" / "raw" / "rutor" / "demo_befolkning_1km.gpkg"
    bad = truncated_gpkg(p.raw_kind("rutor"), src, "rutor.gpkg")
    with pytest.raises(InputError) as err:
        files.is_demo(bad, {}, p)
    assert err.value.path == bad


def _long_population(tmp_path: Path, year: str, name="befolkning.csv") -> Path:
    rows = ["region;ålder;kön;år;folkmängd"]
    for a in range(101):
        for s in SEXES:
            rows.append(f"0821;{a};{s};{year if (a, s) == (40, 'män') else 2024};{a}")
    return write_lines(tmp_path / name, rows, encoding="utf-8")


@pytest.mark.parametrize("year", ["2099", "20223", "1776", str(THIS_YEAR + 2), "2o23"])
def test_implausible_year_in_a_data_column_names_file_line_column(tmp_path, year):
    path = _long_population(tmp_path, year)
    with pytest.raises(InputError) as err:
        read_befolkning(path)
    assert err.value.row == 2 + 40 * 2 and err.value.column == "år"
    assert f"year {year!r} is not a plausible year" in str(err.value)


@pytest.mark.parametrize("column", ["20223", "2099", "X1776"])
def test_implausible_year_column_is_refused(tmp_path, column):
    lines = pop_lines()
    lines[2] = lines[2].replace('"2023"', f'"{column}"')
    path = write_lines(tmp_path / "befolkning.csv", lines)
    with pytest.raises(InputError) as err:
        read_befolkning(path)
    assert err.value.row == 3 and err.value.column == column


def test_projection_years_may_look_ahead_but_observed_years_not(tmp_path):
    lines = pop_lines(years=(2030, 2040))
    path = write_lines(tmp_path / "prognos.csv", lines)
    assert sorted(read_prognos(path)["year"].unique()) == [2030, 2040]
    with pytest.raises(InputError, match=r"column '2030'"):
        read_befolkning(path)


def test_projection_with_missing_value_is_refused_at_read_time(tmp_path):
    lines = pop_lines(years=(2030, 2040))
    n = line_of(lines, '"0880 Kalmar";"12 år";"kvinnor"')
    lines[n - 1] = '"0880 Kalmar";"12 år";"kvinnor";"14";".."'
    path = write_lines(tmp_path / "prognos.csv", lines)
    with pytest.raises(InputError) as err:
        read_prognos(path)
    assert err.value.row == n
    assert "kommun 0880, year 2040, age 12, kvinnor" in str(err.value)


def test_stod_and_forandringar_years_are_checked(tmp_path):
    stod = write_lines(
        tmp_path / "stod.csv",
        ["Kommunkod;År;Stödform;Belopp (kr)", "0821;2023;Servicebidrag;100", "0821;2099;X;5"],
        encoding="utf-8",
    )
    with pytest.raises(InputError) as err:
        read_stod(stod)
    assert (err.value.row, err.value.column) == (3, "År")
    forand = write_lines(
        tmp_path / "forandringar.csv",
        [
            '"region";"förändringar";"kön";"2023";"20224"',
            '"0821 Högsby";"födda";"totalt";"40";"41"',
        ],
        encoding="utf-8",
    )
    with pytest.raises(InputError) as err:
        read_forandringar(forand)
    assert (err.value.row, err.value.column) == (1, "20224")


def test_optional_kind_errors_name_their_file(home_copy):
    """klassning, prognos and forandringar were read with no error wrapping at all."""
    p = config.paths()
    f = p.raw_kind("klassning") / "demo_kommungrupper.csv"
    text = f.read_bytes().replace(b"Vallentuna", b"Vallen\x81tuna")
    f.write_bytes(text)
    with pytest.raises(InputError) as err:
        pipeline.build(p, force=True)
    assert err.value.path == f and err.value.row == 4


# ------------------------------------------------------------------------------------------------
# 5. The command line: one line, no traceback, nothing half-written


def _digest(folder: Path) -> dict[str, str]:
    return {
        f.relative_to(folder).as_posix(): hashlib.sha256(f.read_bytes()).hexdigest()
        for f in sorted(folder.rglob("*"))
        if f.is_file()
    }


def run_cli(home: Path, *args: str) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "LANSANALYS_HOME": str(home),
        "PYTHONPATH": str(REPO / "lib"),
        "LANSANALYS_DEBUG": "",
        # No network in tests: any fetch goes nowhere fast.
        "LANSANALYS_PXWEB_V2_URL": "http://127.0.0.1:9/api/v2",
        "LANSANALYS_OVERPASS_URL": "http://127.0.0.1:9/api/interpreter",
    }
    return subprocess.run(
        [sys.executable, "-m", "lansanalys.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def _break_stod_xlsx(p: config.Paths) -> Path:
    f = p.raw_kind("stod") / "stod_2023.xlsx"
    f.write_bytes(b"PK\x03\x04" + b"\x00" * 200)  # a zip header and nothing else
    return f


def _break_rutor_gpkg(p: config.Paths) -> Path:
    src = p.raw_kind("rutor") / "demo_befolkning_1km.gpkg"
    bad = p.raw_kind("rutor") / "scb_rutor.gpkg"
    bad.write_bytes(src.read_bytes()[:20_000])
    return bad


def _break_befolkning(p: config.Paths) -> Path:
    f = p.raw_kind("befolkning") / "demo_befolkning_scb.csv"
    f.write_bytes(f.read_bytes()[:-30])  # cut off mid-row
    return f


def _break_prognos(p: config.Paths) -> Path:
    folder = p.raw_kind("prognos")
    folder.mkdir(parents=True, exist_ok=True)
    lines = pop_lines(years=(2030, 2040))
    lines[10] = lines[10].rsplit(";", 1)[0] + ';".."'
    return write_lines(folder / "prognos.csv", lines)


def _break_forandringar(p: config.Paths) -> Path:
    f = p.raw_kind("forandringar") / "demo_befolkningsforandringar_scb.csv"
    f.write_bytes(f.read_bytes().replace(b'"2019"', b'"20193"'))
    return f


@pytest.mark.parametrize(
    "breaker",
    [_break_stod_xlsx, _break_rutor_gpkg, _break_befolkning, _break_prognos, _break_forandringar],
)
def test_build_command_fails_in_one_line_and_changes_nothing(home_copy, breaker):
    p = config.paths()
    before = _digest(p.processed)
    bad = breaker(p)
    res = run_cli(home_copy, "build", "--force")
    assert res.returncode != 0
    assert "Traceback" not in res.stderr
    assert bad.name in res.stderr and "nothing changed in data/processed" in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1, res.stderr
    assert _digest(p.processed) == before


def test_info_names_the_unreadable_file(home_copy):
    bad = _break_rutor_gpkg(config.paths())
    res = run_cli(home_copy, "info")
    assert res.returncode != 0 and "Traceback" not in res.stderr
    assert "scb_rutor.gpkg (unreadable)" in res.stdout and bad.name in res.stderr


def test_unexpected_errors_are_one_line_and_debug_shows_the_traceback(tmp_path):
    home = tmp_path / "not-a-folder"
    home.write_text("a file where the project home should be")
    for args in (("demo",), ("render", "--lan", "08"), ("fetch", "service", "--lan", "08")):
        res = run_cli(home, *args)
        assert res.returncode != 0, args
        assert "Traceback" not in res.stderr, (args, res.stderr)
        line = res.stderr.strip().splitlines()
        assert len(line) == 1 and line[0].startswith("error: " if args[0] != "fetch" else ""), (
            args,
            res.stderr,
        )
    res = run_cli(home, "--debug", "demo")
    assert res.returncode != 0 and "Traceback" in res.stderr


def test_render_to_a_file_is_one_line(home_copy, tmp_path):
    target = tmp_path / "reports-is-a-file"
    target.write_text("x")
    res = run_cli(home_copy, "render", "--lan", "08", "--out", str(target), "--no-index")
    assert res.returncode != 0 and "Traceback" not in res.stderr, res.stderr
    assert res.stderr.startswith("error: render:")
    assert np.array([len(res.stderr.strip().splitlines())]) == 1


def test_population_without_some_kommuner_names_the_file(home_copy):
    """A check across the whole table (every kommun in the latest year) names the file too."""
    p = config.paths()
    demo_file = p.raw_kind("befolkning") / "demo_befolkning_scb.csv"
    real = write_lines(p.raw_kind("befolkning") / "kalmar_lan.csv", pop_lines(years=(2024,)))
    demo_file.unlink()
    with pytest.raises(BuildError) as err:
        pipeline.build(p, force=True)
    msg = str(err.value)
    assert real.name in msg and "year 2024 lacks 288 kommuner" in msg
