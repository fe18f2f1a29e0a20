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
import shutil
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from lansanalys.config import downloads_dir, downloads_href
from lansanalys.geo import slugify
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


def save(df: pd.DataFrame, title: str, key: str = "", source: str = "") -> str | None:
    """Write ``df`` as CSV (``;``, decimal comma, UTF-8 with BOM: opens right in a Swedish
    Excel) and return its link relative to the report, or None outside batch rendering.

    The file is named by its number in the report and ``key`` (the chapter that made it), not
    by the headline, so the name stays when the data change; ``title`` and ``source`` go to
    the workbook's index sheet."""
    folder = downloads_dir()
    if folder is None:
        return None
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
    entries.append({"file": name, "title": title, "source": source})
    index.write_text(json.dumps(entries, ensure_ascii=False), encoding="utf-8")
    return f"{downloads_href() or 'downloads'}/{name}"


def workbook_href() -> str | None:
    """Link to the report's XLSX (written by the renderer after the notebook ran)."""
    href = downloads_href()
    return f"{href}/{Path(href).name}.xlsx" if href and downloads_dir() is not None else None


def write_xlsx(folder: Path, target: Path) -> Path | None:
    """All tables of one report as one Excel workbook, a sheet per table, from the frames.

    Written from the frames the report saved (not from the CSVs), so codes stay text ("0821")
    and numbers stay numbers. The frames folder is removed afterwards: only the CSVs and the
    workbook are published.
    """
    frames = Path(folder) / FRAMES_DIR
    files = sorted(frames.glob("*.pkl"))
    if not files:
        return None
    index = frames / INDEX_FILE
    entries = json.loads(index.read_text(encoding="utf-8")) if index.exists() else []
    with atomic_path(target) as tmp:
        with pd.ExcelWriter(tmp, engine="openpyxl") as xl:
            # First sheet: every figure and table of the report, its sheet, title and source.
            pd.DataFrame(
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
            ).to_excel(xl, sheet_name="Innehåll", index=False)
            for f in files:
                df = pd.read_pickle(f)  # written by save() in this render: trusted
                df = pd.DataFrame(df).copy()
                for col in df.columns:
                    if df[col].dtype.name == "geometry":
                        df[col] = df[col].to_wkt()
                df.to_excel(xl, sheet_name=f.stem[:31], index=False)
    shutil.rmtree(frames)
    return target


def link_html(href: str | None, extra: str = "") -> str:
    """The download line placed under a figure or table: its data (CSV) and ``extra`` HTML
    (a figure's image buttons); '' when there is neither."""
    parts = [f'<a href="{html.escape(href)}" download>Ladda ner data (CSV)</a>'] if href else []
    parts += [extra] if extra else []
    return f'<p class="la-download">{" · ".join(parts)}</p>' if parts else ""
