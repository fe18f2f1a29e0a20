"""Writing the demo world to raw files in the real formats (SCB CSV, SCB grid GeoPackage, Pipos
CSV, support list, road GeoPackage), each carrying the demo marker.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from lansanalys import geo
from lansanalys.config import CRS_METRIC
from lansanalys.demo.world import CELL, FIRST_YEAR, LAST_YEAR, DemoWorld
from lansanalys.sources.files import DEMO_MARKER
from lansanalys.util import atomic_path


def _write_befolkning(world: DemoWorld, path: Path) -> int:
    tab = world.population_table()
    names = geo.kommuner().set_index("kommun_kod")["kommun"]
    wide = tab.pivot_table(
        index=["kommun_kod", "age", "sex"], columns="year", values="population", aggfunc="sum"
    ).reset_index()
    sex_order = {"män": 0, "kvinnor": 1}
    wide = wide.sort_values(
        ["kommun_kod", "age", "sex"], key=lambda s: s.map(sex_order) if s.name == "sex" else s
    )
    out = pd.DataFrame(
        {
            "region": wide["kommun_kod"] + " " + wide["kommun_kod"].map(names),
            "ålder": np.where(wide["age"] == 100, "100+ år", wide["age"].astype(str) + " år"),
            "kön": wide["sex"],
        }
    )
    for year in range(FIRST_YEAR, LAST_YEAR + 1):
        out[str(year)] = wide[year].astype(np.int64).to_numpy()
    return _write_scb_csv(path, "Folkmängden efter region, ålder, kön och år", out)


def _write_scb_csv(path: Path, table: str, out: pd.DataFrame) -> int:
    """An SCB Statistikdatabasen CSV export: quoted title line, blank line, cp1252, CRLF."""
    title = f'"{table} ({DEMO_MARKER} – genererad av lansanalys, inte SCB:s siffror)"\n\n'
    with atomic_path(path) as tmp:
        with open(tmp, "w", encoding="cp1252", newline="") as fh:
            fh.write(title)
            out.to_csv(fh, index=False, quoting=1, lineterminator="\r\n")
    return len(out)


def _write_forandringar(world: DemoWorld, path: Path) -> int:
    """SCB's BE0101J layout: region × förändringar (totalt) × year, adding up to the change."""
    rng = np.random.default_rng(world.seed + 2)
    pop = world.population_table()
    by = ["kommun_kod", "year"]
    tot = pop.groupby(by)["population"].sum().unstack()
    # Births and deaths are the cohort history's own (Swedish fertility and survival), so an
    # old kommun has more deaths than births, as a real one does; moves take the rest.
    comp = world.components().set_index(by)
    years = list(range(FIRST_YEAR + 1, LAST_YEAR + 1))
    rows = []
    names = geo.kommuner().set_index("kommun_kod")["kommun"]
    for code, p in tot.iterrows():
        for year in years:
            prev = float(p[year - 1])
            change = int(p[year] - p[year - 1])

            def draw(rate: float, base: float = prev) -> int:
                return int(round(base * rate * rng.uniform(0.9, 1.1)))

            born = int(comp.at[(code, year), "births"])
            died = int(comp.at[(code, year), "deaths"])
            # Swings in growth (the arrivals of 2015–2016) come from abroad, as in SCB's
            # figures: net domestic moves stay small, immigration takes up the rest.
            emi = draw(0.005)
            dom_net = int(round(prev * rng.normal(0.0, 0.003)))
            imm = max(change - (born - died) - dom_net + emi, draw(0.003))
            dom_net = change - (born - died) - (imm - emi)
            dom_in = draw(0.045)
            dom_out = dom_in - dom_net
            if dom_out < 0:  # more people moved in than the draw had
                dom_in, dom_out = dom_in - dom_out, 0
            rows.append((code, year, change, born, died, dom_in + imm, dom_out + emi, imm, emi))
    cols = ["folkökning", "födda", "döda", "samtliga inflyttningar", "samtliga utflyttningar"]
    cols += ["invandringar", "utvandringar"]
    df = pd.DataFrame(rows, columns=["kommun_kod", "year", *cols])
    long = df.melt(["kommun_kod", "year"], var_name="förändringar", value_name="n")
    wide = long.pivot_table(
        index=["kommun_kod", "förändringar"], columns="year", values="n", aggfunc="sum"
    )
    wide = wide.reindex(
        pd.MultiIndex.from_product([tot.index, cols], names=["kod", "komp"])
    ).reset_index()
    out = pd.DataFrame(
        {
            "region": wide["kod"] + " " + wide["kod"].map(names),
            "förändringar": wide["komp"],
            "kön": "totalt",
        }
    )
    for year in years:
        out[str(year)] = wide[year].astype(np.int64).to_numpy()
    return _write_scb_csv(
        path, "Befolkningsförändringar efter region, förändringar och kön. År", out
    )


def _write_klassning(world: DemoWorld, path: Path) -> int:
    df = world.classification()
    with atomic_path(path) as tmp:
        with open(tmp, "w", encoding="utf-8", newline="") as fh:
            fh.write(f"# {DEMO_MARKER}: exempelindelning av kommunerna, inte SKR:s\n")
            df.to_csv(fh, index=False)
    return len(df)


#: Tillväxtverket's *Kommuner för serviceutveckling 2022–2025*: the public list of its 23
#: kommuner (a real list, not demo data; the figures computed on demo data are).
KFS_NAME = "Kommuner för serviceutveckling"
KFS_PERIOD = (2022, 2025)
KFS_KOMMUNER = (
    "Sorsele, Malå, Norsjö, Vilhelmina, Umeå, Sollefteå, Ljusdal, Söderhamn, Mora, Ludvika, "
    "Falun, Sala, Köping, Åtvidaberg, Mullsjö, Tjörn, Vetlanda, Högsby, Älmhult, Ljungby, "
    "Mörbylånga, Laholm, Ronneby"
).split(", ")
KFS_SOURCE = (
    "Tillväxtverket: programmet Kommuner för serviceutveckling 2022–2025, förteckningen över "
    "de 23 deltagande kommunerna"
)


def _write_grupper(_world: DemoWorld, path: Path) -> int:
    """The example group, KfS 2022–2025, with each kommun's code looked up from its name."""
    period = f"{KFS_PERIOD[0]}–{KFS_PERIOD[1]}"
    rows = [(KFS_NAME, period, f"{geo.resolve_kommun(n)} {n}") for n in KFS_KOMMUNER]
    with atomic_path(path) as tmp:
        with open(tmp, "w", encoding="utf-8", newline="") as fh:
            fh.write("grupp;period;kommun\n")
            fh.writelines(f"{g};{p};{k}\n" for g, p, k in rows)
    return len(rows)


def _write_rutor(world: DemoWorld, path: Path) -> int:
    cells = world.cells
    x0 = (cells["x"] - CELL // 2).astype(np.int64)
    y0 = (cells["y"] - CELL // 2).astype(np.int64)
    gdf = gpd.GeoDataFrame(
        {
            "rutid_scb": x0.astype(str).str.zfill(6) + y0.astype(str).str.zfill(7),
            "rutstorl": CELL,
            "ar": LAST_YEAR,
            "beftotalt": cells["population"].astype(np.int64),
            **{
                b: cells[b].astype(np.int64)
                for b in ("ald0_24", "ald25_44", "ald45_64", "ald65_79", "ald80w", "ald70w")
            },
        },
        geometry=shapely.box(x0, y0, x0 + CELL, y0 + CELL),
        crs=CRS_METRIC,
    )
    with atomic_path(path) as tmp:
        gdf.to_file(tmp, layer=f"befolkning_1km_{LAST_YEAR}_{DEMO_MARKER.lower()}", driver="GPKG")
    return len(gdf)


def _write_service(world: DemoWorld, path: Path) -> int:
    df = world.service_points()
    with atomic_path(path) as tmp:
        df.to_csv(tmp, sep=";", index=False, encoding="cp1252", lineterminator="\r\n")
    return len(df)


def _write_service_history(world: DemoWorld, current: Path) -> list[tuple[int, Path, int]]:
    """The demo's earlier service years beside the current file (:mod:`lansanalys.demo.history`)."""
    from lansanalys.demo import calibration
    from lansanalys.demo.history import HISTORY_YEARS, service_history

    totals = calibration.history()
    first, last = min(HISTORY_YEARS), LAST_YEAR
    growth = totals[last] / totals[first] - 1
    # The current file as written (service_points draws from the world's generator: a second
    # call would give other points).
    now = pd.read_csv(
        current, sep=";", encoding="cp1252", dtype={"ID": str, "Kommunkod": str, "Postort": str}
    )
    out = []
    for year, df in service_history(now, world.cells, growth, world.seed).items():
        path = current.with_name(f"{current.stem}_{year}{current.suffix}")
        with atomic_path(path) as tmp:
            df.to_csv(tmp, sep=";", index=False, encoding="cp1252", lineterminator="\r\n")
        out.append((year, path, len(df)))
    return out


def _write_stod(world: DemoWorld, path: Path) -> int:
    df = world.support_list()
    df["Belopp (kr)"] = df["Belopp (kr)"].map(lambda v: f"{v:.2f}".replace(".", ","))
    with atomic_path(path) as tmp:
        df.to_csv(tmp, sep=";", index=False, encoding="utf-8-sig")
    return len(df)


def _write_vagnat(world: DemoWorld, path: Path) -> int:
    gdf = world.road_lines()
    with atomic_path(path) as tmp:
        gdf.to_file(tmp, layer=f"vagnat_{DEMO_MARKER.lower()}", driver="GPKG")
    return len(gdf)
