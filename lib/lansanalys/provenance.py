"""Provenance of raw files: ``data/raw/SOURCES.yml``, one entry per file.

Each entry records the kind, source, URL or table id, retrieval date, licence, sha256 and row count,
and whether the file is demo data. A file a user dropped in without an entry is recorded as such by
the build.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import yaml

from lansanalys.config import Paths
from lansanalys.util import atomic_write_text


def sha256(path: Path) -> str:
    """Hex sha256 of a file."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def load_sources(p: Paths) -> dict[str, dict[str, Any]]:
    """Entries of SOURCES.yml keyed by the file's path relative to ``data/raw``."""
    if not p.sources_file.exists():
        return {}
    data = yaml.safe_load(p.sources_file.read_text(encoding="utf-8")) or {}
    files = data.get("files", {})
    if not isinstance(files, dict):
        raise ValueError(f"{p.sources_file}: 'files' must be a mapping of path → entry")
    return files


def save_sources(p: Paths, files: dict[str, dict[str, Any]]) -> None:
    header = (
        "# Provenance of every raw file: written by `lansanalys demo`, `fetch` and `build`.\n"
        "# Edit source/url/licence/year of files you dropped in; sha256 and rows are recomputed.\n"
    )
    body = yaml.safe_dump(
        {"files": dict(sorted(files.items()))}, allow_unicode=True, sort_keys=False
    )
    atomic_write_text(p.sources_file, header + body)


def record_source(p: Paths, path: Path, **entry: Any) -> dict[str, Any]:
    """Add or replace the entry for ``path`` (sha256 computed here)."""
    files = load_sources(p)
    rel = Path(path).resolve().relative_to(p.raw.resolve()).as_posix()
    entry = {**entry, "sha256": sha256(Path(path))}
    files[rel] = entry
    save_sources(p, files)
    return entry
