"""Rendering on a Dask cluster: one report is one task, for when one machine is not enough.

``lansanalys render --scheduler tcp://host:8786`` sends the reports to an existing Dask
scheduler; ``--scheduler local`` starts a :class:`distributed.LocalCluster` on this machine. The
client (this process) keeps everything else as in a local batch: which reports are unchanged
and skipped, the manifest, the search index; a report that fails, or whose worker dies, fails
alone. Each Dask worker keeps a warm kernel between its reports, like a local worker.

**Data.** Workers read the processed tables and write the reports themselves, so every worker
must see the same project folder at the same path: a shared file system (NFS, a cluster's home
directory), or ``LANSANALYS_HOME`` pointing at a copy of the same ``data/processed`` snapshot on
each machine, with the output folder shared. The task carries the project root and the report
set's settings, so a worker started elsewhere needs nothing set by hand.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from lansanalys.config import HOME_ENV, LINKABLE_ENV
from lansanalys.render.execute import _short_error, render_one
from lansanalys.render.jobs import Job, Outcome


def _task(job: Job, args: tuple, digest: str, env: dict[str, str], warm: bool) -> Outcome:
    """One report on a Dask worker, with the client's project root and report set."""
    os.environ.update(env)
    return render_one(job, *args, digest, warm=warm)


def run_on_dask(
    scheduler: str,
    todo: list[tuple[Job, str]],
    args: tuple,
    done: Callable[[Outcome], None],
    warm: bool = True,
    workers: int | None = None,
) -> None:
    """Render ``todo`` on the Dask cluster at ``scheduler`` ("local": a LocalCluster of
    ``workers`` processes on this machine); ``done`` gets each outcome as it comes."""
    from distributed import Client, LocalCluster, as_completed

    if not todo:
        return
    env = {name: os.environ[name] for name in (HOME_ENV, LINKABLE_ENV) if name in os.environ}
    cluster = None
    if scheduler == "local":
        cluster = LocalCluster(
            n_workers=workers or min(len(todo), os.cpu_count() or 1),
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
        )
        client = Client(cluster)
    else:
        client = Client(scheduler)
    try:
        futures = {
            client.submit(
                _task, job, args, digest, env, warm, pure=False, key=f"report-{job.name}"
            ): job
            for job, digest in todo
        }
        for fut in as_completed(futures):
            try:
                oc = fut.result()
            except Exception as exc:  # noqa: BLE001 - a lost worker fails one report
                oc = Outcome(futures[fut], "failed", error=_short_error(exc))
            done(oc)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
