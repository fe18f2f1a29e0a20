"""Small shared helpers: atomic file writes."""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; on success rename it over ``target``.

    A crash or an exception leaves ``target`` as it was (old content or absent), never half-written.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(
        prefix=f".{target.stem}.tmp-", suffix=target.suffix, dir=target.parent
    )
    os.close(fd)
    tmp = Path(tmp_name)
    tmp.unlink()  # writers such as GDAL refuse to open an existing empty file
    try:
        yield tmp
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()


def atomic_write_text(target: Path, text: str, encoding: str = "utf-8") -> None:
    """Write ``text`` to ``target`` atomically."""
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding=encoding)


@contextlib.contextmanager
def atomic_dir(target: Path) -> Iterator[Path]:
    """Yield a fresh temporary folder beside ``target``; on success swap it in for ``target``.

    The previous folder is kept until the new one is in place, so a failure leaves it untouched.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.new.", dir=target.parent))
    tmp.chmod(0o755)  # mkdtemp makes it private; the processed data is for everyone
    old = target.parent / f".{target.name}.old"
    try:
        yield tmp
        if old.exists():
            shutil.rmtree(old)
        keep = [f for f in target.iterdir() if f.name.startswith(".git")] if target.exists() else []
        for f in keep:  # .gitkeep and friends stay with the folder
            shutil.copy2(f, tmp / f.name)
        if target.exists():
            os.replace(target, old)
        os.replace(tmp, target)
        if old.exists():
            shutil.rmtree(old)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)


def library_digest() -> str:
    """Digest of the library's code and templates: a change invalidates built data and reports."""
    from importlib.metadata import version

    package = Path(__file__).resolve().parent
    h = hashlib.sha256()
    for f in sorted([*package.rglob("*.py"), *(package / "templates").rglob("*")]):
        if f.is_file():
            h.update(f.relative_to(package).as_posix().encode())
            h.update(f.read_bytes())
    h.update(version("lansanalys").encode())
    return h.hexdigest()
