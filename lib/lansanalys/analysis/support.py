"""Support distribution: where the money goes, per inhabitant and against need."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

#: The support measure, as stated under *Om data och metod* and in docs/definitions.md.
SUPPORT_DEFINITION = (
    "Stöd per invånare och år: allt stöd som betalats till kommunen under stödlistans hela "
    "period, delat med kommunens invånare summerade över periodens år (personår). Kommuner som "
    "inte fått något stöd ingår med 0 kr i kartor, tabeller och jämförelser. Saknas "
    "befolkningsuppgifter för någon ålder eller något kön ett år i perioden redovisas ingen "
    "siffra för kommunen (uppgift saknas)."
)


def _population_by_year(bef: pd.DataFrame) -> pd.DataFrame:
    """Population per kommun (rows) and year (columns); NaN where any part of it is missing.

    A part missing (SCB's '..', NaN in ``bef``) makes the kommun's population that year
    unknown, never the sum of the rest.
    """
    pop = bef.assign(_na=bef["population"].isna()).groupby(["kommun_kod", "year"])
    whole = pop["population"].sum().where(~pop["_na"].any())
    return whole.unstack("year")


def per_inhabitant_year(
    stod: pd.DataFrame,
    bef: pd.DataFrame,
    kommuner: Sequence[str],
    period: tuple[int, int],
) -> pd.DataFrame:
    """Support in kronor per inhabitant and year over a period, for every kommun asked for.

    The one definition used in every table, map and title: all support paid to the kommun in the
    period divided by its person-years in the period (the sum over the period's years of the
    kommun's population that year; a year outside the population data takes the nearest year
    that has one). A kommun with no grant takes part with 0 kr: leaving it out would make the
    support look as if it always went somewhere. Where a period year's population of the kommun
    is partial (an age or sex missing, '..') or missing, the kommun gets no figure (NaN, shown
    as "uppgift saknas"), never kronor over part of its people; 0 kr stays 0 kr.

    Parameters
    ----------
    stod : DataFrame
        Grants: ``kommun_kod, year, amount_sek``.
    bef : DataFrame
        Population: ``kommun_kod, year, population`` (any further split is summed; NaN is a
        missing value, '..').
    kommuner : sequence of str
        Every kommun of the area (e.g. the län's); each gets a row.
    period : (int, int)
        First and last year of the support data (inclusive), e.g. the years the support list
        covers nationally, not only the years in which this area had grants.

    Returns
    -------
    DataFrame
        ``kommun_kod, amount_sek`` (kr), ``person_years``, ``population`` (latest year),
        ``n_years`` and ``sek_per_capita_year`` (kr per inhabitant and year; NaN where a
        period year's population is missing or partial, 0 where no grant was paid).

    Example
    -------
    >>> grants = pd.DataFrame({"kommun_kod": ["0001"], "year": [2020], "amount_sek": [3000.0]})
    >>> bef = pd.DataFrame({"kommun_kod": ["0001", "0002"] * 2, "year": [2020, 2020, 2021, 2021],
    ...                     "population": [100.0, 50.0, 100.0, 50.0]})
    >>> out = per_inhabitant_year(grants, bef, ["0001", "0002"], (2020, 2021))
    >>> out["sek_per_capita_year"].tolist()
    [15.0, 0.0]
    """
    first, last = int(period[0]), int(period[1])
    if last < first:
        raise ValueError(f"support period {first}–{last} ends before it starts")
    kommuner = list(dict.fromkeys(kommuner))
    pop = _population_by_year(bef).reindex(kommuner)
    pop_years = np.array(sorted(pop.columns))
    years = np.arange(first, last + 1)
    # The nearest year with population data stands in for a year outside it.
    nearest = pop_years[np.abs(pop_years[None, :] - years[:, None]).argmin(axis=1)]
    person_years = pop[nearest].sum(axis=1, min_count=len(years))
    in_period = stod[stod["year"].between(first, last)]
    money = in_period.groupby("kommun_kod")["amount_sek"].sum().reindex(kommuner)
    out = pd.DataFrame(
        {
            "kommun_kod": kommuner,
            "amount_sek": money.fillna(0.0).to_numpy(),
            "person_years": person_years.to_numpy(),
            "population": pop[pop_years.max()].to_numpy(),
            "n_years": len(years),
        }
    )
    per = out["amount_sek"] / out["person_years"].where(out["person_years"] > 0)
    # No grant is 0 kr on any population; otherwise no figure without whole person-years.
    out["sek_per_capita_year"] = per.where(out["amount_sek"] != 0, 0.0)
    return out


def share_by_group(stod: pd.DataFrame, bef: pd.DataFrame, groups: pd.Series) -> pd.DataFrame:
    """Each group's share of the support against its share of the population (percent).

    ``groups`` maps ``kommun_kod`` to a group (e.g. SKR kommungrupp). ``ratio`` > 1 means the
    group gets more than its population share. Population is the latest year's; where it is
    partial for any kommun ('..' in an age or sex), the total is too, so no group has a
    population share or ratio (NaN, "uppgift saknas"); the support shares are still given.
    """
    latest = int(bef["year"].max())
    pop = _population_by_year(bef[bef["year"] == latest])[latest]
    money = stod.groupby("kommun_kod")["amount_sek"].sum()
    df = pd.DataFrame({"population": pop, "amount_sek": money})
    df["amount_sek"] = df["amount_sek"].fillna(0.0)
    # A kommun with grants but no population rows counts no people (as before); a partial one
    # stays unknown.
    df.loc[~df.index.isin(pop.index), "population"] = 0.0
    df["group"] = groups.reindex(df.index)
    if df["group"].isna().any():
        missing = df.index[df["group"].isna()].tolist()[:5]
        raise KeyError(f"kommuner without a group: {missing}")
    g = df.groupby("group")[["population", "amount_sek"]].sum(min_count=1)
    if df["population"].isna().any():
        g["population"] = np.nan
    g["population_share"] = 100 * g["population"] / g["population"].sum()
    g["support_share"] = 100 * g["amount_sek"] / g["amount_sek"].sum()
    g["ratio"] = g["support_share"] / g["population_share"]
    return g.reset_index()


def against_need(
    per_kommun: pd.DataFrame,
    access_kommun: pd.DataFrame,
    change: pd.DataFrame,
    service_type: str = "dagligvaror",
) -> pd.DataFrame:
    """Support per inhabitant and year set beside access gaps and population change, per kommun.

    ``per_kommun`` from :func:`per_inhabitant_year` (one row per kommun, kommuner without
    grants at 0 kr), ``access_kommun`` from the build, ``change`` from
    :func:`lansanalys.analysis.demography.change`. Every kommun of ``per_kommun`` keeps its row.
    """
    acc = access_kommun[access_kommun["service_type"] == service_type][
        ["kommun_kod", "population_share_over_10km"]
    ]
    out = per_kommun.merge(acc, on="kommun_kod", how="left").merge(
        change[["kommun_kod", "change_pct"]], on="kommun_kod", how="left"
    )
    return out
