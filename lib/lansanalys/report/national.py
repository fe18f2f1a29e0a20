"""The riksöversikt's own blocks (the index page): each län's headline indicator on a map, the
län ranked, the table of län reports, access per kommungrupp and the links to every kommun
report. The chapters it shares with the län and kommun reports live in :mod:`.chapters`.
"""

from __future__ import annotations

import html

import pandas as pd
import plotly.graph_objects as go
from IPython.display import HTML, Markdown

from lansanalys import catalogue, fmt, geo
from lansanalys.analysis.access import HEADLINE_KM, HEADLINE_MIN, share_col
from lansanalys.catalogue import covered_lan
from lansanalys.config import linkable_reports
from lansanalys.report import maps
from lansanalys.report.blocks import MISSING, change_header, html_table, with_table
from lansanalys.report.data import AreaData
from lansanalys.report.text import (
    beyond_note,
    coverage_complete,
    distance_note,
    distance_phrase,
    limit_text,
    missing_sentence,
    source_note,
    unreachable_or_missing,
)
from lansanalys.services import CASH_RULE_KM, CASH_RULE_LIMITS, SERVICE_TYPES

INDICATORS = {
    "mean_age": ("Medelålder", "år", 1),
    "share_65": ("Andel 65 år och äldre", "%", 1),
    "dependency": ("Försörjningskvot (per 100 i åldern 20–64)", "", 0),
    "grocery_over_10": (
        f"Andel som bor > {limit_text(HEADLINE_KM)} km från dagligvarubutik",
        "%",
        1,
    ),
}


def _covered(meta: dict, service_type: str, lan_kod: str | None = None) -> bool:
    """Whether ``lan_kod`` (default: any län) has service data of ``service_type``."""
    codes = covered_lan(meta, service_type)
    return bool(codes) if lan_kod is None else lan_kod in codes


def fig_indicator(d: AreaData, col: str) -> go.Figure | Markdown:
    """Map of one headline indicator across the 21 län, highest and lowest named."""
    if col not in INDICATORS:
        raise ValueError(f"unknown indicator {col!r}; one of {list(INDICATORS)}")
    name, unit, dec = INDICATORS[col]
    ind = _lan_indicators(d).drop(index="00")
    note = ""
    if col == "grocery_over_10":
        if not _covered(d.meta, "dagligvaror"):
            return Markdown(
                f"*{html.escape(missing_sentence(d.meta, ['dagligvaror'], 'alla län'))}*"
            )
        n = len(covered_lan(d.meta, "dagligvaror"))
        if n < len(ind):
            note = (
                f" Uppgift saknas för {len(ind) - n} län: servicefilerna täcker dem inte; "
                f"riket avser de län som har uppgifter, {n} av {len(ind)}."
            )
    gdf = catalogue.read(d.p, "lan_geo").merge(ind, left_on="lan_kod", right_index=True)
    ranked = gdf.dropna(subset=[col]).sort_values(col)
    hi, lo = ranked.iloc[-1], ranked.iloc[0]
    suffix = f" {unit}" if unit else ""
    title = (
        f"{name}: högst i {hi['lan']} ({fmt.number(hi[col], dec)}{suffix}), lägst i "
        f"{lo['lan']} ({fmt.number(lo[col], dec)}{suffix})"
    )
    riket = _lan_indicators(d).at["00", col]
    hover = [
        f"<b>{html.escape(n)}</b><br>{fmt.number(v, dec)}{suffix} (riket "
        f"{fmt.number(riket, dec)}{suffix})"
        if v == v
        else f"<b>{html.escape(n)}</b><br>{MISSING}"
        for n, v in zip(gdf["lan"], gdf[col], strict=True)
    ]
    kinds = ["befolkning"] if col != "grocery_over_10" else ["rutor", "service"]
    if col == "grocery_over_10":
        note = " " + beyond_note(d.meta) + note
    fig = maps.choropleth(
        gdf,
        col,
        "lan",
        hover,
        title,
        source_note(d.meta, kinds) + note,
        f"{name.split(' (')[0]}",
        names=False,  # 21 län on a map of Sweden: named in the bars
    )
    maps.ranked_side_bars(
        fig,
        list(gdf["lan"]),
        gdf[col],
        lambda v: f"{fmt.number(v, dec)}{suffix}",
        f"{name.split(' (')[0]}{', ' + unit if unit else ''}",
        reference=(float(riket), "Riket"),
    )
    return with_table(fig, ind[[col]].reset_index())


def ranked_table(d: AreaData) -> HTML:
    """All 21 län ranked on each headline indicator (1 = highest).

    The page shows "44,9 (4)" (value and place); the download holds each as a number of its
    own, the value under the indicator with its unit and the place under "…, plats".
    """
    ind = _lan_indicators(d).drop(index="00").join(geo.lan().set_index("lan_kod"))
    df = pd.DataFrame({"Län": ind["lan"]})
    numbers = pd.DataFrame({"Län": ind["lan"]})
    decimals: dict[str, int] = {}
    for col, (name, unit, dec) in INDICATORS.items():
        # Only län with data are ranked; the others say so.
        rank = ind[col].rank(ascending=False, method="min")
        df[name] = [
            f"{fmt.number(v, dec)} ({int(r)})" if r == r else MISSING
            for v, r in zip(ind[col], rank, strict=True)
        ]
        head = f"{name}, {unit}" if unit else name
        numbers[head] = ind[col].where(rank.notna())
        numbers[f"{name}, plats"] = rank.astype("Int64")
        decimals[head] = dec
        decimals[f"{name}, plats"] = 0
        if col == "grocery_over_10":
            df["Ej nåbar via väg (dagligvaror)"] = [
                unreachable_or_missing(v) for v in ind["grocery_unreachable"]
            ]
            numbers["Ej nåbar via väg (dagligvaror), invånare"] = ind["grocery_unreachable"]
            decimals["Ej nåbar via väg (dagligvaror), invånare"] = 0
    order = df["Län"].sort_values().index
    df, numbers = df.loc[order], numbers.loc[order]
    n = len(covered_lan(d.meta, "dagligvaror"))
    note = (
        f" Avstånd till dagligvaror: uppgift saknas för {len(ind) - n} län (servicefilerna "
        f"täcker dem inte); platsen gäller bland de {n} län som har uppgifter."
        if n < len(ind)
        else ""
    )
    return html_table(
        df,
        "Länen rangordnade på nyckeltalen: värde (plats av 21, 1 = högst)",
        source_note(d.meta, ["befolkning", "rutor", "service"]) + " " + beyond_note(d.meta) + note,
        numeric=[c for c in df.columns if c != "Län"],
        download_frame=numbers.reset_index(drop=True),
        decimals=decimals,
    )


def lan_table(d: AreaData) -> HTML:
    """The 21 län reports, linked, with each län's size and change. The indicators are in
    :func:`ranked_table` (with their places); this table does not repeat them."""
    ind = _lan_indicators(d).drop(index="00").join(geo.lan().set_index("lan_kod"))
    span = _lan_indicators(d).attrs["span"]
    table = pd.DataFrame(
        {
            "Län": ind["lan"],
            "Kod": ind.index,
            "Folkmängd": ind["population"].map(fmt.number),
            change_header(span): ind["change_n"].map(lambda v: fmt.signed(v, 1, " %")),
        }
    )
    return html_table(
        table,
        "Länsrapporter",
        source_note(d.meta, ["befolkning"]),
        numeric=list(table.columns[2:]),
        links={"Län": [f"{s}.html" for s in ind["slug"]]},
        table_class="la-index",
        download=False,
    )


def kommungrupp_table(d: AreaData) -> HTML | Markdown:
    """Access to service per kommungrupp (riket), by road: shares beyond 10 km and the
    cash rule, with the population that cannot reach service by road."""
    if not catalogue.exists(d.p, "access_kommungrupp"):
        return Markdown(
            "*Ingen kommungruppering finns i underlaget; tabellen per kommungrupp "
            "visas när den finns.*"
        )
    acc = catalogue.read(d.p, "access_kommungrupp")
    cash = catalogue.read(d.p, "cash_rule")
    cash = cash[(cash["level"] == "kommungrupp") & (cash["service_type"] == "kontantuttag")]
    cash = cash.set_index("code")
    # "> HEADLINE_MIN min" as the build computed it for every level (unreachable counts as
    # beyond, the one definition; only cells of län with grocery data count).
    minutes = share_col(HEADLINE_MIN, unit="min")
    groc = acc[acc["service_type"] == "dagligvaror"].set_index("kommungrupp")
    over10min = groc[minutes] if minutes in groc else pd.Series(dtype=float)
    if acc.empty:
        return Markdown(
            f"*{html.escape(missing_sentence(d.meta, list(SERVICE_TYPES), 'alla län'))}*"
        )
    wide = acc.pivot(index="kommungrupp", columns="service_type", values=share_col(HEADLINE_KM))
    # Types without data anywhere are not in the table: their cells say so.
    grocery = "dagligvaror" if "dagligvaror" in set(acc["service_type"]) else None
    pop = acc[acc["service_type"] == (grocery or acc["service_type"].iloc[0])]
    pop = pop.set_index("kommungrupp")

    def share(st: str, g: str) -> str:
        return fmt.percent(wide.at[g, st]) if st in wide.columns else MISSING

    # The cash rule's share shows hundredths, as everywhere (its limit is 0,3 %); the head says
    # so, beside the shares in tenths.
    cash_limit = limit_text(CASH_RULE_LIMITS["kontantuttag"])
    cash_head = f"Kontantuttag > {limit_text(CASH_RULE_KM)} km (gräns {cash_limit} %)"
    rows = []
    for g in sorted(wide.index):
        rows.append(
            {
                "Kommungrupp": g,
                "Invånare": fmt.number(pop.at[g, "population"]),
                f"Dagligvaror > {limit_text(HEADLINE_KM)} km": share("dagligvaror", g),
                f"Dagligvaror > {limit_text(HEADLINE_MIN)} min": fmt.percent(
                    over10min.get(g, float("nan"))
                )
                if grocery
                else MISSING,
                f"Apotek > {limit_text(HEADLINE_KM)} km": share("apotek", g),
                cash_head: fmt.percent(cash.at[g, f"share_over_{CASH_RULE_KM:g}km"], 2)
                if g in cash.index
                else MISSING,
                "Ej nåbar via väg": fmt.number(pop.at[g, "population_unreachable"])
                if grocery
                else MISSING,
            }
        )
    df = pd.DataFrame(rows)
    scheme = catalogue.read(d.p, "klassning")["scheme"].iloc[0]
    where = "i hela landet"
    if not coverage_complete(d.meta):
        n = {st: len(covered_lan(d.meta, st)) for st in SERVICE_TYPES}
        where = (
            f"i de län som har uppgifter (dagligvaror {n['dagligvaror']}, apotek "
            f"{n['apotek']} och kontantuttag {n['kontantuttag']} av {len(geo.lan_codes())} län)"
        )
    gaps = [t for t in ("dagligvaror", "apotek", "kontantuttag") if not _covered(d.meta, t)]
    return html_table(
        df,
        f"Tillgänglighet per kommungrupp {where} ({scheme}), {distance_phrase(d.meta)}",
        source_note(d.meta, ["rutor", "service", "vagnat", "klassning"])
        + " "
        + distance_note(d.meta)
        + " "
        + beyond_note(d.meta)
        + (" " + missing_sentence(d.meta, gaps, "alla län") if gaps else ""),
        numeric=[c for c in df.columns if c != "Kommungrupp"],
    )


def kommun_links() -> HTML:
    """Links to the kommun reports that exist in this bundle, grouped by län."""
    linkable = linkable_reports()
    kom = geo.kommuner()
    kom = kom[(kom["slug"] + ".html").isin(linkable)]
    if kom.empty:
        return HTML(
            "<p>Inga kommunrapporter i den här samlingen; de skapas med "
            "<code>lansanalys render --kommuner</code>.</p>"
        )
    parts = []
    for lan_name, g in kom.groupby("lan", sort=False):
        links = ", ".join(
            f'<a href="{html.escape(sl)}.html">{html.escape(n)}</a>'
            for sl, n in zip(g["slug"], g["kommun"], strict=True)
        )
        parts.append(f"<li><strong>{html.escape(lan_name)}:</strong> {links}</li>")
    return HTML(f'<ul class="la-kommunlist">{"".join(parts)}</ul>')


def group_links(d: AreaData) -> HTML:
    """Links to the programme group reports in this bundle, with each group's period and size."""
    from lansanalys.report.group_data import groups

    linkable = linkable_reports()
    known = groups(d.p)
    if not known:
        return HTML(
            "<p>Inga programgrupper i underlaget; en grupp av kommuner med programperiod läggs i "
            "en fil (se README) och följs då upp i en egen rapport.</p>"
        )
    items = []
    for g in known.values():
        n = f"{len(g.members)} kommuner"
        name = html.escape(g.label)
        link = f'<a href="{html.escape(g.slug)}.html">{name}</a>'
        items.append(f"<li>{link if g.slug + '.html' in linkable else name} ({n})</li>")
    return HTML(f'<ul class="la-kommunlist">{"".join(items)}</ul>')


def _lan_indicators(d: AreaData) -> pd.DataFrame:
    """The 21 län and riket ("00") from the build's indicators, indexed by code."""
    ind = d.indicators
    out = pd.concat([ind.loc["lan"], ind.loc[["riket"]].droplevel(0)])
    out.attrs["span"] = d.span
    return out
