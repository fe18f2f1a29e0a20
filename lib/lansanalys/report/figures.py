"""Figure builders: each returns a :class:`plotly.graph_objects.Figure`, never shows it.

Maps are drawn in SWEREF 99 TM metres on plain axes with an equal aspect ratio: no web map tiles
and no topojson, so they draw offline and keep their meaning in print (legend, scale bar in km).
Every figure carries its source and data year in a note under the plot.
"""

from __future__ import annotations

import html
import textwrap

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
from plotly.colors import sample_colorscale

from lansanalys import fmt
from lansanalys.report.labels import (  # noqa: F401 - re-exported
    LABEL_GAP,
    LABEL_SPOTS,
    place_labels,
    text_box,
)

# Okabe–Ito: distinguishable with the common colour-vision deficiencies.
OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
SEQUENTIAL = "Viridis"  # perceptually uniform and colour-blind safe
DIVERGING = "PuOr"  # colour-blind safe diverging (ColorBrewer)
FONT = "Segoe UI, Helvetica Neue, Arial, sans-serif"
UNREACHABLE_COLOR = "#9E9E9E"  # cells without a road link, in maps and class bars

#: Tick number format of every axis: thousands separated (the separators are Swedish, see
#: :data:`lansanalys.fmt.PLOTLY_SEPARATORS`), no SI suffixes, no tilted labels.
AXIS_NUMBERS = dict(separatethousands=True, exponentformat="none", tickangle=0)
#: Years are labels, not amounts: "2024", never "2 024".
YEAR_FORMAT = "d"

pio.templates["lansanalys"] = go.layout.Template(
    layout=go.Layout(
        font=dict(family=FONT, size=13, color="#222"),
        colorway=OKABE_ITO,
        separators=fmt.PLOTLY_SEPARATORS,
        paper_bgcolor="white",
        plot_bgcolor="white",
        margin=dict(l=60, r=30, t=115, b=120),
        hoverlabel=dict(font=dict(family=FONT)),
        # Swedish numbers on every axis and colour bar: "1 000 1 500 2 000" (a space between
        # thousands even in four digits, never "1k"), and tick labels upright.
        xaxis=dict(gridcolor="#e5e5e5", zerolinecolor="#999", automargin=True, **AXIS_NUMBERS),
        yaxis=dict(gridcolor="#e5e5e5", zerolinecolor="#999", automargin=True, **AXIS_NUMBERS),
        legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="left", x=0),
        # The title (the finding) at the top left of the figure; :func:`finish` sets its text.
        title=dict(
            x=0,
            xanchor="left",
            y=1,
            yref="container",
            yanchor="top",
            pad=dict(t=22),
            font=dict(size=17),
        ),
    ),
    # Colour bars read numbers the same way as the axes.
    data=dict(
        heatmap=[go.Heatmap(colorbar=dict(separatethousands=True, exponentformat="none"))],
        scatter=[
            go.Scatter(marker=dict(colorbar=dict(separatethousands=True, exponentformat="none")))
        ],
    ),
)


#: Figure heights (px), one per kind so pages have a steady rhythm: line and bar charts, the
#: population pyramid (21 age bands), maps. Ranked bars and matrices grow by their rows.
CHART_HEIGHT = 520
PYRAMID_HEIGHT = 600
MAP_HEIGHT = 720

#: The bubble chart is taller than a line chart: its names need room between the bubbles.
BUBBLE_HEIGHT = 600
#: Its plot area (px) on the printed page, the smallest it is drawn at (figure about 795 px
#: wide less the margins, the y-axis title and the colour bar; height less the margins).
BUBBLE_PLOT_PX = (540.0, 350.0)

#: Characters per line of a figure title (17 px) and of the source note under it (11 px) that
#: fit the printed A4 page (figures about 775 px wide, see render.pdf) as well as the screen;
#: plotly does not wrap text itself.
TITLE_WRAP = 80
SOURCE_WRAP = 95


#: Width (px) a horizontal legend has on the printed page, and the width of an item: the
#: symbol and gap, and about 7 px a character of its 13 px name.
LEGEND_WIDTH = 680


def legend_rows(fig: go.Figure) -> int:
    """Rows a horizontal legend above the plot takes on the printed page (at least 1)."""
    if fig.layout.showlegend is False or fig.layout.legend.orientation == "v":
        return 1
    names = [
        str(t.name)
        for t in fig.data
        if t.name and t.showlegend is not False and t.type not in ("heatmap", "choropleth")
    ]
    rows, used = 1, 0
    for name in names:
        w = 45 + 7 * len(name)
        if used and used + w > LEGEND_WIDTH:
            rows, used = rows + 1, 0
        used += w
    return rows


def finish(fig: go.Figure, title: str, source: str, height: int = CHART_HEIGHT) -> go.Figure:
    """Title (the finding), source note under the plot, shared template.

    Long source notes wrap onto several lines; the bottom margin grows to hold them.
    """
    lines = textwrap.wrap(source, SOURCE_WRAP) or [""]
    bottom = max(fig.layout.margin.b or 120, 120) + 15 * (len(lines) - 1)
    # A long finding wraps (plotly does not), so nothing is cut off at 1 280 px or on A4.
    heads = textwrap.wrap(title, TITLE_WRAP) or [""]
    # The title sits at the top of the figure; the legend (above the plot) and any extra title
    # or legend lines get room of their own between the two.
    grow = 22 * (len(heads) - 1) + 21 * (legend_rows(fig) - 1)
    top = max(fig.layout.margin.t or 115, 115) + grow
    if pio.templates.default != "lansanalys":
        # A figure made after la.setup() has the kit's template already (set unvalidated when
        # the figure was made); setting it again validates the whole template (~13 000 calls).
        fig.update_layout(template=pio.templates["lansanalys"])
    fig.update_layout(
        height=height + 15 * (len(lines) - 1) + grow,
        margin=dict(b=bottom, t=top),
        # Placed by the template (top left, 17 px): setting it here cost ~5 000 calls a figure.
        title_text="<br>".join(html.escape(h) for h in heads),
    )
    # The source sits at the bottom edge of the figure, below any axis title.
    fig.add_annotation(
        text="<br>".join(html.escape(line) for line in lines),
        xref="paper",
        yref="paper",
        x=0,
        y=0,
        xanchor="left",
        yanchor="top",
        yshift=-(bottom - 15 * len(lines) - 8),
        showarrow=False,
        font=dict(size=11, color="#555"),
        align="left",
    )
    fig.layout.meta = {"source": source, "title": title}
    return fig


def pyramid(
    region: pd.DataFrame,
    reference: pd.DataFrame,
    region_name: str,
    reference_name: str,
    title: str,
    source: str,
) -> go.Figure:
    """Population pyramid in percent of the total: bars for the region, outline for a reference.

    ``region`` and ``reference`` come from :func:`lansanalys.analysis.demography.pyramid_shares`.
    """
    fig = go.Figure()
    # The reference is drawn in a dark shade of each sex's colour, so its two legend entries
    # ("Riket, män", "Riket, kvinnor") tell which line is which.
    for sex, sign, color, dark in (
        ("män", -1, OKABE_ITO[0], "#003d5e"),
        ("kvinnor", 1, OKABE_ITO[1], "#7a4f00"),
    ):
        r = region[region["sex"] == sex]
        fig.add_trace(
            go.Bar(
                y=r["age_group"],
                x=sign * r["share"],
                orientation="h",
                marker_color=color,
                name=html.escape(f"{region_name}, {sex}"),
                customdata=np.column_stack([r["share"], r["population"]]),
                hovertemplate="%{y} år: %{customdata[0]:.2f} % (%{customdata[1]:,.0f} personer)"
                "<extra>" + html.escape(f"{region_name}, {sex}") + "</extra>",
            )
        )
        ref = reference[reference["sex"] == sex]
        fig.add_trace(
            go.Scatter(
                y=ref["age_group"],
                x=sign * ref["share"],
                mode="lines+markers",
                line=dict(color=dark, width=1.5, shape="hvh"),
                marker=dict(size=4, color=dark),
                name=html.escape(f"{reference_name}, {sex}"),
                customdata=ref["share"],
                hovertemplate="%{y} år: %{customdata:.2f} %<extra>"
                + html.escape(reference_name)
                + f", {sex}</extra>",
            )
        )
    m = float(max(region["share"].max(), reference["share"].max())) * 1.1
    ticks = np.arange(0, m, 1.0 if m > 2 else 0.5)
    fig.update_layout(barmode="overlay", bargap=0.05)
    fig.update_xaxes(
        range=[-m, m],
        tickvals=list(-ticks[::-1]) + list(ticks[1:]),
        ticktext=[fmt.number(v, 0 if m > 2 else 1) for v in list(ticks[::-1]) + list(ticks[1:])],
        title="Andel av befolkningen, procent (män till vänster, kvinnor till höger)",
    )
    fig.update_yaxes(
        title="Ålder", categoryorder="array", categoryarray=list(dict.fromkeys(region["age_group"]))
    )
    return finish(fig, title, source, height=PYRAMID_HEIGHT)


def matrix_heatmap(
    matrix: pd.DataFrame,
    title: str,
    source: str,
    value_title: str,
    decimals: int = 1,
    suffix: str = " %",
) -> go.Figure:
    """A rows × columns table of values as a heatmap with the value written in each cell.

    Used for e.g. kommun × service type shares; rows keep the order of ``matrix``.
    """
    z = matrix.to_numpy(dtype=float)
    text = [
        [fmt.number(v, decimals) + suffix if np.isfinite(v) else ".." for v in row] for row in z
    ]
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=[html.escape(str(c)) for c in matrix.columns],
            y=[html.escape(str(r)) for r in matrix.index],
            text=text,
            texttemplate="%{text}",
            colorscale=SEQUENTIAL,
            reversescale=True,
            zmin=0,
            xgap=2,
            ygap=2,
            hovertemplate="%{y} · %{x}: %{text}<extra></extra>",
            colorbar=dict(title=dict(text=value_title), ticksuffix=suffix, thickness=14),
        )
    )
    # Column names tilted so they never run into each other, however narrow the columns get
    # (seven service types in an A4 column leave about 70 px each).
    fig.update_xaxes(side="top", tickangle=-40, showgrid=False)
    fig.update_yaxes(autorange="reversed", showgrid=False)
    # Room above the cells for the tilted names (about 7,5 px a character at 13 px, sin 40°).
    tilt = int(0.65 * 7.5 * max((len(str(c)) for c in matrix.columns), default=0))
    fig.update_layout(margin=dict(t=115 + tilt))
    return finish(fig, title, source, height=max(380, 34 * len(matrix) + 230 + tilt))


def index_lines(data: pd.DataFrame, title: str, source: str, value_title: str) -> go.Figure:
    """Lines of an index over years, one per ``area`` (columns year, index, population, area)."""
    fig = go.Figure()
    for i, (area, d) in enumerate(data.groupby("area", sort=False)):
        fig.add_trace(
            go.Scatter(
                x=d["year"],
                y=d["index"],
                mode="lines+markers",
                name=html.escape(str(area)),
                line=dict(color=OKABE_ITO[i % len(OKABE_ITO)], width=3 if i == 0 else 2),
                customdata=d["population"],
                hovertemplate="%{x}: index %{y:.1f} (%{customdata:,.0f} invånare)<extra>"
                + html.escape(str(area))
                + "</extra>",
            )
        )
    fig.add_hline(y=100, line=dict(color="#999", width=1))
    fig.update_xaxes(title="År", dtick=1, tickformat=YEAR_FORMAT)
    fig.update_yaxes(title=value_title)
    return finish(fig, title, source, height=CHART_HEIGHT)


def projection_lines(
    observed: pd.DataFrame,
    projected: pd.DataFrame,
    title: str,
    source: str,
    value_title: str = "Invånare",
) -> go.Figure:
    """Population by age group over time: solid observed, dashed projected.

    Both frames have ``year, group, population``; groups keep their order of appearance.
    With ``value_title`` other than "Invånare" the values are an index (base year = 100):
    every age group's change then shows on one scale.
    """
    index = value_title != "Invånare"
    fig = go.Figure()
    for i, group in enumerate(dict.fromkeys(observed["group"])):
        color = OKABE_ITO[i % len(OKABE_ITO)]
        for frame, dash, suffix in (
            (observed, "solid", ""),
            (projected, "dash", ", framskrivning"),
        ):
            d = frame[frame["group"] == group]
            fig.add_trace(
                go.Scatter(
                    x=d["year"],
                    y=d["population"],
                    mode="lines",
                    name=html.escape(group),
                    line=dict(color=color, dash=dash, width=2.5),
                    legendgroup=group,
                    showlegend=not suffix,
                    hovertemplate=(
                        "%{x}: index %{y:.1f}<extra>" if index else "%{x}: %{y:,.0f}<extra>"
                    )
                    + html.escape(group + suffix)
                    + "</extra>",
                )
            )
    # One legend entry explains the dashes for every group.
    fig.add_trace(
        go.Scatter(
            x=[None],
            y=[None],
            mode="lines",
            name="Framskrivning (streckad)",
            line=dict(color="#555", dash="dash", width=2.5),
            hoverinfo="skip",
        )
    )
    fig.update_xaxes(title="År", tickformat=YEAR_FORMAT)
    if index:
        fig.add_hline(y=100, line=dict(color="#999", width=1))
        fig.update_yaxes(title=value_title, tickformat=",.0f")
    else:
        fig.update_yaxes(title=value_title, rangemode="tozero", tickformat=",.0f")
    return finish(fig, title, source, height=CHART_HEIGHT)


def stacked_bars(
    df: pd.DataFrame, x: str, stack: str, value: str, title: str, source: str, value_title: str
) -> go.Figure:
    """Vertical bars of ``value`` per ``x``, stacked by ``stack``."""
    fig = go.Figure()
    for i, (name, d) in enumerate(df.groupby(stack, sort=False)):
        fig.add_trace(
            go.Bar(
                x=d[x],
                y=d[value],
                name=html.escape(str(name)),
                marker_color=OKABE_ITO[i % len(OKABE_ITO)],
                hovertemplate="%{x}: %{y:,.1f}<extra>" + html.escape(str(name)) + "</extra>",
            )
        )
    fig.update_layout(barmode="stack", legend=dict(y=1.02))
    fig.update_xaxes(title=None, dtick=1, tickformat=YEAR_FORMAT)
    # Whole numbers on the axis unless the stacks are small (2,6 mnkr would read 0 0 1 1 1).
    top = df.groupby(x)[value].sum().max() if len(df) else 0
    fig.update_yaxes(title=value_title, tickformat=",.0f" if top >= 10 else ",.1f")
    return finish(fig, title, source, height=CHART_HEIGHT)


def bubble_scatter(
    df: pd.DataFrame,
    x: str,
    y: str,
    size: str,
    color: str,
    label: str,
    title: str,
    source: str,
    x_title: str,
    y_title: str,
    color_title: str,
) -> go.Figure:
    """Scatter with labelled bubbles (size ∝ ``size``, colour by ``color``, diverging at 0).

    When ``color`` has no value at all (e.g. population change from one year of data) the
    bubbles are grey, with no colour bar and no colour line in the hover text.
    """
    sz = df[size].astype(float)
    diameter = (np.sqrt(sz / sz.max()) * 40 + 6).to_numpy(dtype=float)
    marker = dict(size=diameter, line=dict(color="#333", width=0.6))
    hover = (
        "<b>%{customdata[2]}</b><br>"
        + html.escape(x_title)
        + ": %{x:.1f}<br>"
        + html.escape(y_title)
        + ": %{y:,.0f}<br>%{customdata[0]:,.0f} invånare"
    )
    if df[color].isna().all():
        marker["color"] = "#999999"
    else:
        span = float(np.nanmax(np.abs(df[color]))) or 1.0
        marker |= dict(
            color=df[color],
            colorscale=DIVERGING,
            cmin=-span,
            cmax=span,
            # The title stands beside the bar, so the plot keeps its width.
            colorbar=dict(title=dict(text=color_title, side="right"), thickness=14),
        )
        hover += "<br>" + html.escape(color_title) + ": %{customdata[1]:.1f}"
    # Fixed ranges (room for the largest bubble), so names are placed on the drawn scale.
    xs, ys = df[x].to_numpy(dtype=float), df[y].to_numpy(dtype=float)
    x_hi = (np.nanmax(xs) if np.isfinite(xs).any() else 1.0) * 1.08 or 1.0
    y_hi = (np.nanmax(ys) if np.isfinite(ys).any() else 1.0) * 1.15 or 1.0
    w, h = BUBBLE_PLOT_PX
    spots = place_labels(
        xs / x_hi * w,
        ys / y_hi * h,
        [str(v) for v in df[label]],
        sz.to_numpy(dtype=float),
        radius=diameter / 2,
        font_px=10,
        area=(w, h),
    )
    fig = go.Figure(
        go.Scatter(
            x=df[x],
            y=df[y],
            mode="markers+text",
            text=[
                html.escape(str(v)) if spot else ""
                for v, spot in zip(df[label], spots, strict=True)
            ],
            textposition=[spot or "top center" for spot in spots],
            textfont=dict(size=10),
            marker=marker,
            customdata=np.column_stack(
                [df[size], df[color], [html.escape(str(v)) for v in df[label]]]
            ),
            hovertemplate=hover + "<extra></extra>",
            showlegend=False,
        )
    )
    fig.update_xaxes(title=x_title, range=[0, x_hi])
    fig.update_yaxes(title=y_title, range=[0, y_hi], tickformat=",.0f")
    return finish(fig, title, source, height=BUBBLE_HEIGHT)


def grouped_shares(
    df: pd.DataFrame, category: str, measure: str, value: str, title: str, source: str
) -> go.Figure:
    """Side-by-side horizontal bars of percent shares per category (e.g. kommungrupp)."""
    fig = go.Figure()
    for i, (name, d) in enumerate(df.groupby(measure, sort=False)):
        fig.add_trace(
            go.Bar(
                y=[html.escape(str(c)) for c in d[category]],
                x=d[value],
                orientation="h",
                name=html.escape(str(name)),
                marker_color=OKABE_ITO[i % len(OKABE_ITO)],
                text=[fmt.number(v, 1) + " %" for v in d[value]],
                textposition="outside",
                cliponaxis=False,
                hovertemplate="%{y}: %{text}<extra>" + html.escape(str(name)) + "</extra>",
            )
        )
    fig.update_layout(barmode="group")
    # Room right of the longest bar for its value.
    top = float(np.nanmax(df[value])) if len(df) else 0.0
    fig.update_xaxes(title="Procent", ticksuffix=" %", range=[0, max(top, 1.0) * 1.15])
    fig.update_yaxes(autorange="reversed")
    return finish(fig, title, source, height=max(380, 60 * df[category].nunique() + 220))


def class_bars(
    df: pd.DataFrame,
    label_col: str,
    class_col: str,
    share_col: str,
    title: str,
    source: str,
    value_title: str = "Andel av befolkningen, procent",
) -> go.Figure:
    """Horizontal 100 % bars: one per area, split into ordered access classes.

    ``df`` is long (area × class) and already in display order; the class order is the order
    of first appearance. The nearest class is the brightest Viridis colour, the furthest the
    darkest, and the unreachable class ("ej nåbar") grey.
    """
    classes = list(dict.fromkeys(df[class_col]))
    reach = [c for c in classes if c != "ej nåbar"]
    colors = sample_colorscale(
        SEQUENTIAL, [1 - i / max(len(reach) - 1, 1) for i in range(len(reach))]
    )
    palette = dict(zip(reach, colors, strict=True)) | {"ej nåbar": UNREACHABLE_COLOR}
    areas = list(dict.fromkeys(df[label_col]))
    fig = go.Figure()
    for c in classes:
        d = df[df[class_col] == c].set_index(label_col).reindex(areas)
        fig.add_trace(
            go.Bar(
                x=d[share_col].fillna(0),
                y=[html.escape(str(a)) for a in areas],
                orientation="h",
                name=html.escape(str(c)),
                marker_color=palette[c],
                text=[fmt.percent(v) for v in d[share_col].fillna(0)],
                hovertemplate="%{y}: %{text}<extra>" + html.escape(str(c)) + "</extra>",
                textposition="none",
            )
        )
    fig.update_layout(
        barmode="stack", legend=dict(orientation="h", y=1.02, x=0, traceorder="normal")
    )
    fig.update_xaxes(title=value_title, range=[0, 100], ticksuffix=" %")
    fig.update_yaxes(title=None, autorange="reversed")
    return finish(fig, title, source, height=max(380, 26 * len(areas) + 200))


def component_bars(
    df: pd.DataFrame, parts: dict[str, str], total_col: str | None, title: str, source: str
) -> go.Figure:
    """Yearly population change split into parts (bars above and below zero) and the total.

    ``df`` has ``year``, one column per key of ``parts`` (people) and ``total_col`` (None: no
    total line, when the data have none).
    """
    fig = go.Figure()
    for i, (col, label) in enumerate(parts.items()):
        if not df[col].abs().sum():
            continue  # e.g. no adjustment item in the file
        fig.add_trace(
            go.Bar(
                x=df["year"],
                y=df[col],
                name=html.escape(label),
                marker_color=OKABE_ITO[i % len(OKABE_ITO)],
                customdata=[fmt.signed(v, 0) for v in df[col]],
                hovertemplate="%{x}: %{customdata}<extra>" + html.escape(label) + "</extra>",
            )
        )
    if total_col is not None:
        fig.add_trace(
            go.Scatter(
                x=df["year"],
                y=df[total_col],
                name="Folkökning",
                mode="lines+markers",
                line=dict(color="#000", width=2),
                customdata=[fmt.signed(v, 0) for v in df[total_col]],
                hovertemplate="%{x}: %{customdata}<extra>Folkökning</extra>",
            )
        )
    fig.add_hline(y=0, line=dict(color="#333", width=1))
    fig.update_layout(barmode="relative", legend=dict(orientation="h", y=1.02, x=0))
    fig.update_xaxes(title=None, dtick=1, tickformat=YEAR_FORMAT)
    fig.update_yaxes(title="Personer", tickformat=",.0f")
    return finish(fig, title, source, height=CHART_HEIGHT)
