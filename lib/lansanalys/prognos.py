"""A transparent population projection: cohort-change ratios (kohortkvoter).

Used when no official projection is supplied, and labelled as such on every figure. For each
area, sex and age a ≥ 1 the ratio P(a, t+1) / P(a-1, t) is averaged over the base period and
applied year by year; 100+ is an open class. Births come from the ratio of 0-year-olds to women
aged 15–49 a year earlier, split by sex as observed. Migration and mortality are inside the
ratios: the method assumes the base period's pattern continues.
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


def _ratios(block: np.ndarray) -> np.ndarray:
    """Cohort-change ratios by age from observed years (rows) × ages 0–100 (columns)."""
    prev, nxt = block[:-1], block[1:]
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


def project(pop: pd.DataFrame, by: str, to_year: int = 2040, base_years: int = 5) -> pd.DataFrame:
    """Project ``pop`` (``by, year, age, sex, population``) from its last year to ``to_year``.

    Returns the projected years only, same columns (population as float).
    """
    last = int(pop["year"].max())
    first = max(int(pop["year"].min()), last - base_years)
    if first >= last:
        raise ValueError("a projection needs at least two observed years")
    cube = pop[pop["year"].between(first, last)].pivot_table(
        index=[by, "sex", "year"], columns="age", values="population", aggfunc="sum"
    )
    cube = cube.reindex(columns=np.arange(101), fill_value=0).fillna(0).sort_index()
    years = range(last + 1, to_year + 1)
    out = []
    for area in cube.index.get_level_values(0).unique():
        obs = {sex: cube.loc[(area, sex)].to_numpy(dtype=float) for sex in ("kvinnor", "män")}
        mothers = obs["kvinnor"][:-1, 15:50].sum()
        women = {last: obs["kvinnor"][-1]}
        for sex in ("kvinnor", "män"):  # women first: everyone's births follow them
            ratio = _ratios(obs[sex])
            cwr = obs[sex][1:, 0].sum() / mothers if mothers > 0 else 0.0
            cur = obs[sex][-1]
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
    return pd.concat(out, ignore_index=True) if out else pop.iloc[0:0]
