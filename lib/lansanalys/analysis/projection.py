"""A transparent population projection: cohort-change ratios (kohortkvoter).

Used when no official projection is supplied, and labelled as such on every figure. For each
area, sex and age a ≥ 1 the ratio P(a, t+1) / P(a-1, t) is averaged over the base period and
applied year by year. Births come from the ratio of 0-year-olds to women aged 15–49 a year
earlier, split by sex as observed. Migration and mortality are inside the ratios: the method
assumes the base period's pattern continues, except that mortality keeps falling.

**Falling mortality.** Death risks fall by ``mortality_improvement`` a year (default
:data:`lansanalys.analysis.lifetable.MORTALITY_IMPROVEMENT`, 1,5 %: SCB's assumed gain in life
expectancy, see :mod:`lansanalys.analysis.lifetable`). The survival inside a ratio is that of
the base period, the Swedish life table in the mean year of the base period's pairs (the years
t+1); in a projected year y the ratio is multiplied by survival in y over survival in the base
period, age by age. An age with no one in the base period takes survival alone (no migration).

**The open class 100+** is closed with the life table, never with a ratio of its own, which a
small kommun's 1 → 2 centenarians would compound year after year: those already 100+ survive
at the life table's rate for 100+ in the year (migration left out), and those turning 100 enter
at the area's observed ratio from 99 (the base period's 100+ less the life table's survivors,
over the 99-year-olds a year earlier), adjusted like any ratio and never above 1: no more
enter 100+ than were 99 the year before.

A ratio needs two *consecutive* years: only pairs (t, t+1) that are both in the data enter the
averages, so a series with gaps (2019, 2021, 2022, 2024) uses the pair 2021→2022 and never
treats 2022→2024 as one year. A base period without such a pair is refused
(:class:`SeriesTooShort`), never projected with zero births.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from lansanalys import fmt
from lansanalys.analysis import lifetable


def method_text(improvement: float = lifetable.MORTALITY_IMPROVEMENT) -> str:
    """The projection's method in Swedish, for the reports (*Framtid*, *Om data och metod*)."""
    if improvement:
        fall = (
            f"Dödligheten antas fortsätta falla med {fmt.number(improvement * 100, 1)} procent "
            "per år i varje ålder"
            + (
                ", vilket ger ungefär den ökning av livslängden som SCB antar (sex till sju år "
                "fram till 2070)"
                if improvement == lifetable.MORTALITY_IMPROVEMENT
                else ""
            )
            + "; kvoterna räknas upp med den överlevnad det ger."
        )
    else:
        fall = "Dödligheten antas vara densamma som under basperioden."
    return (
        "Framskrivning med kohortkvoter: varje ettårsklass förs fram med den genomsnittliga "
        "kvoten mellan årskullens storlek ett år och året före under basperioden (flyttningar "
        f"och dödsfall ingår i kvoten). {fall} Gruppen 100 år och äldre överlever enligt "
        "livslängdstabellen och får aldrig fler nya än antalet 99-åringar året före. Nyfödda "
        "räknas från antalet kvinnor 15–49 år. Ingen officiell prognos."
    )


METHOD = method_text()


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


SEXES = ("kvinnor", "män")


def _rates(prev: np.ndarray, nxt: np.ndarray, s_base: np.ndarray) -> np.ndarray:
    """The base period's rates by age for one sex (entry 0 unused).

    ``prev`` and ``nxt`` are (pairs × ages 0–100): row i of ``nxt`` is the year after row i of
    ``prev``; ``s_base`` is the life table's survival in the base period (ages 0–100). Entries
    1–99 are the cohort-change ratios (survival alone where no one was a year younger);
    entry 100 is the ratio at which 99-year-olds enter 100+, in [0, 1].
    """
    rates = np.empty(101)
    den = prev[:, 0:99].sum(0)
    num = nxt[:, 1:100].sum(0)
    with np.errstate(divide="ignore", invalid="ignore"):
        rates[1:100] = np.where(den > 0, num / den, s_base[0:99])
    den99 = prev[:, 99].sum()
    entered = nxt[:, 100].sum() - s_base[100] * prev[:, 100].sum()
    rates[100] = np.clip(entered / den99, 0.0, 1.0) if den99 > 0 else s_base[99]
    rates[0] = np.nan
    return rates


def _step(cur: np.ndarray, rates: np.ndarray, gain: np.ndarray, s_open: float, births: float):
    """One year on: ``gain`` is survival in the year over survival in the base period (by
    age), ``s_open`` the life table's survival of 100+ in the year."""
    new = np.empty(101)
    new[0] = births
    new[1:100] = cur[0:99] * rates[1:100] * gain[0:99]
    new[100] = cur[99] * min(1.0, rates[100] * gain[99]) + cur[100] * s_open
    return new


def project(
    pop: pd.DataFrame,
    by: str,
    to_year: int = 2040,
    base_years: int = 5,
    min_pairs: int = MIN_PAIRS,
    mortality_improvement=lifetable.MORTALITY_IMPROVEMENT,
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
    mortality_improvement : float or sequence of 101 floats
        Yearly fall in every one-year death risk (by age 0–100 when a sequence); 0 holds the
        base period's mortality. Default :data:`lifetable.MORTALITY_IMPROVEMENT` (1,5 %).

    Returns
    -------
    DataFrame
        The projected years only, same columns (population as float); NaN for an area with a
        missing value in the years the projection uses.

    Raises
    ------
    SeriesTooShort
        Fewer than ``min_pairs`` consecutive pairs of years in the base period.
    ValueError
        An improvement outside [0, 1).
    """
    check_series(pop["year"].unique(), base_years, min_pairs)
    lifetable.check_improvement(mortality_improvement)
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
    # Survival of the base period (its mean year t+1) and of each projected year, by sex.
    base_year = float(np.mean([t + 1 for t in pairs]))
    s_base = dict(
        zip(SEXES, lifetable.survival(base_year, mortality_improvement, SEXES), strict=True)
    )
    s_year = {y: lifetable.survival(y, mortality_improvement, SEXES) for y in years}
    gain = {}
    for i, sex in enumerate(SEXES):
        for y in years:
            with np.errstate(divide="ignore", invalid="ignore"):
                g = s_year[y][i] / s_base[sex]
            gain[(sex, y)] = np.where(s_base[sex] > 0, g, 1.0)
    out = []
    for area in cube.index.get_level_values(0).unique():
        obs = {}
        for sex in SEXES:
            block = cube.loc[(area, sex)].reindex(used, fill_value=0.0)
            obs[sex] = block.to_numpy(dtype=float)
        row = {y: i for i, y in enumerate(used)}
        i_prev = [row[t] for t in pairs]
        i_next = [row[t + 1] for t in pairs]
        mothers = obs["kvinnor"][i_prev, 15:50].sum()
        women = {last: obs["kvinnor"][row[last]]}
        for i, sex in enumerate(SEXES):  # women first: everyone's births follow them
            rates = _rates(obs[sex][i_prev], obs[sex][i_next], s_base[sex])
            cwr = obs[sex][i_next, 0].sum() / mothers if mothers > 0 else 0.0
            cur = obs[sex][row[last]]
            for year in years:
                births = cwr * women[year - 1][15:50].sum()
                cur = _step(cur, rates, gain[(sex, year)], s_year[year][i][100], births)
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
