"""Orter: the heart of the kommun deep dive. One row per tätort and småort (or, without SCB's
boundaries, per settlement) and one for "utanför orter": people now, the ort's share of the
kommun, which service types have a point in the ort, and road km to the nearest point of each
type. Built once in the build (``orter`` table); for a län or riket the rows of all its
kommuner.
"""

from __future__ import annotations

import html

import pandas as pd
import plotly.graph_objects as go
from IPython.display import Markdown

from lansanalys import fmt
from lansanalys.report import point_maps
from lansanalys.report.blocks import Table, with_table
from lansanalys.report.chapters.access import context_geo
from lansanalys.report.data import AreaData
from lansanalys.services import EVERYDAY_TYPES as EVERYDAY
from lansanalys.services import SERVICE_TYPES
from lansanalys.services import SHORT_LABELS as SHORT

#: Orter shown in a län's or riket's table (the whole list is in the download): the 20 largest
#: fill half a printed page; 40 took a page and a half in Norrbotten, where each kommun report
#: lists its own orter in full.
MAX_ROWS = 20


def _basis(d: AreaData) -> str:
    return d.meta.get("orter", {}).get("basis_text", "")


def _orter(d: AreaData) -> pd.DataFrame | Markdown:
    o = d.orter
    if o is None or o.empty:
        return Markdown("*Orter: uppgift saknas (bygg om data med lansanalys build).*")
    return o


def orter_table(d: AreaData) -> Table | Markdown:
    """One row per ort and one for the people outside every ort: people (from the population
    grid), the share of the kommun, a point of each everyday service in the ort or the mean
    road km to the nearest one. The orter and "utanför orter" add up to the kommun."""
    o = _orter(d)
    if isinstance(o, Markdown):
        return o
    types = [t for t in EVERYDAY if d.covered(t)]
    o = o.sort_values(["kommun_kod", "population"], ascending=[True, False])
    if d.area.level == "kommun":
        o = pd.concat([o[o["kind"] != "utanför"], o[o["kind"] == "utanför"]])
    else:
        o = o[o["kind"] != "utanför"].sort_values("population", ascending=False)
    df = pd.DataFrame(
        {
            "Ort": o["name"].to_numpy(),
            "Slag": o["kind"].to_numpy(),
            "Invånare": o["population"].to_numpy(),
            "Andel av kommunen, %": o["share"].to_numpy(),
        }
    )
    if d.area.level != "kommun":
        from lansanalys import geo

        names = geo.kommuner().set_index("kommun_kod")["kommun"]
        df.insert(1, "Kommun", o["kommun_kod"].map(names).to_numpy())
    if o["change_pct"].notna().any():
        df["Förändring, %"] = o["change_pct"].to_numpy()
    if set(o["kind"]) <= {"ort", "utanför"}:
        df = df.drop(columns="Slag")  # settlements without SCB's kinds: the column says nothing
    # Which everyday services have a point in the ort (text), then road km to each (numbers).
    df["Finns i orten"] = [
        ", ".join(SHORT[t].lower() for t in types if r[f"n_{t}"] > 0 and r["kind"] != "utanför")
        or ("–" if r["kind"] != "utanför" else "")
        for r in o.to_dict("records")
    ]
    for t in types:
        df[f"{SHORT[t]}, km"] = o[f"km_{t}"].to_numpy()
    full = df.copy()
    if d.area.level != "kommun" and len(df) > MAX_ROWS:
        df = df.head(MAX_ROWS)
    one = lambda v: fmt.number(v, 1)  # noqa: E731
    formats = {"Invånare": fmt.number, "Andel av kommunen, %": one, "Förändring, %": one}
    formats.update({f"{SHORT[t]}, km": one for t in types})
    missing = [SERVICE_TYPES[t] for t in EVERYDAY if t not in types]
    note_short = " Butik = dagligvarubutik, apotek inklusive apoteksombud, post = post- och paketombud, kontanter = kontantuttag."
    note = (
        " Förändring: uppgift saknas, eftersom befolkningsrutorna finns för ett år; den visas "
        "när befolkningsrutor för flera år har lagts in."
        if o["change_pct"].isna().all()
        else ""
    )
    if missing:
        note += f" {', '.join(missing)}: uppgift saknas (servicefilerna täcker inte området)."
    caption = (
        f"Orterna {d.area.where}: invånare, andel av kommunen, vilken service som finns i orten "
        "och medelavståndet i km längs vägnätet för ortens invånare till närmaste punkt av "
        "varje slag"
    )
    if d.area.level != "kommun" and len(full) > MAX_ROWS:
        caption += f"; de {MAX_ROWS} största av {fmt.number(len(full))}, alla i nedladdningen"
    # On the page the km columns carry the service's name only (the caption says km).
    labels = {f"{SHORT[t]}, km": SHORT[t] for t in types}
    labels["Andel av kommunen, %"] = (
        "Andel av kommunen, %" if d.area.level == "kommun" else "Andel, %"
    )
    t = Table(
        df,
        caption=caption,
        labels=labels,
        source=f"Orter: {_basis(d)}{note_short} {d.access_source()}{note}",
        formats=formats,
    )
    return t


def fig_orter_map(d: AreaData) -> go.Figure | Markdown:
    """The kommun's orter on its map: sized by people, coloured by how many everyday services
    they have a point of; each ort's figures on hover."""
    o = _orter(d)
    if isinstance(o, Markdown):
        return o
    o = o[o["kind"] != "utanför"].dropna(subset=["x", "y"])
    if o.empty:
        return Markdown(
            f"*{html.escape(d.area.name)} har ingen ort i underlaget ({html.escape(_basis(d))})*"
        )
    types = [t for t in EVERYDAY if d.covered(t)]
    full = (
        o[sum((o[f"n_{t}"] > 0).astype(int) for t in types) == len(types)] if types else o.iloc[0:0]
    )
    inside = float(o["population"].sum())
    total = float(d.orter["population"].sum())
    title = (
        f"{fmt.percent(100 * inside / total if total else float('nan'))} av invånarna {d.area.where} bor i "
        f"{fmt.number(len(o))} orter; {fmt.number(len(full))} av dem har "
        + ("alla " if len(types) > 1 else "")
        + ", ".join(SERVICE_TYPES[t].lower() for t in types)
    )
    fig = point_maps.orter_map(
        d.own_geo,
        o,
        types,
        {t: SERVICE_TYPES[t] for t in types},
        title,
        f"Orter: {_basis(d)} {d.access_source()}",
        context=context_geo(d, alone=d.area.level == "kommun"),
    )
    return with_table(fig, o)
