"""The demo's population history by cohort: people age a year, die at Swedish rates, are born
at Swedish fertility and move in or out, so that every kommun hits its real total each year.

A projection by cohort-change ratios (:mod:`lansanalys.analysis.projection`) reads survival
from how each birth cohort shrinks from one year to the next. A history that only tilts one age
shape over time has cohorts that do not age, and a projection built on it lets the old die far
too fast. Here each year follows from the one before (or, before the calibration year, from
the one after):

- **Survival**: the kit's life table (:mod:`lansanalys.analysis.lifetable`: one-year death
  risks by age and sex, a smooth model with SCB's life expectancies of 2019–2023) with its
  assumption that risks fall by :data:`~lansanalys.analysis.lifetable.MORTALITY_IMPROVEMENT`
  (1,5 %) a year, so 2014's risks are higher and 2024's lower than the table's; the kit's own
  projection continues the same fall. A person of completed age *a* on 31 December lives
  through ages *a* + ½ … *a* + 1½ in the next year.
- **Births**: SCB's total fertility rate of the year (``data/fruktsamhet.csv``) spread over the
  mothers' ages 15–49 with Sweden's age pattern (a gamma shape, mean age
  :data:`MEAN_AGE_AT_BIRTH`), :data:`BOYS_PER_GIRL` boys per girl.
- **Migration** takes the rest of each kommun's real change in the year, spread over ages by a
  Rogers–Castro schedule (young adults and their children move most); people who leave a
  kommun leave in proportion to how many of each age live there.

The calibration year's shape is SCB's (:func:`lansanalys.demo.calibration.age_sex_counts`);
earlier years are found by running the same accounting backwards.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd

from lansanalys.analysis import lifetable
from lansanalys.demo import calibration

#: Sexes in array order (axis 1 of the population cubes).
SEXES = ("män", "kvinnor")
AGES = calibration.AGES
#: SCB: about 105–106 boys are born per 100 girls.
BOYS_PER_GIRL = 1.056
#: Mean age of mothers at birth (SCB, about 31–32 years around 2020) and the spread of the
#: age pattern (standard deviation, years).
MEAN_AGE_AT_BIRTH, SD_AGE_AT_BIRTH = 31.5, 5.3
#: Share of the first year's death risk a newborn runs before 31 December of its birth year
#: (most infant deaths fall in the first weeks).
INFANT_RISK_BY_YEAR_END = 0.8


def death_risks(year: float = lifetable.TABLE_YEAR) -> pd.DataFrame:
    """One-year death risk q(x) in ``year`` by age 0–100 (index) and sex (columns ``män``,
    ``kvinnor``): the kit's life table with its yearly fall."""
    return lifetable.death_risks(year, sexes=SEXES)


@cache
def total_fertility() -> pd.Series:
    """SCB's total fertility rate (children per woman) per year."""
    df = pd.read_csv(calibration.DATA / "fruktsamhet.csv")
    return df.set_index("year")["summerad_fruktsamhet"]


def fertility_shape() -> np.ndarray:
    """Share of a woman's children born at each age 0–100 (sums to 1, nonzero at 15–49)."""
    x = AGES - 14.5  # a gamma shape of the age above 14,5 (mid-year age)
    m, s = MEAN_AGE_AT_BIRTH - 14.5, SD_AGE_AT_BIRTH
    k, theta = (m / s) ** 2, s**2 / m
    w = np.where(
        (AGES >= 15) & (AGES <= 49), np.clip(x, 1e-9, None) ** (k - 1) * np.exp(-x / theta), 0
    )
    return w / w.sum()


def migration_shape() -> np.ndarray:
    """Share of a kommun's movers by sex (axis 0, :data:`SEXES`) and age (axis 1), summing to 1:
    a Rogers–Castro schedule (children with their parents, a peak in the early twenties, a small
    level at working ages that fades after 60)."""
    a = AGES.astype(float)
    child = 0.02 * np.exp(-0.10 * a)
    labour = 0.06 * np.exp(-0.10 * (a - 22) - np.exp(-0.40 * (a - 22)))
    # A small level at working ages that fades after 60: few of the very old move.
    w = child + labour + 0.002 * np.exp(-np.clip(a - 60, 0, None) / 6)
    w = np.vstack([w, w])
    return w / w.sum()


def survival(year: float = lifetable.TABLE_YEAR) -> np.ndarray:
    """Chance (sex × age 0–100) that a person of completed age *a* on 31 December of ``year``
    − 1 is alive a year later (then aged *a* + 1); the last entry is the open class 100+
    staying in it (:func:`lansanalys.analysis.lifetable.survival`)."""
    return lifetable.survival(year, sexes=SEXES)


@dataclass
class History:
    """The demo's population and its births and deaths.

    ``population`` maps year → array kommun × sex × age (floats, each kommun's sum its real
    total); ``births`` and ``deaths`` map year → array per kommun (the events of that year).
    """

    codes: list[str]
    population: dict[int, np.ndarray]
    births: dict[int, np.ndarray]
    deaths: dict[int, np.ndarray]


def _age_one_year(pop: np.ndarray, s: np.ndarray) -> np.ndarray:
    """Survivors a year on (kommun × sex × age), before this year's births and moves."""
    out = np.zeros_like(pop)
    out[:, :, 1:100] = pop[:, :, 0:99] * s[None, :, 0:99]
    out[:, :, 100] = pop[:, :, 99] * s[None, :, 99] + pop[:, :, 100] * s[None, :, 100]
    return out


def _births(pop: np.ndarray, tfr: float) -> np.ndarray:
    """Children born in a year to the women of ``pop`` (31 December of the year before)."""
    shape = fertility_shape()
    women = pop[:, 1, :]
    # A woman of age a − 1 at the start of the year reaches a during it.
    return tfr * (women[:, :100] * shape[None, 1:]).sum(axis=1)


def simulate(start: np.ndarray, start_year: int, totals: pd.DataFrame) -> History:
    """Run the accounting from ``start`` (kommun × sex × age in ``start_year``) forwards and
    backwards over the years of ``totals`` (kommun × year, the real totals).

    Parameters
    ----------
    start : ndarray
        Population of each kommun (rows of ``totals``) by sex (:data:`SEXES`) and age 0–100.
    start_year : int
        The year of ``start``, one of ``totals``' columns.
    totals : DataFrame
        Each kommun's real total (index ``kommun_kod``) per year (columns, consecutive).

    Returns
    -------
    History
        Population per year with each kommun's total equal to ``totals``, and births and
        deaths for every year but the first.
    """
    years = sorted(int(y) for y in totals.columns)
    # Survival and newborns' survival to 31 December in each year (risks fall year by year).
    surv = {y: survival(y) for y in years}
    born_surv = {y: 1 - INFANT_RISK_BY_YEAR_END * death_risks(y).loc[0].to_numpy() for y in years}
    boys = BOYS_PER_GIRL / (1 + BOYS_PER_GIRL)
    w = migration_shape()
    tfr = total_fertility()
    T = {y: totals[y].to_numpy(dtype=float) for y in years}
    pop = {start_year: start * (T[start_year] / start.sum(axis=(1, 2)))[:, None, None]}
    births, deaths = {}, {}
    for year in (y for y in years if y > start_year):
        prev = pop[year - 1]
        s, s_birth = surv[year], born_surv[year]
        nat = _age_one_year(prev, s)
        b = _births(prev, float(tfr[year]))
        nat[:, 0, 0] = b * boys * s_birth[0]
        nat[:, 1, 0] = b * (1 - boys) * s_birth[1]
        net = T[year] - nat.sum(axis=(1, 2))
        # Arrivals follow the schedule; leavers leave where people of their age live.
        out_w = nat * w[None]
        out_w = out_w / out_w.sum(axis=(1, 2))[:, None, None]
        moves = np.where((net >= 0)[:, None, None], w[None], out_w) * net[:, None, None]
        pop[year] = np.clip(nat + moves, 0, None)
        births[year] = b
        born_alive = nat[:, :, 0].sum(axis=1)
        aged = nat.sum(axis=(1, 2)) - born_alive
        deaths[year] = (prev.sum(axis=(1, 2)) - aged) + (b - born_alive)
    for year in sorted((y for y in years if y < start_year), reverse=True):
        nxt = pop[year + 1]
        s, s_birth = surv[year + 1], born_surv[year + 1]
        # nxt = aged(prev) + births + net · w: ages 1–99 give prev ages 0–98 at once; the
        # 100+ of the next year were 99 or 100+ (split as a stationary population would).
        back = np.zeros_like(nxt)
        back[:, :, 0:99] = nxt[:, :, 1:100] / s[None, :, 0:99]
        w_back = np.zeros_like(w)
        w_back[:, 0:99] = w[:, 1:100] / s[:, 0:99]
        top_share = 0.45  # of the 100+ a year on, the share who were 99
        back[:, :, 99] = nxt[:, :, 100] * top_share / s[None, :, 99]
        back[:, :, 100] = nxt[:, :, 100] * (1 - top_share) / s[None, :, 100]
        w_back[:, 99] = w[:, 100] * top_share / s[:, 99]
        w_back[:, 100] = w[:, 100] * (1 - top_share) / s[:, 100]
        # Total of prev = sum(back) − net · sum(w_back) must be the real total.
        net = (back.sum(axis=(1, 2)) - T[year]) / w_back.sum()
        prev = np.clip(back - net[:, None, None] * w_back[None], 0, None)
        pop[year] = prev
        b = (nxt[:, :, 0] - net[:, None] * w[None, :, 0]).clip(0, None) / s_birth[None]
        births[year + 1] = b.sum(axis=1)
        survivors = _age_one_year(prev, s).sum(axis=(1, 2))
        deaths[year + 1] = prev.sum(axis=(1, 2)) - survivors + (b * (1 - s_birth)).sum(axis=1)
    return History(list(totals.index), dict(sorted(pop.items())), births, deaths)


def to_integers(cube: np.ndarray, totals: np.ndarray) -> np.ndarray:
    """Whole people per kommun × sex × age, each kommun summing to ``totals`` exactly: the
    floor of each cell plus one for the cells with the largest remainders (deterministic)."""
    k = cube.shape[0]
    flat = cube.reshape(k, -1)
    flat = flat * (totals / flat.sum(axis=1))[:, None]
    base = np.floor(flat)
    short = (totals - base.sum(axis=1)).round().astype(np.int64)
    order = np.argsort(-(flat - base), axis=1, kind="stable")
    add = np.zeros_like(base)
    for i in range(k):
        add[i, order[i, : short[i]]] = 1
    return (base + add).astype(np.int64).reshape(cube.shape)


def whole_people(hist: History, totals: pd.DataFrame) -> dict[int, np.ndarray]:
    """Each year of ``hist`` in whole people (:func:`to_integers`), every kommun on its total.

    Rounding must not let the open class 100+ outgrow the people who could age into it: a
    small kommun's 1 → 2 centenarians would read as a cohort ratio above 1, which a
    projection compounds year after year. Where rounding put more people at 100+ than were
    99 or older the year before, the surplus is counted at 99 instead (the total stays).
    """
    years = sorted(hist.population)
    out = {y: to_integers(hist.population[y], totals[y].to_numpy()) for y in years}
    for y in years[1:]:
        cap = out[y - 1][:, :, 99] + out[y - 1][:, :, 100]
        surplus = np.clip(out[y][:, :, 100] - cap, 0, None)
        out[y][:, :, 100] -= surplus
        out[y][:, :, 99] += surplus
    return out


@cache
def history() -> History:
    """The demo's history 2014–2024 from SCB's 2019 shape and the real totals."""
    counts = calibration.age_sex_counts()
    totals = calibration.history()
    codes = list(totals.index)
    start = np.stack(
        [counts.xs(sex, level="sex").reindex(codes).to_numpy(dtype=float) for sex in SEXES],
        axis=1,
    )
    return simulate(start, calibration.SHAPE_YEAR, totals)
