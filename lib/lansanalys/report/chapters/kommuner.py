"""Kommunerna (länen in the riksöversikt): one compact profile row per child area, linking to
its own report where one is rendered."""

from __future__ import annotations

import pandas as pd
from IPython.display import Markdown

from lansanalys import fmt
from lansanalys.analysis.access import HEADLINE_KM
from lansanalys.config import linkable_reports
from lansanalys.report.blocks import Table, change_header
from lansanalys.report.data import AreaData
from lansanalys.report.text import beyond_note, limit_text


def profiles(d: AreaData) -> Table | Markdown:
    """A profile row per child (the län's kommuner, the 21 län), then the area and riket."""
    kids = list(d.area.children)
    if not kids:
        return Markdown("")
    rows_areas = [*kids, *d.area.lineage]
    ind = pd.DataFrame([d.ind(a) for a in rows_areas]).reset_index(drop=True)
    sek = (
        d.support_per(rows_areas).set_index("code")["sek_per_capita_year"]
        if d.has_support
        else None
    )
    span = d.span
    grocery = [d.covered("dagligvaror", a) for a in rows_areas]
    table = pd.DataFrame(
        {
            "Område": [d.name_of(a) if a.level == "riket" else a.name for a in rows_areas],
            "Kod": [a.code for a in rows_areas],
            "Folkmängd": ind["population"].to_numpy(),
            change_header(span) + ", %": ind["change_n"].to_numpy(),
            "Medelålder, år": ind["mean_age"].to_numpy(),
            "Andel 65+, %": ind["share_65"].to_numpy(),
            f"> {limit_text(HEADLINE_KM)} km till dagligvaror, %": [
                v if ok else float("nan")
                for v, ok in zip(ind["grocery_over_10"], grocery, strict=True)
            ],
        }
    )
    unreach = ind["grocery_unreachable"].fillna(0)
    if unreach.gt(0).any():
        table["Ej nåbar via väg (dagligvaror), invånare"] = ind["grocery_unreachable"].to_numpy()
    if sek is not None:
        table["Stöd, kr per invånare och år"] = [sek.get(a.code) for a in rows_areas]
    one = lambda v: fmt.number(v, 1)  # noqa: E731
    formats = {
        "Folkmängd": fmt.number,
        change_header(span) + ", %": lambda v: fmt.signed(v, 1),
        "Medelålder, år": one,
        "Andel 65+, %": one,
        f"> {limit_text(HEADLINE_KM)} km till dagligvaror, %": one,
        "Ej nåbar via väg (dagligvaror), invånare": fmt.number,
        "Stöd, kr per invånare och år": fmt.number,
    }
    linkable = linkable_reports()
    hrefs = [
        f"{a.slug}.html" if f"{a.slug}.html" in linkable and a.level != "riket" else None
        for a in rows_areas
    ]
    noun = "Kommunnamnet" if d.area.level == "lan" else "Länsnamnet"
    note = (
        f"{noun} länkar till områdets egen rapport."
        if any(hrefs[: len(kids)])
        else "Kommunrapporter skapas med lansanalys render --kommuner."
    )
    src = d.source("befolkning", "rutor", "service", "stod") + " " + beyond_note(d.meta)
    kind = "Kommunerna" if d.area.level == "lan" else "Länen"
    return Table(
        table,
        caption=f"{kind} {d.area.where}, med {'länet och ' if d.area.level == 'lan' else ''}riket som jämförelse",
        source=note + " " + src,
        formats={k: v for k, v in formats.items() if k in table},
        links={"Område": hrefs},
    )
