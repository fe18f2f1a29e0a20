"""Framtid: the area's projection to 2040 (official where supplied, else the kit's own,
labelled) as an index per age group, and 80+ and the dependency ratio in 2030 and 2040.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from IPython.display import Markdown

from lansanalys import fmt
from lansanalys.report import figures
from lansanalys.report.blocks import Table, with_table
from lansanalys.report.chapters.population import _groups
from lansanalys.report.data import AreaData
from lansanalys.report.text import kommun_names, missing_note

#: The years the projection table states (and the last year of the projection).
MILESTONES = (2030, 2040)


def _usable(d: AreaData) -> pd.DataFrame | Markdown:
    """The area's projection, or the sentence that says why there is none."""
    proj = d.projection
    if proj is None:
        return missing_note(
            d.meta.get("projection", {}).get("missing")
            or f"Framskrivning saknas för {d.area.kind}s kommuner."
        )
    partial = sorted(set(proj.loc[proj["population"].isna(), "kommun_kod"]))
    if partial:
        return missing_note(
            f"Framskrivningen kan inte visas: befolkningen har saknade värden (..) för "
            f"{len(partial)} kommuner ({kommun_names(partial)}) under basperioden."
        )
    return proj


def _method_note(d: AreaData, proj: pd.DataFrame) -> str:
    """Which projection this is: SCB's or the region's where supplied, else the kit's own."""
    official = set(proj.loc[proj["source"] == "officiell", "kommun_kod"])
    if official and official >= set(d.area.kommun_codes):
        return f"Prognos (streckad): {d.meta['projection']['official_source']}."
    note = (
        f"Framskrivning (streckad), kitets egen: {d.meta.get('projection', {}).get('method', '')}"
    )
    if official:
        note += f" Officiell prognos för {len(official)} av kommunerna."
    return note


def fig_projection(d: AreaData) -> go.Figure | Markdown:
    """Each broad age group as an index (last observed year = 100), observed and projected:
    every group's change shows on one scale."""
    proj = _usable(d)
    if isinstance(proj, Markdown):
        return proj
    a, base = d.area, d.year
    end = int(proj["year"].max())
    obs, fut = _groups(d.pop), _groups(proj)
    now = obs[obs["year"] == base].set_index("group")["population"]
    fut = pd.concat([obs[obs["year"] == base], fut], ignore_index=True)  # lines meet at base
    idx_obs = obs.assign(population=100 * obs["population"] / obs["group"].map(now))
    idx_fut = fut.assign(population=100 * fut["population"] / fut["group"].map(now))
    total_now = float(d.pop.loc[d.pop["year"] == base, "population"].sum())
    total_end = float(proj.loc[proj["year"] == end, "population"].sum())
    old = idx_fut[(idx_fut["year"] == end) & (idx_fut["group"] == "80+ år")]["population"].iloc[0]
    title = (
        f"{a.name} {end}: {fmt.number(round(total_end, -2 if total_end > 20000 else -1))} invånare "
        f"({fmt.signed(100 * (total_end / total_now - 1), 1, ' %')}); antalet 80 år och äldre "
        f"{fmt.signed(old - 100, 0, ' %')}"
    )
    y_obs = f"{d.years[0]}–{base}"
    fig = figures.projection_lines(
        idx_obs,
        idx_fut,
        title,
        f"{d.source('befolkning', year=y_obs)} {_method_note(d, proj)}",
        value_title=f"Index, {base} = 100",
    )
    table = pd.concat(
        [obs.assign(typ="utfall"), fut[fut["year"] > base].assign(typ="framskrivning")]
    ).rename(columns={"year": "år", "group": "åldersgrupp", "population": "invanare"})
    return with_table(fig, table)


def projection_table(d: AreaData) -> Table | Markdown:
    """The projection in figures: people, 80+ and the dependency ratio now, in 2030 and 2040,
    for the area and (for comparison) its parent."""
    proj = _usable(d)
    if isinstance(proj, Markdown):
        return proj
    years = [d.year, *[y for y in MILESTONES if y in set(proj["year"].unique())]]
    rows = []
    parent_proj = None
    if d.area.parent is not None:
        pp = d.projection_of(d.area.parent)
        if pp is not None and pp["population"].notna().all():
            parent_proj = pp
    for y in years:
        cur = d.pop[d.pop["year"] == y] if y == d.year else proj[proj["year"] == y]
        total = float(cur["population"].sum())
        old = float(cur.loc[cur["age"] >= 80, "population"].sum())
        row = {
            "År": int(y),
            "Invånare": total,
            "80 år och äldre": old,
            "Andel 80+, %": 100 * old / total,
            "Försörjningskvot": d.dependency_in(cur),
        }
        if parent_proj is not None:
            up = d.population_of(d.area.parent)
            pc = up[up["year"] == y] if y == d.year else parent_proj[parent_proj["year"] == y]
            row[
                f"Försörjningskvot, {d.area.parent.name.lower() if d.area.parent.level == 'riket' else d.area.parent.name}"
            ] = d.dependency_in(pc)
        rows.append(row)
    df = pd.DataFrame(rows)
    formats = {
        # The year is a number in the download; the page marks the observed one.
        "År": lambda y: f"{int(y)} (utfall)" if int(y) == d.year else str(int(y)),
        "Invånare": lambda v: fmt.number(round(v)),
        "80 år och äldre": lambda v: fmt.number(round(v)),
        "Andel 80+, %": lambda v: fmt.number(v, 1),
    }
    formats.update(
        {c: (lambda v: fmt.number(v, 0)) for c in df.columns if c.startswith("Försörjningskvot")}
    )
    return Table(
        df,
        caption=(
            f"{d.area.name}: invånare, antalet 80 år och äldre och försörjningskvoten "
            f"(0–19 och 65+ per 100 i åldern 20–64) {d.year}, "
            + " och ".join(str(y) for y in years[1:])
        ),
        source=f"{d.source('befolkning', year=d.year)} {_method_note(d, proj)}",
        formats=formats,
    )
