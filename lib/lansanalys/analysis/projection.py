"""A transparent population projection: cohort-change ratios (kohortkvoter).

Used when no official projection is supplied, and labelled as such on every figure. For each
area, sex and age a ≥ 1 the ratio P(a, t+1) / P(a-1, t) is averaged over the base period and
applied year by year; 100+ is an open class. Births come from the ratio of 0-year-olds to women
aged 15–49 a year earlier, split by sex as observed. Migration and mortality are inside the
ratios: the method assumes the base period's pattern continues.

A ratio needs two *consecutive* years: only pairs (t, t+1) that are both in the data enter the
averages, so a series with gaps (2019, 2021, 2022, 2024) uses the pair 2021→2022 and never
treats 2022→2024 as one year. A base period without such a pair is refused
(:class:`SeriesTooShort`), never projected with zero births.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

METHOD = (
    "Framskrivning med kohortkvoter: varje ettårsklass förs fram med den genomsnittliga "
    "kvoten mellan årskullens storlek ett år och året före under basperioden (flyttningar "
    "och dödsfall ingår i kvoten); nyfödda räknas från antalet kvinnor 15–49 år. Ingen "
    "officiell prognos."
)


#: Consecutive pairs of years (t, t+1) the base period must hold at least.
MIN_PAIRS = 1


class SeriesTooShort(ValueError):
    """The population series cannot carry a projection (too few consecutive years).

    ``sentence`` says in Swedish what the projection needs, for the report.
    """

    def __init__(self, message: str, sentence: str):
        super().__init__(message)
        self.sentence = sentence


def years_phrase(years) -> str:
    """Swedish list of the years a series has: "bara 2019", "2019, 2021 och 2024"."""
    ys = sorted({int(y) for y in years})
    if len(ys) == 1:
        return f"bara {ys[0]}"
    if ys == list(range(ys[0], ys[-1] + 1)):
        return f"{ys[0]}–{ys[-1]}"
    return ", ".join(map(str, ys[:-1])) + f" och {ys[-1]}"


def base_pairs(years, base_years: int = 5) -> list[int]:
    """The years t of the base period whose next year t+1 is also observed.

    The base period is the ``base_years`` years up to the last observed year.
    """
    ys = {int(y) for y in years}
    if not ys:
        return []
    last = max(ys)
    return [t for t in range(last - base_years, last) if t in ys and t + 1 in ys]


def series_problem(years, base_years: int = 5, min_pairs: int = MIN_PAIRS) -> SeriesTooShort | None:
    """Why ``years`` cannot carry a projection, or None when the base period is long enough."""
    ys = sorted({int(y) for y in years})
    pairs = base_pairs(ys, base_years)
    if len(pairs) >= min_pairs:
        return None
    need = min_pairs + 1
    words = {2: "två", 3: "tre", 4: "fyra", 5: "fem", 6: "sex", 10: "tio"}
    need_sv = words.get(need, str(need))
    last = ys[-1] if ys else None
    shown = ", ".join(map(str, ys)) if ys else "none"
    where = (
        f" under de {words.get(base_years, str(base_years))} åren fram till {last}"
        if len(ys) > 1
        else ""
    )
    return SeriesTooShort(
        f"a projection needs population for at least {need} consecutive years within the "
        f"{base_years} years up to the last observed year ({last}); the data have {shown}",
        f"Framskrivningen kräver befolkning för minst {need_sv} år i följd{where}; data "
        f"innehåller {years_phrase(ys)}.",
    )


def check_series(years, base_years: int = 5, min_pairs: int = MIN_PAIRS) -> None:
    """Raise :class:`SeriesTooShort` unless the base period has ``min_pairs`` consecutive pairs."""
    problem = series_problem(years, base_years, min_pairs)
    if problem is not None:
        raise problem


def _ratios(prev: np.ndarray, nxt: np.ndarray) -> np.ndarray:
    """Cohort-change ratios by age from pairs of consecutive years.

    ``prev`` and ``nxt`` are (pairs × ages 0–100): row i of ``nxt`` is the year after row i of
    ``prev``.
    """
    ratio = np.ones(101)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = nxt[:, 1:100].sum(0) / prev[:, 0:99].sum(0)
        r100 = nxt[:, 100].sum() / (prev[:, 99].sum() + prev[:, 100].sum())
    ratio[1:100] = np.where(np.isfinite(r), r, 1.0)
    ratio[100] = r100 if np.isfinite(r100) else 1.0
    return ratio


def _step(cur: np.ndarray, ratio: np.ndarray, births: float) -> np.ndarray:
    new = np.empty(101)
    new[0] = births
    new[1:100] = cur[0:99] * ratio[1:100]
    new[100] = (cur[99] + cur[100]) * ratio[100]
    return new


def project(
    pop: pd.DataFrame,
    by: str,
    to_year: int = 2040,
    base_years: int = 5,
    min_pairs: int = MIN_PAIRS,
) -> pd.DataFrame:
    """Project ``pop`` (``by, year, age, sex, population``) from its last year to ``to_year``.

    Parameters
    ----------
    pop : DataFrame
        Observed population, ages 0–100 (100 = 100+).
    by : str
        The area column (e.g. ``"kommun_kod"``).
    to_year : int
        Last projected year.
    base_years : int
        Length of the base period in years, ending at the last observed year.
    min_pairs : int
        Consecutive pairs of years (t, t+1) the base period must hold at least.

    Returns
    -------
    DataFrame
        The projected years only, same columns (population as float); NaN for an area with a
        missing value in the years the projection uses.

    Raises
    ------
    SeriesTooShort
        Fewer than ``min_pairs`` consecutive pairs of years in the base period.
    """
    check_series(pop["year"].unique(), base_years, min_pairs)
    last = int(pop["year"].max())
    pairs = base_pairs(pop["year"].unique(), base_years)
    used = sorted(set(pairs) | {t + 1 for t in pairs} | {last})
    # An area with a missing value ('..') in the years used gets no projection (NaN), never
    # one computed as if the missing people were 0.
    partial = set(pop.loc[pop["year"].isin(used) & pop["population"].isna(), by])
    cube = pop[pop["year"].isin(used)].pivot_table(
        index=[by, "sex", "year"], columns="age", values="population", aggfunc="sum"
    )
    cube = cube.reindex(columns=np.arange(101), fill_value=0).fillna(0).sort_index()
    years = range(last + 1, to_year + 1)
    out = []
    for area in cube.index.get_level_values(0).unique():
        obs = {}
        for sex in ("kvinnor", "män"):
            block = cube.loc[(area, sex)].reindex(used, fill_value=0.0)
            obs[sex] = block.to_numpy(dtype=float)
        row = {y: i for i, y in enumerate(used)}
        i_prev = [row[t] for t in pairs]
        i_next = [row[t + 1] for t in pairs]
        mothers = obs["kvinnor"][i_prev, 15:50].sum()
        women = {last: obs["kvinnor"][row[last]]}
        for sex in ("kvinnor", "män"):  # women first: everyone's births follow them
            ratio = _ratios(obs[sex][i_prev], obs[sex][i_next])
            cwr = obs[sex][i_next, 0].sum() / mothers if mothers > 0 else 0.0
            cur = obs[sex][row[last]]
            for year in years:
                cur = _step(cur, ratio, cwr * women[year - 1][15:50].sum())
                if sex == "kvinnor":
                    women[year] = cur
                out.append(
                    pd.DataFrame(
                        {
                            by: area,
                            "year": year,
                            "age": np.arange(101),
                            "sex": sex,
                            "population": cur,
                        }
                    )
                )
    if not out:
        return pop.iloc[0:0]
    res = pd.concat(out, ignore_index=True)
    res.loc[res[by].isin(partial), "population"] = np.nan
    return res
