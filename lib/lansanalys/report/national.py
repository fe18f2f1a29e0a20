"""The riksöversikt (index page): all 21 län side by side, with links to every report."""

from __future__ import annotations

import html
from dataclasses import dataclass
from functools import cached_property

import pandas as pd
import plotly.graph_objects as go
from IPython.display import HTML, Markdown

from lansanalys import catalogue, fmt, geo
from lansanalys.analysis import access, demography
from lansanalys.analysis.access import HEADLINE_KM, HEADLINE_MIN, share_col
from lansanalys.analysis.indicators import cells_with_distance
from lansanalys.catalogue import covered_lan
from lansanalys.config import (
    Paths,
    linkable_reports,
    paths,
)
from lansanalys.report import figures, maps
from lansanalys.report.blocks import DEMO_NOTE, MISSING, change_header, html_table, with_table
from lansanalys.report.data import read_indicators
from lansanalys.report.lan import LanReport
from lansanalys.report.text import (
    beyond_note,
    coverage_complete,
    distance_note,
    distance_phrase,
    limit_text,
    missing_note,
    missing_sentence,
    source_note,
    unreachable_or_missing,
)
from lansanalys.services import CASH_RULE_KM, SERVICE_TYPES


def national_overview(p: Paths | None = None) -> NationalOverview:
    """The riksöversikt (index page) object."""
    return NationalOverview(p or paths())


@dataclass
class NationalOverview:
    """All 21 län side by side; the index page of the report bundle."""

    p: Paths

    def __post_init__(self) -> None:
        self.meta = catalogue.read_meta(self.p)

    @cached_property
    def indicators(self) -> pd.DataFrame:
        """Headline indicators for all 21 län and riket ("00")."""
        return read_indicators(self.p, "lan")

    def title(self) -> Markdown:
        demo = any(k["demo"] for k in self.meta["kinds"].values())
        warn = f"\n\n> **{DEMO_NOTE}.**" if demo else ""
        return Markdown(
            "# Länsanalys – riksöversikt\n\nAlla 21 län sida vid sida, med länk till "
            "varje läns rapport." + warn
        )

    def fig_map(self) -> go.Figure | Markdown:
        ind = self.indicators.drop(index="00")
        gdf = catalogue.read(self.p, "lan_geo").merge(ind, left_on="lan_kod", right_index=True)
        span = self.indicators.attrs["span"]
        years = catalogue.read(self.p, "befolkning", columns=["year"])["year"].unique()
        year = int(years.max())
        if not span:
            return missing_note(demography.series_needed(years, "Kartan över förändringen"))
        hover = [
            f"<b>{html.escape(n)}</b><br>{fmt.number(pop)} invånare<br>"
            f"{fmt.signed(c, 1, ' %')} på {span} år"
            for n, pop, c in zip(gdf["lan"], gdf["population"], gdf["change_n"], strict=True)
        ]
        grew = int((gdf["change_n"] > 0).sum())
        title = f"Befolkningen ökade i {grew} av 21 län {year - span}–{year}"
        fig = maps.choropleth(
            gdf,
            "change_n",
            "lan",
            hover,
            title,
            source_note(self.meta, ["befolkning"], f"{year - span}–{year}"),
            "Förändring, %",
            colorscale=figures.DIVERGING,
            midpoint=0.0,
        )
        maps.change_side_bars(
            fig,
            list(gdf["lan"]),
            gdf["change_n"],
            f"{year - span}–{year}",
            float(self.indicators.at["00", "change_n"]),
        )
        return with_table(fig, ind.reset_index())

    INDICATORS = {
        "mean_age": ("Medelålder", "år", 1),
        "share_65": ("Andel 65 år och äldre", "%", 1),
        "dependency": ("Försörjningskvot (per 100 i åldern 20–64)", "", 0),
        "grocery_over_10": (
            f"Andel som bor > {limit_text(HEADLINE_KM)} km från dagligvarubutik",
            "%",
            1,
        ),
    }

    def covered(self, service_type: str, lan_kod: str | None = None) -> bool:
        """Whether ``lan_kod`` (default: any län) has service data of ``service_type``."""
        codes = covered_lan(self.meta, service_type)
        return bool(codes) if lan_kod is None else lan_kod in codes

    def fig_indicator(self, col: str) -> go.Figure | Markdown:
        """Map of one headline indicator across the 21 län, highest and lowest named."""
        if col not in self.INDICATORS:
            raise ValueError(f"unknown indicator {col!r}; one of {list(self.INDICATORS)}")
        name, unit, dec = self.INDICATORS[col]
        ind = self.indicators.drop(index="00")
        note = ""
        if col == "grocery_over_10":
            if not self.covered("dagligvaror"):
                return Markdown(
                    f"*{html.escape(missing_sentence(self.meta, ['dagligvaror'], 'alla län'))}*"
                )
            n = len(covered_lan(self.meta, "dagligvaror"))
            if n < len(ind):
                note = (
                    f" Uppgift saknas för {len(ind) - n} län: servicefilerna täcker dem inte; "
                    f"riket avser de län som har uppgifter, {n} av {len(ind)}."
                )
        gdf = catalogue.read(self.p, "lan_geo").merge(ind, left_on="lan_kod", right_index=True)
        ranked = gdf.dropna(subset=[col]).sort_values(col)
        hi, lo = ranked.iloc[-1], ranked.iloc[0]
        suffix = f" {unit}" if unit else ""
        title = (
            f"{name}: högst i {hi['lan']} ({fmt.number(hi[col], dec)}{suffix}), lägst i "
            f"{lo['lan']} ({fmt.number(lo[col], dec)}{suffix})"
        )
        riket = self.indicators.at["00", col]
        hover = [
            f"<b>{html.escape(n)}</b><br>{fmt.number(v, dec)}{suffix} (riket "
            f"{fmt.number(riket, dec)}{suffix})"
            if v == v
            else f"<b>{html.escape(n)}</b><br>{MISSING}"
            for n, v in zip(gdf["lan"], gdf[col], strict=True)
        ]
        kinds = ["befolkning"] if col != "grocery_over_10" else ["rutor", "service"]
        if col == "grocery_over_10":
            note = " " + beyond_note(self.meta) + note
        fig = maps.choropleth(
            gdf,
            col,
            "lan",
            hover,
            title,
            source_note(self.meta, kinds) + note,
            f"{name.split(' (')[0]}",
        )
        maps.ranked_side_bars(
            fig,
            list(gdf["lan"]),
            gdf[col],
            lambda v: f"{fmt.number(v, dec)}{suffix}",
            f"{name.split(' (')[0]}{', ' + unit if unit else ''}",
            reference=(float(riket), "Riket"),
        )
        return with_table(fig, ind[[col]].reset_index())

    def ranked_table(self) -> HTML:
        """All 21 län ranked on each headline indicator (1 = highest)."""
        ind = self.indicators.drop(index="00").join(geo.lan().set_index("lan_kod"))
        df = pd.DataFrame({"Län": ind["lan"]})
        for col, (name, _unit, dec) in self.INDICATORS.items():
            # Only län with data are ranked; the others say so.
            rank = ind[col].rank(ascending=False, method="min")
            df[name] = [
                f"{fmt.number(v, dec)} ({int(r)})" if r == r else MISSING
                for v, r in zip(ind[col], rank, strict=True)
            ]
            if col == "grocery_over_10":
                df["Ej nåbar via väg (dagligvaror)"] = [
                    unreachable_or_missing(v) for v in ind["grocery_unreachable"]
                ]
        df = df.sort_values("Län")
        n = len(covered_lan(self.meta, "dagligvaror"))
        note = (
            f" Avstånd till dagligvaror: uppgift saknas för {len(ind) - n} län (servicefilerna "
            f"täcker dem inte); platsen gäller bland de {n} län som har uppgifter."
            if n < len(ind)
            else ""
        )
        return html_table(
            df,
            "Länen rangordnade på nyckeltalen: värde (plats av 21, 1 = högst)",
            source_note(self.meta, ["befolkning", "rutor", "service"])
            + " "
            + beyond_note(self.meta)
            + note,
            numeric=[c for c in df.columns if c != "Län"],
        )

    def lan_table(self) -> HTML:
        """Table of the 21 län with links to each report and headline indicators."""
        ind = self.indicators.drop(index="00").join(geo.lan().set_index("lan_kod"))

        def grocery(code: str, v: float) -> str:
            return fmt.percent(v) if self.covered("dagligvaror", code) else MISSING

        span = self.indicators.attrs["span"]
        table = pd.DataFrame(
            {
                "Län": ind["lan"],
                "Kod": ind.index,
                "Folkmängd": ind["population"].map(fmt.number),
                change_header(span): ind["change_n"].map(lambda v: fmt.signed(v, 1, " %")),
                "Medelålder": ind["mean_age"].map(lambda v: fmt.number(v, 1)),
                "Andel 65+": ind["share_65"].map(fmt.percent),
                f"> {limit_text(HEADLINE_KM)} km till dagligvaror": [
                    grocery(c, v) for c, v in ind["grocery_over_10"].items()
                ],
                "Ej nåbar via väg (dagligvaror)": ind["grocery_unreachable"].map(
                    unreachable_or_missing
                ),
            }
        )
        src = (
            source_note(self.meta, ["befolkning", "rutor", "service"])
            + " "
            + beyond_note(self.meta)
        )
        return html_table(
            table,
            "Länsrapporter",
            src,
            numeric=list(table.columns[1:]),
            links={"Län": [f"{s}.html" for s in ind["slug"]]},
            table_class="la-index",
            download=False,
        )

    def kommungrupp_table(self) -> HTML | Markdown:
        """Access to service per kommungrupp (riket), by road: shares beyond 10 km and the
        cash rule, with the population that cannot reach service by road."""
        if not catalogue.exists(self.p, "access_kommungrupp"):
            return Markdown(
                "*Ingen kommungruppering finns i data/raw/klassning/; tabellen per kommungrupp "
                "visas när den finns.*"
            )
        acc = catalogue.read(self.p, "access_kommungrupp")
        cash = catalogue.read(self.p, "cash_rule")
        cash = cash[(cash["level"] == "kommungrupp") & (cash["service_type"] == "kontantuttag")]
        cash = cash.set_index("code")
        # "> HEADLINE_MIN min" from the cells' car minutes, whatever classes the build drew; unreachable
        # counts as beyond (the one definition). Only cells of län with grocery data count.
        cells = cells_with_distance(self.p, self.meta, service_type="dagligvaror")
        kl = (
            catalogue.read(self.p, "klassning")
            .drop_duplicates("kommun_kod")
            .set_index("kommun_kod")
        )
        cells["kommungrupp"] = cells["kommun_kod"].map(kl["class_name"])
        mins = access.beyond_thresholds(
            cells, "kommungrupp", (HEADLINE_MIN,), "road_min", unit="min"
        )
        over10min = mins.set_index("kommungrupp")[share_col(HEADLINE_MIN, unit="min")]
        if acc.empty:
            return Markdown(
                f"*{html.escape(missing_sentence(self.meta, list(SERVICE_TYPES), 'alla län'))}*"
            )
        wide = acc.pivot(index="kommungrupp", columns="service_type", values=share_col(HEADLINE_KM))
        # Types without data anywhere are not in the table: their cells say so.
        grocery = "dagligvaror" if "dagligvaror" in set(acc["service_type"]) else None
        pop = acc[acc["service_type"] == (grocery or acc["service_type"].iloc[0])]
        pop = pop.set_index("kommungrupp")

        def share(st: str, g: str) -> str:
            return fmt.percent(wide.at[g, st]) if st in wide.columns else MISSING

        rows = []
        for g in sorted(wide.index):
            rows.append(
                {
                    "Kommungrupp": g,
                    "Invånare": fmt.number(pop.at[g, "population"]),
                    f"Dagligvaror > {limit_text(HEADLINE_KM)} km": share("dagligvaror", g),
                    f"Dagligvaror > {limit_text(HEADLINE_MIN)} min": fmt.percent(
                        over10min.get(g, float("nan"))
                    )
                    if grocery
                    else MISSING,
                    f"Apotek > {limit_text(HEADLINE_KM)} km": share("apotek", g),
                    f"Kontantuttag > {limit_text(CASH_RULE_KM)} km": fmt.percent(
                        cash.at[g, f"share_over_{CASH_RULE_KM:g}km"], 2
                    )
                    if g in cash.index
                    else MISSING,
                    "Ej nåbar via väg": fmt.number(pop.at[g, "population_unreachable"])
                    if grocery
                    else MISSING,
                }
            )
        df = pd.DataFrame(rows)
        scheme = catalogue.read(self.p, "klassning")["scheme"].iloc[0]
        where = "i hela landet"
        if not coverage_complete(self.meta):
            n = {st: len(covered_lan(self.meta, st)) for st in SERVICE_TYPES}
            where = (
                f"i de län som har uppgifter (dagligvaror {n['dagligvaror']}, apotek "
                f"{n['apotek']} och kontantuttag {n['kontantuttag']} av {len(geo.lan_codes())} län)"
            )
        gaps = [t for t in ("dagligvaror", "apotek", "kontantuttag") if not self.covered(t)]
        return html_table(
            df,
            f"Tillgänglighet per kommungrupp {where} ({scheme}), {distance_phrase(self.meta)}",
            source_note(self.meta, ["rutor", "service", "vagnat", "klassning"])
            + " "
            + distance_note(self.meta)
            + " "
            + beyond_note(self.meta)
            + (" " + missing_sentence(self.meta, gaps, "alla län") if gaps else ""),
            numeric=[c for c in df.columns if c != "Kommungrupp"],
        )

    def kommun_links(self) -> HTML:
        """Links to the kommun reports that exist in this bundle, grouped by län."""
        linkable = linkable_reports()
        kom = geo.kommuner()
        kom = kom[(kom["slug"] + ".html").isin(linkable)]
        if kom.empty:
            return HTML(
                "<p>Inga kommunrapporter i den här samlingen; de skapas med "
                "<code>lansanalys render --kommuner</code>.</p>"
            )
        parts = []
        for lan_name, g in kom.groupby("lan", sort=False):
            links = ", ".join(
                f'<a href="{html.escape(sl)}.html">{html.escape(n)}</a>'
                for sl, n in zip(g["slug"], g["kommun"], strict=True)
            )
            parts.append(f"<li><strong>{html.escape(lan_name)}:</strong> {links}</li>")
        return HTML(f'<ul class="la-kommunlist">{"".join(parts)}</ul>')

    def about(self) -> HTML:
        return LanReport(geo.lan_codes()[0], p=self.p).about()
