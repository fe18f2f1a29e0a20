"""Build tables for types of place: every populated cell's type (tätort or landsbygd; tätort,
tätortsnära landsbygd or glesbygd by car time along the roads), every kommun's kommuntyp
(Tillväxtanalys' published classification when supplied, else computed from the grid and the
roads), and the population and access of every area per type, so the reports only filter.

The method is in :mod:`lansanalys.analysis.place_types` and ``docs/definitions.md``.
"""

from __future__ import annotations

import logging
import re

import geopandas as gpd
import numpy as np
import pandas as pd

from lansanalys import geo
from lansanalys.analysis import access, network
from lansanalys.analysis import place_types as pt
from lansanalys.config import CRS_METRIC, DEFAULT_THRESHOLDS_KM
from lansanalys.pipeline.tables import POP_COLS, Measured

log = logging.getLogger(__name__)

#: Kommuner whose boundaries come this close (m) are neighbours for the storstad groups: a
#: narrow strait (Öckerö, Lidingö) does not part them; the generalised boundaries leave gaps.
NEIGHBOUR_GAP_M = 2_000.0

#: What the cell types rest on, in Swedish, for the reports.
BASIS_TEXT = {
    "scb": "Tätort: befolkningsruta vars mittpunkt ligger inom en av SCB:s tätorter (SCB:s "
    "tätortsgränser); tätorter med minst 3 000 invånare enligt SCB (annars räknat ur "
    "rutorna) är målpunkter för restiden.",
    "grid": "Tätort: befolkningsruta i ett sammanhängande område av rutor med minst 300 "
    "invånare per km² som tillsammans har minst 5 000 invånare (EU:s urbaniseringsgrad på "
    "rutnivå). Tätorter med minst 3 000 invånare för restiden: sammanhängande rutor med minst "
    "300 invånare per km² och minst 3 000 invånare tillsammans. SCB:s tätortsgränser har inte "
    "lagts in; med dem används SCB:s tätorter.",
}
KOMMUNTYP_TEXT = {
    "tillvaxtanalys": "Kommuntyp: Tillväxtanalys indelning (den fil som lagts in).",
    "computed": "Kommuntyp: beräknad av Länsanalys ur befolkningsrutorna och vägnätet efter "
    "Tillväxtanalys metod (andel av befolkningen på landsbygd och bilrestid till större stad); "
    "inte Tillväxtanalys egen indelning, som används när den läggs in.",
}

#: Schemes of type: scheme → (column of the cell or kommun table, its types in order).
PLACE_SCHEMES = {"ortstyp": ("place_type", pt.PLACE_TYPES), "tatort": ("urban", pt.URBAN_RURAL)}
KOMMUN_SCHEMES = {
    "kommuntyp": ("typ6_name", tuple(pt.KOMMUNTYPER.values())),
    "kommuntyp3": ("typ3_name", tuple(pt.KOMMUNTYPER3.values())),
}
SCHEMES = {**PLACE_SCHEMES, **KOMMUN_SCHEMES}


def _in_polygons(cells: pd.DataFrame, polygons: gpd.GeoDataFrame) -> pd.Series:
    """Per cell the code of the polygon its centre lies in (NaN for none)."""
    pts = gpd.GeoDataFrame(
        {"i": np.arange(len(cells))},
        geometry=gpd.points_from_xy(cells["x"], cells["y"]),
        crs=CRS_METRIC,
    )
    hit = gpd.sjoin(pts, polygons[["ort_kod", "geometry"]], predicate="within", how="inner")
    hit = hit.drop_duplicates("i").set_index("i")["ort_kod"]
    return pd.Series(hit.reindex(np.arange(len(cells))).to_numpy(), index=cells.index)


def cell_table(
    rutor: pd.DataFrame,
    nodes: pd.DataFrame,
    edges: pd.DataFrame,
    orter: gpd.GeoDataFrame | None = None,
) -> tuple[pd.DataFrame, str]:
    """Every populated cell's types of place.

    Parameters
    ----------
    rutor : DataFrame
        ``cell_id, x, y, size_m, population, pop_70plus, kommun_kod, lan_kod``.
    nodes, edges : DataFrame
        The road graph (``vagnat_noder``, ``vagnat_lankar``).
    orter : GeoDataFrame, optional
        SCB's tätorter (and småorter) from :func:`lansanalys.sources.orter.read_orter`; without
        tätorter the EU rules on the grid stand in.

    Returns
    -------
    (DataFrame, str)
        ``cell_id, kommun_kod, lan_kod, population, pop_70plus``, ``urban`` (tätort or
        landsbygd), ``place_type`` (tätort, tätortsnära landsbygd, glesbygd), ``town_min`` (car
        minutes to the nearest tätort of 3 000+, 0 inside one, NaN without a road link),
        ``urban_cluster`` (in an EU urban cluster of the grid) and ``city_min`` (car minutes to
        the nearest urban cluster of 50 000+); and the basis, "scb" or "grid".
    """
    cells = rutor.reset_index(drop=True)
    xy = cells[["x", "y"]].to_numpy(dtype=float)
    cluster = pt.dense_clusters(cells) >= 0
    city = pt.dense_clusters(cells, min_population=pt.CITY_POPULATION) >= 0
    tatorter = None
    if orter is not None and len(orter):
        tatorter = orter[orter["kind"] == "tätort"]
    if tatorter is not None and len(tatorter):
        basis = "scb"
        ort = _in_polygons(cells, tatorter)
        urban = ort.notna().to_numpy()
        counted = cells.groupby(ort)["population"].sum()
        size = tatorter.set_index("ort_kod")["population_scb"]
        size = size.fillna(counted.reindex(size.index).fillna(0))
        big = set(size.index[size >= pt.TOWN_MIN_POPULATION])
        in_town = ort.isin(big).to_numpy()
        # The towns' cells, and a point inside each town for one no cell centre falls in.
        rep = tatorter[tatorter["ort_kod"].isin(big)].geometry.representative_point()
        dest = np.vstack([xy[in_town], np.column_stack([rep.x, rep.y])])
    else:
        basis = "grid"
        urban = cluster
        in_town = pt.dense_clusters(cells, min_population=pt.TOWN_MIN_POPULATION) >= 0
        dest = xy[in_town]
    net = network.load_network(nodes, edges)
    att = net.attach(xy, network.ATTACH_M)

    def minutes_to(points: np.ndarray, inside: np.ndarray) -> np.ndarray:
        out = np.full(len(cells), np.nan)
        if len(points):
            out = net.nearest(att, points)["minutes"].to_numpy(dtype=float).copy()
        out[inside] = 0.0
        return out

    town_min = minutes_to(dest, in_town)
    out = pd.DataFrame(
        {
            "cell_id": cells["cell_id"].to_numpy(),
            "kommun_kod": cells["kommun_kod"].to_numpy(),
            "lan_kod": cells["lan_kod"].to_numpy(),
            "population": cells["population"].to_numpy(),
            "pop_70plus": cells["pop_70plus"].astype("Float64").array,
            "urban": np.where(urban, pt.URBAN_RURAL[0], pt.URBAN_RURAL[1]),
            "place_type": pt.place_type(town_min, in_town),
            "town_min": town_min,
            "urban_cluster": cluster,
            "city_min": minutes_to(xy[city], city),
        }
    )
    return out, basis


def neighbour_pairs(gap_m: float = NEIGHBOUR_GAP_M) -> list[tuple[str, str]]:
    """Pairs of kommuner whose boundaries come within ``gap_m`` of each other."""
    kom = geo.kommun_geometry(CRS_METRIC)[["kommun_kod", "geometry"]]
    grown = kom.assign(geometry=kom.geometry.buffer(gap_m / 2))
    hit = gpd.sjoin(grown, grown, predicate="intersects", how="inner")
    pairs = hit[hit["kommun_kod_left"] < hit["kommun_kod_right"]]
    return list(zip(pairs["kommun_kod_left"], pairs["kommun_kod_right"], strict=True))


def kommuntyp_table(
    supplied: pd.DataFrame | None,
    cells: pd.DataFrame,
    neighbours: list[tuple[str, str]] | None = None,
) -> tuple[pd.DataFrame, str]:
    """Every kommun's kommuntyp: Tillväxtanalys' own where supplied, else computed.

    The computed classes (:func:`lansanalys.analysis.place_types.kommun_types`) and the figures
    behind them are kept beside a supplied classification (``computed_typ6``), so the two can
    be compared. Returns the table and its basis ("tillvaxtanalys" or "computed").
    """
    computed = pt.kommun_types(
        cells.assign(rural=~cells["urban_cluster"].astype(bool)),
        neighbour_pairs() if neighbours is None else neighbours,
    ).set_index("kommun_kod")
    codes = pd.Index(geo.kommun_codes(), name="kommun_kod")
    computed = computed.reindex(codes)
    if supplied is not None:
        basis = "tillvaxtanalys"
        typ = supplied.set_index("kommun_kod")[["typ6", "typ3"]].reindex(codes)
    else:
        basis = "computed"
        typ = computed[["typ6", "typ3"]]
    out = pd.DataFrame(index=codes)
    out["lan_kod"] = codes.str[:2]
    out["typ6"] = typ["typ6"].astype("Int64")
    out["typ6_name"] = out["typ6"].map(pt.KOMMUNTYPER)
    out["typ3"] = typ["typ3"].astype("Int64")
    out["typ3_name"] = out["typ3"].map(pt.KOMMUNTYPER3)
    out["basis"] = basis
    out["computed_typ6"] = computed["typ6"].astype("Int64")
    for col in ("rural_share", "near_share", "mean_min", "unreachable_share", "metro_population"):
        out[col] = computed[col].astype(float)
    return out.reset_index(), basis


def meta(type_basis: str, kommuntyp_basis: str, kinds_meta: dict) -> dict:
    """What the reports say the types rest on (``meta.json``'s ``place_types``)."""
    k = kinds_meta.get("kommuntyp", {})
    return {
        "basis": type_basis,
        "basis_text": BASIS_TEXT[type_basis],
        "kommuntyp_basis": kommuntyp_basis,
        "kommuntyp_text": KOMMUNTYP_TEXT[kommuntyp_basis],
        "kommuntyp_source": k.get("source", ""),
        "kommuntyp_year": k.get("year"),
        "town_min_population": pt.TOWN_MIN_POPULATION,
        "bounds_min": list(pt.PLACE_BOUNDS_MIN),
    }


def _levels(df: pd.DataFrame, kommun_level: bool) -> list[tuple[str, pd.Series]]:
    """(level, area code per row) for riket, län and (optionally) kommun."""
    out = [("riket", pd.Series("00", index=df.index)), ("lan", df["lan_kod"])]
    return out + ([("kommun", df["kommun_kod"])] if kommun_level else [])


def _sum_up(df: pd.DataFrame, keys: list[str], cols: list[str]) -> pd.DataFrame:
    """Sums of ``cols`` per group; NaN where any part is NaN (a partial count is no count)."""
    g = df.groupby(keys, sort=True)
    total = g[cols].sum()
    return total.where(~df[cols].isna().groupby([df[k] for k in keys]).any())


def _finest(cd: pd.DataFrame) -> pd.DataFrame:
    """People beyond the default km thresholds and the headline car-time limit per kommun ×
    place type × tätort/landsbygd × service type: the counts of the kit's one definition
    (:func:`lansanalys.analysis.access.beyond_thresholds`), which add up to any coarser area."""
    # One integer key for the finest group, and the type as a category: grouping on several
    # string columns is slow.
    kom, kom_codes = pd.factorize(cd["kommun_kod"].to_numpy(dtype=object))
    ort = pd.Categorical(cd["ortstyp"], categories=pt.PLACE_TYPES).codes
    tat = pd.Categorical(cd["tatort"], categories=pt.URBAN_RURAL).codes
    gid = (kom * len(pt.PLACE_TYPES) + ort) * len(pt.URBAN_RURAL) + tat
    work = cd[["road_m", "road_min", *POP_COLS]].assign(
        _g=gid, service_type=cd["service_type"].astype("category")
    )
    acc = access.beyond_thresholds(
        work, "_g", DEFAULT_THRESHOLDS_KM, dist_col="road_m", pop_cols=POP_COLS
    )
    if "road_min" in cd:
        mins = access.beyond_thresholds(
            work, "_g", (access.HEADLINE_MIN,), dist_col="road_min", pop_cols=POP_COLS, unit="min"
        )
        made = [c for c in mins if re.fullmatch(r".*_over_.*min", c) and "_share_" not in c]
        acc = acc.merge(mins[["_g", "service_type", *made]], how="left")
    counts = [
        c
        for c in acc
        if c in POP_COLS or (c.endswith("_unreachable") or "_over_" in c) and "_share_" not in c
    ]
    out = acc[["service_type", *counts]].copy()
    g = acc["_g"].to_numpy()
    groups = pd.DataFrame(
        {
            "kommun_kod": kom_codes[g // (len(pt.PLACE_TYPES) * len(pt.URBAN_RURAL))],
            "ortstyp": np.array(pt.PLACE_TYPES)[g // len(pt.URBAN_RURAL) % len(pt.PLACE_TYPES)],
            "tatort": np.array(pt.URBAN_RURAL)[g % len(pt.URBAN_RURAL)],
        }
    )
    out["service_type"] = out["service_type"].astype(str)
    kommun = cd.drop_duplicates("kommun_kod").set_index("kommun_kod")
    for col in ("kommun_kod", "ortstyp", "tatort"):
        out[col] = groups[col].to_numpy()
    for col in ("lan_kod", "kommuntyp", "kommuntyp3"):
        out[col] = out["kommun_kod"].map(kommun[col]).to_numpy()
    return out


def _shares(df: pd.DataFrame) -> pd.DataFrame:
    """Percent of each population column beyond each limit and unreachable."""
    for pc in POP_COLS:
        total = df[pc].where(df[pc] > 0)
        for c in [c for c in df.columns if c.startswith(f"{pc}_") and "_share_" not in c]:
            rest = c[len(pc) + 1 :]
            if rest == "unreachable" or rest.startswith("over_"):
                df[f"{pc}_share_{rest}"] = 100 * df[c] / total
    return df


def type_tables(
    cells: pd.DataFrame, kommuntyp: pd.DataFrame, m: Measured
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Population and access of riket, every län and every kommun per type of place.

    Place types (``ortstyp``, ``tatort``) for riket, län and kommun; kommuntyper (``kommuntyp``,
    ``kommuntyp3``) for riket and län (a kommun has one). Grid population throughout; access
    over the cells the build measured (covered län × type), counted once per kommun × type with
    the kit's one definition of "beyond" and summed to the larger areas.

    Returns
    -------
    (DataFrame, DataFrame)
        ``typ_befolkning``: ``level, code, scheme, type, order, population, pop_70plus,
        n_cells`` (``pop_70plus`` NaN where any cell lacks it); ``typ_access``: ``level, code,
        scheme, type, order, service_type``, per population column (all, 70+) the total, the
        unreachable, the people beyond each default km threshold and the headline car-time
        limit, and each as a share in percent (``population_share_over_10km`` …).
    """
    kt = kommuntyp.set_index("kommun_kod")
    typed = cells[["cell_id", "kommun_kod", "lan_kod", "population", "pop_70plus"]].assign(
        ortstyp=cells["place_type"].to_numpy(),
        tatort=cells["urban"].to_numpy(),
        kommuntyp=cells["kommun_kod"].map(kt["typ6_name"]).fillna("okänd").to_numpy(),
        kommuntyp3=cells["kommun_kod"].map(kt["typ3_name"]).fillna("okänd").to_numpy(),
        n_cells=1,
    )
    typed["pop_70plus"] = typed["pop_70plus"].astype(float)
    cd = m.cell_dist.merge(typed[["cell_id", *SCHEMES]], on="cell_id", how="left", validate="m:1")
    fine = _finest(cd)
    counts = [c for c in fine.columns if c in POP_COLS or c.startswith(tuple(POP_COLS))]
    pop_rows, acc_rows = [], []
    for scheme in SCHEMES:
        for level, code in _levels(typed, scheme in PLACE_SCHEMES):
            frame = typed.assign(code=code.to_numpy(), type=typed[scheme].to_numpy())
            g = _sum_up(frame, ["code", "type"], ["population", "pop_70plus", "n_cells"])
            pop_rows.append(g.reset_index().assign(level=level, scheme=scheme))
            code_f = {"riket": "00", "lan": fine["lan_kod"], "kommun": fine["kommun_kod"]}[level]
            f = fine.assign(code=code_f, type=fine[scheme])
            acc = _sum_up(f, ["code", "type", "service_type"], counts)
            acc_rows.append(acc.reset_index().assign(level=level, scheme=scheme))
    pop = pd.concat(pop_rows, ignore_index=True)
    acc = _shares(pd.concat(acc_rows, ignore_index=True))
    order = {(s, t): i for s, (_, types) in SCHEMES.items() for i, t in enumerate(types)}
    lead = ["level", "code", "scheme", "type", "order"]
    for df in (pop, acc):
        df["order"] = [order.get(k, len(order)) for k in zip(df["scheme"], df["type"], strict=True)]
    pop = pop[lead + [c for c in pop.columns if c not in lead]].sort_values(lead)
    acc = acc[lead + [c for c in acc.columns if c not in lead]].sort_values([*lead, "service_type"])
    return pop.reset_index(drop=True), acc.reset_index(drop=True)
