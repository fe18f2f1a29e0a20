"""Swedish phrases the chapters share: source lines, coverage and missing-data sentences, the
road/straight-line wording, and the notes that say how a figure was computed.
"""

from __future__ import annotations

import html
import re
import subprocess
from typing import Any

import pandas as pd
from IPython.display import Markdown

from lansanalys import fmt, geo
from lansanalys.analysis.access import CLOSURE_KM, SECOND_KM
from lansanalys.catalogue import covered_lan, in_files
from lansanalys.config import (
    PROJ_ROOT,
)
from lansanalys.report.blocks import DEMO_NOTE, MISSING
from lansanalys.services import SERVICE_TYPES


def git_revision() -> str:
    """Short git revision of the kit, or 'okänd' outside a checkout."""
    try:
        out = subprocess.run(
            ["git", "-C", str(PROJ_ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        )
        return out.stdout.strip() or "okänd"
    except (OSError, subprocess.SubprocessError):
        return "okänd"


#: A source that is SCB's (Statistiska centralbyrån): its figures here are the kit's processing.
_SCB = re.compile(r"\bSCB\b|Statistiska centralbyrån")


def source_note(meta: dict[str, Any], kinds: list[str], year: int | str | None = None) -> str:
    """Source line for a figure: each kind's source and year, and a demo warning if any is demo.

    Figures built on SCB data say "Bearbetning av SCB-data" (SCB's rule: "Källa: SCB" only for
    SCB's own figures unchanged, and every figure here is computed by the kit); other sources
    say "Källa:".
    """
    scb, other, demo = [], [], False
    for kind in kinds:
        k = meta["kinds"][kind]
        demo = demo or k["demo"]
        src = "Exempeldata (lansanalys)" if k["demo"] else k["source"]
        (scb if not k["demo"] and _SCB.search(src) else other).append(src)
    scb, other = list(dict.fromkeys(scb)), list(dict.fromkeys(other))
    pieces = []
    if scb:
        pieces.append("Bearbetning av SCB-data (" + "; ".join(scb) + ")")
    if other:
        pieces.append(("källa: " if scb else "Källa: ") + "; ".join(other))
    y = year if year is not None else meta["kinds"][kinds[0]].get("year")
    text = "; ".join(pieces) + (f", {y}" if y else "") + "."
    if demo:
        text += f" {DEMO_NOTE}."
    return text


def missing_note(sentence: str) -> Markdown:
    """What a chapter shows instead of a figure the data cannot carry (one Swedish sentence)."""
    return Markdown(f"*{html.escape(sentence, quote=False)}*")


def by_road(meta: dict[str, Any]) -> bool:
    """Whether the build measured access along a road network (else straight-line)."""
    return meta.get("access", {}).get("metric") == "road"


def distance_phrase(meta: dict[str, Any]) -> str:
    """How distances were measured, for titles and notes: "längs vägnätet" or "fågelvägen"."""
    return "längs vägnätet" if by_road(meta) else "fågelvägen"


def coverage_complete(meta: dict[str, Any]) -> bool:
    """Whether every service type in the files has data in every län (types absent from the
    files altogether are said apart, where their figures would be)."""
    total = len(geo.lan_codes())
    return all(len(covered_lan(meta, st)) == total for st in SERVICE_TYPES if in_files(meta, st))


def riket_label(meta: dict[str, Any], service_type: str) -> str:
    """ "Riket", or which län riket stands for when only some have data of the type."""
    n = len(covered_lan(meta, service_type))
    total = len(geo.lan_codes())
    return "Riket" if n == total else f"Riket: de län som har uppgifter, {n} av {total}"


def missing_sentence(meta: dict[str, Any], types: list[str], where: str) -> str:
    """Swedish sentence naming the service types without data in ``where``, and why."""
    if not types:
        return ""
    absent = [t for t in types if not in_files(meta, t)]
    partial = [t for t in types if t not in absent]

    def names(ts: list[str]) -> str:
        labels = [SERVICE_TYPES[t].lower() for t in ts]
        return labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " och " + labels[-1]

    parts = []
    if absent:
        parts.append(
            f"Uppgift saknas för {names(absent)}: serviceslaget finns inte i servicefilerna, "
            "så inget avstånd kan beräknas."
        )
    if partial:
        parts.append(
            f"Uppgift saknas för {names(partial)} i {where}: servicefilerna täcker inte området "
            "(se täckningen under Om data och metod), och ett avstånd till punkter som saknas "
            "vore fel."
        )
    return " ".join(parts)


#: Said for a län whose service file stops at the län border (no points around it).
EXTRACT_NOTE = (
    "Servicefilen för länet slutar vid länsgränsen: punkter i grannlänen saknas, så för rutor "
    "nära gränsen kan avståndet bli för långt (lansanalys fetch service hämtar 50 km runt länet)."
)


def coverage_sentence(meta: dict[str, Any]) -> str:
    """Which län have service data of which type, for *Om data och metod*."""
    total = len(geo.lan_codes())
    parts = []
    for st, label in SERVICE_TYPES.items():
        codes = covered_lan(meta, st)
        if len(codes) == total:
            parts.append(f"{label.lower()}: alla {total} län")
        elif not in_files(meta, st):
            parts.append(f"{label.lower()}: inga (finns inte i servicefilerna)")
        elif not codes:
            parts.append(f"{label.lower()}: inga")
        else:
            names = ", ".join(geo.lan_name(c) for c in codes)
            parts.append(f"{label.lower()}: {len(codes)} av {total} län ({names})")
    return (
        "Servicefilerna täcker inte hela landet, så närmaste punkt söks bara bland de punkter som "
        "finns, och bara områden med uppgifter får avståndsmått; jämförelser med riket avser de "
        "län som har uppgifter. Län med uppgifter per serviceslag: " + "; ".join(parts) + ". Ett "
        "län räknas som täckt för ett serviceslag när SOURCES.yml anger det för filen "
        "(lansanalys fetch service skriver det), annars när filen har punkter av slaget i alla "
        "länets kommuner och i alla kommuner inom 20 km från länet, eller bara har hela län "
        "(punkter i alla deras kommuner), och punkterna dessutom täcker länets befolkade delar "
        "(varje ruta om 20 × 20 km med minst 2 000 invånare har en punkt av slaget inom 40 km). "
        "Varje "
        "serviceslag bedöms för sig."
        + (
            " För "
            + ", ".join(geo.lan_name(c) for c in meta["coverage"]["extract"])
            + " slutar servicefilen vid länsgränsen, så avstånden för rutor nära gränsen kan "
            "bli för långa."
            if meta.get("coverage", {}).get("extract")
            else ""
        )
    )


def kommun_names(codes: list[str], most: int = 5) -> str:
    """The names of some kommuner for a sentence: the first ``most``, then "m.fl."."""
    names = ", ".join(geo.kommun_name(k) for k in codes[:most])
    return names + (" m.fl." if len(codes) > most else "")


def distance_note(meta: dict[str, Any]) -> str:
    """The method sentence under every access figure and table."""
    if by_road(meta):
        a = meta["access"]
        return (
            "Avstånd längs vägnätet från rutans mittpunkt (via närmaste väg) till närmaste "
            f"servicepunkt {_where_searched(meta)}; restid med bil vid skyltad hastighet till den "
            "punkt som nås snabbast, som kan vara en annan än den närmaste. Rutor längre än "
            f"{fmt.number(a['attach_m'] / 1000, 0)} km från väg eller utan vägförbindelse till "
            "servicen räknas som ej nåbara, aldrig som 0 km."
        )
    return f"Avstånd fågelvägen från rutans mittpunkt; närmaste punkt söks {_where_searched(meta)}."


def _where_searched(meta: dict[str, Any]) -> str:
    """Where the nearest point was searched: the whole country, or the län that have data."""
    if coverage_complete(meta):
        return "i hela landet"
    return (
        "bland servicefilernas punkter, även över läns- och kommungränser; servicefilerna "
        "täcker bara en del av landet, och områden utan uppgifter får inga avståndsmått"
    )


def beyond_note(meta: dict[str, Any]) -> str:
    """The definition of "beyond" in one sentence, under every access figure and table."""
    if not by_road(meta):
        return "Medelavstånd avser alla invånare."
    return (
        "Ej nåbara räknas som längre bort än varje gräns och visas också för sig; medelavstånd "
        "och restider avser dem som når servicen."
    )


def percent_or_missing(value: float, decimals: int = 1) -> str:
    """A share in percent, or "uppgift saknas" where the data hold no figure (e.g. 70+)."""
    return MISSING if pd.isna(value) else fmt.percent(value, decimals)


def unreachable_or_missing(value: float) -> str:
    """A number of people unable to reach a service by road, or "uppgift saknas"."""
    return MISSING if pd.isna(value) else fmt.number(value)


def limit_text(value: float) -> str:
    """A threshold as the user gave it, the Swedish way: 10 → "10", 2.5 → "2,5"."""
    text = f"{float(value):g}"
    return fmt.number(value, len(text.split(".")[1]) if "." in text else 0)


def unreachable_phrase(ind: pd.Series, short: bool = False) -> str:
    """How many cannot reach a grocery store by road, for a row of :func:`area_indicators`.

    ``short`` for a card note ("12 ej nåbara via väg"), else a clause for a finding.
    """
    n = ind["grocery_unreachable"]
    if pd.isna(n):
        return f"ej nåbara via väg: {MISSING}"
    if short:
        return f"{fmt.number(n)} ej nåbara via väg" if n != 0 else "inga ej nåbara via väg"
    if n == 0:
        return "alla kan nå en butik via väg"
    return f"{fmt.number(n)} invånare kan inte nå någon butik via väg och räknas in"


def closure_note(meta: dict[str, Any]) -> str:
    """How vulnerability is measured, for *Om data och metod*: one definition everywhere."""
    lims = " och ".join(f"{limit_text(t)} km" for t in SECOND_KM)
    return (
        f"Sårbarhet: för varje befolkad ruta söks både närmaste och näst närmaste punkt av varje "
        f"slag {distance_phrase(meta)} (en sökning som håller två olika punkter per nod). Om en "
        "punkt stänger får de som har den som närmaste åka till sin näst närmaste; de som då får "
        f"mer än {limit_text(CLOSURE_KM)} km räknas som de invånare stängningen skulle ge långt "
        "till service (de som redan hade längre räknas inte). Näst närmaste-måtten är andelen "
        f"vars näst närmaste punkt ligger längre bort än {lims}; den som inte når någon näst "
        "närmaste räknas in. Scenariot för den mest sårbara punkten bygger på samma sökning: "
        "de som hade den som närmaste får i stället sin näst närmaste, alla andra behåller sin."
    )
