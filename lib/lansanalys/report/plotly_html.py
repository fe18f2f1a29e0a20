"""Plotly output that survives nbconvert and draws offline: in batch rendering each figure becomes
a ``<figure>`` with a ``Plotly.newPlot`` call and no plotly.js (the template loads it once).
"""

from __future__ import annotations

import html
import itertools
from pathlib import PurePosixPath

import plotly.io as pio
from plotly.io._base_renderers import MimetypeRenderer

from lansanalys.config import rendering_html, set_render_context
from lansanalys.report import downloads

#: The number of the next figure on the page (plotly may copy the renderer, so the count lives
#: here); :func:`setup`, the first call of every report, starts it at 1.
_figure_numbers = itertools.count(1)


#: In print (the PDF) each chart's plot area is drawn at this share of its screen height, so
#: two figures share an A4 page; its title, legend and source note keep their size. A category
#: axis (ranked bars, a heatmap's rows) keeps :data:`PRINT_LINE_PX` per line of each label, so
#: no label runs into the next. A map (an axis with a fixed aspect, whose size its height sets)
#: keeps the larger :data:`PRINT_MAP_SHARE`.
PRINT_PLOT_SHARE = 0.7
PRINT_MAP_SHARE = 0.8
PRINT_LINE_PX = 16

#: Run after each figure has drawn: in print, lower the plot area as above; then mark the
#: figure drawn (``data-la-drawn``, which render.pdf waits for before it prints).
_AFTER_DRAW = (
    """var gd = document.getElementById('{plot_id}');
var drawn = function () { gd.setAttribute('data-la-drawn', '1'); };
var L = gd._fullLayout;
if (window.matchMedia && window.matchMedia('print').matches && L && L.height) {
  var plot = L.height - L.margin.t - L.margin.b;
  var want = plot * SHARE;
  Object.keys(L).forEach(function (k) {
    var ax = L[k];
    if (/^[xy]axis[0-9]*$/.test(k) && ax.scaleanchor) { want = Math.max(want, plot * MAP); }
    if (!/^yaxis[0-9]*$/.test(k) || ax.type !== 'category' || !ax._categories) { return; }
    var lines = 1;
    ax._categories.forEach(function (c) {
      lines = Math.max(lines, String(c).split('<br>').length);
    });
    var need = ax._categories.length * lines * LINE / (ax.domain[1] - ax.domain[0]);
    want = Math.max(want, Math.min(plot, need));
  });
  var h = Math.round(L.height - plot + want);
  if (h < L.height) {
    gd.parentNode.style.height = h + 'px';  /* plotly.io's wrapper div holds the height */
    return Plotly.relayout(gd, {height: h}).then(drawn);
  }
}
drawn();""".replace("SHARE", str(PRINT_PLOT_SHARE))
    .replace("LINE", str(PRINT_LINE_PX))
    .replace("MAP", str(PRINT_MAP_SHARE))
)


def figure_config(image_name: str) -> dict:
    """The plotly config of a report figure: Swedish toolbar (locale "sv", registered by the
    report template), no logo, and the toolbar's camera saving a PNG at twice the size under
    ``image_name`` (the figure's download name); the template adds a button for SVG."""
    return {
        "displaylogo": False,
        "responsive": True,
        "locale": "sv",
        "toImageButtonOptions": {"format": "png", "scale": 2, "filename": image_name},
    }


def image_buttons_html() -> str:
    """Buttons under a figure that save it as an image (wired up by the report template)."""
    return (
        '<span class="la-image">Diagrammet som bild: '
        '<button type="button" data-la-image="png">PNG</button> '
        '<button type="button" data-la-image="svg">SVG</button></span>'
    )


class ReportHtmlRenderer(MimetypeRenderer):
    """Emit each figure as a ``<div>`` plus a ``Plotly.newPlot`` call, without plotly.js.

    The report template loads plotly.js once (from ``assets/`` or inlined), so figures draw with
    no network. The div is wrapped in a ``<figure>`` with the finding as accessible name, and
    under it the figure's data (CSV) and buttons that save it as PNG or SVG, all under one
    stable name (``09-distance-map-dagligvaror.csv`` / ``.png`` / ``.svg``).
    Figures are numbered in the order drawn (``la-fig-1`` …), not given random ids, so the same
    report on the same data gives the same page (:func:`setup` starts the count).
    """

    def to_mimebundle(self, fig_dict: dict) -> dict[str, str]:
        n = next(_figure_numbers)
        meta = (fig_dict.get("layout") or {}).get("meta") or {}
        label = html.escape(str(meta.get("title", "Diagram")), quote=True)
        found = downloads.lookup(meta.get("table"))
        href = None
        if found:
            df, title, key = found
            href = downloads.save(df, title, key, str(meta.get("source", "")))
        name = PurePosixPath(href).stem if href else (found[2] if found else "") or f"figur-{n}"
        div = pio.to_html(
            fig_dict,
            include_plotlyjs=False,
            full_html=False,
            validate=False,
            div_id=f"la-fig-{n}",
            config=figure_config(name),
            post_script=_AFTER_DRAW,
        )
        return {
            "text/html": f'<figure class="la-figure" role="group" aria-label="{label}">'
            f"{div}{downloads.link_html(href, image_buttons_html())}</figure>",
            # Given here, IPython does not make its own plain text of the figure (plotly's
            # repr prints the whole figure: 5–20 ms a figure, never shown).
            "text/plain": f"Figur {n}: {meta.get('title', 'Diagram')}",
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
