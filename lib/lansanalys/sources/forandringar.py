"""SCB's components of population change (``forandringar``, table BE0101J): the reader.

Reads SCB's export of *Befolkningsförändringar efter region, förändringar och kön. År* (as CSV,
wide with one column per year or long) into ``kommun_kod, year, component, value``, and checks
that each year's folkökning balances its parts. The derived parts (natural increase, net
migration) are computed in :mod:`lansanalys.analysis.components`.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from lansanalys.errors import InputError
from lansanalys.sources.befolkning import AGGREGATE_REGION
from lansanalys.sources.common import (
    check_year_columns,
    check_years,
    file_reader,
    find_column,
    parse_kommun_codes,
    raise_first,
    table_after_header,
)

#: SCB's labels of the variable "förändringar" (lower case) → the kit's component names.
#: Aggregates and sub-flows SCB also offers (födelseöverskott, flyttningar inom länet …) are
#: skipped: the kit derives them.
LABELS: dict[str, str] = {
    "folkökning": "folkokning",
    "födda": "fodda",
    "döda": "doda",
    "samtliga inflyttningar": "inflyttningar",
    "inflyttningar": "inflyttningar",
    "samtliga utflyttningar": "utflyttningar",
    "utflyttningar": "utflyttningar",
    "invandringar": "invandringar",
    "utvandringar": "utvandringar",
    "justeringspost": "justering",
}
#: Components that may be negative; every other one is a count of events.
SIGNED = {"folkokning", "justering"}
#: Change components the figures show, with their Swedish labels.
#: Tolerance when checking folkökning against its parts (SCB adds noise to small counts from 2025).
TOLERANCE_ABS = 10.0
TOLERANCE_REL = 0.005


def _numbers(values: pd.Series, path: Path, column: str, lines: np.ndarray) -> pd.Series:
    s = values.astype(str).str.replace("\u00a0", "").str.replace(" ", "").str.strip()
    s = s.str.replace("\u2212", "-")  # a typographic minus
    missing = s.isin({"..", "-", "", "."})
    num = pd.to_numeric(s.str.replace(",", ".").where(~missing), errors="coerce")
    raise_first(
        num.isna() & ~missing,
        path,
        lines,
        column,
        "a whole number, or '..' for missing",
        lambda i: f"{values.iloc[i]!r} is not a number",
    )
    return num.astype(float)


@file_reader
def read_forandringar(path: Path) -> pd.DataFrame:
    """Read SCB's components-of-change export.

    Returns
    -------
    DataFrame
        ``kommun_kod, year, component, value`` (people; NaN where SCB wrote ``..``), one row per
        kommun × year × component, män and kvinnor summed when the file splits by sex.

    Raises
    ------
    InputError
        Unknown kommun, text or negative counts, duplicate rows, or a folkökning that does not
        equal births − deaths + in − out + adjustment (names file, line and column).
    """
    path = Path(path)
    df, header_line = table_after_header(path, r"(region|kommun).*(förändring|forandring)")
    first = header_line + 1
    rcol = find_column(df, path, r"region|kommun|kommunkod", "region")
    ccol = find_column(df, path, r"förändringar|forandringar|förändring", "förändringar")
    scol = find_column(df, path, r"kön|kon|sex", "sex", required=False)
    year_cols = [c for c in df.columns if re.fullmatch(r"\d{4}", c)]
    check_year_columns(df.columns, path, header_line)
    ycol = None if year_cols else find_column(df, path, r"år|ar|year|tid", "year")
    vcol = None if year_cols else find_column(df, path, r"antal|värde|value|personer", "value")
    df.index = pd.RangeIndex(len(df))
    lines_all = first + df.index.to_numpy()
    label = df[ccol].str.strip().str.lower()
    comp = label.map(LABELS)
    keep = comp.notna() & ~df[rcol].str.strip().str.match(AGGREGATE_REGION)
    if scol is not None:
        sex = df[scol].str.strip().str.lower()
        split = sex.isin({"män", "kvinnor", "1", "2"})
        # Use män + kvinnor when the file has them; otherwise its totals.
        keep &= split if split.any() else sex.isin({"totalt", "total", "1+2", "män och kvinnor"})
    if not keep.any():
        raise InputError(
            path,
            "no kommun rows with known components",
            column=ccol,
            expected="SCB labels such as " + ", ".join(list(LABELS)[:5]),
        )
    df, comp, lines = df[keep], comp[keep], lines_all[keep.to_numpy()]
    kommun = parse_kommun_codes(df[rcol].str.strip(), path, rcol, lines)
    if year_cols:
        parts = []
        for yc in year_cols:
            parts.append(
                pd.DataFrame(
                    {
                        "kommun_kod": kommun.to_numpy(),
                        "year": int(yc),
                        "component": comp.to_numpy(),
                        "value": _numbers(df[yc], path, yc, lines).to_numpy(),
                        "sex": df[scol].to_numpy() if scol else "",
                        "line": lines,
                        "column": yc,
                    }
                )
            )
        long = pd.concat(parts, ignore_index=True)
    else:
        years = check_years(df[ycol], path, lines, ycol)
        long = pd.DataFrame(
            {
                "kommun_kod": kommun.to_numpy(),
                "year": years.astype(int).to_numpy(),
                "component": comp.to_numpy(),
                "value": _numbers(df[vcol], path, vcol, lines).to_numpy(),
                "sex": df[scol].to_numpy() if scol else "",
                "line": lines,
                "column": vcol,
            }
        )
    neg = (long["value"] < 0) & ~long["component"].isin(SIGNED)
    raise_first(
        neg.to_numpy(),
        path,
        long["line"].to_numpy(),
        None,
        "a count of events ≥ 0 (only folkökning and justeringspost can be negative)",
        lambda i: (
            f"negative {long['component'].iloc[i]} {long['value'].iloc[i]:g} "
            f"in column {long['column'].iloc[i]!r}"
        ),
    )
    dup = long.duplicated(["kommun_kod", "year", "component", "sex"])
    raise_first(
        dup.to_numpy(),
        path,
        long["line"].to_numpy(),
        ccol,
        "one row per kommun × component × sex",
        lambda i: (
            f"{long['kommun_kod'].iloc[i]} {long['component'].iloc[i]} "
            f"{long['year'].iloc[i]} appears twice"
        ),
    )
    out = long.groupby(["kommun_kod", "year", "component"], as_index=False).agg(
        value=("value", lambda v: v.sum(skipna=False)), line=("line", "min")
    )
    _check_balance(out, path)
    return out.drop(columns="line")


def _check_balance(long: pd.DataFrame, path: Path) -> None:
    """Folkökning must equal födda − döda + inflyttningar − utflyttningar + justering."""
    need = {"folkokning", "fodda", "doda", "inflyttningar", "utflyttningar"}
    wide = long.pivot_table(
        index=["kommun_kod", "year"], columns="component", values="value", aggfunc="sum"
    )
    if not need <= set(wide.columns):
        return
    adj = wide["justering"].fillna(0) if "justering" in wide.columns else 0.0
    parts = wide["fodda"] - wide["doda"] + wide["inflyttningar"] - wide["utflyttningar"] + adj
    gap = (wide["folkokning"] - parts).abs()
    tol = np.maximum(TOLERANCE_ABS, TOLERANCE_REL * wide["inflyttningar"].abs())
    bad = (gap > tol).fillna(False)
    if bad.any():
        k, y = bad[bad].index[0]
        line = long.loc[
            (long["kommun_kod"] == k) & (long["year"] == y) & (long["component"] == "folkokning"),
            "line",
        ].iloc[0]
        raise InputError(
            path,
            f"kommun {k} {y}: folkökning {wide.at[(k, y), 'folkokning']:g} but födda − döda + "
            f"inflyttningar − utflyttningar + justeringspost = {parts[(k, y)]:g}",
            row=int(line),
            column=str(y),
            expected="the components to add up to folkökning",
        )
