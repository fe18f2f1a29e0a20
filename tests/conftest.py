"""Shared fixtures and the test tiers.

Built worlds (see :mod:`tests.worlds`) are made once per run for all xdist workers and reused by
later runs while nothing they are made from changed (``.cache/tests``):

- ``demo_home`` (session): a project home with the demo raw data (plus one hostile store name)
  and a finished build; ``LANSANALYS_HOME`` points at it for the whole session. Read-only.
- ``home_copy``: a private copy of the demo home's ``data/`` for a test that breaks raw files
  or builds again (``LANSANALYS_HOME`` points at the copy for that test).
- ``rendered`` (session): Kalmar län (08), Gotland (09), Högsby (0821), Kalmar (0880), the
  demo's programme group (Kommuner för serviceutveckling) and the index rendered from the demo
  home, as ``{"out": folder, "outcomes": [...]}``. Read-only.
- ``rendered_copy``: the same in a private folder, for a test that renders into it again.
- ``demo_world(name, make, *parts)`` (session factory): a world derived from the demo home,
  e.g. the demo with a changed service file, built once per run (and cached) instead of once
  per test file or worker. ``make(folder)`` fills an empty folder (copy the raw data with
  ``worlds.copy_world(demo_home, folder, "data/raw")``, change it, build); ``parts`` are extra
  strings the world depends on (the digest of a real data file it copies, say).

Tiers: tests marked ``slow`` (every browser and render test, and every test that builds a
national demo variant of its own: ``@pytest.mark.slow`` or a fixture in :data:`SLOW_FIXTURES`)
run with ``make test-slow``; ``make test`` runs the others; CI runs both (``.ci/run``).

The real public data under ../shared/data is read from there (never copied into the repo).
"""

from __future__ import annotations

import contextlib
import os
import pickle
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import settings

from . import worlds

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
MALICIOUS_NAME = "<img src=x onerror=alert(1)>"

#: Fixtures that make a test part of the slow tier: each builds or renders a world of its own.
SLOW_FIXTURES = {"rendered", "rendered_copy", "one_year", "lacking", "one_lan", "kalmar_50km", "odd_home"}  # fmt: skip


def pytest_collection_modifyitems(config, items):
    """Mark the slow tier: browser and render tests, and tests on a world of their own."""
    for item in items:
        if (
            item.get_closest_marker("browser")
            or item.get_closest_marker("render")
            or SLOW_FIXTURES & set(getattr(item, "fixturenames", ()))
        ):
            item.add_marker(pytest.mark.slow)
    _order_files_for_workers(items)


def _order_files_for_workers(items: list[pytest.Item]) -> None:
    """Files in the order xdist hands them out (``make test`` passes ``--no-loadscope-reorder``):
    first the file with the most tests among those that need the demo home, then the files that
    do not need it, then the other files that do; by number of tests, most first, in each group.

    So one worker builds the demo home while the other runs the tests that need no demo,
    instead of both waiting for it. Each file keeps its own order of tests.
    """
    by_file: dict[str, list[pytest.Item]] = {}
    for item in items:
        by_file.setdefault(item.nodeid.split("::")[0], []).append(item)
    needs = {
        f: any("demo_home" in getattr(i, "fixturenames", ()) for i in its)
        for f, its in by_file.items()
    }
    demo = sorted((f for f in by_file if needs[f]), key=lambda f: -len(by_file[f]))
    free = sorted((f for f in by_file if not needs[f]), key=lambda f: -len(by_file[f]))
    order = demo[:1] + free + demo[1:]
    items[:] = [i for f in order for i in by_file[f]]


# Speed is measured in benchmarks/, never a pass/fail condition: no per-example deadline for the
# property tests (hypothesis's default of 200 ms fails tests on a loaded machine).
settings.register_profile("lansanalys", deadline=None)
settings.load_profile("lansanalys")


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


@contextlib.contextmanager
def home_env(home: Path) -> Iterator[None]:
    """``LANSANALYS_HOME`` set to ``home`` inside the block, restored after it."""
    old = os.environ.get("LANSANALYS_HOME")
    os.environ["LANSANALYS_HOME"] = str(home)
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("LANSANALYS_HOME", None)
        else:
            os.environ["LANSANALYS_HOME"] = old


@pytest.fixture(scope="session", autouse=True)
def _worlds_stay_unchanged() -> Iterator[None]:
    """A shared world is read-only: the run fails if a test wrote into one."""
    yield
    problems = worlds.check_unchanged()
    if problems:
        pytest.fail(
            "a test changed a shared built world (take a copy: home_copy, rendered_copy or "
            "worlds.copy_world):\n" + "\n".join(problems),
            pytrace=False,
        )


def _make_demo_home(home: Path) -> None:
    from lansanalys import config, demo, pipeline

    with home_env(home):
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


@pytest.fixture(scope="session")
def _demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    from lansanalys.demo.world import DEFAULT_SEED

    root = worlds.cache_root(worlds.run_tmp(tmp_path_factory))
    return worlds.shared_world("demo_home", _make_demo_home, root, f"seed={DEFAULT_SEED}")


@pytest.fixture(scope="session")
def demo_home(_demo: tuple[Path, str]) -> Iterator[Path]:
    """A project home with demo raw data (plus one hostile store name) and a finished build."""
    home, _ = _demo
    with home_env(home):
        yield home


@pytest.fixture(scope="session")
def demo_world(
    _demo: tuple[Path, str], demo_home: Path, tmp_path_factory: pytest.TempPathFactory
) -> Callable[..., Path]:
    """Factory for worlds derived from the demo home (see the module docstring)."""
    root = worlds.cache_root(worlds.run_tmp(tmp_path_factory))

    def make_world(name: str, make: Callable[[Path], object], *parts: str) -> Path:
        folder, _ = worlds.shared_world(name, make, root, f"demo={_demo[1]}", *parts)
        return folder

    return make_world


def _make_rendered(folder: Path) -> None:
    from lansanalys import config, render

    outcomes = render.render(
        render.default_jobs(
            ["08", "09"],
            kommun_codes=["0821", "0880"],
            groups=render.group_jobs(config.paths()),  # the demo's KfS group (Högsby a member)
        ),
        out=folder / "reports",
        workers=2,
        progress=False,
    )
    (folder / "outcomes.pickle").write_bytes(pickle.dumps(outcomes))


@pytest.fixture(scope="session")
def rendered(demo_world: Callable[..., Path]) -> dict:
    """Kalmar län (08), Gotland (09, an island län), Högsby (0821), Kalmar (0880), the KfS
    group report, index."""
    folder = demo_world("rendered", _make_rendered)
    outcomes = pickle.loads((folder / "outcomes.pickle").read_bytes())
    return {"out": folder / "reports", "outcomes": outcomes}


@pytest.fixture()
def rendered_copy(rendered: dict, tmp_path: Path) -> dict:
    """``rendered`` in a private folder, for tests that render into it again."""
    out = tmp_path / "reports"
    shutil.copytree(rendered["out"], out)
    return {"out": out, "outcomes": rendered["outcomes"]}


@pytest.fixture()
def home_copy(demo_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private copy of the demo home, for tests that break raw files."""
    dest = tmp_path / "home"
    worlds.copy_world(demo_home, dest, "data")
    monkeypatch.setenv("LANSANALYS_HOME", str(dest))
    return dest
