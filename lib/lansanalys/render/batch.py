"""The batch: jobs to worker processes, fault isolation (a failing or dying report fails alone),
incremental skip, Ctrl-C cleanup, the manifest, the search index, and the summary line.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from importlib.metadata import version
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from tqdm import tqdm

from lansanalys.config import (
    HOME_ENV,
    LINKABLE_ENV,
    Paths,
    paths,
)
from lansanalys.render.execute import _short_error, _worker_init, kill_process_tree, render_one
from lansanalys.render.export import copy_assets
from lansanalys.render.jobs import (
    EXECUTED_DIR,
    MANIFEST,
    Job,
    Outcome,
    data_digest,
    default_jobs,
    index_job,
    job_digest,
)
from lansanalys.render.search import write_search_index
from lansanalys.util import atomic_write_text, library_digest


def load_manifest(out: Path) -> dict[str, Any]:
    f = out / MANIFEST
    if not f.exists():
        return {"reports": {}}
    try:
        return json.loads(f.read_text(encoding="utf-8"))
    except json.JSONDecodeError:
        return {"reports": {}}  # a corrupt manifest only costs a re-render


def _remove_stale_temp(out: Path) -> None:
    """Temp files of an interrupted earlier batch (never the reports themselves)."""
    for f in out.glob(".*.tmp-*"):
        with contextlib.suppress(OSError):
            f.unlink()


def render(
    jobs: list[Job] | None = None,
    out: Path | None = None,
    workers: int | None = None,
    self_contained: bool = False,
    force: bool = False,
    timeout: int = 600,
    p: Paths | None = None,
    progress: bool | None = None,
    warm: bool = True,
    scheduler: str | None = None,
) -> list[Outcome]:
    """Render ``jobs`` (default: index + all 21 län) into ``out`` (default ``reports/``).

    Returns one :class:`Outcome` per job; never raises for a failing report. Each worker keeps
    its kernel between reports (``warm``, see :mod:`lansanalys.render.execute`). With
    ``scheduler`` ("local" or a Dask scheduler address) the reports run as tasks on a Dask cluster
    (:mod:`lansanalys.render.distributed`); skip, manifest and search index stay here.
    """
    p = p or paths()
    out = Path(out) if out else p.reports
    out.mkdir(parents=True, exist_ok=True)
    _remove_stale_temp(out)
    jobs = default_jobs() if jobs is None else jobs
    workers = workers or max(1, min(len(jobs), os.cpu_count() or 1))
    if not self_contained:
        copy_assets(out)
    manifest = load_manifest(out)
    # Reports may link to each other (län → kommun) only where the target exists or is being
    # rendered now; the set is part of each digest, so links appear once the targets do.
    linkable = tuple(sorted({f.name for f in out.glob("*.html")} | {j.output for j in jobs}))
    digests = {
        job.output: job_digest(job, library_digest(), data_digest(p), self_contained, linkable)
        for job in jobs
    }
    outcomes, todo = _split_unchanged(jobs, digests, manifest, out, force)
    show = sys.stderr.isatty() if progress is None else progress
    bar = tqdm(
        total=len(jobs), initial=len(outcomes), desc="Rapporter", unit="rapport", disable=not show
    )

    def done(oc: Outcome) -> None:
        outcomes.append(oc)
        _record(manifest, oc, out)
        bar.update(1)
        bar.set_postfix(fel=sum(o.status == "failed" for o in outcomes))

    args = (str(out), str(out / EXECUTED_DIR), self_contained, timeout)
    run = functools.partial(render_one, warm=warm)
    try:
        with _worker_env(p, linkable):
            pairs = [(job, digests[job.output]) for job in todo]
            if scheduler:
                from lansanalys.render.distributed import run_on_dask

                run_on_dask(scheduler, pairs, args, done, warm=warm, workers=workers)
            else:
                _run_pool(pairs, args, workers, done, run)
    finally:
        bar.close()
    for oc in outcomes:
        if oc.status == "skipped":
            _record(manifest, oc, out)
    if (out / index_job().output).exists():
        write_search_index(p, out)
    return sorted(outcomes, key=lambda o: o.job.output)


def _split_unchanged(
    jobs: list[Job], digests: dict[str, str], manifest: dict[str, Any], out: Path, force: bool
) -> tuple[list[Outcome], list[Job]]:
    """Skipped outcomes for reports rendered before from the same inputs, and the rest to do."""
    skipped, todo = [], []
    for job in jobs:
        prev = manifest["reports"].get(job.output, {})
        if (
            not force
            and prev.get("digest") == digests[job.output]
            and prev.get("status") == "rendered"
            and (out / job.output).exists()
        ):
            skipped.append(Outcome(job, "skipped", 0.0, digest=digests[job.output]))
        else:
            todo.append(job)
    return skipped, todo


@contextlib.contextmanager
def _worker_env(p: Paths, linkable: tuple[str, ...]) -> Iterator[None]:
    """The settings the spawned workers inherit (project root, the set's report files), restored
    afterwards."""
    saved = {name: os.environ.get(name) for name in (HOME_ENV, LINKABLE_ENV)}
    os.environ[LINKABLE_ENV] = ",".join(linkable)
    if p.root != paths().root:
        os.environ[HOME_ENV] = str(p.root)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _run_pool(
    todo: list[tuple[Job, str]],
    args: tuple,
    workers: int,
    done: Callable[[Outcome], None],
    run: Callable[..., Outcome] = render_one,
) -> None:
    """Render ``todo`` on spawned worker processes; ``done`` gets each outcome as it comes.

    A report that fails, or whose worker dies, fails alone. Ctrl-C stops every worker and kernel
    at once; every HTML is then the old or the new one (atomic renames) and leftover temporary
    files go at the next start.
    """
    if not todo:
        return
    ctx = get_context("spawn")  # fresh interpreters: no inherited zmq sockets or threads
    pool = ProcessPoolExecutor(
        max_workers=min(workers, len(todo)), mp_context=ctx, initializer=_worker_init
    )
    try:
        futures: dict[Future, Job] = {
            pool.submit(run, job, *args, digest): job for job, digest in todo
        }
        pending = set(futures)
        while pending:
            finished, pending = wait(pending, return_when=FIRST_COMPLETED)
            for fut in finished:
                try:
                    oc = fut.result()
                except Exception as exc:  # noqa: BLE001 - a dead worker fails one report
                    oc = Outcome(futures[fut], "failed", error=_short_error(exc))
                done(oc)
    except KeyboardInterrupt:
        pool.shutdown(wait=False, cancel_futures=True)
        kill_process_tree()
        raise
    pool.shutdown(wait=True)


def _relative(path: str, out: Path) -> str:
    """``path`` relative to the bundle folder ``out`` (as given when it lies elsewhere)."""
    if not path:
        return ""
    try:
        return Path(path).resolve().relative_to(out.resolve()).as_posix()
    except ValueError:
        return path


def _record(manifest: dict[str, Any], oc: Outcome, out: Path) -> None:
    prev = manifest["reports"].get(oc.job.output, {})
    entry = {
        "notebook": oc.job.notebook,
        "parameters": oc.job.parameters,
        "status": oc.status,
        "seconds": round(oc.seconds, 2),
        "peak_rss_mb": oc.peak_rss_mb,
        "kernel_rss_mb": oc.kernel_rss_mb,
        "worker_rss_mb": oc.worker_rss_mb,
        "phases": oc.phases,
        "cpu": oc.cpu,
        # Relative to the bundle, so a zipped bundle's manifest still points at its files.
        "executed_notebook": _relative(oc.executed, out),
        "error": oc.error,
        "lansanalys": version("lansanalys"),
        "rendered_at": time.strftime("%Y-%m-%dT%H:%M:%S"),
    }
    if oc.status == "skipped":
        entry = {**prev, "status": "rendered", "last_check": entry["rendered_at"]}
    elif oc.status == "failed":
        entry["digest"] = ""  # render again next time
        entry["last_good"] = prev.get("rendered_at") if prev.get("status") == "rendered" else None
    else:
        entry["digest"] = oc.digest
    manifest["reports"][oc.job.output] = entry
    atomic_write_text(out / MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=2))


def summary(outcomes: list[Outcome]) -> str:
    """A human summary: counts, then each failure with its first error lines."""
    n = {s: sum(o.status == s for o in outcomes) for s in ("rendered", "skipped", "failed")}
    lines = [f"{n['rendered']} rendered, {n['skipped']} skipped (unchanged), {n['failed']} failed"]
    for o in outcomes:
        if o.status == "failed":
            lines.append(f"FAILED {o.job.output} ({o.job.parameters}):")
            lines += ["    " + ln for ln in o.error.splitlines()]
            if o.executed:
                lines.append(f"    executed notebook: {o.executed}")
    rendered = [o for o in outcomes if o.status == "rendered"]
    if rendered:
        worst = max(rendered, key=lambda o: o.peak_rss_mb)
        total = sum(o.seconds for o in rendered)
        lines.append(
            f"report time {total:.1f} s in all; peak memory per worker "
            f"{worst.peak_rss_mb:.0f} MB ({worst.job.output})"
        )
    return "\n".join(lines)
