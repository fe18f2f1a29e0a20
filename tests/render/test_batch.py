"""Batch rendering under injected faults: one bad report never takes the batch down."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import nbformat
import psutil
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from lansanalys import render

pytestmark = pytest.mark.render


def _notebook(folder: Path, name: str, source: str) -> str:
    nb = new_notebook(
        cells=[new_code_cell(source)],
        metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
        },
    )
    path = folder / f"{name}.ipynb"
    nbformat.write(nb, path)
    return str(path)


def test_faults_fail_their_report_only(demo_home, tmp_path):
    out = tmp_path / "out"
    nbs = {
        "raises": "raise RuntimeError('boom in one län')",
        "killed": "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)",
        "hangs": "import time\ntime.sleep(600)",
        "fine": "print('ok')",
    }
    jobs = [render.Job(_notebook(tmp_path, n, src), {}, f"{n}.html", n) for n, src in nbs.items()]
    t0 = time.perf_counter()
    outcomes = {
        o.job.name: o for o in render.render(jobs, out=out, workers=2, timeout=15, progress=False)
    }
    assert time.perf_counter() - t0 < 120
    assert outcomes["fine"].status == "rendered" and (out / "fine.html").exists()
    assert outcomes["raises"].status == "failed"
    assert "RuntimeError: boom in one län" in outcomes["raises"].error
    assert outcomes["killed"].status == "failed"
    assert "died" in outcomes["killed"].error.lower() or "dead" in outcomes["killed"].error.lower()
    assert outcomes["hangs"].status == "failed"
    assert "timed out after 15 s" in outcomes["hangs"].error
    for name in ("raises", "killed", "hangs"):
        assert not (out / f"{name}.html").exists()
        assert Path(outcomes[name].executed).exists()  # the executed notebook, to inspect
    summary = render.summary(list(outcomes.values()))
    assert "1 rendered, 0 skipped (unchanged), 3 failed" in summary


def _tagged(tag: str) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter(["pid"]):
        try:
            if proc.environ().get("LANSANALYS_TEST_TAG") == tag:
                found.append(proc)
        except psutil.Error:
            continue
    return found


def test_ctrl_c_stops_workers_and_kernels(demo_home, tmp_path):
    tag = uuid.uuid4().hex
    env = {**os.environ, "LANSANALYS_HOME": str(demo_home), "LANSANALYS_TEST_TAG": tag}
    exe = Path(sys.executable).parent / "lansanalys"
    out = tmp_path / "out"
    proc = subprocess.Popen(
        [
            str(exe),
            "render",
            "--lan",
            "08",
            "--lan",
            "09",
            "--no-index",
            "--force",
            "--out",
            str(out),
        ],
        env=env,
        start_new_session=True,
        # As from a terminal: a test run started in the background has SIGINT ignored, and an
        # ignored signal stays ignored in every child.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            kernels = [p for p in _tagged(tag) if "ipykernel" in " ".join(p.cmdline())]
            if kernels:
                break
            time.sleep(0.3)
        else:
            pytest.fail("no kernel started within 90 s")
        # The renderer must take Ctrl-C: its signal state, for the message if it does not.
        status = Path(f"/proc/{proc.pid}/status").read_text()
        sigstate = " ".join(ln for ln in status.splitlines() if ln.startswith(("SigBlk", "SigIgn")))
        os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, f"{err} [{sigstate}]"
    assert "interrupted" in err
    deadline = time.monotonic() + 15
    while _tagged(tag) and time.monotonic() < deadline:
        time.sleep(0.3)
    assert _tagged(tag) == []
    for html in out.glob("*.html"):  # whatever exists is whole
        assert html.read_text(encoding="utf-8").rstrip().endswith("</html>")
