"""Service och tillgänglighet: the distance map, the shares beyond each distance against the
parent and riket, the access matrix of the children, and car time. Functions of one area's
data, for riket, län and kommun alike (the closure and cash parts are in :mod:`.closure`).
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from IPython.display import Markdown

from lansanalys import fmt
from lansanalys.analysis import access
from lansanalys.analysis.access import HEADLINE_KM, share_col
from lansanalys.report import figures, grid_maps, maps, point_maps
from lansanalys.report.area import Area
from lansanalys.report.blocks import Table, with_table
from lansanalys.report.data import AreaData
from lansanalys.report.text import by_road, distance_phrase, limit_text
from lansanalys.services import SERVICE_NOUNS, SERVICE_TYPES

#: How far around a kommun (m) its distance map draws service points.
MAP_MARGIN_M = 10_000


def check_type(service_type: str) -> None:
    if service_type not in SERVICE_TYPES:
        raise ValueError(f"unknown service type {service_type!r}; one of {list(SERVICE_TYPES)}")


def compared_areas(d: AreaData) -> list[Area]:
    """The rows every access comparison shows: the children (if any), the area, its lineage."""
    return [*d.area.children, *d.area.lineage]


def fig_distance_map(d: AreaData, service_type: str = "dagligvaror") -> go.Figure | Markdown:
    """Populated cells coloured by distance (road if built) to the nearest point of the type,
    with the children ranked beside the map (a kommun: zoomed in, with its orter named)."""
    check_type(service_type)
    if not d.covered(service_type):
        return d.missing_block(service_type)
    a = d.area
    cells = d.cells
    pts = d.service[d.service["service_type"] == service_type]
    share = d.headline_share(a, service_type)
    title = (
        f"{fmt.percent(share)} av invånarna {a.where} bor mer än {limit_text(HEADLINE_KM)} km "
        f"{distance_phrase(d.meta)} från närmaste {SERVICE_NOUNS[service_type]}"
    )
    if a.level == "kommun":
        x0, y0, x1, y1 = d.own_geo.total_bounds
        m = MAP_MARGIN_M
        pts = pts[pts["x"].between(x0 - m, x1 + m) & pts["y"].between(y0 - m, y1 + m)]
        up = d.headline_share(a.parent, service_type)
        title += f" ({a.parent.name} {fmt.percent(up)})"
    src = d.access_source()
    labels = _place_labels(d)
    if labels is not None:
        src += " " + labels.attrs["source"]
    fig = grid_maps.distance_grid_map(
        cells,
        service_type,
        d.own_geo,
        pts,
        title,
        src,
        context=context_geo(d, alone=a.level == "kommun"),
        names_col="name" if a.level == "lan" else None,
        towns=_towns(d, labels),
        bars=bool(a.children),
    )
    if labels is not None:
        point_maps.add_place_labels(fig, labels)
    if a.children:
        kids = d.access_rows(a.children)
        kids = kids[kids["service_type"] == service_type]
        maps.ranked_side_bars(
            fig,
            list(kids["name"]),
            kids[share_col(HEADLINE_KM)],
            fmt.percent,
            f"Andel > {limit_text(HEADLINE_KM)} km, %",
            colorscale=None,  # the map's colours are distance classes
            reference=(float(share), a.name),
        )
    cols = ["cell_id", "kommun_kod", "x", "y", "population", service_type]
    return with_table(fig, cells[cols].rename(columns={service_type: "avstand_km"}))


def context_geo(d: AreaData, alone: bool = False):
    """The land drawn in grey around a map of the area: the other kommuner around a kommun
    drawn ``alone``, else the other län around the län (or the kommun's län); none for riket."""
    a = d.area
    if a.level == "riket":
        return None
    if alone:
        g = d.kommun_geo_of(None)
        return g[g["kommun_kod"] != a.code]
    return d.lan_geo[d.lan_geo["lan_kod"] != a.lan_kod]


def _towns(d: AreaData, labels: pd.DataFrame | None) -> pd.DataFrame:
    """The largest places of the area, at least 40 km apart, for the map's zoom buttons."""
    p = labels if labels is not None else d.places
    if p is None or p.empty:
        return pd.DataFrame(columns=["x", "y", "name"])
    p = p.sort_values("population", ascending=False)
    picked: list[int] = []
    for i, r in enumerate(p.itertuples()):
        if all((r.x - p.iloc[j].x) ** 2 + (r.y - p.iloc[j].y) ** 2 > 40_000**2 for j in picked):
            picked.append(i)
        if len(picked) == 3:
            break
    return p.iloc[picked][["x", "y", "name"]]


def _place_labels(d: AreaData) -> pd.DataFrame | None:
    """Names on a kommun's map: its orter (SCB or settlements) where built, else GeoNames."""
    if d.area.level != "kommun":
        return None
    o = d.orter
    if o is not None and len(o[o["kind"] != "utanför"]):
        o = o[o["kind"] != "utanför"][["name", "population", "x", "y"]]
        o.attrs["source"] = (
            "Orter enligt SCB."
            if d.meta.get("orter", {}).get("basis") == "scb"
            else "Ortnamn från GeoNames (CC BY 4.0)."
        )
        return o
    p = d.places
    p.attrs["source"] = "Ortnamn från GeoNames (CC BY 4.0)."
    return p


def access_table(d: AreaData) -> Table | Markdown:
    """Share of the population beyond each threshold, per service type: the children (if any),
    the area, its parent and riket (and a kommun's kommungrupp).

    Unreachable people count as beyond every threshold and are shown in their own column where
    any area has them; any threshold of ``thresholds_km`` works (computed from the cells where
    the build did not precompute it). Types without data are said in the source line.
    """
    areas = compared_areas(d)
    acc = d.beyond(areas, d.thresholds_km)
    group = _group_rows(d)
    if group is not None:
        acc = pd.concat([acc, group], ignore_index=True)
    acc = acc[acc["service_type"].map(d.covered)]
    if acc.empty:
        return d.missing_block()
    acc = acc[acc[share_col(HEADLINE_KM)].notna() | acc["level"].ne("kommungrupp")]
    road = by_road(d.meta)
    unreach_any = road and acc["population_unreachable"].fillna(0).gt(0).any()
    limits = ", ".join(limit_text(t) for t in d.thresholds_km)
    unreach = (
        " Ej nåbar via väg: ingen (kolumnen visas inte), alla har vägförbindelse till servicen."
        if road and not unreach_any
        else ""
    )
    source = " ".join(filter(None, [d.access_source() + unreach, d.missing()]))
    if not d.area.children:
        return _compact_access(d, acc, unreach_any, limits, source)
    cols = {"Service": acc["service_type"].map(SERVICE_TYPES), "Område": acc["name"]}
    df = pd.DataFrame(cols)
    df["Invånare"] = acc["population"].to_numpy()
    for t in d.thresholds_km:
        df[f"> {limit_text(t)} km, %"] = acc[share_col(t)].to_numpy()
    if unreach_any:
        df["Ej nåbar via väg, invånare"] = acc["population_unreachable"].to_numpy()
    df[f"70+ > {limit_text(HEADLINE_KM)} km, %"] = acc[
        share_col(HEADLINE_KM, "pop_70plus")
    ].to_numpy()
    df["Medelavstånd för nåbara, km"] = acc["mean_km"].to_numpy()
    if road:
        df["Medelrestid för nåbara, min"] = acc["mean_min"].to_numpy()
    one = lambda v: fmt.number(v, 1)  # noqa: E731
    formats = {c: (fmt.number if "invånare" in c.lower() else one) for c in df.columns[2:]}
    captions = {
        SERVICE_TYPES[st]: (
            f"{SERVICE_TYPES[st]}: andel av befolkningen som bor mer än {limits} km "
            f"{distance_phrase(d.meta)} från närmaste {SERVICE_NOUNS[st]}; ej nåbara via väg "
            "räknas in"
        )
        for st in SERVICE_TYPES
    }
    return Table(
        df.reset_index(drop=True),
        caption=f"Andel av invånarna {d.area.where} som bor långt från service",
        source=source,
        formats=formats,
        split_by="Service",
        captions=captions,
        note=d.missing(),
    )


def _compact_access(
    d: AreaData, acc: pd.DataFrame, unreach_any: bool, limits: str, source: str
) -> Table:
    """An area without children (a kommun): one row per service type, its own shares and
    distances, then the share beyond the headline distance of each area it is compared with."""
    me = acc[acc["code"] == d.area.code].set_index("service_type")
    others = acc[acc["code"] != d.area.code]
    rows = []
    short = {
        "Ej nåbar via väg, invånare": "Ej nåbar via väg, inv.",
        "Medelavstånd för nåbara, km": "Medel, km",
        "Medelrestid för nåbara, min": "Medel, min",
    }
    for st in [s for s in SERVICE_TYPES if s in me.index]:
        r = me.loc[st]
        row: dict[str, object] = {"Service": SERVICE_TYPES[st]}
        for t in d.thresholds_km:
            row[f"> {limit_text(t)} km, %"] = r[share_col(t)]
        if unreach_any:
            row["Ej nåbar via väg, invånare"] = r["population_unreachable"]
        row[f"70+ > {limit_text(HEADLINE_KM)} km, %"] = r[share_col(HEADLINE_KM, "pop_70plus")]
        row["Medelavstånd för nåbara, km"] = r["mean_km"]
        if by_road(d.meta):
            row["Medelrestid för nåbara, min"] = r["mean_min"]
        for _, o in others[others["service_type"] == st].iterrows():
            name = o["name"] if o["level"] != "riket" else "riket"
            row[f"> {limit_text(HEADLINE_KM)} km, {name}, %"] = o[share_col(HEADLINE_KM)]
            short[f"> {limit_text(HEADLINE_KM)} km, {name}, %"] = {
                "lan": "Länet",
                "riket": "Riket",
                "kommungrupp": "Gruppen",
            }[o["level"]] + f" > {limit_text(HEADLINE_KM)} km, %"
        rows.append(row)
    df = pd.DataFrame(rows)
    # Riket stands for the län with data of each type, where that is not all of them.
    from lansanalys import geo
    from lansanalys.catalogue import covered_lan

    total = len(geo.lan_codes())
    partial = [
        f"{SERVICE_TYPES[st].lower()} {len(covered_lan(d.meta, st))} av {total} län"
        for st in me.index
        if len(covered_lan(d.meta, st)) < total
    ]
    note = " ".join(
        filter(
            None,
            [
                d.missing(),
                ("Riket avser de län som har uppgifter: " + ", ".join(partial) + ".")
                if partial
                else "",
            ],
        )
    )
    one = lambda v: fmt.number(v, 1)  # noqa: E731
    formats = {c: (fmt.number if "invånare" in c else one) for c in df.columns[1:]}
    return Table(
        df,
        caption=(
            f"Andel av invånarna {d.area.where} som bor mer än {limits} km "
            f"{distance_phrase(d.meta)} från närmaste service, och andelen över "
            f"{limit_text(HEADLINE_KM)} km i {d.area.parent.name if d.area.parent else ''}, riket"
            + (f" och kommungruppen {d.group}" if d.group else "")
            + "; ej nåbara via väg räknas in; medelavstånd och medelrestid för dem som når "
            "servicen"
        ),
        source=source,
        formats=formats,
        note=note,
        labels=short,
    )


def _group_rows(d: AreaData) -> pd.DataFrame | None:
    """The kommungrupp's access rows for a kommun (precomputed thresholds only)."""
    if d.group is None:
        return None
    t = d.access_level("kommungrupp")
    rows = t[t["code"] == d.group]
    if rows.empty or any(share_col(x) not in rows for x in d.thresholds_km):
        return None
    return rows.assign(name=f"Kommungruppen {d.group}", level="kommungrupp")


def fig_access_matrix(d: AreaData, threshold_km: float = 10.0) -> go.Figure | Markdown:
    """Share beyond ``threshold_km`` per area (the children, the area, its lineage) and service
    type, as a heatmap; unreachable people count as beyond and are in the data download."""
    (threshold_km,) = access.check_thresholds((threshold_km,), "km")
    acc = d.beyond(compared_areas(d), (threshold_km,))
    acc = acc[acc["service_type"].map(d.covered)]  # types without data: no column
    if acc.empty:
        return d.missing_block()
    col = share_col(threshold_km)
    order = list(dict.fromkeys(acc["name"]))
    matrix = acc.pivot(index="name", columns="service_type", values=col).reindex(order)
    matrix = matrix[[s for s in SERVICE_TYPES if s in matrix.columns]]
    pool = acc[acc["level"] == (d.area.child_level or d.area.level)]
    worst = pool.sort_values(col).iloc[-1]
    title = (
        f"Längst till service: {worst['name']}, där {fmt.percent(worst[col])} bor mer än "
        f"{limit_text(threshold_km)} km från närmaste {SERVICE_NOUNS[worst['service_type']]}"
    )
    matrix.columns = [SERVICE_TYPES[c] for c in matrix.columns]
    src = " ".join(filter(None, [d.access_source(), d.missing()]))
    fig = figures.matrix_heatmap(matrix, title, src, f"> {limit_text(threshold_km)} km")
    table = acc[["code", "name", "service_type", "population", col]].assign(
        ej_nabar_via_vag=acc["population_unreachable"]
    )
    return with_table(fig, table)


def fig_travel_time(
    d: AreaData, service_type: str | None = None, over_min: float = 10.0
) -> go.Figure | Markdown:
    """Car-time classes to the nearest point: for an area with children, one bar per child (and
    the area and riket) for ``service_type`` (default grocery); for a kommun, one bar per
    service type (or the one asked for) with its län and riket beside it."""
    if service_type is not None:
        check_type(service_type)
    if not by_road(d.meta):
        raise ValueError("travel times need a road network (data/raw/vagnat/)")
    st = service_type or "dagligvaror"
    if not d.covered(st):
        return d.missing_block(st)
    c = d.access_classes
    c = c[(c["metric"] == "bil") & (c["pop_col"] == "population")]
    areas = compared_areas(d)
    names = {a.code: d.name_of(a) for a in areas}
    far = d.beyond(areas, (over_min,), unit="min").set_index(["code", "service_type"])
    far = far[share_col(over_min, unit="min")]
    per_type = not d.area.children and service_type is None
    if per_type:
        c = c[(c["code"] == d.area.code) & c["service_type"].map(d.covered)]
        order = {k: i for i, k in enumerate(SERVICE_TYPES)}
        c = c.assign(bar=c["service_type"].map(SERVICE_TYPES), _o=c["service_type"].map(order))
        c = c.sort_values(["_o", "order"], kind="stable")
    else:
        c = c[c["service_type"] == st]
        kids = [k.code for k in d.area.children]
        ranked = far.reindex([(k, st) for k in kids]).sort_values(ascending=False, kind="stable")
        order = {
            code: i
            for i, (code, _) in enumerate([*ranked.index, *((a.code, st) for a in d.area.lineage)])
        }
        c = c[c["code"].isin(order)].assign(
            bar=lambda x: x["code"].map(names), _o=lambda x: x["code"].map(order)
        )
        c = c.sort_values(["_o", "order"], kind="stable")
    if c.empty:
        return d.missing_block(st)
    share = far.get((d.area.code, st), float("nan"))
    title = (
        f"{fmt.percent(share)} av invånarna {d.area.where} har mer än {limit_text(over_min)} "
        f"minuter med bil till närmaste {SERVICE_NOUNS[st]}"
    )
    if d.area.parent is not None:
        up = far.get((d.area.parent.code, st), float("nan"))
        title += f" ({d.name_of(d.area.parent).lower() if d.area.parent.level == 'riket' else d.area.parent.name} {fmt.percent(up)})"
    fig = figures.class_bars(
        c, "bar", "klass", "share", title, " ".join(filter(None, [d.access_source(), d.missing()]))
    )
    table = c[["code", "bar", "service_type", "klass", "population", "share"]].rename(
        columns={"code": "kod", "bar": "stapel", "share": "andel_procent"}
    )
    return with_table(fig, table)
