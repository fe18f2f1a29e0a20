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
#: two or three figures share an A4 page; its title, legend and source note keep their size. A
#: category axis (ranked bars, a heatmap's rows) keeps its label font size plus
#: :data:`PRINT_LINE_GAP_PX` per line of each label, so no label runs into the next. A map (an
#: axis with a fixed aspect, whose size its height sets) keeps the larger :data:`PRINT_MAP_SHARE`.
PRINT_PLOT_SHARE = 0.5
PRINT_MAP_SHARE = 0.55
PRINT_LINE_GAP_PX = 3
#: The least height (px) of a category in print where not every category has a label.
PRINT_BAR_PX = 10

#: Run after each figure has drawn: in print, lower the plot area as above, then close the gaps
#: the screen layout leaves around it (:data:`_COMPACT`); then mark the figure drawn
#: (``data-la-drawn``, which render.pdf waits for before it prints).
_AFTER_DRAW = (
    """var gd = document.getElementById('{plot_id}');
var drawn = function () { gd.setAttribute('data-la-drawn', '1'); };
var L = gd._fullLayout;
if (window.matchMedia && window.matchMedia('print').matches && L && L.height) {
  var plot = L.height - L.margin.t - L.margin.b;
  var want = plot * SHARE;
  var update = {};
  Object.keys(L).forEach(function (k) {
    var ax = L[k];
    if (/^[xy]axis[0-9]*$/.test(k) && ax.scaleanchor) { want = Math.max(want, plot * MAP); }
    if (!/^yaxis[0-9]*$/.test(k) || ax.type !== 'category' || !ax._categories) { return; }
    var lines = 1;
    ax._categories.forEach(function (c) {
      lines = Math.max(lines, String(c).split('<br>').length);
    });
    /* Where plotly labels only every k-th category (an age pyramid), the labels keep their
       line each and the bars at least BAR px. */
    var labelled = Math.min(ax._categories.length, (ax._vals || ax._categories).length);
    var line = ((ax.tickfont && ax.tickfont.size) || 13) + LINE_GAP;
    var need = Math.max(labelled * lines * line, ax._categories.length * BAR)
      / (ax.domain[1] - ax.domain[0]);
    want = Math.max(want, Math.min(plot, need));
    /* Every category the screen labels keeps its label at the lower height (plotly would
       thin them out at under about 20 px a label). */
    if (labelled === ax._categories.length) {
      update[k + '.tickmode'] = 'linear';
      update[k + '.tick0'] = 0;
      update[k + '.dtick'] = 1;
    }
  });
  /* A chart with names written by its points (the support bubbles) keeps its height: the
     names were placed apart at that size. */
  var named = !Object.keys(L).some(function (k) {
    return /^[xy]axis[0-9]*$/.test(k) && L[k].scaleanchor;
  }) && (gd._fullData || []).some(function (t) {
    return t.type === 'scatter' && String(t.mode).indexOf('text') >= 0 && t.visible !== false;
  });
  if (named) { want = plot; }
  var h = Math.round(L.height - plot + want);
  if (h < L.height) { update.height = h; }
  /* A source note that speaks of the screen (its buttons) has its paper version in
     meta.print_source: it replaces the note (the annotation at the foot). */
  if (L.meta && L.meta.print_source) {
    (L.annotations || []).forEach(function (a, i) {
      if (a.yref === 'paper' && a.y === 0 && a.yanchor === 'top' && a.xref === 'paper') {
        update['annotations[' + i + '].text'] = L.meta.print_source;
      }
    });
  }
  var lowered = Object.keys(update).length ? Plotly.relayout(gd, update) : Promise.resolve();
  return lowered.then(function () { return COMPACT(gd); }).then(function () {
    gd.parentNode.style.height = gd._fullLayout.height + 'px';  /* plotly.io's wrapper div */
    drawn();
  });
}
drawn();""".replace("SHARE", str(PRINT_PLOT_SHARE))
    .replace("LINE_GAP", str(PRINT_LINE_GAP_PX))
    .replace("MAP", str(PRINT_MAP_SHARE))
    .replace("BAR", str(PRINT_BAR_PX))
)

#: The gap (px) kept in print between the title and what is above the plot (legend, top axis
#: labels), and between what is below the plot (axis labels and title) and the source note.
PRINT_GAP_PX = 10
#: The title's distance (px) from the top of the figure in print.
PRINT_TITLE_PAD_PX = 4

#: In print, the title, the legend and the source note keep their size but the empty bands the
#: screen layout leaves for the longest case (a wrapped title, a second legend row, an axis
#: title) close up: the top margin shrinks to the title plus what is drawn above the plot, the
#: bottom margin to what is drawn below it plus the source note (the annotation at the foot,
#: ``yref="paper"``, ``y=0``, which moves up with it). Measured on the drawn SVG; only shrinks.
_COMPACT = """(function (gd) {
  var L = gd._fullLayout, svg = gd.querySelector('.main-svg');
  if (!L || !svg) { return null; }
  var top0 = svg.getBoundingClientRect().top;
  var box = function (el) {
    var r = el.getBoundingClientRect();
    return {top: r.top - top0, bottom: r.bottom - top0, h: r.height};
  };
  var plotTop = L.margin.t, plotBottom = L.height - L.margin.b;
  var source = -1;
  (L.annotations || []).forEach(function (a, i) {
    if (a.yref === 'paper' && a.y === 0 && a.yanchor === 'top' && a.xref === 'paper') {
      source = i;
    }
  });
  var title = gd.querySelector('.g-gtitle');
  /* The title moves up to TITLE_PAD px from the top (the screen keeps more air above it). */
  var pad = L.title && L.title.pad ? L.title.pad.t || 0 : 0;
  /* (a title of several lines is drawn above its anchor: it moves up only as far as it can) */
  var lift = title && title.getBBox().height
    ? Math.max(0, Math.min(pad, box(title).top) - TITLE_PAD) : 0;
  var titleBottom = title && title.getBBox().height ? box(title).bottom - lift : 0;
  var above = plotTop, below = plotBottom;
  gd.querySelectorAll('.main-svg text, .legend, .colorbar').forEach(function (el) {
    if (el.closest('.g-gtitle') || el.closest('.updatemenu-container')) { return; }
    var ann = el.closest('.annotation');
    if (ann && source >= 0 && ann.getAttribute('data-index') === String(source)) { return; }
    var b = box(el);
    if (!b.h) { return; }
    if (b.bottom <= plotTop + 1) { above = Math.min(above, b.top); }
    if (b.top >= plotBottom - 1) { below = Math.max(below, b.bottom); }
  });
  var newTop = Math.ceil(titleBottom + GAP + (plotTop - above));
  var cutTop = Math.max(0, L.margin.t - newTop);
  var update = {};
  var cutBottom = 0;
  if (source >= 0) {
    var src = gd.querySelector('.annotation[data-index="' + source + '"]');
    var srcH = src ? box(src).h : 0;
    var newBottom = Math.ceil(below - plotBottom + GAP + srcH + 4);
    cutBottom = Math.max(0, L.margin.b - newBottom);
    if (cutBottom) {
      update['annotations[' + source + '].yshift'] = -Math.ceil(below - plotBottom + GAP);
    }
  }
  if (cutTop < 4 && cutBottom < 4) { return null; }
  if (lift && cutTop) { update['title.pad.t'] = pad - lift; }
  update['margin.t'] = L.margin.t - cutTop;
  update['margin.b'] = L.margin.b - cutBottom;
  update.height = L.height - cutTop - cutBottom;
  return Plotly.relayout(gd, update);
})""".replace("GAP", str(PRINT_GAP_PX)).replace("TITLE_PAD", str(PRINT_TITLE_PAD_PX))

_AFTER_DRAW = _AFTER_DRAW.replace("COMPACT", _COMPACT)


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


def dotted_paths(d: dict, prefix: str = "") -> dict:
    """A nested dict as plotly's dotted paths: {"title": {"side": "top"}} → {"title.side": …}."""
    out = {}
    for key, value in d.items():
        if isinstance(value, dict):
            out.update(dotted_paths(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out
