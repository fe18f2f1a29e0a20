"""Build tables for the area reports: the kommungrupp's headline indicators, the orter of every
kommun, and the closure scenario of every län's and kommun's most critical point.

Everything a report of riket, a län or a kommun compares against is computed here once, so
the chapters only filter.
"""

from __future__ import annotations

import logging

import geopandas as gpd
import numpy as np
import pandas as pd

from lansanalys import geo
from lansanalys.analysis import access
from lansanalys.analysis.indicators import area_indicators
from lansanalys.analysis.scenario import closure_scenario
from lansanalys.config import CRS_METRIC
from lansanalys.services import SERVICE_TYPES

log = logging.getLogger(__name__)

#: People per km² that make a grid cell part of a settlement's built-up cluster when no
#: boundary is supplied (about half of a sparse tätort's density).
BUILT_UP_PER_CELL = 100.0
#: How far (km) a settlement's cluster may grow from its point.
MAX_SETTLEMENT_KM = 6.0

#: Which basis the orter table rests on, in Swedish, for the reports.
BASIS_TEXT = {
    "scb": "SCB:s tätorter och småorter (gränser); invånare räknade ur befolkningsrutorna "
    "vars mittpunkt ligger inom ortens gräns.",
    "orter_geonames": "ungefärliga orter: GeoNames-orter med minst 500 invånare, var och en med "
    "den ruta den ligger i och de angränsande rutor med minst 100 invånare per km² som hänger "
    "ihop med den (högst 6 km bort). SCB:s tätortsgränser har inte lagts in; med dem "
    "räknas orterna efter SCB:s gränser.",
}


def group_indicators(
    bef: pd.DataFrame, acc: dict[str, pd.DataFrame], klassning: pd.DataFrame | None
) -> pd.DataFrame | None:
    """Headline indicators of every kommungrupp (rows of the ``indicators`` table with level
    ``kommungrupp`` and the class name as code), or None without a grouping."""
    if klassning is None or "kommungrupp" not in acc:
        return None
    groups = klassning.drop_duplicates("kommun_kod").set_index("kommun_kod")["class_name"]
    b = bef.assign(kommungrupp=bef["kommun_kod"].map(groups))
    ind = area_indicators(
        b.dropna(subset=["kommungrupp"]), "kommungrupp", acc["kommungrupp"], acc["riket"]
    )
    span = ind.attrs["span"]
    ind = ind.drop(index="00")
    return ind.rename_axis("code").reset_index().assign(level="kommungrupp", span=span, lan_kod="")


# --------------------------------------------------------------------------------------------
# Orter


def _cells_in_boundaries(rutor: pd.DataFrame, orter: gpd.GeoDataFrame) -> pd.Series:
    """Cell id → ort code for cells whose centre lies inside an ort's boundary."""
    pts = gpd.GeoDataFrame(
        rutor[["cell_id"]], geometry=gpd.points_from_xy(rutor["x"], rutor["y"]), crs=CRS_METRIC
    )
    hit = gpd.sjoin(pts, orter[["ort_kod", "geometry"]], predicate="within", how="inner")
    hit = hit.drop_duplicates("cell_id")
    return hit.set_index("cell_id")["ort_kod"]


def _cells_near_settlements(rutor: pd.DataFrame, places: pd.DataFrame) -> pd.Series:
    """Cell id → settlement id, a stand-in for SCB's tätort boundaries built on the grid.

    Each settlement starts from the cell it lies in and grows through neighbouring cells (the
    eight around a cell) that hold at least :data:`BUILT_UP_PER_CELL` people per km², up to
    :data:`MAX_SETTLEMENT_KM` from its point: a contiguous built-up cluster, as SCB's tätort is
    a contiguous built-up area. All settlements grow at once, one ring at a time, so a cell
    between two goes to the one that reaches it first (the larger one on a tie).

    On any cell size (the grid's one size, :func:`lansanalys.geo.cell_size_m`): the density is
    people over the cell's area, neighbours are the adjacent cells of that size, and the reach
    is measured between cell centres (no more than 6 km east-west and north-south of the
    settlement's own cell). A 250 m grid draws the cluster closer to where people live than a
    1 km grid: a sparse kilometre can hold a dense 250 m cell and the reverse, the reach ends
    within a kilometre of where it ends on the 1 km grid (it counts from the 250 m cell the
    settlement lies in), and a cell two settlements reach in the same 1 km ring goes to the one
    nearer by 250 m rings. People spread evenly over each kilometre's 16 cells form the same
    clusters as on the 1 km grid everywhere else.
    """
    size = float(geo.cell_size_m(rutor)) if len(rutor) else 1000.0
    ix, iy = geo.cell_index(rutor["x"], rutor["y"], size)
    per_km2 = rutor["population"].to_numpy(float) / geo.cell_area_km2(size)
    cell_at = {(a, b): i for i, (a, b) in enumerate(zip(ix.tolist(), iy.tolist(), strict=True))}
    dense = per_km2 >= BUILT_UP_PER_CELL
    order = places.sort_values("population", ascending=False)
    px, py = geo.cell_index(order["x"], order["y"], size)
    owner = np.full(len(rutor), -1)
    frontier: list[tuple[int, int, int]] = []
    for k, (a, b) in enumerate(zip(px, py, strict=True)):
        i = cell_at.get((a, b))
        if i is not None and owner[i] < 0:
            owner[i] = k
            frontier.append((i, int(a), int(b)))
    reach = MAX_SETTLEMENT_KM * 1000 / size
    while frontier:
        nxt = []
        for i, a0, b0 in frontier:
            k = owner[i]
            for da in (-1, 0, 1):
                for db in (-1, 0, 1):
                    j = cell_at.get((ix[i] + da, iy[i] + db))
                    if j is None or owner[j] >= 0 or not dense[j]:
                        continue
                    if max(abs(ix[j] - a0), abs(iy[j] - b0)) > reach:
                        continue
                    owner[j] = k
                    nxt.append((j, a0, b0))
        frontier = nxt
    ids = order["ort_kod"].to_numpy()
    sel = owner >= 0
    return pd.Series(ids[owner[sel]], index=rutor["cell_id"].to_numpy()[sel])


def orter_table(
    rutor: pd.DataFrame,
    nearest: pd.DataFrame,
    service: pd.DataFrame,
    boundaries: gpd.GeoDataFrame | None,
    places: pd.DataFrame,
) -> tuple[pd.DataFrame, str]:
    """One row per ort (part) per kommun and one "utanför orter" row per kommun.

    Parameters
    ----------
    rutor : DataFrame
        Populated cells: ``cell_id, x, y, size_m, population, kommun_kod, lan_kod``.
    nearest : DataFrame
        The build's nearest table, covered län × type only (``cell_id, service_type, road_m``).
    service : DataFrame
        Service points: ``point_id, service_type, x, y, kommun_kod``.
    boundaries : GeoDataFrame or None
        SCB tätorter and småorter (:func:`lansanalys.sources.orter.read_orter`); without them
        the settlements in ``places`` (GeoNames) stand in, sized by their population.
    places : DataFrame
        ``geonameid, name, population, x, y``.

    Returns
    -------
    (DataFrame, str)
        Columns ``ort_kod, name, kind`` (tätort, småort, ort, utanför), ``kommun_kod, lan_kod,
        population`` (people in the ort's cells), ``share`` (percent of the kommun's grid
        population), ``n_cells, x, y``, ``n_<type>`` (points inside the ort) and ``km_<type>``
        (mean road km to the nearest point over the ort's people who reach one; NaN where the
        län has no data of the type), ``population_scb`` and ``change_pct`` (NaN: one grid
        year); and the basis ("scb" or "orter_geonames"). Per kommun the orter and "utanför
        orter" add up to the kommun's grid population.
    """
    cells = rutor[["cell_id", "x", "y", "size_m", "population", "kommun_kod", "lan_kod"]]
    if boundaries is not None and len(boundaries):
        basis = "scb"
        owner = _cells_in_boundaries(cells, boundaries)
        info = boundaries.assign(
            x=boundaries.geometry.representative_point().x,
            y=boundaries.geometry.representative_point().y,
        )[["ort_kod", "name", "kind", "x", "y", "population_scb"]]
        area = gpd.GeoDataFrame(
            service[["point_id"]],
            geometry=gpd.points_from_xy(service["x"], service["y"]),
            crs=CRS_METRIC,
        )
        hit = gpd.sjoin(area, boundaries[["ort_kod", "geometry"]], predicate="within", how="inner")
        point_ort = hit.drop_duplicates("point_id").set_index("point_id")["ort_kod"]
    else:
        basis = "orter_geonames"
        pl = places.assign(ort_kod="G" + places["geonameid"].astype(str))
        owner = _cells_near_settlements(cells, pl)
        info = pl.assign(kind="ort", population_scb=float("nan"))[
            ["ort_kod", "name", "kind", "x", "y", "population_scb"]
        ]
        # A point belongs to the ort whose cells hold it (the grid cell it lies in).
        size = geo.cell_size_m(cells) if len(cells) else 1000
        sx, sy = geo.cell_index(service["x"], service["y"], size)
        square = cells.assign(ort=cells["cell_id"].map(owner)).dropna(subset=["ort"])
        qx, qy = geo.cell_index(square["x"], square["y"], size)
        lookup = dict(zip(zip(qx.tolist(), qy.tolist(), strict=True), square["ort"], strict=True))
        point_ort = pd.Series(
            [lookup.get(k) for k in zip(sx.tolist(), sy.tolist(), strict=True)],
            index=service["point_id"].to_numpy(),
            dtype=object,
        ).dropna()
    c = cells.assign(ort_kod=cells["cell_id"].map(owner).fillna("").to_numpy())
    c["n"] = 1
    # The ort's parts per kommun, so every kommun's rows add up to its own cells.
    c["row"] = np.where(
        c["ort_kod"] == "", "utanför-" + c["kommun_kod"], c["ort_kod"] + "@" + c["kommun_kod"]
    )
    # Every kommun gets its "utanför orter" row, with 0 people where every cell is in an ort.
    kommuner = c.drop_duplicates("kommun_kod")[["kommun_kod", "lan_kod"]]
    empty = kommuner.assign(
        row="utanför-" + kommuner["kommun_kod"], ort_kod="", population=0, n=0, cell_id=""
    )
    grouped = pd.concat([c, empty], ignore_index=True).groupby("row")
    rows = grouped.agg(
        population=("population", "sum"),
        n_cells=("n", "sum"),
        kommun_kod=("kommun_kod", "first"),
        lan_kod=("lan_kod", "first"),
        ort_kod=("ort_kod", "first"),
    ).reset_index()
    total = c.groupby("kommun_kod")["population"].sum()
    rows["share"] = 100 * rows["population"] / rows["kommun_kod"].map(total)
    rows = rows.merge(info, on="ort_kod", how="left")
    out_rows = rows["ort_kod"] == ""
    rows.loc[out_rows, "name"] = "Utanför orter"
    rows.loc[out_rows, "kind"] = "utanför"
    # Split orter keep their code per kommun part; the part says so in its name.
    parts = rows[~out_rows].groupby("ort_kod")["kommun_kod"].transform("size")
    rows.loc[parts[parts > 1].index, "name"] = rows.loc[parts[parts > 1].index, "name"] + " (del)"
    # Points inside each row: an ort's own points, and a kommun's points outside every ort.
    svc = service.assign(
        ort_kod=service["point_id"].map(point_ort).astype(object).fillna("").to_numpy()
    )
    svc["row"] = np.where(
        svc["ort_kod"] == "",
        "utanför-" + svc["kommun_kod"],
        svc["ort_kod"] + "@" + svc["kommun_kod"],
    )
    counts = svc.groupby(["row", "service_type"]).size().unstack(fill_value=0)
    # Mean road km over each row's people who reach a point of the type.
    near = nearest[["cell_id", "service_type", "road_m"]].merge(
        c[["cell_id", "row", "population"]], on="cell_id", how="inner"
    )
    near = near[np.isfinite(near["road_m"].to_numpy(dtype=float))]
    near["w"] = near["population"] * near["road_m"] / 1000.0
    g = near.groupby(["row", "service_type"])[["w", "population"]].sum()
    km = (g["w"] / g["population"]).unstack()
    for st in SERVICE_TYPES:
        rows[f"n_{st}"] = rows["row"].map(counts[st]).fillna(0).astype(int) if st in counts else 0
        rows[f"km_{st}"] = rows["row"].map(km[st]) if st in km else float("nan")
    # The ort's x, y where the boundary or settlement gave none (never for its own rows).
    rows["change_pct"] = float("nan")
    rows = rows.drop(columns=["row"]).sort_values(
        ["kommun_kod", "kind", "population"], ascending=[True, True, False]
    )
    return rows.reset_index(drop=True), basis


# --------------------------------------------------------------------------------------------
# Closure scenarios


def scenario_table(
    rutor: pd.DataFrame,
    nearest: pd.DataFrame,
    service: pd.DataFrame,
    closure: pd.DataFrame,
    covered: dict[str, list[str]],
    service_types: tuple[str, ...] = ("dagligvaror",),
) -> pd.DataFrame:
    """The closure scenario of the most critical point of riket, every län and every kommun
    (:func:`lansanalys.analysis.scenario.closure_scenario`, exact from the nearest table).
    Columns: ``code, level, service_type, point_id, name, kommun_kod`` and its figures."""
    frames = []
    for st in service_types:
        lan = covered.get(st, [])
        c = closure[(closure["service_type"] == st) & closure["lan_kod"].isin(lan)]
        if c.empty:
            continue
        ranked = access.most_critical_first(c)
        tops = [("00", "riket", ranked.iloc[0])]
        for level, key in (("lan", "lan_kod"), ("kommun", "kommun_kod")):
            tops += [(r[key], level, r) for _, r in ranked.drop_duplicates(key).iterrows()]
        pts = service[service["service_type"] == st].set_index("point_id")
        cells = rutor[rutor["lan_kod"].isin(lan)][["cell_id", "x", "y", "population"]]
        near = nearest[nearest["service_type"] == st].set_index("cell_id")
        done: dict[str, dict] = {}
        for code, level, top in tops:
            pid = str(top["point_id"])
            if pid not in done:
                here = pd.Series({"point_id": pid, "x": pts.at[pid, "x"], "y": pts.at[pid, "y"]})
                done[pid] = closure_scenario(cells, near, here)
            frames.append(
                {
                    **done[pid],
                    "code": code,
                    "level": level,
                    "service_type": st,
                    "name": top["name"],
                    "kommun_kod": top["kommun_kod"],
                }
            )
        log.info("closure scenarios (%s): %d points", st, len(done))
    return pd.DataFrame(frames)
