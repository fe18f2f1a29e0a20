"""Sårbara punkter and Kontanter: the closure ranking by road (map, chooser, table), exposure
through the second-nearest point, the closure scenario, and the cash rule. Functions of one
area's data, for riket, län and kommun alike.
"""

from __future__ import annotations

import html
import json

import pandas as pd
import plotly.graph_objects as go
from IPython.display import HTML, Markdown

from lansanalys import catalogue, fmt, geo
from lansanalys.analysis import access
from lansanalys.analysis.access import CLOSURE_KM, HEADLINE_KM, SECOND_KM, second_col, share_col
from lansanalys.analysis.scenario import SCENARIO_RADIUS_KM, closure_scenario
from lansanalys.catalogue import covered_lan
from lansanalys.report import point_maps
from lansanalys.report.blocks import MISSING, Table, with_table
from lansanalys.report.chapters.access import check_type, context_geo
from lansanalys.report.data import AreaData
from lansanalys.report.text import beyond_note, by_road, distance_phrase, limit_text
from lansanalys.services import CASH_RULE_KM, CASH_RULE_LIMITS, SERVICE_NOUNS, SERVICE_TYPES

#: The cash services of the rule, from the rule's limits (one place: services.CASH_RULE_LIMITS).
CASH_TYPES = {st: SERVICE_TYPES[st] for st in CASH_RULE_LIMITS}
#: The share column of the cash rule table (its distance from services.CASH_RULE_KM).
CASH_SHARE = f"share_over_{CASH_RULE_KM:g}km"


def cash_limit(service_type: str) -> str:
    """The cash rule's limit for ``service_type`` in Swedish ("0,3 %")."""
    return f"{limit_text(CASH_RULE_LIMITS[service_type])} %"


def _points(d: AreaData, service_type: str) -> pd.DataFrame | Markdown | HTML:
    """The area's points of the type with their closure figures, or what is said instead:
    "uppgift saknas" without data of the type, "has no …" without a point."""
    check_type(service_type)
    if not d.covered(service_type):
        return d.missing_block(service_type)
    c = d.closure_points(service_type)
    return _none_here(d, service_type) if c.empty else c


def _none_here(d: AreaData, service_type: str) -> HTML:
    return HTML(
        f"<p>{html.escape(d.area.name)} har ingen {html.escape(SERVICE_NOUNS[service_type])}.</p>"
    )


def closure_table(
    d: AreaData, service_type: str = "dagligvaror", top: int = 10
) -> Table | Markdown | HTML:
    """The area's points whose closure alone would push the most people beyond
    :data:`CLOSURE_KM` by road, with the people each serves."""
    c = _points(d, service_type)
    if not isinstance(c, pd.DataFrame):
        return c
    unknown = int((~c["complete"]).sum())
    c = access.most_critical_first(c[c["complete"]]).head(top)
    pushed = f"Får > {limit_text(CLOSURE_KM)} km om den stänger"
    df = pd.DataFrame(
        {
            "Servicepunkt": c["name"].to_numpy(),
            "Slag": c["label"].to_numpy(),
            "Kommun": c["kommun"].to_numpy(),
            "Id": c["point_id"].to_numpy(),
            pushed: c["pushed_beyond"].to_numpy(),
            "Har den som närmaste": c["served"].to_numpy(),
        }
    )
    cap = (
        f"Sårbara punkter {d.area.where}: {SERVICE_NOUNS[service_type]} vars stängning skulle ge "
        f"flest invånare mer än {limit_text(CLOSURE_KM)} km till närmaste alternativ "
        f"({distance_phrase(d.meta)}, även över läns- och kommungränser)"
    )
    return Table(
        df,
        caption=cap,
        source=d.source("rutor", "service", "vagnat"),
        formats={pushed: fmt.number, "Har den som närmaste": fmt.number},
        note=_incomplete_note(unknown),
    )


def _incomplete_note(n: int) -> str:
    """Points the service files cannot answer for: said, never ranked with a too-low count."""
    if not n:
        return ""
    return (
        f"Uppgift saknas för {fmt.number(n)} punkter: servicefilerna täcker inte alla som kan ha "
        "dem som närmaste (invånare i områden utan fullständiga uppgifter), så deras siffror "
        "skulle bli för låga."
    )


def fig_closure_map(d: AreaData, service_type: str = "dagligvaror") -> go.Figure | Markdown | HTML:
    """Every point of the area coloured by the people its closure alone would push beyond
    :data:`CLOSURE_KM` (road), sized by the people it serves; each point's figures on hover."""
    c = _points(d, service_type)
    if not isinstance(c, pd.DataFrame):
        return c
    unknown = int((~c["complete"]).sum())
    c = c[c["complete"]]
    if c.empty:
        return _none_here(d, service_type)
    km = f"{limit_text(CLOSURE_KM)} km"
    worst = access.most_critical_first(c).iloc[0]
    alone = int((c["pushed_beyond"] > 0).sum())
    title = (
        f"Stänger {worst['name']} får {fmt.number(worst['pushed_beyond'])} invånare mer än {km} "
        f"till närmaste {SERVICE_NOUNS[service_type]}; {fmt.number(alone)} av "
        f"{fmt.number(len(c))} punkter {d.area.where} ({SERVICE_TYPES[service_type].lower()}) "
        f"är de enda inom {km} för någon"
    )
    fig = point_maps.closure_point_map(
        d.own_geo.rename(columns={"code": "kommun_kod"}),
        c,
        title,
        " ".join(filter(None, [d.access_source(), _incomplete_note(unknown)])),
        f"{km} {distance_phrase(d.meta)}",
        context=context_geo(d, alone=d.area.level == "kommun"),
    )
    cols = ["point_id", "name", "label", "kommun_kod", "kommun", "x", "y"]
    return with_table(
        fig,
        c[cols].assign(
            invanare_som_far_over_10_km=c["pushed_beyond"], har_den_som_narmaste=c["served"]
        ),
    )


def json_for_html(value) -> str:
    """JSON to embed in a ``<script type="application/json">``: no ``<``, ``>`` or ``&`` left
    that could close the element or open markup (a store named ``</script>`` stays text)."""
    text = json.dumps(value, ensure_ascii=False)
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


def closure_chooser(d: AreaData, service_type: str = "dagligvaror") -> HTML | Markdown:
    """Any point of the area chosen in the page: what its closure alone would mean.

    A list of every point (by kommun and name; points of one name told apart by their id) and
    one sentence per point, precomputed in the build and embedded in the page, so choosing
    works offline; it opens on the most critical point, which is also what print shows.
    """
    c = _points(d, service_type)
    if not isinstance(c, pd.DataFrame):
        return c
    c = c.sort_values(["kommun", "name", "point_id"]).reset_index(drop=True)
    noun, km = SERVICE_NOUNS[service_type], f"{limit_text(CLOSURE_KM)} km"
    road = distance_phrase(d.meta)
    texts = [
        f"Om {r['display']} – {r['label']} – stänger får {fmt.number(r['pushed_beyond'])} "
        f"invånare mer än {km} {road} till närmaste {noun}. {fmt.number(r['served'])} invånare "
        f"har den som närmaste {noun}."
        if r["complete"]
        else f"{r['display']} – {r['label']}: uppgift saknas. Servicefilerna täcker inte alla "
        f"som kan ha punkten som närmaste {noun}."
        for r in c.to_dict("records")
    ]
    data = [
        [t, float(x), float(y), str(pid)]
        for t, x, y, pid in zip(texts, c["x"], c["y"], c["point_id"], strict=True)
    ]
    worst = int(access.most_critical_first(c[c["complete"]] if c["complete"].any() else c).index[0])
    options = "".join(
        # The option's id is the target of a search hit for the point (``#punkt-<id>``).
        f'<option value="{i}" id="punkt-{html.escape(str(pid), quote=True)}"'
        f"{' selected' if i == worst else ''}>{html.escape(str(n))}</option>"
        for i, (n, pid) in enumerate(zip(c["display"], c["point_id"], strict=True))
    )
    box = f"la-chooser-{html.escape(service_type)}"
    return HTML(
        f'<div class="la-chooser" data-trace="{html.escape(point_maps.CHOSEN)}">'
        f'<label for="{box}">Välj {html.escape(noun)} ({fmt.number(len(c))} '
        f"{html.escape(d.area.where)}):</label> "
        f'<select id="{box}">{options}</select>'
        f'<p class="la-chooser-out" aria-live="polite">{html.escape(texts[worst])}</p>'
        f'<script type="application/json" class="la-chooser-data">{json_for_html(data)}'
        "</script></div>"
    )


def second_nearest_table(d: AreaData) -> Table | Markdown:
    """How exposed people are to one closure: per service type the share whose nearest point is
    beyond :data:`HEADLINE_KM` and whose second-nearest is beyond each of :data:`SECOND_KM` by
    road, for the area, and the second-nearest share of its parent for comparison."""
    head = d.access_rows([d.area])
    if not by_road(d.meta) or second_col(SECOND_KM[0]) not in head:
        return Markdown("*Näst närmaste punkt: uppgift saknas (räknas bara längs ett vägnät).*")
    head = head.set_index("service_type")
    up = d.area.parent
    other = d.access_rows([up]).set_index("service_type") if up else None
    rows = []
    for st, label in SERVICE_TYPES.items():
        row: dict[str, object] = {"Service": label}
        if d.covered(st) and st in head.index:
            t = head.loc[st]
            row[f"Närmaste > {limit_text(HEADLINE_KM)} km, %"] = t[share_col(HEADLINE_KM)]
            for lim in SECOND_KM:
                row[f"Näst närmaste > {limit_text(lim)} km, %"] = t[second_col(lim)]
            if other is not None and st in other.index:
                row[f"Näst närmaste > {limit_text(SECOND_KM[0])} km, {d.name_of(up)}, %"] = (
                    other.at[st, second_col(SECOND_KM[0])]
                )
        rows.append(row)
    df = pd.DataFrame(rows)
    if len(df.columns) == 1:
        return d.missing_block()
    one = lambda v: fmt.number(v, 1)  # noqa: E731
    cap = (
        f"Näst närmaste service {d.area.where}: andel av invånarna vars närmaste och näst "
        f"närmaste punkt av varje slag ligger längre bort än gränsen {distance_phrase(d.meta)}; "
        "den näst närmaste är dit man får åka om den närmaste stänger (ingen näst närmaste att "
        "nå räknas in)"
    )
    return Table(
        df,
        caption=cap,
        source=" ".join(filter(None, [d.access_source(), d.missing()])),
        formats={c: one for c in df.columns[1:]},
    )


def _scenario_row(d: AreaData, service_type: str, point_id: str | None) -> dict | None:
    """The build's scenario for the area's most critical point, or one computed now for a
    named point (the same function, on the build's nearest table)."""
    if point_id is None and d.scenarios is not None:
        s = d.scenarios[d.scenarios["service_type"] == service_type]
        if len(s):
            return s.iloc[0].to_dict()
    if point_id is None:
        c = d.closure(service_type)
        if c.empty:
            return None
        point_id = str(access.most_critical_first(c).iloc[0]["point_id"])
    pts = catalogue.read(d.p, "service", filters=[("service_type", "==", service_type)])
    if point_id not in set(pts["point_id"]):
        raise KeyError(f"no {service_type} point with id {point_id!r}")
    cells = catalogue.read(d.p, "rutor", columns=["cell_id", "x", "y", "population", "lan_kod"])
    cells = cells[cells["lan_kod"].isin(covered_lan(d.meta, service_type))]
    near = catalogue.read(
        d.p,
        "nearest",
        columns=["cell_id", "road_m", "road_point_id", "road2_m"],
        filters=[("service_type", "==", service_type)],
    )
    here = pts.set_index("point_id").loc[point_id]
    row = closure_scenario(
        cells, near, pd.Series({"point_id": point_id, "x": here["x"], "y": here["y"]})
    )
    return {**row, "name": here["name"], "kommun_kod": here["kommun_kod"]}


def scenario_closure(
    d: AreaData, service_type: str = "dagligvaror", point_id: str | None = None
) -> Table | Markdown | HTML:
    """What if a point closed? By default the area's most critical point (computed in the
    build); name any point with ``point_id`` to compute it now. Everyone within
    :data:`SCENARIO_RADIUS_KM` of it gets their nearest point recomputed along the roads (also
    across borders); when no other point can be reached, a sentence says so instead."""
    check_type(service_type)
    if not d.covered(service_type):
        return d.missing_block(service_type)
    r = _scenario_row(d, service_type, point_id)
    if r is None:
        return _none_here(d, service_type)
    kommun = geo.kommun_name(str(r["kommun_kod"]))
    name, phrase = html.escape(str(r["name"])), distance_phrase(d.meta)
    radius = fmt.number(r.get("radius_km", SCENARIO_RADIUS_KM))
    if r["none_left"]:
        svc = catalogue.read(d.p, "service")
        left = int((svc["service_type"] == service_type).sum()) - 1
        why = (
            f"det finns ingen annan punkt av slaget {SERVICE_TYPES[service_type].lower()} i "
            "servicefilerna"
            if left == 0
            else f"ingen av de {fmt.number(left)} andra punkterna av slaget går att nå {phrase}"
        )
        return Markdown(
            f"*Om {name} i {html.escape(kommun)} stängde skulle ingen av de "
            f"{fmt.number(r['people'])} invånarna inom {radius} km ha någon "
            f"{SERVICE_NOUNS[service_type]} att nå: {why}. Ett avstånd kan då inte anges; alla "
            "räknas som längre bort än varje avståndsgräns.*"
        )
    rows = [
        (f"Invånare > {limit_text(CLOSURE_KM)} km {phrase}", "over", 0),
        (f"Medelavstånd {phrase} för nåbara, km", "mean_km", 1),
    ]
    df = pd.DataFrame(
        [
            {
                "": label,
                "I dag": r[f"{k}_before"],
                "Om den stänger": r[f"{k}_after"],
                "Skillnad": r[f"{k}_after"] - r[f"{k}_before"],
            }
            for label, k, _ in rows
        ]
    )
    decimals = {label: dec for label, _, dec in rows}
    cap = (
        f"Scenario: om {r['name']} i {kommun} stängde. Alla {fmt.number(r['people'])} invånare "
        f"inom {radius} km fågelvägen från punkten, närmaste {SERVICE_NOUNS[service_type]} "
        f"beräknad på nytt {phrase} (även över läns- och kommungränser)"
    )
    # One number format per row: people whole, km and minutes with one decimal.
    shown = df.copy()
    for col in ("I dag", "Om den stänger"):
        shown[col] = [fmt.number(v, decimals[lab]) for lab, v in zip(df[""], df[col], strict=True)]
    shown["Skillnad"] = [
        fmt.signed(v, decimals[lab]) for lab, v in zip(df[""], df["Skillnad"], strict=True)
    ]
    numeric = {c: str for c in ("I dag", "Om den stänger", "Skillnad")}
    return Table(df, caption=cap, source=d.access_source(), formats=numeric, shown=shown)


def cash_table(d: AreaData) -> Table | Markdown:
    """The cash-access rule: share more than 25 km by road from cash withdrawal and day-cash
    deposit for the area, its lineage and its children, against the national limit."""
    if not any(d.covered(st) for st in CASH_TYPES):
        return d.missing_block(*CASH_TYPES)
    cash = catalogue.read(d.p, "cash_rule")
    areas = [*d.area.lineage[::-1], *d.area.children]
    n_lan = {st: len(covered_lan(d.meta, st)) for st in CASH_TYPES}
    partial = any(0 < n < len(geo.lan_codes()) for n in n_lan.values())
    km = limit_text(CASH_RULE_KM)
    rows = []
    for a in areas:
        part = cash[(cash["code"] == a.code) & (cash["level"] == a.level)].set_index("service_type")
        row: dict[str, object] = {
            "Område": ("Riket: de län som har uppgifter" if partial else "Riket")
            if a.level == "riket"
            else a.name
        }
        for st, label in CASH_TYPES.items():
            has = d.covered(st, a) and st in part.index
            row[f"{label} > {km} km, % (gräns {cash_limit(st)})"] = (
                part.at[st, CASH_SHARE] if has else float("nan")
            )
            row[f"{label}, inom gränsen"] = (
                ("inom" if bool(part.at[st, "within_limit"]) else "över")
                if has and part.at[st, "within_limit"] == part.at[st, "within_limit"]
                else float("nan")
            )
            row[f"{label}, ej nåbar via väg"] = part.at[st, "unreachable"] if has else float("nan")
        rows.append(row)
    df = pd.DataFrame(rows)
    two = lambda v: fmt.number(v, 2)  # noqa: E731
    formats = {
        c: (two if "%" in c else fmt.number) for c in df.columns if "%" in c or "ej nåbar" in c
    }
    cap = (
        f"Kontantregeln (lagen om betaltjänster): högst {cash_limit('kontantuttag')} av "
        f"befolkningen får ha mer än {km} km till kontantuttag och högst "
        f"{cash_limit('dagskasseinsattning')} till dagskasseinsättning. Gränsen gäller riket "
        "(lagens krav) och PTS prövar den nationellt; länet och kommunerna jämförs med rikets "
        f"gräns (”inom” eller ”över”) för att visa var luckorna finns. Avstånd "
        f"{distance_phrase(d.meta)}; invånare utan vägförbindelse räknas som över {km} km."
    )
    if partial:
        cap += (
            " Riket avser de län som har uppgifter: "
            + ", ".join(
                f"{CASH_TYPES[st].lower()} {n} av {len(geo.lan_codes())}" for st, n in n_lan.items()
            )
            + "."
        )
    src = " ".join(
        filter(
            None,
            [d.source("rutor", "service", "vagnat"), beyond_note(d.meta), d.missing(*CASH_TYPES)],
        )
    )
    # On the page each type's columns read "> 25 km, % (gräns …)", "Inom gränsen", "Ej nåbar
    # via väg" in that order; the download keeps the type in every column name.
    labels = {}
    for label in CASH_TYPES.values():
        labels[f"{label}, inom gränsen"] = "Inom gränsen"
        labels[f"{label}, ej nåbar via väg"] = "Ej nåbar via väg, invånare"
    return Table(df, caption=cap, source=src, formats=formats, labels=labels)


__all__ = [
    "MISSING",
    "cash_limit",
    "cash_table",
    "closure_chooser",
    "closure_table",
    "fig_closure_map",
    "json_for_html",
    "scenario_closure",
    "second_nearest_table",
]
