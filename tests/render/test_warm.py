"""Warm workers: a worker's kernel serves many reports, and each page is what a fresh kernel
makes. Real papermill, real kernels, the demo data."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from lansanalys import render

pytestmark = pytest.mark.render

#: What may differ between two renders of the same report: when it ran and how long it took.
_RUN_STAMP = re.compile(r"rapporten körd [^<]*? på [0-9,]+ s")


def _page(path: Path) -> str:
    return _RUN_STAMP.sub("rapporten körd …", path.read_text(encoding="utf-8"))


def test_a_warm_batch_makes_the_pages_a_cold_render_makes(demo_home, tmp_path):
    codes = ["0821", "0880", "0860"]
    warm = render.render(
        render.default_jobs([], index=False, kommun_codes=codes),
        out=tmp_path / "warm",
        workers=1,  # one worker: the second and third report run in the first one's kernel
        progress=False,
    )
    assert [o.status for o in warm] == ["rendered"] * 3
    _check_phases_and_memory(warm, tmp_path / "warm")
    for job in render.default_jobs([], index=False, kommun_codes=codes[1:]):
        cold = render.render([job], out=tmp_path / f"cold-{job.name}", progress=False, warm=False)
        assert cold[0].status == "rendered"
        _check_phases_and_memory(cold, tmp_path / f"cold-{job.name}")
        assert _page(tmp_path / "warm" / job.output) == _page(
            tmp_path / f"cold-{job.name}" / job.output
        )
        # The downloads are numbered from 01 in each report, as in a fresh kernel.
        warm_files = sorted(p.name for p in (tmp_path / "warm/downloads" / job.name).iterdir())
        cold_files = sorted(
            p.name for p in (tmp_path / f"cold-{job.name}/downloads" / job.name).iterdir()
        )
        assert warm_files == cold_files and warm_files[0].startswith("01-")


def _check_phases_and_memory(outcomes: list[render.Outcome], out: Path) -> None:
    """Each report's time is split into its phases, and its kernel's peak memory is recorded
    (a live warm kernel's high-water mark; a finished kernel's for a cold one)."""
    import json

    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    for o in outcomes:
        assert set(o.phases) == {"start", "setup", "load", "cells", "export", "downloads"}
        assert all(v >= 0 for v in o.phases.values())
        # The phases are parts of the report's time (rounded to the millisecond).
        assert sum(o.phases.values()) <= o.seconds + 0.01
        assert o.phases["cells"] > 0 and o.phases["export"] > 0
        # A kernel that has imported pandas, geopandas and plotly holds well over 100 MB.
        assert o.kernel_rss_mb > 100 and o.worker_rss_mb > 0
        entry = manifest["reports"][o.job.output]
        assert entry["phases"] == o.phases and entry["kernel_rss_mb"] == o.kernel_rss_mb


def test_a_report_that_kills_its_kernel_fails_alone_in_a_warm_batch(demo_home, tmp_path):
    """A notebook that ends its kernel (os._exit) fails; the next report in the same worker
    gets a fresh kernel and renders."""
    from lansanalys.config import NOTEBOOK_DIR

    broken = NOTEBOOK_DIR / "zz_test_kills_kernel.ipynb"
    broken.write_text(
        '{"cells": [{"cell_type": "code", "execution_count": null, "id": "a", "metadata": {},'
        ' "outputs": [], "source": ["import os\\n", "os._exit(3)"]}],'
        ' "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",'
        ' "language": "python"}}, "nbformat": 4, "nbformat_minor": 5}',
        encoding="utf-8",
    )
    try:
        jobs = [
            render.Job("zz_test_kills_kernel.ipynb", {}, "a-dies.html", "dör"),
            *render.default_jobs([], index=False, kommun_codes=["0821"]),
        ]
        outcomes = render.render(jobs, out=tmp_path / "out", workers=1, progress=False)
    finally:
        broken.unlink()
    by_name = {o.job.output: o for o in outcomes}
    assert by_name["a-dies.html"].status == "failed"
    assert by_name["0821-hogsby.html"].status == "rendered"
    assert (
        (tmp_path / "out" / "0821-hogsby.html")
        .read_text(encoding="utf-8")
        .rstrip()
        .endswith("</html>")
    )


def test_every_figure_of_a_page_has_its_own_id(demo_home, tmp_path):
    """Figures are numbered per page (la-fig-1, la-fig-2 …): one id twice draws one figure."""
    (oc,) = render.render(
        render.default_jobs(["09"], index=False), out=tmp_path, workers=1, progress=False
    )
    assert oc.status == "rendered"
    page = (tmp_path / oc.job.output).read_text(encoding="utf-8")
    # Attribute order is the exporter's (plotly writes id before class): match either.
    ids = re.findall(r'<div (?=[^>]*\bclass="plotly-graph-div")[^>]*\bid="(la-fig-\d+)"', page)
    assert len(ids) >= 3 and len(ids) == len(set(ids))
    assert ids == [f"la-fig-{i}" for i in range(1, len(ids) + 1)]
