"""Förändring sedan <first year>: service points and access per year, for riket, a län or a
kommun, where the service files hold several years.

The build computed every year's access on the same population grid (the latest) and the same
road network (``access_years``) and every point of every year (``service_years``,
:mod:`lansanalys.pipeline.history`); these functions only filter. With one service year every
function returns None: a notebook cell then shows nothing, and the report says nothing about
change.
"""

from __future__ import annotations

import html

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from IPython.display import Markdown

from lansanalys import catalogue, fmt
from lansanalys.analysis.access import CASH_RULE_KM, CASH_RULE_LIMITS, CLOSURE_KM
from lansanalys.report import point_maps
from lansanalys.report.area import Area
from lansanalys.report.blocks import Table, with_table
from lansanalys.report.data import AreaData
from lansanalys.report.text import limit_text
from lansanalys.services import SERVICE_TYPES, SERVICES

SHARE_10 = f"population_share_over_{limit_text(CLOSURE_KM)}km"
SHARE_25 = f"population_share_over_{limit_text(CASH_RULE_KM)}km"
#: Service types in report order.
_NOUN = {s.code: s.noun for s in SERVICES}
_PLURAL = {s.code: s.plural or s.label.lower() for s in SERVICES}


#: The definition of the change over time, for the reader (docs/definitions.md in English).
CHANGE_DEFINITION = (
    "Förändring över tid: servicepunkterna för varje år har mätts längs samma vägnät mot samma "
    "befolkning (det senaste årets rutor), så att en förändring i andelen som har mer än "
    f"{limit_text(CLOSURE_KM)} km (och {limit_text(CASH_RULE_KM)} km, kontantlagens avstånd) "
    "längs vägnätet beror på servicen ensam, inte på att folk flyttat. En punkt är samma punkt "
    "två år i rad när den har samma id och serviceslag, eller, där id:na inte är stabila mellan "
    "åren, samma serviceslag och namn inom 100 m. Öppnad: finns i området ett år men inte året "
    "före; stängd: fanns i området året före men inte detta år (en punkt som flyttat till en "
    "annan kommun är stängd i den ena och öppnad i den andra). Där servicefilerna ett år inte "
    "täcker området: uppgift saknas."
)
#: How points were identified between two years, for the reader.
IDENTITY_TEXT = {"point_id": "samma id", "name+position": "serviceslag, namn och läge inom 100 m"}


def method_text(d: AreaData) -> str | None:
    """The definition with how points were identified in this build; None without a series."""
    if not has_change(d):
        return None
    basis = d.meta.get("change", {}).get("identity", {})
    how = "; ".join(f"{span}: {IDENTITY_TEXT.get(b, b)}" for span, b in sorted(basis.items()))
    return CHANGE_DEFINITION + (f" Här identifierades punkterna efter {how}." if how else "")


def years(d: AreaData) -> list[int]:
    """The service years of the build (one element, or none, without a series)."""
    return [int(y) for y in d.meta.get("service_years") or []]


def has_change(d: AreaData) -> bool:
    """Several service years, and the build's tables of them."""
    return len(years(d)) > 1 and catalogue.exists(d.p, "access_years")


#: Per processed file (path, size, mtime): its rows by area, built once per process so that a
#: warm render worker's 290 kommun reports each take a few rows (the kommun budget is 60 ms).
_BY_AREA: dict[tuple, dict] = {}


def _by_area(d: AreaData, name: str, keys: list[str]) -> dict:
    """Table ``name`` split by ``keys`` (cached per process, renewed when the file changes)."""
    f = catalogue.path(d.p, name)
    st = f.stat()
    key = (str(f.resolve()), st.st_size, st.st_mtime_ns, tuple(keys))
    if key not in _BY_AREA:
        for stale in [k for k in _BY_AREA if k[0] == key[0] and k[3] == key[3]]:
            del _BY_AREA[stale]
        df = catalogue.read(d.p, name)
        _BY_AREA[key] = {
            (k if len(keys) > 1 else k[0]): g.reset_index(drop=True)
            for k, g in df.groupby(keys, sort=False)
        }
    return _BY_AREA[key]


def _rows(d: AreaData, areas: list[Area]) -> pd.DataFrame:
    """``access_years`` rows of ``areas``; points, opened and closed missing where the files
    cannot answer for the area that year (``complete`` False)."""
    idx = _by_area(d, "access_years", ["level", "code"])
    parts = [idx[(a.level, a.code)] for a in areas if (a.level, a.code) in idx]
    sel = pd.concat(parts, ignore_index=True)
    sel["points"] = sel["points"].astype(float).where(sel["complete"])
    return sel


def _lineage(d: AreaData) -> list[Area]:
    """The area, its parent and riket (riket once)."""
    out = [d.area]
    for a in d.area.lineage:
        if a not in out:
            out.append(a)
    return out


def _source(d: AreaData) -> str:
    ys = years(d)
    return (
        f"{d.source('service', 'rutor', 'vagnat')} Servicepunkter {ys[0]}–{ys[-1]}; samma "
        f"befolkning (rutorna {ys[-1]}) och samma vägnät alla år."
    )


def _types(d: AreaData) -> list[str]:
    have = set(_by_area(d, "access_years", ["level", "code"])[("riket", "00")]["service_type"])
    return [t for t in SERVICE_TYPES if t in have]


def heading(d: AreaData) -> Markdown | None:
    """The section's heading and question, or None with one service year."""
    if not has_change(d):
        return None
    ys = years(d)
    listed = ", ".join(map(str, ys[:-1])) + f" och {ys[-1]}"
    return Markdown(
        f"## Förändring sedan {ys[0]}\n\n"
        f"Hur har servicen {html.escape(d.area.where)} förändrats sedan {ys[0]}? Servicepunkterna "
        f"för {listed} har mätts mot samma befolkning (rutorna {ys[-1]}) och samma vägnät, så "
        "att förändringen i andelen som har långt till service beror på servicen ensam."
    )


def _records(d: AreaData, areas: list[Area]) -> dict[tuple, dict]:
    """(level, code, service_type, year) → the ``access_years`` row as a dict (kept on the
    area's data: the section's cells ask for the same areas)."""
    cache = d.__dict__.setdefault("_change_records", {})
    key = tuple(areas)
    if key not in cache:
        cache[key] = {
            (r["level"], r["code"], r["service_type"], int(r["year"])): r
            for r in _rows(d, areas).to_dict("records")
        }
    return cache[key]


def _get(rec: dict, key: tuple, col: str) -> float:
    r = rec.get(key)
    v = r.get(col) if r is not None else None
    return float(v) if v is not None and pd.notna(v) else np.nan


def findings(d: AreaData) -> Markdown | None:
    """What changed most, in words from the data; None with one service year."""
    if not has_change(d):
        return None
    ys, a = years(d), d.area
    first, last = ys[0], ys[-1]
    rec = _records(d, _lineage(d))
    me, rik = (a.level, a.code), ("riket", "00")
    items = []
    for t in _types(d):
        p0, p1 = _get(rec, (*me, t, first), "points"), _get(rec, (*me, t, last), "points")
        if np.isnan(p0) or np.isnan(p1):
            continue
        opened = sum(_get(rec, (*me, t, y), "opened") for y in ys[1:])
        closed = sum(_get(rec, (*me, t, y), "closed") for y in ys[1:])
        if np.isnan(opened) or np.isnan(closed) or (opened == 0 and closed == 0):
            continue
        s0, s1 = _get(rec, (*me, t, first), SHARE_10), _get(rec, (*me, t, last), SHARE_10)
        if p1 != p0:
            counts = (
                f"antalet {_PLURAL[t]} har {'ökat' if p1 > p0 else 'minskat'} från "
                f"{fmt.number(p0)} till {fmt.number(p1)}"
            )
        else:
            counts = f"antalet {_PLURAL[t]} är detsamma, {fmt.number(p1)}"
        text = (
            f"{counts} ({fmt.number(closed)} {'stängd' if closed == 1 else 'stängda'}, "
            f"{fmt.number(opened)} {'öppnad' if opened == 1 else 'öppnade'})"
        )
        d10 = s1 - s0
        if abs(d10) >= 0.05:
            text += (
                f"; andelen invånare med mer än {limit_text(CLOSURE_KM)} km längs vägnätet till "
                f"närmaste {_NOUN[t]} har {'ökat' if d10 > 0 else 'minskat'} från "
                f"{fmt.percent(s0)} till {fmt.percent(s1)}"
            )
            q0, q1 = _get(rec, (*rik, t, first), SHARE_10), _get(rec, (*rik, t, last), SHARE_10)
            if a.level != "riket" and not (np.isnan(q0) or np.isnan(q1)):
                text += f" (riket: {fmt.percent(q0)} → {fmt.percent(q1)})"
        elif not np.isnan(d10):
            text += (
                f"; andelen med mer än {limit_text(CLOSURE_KM)} km till närmaste {_NOUN[t]} är "
                f"i stort sett oförändrad ({fmt.percent(s1)})"
            )
        c0, c1 = _get(rec, (*me, t, first), SHARE_25), _get(rec, (*me, t, last), SHARE_25)
        if t in CASH_RULE_LIMITS and not (np.isnan(c0) or np.isnan(c1)):
            text += (
                f"; andelen med mer än {limit_text(CASH_RULE_KM)} km (kontantlagens avstånd) är "
                f"{fmt.percent(c1, 2)} ({first}: {fmt.percent(c0, 2)})"
            )
        weight = abs(d10) if not np.isnan(d10) else 0.0
        items.append((weight + 1e-6 * (opened + closed), f"- **{SERVICE_TYPES[t]}**: {text}."))
    if not items:
        return Markdown(
            f"*Servicefilerna visar inga öppnade eller stängda servicepunkter {html.escape(a.where)}"
            f" mellan {first} och {last}.*"
        )
    items.sort(key=lambda x: -x[0])
    head = f"Mellan {first} och {last} {html.escape(a.where)}:"
    return Markdown(head + "\n\n" + "\n".join(html.escape(t, quote=False) for _, t in items))


def change_table(d: AreaData) -> Table | None:
    """Per service type: the area's points and share beyond 10 km by road in the first and the
    latest year, and the change in the share for the area, its parent and riket (every year
    in :func:`change_table_by_type`); None with one service year."""
    if not has_change(d):
        return None
    ys, a = years(d), d.area
    first, last = ys[0], ys[-1]
    areas = _lineage(d)
    rec = _records(d, areas)
    km = limit_text(CLOSURE_KM)
    out = []
    for t in _types(d):
        me = (a.level, a.code, t)
        row = {
            "Service": SERVICE_TYPES[t],
            f"Punkter {first}": _get(rec, (*me, first), "points"),
            f"Punkter {last}": _get(rec, (*me, last), "points"),
            f"> {km} km {first}, %": _get(rec, (*me, first), SHARE_10),
            f"> {km} km {last}, %": _get(rec, (*me, last), SHARE_10),
        }
        for other in areas:
            k = (other.level, other.code, t)
            row[f"Förändring {d.name_of(other)}, procentenheter"] = _get(
                rec, (*k, last), SHARE_10
            ) - _get(rec, (*k, first), SHARE_10)
        out.append(row)
    df = pd.DataFrame(out)
    formats = {c: fmt.number for c in df.columns if c.startswith("Punkter")}
    formats |= {c: fmt.percent for c in df.columns if c.startswith(">")}
    changes = [c for c in df.columns if c.startswith("Förändring")]
    formats |= {c: (lambda v: fmt.signed(v, 1)) for c in changes}
    labels = {c: c.removesuffix(", %") for c in df.columns if c.startswith(">")}
    labels |= {
        c: "Förändr. " + c.removeprefix("Förändring ").removesuffix(", procentenheter") + ", p.e."
        for c in changes
    }
    return Table(
        df,
        caption=f"Servicepunkter {a.where} och andel invånare med mer än {km} km längs vägnätet "
        f"till närmaste punkt, {first} och {last}",
        source=_source(d) + " Förändringen i andelen är i procentenheter.",
        formats=formats,
        labels=labels,
    )


def change_table_by_type(d: AreaData) -> Table | None:
    """Per service type (one table each, an appendix of the page): points and the share beyond
    10 km by road in every year, for the area, its parent and riket; None with one year."""
    if not has_change(d):
        return None
    ys = years(d)
    areas = _lineage(d)
    rec = _records(d, areas)
    change = f"Förändring {ys[0]}–{ys[-1]}, procentenheter"
    out = []
    for t in _types(d):
        for a in areas:
            key = (a.level, a.code, t)
            row = {"Service": SERVICE_TYPES[t], "Område": d.name_of(a)}
            row |= {f"Punkter {y}": _get(rec, (*key, y), "points") for y in ys}
            row |= {f"> 10 km {y}, %": _get(rec, (*key, y), SHARE_10) for y in ys}
            row[change] = _get(rec, (*key, ys[-1]), SHARE_10) - _get(rec, (*key, ys[0]), SHARE_10)
            out.append(row)
    formats = {f"Punkter {y}": fmt.number for y in ys}
    formats |= {f"> 10 km {y}, %": fmt.percent for y in ys}
    formats[change] = lambda v: fmt.signed(v, 1)
    labels = {f"> 10 km {y}, %": f"> 10 km {y}" for y in ys}
    labels[change] = "Förändring, p.e."
    km = limit_text(CLOSURE_KM)
    return Table(
        pd.DataFrame(out),
        caption=f"Servicepunkter och andel invånare med mer än {km} km längs vägnätet till "
        f"närmaste punkt, {ys[0]}–{ys[-1]}",
        source=_source(d),
        formats=formats,
        labels=labels,
        split_by="Service",
        captions={
            SERVICE_TYPES[t]: f"{SERVICE_TYPES[t]}: punkter och andel > {km} km, {ys[0]}–{ys[-1]}"
            for t in _types(d)
        },
    )


def cash_change_table(d: AreaData) -> Table | None:
    """The cash rule's distance over the years: the share beyond 25 km by road to kontantuttag
    and dagskasseinsättning, for the area, its parent and riket; None with one service year."""
    if not has_change(d):
        return None
    ys = years(d)
    cash = [t for t in _types(d) if t in CASH_RULE_LIMITS]
    if not cash:
        return None
    areas = _lineage(d)
    rec = _records(d, areas)
    change = f"Förändring {ys[0]}–{ys[-1]}, procentenheter"
    limit = "Lagens gräns för riket, %"
    out = []
    for t in cash:
        for a in areas:
            key = (a.level, a.code, t)
            row = {"Service": SERVICE_TYPES[t], "Område": d.name_of(a)}
            row |= {f"> 25 km {y}, %": _get(rec, (*key, y), SHARE_25) for y in ys}
            row[change] = _get(rec, (*key, ys[-1]), SHARE_25) - _get(rec, (*key, ys[0]), SHARE_25)
            row[limit] = CASH_RULE_LIMITS[t]
            out.append(row)
    formats = {f"> 25 km {y}, %": lambda v: fmt.percent(v, 2) for y in ys}
    formats[change] = lambda v: fmt.signed(v, 2)
    formats[limit] = lambda v: fmt.percent(v, 2)
    labels = {f"> 25 km {y}, %": f"> 25 km {y}" for y in ys}
    labels |= {change: "Förändring, p.e.", limit: "Gräns (riket)"}
    return Table(
        pd.DataFrame(out),
        caption=f"Andel invånare med mer än {limit_text(CASH_RULE_KM)} km längs vägnätet till "
        f"kontantuttag och dagskasseinsättning, {ys[0]}–{ys[-1]}",
        source=_source(d) + " Lagens gräns gäller riket som helhet.",
        formats=formats,
        labels=labels,
    )


def turnover_table(d: AreaData) -> Table | None:
    """Points opened and closed per service type: per period for a kommun; for a län (riket)
    per kommun (län), since the first year. None with one service year."""
    if not has_change(d):
        return None
    ys, a = years(d), d.area
    types = _types(d)
    span = f"{ys[0]}–{ys[-1]}"
    if a.level == "kommun":
        rec = _records(d, [a])
        out = []
        for t in types:
            key = (a.level, a.code, t)
            row = {"Service": SERVICE_TYPES[t]}
            for y0, y1 in zip(ys[:-1], ys[1:], strict=True):
                row[f"Öppnade {y0}–{y1}"] = _get(rec, (*key, y1), "opened")
                row[f"Stängda {y0}–{y1}"] = _get(rec, (*key, y1), "closed")
            row[f"Netto {span}"] = _get(rec, (*key, ys[-1]), "points") - _get(
                rec, (*key, ys[0]), "points"
            )
            out.append(row)
        df = pd.DataFrame(out)
        formats = {c: fmt.number for c in df.columns if c != "Service"}
        formats[f"Netto {span}"] = fmt.signed
        labels = {c: c.replace("Öppnade ", "Öppn. ").replace("Stängda ", "Stängda ") for c in df}
        return Table(
            df,
            caption=f"Öppnade och stängda servicepunkter {a.where}, {span}",
            source=_source(d),
            formats=formats,
            labels=labels,
        )
    children = list(a.children)
    rec = _records(d, [*children, a])
    short = {sv.code: sv.short or sv.label for sv in SERVICES}
    out = []
    for c in [*children, a]:
        row = {"Område": d.name_of(c)}
        for what, col in (("Öppnade", "opened"), ("Stängda", "closed")):
            # A period the files cannot answer for leaves the sum missing, never partial.
            row[what] = sum(_get(rec, (c.level, c.code, t, y), col) for t in types for y in ys[1:])
        for t in types:
            key = (c.level, c.code, t)
            row[f"{short[t]}, netto"] = _get(rec, (*key, ys[-1]), "points") - _get(
                rec, (*key, ys[0]), "points"
            )
        out.append(row)
    df = pd.DataFrame(out)
    formats = {c: fmt.signed for c in df.columns if c.endswith("netto")}
    formats |= {"Öppnade": fmt.number, "Stängda": fmt.number}
    per = "län" if a.level == "riket" else "kommun"
    return Table(
        df.rename(columns={"Område": "Län" if a.level == "riket" else "Kommun"}),
        caption=f"Öppnade och stängda servicepunkter per {per} (alla slag) och förändringen i "
        f"antal per slag, {span}",
        source=_source(d),
        formats=formats,
        labels={c: c.removesuffix(", netto") for c in df.columns if c.endswith("netto")},
    )


def turnover_detail(d: AreaData) -> Table | None:
    """For a län (riket): points opened and closed per kommun (län) and service type since the
    first year, one table each (an appendix of the page); None for a kommun and with one year."""
    if not has_change(d) or d.area.level == "kommun":
        return None
    ys, a = years(d), d.area
    types = _types(d)
    span = f"{ys[0]}–{ys[-1]}"
    children = list(a.children)
    rec = _records(d, [*children, a])
    short = {sv.code: sv.short or sv.label for sv in SERVICES}
    out = []
    for what, col in (("Öppnade", "opened"), ("Stängda", "closed")):
        for c in [*children, a]:
            row = {"Vad": what, "Område": d.name_of(c)}
            row |= {
                short[t]: sum(_get(rec, (c.level, c.code, t, y), col) for y in ys[1:])
                for t in types
            }
            out.append(row)
    per = "län" if a.level == "riket" else "kommun"
    return Table(
        pd.DataFrame(out),
        caption=f"Öppnade och stängda servicepunkter per {per} och slag, {span}",
        source=_source(d),
        formats={short[t]: fmt.number for t in types},
        split_by="Vad",
        captions={
            "Öppnade": f"Öppnade servicepunkter per {per} och slag, {span}",
            "Stängda": f"Stängda servicepunkter per {per} och slag, {span}",
        },
    )


def _between(first: pd.DataFrame, last: pd.DataFrame, key: str) -> pd.DataFrame:
    """Points of ``first`` not in the same ``key`` area in ``last`` ("stängd") and the reverse
    ("öppnad")."""
    both = first.merge(
        last, on=["point_id", key], how="outer", indicator=True, suffixes=("", "_last")
    )
    closed = both["_merge"] == "left_only"
    opened = both["_merge"] == "right_only"
    for col in ("service_type", "name", "x", "y", "kommun_kod", "lan_kod"):
        if col != key:
            both[col] = both[col].where(~opened, both[f"{col}_last"])
    both = both[closed | opened].assign(
        change=np.where(closed[closed | opened], "stängd", "öppnad")
    )
    return both[[*_COLS, "change"]]


_COLS = ["point_id", "service_type", "name", "x", "y", "kommun_kod", "lan_kod"]

#: Per service_years file: closures and openings between the first and the latest year per
#: kommun, made once per process (a warm worker renders many kommuner).
_KOMMUN_CHANGES: dict[tuple, dict] = {}


def change_points(d: AreaData) -> pd.DataFrame:
    """Points of the area closed or opened between the first and the latest year: ``point_id,
    service_type, name, x, y, kommun_kod, lan_kod, change`` ("stängd" or "öppnad"); a point
    that moved to another kommun is closed in the one and opened in the other."""
    ys = years(d)
    f = catalogue.path(d.p, "service_years")
    st = f.stat()
    key = (str(f.resolve()), st.st_size, st.st_mtime_ns)
    if d.area.level == "kommun":
        if key not in _KOMMUN_CHANGES:
            _KOMMUN_CHANGES.clear()
            sy = catalogue.read(d.p, "service_years")
            ch = _between(sy[sy["year"] == ys[0]], sy[sy["year"] == ys[-1]], "kommun_kod")
            _KOMMUN_CHANGES[key] = {
                k: g.reset_index(drop=True) for k, g in ch.groupby("kommun_kod", sort=False)
            }
        got = _KOMMUN_CHANGES[key].get(d.area.code)
        return got if got is not None else pd.DataFrame(columns=[*_COLS, "change"])
    sy = catalogue.read(d.p, "service_years")
    if d.area.level == "lan":
        sy = sy[sy["lan_kod"] == d.area.code]
    sy = sy.assign(area=d.area.code)
    return _between(sy[sy["year"] == ys[0]], sy[sy["year"] == ys[-1]], "area")


def fig_change_map(d: AreaData) -> go.Figure | None:
    """Closures and openings between the first and the latest year on a map of the area (län
    and kommun); None with one service year and for riket."""
    if not has_change(d) or d.area.level == "riket":
        return None
    from lansanalys.report.chapters.access import context_geo

    ys, a = years(d), d.area
    pts = change_points(d)
    pts["label"] = pts["service_type"].map(SERVICE_TYPES)
    n_closed = int((pts["change"] == "stängd").sum())
    n_open = int((pts["change"] == "öppnad").sum())
    if n_closed or n_open:
        top = pts[pts["change"] == "stängd"]["service_type"].value_counts()
        clear = len(top) and top.iloc[0] >= 2 and (len(top) == 1 or top.iloc[0] > top.iloc[1])
        most = (
            f"; flest stängda: {_PLURAL[top.index[0]]} ({fmt.number(top.iloc[0])})" if clear else ""
        )
        title = (
            f"{fmt.number(n_closed)} servicepunkter har stängt och {fmt.number(n_open)} öppnat "
            f"{a.where} mellan {ys[0]} och {ys[-1]}{most}"
        )
    else:
        title = f"Inga servicepunkter har öppnat eller stängt {a.where} mellan {ys[0]} och {ys[-1]}"
    fig = point_maps.change_point_map(
        d.own_geo.rename(columns={"code": "kommun_kod"}),
        pts,
        title,
        _source(d),
        context=context_geo(d, alone=a.level == "kommun"),
    )
    return with_table(
        fig,
        pts[["point_id", "service_type", "label", "name", "kommun_kod", "x", "y", "change"]],
    )
