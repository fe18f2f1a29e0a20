"""Support distribution: where the money goes, per inhabitant and against need."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

#: The support measure, as stated under *Om data och metod* and in docs/definitions.md.
SUPPORT_DEFINITION = (
    "Stöd per invånare och år: allt stöd som betalats till kommunen under stödlistans hela "
    "period, delat med kommunens invånare summerade över periodens år (personår). Kommuner som "
    "inte fått något stöd ingår med 0 kr i kartor, tabeller och jämförelser."
)


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
    support look as if it always went somewhere.

    Parameters
    ----------
    stod : DataFrame
        Grants: ``kommun_kod, year, amount_sek``.
    bef : DataFrame
        Population: ``kommun_kod, year, population`` (any further split is summed).
    kommuner : sequence of str
        Every kommun of the area (e.g. the län's); each gets a row.
    period : (int, int)
        First and last year of the support data (inclusive), e.g. the years the support list
        covers nationally, not only the years in which this area had grants.

    Returns
    -------
    DataFrame
        ``kommun_kod, amount_sek, person_years, population`` (latest year), ``n_years`` and
        ``sek_per_capita_year`` (NaN where the kommun has no population).

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
    pop = bef.groupby(["kommun_kod", "year"])["population"].sum().unstack("year")
    pop = pop.reindex(kommuner)
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
    out["sek_per_capita_year"] = out["amount_sek"] / out["person_years"].where(
        out["person_years"] > 0
    )
    return out


def share_by_group(stod: pd.DataFrame, bef: pd.DataFrame, groups: pd.Series) -> pd.DataFrame:
    """Each group's share of the support against its share of the population (percent).

    ``groups`` maps ``kommun_kod`` to a group (e.g. SKR kommungrupp). ``ratio`` > 1 means the
    group gets more than its population share.
    """
    latest = int(bef["year"].max())
    pop = bef[bef["year"] == latest].groupby("kommun_kod")["population"].sum()
    money = stod.groupby("kommun_kod")["amount_sek"].sum()
    df = pd.DataFrame({"population": pop, "amount_sek": money}).fillna(0.0)
    df["group"] = groups.reindex(df.index)
    if df["group"].isna().any():
        missing = df.index[df["group"].isna()].tolist()[:5]
        raise KeyError(f"kommuner without a group: {missing}")
    g = df.groupby("group")[["population", "amount_sek"]].sum()
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
