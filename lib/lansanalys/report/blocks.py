"""HTML blocks of the reports: tables, key-figure cards, editorial comments, and the data a
figure carries for its download. Everything from data is escaped here.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

import pandas as pd
import plotly.graph_objects as go
from IPython.display import HTML, Markdown

from lansanalys import fmt
from lansanalys.config import (
    Paths,
)
from lansanalys.report import downloads

DEMO_NOTE = "EXEMPELDATA – inte verkliga siffror"


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


MISSING = "uppgift saknas"
