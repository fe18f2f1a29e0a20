"""Rendering on a Dask cluster: a real LocalCluster of two worker processes."""

from __future__ import annotations

import json

import pytest

from lansanalys import render

pytestmark = pytest.mark.render


def test_a_two_worker_dask_cluster_renders_and_isolates_a_failing_report(demo_home, tmp_path):
    from lansanalys.config import NOTEBOOK_DIR

    broken = NOTEBOOK_DIR / "zz_test_dask_raises.ipynb"
    broken.write_text(
        '{"cells": [{"cell_type": "code", "execution_count": null, "id": "a", "metadata": {},'
        ' "outputs": [], "source": ["raise RuntimeError(\\"trasig rapport\\")"]}],'
        ' "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",'
        ' "language": "python"}}, "nbformat": 4, "nbformat_minor": 5}',
        encoding="utf-8",
    )
    out = tmp_path / "out"
    try:
        jobs = [
            render.Job("zz_test_dask_raises.ipynb", {}, "a-raises.html", "trasig"),
            *render.default_jobs([], index=False, kommun_codes=["0821", "0880"]),
        ]
        outcomes = render.render(jobs, out=out, workers=2, scheduler="local", progress=False)
    finally:
        broken.unlink()
    status = {o.job.output: o.status for o in outcomes}
    assert status == {
        "a-raises.html": "failed",
        "0821-hogsby.html": "rendered",
        "0880-kalmar.html": "rendered",
    }
    assert "trasig rapport" in next(o.error for o in outcomes if o.status == "failed")
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))  # by the client
    assert manifest["reports"]["0821-hogsby.html"]["status"] == "rendered"
    assert manifest["reports"]["a-raises.html"]["status"] == "failed"
    for name in ("0821-hogsby.html", "0880-kalmar.html"):
        page = (out / name).read_text(encoding="utf-8")
        assert page.rstrip().endswith("</html>") and "la-fig-1" in page
    # A second run skips what is unchanged, on the cluster as locally (the failed one is tried
    # again: its notebook is gone now, so it fails again, alone).
    broken.write_text("{}", encoding="utf-8")
    try:
        again = render.render(jobs, out=out, workers=2, scheduler="local", progress=False)
    finally:
        broken.unlink()
    assert {o.job.output: o.status for o in again} == {
        "a-raises.html": "failed",
        "0821-hogsby.html": "skipped",
        "0880-kalmar.html": "skipped",
    }


def test_render_on_a_separately_started_scheduler_and_worker(demo_home, tmp_path):
    """``lansanalys render --scheduler tcp://…`` against a scheduler and a worker started on
    their own, as on a cluster: the worker is another process that knows nothing of this one;
    the task carries the project root."""
    import os
    import socket
    import subprocess
    import sys
    import time
    from pathlib import Path

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    address = f"tcp://127.0.0.1:{port}"
    dask = str(Path(sys.executable).parent / "dask")
    env = {k: v for k, v in os.environ.items() if k != "LANSANALYS_HOME"}  # the task brings it
    procs = [
        subprocess.Popen(
            [dask, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    ]
    try:
        procs.append(
            subprocess.Popen(
                [dask, "worker", address, "--nworkers", "1", "--nthreads", "1", "--no-dashboard"],
                env=env,
                cwd=tmp_path,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        from distributed import Client

        with Client(address, timeout=60) as client:  # wait until the worker has joined
            deadline = time.monotonic() + 60
            while not client.scheduler_info()["workers"] and time.monotonic() < deadline:
                time.sleep(0.5)
            assert client.scheduler_info()["workers"], "the worker never joined"
        out = tmp_path / "out"
        res = subprocess.run(
            [str(Path(sys.executable).parent / "lansanalys"), "render", "--kommun", "0821"]
            + ["--no-index", "--out", str(out), "--scheduler", address],
            env={**os.environ},
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert res.returncode == 0, res.stdout + res.stderr
        page = (out / "0821-hogsby.html").read_text(encoding="utf-8")
        assert page.rstrip().endswith("</html>") and "Högsby" in page
        manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
        assert manifest["reports"]["0821-hogsby.html"]["status"] == "rendered"
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
