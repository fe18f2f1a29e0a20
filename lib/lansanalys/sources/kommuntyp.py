"""Tillväxtanalys' kommuntyper (``data/raw/kommuntyp/``): the published spreadsheet (xlsx) or any
CSV with a kommun code and the six-class type.

Tillväxtanalys publishes the classification (2014, updated 2021) as a workbook: title lines, then a
table with the kommun code, its name and the type in six classes (and often the three-class
aggregate), the type as a number (1–6), as ``"4. Landsbygdskommuner nära större städer"`` or as a
name alone. Tillväxtverket and Jordbruksverket name the same classes differently ("Täta blandade
kommuner", "Mycket glesa landsbygdskommuner"); both vocabularies are read. A code that lost its
leading zero (Excel turns ``0821`` into ``821``), a class that is none of the six, a three-class
column that disagrees with the six, a kommun twice or one missing is an error naming the file,
row and column.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from lansanalys import geo
from lansanalys.analysis.place_types import AGGREGATE, KOMMUNTYPER, KOMMUNTYPER3
from lansanalys.errors import InputError
from lansanalys.sources.common import (
    file_line,
    file_reader,
    find_column,
    parse_kommun_codes_once,
    raise_first,
    reading,
    table_after_header,
)

#: Normalised class names (see :func:`_norm`) → six-class code: Tillväxtanalys' names and
#: Tillväxtverket's / Jordbruksverket's.
_NAMES6 = {
    "storstadskommuner": 1,
    "tata kommuner nara storre stad": 2,
    "tata blandade kommuner": 2,
    "tata kommuner avlagset belagna": 3,
    "tata avlagsna kommuner": 3,
    "glesa blandade kommuner": 3,
    "landsbygdskommuner nara storre stad": 4,
    "tatortsnara landsbygdskommuner": 4,
    "landsbygdskommuner avlagset belagna": 5,
    "avlagsna landsbygdskommuner": 5,
    "glesa landsbygdskommuner": 5,
    "landsbygdskommuner mycket avlagset belagna": 6,
    "mycket avlagsna landsbygdskommuner": 6,
    "mycket glesa landsbygdskommuner": 6,
}
_NAMES3 = {
    "storstadskommuner": 1,
    "tata kommuner": 2,
    "blandade kommuner": 2,
    "landsbygdskommuner": 3,
}

_CODE_COL = r"(kommun|kn)[\s_-]*(kod|nr|nummer)|kod|kommun_kod"
_TYPE_COL = r".*(typ|klass|grupp|indelning).*"
_HEADER = re.compile(r"^\s*((kommun|kn)[\s_-]*(kod|nr|nummer)|kod|kommun_kod)\s*$", re.IGNORECASE)


def _norm(text: str) -> tuple[int | None, str]:
    """A class label as (its leading number, its normalised name): lower case, å/ä/ö folded,
    "städer" → "stad", "en större" → "större", "belägen" → "belägna", singular → plural."""
    t = str(text).strip().casefold().translate(str.maketrans("åäöé", "aaoe"))
    m = re.match(r"^(\d+)\s*[.):-]?\s*(.*)$", t)
    number = int(m.group(1)) if m else None
    name = m.group(2) if m else t
    name = re.sub(r"\s+", " ", name.replace(",", " ")).strip()
    name = re.sub(r"\bstader\b", "stad", name)
    name = re.sub(r"\ben (storre)\b", r"\1", name)
    name = re.sub(r"\bbelagen\b", "belagna", name)
    name = re.sub(r"kommun\b", "kommuner", name)
    return number, name


def _parse_classes(
    values: pd.Series, path: Path, column: str, first: int, names: dict[str, int], n: int
) -> pd.Series:
    """Class codes 1..n from numbers, "N. Name" or names; the first bad one is an error."""
    listing = (KOMMUNTYPER if n == 6 else KOMMUNTYPER3).items()
    expected = f"a class 1–{n} or its name: " + "; ".join(f"{k} {v}" for k, v in listing)
    codes = []
    for i, v in enumerate(values):
        number, name = _norm(v)
        by_name = names.get(name) if name else None
        problem = None
        if name and by_name is None:
            problem = f"unknown class {v!r}"
        elif number is None and by_name is None:
            problem = "no class"
        elif number is not None and not 1 <= number <= n:
            problem = f"class {v!r} is not one of 1–{n}"
        elif number is not None and by_name is not None and number != by_name:
            problem = f"{v!r}: the number says class {number}, the name class {by_name}"
        if problem:
            raise InputError(
                path, problem, row=file_line(first, i), column=column, expected=expected
            )
        codes.append(number if number is not None else by_name)
    return pd.Series(codes, index=values.index, dtype=int)


def _workbook_table(path: Path) -> tuple[pd.DataFrame, int]:
    """The table of a workbook below its title lines, and the sheet row of its first data row."""
    with reading(path):
        raw = pd.read_excel(path, header=None, dtype=str).fillna("")
    for i in range(min(len(raw), 50)):
        cells = [str(c).strip() for c in raw.iloc[i]]
        if any(_HEADER.match(c) for c in cells) and any(
            re.fullmatch(_TYPE_COL, c, re.IGNORECASE) for c in cells
        ):
            df = raw.iloc[i + 1 :].copy()
            df.columns = [c or f"kolumn {j + 1}" for j, c in enumerate(cells)]
            df = df[(df != "").any(axis=1)]
            # Rows below the table (footnotes) have no code; keep the table's own rows only.
            return df.reset_index(drop=True), i + 2
    raise InputError(
        path,
        "no header row with a kommun code column and a type column in the first 50 rows",
        expected="a header such as 'Kommunkod', 'Kommun', 'Kommuntyp 6' (and 'Kommuntyp 3')",
    )


@file_reader
def read_kommuntyp(path: Path) -> pd.DataFrame:
    """Read Tillväxtanalys' kommuntyper.

    Returns
    -------
    DataFrame
        ``kommun_kod, lan_kod, typ6, typ6_name, typ3, typ3_name``: every one of the 290
        kommuner once; the three classes from the file's column where it has one (checked
        against the six), else aggregated.

    Raises
    ------
    InputError
        No code or type column, an unknown kommun code (a lost leading zero is named as such),
        an unknown class, a three-class value that disagrees with the six, a kommun twice or
        missing.
    """
    path = Path(path)
    if path.suffix.lower() in {".xlsx", ".xls"}:
        df, first = _workbook_table(path)
    else:
        df, header_line = table_after_header(path, r"kommun|kod", min_fields=2)
        first = header_line + 1
    df.columns = [str(c).strip() for c in df.columns]
    kcol = find_column(df, path, _CODE_COL, "kommun code")
    types = [c for c in df.columns if c != kcol and re.fullmatch(_TYPE_COL, c, re.IGNORECASE)]
    if not types:
        raise InputError(
            path,
            f"no type column; columns are {list(df.columns)}",
            expected="a column named like 'Kommuntyp' with the six classes",
        )
    three = [c for c in types if re.search(r"(?<!\d)3(?!\d)|\btre\b", c, re.IGNORECASE)]
    six = [c for c in types if c not in three]
    if not six:
        raise InputError(
            path,
            f"only a three-class column ({three[0]!r}); the six classes are needed",
            expected="a column with the six kommuntyper (1–6)",
        )
    six_col = next((c for c in six if re.search(r"(?<!\d)6(?!\d)|\bsex\b", c, re.I)), six[0])
    codes = parse_kommun_codes_once(df[kcol].astype(str).str.strip(), path, kcol, first)
    typ6 = _parse_classes(df[six_col], path, six_col, first, _NAMES6, 6)
    if three:
        typ3 = _parse_classes(df[three[0]], path, three[0], first, _NAMES3, 3)
        raise_first(
            (typ3 != typ6.map(AGGREGATE)).to_numpy(),
            path,
            first,
            three[0],
            "the three-class aggregate of the six classes (1 → 1; 2, 3 → 2; 4, 5, 6 → 3)",
            lambda i: f"class {df[three[0]].iloc[i]!r} does not agree with {df[six_col].iloc[i]!r}",
        )
    else:
        typ3 = typ6.map(AGGREGATE)
    missing = sorted(set(geo.kommun_codes()) - set(codes))
    if missing:
        names = ", ".join(f"{c} {geo.kommun_name(c)}" for c in missing[:8])
        more = f" and {len(missing) - 8} more" if len(missing) > 8 else ""
        raise InputError(
            path,
            f"{len(missing)} kommuner are missing ({names}{more})",
            column=kcol,
            expected="every one of the 290 kommuner",
        )
    return pd.DataFrame(
        {
            "kommun_kod": codes.to_numpy(),
            "lan_kod": codes.str[:2].to_numpy(),
            "typ6": typ6.to_numpy(dtype=int),
            "typ6_name": typ6.map(KOMMUNTYPER).to_numpy(),
            "typ3": typ3.to_numpy(dtype=int),
            "typ3_name": typ3.map(KOMMUNTYPER3).to_numpy(),
        }
    )
