"""The catalogue of processed tables: the one list of what ``data/processed/`` holds.

The build writes every table through :func:`write` and the reports read through :func:`read`, so a
table's file name, its grain ("one row per …") and its schema are stated once, here. A name that is
not in :data:`TABLES` is a programming error, raised at once.

This module is light on purpose (no pandera, no geopandas until a map table is read): the report
kernels import it.

>>> TABLES["nearest"].row
'cell × service type'
>>> sorted(t.name for t in TABLES.values() if t.optional)
['access_kommungrupp', 'access_years', 'forandringar', 'grupper', 'klassning', 'prognos', 'service_years']
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from lansanalys.config import Paths
from lansanalys.errors import MissingDataError
from lansanalys.geo import lan_codes
from lansanalys.services import SERVICE_TYPES

#: The build's metadata beside the tables (sources, years, versions, timings).
META = "meta.json"


@dataclass(frozen=True)
class Table:
    """One processed table."""

    name: str
    #: The grain: what one row is.
    row: str
    #: Written only when its input exists (a supplied grouping, projection, components).
    optional: bool = False
    #: A GeoDataFrame (read with geopandas).
    geo: bool = False
    #: Name of its pandera schema in :data:`lansanalys.pipeline.schemas.SCHEMAS`, where it has one.
    schema: str | None = None

    @property
    def file(self) -> str:
        return f"{self.name}.parquet"


TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        Table("befolkning", "kommun × year × age (0–100+) × sex", schema="befolkning"),
        Table("rutor", "populated grid cell", schema="rutor"),
        Table("service", "service point", schema="service"),
        Table("stod", "grant", schema="stod"),
        Table("nearest", "cell × service type", schema="nearest"),
        Table("coverage", "län × service type", schema="coverage"),
        Table("access_kommun", "kommun × service type"),
        Table("access_lan", "län × service type"),
        Table("access_riket", "service type (the whole country)"),
        Table("access_kommungrupp", "kommungrupp × service type", optional=True),
        Table("access_klasser", "level × area × service type × metric × class"),
        Table("cash_rule", "area × cash service type"),
        Table("closure", "service point", schema="closure"),
        Table(
            "indicators",
            "level (lan, kommun, kommungrupp) × area: headline indicators; riket as lan '00'",
        ),
        Table("orter", "ort (part) per kommun, and 'utanför orter' per kommun"),
        Table("scenarios", "area × service type: closing its most critical point"),
        Table("vagnat_noder", "road graph node"),
        Table("vagnat_lankar", "road graph link"),
        Table("prognos", "kommun × year × age × sex (projected)", optional=True),
        Table("klassning", "kommun", optional=True),
        Table("forandringar", "kommun × year × component", optional=True),
        Table("kommun_geo", "kommun (generalised boundary)", geo=True),
        Table("lan_geo", "län (generalised boundary)", geo=True),
        Table("places", "GeoNames settlement"),
        Table("ortstyp", "populated grid cell: its types of place", schema="ortstyp"),
        Table("kommuntyp", "kommun: its kommuntyp (supplied or computed)", schema="kommuntyp"),
        Table("typ_befolkning", "level × area × scheme × type of place: grid population"),
        Table("typ_access", "level × area × scheme × type of place × service type: beyond"),
        Table("service_years", "service point × year (several service years)", optional=True),
        Table(
            "access_years",
            "level × area × service type × year: points, opened, closed, shares beyond",
            optional=True,
        ),
        Table(
            "grupper", "group × kommun: a programme's kommuner and period", True, schema="grupper"
        ),
    )
}


def table(name: str) -> Table:
    """The catalogue entry of ``name``; a KeyError names the tables there are."""
    try:
        return TABLES[name]
    except KeyError:
        raise KeyError(f"no processed table {name!r}; the catalogue has {sorted(TABLES)}") from None


def path(p: Paths, name: str) -> Path:
    """Where table ``name`` lives under ``p``."""
    return p.processed / table(name).file


def exists(p: Paths, name: str) -> bool:
    """Whether the build wrote table ``name`` (optional tables may be absent)."""
    return path(p, name).exists()


#: Whole tables already read in this process, keyed by file, size and modification time: a warm
#: render worker reads the national tables once for all its reports. pandas' copy-on-write
#: makes the shallow copies handed out safe to change.
_WHOLE: dict[tuple[str, int, int], pd.DataFrame] = {}
#: Tables small or shared enough to keep whole (the big cell tables are read filtered).
CACHED = {
    "befolkning",
    "indicators",
    "service",
    "closure",
    "klassning",
    "stod",
    "scenarios",
    "orter",
    "access_kommun",
    "access_lan",
    "access_riket",
    "access_kommungrupp",
    "cash_rule",
    "kommun_geo",
    "lan_geo",
    "places",
    "coverage",
    "kommuntyp",
    "typ_befolkning",
    "typ_access",
    "grupper",
    "access_years",
}


def read(p: Paths, name: str, **kw: Any) -> pd.DataFrame:
    """Read table ``name`` (``columns=``, ``filters=`` as for ``pandas.read_parquet``).

    A missing table raises :class:`~lansanalys.errors.MissingDataError` saying to run the build.
    Whole reads of the tables in :data:`CACHED` are kept for the process (a rebuilt file is
    read again).
    """
    t, file = table(name), path(p, name)
    if not file.exists():
        raise MissingDataError(
            f"{file} is missing: run `lansanalys build` (or `make reports`) "
            "to create the processed tables"
        )
    if name in CACHED and not kw:
        st = file.stat()
        key = (str(file.resolve()), st.st_size, st.st_mtime_ns)
        if key not in _WHOLE:
            for stale in [k for k in _WHOLE if k[0] == key[0]]:  # the file was rebuilt
                del _WHOLE[stale]
            _WHOLE[key] = _read(t, file)
        return _WHOLE[key].copy(deep=False)
    return _read(t, file, **kw)


def _read(t: Table, file: Path, **kw: Any) -> pd.DataFrame:
    if t.geo:
        import geopandas as gpd

        return gpd.read_parquet(file, **kw)
    return pd.read_parquet(file, **kw)


#: Large tables that reports read one area at a time: written sorted by the area's code in
#: row groups, so a filtered read touches only the groups of that area.
SORTED_BY = {
    "nearest": ["kommun_kod", "cell_id", "service_type"],
    "rutor": ["kommun_kod", "cell_id"],
    "prognos": ["kommun_kod", "year", "age", "sex"],
    "access_klasser": ["level", "code"],
    "ortstyp": ["kommun_kod", "cell_id"],
}
ROW_GROUP_ROWS = 20_000


def write(folder: Path, name: str, df: pd.DataFrame) -> None:
    """Write table ``name`` into ``folder`` (the build's temporary processed folder)."""
    t = table(name)
    if t.geo:
        df.to_parquet(folder / t.file)
    elif name in SORTED_BY:
        keys = [k for k in SORTED_BY[name] if k in df.columns]
        df = df.sort_values(keys, kind="stable").reset_index(drop=True)
        df.to_parquet(folder / t.file, index=False, row_group_size=ROW_GROUP_ROWS)
    else:
        df.to_parquet(folder / t.file, index=False)


def read_meta(p: Paths) -> dict[str, Any]:
    """The build's metadata."""
    file = p.processed / META
    if not file.exists():
        raise MissingDataError(f"{file} is missing: run `lansanalys build` first")
    return json.loads(file.read_text(encoding="utf-8"))


# The build's record of service coverage (see :mod:`lansanalys.pipeline.coverage`).


def covered_lan(meta: dict[str, Any], service_type: str) -> list[str]:
    """The län with service data of ``service_type`` (the build's coverage table)."""
    cov = meta.get("coverage")
    if cov is None:  # a build from before coverage was tracked: every point file was national
        return lan_codes()
    return list(cov["lan"].get(service_type, []))


def in_files(meta: dict[str, Any], service_type: str) -> bool:
    """Whether the service files hold any point of ``service_type``."""
    cov = meta.get("coverage", {})
    return service_type in cov.get("in_files", list(SERVICE_TYPES))


def write_meta(folder: Path, meta: dict[str, Any]) -> None:
    (folder / META).write_text(json.dumps(meta, ensure_ascii=False, indent=2), encoding="utf-8")
