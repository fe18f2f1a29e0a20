"""One area's data: the processed national tables filtered to riket, a län or a kommun, read once
and cached, with what every chapter compares the area against (its parent, riket, its
children, its kommungrupp) and the notes on where the data come from.

:class:`AreaData` is what every chapter function reads; nothing here draws. Heavy work (the
indicators of every area, access tables, closure rankings and scenarios, the orter) ran once in
the build; this module filters. Types of place (kommuntyp, place type per cell) come through the
mixin :class:`lansanalys.report.type_data.TypeData`. Any access threshold the build did not
precompute is computed from the cells' distances with the build's own function, so it has the
same definition.
"""

from __future__ import annotations

import html
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property

import geopandas as gpd
import numpy as np
import pandas as pd
from IPython.display import Markdown

from lansanalys import catalogue, fmt
from lansanalys.analysis import access
from lansanalys.analysis.access import HEADLINE_KM, share_col
from lansanalys.catalogue import covered_lan
from lansanalys.config import DEFAULT_THRESHOLDS_KM, Paths, paths
from lansanalys.report import cuts
from lansanalys.report.area import KEYS, RIKET, Area
from lansanalys.report.blocks import MISSING, editorial
from lansanalys.report.cuts import (
    cells_with_distance,
    kommun_total_map,
    kommun_totals,
    population_slices,
    unique_labels,
)
from lansanalys.report.text import (
    EXTRACT_NOTE,
    beyond_note,
    by_road,
    distance_note,
    missing_sentence,
    riket_label,
    source_note,
)
from lansanalys.report.type_data import TypeData
from lansanalys.services import SERVICE_TYPES

#: Service points this far (m) outside the area are kept: people cross borders to shop.
NEARBY_POINTS_M = 25_000

#: Processed access table of each level (riket's has no code column: it is added as "00").
ACCESS_TABLES = {
    "kommun": "access_kommun",
    "lan": "access_lan",
    "riket": "access_riket",
    "kommungrupp": "access_kommungrupp",
}


@dataclass
class AreaData(TypeData):
    """The data of one area, filtered from the national tables as chapters ask for them.

    Parameters
    ----------
    area : Area
        Riket, a län or a kommun.
    thresholds_km : tuple of float
        Distance thresholds of the access tables (km, "more than"). Any positive number works:
        thresholds the build did not precompute are computed from the cells' distances.
    p : Paths
        Project paths (``LANSANALYS_HOME`` or the checkout).
    """

    area: Area
    thresholds_km: tuple[float, ...] = DEFAULT_THRESHOLDS_KM
    p: Paths = field(default_factory=paths)

    def __post_init__(self) -> None:
        self.thresholds_km = access.check_thresholds(self.thresholds_km, "km")
        self.started = time.time()
        self.meta = catalogue.read_meta(self.p)

    # ---- population ----------------------------------------------------------------------------
    @cached_property
    def befolkning(self) -> pd.DataFrame:
        """The national population table (all kommuner, all years)."""
        return catalogue.read(self.p, "befolkning")

    @cached_property
    def _slices(self) -> dict[tuple[str, str], pd.DataFrame]:
        """The population rows of every kommun and län, cut once (reports ask for many)."""
        return population_slices(self.befolkning)

    def population_of(self, area: Area) -> pd.DataFrame:
        """Population rows (kommun × year × age × sex) of any area."""
        if area.level == "riket":
            return self.befolkning
        return self._slices.get((area.level, area.code), self.befolkning.iloc[0:0])

    @cached_property
    def kommun_totals(self) -> pd.DataFrame:
        """People per kommun and year, with whether any cell of the sum was missing (``..``)."""
        return kommun_totals(self.befolkning)

    def total_of(self, area: Area, year: int) -> float:
        """The area's population in ``year``; NaN where any part of it is missing (``..``) or the
        year is not in the data."""
        totals = kommun_total_map(self.befolkning)
        parts = [totals.get((k, int(year))) for k in area.kommun_codes]
        if any(part is None or part[1] for part in parts):
            return float("nan")
        return float(sum(part[0] for part in parts))

    @cached_property
    def pop(self) -> pd.DataFrame:
        """The area's population rows."""
        return self.population_of(self.area)

    @cached_property
    def year(self) -> int:
        """The latest year of the population data."""
        return int(self.befolkning["year"].max())

    @cached_property
    def years(self) -> list[int]:
        """The years of the population data, sorted."""
        return sorted(int(y) for y in self.befolkning["year"].unique())

    # ---- indicators, comparisons and ranks -----------------------------------------------------
    @cached_property
    def indicators(self) -> pd.DataFrame:
        """The build's headline indicators of every area: index ``(level, code)``;
        ``attrs["span"]`` is the number of years the change is over."""
        df = catalogue.read(self.p, "indicators")
        span = int(df["span"].iloc[0])
        df = df.assign(level=df["level"].where(df["code"] != RIKET, "riket"))
        out = df.drop(columns=["span"]).set_index(["level", "code"])
        out.attrs["span"] = span
        return out

    @property
    def span(self) -> int:
        return int(self.indicators.attrs["span"])

    def ind(self, area: Area | None = None) -> pd.Series:
        """Headline indicators of ``area`` (default: this area)."""
        a = area or self.area
        return self.indicators.loc[(a.level, a.code)]

    @cached_property
    def klassning(self) -> pd.DataFrame | None:
        """kommun → class (SKR kommungrupp or another supplied grouping), or None."""
        if not catalogue.exists(self.p, "klassning"):
            return None
        return catalogue.read(self.p, "klassning").drop_duplicates("kommun_kod")

    @cached_property
    def group(self) -> str | None:
        """The kommun's group (class name) in the supplied grouping; None for län and riket."""
        if self.area.level != "kommun" or self.klassning is None:
            return None
        kl = self.klassning.set_index("kommun_kod")["class_name"]
        return kl.get(self.area.code)

    @cached_property
    def group_peers(self) -> list[str]:
        """Kommun codes of the same group across the country (this kommun included)."""
        if self.group is None:
            return []
        kl = self.klassning
        return sorted(kl.loc[kl["class_name"] == self.group, "kommun_kod"])

    def group_indicators(self) -> pd.Series | None:
        """The kommun's group's indicators (precomputed in the build), or None."""
        if self.group is None or ("kommungrupp", self.group) not in self.indicators.index:
            return None
        return self.indicators.loc[("kommungrupp", self.group)]

    def rank(self, col: str, among: str = "siblings", area: Area | None = None) -> str:
        """``area``'s place on ``col`` (1 = highest) among its siblings (the län's kommuner, the
        21 län) or, for a kommun, among the kommuner of its group; areas without the figure
        are not ranked."""
        a = area or self.area
        if a.level == "riket":
            return ""
        if among == "group":
            codes, where = self.group_peers, "i kommungruppen"
        else:
            codes = [s.code for s in a.siblings]
            where = "i länet" if a.level == "kommun" else "i landet"
        if not codes:
            return ""
        s = self.indicators.loc[a.level][col].reindex(codes).dropna()
        if a.code not in s.index:
            return MISSING
        place = int(s.rank(ascending=False, method="min")[a.code])
        return fmt.ranking_phrase(place, len(s), where=where)

    # ---- geography -------------------------------------------------------------------------------
    @cached_property
    def lan_geo(self) -> gpd.GeoDataFrame:
        return catalogue.read(self.p, "lan_geo")

    def kommun_geo_of(self, lan_kod: str | None) -> gpd.GeoDataFrame:
        g = catalogue.read(self.p, "kommun_geo")
        return g[g["lan_kod"] == lan_kod] if lan_kod else g

    @cached_property
    def child_geo(self) -> gpd.GeoDataFrame:
        """Boundaries of the children (the 21 län, a län's kommuner); for a kommun its siblings,
        the kommuner of its län. The name column is ``name`` and the code ``code``."""
        if self.area.level == "riket":
            g = self.lan_geo.rename(columns={"lan_kod": "code", "lan": "name"})
        else:
            g = self.kommun_geo_of(self.area.lan_kod)
            g = g.rename(columns={"kommun_kod": "code", "kommun": "name"})
        return g

    @cached_property
    def own_geo(self) -> gpd.GeoDataFrame:
        """The area's own boundary (the län's kommuner for a län; all län for riket)."""
        if self.area.level == "kommun":
            return self.child_geo[self.child_geo["code"] == self.area.code]
        return self.child_geo

    def _of_area(self, name: str) -> pd.DataFrame:
        """A whole table (read once per process) cut to the area's rows."""
        df = catalogue.read(self.p, name)
        a = self.area
        return df if a.level == "riket" else df[df[a.key] == a.code]

    @cached_property
    def places(self) -> pd.DataFrame:
        """GeoNames settlements of the area (village names on maps)."""
        return self._of_area("places")

    # ---- coverage ----------------------------------------------------------------------------------
    def covered(self, service_type: str, area: Area | None = None) -> bool:
        """Whether ``area`` (default this one) has service data of ``service_type``; riket
        when any län has (its figures then stand for those län, and say so)."""
        a = area or self.area
        lan = covered_lan(self.meta, service_type)
        return bool(lan) if a.level == "riket" else a.lan_kod in lan

    def missing(self, *types: str) -> str:
        """The sentence said instead of a figure for types without data here ("" if none)."""
        gaps = [t for t in (types or SERVICE_TYPES) if not self.covered(t)]
        where = self.area.name if self.area.level != "riket" else "alla län"
        return missing_sentence(self.meta, gaps, where)

    def missing_block(self, *types: str) -> Markdown:
        return Markdown(f"*{html.escape(self.missing(*types))}*")

    def name_of(self, area: Area) -> str:
        """Display name; riket says which län it stands for when service data are partial."""
        if area.level == "riket":
            return riket_label(self.meta, "dagligvaror")
        return area.name

    # ---- sources -------------------------------------------------------------------------------------
    def source(self, *kinds: str, year: int | str | None = None) -> str:
        return source_note(self.meta, list(kinds), year)

    def access_source(self) -> str:
        """Source and method note under every access figure and table."""
        text = " ".join(
            [self.source("rutor", "service", "vagnat"), distance_note(self.meta)]
            + [beyond_note(self.meta)]
        )
        if self.area.lan_kod in self.meta.get("coverage", {}).get("extract", []):
            text += " " + EXTRACT_NOTE
        return text

    def comment(self, chapter: str) -> Markdown:
        """Editorial text for ``chapter`` from data/raw/kommentarer/<code>.md, if any."""
        return editorial(self.p, self.area.code, chapter)

    @property
    def demo(self) -> bool:
        return any(k["demo"] for k in self.meta["kinds"].values())

    # ---- cells and access --------------------------------------------------------------------------
    @cached_property
    def cells(self) -> pd.DataFrame:
        """Populated cells of the area with their nearest distance per service type (wide, km)."""
        flt = self.area.filters()
        rutor = catalogue.read(self.p, "rutor", filters=flt)
        near = catalogue.read(self.p, "nearest", filters=flt)
        col = "road_m" if by_road(self.meta) else "dist_m"
        wide = near.pivot(index="cell_id", columns="service_type", values=col) / 1000.0
        return rutor.merge(wide, left_on="cell_id", right_index=True, how="left")

    @cached_property
    def service(self) -> pd.DataFrame:
        """Service points in the area and within :data:`NEARBY_POINTS_M` of it."""
        pts = catalogue.read(self.p, "service")
        x0, y0, x1, y1 = self.own_geo.total_bounds
        m = NEARBY_POINTS_M
        return pts[pts["x"].between(x0 - m, x1 + m) & pts["y"].between(y0 - m, y1 + m)]

    @cached_property
    def access_classes(self) -> pd.DataFrame:
        """Population per access class for the area, its lineage and its children."""
        codes = [a.code for a in self.area.lineage] + [c.code for c in self.area.children]
        return catalogue.read(self.p, "access_klasser", filters=[("code", "in", codes)])

    def access_level(self, level: str) -> pd.DataFrame:
        """The build's access table of ``level`` with the area code in a column ``code``."""
        return self._access_tables[level]

    @cached_property
    def _access_tables(self) -> dict[str, pd.DataFrame]:
        class Lazy(dict):
            def __missing__(inner, level: str) -> pd.DataFrame:  # noqa: N805
                name = ACCESS_TABLES[level]
                if not catalogue.exists(self.p, name):
                    df = pd.DataFrame(columns=["code", "service_type"])
                else:
                    df = catalogue.read(self.p, name)
                    key = "kommungrupp" if level == "kommungrupp" else KEYS.get(level)
                    df = (
                        df.assign(code=RIKET)
                        if level == "riket"
                        else df.rename(columns={key: "code"})
                    )
                inner[level] = df
                return df

        return Lazy()

    def access_rows(self, areas: Sequence[Area]) -> pd.DataFrame:
        """The build's access rows (every service type) of the given areas, in that order,
        with ``code`` and ``name``; precomputed thresholds only (see :meth:`beyond`)."""
        parts = []
        for a in areas:
            t = self.access_level(a.level)
            parts.append(t[t["code"] == a.code].assign(name=self.name_of(a), level=a.level))
        return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()

    def beyond(
        self, areas: Sequence[Area], thresholds: Sequence[float], unit: str = "km"
    ) -> pd.DataFrame:
        """Access rows of ``areas`` with the population and share beyond each threshold.

        The build's columns are used where it precomputed the threshold; any other is computed
        from the cells' distances with :func:`lansanalys.analysis.access.beyond_thresholds`,
        the same definition (unreachable people count as beyond every threshold).
        """
        thresholds = access.check_thresholds(thresholds, unit)
        table = self.access_rows(areas)
        need = [t for t in thresholds if share_col(t, unit=unit) not in table]
        if not need or table.empty:
            return table
        if unit == "min" and not by_road(self.meta):
            raise ValueError("car minutes need a road network (data/raw/vagnat/)")
        col = "road_min" if unit == "min" else ("road_m" if by_road(self.meta) else "dist_m")
        fresh = []
        for level in dict.fromkeys(a.level for a in areas):
            codes = [a.code for a in areas if a.level == level]
            cells = self._cells_of(level, codes)
            key = KEYS[level]
            if level == "riket":
                cells = cells.assign(riket=RIKET)
            got = access.beyond_thresholds(
                cells, key, need, dist_col=col, pop_cols=("population", "pop_70plus"), unit=unit
            )
            fresh.append(got.rename(columns={key: "code"}))
        made = [
            f"{pc}_{what}_{access.threshold_key(t, unit)}{unit}"
            for pc in ("population", "pop_70plus")
            for what in ("over", "share_over")
            for t in need
        ]
        fresh_df = pd.concat(fresh, ignore_index=True)[["code", "service_type", *made]]
        return table.merge(fresh_df, on=["code", "service_type"], how="left")

    def _cells_of(self, level: str, codes: list[str]) -> pd.DataFrame:
        """Cell × type distances of the areas ``codes`` of ``level`` (cached per set)."""
        key = (level, tuple(codes))
        cache = self.__dict__.setdefault("_cell_cache", {})
        if key not in cache:
            flt = None if level == "riket" else [(KEYS[level], "in", list(codes))]
            cache[key] = cells_with_distance(self.p, self.meta, flt)
        return cache[key]

    def access_of(self, area: Area, service_type: str, col: str) -> float:
        """One precomputed access figure of ``area`` (NaN where the area has none)."""
        t = self.access_level(area.level)
        row = t[(t["code"] == area.code) & (t["service_type"] == service_type)]
        return float(row[col].iloc[0]) if len(row) and col in row else float("nan")

    def headline_share(self, area: Area, service_type: str = "dagligvaror") -> float:
        return self.access_of(area, service_type, share_col(HEADLINE_KM))

    # ---- closure -------------------------------------------------------------------------------------
    def closure(self, service_type: str) -> pd.DataFrame:
        """The area's points of ``service_type`` with the people their closure alone would push
        beyond the closure distance and the people they serve (the build's ranking)."""
        c = self._of_area("closure")
        return c[c["service_type"] == service_type]

    def closure_points(self, service_type: str) -> pd.DataFrame:
        """The closure figures of the area's points with their place, kommun name and a label
        that tells points of one name apart."""
        pts = catalogue.read(self.p, "service")
        pts = pts.loc[pts["service_type"] == service_type, ["point_id", "x", "y"]]
        from lansanalys import geo

        names = geo.kommuner().set_index("kommun_kod")["kommun"]
        c = self.closure(service_type).merge(pts, on="point_id", how="inner")
        c = c.assign(kommun=c["kommun_kod"].map(names))
        if "complete" not in c:
            c["complete"] = True
        # A point whose people the service files cannot all answer for has no figure: its
        # count would be too low (the build's closure.complete).
        c["complete"] = c["complete"].fillna(False).astype(bool)
        c.loc[~c["complete"], ["pushed_beyond", "served"]] = float("nan")
        return c.assign(display=unique_labels(c))

    @cached_property
    def scenarios(self) -> pd.DataFrame | None:
        """The build's closure scenarios of the area (most critical point per type), or None."""
        if not catalogue.exists(self.p, "scenarios"):
            return None
        s = catalogue.read(self.p, "scenarios")
        return s[(s["code"] == self.area.code) & (s["level"] == self.area.level)]

    # ---- change ------------------------------------------------------------------------------------
    def change_of(self, areas: Sequence[Area]) -> pd.DataFrame:
        """Population change of ``areas`` over the span of the key figures: ``code, name,
        start, end, change, change_pct``; NaN change with one year of data
        (``attrs["start_year"]`` is then None) or where the start year is partial."""
        span = self.span
        rows = [
            {
                "code": a.code,
                "name": a.name,
                "start": self.total_of(a, self.year - span) if span else float("nan"),
                "end": self.total_of(a, self.year),
            }
            for a in areas
        ]
        out = pd.DataFrame(rows)
        out["change"] = out["end"] - out["start"]
        out["change_pct"] = 100 * out["change"] / out["start"]
        out.attrs.update(start_year=self.year - span if span else None, end_year=self.year)
        return out

    @cached_property
    def children_change(self) -> pd.DataFrame:
        """Change of each child (the län's kommuner, the 21 län); a kommun: its siblings."""
        kids = self.area.children or self.area.siblings
        return self.change_of(kids)

    # ---- support -----------------------------------------------------------------------------------
    @cached_property
    def has_support(self) -> bool:
        return catalogue.exists(self.p, "stod") and "stod" in self.meta.get("years", {})

    @cached_property
    def support(self) -> pd.DataFrame:
        """The grants paid in the area."""
        return self._of_area("stod")

    @property
    def support_period(self) -> tuple[int, int]:
        """First and last year of the support data (the whole list, not only this area's)."""
        first, last = self.meta["years"]["stod"]
        return int(first), int(last)

    def support_years(self) -> str:
        first, last = self.support_period
        return f"{first}–{last}" if last > first else str(first)

    @cached_property
    def support_per_kommun(self) -> pd.DataFrame:
        """Kr per inhabitant and year of every kommun in the country (0 kr where nothing was
        paid; no figure where the population is incomplete): the one definition,
        :func:`lansanalys.analysis.support.per_inhabitant_year`."""
        grants = catalogue.read(self.p, "stod")
        return cuts.support_per_kommun(self.befolkning, grants, self.support_period).reset_index()

    @cached_property
    def _support_by_kommun(self) -> dict[str, tuple[float, float, float]]:
        """Kommun code → (kr, person-years, latest population), for summing over areas."""
        per = cuts.support_per_kommun(
            self.befolkning, catalogue.read(self.p, "stod"), self.support_period
        )
        values = zip(per["amount_sek"], per["person_years"], per["population"], strict=True)
        return {k: tuple(float(x) for x in v) for k, v in zip(per.index, values, strict=True)}

    def _support_of(self, codes: Sequence[str], code: str, name: str) -> dict:
        """Support per inhabitant and year of a set of kommuner: their money over their
        person-years; no figure where any of them has a partial population."""
        nan = float("nan")
        parts = [self._support_by_kommun.get(k, (nan, nan, nan)) for k in codes]
        money = float(np.nansum([part[0] for part in parts]))
        years = [part[1] for part in parts]
        total = nan if any(np.isnan(y) for y in years) else float(sum(years))
        return {
            "code": code,
            "name": name,
            "amount_sek": money,
            "person_years": total,
            "population": float(np.nansum([part[2] for part in parts])),
            "sek_per_capita_year": money / total if total else nan,
        }

    def support_per(self, areas: Sequence[Area]) -> pd.DataFrame:
        """Support per inhabitant and year of ``areas`` (any level; the kommungrupp via
        :meth:`support_per_group`)."""
        return pd.DataFrame(
            [self._support_of(a.kommun_codes, a.code, self.name_of(a)) for a in areas]
        )

    def support_per_group(self) -> pd.Series | None:
        """The kommun's group's support per inhabitant and year, or None without a grouping."""
        if not self.group_peers:
            return None
        return pd.Series(
            self._support_of(self.group_peers, self.group, f"Kommungruppen {self.group}")
        )

    # ---- demography tables ------------------------------------------------------------------------
    @cached_property
    def projection(self) -> pd.DataFrame | None:
        """Projected population of the area's kommuner, or None when the build made none for
        all of them (a partial projection is no projection of the area)."""
        return self.projection_of(self.area)

    def projection_of(self, area: Area) -> pd.DataFrame | None:
        """Projected population of any area's kommuner, or None when the build made none for
        all of them."""
        if not catalogue.exists(self.p, "prognos"):
            return None
        proj = cuts.area_rows(self.p, "prognos", area.level, area.code, area.filters())
        return proj if set(area.kommun_codes) <= set(proj["kommun_kod"].unique()) else None

    @cached_property
    def components_raw(self) -> pd.DataFrame | None:
        """The area's rows of the components file (kommun × year × component), or None."""
        if not catalogue.exists(self.p, "forandringar"):
            return None
        return catalogue.read(self.p, "forandringar", filters=self.area.filters())

    def dependency_in(self, pop: pd.DataFrame) -> float:
        """Demographic dependency ratio of one year's rows (SCB's form, per 100 aged 20–64)."""
        # :func:`demography.dependency_ratio` for one group, without a groupby (asked often).
        working = pop["age"].between(20, 64).to_numpy()
        people = pop["population"].to_numpy(dtype=float)
        return float(100 * np.nansum(people[~working]) / np.nansum(people[working]))

    # ---- orter ---------------------------------------------------------------------------------------
    @cached_property
    def orter(self) -> pd.DataFrame | None:
        """The build's orter of the area (one row per ort and one for "utanför orter")."""
        if not catalogue.exists(self.p, "orter"):
            return None
        return self._of_area("orter")
