"""The search index of a report set: find a kommun, a village or a service point across the set.

After a batch, :func:`write_search_index` writes ``search-index.js`` beside the reports. The index
page loads it with a script tag (no server, no fetch: it works from ``file://`` and from a zipped
bundle unpacked anywhere), and the page script in the report template builds the search box.

Every entry links to the most specific report in the set and the section that answers the
question: a kommun to its kommun report, or to its län report's kommun table when no kommun report
was rendered; a village or a service point to the access section of that report; a programme
group to its group report.

Names reach the page as data and are inserted with ``textContent``, never as HTML.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pandas as pd

from lansanalys import catalogue, geo
from lansanalys.config import Paths
from lansanalys.services import SERVICE_TYPES
from lansanalys.util import atomic_write_text

#: File name of the index beside the reports (the index page's script tag names it).
SEARCH_INDEX = "search-index.js"

#: Entry kinds in the order results are ranked, with their Swedish names shown in the page.
KINDS: tuple[str, ...] = ("län", "kommun", "grupp", "ort", "servicepunkt")

#: Sections an entry links to, found by the start of their h2 heading text in the rendered report.
SECTIONS: dict[str, str] = {
    "access": "Service och tillgänglighet",
    "closure": "Sårbara punkter",
    "kommuner": "Kommunerna",
}

_H2 = re.compile(r'<h2 id="([^"]+)"[^>]*>(.*?)</h2>', re.S)
_TAG = re.compile(r"<[^>]+>")


#: Service types whose every point is in a chooser under "Sårbara punkter" in the län and kommun
#: reports (``closure_chooser`` in the notebooks): a search hit opens the report on that point.
CHOOSER_TYPES: tuple[str, ...] = ("dagligvaror",)


def section_ids(report: Path) -> dict[str, str]:
    """Section key → the heading id of that section in a rendered report (absent if missing).

    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "r.html"
    >>> _ = f.write_text('<h2 id="Service-och-tillg%C3%A4nglighet">Service och tillgänglighet'
    ...                  '<a class="anchor-link" href="#x">¶</a></h2>', encoding="utf-8")
    >>> section_ids(f)
    {'access': 'Service-och-tillg%C3%A4nglighet'}
    """
    text = report.read_text(encoding="utf-8")
    out: dict[str, str] = {}
    for hid, inner in _H2.findall(text):
        heading = html.unescape(_TAG.sub("", inner)).replace("¶", "").strip()
        for key, start in SECTIONS.items():
            if key not in out and heading.startswith(start):
                out[key] = hid
    return out


class _Targets:
    """Which report (and section) of the set answers for a kommun."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.hrefs: list[str] = []
        self._index: dict[str, int] = {}
        self._sections: dict[str, dict[str, str]] = {}
        self._kommun: dict[tuple[str, str | None], int | None] = {}

    def _href(self, file: str, section: str | None) -> int | None:
        if not (self.out / file).exists():
            return None
        if file not in self._sections:
            self._sections[file] = section_ids(self.out / file)
        anchor = self._sections[file].get(section or "")
        href = f"{file}#{anchor}" if anchor else file
        if href not in self._index:
            self._index[href] = len(self.hrefs)
            self.hrefs.append(href)
        return self._index[href]

    def lan(self, lan_kod: str, section: str | None = None) -> int | None:
        return self._href(f"{geo.lan_slug(lan_kod)}.html", section)

    def group(self, group_id: str) -> int | None:
        return self._href(f"{geo.group_slug(group_id)}.html", None)

    def kommun(self, kommun_kod: str, section: str | None) -> int | None:
        """The kommun report's section, else the län report (its kommun table for a kommun)."""
        key = (kommun_kod, section)
        if key not in self._kommun:
            own = self._href(f"{geo.kommun_slug(kommun_kod)}.html", section)
            self._kommun[key] = (
                own
                if own is not None
                else self.lan(kommun_kod[:2], "kommuner" if section is None else section)
            )
        return self._kommun[key]


def search_entries(p: Paths, out: Path) -> dict:
    """The search index of the reports in ``out``: ``hrefs``, ``kinds``, ``items`` and
    ``points``.

    Each item is ``[kind, name, detail, href]`` (indexes into ``kinds`` and ``hrefs``). Only
    areas whose report exists in ``out`` get entries. ``points`` maps an item's position to the
    id of its service point where the linked report has the point in its chooser
    (:data:`CHOOSER_TYPES`): the page then links to ``#punkt-<id>``, which selects the point.
    """
    targets = _Targets(out)
    items: list[list] = []
    seen: set[tuple] = set()
    kommuner = geo.kommuner()
    lan_names = geo.lan().set_index("lan_kod")["lan"]
    kommun_names = kommuner.set_index("kommun_kod")["kommun"]

    points: dict[int, str] = {}

    def add(kind: str, name: str, detail: str, href: int | None, point: str = "") -> None:
        item = (KINDS.index(kind), name, detail, href)
        if href is not None and name and item not in seen:  # one line per name and place
            seen.add(item)
            if point:
                points[len(items)] = point
            items.append(list(item))

    for code, name in lan_names.items():
        add("län", name, "", targets.lan(code))
    for row in kommuner.itertuples():
        # The kommun's code is part of its detail, so "0821" finds Högsby as well as its name.
        detail = f"{row.kommun_kod} · {lan_names[row.lan_kod]}"
        add("kommun", row.kommun, detail, targets.kommun(row.kommun_kod, None))
    grupper = _table(p, "grupper")
    if grupper is not None:
        # A programme group by its name (and period): its own report, where the set has it.
        for gid, g in grupper.groupby("group_id", sort=False):
            first = g.iloc[0]
            s, e = int(first["period_start"]), int(first["period_end"])
            label = f"{first['group_name']} {s}–{e}" if e > s else f"{first['group_name']} {s}"
            add("grupp", label, f"{len(g)} kommuner · programuppföljning", targets.group(gid))
    for table, kind in (("places", "ort"), ("service", "servicepunkt")):
        df = _table(p, table)
        if df is None:
            continue
        df = df.dropna(subset=["name", "kommun_kod"]).sort_values(["kommun_kod", "name"])
        for row in df.itertuples():
            st = getattr(row, "service_type", "")
            what = SERVICE_TYPES.get(st, "")
            where = kommun_names.get(row.kommun_kod, "")
            detail = f"{what} · {where}" if what else f"{where}, {lan_names.get(row.lan_kod, '')}"
            chosen = st in CHOOSER_TYPES
            href = targets.kommun(row.kommun_kod, "closure" if chosen else "access")
            add(kind, str(row.name), detail, href, str(row.point_id) if chosen else "")
    return {"kinds": list(KINDS), "hrefs": targets.hrefs, "items": items, "points": points}


def _table(p: Paths, name: str) -> pd.DataFrame | None:
    return catalogue.read(p, name) if catalogue.exists(p, name) else None


def write_search_index(p: Paths, out: Path) -> Path:
    """Write ``search-index.js`` for the reports in ``out`` (atomically) and return its path."""
    data = search_entries(p, out)
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    target = out / SEARCH_INDEX
    atomic_write_text(target, f"window.LA_SEARCH = {body};\n")
    return target
