"""OpenStreetMap service points and roads of a län through the Overpass API (``out center`` /
``out geom``), raw answers staged under ``data/raw/service/`` and ``data/raw/vagnat/``. The
service tag filters derive from :mod:`lansanalys.services`.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from lansanalys import geo
from lansanalys.config import Paths, paths
from lansanalys.errors import FetchError, SelectionError
from lansanalys.fetch.http import CACHE_DIR, DEFAULT_TIMEOUTS, Answer, Http, Options, _one_line
from lansanalys.fetch.staging import OSM_LICENCE, Result, _base, _note_others, _run, _Stage
from lansanalys.services import overpass_filters
from lansanalys.sources.osm import DRIVABLE_HIGHWAYS

OVERPASS_URL = "https://overpass-api.de/api/interpreter"


#: SCB län code → ISO 3166-2 code, as OpenStreetMap tags the län boundary relations.
LAN_ISO: dict[str, str] = {
    "01": "SE-AB",
    "03": "SE-C",
    "04": "SE-D",
    "05": "SE-E",
    "06": "SE-F",
    "07": "SE-G",
    "08": "SE-H",
    "09": "SE-I",
    "10": "SE-K",
    "12": "SE-M",
    "13": "SE-N",
    "14": "SE-O",
    "17": "SE-S",
    "18": "SE-T",
    "19": "SE-U",
    "20": "SE-W",
    "21": "SE-X",
    "22": "SE-Y",
    "23": "SE-Z",
    "24": "SE-AC",
    "25": "SE-BD",
}


#: OSM objects kept as service points: exactly the tags of :mod:`lansanalys.services`.
OVERPASS_SERVICE_FILTERS: tuple[str, ...] = overpass_filters()
#: Road classes fetched for the network (tracks included; the reader decides what is drivable).
OVERPASS_ROAD_TYPES: tuple[str, ...] = tuple(sorted(DRIVABLE_HIGHWAYS))


# service and vagnat: OpenStreetMap through the Overpass API


def _iso(lan: str) -> str:
    return LAN_ISO[geo.check_lan(lan)]


#: Default buffer (km) around the län for ``fetch service``: the län's border cells find their
#: nearest point across the border (Pipos searches nationally); no Swedish grid cell is further
#: than this from a grocery store.
SERVICE_BUFFER_KM = 50.0
#: Tolerance (m) to which the buffered area is simplified before it goes into the query.
_AREA_TOLERANCE_M = 1_000.0


def service_area(lan: str, buffer_km: float = SERVICE_BUFFER_KM) -> list[list[tuple[float, float]]]:
    """The län and ``buffer_km`` around it, as WGS 84 rings of ``(lat, lon)`` for Overpass.

    The buffer is taken in SWEREF 99 TM and simplified to 1 km (the area grows by at most that
    much); each part of a multipart area is one ring (exterior only).
    """
    from pyproj import Transformer
    from shapely.geometry import MultiPolygon

    if not buffer_km >= 0:
        raise SelectionError(f"the buffer must be 0 km or more (got {buffer_km!r})")
    gdf = geo.lan_geometry()
    shape = gdf.loc[gdf["lan_kod"] == geo.check_lan(lan), "geometry"].iloc[0]
    # Buffer by the tolerance more, so that simplifying never cuts into the asked-for buffer.
    area = shape.buffer(buffer_km * 1000 + _AREA_TOLERANCE_M).simplify(_AREA_TOLERANCE_M)
    parts = list(area.geoms) if isinstance(area, MultiPolygon) else [area]
    to_wgs = Transformer.from_crs("EPSG:3006", "EPSG:4326", always_xy=True)
    rings = []
    for part in parts:
        x, y = part.exterior.coords.xy
        lon, lat = to_wgs.transform(list(x), list(y))
        rings.append([(round(a, 5), round(o, 5)) for a, o in zip(lat, lon, strict=True)])
    return rings


def overpass_service_query(
    lan: str, timeout: int = 300, buffer_km: float = SERVICE_BUFFER_KM
) -> str:
    """Overpass QL for the service points of a län (nodes, ways, relations; ``out center``).

    With ``buffer_km`` > 0 the points within that distance around the län are asked for too
    (a ``poly`` filter of :func:`service_area`), inside Sweden only (the build places every
    point in a Swedish kommun); with 0, the län's own area.
    """
    head = f"[out:json][timeout:{int(timeout)}];"
    if buffer_km == 0:
        return "\n".join(
            [
                head,
                f'area["ISO3166-2"="{_iso(lan)}"]["admin_level"="4"]->.lan;',
                "(",
                *(f"  nwr{f}(area.lan);" for f in OVERPASS_SERVICE_FILTERS),
                ");",
                "out center;",
            ]
        )
    polys = [
        'poly:"' + " ".join(f"{a:.5f} {o:.5f}" for a, o in ring) + '"'
        for ring in service_area(lan, buffer_km)
    ]
    return "\n".join(
        [
            head,
            f"/* {geo.lan_name(lan)} ({_iso(lan)}) and {buffer_km:g} km around it, in Sweden */",
            'area["ISO3166-1"="SE"]["admin_level"="2"]->.se;',
            "(",
            *(f"  nwr{f}({poly})(area.se);" for poly in polys for f in OVERPASS_SERVICE_FILTERS),
            ");",
            "out center;",
        ]
    )


def overpass_roads_query(lan: str, timeout: int = 900) -> str:
    """Overpass QL for the roads of a län with their geometry (``out geom``)."""
    types = "|".join(OVERPASS_ROAD_TYPES)
    return "\n".join(
        [
            f"[out:json][timeout:{int(timeout)}][maxsize:2147483648];",
            f'area["ISO3166-2"="{_iso(lan)}"]["admin_level"="4"]->.lan;',
            f'way["highway"~"^({types})$"](area.lan);',
            "out geom;",
        ]
    )


def _overpass_doc(ans: Answer, what: str) -> dict:
    doc = ans.json()
    if not isinstance(doc, dict) or not isinstance(doc.get("elements"), list):
        raise FetchError(f"the answer from {ans.url} is not an Overpass JSON answer ({what})")
    remark = str(doc.get("remark", ""))
    if re.search(r"error|timed out|out of memory", remark, re.IGNORECASE):
        raise FetchError(
            f"the Overpass answer for {what} is incomplete: {_one_line(remark, 160)} (try a "
            "larger --timeout, or later)"
        )
    return doc


def _fetch_overpass(
    p: Paths,
    kind: str,
    lan: Iterable[str],
    build_query: Callable[[str, int], str],
    check: Callable[[Path, Answer, str], int],
    what: str,
    base_url: str | None,
    options: Options | None,
    extra: Callable[[str], dict[str, Any]] | None = None,
) -> Result:
    options = options or Options()
    url = _base("overpass", base_url, OVERPASS_URL)
    http = Http(p.raw / CACHE_DIR, options, DEFAULT_TIMEOUTS[kind])
    # The server's own limit; the client waits a little longer for the answer to arrive.
    server_timeout = max(int(http.timeout), 1)
    http.timeout = float(server_timeout + 30)
    stage = _Stage(p.raw_kind(kind))

    def body() -> Result:
        codes = [geo.check_lan(c) for c in lan]
        if not codes:
            raise SelectionError("give at least one län, e.g. --lan 08")
        answers = []
        for code in dict.fromkeys(codes):
            query = build_query(code, server_timeout)
            answers.append((code, query, http.post(url, form={"data": query})))
        for code, query, ans in answers:
            name = f"osm_{kind}_{code}.json"
            tmp = stage.path(name)
            shutil.copyfile(ans.path, tmp)
            rows = check(tmp, ans, f"{what} in {geo.lan_name(code)}")
            entry = {
                "kind": kind,
                "demo": False,
                "source": f"OpenStreetMap via Overpass API: {what} i {geo.lan_name(code)} "
                f"({LAN_ISO[code]})",
                "url": url,
                "table": "",
                "query": query,
                "year": ans.retrieved.year,
                "lan": [code],
                "retrieved": ans.retrieved.date().isoformat(),
                "licence": OSM_LICENCE,
                "fetched_by": f"lansanalys fetch {kind}",
                **(extra(code) if extra else {}),
            }
            stage.add(tmp, name, entry, rows, ans.from_cache)
        result = stage.commit(p, lambda _rel, _entry: False)
        _note_others(p, kind, result)
        return result

    return _run(http, stage, body)


def _check_service(path: Path, ans: Answer, what: str) -> int:
    from lansanalys.errors import InputError
    from lansanalys.sources.service import read_service

    _overpass_doc(ans, what)
    try:
        return len(read_service(path))
    except InputError as exc:
        problem = str(exc).split(": ", 1)[-1]
        raise FetchError(
            f"the Overpass answer for {what} is not usable: {_one_line(problem, 160)}"
        ) from None


def _check_roads(_path: Path, ans: Answer, what: str) -> int:
    doc = _overpass_doc(ans, what)
    ways = [
        el
        for el in doc["elements"]
        if isinstance(el, dict) and el.get("type") == "way" and isinstance(el.get("geometry"), list)
    ]
    if not ways:
        raise FetchError(
            f"the Overpass answer for {what} holds no road with its geometry (out geom); is the "
            "län's area in OpenStreetMap?"
        )
    return len(ways)


def fetch_service(
    p: Paths | None = None,
    *,
    lan: Iterable[str],
    buffer_km: float = SERVICE_BUFFER_KM,
    base_url: str | None = None,
    options: Options | None = None,
) -> Result:
    """Fetch OSM service points of each län into ``data/raw/service/osm_service_<lan>.json``.

    The query (:func:`overpass_service_query`) asks for grocery shops, fuel, pharmacies, ATMs,
    banks, post offices and partners, and parcel lockers inside the län and ``buffer_km`` around
    it (default 50 km, in Sweden), ways and relations at their centre, so that the län's border
    cells find their nearest point across the border. The answer is stored as Overpass sent it,
    after :func:`lansanalys.sources.service.read_service` has read it. SOURCES.yml records the län as the
    file's coverage (``lan``, never the buffer zone) and the buffer (``buffer_km``): the build
    measures access only in the län covered.
    """
    if not buffer_km >= 0:
        raise SelectionError(f"--buffer-km must be 0 or more (got {buffer_km!r})")
    return _fetch_overpass(
        p or paths(),
        "service",
        lan,
        lambda code, timeout: overpass_service_query(code, timeout, buffer_km),
        _check_service,
        "serviceställen",
        base_url,
        options,
        extra=lambda _code: {"buffer_km": float(buffer_km)},
    )


def fetch_vagnat(
    p: Paths | None = None,
    *,
    lan: Iterable[str],
    base_url: str | None = None,
    options: Options | None = None,
) -> Result:
    """Fetch OSM roads of each län into ``data/raw/vagnat/osm_vagnat_<lan>.json`` (``out geom``).

    Ways carry ``tags`` (``highway``, ``maxspeed`` …) and ``geometry`` (lat/lon per node), the
    format :func:`lansanalys.sources.osm.read_osm_roads` reads.
    """
    return _fetch_overpass(
        p or paths(),
        "vagnat",
        lan,
        overpass_roads_query,
        _check_roads,
        "vägnät",
        base_url,
        options,
    )
