"""The finished HTML in a real headless Chromium with the network off.

Needs Debian's chromium (``apt-get install chromium``). Locally the tests skip when it is absent;
CI sets ``LANSANALYS_REQUIRE_BROWSER=1`` so a missing browser fails instead.
"""

from __future__ import annotations

import os
import shutil

import numpy as np
import pytest

from lansanalys.render.pdf import CHROMIUM_ARGS

from ..conftest import figure_cells

pytestmark = [pytest.mark.browser, pytest.mark.render]


def _chromium() -> str:
    exe = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not exe:
        if os.environ.get("LANSANALYS_REQUIRE_BROWSER"):
            pytest.fail("chromium is required (LANSANALYS_REQUIRE_BROWSER) but not installed")
        pytest.skip("chromium not installed: apt-get install chromium")
    return exe


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    exe = _chromium()
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
        yield b
        b.close()


def _open(browser, path):
    ctx = browser.new_context(offline=True, viewport={"width": 1200, "height": 900})
    page = ctx.new_page()
    log = {"requests": [], "errors": [], "dialogs": []}
    page.on("request", lambda r: log["requests"].append(r.url))
    page.on("console", lambda m: log["errors"].append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: log["errors"].append(str(e)))
    page.on("dialog", lambda d: (log["dialogs"].append(d.message), d.dismiss()))
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    return ctx, page, log


@pytest.mark.parametrize(
    ("name", "notebook"),
    [
        ("08-kalmar-lan", "lansrapport.ipynb"),
        ("09-gotlands-lan", "lansrapport.ipynb"),
        ("0821-hogsby", "kommunrapport.ipynb"),
        ("0880-kalmar", "kommunrapport.ipynb"),
        ("index", "riksoversikt.ipynb"),
    ],
)
def test_every_figure_draws_offline(browser, rendered, name, notebook):
    figures = figure_cells(notebook)
    assert figures >= 3
    ctx, page, log = _open(browser, rendered["out"] / f"{name}.html")
    page.wait_for_function(
        f"document.querySelectorAll('.js-plotly-plot .main-svg').length >= {figures}",
        timeout=30_000,
    )
    assert page.locator(".js-plotly-plot").count() == figures
    # Each graph drew real marks, not an empty frame.
    drawn = page.evaluate("""() => [...document.querySelectorAll('.js-plotly-plot')].map(
        g => g.querySelectorAll('path, rect, image').length)""")
    assert all(n > 10 for n in drawn), drawn
    left = [u for u in log["requests"] if not u.startswith(("file:", "data:", "blob:"))]
    assert left == [], left
    assert log["errors"] == [] and log["dialogs"] == []
    ctx.close()


def test_hostile_name_is_text_not_markup(browser, rendered):
    ctx, page, log = _open(browser, rendered["out"] / "08-kalmar-lan.html")
    page.wait_for_timeout(500)
    assert page.evaluate("document.querySelectorAll('img[src=\"x\"]').length") == 0
    assert log["dialogs"] == []
    ctx.close()


def test_index_links_resolve(browser, rendered):
    ctx, page, _ = _open(browser, rendered["out"] / "index.html")
    hrefs = page.evaluate("[...document.querySelectorAll('table a')].map(a => a.href)")
    assert len(hrefs) == 21
    for href in hrefs:
        if "08-kalmar-lan" in href or "09-gotlands-lan" in href:
            page2 = ctx.new_page()
            page2.goto(href)
            assert "nutid och framtid" in page2.title() or page2.locator("h1").count() == 1
            page2.close()
    ctx.close()


def _bundle() -> list:
    from pathlib import Path

    folder = os.environ.get("LANSANALYS_CHECK_BUNDLE")
    return sorted(Path(folder).resolve().glob("*.html")) if folder else []


@pytest.mark.skipif(
    not os.environ.get("LANSANALYS_CHECK_BUNDLE"),
    reason="set LANSANALYS_CHECK_BUNDLE=reports to check a rendered bundle",
)
@pytest.mark.parametrize("path", _bundle(), ids=lambda p: p.name)
def test_bundle_report_draws_offline(browser, path):
    """Every report of a rendered bundle: all figures drawn, nothing fetched, no errors."""
    expected = path.read_text(encoding="utf-8").count("Plotly.newPlot")
    ctx, page, log = _open(browser, path)
    page.wait_for_function(
        f"document.querySelectorAll('.js-plotly-plot .main-svg').length >= {expected}",
        timeout=60_000,
    )
    assert page.locator(".js-plotly-plot").count() == expected
    assert [u for u in log["requests"] if not u.startswith(("file:", "data:", "blob:"))] == []
    assert log["errors"] == [] and log["dialogs"] == []
    ctx.close()


def _pgm(path) -> np.ndarray:
    data = path.read_bytes()
    # P5 <w> <h> <max>\n<bytes>
    parts = data.split(maxsplit=4)
    w, h = int(parts[1]), int(parts[2])
    return np.frombuffer(parts[4][-w * h :], dtype=np.uint8).reshape(h, w)


def test_pdf_pages_carry_the_report(rendered_copy, tmp_path):
    import subprocess

    from lansanalys.render import print_pdf

    _chromium()
    if not shutil.which("pdftoppm"):
        if os.environ.get("LANSANALYS_REQUIRE_BROWSER"):
            pytest.fail("pdftoppm (poppler-utils) is required in CI")
        pytest.skip("pdftoppm not installed: apt-get install poppler-utils")
    pdf = print_pdf(rendered_copy["out"] / "08-kalmar-lan.html")  # writes the PDF beside it
    assert pdf.read_bytes()[:5] == b"%PDF-"
    text = subprocess.run(
        ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Kalmar län – nutid och framtid" in text and "Om data och metod" in text
    assert "EXEMPELDATA" in text
    subprocess.run(["pdftoppm", "-r", "30", "-gray", str(pdf), str(tmp_path / "p")], check=True)
    pages = sorted(tmp_path.glob("p-*.pgm"))
    assert len(pages) >= 6
    ink = [float((_pgm(p) < 200).mean()) for p in pages]
    assert sum(i > 0.02 for i in ink) >= len(pages) - 2, ink  # pages carry text and figures
    # Figures are drawn, not blank frames: the page with the pyramid has lots of ink.
    assert max(ink) > 0.15, ink


def _axe() -> str:
    from pathlib import Path

    path = (
        Path(os.environ.get("AXE_CORE_JS", ""))
        if os.environ.get("AXE_CORE_JS")
        else (Path(__file__).resolve().parents[2] / ".cache/axe/node_modules/axe-core/axe.min.js")
    )
    if not path.exists():
        if os.environ.get("LANSANALYS_REQUIRE_BROWSER"):
            pytest.fail(f"axe-core not found at {path} (.ci/run installs it with npm)")
        pytest.skip("axe-core not installed: npm install --prefix .cache/axe axe-core@4")
    return str(path)


@pytest.mark.parametrize("name", ["08-kalmar-lan", "0821-hogsby", "index"])
def test_accessibility_scan_has_no_serious_violations(browser, rendered, name):
    axe = _axe()
    ctx, page, _ = _open(browser, rendered["out"] / f"{name}.html")
    page.wait_for_function("document.querySelectorAll('.js-plotly-plot .main-svg').length > 0")
    page.add_script_tag(path=axe)
    result = page.evaluate(
        "async () => await axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'best-practice']})"
    )
    serious = [
        (v["id"], v["impact"], len(v["nodes"]), v["nodes"][0]["target"])
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert serious == [], serious
    assert result["passes"], "axe ran no checks"
    ctx.close()


def test_self_contained_report_needs_no_other_file(browser, rendered, tmp_path):
    from lansanalys import render

    out = tmp_path / "mail"
    outcomes = render.render(
        render.default_jobs(["09"], index=False), out=out, self_contained=True, progress=False
    )
    assert [o.status for o in outcomes] == ["rendered"]
    single = tmp_path / "alone.html"
    (out / "09-gotlands-lan.html").rename(single)  # nothing beside it: no assets/ folder
    text = single.read_text(encoding="utf-8")
    assert 'src="assets/plotly.min.js"' not in text and single.stat().st_size > 3_000_000
    ctx, page, log = _open(browser, single)
    page.wait_for_function(
        "document.querySelectorAll('.js-plotly-plot .main-svg').length >= 9", timeout=30_000
    )
    assert [u for u in log["requests"] if not u.startswith(("file:", "data:", "blob:"))] == []
    assert log["errors"] == []
    ctx.close()


def test_zipped_bundle_works_elsewhere(browser, rendered, tmp_path):
    import shutil as sh

    archive = sh.make_archive(str(tmp_path / "rapporter"), "zip", rendered["out"])
    target = tmp_path / "other-machine"
    sh.unpack_archive(archive, target)
    ctx, page, log = _open(browser, target / "index.html")
    page.click("a[href='08-kalmar-lan.html']")
    page.wait_for_url("**/08-kalmar-lan.html")
    page.wait_for_function(
        "document.querySelectorAll('.js-plotly-plot .main-svg').length >= 9", timeout=30_000
    )
    page.click("a[href='0821-hogsby.html']")  # Kommunerna links the rendered deep dive
    page.wait_for_url("**/0821-hogsby.html")
    assert page.locator("h1").first.inner_text().startswith("Högsby")
    assert [u for u in log["requests"] if not u.startswith(("file:", "data:", "blob:"))] == []
    ctx.close()


def test_pdf_waits_for_the_figures_and_names_a_page_whose_figures_never_draw(tmp_path):
    """No time budget: a page is printed when its figures have drawn, or refused by name."""
    from lansanalys.render import print_pdf

    _chromium()
    page = tmp_path / "tom.html"
    page.write_text(
        '<!doctype html><html><body><h1>Rapport</h1><figure class="la-figure">'
        "<div>ingen plotly här</div></figure></body></html>",
        encoding="utf-8",
    )
    with pytest.raises(RuntimeError, match="printing tom.html failed"):
        print_pdf(page, timeout=3)
    assert not page.with_suffix(".pdf").exists()  # nothing half-written


@pytest.mark.parametrize("name", ["08-kalmar-lan", "0821-hogsby", "index"])
def test_pages_fit_1280_px_and_maps_use_their_width(browser, rendered, name):
    """At 1 280 px nothing scrolls sideways (page, tables, figures), and a figure with a map
    puts its plots over most of its width (a tall map alone would leave two thirds empty)."""
    ctx = browser.new_context(offline=True, viewport={"width": 1280, "height": 900})
    page = ctx.new_page()
    page.goto((rendered["out"] / f"{name}.html").as_uri())
    page.wait_for_function(
        "document.querySelectorAll('.js-plotly-plot .main-svg').length >= 3", timeout=30_000
    )
    res = page.evaluate("""() => ({
        doc: document.documentElement.scrollWidth,
        wide: [...document.querySelectorAll('.la-table, .la-figure, table, .js-plotly-plot')]
            .filter(e => e.scrollWidth > e.clientWidth + 1)
            .map(e => (e.querySelector('caption') || e).textContent.slice(0, 80)),
        maps: [...document.querySelectorAll('.js-plotly-plot')]
            .filter(g => g.querySelector('.xy2, .subplot.x2y2') || g.textContent.includes(' km'))
            .filter(g => g.querySelectorAll('.cartesianlayer .subplot').length > 1)
            .map(g => {
                const fig = g.getBoundingClientRect();
                const boxes = [...g.querySelectorAll('.cartesianlayer .subplot .bglayer, '
                    + '.cartesianlayer .subplot')].map(s => s.getBoundingClientRect())
                    .filter(b => b.width > 0);
                const lo = Math.min(...boxes.map(b => b.left)), hi = Math.max(...boxes.map(b => b.right));
                return (hi - lo) / fig.width;
            }),
    })""")
    assert res["doc"] <= 1280, res
    assert res["wide"] == [], res["wide"]
    if name in ("08-kalmar-lan", "index"):
        assert res["maps"], "no map with bars beside it"
        assert min(res["maps"]) > 0.7, res["maps"]
    ctx.close()


#: Everything a reader must see that lies outside its box: the page wider than the window, a
#: figure's SVG wider than its figure, a text of a figure (title, source, labels) outside the
#: figure (plotly does not wrap, and clips at the SVG edge), a table cell outside its table box.
CLIPPED = """() => {
  const out = [];
  const doc = document.documentElement;
  if (doc.scrollWidth > doc.clientWidth + 1) out.push(['page', doc.scrollWidth, doc.clientWidth]);
  document.querySelectorAll('figure.la-figure').forEach((f, i) => {
    const box = f.getBoundingClientRect();
    const svg = f.querySelector('.main-svg').getBoundingClientRect();
    if (svg.right > box.right + 1) out.push(['svg', i, svg.right, box.right]);
    f.querySelectorAll('svg text').forEach(t => {
      const r = t.getBoundingClientRect();
      if (r.width && (r.right > Math.min(box.right, svg.right) + 1 || r.left < Math.max(box.left, svg.left) - 1))
        out.push(['text', i, t.textContent.slice(0, 60), r.left, r.right, box.right]);
    });
  });
  // Axis labels side by side must not run into each other (tilted ones are drawn apart).
  document.querySelectorAll('figure.la-figure').forEach((f, i) => {
    f.querySelectorAll('.xaxislayer-above, .xaxislayer-below').forEach(layer => {
      const ticks = [...layer.querySelectorAll('.xtick text')]
        .filter(t => !(t.getAttribute('transform') || '').includes('rotate'))
        .map(t => [t.textContent, t.getBoundingClientRect()]).filter(([, r]) => r.width);
      ticks.forEach(([a, ra], j) => ticks.slice(j + 1).forEach(([b, rb]) => {
        if (ra.left < rb.right - 1 && rb.left < ra.right - 1 && ra.top < rb.bottom - 1
            && rb.top < ra.bottom - 1) out.push(['ticks', i, a, b]);
      }));
    });
  });
  document.querySelectorAll('figure.la-table').forEach((f, i) => {
    const box = f.getBoundingClientRect();
    f.querySelectorAll('th, td, caption').forEach(c => {
      const r = c.getBoundingClientRect();
      if (r.width && r.right > box.right + 1) out.push(['table', i, c.textContent.slice(0, 60)]);
    });
  });
  return out;
}"""


@pytest.mark.parametrize("media", ["screen", "print"])
@pytest.mark.parametrize("name", ["08-kalmar-lan", "0821-hogsby", "index"])
def test_nothing_is_cut_off_on_screen_or_on_the_printed_page(browser, rendered, name, media):
    """At 1 280 px and in the layout the PDF is printed from (A4, see render.pdf), every figure
    text (titles, source notes, side-bar labels) and every table cell lies inside its box."""
    from lansanalys.render import pdf

    viewport = pdf.PRINT_VIEWPORT if media == "print" else {"width": 1280, "height": 900}
    ctx = browser.new_context(offline=True, viewport=viewport)
    page = ctx.new_page()
    page.emulate_media(media=media)
    page.goto((rendered["out"] / f"{name}.html").as_uri())
    page.wait_for_function(pdf.FIGURES_DRAWN, timeout=30_000)
    assert page.evaluate("document.querySelectorAll('figure.la-figure').length") >= 3
    assert page.evaluate(CLIPPED) == []
    # Text columns left-aligned, numbers right-aligned (not JupyterLab's right-align-all).
    align = page.evaluate("""() => [...document.querySelectorAll('figure.la-table td')]
        .map(c => [c.classList.contains('num'), getComputedStyle(c).textAlign])""")
    assert align and {a for num, a in align if num} == {"right"}, align
    assert {a for num, a in align if not num} <= {"left", "start"}, align
    ctx.close()


def test_any_store_of_the_lan_can_be_chosen_in_the_page_offline(browser, rendered, demo_home):
    """Every grocery point of the län is in the chooser; choosing one shows its own closure
    figures from the build's table (offline, no request), starting with the most critical."""
    from lansanalys import catalogue, config, fmt, geo

    c = catalogue.read(
        config.Paths(demo_home),
        "closure",
        filters=[("lan_kod", "==", "08"), ("service_type", "==", "dagligvaror")],
    )
    names = geo.kommuner().set_index("kommun_kod")["kommun"]
    c = c.assign(key=[f"{n} ({names[k]})" for n, k in zip(c["name"], c["kommun_kod"], strict=True)])
    ctx, page, log = _open(browser, rendered["out"] / "08-kalmar-lan.html")
    select = page.locator("select#la-chooser-dagligvaror")
    options = select.locator("option").evaluate_all(
        "os => os.map(o => [o.value, o.textContent, o.selected])"
    )
    assert len(options) == len(c) > 20
    out = page.locator(".la-chooser-out")
    worst = c.sort_values(["pushed_beyond", "served", "point_id"], ascending=[False, False, True])
    worst = worst.iloc[0]
    assert [o[1] for o in options if o[2]] == [worst["key"]]
    assert f"får {fmt.number(worst['pushed_beyond'])} invånare mer än 10 km" in out.inner_text()
    unique = c.drop_duplicates("key", keep=False).set_index("key")
    picks = [o for o in options if o[1] in unique.index]
    # A point nobody depends on alone, one that matters, and the last in the list.
    chosen = [
        next(o for o in picks if unique.at[o[1], "pushed_beyond"] == 0),
        next(o for o in picks if 0 < unique.at[o[1], "pushed_beyond"] < worst["pushed_beyond"]),
        picks[-1],
    ]
    pts = catalogue.read(config.Paths(demo_home), "service").set_index("point_id")
    ring = """() => { const plots = [...document.querySelectorAll('figure.la-figure')]
        .filter(f => f.compareDocumentPosition(document.querySelector('.la-chooser'))
                     & Node.DOCUMENT_POSITION_FOLLOWING);
        const gd = plots[plots.length - 1].querySelector('.js-plotly-plot');
        const t = gd._fullData.find(t => t.name === 'Vald punkt');
        return [t.x[0], t.y[0]]; }"""
    at = pts.loc[worst["point_id"]]
    assert page.evaluate(ring) == [at["x"], at["y"]]  # the map rings the most critical first
    for value, key, _ in chosen:
        select.select_option(value)
        at = pts.loc[unique.at[key, "point_id"]]
        assert page.evaluate(ring) == [at["x"], at["y"]]  # and then the chosen one
        text = out.inner_text()
        assert text.startswith(f"Om {key.split(' (')[0]} (")
        assert f"får {fmt.number(unique.at[key, 'pushed_beyond'])} invånare" in text, text
        assert f"{fmt.number(unique.at[key, 'served'])} invånare har den som närmaste" in text
    assert not [u for u in log["requests"] if not u.startswith("file:")], log["requests"]
    assert log["errors"] == []
    ctx.close()


#: Texts a reader must tell apart in each figure: names on maps and scatters (plotly's text
#: points) and annotations (values beside bars, the scale bar, the source note), against each
#: other and against dashed reference lines.
OVERLAPS = """() => {
  const out = [];
  const hit = (a, b) => a.left < b.right - 1 && b.left < a.right - 1
    && a.top < b.bottom - 1 && b.top < a.bottom - 1;
  document.querySelectorAll('figure.la-figure').forEach((f, i) => {
    const texts = [...f.querySelectorAll('.scatterlayer .textpoint text, .annotation-text')]
      .filter(t => t.textContent.trim())
      .map(t => [t.textContent, t.getBoundingClientRect()]).filter(([, r]) => r.width);
    texts.forEach(([a, ra], j) => texts.slice(j + 1).forEach(([b, rb]) => {
      if (hit(ra, rb)) out.push(['text', i, a, b]);
    }));
    const dashed = [...f.querySelectorAll('.shapelayer path')]
      .filter(p => !['', 'none'].includes(getComputedStyle(p).strokeDasharray))
      .map(p => p.getBoundingClientRect())
      .map(r => ({left: r.left - 1, right: r.right + 1, top: r.top, bottom: r.bottom}));
    texts.forEach(([a, ra]) => dashed.forEach(rd => {
      if (hit(ra, rd)) out.push(['dash', i, a]);
    }));
    texts.length && out.push(['n', i, texts.length]);
  });
  return out;
}"""

#: Every tick label of every axis and colour bar: its text and whether it is tilted.
TICKS = """() => [...document.querySelectorAll('figure.la-figure')].flatMap((f, i) =>
  [...f.querySelectorAll('.xtick text, .ytick text')].map(t => [i, t.textContent,
    (t.getAttribute('transform') || '').includes('rotate')]))"""


def _numeric_tick_problem(text: str) -> str | None:
    """Why a number on an axis is not Swedish ("1000", "2 015", "1k"), or None."""
    import re

    s = text.replace("−", "-").replace("\u202f", " ").replace("\xa0", " ").strip()
    s = re.sub(r"\s*(%|kr|km|min|år)$", "", s)
    if re.fullmatch(r"-?\d+(,\d+)?[kMG]", s):
        return "SI suffix"
    if re.fullmatch(r"-?\d{5,}(,\d+)?", s):
        return "no thousands separator"
    if re.fullmatch(r"-?\d{4}(,\d+)?", s):
        value = int(s.split(",")[0])
        if not 1900 <= abs(value) <= 2100 or "," in s:  # a year reads "2024"
            return "no thousands separator"
    if re.fullmatch(r"(1 9|2 0)\d\d", s) and int(s.replace(" ", "")) % 100:
        return "a year with a thousands separator"
    return None


@pytest.mark.parametrize("name", ["08-kalmar-lan", "0821-hogsby", "index"])
def test_no_names_or_values_overlap_and_numbers_read_swedish(browser, rendered, name):
    """In a real browser at 1 280 px, and as printed (where maps and charts are drawn lower):
    no name on a map or scatter, bar value or note lands on another or on a dashed reference
    line; every number on an axis has Swedish thousands ("1 000", a year "2024") and stands
    upright; the pyramid names both reference lines."""
    from lansanalys.render import pdf

    for viewport, media in (
        ({"width": 1280, "height": 900}, "screen"),
        (pdf.PRINT_VIEWPORT, "screen"),
        (pdf.PRINT_VIEWPORT, "print"),
    ):
        ctx = browser.new_context(offline=True, viewport=viewport)
        page = ctx.new_page()
        page.emulate_media(media=media)
        page.goto((rendered["out"] / f"{name}.html").as_uri())
        page.wait_for_function(pdf.FIGURES_DRAWN, timeout=30_000)
        found = page.evaluate(OVERLAPS)
        assert [o for o in found if o[0] != "n"] == [], (viewport, media, found)
        # The check saw names: at least one figure with text points or annotations per page.
        assert sum(o[2] for o in found if o[0] == "n") > 5
        ticks = page.evaluate(TICKS)
        bad = [(i, t, _numeric_tick_problem(t)) for i, t, _ in ticks if _numeric_tick_problem(t)]
        assert bad == [], bad
        tilted = [t for _, t, rot in ticks if rot and _looks_numeric(t)]
        assert tilted == [], tilted
        legends = page.evaluate("""() => [...document.querySelectorAll('figure.la-figure')]
            .map(f => [...f.querySelectorAll('.legendtext')].map(t => t.textContent))""")
        pyramids = [lg for lg in legends if any(t.endswith(", män") for t in lg)]
        if name != "index":
            assert pyramids, legends
        for lg in pyramids:
            refs = [t for t in lg if t.endswith((", män", ", kvinnor"))]
            assert len(refs) == 4 and len({t.rsplit(", ", 1)[0] for t in refs}) == 2, lg
        ctx.close()


def _looks_numeric(text: str) -> bool:
    import re

    return bool(re.fullmatch(r"[−\-+]?[\d  ]+(,\d+)?( ?%)?", text.strip()))


def test_the_tick_rule_catches_what_it_should():
    assert _numeric_tick_problem("1000") and _numeric_tick_problem("12500")
    assert _numeric_tick_problem("2 015") and _numeric_tick_problem("10k")
    assert not _numeric_tick_problem("1 000") and not _numeric_tick_problem("2024")
    assert not _numeric_tick_problem("2 000") and not _numeric_tick_problem("−1 000")
    assert not _numeric_tick_problem("12,5 %") and not _numeric_tick_problem("0")
