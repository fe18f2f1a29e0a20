"""Stöd: support per inhabitant, per programme, per kommungrupp and against need."""

from __future__ import annotations

import html
from functools import cached_property

import pandas as pd
import plotly.graph_objects as go
from IPython.display import Markdown

from lansanalys import catalogue, fmt
from lansanalys.analysis import support
from lansanalys.analysis.access import HEADLINE_KM, share_col
from lansanalys.report import figures, maps
from lansanalys.report.blocks import with_table
from lansanalys.report.text import beyond_note, limit_text

#: A rank correlation above this is called a tendency in the figure's title.
NOTEWORTHY_CORRELATION = 0.3


class SupportChapter:
    """Methods of :class:`~lansanalys.report.lan.LanReport` for this chapter."""

    # ---- Stöd --------------------------------------------------------------------------------
    @cached_property
    def support(self) -> pd.DataFrame:
        return catalogue.read(self.p, "stod", filters=[("lan_kod", "==", self.lan_kod)])

    @property
    def support_period(self) -> tuple[int, int]:
        """First and last year of the support data (the whole list, not only this län's grants)."""
        first, last = self.meta["years"]["stod"]
        return int(first), int(last)

    def _support_years(self) -> str:
        first, last = self.support_period
        return f"{first}–{last}" if last > first else str(first)

    @cached_property
    def support_per_kommun(self) -> pd.DataFrame:
        """Kr per invånare och år for every kommun of the län (0 kr where no grant was paid)."""
        return support.per_inhabitant_year(
            self.support, self.lan_pop, self.kommuner["kommun_kod"], self.support_period
        )

    def fig_support_map(self) -> go.Figure:
        """Support per inhabitant and year per kommun (all programmes)."""
        per = self.support_per_kommun
        gdf = self.kommun_geo.merge(per, on="kommun_kod", how="left", validate="1:1")
        top = gdf.sort_values("sek_per_capita_year").iloc[-1]
        title = (
            f"Mest stöd per invånare: {top['kommun']}, {fmt.number(top['sek_per_capita_year'])} "
            f"kr per invånare och år ({self._support_years()})"
        )
        hover = [
            f"<b>{html.escape(k)}</b><br>{fmt.number(v)} kr per invånare och år<br>"
            f"{fmt.number(a / 1e6, 1)} mnkr totalt"
            for k, v, a in zip(
                gdf["kommun"], gdf["sek_per_capita_year"], gdf["amount_sek"], strict=True
            )
        ]
        fig = maps.choropleth(
            gdf,
            "sek_per_capita_year",
            "kommun",
            hover,
            title,
            self.source("stod", year=self._support_years()),
            "kr per invånare och år",
        )
        maps.ranked_side_bars(
            fig,
            list(gdf["kommun"]),
            gdf["sek_per_capita_year"],
            fmt.number,
            "Kr per invånare och år",
        )
        return with_table(fig, per)

    def fig_support_programmes(self) -> go.Figure:
        """Support per year and programme in the län (million SEK)."""
        d = self.support.groupby(["year", "programme"], as_index=False)["amount_sek"].sum()
        d["mnkr"] = d["amount_sek"] / 1e6
        by_prog = d.groupby("programme")["mnkr"].sum().sort_values(ascending=False)
        d["programme"] = pd.Categorical(d["programme"], list(by_prog.index))
        d = d.sort_values(["programme", "year"])
        title = (
            f"{by_prog.index[0]} är det största stödet i {self.lan_namn}: "
            f"{fmt.number(by_prog.iloc[0], 0)} mnkr {self._support_years()}"
        )
        fig = figures.stacked_bars(
            d,
            "year",
            "programme",
            "mnkr",
            title,
            self.source("stod", year=self._support_years()),
            "Miljoner kronor",
        )
        return with_table(fig, d)

    def fig_support_vs_need(self) -> go.Figure | Markdown:
        """Support per inhabitant against access gaps, coloured by population change."""
        if not self.covered("dagligvaror"):
            return self._missing_block("dagligvaror")
        need = support.against_need(self.support_per_kommun, self.access_kommun, self.kommun_change)
        need["sek_year"] = need["sek_per_capita_year"]
        need = need.merge(self.kommuner[["kommun_kod", "kommun"]], on="kommun_kod")
        if len(need) >= 3:
            corr = need["sek_year"].corr(need[share_col(HEADLINE_KM)], method="spearman")
            tend = (
                "går mer stöd per invånare"
                if corr > NOTEWORTHY_CORRELATION
                else "går inte tydligt mer stöd per invånare"
            )
            title = (
                f"Till kommuner där fler bor långt från dagligvaror {tend} "
                f"(rangkorrelation {fmt.number(corr, 2)})"
            )
        else:  # one or two kommuner: a correlation would say nothing
            r = need.iloc[0]
            title = (
                f"{r['kommun']}: {fmt.number(r['sek_year'])} kr stöd per invånare och år, "
                f"{fmt.percent(r[share_col(HEADLINE_KM)])} bor > {limit_text(HEADLINE_KM)} km från "
                "dagligvaror"
            )
        fig = figures.bubble_scatter(
            need,
            share_col(HEADLINE_KM),
            "sek_year",
            "population",
            "change_pct",
            "kommun",
            title,
            self.source("stod", "rutor", "service", year=self._support_years())
            + " "
            + beyond_note(self.meta),
            f"Andel > {limit_text(HEADLINE_KM)} km till dagligvaror (ej nåbara inräknade), %",
            "Stöd, kr per invånare och år",
            "Befolkningsförändring, %",
        )
        return with_table(fig, need)

    def fig_support_by_group(self) -> go.Figure | Markdown:
        """Each kommungrupp's share of the län's support against its share of the population."""
        if not catalogue.exists(self.p, "klassning"):
            return Markdown(
                "*Ingen kommungruppering finns i data/raw/klassning/ (t.ex. SKR:s "
                "kommungruppsindelning); jämförelsen per kommungrupp visas när den "
                "finns.*"
            )
        kl = catalogue.read(self.p, "klassning")
        groups = (
            kl.set_index("kommun_kod")["class_code"]
            + " "
            + kl.set_index("kommun_kod")["class_name"]
        )
        mine = groups.reindex(self.kommuner["kommun_kod"])
        sh = support.share_by_group(self.support, self.lan_pop, mine).sort_values("group")
        long = pd.concat(
            [
                sh.assign(measure="Andel av befolkningen", value=sh["population_share"]),
                sh.assign(measure="Andel av stödet", value=sh["support_share"]),
            ]
        )
        top = sh.sort_values("ratio").iloc[-1]
        title = (
            f"{top['group']} får {fmt.number(top['support_share'], 0)} % av stödet men har "
            f"{fmt.number(top['population_share'], 0)} % av befolkningen"
        )
        scheme = kl["scheme"].iloc[0]
        fig = figures.grouped_shares(
            long,
            "group",
            "measure",
            "value",
            title,
            self.source("stod", "befolkning", year=self._support_years())
            + f" Gruppering: {scheme}.",
        )
        return with_table(fig, sh)
