"""HTML blocks of the reports: tables, key-figure cards, editorial comments, and the data a
figure carries for its download. Everything from data is escaped here.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import jinja2
import pandas as pd
import plotly.graph_objects as go
from IPython.display import HTML, Markdown
from markupsafe import Markup

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


#: The HTML block templates (``report/templates/*.html.j2``), autoescaped: data never becomes markup.
_TEMPLATES = jinja2.Environment(
    loader=jinja2.PackageLoader("lansanalys.report", "templates"),
    autoescape=True,
    trim_blocks=True,
)


def render_block(template: str, **context: Any) -> str:
    """Render one of the report's HTML block templates with ``context`` (values escaped)."""
    return _TEMPLATES.get_template(template).render(**context).strip()


@dataclass(frozen=True)
class Cell:
    """A table cell: its text and, optionally, the report it links to."""

    text: str
    href: str | None = None
    numeric: bool = False


def html_table(
    df: pd.DataFrame,
    caption: str,
    source: str,
    numeric: list[str] | None = None,
    *,
    links: dict[str, Sequence[str | None]] | None = None,
    table_class: str = "",
    download: bool = True,
    download_frame: pd.DataFrame | None = None,
    key: str = "",
    show_source: bool = True,
    decimals: dict[str, int] | None = None,
) -> HTML:
    """An accessible HTML table with caption, source and its CSV download; every cell escaped.

    ``links`` maps a column to one href per row (None: no link); ``download=False`` leaves the
    download out; ``download_frame`` is offered instead of the shown (formatted) table;
    ``show_source=False`` leaves the source line off the page (tables in a row that share one
    source show it once, under the last) while the download's index still names it;
    ``decimals`` (the decimals shown per column) marks ``download_frame`` as a report table's
    numbers, kept one decimal beyond what is shown (see :func:`downloads.download_frame`).
    """
    numeric = numeric or []
    links = links or {}
    columns = [Cell(str(c), numeric=c in numeric) for c in df.columns]
    rows = [
        [
            Cell(str(v), links[c][i] if c in links else None, c in numeric)
            for c, v in zip(df.columns, rec, strict=True)
        ]
        for i, rec in enumerate(df.itertuples(index=False))
    ]
    saved = df if download_frame is None else download_frame
    link = (
        downloads.link_html(
            downloads.save(saved, caption, key or downloads.current_key(), source, decimals)
        )
        if download
        else ""
    )
    return HTML(
        render_block(
            "table.html.j2",
            caption=caption,
            source=source if show_source else "",
            columns=[{"name": c.text, "numeric": c.numeric} for c in columns],
            header=True,
            rows=rows,
            table_class=table_class,
            download=Markup(link),
        )
    )


@dataclass
class Card:
    label: str
    value: str
    compare: str = ""
    note: str = ""


def cards_html(cards: list[Card], source: str) -> HTML:
    """Key-figure cards and their source line."""
    return HTML(render_block("cards.html.j2", cards=cards, source=source))


MISSING = "uppgift saknas"


# --------------------------------------------------------------------------------------------
# Tables that are data in Python and HTML in a notebook


def _unit_in_head(shown: pd.DataFrame) -> pd.DataFrame:
    """A column whose head gives the unit ("Andel 70+, %") shows bare numbers ("22,4"), as
    every table of the report does; the percent sign is not written twice."""
    out = shown.copy()
    for c in out.columns:
        if str(c).rstrip().endswith("%"):
            out[c] = [v[:-2] if isinstance(v, str) and v.endswith(" %") else v for v in out[c]]
    return out


class Table(pd.DataFrame):
    """A report table: a DataFrame of numbers in plain Python, an HTML table with caption,
    source, Swedish number formats and its download when a notebook displays it.

    ``formats`` maps a column to a function that turns a value into its text (``fmt.percent``);
    other columns are shown as they are, a missing value as "uppgift saknas". ``links`` maps a
    column to one href per row. ``split_by`` names a column whose values each get a table of
    their own, captioned by ``captions[value]`` (the column itself is not shown).
    ``.data`` is the HTML, as for IPython's display objects.

    Example
    -------
    >>> t = Table(pd.DataFrame({"Kommun": ["Högsby"], "Andel": [12.34]}),
    ...           caption="Andel", source="Källa: SCB", formats={"Andel": fmt.percent})
    >>> float(t["Andel"].iloc[0]), "12,3 %" in t.data
    (12.34, True)
    """

    _metadata = [
        "caption",
        "source",
        "formats",
        "links",
        "table_class",
        "split_by",
        "captions",
        "shown",
        "note",
        "key",
        "labels",
    ]

    def __init__(
        self,
        data: Any = None,
        *args: Any,
        caption: str = "",
        source: str = "",
        formats: dict[str, Any] | None = None,
        links: dict[str, Sequence[str | None]] | None = None,
        table_class: str = "",
        split_by: str | None = None,
        captions: dict[str, str] | None = None,
        shown: pd.DataFrame | None = None,
        note: str = "",
        labels: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(data, *args, **kwargs)
        self.caption = caption
        self.source = source
        self.formats = dict(formats or {})
        self.links = dict(links or {})
        self.table_class = table_class
        self.split_by = split_by
        self.captions = dict(captions or {})
        #: The text to show, where a column's format differs by row (set by the chapter).
        self.shown = shown
        #: A sentence after the table(s): what is missing and why ("uppgift saknas …").
        self.note = note
        #: The download's stable name: the report method that made the table.
        self.key = downloads.current_key()
        #: Shorter column heads for the page (the download keeps the full names with units).
        self.labels = dict(labels or {})

    @property
    def _constructor(self):
        return Table

    def frame(self) -> pd.DataFrame:
        """The numbers as a plain DataFrame (what the download holds)."""
        return pd.DataFrame(self)

    def _shown(self, df: pd.DataFrame) -> pd.DataFrame:
        out = pd.DataFrame(index=range(len(df)))
        for col in df.columns:
            f = self.formats.get(col)
            vals = df[col].tolist()
            out[col] = [
                MISSING
                if v is None or (isinstance(v, float) and v != v)
                else (f(v) if f else str(v))
                for v in vals
            ]
        return out

    def _decimals(self, df: pd.DataFrame) -> dict[str, int]:
        """The decimals the page shows of each formatted column (for the download)."""
        shown = {c: downloads.shown_decimals(f) for c, f in self.formats.items() if c in df}
        if self.shown is not None:  # a format per row: the most decimals any row shows
            for c in shown:
                if c in self.shown:
                    shown[c] = downloads.text_decimals(self.shown[c])
        return {c: n for c, n in shown.items() if n is not None}

    def _repr_html_(self) -> str:
        parts = []
        groups = (
            [(None, pd.DataFrame(self))]
            if not self.split_by
            else [
                (g, pd.DataFrame(d))
                for g, d in pd.DataFrame(self).groupby(self.split_by, sort=False)
            ]
        )
        for i, (g, d) in enumerate(groups):
            d = d.reset_index(drop=True)
            if self.split_by:
                d = d.drop(columns=[self.split_by])
            links = (
                {
                    c: [h for h, keep in zip(v, self[self.split_by] == g, strict=True) if keep]
                    for c, v in self.links.items()
                }
                if self.split_by
                else self.links
            )
            shown = self._shown(d) if self.shown is None or self.split_by else self.shown
            shown = _unit_in_head(shown.rename(columns=self.labels))
            parts.append(
                html_table(
                    shown,
                    self.captions.get(g, self.caption) if g is not None else self.caption,
                    self.source,
                    numeric=[self.labels.get(c, c) for c in d.columns if c in self.formats],
                    links={self.labels.get(c, c): v for c, v in links.items()},
                    table_class=self.table_class,
                    download_frame=d,
                    key=self.key + (f"-{downloads.slugify(str(g))}" if g is not None else ""),
                    show_source=i == len(groups) - 1,
                    decimals=self._decimals(d),
                ).data
            )
        if self.note:
            parts.append(f'<p class="la-missing"><em>{html.escape(self.note)}</em></p>')
        if self.split_by and len(groups) > 1:
            # One table per group is reference material: the page moves it to an appendix
            # (templates/lansanalys), leaving a sentence that names the groups.
            names = ", ".join(str(g).lower() for g, _ in groups)
            return (
                f'<div class="la-appendix-part" data-la-appendix="{html.escape(self.caption)}" '
                f'data-la-ref="{html.escape(f"{self.caption}, en tabell per slag ({names}), finns i")}">'
                + "".join(parts)
                + "</div>"
            )
        return "".join(parts)

    @property
    def data(self) -> str:  # type: ignore[override]
        """The table's HTML (as ``IPython.display.HTML.data``)."""
        return self._repr_html_()
