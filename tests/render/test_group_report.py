"""The programme group report rendered with the others (real papermill, the shared ``rendered``
set): member links, the index's link to it, and its search entry."""

from __future__ import annotations

import re

import pytest

from lansanalys import config, geo
from lansanalys.demo.writers import KFS_KOMMUNER
from lansanalys.render.search import search_entries

from ..conftest import figure_cells
from .test_browser import _open, browser  # noqa: F401 - the module's browser fixture

pytestmark = pytest.mark.render

FILE = "grupp-kommuner-for-serviceutveckling.html"


def test_the_group_report_links_members_whose_reports_are_in_the_set(rendered):
    html = (rendered["out"] / FILE).read_text(encoding="utf-8")
    assert "Kommuner för serviceutveckling 2022–2025 – programuppföljning" in html
    # Every one of the 23 kommuner is in its table.
    for name in KFS_KOMMUNER:
        assert f">{name}<" in html, name
    # Högsby (a member) has its own report in the set; Mörbylånga (a member in Kalmar län) has
    # not, so its län's report is linked instead; Sorsele has neither.
    assert '<a href="0821-hogsby.html">Högsby</a>' in html
    assert '<a href="08-kalmar-lan.html">Kalmar län</a>' in html
    assert not re.search(r'<a href="[^"]*">Mörbylånga</a>', html)
    assert not re.search(r'<a href="[^"]*">Sorsele</a>', html)
    # Every link goes to a report of the set.
    for href in set(re.findall(r'<a href="([^"#]+\.html)"', html)):
        assert (rendered["out"] / href).exists(), href
    # The demo has several service years: openings and closures during the period are shown.
    assert "bara ett års servicepunkter" not in html
    assert "Öppnade under" in html and "Stängda under" in html


def test_the_index_links_the_group_report_and_search_finds_it(rendered, demo_home):
    index = (rendered["out"] / "index.html").read_text(encoding="utf-8")
    assert f'<a href="{FILE}">Kommuner för serviceutveckling 2022–2025</a>' in index
    data = search_entries(config.Paths(demo_home), rendered["out"])
    kinds = data["kinds"]
    groups = [
        (name, data["hrefs"][href])
        for kind, name, _detail, href in data["items"]
        if kinds[kind] == "grupp"
    ]
    assert groups == [("Kommuner för serviceutveckling 2022–2025", FILE)]
    assert geo.group_slug("kommuner-for-serviceutveckling") + ".html" == FILE


@pytest.mark.browser
def test_the_group_report_draws_offline_in_a_browser(browser, rendered):  # noqa: F811
    ctx, page, log = _open(browser, rendered["out"] / FILE)
    page.wait_for_function(
        "document.querySelectorAll('.js-plotly-plot .main-svg').length >= 1", timeout=30_000
    )
    assert page.locator(".js-plotly-plot").count() == figure_cells("grupprapport.ipynb") == 1
    assert page.locator("table").count() >= 5
    left = [u for u in log["requests"] if not u.startswith(("file:", "data:", "blob:"))]
    assert left == [] and log["errors"] == [], (left, log["errors"])
    ctx.close()
