"""Shared parsing for every raw reader: reading text in any encoding, finding the header and
columns, numbers with decimal commas and SCB's missing-value tokens, codes, years, coordinates,
and the :func:`file_reader` wrapper that turns any library failure into an
:class:`~lansanalys.errors.InputError` naming the file, row and column.
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

import numpy as np
import pandas as pd

from lansanalys import geo
from lansanalys.config import CRS_METRIC
from lansanalys.errors import InputError, UnknownCodeError

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
    raise_first(
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


def raise_first(
    mask, path: Path, first_line: int, column: str | None, expected: str, problem
) -> None:
    """Raise :class:`InputError` at the first row where ``mask`` is true.

    ``problem(i)`` writes the message for row position ``i``; the row reported is the file's line.
    """
    mask = np.asarray(mask, dtype=bool)
    if mask.any():
        i = int(np.flatnonzero(mask)[0])
        raise InputError(
            path, problem(i), row=file_line(first_line, i), column=column, expected=expected
        )


def file_line(first_line, i: int) -> int:
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


def table_after_header(
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


def find_column(
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
    raise_first(
        bad,
        path,
        first_line,
        column,
        "a non-negative count, or '..' for missing",
        lambda i: f"{values.iloc[i]!r} is not a number",
    )
    raise_first(
        (num < 0),
        path,
        first_line,
        column,
        "a non-negative count",
        lambda i: f"negative value {values.iloc[i]!r}",
    )
    if not allow_decimal:
        frac = num.notna() & (num != np.floor(num))
        raise_first(
            frac,
            path,
            first_line,
            column,
            "a whole count",
            lambda i: f"{values.iloc[i]!r} is not a whole number",
        )
    return num


def parse_kommun_codes(values: pd.Series, path: Path, column: str, first_line: int) -> pd.Series:
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
                row=file_line(first_line, i),
                column=column,
                expected="an SCB kommun code ('0821'), '0821 Högsby' or a name",
            ) from None
    return values.map(mapping)


def parse_kommun_codes_once(
    values: pd.Series, path: Path, column: str, first_line: int
) -> pd.Series:
    """:func:`parse_kommun_codes` for a file with one row per kommun: a kommun twice is an
    error naming its row."""
    codes = parse_kommun_codes(values, path, column, first_line)
    raise_first(
        codes.duplicated(),
        path,
        first_line,
        column,
        "one row per kommun",
        lambda i: f"kommun {codes.iloc[i]} appears twice",
    )
    return codes


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
            row=file_line(first_line, i),
            expected=f"{CRS_METRIC} metres, x {x0:.0f}–{x1:.0f}, y {y0:.0f}–{y1:.0f}",
        )


def wgs84_to_sweref(
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
            row=None if first is None else file_line(first, i),
            column=column,
            expected="WGS 84 degrees, lat 55–69.5, lon 10–24.5",
        )
    tr = Transformer.from_crs("EPSG:4326", CRS_METRIC, always_xy=True)
    return tr.transform(lon.to_numpy(), lat.to_numpy())


def kommun_at(x, y, path: Path, first, column: str | None = None) -> np.ndarray:
    """Kommun code of each SWEREF 99 TM point, by point in polygon on :func:`geo.kommun_geometry`.

    The rule is :func:`lansanalys.geo.kommun_of_points`; a point with no kommun (farther than
    :data:`lansanalys.geo.COAST_TOLERANCE_M` from every kommun) is an error naming its row.
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    out = geo.kommun_of_points(x, y)
    raise_first(
        pd.isna(out),
        path,
        first,
        column,
        f"a point in a Swedish kommun or within {geo.COAST_TOLERANCE_M / 1000:g} km of one; give the "
        "kommun instead for a grant without a place on land",
        lambda i: f"point ({x[i]:.0f}, {y[i]:.0f}) lies outside every kommun",
    )
    return out
