"""The search box of the report set: real Chromium, network off, on the rendered demo bundle.

The bundle (``rendered``) holds Kalmar län (08), Gotland (09), Högsby (0821), Kalmar (0880) and
the index; a store named ``MALICIOUS_NAME`` lies in Högsby.
"""

from __future__ import annotations

import json
import shutil
from urllib.parse import unquote

import pandas as pd
import pytest

from lansanalys.render.search import SEARCH_INDEX, search_entries

from ..conftest import MALICIOUS_NAME
from .test_browser import _open, browser  # noqa: F401 - the module's browser fixture

pytestmark = [pytest.mark.browser, pytest.mark.render]


def _search(page, query: str) -> list[dict]:
    page.fill("#la-search-input", query)
    page.wait_for_function("document.querySelector('.la-search-status').textContent !== ''")
    return page.evaluate(
        """() => [...document.querySelectorAll('.la-search-results li')].map(li => ({
             kind: li.querySelector('.la-search-kind').textContent,
             name: li.querySelector('a').textContent,
             href: li.querySelector('a').getAttribute('href'),
             detail: li.querySelector('.la-search-detail').textContent}))"""
    )


def _target_exists(root, href: str) -> bool:
    """The file exists and, when the link has a section, the file has an element with that id."""
    file, _, anchor = href.partition("#")
    text = (root / file).read_text(encoding="utf-8")
    return (root / file).exists() and (not anchor or f'id="{anchor}"' in text)


def test_entries_link_to_the_most_specific_report_and_its_section(rendered, demo_home):
    from lansanalys.config import Paths

    data = search_entries(Paths(demo_home), rendered["out"])
    kinds = data["kinds"]
    by_name: dict[tuple[str, str], list[str]] = {}
    for kind, name, _detail, href in data["items"]:
        by_name.setdefault((kinds[kind], name), []).append(data["hrefs"][href])
    # A kommun with its own report links there; one without links to its län's kommun table.
    assert by_name[("kommun", "Högsby")] == ["0821-hogsby.html"]
    # The kommun code is searchable too: "0821" finds Högsby.
    details = {name: detail for kind, name, detail, _ in data["items"] if kinds[kind] == "kommun"}
    assert "0821" in details["Högsby"]
    nybro = by_name[("kommun", "Nybro")][0]
    assert nybro.startswith("08-kalmar-lan.html#") and "Kommunerna" in nybro
    # Areas whose report is not in the set are not offered at all.
    assert ("kommun", "Danderyd") not in by_name and ("län", "Stockholms län") not in by_name
    # Every service point of a rendered kommun links to that kommun's access section (names
    # repeat across kommuner, so each entry is told apart by the kommun in its detail).
    svc = pd.read_parquet(demo_home / "data" / "processed" / "service.parquet")
    hogsby = svc.loc[svc["kommun_kod"] == "0821", "name"]
    points = {
        (name, data["hrefs"][href])
        for kind, name, detail, href in data["items"]
        if kinds[kind] == "servicepunkt" and detail.endswith(" · Högsby")
    }
    assert {n for n, _ in points} == set(hogsby)
    # Grocery stores open the report's chooser under "Sårbara punkter" on the store itself
    # (``#punkt-<id>``, the id of its option); other points open the access section.
    grocery = svc.loc[(svc["kommun_kod"] == "0821") & (svc["service_type"] == "dagligvaror")]
    chosen = {
        data["items"][int(i)][1]: pid
        for i, pid in data["points"].items()
        if data["items"][int(i)][2].endswith(" · Högsby")
    }
    assert chosen == dict(zip(grocery["name"], grocery["point_id"], strict=True))
    for name, href in points:
        section = "Sårbara punkter" if name in chosen else "Service och"
        assert unquote(href).startswith("0821-hogsby.html#" + section.replace(" ", "-"))
    for pid in chosen.values():
        assert _target_exists(rendered["out"], f"0821-hogsby.html#punkt-{pid}")
    for hs in by_name.values():
        assert all(_target_exists(rendered["out"], h) for h in hs)


def test_search_finds_kommun_village_and_store_and_opens_the_section(browser, rendered):  # noqa: F811
    ctx, page, log = _open(browser, rendered["out"] / "index.html")
    hits = _search(page, "hogsby")  # without the diacritic, as people type
    assert hits[0] == {
        "kind": "kommun",
        "name": "Högsby",
        "href": "0821-hogsby.html",
        "detail": "0821 · Kalmar län",
    }
    assert any(h["kind"] == "servicepunkt" for h in hits)
    village = _search(page, "Nybro")
    assert [h["kind"] for h in village][:2] == ["kommun", "ort"]
    href = village[1]["href"]
    assert href.startswith("08-kalmar-lan.html#")
    page.click(f".la-search-results a[href='{href}']")
    page.wait_for_url("**/08-kalmar-lan.html#*")
    anchor = href.split("#", 1)[1]
    assert page.evaluate(f"document.getElementById({json.dumps(anchor)}) !== null")
    assert page.evaluate("window.scrollY") > 0  # the section, not the top of the report
    assert _search_none(browser, rendered) == "Inga träffar."
    assert [u for u in log["requests"] if not u.startswith(("file:", "data:", "blob:"))] == []
    assert log["errors"] == []
    ctx.close()


def test_a_store_hit_opens_the_chooser_on_that_store(browser, rendered, demo_home):  # noqa: F811
    svc = pd.read_parquet(demo_home / "data" / "processed" / "service.parquet")
    grocery = svc[(svc["kommun_kod"] == "0821") & (svc["service_type"] == "dagligvaror")]
    store = grocery[grocery["name"] != MALICIOUS_NAME].iloc[-1]
    ctx, page, log = _open(browser, rendered["out"] / "index.html")
    hits = _search(page, f"{store['name']} Högsby")
    href = next(h["href"] for h in hits if h["kind"] == "servicepunkt")
    assert href == f"0821-hogsby.html#punkt-{store['point_id']}"
    page.click(f".la-search-results a[href='{href}']")
    page.wait_for_url("**/0821-hogsby.html#punkt-*")
    page.wait_for_load_state("load")
    chooser = page.locator(".la-chooser").first
    assert chooser.locator("option:checked").get_attribute("id") == f"punkt-{store['point_id']}"
    assert store["name"] in chooser.locator(".la-chooser-out").inner_text()
    assert page.evaluate("window.scrollY") > 0  # the chooser, not the top of the report
    assert log["errors"] == []
    ctx.close()


def _search_none(browser, rendered) -> str:  # noqa: F811
    ctx, page, _ = _open(browser, rendered["out"] / "index.html")
    _search(page, "Danderyd")  # a kommun whose report is not in the set
    text = page.inner_text(".la-search-status")
    ctx.close()
    return text


def test_hostile_store_name_is_found_as_text(browser, rendered):  # noqa: F811
    ctx, page, log = _open(browser, rendered["out"] / "index.html")
    hits = _search(page, "onerror")
    assert [h["name"] for h in hits] == [MALICIOUS_NAME]
    assert page.evaluate("document.querySelectorAll('img[src=\"x\"]').length") == 0
    assert log["dialogs"] == []
    ctx.close()


def test_search_works_from_a_zipped_bundle_opened_elsewhere(browser, rendered, tmp_path):  # noqa: F811
    archive = shutil.make_archive(str(tmp_path / "rapporter"), "zip", rendered["out"])
    target = tmp_path / "other-machine"
    shutil.unpack_archive(archive, target)
    assert (target / SEARCH_INDEX).exists()
    ctx, page, log = _open(browser, target / "index.html")
    hits = _search(page, "Kalmar")
    assert hits[0]["href"] == "0880-kalmar.html"
    page.click(".la-search-results a[href='0880-kalmar.html']")
    page.wait_for_url("**/0880-kalmar.html")
    assert page.locator("h1").first.inner_text().startswith("Kalmar")
    assert [u for u in log["requests"] if not u.startswith(("file:", "data:", "blob:"))] == []
    ctx.close()
