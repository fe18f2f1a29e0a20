"""Reading every raw kind for the build: the files of a kind (real ones replace the demo),
the kind's reader, duplicate handling, the kommun of each point, completeness, schema validation,
and the digest of all inputs that lets an unchanged build be skipped.
"""

from __future__ import annotations

import hashlib
import logging
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pandera.errors

from lansanalys import geo
from lansanalys.config import (
    OPTIONAL_KINDS,
    RAW_KINDS,
    Paths,
)
from lansanalys.errors import BuildError, InputError
from lansanalys.pipeline.coverage import service_coverage
from lansanalys.pipeline.schemas import SCHEMAS
from lansanalys.pipeline.years import split_years
from lansanalys.provenance import sha256
from lansanalys.sources import READERS
from lansanalys.sources.common import check_complete, reading
from lansanalys.sources.files import is_demo, raw_files
from lansanalys.sources.grupper import no_group_twice
from lansanalys.util import library_digest

log = logging.getLogger(__name__)


def _select_files(p: Paths, kind: str, sources: dict) -> tuple[list[Path], bool]:
    files = raw_files(p, kind)
    if not files:
        raise BuildError(
            f"data/raw/{kind}/ has no data file; put a file there or run `lansanalys demo` "
            "(make reports does) to write demo data for missing kinds"
        )
    real = [f for f in files if not is_demo(f, sources, p)]
    # A real file of one kind replaces the demo data of that kind only.
    return (real, False) if real else (files, True)


#: Kinds that are tables of kommun × year × age × sex, used whole.
POPULATION_KINDS = ("befolkning", "prognos")


#: What makes two rows of service files the same point.
_POINT_KEY = ["point_id", "service_type", "x", "y"]


def _dedup_service(df: pd.DataFrame) -> pd.DataFrame:
    """The same OSM object fetched for two neighbouring län: one point, not a duplicate key."""
    same = df.duplicated(_POINT_KEY)
    if same.any():
        log.info("service: %d points present in more than one file kept once", same.sum())
        df = df[~same].reset_index(drop=True)
    return df


def _read_kind(p: Paths, kind: str, sources: dict) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Read every file of ``kind``; any error names its file (and line where it has one)."""
    files, demo = _select_files(p, kind, sources)
    frames, entries = [], []
    for f in files:
        t0 = time.perf_counter()
        with reading(f):
            df = READERS[kind](f)
            if kind in POPULATION_KINDS:
                check_complete(df, f)
        rel = f.resolve().relative_to(p.raw.resolve()).as_posix()
        entry = dict(sources.get(rel, {}))
        if not entry:
            entry = {
                "kind": kind,
                "demo": False,
                "source": "fil tillagd av användaren",
                "user_supplied": True,
                "licence": "okänd – ange i SOURCES.yml",
                "url": "",
                "table": "",
                "year": None,
                "retrieved": datetime.fromtimestamp(f.stat().st_mtime).date().isoformat(),
            }
        entry.update(sha256=sha256(f), rows=int(len(df)))
        sources[rel] = entry
        if kind == "service":
            df["source"] = entry.get("source", "")
            df["file"] = rel  # coverage is judged per file (see service_coverage)
        entries.append({"file": rel, **entry})
        frames.append(df)
        log.info("read %s: %d rows in %.1f s", rel, len(df), time.perf_counter() - t0)
    history: dict = {}
    series: list[int] = []
    if kind == "service":
        frames, entries, history, latest = split_years(frames, entries)
        series = sorted([*history, latest]) if latest is not None else []
    df = pd.concat(frames, ignore_index=True)
    if kind in POPULATION_KINDS and len(frames) > 1:
        _no_year_twice(frames, [p.raw / e["file"] for e in entries], kind)
    if kind == "grupper" and len(frames) > 1:
        no_group_twice(frames, [p.raw / e["file"] for e in entries])
    if kind == "rutor" and len(frames) > 1:
        _one_grid_size(frames, [p.raw / e["file"] for e in entries])
    by_file = None
    if kind == "service":
        by_file = df[[*_POINT_KEY, "file"]]  # each file's own points, for its coverage
        df = _dedup_service(df)
    if df.empty:
        names = ", ".join(e["file"] for e in entries)
        raise BuildError(
            f"{kind}: the files ({names}) hold no rows; a folder with only lookup files (e.g. "
            "org.nr → kommun) still needs the data file itself"
        )
    years = [e.get("year") for e in entries if e.get("year")]
    if series:  # the service year (a year column may give it where SOURCES.yml does not)
        years = [series[-1]]
    meta = {
        "demo": demo,
        "files": entries,
        **({"_points_by_file": by_file} if by_file is not None else {}),
        **({"_history": history} if history else {}),
        **({"_service_years": series} if kind == "service" else {}),
        "source": "; ".join(sorted({e.get("source", "") for e in entries})),
        "year": max(years) if years else None,
    }
    return df, meta


def _no_year_twice(frames: list[pd.DataFrame], files: list[Path], kind: str) -> None:
    """Two population files must not both give the same kommun and year (it would count twice)."""
    seen: dict[tuple[str, int], Path] = {}
    for df, f in zip(frames, files, strict=True):
        pairs = set(zip(df["kommun_kod"], df["year"].astype(int), strict=True))
        for k, y in sorted(pairs):
            if (k, y) in seen:
                raise InputError(
                    f,
                    f"kommun {k} {geo.kommun_name(k)}, {y} is also in {seen[(k, y)].name}",
                    expected=f"each kommun and year in one {kind} file only",
                )
        seen.update(dict.fromkeys(pairs, f))


def _one_grid_size(frames: list[pd.DataFrame], files: list[Path]) -> None:
    """Grid files read together must have one cell size: a 1 km and a 250 m grid of the same
    place would count its people twice (their ids differ), and no figure may mix sizes."""
    sizes = [geo.cell_size_m(df) if len(df) else None for df in frames]
    base = next(((s, f) for s, f in zip(sizes, files, strict=True) if s is not None), None)
    for s, f in zip(sizes, files, strict=True):
        if base is not None and s is not None and s != base[0]:
            raise InputError(
                f,
                f"a grid of {s} m cells, but {base[1].name} has {base[0]} m cells",
                expected="one grid size per build: every file in data/raw/rutor/ of the same "
                "cell size (put the other grid away)",
            )


def _attach_kommun(
    df: pd.DataFrame, what: str, fill_given: bool = True, drop_far: bool = False
) -> pd.DataFrame:
    """Give each x/y row the kommun it lies in (:func:`lansanalys.geo.kommun_of_points`)."""
    code = pd.Series(geo.kommun_of_points(df["x"], df["y"]), index=df.index, dtype=object)
    if drop_far and code.isna().any():
        df, code = df[code.notna()], code[code.notna()]
    if code.isna().any():
        far = code.isna().to_numpy()
        r = df.iloc[int(np.flatnonzero(far)[0])]
        where = f"data/raw/{r['file']}: " if "file" in df.columns else ""
        ident = next(
            (f"{col} {str(r[col])!r} " for col in ("point_id", "cell_id") if col in df.columns),
            "",
        )
        name = f"({r['name']}) " if "name" in df.columns and pd.notna(r["name"]) else ""
        more = f"; {int(far.sum()) - 1} more point(s) like it" if far.sum() > 1 else ""
        raise BuildError(
            f"{what}: {where}{ident}{name}at ({r.x:.0f}, {r.y:.0f}) lies more than "
            f"{geo.COAST_TOLERANCE_M / 1000:g} km from "
            f"every kommun{more}; is it in Sweden and in SWEREF 99 TM (EPSG:3006, metres)?"
        )
    out = df.copy()
    if fill_given and "kommun_kod" in out.columns and out["kommun_kod"].notna().any():
        out["kommun_kod"] = out["kommun_kod"].fillna(code)
    else:
        out["kommun_kod"] = code.astype(str)
    out["lan_kod"] = out["kommun_kod"].str[:2]
    return out


def _check_complete(bef: pd.DataFrame, files: str = "") -> None:
    """The latest year must hold every kommun; ``files`` names the population files."""
    latest = bef["year"].max()
    have = set(bef.loc[bef["year"] == latest, "kommun_kod"])
    missing = sorted(set(geo.kommun_codes()) - have)
    if missing:
        names = ", ".join(f"{c} {geo.kommun_name(c)}" for c in missing[:8])
        more = f" and {len(missing) - 8} more" if len(missing) > 8 else ""
        raise BuildError(
            f"befolkning ({files}): year {latest} lacks {len(missing)} kommuner ({names}{more}); "
            "the reports compare every län with riket, so export all 290 kommuner"
        )


def _validate(name: str, df: pd.DataFrame) -> pd.DataFrame:
    try:
        return SCHEMAS[name].validate(df, lazy=True)
    except pandera.errors.SchemaErrors as exc:
        fc = exc.failure_cases.head(5)
        detail = "; ".join(
            f"column {r.column!r}: {r.check} failed for {r.failure_case!r} (row {r.index})"
            for r in fc.itertuples()
        )
        raise BuildError(f"processed table {name!r} is invalid: {detail}") from None


def inputs_digest(p: Paths) -> str:
    """Digest of every raw data file, SOURCES.yml and the library: unchanged means nothing to do."""
    h = hashlib.sha256(library_digest().encode())
    for kind in RAW_KINDS + OPTIONAL_KINDS:
        for f in raw_files(p, kind):
            st = f.stat()
            h.update(f"{kind}/{f.name}:{st.st_size}:{st.st_mtime_ns}".encode())
    if p.sources_file.exists():
        h.update(p.sources_file.read_bytes())
    return h.hexdigest()


def read_inputs(p: Paths, sources: dict) -> tuple[dict[str, pd.DataFrame], dict[str, Any]]:
    """Every required raw kind, and the optional ones that have files: tables and their record.

    Errors name their file: the readers raise InputError, and :func:`_read_kind` gives anything a
    library raises while reading a file that file's name.
    """
    tables: dict[str, pd.DataFrame] = {}
    kinds_meta: dict[str, Any] = {}
    for kind in RAW_KINDS:
        tables[kind], kinds_meta[kind] = _read_kind(p, kind, sources)
    for kind in OPTIONAL_KINDS:
        if raw_files(p, kind):
            tables[kind], kinds_meta[kind] = _read_kind(p, kind, sources)
    if "klassning" in tables and kinds_meta["klassning"]["demo"]:
        tables["klassning"]["scheme"] = "exempelindelning efter storlek och avstånd, EXEMPELDATA"
    return tables, kinds_meta


def validated_tables(
    tables: dict[str, pd.DataFrame], kinds_meta: dict[str, Any]
) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """Population, grid, service points and grants with kommun and län, validated against their
    schemas, and the service coverage judged on each file's own points."""
    bef = tables["befolkning"]
    bef["lan_kod"] = bef["kommun_kod"].str[:2]
    _check_complete(bef, ", ".join(e["file"] for e in kinds_meta["befolkning"]["files"]))
    rutor = _attach_kommun(tables["rutor"], "rutor", fill_given=False)
    service = _attach_kommun(tables["service"], "service")
    # Coverage is judged on each file's own points, also those another file holds too.
    by_file = (
        kinds_meta["service"]
        .pop("_points_by_file")
        .merge(service[[*_POINT_KEY, "kommun_kod"]], on=_POINT_KEY, how="left", validate="m:1")
    )
    coverage = _validate(
        "coverage",
        service_coverage(
            by_file, {e["file"]: e for e in kinds_meta["service"]["files"]}, cells=rutor
        ),
    )
    stod = tables["stod"]
    stod["lan_kod"] = stod["kommun_kod"].str[:2]
    frames = {"befolkning": bef, "rutor": rutor, "service": service, "stod": stod}
    validated = {
        name: _validate(name, df[list(SCHEMAS[name].columns)]) for name, df in frames.items()
    }
    return validated, coverage
