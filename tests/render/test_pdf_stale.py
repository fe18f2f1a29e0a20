"""A PDF older than its report after a later render is never left silently: it is re-printed,
or removed and said where it cannot be printed (issue #21)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lansanalys.render.pdf import refresh_stale_pdfs, stale_pdfs

from .test_browser import _chromium

pytestmark = pytest.mark.browser


def _page(path: Path, text: str) -> Path:
    path.write_text(
        f'<!doctype html><html lang="sv"><body><main><h1>{text}</h1></main></body></html>',
        encoding="utf-8",
    )
    return path


def _earlier(path: Path, than: Path) -> None:
    """Give ``path`` a time clearly before ``than`` (file systems keep coarse times; never a
    time in the future, which a file written next would still be older than)."""
    t = than.stat().st_mtime_ns - 2_000_000_000
    os.utime(path, ns=(t, t))


def _text(pdf: Path) -> str:
    return subprocess.run(
        ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout


def test_a_pdf_older_than_its_page_is_printed_again(tmp_path):
    from lansanalys.render import print_pdf

    _chromium()
    page = _page(tmp_path / "08-kalmar-lan.html", "Första utgåvan")
    pdf = print_pdf(page)
    mine = _page(tmp_path / "egen.html", "Egen")  # a PDF newer than its page is current
    own = tmp_path / "anteckningar.pdf"  # a PDF with no page beside it is not the kit's
    own.write_bytes(b"%PDF-1.4 egen fil")
    assert stale_pdfs(tmp_path) == []
    _page(page, "Andra utgåvan")
    _earlier(pdf, page)
    (tmp_path / "egen.pdf").write_bytes(pdf.read_bytes())
    _earlier(mine, tmp_path / "egen.pdf")
    assert stale_pdfs(tmp_path) == [pdf]
    reprinted, removed = refresh_stale_pdfs(tmp_path)
    assert reprinted == [pdf] and removed == []
    text = _text(pdf)
    assert "Andra utgåvan" in text and "Första" not in text
    assert stale_pdfs(tmp_path) == []
    assert own.read_bytes() == b"%PDF-1.4 egen fil"


def test_a_stale_pdf_that_cannot_be_printed_is_removed_and_said(tmp_path, monkeypatch):
    page = _page(tmp_path / "09-gotlands-lan.html", "Ny")
    pdf = tmp_path / "09-gotlands-lan.pdf"
    pdf.write_bytes(b"%PDF-1.4 gammal")
    _earlier(pdf, page)
    monkeypatch.setenv("CHROMIUM", "/bin/false")  # a browser that does not start
    reprinted, removed = refresh_stale_pdfs(tmp_path)
    assert reprinted == [] and [p for p, _ in removed] == [pdf]
    assert removed[0][1]  # the reason is given
    assert not pdf.exists() and page.exists()


@pytest.mark.render
def test_render_reprints_a_pdf_its_new_report_made_stale(demo_home, tmp_path):
    """``lansanalys render`` without --pdf, into a folder that holds an older PDF of the
    report: the PDF is printed again from the new page, and the command says so."""
    _chromium()
    out = tmp_path / "r"
    out.mkdir()
    old = out / "09-gotlands-lan.pdf"
    old.write_bytes(b"%PDF-1.4 en tidigare rapport")
    os.utime(old, ns=(time.time_ns() - 10**10,) * 2)
    exe = Path(sys.executable).parent / "lansanalys"
    res = subprocess.run(
        [str(exe), "render", "--lan", "09", "--no-index", "--workers", "1", "--out", str(out)],
        capture_output=True,
        text=True,
        env={**os.environ, "LANSANALYS_HOME": str(demo_home)},
        timeout=600,
    )
    assert res.returncode == 0, res.stderr[-2000:]
    assert "09-gotlands-lan.pdf re-printed" in res.stdout
    page = out / "09-gotlands-lan.html"
    assert old.stat().st_mtime_ns >= page.stat().st_mtime_ns
    assert "Gotlands län" in _text(old) and stale_pdfs(out) == []
