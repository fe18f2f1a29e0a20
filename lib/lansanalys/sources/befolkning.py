"""Population by kommun × year × age × sex: SCB Statistikdatabasen CSV/XLSX exports (TAB638,
TAB5557 from 2025, wide or long), PxWeb JSON-stat answers, and official projections (``prognos``)
in the same layouts.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from lansanalys import geo
from lansanalys.errors import InputError
from lansanalys.sources.common import (
    check_year_columns,
    check_years,
    file_reader,
    find_column,
    parse_count,
    parse_kommun_codes,
    raise_first,
    table_after_header,
    year_range,
)

# --------------------------------------------------------------------------------------------
# befolkning: SCB Statistikdatabasen CSV exports

AGGREGATE_REGION = re.compile(r"^(00\s|riket$|sverige$|\d{2}\s+\S.*län$|\d{2}$)", re.IGNORECASE)


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
    raise_first(
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
    raise_first(
        out.isna(),
        path,
        first_line,
        column,
        "'män'/'kvinnor' or 1/2",
        lambda i: f"sex {values.iloc[i]!r} not understood",
    )
    return out


def _rows(
    df: pd.DataFrame, path: Path, keys: tuple, lines, year_cols: dict[str, int], projection: bool
) -> tuple[pd.DataFrame, str | None, str | None]:
    """One row per kommun × year × age × sex (× civilstånd) with its file line, from a wide
    (a column per year) or a long layout; the long layout's year and value columns."""
    kommun, age, sex = keys
    ycol = vcol = None
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
        ycol = find_column(df, path, r"år|ar|year|tid", "year")
        vcol = find_column(df, path, r"folkmängd|folkmangd|antal|value|värde|population", "value")
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
    return out, ycol, vcol


def _sum_civil_rows(out: pd.DataFrame, civil: pd.Series, path: Path) -> pd.DataFrame:
    """Rows by civilstånd summed to one per kommun × year × age × sex; a sum with a missing part
    ('..') is missing. A civilstånd given twice is an error naming the row."""
    civ = np.tile(civil.str.strip().to_numpy(), len(out) // len(civil))
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
    df, header_line = table_after_header(path, r"(region|kommun).*(ålder|alder|age)")
    first = header_line + 1
    rcol = find_column(df, path, r"region|kommun|kommunkod|region_?kod", "region")
    acol = find_column(df, path, r"ålder|alder|age", "age")
    scol = find_column(df, path, r"kön|kon|sex|kön_?kod", "sex")
    # SCB's tables by civilstånd (TAB638 to 2024, TAB5557 from 2025) cannot leave civilstånd
    # out: its values are summed to one row per kommun × age × sex.
    ccol = find_column(df, path, r"civilstånd|civilstand", "civilstånd", required=False)
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
        | df[rcol].str.strip().str.match(AGGREGATE_REGION)
    )
    civil = pd.Series(True, index=df.index)
    if ccol is not None:
        civil_total = df[ccol].str.strip().str.lower().isin(CIVIL_TOTALS)
        # With the table's own civilstånd total, use it; otherwise the parts (summed below).
        civil = civil_total if civil_total.any() else civil
    aggregates = df[is_total & civil]
    df = df[~is_total & civil]
    total_cells = 1  # published values behind each total row (CKM noise on each)
    if ccol is not None and not civil_total.any() and len(aggregates):
        total_cells = max(1, int(aggregates[ccol].str.strip().nunique()))
        value_cols = list(year_cols) or [
            find_column(df, path, r"folkmängd|folkmangd|antal|value|värde|population", "value")
        ]
        group = [rcol, acol, scol] + (
            [] if year_cols else [find_column(df, path, r"år|ar|year|tid", "year")]
        )
        aggregates = _sum_civilstand(aggregates, path, first, group, value_cols)
    if df.empty:
        raise InputError(
            path,
            "no kommun rows (only totals for riket or län?)",
            expected="one row per kommun × age × sex",
        )
    lines = first + df.index.to_numpy()
    kommun = parse_kommun_codes(df[rcol].str.strip(), path, rcol, lines)
    age = _parse_age(df[acol], path, acol, lines)
    sex = _parse_sex(df[scol], path, scol, lines)
    out, ycol, vcol = _rows(df, path, (kommun, age, sex), lines, year_cols, projection)
    # Published cells behind each row, for the Cell Key Method tolerance (zeros carry no noise).
    out["_cells"] = (out["population"] > 0).astype(int)
    if ccol is not None:
        out = _sum_civil_rows(out, df[ccol], path)
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
        raise_first(
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
            total_cells,
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
#: CKM tolerance, tied to the noise per published value and the number of values summed.
#: SCB documents the noise as "ett litet negativt eller positivt heltal" added to every
#: published value above zero, totals included, and does not publish its distribution. The kit
#: assumes a noise of at most :data:`CKM_CELL_MAX` people per published value, with a standard
#: deviation of at most :data:`CKM_CELL_SD`. A total compared with the sum of its n published
#: non-zero parts differs from it by the sum of n + 1 such noises (the parts' and the total's
#: own; more when the total is itself a sum of published values, e.g. over civilstånd): at most
#: CKM_CELL_MAX · (n + 1), and, the noises being independent, within :data:`CKM_SDS` standard
#: deviations of that sum, CKM_SDS · CKM_CELL_SD · √(n + 1). The tolerance is the smaller of the
#: two: 5 people for one value, about 400 for a län of 2 400 cells, about 1 900 for riket's
#: 58 580 kommun × age × sex cells, never a share of the total (0,5 % of riket would be
#: 53 000 people). A difference beyond it is a wrong or missing row, not noise.
CKM_CELL_MAX, CKM_CELL_SD, CKM_SDS = 5, 2.0, 4.0


def reconcile_tolerance(year: int, n_parts: int, total_cells: int = 1) -> float:
    """How far a published total may lie from the sum of its ``n_parts`` published parts.

    The tolerance depends on the number of published values compared, never on the size of
    the total (a share of riket's total would be tens of thousands of people).

    Parameters
    ----------
    year : int
        Reference year: before :data:`CKM_FIRST_YEAR` SCB's totals equal their parts (half a
        person allows for float sums); from 2025 the CKM tolerance described at
        :data:`CKM_CELL_MAX`.
    n_parts : int
        Published non-zero parts summed (cells).
    total_cells : int
        Published values the total is made of (1, or e.g. 4 when it is summed over
        civilstånd).

    Returns
    -------
    float
        The largest difference in people that is noise.
    """
    if year < CKM_FIRST_YEAR:
        return 0.5
    k = max(int(n_parts), 0) + max(int(total_cells), 1)
    return float(min(CKM_CELL_MAX * k, CKM_SDS * CKM_CELL_SD * np.sqrt(k)))


def tolerance_rule(year: int) -> str:
    """The reconciliation rule of ``year`` in words, for error messages and docs."""
    if year < CKM_FIRST_YEAR:
        return f"SCB's totals before {CKM_FIRST_YEAR} equal the sum of their parts exactly"
    return (
        f"from {CKM_FIRST_YEAR} SCB's Cell Key Method noise is tolerated up to the smaller of "
        f"{CKM_CELL_MAX} × k and {CKM_SDS * CKM_CELL_SD:g} × √k people, k being the published "
        "values compared (the non-zero parts and the total)"
    )


def _reconcile(
    path, kommun_rows, agg, first, rcol, acol, scol, year_cols, long_cols, total_cells: int = 1
) -> None:
    """Compare the file's own län and riket rows with the sum of its kommun rows (tolerance:
    :func:`reconcile_tolerance`; ``total_cells`` published values behind each total row)."""
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
            reconcile_tolerance(int(y), int(n) if n == n else 0, total_cells)
            for y, n in zip(checks["year"], n_parts, strict=True)
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


def read_prognos(path: Path) -> pd.DataFrame:
    """Read an official population projection: the layouts of :func:`read_befolkning`, years
    ahead allowed, no missing values."""
    return read_befolkning(path, projection=True)
