"""The raw files of a kind, and whether a file is demo data.

``data/raw/<kind>/`` holds the files of one kind; :func:`raw_files` lists the data files there and
:func:`is_demo` tells demo files (marked in ``SOURCES.yml`` or carrying :data:`DEMO_MARKER`) from
real ones: a real file of a kind replaces the demo data of that kind only.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lansanalys.config import Paths
from lansanalys.sources.common import reading

#: Every demo file and every figure built on demo data carries this marker.
DEMO_MARKER = "EXEMPELDATA"

DATA_SUFFIXES = {".csv", ".txt", ".gpkg", ".xlsx", ".json", ".parquet", ".geojson", ".pbf"}


def raw_files(p: Paths, kind: str) -> list[Path]:
    """Data files under ``data/raw/<kind>/`` (hidden and temporary files skipped)."""
    folder = p.raw_kind(kind)
    if not folder.exists():
        return []
    return sorted(
        f
        for f in folder.iterdir()
        if f.is_file() and not f.name.startswith(".") and f.suffix.lower() in DATA_SUFFIXES
    )


def is_demo(path: Path, sources: dict[str, dict[str, Any]], p: Paths) -> bool:
    """A demo file: so marked in SOURCES.yml, or carrying the demo marker in its first bytes."""
    rel = path.resolve().relative_to(p.raw.resolve()).as_posix()
    if rel in sources and "demo" in sources[rel]:
        return bool(sources[rel]["demo"])
    # Opening the file can fail before any reader runs (a GeoPackage cut short): name it.
    with reading(path):
        if path.suffix.lower() == ".gpkg":
            import pyogrio

            layers = pyogrio.list_layers(path)
            return any(DEMO_MARKER.lower() in name.lower() for name, _ in layers)
        with open(path, "rb") as fh:
            head = fh.read(4096)
    return DEMO_MARKER.encode() in head
