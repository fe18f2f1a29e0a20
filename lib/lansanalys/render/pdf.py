"""Printing rendered reports to PDF: Playwright's ``page.pdf()`` in headless Chromium, network off.

The page is printed only once every figure has drawn (each ``<figure class="la-figure">`` holds
a plotly SVG) and the fonts are loaded, not after a fixed time budget: a budget that runs out
first prints blank frames. A4 with the report's print CSS; one browser serves a whole batch.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from pathlib import Path

from lansanalys.config import chromium_override
from lansanalys.util import atomic_path

#: True when every figure of the page has drawn its SVG at its printed size (plotly.js ran for
#: each, and the figure's script marked it ``data-la-drawn``, see report.plotly_html).
FIGURES_DRAWN = """() => {
  const figs = [...document.querySelectorAll('figure.la-figure')];
  return document.readyState === 'complete'
    && figs.every(f => f.querySelector('.js-plotly-plot[data-la-drawn] .main-svg'));
}"""

#: Pages print at 75 %: body text at 9 pt, tables at 7 pt, and two figures share an A4 page
#: side bars and legends.
PRINT_SCALE = 0.75
#: The layout width of the printed page in CSS px: A4 less the 12 mm margins of report.css's
#: @page (186 mm = 703 px) divided by the scale. The page is laid out in print media at this
#: width before plotly draws, so every figure is drawn at the width it is printed at.
PRINT_VIEWPORT = {"width": round(186 / 25.4 * 96 / PRINT_SCALE), "height": 1100}

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def find_chromium() -> str | None:
    """Path of a Chromium to print with (``CHROMIUM`` overrides), or None."""
    return (
        chromium_override()
        or shutil.which("chromium")
        or shutil.which("chromium-browser")
        or shutil.which("google-chrome")
    )


def print_pdfs(html_paths: Iterable[Path], timeout: int = 120) -> list[Path]:
    """Print each rendered report to a PDF beside it (written atomically), in one browser.

    Raises RuntimeError when Chromium or Playwright is missing or Chromium does not start, or a
    page's figures do not draw within ``timeout`` seconds (the message names the report). Runs in a thread of its own, so
    it also works where an event loop is running (a notebook, another Playwright session).
    """
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(_print_pdfs, list(html_paths), timeout).result()


def _print_pdfs(html_paths: list[Path], timeout: int) -> list[Path]:
    exe = find_chromium()
    if not exe:
        raise RuntimeError("--pdf needs Chromium: apt-get install chromium (or set CHROMIUM)")
    try:
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import sync_playwright
    except ImportError:
        raise RuntimeError(
            "--pdf needs Playwright: pip install playwright (in the kit's dev extra)"
        ) from None
    done = []
    with sync_playwright() as pw:
        try:
            browser = pw.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
        except PlaywrightError as exc:
            msg = str(exc).splitlines()[0]
            raise RuntimeError(f"Chromium ({exe}) did not start: {msg}") from None
        try:
            ctx = browser.new_context(offline=True, viewport=PRINT_VIEWPORT)
            for html_path in html_paths:
                html_path = Path(html_path).resolve()
                page = ctx.new_page()
                page.emulate_media(media="print")
                try:
                    page.goto(html_path.as_uri(), wait_until="load", timeout=timeout * 1000)
                    page.wait_for_function(FIGURES_DRAWN, timeout=timeout * 1000)
                    page.evaluate("document.fonts.ready.then(() => true)")
                    target = html_path.with_suffix(".pdf")
                    with atomic_path(target) as tmp:
                        page.pdf(
                            path=str(tmp),
                            format="A4",
                            prefer_css_page_size=True,
                            scale=PRINT_SCALE,
                        )
                except PlaywrightError as exc:
                    msg = str(exc).splitlines()[0]
                    raise RuntimeError(f"printing {html_path.name} failed: {msg}") from None
                finally:
                    page.close()
                done.append(target)
        finally:
            browser.close()
    return done


def print_pdf(html_path: Path, timeout: int = 120) -> Path:
    """Print one rendered report to PDF beside it (see :func:`print_pdfs`)."""
    return print_pdfs([html_path], timeout)[0]


def stale_pdfs(folder: Path) -> list[Path]:
    """The PDFs in ``folder`` older than the report page beside them (``08-kalmar-lan.pdf``
    printed before ``08-kalmar-lan.html`` was rendered again). A PDF with no page beside it is
    not the kit's to judge and is left alone."""
    stale = []
    for pdf in sorted(Path(folder).glob("*.pdf")):
        page = pdf.with_suffix(".html")
        if page.exists() and page.stat().st_mtime_ns > pdf.stat().st_mtime_ns:
            stale.append(pdf)
    return stale


def refresh_stale_pdfs(
    folder: Path, timeout: int = 120
) -> tuple[list[Path], list[tuple[Path, str]]]:
    """Re-print every stale PDF of ``folder`` (:func:`stale_pdfs`) from its page, so no PDF
    shows other figures than the report it sits beside. Where it cannot be printed (no
    Chromium or Playwright, or the page fails to print) the stale PDF is removed instead.

    Returns the re-printed PDFs and the removed ones, each with the reason.
    """
    stale = stale_pdfs(folder)
    if not stale:
        return [], []
    try:
        return print_pdfs([p.with_suffix(".html") for p in stale], timeout), []
    except RuntimeError as exc:
        reason = str(exc)
    removed = []
    for pdf in stale_pdfs(folder):  # those printed before the failure are current now
        pdf.unlink(missing_ok=True)
        removed.append((pdf, reason))
    return [p for p in stale if p.exists()], removed
