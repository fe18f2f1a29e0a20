"""Built worlds shared by every test file, every xdist worker and (while nothing changed) runs.

A *world* is a folder that is expensive to make: the demo project home with its finished build,
a variant of it built from changed raw files, a set of rendered reports. :func:`shared_world`
makes each one once and hands the same folder to every test that asks for it:

- **once per run across workers**: the first xdist worker to ask builds it under an exclusive
  file lock; the others wait on the lock and then reuse the finished folder;
- **once across runs**: the folder lives in ``.cache/tests/<name>-<key>/`` (or
  ``$LANSANALYS_TEST_CACHE``), where ``key`` is a digest of everything the world is made from:
  the library (code, templates, version), the notebooks, this module, ``conftest.py`` and the
  test module whose recipe makes the world, the Python and installed package versions, and the
  ``parts`` the caller adds (a seed, the digest of a real data file, the parent world's key).
  Change any of them and the world is built anew. ``LANSANALYS_TEST_CACHE=off`` keeps worlds
  inside the run's temporary folder only (still shared across its workers).

A world is read-only for tests. Every file's size and modification time are recorded when it is
finished; a world whose files changed since is built again rather than reused, and
:func:`check_unchanged` (called when the session ends) fails the run naming the changed files,
so a test that writes into a shared world cannot silently feed other tests. A test that changes
files takes a private copy first: the ``home_copy`` fixture for the demo home, or
:func:`copy_world` for any other world.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import os
import platform
import shutil
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_CACHE = REPO / ".cache" / "tests"
STAMP = ".world.json"

try:  # POSIX advisory locks; without them every process builds its own copy
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

#: Worlds handed out in this process: folder → its recorded file listing.
_HANDED_OUT: dict[Path, dict[str, list[int]]] = {}


def _sha(*chunks: bytes) -> str:
    h = hashlib.sha256()
    for c in chunks:
        h.update(len(c).to_bytes(8, "little"))
        h.update(c)
    return h.hexdigest()


def file_digest(path: Path) -> str:
    """sha256 of one file (for real data files a world is made from)."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _tree_digest(folder: Path, pattern: str = "*") -> str:
    files = sorted(f for f in folder.rglob(pattern) if f.is_file() and "__pycache__" not in f.parts)
    return _sha(*(f.relative_to(folder).as_posix().encode() + f.read_bytes() for f in files))


_BASE_KEY: str | None = None


def base_key() -> str:
    """Digest of what every world depends on: library, notebooks, fixtures, interpreter, packages."""
    global _BASE_KEY
    if _BASE_KEY is None:
        from importlib.metadata import distributions

        from lansanalys.config import NOTEBOOK_DIR
        from lansanalys.util import library_digest

        dists = sorted(f"{d.metadata['Name']}=={d.version}" for d in distributions())
        _BASE_KEY = _sha(
            library_digest().encode(),
            _tree_digest(NOTEBOOK_DIR, "*.ipynb").encode(),
            Path(__file__).read_bytes(),
            (Path(__file__).parent / "conftest.py").read_bytes(),
            f"{sys.version}|{platform.machine()}".encode(),
            "\n".join(dists).encode(),
        )
    return _BASE_KEY


def cache_root(run_tmp: Path) -> Path:
    """Where worlds live: ``$LANSANALYS_TEST_CACHE``, ``.cache/tests``, or (``off``) the run's
    temporary folder shared by its xdist workers (``run_tmp``)."""
    setting = os.environ.get("LANSANALYS_TEST_CACHE", "")
    if setting.lower() in ("off", "0", "no", "false"):
        return run_tmp / "worlds"
    return Path(setting) if setting else DEFAULT_CACHE


def run_tmp(tmp_path_factory) -> Path:
    """The temporary folder of this run that every xdist worker shares (the parent of the
    workers' own base folders; the base folder itself without xdist)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def _listing(folder: Path) -> dict[str, list[int]]:
    out = {}
    for f in sorted(folder.rglob("*")):
        if f.is_file() and f.name != STAMP:
            st = f.stat()
            out[f.relative_to(folder).as_posix()] = [st.st_size, st.st_mtime_ns]
    return out


def _changed(folder: Path, recorded: dict[str, list[int]]) -> list[str]:
    now = _listing(folder)
    return sorted(k for k in recorded.keys() | now.keys() if recorded.get(k) != now.get(k))


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    if fcntl is None:  # pragma: no cover
        yield
        return
    with open(path, "a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _recipe_source(make: Callable) -> bytes:
    """The module that defines ``make`` and every test module it takes helpers from: the
    helpers are part of the recipe too."""
    names = {make.__module__}
    for value in getattr(make, "__globals__", {}).values():
        mod = getattr(value, "__module__", None)
        if isinstance(mod, str) and (mod == "tests" or mod.startswith("tests.")):
            names.add(mod)
    chunks = []
    for name in sorted(names):
        # The module's file, whether or not this process has imported it yet: every xdist
        # worker must compute the same key (one that had not imported a helper module would
        # otherwise get another key, build the world again and remove the other's copy).
        spec = importlib.util.find_spec(name)
        origin = Path(spec.origin) if spec and spec.origin else None
        chunks.append(origin.read_bytes() if origin and origin.is_file() else name.encode())
    return _sha(*chunks).encode()


def world_key(name: str, make: Callable, *parts: str) -> str:
    """The key a world is cached under (see the module docstring)."""
    return _sha(
        base_key().encode(), name.encode(), _recipe_source(make), *(p.encode() for p in parts)
    )


def shared_world(
    name: str, make: Callable[[Path], object], root: Path, *parts: str
) -> tuple[Path, str]:
    """Return ``(folder, key)`` of the world ``name``, made by ``make(folder)`` if needed.

    ``make`` receives an empty folder to fill and must leave it complete (it runs under the
    world's lock, with nothing else writing there). ``parts`` are extra strings the world
    depends on. The folder must not be changed by tests (see the module docstring).
    """
    key = world_key(name, make, *parts)
    folder = root / f"{name}-{key[:16]}"
    with _locked(root / f".{name}-{key[:16]}.lock"):
        stamp = folder / STAMP
        recorded = None
        if stamp.exists():
            recorded = json.loads(stamp.read_text(encoding="utf-8"))["files"]
            if _changed(folder, recorded):  # a test wrote into it in an earlier run: rebuild
                recorded = None
        if recorded is None:
            shutil.rmtree(folder, ignore_errors=True)
            for old in root.glob(f"{name}-*"):  # earlier keys of the same world
                if old.is_dir() and not _made_in_this_run(old):
                    shutil.rmtree(old, ignore_errors=True)
            folder.mkdir(parents=True)
            t0 = time.perf_counter()
            make(folder)
            recorded = _listing(folder)
            stamp.write_text(
                json.dumps(
                    {
                        "name": name,
                        "key": key,
                        "seconds": round(time.perf_counter() - t0, 1),
                        "run": _RUN,
                        "files": recorded,
                    }  # fmt: skip
                ),
                encoding="utf-8",
            )
    _HANDED_OUT[folder] = recorded
    return folder, key


#: This test run (the same in all its xdist workers).
_RUN = os.environ.get("PYTEST_XDIST_TESTRUNUID") or f"pid-{os.getpid()}"


def _made_in_this_run(folder: Path) -> bool:
    """Whether another worker of this run made (and may be using) the world in ``folder``."""
    try:
        stamp = json.loads((folder / STAMP).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return stamp.get("run") == _RUN


def check_unchanged() -> list[str]:
    """Worlds handed out in this process whose files changed: ``folder: files`` lines.

    A changed world loses its stamp, so the next run builds it again."""
    problems = []
    for folder, recorded in _HANDED_OUT.items():
        changed = _changed(folder, recorded) if folder.exists() else ["(folder removed)"]
        if changed:
            (folder / STAMP).unlink(missing_ok=True)
            problems.append(f"{folder}: {', '.join(changed[:10])}")
    return problems


def copy_world(folder: Path, dest: Path, *subfolders: str) -> Path:
    """A private, writable copy of a world (or of some of its subfolders), times kept."""
    for sub in subfolders or (".",):
        shutil.copytree(folder / sub, dest / sub, dirs_exist_ok=True, ignore=_ignore_stamp)
    return dest


def _ignore_stamp(_dir: str, names: list[str]) -> list[str]:
    return [n for n in names if n == STAMP or n.startswith(".") and n.endswith(".lock")]
