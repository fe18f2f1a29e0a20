"""The distance map: populated grid cells coloured by distance class, on the plain SWEREF 99 TM
axes of :mod:`.maps`.

Cells of any size (SCB's 1 km, 250 m grids) are drawn at their own size, read from the data.
Where a cell would be smaller than :data:`MIN_CELL_PX` on the printed map (a large län), the map
opens on coarser squares that nest the cells, each coloured by the **median distance of the
people living in it** (the population-weighted median: at least half of them live at most that
far), and buttons under the map show the cells themselves and zoom to the largest towns.
"""

from __future__ import annotations

import html
import textwrap
from collections.abc import Sequence
from functools import reduce
from math import gcd

import geopandas as gpd
import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.colors import sample_colorscale

from lansanalys import fmt, geo
from lansanalys.analysis import access
from lansanalys.report.figures import (
    MAP_HEIGHT,
    SEQUENTIAL,
    SOURCE_WRAP,
    UNREACHABLE_COLOR,
    finish,
)
from lansanalys.report.maps import (
    _view,
    add_area_names,
    add_context,
    frame_map,
    map_axes,
    map_layout,
    outline_traces,
)

#: A drawn cell smaller than this (px on the printed page) is lost among the points and
#: borders: the map then opens on coarser squares.
MIN_CELL_PX = 3.5
#: Sides (m) the squares of the opening view may have; each is a multiple of every finer one
#: that divides it, and all start at SWEREF 0, so every cell lies in one square.
DISPLAY_SIZES_M = (250, 500, 1000, 2000, 5000, 10_000, 20_000)
#: Half the side (m) of the view a town button zooms to.
TOWN_ZOOM_M = 15_000


def grid_size(cells: pd.DataFrame) -> int:
    """The side (m) of the cells, from the data, never assumed: their ``size_m`` column (one
    size), else their square polygons (a GeoDataFrame), else the spacing of their centres.

    Cells of two sizes are an error naming both, as are cells whose size cannot be told (one
    cell without a size column or polygon).
    """
    if "size_m" in cells.columns and len(cells):
        return geo.cell_size_m(cells[["size_m"]].dropna())  # the grid's one size, checked
    if isinstance(cells, gpd.GeoDataFrame) and len(cells):
        sides = np.sqrt(cells.geometry.area.to_numpy())
        if np.ptp(sides) > 1:
            raise ValueError("grid cells of more than one size; a map draws one grid")
        return int(round(float(sides[0])))
    steps = [
        int(round(v))
        for c in ("x", "y")
        if c in cells.columns
        for v in np.diff(np.unique(cells[c].to_numpy(dtype=float)))
    ]
    if not steps:
        raise ValueError(
            "cannot tell the cell size: the cells need a size_m column, square polygons or "
            "more than one centre"
        )
    return reduce(gcd, steps)


def display_size(cell_m: int, px_per_m: float) -> int:
    """Side (m) of the squares a map opens on: the cells' own where they show as at least
    :data:`MIN_CELL_PX`, else the smallest of :data:`DISPLAY_SIZES_M` (a multiple of the
    cells) that does."""
    for size in (cell_m, *DISPLAY_SIZES_M):
        if size >= cell_m and size % cell_m == 0 and size * px_per_m >= MIN_CELL_PX:
            return int(size)
    return int(DISPLAY_SIZES_M[-1])


def coarse_cells(
    cells: pd.DataFrame,
    dist_km: np.ndarray,
    size_m: int,
    classes_km: Sequence[float],
    headline_km: float = access.HEADLINE_KM,
) -> pd.DataFrame:
    """The cells gathered into squares of side ``size_m`` that nest them.

    Each square has the centre ``x, y``, ``population``, ``n_cells`` (populated cells in it),
    ``median_km`` — the population-weighted (lower) median of its people's distances: the
    smallest distance within which at least half of them live (inf where that half includes
    people without a road link) — its class ``cls`` by the same rule as the cells
    (:func:`lansanalys.analysis.access.classify`; unreachable is the last class), and
    ``share_beyond`` (percent of its people beyond ``headline_km``, unreachable counted as
    beyond). A square whose cells hold no people weighs its cells equally.
    """
    d = np.where(np.isfinite(dist_km), dist_km, np.inf)
    pop = cells["population"].to_numpy(dtype=float)
    df = pd.DataFrame(
        {
            "ix": np.floor(cells["x"].to_numpy(dtype=float) / size_m).astype(np.int64),
            "iy": np.floor(cells["y"].to_numpy(dtype=float) / size_m).astype(np.int64),
            "d": d,
            "pop": pop,
        }
    )
    total = df.groupby(["ix", "iy"])["pop"].transform("sum")
    df["w"] = np.where(total > 0, df["pop"], 1.0)
    df["beyond"] = access.classify(df["d"].to_numpy(), (headline_km,), "km") > 0
    df = df.sort_values(["ix", "iy", "d"], kind="stable")
    g = df.groupby(["ix", "iy"], sort=False)
    df["cum"] = g["w"].cumsum()
    df["half"] = g["w"].transform("sum") / 2
    med = df[df["cum"] >= df["half"]].groupby(["ix", "iy"], sort=False)["d"].first()
    out = pd.DataFrame(
        {
            "population": g["pop"].sum(),
            "n_cells": g.size(),
            "median_km": med,
            "share_beyond": 100
            * (df["pop"] * df["beyond"]).groupby([df["ix"], df["iy"]]).sum()
            / g["pop"].sum().replace(0, np.nan),
        }
    ).reset_index()
    out["x"] = (out["ix"] + 0.5) * size_m
    out["y"] = (out["iy"] + 0.5) * size_m
    cls = access.classify(out["median_km"].to_numpy(dtype=float), classes_km, "km")
    cls[~np.isfinite(out["median_km"].to_numpy(dtype=float))] = len(classes_km) + 1
    out["cls"] = cls
    return out.drop(columns=["ix", "iy"])


def _size_text(size_m: float) -> str:
    """ "1 km", "250 m", "5 km" in report text."""
    return f"{fmt.number(size_m / 1000, 0)} km" if size_m % 1000 == 0 else f"{size_m:g} m"


def _heatmap(x, y, z, text, size: float, n: int, scale, visible: bool, name: str) -> go.Heatmap:
    """A class heatmap on the grid of side ``size``: only the given cells travel in the HTML
    (column form); every grid column and row is listed once, or plotly would widen the cells
    next to an empty stripe."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    all_x = np.arange(x.min(), x.max() + size / 2, size)
    all_y = np.arange(y.min(), y.max() + size / 2, size)
    pad_x, pad_y = np.setdiff1d(all_x, x), np.setdiff1d(all_y, y)
    return go.Heatmap(
        x=np.concatenate([x, pad_x, np.full(len(pad_y), all_x[0])]),
        y=np.concatenate([y, np.full(len(pad_x), all_y[0]), pad_y]),
        z=np.concatenate([z, np.full(len(pad_x) + len(pad_y), np.nan)]),
        zmin=-0.5,
        zmax=n - 0.5,
        colorscale=scale,
        text=list(text) + [""] * (len(pad_x) + len(pad_y)),
        hovertemplate="%{text}<extra></extra>",
        hoverongaps=False,
        showscale=False,
        visible=visible,
        name=name,
    )


def distance_grid_map(
    cells: pd.DataFrame,
    dist_km_col: str,
    borders: gpd.GeoDataFrame,
    points: pd.DataFrame,
    title: str,
    source: str,
    classes_km: Sequence[float] = (2, 5, 10, 20),
    context: gpd.GeoDataFrame | None = None,
    names_col: str | None = None,
    towns: pd.DataFrame | None = None,
    bars: bool = False,
) -> go.Figure:
    """Populated cells as squares coloured by distance class, with borders and service points.

    ``cells`` needs ``x, y`` (centres, metres), ``population``, the distance column in km and
    its size (:func:`grid_size`). ``context`` is the land around (grey), ``names_col`` the
    column of ``borders`` whose names are written, ``towns`` (``x, y, name``) the places the
    zoom buttons go to, ``bars`` whether bars will be laid by the map (the scale the cells are
    judged at). Where cells would be too small to see (:func:`display_size`) the map opens on
    coarser squares (:func:`coarse_cells`) and says so in the source note.

    As in :func:`lansanalys.analysis.access.access_classes`, a distance equal to a bound belongs
    to the lower class: "≤ 2 km" holds 2,0 km, "2–5 km" means more than 2 and at most 5 km.
    """
    size = grid_size(cells)
    on_screen = on_paper = ""

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
    labels.append("ej nåbar via väg")
    text = [
        (f"{fmt.number(d, 1)} km" if np.isfinite(d) else "ej nåbar via väg")
        + f" · {fmt.number(p)} invånare"
        for d, p in zip(dist, cells["population"], strict=True)
    ]
    n = len(labels)
    colors = sample_colorscale(SEQUENTIAL, [1 - i / (n_reach - 1) for i in range(n_reach)])
    colors += [UNREACHABLE_COLOR]
    scale = []
    for i, c in enumerate(colors):
        scale += [[i / n, c], [(i + 1) / n, c]]
    fig = go.Figure()
    map_axes(fig, borders.total_bounds)
    view = _view(fig)
    shown = display_size(size, map_layout(view, 300.0 if bars else None)["px_per_m"])
    fine = f"{_size_text(size)}-rutor"
    if shown != size:
        sq = coarse_cells(cells, dist, shown, classes_km)
        sq_text = [
            f"{_size_text(shown)}-ruta: {fmt.number(p)} invånare i {k} befolkade {fine}<br>"
            + (
                f"Medianavstånd {fmt.number(m, 1)} km ({labels[int(c)]})"
                if np.isfinite(m)
                else "Minst hälften saknar vägförbindelse till servicen"
            )
            + f"<br>{fmt.percent(b)} bor mer än {km(access.HEADLINE_KM)} km bort"
            for p, k, m, c, b in zip(
                sq["population"],
                sq["n_cells"],
                sq["median_km"],
                sq["cls"],
                sq["share_beyond"],
                strict=True,
            )
        ]
        fig.add_trace(
            _heatmap(sq["x"], sq["y"], sq["cls"], sq_text, shown, n, scale, True, "Kvadrater")
        )
        source += (
            f" Kartan visar {_size_text(shown)}-rutor: varje ruta har färgen för medianavståndet "
            f"för dem som bor i den (minst hälften av rutans invånare bor så nära eller närmare)"
        )
        # The buttons are the screen's; on paper (where they are hidden) the note says where
        # the finer cells are instead (see report.plotly_html: print_source).
        on_screen = f"; knapparna under kartan visar {fine}na och zoomar in på orter."
        on_paper = f". I rapportens webbversion visar kartan också {fine}na och orterna närmare."
    fig.add_trace(
        _heatmap(cells["x"], cells["y"], cls, text, size, n, scale, shown == size, "Rutor")
    )
    # The classes as legend entries (squares), so the map keeps the width a colour bar took.
    for i, (lab, c) in enumerate(zip(labels, colors, strict=True)):
        if i < n_reach or unreachable.any():
            fig.add_trace(
                go.Scatter(
                    x=[None],
                    y=[None],
                    mode="markers",
                    marker=dict(symbol="square", size=11, color=c),
                    name=lab,
                    hoverinfo="skip",
                )
            )
    fig.add_trace(outline_traces(borders))
    # Points of neighbouring areas serve the area too, but only those inside the map are drawn.
    x0, y0, x1, y1 = view
    points = points[points["x"].between(x0, x1) & points["y"].between(y0, y1)]
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
    add_context(fig, context, borders.total_bounds)
    fig.update_layout(legend=dict(itemsizing="constant", title=dict(text="Avstånd:")))
    finish(fig, title, source + on_screen, height=MAP_HEIGHT)
    if on_paper:
        lines = textwrap.wrap(source + on_paper, SOURCE_WRAP)
        fig.layout.meta = {
            **fig.layout.meta,
            "print_source": "<br>".join(html.escape(line) for line in lines),
        }
    frame_map(fig)
    if names_col is not None:
        add_area_names(fig, borders, names_col, bars=bars)
    if shown != size:
        _buttons(fig, shown, size, towns)
        frame_map(fig)  # places the buttons under the map
    return fig


def _buttons(fig: go.Figure, shown: int, size: int, towns: pd.DataFrame | None) -> None:
    """Buttons under the map: the opening view (coarse squares, whole area), the cells
    themselves, and a zoom on each of ``towns`` with the cells."""
    kinds = [tr.name for tr in fig.data]
    # Only the two grids change (by index: bars added later keep their visibility).
    grids = [kinds.index("Kvadrater"), kinds.index("Rutor")]
    coarse, fine = [True, False], [False, True]
    (xr, yr) = list(fig.layout.xaxis.range), list(fig.layout.yaxis.range)
    items = [
        dict(
            label=f"Hela kartan, {_size_text(shown)}-rutor",
            method="update",
            args=[{"visible": coarse}, {"xaxis.range": xr, "yaxis.range": yr}, grids],
        ),
        dict(
            label=f"{_size_text(size)}-rutor",
            method="update",
            args=[{"visible": fine}, {"xaxis.range": xr, "yaxis.range": yr}, grids],
        ),
    ]
    towns = towns if towns is not None else pd.DataFrame(columns=["x", "y", "name"])
    for t in towns.head(3).itertuples():
        items.append(
            dict(
                label=html.escape(str(t.name)),
                method="update",
                args=[
                    {"visible": fine},
                    {
                        "xaxis.range": [t.x - TOWN_ZOOM_M, t.x + TOWN_ZOOM_M],
                        "yaxis.range": [t.y - TOWN_ZOOM_M, t.y + TOWN_ZOOM_M],
                    },
                    grids,
                ],
            )
        )
    fig.update_layout(
        updatemenus=[
            dict(
                type="buttons",
                direction="right",
                buttons=items,
                showactive=True,
                active=0,
                x=0,
                xanchor="left",
                yanchor="top",
                pad=dict(t=4, b=4, l=0, r=4),
                font=dict(size=11),
                bgcolor="#f6f8fa",
                bordercolor="#bbb",
            )
        ]
    )
