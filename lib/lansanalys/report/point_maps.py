"""Maps of points: every service point by what its closure would mean, and the orter of a
kommun by the service they have. On the plain SWEREF 99 TM axes of :mod:`.maps`.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
from plotly.colors import sample_colorscale

from lansanalys import fmt
from lansanalys.analysis import access
from lansanalys.report.figures import MAP_HEIGHT, SEQUENTIAL, finish, place_labels
from lansanalys.report.maps import (
    NAME_FONT,
    _view,
    add_context,
    add_side_bars,
    frame_map,
    map_axes,
    map_scale,
    outline_traces,
)

#: Name of the closure map's trace that rings the point chosen in the page.
CHOSEN = "Vald punkt"


def closure_point_map(
    borders: gpd.GeoDataFrame,
    points: pd.DataFrame,
    title: str,
    source: str,
    limit_text: str,
    classes: Sequence[int] = (1, 50, 200, 1000),
    context: gpd.GeoDataFrame | None = None,
) -> go.Figure:
    """Service points coloured by how many people their closure alone would push beyond the
    limit, sized by the people whose nearest they are; every point's figures on hover.

    ``points`` needs ``x, y, name, label, kommun, pushed_beyond, served``. The classes are
    "0", "1–49", "50–199", "200–999" and "≥ 1 000" people for the default bounds;
    ``context`` is the land around, drawn in grey.
    """
    bounds = [0, *classes, np.inf]
    labels = ["0"] + [
        f"{fmt.number(a)}–{fmt.number(b - 1)}" if np.isfinite(b) else f"≥ {fmt.number(a)}"
        for a, b in zip(bounds[1:-1], bounds[2:], strict=True)
    ]
    pushed = points["pushed_beyond"].to_numpy(dtype=float)
    cls = np.digitize(pushed, bounds[1:-1], right=False)
    colors = sample_colorscale(SEQUENTIAL, [1 - i / (len(labels) - 1) for i in range(len(labels))])
    fig = go.Figure(outline_traces(borders))
    served = points["served"].to_numpy(dtype=float)
    size = 5 + 13 * np.sqrt(served / max(served.max(), 1.0)) if len(points) else []
    # Least critical first, so the critical points are drawn on top.
    for i in range(len(labels)):
        sel = cls == i
        if not sel.any():
            continue
        part = points[sel]
        text = [
            f"<b>{html.escape(str(n))}</b> ({html.escape(str(lab))}, {html.escape(str(k))})<br>"
            f"Om den stänger: {fmt.number(p)} invånare får mer än {limit_text} till närmaste "
            f"alternativ<br>Har den som närmaste: {fmt.number(s)} invånare"
            for n, lab, k, p, s in zip(
                part["name"], part["label"], part["kommun"], pushed[sel], served[sel], strict=True
            )
        ]
        fig.add_trace(
            go.Scatter(
                x=part["x"],
                y=part["y"],
                mode="markers",
                name=labels[i],
                legendgroup=labels[i],
                marker=dict(
                    color=colors[i],
                    size=np.asarray(size)[sel],
                    line=dict(color="#222", width=0.6),
                    opacity=0.9,
                ),
                text=text,
                hovertemplate="%{text}<extra></extra>",
            )
        )
    # The point chosen in the page's list (chapters.access.closure_chooser): it opens on the most
    # critical point, and the page script moves the ring when another is chosen.
    first = access.most_critical_first(points).head(1)
    fig.add_trace(
        go.Scatter(
            x=first["x"],
            y=first["y"],
            mode="markers",
            name=CHOSEN,
            marker=dict(symbol="circle-open", size=28, color="#D55E00", line=dict(width=3)),
            hoverinfo="skip",
            showlegend=False,
        )
    )
    fig.update_layout(
        legend=dict(title=dict(text=f"Invånare som får > {limit_text}"), itemsizing="constant")
    )
    map_axes(fig, borders.total_bounds)
    add_context(fig, context, borders.total_bounds)
    finish(fig, title, source, height=MAP_HEIGHT)
    # The most critical points by the map, in the map's colours.
    top = access.most_critical_first(points.assign(_cls=cls))
    top = top.head(12)
    add_side_bars(
        fig,
        [f"{n} ({k})" for n, k in zip(top["name"], top["kommun"], strict=True)],
        top["pushed_beyond"],
        [fmt.number(v) for v in top["pushed_beyond"]],
        "Invånare som får längre om den stänger",
        [colors[i] for i in top["_cls"]],
    )
    return fig


def orter_map(
    borders: gpd.GeoDataFrame,
    orter: pd.DataFrame,
    everyday: Sequence[str],
    labels: dict[str, str],
    title: str,
    source: str,
    context: gpd.GeoDataFrame | None = None,
) -> go.Figure:
    """Orter as circles sized by their people and coloured by how many of the ``everyday``
    service types have a point in the ort (0 … all); names on the largest, every row on hover.

    ``orter`` needs ``x, y, name, population, share`` and ``n_<type>`` and ``km_<type>`` for
    each type of ``everyday``; ``labels`` maps a type to its Swedish label.
    """
    n = len(everyday)
    have = (
        sum((orter[f"n_{t}"] > 0).astype(int) for t in everyday)
        if n
        else pd.Series(0, index=orter.index)
    )
    colors = sample_colorscale(SEQUENTIAL, [1 - i / max(n, 1) for i in range(n + 1)])
    fig = go.Figure(outline_traces(borders))
    size = 8 + 30 * np.sqrt(orter["population"].to_numpy(float) / max(orter["population"].max(), 1))
    for k in range(n + 1):
        sel = (have == k).to_numpy()
        if not sel.any():
            continue
        part = orter[sel]
        text = []
        for r in part.to_dict("records"):
            lines = [
                f"<b>{html.escape(str(r['name']))}</b>: {fmt.number(r['population'])} invånare"
            ]
            for t in everyday:
                got = (
                    "finns i orten"
                    if r[f"n_{t}"] > 0
                    else (
                        f"{fmt.number(r[f'km_{t}'], 1)} km till närmaste"
                        if r[f"km_{t}"] == r[f"km_{t}"]
                        else "uppgift saknas"
                    )
                )
                lines.append(f"{html.escape(labels[t])}: {got}")
            text.append("<br>".join(lines))
        fig.add_trace(
            go.Scatter(
                x=part["x"],
                y=part["y"],
                mode="markers",
                name=f"{k} av {n}",
                marker=dict(
                    color=colors[k], size=size[sel], line=dict(color="#222", width=0.6), opacity=0.9
                ),
                text=text,
                hovertemplate="%{text}<extra></extra>",
            )
        )
    fig.update_layout(legend=dict(title=dict(text="Serviceslag i orten"), itemsizing="constant"))
    map_axes(fig, borders.total_bounds)
    add_context(fig, context, borders.total_bounds)
    finish(fig, title, source, height=MAP_HEIGHT)
    frame_map(fig)
    # Names beside the circles, where they run into no other name or circle.
    _write_names(fig, orter, size / 2, most=12)
    return fig


def _write_names(fig: go.Figure, places: pd.DataFrame, radius, most: int) -> list[str | None]:
    """Write the names of ``places`` (``x, y, name, population``) beside their markers
    (``radius`` px), the largest first, where they meet no other name or marker on the printed
    map (:func:`~.figures.place_labels`); the others are left to hover."""
    scale = map_scale(fig)
    x0, y0, x1, y1 = _view(fig)
    spots = place_labels(
        (places["x"].to_numpy(dtype=float) - x0) * scale,
        (places["y"].to_numpy(dtype=float) - y0) * scale,
        [str(n) for n in places["name"]],
        places["population"].to_numpy(dtype=float),
        radius=radius,
        font_px=NAME_FONT["size"],
        area=((x1 - x0) * scale, (y1 - y0) * scale),
        most=most,
    )
    keep = np.array([k is not None for k in spots], dtype=bool)
    # Plotly offsets a name from its point by the point's marker: an invisible marker of the
    # circle's size sets the name ``radius`` px off, where place_labels put it (without one
    # the name would lie on its own circle).
    size = 2 * np.broadcast_to(np.asarray(radius, dtype=float), keep.shape)[keep]
    fig.add_trace(
        go.Scatter(
            x=places["x"][keep],
            y=places["y"][keep],
            mode="markers+text",
            marker=dict(size=size, opacity=0),
            text=[html.escape(str(n)) for n in places["name"][keep]],
            textposition=[k for k in spots if k is not None],
            textfont=NAME_FONT,
            hoverinfo="skip",
            showlegend=False,
            name="Ortnamn",
        )
    )
    return spots


def add_place_labels(fig: go.Figure, places: pd.DataFrame, max_labels: int = 25) -> go.Figure:
    """Mark the largest settlements (``x, y, name, population``) with a diamond and write the
    names that fit (:func:`_write_names`: Kiruna, Tuolluvaara and Jukkasjärvi are a few km
    apart, so only Kiruna's is written at the län's scale); every one is named on hover. Call
    on a framed map (after :func:`~.maps.frame_map`)."""
    top = places.sort_values("population", ascending=False).head(max_labels * 3)
    fig.add_trace(
        go.Scatter(
            x=top["x"],
            y=top["y"],
            mode="markers",
            name="Ort",
            marker=dict(symbol="diamond", size=7, color="#222", line=dict(color="white", width=1)),
            customdata=np.column_stack(
                [top["name"].map(lambda n: html.escape(str(n))), top["population"]]
            ),
            hovertemplate="%{customdata[0]}: ca %{customdata[1]:,.0f} invånare<extra>Ort</extra>",
        )
    )
    _write_names(fig, top, 4.5, most=max_labels)
    return fig


#: Colour and symbol of closed and opened points on the change map (colour-blind safe pair).
CHANGE_STYLE = {
    "stängd": ("Stängd", "#D55E00", "x"),
    "öppnad": ("Öppnad", "#0072B2", "triangle-up"),
}


def change_point_map(
    borders: gpd.GeoDataFrame,
    points: pd.DataFrame,
    title: str,
    source: str,
    context: gpd.GeoDataFrame | None = None,
) -> go.Figure:
    """Service points closed and opened between two years: closed as vermilion crosses,
    opened as blue triangles; name, type and kommun on hover.

    ``points`` needs ``x, y, name, label, change`` ("stängd" or "öppnad").
    """
    # Unvalidated (plotly's checks of every layout update were most of the map's time; the kommun
    # report is rendered 290 times): the traces and layout below are fixed and known good.
    fig = go.Figure(outline_traces(borders), _validate=False)
    for key, (name, color, symbol) in CHANGE_STYLE.items():
        part = points[points["change"] == key]
        text = [
            f"<b>{html.escape(str(n))}</b><br>{html.escape(str(lab))}: {name.lower()}"
            for n, lab in zip(part["name"], part["label"], strict=True)
        ]
        fig.add_trace(
            go.Scatter(
                x=part["x"],
                y=part["y"],
                mode="markers",
                name=f"{name} ({fmt.number(len(part))})",
                marker=dict(color=color, symbol=symbol, size=9, line=dict(color="#222", width=0.6)),
                text=text,
                hovertemplate="%{text}<extra></extra>",
            )
        )
    fig.update_layout(legend=dict(title=dict(text="Servicepunkter"), itemsizing="constant"))
    map_axes(fig, borders.total_bounds)
    add_context(fig, context, borders.total_bounds)
    finish(fig, title, source, height=MAP_HEIGHT)
    frame_map(fig)
    # The template by name is resolved only by a validated update.
    name = fig.to_plotly_json()["layout"].get("template")
    fig._validate = True
    if isinstance(name, str):
        fig.update_layout(template=pio.templates[name])
    return fig
