"""Executed notebook → offline HTML with nbconvert and the kit's template (no CDN scripts; stderr
outputs dropped from the page), and the shared assets beside the reports.
"""

from __future__ import annotations

import functools
import re
import shutil
from importlib.metadata import version
from pathlib import Path

from lansanalys.config import (
    TEMPLATE_DIR,
)
from lansanalys.render.jobs import ASSETS_DIR, Job, _sha, index_job
from lansanalys.render.search import SEARCH_INDEX
from lansanalys.util import atomic_path

#: Output areas and cell wrappers get ``tabindex="0"`` (as nbconvert's HTML exporter gives
#: them), so a wide table
#: that scrolls sideways can be reached and scrolled from the keyboard.
_FOCUSABLE = re.compile(
    r'<div class="([^"]*\b(?:jp-OutputArea-output|jp-Cell-inputWrapper)\b[^"]*)"(?![^>]*\btabindex=)'
)


#: Numeric character references (nbconvert writes "H&#246;gsby" in markdown headings).
_CHARREF = re.compile(r"&#(?:(\d+)|[xX]([0-9a-fA-F]+));")
#: Script and style elements, whose text is not HTML and is left as it is.
_RAW_TEXT = re.compile(r"(<script\b.*?</script>|<style\b.*?</style>)", re.DOTALL | re.IGNORECASE)


def _plain_text_charrefs(body: str) -> str:
    """The page with character references outside scripts and styles written as characters
    ("Högsby", as nbconvert's own last pass left them), except those HTML needs (< > & " ')."""

    def char(m: re.Match) -> str:
        c = chr(int(m.group(1))) if m.group(1) else chr(int(m.group(2), 16))
        return m.group(0) if c in "<>&\"'" else c

    parts = _RAW_TEXT.split(body)
    parts[::2] = [_CHARREF.sub(char, part) for part in parts[::2]]
    return "".join(parts)


@functools.cache
def _html_exporter():
    """The kit's HTML exporter (one per process: its templates are loaded once)."""
    from nbconvert import HTMLExporter
    from nbconvert.exporters.templateexporter import TemplateExporter
    from nbconvert.filters.highlight import Highlight2HTML
    from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter
    from nbconvert.preprocessors import TagRemovePreprocessor

    class ReportExporter(HTMLExporter):
        """nbconvert's HTML exporter without its last pass, which parses the whole page again
        with BeautifulSoup (about 0,25 s a report) to add ``alt`` to images and ``tabindex`` to
        output areas: reports have no ``<img>`` outputs, and the tabindex is added here by a
        pattern on the exporter's own markup."""

        def from_notebook_node(self, nb, resources=None, **kw):
            langinfo = nb.metadata.get("language_info", {})
            lexer = langinfo.get("pygments_lexer", langinfo.get("name", None))
            self.register_filter(
                "highlight_code",
                self.filters.get(
                    "highlight_code", Highlight2HTML(pygments_lexer=lexer, parent=self)
                ),
            )
            resources = self._init_resources(resources)
            self.register_filter(
                "filter_data_type",
                WidgetsDataTypeFilter(
                    notebook_metadata=self._nb_metadata, parent=self, resources=resources
                ),
            )
            body, resources = TemplateExporter.from_notebook_node(self, nb, resources, **kw)
            body = _plain_text_charrefs(body)
            return _FOCUSABLE.sub(r'<div class="\1" tabindex="0"', body), resources

        def _preprocess(self, nb, resources):
            """The preprocessors in turn on the copy ``from_notebook_node`` made already (not
            a second deep copy) and the notebook validated once at the end, not after each of
            the 14 preprocessors (together ~0,1 s a report)."""
            for preprocessor in self._preprocessors:
                nb, resources = preprocessor(nb, resources)
            self._validate_preprocessor(nb, "all preprocessors")
            return nb, resources

    exporter = ReportExporter(
        template_name="lansanalys", extra_template_basedirs=[str(TEMPLATE_DIR)]
    )
    exporter.exclude_input = True
    exporter.exclude_input_prompt = True
    exporter.exclude_output_prompt = True
    exporter.language_code = "sv"
    exporter.register_preprocessor(
        TagRemovePreprocessor(
            remove_cell_tags={"injected-parameters", "parameters", "lansanalys-setup"}
        ),
        enabled=True,
    )
    exporter.register_preprocessor(DropStderr(), enabled=True)
    return exporter


def _drop_stderr(nb):
    """Remove stderr streams (warnings, logging) from a notebook about to become a report.

    They stay in the executed notebook under ``_executed/`` for whoever debugs the report, and the
    render tests fail on any: a warning is a bug to fix, not text for a board member.
    """
    for cell in nb.cells:
        if cell.get("cell_type") == "code":
            cell.outputs = [
                o
                for o in cell.get("outputs", [])
                if not (o.get("output_type") == "stream" and o.get("name") == "stderr")
            ]
    return nb


class DropStderr:
    """nbconvert preprocessor wrapper around :func:`_drop_stderr`."""

    def __call__(self, nb, resources):
        return _drop_stderr(nb), resources


def copy_assets(out: Path) -> None:
    """plotly.js once in ``assets/`` (written atomically, skipped when unchanged)."""
    import plotly

    src = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    dest = out / ASSETS_DIR / "plotly.min.js"
    if (
        dest.exists()
        and dest.stat().st_size == src.stat().st_size
        and _sha(dest.read_bytes()) == _sha(src.read_bytes())
    ):
        return
    with atomic_path(dest) as tmp:
        shutil.copyfile(src, tmp)


def notebook_html(nb, job: Job, self_contained: bool) -> str:
    """The report page of an executed notebook: the kit's template, plotly.js linked from
    ``assets/`` (or inlined when ``self_contained``), the search box on the index page."""
    nb.metadata["title"] = job.title
    plotly_js = None
    if self_contained:
        import plotly

        plotly_js = (Path(plotly.__file__).parent / "package_data" / "plotly.min.js").read_text(
            encoding="utf-8"
        )
    exporter = _html_exporter()
    resources = {
        "plotly_js_src": f"{ASSETS_DIR}/plotly.min.js",
        "plotly_js_inline": plotly_js.replace("</script", "<\\/script") if plotly_js else "",
        "report_css": (TEMPLATE_DIR / "report.css").read_text(encoding="utf-8"),
        "lansanalys_version": version("lansanalys"),
        "index_href": "index.html",
        # The index page carries the search over the whole set (render.search).
        "search_index_src": SEARCH_INDEX if job.output == index_job().output else "",
    }
    body, _ = exporter.from_notebook_node(nb, resources=resources)
    return body
