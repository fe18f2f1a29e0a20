"""One place for paths and settings.

Every path the kit uses is derived here from the project root, so no notebook holds a path string.
The root is the repository checkout (``lib/lansanalys/config.py`` → two levels up); set the
environment variable ``LANSANALYS_HOME`` to point the whole kit at another folder with the same
layout (``data/raw``, ``data/processed``, ``reports``), which is how tests run on temporary data.
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
OPTIONAL_KINDS: tuple[str, ...] = ("klassning", "prognos", "forandringar")


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
    """Return the active project paths (``LANSANALYS_HOME`` or the repository root)."""
    home = os.environ.get("LANSANALYS_HOME")
    return Paths(Path(home).resolve() if home else PROJ_ROOT)
