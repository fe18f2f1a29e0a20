"""Programuppföljning: a group of kommuner (a programme's) against the rest of riket and against
kommuner of the same kommuntyp, before and during the programme period: population, service
points opened and closed and the share beyond 10 km, support received, and the member kommuner
linked to their reports. Functions of :class:`~lansanalys.report.group_data.GroupData`.
"""

from __future__ import annotations

import html

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from IPython.display import HTML, Markdown

from lansanalys import fmt, geo
from lansanalys.config import linkable_reports
from lansanalys.report import figures
from lansanalys.report.blocks import DEMO_NOTE, MISSING, Card, Table, cards_html, with_table
from lansanalys.report.group_data import BEYOND_KM, PER_INHABITANTS, GroupData
from lansanalys.report.text import source_note
from lansanalys.services import SERVICE_TYPES

#: What the report says when the build has one year of service points.
ONE_SERVICE_YEAR = (
    "Uppgift saknas: bara ett års servicepunkter{year}. Öppnade och stängda punkter och "
    "förändringen i andelen som bor långt från service kräver servicepunkter för flera år "
    "(en fil per år)."
)

#: The group report's definitions (Om data och metod, docs/definitions.md).
GROUP_DEFINITION = (
    "Grupp: kommunerna i en programgrupp enligt gruppfilen, med programmets period. Gruppens "
    "tal är summan över dess kommuner; övriga riket är alla andra kommuner."
)
COMPARABLE_DEFINITION = (
    "Jämförbara kommuner: för varje kommuntyp (Tillväxtanalys sex typer) bland gruppens "
    "kommuner tas kommunerna av samma typ utanför gruppen; deras tal per typ vägs med gruppens "
    "befolkning i typen det senaste året, så att jämförelsen har gruppens blandning av typer. "
    "Saknas en typ utanför gruppen ges ingen jämförelse."
)
PERIOD_DEFINITION = (
    "Före och under perioden: före är åren fram till året innan perioden börjar (högst tio år), "
    "under är året innan perioden (finns det inte: periodens första år) till det senaste året "
    "i perioden som finns i data. "
    "Befolkningsförändringen anges i procent och som genomsnittlig årlig förändring, så att "
    "sträckor av olika längd kan jämföras. Stödet per invånare och år räknas för "
    "stödlistans år före respektive under perioden."
)
SERVICE_DEFINITION = (
    "Öppnade och stängda servicepunkter: punkter som finns ett år i serien och inte året "
    "före, respektive fanns året före och inte finns; summerade över serieåren före och under "
    "perioden, och per 10 000 invånare för att jämföra grupper av olika storlek. Andelen som "
    f"bor mer än {BEYOND_KM} km längs vägnätet från närmaste punkt räknas varje år på samma "
    "befolkning och vägnät, så att skillnaden mellan åren är förändringen i service; en kommun "
    "utan fullständiga uppgifter ger gruppen ingen siffra."
)


def _pct(v: float) -> str:
    return fmt.signed(v, 1, " %")


def _rest(g: GroupData, text: str) -> str:
    """A comparison with the rest of riket, or nothing for a group of every kommun."""
    return text if g.rest else ""


def title(g: GroupData) -> Markdown:
    """The heading: the group, its period, its size and the demo warning."""
    n_lan = len({k[:2] for k in g.members})
    warn = (
        f"\n\n> **{DEMO_NOTE}.** Gruppens kommuner är verkliga, men talen om dem bygger helt "
        "eller delvis på exempeldata; se *Om data och metod*."
        if g.riket.demo
        else ""
    )
    return Markdown(
        f"# {html.escape(g.group.label)} – programuppföljning\n\n"
        f"{len(g.members)} kommuner i {n_lan} län jämförda med övriga riket och med kommuner av "
        f"samma kommuntyp, före och under perioden · data t.o.m. {g.year}{warn}"
    )


def key_figures(g: GroupData) -> HTML:
    """Cards: the group's people, its change before and during, its support during."""
    pop = g.population(g.members, g.year)
    share = 100 * pop / g.population(geo.kommun_codes(), g.year)
    before, during = g.change(g.members, g.before), g.change(g.members, g.during)
    rest_b, rest_d = g.change(g.rest, g.before), g.change(g.rest, g.during)
    cards = [
        Card(f"Folkmängd {g.year}", fmt.number(pop), f"{fmt.percent(share)} av riket"),
        Card(
            f"Förändring per år {g.before.text() or 'före perioden'}",
            _pct(before[1]) if g.before.ok else MISSING,
            _rest(g, f"Övriga riket {_pct(rest_b[1])}") if g.before.ok else "",
        ),
        Card(
            f"Förändring per år {g.during.text() or 'under perioden'}",
            _pct(during[1]) if g.during.ok else MISSING,
            _rest(g, f"Övriga riket {_pct(rest_d[1])}") if g.during.ok else "",
        ),
    ]
    w = g.support_windows["under"]
    if g.has_support and w.first is not None:
        rate = g.support_rate(g.members, None, "under")
        rest = g.support_rate(g.rest, None, "under")
        cards.append(
            Card(
                f"Stöd per invånare och år {w.first}–{w.last}",
                f"{fmt.number(rate)} kr" if rate == rate else MISSING,
                _rest(g, f"Övriga riket {fmt.number(rest)} kr"),
            )
        )
    kinds = ["befolkning", "grupper"] + (["stod"] if g.has_support else [])
    return cards_html(cards, source_note(g.meta, kinds, g.year))


def findings(g: GroupData) -> Markdown:
    """The findings in words, from the data (each sentence only where its figures exist)."""
    out = []
    b, d = g.change(g.members, g.before), g.change(g.members, g.during)
    rb, rd = g.change(g.rest, g.before), g.change(g.rest, g.during)
    cmp_d = g.comparable(lambda c: g.change(c, g.during)[1])
    if g.before.ok and g.during.ok and not np.isnan(b[1] + d[1]):
        trend = "starkare" if d[1] > b[1] else "svagare"
        out.append(
            f"Gruppens befolkning förändrades med {_pct(d[1])} per år under perioden "
            f"({g.during.text()}) mot {_pct(b[1])} per år före ({g.before.text()}), en "
            f"{trend} utveckling än före."
            + _rest(g, f" Övriga riket: {_pct(rd[1])} per år under och {_pct(rb[1])} före.")
            + (
                f" Kommuner av samma typ: {_pct(cmp_d)} per år under perioden."
                if cmp_d == cmp_d
                else ""
            )
        )
    if g.has_support and g.support_windows["under"].first is not None:
        rate_d = g.support_rate(g.members, None, "under")
        rate_b = g.support_rate(g.members, None, "före")
        rest_d = g.support_rate(g.rest, None, "under")
        cmp_s = g.comparable(lambda c: g.support_rate(c, None, "under"))
        if rate_d == rate_d and rest_d == rest_d:
            ratio = rate_d / rest_d if rest_d else float("nan")
            sent = (
                f"Under perioden fick gruppen {fmt.number(rate_d)} kr stöd per invånare och år"
                + (f", {fmt.number(ratio, 1)} gånger övriga rikets" if ratio == ratio else "")
                + f" ({fmt.number(rest_d)} kr)"
            )
            if cmp_s == cmp_s:
                sent += f" och mot {fmt.number(cmp_s)} kr i kommuner av samma typ"
            if rate_b == rate_b:
                sent += f"; före perioden {fmt.number(rate_b)} kr"
            out.append(sent + ".")
    out += _service_findings(g)
    if not out:
        return Markdown(f"*{MISSING}*")
    return Markdown("\n".join(f"- {html.escape(s, quote=False)}" for s in out))


def _service_findings(g: GroupData) -> list[str]:
    """Grocery stores opened and closed during the period and the share beyond 10 km."""
    if g.access_years is None:
        return [_one_year(g)]
    out: list[str] = []
    w_b, w_d = g.service_windows["före"], g.service_windows["under"]
    st = "dagligvaror"
    if w_d.ok and st in g.service_types():
        o = g.moves(g.members, st, w_d, "opened")
        c = g.moves(g.members, st, w_d, "closed")
        s0, s1 = (
            g.share_beyond(g.members, st, w_d.first),
            g.share_beyond(g.members, st, w_d.last),
        )
        r0, r1 = g.share_beyond(g.rest, st, w_d.first), g.share_beyond(g.rest, st, w_d.last)
        if o == o and c == c:
            sent = (
                f"Mellan {w_d.first} och {w_d.last} öppnade {fmt.number(o)} och stängde "
                f"{fmt.number(c)} dagligvarubutiker i gruppens kommuner"
            )
            if s0 == s0 and s1 == s1:
                sent += (
                    f"; andelen som bor mer än {BEYOND_KM} km från närmaste butik gick från "
                    f"{fmt.percent(s0)} till {fmt.percent(s1)}"
                )
                if r0 == r0 and r1 == r1:
                    sent += f" (övriga riket {fmt.percent(r0)} till {fmt.percent(r1)})"
            out.append(sent + ".")
    if not w_b.ok:
        out.append(
            "Förändringen i service före perioden: uppgift saknas (inget serviceår före "
            f"{g.group.start})."
        )
    return out


def _one_year(g: GroupData) -> str:
    year = g.meta.get("kinds", {}).get("service", {}).get("year")
    return ONE_SERVICE_YEAR.format(year=f" ({year})" if year else "")


def population_table(g: GroupData) -> Table:
    """People before and during the period: the group, the rest of riket, comparable, riket."""
    b, d = g.before, g.during
    lb, ld = b.text() or "före perioden", d.text() or "under perioden"
    comparable_n = (
        sum(len(g.peers_of_type(t)) for t in g.type_weights.index)
        if g.type_weights is not None
        else np.nan
    )
    rows = []
    for name, codes in g.sets():
        rows.append(
            {
                "Område": name,
                "Kommuner": comparable_n if codes is None else len(codes),
                f"Folkmängd {b.last or 'före perioden'}": (
                    np.nan if codes is None or b.last is None else g.population(codes, b.last)
                ),
                f"Folkmängd {g.year}": np.nan if codes is None else g.population(codes, g.year),
                f"Förändring per år {lb}": g.value(codes, lambda c: g.change(c, b)[1]),
                f"Förändring per år {ld}": g.value(codes, lambda c: g.change(c, d)[1]),
                f"Förändring {ld}": g.value(codes, lambda c: g.change(c, d)[0]),
            }
        )
    df = pd.DataFrame(rows)
    formats = {c: fmt.number for c in df.columns if c.startswith("Folkmängd")} | {
        c: _pct for c in df.columns if c.startswith("Förändring")
    }
    formats["Kommuner"] = fmt.number
    notes = []
    if g.rest:
        notes.append(
            "Jämförbara kommuner är ett vägt genomsnitt av kommuntyperna (se Jämförbara "
            "kommuner): förändringen anges, inte folkmängden."
        )
    if not b.ok:
        notes.append(
            f"Förändringen före perioden: {MISSING} (inget befolkningsår före {g.group.start})."
        )
    return Table(
        df,
        caption="Befolkning före och under perioden: gruppen, övriga riket och kommuner av "
        "samma kommuntyp",
        source=source_note(g.meta, ["befolkning", "grupper"], g.year),
        formats=formats,
        note=" ".join(notes),
    )


def fig_population(g: GroupData) -> go.Figure | Markdown:
    """People over the years as an index (first year = 100): the group, the rest of riket and
    the comparable kommuner (the types' indexes weighted), the period shaded."""
    years = g.years
    if len(years) < 2:
        return Markdown(f"*Befolkningens utveckling: {MISSING} (ett år i data).*")
    y0, y1 = years[0], years[-1]

    def index(codes) -> list[float]:
        base = g.population(codes, y0)
        return [100 * g.population(codes, y) / base for y in years]

    frames = []
    for name, codes in g.sets()[:-1]:
        values = (
            [g.comparable(lambda c, y=y: index(c)[years.index(y)]) for y in years]
            if codes is None
            else index(codes)
        )
        people = [np.nan] * len(years) if codes is None else [g.population(codes, y) for y in years]
        frames.append(
            pd.DataFrame({"year": years, "index": values, "population": people, "area": name})
        )
    data = pd.concat(frames, ignore_index=True)
    mine = data[data["area"] == "Gruppen"]["index"].iloc[-1]
    title = f"Gruppens folkmängd {y0}–{y1}: {_pct(mine - 100)}"
    if g.rest:
        rest = data[data["area"] == "Övriga riket"]["index"].iloc[-1]
        title += f" (övriga riket {_pct(rest - 100)})"
    fig = figures.index_lines(
        data,
        title,
        source_note(g.meta, ["befolkning", "grupper"], f"{y0}–{y1}"),
        f"Index, {y0} = 100",
    )
    end = min(g.group.end, y1)
    if g.group.start <= y1:
        fig.add_vrect(
            x0=g.group.start - 0.5,
            x1=end + 0.5,
            fillcolor="#999",
            opacity=0.12,
            line_width=0,
            annotation_text=f"Programperioden {g.group.start}–{g.group.end}",
            annotation_position="top left",
        )
    return with_table(fig, data)


def support_table(g: GroupData) -> Table | Markdown:
    """Support per inhabitant-year before and during the period, per programme and in all."""
    if not g.has_support:
        return Markdown(f"*Stöd: {MISSING} (ingen stödlista i underlaget).*")
    wins = g.support_windows
    cols = {
        (name, when): f"{name}, {when} ({wins[when].first}–{wins[when].last})"
        if wins[when].first is not None
        else f"{name}, {when} ({MISSING})"
        for name in (("Gruppen", "Övriga riket", "Jämförbara") if g.rest else ("Gruppen",))
        for when in ("före", "under")
    }
    sets = {"Gruppen": g.members, "Övriga riket": g.rest, "Jämförbara": None}
    if not g.rest:
        sets = {"Gruppen": g.members}
    rows = []
    for prog in [None, *g.programmes]:
        row = {"Program": "Alla program" if prog is None else prog}
        for (name, when), col in cols.items():
            row[col] = g.value(sets[name], lambda c, p=prog, w=when: g.support_rate(c, p, w))
        rows.append(row)
    df = pd.DataFrame(rows)
    notes = [
        f"Stöd {when}: {MISSING} (stödlistan täcker inga år {when} perioden)."
        for when, w in wins.items()
        if w.first is None
    ]
    return Table(
        df,
        caption="Stöd per invånare och år före och under perioden, kronor",
        source=source_note(g.meta, ["stod", "befolkning", "grupper"]),
        formats={c: fmt.number for c in df.columns if c != "Program"},
        note=" ".join(notes),
    )


def service_table(g: GroupData) -> Table | Markdown:
    """Service points opened and closed and the share beyond 10 km, per type, before and
    during the period; "uppgift saknas" with one service year."""
    if g.access_years is None:
        return Markdown(f"*{html.escape(_one_year(g))}*")
    wb, wd = g.service_windows["före"], g.service_windows["under"]
    rows = []
    for st in g.service_types():
        for name, codes in g.sets()[:-1]:
            row = {"Service": SERVICE_TYPES[st], "Område": name}
            for label, w in (("före", wb), ("under", wd)):
                span = w.text() or MISSING
                for col, word in (("opened", "Öppnade"), ("closed", "Stängda")):
                    row[f"{word} {label} ({span}), per {fmt.number(PER_INHABITANTS)} inv."] = (
                        g.value(
                            codes, lambda c, w=w, col=col, st=st: g.moves_per_people(c, st, w, col)
                        )
                    )
                    if codes is not None:
                        row[f"{word} {label} ({span}), antal"] = g.moves(codes, st, w, col)
            for y in dict.fromkeys(y for y in (wb.first, wb.last, wd.last) if y is not None):
                row[f"Andel > {BEYOND_KM} km {y}"] = g.value(
                    codes, lambda c, y=y, st=st: g.share_beyond(c, st, y)
                )
            rows.append(row)
    df = pd.DataFrame(rows)
    formats = {}
    for c in df.columns:
        if c.startswith("Andel"):
            formats[c] = fmt.percent
        elif "per " in c:
            formats[c] = lambda v: fmt.number(v, 1)
        elif c.endswith("antal"):
            formats[c] = fmt.number
    return Table(
        df,
        caption=f"Servicepunkter som öppnat och stängt, och andelen som bor mer än {BEYOND_KM} km "
        "från närmaste punkt, före och under perioden",
        source=source_note(g.meta, ["service", "rutor", "vagnat", "grupper"]),
        formats=formats,
        note="Antal för jämförbara kommuner anges inte: de är ett vägt genomsnitt; se per "
        f"{fmt.number(PER_INHABITANTS)} invånare.",
    )


def types_table(g: GroupData) -> Table | Markdown:
    """The group's kommuner per kommuntyp, the other kommuner of each type and the weights."""
    if not g.member_types:
        return Markdown(f"*Kommuntyp: {MISSING} (ingen kommuntyp i underlaget).*")
    w = g.type_weights
    rows = [
        {
            "Kommuntyp": t,
            "Kommuner i gruppen": len(codes),
            "Kommuner av typen utanför gruppen": len(g.peers_of_type(t)),
            "Vikt (gruppens befolkning)": 100 * w[t] if w is not None else np.nan,
        }
        for t, codes in sorted(g.member_types.items(), key=lambda kv: -len(kv[1]))
    ]
    df = pd.DataFrame(rows)
    return Table(
        df,
        caption="Gruppens kommuner per kommuntyp och jämförelsekommunerna",
        source=source_note(g.meta, ["befolkning", "grupper"], g.year)
        + " "
        + str((g.meta.get("place_types") or {}).get("kommuntyp_text", "")),
        formats={
            "Kommuner i gruppen": fmt.number,
            "Kommuner av typen utanför gruppen": fmt.number,
            "Vikt (gruppens befolkning)": fmt.percent,
        },
    )


def members_table(g: GroupData) -> Table:
    """Each member kommun with its län, type, people, change and support, linked to its own
    report (and its län's) where the set has them."""
    linkable = linkable_reports()
    d = g.during
    rows, kommun_links, lan_links = [], [], []
    for k in sorted(g.members, key=geo.kommun_name):
        lan = k[:2]
        rows.append(
            {
                "Kommun": geo.kommun_name(k),
                "Län": geo.lan_name(lan),
                "Kommuntyp": g.types.get(k, np.nan),
                f"Folkmängd {g.year}": g.population([k], g.year),
                f"Förändring per år {d.text()}": g.change([k], d)[1],
                "Stöd under perioden, kr per inv. och år": g.support_rate([k], None, "under")
                if g.has_support
                else np.nan,
            }
        )
        own, county = f"{geo.kommun_slug(k)}.html", f"{geo.lan_slug(lan)}.html"
        kommun_links.append(own if own in linkable else None)
        lan_links.append(county if county in linkable else None)
    df = pd.DataFrame(rows)
    return Table(
        df,
        caption=f"Gruppens {len(g.members)} kommuner",
        source=source_note(g.meta, ["befolkning", "grupper"] + (["stod"] if g.has_support else [])),
        formats={
            f"Folkmängd {g.year}": fmt.number,
            f"Förändring per år {d.text()}": _pct,
            "Stöd under perioden, kr per inv. och år": fmt.number,
        },
        links={"Kommun": kommun_links, "Län": lan_links},
    )


def method_text(g: GroupData) -> HTML:
    """What the group report's figures are, in Swedish (the definitions above)."""
    grp = g.meta.get("kinds", {}).get("grupper", {})
    items = [
        GROUP_DEFINITION + f" Gruppfilens källa: {grp.get('source') or MISSING}.",
        COMPARABLE_DEFINITION,
        PERIOD_DEFINITION,
        SERVICE_DEFINITION,
    ]
    lis = "".join(f"<li>{html.escape(i)}</li>" for i in items)
    return HTML(f'<ul class="la-method">{lis}</ul>')
