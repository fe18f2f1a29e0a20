"""Road network (``vagnat``): road lines from NVDB/Pipos GeoPackages or OpenStreetMap → a graph.

Every line is cut into its straight segments; segment ends that meet within a metre become one
node. The result is stored in ``data/processed`` as two tables, ``vagnat_noder`` (``x, y`` in SWEREF
99 TM metres; the row is the node index) and ``vagnat_lankar`` (``u, v, length_m, speed_kmh``),
ready for :class:`lansanalys.network.RoadNetwork`.

Speeds are posted limits: a speed column when the file has one (NVDB's *Hastighetsgräns*, OSM's
``maxspeed``), else a default per road class (NVDB's *funktionell vägklass* 0–9 or OSM's
``highway``). Car minutes are therefore "at the speed limit", as in Tillväxtverket's Pipos. Roads
are treated as two-way; one-way streets change access times very little at this scale.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import numpy as np
import pandas as pd

from .config import CRS_METRIC
from .ingest import InputError, check_sweref, file_reader
from .network import RoadNetwork

#: Column names (normalised: lower case, no accents, ``_`` for spaces) read as a speed in km/h.
SPEED_COLUMNS = (
    "speed_kmh",
    "hastighetsgrans",
    "hogsta_tillatna_hastighet",
    "hastighet",
    "hthast",
    "maxspeed_kmh",
    "maxspeed",
    "kmh",
)
#: Column names read as NVDB's functional road class (0 = most important … 9).
CLASS_COLUMNS = ("funktionell_vagklass", "funktionellvagklass", "fv_klass", "klass", "vagklass")
#: Default posted speed per NVDB functional road class (km/h).
FUNCTIONAL_CLASS_SPEED = {0: 110, 1: 90, 2: 80, 3: 70, 4: 70, 5: 60, 6: 50, 7: 40, 8: 30, 9: 20}
#: Plausible posted speeds (km/h); anything else is an error naming the row.
SPEED_RANGE = (5.0, 130.0)
#: Segment ends closer than this (metres) are the same node.
SNAP_M = 1.0

SEGMENT_COLUMNS = ["x0", "y0", "x1", "y1", "speed_kmh"]


def _norm(name: str) -> str:
    s = unicodedata.normalize("NFKD", str(name)).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "_", s).strip("_")


def _segments(geoms, speed: np.ndarray) -> pd.DataFrame:
    """Consecutive vertex pairs of (multi)line geometries, each with its line's speed."""
    import shapely

    parts, part_of = shapely.get_parts(np.asarray(geoms), return_index=True)
    coords, idx = shapely.get_coordinates(parts, return_index=True)
    same = idx[1:] == idx[:-1]
    a, b = coords[:-1][same], coords[1:][same]
    seg = pd.DataFrame(
        {
            "x0": a[:, 0],
            "y0": a[:, 1],
            "x1": b[:, 0],
            "y1": b[:, 1],
            "speed_kmh": speed[part_of[idx[:-1][same]]],
        }
    )
    return seg[(seg["x0"] != seg["x1"]) | (seg["y0"] != seg["y1"])].reset_index(drop=True)


def _speed_from_columns(gdf, path: Path) -> np.ndarray:
    cols = {_norm(c): c for c in gdf.columns if c != "geometry"}
    speed = pd.Series(np.nan, index=gdf.index)
    used = None
    for cand in SPEED_COLUMNS:
        if cand in cols:
            used = cols[cand]
            raw = gdf[used].astype("string").str.extract(r"^\s*(\d+(?:[.,]\d+)?)")[0]
            speed = pd.to_numeric(raw.str.replace(",", "."), errors="coerce")
            break
    klass = next((cols[c] for c in CLASS_COLUMNS if c in cols), None)
    if klass is not None:
        fallback = pd.to_numeric(gdf[klass], errors="coerce").map(FUNCTIONAL_CLASS_SPEED)
        speed = speed.fillna(fallback)
    if used is None and klass is None:
        raise InputError(
            path,
            "road lines have no speed and no road class column",
            expected="a speed column (" + ", ".join(SPEED_COLUMNS[:4]) + ") in km/h or "
            "NVDB's funktionell_vagklass 0–9",
        )
    lo, hi = SPEED_RANGE
    bad = speed.isna() | (speed < lo) | (speed > hi)
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        col = used or klass
        raise InputError(
            path,
            f"road {i + 1} has no usable speed ({gdf[col].iloc[i]!r})",
            row=i + 1,
            column=col,
            expected=f"a posted speed {lo:g}–{hi:g} km/h or a functional class 0–9",
        )
    return speed.to_numpy(dtype=float)


def _to_metric(gdf, path: Path):
    if gdf.crs is None or gdf.crs.is_projected:
        b = gdf.total_bounds
        corners = pd.Series([b[0], b[2]]), pd.Series([b[1], b[3]])
        check_sweref(*corners, path, 1)
        return gdf if gdf.crs is None else gdf.to_crs(CRS_METRIC)
    return gdf.to_crs(CRS_METRIC)


@file_reader
def read_vagnat(path: Path) -> pd.DataFrame:
    """Read road lines and return their straight segments with a posted speed.

    Parameters
    ----------
    path : Path
        A GeoPackage (NVDB, Pipos' corrected network, or any line layer with a speed or a
        functional road class column), an OpenStreetMap ``.osm.pbf`` or an Overpass JSON answer
        (``out geom;``).

    Returns
    -------
    DataFrame
        ``x0, y0, x1, y1`` (SWEREF 99 TM metres) and ``speed_kmh`` per segment.
    """
    path = Path(path)
    suffix = "".join(path.suffixes[-2:]).lower() if path.suffix.lower() == ".pbf" else path.suffix
    if suffix.lower() in {".osm.pbf", ".pbf", ".json"}:
        from .osm import default_speed_kmh, read_osm_roads

        gdf = read_osm_roads(path)
        if gdf.empty:
            raise InputError(path, "the file holds no drivable roads", expected="OSM highway ways")
        speed = gdf["maxspeed_kmh"].astype(float)
        speed = speed.fillna(gdf["highway"].map(default_speed_kmh)).to_numpy(dtype=float)
        return _segments(gdf.geometry.to_numpy(), speed)
    if suffix.lower() not in {".gpkg", ".geojson", ".shp"}:
        raise InputError(
            path, f"unknown road network format {suffix!r}", expected=".gpkg, .osm.pbf or .json"
        )
    import pyogrio

    layers = [name for name, gtype in pyogrio.list_layers(path) if gtype and "Line" in gtype]
    if not layers:
        raise InputError(path, "no line layer found", expected="a layer of road LineStrings")
    gdf = pyogrio.read_dataframe(path, layer=layers[0])
    if gdf.empty:
        raise InputError(path, f"layer {layers[0]!r} is empty", expected="road lines")
    gdf = gdf[gdf.geometry.notna() & ~gdf.geometry.is_empty].reset_index(drop=True)
    gdf = _to_metric(gdf, path)
    speed = _speed_from_columns(gdf, path)
    return _segments(gdf.geometry.to_numpy(), speed)


def graph_from_segments(seg: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Nodes and edges from segments: ends within :data:`SNAP_M` metres become one node.

    Returns
    -------
    nodes : DataFrame
        ``x, y`` (metres); the row position is the node index.
    edges : DataFrame
        ``u, v, length_m, speed_kmh``; parallel duplicates keep the fastest.
    """
    ends = np.concatenate(
        [seg[["x0", "y0"]].to_numpy(dtype=float), seg[["x1", "y1"]].to_numpy(dtype=float)]
    )
    key = np.round(ends / SNAP_M).astype(np.int64)
    uniq, inv = np.unique(key, axis=0, return_inverse=True)
    inv = inv.ravel()
    n = len(seg)
    nodes = pd.DataFrame({"x": uniq[:, 0] * SNAP_M, "y": uniq[:, 1] * SNAP_M})
    u, v = inv[:n], inv[n:]
    length = np.hypot(seg["x1"] - seg["x0"], seg["y1"] - seg["y0"]).to_numpy()
    edges = pd.DataFrame(
        {
            "u": np.minimum(u, v).astype(np.int64),
            "v": np.maximum(u, v).astype(np.int64),
            "length_m": length,
            "speed_kmh": seg["speed_kmh"].to_numpy(dtype=float),
        }
    )
    edges = edges[(edges["u"] != edges["v"]) & (edges["length_m"] > 0)]
    edges["_min"] = edges["length_m"] / edges["speed_kmh"]
    edges = edges.sort_values(["u", "v", "_min"]).drop_duplicates(["u", "v"])
    return nodes, edges.drop(columns="_min").reset_index(drop=True)


def load_network(nodes: pd.DataFrame, edges: pd.DataFrame) -> RoadNetwork:
    """A :class:`RoadNetwork` from the processed ``vagnat_noder`` and ``vagnat_lankar`` tables."""
    return RoadNetwork(nodes, edges)
