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
from plotly.colors import sample_colorscale

from lansanalys import fmt
from lansanalys.analysis import access
from lansanalys.report.figures import MAP_HEIGHT, SEQUENTIAL, finish
from lansanalys.report.maps import add_side_bars, clear_labels, map_axes, outline_traces

#: Name of the closure map's trace that rings the point chosen in the page.
CHOSEN = "Vald punkt"


def closure_point_map(
    borders: gpd.GeoDataFrame,
    points: pd.DataFrame,
    title: str,
    source: str,
    limit_text: str,
    classes: Sequence[int] = (1, 50, 200, 1000),
) -> go.Figure:
    """Service points coloured by how many people their closure alone would push beyond the
    limit, sized by the people whose nearest they are; every point's figures on hover.

    ``points`` needs ``x, y, name, label, kommun, pushed_beyond, served``. The classes are
    "0", "1–49", "50–199", "200–999" and "≥ 1 000" people for the default bounds.
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
    # The most critical points beside the map, in the map's colours.
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
    return finish(fig, title, source, height=MAP_HEIGHT)


def orter_map(
    borders: gpd.GeoDataFrame,
    orter: pd.DataFrame,
    everyday: Sequence[str],
    labels: dict[str, str],
    title: str,
    source: str,
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
    top = orter.sort_values("population", ascending=False)
    top = top[clear_labels(top, borders.total_bounds, 12)]
    fig.add_trace(
        go.Scatter(
            x=top["x"],
            y=top["y"],
            mode="text",
            text=[html.escape(str(v)) for v in top["name"]],
            textposition="top center",
            textfont=dict(size=11, color="#111"),
            hoverinfo="skip",
            showlegend=False,
        )
    )
    fig.update_layout(legend=dict(title=dict(text="Serviceslag i orten"), itemsizing="constant"))
    map_axes(fig, borders.total_bounds)
    return finish(fig, title, source, height=MAP_HEIGHT)
