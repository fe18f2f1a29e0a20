"""Real notebooks through the real renderer: papermill, then nbconvert HTML."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from lansanalys import render

from ..conftest import MALICIOUS_NAME, figure_cells

pytestmark = pytest.mark.render


def _executed(rendered: dict, name: str) -> nbformat.NotebookNode:
    return nbformat.read(rendered["out"] / "_executed" / f"{name}.ipynb", as_version=4)


def test_every_report_rendered(rendered):
    status = {o.job.output: o.status for o in rendered["outcomes"]}
    assert status == {
        "08-kalmar-lan.html": "rendered",
        "09-gotlands-lan.html": "rendered",
        "0821-hogsby.html": "rendered",
        "0880-kalmar.html": "rendered",
        "grupp-kommuner-for-serviceutveckling.html": "rendered",
        "index.html": "rendered",
    }, render.summary(rendered["outcomes"])
    assert (rendered["out"] / "assets" / "plotly.min.js").stat().st_size > 1_000_000


@pytest.mark.parametrize(
    "name",
    [
        "08-kalmar-lan",
        "09-gotlands-lan",
        "0821-hogsby",
        "0880-kalmar",
        "grupp-kommuner-for-serviceutveckling",
        "index",
    ],
)
def test_executed_notebooks_have_no_errors_or_warnings(rendered, name):
    nb = _executed(rendered, name)
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            assert out["output_type"] != "error", out
            assert not (out["output_type"] == "stream" and out["name"] == "stderr"), out["text"]


@pytest.mark.parametrize(
    "name",
    [
        "08-kalmar-lan",
        "09-gotlands-lan",
        "0821-hogsby",
        "0880-kalmar",
        "grupp-kommuner-for-serviceutveckling",
        "index",
    ],
)
def test_html_has_no_code_and_no_parameters(rendered, name):
    html = (rendered["out"] / f"{name}.html").read_text(encoding="utf-8")
    assert "hl-ipython3" not in html and 'class="jp-InputPrompt' not in html
    assert "import lansanalys" not in html
    assert "injected-parameters" not in html and 'lan_kod = "' not in html
    assert '<html lang="sv">' in html
    # Nothing fetched from the network: no CDN scripts, plotly.js from assets/.
    assert "cdnjs" not in html and "cdn.plot.ly" not in html and "require.min.js" not in html
    assert 'src="assets/plotly.min.js"' in html


def test_report_content_is_swedish_and_sourced(rendered):
    html = (rendered["out"] / "08-kalmar-lan.html").read_text(encoding="utf-8")
    assert "Kalmar län – nutid och framtid" in html
    assert "EXEMPELDATA" in html and "Om data och metod" in html
    nb = _executed(rendered, "08-kalmar-lan")
    n_figs = sum(
        "Plotly.newPlot" in o.get("data", {}).get("text/html", "")
        for c in nb.cells
        for o in c.get("outputs", [])
    )
    assert n_figs == html.count("Plotly.newPlot") == figure_cells("lansrapport.ipynb") >= 12
    # Every figure states its source and year.
    for c in nb.cells:
        for o in c.get("outputs", []):
            text = o.get("data", {}).get("text/html", "")
            if "Plotly.newPlot" in text:
                # plotly's JSON writes "ä" as \u00e4
                assert re.search(r"K(ä|\\u00e4)lla: .*20\d\d", text), text[:300]


def test_access_definition_is_stated_and_unreachable_shown(rendered):
    from lansanalys.analysis import access

    lan = (rendered["out"] / "08-kalmar-lan.html").read_text(encoding="utf-8")
    kom = (rendered["out"] / "0821-hogsby.html").read_text(encoding="utf-8")
    for html in (lan, kom):
        assert access.BEYOND_DEFINITION in html  # under Om data och metod
        # Shown as a column where anyone lacks a road link, else said in one sentence.
        assert "Ej nåbar via väg" in html
        assert "Medelavstånd för nåbara" in html or "för dem som når servicen" in html
        # The vulnerability measures the reports show are defined under Om data och metod.
        assert "Näst närmaste &gt; 10 km" in html
        assert "Sårbarhet</strong>: för varje befolkad ruta söks både närmaste och näst" in html
    assert "länet och kommunerna jämförs med rikets gräns" in lan


def test_hostile_store_name_is_escaped(rendered):
    html = (rendered["out"] / "08-kalmar-lan.html").read_text(encoding="utf-8")
    assert MALICIOUS_NAME not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_index_links_every_lan(rendered):
    from lansanalys import geo

    html = (rendered["out"] / "index.html").read_text(encoding="utf-8")
    for slug in geo.lan()["slug"]:
        assert f'href="{slug}.html"' in html


def test_unchanged_rerun_is_skipped_and_force_renders(rendered_copy):
    out = rendered_copy["out"]
    again = render.render(render.default_jobs(["08"], index=False), out=out, progress=False)
    assert [o.status for o in again] == ["skipped"]
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    entry = manifest["reports"]["08-kalmar-lan.html"]
    assert entry["parameters"] == {"lan_kod": "08"} and entry["status"] == "rendered"
    assert entry["peak_rss_mb"] > 50


def test_failing_report_keeps_previous_html_and_batch_goes_on(rendered_copy):
    out = rendered_copy["out"]
    before = (out / "09-gotlands-lan.html").read_bytes()
    bad = render.Job("lansrapport.ipynb", {"lan_kod": "99"}, "09-gotlands-lan.html", "x")
    good = render.Job("lansrapport.ipynb", {"lan_kod": "08"}, "08-copy.html", "Kalmar")
    outcomes = render.render([bad, good], out=out, workers=2, force=True, progress=False)
    status = {o.job.output: o for o in outcomes}
    assert status["09-gotlands-lan.html"].status == "failed"
    assert "unknown län code '99'" in status["09-gotlands-lan.html"].error
    assert status["08-copy.html"].status == "rendered"
    assert (out / "09-gotlands-lan.html").read_bytes() == before
    assert list((out / "downloads" / "09-gotlands-lan").glob("*.csv"))  # its downloads kept
    assert "FAILED 09-gotlands-lan.html" in render.summary(outcomes)
    (out / "08-copy.html").unlink()


def _cli(*args: str, env_home: Path) -> subprocess.CompletedProcess:
    import os

    env = {**os.environ, "LANSANALYS_HOME": str(env_home)}
    exe = Path(sys.executable).parent / "lansanalys"
    return subprocess.run([str(exe), *args], capture_output=True, text=True, env=env, timeout=120)


@pytest.mark.parametrize("bad", ["8", "../../x", "08; rm -rf"])
def test_cli_refuses_bad_lan_code_in_one_line(demo_home, bad):
    r = _cli("render", "--lan", bad, env_home=demo_home)
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "unknown län code" in lines[0]


def test_cli_missing_processed_data(tmp_path):
    r = _cli("render", "--lan", "08", "--out", str(tmp_path / "r"), env_home=tmp_path)
    assert r.returncode == 1
    assert "meta.json is missing" in r.stderr and "lansanalys build" in r.stderr


def test_kommun_report_links_back_and_names_villages(rendered):
    html = (rendered["out"] / "0821-hogsby.html").read_text(encoding="utf-8")
    assert "Högsby – kommunprofil" in html
    assert 'href="08-kalmar-lan.html"' in html and 'href="index.html"' in html
    assert html.count("Plotly.newPlot") == figure_cells("kommunrapport.ipynb") >= 4


def test_editorial_text_is_placed_and_escaped(tmp_path):
    from lansanalys import config
    from lansanalys.report.blocks import editorial

    p = config.Paths(tmp_path)
    (p.raw / "kommentarer").mkdir(parents=True)
    (p.raw / "kommentarer" / "08.md").write_text(
        "Regionens inledning.\n<!-- kapitel: service -->\nButiken i **Fliseryd** "
        "<script>alert(1)</script> stängde 2024.\n",
        encoding="utf-8",
    )
    assert "Regionens inledning." in editorial(p, "08", "sammanfattning").data
    text = editorial(p, "08", "service").data
    assert "**Fliseryd**" in text and "&lt;script&gt;" in text and "<script>" not in text
    assert editorial(p, "08", "stod").data == ""
    assert editorial(p, "10", "service").data == ""


def test_downloads_next_to_each_figure_and_table(rendered):
    import openpyxl
    import pandas as pd

    out = rendered["out"]
    html = (out / "08-kalmar-lan.html").read_text(encoding="utf-8")
    hrefs = re.findall(r'href="(downloads/08-kalmar-lan/[^"]+)"', html)
    csvs = [h for h in hrefs if h.endswith(".csv")]
    # Every figure; tables: age groups, projection, orter, access (one per service type; the
    # demo has all seven), vulnerable stores, second-nearest, closure scenario, cash rule,
    # support, kommunerna, by place type, by kommuntyp, support by kommuntyp, the data behind
    # the report and its files; the change since the first service year (the demo has four):
    # the change table, the cash table, openings and closures per kommun, the table of each
    # service type and the openings and the closures per kommun and type.
    from lansanalys.services import SERVICE_TYPES

    expected = figure_cells("lansrapport.ipynb") + 2 * len(SERVICE_TYPES) + 14 + 5
    assert len(csvs) == expected, csvs
    # Stable names: the figure's number and the chapter that made it, not its headline.
    assert csvs[0].endswith("/01-pyramid.csv"), csvs[0]
    assert any(c.endswith("-access-table-dagligvaror.csv") for c in csvs), csvs
    for h in hrefs:
        assert (out / h).exists(), h
    df = pd.read_csv(out / csvs[0], sep=";", decimal=",", encoding="utf-8-sig")
    assert len(df) > 10 and "Andel, %" in df.columns  # the pyramid's shares, as numbers
    assert df["Andel, %"].dtype.kind == "f"
    book = openpyxl.load_workbook(out / "downloads" / "08-kalmar-lan" / "08-kalmar-lan.xlsx")
    assert book.sheetnames[0] == "Innehåll" and len(book.sheetnames) == expected + 1
    index = list(book["Innehåll"].iter_rows(values_only=True))
    assert index[0] == ("Blad", "Fil (CSV)", "Rubrik", "Källa") and len(index) == expected + 1
    assert not list((out / "downloads").glob(".*tmp-*"))  # no temporary folders left


def test_lan_report_links_only_rendered_kommun_reports(rendered):
    html = (rendered["out"] / "08-kalmar-lan.html").read_text(encoding="utf-8")
    assert 'href="0821-hogsby.html"' in html  # rendered in the same batch
    assert 'href="0880-kalmar.html"' in html
    assert 'href="0860-hultsfred.html"' not in html  # not rendered: plain text, no dead link
    assert "Kommunerna i Kalmar län" in html


def test_index_links_the_rendered_kommun_reports(rendered):
    html = (rendered["out"] / "index.html").read_text(encoding="utf-8")
    assert 'href="0821-hogsby.html"' in html and 'href="0880-kalmar.html"' in html
    assert 'href="0860-hultsfred.html"' not in html


def test_papermill_command_line_as_its_docs_type_it(demo_home, tmp_path):
    """``papermill nb out -p lan_kod 08``: papermill makes 8 of 08; the report pads it back."""
    from lansanalys.config import NOTEBOOK_DIR

    out = tmp_path / "ut.ipynb"
    env = {**os.environ, "LANSANALYS_HOME": str(demo_home)}
    for nb, name, value, title in (
        ("lansrapport.ipynb", "lan_kod", "08", "Kalmar län"),
        ("kommunrapport.ipynb", "kommun_kod", "0821", "Högsby"),
    ):
        res = subprocess.run(
            [sys.executable, "-m", "papermill", str(NOTEBOOK_DIR / nb), str(out)]
            + ["-p", name, value, "--cwd", str(NOTEBOOK_DIR), "-k", "python3"],
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert res.returncode == 0, res.stderr[-2000:]
        cells = json.loads(out.read_text(encoding="utf-8"))["cells"]
        injected = next(c for c in cells if "injected-parameters" in c["metadata"].get("tags", []))
        assert f"{name} = {int(value)}" in "".join(injected["source"])  # papermill made an int
        text = json.dumps([c.get("outputs", []) for c in cells], ensure_ascii=False)
        assert title in text
