"""Sammanfattning: the heading, headline cards against the parent, riket and the kommungrupp,
and the findings in words. For riket, län and kommun alike.
"""

from __future__ import annotations

import html

from IPython.display import HTML, Markdown

from lansanalys import fmt, geo
from lansanalys.analysis import demography, projection
from lansanalys.analysis.access import HEADLINE_KM
from lansanalys.report.blocks import DEMO_NOTE, MISSING, Card, cards_html, change_card
from lansanalys.report.data import AreaData
from lansanalys.report.text import distance_phrase, limit_text, unreachable_phrase

SUBTITLE = "Befolkning, tillgång till service och stöd"


def title(d: AreaData) -> Markdown:
    """The report heading: the area, what the report covers, the data year, the demo warning."""
    a = d.area
    warn = (
        f"\n\n> **{DEMO_NOTE}.** Rapporten bygger helt eller delvis på exempeldata som kitet "
        "genererat; se *Om data och metod* för vilka delar som är verkliga."
        if d.demo
        else ""
    )
    if a.level == "riket":
        return Markdown(
            "# Länsanalys – riksöversikt\n\nAlla 21 län sida vid sida, med länk till varje "
            f"läns och kommuns rapport · data t.o.m. {d.year}{warn}"
        )
    if a.level == "lan":
        head = f"# {html.escape(a.name)} – nutid och framtid"
        sub = f"{SUBTITLE} · data t.o.m. {d.year}"
    else:
        lan = a.parent
        link = f"[{html.escape(lan.name)}]({geo.lan_slug(lan.code)}.html)"
        group = f" · kommungrupp {html.escape(d.group)}" if d.group else ""
        head = f"# {html.escape(a.name)} – kommunprofil"
        sub = f"Kommun i {link}{group} · {SUBTITLE.lower()} · data t.o.m. {d.year}"
    return Markdown(f"{head}\n\n{sub}{warn}")


def _compare(d: AreaData, col: str, f, access: bool = False) -> str:
    """ "Länet 44,1 · riket 42,0 · gruppen 45,3": the area's lineage and group on one line.
    ``access``: riket is named for the län it stands for when service data are partial."""
    parts = []
    for anc in d.area.lineage[1:]:
        word = (d.name_of(anc) if access else "Riket") if anc.level == "riket" else "Länet"
        parts.append(f"{word} {f(d.ind(anc)[col])}")
    grp = d.group_indicators()
    if grp is not None:
        parts.append(f"gruppen {f(grp[col])}")
    return " · ".join(parts[:1] + [p[0].lower() + p[1:] for p in parts[1:]])


def _ranks(d: AreaData, col: str) -> str:
    """The area's place among its siblings and, for a kommun, in its kommungrupp."""
    parts = [d.rank(col)]
    if d.group:
        parts.append(d.rank(col, among="group"))
    return " · ".join(p for p in parts if p)


def key_figures(d: AreaData) -> HTML:
    """Headline cards: the area's value, its parent's, riket's and the group's, and its ranks."""
    me, span = d.ind(), d.span
    pct, chg = fmt.percent, (lambda v: fmt.signed(v, 1, " %"))
    grocery = d.covered("dagligvaror")
    cards = [
        Card(
            f"Folkmängd {d.year}",
            fmt.number(me["population"]),
            _compare(d, "population", fmt.number),
            _ranks(d, "population"),
        ),
        *_change_cards(d, chg),
        Card(
            "Medelålder",
            fmt.number(me["mean_age"], 1) + " år",
            _compare(d, "mean_age", lambda v: fmt.number(v, 1)),
            _ranks(d, "mean_age"),
        ),
        Card(
            "Andel 65 år och äldre",
            pct(me["share_65"]),
            _compare(d, "share_65", pct),
            _ranks(d, "share_65"),
        ),
        Card(
            "Andel 80 år och äldre",
            pct(me["share_80"]),
            _compare(d, "share_80", pct),
            _ranks(d, "share_80"),
        ),
        Card(
            "Försörjningskvot",
            fmt.number(me["dependency"], 0),
            _compare(d, "dependency", lambda v: fmt.number(v, 0)),
            "per 100 i åldern 20–64 · " + _ranks(d, "dependency"),
        ),
        Card(
            f"Bor > {limit_text(HEADLINE_KM)} km från dagligvarubutik",
            pct(me["grocery_over_10"]) if grocery else MISSING,
            _compare(d, "grocery_over_10", pct, access=True) if grocery else "",
            (_ranks(d, "grocery_over_10") + " · " + unreachable_phrase(me, short=True))
            if grocery
            else "",
        ),
    ]
    if span == 0:
        del cards[2:3]  # one "uppgift saknas" card is enough when there is one year only
    src = d.source("befolkning", "rutor", "service")
    return cards_html(cards, " ".join(filter(None, [src, d.missing("dagligvaror")])))


def _change_cards(d: AreaData, chg) -> list[Card]:
    """Change over one year and over the span; one "uppgift saknas" card with a single year,
    so no change figure is ever made up."""
    me, span = d.ind(), d.span
    if not span:
        return [change_card("", float("nan"), "", demography.series_needed(d.years), 0)] * 2
    has_1 = d.year - 1 in d.years
    return [
        change_card(
            f"{d.year - 1}–{d.year}",
            me["change_1"],
            _compare(d, "change_1", chg),
            _ranks(d, "change_1")
            if has_1
            else f"kräver folkmängd för {d.year - 1}; data innehåller "
            + projection.years_phrase(d.years),
            int(has_1),
        ),
        change_card(
            f"{d.year - span}–{d.year}",
            me["change_n"],
            _compare(d, "change_n", chg),
            _ranks(d, "change_n"),
            span,
        ),
    ]


def findings(d: AreaData) -> Markdown:
    """A few findings written from the data: size and change against the parent, which
    children grew, age against the parent, access to grocery stores."""
    a, me, span = d.area, d.ind(), d.span
    name = html.escape(a.name)
    up = a.parent or a
    ref = d.ind(up) if a.parent else None
    ref_name = "riket" if up.level == "riket" else html.escape(up.name)
    lines = []
    if span:
        line = (
            f"- {name} har {fmt.number(me['population'])} invånare ({d.year}), "
            f"{fmt.signed(me['change_n'], 1, ' %')} sedan {d.year - span}"
        )
        if ref is not None:
            line += f" mot {fmt.signed(ref['change_n'], 1, ' %')} i {ref_name}"
        lines.append(line + ".")
        kids = d.children_change
        if a.children and kids["change_pct"].notna().any():
            grew = int((kids["change"] > 0).sum())
            best = kids.sort_values("change_pct").iloc[-1]
            worst = kids.sort_values("change_pct").iloc[0]
            lines.append(
                f"- Befolkningen ökade i {grew} av {len(kids)} {'kommuner' if a.level == 'lan' else 'län'}. "
                f"Mest ökade {html.escape(best['name'])} ({fmt.signed(best['change_pct'], 1, ' %')}), "
                f"minst {html.escape(worst['name'])} ({fmt.signed(worst['change_pct'], 1, ' %')})."
            )
        elif a.level == "kommun":
            lines.append(f"- Folkökningen är {d.rank('change_n')}.")
    else:
        lines.append(
            f"- {name} har {fmt.number(me['population'])} invånare ({d.year}). "
            + demography.series_needed(d.years)
        )
    if ref is not None:
        older = "äldre" if me["mean_age"] > ref["mean_age"] else "yngre"
        lines.append(
            f"- Befolkningen {a.where} är {older} än i {ref_name}: medelåldern är "
            f"{fmt.number(me['mean_age'], 1)} år mot {fmt.number(ref['mean_age'], 1)} år, och "
            f"{fmt.percent(me['share_80'])} är 80 år eller äldre ({fmt.percent(ref['share_80'])})."
        )
    else:
        lines.append(
            f"- Medelåldern i riket är {fmt.number(me['mean_age'], 1)} år; "
            f"{fmt.percent(me['share_80'])} är 80 år eller äldre."
        )
    if d.covered("dagligvaror"):
        line = (
            f"- {fmt.percent(me['grocery_over_10'])} av invånarna {a.where} bor mer än "
            f"{limit_text(HEADLINE_KM)} km {distance_phrase(d.meta)} från närmaste "
            "dagligvarubutik"
        )
        if ref is not None:
            line += f" ({html.escape(d.name_of(up).lower() if up.level == 'riket' else up.name)} {fmt.percent(ref['grocery_over_10'])})"
        lines.append(line + f"; {unreachable_phrase(me)}.")
    else:
        lines.append(f"- {html.escape(d.missing('dagligvaror'))}")
    return Markdown("\n".join(lines))
