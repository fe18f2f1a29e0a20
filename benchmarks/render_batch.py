"""Time a batch of kommun (or län) reports: warm workers, cold kernels, and the papermill loop.

Usage (after ``make build``)::

    .venv/bin/python benchmarks/render_batch.py                  # 10 kommuner, extrapolated
    .venv/bin/python benchmarks/render_batch.py --n 20 --lan-reports

Measures, on the same notebooks and processed data, ``--force`` each time:

(a) the kit's renderer with warm workers (the default), all cores;
(b) the same with ``warm=False`` (a fresh kernel per report);
(c) the papermill and ``jupyter nbconvert`` command lines one report after another;

per report (wall time of the batch / reports) and extrapolated to all 290 kommuner, the mean time
per report in each phase (start, setup, load, cells, export, downloads: see ``render.Outcome``)
and the peak memory of a kernel and of a worker process. Prints a table and writes ``reports/benchmark-batch.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from lansanalys import geo, render
from lansanalys.config import NOTEBOOK_DIR, paths

BIN = Path(sys.executable).parent


def papermill_loop(jobs: list[render.Job], work: Path) -> float:
    """papermill then ``jupyter nbconvert --to html --no-input``, one report after another."""
    env = dict(os.environ)
    t0 = time.perf_counter()
    for job in jobs:
        executed = work / f"{job.name}.ipynb"
        params = [a for k, v in job.parameters.items() for a in ("-p", k, v)]
        params += ["-y", "render: {html: true}"]  # the notebook's render parameter
        subprocess.run(
            [str(BIN / "papermill"), str(NOTEBOOK_DIR / job.notebook), str(executed), *params]
            + ["--cwd", str(NOTEBOOK_DIR), "--no-progress-bar"],
            check=True,
            env=env,
            capture_output=True,
        )
        subprocess.run(
            [str(BIN / "jupyter"), "nbconvert", "--to", "html", "--no-input", str(executed)],
            check=True,
            env=env,
            capture_output=True,
        )
    return time.perf_counter() - t0


def kit(jobs: list[render.Job], out: Path, warm: bool, workers: int | None) -> dict:
    t0 = time.perf_counter()
    outcomes = render.render(jobs, out=out, force=True, warm=warm, workers=workers, progress=False)
    wall = time.perf_counter() - t0
    failed = [o.job.output for o in outcomes if o.status != "rendered"]
    if failed:
        raise SystemExit(f"reports failed: {failed}")
    phases = sorted({k for o in outcomes for k in o.phases})
    return {
        "wall_s": round(wall, 1),
        "per_report_s": round(wall / len(jobs), 2),
        # Mean seconds per report in each phase (in a worker; workers run side by side).
        "phases_mean_s": {
            k: round(sum(o.phases.get(k, 0.0) for o in outcomes) / len(outcomes), 3) for k in phases
        },
        "peak_kernel_mb": max(o.kernel_rss_mb for o in outcomes),
        "peak_worker_mb": max(o.worker_rss_mb for o in outcomes),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=10, help="kommun reports to render (spread over län)")
    ap.add_argument("--lan-reports", action="store_true", help="also all 21 län, warm and cold")
    ap.add_argument("--workers", type=int, default=None)
    args = ap.parse_args()
    codes = geo.kommun_codes()[:: max(1, 290 // args.n)][: args.n]
    jobs = render.default_jobs([], index=False, kommun_codes=codes)
    res: dict = {"kommuner": codes, "cores": os.cpu_count()}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        res["warm"] = kit(jobs, work / "warm", True, args.workers)
        res["cold"] = kit(jobs, work / "cold", False, args.workers)
        loop = papermill_loop(jobs, work)
        res["papermill_loop"] = {
            "wall_s": round(loop, 1),
            "per_report_s": round(loop / len(jobs), 2),
        }
        for k in ("warm", "cold", "papermill_loop"):
            res[k]["all_290_kommuner_min"] = round(res[k]["per_report_s"] * 290 / 60, 1)
        if args.lan_reports:
            lan = render.default_jobs(index=True)
            res["lan_warm"] = kit(lan, work / "lan-warm", True, args.workers)
            res["lan_cold"] = kit(lan, work / "lan-cold", False, args.workers)
    print(json.dumps(res, indent=2, ensure_ascii=False))
    out = paths().reports / "benchmark-batch.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(res, indent=2, ensure_ascii=False), encoding="utf-8")


if __name__ == "__main__":
    main()
