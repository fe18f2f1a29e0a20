"""Time the kit's renderer against the plain papermill + nbconvert command-line loop.

Usage (after ``make build``)::

    .venv/bin/python benchmarks/render_vs_papermill.py            # all 21 län
    .venv/bin/python benchmarks/render_vs_papermill.py --lan 08 --lan 25

Measures, on the same notebooks and processed data:

(a) one report alone through the kit's renderer (``--force``, one worker);
(b) the papermill and nbconvert command lines one län after another, as the papermill docs suggest;
(c) the kit's renderer with all cores (``--force``);
(d) the no-change re-run (everything skipped).

Prints a table and writes it as JSON next to the reports (``reports/benchmark.json``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from render_batch import papermill_loop  # benchmarks/ is the script's folder

from lansanalys import geo, render
from lansanalys.config import paths

BIN = Path(sys.executable).parent


def papermill_cli_loop(codes: list[str], work: Path) -> float:
    """papermill then ``jupyter nbconvert --to html --no-input``, one län after another."""
    return papermill_loop([render.lan_job(code) for code in codes], work)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lan", action="append", help="län code(s); default all 21")
    ap.add_argument("--skip-cli", action="store_true", help="skip the slow CLI loop")
    args = ap.parse_args()
    codes = [geo.check_lan(c) for c in args.lan] if args.lan else geo.lan_codes()
    jobs = render.default_jobs(codes, index=False)
    results: dict[str, float | int | str] = {"lan": len(codes), "cores": os.cpu_count() or 1}
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "reports"
        t0 = time.perf_counter()
        one = render.render(jobs[:1], out=out, workers=1, force=True, progress=False)
        results["one_report_s"] = round(time.perf_counter() - t0, 1)
        results["peak_rss_mb_one"] = one[0].peak_rss_mb
        if not args.skip_cli:
            work = Path(tmp) / "cli"
            work.mkdir()
            results["papermill_cli_loop_s"] = round(papermill_cli_loop(codes, work), 1)
        t0 = time.perf_counter()
        outs = render.render(jobs, out=out, force=True, progress=False)
        results["kit_all_cores_s"] = round(time.perf_counter() - t0, 1)
        results["failed"] = sum(o.status == "failed" for o in outs)
        results["peak_rss_mb_max"] = max(o.peak_rss_mb for o in outs)
        t0 = time.perf_counter()
        again = render.render(jobs, out=out, progress=False)
        results["no_change_rerun_s"] = round(time.perf_counter() - t0, 2)
        results["skipped"] = sum(o.status == "skipped" for o in again)
        sizes = [(out / j.output).stat().st_size for j in jobs if (out / j.output).exists()]
        results["html_mb_min"] = round(min(sizes) / 2**20, 2)
        results["html_mb_max"] = round(max(sizes) / 2**20, 2)
    width = max(map(len, results))
    for k, v in results.items():
        print(f"{k:<{width}}  {v}")
    dest = paths().reports / "benchmark.json"
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text(json.dumps(results, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
