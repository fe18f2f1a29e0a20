"""Data access for one area: the processed tables filtered to one län, read once and cached,
its indicators and ranks among the 21 län, and the notes on where its data come from.

:class:`LanData` is what every chapter of the län report reads, and what the kommun deep dive
reads for the kommun's län: one code path for both.
"""

from __future__ import annotations

import html
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property

import geopandas as gpd
import pandas as pd
from IPython.display import Markdown

from lansanalys import catalogue, fmt, geo
from lansanalys.analysis import access
from lansanalys.analysis.indicators import cells_with_distance
from lansanalys.catalogue import covered_lan
from lansanalys.config import DEFAULT_THRESHOLDS_KM, Paths, paths
from lansanalys.report.blocks import DEMO_NOTE, MISSING, editorial
from lansanalys.report.text import (
    EXTRACT_NOTE,
    beyond_note,
    by_road,
    distance_note,
    missing_sentence,
    source_note,
)
from lansanalys.services import SERVICE_TYPES

#: Service points this far (m) outside the län are kept: people cross county borders.
NEARBY_POINTS_M = 25_000


def read_indicators(p: Paths, level: str, lan_kod: str | None = None) -> pd.DataFrame:
    """The build's headline indicators of every län (``level="lan"``, riket as "00") or of the
    kommuner (of ``lan_kod``), indexed by code; ``attrs["span"]`` is the change's years."""
    filters = [("level", "==", level)] + ([("lan_kod", "==", lan_kod)] if lan_kod else [])
    df = catalogue.read(p, "indicators", filters=filters)
    out = df.drop(columns=["level", "lan_kod", "span"]).set_index("code")
    out.index.name = None
    out.attrs["span"] = int(df["span"].iloc[0])
    return out


@dataclass
class LanData:
    """The data of one län (``lan_kod``), filtered from the national tables as they are needed.

    Parameters
    ----------
    lan_kod : str
        Two-character län code ("08" Kalmar län); an integer from a notebook parameter is padded.
    thresholds_km : tuple of float
        Distance thresholds for the access tables (km, "more than"). Any positive number works:
        thresholds the build did not precompute are computed from the cells' distances.
    """

    lan_kod: str
    thresholds_km: tuple[float, ...] = DEFAULT_THRESHOLDS_KM
    p: Paths = field(default_factory=paths)

    def __post_init__(self) -> None:
        self.lan_kod = geo.lan_parameter(self.lan_kod)
        self.thresholds_km = access.check_thresholds(self.thresholds_km, "km")
        self.lan_namn = geo.lan_name(self.lan_kod)
        self.started = time.time()
        self.meta = catalogue.read_meta(self.p)

    # ---- data ---------------------------------------------------------------------------
    @cached_property
    def befolkning(self) -> pd.DataFrame:
        """The national population table (all kommuner, all years)."""
        return catalogue.read(self.p, "befolkning")

    @property
    def year(self) -> int:
        return int(self.befolkning["year"].max())

    @cached_property
    def years(self) -> list[int]:
        """The years of the population data, sorted."""
        return sorted(int(y) for y in self.befolkning["year"].unique())

    @cached_property
    def kommuner(self) -> pd.DataFrame:
        return geo.kommuner()[geo.kommuner()["lan_kod"] == self.lan_kod]

    @cached_property
    def lan_pop(self) -> pd.DataFrame:
        return self.befolkning[self.befolkning["lan_kod"] == self.lan_kod]

    @cached_property
    def cells(self) -> pd.DataFrame:
        """Populated cells of the län with their nearest distance per service type (wide, km)."""
        flt = [("lan_kod", "==", self.lan_kod)]
        rutor = catalogue.read(self.p, "rutor", filters=flt)
        near = catalogue.read(self.p, "nearest", filters=flt)
        col = "road_m" if by_road(self.meta) else "dist_m"
        wide = near.pivot(index="cell_id", columns="service_type", values=col) / 1000.0
        return rutor.merge(wide, left_on="cell_id", right_index=True, how="left")

    @cached_property
    def access_classes(self) -> pd.DataFrame:
        """Population per access class (road km, car minutes, straight km) for the län's areas."""
        codes = ["00", self.lan_kod, *self.kommuner["kommun_kod"]]
        return catalogue.read(self.p, "access_klasser", filters=[("code", "in", codes)])

    @cached_property
    def service(self) -> pd.DataFrame:
        """Service points in the län and within :data:`NEARBY_POINTS_M` of it (people cross county
        borders)."""
        pts = catalogue.read(self.p, "service")
        x0, y0, x1, y1 = self.kommun_geo.total_bounds
        m = NEARBY_POINTS_M
        return pts[pts["x"].between(x0 - m, x1 + m) & pts["y"].between(y0 - m, y1 + m)]

    @cached_property
    def kommun_geo(self) -> gpd.GeoDataFrame:
        return catalogue.read(self.p, "kommun_geo", filters=[("lan_kod", "==", self.lan_kod)])

    @cached_property
    def access_kommun(self) -> pd.DataFrame:
        return catalogue.read(
            self.p,
            "access_kommun",
            filters=[("kommun_kod", "in", self.kommuner["kommun_kod"].tolist())],
        )

    @cached_property
    def access_lan(self) -> pd.DataFrame:
        return catalogue.read(self.p, "access_lan")

    @cached_property
    def access_riket(self) -> pd.DataFrame:
        return catalogue.read(self.p, "access_riket")

    def source(self, *kinds: str, year: int | str | None = None) -> str:
        return source_note(self.meta, list(kinds), year)

    def access_source(self) -> str:
        """Source and method note under every access figure and table."""
        text = (
            self.source("rutor", "service", "vagnat")
            + " "
            + distance_note(self.meta)
            + " "
            + beyond_note(self.meta)
        )
        if self.lan_kod in self.meta.get("coverage", {}).get("extract", []):
            text += " " + EXTRACT_NOTE
        return text

    def covered(self, service_type: str) -> bool:
        """Whether the län has service data of ``service_type`` (else: "uppgift saknas")."""
        return self.lan_kod in covered_lan(self.meta, service_type)

    def missing(self, *types: str) -> str:
        """The sentence said instead of a figure for types without data in the län ("" if none)."""
        gaps = [t for t in (types or SERVICE_TYPES) if not self.covered(t)]
        return missing_sentence(self.meta, gaps, self.lan_namn)

    def _missing_block(self, *types: str) -> Markdown:
        return Markdown(f"*{html.escape(self.missing(*types))}*")

    @cached_property
    def lan_cells(self) -> pd.DataFrame:
        """The län's cells × service types (long): distances and people, for any threshold."""
        return cells_with_distance(self.p, self.meta, [("lan_kod", "==", self.lan_kod)])

    @cached_property
    def riket_cells(self) -> pd.DataFrame:
        """Every cell × service type of the country (read only when a threshold needs it)."""
        return cells_with_distance(self.p, self.meta).assign(riket="00")

    def beyond(self, level: str, thresholds: Sequence[float], unit: str = "km") -> pd.DataFrame:
        """Access per area with the population and share beyond each threshold.

        Parameters
        ----------
        level : {"kommun", "lan", "riket"}
            The län's kommuner, this län, or riket.
        thresholds : sequence of float
            Limits in ``unit`` ("beyond" = strictly more than).
        unit : {"km", "min"}
            Road km (straight-line km without a network) or car minutes.

        Returns
        -------
        DataFrame
            The build's access table for ``level`` with ``population_share_over_<t><unit>``
            (and counts, 70+) for every threshold. The build's columns are used where it
            precomputed the threshold; any other is computed here from the cells' distances with
            :func:`lansanalys.analysis.access.beyond_thresholds`, the same definition.
        """
        thresholds = access.check_thresholds(thresholds, unit)
        if level == "kommun":
            key, table = "kommun_kod", self.access_kommun
        elif level == "lan":
            key, table = "lan_kod", self.access_lan[self.access_lan["lan_kod"] == self.lan_kod]
        elif level == "riket":
            key, table = "riket", self.access_riket.assign(riket="00")
        else:
            raise ValueError(f"level must be 'kommun', 'lan' or 'riket', not {level!r}")
        need = [t for t in thresholds if f"population_share_over_{t:g}{unit}" not in table]
        if not need:
            return table
        if unit == "min" and not by_road(self.meta):
            raise ValueError("car minutes need a road network (data/raw/vagnat/)")
        cells = self.riket_cells if level == "riket" else self.lan_cells
        col = "road_min" if unit == "min" else ("road_m" if by_road(self.meta) else "dist_m")
        fresh = access.beyond_thresholds(
            cells, key, need, dist_col=col, pop_cols=("population", "pop_70plus"), unit=unit
        )
        made = [
            f"{pc}_{what}_{t:g}{unit}"
            for pc in ("population", "pop_70plus")
            for what in ("over", "share_over")
            for t in need
        ]
        return table.merge(
            fresh[[key, "service_type", *made]], on=[key, "service_type"], how="left"
        )

    # ---- indicators ----------------------------------------------------------------------
    def closure(self, service_type: str) -> pd.DataFrame:
        """The län's points of ``service_type`` with the people their closure would push beyond
        the closure distance, and the people they serve (the build's closure ranking)."""
        return catalogue.read(
            self.p,
            "closure",
            filters=[("lan_kod", "==", self.lan_kod), ("service_type", "==", service_type)],
        )

    @cached_property
    def lan_indicators(self) -> pd.DataFrame:
        """Headline indicators for all 21 län (to rank this one) and riket ("00")."""
        return read_indicators(self.p, "lan")

    def _rank(self, col: str) -> str:
        s = self.lan_indicators.drop(index="00")[col].dropna()  # only län with data are ranked
        if self.lan_kod not in s.index:
            return MISSING
        rank = int(s.rank(ascending=False, method="min")[self.lan_kod])
        return fmt.ranking_phrase(rank, len(s))

    # ---- cells of the report -------------------------------------------------------------
    def comment(self, chapter: str) -> Markdown:
        """Editorial text for ``chapter`` from data/raw/kommentarer/<lan_kod>.md, if any."""
        return editorial(self.p, self.lan_kod, chapter)

    def title(self) -> Markdown:
        """Report heading."""
        demo = any(k["demo"] for k in self.meta["kinds"].values())
        sub = f"Befolkning, tillgång till service och stöd · data t.o.m. {self.year}"
        warn = (
            f"\n\n> **{DEMO_NOTE}.** Rapporten bygger helt eller delvis på exempeldata som "
            "kitet genererat; se *Om data och metod* för vilka delar som är verkliga."
            if demo
            else ""
        )
        return Markdown(f"# {html.escape(self.lan_namn)} – nutid och framtid\n\n{sub}{warn}")
