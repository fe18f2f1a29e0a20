"""One place for paths, settings and every environment variable the kit reads.

Every path the kit uses is derived here from the project root, so no notebook holds a path string.
The root is the repository checkout (``lib/lansanalys/config.py`` → two levels up); set the
environment variable ``LANSANALYS_HOME`` to point the whole kit at another folder with the same
layout (``data/raw``, ``data/processed``, ``reports``), which is how tests run on temporary data.

Environment variables (read only through the functions below; no other module reads one):

============================  ======================================================  ==========
variable                      meaning                                                 set by
============================  ======================================================  ==========
``LANSANALYS_HOME``           project root (``data/``, ``reports/``) instead of repo  the user
``LANSANALYS_DEBUG``          ``1``: show the traceback of an unexpected CLI error    the user
``LANSANALYS_PXWEB_V2_URL``   SCB PxWeb v2 API root (a mirror or a test server)       the user
``LANSANALYS_PXWEB_V1_URL``   SCB PxWeb v1 API root                                   the user
``LANSANALYS_OVERPASS_URL``   Overpass API interpreter URL                            the user
``LANSANALYS_GRID_URL``       SCB grid GeoPackage (or its page) URL                   the user
``CHROMIUM``                  browser used to print PDF                               the user
``LANSANALYS_LINKABLE``       report files in the set, for the renderer's workers    renderer
============================  ======================================================  ==========

The renderer tells a report's kernel how it is rendered through a notebook parameter, not the
environment: every report notebook has ``render = {}`` in its parameters cell and calls
``la.setup(render)``; the renderer passes ``render = {"html": True, "downloads": …,
"downloads_href": …, "linkable": [...], "home": …}`` (:func:`set_render_context`).

The tests also read ``LANSANALYS_REQUIRE_BROWSER`` (fail, not skip, without Chromium) and
``LANSANALYS_CHECK_BUNDLE`` (a rendered folder to check in the browser); see ``tests/``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
PROJ_ROOT = PACKAGE_DIR.parents[1]
NOTEBOOK_DIR = PROJ_ROOT / "notebooks"
TEMPLATE_DIR = PACKAGE_DIR / "templates"

#: Metric work is done in SWEREF 99 TM; WGS 84 only for drawing.
CRS_METRIC = "EPSG:3006"
CRS_WGS84 = "EPSG:4326"

#: Default distance thresholds in km for "share of population beyond X km".
DEFAULT_THRESHOLDS_KM: tuple[float, ...] = (5.0, 10.0, 20.0)

#: Default access classes (upper bounds; the last class is open): road km and car minutes.
DEFAULT_CLASSES_KM: tuple[float, ...] = (5.0, 10.0, 20.0)
DEFAULT_CLASSES_MIN: tuple[float, ...] = (5.0, 10.0, 30.0)

#: The raw data kinds the build knows, in build order.
RAW_KINDS: tuple[str, ...] = ("befolkning", "rutor", "service", "stod", "vagnat")
#: Kinds used when present (the demo writes ``forandringar`` beside a demo population only).
OPTIONAL_KINDS: tuple[str, ...] = (
    "klassning",
    "kommuntyp",
    "prognos",
    "forandringar",
    "orter",
    "grupper",
)


@dataclass(frozen=True)
class Paths:
    """The data and output folders of one project root."""

    root: Path

    @property
    def raw(self) -> Path:
        return self.root / "data" / "raw"

    @property
    def processed(self) -> Path:
        return self.root / "data" / "processed"

    @property
    def reports(self) -> Path:
        return self.root / "reports"

    @property
    def sources_file(self) -> Path:
        return self.raw / "SOURCES.yml"

    def raw_kind(self, kind: str) -> Path:
        return self.raw / kind


def paths() -> Paths:
    """Return the active project paths: the rendered report's project (its ``render``
    parameter), else ``LANSANALYS_HOME``, else the repository root."""
    home = _RENDER.get("home") or os.environ.get(HOME_ENV)
    return Paths(Path(home).resolve() if home else PROJ_ROOT)


# --------------------------------------------------------------------------------------------
# Environment variables (the table in the module docstring)

HOME_ENV = "LANSANALYS_HOME"
DEBUG_ENV = "LANSANALYS_DEBUG"
#: Source → environment variable overriding its base URL (function arguments win over it).
URL_ENVS: dict[str, str] = {
    "pxweb_v2": "LANSANALYS_PXWEB_V2_URL",
    "pxweb_v1": "LANSANALYS_PXWEB_V1_URL",
    "overpass": "LANSANALYS_OVERPASS_URL",
    "grid": "LANSANALYS_GRID_URL",
}
CHROMIUM_ENV = "CHROMIUM"
LINKABLE_ENV = "LANSANALYS_LINKABLE"


def _env(name: str) -> str | None:
    value = os.environ.get(name, "").strip()
    return value or None


def debugging() -> bool:
    """``LANSANALYS_DEBUG`` is set to something other than 0/false/no."""
    return (_env(DEBUG_ENV) or "0").lower() not in {"0", "false", "no"}


def url_override(source: str) -> str | None:
    """The base URL the environment sets for ``source`` (a key of :data:`URL_ENVS`), or None."""
    return _env(URL_ENVS[source])


def chromium_override() -> str | None:
    """The browser named by ``CHROMIUM``, or None."""
    return _env(CHROMIUM_ENV)


# --------------------------------------------------------------------------------------------
# How this report is rendered: the notebook's ``render`` parameter

#: Keys of the ``render`` parameter a report notebook receives from the renderer.
RENDER_KEYS = ("html", "downloads", "downloads_href", "linkable", "home")
_RENDER: dict = {}


def set_render_context(render: dict | None) -> None:
    """Take the notebook's ``render`` parameter (empty in JupyterLab: interactive figures, no
    downloads written). Unknown keys are an error, so a renderer and a kit out of step fail
    loudly."""
    render = dict(render or {})
    unknown = sorted(set(render) - set(RENDER_KEYS))
    if unknown:
        raise ValueError(f"unknown render setting(s) {unknown}; known: {list(RENDER_KEYS)}")
    _RENDER.clear()
    _RENDER.update(render)


def rendering_html() -> bool:
    """This report is rendered by the batch renderer, which wants self-drawing HTML figures."""
    return bool(_RENDER.get("html"))


def linkable_reports() -> set[str]:
    """Report files of the set being rendered (links go only to those); empty outside it."""
    return set(_RENDER.get("linkable") or ())


def downloads_dir() -> Path | None:
    """Folder this report writes its downloads to, or None outside batch rendering."""
    folder = _RENDER.get("downloads")
    return Path(folder) if folder else None


def downloads_href() -> str | None:
    """Link prefix of this report's downloads, relative to the report."""
    return _RENDER.get("downloads_href")


def worker_linkable() -> list[str]:
    """The set's report files, as the batch hands them to its worker processes."""
    return [x for x in (_env(LINKABLE_ENV) or "").split(",") if x]
