"""Support distribution: where the money goes, per inhabitant and against need."""

from __future__ import annotations

import pandas as pd


def per_capita(
    stod: pd.DataFrame,
    bef: pd.DataFrame,
    by: str = "kommun_kod",
    split: tuple[str, ...] = ("year",),
) -> pd.DataFrame:
    """SEK per inhabitant per area (and per ``split`` columns such as year or programme).

    The population is the area's population of the grant's year; for years after the last
    population year the latest population is used. Returns ``by, *split, amount_sek,
    population, sek_per_capita``.
    """
    keys = [by, *split]
    money = stod.groupby(keys, as_index=False)["amount_sek"].sum()
    pop = bef.groupby([by, "year"], as_index=False)["population"].sum()
    latest = int(pop["year"].max())
    money["_pop_year"] = money["year"].clip(upper=latest) if "year" in split else latest
    out = money.merge(pop.rename(columns={"year": "_pop_year"}), on=[by, "_pop_year"], how="left")
    out["sek_per_capita"] = out["amount_sek"] / out["population"]
    return out.drop(columns="_pop_year")


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
    """Support per inhabitant set beside access gaps and population change, per kommun.

    ``per_kommun`` from :func:`per_capita` (summed over the period), ``access_kommun`` from the
    build, ``change`` from :func:`lansanalys.demografi.change`.
    """
    acc = access_kommun[access_kommun["service_type"] == service_type][
        ["kommun_kod", "population_share_over_10km"]
    ]
    sek = per_kommun.groupby("kommun_kod", as_index=False).agg(
        amount_sek=("amount_sek", "sum"), population=("population", "last")
    )
    sek["sek_per_capita"] = sek["amount_sek"] / sek["population"]
    out = sek.merge(acc, on="kommun_kod", how="left").merge(
        change[["kommun_kod", "change_pct"]], on="kommun_kod", how="left"
    )
    return out
