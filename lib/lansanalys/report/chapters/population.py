"""Befolkning i dag and Framtid: pyramids, change per kommun, components of change and the
projection.
"""

from __future__ import annotations

import html
from functools import cached_property

import pandas as pd
import plotly.graph_objects as go
from IPython.display import Markdown

from lansanalys import catalogue, fmt
from lansanalys.analysis import components, demography
from lansanalys.report import figures, maps
from lansanalys.report.blocks import with_table
from lansanalys.report.text import kommun_names, missing_note


class PopulationChapter:
    """Methods of :class:`~lansanalys.report.lan.LanReport` for this chapter."""

    def fig_pyramid(self) -> go.Figure:
        """Age pyramid of the län against riket, in percent of each total."""
        last = self.befolkning[self.befolkning["year"] == self.year]
        region = demography.pyramid_shares(self.lan_pop[self.lan_pop["year"] == self.year])
        riket = demography.pyramid_shares(last)
        ind = self.lan_indicators
        a, b = ind.at[self.lan_kod, "share_65"], ind.at["00", "share_65"]
        more = "större" if a > b else "mindre"
        title = (
            f"{self.lan_namn}: {fmt.percent(a)} är 65 år eller äldre – en {more} andel än "
            f"i riket ({fmt.percent(b)}), {self.year}"
        )
        fig = figures.pyramid(
            region, riket, self.lan_namn, "Riket", title, self.source("befolkning", year=self.year)
        )
        return with_table(
            fig, pd.concat([region.assign(område=self.lan_namn), riket.assign(område="Riket")])
        )

    def fig_pyramid_then(self) -> go.Figure | Markdown:
        """Age pyramid of the län now against the same län in the first year of the data."""
        if len(self.years) < 2:
            return missing_note(
                demography.series_needed(self.years, "Jämförelsen med ett tidigare år")
            )
        first = int(self.lan_pop["year"].min())
        now = demography.pyramid_shares(self.lan_pop[self.lan_pop["year"] == self.year])
        then = demography.pyramid_shares(self.lan_pop[self.lan_pop["year"] == first])
        old_now = now[now["age_lo"] >= 80]["share"].sum()
        old_then = then[then["age_lo"] >= 80]["share"].sum()
        title = (
            f"{self.lan_namn}: andelen 80 år och äldre {fmt.percent(old_then)} {first} → "
            f"{fmt.percent(old_now)} {self.year}"
        )
        fig = figures.pyramid(
            now,
            then,
            f"{self.lan_namn} {self.year}",
            f"{self.lan_namn} {first}",
            title,
            self.source("befolkning", year=f"{first} och {self.year}"),
        )
        return with_table(fig, pd.concat([now.assign(year=self.year), then.assign(year=first)]))

    @cached_property
    def kommun_change(self) -> pd.DataFrame:
        """Change per kommun over the span of the key figures (``kommun_kod, start, end, change,
        change_pct, kommun``); with one year of data the change columns are NaN and
        ``attrs["start_year"]`` is None."""
        span = self.lan_indicators.attrs["span"]
        if span:
            ch = demography.change(self.lan_pop, "kommun_kod", span)
        else:
            now = self.lan_pop[self.lan_pop["year"] == self.year]
            ch = now.groupby("kommun_kod", as_index=False)["population"].sum()
            ch = ch.rename(columns={"population": "end"}).assign(
                start=float("nan"), change=float("nan"), change_pct=float("nan")
            )[["kommun_kod", "start", "end", "change", "change_pct"]]
        ch = ch.merge(self.kommuner[["kommun_kod", "kommun"]], on="kommun_kod")
        ch.attrs.update(start_year=self.year - span if span else None, end_year=self.year)
        return ch

    def fig_change_map(self) -> go.Figure | Markdown:
        """Map of population change per kommun over the last (up to) ten years."""
        ch = self.kommun_change
        if ch.attrs["start_year"] is None:
            return missing_note(demography.series_needed(self.years, "Kartan över förändringen"))
        y0, y1 = ch.attrs["start_year"], ch.attrs["end_year"]
        gdf = self.kommun_geo.merge(ch, on=["kommun_kod", "kommun"])
        hover = [
            f"<b>{html.escape(k)}</b><br>{fmt.number(s)} → {fmt.number(e)} invånare<br>"
            f"{fmt.signed(c, 1, ' %')}"
            for k, s, e, c in zip(
                gdf["kommun"], gdf["start"], gdf["end"], gdf["change_pct"], strict=True
            )
        ]
        grew = int((ch["change"] > 0).sum())
        title = f"Befolkningen ökade i {grew} av {len(ch)} kommuner {y0}–{y1}"
        fig = maps.choropleth(
            gdf,
            "change_pct",
            "kommun",
            hover,
            title,
            self.source("befolkning", year=f"{y0}–{y1}"),
            "Förändring, %",
            colorscale=figures.DIVERGING,
            midpoint=0.0,
        )
        maps.change_side_bars(
            fig,
            list(gdf["kommun"]),
            gdf["change_pct"],
            f"{y0}–{y1}",
            float(self.lan_indicators.at["00", "change_n"]),
        )
        return with_table(fig, ch)

    # ---- Framtid ---------------------------------------------------------------------------
    AGE_GROUPS = (
        ("0–19 år", 0, 19),
        ("20–64 år", 20, 64),
        ("65–79 år", 65, 79),
        ("80+ år", 80, 100),
    )

    def _groups(self, pop: pd.DataFrame) -> pd.DataFrame:
        # A year missing from the data stays empty (NaN), so lines break over the gap.
        every = pd.RangeIndex(int(pop["year"].min()), int(pop["year"].max()) + 1, name="year")
        parts = []
        for name, lo, hi in self.AGE_GROUPS:
            d = pop[pop["age"].between(lo, hi)].groupby("year")["population"].sum()
            parts.append(d.reindex(every).reset_index().assign(group=name))
        return pd.concat(parts, ignore_index=True)

    @cached_property
    def projection(self) -> pd.DataFrame | None:
        """Projected population of the län's kommuner; None when the build could not make one."""
        if not catalogue.exists(self.p, "prognos"):
            return None
        proj = catalogue.read(self.p, "prognos", filters=[("lan_kod", "==", self.lan_kod)])
        return proj if set(self.kommuner["kommun_kod"]) <= set(proj["kommun_kod"]) else None

    @cached_property
    def components_raw(self) -> pd.DataFrame | None:
        """The län's rows of the components file (kommun × year × component), or None."""
        if not catalogue.exists(self.p, "forandringar"):
            return None
        return catalogue.read(self.p, "forandringar", filters=[("lan_kod", "==", self.lan_kod)])

    @cached_property
    def components(self) -> pd.DataFrame | None:
        """Births, deaths and migration of the län per year, or None when not supplied."""
        df = self.components_raw
        if df is None or df.empty:
            return None
        return components.components(df, df.set_index("kommun_kod")["lan_kod"].to_dict())

    def fig_components(self) -> go.Figure | Markdown:
        """Components of change: natural increase, domestic and international net migration.

        Only the parts the file supports are drawn; the note says which are left out and which
        of SCB's components they would need.
        """
        raw, c = self.components_raw, self.components
        if c is None or c.empty:
            return Markdown(
                "*Födda, döda och flyttningar finns inte i data/raw/forandringar/ (SCB:s tabell "
                "Befolkningsförändringar efter region, förändringar och kön, BE0101J).*"
            )
        lacking = sorted(set(self.kommuner["kommun_kod"]) - set(raw["kommun_kod"]))
        if lacking:
            return missing_note(
                f"Födda, döda och flyttningar saknas för {len(lacking)} av länets "
                f"{len(self.kommuner)} kommuner ({kommun_names(lacking)}) i "
                "data/raw/forandringar/; länets summa kan inte visas."
            )
        missing = components.missing_parts(raw)
        parts = components.parts_to_show(missing)
        has_total = "folkokning" not in missing
        if not parts and not has_total:
            return missing_note(
                "Filen i data/raw/forandringar/ har varken folkökning eller både födda och döda "
                "eller in- och utflyttningar; inga delar av befolkningsförändringen kan visas."
            )
        y0, y1 = int(c["year"].min()), int(c["year"].max())
        period = str(y0) if y0 == y1 else f"{y0}–{y1}"

        def total(col: str) -> str:
            return fmt.signed(c[col].sum(skipna=False), 0)

        words = {
            "fodelseoverskott": "födelseöverskott",
            "inrikes_netto": "inrikes flyttnetto",
            "utrikes_netto": "utrikes flyttnetto",
            "flyttnetto": "flyttnetto",
        }
        shown = [f"{w} {total(k)}" for k, w in words.items() if k in parts]
        head = f"{self.lan_namn} {period}: "
        if has_total:
            title = head + f"folkökning {total('folkokning')}"
            if shown:
                title += ", varav " + ", ".join(shown[:-1])
                title += (" och " if len(shown) > 1 else "") + shown[-1]
        else:
            title = head + ", ".join(shown)
        notes = []
        for part, label in (
            ("fodelseoverskott", "Födelseöverskott"),
            ("inrikes_netto", "Inrikes flyttnetto"),
            ("utrikes_netto", "Utrikes flyttnetto"),
            ("folkokning", "Folkökning"),
        ):
            if part in missing:
                need = " och ".join(components.SWEDISH[x] for x in missing[part])
                notes.append(f"{label} visas inte: filen saknar {need}.")
        fig = figures.component_bars(
            c,
            parts,
            "folkokning" if has_total else None,
            title,
            self.source("forandringar", year=period)
            + " Inrikes flyttnetto = inflyttade − utflyttade utom in- och utvandring; flyttningar "
            "mellan länets kommuner tar ut varandra." + "".join(" " + n for n in notes),
        )
        return with_table(fig, c.rename(columns={"code": "lan_kod"}))

    def fig_projection(self) -> go.Figure | Markdown:
        """Population by broad age group, observed and projected to 2040."""
        proj = self.projection
        if proj is None:
            return missing_note(
                self.meta.get("projection", {}).get("missing")
                or "Framskrivning saknas för länets kommuner."
            )
        partial = sorted(set(proj.loc[proj["population"].isna(), "kommun_kod"]))
        if partial:
            return missing_note(
                f"Framskrivningen kan inte visas: befolkningen har saknade värden (..) för "
                f"{len(partial)} av länets kommuner ({kommun_names(partial)}) under basperioden."
            )
        end = int(proj["year"].max())
        now_total = self.lan_pop[self.lan_pop["year"] == self.year]["population"].sum()
        end_total = proj[proj["year"] == end]["population"].sum()
        old_now = self.lan_pop[(self.lan_pop["year"] == self.year) & (self.lan_pop["age"] >= 80)][
            "population"
        ].sum()
        old_end = proj[(proj["year"] == end) & (proj["age"] >= 80)]["population"].sum()
        title = (
            f"{self.lan_namn} {end}: {fmt.number(round(end_total, -2))} invånare "
            f"({fmt.signed(100 * (end_total / now_total - 1), 1, ' %')}), antalet 80+ "
            f"{fmt.signed(100 * (old_end / old_now - 1), 0, ' %')}"
        )
        official = set(proj.loc[proj["source"] == "officiell", "kommun_kod"])
        y_obs = f"{int(self.lan_pop['year'].min())}–{self.year}"
        if official and official >= set(self.kommuner["kommun_kod"]):
            src = self.source("befolkning", year=y_obs)
            note = f"Prognos (streckad): {self.meta['projection']['official_source']}."
        else:
            method = self.meta.get("projection", {}).get("method", "")
            src = self.source("befolkning", year=y_obs)
            note = f"Framskrivning (streckad): {method}"
            if official:
                note += f" Officiell prognos för {len(official)} av länets kommuner."
        fig = figures.projection_lines(
            self._groups(self.lan_pop),
            self._groups(proj),
            title,
            f"{src} {note}",
        )
        return with_table(
            fig,
            pd.concat(
                [
                    self._groups(self.lan_pop).assign(typ="utfall"),
                    self._groups(proj).assign(typ="framskrivning"),
                ]
            ),
        )
