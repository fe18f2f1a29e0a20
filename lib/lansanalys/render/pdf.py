"""Printing a rendered report to PDF with headless Chromium."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from lansanalys.config import (
    chromium_override,
)
from lansanalys.util import atomic_path


def find_chromium() -> str | None:
    """Path of a Chromium to print with (``CHROMIUM`` overrides), or None."""
    return (
        chromium_override()
        or shutil.which("chromium")
        or shutil.which("chromium-browser")
        or shutil.which("google-chrome")
    )


def print_pdf(html_path: Path, timeout: int = 120) -> Path:
    """Print a rendered report to PDF beside it with headless Chromium (network off).

    The page gets time to draw its figures before printing; the PDF is written atomically.
    Raises RuntimeError when no Chromium is installed or printing fails.
    """
    import subprocess

    exe = find_chromium()
    if not exe:
        raise RuntimeError("--pdf needs Chromium: apt-get install chromium (or set CHROMIUM)")
    html_path = Path(html_path).resolve()
    target = html_path.with_suffix(".pdf")
    with tempfile.TemporaryDirectory() as profile, atomic_path(target) as tmp:
        cmd = [
            exe,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--proxy-server=127.0.0.1:9",
            "--proxy-bypass-list=<-loopback>",
            f"--user-data-dir={profile}",
            "--no-pdf-header-footer",
            # the printable width of A4 with 12 mm margins (report.css @page) plus body padding:
            # plotly lays the figures out to fit the page
            "--window-size=735,1100",
            "--virtual-time-budget=15000",
            f"--print-to-pdf={tmp}",
            html_path.as_uri(),
        ]
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        if res.returncode != 0 or not tmp.exists() or tmp.stat().st_size < 1000:
            raise RuntimeError(f"printing {html_path.name} failed: {res.stderr.strip()[-300:]}")
    return target
