"""The simulated country behind the demo data: a population surface on real kommun boundaries
around GeoNames places, its age profiles and growth, service points, roads, a kommun grouping
and a support list, all from one seed.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from lansanalys import geo
from lansanalys.config import CRS_METRIC
from lansanalys.demo import calibration, demography, placement
from lansanalys.sources.files import DEMO_MARKER

DEFAULT_SEED = 20261123

CELL = 1000  # metres, SCB's open grid
FIRST_YEAR, LAST_YEAR = 2014, 2024
TARGET_POPULATED_CELLS = 100_000
#: Demo road network: node spacing, longest link, widest water a link may cross (all metres),
#: and the share of non-tree links kept.
ROAD_BLOCK = 2000
ROAD_MAX_LINK = 25_000
ROAD_WATER_GAP = 1000
ROAD_EXTRA_SHARE = 0.4
#: Fixed links over water wider than :data:`ROAD_WATER_GAP` that the demo's roads take (WGS 84
#: ends: latitude, longitude): Ölandsbron, Kalmar (Svinö) – Möllstorp on Öland, 6 km, 70 km/h
#: (Trafikverket). Without it Öland's 26 000 people would have no road to the mainland.
ROAD_BRIDGES: tuple[tuple[str, tuple[float, float], tuple[float, float], int], ...] = (
    ("Ölandsbron", (56.6808, 16.3622), (56.6890, 16.4565), 70),
)

#: The demo's Pipos service labels, in file order (each label's type is
#: :func:`lansanalys.services.pipos_type`'s; placement: :mod:`lansanalys.demo.placement`).
SERVICE_LABELS: tuple[str, ...] = (
    "Dagligvaror, fullsortiment",
    "Dagligvaror, övrigt",
    "Drivmedel",
    "Apotek",
    "Apoteksombud",
    "Postombud",
    "Paketautomat",
    "Kontantuttag",
    "Betalningsförmedling",
    "Dagskasseinsättning",
)
SERVICE_NAMES: dict[str, list[str]] = {
    "Dagligvaror, fullsortiment": [
        "ICA Supermarket",
        "Coop",
        "Hemköp",
        "Willys",
        "Lidl",
        "City Gross",
    ],
    "Dagligvaror, övrigt": ["ICA Nära", "Tempo", "Handlar'n", "Lanthandeln", "Direkten"],
    "Drivmedel": ["Circle K", "OKQ8", "Preem", "St1", "Ingo", "Tanka"],
    "Apotek": ["Apoteket", "Apotek Hjärtat", "Kronans Apotek", "Apoteksgruppen"],
    "Apoteksombud": ["Apoteksombud"],
    "Postombud": ["PostNord ombud", "DHL Service Point", "Schenker ombud"],
    "Paketautomat": ["PostNord Box", "Instabox", "Budbee Box"],
    "Kontantuttag": ["Bankomat", "Kontantautomat"],
    "Betalningsförmedling": ["Kassaservice", "Betalombud"],
    "Dagskasseinsättning": ["Dagkassa Bankomat", "Insättningsautomat"],
}
SUPPORT_PROGRAMMES: dict[str, tuple[float, str]] = {
    # programme: (national SEK per year, who is targeted)
    "Servicebidrag": (45e6, "rural_store"),
    "Hemsändningsbidrag": (12e6, "rural"),
    "Investeringsstöd kommersiell service": (35e6, "rural_store"),
    "Regionalt investeringsstöd": (300e6, "rural_firm"),
    "Stöd till små och medelstora företag": (220e6, "firm"),
    "Transportbidrag": (400e6, "north_firm"),
}
NORTH_LAN = {"17", "20", "21", "22", "23", "24", "25"}


@dataclass
class DemoWorld:
    """The simulated population surface everything else is drawn from.

    Parameters
    ----------
    seed : int
        Seed of the random generator; the same seed gives byte-identical files.
    """

    seed: int = DEFAULT_SEED

    @cached_property
    def rng(self) -> np.random.Generator:
        return np.random.default_rng(self.seed)

    @cached_property
    def places(self) -> pd.DataFrame:
        """GeoNames places in Sweden (≥ 500 inhabitants) with SWEREF 99 TM coordinates, named
        as written in Swedish ("Ör", not GeoNames' "Or"), each town once: a copy that GeoNames
        gave a same-named town's population is dropped, judged also by whether the kommun's
        real population has room for it (:func:`lansanalys.geo.places`)."""
        return geo.places(calibration.totals())

    @cached_property
    def land_cells(self) -> pd.DataFrame:
        """Centres of all 1 km cells whose centre lies in a kommun, with the kommun code."""
        kom = geo.kommun_geometry(CRS_METRIC)
        parts = []
        for code, geom in zip(kom["kommun_kod"], kom["geometry"], strict=True):
            x0, y0, x1, y1 = geom.bounds
            xs = np.arange(np.floor(x0 / CELL) * CELL, x1, CELL) + CELL / 2
            ys = np.arange(np.floor(y0 / CELL) * CELL, y1, CELL) + CELL / 2
            gx, gy = np.meshgrid(xs, ys)
            gx, gy = gx.ravel(), gy.ravel()
            shapely.prepare(geom)
            inside = shapely.contains_xy(geom, gx, gy)
            if not inside.any():  # tiny island kommun: keep the cell nearest its centre
                c = geom.representative_point()
                gx = np.array([np.floor(c.x / CELL) * CELL + CELL / 2])
                gy = np.array([np.floor(c.y / CELL) * CELL + CELL / 2])
                inside = np.array([True])
            parts.append(pd.DataFrame({"x": gx[inside], "y": gy[inside], "kommun_kod": code}))
        cells = pd.concat(parts, ignore_index=True)
        # A centre on a shared border can fall in two simplified polygons: keep the first.
        cells = cells.drop_duplicates(["x", "y"]).reset_index(drop=True)
        cells["x"] = cells["x"].astype(np.int64)
        cells["y"] = cells["y"].astype(np.int64)
        return cells

    @cached_property
    def cells(self) -> pd.DataFrame:
        """Populated 1 km cells: x, y (centre), kommun_kod, population, and age bands."""
        land = self.land_cells
        xy = land[["x", "y"]].to_numpy(dtype=float)
        tree = cKDTree(xy)
        urban = np.zeros(len(land))
        pl = self.places
        for px, py, pop in zip(pl["x"], pl["y"], pl["population"], strict=True):
            pop = max(int(pop), 500)  # a few GeoNames places lack a population
            sigma = float(placement.kernel_sigma(pop))
            idx = tree.query_ball_point([px, py], r=max(3 * sigma, 800.0))
            if not idx:  # a place in a lake hole of the generalised boundary: the nearest shore
                idx = list(tree.query([px, py], k=9)[1])
            d2 = ((xy[idx] - (px, py)) ** 2).sum(axis=1)
            w = np.exp(-d2 / (2 * sigma**2))
            urban[idx] += pop * w / w.sum()
        # Rural background: farms and hamlets, clustered near settlements, sparse far from them.
        d_near, _ = cKDTree(pl[["x", "y"]].to_numpy()).query(xy)
        shape = np.exp(-d_near / 12000.0) * self.rng.gamma(0.6, 1 / 0.6, len(land))
        u01 = self.rng.random(len(land))
        size = 1 + self.rng.negative_binomial(1, 1 / (1 + 4 + 30 * np.exp(-d_near / 8000.0)))
        lo, hi = 1e-4, 100.0
        for _ in range(60):  # scale occupancy so the populated cells hit the target
            a = np.sqrt(lo * hi)
            occupied = (u01 < 1 - np.exp(-a * shape)) | (urban > 2)
            lo, hi = (a, hi) if occupied.sum() < TARGET_POPULATED_CELLS else (lo, a)
        rural = np.where(u01 < 1 - np.exp(-a * shape), size, 0)
        target = calibration.totals()
        lam = urban * (target.sum() - rural.sum()) / urban.sum()
        pop = rural + self.rng.poisson(lam)
        df = land.assign(population=pop)
        df = self._ensure_every_kommun(df)
        df = self._calibrate_totals(df, target)
        df = df[df["population"] > 0].reset_index(drop=True)
        return self._age_bands(df)

    def _calibrate_totals(self, df: pd.DataFrame, target: pd.Series) -> pd.DataFrame:
        """Redistribute each kommun's people over its cells so the kommun total is the real
        one (:func:`calibration.totals`), keeping where in the kommun they live."""
        pop = df["population"].to_numpy().copy()
        for code, idx in df.groupby("kommun_kod").indices.items():
            w = pop[idx].astype(float)
            pop[idx] = self.rng.multinomial(int(target[code]), w / w.sum())
        return df.assign(population=pop)

    def _ensure_every_kommun(self, df: pd.DataFrame) -> pd.DataFrame:
        """Give every kommun at least 2 500 people, in its most central cells."""
        totals = df.groupby("kommun_kod")["population"].sum()
        for code in geo.kommun_codes():
            short = 2500 - int(totals.get(code, 0))
            if short <= 0:
                continue
            idx = df.index[df["kommun_kod"] == code]
            pick = self.rng.choice(idx, size=min(len(idx), 25), replace=False)
            add = self.rng.multinomial(short, np.full(len(pick), 1 / len(pick)))
            df.loc[pick, "population"] += add
        return df

    def _age_bands(self, df: pd.DataFrame) -> pd.DataFrame:
        """Split each cell's population into SCB's open-grid bands, older where sparse."""
        profiles = self.age_profiles  # kommun × age share (both sexes), latest year
        bands = {
            "ald0_24": (0, 24),
            "ald25_44": (25, 44),
            "ald45_64": (45, 64),
            "ald65_79": (65, 79),
            "ald80w": (80, 100),
        }
        shares = {}
        for name, (a0, a1) in bands.items():
            shares[name] = profiles.loc[:, a0:a1].sum(axis=1)
        kshare = pd.DataFrame(shares)
        p = kshare.loc[df["kommun_kod"]].to_numpy()
        # Sparse cells tilt older, dense cells younger, around the kommun profile.
        tilt = np.clip(np.log10(df["population"].to_numpy() + 1) - 1.5, -1.5, 2.5)
        p = p * np.exp(np.outer(-tilt * 0.12, [-1, -0.3, 0.3, 1, 1]))
        p = p / p.sum(axis=1, keepdims=True)
        counts = self.rng.multinomial(df["population"].to_numpy(), p)
        out = df.copy()
        for j, name in enumerate(bands):
            out[name] = counts[:, j]
        # 70+ is not among SCB's open bands; 250 m deliveries often have it. Derive it from the
        # kommun profile so the 70+ indicators have data.
        r70 = profiles.loc[:, 70:100].sum(axis=1) / profiles.loc[:, 65:100].sum(axis=1)
        older = out["ald65_79"] + out["ald80w"]
        out["ald70w"] = self.rng.binomial(older.to_numpy(), r70.loc[out["kommun_kod"]].to_numpy())
        out["ald70w"] = np.maximum(out["ald70w"], out["ald80w"])
        return out

    @cached_property
    def density(self) -> pd.Series:
        """Crude urbanity per kommun: share of land cells that are populated (0–1)."""
        land = self.land_cells.groupby("kommun_kod").size()
        # The places' population per land cell tells town from countryside before cells exist.
        pl = self.places
        kom = geo.kommun_geometry(CRS_METRIC)
        pts = gpd.GeoDataFrame(pl, geometry=gpd.points_from_xy(pl["x"], pl["y"]), crs=CRS_METRIC)
        joined = gpd.sjoin(pts, kom[["kommun_kod", "geometry"]], predicate="within", how="inner")
        town = joined.groupby("kommun_kod")["population"].sum().reindex(land.index, fill_value=0)
        per_km2 = town / land
        return (np.log10(per_km2 + 1) / np.log10(per_km2.max() + 1)).clip(0, 1)

    @cached_property
    def age_profiles(self) -> pd.DataFrame:
        """Share of population by single age 0–100 per kommun (rows sum to 1), latest year."""
        last = self.population_table()
        last = last[last["year"] == LAST_YEAR]
        counts = last.pivot_table(
            index="kommun_kod", columns="age", values="population", aggfunc="sum"
        ).astype(float)
        return counts.div(counts.sum(axis=1), axis=0)

    def population_table(self) -> pd.DataFrame:
        """Kommun × year × age × sex counts: the cohort history of
        :mod:`lansanalys.demo.demography` in whole people, each kommun's total the real one
        every year (the latest year equal to the grid sums per kommun)."""
        if "_population" not in self.__dict__:  # built once: later kinds must agree with it
            self.__dict__["_population"] = self._population_from_history()
        return self.__dict__["_population"]

    def _population_from_history(self) -> pd.DataFrame:
        hist = demography.history()
        totals = calibration.history()
        frames = []
        n_age = len(calibration.AGES)
        whole = demography.whole_people(hist, totals)
        for year in range(FIRST_YEAR, LAST_YEAR + 1):
            cube = whole[year]
            k = len(hist.codes)
            frames.append(
                pd.DataFrame(
                    {
                        "kommun_kod": np.repeat(hist.codes, 2 * n_age),
                        "year": year,
                        "age": np.tile(calibration.AGES, 2 * k),
                        "sex": np.tile(np.repeat(demography.SEXES, n_age), k),
                        "population": cube.reshape(-1),
                    }
                )
            )
        return pd.concat(frames, ignore_index=True)

    def components(self) -> pd.DataFrame:
        """Births and deaths per kommun (``kommun_kod``) and year of the population history,
        in whole people."""
        hist = demography.history()
        rows = [
            pd.DataFrame(
                {
                    "kommun_kod": hist.codes,
                    "year": year,
                    "births": np.round(hist.births[year]).astype(np.int64),
                    "deaths": np.round(hist.deaths[year]).astype(np.int64),
                }
            )
            for year in range(FIRST_YEAR + 1, LAST_YEAR + 1)
        ]
        return pd.concat(rows, ignore_index=True)

    def service_points(self) -> pd.DataFrame:
        """Service points by settlement hierarchy, filled in where people live far from every
        point (:mod:`lansanalys.demo.placement`)."""
        cells = self.cells
        kommun_names = geo.kommuner().set_index("kommun_kod")["kommun"]
        sett = placement.settlements(cells, self.places, kommun_names)
        pts = placement.hierarchy_points(self.rng, cells, sett)
        gaps = placement.fill_gaps(self.rng, cells, pts)
        pts = pd.concat([pts, gaps], ignore_index=True)
        pts = pts.sort_values("label", key=lambda s: s.map(SERVICE_LABELS.index), kind="stable")
        pts = pts.reset_index(drop=True)
        pts[["x", "y"]] = pts[["x", "y"]].round()  # as written: the file's whole metres
        codes = geo.kommun_of_points(pts["x"], pts["y"])
        # A point the jitter put just off the coast stays in its cell's kommun.
        _, cell = cKDTree(cells[["x", "y"]].to_numpy()).query(pts[["x", "y"]].to_numpy())
        fallback = cells["kommun_kod"].to_numpy()[cell]
        pts["kommun_kod"] = np.where(pd.isna(codes), fallback, codes).astype(str)
        # The post town is the settlement the point stands in: the nearest of its own kommun.
        place = placement.nearest_place(pts, sett)
        place = np.where(pd.isna(place), pts["kommun_kod"].map(kommun_names), place)
        names = placement.unique_names(
            self.rng, pts["label"], place, pts["kommun_kod"], SERVICE_NAMES
        )
        df = pd.DataFrame(
            {
                "Serviceslag": pts["label"],
                "Namn": names,
                "Postort": place,
                "Kommunkod": pts["kommun_kod"],
                "Kommun": kommun_names.loc[pts["kommun_kod"]].to_numpy(),
                "X": np.round(pts["x"].to_numpy()).astype(np.int64),
                "Y": np.round(pts["y"].to_numpy()).astype(np.int64),
            }
        )
        df.insert(0, "ID", [f"D{i:06d}" for i in range(1, len(df) + 1)])
        df["Adress"] = [f"Storgatan {i % 97 + 1}" for i in range(len(df))]
        df["Källa"] = f"{DEMO_MARKER} (lansanalys demo, seed {self.seed})"
        return df[
            [
                "ID",
                "Serviceslag",
                "Namn",
                "Adress",
                "Postort",
                "Kommunkod",
                "Kommun",
                "X",
                "Y",
                "Källa",
            ]
        ]

    def road_lines(self) -> gpd.GeoDataFrame:
        """An NVDB-like road network joining the populated places, in SWEREF 99 TM.

        Nodes are the most populous cell of every populated 2 km block; links are the edges of
        their Delaunay triangulation that stay on land (sampled along the link) and are at most
        25 km long, thinned to the minimum spanning tree plus 40 % of the other links so that
        roads wind as real ones do. Water wider than about a kilometre is not crossed, so
        islands without a bridge get their own network (Gotland, Öland) or none at all. Speeds
        follow the functional road class: long links are main roads (90 km/h), links between
        dense cells are streets (50 km/h).
        """
        from scipy.sparse import coo_matrix
        from scipy.sparse.csgraph import minimum_spanning_tree
        from scipy.spatial import Delaunay

        rng = np.random.default_rng(self.seed + 1)  # its own stream: other kinds stay identical
        cells = self.cells[["x", "y", "population"]]
        block = (cells["x"] // ROAD_BLOCK).astype(np.int64) * 100_000 + cells["y"] // ROAD_BLOCK
        rep = cells.assign(block=block).sort_values(["block", "population"], ascending=False)
        nodes = rep.drop_duplicates("block").sort_values(["x", "y"]).reset_index(drop=True)
        xy = nodes[["x", "y"]].to_numpy(dtype=float)
        tri = Delaunay(xy)
        pairs = np.concatenate(
            [tri.simplices[:, [0, 1]], tri.simplices[:, [1, 2]], tri.simplices[:, [0, 2]]]
        )
        pairs = np.unique(np.sort(pairs, axis=1), axis=0)
        a, b = xy[pairs[:, 0]], xy[pairs[:, 1]]
        length = np.hypot(*(b - a).T)
        keep = length <= ROAD_MAX_LINK
        land = shapely.union_all(geo.lan_geometry(CRS_METRIC).geometry.buffer(ROAD_WATER_GAP / 2))
        shapely.prepare(land)
        for f in (0.2, 0.4, 0.6, 0.8):
            p = a + f * (b - a)
            keep &= shapely.contains_xy(land, p[:, 0], p[:, 1])
        pairs, length = pairs[keep], length[keep]
        n = len(xy)
        g = coo_matrix((length, (pairs[:, 0], pairs[:, 1])), shape=(n, n)).tocsr()
        mst = minimum_spanning_tree(g).tocoo()
        in_tree = set(zip(mst.row.tolist(), mst.col.tolist(), strict=True))
        tree_mask = np.array(
            [(int(u), int(v)) in in_tree or (int(v), int(u)) in in_tree for u, v in pairs]
        )
        chosen = tree_mask | (rng.random(len(pairs)) < ROAD_EXTRA_SHARE)
        pairs, length = pairs[chosen], length[chosen]
        pop = nodes["population"].to_numpy()
        dense = (pop[pairs[:, 0]] >= 300) & (pop[pairs[:, 1]] >= 300)
        klass = np.select([length > 6000, dense, length > 3000], [3, 7, 5], default=6)
        speed = pd.Series(klass).map({3: 90, 5: 70, 6: 60, 7: 50}).to_numpy()
        bridges = self._bridge_pairs(xy)
        if len(bridges):
            pairs = np.concatenate([pairs, bridges[:, :2].astype(pairs.dtype)])
            klass = np.concatenate([klass, np.full(len(bridges), 3)])
            speed = np.concatenate([speed, bridges[:, 2]])
        lines = shapely.linestrings(np.stack([xy[pairs[:, 0]], xy[pairs[:, 1]]], axis=1))
        return gpd.GeoDataFrame(
            {
                "vag_id": np.arange(1, len(pairs) + 1, dtype=np.int64),
                "funktionell_vagklass": klass.astype(np.int64),
                "hastighetsgrans": speed.astype(np.int64),
            },
            geometry=lines,
            crs=CRS_METRIC,
        )

    @staticmethod
    def _bridge_pairs(xy: np.ndarray) -> np.ndarray:
        """Rows ``node, node, speed`` for :data:`ROAD_BRIDGES`: each bridge joins the road
        nodes nearest its two ends."""
        from pyproj import Transformer

        if not ROAD_BRIDGES:
            return np.empty((0, 3), dtype=np.int64)
        tr = Transformer.from_crs("EPSG:4326", CRS_METRIC, always_xy=True)
        tree = cKDTree(xy)
        rows = []
        for _name, (lat1, lon1), (lat2, lon2), kmh in ROAD_BRIDGES:
            ends = np.column_stack(tr.transform([lon1, lon2], [lat1, lat2]))
            _, (a, b) = tree.query(ends)
            if a != b:
                rows.append((int(a), int(b), int(kmh)))
        return np.array(rows, dtype=np.int64).reshape(-1, 3)

    def classification(self) -> pd.DataFrame:
        """A kommun grouping in the spirit of SKR's and Tillväxtverket's: by size and remoteness.

        Storstad: a place of 200 000 or more; Stad: 40 000 inhabitants or more; Landsbygd nära
        stad: the kommun's population centre within 45 km of a place of 40 000; else Avlägsen
        landsbygd. Deterministic (no random draws).
        """
        cells = self.cells
        pop = cells.groupby("kommun_kod")["population"].sum()
        cx = (cells["x"] * cells["population"]).groupby(cells["kommun_kod"]).sum() / pop
        cy = (cells["y"] * cells["population"]).groupby(cells["kommun_kod"]).sum() / pop
        pl = self.places
        towns = pl[pl["population"] >= 40_000]
        d, _ = cKDTree(towns[["x", "y"]].to_numpy()).query(np.column_stack([cx, cy]))
        big = pl[pl["population"] >= 200_000]
        db, _ = cKDTree(big[["x", "y"]].to_numpy()).query(np.column_stack([cx, cy]))
        code = np.select(
            [db < 15_000, pop.to_numpy() >= 40_000, d < 45_000], ["D1", "D2", "D3"], default="D4"
        )
        names = {
            "D1": "Storstad",
            "D2": "Stad",
            "D3": "Landsbygd nära stad",
            "D4": "Avlägsen landsbygd",
        }
        kommun = geo.kommuner().set_index("kommun_kod")["kommun"]
        return pd.DataFrame(
            {
                "Kommun": kommun.reindex(pop.index).to_numpy(),
                "Kommunkod": pop.index,
                "Gruppkod": code,
                "Kommungrupp": [names[c] for c in code],
            }
        )

    def support_list(self) -> pd.DataFrame:
        """Grants per kommun, programme and year, weighted towards sparse and northern kommuner."""
        pop = self.cells.groupby("kommun_kod")["population"].sum()
        rural = 1 - self.density.reindex(pop.index)
        north = pd.Series([c[:2] in NORTH_LAN for c in pop.index], index=pop.index, dtype=float)
        kommun_names = geo.kommuner().set_index("kommun_kod")["kommun"]
        places = self.places
        rows = []
        for year in range(2020, LAST_YEAR + 1):
            for prog, (budget, target) in SUPPORT_PROGRAMMES.items():
                weight = {
                    "rural_store": rural**3 * pop**0.3,
                    "rural": rural**2 * pop**0.5,
                    "rural_firm": rural**1.5 * pop**0.7,
                    "firm": pop**0.9,
                    "north_firm": north * pop**0.8,
                }[target]
                weight = weight * self.rng.lognormal(0, 0.5, len(weight))
                share = weight / weight.sum()
                n_grants = np.maximum(1, (share * budget / 400_000).round().astype(int))
                for code in share.index[share > 0.0005]:
                    amounts = self.rng.dirichlet(np.ones(n_grants[code])) * share[code] * budget
                    for amt in amounts:
                        ort = places["name"].iloc[int(self.rng.integers(len(places)))]
                        rows.append(
                            (
                                code,
                                kommun_names[code],
                                year,
                                prog,
                                round(amt, -2),
                                f"Mottagare i {ort} AB",
                            )
                        )
        df = pd.DataFrame(
            rows, columns=["Kommunkod", "Kommun", "År", "Stödform", "Belopp (kr)", "Mottagare"]
        )
        return df
