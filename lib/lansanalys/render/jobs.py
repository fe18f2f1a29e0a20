"""What to render: one :class:`Job` per report (notebook, parameters, output file, title), its
:class:`Outcome`, the bundle's layout, and the digests that let an unchanged report be skipped.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lansanalys import catalogue, geo
from lansanalys.config import (
    NOTEBOOK_DIR,
    Paths,
)

MANIFEST = "manifest.json"
EXECUTED_DIR = "_executed"
ASSETS_DIR = "assets"
DOWNLOADS_DIR = "downloads"


@dataclass(frozen=True)
class Job:
    """One report to render."""

    notebook: str  # file name in notebooks/
    parameters: dict[str, Any]
    output: str  # file name of the HTML in the output folder
    title: str

    @property
    def name(self) -> str:
        return Path(self.output).stem


@dataclass
class Outcome:
    job: Job
    status: str  # rendered | skipped | failed
    seconds: float = 0.0
    error: str = ""
    executed: str = ""
    peak_rss_mb: float = 0.0  # the larger of the two below
    digest: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    #: Seconds per phase: start (kernel start, messaging), setup (warm kernel reset), load (the
    #: report's first cell: imports and its data), cells (the other cells), export (HTML),
    #: downloads (XLSX, CSV swap-in and the page written).
    phases: dict[str, float] = field(default_factory=dict)
    worker_rss_mb: float = 0.0  # peak resident memory of the worker process
    kernel_rss_mb: float = 0.0  # peak resident memory of the report's kernel
    #: CPU seconds (user + system) the report cost its worker process and its kernel: unlike
    #: the phases' wall time, comparable between a quiet and a busy machine.
    cpu: dict[str, float] = field(default_factory=dict)


def lan_job(lan_kod: str) -> Job:
    """The län report job for ``lan_kod`` (validated: nothing else reaches a file name)."""
    code = geo.check_lan(lan_kod)
    return Job(
        "lansrapport.ipynb",
        {"lan_kod": code},
        f"{geo.lan_slug(code)}.html",
        f"{geo.lan_name(code)} – Länsanalys",
    )


def kommun_job(kommun_kod: str) -> Job:
    """The kommun deep-dive job for ``kommun_kod`` (validated)."""
    code = geo.check_kommun(kommun_kod)
    return Job(
        "kommunrapport.ipynb",
        {"kommun_kod": code},
        f"{geo.kommun_slug(code)}.html",
        f"{geo.kommun_name(code)} – kommunprofil",
    )


def group_job(group_id: str, name: str = "") -> Job:
    """The programme follow-up job of a group (its id is a slug: nothing else reaches a file
    name)."""
    return Job(
        "grupprapport.ipynb",
        {"group_id": group_id},
        f"{geo.group_slug(group_id)}.html",
        f"{name or group_id} – programuppföljning",
    )


def group_jobs(p: Paths) -> list[Job]:
    """One job per group of the build (none without ``grupper.parquet``)."""
    if not catalogue.exists(p, "grupper"):
        return []
    g = catalogue.read(p, "grupper").drop_duplicates("group_id")
    return [
        group_job(i, f"{n} {s}–{e}" if e > s else f"{n} {s}")
        for i, n, s, e in zip(
            g["group_id"], g["group_name"], g["period_start"], g["period_end"], strict=True
        )
    ]


def index_job() -> Job:
    return Job("riksoversikt.ipynb", {}, "index.html", "Länsanalys – riksöversikt")


def default_jobs(
    lan_codes: list[str] | None = None,
    index: bool = True,
    kommun_codes: list[str] | None = None,
    groups: list[Job] | None = None,
) -> list[Job]:
    """Index, län reports (default all 21), kommun reports (default none) and group reports
    (``groups``, e.g. :func:`group_jobs`; default none)."""
    codes = geo.lan_codes() if lan_codes is None else lan_codes
    jobs = [lan_job(c) for c in codes] + [kommun_job(c) for c in (kommun_codes or [])]
    return ([index_job()] if index else []) + jobs + list(groups or [])


def parse_shard(text: str) -> tuple[int, int]:
    """``"2/4"`` → (2, 4): the second of four slices of the job list (for CI matrices).

    >>> parse_shard("2/4")
    (2, 4)
    """
    parts = text.split("/")
    if len(parts) == 2 and all(p.strip().isdigit() for p in parts):
        i, n = int(parts[0]), int(parts[1])
        if 1 <= i <= n:
            return i, n
    raise ValueError(f"--shard {text!r}: expected i/n with 1 <= i <= n, e.g. 1/4")


def shard(jobs: list[Job], i: int, n: int) -> list[Job]:
    """The ``i``-th of ``n`` slices of ``jobs``: every n-th job by output name, so each slice
    gets a like mix of län and kommun reports; together the slices hold every job once. The
    index page goes with slice 1.
    """
    ordered = sorted(jobs, key=lambda j: (j.output != index_job().output, j.output))
    return ordered[i - 1 :: n]


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def data_digest(p: Paths) -> str:
    """Digest of the processed tables (their build's input digest)."""
    m = catalogue.read_meta(p)
    return m.get("inputs_digest") or _sha(json.dumps(m, sort_keys=True).encode())


def job_digest(
    job: Job, lib: str, data: str, self_contained: bool, linkable: tuple[str, ...] = ()
) -> str:
    nb = (NOTEBOOK_DIR / job.notebook).read_bytes()
    payload = json.dumps(
        {
            "linkable": _sha("\n".join(linkable).encode()),
            "nb": _sha(nb),
            "params": job.parameters,
            "lib": lib,
            "data": data,
            "self_contained": self_contained,
        },
        sort_keys=True,
    )
    return _sha(payload.encode())
