"""Components of population change (``forandringar``): births, deaths and migration.

Reads SCB's export of *Befolkningsförändringar efter region, förändringar och kön. År* (table
BE0101J, as CSV, wide with one column per year or long) and splits each year's population change
into natural increase, domestic and international net migration and SCB's adjustment item.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from lansanalys.errors import InputError
from lansanalys.sources.ingest import (
    _AGGREGATE_REGION,
    _find_column,
    _kommun_codes,
    _raise_first,
    _table_after_header,
    check_year_columns,
    check_years,
    file_reader,
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
PARTS: dict[str, str] = {
    "fodelseoverskott": "Födelseöverskott (födda − döda)",
    "inrikes_netto": "Inrikes flyttnetto",
    "utrikes_netto": "Utrikes flyttnetto (invandrade − utvandrade)",
    "justering": "Justeringspost",
}
#: Tolerance when checking folkökning against its parts (SCB adds noise to small counts from 2025).
TOLERANCE_ABS = 10.0
TOLERANCE_REL = 0.005


def _numbers(values: pd.Series, path: Path, column: str, lines: np.ndarray) -> pd.Series:
    s = values.astype(str).str.replace("\u00a0", "").str.replace(" ", "").str.strip()
    s = s.str.replace("\u2212", "-")  # a typographic minus
    missing = s.isin({"..", "-", "", "."})
    num = pd.to_numeric(s.str.replace(",", ".").where(~missing), errors="coerce")
    _raise_first(
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
    df, header_line = _table_after_header(path, r"(region|kommun).*(förändring|forandring)")
    first = header_line + 1
    rcol = _find_column(df, path, r"region|kommun|kommunkod", "region")
    ccol = _find_column(df, path, r"förändringar|forandringar|förändring", "förändringar")
    scol = _find_column(df, path, r"kön|kon|sex", "sex", required=False)
    year_cols = [c for c in df.columns if re.fullmatch(r"\d{4}", c)]
    check_year_columns(df.columns, path, header_line)
    ycol = None if year_cols else _find_column(df, path, r"år|ar|year|tid", "year")
    vcol = None if year_cols else _find_column(df, path, r"antal|värde|value|personer", "value")
    df.index = pd.RangeIndex(len(df))
    lines_all = first + df.index.to_numpy()
    label = df[ccol].str.strip().str.lower()
    comp = label.map(LABELS)
    keep = comp.notna() & ~df[rcol].str.strip().str.match(_AGGREGATE_REGION)
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
    kommun = _kommun_codes(df[rcol].str.strip(), path, rcol, lines)
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
    _raise_first(
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
    _raise_first(
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


#: The file's components each derived part needs; a part whose inputs are not all in the file
#: is left out (NaN), never computed with the missing flows taken as 0.
REQUIRES: dict[str, tuple[str, ...]] = {
    "fodelseoverskott": ("fodda", "doda"),
    "utrikes_netto": ("invandringar", "utvandringar"),
    "inrikes_netto": ("inflyttningar", "utflyttningar", "invandringar", "utvandringar"),
    "flyttnetto": ("inflyttningar", "utflyttningar"),
    "justering": ("justering",),
}
#: SCB's Swedish names of the file's components, for the report's "what is missing" sentence.
SWEDISH: dict[str, str] = {
    "folkokning": "folkökning",
    "fodda": "födda",
    "doda": "döda",
    "inflyttningar": "samtliga inflyttningar",
    "utflyttningar": "samtliga utflyttningar",
    "invandringar": "invandringar",
    "utvandringar": "utvandringar",
    "justering": "justeringspost",
}


def _sum_all(s: pd.Series) -> float:
    """Sum that is NaN when any part is: a total of partial data is no total."""
    return float(s.sum(skipna=False))


def components(forand: pd.DataFrame, codes_of: pd.Series | dict | None = None) -> pd.DataFrame:
    """Split each year's change into natural increase, net migration and adjustment.

    Parameters
    ----------
    forand : DataFrame
        ``kommun_kod, year, component, value`` from :func:`read_forandringar`.
    codes_of : Series or dict, optional
        Map kommun_kod → area code (e.g. ``str[:2]`` for län) to sum over; default per kommun.

    Returns
    -------
    DataFrame
        ``code, year`` and the people of each part in :data:`PARTS`, ``flyttnetto`` (all moves
        in minus all moves out), ``folkokning`` (the total change) and ``fodda``, ``doda``.
        Domestic net migration is the moves in minus the moves out that are not international;
        moves between kommuner of one län cancel when the län is summed.

        Only what the file supports is derived: a part needs every component in
        :data:`REQUIRES` (a file without inflyttningar/utflyttningar has no domestic net
        migration, NaN, rather than one computed as if nobody moved). Folkökning is the file's,
        or födda − döda + inflyttningar − utflyttningar + justeringspost when the file lacks it
        but has all of those. An area sum is NaN where any of its kommuner lacks the value
        (``..``).
    """
    wide = forand.set_index(["kommun_kod", "year", "component"])["value"].unstack("component")
    wide = wide.reindex(columns=sorted(set(LABELS.values())))
    w = wide.astype(float)
    out = pd.DataFrame(index=w.index)
    out["fodda"], out["doda"] = w["fodda"], w["doda"]
    out["fodelseoverskott"] = w["fodda"] - w["doda"]
    out["utrikes_netto"] = w["invandringar"] - w["utvandringar"]
    out["inrikes_netto"] = (w["inflyttningar"] - w["invandringar"]) - (
        w["utflyttningar"] - w["utvandringar"]
    )
    out["flyttnetto"] = w["inflyttningar"] - w["utflyttningar"]
    out["justering"] = w["justering"]
    derived = out["fodelseoverskott"] + out["flyttnetto"] + w["justering"]
    out["folkokning"] = w["folkokning"].where(w["folkokning"].notna(), derived)
    out = out.reset_index()
    if codes_of is None:
        out["code"] = out["kommun_kod"]
    else:
        out["code"] = out["kommun_kod"].map(codes_of)
    cols = ["fodda", "doda", *PARTS, "flyttnetto", "folkokning"]
    res = out.groupby(["code", "year"])[cols].agg(_sum_all).reset_index()
    return res[["code", "year", *cols]]


def missing_parts(forand: pd.DataFrame) -> dict[str, list[str]]:
    """Parts (and ``folkokning``) the file cannot give, each with the components it lacks."""
    have = set(forand.loc[forand["value"].notna(), "component"])
    out = {p: [c for c in need if c not in have] for p, need in REQUIRES.items()}
    if "folkokning" not in have:
        out["folkokning"] = ["folkokning"]
    return {p: lacks for p, lacks in out.items() if lacks}


def parts_to_show(missing: dict[str, list[str]]) -> dict[str, str]:
    """The parts a figure can draw (key → Swedish label), given :func:`missing_parts`.

    When neither domestic nor international net migration can be split out but all moves in
    and out are there, the total net migration (flyttnetto) is drawn in their place.
    """
    parts = {k: v for k, v in PARTS.items() if k not in missing}
    if {"inrikes_netto", "utrikes_netto"} <= set(missing) and "flyttnetto" not in missing:
        parts["flyttnetto"] = "Flyttnetto (inflyttade − utflyttade)"
    return parts
