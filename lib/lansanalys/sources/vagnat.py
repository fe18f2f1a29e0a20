"""Road network (``vagnat``): road lines from NVDB/Pipos GeoPackages or OpenStreetMap → a graph.

Every line is cut into its straight segments; segment ends that meet within a metre become one
node (joined by distance, so ends 2 cm apart on either side of a whole metre are joined too; see
:func:`graph_from_segments`). The result is stored in ``data/processed`` as two tables, ``vagnat_noder`` (``x, y`` in SWEREF
99 TM metres; the row is the node index) and ``vagnat_lankar`` (``u, v, length_m, speed_kmh``),
ready for :class:`lansanalys.analysis.network.RoadNetwork`.

Speeds are posted limits: a speed column when the file has one (NVDB's *Hastighetsgräns*, OSM's
``maxspeed``), else a default per road class (NVDB's *funktionell vägklass* 0–9 or OSM's
``highway``). Car minutes are therefore "at the speed limit", as in Tillväxtverket's Pipos. Roads
are treated as two-way; one-way streets change access times very little at this scale.

Pipos' corrected NVDB GeoPackage marks each link with ``networkGrp`` (0 = the connected main
network, other numbers = pieces of road not joined to it) and ``RemoveCode`` (9000–9999 = a link
Pipos removed, e.g. a ferry). They are read as Pipos reads them: removed links and links outside
network group 0 are dropped, so no cell attaches to a removed or disconnected piece of road.
"""

from __future__ import annotations

import logging
import re
import unicodedata
import zlib
from pathlib import Path

import numpy as np
import pandas as pd

from lansanalys.config import CRS_METRIC
from lansanalys.errors import InputError
from lansanalys.sources.common import SWEREF_BOUNDS, check_sweref, file_reader

log = logging.getLogger(__name__)

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
#: Column names (normalised) of Pipos' network group: 0 is the connected main network.
NETWORK_GROUP_COLUMNS = ("networkgrp", "network_grp", "networkgroup", "network_group")
#: Column names (normalised) of Pipos' removal code; :data:`REMOVED_CODES` means removed.
REMOVE_CODE_COLUMNS = ("removecode", "remove_code")
#: Pipos' removal codes for links taken out of the network (the 9000 series).
REMOVED_CODES = (9000, 9999)
#: Line ends at most this far (metres) from another line's vertex are the same node.
SNAP_M = 1.0

#: Segments: ends in SWEREF 99 TM metres, posted speed, the line they belong to (an id unique
#: across files) and whether each end is the first or last vertex of its line (a line's own
#: vertices are never joined to each other by distance).
SEGMENT_COLUMNS = ["x0", "y0", "x1", "y1", "speed_kmh", "line", "line_start", "line_end"]


def _norm(name: str) -> str:
    s = unicodedata.normalize("NFKD", str(name)).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "_", s).strip("_")


def _segments(geoms, speed: np.ndarray, file_key: str = "") -> pd.DataFrame:
    """Consecutive vertex pairs of (multi)line geometries, each with its line's speed, its
    line (the part's position, offset by a hash of ``file_key`` so that lines of two files
    differ) and whether its ends are the line's first and last vertex (:data:`SEGMENT_COLUMNS`).
    """
    import shapely

    parts, part_of = shapely.get_parts(np.asarray(geoms), return_index=True)
    coords, idx = shapely.get_coordinates(parts, return_index=True)
    same = idx[1:] == idx[:-1]
    a, b = coords[:-1][same], coords[1:][same]
    # A vertex starts its part when the previous one belongs to another part, and ends it
    # when the next one does.
    first = np.r_[True, idx[1:] != idx[:-1]]
    last = np.r_[idx[1:] != idx[:-1], True]
    seg = pd.DataFrame(
        {
            "x0": a[:, 0],
            "y0": a[:, 1],
            "x1": b[:, 0],
            "y1": b[:, 1],
            "speed_kmh": speed[part_of[idx[:-1][same]]],
            "line": ((zlib.crc32(file_key.encode()) & 0x7FFF_FFFF) << 32)
            + idx[:-1][same].astype(np.int64),
            "line_start": first[:-1][same],
            "line_end": last[1:][same],
        }
    )
    return seg[(seg["x0"] != seg["x1"]) | (seg["y0"] != seg["y1"])].reset_index(drop=True)


def _refuse_first_bad(
    path, gdf, bad: pd.Series, values: pd.Series, what: str, column: str, expected: str
) -> None:
    """Raise the error for the first road flagged in ``bad`` (rows count features from 1)."""
    i = int(np.flatnonzero(bad.to_numpy())[0])
    row = int(gdf.index[i]) + 1
    raise InputError(
        path,
        f"road {row} has no usable {what} ({values.iloc[i]!r})",
        row=row,
        column=column,
        expected=expected,
    )


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
        col = used or klass
        _refuse_first_bad(
            path,
            gdf,
            bad,
            gdf[col],
            "speed",
            col,
            f"a posted speed {lo:g}–{hi:g} km/h or a functional class 0–9",
        )
    return speed.to_numpy(dtype=float)


def _check_bounds(gdf, path: Path) -> None:
    b = gdf.total_bounds
    check_sweref(pd.Series([b[0], b[2]]), pd.Series([b[1], b[3]]), path, 1)


def _to_metric(gdf, path: Path):
    """The lines in SWEREF 99 TM: a declared CRS is transformed, an undeclared one must be 3006.

    A file without a CRS, or declaring SWEREF 99 TM, must hold SWEREF 99 TM metres inside Sweden
    (WGS 84 degrees passed off as metres are caught). Any other declared CRS (RT90 2.5 gon V,
    another SWEREF zone, WGS 84) is transformed; the result must then lie in Sweden.
    """
    if gdf.crs is None or gdf.crs.equals(CRS_METRIC):
        _check_bounds(gdf, path)
        return gdf
    declared = gdf.crs.name or gdf.crs.to_string()
    out = gdf.to_crs(CRS_METRIC)
    b = out.total_bounds
    x0, y0, x1, y1 = SWEREF_BOUNDS
    if not (np.isfinite(b).all() and b[0] >= x0 and b[2] <= x1 and b[1] >= y0 and b[3] <= y1):
        raise InputError(
            path,
            f"the lines, transformed from the declared CRS {declared} to {CRS_METRIC}, span "
            f"x {b[0]:.0f}–{b[2]:.0f}, y {b[1]:.0f}–{b[3]:.0f}, outside Sweden",
            expected="a declared CRS that matches the coordinates",
        )
    return out


def _pipos_links(gdf, path: Path):
    """Keep the links Pipos routes on: network group 0 and no 9000-series removal code."""
    cols = {_norm(c): c for c in gdf.columns if c != "geometry"}
    keep = np.ones(len(gdf), dtype=bool)
    for names, what, expected in (
        (REMOVE_CODE_COLUMNS, "removal code", "empty, 0 or a Pipos removal code (9000–9999)"),
        (NETWORK_GROUP_COLUMNS, "network group", "0 for the main network or another group number"),
    ):
        col = next((cols[c] for c in names if c in cols), None)
        if col is None:
            continue
        raw = gdf[col]
        raw = raw.mask(raw.astype("string").str.strip() == "")  # a blank text field is empty
        num = pd.to_numeric(raw, errors="coerce")
        # An empty removal code means "not removed"; an empty network group means nothing.
        bad = (raw.notna() & num.isna()) | (num.notna() & (num != np.round(num)))
        if names is NETWORK_GROUP_COLUMNS:
            bad |= raw.isna()
        if bad.any():
            _refuse_first_bad(path, gdf, bad, raw, what, col, expected)
        if names is REMOVE_CODE_COLUMNS:
            drop = num.between(*REMOVED_CODES).to_numpy()
        else:
            drop = (num != 0).to_numpy()
        if drop.any():
            log.info("%s: %d links dropped by %s (%s)", path.name, drop.sum(), what, col)
        keep &= ~drop
    if not keep.any():
        raise InputError(
            path,
            "no link is left in Pipos' main network (networkGrp 0, no 9000-series RemoveCode)",
            expected="links of network group 0 that are not removed",
        )
    return gdf[keep]


@file_reader
def read_vagnat(path: Path) -> pd.DataFrame:
    """Read road lines and return their straight segments with a posted speed.

    Parameters
    ----------
    path : Path
        A GeoPackage (NVDB, Pipos' corrected network, or any line layer with a speed or a
        functional road class column), an OpenStreetMap ``.osm.pbf`` or an Overpass JSON answer
        (``out geom;``). Pipos' ``networkGrp`` and ``RemoveCode`` columns, when present, keep
        only the main network's links that are not removed. A declared CRS other than SWEREF
        99 TM (RT90, WGS 84 …) is transformed.

    Returns
    -------
    DataFrame
        ``x0, y0, x1, y1`` (SWEREF 99 TM metres) and ``speed_kmh`` per segment.
    """
    path = Path(path)
    suffix = "".join(path.suffixes[-2:]).lower() if path.suffix.lower() == ".pbf" else path.suffix
    if suffix.lower() in {".osm.pbf", ".pbf", ".json"}:
        from lansanalys.sources.osm import default_speed_kmh, read_osm_roads

        gdf = read_osm_roads(path)
        if gdf.empty:
            raise InputError(path, "the file holds no drivable roads", expected="OSM highway ways")
        speed = gdf["maxspeed_kmh"].astype(float)
        speed = speed.fillna(gdf["highway"].map(default_speed_kmh)).to_numpy(dtype=float)
        return _segments(gdf.geometry.to_numpy(), speed, path.name)
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
    # The index stays the feature's position in the layer, for errors naming the road.
    gdf = _pipos_links(gdf, path)
    gdf = gdf[gdf.geometry.notna() & ~gdf.geometry.is_empty]
    gdf = _to_metric(gdf, path)
    speed = _speed_from_columns(gdf, path)
    return _segments(gdf.geometry.to_numpy(), speed, path.name)


def _join_ends(ends: np.ndarray, loose: np.ndarray, line: np.ndarray):
    """Node of every segment end: exact repeats are one node, and a loose end (a line's first
    or last vertex) joins every vertex of another line within :data:`SNAP_M`, transitively
    (connected components of the "within SNAP_M" graph).

    Parameters
    ----------
    ends : ndarray (m, 2)
        Segment ends in metres.
    loose : ndarray of bool (m,)
        Whether the end is a line's first or last vertex.
    line : ndarray of int (m,)
        The line of each end. Two vertices of one line are joined by distance only when both
        are its ends (a loop road drawn back to its start): a road drawn with vertices closer
        than a metre keeps its length and shape.

    Returns
    -------
    label : ndarray of int (m,)
        Node of each end, 0 … n − 1, numbered by their first point in (x, y) order.
    xy : ndarray (n, 2)
        Node coordinates: the mean of the distinct points joined into it.
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components
    from scipy.spatial import cKDTree

    uniq, inv = np.unique(ends, axis=0, return_inverse=True)
    inv = inv.ravel()
    n_u = len(uniq)
    u_loose = np.zeros(n_u, dtype=bool)
    np.logical_or.at(u_loose, inv, loose)
    # One line per point (a point shared by several lines is a junction already).
    u_line = np.full(n_u, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(u_line, inv, line)
    pairs = cKDTree(uniq).query_pairs(SNAP_M, output_type="ndarray").reshape(-1, 2)
    a, b = pairs[:, 0], pairs[:, 1]
    both = u_loose[a] & u_loose[b]
    keep = (u_loose[a] | u_loose[b]) & ((u_line[a] != u_line[b]) | both)
    pairs = pairs[keep]
    adj = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(n_u, n_u))
    # Components are numbered in order of their first point (points sorted by x, then y).
    n, node_of_uniq = connected_components(adj, directed=False)
    count = np.bincount(node_of_uniq, minlength=n).astype(float)
    xy = np.column_stack(
        [
            np.bincount(node_of_uniq, weights=uniq[:, 0], minlength=n) / count,
            np.bincount(node_of_uniq, weights=uniq[:, 1], minlength=n) / count,
        ]
    )
    return node_of_uniq[inv], xy


def graph_from_segments(seg: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Nodes and edges from segments: ends within :data:`SNAP_M` metres become one node.

    Ends are joined by distance, not by rounding to a grid: a line's first or last vertex joins
    every vertex of another line within :data:`SNAP_M` (a KD-tree, then connected components,
    so a junction drawn as several ends a few centimetres apart is one node), wherever the
    whole metres fall. A line's own vertices are not joined to each other by distance (only its
    two ends, a loop drawn back to its start), so a road drawn with vertices closer than a
    metre keeps its length and shape. Without the ``line``, ``line_start`` and ``line_end``
    columns each segment is a line of its own.

    Parameters
    ----------
    seg : DataFrame
        :data:`SEGMENT_COLUMNS` (SWEREF 99 TM metres, km/h), as :func:`read_vagnat` gives.

    Returns
    -------
    nodes : DataFrame
        ``x, y`` (metres: the mean of the points joined into the node); the row position is
        the node index.
    edges : DataFrame
        ``u, v, length_m, speed_kmh``; the length is the segment's own (a closed gap adds
        nothing); parallel duplicates keep the shortest length and the shortest time (never
        their sum).
    """
    ends = np.concatenate(
        [seg[["x0", "y0"]].to_numpy(dtype=float), seg[["x1", "y1"]].to_numpy(dtype=float)]
    )
    n = len(seg)
    if {"line", "line_start", "line_end"} <= set(seg.columns):
        loose = np.concatenate(
            [seg["line_start"].to_numpy(dtype=bool), seg["line_end"].to_numpy(dtype=bool)]
        )
        line = np.tile(seg["line"].to_numpy(dtype=np.int64), 2)
    else:  # segments without their lines: each is a line of its own
        loose = np.ones(2 * n, dtype=bool)
        line = np.tile(np.arange(n, dtype=np.int64), 2)
    inv, xy = _join_ends(ends, loose, line)
    nodes = pd.DataFrame({"x": xy[:, 0], "y": xy[:, 1]})
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
    # Parallel duplicates (the same road twice, or once per direction) are never summed: the
    # shortest length and, separately, the shortest time; the speed is the one giving that time.
    edges = edges.assign(_h=edges["length_m"] / edges["speed_kmh"])
    shortest = edges.groupby(["u", "v"])["length_m"].transform("min")
    edges = edges.assign(_short=shortest).sort_values(["u", "v", "_h"])
    edges = edges.drop_duplicates(["u", "v"]).copy()
    longer = edges["_short"] < edges["length_m"]
    edges.loc[longer, "speed_kmh"] = edges.loc[longer, "_short"] / edges.loc[longer, "_h"]
    edges["length_m"] = edges["_short"]
    return nodes, edges.drop(columns=["_h", "_short"]).reset_index(drop=True)
