"""Plotly output that survives nbconvert and draws offline: in batch rendering each figure becomes
a ``<figure>`` with a ``Plotly.newPlot`` call and no plotly.js (the template loads it once).
"""

from __future__ import annotations

import html
import itertools

import plotly.io as pio
from plotly.io._base_renderers import MimetypeRenderer

from lansanalys.config import rendering_html, set_render_context
from lansanalys.report import downloads

#: The number of the next figure on the page (plotly may copy the renderer, so the count lives
#: here); :func:`setup`, the first call of every report, starts it at 1.
_figure_numbers = itertools.count(1)


class ReportHtmlRenderer(MimetypeRenderer):
    """Emit each figure as a ``<div>`` plus a ``Plotly.newPlot`` call, without plotly.js.

    The report template loads plotly.js once (from ``assets/`` or inlined), so figures draw with
    no network. The div is wrapped in a ``<figure>`` with the finding as accessible name.
    Figures are numbered in the order drawn (``la-fig-1`` …), not given random ids, so the same
    report on the same data gives the same page (:func:`setup` starts the count).
    """

    def to_mimebundle(self, fig_dict: dict) -> dict[str, str]:
        n = next(_figure_numbers)
        meta = (fig_dict.get("layout") or {}).get("meta") or {}
        label = html.escape(str(meta.get("title", "Diagram")), quote=True)
        div = pio.to_html(
            fig_dict,
            include_plotlyjs=False,
            full_html=False,
            validate=False,
            div_id=f"la-fig-{n}",
            config={
                "displaylogo": False,
                "responsive": True,
                "toImageButtonOptions": {"format": "png", "scale": 2},
            },
        )
        found = downloads.lookup(meta.get("table"))
        link = ""
        if found:
            df, title, key = found
            link = downloads.link_html(downloads.save(df, title, key, str(meta.get("source", ""))))
        return {
            "text/html": f'<figure class="la-figure" role="group" aria-label="{label}">'
            f"{div}{link}</figure>"
        }


def setup(render: dict | None = None) -> None:
    """Configure plotly for this report: the report template and, when the batch renderer
    passes ``render={"html": True, ...}`` (the notebook's ``render`` parameter), the HTML
    renderer, the download folder and the set of reports to link to.

    In JupyterLab ``render`` is empty: figures stay interactive and nothing is written.
    """
    set_render_context(render)
    global _figure_numbers
    _figure_numbers = itertools.count(1)
    pio.templates.default = "lansanalys"
    if rendering_html():
        pio.renderers["lansanalys_html"] = ReportHtmlRenderer()
        pio.renderers.default = "lansanalys_html"
