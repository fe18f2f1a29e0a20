"""Typer av platser (landsbygdsperspektiv): every measure by kommuntyp (Tillväxtanalys) and by
place type per grid cell (tätort, tätortsnära landsbygd, glesbygd). Functions of one area's
data, for riket, län and kommun alike; the build computed the types and the figures per type
(``ortstyp``, ``kommuntyp``, ``typ_befolkning``, ``typ_access``), so these only filter.
"""

from __future__ import annotations

import html

import pandas as pd
import plotly.graph_objects as go
from IPython.display import Markdown

from lansanalys import fmt
from lansanalys.analysis import support
from lansanalys.analysis.access import HEADLINE_KM, share_col
from lansanalys.analysis.place_types import (
    CITY_NEAR_MIN,
    CITY_POPULATION,
    CITY_REMOTE_MEAN_MIN,
    METRO_POPULATION,
    METRO_RURAL_PCT,
    PLACE_BOUNDS_MIN,
    PLACE_TYPES,
    RURAL_PCT,
    TOWN_MIN_POPULATION,
)
from lansanalys.config import DEFAULT_THRESHOLDS_KM
from lansanalys.report import figures
from lansanalys.report.blocks import MISSING, Table, with_table
from lansanalys.report.data import AreaData
from lansanalys.report.text import beyond_note, coverage_complete, limit_text, riket_label
from lansanalys.services import SERVICES

#: Why the change per place type has no figure yet.
NO_GRID_CHANGE = (
    "Förändring per ortstyp kräver befolkningsrutor för två år; med ett år: uppgift saknas."
)
#: Why support has no figure per place type.
NO_SUPPORT_BY_PLACE = (
    "Stöd per ortstyp: uppgift saknas (stödlistan anger kommun, inte plats), se stöd per kommuntyp."
)


def _no_types(d: AreaData) -> Markdown | None:
    if d.place_meta is None or d.kommuntyp is None:
        return Markdown(
            "*Typer av platser: uppgift saknas (bygg om med `lansanalys build`: tabellerna "
            "ortstyp och kommuntyp saknas).*"
        )
    return None


def _lower(name: str) -> str:
    return name[0].lower() + name[1:] if name else name


def _noun(service_type: str) -> str:
    return SERVICES[service_type].noun if service_type in SERVICES else service_type


def _source(d: AreaData, *kinds: str, kommuntyp: bool = False) -> str:
    """Sources and what the types rest on (place types, or the kommuntyp)."""
    pm = d.place_meta or {}
    basis = pm.get("kommuntyp_text" if kommuntyp else "basis_text", "")
    return " ".join([d.source("rutor", "vagnat", *kinds), basis]).strip()


def kommuntyp_text(d: AreaData) -> Markdown:
    """The area's kommuntyp (a kommun) or how its kommuner divide over the six types, and what
    the classification rests on."""
    if (none := _no_types(d)) is not None:
        return none
    a = d.area
    pm = d.place_meta
    if a.level == "kommun":
        six, three = d.kommuntyp_of(a.code), d.kommuntyp_of(a.code, "kommuntyp3")
        if six is None:
            return Markdown(f"*Kommuntyp för {html.escape(a.name)}: {MISSING}.*")
        text = (
            f"{html.escape(a.name)} hör till kommuntypen **{html.escape(_lower(six))}** "
            f"({html.escape(_lower(three))} i indelningen i tre typer)."
        )
    else:
        figs = d.kommuntyp_figures()
        parts = ", ".join(f"{_lower(r.name)} ({int(r.n_kommuner)})" for r in figs.itertuples())
        where = "Landets" if a.level == "riket" else f"{a.name}s"
        text = html.escape(
            f"{where} {len(a.kommun_codes)} kommuner fördelar sig på kommuntyperna: {parts}."
        )
    return Markdown(text + " " + html.escape(pm["kommuntyp_text"]))


def table_by_kommuntyp(d: AreaData, service_type: str = "dagligvaror") -> Table | Markdown:
    """Population, change, 70+, access and support per kommuntyp: the area's kommuner of each
    type (a kommun: itself, its type in riket, and riket)."""
    if (none := _no_types(d)) is not None:
        return none
    a = d.area
    riket = a.lineage[-1]
    col = share_col(HEADLINE_KM)
    if a.level == "kommun":
        mine = d.kommuntyp_of(a.code)
        same = d.kommuner_of_type(mine, riket) if mine else []
        rows = [
            {
                **d.group_figures([a.code], a.code, a.name),
                "access": d.access_of(a, service_type, col),
            },
            {**d.group_figures(same, mine or "", f"{mine or MISSING}, riket"), "type": mine},
            {**d.group_figures(riket.kommun_codes, riket.code, "Riket")},
        ]
        acc = d.type_access("kommuntyp", [riket], service_type).set_index("type")[col]
        rows[1]["access"] = acc.get(mine, float("nan"))
        rows[2]["access"] = d.access_of(riket, service_type, col)
        df = pd.DataFrame(rows)
    else:
        df = d.kommuntyp_figures()
        acc = d.type_access("kommuntyp", [a], service_type).set_index("type")[col]
        df["access"] = df["code"].map(acc)
        whole = {**d.group_figures(a.kommun_codes, a.code, d.name_of(a))}
        whole["access"] = d.access_of(a, service_type, col)
        df = pd.concat([df, pd.DataFrame([whole])], ignore_index=True)
    over = f"Andel > {limit_text(HEADLINE_KM)} km till {_noun(service_type)}, %"
    out = pd.DataFrame(
        {
            "Kommuntyp": df["name"],
            "Kommuner": df["n_kommuner"].astype(float),
            f"Invånare {d.year}": df["population"].astype(float),
            f"Förändring {d.year - d.span}–{d.year}, %" if d.span else "Förändring, %": df[
                "change_pct"
            ].astype(float),
            "Andel 70+, %": df["share_70plus"].astype(float),
            over: df["access"].astype(float),
            "Stöd, kr per invånare och år": df["sek_per_capita_year"].astype(float),
        }
    )
    change = out.columns[3]
    note = ""
    if a.level == "riket" and not coverage_complete(d.meta):
        note = f"Andelen > {limit_text(HEADLINE_KM)} km avser {riket_label(d.meta, service_type)}."
    elif a.level != "riket" and not d.covered(service_type):
        note = d.missing(service_type)
    if not d.has_support:
        note += " Stöd: uppgift saknas (ingen stödlista i underlaget)."
    return Table(
        out,
        caption=f"Befolkning, tillgänglighet och stöd per kommuntyp {a.where}",
        source=_source(
            d, "befolkning", "service", *(("stod",) if d.has_support else ()), kommuntyp=True
        )
        + " "
        + beyond_note(d.meta),
        formats={
            "Kommuner": fmt.number,
            f"Invånare {d.year}": fmt.number,
            change: lambda v: fmt.signed(v, 1, " %"),
            "Andel 70+, %": fmt.percent,
            over: fmt.percent,
            "Stöd, kr per invånare och år": fmt.number,
        },
        labels={
            over: f"> {limit_text(HEADLINE_KM)} km, %",
            "Stöd, kr per invånare och år": "Stöd, kr/inv/år",
        },
        note=note.strip(),
    )


def _place_rows(d: AreaData, service_type: str) -> pd.DataFrame:
    """Population and access per place type of the area, with its parent's share beyond."""
    a = d.area
    pop = d.type_population("ortstyp", [a]).set_index("type")
    acc = d.type_access("ortstyp", [a], service_type).set_index("type")
    parent = a.parent
    pacc = (
        d.type_access("ortstyp", [parent], service_type).set_index("type")
        if parent is not None
        else pd.DataFrame()
    )
    col = share_col(HEADLINE_KM)
    total = float(pop["population"].sum())
    rows = []
    for t in PLACE_TYPES:
        if t not in pop.index or not pop.at[t, "population"]:
            continue
        p70 = pop.at[t, "pop_70plus"]
        rows.append(
            {
                "type": t,
                "population": float(pop.at[t, "population"]),
                "share": 100 * float(pop.at[t, "population"]) / total if total else float("nan"),
                "share_70plus": 100 * p70 / pop.at[t, "population"]
                if pd.notna(p70)
                else float("nan"),
                "beyond": float(acc.at[t, col]) if t in acc.index else float("nan"),
                "unreachable": float(acc.at[t, "population_unreachable"])
                if t in acc.index
                else float("nan"),
                "parent_beyond": float(pacc.at[t, col])
                if len(pacc) and t in pacc.index
                else float("nan"),
            }
        )
    return pd.DataFrame(rows)


def table_by_place_type(d: AreaData, service_type: str = "dagligvaror") -> Table | Markdown:
    """Invånare, 70+ and access per place type (tätort, tätortsnära landsbygd, glesbygd) of the
    area, with the parent's share beyond for the same type."""
    if (none := _no_types(d)) is not None:
        return none
    a = d.area
    rows = _place_rows(d, service_type)
    if len(rows) < 2:
        only = rows["type"].iloc[0] if len(rows) else MISSING
        return Markdown(
            f"*Alla invånare {html.escape(a.where)} bor i {html.escape(only)} "
            f"({html.escape(d.place_meta['basis_text'])}); jämförelsen per ortstyp visas där "
            "det finns flera.*"
        )
    if not d.covered(service_type):
        rows[["beyond", "unreachable", "parent_beyond"]] = float("nan")
    over = f"Andel > {limit_text(HEADLINE_KM)} km till {_noun(service_type)}, %"
    parent = a.parent
    cols = {
        "Ortstyp": rows["type"],
        "Invånare": rows["population"],
        "Andel av invånarna, %": rows["share"],
        "Andel 70+, %": rows["share_70plus"],
        over: rows["beyond"],
        "Ej nåbar via väg": rows["unreachable"],
    }
    labels = {
        over: f"> {limit_text(HEADLINE_KM)} km, %",
        "Ej nåbar via väg": "Ej nåbar via väg, inv.",
    }
    if parent is not None:
        pcol = f"{d.name_of(parent)}: andel > {limit_text(HEADLINE_KM)} km, %"
        cols[pcol] = rows["parent_beyond"]
        labels[pcol] = f"{d.name_of(parent)} > {limit_text(HEADLINE_KM)} km, %"
    out = pd.DataFrame(cols)
    formats = {
        "Invånare": fmt.number,
        "Andel av invånarna, %": fmt.percent,
        "Andel 70+, %": fmt.percent,
        over: fmt.percent,
        "Ej nåbar via väg": fmt.number,
    }
    if parent is not None:
        formats[pcol] = fmt.percent
    note = NO_GRID_CHANGE + " " + NO_SUPPORT_BY_PLACE
    # As in the access table: a column of zeros is left out and the note says so.
    if out["Ej nåbar via väg"].eq(0).all():
        out = out.drop(columns="Ej nåbar via väg")
        note = (
            "Ej nåbar via väg: ingen (kolumnen visas inte), alla når närmaste "
            f"{_noun(service_type)} längs vägnätet. " + note
        )
    if not d.covered(service_type):
        note = d.missing(service_type) + " " + note
    return Table(
        out,
        caption=f"Invånare och tillgänglighet per ortstyp {a.where}",
        source=_source(d, "service") + " " + beyond_note(d.meta),
        formats=formats,
        labels=labels,
        note=note,
    )


def fig_access_by_place_type(
    d: AreaData, service_type: str = "dagligvaror", threshold_km: float = HEADLINE_KM
) -> go.Figure | Markdown:
    """The share beyond ``threshold_km`` by road per place type, for the area and its lineage:
    how much worse access is in glesbygd than in tätortsnära landsbygd here."""
    if (none := _no_types(d)) is not None:
        return none
    if threshold_km not in DEFAULT_THRESHOLDS_KM:
        raise ValueError(
            f"threshold_km {threshold_km!r}: the build computes the shares per place type for "
            f"{list(DEFAULT_THRESHOLDS_KM)} km"
        )
    if not d.covered(service_type):
        return d.missing_block(service_type)
    col = share_col(threshold_km)
    areas = [x for x in d.area.lineage if d.covered(service_type, x)]
    acc = d.type_access("ortstyp", areas, service_type)
    names = {(x.level, x.code): d.name_of(x) for x in areas}
    long = acc.assign(
        area=[names[k] for k in zip(acc["level"], acc["code"], strict=True)],
        share=acc[col].astype(float),
    )
    long["rank"] = [[x.code for x in areas].index(c) for c in long["code"]]
    long = long.sort_values(["rank", "order"])[["area", "type", "share", "order"]]
    mine = long[long["area"] == names[(d.area.level, d.area.code)]].set_index("type")["share"]
    limit = limit_text(threshold_km)
    noun = _noun(service_type)
    near, far = PLACE_TYPES[1], PLACE_TYPES[2]
    where = d.area.where
    if far in mine.index and near in mine.index:
        title = (
            f"I glesbygd {where} bor {fmt.percent(mine[far])} mer än {limit} km från {noun}, "
            f"i tätortsnära landsbygd {fmt.percent(mine[near])}"
        )
    elif near in mine.index:
        title = (
            f"Ingen glesbygd {where}; i tätortsnära landsbygd bor {fmt.percent(mine[near])} "
            f"mer än {limit} km från {noun}"
        )
    else:
        title = f"Andel som bor mer än {limit} km från {noun} per ortstyp {where}"
    fig = figures.grouped_shares(
        long,
        "type",
        "area",
        "share",
        title,
        _source(d, "service") + " " + beyond_note(d.meta),
    )
    fig.update_xaxes(title=f"Andel > {limit} km till {noun} (ej nåbara inräknade), %")
    # The types in their order from the top, whichever area has which.
    present = [t for t in PLACE_TYPES if t in set(long["type"])]
    fig.update_yaxes(categoryorder="array", categoryarray=present)
    return with_table(fig, long)


def table_support_by_kommuntyp(d: AreaData) -> Table | Markdown:
    """Each kommuntyp's share of the area's support against its share of the person-years, and
    kronor per inhabitant and year (a kommun: itself, its type in the län and in riket)."""
    if (none := _no_types(d)) is not None:
        return none
    if not d.has_support:
        return Markdown("*Stöd: uppgift saknas (ingen stödlista i underlaget).*")
    a = d.area
    if a.level == "kommun":
        mine = d.kommuntyp_of(a.code) or MISSING
        lan, riket = a.lineage[1], a.lineage[-1]
        rows = [
            d.group_figures([a.code], a.code, a.name),
            d.group_figures(d.kommuner_of_type(mine, lan), mine, f"{mine}, {lan.name}"),
            d.group_figures(d.kommuner_of_type(mine, riket), mine, f"{mine}, riket"),
            d.group_figures(riket.kommun_codes, riket.code, "Riket"),
        ]
        df = pd.DataFrame(rows)
        df["support_share"] = float("nan")
        df["years_share"] = float("nan")
    else:
        df = d.kommuntyp_figures()
        money, years = df["amount_sek"].sum(), df["person_years"]
        df["support_share"] = 100 * df["amount_sek"] / money if money else float("nan")
        whole = float("nan") if years.isna().any() else float(years.sum())
        df["years_share"] = 100 * years / whole
    out = pd.DataFrame(
        {
            "Kommuntyp": df["name"],
            "Andel av personåren, %": df["years_share"].astype(float),
            "Andel av stödet, %": df["support_share"].astype(float),
            "Stöd, kr per invånare och år": df["sek_per_capita_year"].astype(float),
            "Stöd totalt, mnkr": df["amount_sek"].astype(float) / 1e6,
        }
    )
    if a.level == "kommun":
        out = out.drop(columns=["Andel av personåren, %", "Andel av stödet, %"])
    return Table(
        out,
        caption=f"Hur stödet fördelas på kommuntyper {a.where} {d.support_years()}",
        source=d.source("stod", "befolkning", year=d.support_years())
        + " "
        + support.SUPPORT_DEFINITION
        + " "
        + d.place_meta["kommuntyp_text"],
        formats={
            "Andel av personåren, %": fmt.percent,
            "Andel av stödet, %": fmt.percent,
            "Stöd, kr per invånare och år": fmt.number,
            "Stöd totalt, mnkr": lambda v: fmt.number(v, 1),
        },
    )


def method_text(d: AreaData) -> Markdown:
    """The method chapter's paragraph on types of place (Swedish), from the build's record."""
    text = method_plain(d)
    if text is None:
        return Markdown(f"*Typer av platser: {MISSING}.*")
    head, _, rest = text.partition(": ")
    return Markdown(html.escape(f"**{head}.** {rest}", quote=False))


def method_plain(d: AreaData) -> str | None:
    """:func:`method_text` as plain text ("Typer av platser: …"), None without place types."""
    pm = d.place_meta
    if pm is None:
        return None
    near, far = (limit_text(b) for b in PLACE_BOUNDS_MIN)
    text = (
        "Typer av platser: Varje befolkad ruta får en ortstyp efter bilrestiden längs "
        f"vägnätet till närmaste tätort med minst {fmt.number(TOWN_MIN_POPULATION)} invånare "
        "(Glesbygdsverkets och Tillväxtverkets indelning): tätort (i en sådan tätort eller "
        f"högst {near} minuter från den), tätortsnära landsbygd (mer än {near} och högst "
        f"{far} minuter) och glesbygd (mer än {far} minuter, eller ingen vägförbindelse, som "
        "öar utan fast förbindelse). Restiden jämförs med gränserna avrundad till 0,01 minut; "
        f"exakt {far} minuter är tätortsnära landsbygd. {pm['basis_text']} "
        "Kommuntyp följer Tillväxtanalys indelning i sex typer och tre huvudtyper. "
        f"{pm['kommuntyp_text']} "
    )
    if pm["kommuntyp_basis"] == "computed":
        text += (
            "Beräkningen: landsbygd är rutor utanför EU:s tätortskluster (minst 300 invånare per "
            f"km² och minst 5 000 invånare tillsammans); storstadskommun har under {METRO_RURAL_PCT} % "
            "av befolkningen på landsbygd och tillsammans med angränsande sådana kommuner minst "
            f"{fmt.number(METRO_POPULATION)} invånare; övriga med minst {RURAL_PCT} % på landsbygd är "
            "landsbygdskommuner, de andra täta kommuner; nära större stad är en kommun där minst "
            f"hälften har högst {limit_text(CITY_NEAR_MIN)} minuter med bil till ett tätortskluster "
            f"med minst {fmt.number(CITY_POPULATION)} invånare, och en landsbygdskommun är mycket "
            f"avlägset belägen när medelrestiden dit är minst {limit_text(CITY_REMOTE_MEAN_MIN)} "
            "minuter. "
        )
    text += (
        "Andelar per typ följer samma definition av ”längre bort” som övriga andelar, och stöd "
        "per invånare och år samma definition som i kapitlet om stöd; stöd redovisas per "
        "kommuntyp men inte per ortstyp, eftersom stödlistan anger kommun och inte plats."
    )
    return text
