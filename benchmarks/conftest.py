"""Benchmarks run on the same demo data the reports use (built once into a temp home)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def bench_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from lansanalys import config, demo, pipeline

    home = Path(os.environ.get("LANSANALYS_BENCH_HOME") or tmp_path_factory.mktemp("bench"))
    os.environ["LANSANALYS_HOME"] = str(home)
    p = config.paths()
    demo.generate(p=p)
    pipeline.build(p)
    return home
