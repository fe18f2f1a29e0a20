"""Service points: Pipos Serviceanalys CSV export (``;``, cp1252, X/Y in SWEREF 99 TM),
OpenStreetMap (Overpass JSON, ``.osm.pbf``), or any CSV with X/Y or lat/lon.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from lansanalys.errors import InputError
from lansanalys.services import (
    OSM_VALUE_TYPES,
    pipos_type,
)
from lansanalys.sources.common import (
    check_sweref,
    file_reader,
    find_column,
    parse_count,
    parse_kommun_codes,
    raise_first,
    read_text,
    table_after_header,
)
from lansanalys.sources.osm_points import CSV_TYPE_KEY, osm_frame, read_overpass


def _read_latlon_csv(path: Path, df: pd.DataFrame, first: int) -> pd.DataFrame:
    cols = {c.lower(): c for c in df.columns}
    lat = cols.get("lat") or cols.get("latitude")
    lon = cols.get("lon") or cols.get("lng") or cols.get("longitude")
    tcol = find_column(
        df, path, r"serviceslag|typ|type|facility|amenity|shop|service_type", "service type"
    )
    idcol = find_column(df, path, r"osm_id|id|point_id", "id", required=False)
    ncol = find_column(df, path, r"namn|name", "name", required=False)
    names = df[ncol] if ncol else pd.Series([""] * len(df))
    tags = []
    for value, name in zip(df[tcol].astype(str).str.strip(), names, strict=True):
        stype = OSM_VALUE_TYPES.get(value) or pipos_type(value)
        tag = {"name": name} if name else {}
        if stype:  # an OSM value ("pharmacy") or a Swedish label ("Apotek")
            tag[CSV_TYPE_KEY] = value if value in OSM_VALUE_TYPES else stype
        tags.append(tag)
    ids = df[idcol] if idcol else pd.Series(range(1, len(df) + 1))
    out = osm_frame(path, ids, tags, df[lon], df[lat], first)
    return out


@file_reader
def read_service(path: Path) -> pd.DataFrame:
    """Read service points: Pipos export, OpenStreetMap, or any CSV with X/Y or lat/lon.

    Pipos' export is ``;``-separated cp1252 with X/Y in SWEREF 99 TM; OpenStreetMap data come as
    an ``.osm.pbf`` extract (see :func:`lansanalys.sources.osm.read_service_pbf`), an Overpass JSON answer
    or a CSV with ``lat``/``lon`` (WGS 84) and a tag column, and only objects with a service tag
    (:data:`lansanalys.services.OSM_TAG_TYPES`) are kept. Returns ``point_id, service_type, label, name, x, y,
    kommun_kod``.
    """
    path = Path(path)
    if path.suffix.lower() == ".json":
        return read_overpass(path)
    if path.suffix.lower() == ".pbf":
        from lansanalys.sources.osm import read_service_pbf

        return read_service_pbf(path)
    head = read_text(path).splitlines()[:50]
    if any(
        re.search(r"\blat(itude)?\b", ln, re.I) and re.search(r"\b(lon|lng|longitude)\b", ln, re.I)
        for ln in head
    ):
        df, header_line = table_after_header(path, r"\blat")
        return _read_latlon_csv(path, df, header_line + 1)
    df, header_line = table_after_header(path, r"(serviceslag|typ|type).*\b(x|y)\b")
    first = header_line + 1
    tcol = find_column(df, path, r"serviceslag|servicetyp|typ|type", "service type")
    xcol = find_column(df, path, r"x|x_sweref|easting", "X (SWEREF 99 TM)")
    ycol = find_column(df, path, r"y|y_sweref|northing", "Y (SWEREF 99 TM)")
    ncol = find_column(df, path, r"namn|name", "name", required=False)
    idcol = find_column(df, path, r"id|objektid|point_id", "id", required=False)
    kcol = find_column(df, path, r"kommunkod|kommun_kod", "kommun code", required=False)
    yearcol = find_column(df, path, r"year|ar|år", "year", required=False)
    stype = df[tcol].map(pipos_type)
    if stype.isna().any():
        i = int(np.flatnonzero(stype.isna().to_numpy())[0])
        raise InputError(
            path,
            f"service type {df[tcol].iloc[i]!r} not recognised",
            row=first + i,
            column=tcol,
            expected="a Pipos label such as 'Dagligvaror, fullsortiment',"
            " 'Drivmedel', 'Apotek', 'Postombud', 'Kontantuttag'",
        )
    x = parse_count(df[xcol], path, xcol, first, allow_decimal=True)
    y = parse_count(df[ycol], path, ycol, first, allow_decimal=True)
    for col, s in ((xcol, x), (ycol, y)):
        raise_first(
            s.isna(), path, first, col, "SWEREF 99 TM metres", lambda _i: "coordinate missing"
        )
    check_sweref(x, y, path, first)
    out = pd.DataFrame(
        {
            "point_id": (
                df[idcol] if idcol else pd.Series([f"{path.stem}-{i + 1}" for i in range(len(df))])
            )
            .astype(str)
            .to_numpy(),
            "service_type": stype.to_numpy(),
            "label": df[tcol].str.strip().to_numpy(),
            "name": (df[ncol] if ncol else df[tcol]).astype(str).str.strip().to_numpy(),
            "x": x.to_numpy(),
            "y": y.to_numpy(),
            "kommun_kod": (
                parse_kommun_codes(df[kcol].str.strip(), path, kcol, first).to_numpy()
                if kcol
                else None
            ),
        }
    )
    if yearcol:  # several years in one file: the build splits them (pipeline.history)
        out["year"] = parse_count(df[yearcol], path, yearcol, first).to_numpy()
        bad = out["year"].isna() | ~out["year"].between(1900, 2100)
        raise_first(bad, path, first, yearcol, "a year such as 2019", lambda _i: "not a year")
        out["year"] = out["year"].astype(int)
    key = ["point_id", "year"] if yearcol else ["point_id"]
    dup = out.duplicated(key)
    raise_first(
        dup,
        path,
        first,
        idcol,
        "a unique id per service point" + (" and year" if yearcol else ""),
        lambda i: f"duplicate id {out['point_id'].iloc[i]!r}",
    )
    return out
