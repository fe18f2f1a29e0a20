"""Befolkning: pyramid against the parent and an earlier year, the trend against the lineage,
change per child (or among the siblings), births, deaths and moves, and age groups.
Functions of one area's data, for riket, län and kommun alike.
"""

from __future__ import annotations

import html

import pandas as pd
import plotly.graph_objects as go
from IPython.display import Markdown

from lansanalys import fmt
from lansanalys.analysis import components, demography
from lansanalys.report import figures, maps
from lansanalys.report.blocks import Table, with_table
from lansanalys.report.chapters.access import context_geo
from lansanalys.report.data import AreaData
from lansanalys.report.text import kommun_names, missing_note

#: The broad age groups of the age table and the projection.
AGE_GROUPS = (
    ("0–19 år", 0, 19),
    ("20–64 år", 20, 64),
    ("65–79 år", 65, 79),
    ("80+ år", 80, 100),
)


def fig_pyramid(d: AreaData) -> go.Figure:
    """Age pyramid of the area against its parent (riket: against its first year), in percent
    of each total."""
    a = d.area
    now = d.pop[d.pop["year"] == d.year]
    mine = demography.pyramid_shares(now)
    if a.parent is None:
        return fig_pyramid_then(d)
    up = a.parent
    ref_pop = d.population_of(up)
    ref = demography.pyramid_shares(ref_pop[ref_pop["year"] == d.year])
    x, y = d.ind()["share_65"], d.ind(up)["share_65"]
    more = "större" if x > y else "mindre"
    title = (
        f"{a.name}: {fmt.percent(x)} är 65 år eller äldre – en {more} andel än "
        f"{'i riket' if up.level == 'riket' else 'i ' + up.name} ({fmt.percent(y)}), {d.year}"
    )
    fig = figures.pyramid(mine, ref, a.name, up.name, title, d.source("befolkning", year=d.year))
    return with_table(fig, pd.concat([mine.assign(område=a.name), ref.assign(område=up.name)]))


def fig_pyramid_then(d: AreaData) -> go.Figure | Markdown:
    """Age pyramid of the area now against the same area in the first year of the data."""
    if len(d.years) < 2:
        return missing_note(demography.series_needed(d.years, "Jämförelsen med ett tidigare år"))
    a, first = d.area, d.years[0]
    now = demography.pyramid_shares(d.pop[d.pop["year"] == d.year])
    then = demography.pyramid_shares(d.pop[d.pop["year"] == first])
    old_now = now[now["age_lo"] >= 80]["share"].sum()
    old_then = then[then["age_lo"] >= 80]["share"].sum()
    title = (
        f"{a.name}: andelen 80 år och äldre {fmt.percent(old_then)} {first} → "
        f"{fmt.percent(old_now)} {d.year}"
    )
    fig = figures.pyramid(
        now,
        then,
        f"{a.name} {d.year}",
        f"{a.name} {first}",
        title,
        d.source("befolkning", year=f"{first} och {d.year}"),
    )
    return with_table(fig, pd.concat([now.assign(year=d.year), then.assign(year=first)]))


def fig_trend(d: AreaData) -> go.Figure | Markdown:
    """Population over time as an index (first year = 100): the area, its parent and riket,
    and for a kommun its kommungrupp."""
    if len(d.years) < 2:
        return missing_note(demography.series_needed(d.years, "Utvecklingen över tid"))
    series = [(a.name, d.population_of(a)) for a in d.area.lineage]
    if d.group_peers:
        bef = d.befolkning
        series.append((f"Kommungruppen {d.group}", bef[bef["kommun_kod"].isin(d.group_peers)]))
    every = range(d.years[0], d.years[-1] + 1)
    frames = []
    for name, df in series:
        # A year missing from the data stays empty, so the line breaks over the gap.
        t = df.groupby("year")["population"].sum(min_count=1).reindex(every)
        frames.append(
            pd.DataFrame(
                {
                    "year": t.index,
                    "index": 100 * t / t.iloc[0],
                    "population": t.to_numpy(),
                    "area": name,
                }
            )
        )
    data = pd.concat(frames, ignore_index=True)
    y0, y1 = d.years[0], d.years[-1]
    me = data[data["area"] == d.area.name]["index"].iloc[-1]
    word = "växte" if me > 100 else "minskade"
    title = f"{d.area.name} {word} med {fmt.number(abs(me - 100), 1)} % {y0}–{y1}"
    if d.area.parent is not None:
        up = data[data["area"] == d.area.parent.name]["index"].iloc[-1]
        title += f" ({'riket' if d.area.parent.level == 'riket' else d.area.parent.name} {fmt.signed(up - 100, 1, ' %')})"
    fig = figures.index_lines(
        data, title, d.source("befolkning", year=f"{y0}–{y1}"), f"Index, {y0} = 100"
    )
    return with_table(fig, data)


def fig_change_map(d: AreaData) -> go.Figure | Markdown:
    """Population change per child area (a kommun: among its län's kommuner), as a map with the
    areas ranked beside it."""
    ch = d.children_change
    if ch.attrs["start_year"] is None:
        return missing_note(demography.series_needed(d.years, "Kartan över förändringen"))
    y0, y1 = ch.attrs["start_year"], ch.attrs["end_year"]
    gdf = d.child_geo.merge(ch, on=["code", "name"])
    hover = [
        f"<b>{html.escape(k)}</b><br>{fmt.number(s)} → {fmt.number(e)} invånare<br>"
        f"{fmt.signed(c, 1, ' %')}"
        for k, s, e, c in zip(gdf["name"], gdf["start"], gdf["end"], gdf["change_pct"], strict=True)
    ]
    noun = "län" if d.area.level == "riket" else "kommuner"
    grew = int((ch["change"] > 0).sum())
    if d.area.level == "kommun":
        me = ch.set_index("code").loc[d.area.code]
        title = (
            f"{d.area.name} {fmt.signed(me['change_pct'], 1, ' %')} {y0}–{y1}: "
            f"{d.rank('change_n')}; befolkningen ökade i {grew} av {len(ch)} kommuner"
        )
    else:
        title = f"Befolkningen ökade i {grew} av {len(ch)} {noun} {y0}–{y1}"
    fig = maps.choropleth(
        gdf,
        "change_pct",
        "name",
        hover,
        title,
        d.source("befolkning", year=f"{y0}–{y1}"),
        "Förändring, %",
        colorscale=figures.DIVERGING,
        midpoint=0.0,
        context=context_geo(d),
        names=d.area.level != "riket",
    )
    riket = float(d.ind(d.area.lineage[-1])["change_n"])
    # Ranked beside the map in its diverging colours, riket as the reference line.
    maps.ranked_side_bars(
        fig,
        list(gdf["name"]),
        gdf["change_pct"],
        lambda v: fmt.signed(v, 1, " %"),
        f"Förändring {y0}–{y1}, %",
        figures.DIVERGING,
        midpoint=0.0,
        reference=(riket, "Riket"),
        highlight=d.area.name if d.area.level == "kommun" else None,
    )
    return with_table(fig, ch)


def fig_components(d: AreaData) -> go.Figure | Markdown:
    """Components of change: natural increase, domestic and international net migration.

    Only the parts the file supports are drawn; the note says which are left out and which of
    SCB's components they would need.
    """
    raw = d.components_raw
    if raw is None or raw.empty:
        return Markdown(
            "*Födda, döda och flyttningar finns inte i underlaget (SCB:s tabell "
            "Befolkningsförändringar efter region, förändringar och kön, BE0101J).*"
        )
    a = d.area
    lacking = sorted(set(a.kommun_codes) - set(raw["kommun_kod"].unique()))
    if lacking:
        return missing_note(
            f"Födda, döda och flyttningar saknas för {len(lacking)} av {a.kind}s "
            f"{len(a.kommun_codes)} kommuner ({kommun_names(lacking)}) i underlaget; "
            "summan kan inte visas."
        )
    c = components.components(raw, dict.fromkeys(raw["kommun_kod"], a.code))
    missing = components.missing_parts(raw)
    parts = components.parts_to_show(missing)
    has_total = "folkokning" not in missing
    if not parts and not has_total:
        return missing_note(
            "Filen med befolkningsförändringar har varken folkökning eller både födda och döda "
            "eller in- och utflyttningar; inga delar av befolkningsförändringen kan visas."
        )
    y0, y1 = int(c["year"].min()), int(c["year"].max())
    period = str(y0) if y0 == y1 else f"{y0}–{y1}"

    def total(col: str) -> str:
        return fmt.signed(c[col].sum(skipna=False), 0)

    words = {
        "fodelseoverskott": "födelseöverskott",
        "inrikes_netto": "inrikes flyttnetto",
        "utrikes_netto": "utrikes flyttnetto",
        "flyttnetto": "flyttnetto",
    }
    shown = [f"{w} {total(k)}" for k, w in words.items() if k in parts]
    head = f"{a.name} {period}: "
    if has_total:
        title = head + f"folkökning {total('folkokning')}"
        if shown:
            title += (
                ", varav " + ", ".join(shown[:-1]) + (" och " if len(shown) > 1 else "") + shown[-1]
            )
    else:
        title = head + ", ".join(shown)
    notes = []
    for part, label in (
        ("fodelseoverskott", "Födelseöverskott"),
        ("inrikes_netto", "Inrikes flyttnetto"),
        ("utrikes_netto", "Utrikes flyttnetto"),
        ("folkokning", "Folkökning"),
    ):
        if part in missing:
            need = " och ".join(components.SWEDISH[x] for x in missing[part])
            notes.append(f"{label} visas inte: filen saknar {need}.")
    within = {
        "riket": "",
        "lan": " flyttningar mellan länets kommuner tar ut varandra.",
        "kommun": "",
    }
    fig = figures.component_bars(
        c,
        parts,
        "folkokning" if has_total else None,
        title,
        d.source("forandringar", year=period)
        + " Inrikes flyttnetto = inflyttade − utflyttade utom in- och utvandring;"
        + (within[a.level] or " flyttningar inom området räknas inte.")
        + "".join(" " + n for n in notes),
    )
    return with_table(fig, c.rename(columns={"code": "omrade_kod"}))


def _groups(pop: pd.DataFrame) -> pd.DataFrame:
    """People per broad age group and year (a year missing from the data stays NaN)."""
    every = pd.RangeIndex(int(pop["year"].min()), int(pop["year"].max()) + 1, name="year")
    parts = []
    for name, lo, hi in AGE_GROUPS:
        s = pop[pop["age"].between(lo, hi)].groupby("year")["population"].sum(min_count=1)
        parts.append(s.reindex(every).reset_index().assign(group=name))
    return pd.concat(parts, ignore_index=True)


def age_table(d: AreaData) -> Table:
    """People per broad age group now and in the first year of the data, with the shares of
    the area and of its parent."""
    a = d.area
    first = d.years[0]
    now = d.pop[d.pop["year"] == d.year]
    then = d.pop[d.pop["year"] == first]
    up = d.population_of(a.parent) if a.parent else None
    rows = []
    for name, lo, hi in AGE_GROUPS:
        n_now = float(now.loc[now["age"].between(lo, hi), "population"].sum(min_count=1))
        n_then = float(then.loc[then["age"].between(lo, hi), "population"].sum(min_count=1))
        row = {
            "Åldersgrupp": name,
            f"Invånare {d.year}": n_now,
            f"Andel {d.year}, %": 100 * n_now / now["population"].sum(),
        }
        if first < d.year:
            row[f"Förändring sedan {first}, %"] = (
                100 * (n_now / n_then - 1) if n_then else float("nan")
            )
        if up is not None:
            u = up[up["year"] == d.year]
            row[f"Andel {d.year}, {a.parent.name if a.parent.level != 'riket' else 'riket'}, %"] = (
                100 * u.loc[u["age"].between(lo, hi), "population"].sum() / u["population"].sum()
            )
        rows.append(row)
    df = pd.DataFrame(rows)
    formats = {
        c: (
            fmt.number
            if c.startswith("Invånare")
            else (lambda v: fmt.signed(v, 1))
            if "Förändring" in c
            else (lambda v: fmt.number(v, 1))
        )
        for c in df.columns[1:]
    }
    return Table(
        df,
        caption=f"Befolkningen {a.where} i breda åldersgrupper, {d.year}"
        + (f" och förändringen sedan {first}" if first < d.year else ""),
        source=d.source("befolkning", year=f"{first}–{d.year}" if first < d.year else d.year),
        formats=formats,
    )
