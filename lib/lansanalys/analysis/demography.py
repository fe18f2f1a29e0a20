"""Demography on the tidy population table (kommun × year × age × sex).

All functions take a DataFrame with at least ``year, age, sex, population`` and a grouping column,
and return plain pandas objects. Ages are completed years, 100 meaning 100 or older.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

#: SCB's usual definition of the demographic dependency ratio.
DEPENDENCY_DEFINITION = (
    "Demografisk försörjningskvot enligt SCB: antal personer 0–19 år och 65 år och äldre "
    "per 100 personer i åldern 20–64 år."
)
MEAN_AGE_DEFINITION = (
    "Medelålder enligt SCB: en person med fyllda a år räknas som a + 0,5 år gammal "
    "(100+ räknas som 100,5)."
)


def totals(pop: pd.DataFrame, by: str | Sequence[str]) -> pd.DataFrame:
    """Population per group and year: columns ``by…, year, population``."""
    keys = ([by] if isinstance(by, str) else list(by)) + ["year"]
    return pop.groupby(keys, as_index=False)["population"].sum()


def change_span(years: Sequence[int], max_span: int = 10) -> int:
    """The longest span ≤ ``max_span`` years back from the last year that the data cover.

    0 when no earlier year is there (a single year: no change can be shown). A series with
    gaps gives the longest span whose start year is in the data, never a start year it lacks.
    """
    ys = {int(y) for y in years}
    if not ys:
        return 0
    last = max(ys)
    return max((s for s in range(1, max_span + 1) if last - s in ys), default=0)


def series_needed(years: Sequence[int], what: str = "Förändringen") -> str:
    """The Swedish sentence a report shows where a chapter needs more than one year of data.

    Examples
    --------
    >>> series_needed([2019])
    'Förändringen kräver befolkning för minst två år; data innehåller bara 2019.'
    """
    from lansanalys.analysis.projection import years_phrase

    return f"{what} kräver befolkning för minst två år; data innehåller {years_phrase(years)}."


def change(pop: pd.DataFrame, by: str, years: int, end_year: int | None = None) -> pd.DataFrame:
    """Change in population over ``years`` years per group: absolute and percent.

    Returns columns ``by, start, end, change, change_pct`` for the period ending ``end_year``
    (default: the latest year in the data). Raises if the start year is not in the data.
    """
    end_year = int(pop["year"].max()) if end_year is None else end_year
    start_year = end_year - years
    if start_year not in set(pop["year"]):
        raise ValueError(
            f"no population for {start_year}; the data cover "
            f"{pop['year'].min()}–{pop['year'].max()}"
        )
    t = totals(pop[pop["year"].isin([start_year, end_year])], by)
    wide = t.pivot(index=by, columns="year", values="population")
    out = pd.DataFrame({"start": wide[start_year], "end": wide[end_year]})
    out["change"] = out["end"] - out["start"]
    out["change_pct"] = 100 * out["change"] / out["start"]
    out.attrs.update(start_year=start_year, end_year=end_year)
    return out.reset_index()


def mean_age(pop: pd.DataFrame, by: str | Sequence[str]) -> pd.Series:
    """Mean age per group as SCB defines it (completed age + 0.5)."""
    keys = [by] if isinstance(by, str) else list(by)
    w = pop.assign(_a=(pop["age"] + 0.5) * pop["population"])
    g = w.groupby(keys)[["_a", "population"]].sum()
    return g["_a"] / g["population"]


def share_aged(pop: pd.DataFrame, by: str | Sequence[str], lo: int, hi: int = 100) -> pd.Series:
    """Percent of the population aged ``lo``–``hi`` (inclusive) per group."""
    keys = [by] if isinstance(by, str) else list(by)
    inside = pop["age"].between(lo, hi)
    num = pop[inside].groupby(keys)["population"].sum()
    den = pop.groupby(keys)["population"].sum()
    return 100 * num.reindex(den.index, fill_value=0) / den


def dependency_ratio(pop: pd.DataFrame, by: str | Sequence[str]) -> pd.Series:
    """Demographic dependency ratio per 100 aged 20–64 (SCB: (0–19 + 65+) / 20–64)."""
    keys = [by] if isinstance(by, str) else list(by)
    working = pop["age"].between(20, 64)
    num = pop[~working].groupby(keys)["population"].sum()
    den = pop[working].groupby(keys)["population"].sum()
    return 100 * num / den


def age_groups(pop: pd.DataFrame, by: str | Sequence[str], width: int = 5) -> pd.DataFrame:
    """Population by ``width``-year age group and sex; the last group is open (e.g. 90+)."""
    keys = ([by] if isinstance(by, str) else list(by)) + ["sex"]
    top = (90 // width) * width
    lo = np.minimum((pop["age"] // width) * width, top)
    label = np.where(
        lo >= top, lo.astype(str) + "+", lo.astype(str) + "–" + (lo + width - 1).astype(str)
    )
    g = (
        pop.assign(age_lo=lo, age_group=label)
        .groupby(keys + ["age_lo", "age_group"], as_index=False)["population"]
        .sum()
    )
    return g.sort_values(keys + ["age_lo"]).reset_index(drop=True)


def pyramid_shares(pop: pd.DataFrame, width: int = 5) -> pd.DataFrame:
    """Percent of the total population per age group and sex (both sexes sum to 100)."""
    g = age_groups(pop.assign(_all="all"), "_all", width).drop(columns="_all")
    g["share"] = 100 * g["population"] / g["population"].sum()
    return g
