"""Stöd: support per inhabitant and year (the one definition,
:func:`lansanalys.analysis.support.per_inhabitant_year`) for the area against its parent,
riket and kommungrupp, per child on a map, per programme and year, against need, and per
kommungrupp. Functions of one area's data, for riket, län and kommun alike.
"""

from __future__ import annotations

import html

import pandas as pd
import plotly.graph_objects as go
from IPython.display import Markdown

from lansanalys import fmt
from lansanalys.analysis import support
from lansanalys.analysis.access import HEADLINE_KM, share_col
from lansanalys.report import figures, maps
from lansanalys.report.blocks import Table, with_table
from lansanalys.report.chapters.access import context_geo
from lansanalys.report.data import AreaData
from lansanalys.report.text import beyond_note, limit_text

#: A rank correlation above this is called a tendency in the figure's title.
NOTEWORTHY_CORRELATION = 0.3


def _no_support(d: AreaData) -> Markdown | None:
    if d.has_support:
        return None
    return Markdown("*Stöd: uppgift saknas (ingen stödlista i underlaget).*")


def _lower_riket(name: str) -> str:
    """Names inside a sentence: "riket" in lower case, place names as they are."""
    return name[0].lower() + name[1:] if name.startswith(("Riket", "Kommungruppen")) else name


def support_table(d: AreaData) -> Table | Markdown:
    """Support per inhabitant and year for the area, its lineage and (for a kommun) its
    kommungrupp, with the money and the person-years behind it."""
    if (none := _no_support(d)) is not None:
        return none
    per = d.support_per(d.area.lineage)
    grp = d.support_per_group()
    if grp is not None:
        per = pd.concat([per, grp.to_frame().T], ignore_index=True)
    df = pd.DataFrame(
        {
            "Område": per["name"],
            "Stöd, kr per invånare och år": per["sek_per_capita_year"].astype(float),
            "Stöd totalt, mnkr": per["amount_sek"].astype(float) / 1e6,
            "Personår": per["person_years"].astype(float),
        }
    )
    return Table(
        df,
        caption=f"Stöd per invånare och år {d.area.where} {d.support_years()}"
        + (
            ", jämfört med " + " och ".join(_lower_riket(n) for n in per["name"].iloc[1:])
            if len(per) > 1
            else ""
        ),
        source=d.source("stod", "befolkning", year=d.support_years())
        + " "
        + support.SUPPORT_DEFINITION,
        formats={
            "Stöd, kr per invånare och år": fmt.number,
            "Stöd totalt, mnkr": lambda v: fmt.number(v, 1),
            "Personår": fmt.number,
        },
    )


def fig_support_map(d: AreaData) -> go.Figure | Markdown:
    """Support per inhabitant and year per child (a kommun: among its län's kommuner)."""
    if (none := _no_support(d)) is not None:
        return none
    kids = d.area.children or d.area.siblings
    per = d.support_per(kids)
    gdf = d.child_geo.merge(per, on=["code", "name"], how="left", validate="1:1")
    ranked = gdf.dropna(subset=["sek_per_capita_year"]).sort_values("sek_per_capita_year")
    top = ranked.iloc[-1]
    title = (
        f"Mest stöd per invånare: {top['name']}, {fmt.number(top['sek_per_capita_year'])} kr per "
        f"invånare och år ({d.support_years()})"
    )
    if d.area.level == "kommun":
        me = per.set_index("code").loc[d.area.code, "sek_per_capita_year"]
        title = (
            f"{d.area.name}: {fmt.number(me)} kr stöd per invånare och år ({d.support_years()}); "
            f"mest i länet {top['name']}, {fmt.number(top['sek_per_capita_year'])} kr"
        )
    hover = [
        f"<b>{html.escape(k)}</b><br>{fmt.number(v)} kr per invånare och år<br>"
        f"{fmt.number(a / 1e6, 1)} mnkr totalt"
        for k, v, a in zip(gdf["name"], gdf["sek_per_capita_year"], gdf["amount_sek"], strict=True)
    ]
    fig = maps.choropleth(
        gdf,
        "sek_per_capita_year",
        "name",
        hover,
        title,
        d.source("stod", year=d.support_years()),
        "kr per invånare och år",
        context=context_geo(d),
        names=d.area.level != "riket",
    )
    maps.ranked_side_bars(
        fig,
        list(gdf["name"]),
        gdf["sek_per_capita_year"],
        fmt.number,
        "Kr per invånare och år",
        highlight=d.area.name if d.area.level == "kommun" else None,
    )
    return with_table(fig, per)


def fig_support_programmes(d: AreaData) -> go.Figure | Markdown:
    """Support per year and programme in the area (million SEK)."""
    if (none := _no_support(d)) is not None:
        return none
    if d.support.empty:
        return Markdown(
            f"*Inget stöd betalades ut {html.escape(d.area.where)} {d.support_years()}.*"
        )
    s = d.support.groupby(["year", "programme"], as_index=False)["amount_sek"].sum()
    s["mnkr"] = s["amount_sek"] / 1e6
    by_prog = s.groupby("programme")["mnkr"].sum().sort_values(ascending=False)
    s["programme"] = pd.Categorical(s["programme"], list(by_prog.index))
    s = s.sort_values(["programme", "year"])
    dec = 1 if by_prog.iloc[0] < 10 else 0
    title = (
        f"{by_prog.index[0]} är det största stödet {d.area.where}: "
        f"{fmt.number(by_prog.iloc[0], dec)} mnkr {d.support_years()}"
    )
    fig = figures.stacked_bars(
        s,
        "year",
        "programme",
        "mnkr",
        title,
        d.source("stod", year=d.support_years()),
        "Miljoner kronor",
    )
    return with_table(fig, s)


def fig_support_vs_need(d: AreaData) -> go.Figure | Markdown:
    """Support per inhabitant against access gaps per child (a kommun: its län's kommuner),
    coloured by population change."""
    if (none := _no_support(d)) is not None:
        return none
    if not d.covered("dagligvaror"):
        return d.missing_block("dagligvaror")
    kids = d.area.children or d.area.siblings
    per = d.support_per(kids)
    acc = d.access_rows(kids)
    acc = acc[acc["service_type"] == "dagligvaror"][["code", share_col(HEADLINE_KM)]]
    ch = d.change_of(kids)[["code", "change_pct"]]
    need = per.merge(acc, on="code", how="left").merge(ch, on="code", how="left")
    need["sek_year"] = need["sek_per_capita_year"]
    need = need.rename(columns={"name": "omrade"})
    if len(need) >= 3:
        corr = need["sek_year"].corr(need[share_col(HEADLINE_KM)], method="spearman")
        tend = (
            "går mer stöd per invånare"
            if corr > NOTEWORTHY_CORRELATION
            else "går inte tydligt mer stöd per invånare"
        )
        noun = "län" if d.area.level == "riket" else "kommuner"
        title = (
            f"Till {noun} där fler bor långt från dagligvaror {tend} "
            f"(rangkorrelation {fmt.number(corr, 2)})"
        )
    else:  # one or two areas: a correlation would say nothing
        r = need.iloc[0]
        title = (
            f"{r['omrade']}: {fmt.number(r['sek_year'])} kr stöd per invånare och år, "
            f"{fmt.percent(r[share_col(HEADLINE_KM)])} bor > {limit_text(HEADLINE_KM)} km från "
            "dagligvaror"
        )
    fig = figures.bubble_scatter(
        need,
        share_col(HEADLINE_KM),
        "sek_year",
        "population",
        "change_pct",
        "omrade",
        title,
        d.source("stod", "rutor", "service", year=d.support_years()) + " " + beyond_note(d.meta),
        f"Andel > {limit_text(HEADLINE_KM)} km till dagligvaror (ej nåbara inräknade), %",
        "Stöd, kr per invånare och år",
        "Befolkningsförändring, %",
    )
    return with_table(fig, need)


def fig_support_by_group(d: AreaData) -> go.Figure | Markdown:
    """Each kommungrupp's share of the area's support against its share of the population."""
    if (none := _no_support(d)) is not None:
        return none
    if d.klassning is None:
        return Markdown(
            "*Ingen kommungruppering finns i underlaget (t.ex. SKR:s "
            "kommungruppsindelning); jämförelsen per kommungrupp visas när den finns.*"
        )
    kl = d.klassning.set_index("kommun_kod")
    groups = kl["class_code"] + " " + kl["class_name"]
    mine = groups.reindex(d.area.kommun_codes)
    sh = support.share_by_group(d.support, d.pop, mine).sort_values("group")
    long = pd.concat(
        [
            sh.assign(measure="Andel av befolkningen", value=sh["population_share"]),
            sh.assign(measure="Andel av stödet", value=sh["support_share"]),
        ]
    )
    top = sh.sort_values("ratio").iloc[-1]
    title = (
        f"{top['group']} får {fmt.number(top['support_share'], 0)} % av stödet men har "
        f"{fmt.number(top['population_share'], 0)} % av befolkningen"
    )
    fig = figures.grouped_shares(
        long,
        "group",
        "measure",
        "value",
        title,
        d.source("stod", "befolkning", year=d.support_years())
        + f" Gruppering: {kl['scheme'].iloc[0]}.",
    )
    return with_table(fig, sh)
