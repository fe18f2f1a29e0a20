"""OpenStreetMap readers: service points from ``.osm.pbf`` and road lines for ``vagnat``.

Two sources are read:

- an ``.osm.pbf`` extract (Geofabrik's ``sweden-latest.osm.pbf`` or anything cut from it with
  ``osmium extract``), parsed with pyosmium;
- an Overpass API JSON answer. Road ways need their geometry: ``out geom;`` (each way carries
  ``geometry: [{lat, lon}, …]``) or ``out body; >; out skel qt;`` (node ids resolved from the
  node elements of the same answer).

Ways whose nodes are missing from the file are an error by default: an extract made with
``osmium extract --strategy simple`` (or an Overpass ``out geom(bbox)`` clipped to a box) cuts
roads at its edge, and a road network with silently dropped roads gives wrong travel times. Cut
the extract with the ``complete_ways`` strategy (osmium's and Geofabrik's default), or pass
``missing_nodes="skip"`` to drop such ways with a warning that counts them.
"""

from __future__ import annotations

import math
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from lansanalys.config import CRS_METRIC
from lansanalys.errors import InputError
from lansanalys.services import OSM_SERVICE_KEYS, osm_type
from lansanalys.sources.osm_points import osm_frame, overpass_elements

#: WGS 84 box around Sweden (same as the service readers): lon 10–24.5, lat 55–69.5.
WGS84_BOUNDS = (10.0, 55.0, 24.5, 69.5)

#: OSM ``highway`` classes a car can use. Footways, cycleways, paths, steps, bridleways,
#: pedestrian streets, ``construction``/``proposed`` and everything else are skipped.
DRIVABLE_HIGHWAYS = frozenset(
    {
        "motorway",
        "trunk",
        "primary",
        "secondary",
        "tertiary",
        "unclassified",
        "residential",
        "living_street",
        "service",
        "track",
        "motorway_link",
        "trunk_link",
        "primary_link",
        "secondary_link",
        "tertiary_link",
    }
)

#: Swedish default speeds (km/h) per ``highway`` class where a way has no usable ``maxspeed``.
#: Main classes follow the usual posted limits (motorway 110, landsväg 70–90, tätort 40–50,
#: gångfartsområde/service/forest tracks 20). Links are their parent class minus 10 km/h, except
#: motorway ramps, which are taken at 80 (curves and merging; a ramp is a few hundred metres, so
#: the choice barely moves access times).
DEFAULT_SPEED_KMH: dict[str, float] = {
    "motorway": 110.0,
    "trunk": 90.0,
    "primary": 80.0,
    "secondary": 70.0,
    "tertiary": 60.0,
    "unclassified": 50.0,
    "residential": 40.0,
    "living_street": 20.0,
    "service": 20.0,
    "track": 20.0,
    "motorway_link": 80.0,
    "trunk_link": 80.0,
    "primary_link": 70.0,
    "secondary_link": 60.0,
    "tertiary_link": 50.0,
}

#: Implicit Swedish limits in ``maxspeed`` (``maxspeed=SE:urban`` etc.), km/h.
MAXSPEED_ZONES: dict[str, float] = {"se:urban": 50.0, "se:rural": 70.0, "se:motorway": 110.0}
#: ``maxspeed`` values that say "no fixed number" (NaN without a warning).
MAXSPEED_NONE = frozenset({"none", "signals", "variable", "walk", "unposted"})
#: A parsed ``maxspeed`` outside this range (km/h) is treated as not a speed (NaN, warned).
MAXSPEED_RANGE = (5.0, 130.0)
KMH_PER_MPH = 1.609344

_SPEED = re.compile(r"^(\d+(?:[.,]\d+)?)\s*(mph|km/h|kmh|kph)?$")

ROAD_COLUMNS = ["osm_id", "highway", "maxspeed_kmh", "oneway"]


def default_speed_kmh(highway: str) -> float:
    """Default posted speed (km/h) of an OSM ``highway`` class, see :data:`DEFAULT_SPEED_KMH`.

    Raises ``ValueError`` for a class that is not drivable (``footway``, ``construction`` …).
    """
    try:
        return DEFAULT_SPEED_KMH[str(highway)]
    except KeyError:
        raise ValueError(
            f"no default speed for highway={highway!r}; drivable classes are "
            + ", ".join(sorted(DEFAULT_SPEED_KMH))
        ) from None


def parse_maxspeed(value: object) -> float:
    """``maxspeed`` tag → km/h: ``"50"`` → 50, ``"50 mph"`` → 80.47, ``"SE:rural"`` → 70.

    ``"none"``, ``"signals"``, several values (``"50;70"``) and anything else that is not one
    speed give NaN (the caller falls back to :func:`default_speed_kmh`).
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return math.nan
    text = str(value).strip().lower()
    if text in MAXSPEED_ZONES:
        return MAXSPEED_ZONES[text]
    m = _SPEED.match(text)
    if not m:
        return math.nan
    speed = float(m.group(1).replace(",", "."))
    if m.group(2) == "mph":
        speed *= KMH_PER_MPH
    lo, hi = MAXSPEED_RANGE
    return speed if lo <= speed <= hi else math.nan


def oneway_direction(tags: dict) -> int:
    """1 = one-way along the way, -1 = one-way against it, 0 = two-way.

    ``oneway=yes/true/1`` → 1, ``-1/reverse`` → -1, ``no/false/0`` and ``reversible`` /
    ``alternating`` (direction changes over the day) → 0. Without a ``oneway`` tag, roundabouts
    (``junction=roundabout/circular``) and ``highway=motorway`` are one-way, as OSM implies.
    """
    value = str(tags.get("oneway", "")).strip().lower()
    if value in {"yes", "true", "1"}:
        return 1
    if value in {"-1", "reverse"}:
        return -1
    if value in {"no", "false", "0", "reversible", "alternating"}:
        return 0
    implied = (
        tags.get("junction") in {"roundabout", "circular"} or tags.get("highway") == "motorway"
    )
    return 1 if implied else 0


def is_drivable(tags: dict) -> bool:
    """A way a car may use: a drivable ``highway`` class, not an area, and not closed to traffic.

    Access follows OSM's hierarchy: the most specific of ``motorcar``, ``motor_vehicle``,
    ``vehicle``, ``access`` that is present decides; ``no`` and ``private`` exclude the way.
    """
    if tags.get("highway") not in DRIVABLE_HIGHWAYS or tags.get("area") == "yes":
        return False
    for key in ("motorcar", "motor_vehicle", "vehicle", "access"):
        if key in tags:
            return str(tags[key]).strip().lower() not in {"no", "private"}
    return True


def _is_pbf(path: Path) -> bool:
    return path.suffix.lower() == ".pbf"


def _processor(path: Path, keys: tuple[str, ...]):
    import osmium

    if not path.is_file():
        raise InputError(path, "file not found", expected="an OpenStreetMap .osm.pbf extract")
    return (
        osmium.FileProcessor(osmium.io.File(str(path), "pbf"))
        .with_locations()
        .with_filter(osmium.filter.KeyFilter(*keys))
    )


def _pbf_error(path: Path, exc: Exception) -> InputError:
    return InputError(
        path, f"not a readable OpenStreetMap PBF file ({exc})", expected="an .osm.pbf extract"
    )


def _missing_node(path: Path, kind: str, osm_id: int, ref: int, row: int | None = None):
    return InputError(
        path,
        f"{kind} {osm_id} refers to node {ref}, which is not in the file (an extract that cuts "
        "ways at its edge?)",
        row=row,
        expected="every node of every way: cut the extract with osmium's complete_ways strategy "
        "(Geofabrik's extracts are), or read with missing_nodes='skip'",
    )


def _check_wgs84(path: Path, lon: np.ndarray, lat: np.ndarray, where) -> None:
    """Raise at the first coordinate outside Sweden's WGS 84 box; ``where(i)`` names it."""
    x0, y0, x1, y1 = WGS84_BOUNDS
    bad = ~((lon >= x0) & (lon <= x1) & (lat >= y0) & (lat <= y1))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        what, row = where(i)
        raise InputError(
            path,
            f"{what}: coordinate lat {lat[i]}, lon {lon[i]} is not in Sweden",
            row=row,
            expected=f"WGS 84 degrees, lat {y0:g}–{y1:g}, lon {x0:g}–{x1:g}",
        )


# --------------------------------------------------------------------------------------------
# service points


def read_service_pbf(path: Path) -> pd.DataFrame:
    """Service points from an ``.osm.pbf``: tagged nodes, and ways at the centre of their extent.

    A way's position is the centre of its bounding box, as Overpass' ``out center`` gives it, so
    a PBF and an Overpass answer for the same objects give the same points. Multipolygon
    relations are not placed (a warning counts those with a service tag). Same columns as the
    Overpass reader: ``point_id`` (``osm-n<id>``/``osm-w<id>``), ``service_type, label, name,
    x, y, kommun_kod``.
    """
    path = Path(path)
    ids, tags, lon, lat = [], [], [], []
    relations = 0
    try:
        for obj in _processor(path, OSM_SERVICE_KEYS):
            t = dict(obj.tags)
            if not any(osm_type(k, t.get(k)) for k in OSM_SERVICE_KEYS):
                continue
            if obj.is_node():
                ids.append(f"n{obj.id}")
                lon.append(obj.location.lon)
                lat.append(obj.location.lat)
            elif obj.is_way():
                xs, ys = [], []
                for n in obj.nodes:
                    if not n.location.valid():
                        raise _missing_node(path, "way", obj.id, n.ref)
                    xs.append(n.location.lon)
                    ys.append(n.location.lat)
                if not xs:
                    continue  # a way without nodes has no position
                ids.append(f"w{obj.id}")
                lon.append((min(xs) + max(xs)) / 2)
                lat.append((min(ys) + max(ys)) / 2)
            else:
                relations += 1
                continue
            tags.append(t)
    except RuntimeError as exc:
        raise _pbf_error(path, exc) from None
    if relations:
        warnings.warn(
            f"{path}: {relations} relation(s) with a service tag skipped (only nodes and ways "
            "are placed)",
            stacklevel=2,
        )
    return osm_frame(path, ids, tags, lon, lat, None)


# --------------------------------------------------------------------------------------------
# road lines


def _empty_roads():
    import geopandas as gpd

    return gpd.GeoDataFrame(
        {
            "osm_id": pd.Series([], dtype=np.int64),
            "highway": pd.Series([], dtype=str),
            "maxspeed_kmh": pd.Series([], dtype=float),
            "oneway": pd.Series([], dtype=bool),
        },
        geometry=[],
        crs=CRS_METRIC,
    )


def _roads_from_pbf(path: Path, missing_nodes: str):
    ways, coords, skipped = [], [], []
    try:
        for obj in _processor(path, ("highway",)):
            if not obj.is_way():
                continue
            t = dict(obj.tags)
            if not is_drivable(t):
                continue
            pts = []
            for n in obj.nodes:
                if not n.location.valid():
                    if missing_nodes == "error":
                        raise _missing_node(path, "way", obj.id, n.ref)
                    skipped.append(obj.id)
                    pts = None
                    break
                pts.append((n.location.lon, n.location.lat))
            if pts is None:
                continue
            ways.append((obj.id, t, None))
            coords.append(pts)
    except RuntimeError as exc:
        raise _pbf_error(path, exc) from None
    return ways, coords, skipped


def _overpass_geometry(el: dict, nodes: dict, path: Path, row: int, missing_nodes: str):
    """(lon, lat) list of one way element, or None when a node is missing and skipped."""
    if "geometry" in el:
        pts = []
        refs = el.get("nodes") or [None] * len(el["geometry"])
        for ref, g in zip(refs, el["geometry"], strict=False):
            if not g or "lat" not in g or "lon" not in g:
                if missing_nodes == "error":
                    raise _missing_node(path, "way", el["id"], ref if ref else "(clipped)", row)
                return None
            pts.append((float(g["lon"]), float(g["lat"])))
        return pts
    if "nodes" in el:
        pts = []
        for ref in el["nodes"]:
            if ref not in nodes:
                if missing_nodes == "error":
                    raise _missing_node(path, "way", el["id"], ref, row)
                return None
            pts.append(nodes[ref])
        return pts
    raise InputError(
        path,
        f"way {el.get('id')} has neither 'geometry' nor 'nodes'",
        row=row,
        expected="an Overpass answer from 'out geom;' (or 'out body; >; out skel qt;')",
    )


def _roads_from_overpass(path: Path, missing_nodes: str):
    elements = overpass_elements(path)
    nodes = {
        el["id"]: (float(el["lon"]), float(el["lat"]))
        for el in elements
        if isinstance(el, dict) and el.get("type") == "node" and "lat" in el and "lon" in el
    }
    ways, coords, skipped = [], [], []
    for i, el in enumerate(elements):
        if not isinstance(el, dict) or el.get("type") != "way":
            continue
        t = el.get("tags") or {}
        if not is_drivable(t):
            continue
        if "id" not in el:
            raise InputError(path, "a way element has no 'id'", row=i + 1, expected="an OSM id")
        pts = _overpass_geometry(el, nodes, path, i + 1, missing_nodes)
        if pts is None:
            skipped.append(el["id"])
            continue
        ways.append((int(el["id"]), t, i + 1))
        coords.append(pts)
    return ways, coords, skipped


def read_osm_roads(path: Path, missing_nodes: str = "error"):
    """Drivable OSM roads as lines: one LineString per way, in SWEREF 99 TM (EPSG:3006).

    Parameters
    ----------
    path : Path
        An ``.osm.pbf`` extract or an Overpass JSON answer (``out geom;``).
    missing_nodes : {"error", "skip"}
        A way whose nodes are not all in the file: raise :class:`InputError` naming the way and
        the node (default), or skip the way with one warning that counts the skipped ways.

    Returns
    -------
    GeoDataFrame
        ``osm_id`` (int), ``highway`` (see :data:`DRIVABLE_HIGHWAYS`), ``maxspeed_kmh`` (float,
        NaN where the way has no usable ``maxspeed`` — use :func:`default_speed_kmh`),
        ``oneway`` (bool; ``oneway=-1`` ways are reversed so the line runs in the allowed
        direction) and ``geometry``. For Overpass answers, errors give the element's position
        in ``elements`` (1-based) as the row.
    """
    import geopandas as gpd
    import shapely
    from pyproj import Transformer

    if missing_nodes not in {"error", "skip"}:
        raise ValueError(f"missing_nodes must be 'error' or 'skip', not {missing_nodes!r}")
    path = Path(path)
    if _is_pbf(path):
        ways, coords, skipped = _roads_from_pbf(path, missing_nodes)
    elif path.suffix.lower() == ".json":
        ways, coords, skipped = _roads_from_overpass(path, missing_nodes)
    else:
        raise InputError(
            path,
            f"unknown OpenStreetMap format {path.suffix!r}",
            expected=".osm.pbf or an Overpass .json answer",
        )
    if skipped:
        warnings.warn(
            f"{path}: {len(skipped)} way(s) skipped because some of their nodes are not in the "
            f"file (first: way {skipped[0]})",
            stacklevel=2,
        )
    # A way needs two distinct points to be a line; OSM has a few broken one-node ways.
    short = [k for k, pts in enumerate(coords) if len(set(pts)) < 2]
    if short:
        warnings.warn(
            f"{path}: {len(short)} way(s) with fewer than two distinct points skipped "
            f"(first: way {ways[short[0]][0]})",
            stacklevel=2,
        )
        drop = set(short)
        ways = [w for k, w in enumerate(ways) if k not in drop]
        coords = [c for k, c in enumerate(coords) if k not in drop]
    if not ways:
        return _empty_roads()

    lengths = np.fromiter((len(c) for c in coords), dtype=np.int64, count=len(coords))
    way_of = np.repeat(np.arange(len(coords)), lengths)
    flat = np.array([p for c in coords for p in c], dtype=float)
    lon, lat = flat[:, 0], flat[:, 1]

    def where(i: int):
        osm_id, _, row = ways[int(way_of[i])]
        return f"way {osm_id}", row

    _check_wgs84(path, lon, lat, where)
    tr = Transformer.from_crs("EPSG:4326", CRS_METRIC, always_xy=True)
    x, y = tr.transform(lon, lat)

    direction = np.array([oneway_direction(t) for _, t, _ in ways])
    # Reverse the vertex order of oneway=-1 ways so every one-way line runs in its direction.
    order = np.arange(len(flat))
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    for k in np.flatnonzero(direction == -1):
        s, n = starts[k], lengths[k]
        order[s : s + n] = order[s : s + n][::-1]
    xy = np.column_stack([x, y])[order]
    lines = shapely.linestrings(xy, indices=way_of)

    raw_speed = [t.get("maxspeed") for _, t, _ in ways]
    speed = np.array([parse_maxspeed(v) for v in raw_speed], dtype=float)
    bad = [
        v
        for v, s in zip(raw_speed, speed, strict=True)
        if v is not None and math.isnan(s) and str(v).strip().lower() not in MAXSPEED_NONE
    ]
    if bad:
        examples = ", ".join(repr(v) for v in list(dict.fromkeys(bad))[:5])
        warnings.warn(
            f"{path}: {len(bad)} way(s) have a maxspeed that is not one speed in "
            f"{MAXSPEED_RANGE[0]:g}–{MAXSPEED_RANGE[1]:g} km/h ({examples}); their class "
            "default applies",
            stacklevel=2,
        )
    return gpd.GeoDataFrame(
        {
            "osm_id": np.array([w[0] for w in ways], dtype=np.int64),
            "highway": [w[1]["highway"] for w in ways],
            "maxspeed_kmh": speed,
            "oneway": direction != 0,
        },
        geometry=lines,
        crs=CRS_METRIC,
    )
