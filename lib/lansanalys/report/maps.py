"""Map builders: SWEREF 99 TM metres on plain axes with an equal aspect ratio, no web map tiles
and no topojson, so maps draw offline and keep their meaning in print (legend, scale bar in km).
Style (colours, fonts, source notes) comes from :mod:`lansanalys.report.figures`.
"""

from __future__ import annotations

import html
import textwrap
from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import plotly.graph_objects as go
from plotly.colors import sample_colorscale

from lansanalys.report.figures import (
    MAP_HEIGHT,
    SEQUENTIAL,
    finish,
    place_labels,
)
from lansanalys.report.plotly_html import PRINT_MAP_SHARE, dotted_paths

#: Sizes (px) a map is laid out for: the plot width of a figure on the printed page (the
#: narrowest it is drawn at; about 795 px less the margins) and the most height a map takes.
PRINT_PLOT_W = 700.0
MAP_PLOT_H = 660.0
#: A map this much taller than wide (with its padding) stands beside its bars, keeping
#: :data:`MAP_SHARE` of the width; a wider one stands above them at the full width.
TALL = 1.35
#: Most of the figure's width a map takes when bars stand beside it.
MAP_SHARE = 0.52
#: Least width (px) of the bars beside a map, and the width their names and values are
#: assumed to take where it is not yet known (long names of stores and their kommun).
MIN_BAR_PX = 180.0
SIDE_PX = 260.0
#: Room (px) under a map for its colour bar, legend of classes or buttons.
UNDER_MAP = 70.0
#: Grey of the land around the area (neighbouring län or kommuner), drawn for orientation.
CONTEXT_FILL = "#e6e6e6"
#: Colour of the reference bar (the area, riket) among the ranked bars.
REFERENCE_COLOR = "#555555"
#: Names of areas and places on maps: dark text in a white halo, readable on any fill.
NAME_FONT = dict(size=11, color="#111", shadow="-1px -1px 2px #fff, 1px 1px 2px #fff, 0 0 3px #fff")


def map_axes(fig: go.Figure, bounds: Sequence[float]) -> None:
    """Equal-aspect SWEREF 99 TM axes around ``bounds`` (with a 4 % pad), a scale bar on a
    white ground in the lower left (drawn above the data, so no point covers it). Call
    :func:`frame_map` after :func:`~.figures.finish` to size the figure around the map."""
    x0, y0, x1, y1 = bounds
    pad = 0.04 * max(x1 - x0, y1 - y0)
    # Scale bar: a round length near a fifth of the map width.
    width = x1 - x0
    length = (
        next(v for v in (200_000, 100_000, 50_000, 20_000, 10_000, 5_000, 2_000) if v <= width / 4)
        if width > 8_000
        else 1_000
    )
    bx, by = x0, y0 - pad * 0.55
    ground = dict(
        type="rect",
        x0=bx - pad * 0.3,
        x1=bx + length + pad * 0.3,
        y0=y0 - pad * 0.95,
        y1=y0 - pad * 0.55,
        line=dict(width=0),
        fillcolor="rgba(255,255,255,0.85)",
        layer="above",
    )
    bar = dict(
        type="line",
        x0=bx,
        x1=bx + length,
        y0=by,
        y1=by,
        line=dict(color="#222", width=3),
        layer="above",
    )
    label = dict(
        x=bx + length / 2,
        y=by,
        text=f"{length // 1000} km",
        showarrow=False,
        yshift=10,
        font=dict(size=11),
        bgcolor="rgba(255,255,255,0.85)",
        borderpad=1,
    )
    # One layout update (plotly validates every shape and annotation again on each add).
    fig.update_layout(
        xaxis=dict(visible=False, range=[x0 - pad, x1 + pad], constrain="domain"),
        yaxis=dict(
            visible=False,
            range=[y0 - pad, y1 + pad],
            scaleanchor="x",
            scaleratio=1,
            constrain="domain",
        ),
        shapes=[*fig.layout.shapes, ground, bar],
        annotations=[*fig.layout.annotations, label],
    )


def _view(fig: go.Figure) -> tuple[float, float, float, float]:
    """The map's drawn extent (axis ranges, padding included)."""
    (x0, x1), (y0, y1) = fig.layout.xaxis.range, fig.layout.yaxis.range
    return x0, y0, x1, y1


def map_layout(
    view: Sequence[float],
    rows_px: float | None = None,
    side_px: float = SIDE_PX,
    under: float = UNDER_MAP,
) -> dict:
    """Where a map and its bars go, from the map's extent, the bars' height (px; None: no
    bars) and the width their names and values take (``side_px``), on the printed page (the
    narrowest it is drawn at); ``under`` (px) is kept free under the map.

    A tall map (:data:`TALL`) stands beside its bars, as wide as its height allows but leaving
    the bars :data:`MIN_BAR_PX`; any other stands above them at the full width, so neither is
    squeezed into a strip. Returns ``beside``, ``plot`` (plot-area height, px), ``map_y`` (the
    map's vertical domain), ``map_w`` (its share of the width) and ``px_per_m`` (its scale on
    that page).
    """
    x0, y0, x1, y1 = view
    sx, sy = max(x1 - x0, 1.0), max(y1 - y0, 1.0)
    beside = rows_px is not None and sy / sx >= TALL
    if beside:
        width = min(MAP_PLOT_H * sx / sy, MAP_SHARE * PRINT_PLOT_W)
        width = min(width, PRINT_PLOT_W - side_px - MIN_BAR_PX)
    else:
        width = PRINT_PLOT_W
    map_h = min(MAP_PLOT_H, width * sy / sx)
    if rows_px is None or beside:
        plot = max(map_h, rows_px or 0.0) + under
        low = under / plot
    else:
        plot = map_h + UNDER_MAP + 30 + rows_px
        low = (rows_px + UNDER_MAP + 30) / plot
    return dict(
        beside=beside,
        plot=plot,
        map_y=[low, 1.0],
        map_w=width / PRINT_PLOT_W,
        px_per_m=min(map_h / sy, width / sx),
    )


def _set_plot_height(fig: go.Figure, plot: float) -> None:
    """Figure height that gives the plot area ``plot`` px between the current margins."""
    m = fig.layout.margin
    fig.update_layout(height=round(plot + (m.t or 115) + (m.b or 120)))


def frame_map(fig: go.Figure, rows_px: float | None = None, side_px: float = SIDE_PX) -> dict:
    """Lay the map out (:func:`map_layout`): its domain, the figure's height, any colour bar
    horizontal just under the map and any buttons under that."""
    # The colour bars: (trace index, path of its colorbar).
    bars = [
        (i, "colorbar") if tr.type == "heatmap" else (i, "marker.colorbar")
        for i, tr in enumerate(fig.data)
        if (tr.type == "heatmap" and tr.showscale is not False)
        or (tr.type == "scatter" and tr.marker is not None and tr.marker.showscale)
    ]
    # Room under the map only for what stands there (a lone map without them ends lower).
    under = UNDER_MAP if bars or fig.layout.updatemenus or rows_px is not None else 12.0
    lay = map_layout(_view(fig), rows_px, side_px, under)
    fig.update_layout(xaxis=dict(domain=[0, lay["map_w"]]), yaxis=dict(domain=lay["map_y"]))
    _set_plot_height(fig, lay["plot"])
    for menu in fig.layout.updatemenus:  # buttons just under the map
        menu.update(y=lay["map_y"][0] - 6 / lay["plot"])
    colorbar = dict(
        orientation="h",
        x=lay["map_w"] / 2,
        xanchor="center",
        y=lay["map_y"][0] - 8 / lay["plot"],
        yanchor="top",
        len=min(0.9 * lay["map_w"], 0.6),
        thickness=12,
        title=dict(side="top"),
        # Class names side by side, not tilted into the source note.
        tickangle=0,
        tickfont=dict(size=11),
    )
    for i, path in bars:
        # One restyle by dotted paths: a third of the Python calls of updating the attached
        # colour bar object property by property.
        fig.plotly_restyle(
            {f"{path}.{key}": [value] for key, value in dotted_paths(colorbar).items()},
            trace_indexes=[i],
        )
    return lay


def map_scale(fig: go.Figure, bars: bool = False) -> float:
    """Pixels per metre of the map on the printed page (with bars: as laid out beside or
    above them), for placing names that must not meet: the PDF draws a map at no less than
    :data:`~.plotly_html.PRINT_MAP_SHARE` of its laid-out height, with names and markers at
    full size, so names are placed for that scale (on screen they stand further apart)."""
    return map_layout(_view(fig), 300.0 if bars else None)["px_per_m"] * PRINT_MAP_SHARE


def _polygon_xy(geom) -> tuple[list[float | None], list[float | None]]:
    xs: list[float | None] = []
    ys: list[float | None] = []
    polys = getattr(geom, "geoms", [geom])
    for poly in polys:
        for ring in [poly.exterior]:
            cx, cy = ring.coords.xy
            xs += list(cx) + [None]
            ys += list(cy) + [None]
    return xs, ys


def context_trace(gdf: gpd.GeoDataFrame | None, view: Sequence[float]) -> go.Scatter | None:
    """The land around the area (neighbouring län or kommuner) in grey, cut to the map's
    extent and simplified to about a pixel (no hover): points and cells outside the area then
    stand on land, not in white space."""
    if gdf is None or gdf.empty:
        return None
    import shapely

    x0, y0, x1, y1 = view
    frame = shapely.box(x0, y0, x1, y1)
    tol = max(x1 - x0, y1 - y0) / 1500
    xs: list[float | None] = []
    ys: list[float | None] = []
    geoms = gdf.geometry.to_numpy()
    # One vectorised test first: a kommun map's context is every other kommun of the country.
    near = geoms[np.asarray(shapely.intersects(geoms, frame), dtype=bool)]
    for geom in near:
        part = geom.intersection(frame).simplify(tol)
        polys = [g for g in getattr(part, "geoms", [part]) if g.geom_type == "Polygon"]
        for poly in polys:
            cx, cy = poly.exterior.coords.xy
            xs += list(cx) + [None]
            ys += list(cy) + [None]
    if not xs:
        return None
    return go.Scatter(
        x=xs,
        y=ys,
        mode="lines",
        fill="toself",
        fillcolor=CONTEXT_FILL,
        line=dict(color="white", width=0.8),
        hoverinfo="skip",
        showlegend=False,
        name="Omgivande områden",
    )


def add_context(fig: go.Figure, gdf: gpd.GeoDataFrame | None, bounds: Sequence[float]) -> None:
    """Put :func:`context_trace` under everything already drawn (first in the trace order)."""
    x0, y0, x1, y1 = bounds
    pad = 0.06 * max(x1 - x0, y1 - y0)
    tr = context_trace(gdf, (x0 - pad, y0 - pad, x1 + pad, y1 + pad))
    if tr is not None:
        fig.add_trace(tr)
        fig.data = (fig.data[-1], *fig.data[:-1])


def add_area_names(
    fig: go.Figure,
    gdf: gpd.GeoDataFrame,
    name_col: str,
    bars: bool = True,
) -> None:
    """Write each area's name at a point inside it, the largest areas first; a name that would
    run into one already written is left to hover (:func:`~.figures.place_labels`)."""
    if gdf.empty:
        return
    pts = gdf.geometry.representative_point()
    scale = map_scale(fig, bars)
    x0, y0, _, _ = _view(fig)
    names = [str(n) for n in gdf[name_col]]
    spots = place_labels(
        (pts.x.to_numpy() - x0) * scale,
        (pts.y.to_numpy() - y0) * scale,
        names,
        gdf.geometry.area.to_numpy(),
        radius=0.0,
        font_px=NAME_FONT["size"],
        spots=("middle center",),
    )
    keep = [s is not None for s in spots]
    fig.add_trace(
        go.Scatter(
            x=pts.x[keep],
            y=pts.y[keep],
            mode="text",
            text=[html.escape(n) for n, k in zip(names, keep, strict=True) if k],
            textposition="middle center",
            textfont=NAME_FONT,
            hoverinfo="skip",
            showlegend=False,
            name="Namn",
        )
    )


def outline_traces(
    gdf: gpd.GeoDataFrame, color: str = "#444", width: float = 0.8, name: str = "Kommungräns"
) -> go.Scatter:
    """All boundaries of ``gdf`` as one line trace (no hover)."""
    xs: list[float | None] = []
    ys: list[float | None] = []
    for geom in gdf.geometry:
        gx, gy = _polygon_xy(geom)
        xs += gx
        ys += gy
    return go.Scatter(
        x=xs,
        y=ys,
        mode="lines",
        line=dict(color=color, width=width),
        hoverinfo="skip",
        name=name,
        showlegend=False,
    )


def value_colors(
    vals: np.ndarray, colorscale: str = SEQUENTIAL, midpoint: float | None = None
) -> tuple[list[str], float, float]:
    """The colour of each value on ``colorscale`` (symmetric around ``midpoint`` if given),
    and the scale's ends; a missing value gets the middle colour."""
    vals = np.asarray(vals, dtype=float)
    lo, hi = np.nanmin(vals), np.nanmax(vals)
    if midpoint is not None:
        span = max(abs(lo - midpoint), abs(hi - midpoint)) or 1.0
        lo, hi = midpoint - span, midpoint + span
    norm = (vals - lo) / ((hi - lo) or 1.0)
    return sample_colorscale(colorscale, list(np.clip(np.nan_to_num(norm, nan=0.5), 0, 1))), lo, hi


#: Characters a bar's name keeps on one line before it wraps, and px a character takes at the
#: 13 px of the axis labels (an upper estimate, so names are never cut).
NAME_WRAP = 26
CHAR_PX = 7.2


def add_side_bars(
    fig: go.Figure,
    labels: Sequence[str],
    values: Sequence[float],
    text: Sequence[str],
    axis_title: str,
    colors: Sequence[str] | str = "#0072B2",
    reference: tuple[float, str] | None = None,
) -> go.Figure:
    """Put horizontal bars (in the given order, first on top) beside or under a finished map
    (:func:`map_layout`: beside a tall map, under any other, each at a readable size).

    Names stand left of the bars on one line (two for a long one, with the row as high as
    they need); values stand in a column right of the bars, so neither a negative bar nor
    ``reference``, a dashed line at e.g. riket's value, ever runs through them.
    """
    labels, text = [str(v) for v in labels], [str(t) for t in text]
    lines = [textwrap.wrap(lab, NAME_WRAP) or [""] for lab in labels]
    names = ["<br>".join(html.escape(part) for part in parts) for parts in lines]
    # A bold name (the reference row) keeps its markup.
    names = [n.replace("&lt;b&gt;", "<b>").replace("&lt;/b&gt;", "</b>") for n in names]
    widest = max(
        (len(part.replace("<b>", "").replace("</b>", "")) for parts in lines for part in parts),
        default=0,
    )
    row_px = max(22.0, 16.0 * max(len(p) for p in lines) + 8.0) if lines else 22.0
    rows_px = row_px * len(labels)
    name_px = CHAR_PX * widest + 14
    value_px = CHAR_PX * max((len(t) for t in text), default=0) + 12
    lay = frame_map(fig, rows_px, name_px + value_px)
    left = lay["map_w"] + 0.03 if lay["beside"] else 0.0
    name_room, value_room = name_px / PRINT_PLOT_W, value_px / PRINT_PLOT_W
    top = 1.0 if lay["beside"] else rows_px / lay["plot"]
    fig.add_trace(
        go.Bar(
            y=names,
            x=list(values),
            orientation="h",
            marker=dict(color=colors),
            customdata=[html.escape(t) for t in text],
            hovertemplate="%{y}: %{customdata}<extra></extra>",
            xaxis="x2",
            yaxis="y2",
            showlegend=False,
        )
    )
    wrap = 30 if lay["beside"] else 80
    fig.update_layout(
        xaxis2=dict(
            domain=[left + name_room, 1.0 - value_room],
            anchor="y2",
            title="<br>".join(html.escape(t) for t in textwrap.wrap(axis_title, wrap)),
            gridcolor="#e5e5e5",
            nticks=5 if not lay["beside"] else 4,
            visible=True,
        ),
        yaxis2=dict(
            domain=[top - rows_px / lay["plot"], top],
            anchor="x2",
            autorange="reversed",
            automargin=True,
            visible=True,
            fixedrange=True,
        ),
    )
    # The values as one text trace in a column right of the bars (on an axis of its own over
    # the bars' domain, 0 to 1): one trace, where an annotation per value made plotly validate
    # every annotation of the figure again for each (a third of a map's build time).
    shown = [(name, t) for name, t in zip(names, text, strict=True) if t]
    if shown:
        fig.add_trace(
            go.Scatter(
                x=[1.0] * len(shown),
                y=[name for name, _ in shown],
                text=[html.escape(t) for _, t in shown],
                mode="text",
                textposition="middle right",
                textfont=dict(size=12),
                cliponaxis=False,
                hoverinfo="skip",
                showlegend=False,
                xaxis="x3",
                yaxis="y2",
            )
        )
        fig.update_layout(
            xaxis3=dict(overlaying="x2", range=[0, 1], visible=False, fixedrange=True, anchor="y2")
        )
    if reference is not None:
        fig.add_shape(
            type="line",
            xref="x2",
            yref="y2 domain",
            x0=reference[0],
            x1=reference[0],
            y0=0,
            y1=1,
            line=dict(color=REFERENCE_COLOR, dash="dash", width=1),
        )
    return fig


def ranked_side_bars(
    fig: go.Figure,
    names: Sequence[str],
    values: Sequence[float],
    fmt_value,
    axis_title: str,
    colorscale: str | None = SEQUENTIAL,
    midpoint: float | None = None,
    reference: tuple[float, str] | None = None,
    highlight: str | None = None,
) -> go.Figure:
    """The map's areas ranked (highest on top) in bars by the map, in the map's colours (one
    neutral colour with ``colorscale=None``, when the map's colours mean something else); an
    area without a value is listed last as "uppgift saknas", with no bar. ``reference`` (its
    value and name, e.g. riket) is a grey bar in its place in the ranking, in bold, with a
    dashed line through the chart at its value. ``highlight`` (an area's name: the kommun of a
    kommun report among its län's kommuner) is named in bold with a marker, so the reader
    finds it in the ranking."""
    from lansanalys.report.blocks import MISSING

    vals = np.asarray(values, dtype=float)
    if colorscale is None:
        colors = ["#0072B2"] * len(vals)
    else:
        colors, _, _ = value_colors(vals, colorscale, midpoint)

    def shown(name: str) -> str:
        return f"<b>▸ {name}</b>" if highlight is not None and name == highlight else name

    rows = [
        (
            shown(names[i]) if vals[i] == vals[i] else f"{shown(names[i])} ({MISSING})",
            vals[i],
            fmt_value(vals[i]) if vals[i] == vals[i] else "",
            colors[i],
        )
        for i in range(len(vals))
    ]
    ref_ok = reference is not None and reference[0] == reference[0]
    if ref_ok:
        rows.append(
            (f"<b>{reference[1]}</b>", reference[0], fmt_value(reference[0]), REFERENCE_COLOR)
        )
    rows.sort(key=lambda r: (r[1] != r[1], -np.nan_to_num(r[1])))
    add_side_bars(
        fig,
        [r[0] for r in rows],
        [r[1] for r in rows],
        [r[2] for r in rows],
        axis_title,
        [r[3] for r in rows],
        reference=reference if ref_ok else None,
    )
    return fig


def scale_decimals(lo: float, hi: float) -> int:
    """Decimals of a colour bar's ticks: none where the ticks are whole numbers (a span of 5
    or more, e.g. kronor: "100", not "100,0"), one below."""
    return 0 if abs(hi - lo) >= 5 else 1


def choropleth(
    gdf: gpd.GeoDataFrame,
    value_col: str,
    label_col: str,
    hover: Sequence[str],
    title: str,
    source: str,
    colorbar_title: str,
    colorscale: str = SEQUENTIAL,
    midpoint: float | None = None,
    height: int = MAP_HEIGHT,
    context: gpd.GeoDataFrame | None = None,
    names: bool = True,
) -> go.Figure:
    """Filled polygons coloured by ``value_col`` (SWEREF 99 TM), with hover text per area,
    the land around in grey (``context``) and the areas' names where they fit (``names``).
    Lay bars beside or under it with :func:`ranked_side_bars` (the map is framed for them)."""
    vals = gdf[value_col].astype(float).to_numpy()
    colors, lo, hi = value_colors(vals, colorscale, midpoint)
    areas = []
    for geom, color, label, text in zip(gdf.geometry, colors, gdf[label_col], hover, strict=True):
        xs, ys = _polygon_xy(geom)
        areas.append(
            dict(
                type="scatter",
                x=xs,
                y=ys,
                fill="toself",
                fillcolor=color,
                mode="lines",
                line=dict(color="white", width=0.8),
                hoveron="fills",
                name=html.escape(str(label)),
                text=text,
                hoverinfo="text",
                showlegend=False,
            )
        )
    # Given as dicts to the figure: each trace validated once (a go.Scatter added with
    # add_trace is validated twice).
    fig = go.Figure(data=areas)
    # An invisible marker trace carries the colour bar (filled scatter has none of its own).
    cx = gdf.geometry.representative_point()
    dec = scale_decimals(lo, hi)
    fig.add_trace(
        go.Scatter(
            x=cx.x,
            y=cx.y,
            mode="markers",
            hoverinfo="skip",
            showlegend=False,
            marker=dict(
                size=0.1,
                color=vals,
                colorscale=colorscale,
                cmin=lo,
                cmax=hi,
                showscale=True,
                colorbar=dict(
                    title=dict(text=colorbar_title), thickness=14, tickformat=f",.{dec}f"
                ),
            ),
        )
    )
    map_axes(fig, gdf.total_bounds)
    add_context(fig, context, gdf.total_bounds)
    if names:
        add_area_names(fig, gdf, label_col)
    finish(fig, title, source, height=height)
    frame_map(fig)
    return fig
