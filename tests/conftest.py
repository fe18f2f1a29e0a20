"""Shared fixtures: one demo data set built once per test session in a temporary project home.

The real public data under ../shared/data is read from there (never copied into the repo).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
MALICIOUS_NAME = "<img src=x onerror=alert(1)>"


def figure_cells(notebook: str) -> int:
    """Figures a notebook shows: its ``.fig_…()`` cells (on demo data every one draws)."""
    import nbformat

    from lansanalys.config import NOTEBOOK_DIR

    nb = nbformat.read(NOTEBOOK_DIR / notebook, as_version=4)
    return sum(c.cell_type == "code" and ".fig_" in c.source for c in nb.cells)


def shared(*parts: str) -> Path:
    """Path to a real public data file in ../shared/data; skip clearly if the folder is absent."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"real test data not found at {path} (../shared beside the repo)")
    return path


@pytest.fixture(scope="session")
def demo_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project home with demo raw data (plus one hostile store name) and a finished build."""
    from lansanalys import config, demo, pipeline

    home = tmp_path_factory.mktemp("home")
    old = os.environ.get("LANSANALYS_HOME")
    os.environ["LANSANALYS_HOME"] = str(home)
    p = config.paths()
    demo.generate(p=p)
    # A store whose name is an HTML injection attempt, in Kalmar län: it must show as text.
    svc = p.raw_kind("service") / "demo_pipos_serviceanalys.csv"
    with open(svc, "a", encoding="cp1252", newline="") as fh:
        fh.write(
            f"X999999;Dagligvaror, övrigt;{MALICIOUS_NAME};Storgatan 1;Högsby;0821;Högsby;"
            "560000;6334000;EXEMPELDATA\r\n"
        )
    pipeline.build(p, force=True)
    yield home
    if old is None:
        os.environ.pop("LANSANALYS_HOME", None)
    else:
        os.environ["LANSANALYS_HOME"] = old


@pytest.fixture(scope="session")
def rendered(demo_home: Path) -> dict:
    """Kalmar län (08), Gotland (09, an island län), Högsby (0821), Kalmar (0880), index."""
    from lansanalys import render

    out = demo_home / "reports"
    outcomes = render.render(
        render.default_jobs(["08", "09"], kommun_codes=["0821", "0880"]),
        out=out,
        workers=2,
        progress=False,
    )
    return {"out": out, "outcomes": outcomes}


@pytest.fixture()
def home_copy(demo_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private copy of the demo home, for tests that break raw files."""
    dest = tmp_path / "home"
    shutil.copytree(demo_home / "data", dest / "data")
    monkeypatch.setenv("LANSANALYS_HOME", str(dest))
    return dest
