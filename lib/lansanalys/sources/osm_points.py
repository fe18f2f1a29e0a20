"""OpenStreetMap objects → service points: the tag rules of :mod:`lansanalys.services`, one row
per service an object offers, WGS 84 → SWEREF 99 TM; used by the Overpass JSON, CSV and
``.osm.pbf`` readers.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from lansanalys.errors import InputError
from lansanalys.services import (
    OSM_SERVICE_KEYS,
    OSM_VALUE_TYPES,
    SERVICE_TYPES,
    osm_type,
)
from lansanalys.sources.common import read_text, wgs84_to_sweref

#: Pseudo OSM key under which a CSV's type column reaches :func:`osm_frame`: its value is an
#: OSM tag value ("pharmacy") or a service type code.
CSV_TYPE_KEY = "facility"


def _tag_type(key: str, value: object) -> str | None:
    """The service type of one tag of an OSM object (or of a CSV row's type column)."""
    if key == CSV_TYPE_KEY:
        return OSM_VALUE_TYPES.get(value) or (value if value in SERVICE_TYPES else None)  # type: ignore[arg-type]
    return osm_type(key, value)


def osm_frame(path: Path, ids, tags: list[dict], lon, lat, first) -> pd.DataFrame:
    """Service points from OSM objects (ids, tag dicts, WGS 84 lon/lat), service-tagged only.

    ``first`` is the line of the first object, an array with each object's line (row), or None
    when the file has no lines (PBF: errors then name the OSM object instead).
    """
    # One object can offer several services (a supermarket that is also a parcel point, with
    # post_office=post_partner): one row per service type, the extra ones with their own id.
    ids = list(ids)
    rows = []  # (object position, service type, label, id suffix)
    for pos, t in enumerate(tags):
        seen = []
        for key in (*OSM_SERVICE_KEYS, CSV_TYPE_KEY):
            stype_k = _tag_type(key, t.get(key))
            if stype_k and stype_k not in seen:
                seen.append(stype_k)
                rows.append((pos, stype_k, f"{key}={t[key]}", "" if len(seen) == 1 else stype_k))
    if rows:
        pos_of = np.array([r[0] for r in rows])
        ids = [f"{ids[r[0]]}-{r[3]}" if r[3] else ids[r[0]] for r in rows]
        tags = [tags[r[0]] for r in rows]
        lon = pd.Series(list(lon)).iloc[pos_of].to_list()
        lat = pd.Series(list(lat)).iloc[pos_of].to_list()
        if isinstance(first, np.ndarray):
            first = first[pos_of]
        elif first is not None:
            first = first + pos_of
    stype = [r[1] for r in rows]
    label = [r[2] for r in rows]
    keep = np.ones(len(rows), dtype=bool)
    if not rows:
        raise InputError(
            path,
            "no OpenStreetMap object with a service tag",
            expected="shop=supermarket/convenience, amenity=fuel/pharmacy/atm/…",
        )
    if first is None or isinstance(first, np.ndarray):
        lines = first
    else:
        lines = np.arange(len(tags)) + first
    kept_ids = np.asarray(ids, dtype=object)[keep]
    x, y = wgs84_to_sweref(
        pd.Series(list(lon))[keep],
        pd.Series(list(lat))[keep],
        path,
        None if lines is None else lines[keep],
        names=None if lines is not None else [f"OSM object {i}" for i in kept_ids],
    )
    names = [t.get("name") or lab for t, lab, k in zip(tags, label, keep, strict=True) if k]
    return pd.DataFrame(
        {
            "point_id": [f"osm-{i}" for i in kept_ids],
            "service_type": np.asarray(stype, dtype=object)[keep],
            "label": np.asarray(label, dtype=object)[keep],
            "name": names,
            "x": x,
            "y": y,
            "kommun_kod": None,
        }
    )


def overpass_elements(path: Path) -> list:
    """The ``elements`` of an Overpass API JSON answer; an answer cut short by the server (its
    ``remark`` reports a runtime error or timeout) is refused rather than read incomplete."""
    import json

    try:
        doc = json.loads(read_text(path))
    except json.JSONDecodeError as exc:
        raise InputError(path, f"not valid JSON: {exc}") from None
    elements = doc.get("elements") if isinstance(doc, dict) else None
    if not isinstance(elements, list):
        raise InputError(path, "no 'elements' list", expected="an Overpass API JSON answer")
    remark = str(doc.get("remark", ""))
    if re.search(r"error|timed out|out of memory", remark, re.IGNORECASE):
        raise InputError(
            path,
            f"the Overpass answer is incomplete: {remark.strip()}",
            expected="a complete answer (raise [timeout:…]/[maxsize:…] or query a smaller area)",
        )
    return elements


def read_overpass(path: Path) -> pd.DataFrame:
    """Overpass answer (``out center;``): nodes at their position, ways/relations at ``center``.

    Errors give the element's position in ``elements`` (1-based) as the row.
    """
    elements = overpass_elements(path)
    ids, tags, lon, lat, rows = [], [], [], [], []
    for n, el in enumerate(elements, start=1):
        if not isinstance(el, dict):
            continue
        pos = el if "lat" in el else el.get("center", {})
        if "lat" not in pos:
            continue  # ways without 'out center' carry no position
        ids.append(f"{el.get('type', 'node')[0]}{el['id']}")
        tags.append(el.get("tags", {}))
        lon.append(pos["lon"])
        lat.append(pos["lat"])
        rows.append(n)
    return osm_frame(path, ids, tags, lon, lat, np.array(rows, dtype=int))
