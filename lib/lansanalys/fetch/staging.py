"""Staging: every file of one fetch command is checked beside its target with the kit's own
reader, then all are moved in together and recorded in ``SOURCES.yml``; a failure leaves
``data/raw`` as it was.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lansanalys import geo
from lansanalys.config import Paths, url_override
from lansanalys.errors import FetchError
from lansanalys.fetch.http import Http
from lansanalys.provenance import load_sources, save_sources, sha256

#: SCB's open data licence; figures made from the data say "Bearbetning av SCB-data".
SCB_LICENCE = "CC0 1.0 (SCB, Statistiska centralbyrån)"
OSM_LICENCE = "ODbL 1.0 – © OpenStreetMap contributors"


# Staging: check every file of a command beside its target, then move them in together


@dataclass
class Written:
    """One file a fetch wrote, with its SOURCES.yml entry."""

    path: Path
    rows: int
    from_cache: bool
    entry: dict[str, Any]


@dataclass
class Result:
    """What a fetch did: files written and replaced, notes for the user, cache use."""

    kind: str
    written: list[Written] = field(default_factory=list)
    removed: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    downloaded: int = 0
    cached: int = 0

    def lines(self, root: Path | None = None) -> list[str]:
        def rel(path: Path) -> str:
            try:
                return str(path.relative_to(root)) if root else str(path)
            except ValueError:
                return str(path)

        out = []
        for w in self.written:
            how = "from the cache" if w.from_cache else "downloaded"
            out.append(f"fetch: wrote {rel(w.path)} ({_spaced(w.rows)} rows, {how})")
        for path in self.removed:
            out.append(f"fetch: removed {rel(path)} (replaced by this fetch)")
        out += [f"fetch: note: {n}" for n in self.notes]
        out.append(
            f"fetch: {self.kind}: {len(self.written)} file(s); {self.downloaded} answer(s) "
            f"downloaded, {self.cached} from the cache"
        )
        return out


def _spaced(n: int) -> str:
    return f"{n:,}".replace(",", " ")


class _Stage:
    """Hidden folder beside the targets (same file system, so the final moves are renames)."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self._missing: list[Path] = []
        self.dir: Path | None = None
        self.items: list[tuple[Path, Path, dict[str, Any], int, bool]] = []

    def path(self, name: str) -> Path:
        if self.dir is None:
            d = self.folder
            while not d.exists():
                self._missing.append(d)
                d = d.parent
            self.folder.mkdir(parents=True, exist_ok=True)
            self.dir = Path(tempfile.mkdtemp(prefix=".fetch-", dir=self.folder))
        return self.dir / name

    def add(self, tmp: Path, name: str, entry: dict[str, Any], rows: int, cached: bool) -> None:
        self.items.append((tmp, self.folder / name, entry, rows, cached))

    def commit(self, p: Paths, supersedes: Callable[[str, dict[str, Any]], bool]) -> Result:
        """Move the files in, record them and drop the entries (and files) they replace."""
        sources = load_sources(p)
        result = Result(kind=self.folder.name)
        new = set()
        for tmp, target, entry, rows, cached in self.items:
            os.replace(tmp, target)
            rel = target.resolve().relative_to(p.raw.resolve()).as_posix()
            entry = {**entry, "rows": int(rows), "sha256": sha256(target)}
            sources[rel] = entry
            new.add(rel)
            result.written.append(Written(target, int(rows), cached, entry))
        for rel, entry in list(sources.items()):
            if rel not in new and isinstance(entry, dict) and supersedes(rel, entry):
                del sources[rel]
                result.removed.append(p.raw / rel)
        save_sources(p, sources)
        for path in result.removed:
            path.unlink(missing_ok=True)
        self.discard()
        return result

    def discard(self) -> None:
        if self.dir is not None and self.dir.exists():
            shutil.rmtree(self.dir, ignore_errors=True)
        for d in self._missing:  # folders this fetch created, if still empty
            try:
                d.rmdir()
            except OSError:
                pass


def _run(http: Http, stage: _Stage, body: Callable[[], Result]) -> Result:
    """Run a fetch; on failure discard everything staged and say what was (not) changed."""
    try:
        result = body()
    except FetchError as exc:
        stage.discard()
        kept = http.downloaded
        http.discard_empty_dirs()
        suffix = (
            "nothing was changed"
            if kept == 0
            else f"no data file was changed ({kept} finished answer(s) kept in the download cache)"
        )
        raise type(exc)(f"{exc}: {suffix}") from None
    except BaseException:
        stage.discard()
        http.discard_empty_dirs()
        raise
    result.downloaded, result.cached = http.downloaded, http.cached
    return result


def _base(name: str, given: str | None, default: str) -> str:
    return (given or url_override(name) or default).rstrip("/")


def _lan_list(lan: Iterable[str] | None) -> list[str]:
    if not lan:
        return geo.lan_codes()
    out = []
    for code in lan:
        c = geo.check_lan(code)
        if c not in out:
            out.append(c)
    return sorted(out)


def _other_real_files(p: Paths, kind: str, keep: set[Path]) -> list[str]:
    """Real files of ``kind`` not written by ``fetch``: the build reads them beside ours."""
    from lansanalys.sources.files import is_demo, raw_files

    sources = load_sources(p)
    out = []
    for f in raw_files(p, kind):
        if f.resolve() in keep:
            continue
        rel = f.resolve().relative_to(p.raw.resolve()).as_posix()
        fetched = str(sources.get(rel, {}).get("fetched_by", "")).startswith("lansanalys fetch")
        if not fetched and not is_demo(f, sources, p):
            out.append(rel)
    return out


def _note_others(p: Paths, kind: str, result: Result) -> None:
    keep = {w.path.resolve() for w in result.written}
    others = _other_real_files(p, kind, keep)
    if others:
        shown = ", ".join(others[:3]) + (f" and {len(others) - 3} more" if len(others) > 3 else "")
        result.notes.append(
            f"data/raw/{kind}/ also holds {shown}; the build reads every real file there, so "
            "remove what this fetch replaces"
        )
