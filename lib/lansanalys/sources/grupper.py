"""Groups of kommuner for programme follow-up (``data/raw/grupper/``): a programme's kommuner and
its period, e.g. Tillväxtverket's *Kommuner för serviceutveckling 2022–2025*.

The format is a CSV file (``;`` or ``,``, any of the kit's encodings) with one row per kommun in
a group and three columns::

    grupp;period;kommun
    Kommuner för serviceutveckling;2022–2025;2421 Sorsele
    Kommuner för serviceutveckling;2022–2025;2418 Malå

``grupp`` is the group's name (several groups may share a file; each gets the id of its name as
a slug, ``kommuner-for-serviceutveckling``, unless a ``grupp_id`` column gives one), ``period``
the programme's first and last year (``2022–2025`` with an en dash or a hyphen; one year alone
is a one-year programme), ``kommun`` the kommun as an SCB code (``0821``), code and name
(``0821 Högsby``) or name. Every row of a group must give the same period. A code that lost its
leading zero, an unknown kommun, a kommun twice in one group, a period that is not two plausible
years in order, a group with two periods or two names with one id is an error naming the file,
row and column. A kommun may belong to several groups.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from lansanalys import geo
from lansanalys.errors import InputError
from lansanalys.sources.common import (
    FIRST_YEAR,
    file_reader,
    find_column,
    parse_kommun_codes,
    raise_first,
    table_after_header,
)

#: A programme may be decided years ahead: its last year may lie this far after today's.
PERIOD_AHEAD_YEARS = 15

_PERIOD = re.compile(r"^\s*(\d{4})\s*(?:[-–—]|till|to)\s*(\d{4})\s*$|^\s*(\d{4})\s*$")
_EXPECTED_PERIOD = "a period such as '2022–2025' (first and last year) or one year '2024'"


def group_id(name: str) -> str:
    """The id of a group: its name as a file-name slug.

    >>> group_id("Kommuner för serviceutveckling")
    'kommuner-for-serviceutveckling'
    """
    return geo.slugify(name)


def _periods(values: pd.Series, path: Path, column: str, first: int) -> tuple[list, list]:
    """First and last year of each row's period; the first bad one is an error."""
    hi = date.today().year + PERIOD_AHEAD_YEARS
    starts, ends = [], []
    for i, v in enumerate(values):
        m = _PERIOD.match(str(v))
        problem = None
        if not m:
            problem = f"{v!r} is not a period"
        else:
            a, b = (int(m.group(1)), int(m.group(2))) if m.group(1) else (int(m.group(3)),) * 2
            if not (FIRST_YEAR <= a <= hi and FIRST_YEAR <= b <= hi):
                problem = f"period {v!r} has a year outside {FIRST_YEAR}–{hi}"
            elif b < a:
                problem = f"period {v!r} ends before it starts"
        if problem:
            raise InputError(path, problem, row=first + i, column=column, expected=_EXPECTED_PERIOD)
        starts.append(a)
        ends.append(b)
    return starts, ends


@file_reader
def read_grupper(path: Path) -> pd.DataFrame:
    """Read a file of groups of kommuner (see the module docstring for the format).

    Returns
    -------
    DataFrame
        ``group_id, group_name, period_start, period_end, kommun_kod``: one row per group and
        kommun, in the file's order.

    Raises
    ------
    InputError
        No group, period or kommun column; an empty group name; a bad period or two periods
        for one group; an unknown kommun (a lost leading zero is named as such); a kommun twice
        in a group; two group names with one id.
    """
    path = Path(path)
    df, header_line = table_after_header(path, r"grupp|group", min_fields=3)
    first = header_line + 1
    gcol = find_column(df, path, r"grupp|group|grupp_?namn|group_?name|program(me)?", "group name")
    pcol = find_column(df, path, r"period|programperiod", "period")
    kcol = find_column(df, path, r"kommun|kommun_?kod|kommunkod|kod", "kommun")
    icol = find_column(df, path, r"grupp_?id|group_?id", "group id", required=False)
    names = df[gcol].astype(str).str.strip()
    raise_first(
        (names == "").to_numpy(),
        path,
        first,
        gcol,
        "the group's name on every row",
        lambda _i: "no group name",
    )
    ids = df[icol].astype(str).str.strip() if icol else names.map(group_id)
    raise_first(
        (ids == "").to_numpy(),
        path,
        first,
        icol or gcol,
        "a name or id with letters or digits",
        lambda i: f"group {names.iloc[i]!r} gives no id",
    )
    starts, ends = _periods(df[pcol], path, pcol, first)
    codes = parse_kommun_codes(df[kcol].astype(str).str.strip(), path, kcol, first)
    out = pd.DataFrame(
        {
            "group_id": ids.to_numpy(),
            "group_name": names.to_numpy(),
            "period_start": np.asarray(starts, dtype=int),
            "period_end": np.asarray(ends, dtype=int),
            "kommun_kod": codes.to_numpy(),
        }
    )
    _check_groups(out, df[pcol], path, first, (gcol, pcol, kcol, icol))
    return out


def _check_groups(out: pd.DataFrame, period_text: pd.Series, path: Path, first: int, cols) -> None:
    """One name and one period per group, each kommun once in it."""
    gcol, pcol, kcol, icol = cols
    head = out.groupby("group_id", sort=False).head(1).set_index("group_id")
    ref = head.reindex(out["group_id"])
    other_name = out["group_name"].to_numpy() != ref["group_name"].to_numpy()
    raise_first(
        other_name,
        path,
        first,
        icol or gcol,
        "one name per group id",
        lambda i: (
            f"group {out['group_name'].iloc[i]!r} has the id {out['group_id'].iloc[i]!r} "
            f"of group {ref['group_name'].iloc[i]!r}"
        ),
    )
    other_period = (out["period_start"].to_numpy() != ref["period_start"].to_numpy()) | (
        out["period_end"].to_numpy() != ref["period_end"].to_numpy()
    )
    raise_first(
        other_period,
        path,
        first,
        pcol,
        "the same period on every row of a group",
        lambda i: (
            f"period {period_text.iloc[i]!r} differs from the group's "
            f"{ref['period_start'].iloc[i]}–{ref['period_end'].iloc[i]} "
            f"({out['group_name'].iloc[i]!r})"
        ),
    )
    raise_first(
        out.duplicated(["group_id", "kommun_kod"]).to_numpy(),
        path,
        first,
        kcol,
        "each kommun once per group",
        lambda i: (
            f"kommun {out['kommun_kod'].iloc[i]} {geo.kommun_name(out['kommun_kod'].iloc[i])}"
            f" appears twice in group {out['group_name'].iloc[i]!r}"
        ),
    )


def no_group_twice(frames: list[pd.DataFrame], files: list[Path]) -> None:
    """Two files must not define the same group (its kommuner would be split between them)."""
    seen: dict[str, Path] = {}
    for df, f in zip(frames, files, strict=True):
        for gid in dict.fromkeys(df["group_id"]):
            if gid in seen:
                raise InputError(
                    f,
                    f"group {gid!r} is also defined in {seen[gid].name}",
                    expected="each group in one file of data/raw/grupper/ only",
                )
            seen[gid] = f
