"""Support lists (Tillväxtverket, regions, länsstyrelser, EU funds): one row per grant with
kommun (from a code, an org.nr lookup or coordinates), year, programme and amount in SEK.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from lansanalys.errors import InputError
from lansanalys.sources.common import (
    check_sweref,
    check_years,
    file_line,
    file_reader,
    find_column,
    kommun_at,
    parse_count,
    parse_kommun_codes,
    raise_first,
    reading,
    table_after_header,
    wgs84_to_sweref,
)

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
        df, header_line = table_after_header(path, _STOD_HEADER[0])
    except InputError as exc:
        if "no header line" not in str(exc):
            raise
        try:  # an org.nr → kommun lookup may have only two columns
            df, header_line = table_after_header(path, _STOD_HEADER[1], min_fields=2)
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
        find_column(df, path, STOD_ORGNR, "org.nr", required=False) is not None
        and find_column(df, path, STOD_KOMMUN, "kommun", required=False) is not None
        and find_column(df, path, STOD_AMOUNT, "amount", required=False) is None
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
    raise_first(
        ~fmt,
        path,
        first,
        column,
        "an organisation number NNNNNN-NNNN or 10 digits",
        lambda i: f"org.nr {s.iloc[i]!r} not understood",
    )
    digits = s.str.replace("-", "", regex=False)
    ok = np.array([orgnr_valid(d) for d in digits])
    raise_first(
        ~ok,
        path,
        first,
        column,
        "an organisation number whose last digit is its Luhn check digit",
        lambda i: f"org.nr {s.iloc[i]!r} has a wrong check digit",
    )
    return digits.str[:6] + "-" + digits.str[6:]


def _read_orgnr_lookup(path: Path, df: pd.DataFrame, first: int) -> dict[str, str]:
    ocol = find_column(df, path, STOD_ORGNR, "org.nr")
    kcol = find_column(df, path, STOD_KOMMUN, "kommun")
    org = _orgnr(df[ocol], path, ocol, first)
    kommun = parse_kommun_codes(df[kcol].astype(str).str.strip(), path, kcol, first)
    seen: dict[str, str] = {}
    for i, (o, k) in enumerate(zip(org, kommun, strict=True)):
        if seen.setdefault(o, k) != k:
            raise InputError(
                path,
                f"org.nr {o} is given kommun {k} here and {seen[o]} on an earlier row",
                row=file_line(first, i),
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
    raise_first(
        kommun.isna().to_numpy(),
        path,
        first,
        ocol,
        "an org.nr listed in " + ", ".join(f.name for f in files),
        lambda i: f"org.nr {org.iloc[i]} is not in the lookup file(s)",
    )
    return kommun.to_numpy()


def _kommun_from_coordinates(df: pd.DataFrame, path: Path, first) -> np.ndarray | None:
    cols = {c.lower(): c for c in df.columns}
    pair = next(((cols[a], cols[b]) for a, b in STOD_XY if a in cols and b in cols), None)
    if pair is not None:
        x = parse_count(df[pair[0]], path, pair[0], first, allow_decimal=True)
        y = parse_count(df[pair[1]], path, pair[1], first, allow_decimal=True)
        for col, s in zip(pair, (x, y), strict=True):
            raise_first(
                s.isna(), path, first, col, "SWEREF 99 TM metres", lambda _i: "coordinate missing"
            )
        check_sweref(x, y, path, first)
        return kommun_at(x, y, path, first, pair[0])
    lat = find_column(df, path, STOD_LAT, "latitude", required=False)
    lon = find_column(df, path, STOD_LON, "longitude", required=False)
    if lat and lon:
        lat_v = pd.to_numeric(df[lat].astype(str).str.replace(",", "."), errors="coerce")
        lon_v = pd.to_numeric(df[lon].astype(str).str.replace(",", "."), errors="coerce")
        x, y = wgs84_to_sweref(lon_v, lat_v, path, first, column=lat)
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
    ycol = find_column(df, path, r"år|ar|year|beslutsår", "year")
    pcol = find_column(df, path, r"stödform|stodform|program|programme|insats", "programme")
    acol = find_column(df, path, STOD_AMOUNT, "amount")
    rcol = find_column(df, path, r"mottagare|stödmottagare|recipient", "recipient", required=False)
    amount = parse_count(df[acol], path, acol, first, allow_decimal=True)
    if re.search(r"tkr|ksek|tusental", acol, re.IGNORECASE):
        amount = amount * 1000
    if amount.isna().any():
        i = int(np.flatnonzero(amount.isna().to_numpy())[0])
        raise InputError(
            path, "amount missing", row=first + i, column=acol, expected="an amount in SEK"
        )
    year = check_years(df[ycol], path, first, ycol)
    kcol = find_column(df, path, STOD_KOMMUN, "kommun", required=False)
    ocol = find_column(df, path, STOD_ORGNR, "org.nr", required=False)
    if kcol is not None:
        kommun = parse_kommun_codes(df[kcol].str.strip(), path, kcol, first).to_numpy()
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
