"""Data downloads next to the reports: each figure's and table's data as CSV, an XLSX per report.

In batch rendering the notebook's ``render`` parameter names ``<out>/downloads/<report>`` for
the kernel; :func:`save` then writes a CSV there and returns its link relative to the report. In
JupyterLab the parameter is empty and nothing is written.
"""

from __future__ import annotations

import contextlib
import html
import itertools
import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import xlsxwriter

from lansanalys.config import downloads_dir, downloads_href
from lansanalys.geo import slugify
from lansanalys.services import SERVICE_TYPES
from lansanalys.util import atomic_path

FRAMES_DIR = ".frames"  # the saved frames, read by write_xlsx and then removed
INDEX_FILE = "innehall.json"  # file name, title and source of every download, for the workbook
_counter = itertools.count(1)
#: Tables registered for figures, keyed by the id stored in the figure's ``layout.meta``.
_registry: dict[str, tuple[pd.DataFrame, str, str]] = {}
#: The short name of what is being made now (the report method: "pyramid", "distance-map-apotek").
_current: list[str] = []


def reset() -> None:
    """Forget the tables of the previous report: a warm kernel renders many reports, and each
    must number its downloads from 01 as a fresh kernel would."""
    global _counter
    _counter = itertools.count(1)
    _registry.clear()


@contextlib.contextmanager
def named(key: str) -> Iterator[None]:
    """Downloads made inside get ``key`` as their file name (after their number), a stable
    name that does not change with the data: ``07-distance-map-apotek.csv``."""
    _current.append(slugify(key)[:40] or "data")
    try:
        yield
    finally:
        _current.pop()


def current_key() -> str:
    return _current[-1] if _current else ""


def register(df: pd.DataFrame, title: str) -> str:
    """Keep ``df`` for the figure titled ``title``; returns the key to put in ``layout.meta``."""
    key = f"t{len(_registry) + 1}"
    _registry[key] = (df, title, current_key())
    return key


def lookup(key: str | None) -> tuple[pd.DataFrame, str, str] | None:
    return _registry.get(key) if key else None


def save(
    df: pd.DataFrame,
    title: str,
    key: str = "",
    source: str = "",
    decimals: dict[str, int] | None = None,
) -> str | None:
    """Write ``df`` as CSV (``;``, decimal comma, UTF-8 with BOM: opens right in a Swedish
    Excel) and return its link relative to the report, or None outside batch rendering.

    The data are made fit to calculate with first (:func:`download_frame`): Swedish column
    heads with units, numbers as numbers rounded to one decimal more than the page shows
    (``decimals``: the decimals shown per column), whole numbers as integers, codes as text.
    The file is named by its number in the report and ``key`` (the chapter that made it), not
    by the headline, so the name stays when the data change; ``title`` and ``source`` go to
    the workbook's index sheet, and each column's Excel number format to its sheet."""
    folder = downloads_dir()
    if folder is None:
        return None
    df, formats = download_frame(df, decimals)
    name = f"{next(_counter):02d}-{key or slugify(title)[:40] or 'data'}.csv"
    with atomic_path(Path(folder) / name) as tmp:
        df.to_csv(tmp, sep=";", decimal=",", index=False, encoding="utf-8-sig")
    # The frame itself, types and all, for the workbook: a CSV read back turns kommun 0821
    # into the number 821.
    frames = Path(folder) / FRAMES_DIR
    frames.mkdir(exist_ok=True)
    with atomic_path(frames / f"{Path(name).stem}.pkl") as tmp:
        df.to_pickle(tmp)
    index = frames / INDEX_FILE
    entries = json.loads(index.read_text(encoding="utf-8")) if index.exists() else []
    entries.append({"file": name, "title": title, "source": source, "formats": formats})
    index.write_text(json.dumps(entries, ensure_ascii=False), encoding="utf-8")
    return f"{downloads_href() or 'downloads'}/{name}"


def workbook_href() -> str | None:
    """Link to the report's XLSX (written by the renderer after the notebook ran)."""
    href = downloads_href()
    return f"{href}/{Path(href).name}.xlsx" if href and downloads_dir() is not None else None


def write_xlsx(folder: Path, target: Path) -> Path | None:
    """All tables of one report as one Excel workbook, a sheet per table, from the frames.

    Written from the frames the report saved (not from the CSVs), so codes stay text ("0821")
    and numbers stay numbers. The first sheet, "Innehåll", lists every sheet with its CSV file,
    title and source. The frames folder is removed afterwards: only the CSVs and the workbook
    are published. Written with xlsxwriter cell by cell (about a tenth of the time pandas and
    openpyxl take for a report's 30 sheets).
    """
    frames = Path(folder) / FRAMES_DIR
    files = sorted(frames.glob("*.pkl"))
    if not files:
        return None
    index = frames / INDEX_FILE
    entries = json.loads(index.read_text(encoding="utf-8")) if index.exists() else []
    formats = {Path(e["file"]).stem: e.get("formats", {}) for e in entries}
    contents = pd.DataFrame(
        [
            {
                "Blad": Path(e["file"]).stem[:31],
                "Fil (CSV)": e["file"],
                "Rubrik": e["title"],
                "Källa": e["source"],
            }
            for e in entries
        ],
        columns=["Blad", "Fil (CSV)", "Rubrik", "Källa"],
    )
    with atomic_path(target) as tmp:
        book = xlsxwriter.Workbook(str(tmp), {"in_memory": True, "strings_to_urls": False})
        styles: dict[str, object] = {}
        try:
            _write_sheet(book, styles, "Innehåll", contents, {})
            for f in files:
                df = pd.read_pickle(f)  # written by save() in this render: trusted
                _write_sheet(book, styles, f.stem[:31], pd.DataFrame(df), formats.get(f.stem, {}))
        finally:
            book.close()
    shutil.rmtree(frames)
    return target


def _write_sheet(book, styles: dict, name: str, df: pd.DataFrame, formats: dict[str, str]) -> None:
    """One sheet: a bold head row (frozen), then the rows; each column in its Excel number
    format (the Swedish look comes from Excel: ``#,##0.0`` shows ``1 234,5`` in a Swedish
    Excel), codes as text (``@``), missing values as empty cells, and columns wide enough for
    their head and values (at most 62 characters)."""
    ws = book.add_worksheet(name)
    head_style = styles.setdefault("", book.add_format({"bold": True}))
    ws.freeze_panes(1, 0)
    for i, (col, s) in enumerate(df.items()):
        code = formats.get(str(col))
        style = None
        if code:
            style = styles.get(code)
            if style is None:
                style = styles[code] = book.add_format({"num_format": code})
        if s.dtype.name == "geometry":
            s = s.to_wkt()
        ws.write_string(0, i, str(col), head_style)
        width = max(len(str(col)), 8)
        if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s) and code != "@":
            for r, v in enumerate(s.to_numpy(dtype=float, na_value=np.nan).tolist(), start=1):
                if v == v:  # not NaN
                    ws.write_number(r, i, v, style)
                    width = max(width, len(f"{v:,.{2 if v % 1 else 0}f}"))
        else:
            for r, v in enumerate(s.to_numpy(dtype=object, na_value=None).tolist(), start=1):
                if v is None or v != v:
                    continue
                if isinstance(v, bool):
                    ws.write_boolean(r, i, v, style)
                else:
                    ws.write_string(r, i, str(v), style)
                width = max(width, min(len(str(v)), 60))
        ws.set_column(i, i, min(width + 2, 62))


def link_html(href: str | None, extra: str = "") -> str:
    """The download line placed under a figure or table: its data (CSV) and ``extra`` HTML
    (a figure's image buttons); '' when there is neither."""
    parts = [f'<a href="{html.escape(href)}" download>Ladda ner data (CSV)</a>'] if href else []
    parts += [extra] if extra else []
    return f'<p class="la-download">{" · ".join(parts)}</p>' if parts else ""


# --------------------------------------------------------------------------------------------
# Data fit to calculate with: Swedish heads, numbers as numbers, codes as text

#: Swedish column heads, with units, for the data behind the figures, by the names the chapters
#: give their frames (a table's columns are named by its chapter already).
HEADERS = {
    "sex": "Kön",
    "age_lo": "Ålder från, år",
    "age_group": "Åldersgrupp",
    "åldersgrupp": "Åldersgrupp",
    "population": "Invånare",
    "invanare": "Invånare",
    "population_scb": "Invånare enligt SCB",
    "share": "Andel, %",
    "andel_procent": "Andel, %",
    "område": "Område",
    "omrade": "Område",
    "area": "Område",
    "year": "År",
    "år": "År",
    "code": "Kod",
    "kod": "Kod",
    "omrade_kod": "Kod",
    "kommun_kod": "Kommunkod",
    "lan_kod": "Länskod",
    "ort_kod": "Ortkod",
    "point_id": "Id",
    "cell_id": "Ruta",
    "name": "Namn",
    "lan": "Län",
    "kommun": "Kommun",
    "start": "Invånare, första året",
    "end": "Invånare, sista året",
    "change": "Förändring, invånare",
    "change_pct": "Förändring, %",
    "fodda": "Födda",
    "doda": "Döda",
    "fodelseoverskott": "Födelseöverskott",
    "inrikes_netto": "Inrikes flyttnetto",
    "utrikes_netto": "Utrikes flyttnetto",
    "justering": "Justering",
    "flyttnetto": "Flyttnetto",
    "folkokning": "Folkökning",
    "typ": "Typ",
    "type": "Ortstyp",
    "kind": "Slag",
    "label": "Slag",
    "x": "X (SWEREF 99 TM), m",
    "y": "Y (SWEREF 99 TM), m",
    "avstand_km": "Avstånd, km",
    "service_type": "Service",
    "ej_nabar_via_vag": "Ej nåbar via väg, invånare",
    "stapel": "Stapel",
    "klass": "Klass",
    "invanare_som_far_over_10_km": "Får > 10 km om den stänger, invånare",
    "har_den_som_narmaste": "Har den som närmaste, invånare",
    "amount_sek": "Stöd, kr",
    "mnkr": "Stöd, mnkr",
    "person_years": "Personår",
    "sek_per_capita_year": "Stöd, kr per invånare och år",
    "sek_year": "Stöd, kr per invånare och år",
    "programme": "Program",
    "group": "Kommungrupp",
    "population_share": "Andel av befolkningen, %",
    "support_share": "Andel av stödet, %",
    "ratio": "Andel av stödet / andel av befolkningen",
    "index": "Index (första året = 100)",
    "n_cells": "Rutor, antal",
    "mean_age": "Medelålder, år",
    "share_65": "Andel 65 år och äldre, %",
    "dependency": "Försörjningskvot (per 100 i åldern 20–64)",
    "grocery_over_10": "> 10 km till dagligvaror, %",
    "grocery_unreachable": "Ej nåbar via väg (dagligvaror), invånare",
}
_SHARE = re.compile(r"^(population|pop_70plus)?_?share_over_([0-9.]+)(km|min)$")
#: Heads of columns that hold codes: kept as text, so kommun 0821 keeps its zero.
CODE_HEADS = {"Kod", "Kommunkod", "Länskod", "Ortkod", "Id", "Ruta"}
#: A number as the page prints it ("10 666", "−7,9 %", "3,5 km"), for tables handed over as
#: text; a leading zero ("0821") is a code, not a number.
_SWEDISH_NUMBER = re.compile(
    r"^([+−-]?)((?:[1-9]\d{0,2}(?: \d{3})*)|0)(?:,(\d+))?(?: ?(%|km|min|kr|år))?$"
)
_MISSING_TEXT = {"", "..", "uppgift saknas", "–"}


def swedish_head(col: object) -> str:
    """The Swedish head, with its unit, of a figure's data column (as it is when unknown).

    >>> swedish_head("population_share_over_2.5km"), swedish_head("km_apotek")
    ('> 2,5 km, %', 'Apotek och apoteksombud, km')
    """
    name = str(col)
    if name in HEADERS:
        return HEADERS[name]
    m = _SHARE.match(name)
    if m:
        who = "70+ " if m.group(1) == "pop_70plus" else ""
        return f"{who}> {m.group(2).replace('.', ',')} {m.group(3)}, %"
    kind, _, st = name.partition("_")
    if st in SERVICE_TYPES and kind in ("n", "km"):
        return f"{SERVICE_TYPES[st]} i orten, antal" if kind == "n" else f"{SERVICE_TYPES[st]}, km"
    return name or "Mått"


def shown_decimals(show) -> int | None:
    """The decimals a display function (``fmt.percent``) prints, or None for text."""
    try:
        text = show(1234.5678)
    except (TypeError, ValueError):
        return None
    m = _SWEDISH_NUMBER.match(str(text).strip())
    return len(m.group(3) or "") if m else None


def text_decimals(values: pd.Series) -> int | None:
    """The most decimals of the numbers in a column of printed text ("3,7", "2 271"), or None
    when it holds no printed numbers."""
    found = [_SWEDISH_NUMBER.match(str(v).strip()) for v in values]
    found = [m for m in found if m]
    return max(len(m.group(3) or "") for m in found) if found else None


def _parse_swedish(values: pd.Series) -> tuple[pd.Series, str, int] | None:
    """A column of numbers printed as text, as numbers, the unit they carried and the most
    decimals printed; None when any value is not such a number (a code, a word, "44,9 (4)")."""
    nums, units, shown = [], set(), 0
    for v in values:
        s = str(v).strip() if v is not None else ""
        if s in _MISSING_TEXT:
            nums.append(float("nan"))
            continue
        m = _SWEDISH_NUMBER.match(s)
        if not m:
            return None
        sign = -1.0 if m.group(1) in ("−", "-") else 1.0
        nums.append(sign * float(m.group(2).replace(" ", "") + "." + (m.group(3) or "0")))
        units.add(m.group(4) or "")
        shown = max(shown, len(m.group(3) or ""))
    if len(units) > 1 or all(n != n for n in nums):
        return None
    unit = units.pop() if units else ""
    return pd.Series(nums, index=values.index, dtype=float), unit, shown


def _figure_decimals(head: str, values: np.ndarray) -> int:
    """Decimals to keep of a figure's column, by its unit: shares and distances to hundredths
    (the figures show tenths); otherwise by size."""
    if head.endswith("%") or head.endswith(" km") or head.endswith(" min") or "Index" in head:
        return 2
    if "mnkr" in head:
        return 3
    top = np.nanmax(np.abs(values)) if np.isfinite(values).any() else 0.0
    return 3 if top < 10 else 2 if top < 1000 else 1 if top < 100_000 else 0


def download_frame(
    df: pd.DataFrame, decimals: dict[str, int] | None = None
) -> tuple[pd.DataFrame, dict[str, str]]:
    """``df`` made fit to calculate with, and the Excel number format of each column.

    Heads in Swedish with units (:func:`swedish_head`; a table's own heads are kept when
    ``decimals`` is given, even empty); numbers printed as text turned back into numbers (the
    unit moves to the head); numbers rounded to one decimal more than shown (``decimals``:
    shown per column; unknown: by unit), whole numbers as integers; codes as text. Formats are Excel's own codes (``#,##0``, ``#,##0.0``,
    ``0`` for years, ``@`` for text), shown the Swedish way by a Swedish Excel.
    """
    table = decimals is not None  # a report table: its heads are the chapter's
    decimals = dict(decimals or {})
    cols: dict[str, object] = {}  # head -> values, made into one frame at the end
    formats: dict[str, str] = {}
    for col, s in df.items():
        head = (str(col) or "Mått") if table else swedish_head(col)
        if head in cols:
            head = f"{head} ({sum(str(c).startswith(head) for c in cols) + 1})"
        if head in CODE_HEADS or str(col).endswith(("_kod", "_id")):
            cols[head] = s.astype("string").array
            formats[head] = "@"
            continue
        shown = decimals.get(col)
        keep = None if shown is None else shown + 1
        if s.dtype == object or pd.api.types.is_string_dtype(s):
            parsed = _parse_swedish(s)
            if parsed is None:
                cols[head] = s.array
                continue
            s, unit, shown = parsed
            keep = shown  # the text holds no more than it shows
            if unit and not head.endswith(unit):
                head = f"{head}, {unit}"
        if pd.api.types.is_bool_dtype(s) or not pd.api.types.is_numeric_dtype(s):
            cols[head] = s.array
            continue
        values = s.to_numpy(dtype=float, na_value=np.nan)
        if keep is None:
            keep = _figure_decimals(head, values)
        values = values.round(keep)
        known = values[~np.isnan(values)]
        whole = bool((known % 1 == 0).all())
        cols[head] = pd.array(values, dtype="Int64") if whole else values
        is_year = head in ("År",) or head.startswith("År ")
        show = 0 if whole else shown if shown is not None else max(keep - 1, 0)
        formats[head] = "0" if is_year else "#,##0" + ("." + "0" * show if show else "")
    # The same data twice under one name (a chapter's copy of a column for its figure): once.
    for head in [c for c in cols if re.search(r" \(\d+\)$", str(c))]:
        first = re.sub(r" \(\d+\)$", "", str(head))
        if first in cols and pd.Series(cols[first]).equals(pd.Series(cols[head])):
            del cols[head]
            formats.pop(head, None)
    out = pd.DataFrame(cols) if cols else pd.DataFrame(index=range(len(df)))
    return out, formats
