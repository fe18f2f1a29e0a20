"""Kernel CPU of the kommun report's *Förändring sedan* cells, in one warm process.

Run on a built demo home (several service years)::

    LANSANALYS_HOME=... python benchmarks/change_report.py [--n 40]

Each kommun: a fresh ``KommunReport``, every change cell called and its output formatted as the
notebook shows it (tables to HTML, the map to JSON); ``time.process_time`` around all of it. The
kommun's boundary (``own_geo``) is read first, as the report's earlier maps do; the
first two kommuner warm the process (imports, the cached tables) and are not counted.
"""

from __future__ import annotations

import argparse
import statistics
import time

import lansanalys as la
from lansanalys import geo

CALLS = (
    "change_heading",
    "change_findings",
    "change_table",
    "cash_change_table",
    "turnover_table",
    "fig_service_change_map",
    "change_table_by_type",
)


def one(code: str) -> float:
    rpt = la.KommunReport(code)  # the report's first cell, not the section's
    _ = rpt.data.own_geo  # drawn by the report's earlier maps
    t = time.process_time()
    for name in CALLS:
        out = getattr(rpt, name)()
        if out is None:
            continue
        if hasattr(out, "to_json"):
            out.to_json()
        elif hasattr(out, "_repr_html_"):
            out._repr_html_()
    return time.process_time() - t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=40)
    args = ap.parse_args()
    codes = geo.kommun_codes()
    step = max(1, len(codes) // args.n)
    sample = codes[::step][: args.n]
    for c in codes[:2]:
        one(c)
    cpu = [one(c) for c in sample]
    print(
        f"{len(cpu)} kommuner: mean {1000 * statistics.mean(cpu):.1f} ms, median "
        f"{1000 * statistics.median(cpu):.1f} ms, max {1000 * max(cpu):.1f} ms kernel CPU"
    )


if __name__ == "__main__":
    main()
