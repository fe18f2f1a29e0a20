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
import pandas as pd
import plotly.graph_objects as go
from plotly.colors import sample_colorscale

from lansanalys import fmt
from lansanalys.analysis import access
from lansanalys.report.figures import (
    DIVERGING,
    MAP_HEIGHT,
    SEQUENTIAL,
    UNREACHABLE_COLOR,
    finish,
    label_clear,
)


def map_axes(fig: go.Figure, bounds: Sequence[float]) -> None:
    x0, y0, x1, y1 = bounds
    pad = 0.04 * max(x1 - x0, y1 - y0)
    fig.update_xaxes(visible=False, range=[x0 - pad, x1 + pad], constrain="domain")
    fig.update_yaxes(
        visible=False,
        range=[y0 - pad, y1 + pad],
        scaleanchor="x",
        scaleratio=1,
        constrain="domain",
    )
    # Scale bar: a round length near a fifth of the map width.
    width = x1 - x0
    length = (
        next(v for v in (200_000, 100_000, 50_000, 20_000, 10_000, 5_000, 2_000) if v <= width / 4)
        if width > 8_000
        else 1_000
    )
    bx, by = x0, y0 - pad * 0.6
    fig.add_shape(
        type="line", x0=bx, x1=bx + length, y0=by, y1=by, line=dict(color="#222", width=3)
    )
    fig.add_annotation(
        x=bx + length / 2,
        y=by,
        text=f"{length // 1000} km",
        showarrow=False,
        yshift=10,
        font=dict(size=11),
    )


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


#: Share of the figure's width a map keeps when bars stand beside it (a tall country or län
#: leaves the rest of a wide figure empty otherwise).
MAP_SHARE = 0.5


def add_side_bars(
    fig: go.Figure,
    labels: Sequence[str],
    values: Sequence[float],
    text: Sequence[str],
    axis_title: str,
    colors: Sequence[str] | str = "#0072B2",
    reference: tuple[float, str] | None = None,
) -> go.Figure:
    """Put horizontal bars (in the given order, first on top) to the right of a map.

    The map keeps the left :data:`MAP_SHARE` of the width (its equal aspect ratio intact) and
    its colour bar moves beside it; ``reference`` draws a dashed line, e.g. (riket, "Riket").
    """
    fig.update_layout(xaxis=dict(domain=[0, MAP_SHARE]))
    for tr in fig.data:
        bar = getattr(tr, "colorbar", None) if tr.type == "heatmap" else None
        if tr.type == "scatter" and tr.marker is not None and tr.marker.showscale:
            bar = tr.marker.colorbar
        if bar is not None:  # under the map, out of the bars' way
            bar.update(
                orientation="h",
                x=MAP_SHARE / 2,
                xanchor="center",
                y=-0.04,
                yanchor="top",
                len=MAP_SHARE * 0.95,
                thickness=12,
                title=dict(side="top"),
                # Class names side by side, not tilted into the source note.
                tickangle=0,
                tickfont=dict(size=11),
            )
    labels, text = list(labels), list(text)
    if any(v < 0 for v in values if v == v):
        # Text outside a negative bar would run into the names: the value joins the name.
        # (No-break spaces: a wrapped name never splits its value.)
        labels = [
            f"{lab} ({t.replace(' ', chr(0xA0))})" if t else str(lab)
            for lab, t in zip(labels, text, strict=True)
        ]
    # Long names (a store and its kommun) take two lines; the bars start where the longest line
    # ends (about 7 px a character on a printed page about 700 px wide), clear of the map.
    lines = [textwrap.wrap(str(lab), 24) or [""] for lab in labels]
    widest = max((len(part) for parts in lines for part in parts), default=0)
    start = MAP_SHARE + min(0.26, max(0.1, (7 * widest + 16) / 700))
    fig.add_trace(
        go.Bar(
            y=["<br>".join(html.escape(part) for part in parts) for parts in lines],
            x=list(values),
            orientation="h",
            marker=dict(color=colors),
            text=[html.escape(str(t)) for t in text],
            textposition="none" if any(v < 0 for v in values if v == v) else "outside",
            cliponaxis=False,
            hovertemplate="%{y}: %{text}<extra></extra>",
            xaxis="x2",
            yaxis="y2",
            showlegend=False,
        )
    )
    fig.update_layout(
        xaxis2=dict(
            domain=[start, 0.95],
            anchor="y2",
            # Wrapped to the width of the bars (about a quarter of a printed page).
            title="<br>".join(html.escape(t) for t in textwrap.wrap(axis_title, 30)),
            gridcolor="#e5e5e5",
            visible=True,
        ),
        yaxis2=dict(
            domain=[0.0, 1.0], anchor="x2", autorange="reversed", automargin=True, visible=True
        ),
    )
    if reference is not None:
        value, label = reference
        fig.add_shape(
            type="line",
            xref="x2",
            yref="y2 domain",
            x0=value,
            x1=value,
            y0=0,
            y1=1,
            line=dict(color="#222", dash="dash", width=1),
        )
        fig.add_annotation(
            x=value,
            xref="x2",
            y=1,
            yref="y2 domain",
            text=html.escape(label),
            showarrow=False,
            yanchor="bottom",
            font=dict(size=11),
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
) -> go.Figure:
    """The map's areas ranked (highest on top) in bars beside it, in the map's colours (one
    neutral colour with ``colorscale=None``, when the map's colours mean something else); an
    area without a value is listed last as "uppgift saknas", with no bar."""
    from lansanalys.report.blocks import MISSING

    vals = np.asarray(values, dtype=float)
    if colorscale is None:
        colors = ["#0072B2"] * len(vals)
    else:
        colors, _, _ = value_colors(vals, colorscale, midpoint)
    order = sorted(range(len(vals)), key=lambda i: (np.isnan(vals[i]), -np.nan_to_num(vals[i])))
    add_side_bars(
        fig,
        [names[i] if vals[i] == vals[i] else f"{names[i]} ({MISSING})" for i in order],
        [vals[i] for i in order],
        [fmt_value(vals[i]) if vals[i] == vals[i] else "" for i in order],
        axis_title,
        [colors[i] for i in order],
        reference=reference if reference is not None and reference[0] == reference[0] else None,
    )
    return fig


def change_side_bars(
    fig: go.Figure, names: Sequence[str], change_pct: Sequence[float], span: str, riket: float
) -> go.Figure:
    """Population change (percent over ``span``, e.g. "2014–2024") ranked beside a change map,
    in its diverging colours, with riket's change as the reference line."""
    return ranked_side_bars(
        fig,
        names,
        change_pct,
        lambda v: fmt.signed(v, 1, " %"),
        f"Förändring {span}, %",
        DIVERGING,
        midpoint=0.0,
        reference=(riket, "Riket"),
    )


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
) -> go.Figure:
    """Filled polygons coloured by ``value_col`` (SWEREF 99 TM), with hover text per area."""
    vals = gdf[value_col].astype(float).to_numpy()
    colors, lo, hi = value_colors(vals, colorscale, midpoint)
    fig = go.Figure()
    for geom, color, label, text in zip(gdf.geometry, colors, gdf[label_col], hover, strict=True):
        xs, ys = _polygon_xy(geom)
        fig.add_trace(
            go.Scatter(
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
    # An invisible marker trace carries the colour bar (filled scatter has none of its own).
    cx = gdf.geometry.representative_point()
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
                colorbar=dict(title=dict(text=colorbar_title), thickness=14, tickformat=",.1f"),
            ),
        )
    )
    map_axes(fig, gdf.total_bounds)
    return finish(fig, title, source, height=height)


def distance_grid_map(
    cells: pd.DataFrame,
    dist_km_col: str,
    borders: gpd.GeoDataFrame,
    points: pd.DataFrame,
    title: str,
    source: str,
    classes_km: Sequence[float] = (2, 5, 10, 20),
) -> go.Figure:
    """Populated cells as squares coloured by distance class, with borders and service points.

    ``cells`` needs ``x, y`` (centres, metres), ``size_m``, ``population`` and the distance column
    in km. Drawn as a heatmap on the grid, so cells keep their true size at any zoom.

    As in :func:`lansanalys.analysis.access.access_classes`, a distance equal to a bound belongs to the
    lower class: "≤ 2 km" holds 2,0 km, "2–5 km" means more than 2 and at most 5 km.
    """
    size = int(cells["size_m"].mode().iloc[0]) if len(cells) else 1000

    def km(v: float) -> str:
        return fmt.number(v, 1 if v % 1 else 0)

    labels = (
        [f"≤ {km(classes_km[0])} km"]
        + [f"{km(a)}–{km(b)} km" for a, b in zip(classes_km, classes_km[1:], strict=False)]
        + [f"> {km(classes_km[-1])} km"]
    )
    dist = cells[dist_km_col].to_numpy(dtype=float)
    # The one rule of the kit: a value equal to a bound at the stated resolution falls in the
    # lower class (analysis.access.classify); unreachable gets a class of its own.
    cls = access.classify(dist, classes_km, "km").astype(float)
    n_reach = len(labels)
    unreachable = ~np.isfinite(dist)
    cls[unreachable] = n_reach
    if unreachable.any():  # islands without a road link: a class of their own, never 0 km
        labels.append("ej nåbar via väg")
    text = [
        (f"{fmt.number(d, 1)} km" if np.isfinite(d) else "ej nåbar via väg")
        + f" · {fmt.number(p)} invånare"
        for d, p in zip(dist, cells["population"], strict=True)
    ]
    # Column form (x, y, z triplets): only populated cells travel in the HTML. Every grid column
    # and row must occur once, or plotly would widen the cells next to an empty stripe.
    x, y = cells["x"].to_numpy(dtype=float), cells["y"].to_numpy(dtype=float)
    all_x = np.arange(x.min(), x.max() + size / 2, size)
    all_y = np.arange(y.min(), y.max() + size / 2, size)
    pad_x = np.setdiff1d(all_x, x)
    pad_y = np.setdiff1d(all_y, y)
    x = np.concatenate([x, pad_x, np.full(len(pad_y), all_x[0])])
    y = np.concatenate([y, np.full(len(pad_x), all_y[0]), pad_y])
    z = np.concatenate([cls, np.full(len(pad_x) + len(pad_y), np.nan)])
    text += [""] * (len(pad_x) + len(pad_y))
    n = len(labels)
    colors = sample_colorscale(SEQUENTIAL, [1 - i / (n_reach - 1) for i in range(n_reach)])
    colors += [UNREACHABLE_COLOR] * (n - n_reach)
    scale = []
    for i, c in enumerate(colors):
        scale += [[i / n, c], [(i + 1) / n, c]]
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=x,
            y=y,
            zmin=-0.5,
            zmax=n - 0.5,
            colorscale=scale,
            text=text,
            hovertemplate="%{text}<extra></extra>",
            hoverongaps=False,
            colorbar=dict(
                title=dict(text="Avstånd"), tickvals=list(range(n)), ticktext=labels, thickness=14
            ),
        )
    )
    fig.add_trace(outline_traces(borders))
    # Points of neighbouring län serve the area too, but only those inside the map are drawn.
    bx0, by0, bx1, by1 = borders.total_bounds
    pad = 0.04 * max(bx1 - bx0, by1 - by0)
    points = points[
        points["x"].between(bx0 - pad, bx1 + pad) & points["y"].between(by0 - pad, by1 + pad)
    ]
    if len(points):
        fig.add_trace(
            go.Scatter(
                x=points["x"],
                y=points["y"],
                mode="markers",
                name="Servicepunkt",
                marker=dict(
                    symbol="circle", size=5, color="#D55E00", line=dict(color="white", width=0.6)
                ),
                text=[html.escape(str(s)) for s in points["name"]],
                hovertemplate="%{text}<extra>Servicepunkt</extra>",
                showlegend=True,
            )
        )
    bx = borders.total_bounds
    map_axes(fig, bx)
    return finish(fig, title, source, height=MAP_HEIGHT)


def clear_labels(places: pd.DataFrame, bounds: Sequence[float], max_labels: int = 25) -> list[bool]:
    """Which places get their name written on a map: the largest first, then each one whose
    name would not land on a name already written (:func:`~.figures.label_clear`, with the
    map's extent as the spans: Kiruna, Tuolluvaara and Jukkasjärvi are a few km apart). The
    others keep their marker and are named on hover."""
    x0, y0, x1, y1 = bounds
    return label_clear(
        places["x"],
        places["y"],
        places["population"],
        spans=(max(x1 - x0, 1.0), max(y1 - y0, 1.0)),
        room=(0.14, 0.045),
        most=max_labels,
    )


def add_place_labels(
    fig: go.Figure,
    places: pd.DataFrame,
    max_labels: int = 25,
    bounds: Sequence[float] | None = None,
) -> go.Figure:
    """Mark the largest settlements with their names; names that would overlap are left to
    hover (:func:`clear_labels`)."""
    top = places.sort_values("population", ascending=False).head(max_labels * 3)
    if bounds is None:
        bounds = (top["x"].min(), top["y"].min(), top["x"].max(), top["y"].max())
    named = clear_labels(top, bounds, max_labels)
    fig.add_trace(
        go.Scatter(
            x=top["x"],
            y=top["y"],
            mode="markers+text",
            name="Ort",
            text=[
                html.escape(str(n)) if k else "" for n, k in zip(top["name"], named, strict=True)
            ],
            textposition="top center",
            textfont=dict(size=11, color="#111"),
            marker=dict(symbol="diamond", size=7, color="#222"),
            customdata=np.column_stack(
                [top["name"].map(lambda n: html.escape(str(n))), top["population"]]
            ),
            hovertemplate="%{customdata[0]}: ca %{customdata[1]:,.0f} invånare<extra>Ort</extra>",
        )
    )
    return fig
