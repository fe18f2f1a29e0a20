"""The kommun deep dive: :class:`KommunReport`, against its län and riket."""

from __future__ import annotations

import html
import time
from dataclasses import dataclass, field
from functools import cached_property

import pandas as pd
import plotly.graph_objects as go
from IPython.display import HTML, Markdown

from lansanalys import catalogue, fmt, geo
from lansanalys.analysis import demography
from lansanalys.analysis.access import HEADLINE_KM, share_col
from lansanalys.catalogue import covered_lan
from lansanalys.config import (
    DEFAULT_THRESHOLDS_KM,
    Paths,
    paths,
)
from lansanalys.report import figures, maps
from lansanalys.report.blocks import (
    DEMO_NOTE,
    MISSING,
    Card,
    cards_html,
    change_card,
    editorial,
    html_table,
    with_table,
)
from lansanalys.report.chapters.access import second_nearest_block
from lansanalys.report.data import LanData, read_indicators
from lansanalys.report.lan import LanReport
from lansanalys.report.text import (
    by_road,
    distance_phrase,
    limit_text,
    missing_note,
    missing_sentence,
    percent_or_missing,
    riket_label,
    source_note,
    unreachable_phrase,
)
from lansanalys.services import SERVICE_NOUNS, SERVICE_TYPES

#: How far around the kommun (m) its distance map draws service points.
MAP_MARGIN_M = 10_000


@dataclass
class KommunReport:
    """The deep dive for one kommun, against its län and riket (e.g. Högsby, "0821").

    Parameters
    ----------
    kommun_kod : str
        Four-character SCB kommun code.
    """

    kommun_kod: str
    thresholds_km: tuple[float, ...] = DEFAULT_THRESHOLDS_KM
    p: Paths = field(default_factory=paths)

    def __post_init__(self) -> None:
        self.kommun_kod = geo.kommun_parameter(self.kommun_kod)
        self.namn = geo.kommun_name(self.kommun_kod)
        self.lan = LanData(self.kommun_kod[:2], self.thresholds_km, self.p)
        self.meta = self.lan.meta
        self.started = time.time()

    @property
    def year(self) -> int:
        return self.lan.year

    def source(self, *kinds: str, year: int | str | None = None) -> str:
        return source_note(self.meta, list(kinds), year)

    def access_source(self) -> str:
        """The län report's note: same sources and method for the kommun."""
        return self.lan.access_source()

    def covered(self, service_type: str) -> bool:
        """Whether the kommun has service data of ``service_type`` (coverage is per län)."""
        return self.lan.covered(service_type)

    def missing(self, *types: str) -> str:
        """The sentence said instead of a figure for types without data ("" if none)."""
        gaps = [t for t in (types or SERVICE_TYPES) if not self.covered(t)]
        return missing_sentence(self.meta, gaps, self.namn)

    @cached_property
    def indicators(self) -> pd.DataFrame:
        """Indicators for every kommun, plus this kommun's län ("län") and riket ("00")."""
        kom = read_indicators(self.p, "kommun", self.lan.lan_kod)
        lan = self.lan.lan_indicators.loc[[self.lan.lan_kod, "00"]]
        out = pd.concat([kom, lan.rename(index={self.lan.lan_kod: "län"})])
        out.attrs["span"] = self.lan.lan_indicators.attrs["span"]
        return out

    def comment(self, chapter: str) -> Markdown:
        """Editorial text for ``chapter`` from data/raw/kommentarer/<kommun_kod>.md, if any."""
        return editorial(self.p, self.kommun_kod, chapter)

    def _rank(self, col: str) -> str:
        s = self.indicators.drop(index=["län", "00"])[col].dropna()
        if self.kommun_kod not in s.index:
            return MISSING
        rank = int(s.rank(ascending=False, method="min")[self.kommun_kod])
        return f"plats {rank} av {len(s)} i länet"

    @cached_property
    def cells(self) -> pd.DataFrame:
        return self.lan.cells[self.lan.cells["kommun_kod"] == self.kommun_kod]

    @cached_property
    def places(self) -> pd.DataFrame:
        return catalogue.read(self.p, "places", filters=[("kommun_kod", "==", self.kommun_kod)])

    def title(self) -> Markdown:
        demo = any(k["demo"] for k in self.meta["kinds"].values())
        warn = f"\n\n> **{DEMO_NOTE}.** Se *Om data och metod*." if demo else ""
        lan_link = f"[{html.escape(self.lan.lan_namn)}]({geo.lan_slug(self.lan.lan_kod)}.html)"
        return Markdown(
            f"# {html.escape(self.namn)} – kommunprofil\n\nKommun i {lan_link} · befolkning och "
            f"tillgång till service · data t.o.m. {self.year}{warn}"
        )

    def key_figures(self) -> HTML:
        ind = self.indicators
        me, ln, rk = ind.loc[self.kommun_kod], ind.loc["län"], ind.loc["00"]
        span = ind.attrs["span"]

        def cmp(col: str, f) -> str:
            return f"Länet {f(ln[col])} · riket {f(rk[col])}"

        pct = fmt.percent
        chg = lambda v: fmt.signed(v, 1, " %")  # noqa: E731
        cards = [
            Card(
                f"Folkmängd {self.year}",
                fmt.number(me["population"]),
                f"Länet {fmt.number(ln['population'])}",
                self._rank("population"),
            ),
            change_card(
                f"{self.year - span}–{self.year}",
                me["change_n"],
                cmp("change_n", chg),
                self._rank("change_n") if span else demography.series_needed(self.lan.years),
                span,
            ),
            Card(
                "Medelålder",
                fmt.number(me["mean_age"], 1) + " år",
                cmp("mean_age", lambda v: fmt.number(v, 1)),
                self._rank("mean_age"),
            ),
            Card(
                "Andel 65 år och äldre",
                pct(me["share_65"]),
                cmp("share_65", pct),
                self._rank("share_65"),
            ),
            Card(
                "Försörjningskvot",
                fmt.number(me["dependency"]),
                cmp("dependency", fmt.number),
                "per 100 i åldern 20–64",
            ),
            Card(
                f"Bor > {limit_text(HEADLINE_KM)} km från dagligvarubutik",
                pct(me["grocery_over_10"]) if self.covered("dagligvaror") else MISSING,
                f"Länet {pct(ln['grocery_over_10']) if self.covered('dagligvaror') else MISSING}"
                f" · {riket_label(self.meta, 'dagligvaror').lower()} {pct(rk['grocery_over_10'])}",
                self._rank("grocery_over_10") + " · " + unreachable_phrase(me, short=True),
            ),
        ]
        src = self.source("befolkning", "rutor", "service")
        return cards_html(cards, " ".join(filter(None, [src, self.missing("dagligvaror")])))

    def fig_trend(self) -> go.Figure | Markdown:
        """Population over time as an index (first year = 100): kommun, län and riket."""
        bef = self.lan.befolkning
        if len(self.lan.years) < 2:
            return missing_note(demography.series_needed(self.lan.years, "Utvecklingen över tid"))
        series = {
            self.namn: bef[bef["kommun_kod"] == self.kommun_kod],
            self.lan.lan_namn: self.lan.lan_pop,
            "Riket": bef,
        }
        frames = []
        every_year = range(self.lan.years[0], self.lan.years[-1] + 1)
        for name, df in series.items():
            # A year missing from the data stays empty, so the line breaks instead of
            # bridging the gap as if it had been observed.
            t = df.groupby("year")["population"].sum().reindex(every_year)
            frames.append(
                pd.DataFrame(
                    {
                        "year": t.index,
                        "index": 100 * t / t.iloc[0],
                        "population": t.to_numpy(),
                        "area": name,
                    }
                )
            )
        data = pd.concat(frames, ignore_index=True)
        y0, y1 = int(data["year"].min()), int(data["year"].max())
        me = data[data["area"] == self.namn]["index"].iloc[-1]
        word = "växte" if me > 100 else "minskade"
        title = f"{self.namn} {word} med {fmt.number(abs(me - 100), 1)} % {y0}–{y1}"
        fig = figures.index_lines(
            data, title, self.source("befolkning", year=f"{y0}–{y1}"), f"Index, {y0} = 100"
        )
        return with_table(fig, data)

    def fig_pyramid(self) -> go.Figure:
        bef = self.lan.befolkning
        last = bef[bef["year"] == self.year]
        mine = demography.pyramid_shares(last[last["kommun_kod"] == self.kommun_kod])
        lan = demography.pyramid_shares(last[last["lan_kod"] == self.lan.lan_kod])
        a = self.indicators.at[self.kommun_kod, "share_65"]
        b = self.indicators.at["län", "share_65"]
        title = (
            f"{self.namn}: {fmt.percent(a)} är 65 år eller äldre "
            f"({self.lan.lan_namn} {fmt.percent(b)}), {self.year}"
        )
        fig = figures.pyramid(
            mine,
            lan,
            self.namn,
            self.lan.lan_namn,
            title,
            self.source("befolkning", year=self.year),
        )
        return with_table(
            fig, pd.concat([mine.assign(område=self.namn), lan.assign(område=self.lan.lan_namn)])
        )

    def fig_distance_map(self, service_type: str = "dagligvaror") -> go.Figure | Markdown:
        """Cells of the kommun by distance to the nearest point, with villages and points."""
        if not self.covered(service_type):
            return Markdown(f"*{html.escape(self.missing(service_type))}*")
        cells = self.cells
        border = self.lan.kommun_geo[self.lan.kommun_geo["kommun_kod"] == self.kommun_kod]
        x0, y0, x1, y1 = border.total_bounds
        m = MAP_MARGIN_M
        svc = self.lan.service
        pts = svc[
            (svc["service_type"] == service_type)
            & svc["x"].between(x0 - m, x1 + m)
            & svc["y"].between(y0 - m, y1 + m)
        ]
        share = self.lan.access_kommun.set_index(["kommun_kod", "service_type"]).at[
            (self.kommun_kod, service_type), share_col(HEADLINE_KM)
        ]
        title = (
            f"{fmt.percent(share)} av invånarna i {self.namn} bor mer än {limit_text(HEADLINE_KM)} km "
            f"{distance_phrase(self.meta)} från närmaste {SERVICE_NOUNS[service_type]}"
        )
        fig = maps.distance_grid_map(
            cells,
            service_type,
            border,
            pts,
            title,
            self.access_source() + " Ortnamn från GeoNames (CC BY 4.0).",
        )
        maps.add_place_labels(fig, self.places)
        return with_table(
            fig,
            cells[["cell_id", "x", "y", "population", service_type]].rename(
                columns={service_type: "avstand_km"}
            ),
        )

    def fig_travel_time(self, over_min: float = 10.0) -> go.Figure | Markdown:
        """Car-time classes to the nearest point of every service type, for the kommun."""
        if not by_road(self.meta):
            raise ValueError("travel times need a road network (data/raw/vagnat/)")
        c = self.lan.access_classes
        c = c[
            (c["code"] == self.kommun_kod) & (c["metric"] == "bil") & (c["pop_col"] == "population")
        ]
        c = c[c["service_type"].map(self.covered)]  # types without data: no bar, a sentence
        if c.empty:
            return Markdown(f"*{html.escape(self.missing())}*")
        order = {k: i for i, k in enumerate(SERVICE_TYPES)}
        c = c.sort_values(
            ["service_type", "order"], key=lambda s: s.map(order) if s.name == "service_type" else s
        )
        c = c.assign(service=c["service_type"].map(SERVICE_TYPES))
        # "> over_min" from the cells' car minutes, whatever classes the build drew; unreachable
        # counts as beyond (the one definition).
        mins = self.lan.beyond("kommun", (over_min,), unit="min")
        mins = mins[mins["kommun_kod"] == self.kommun_kod]
        far = mins.set_index("service_type")[f"population_share_over_{over_min:g}min"]
        far = far[far.index.map(self.lan.covered)]  # a type without data has no figure
        st = "dagligvaror" if "dagligvaror" in far.index else far.index[0]
        title = (
            f"{fmt.percent(far[st])} av invånarna i {self.namn} har mer än "
            f"{limit_text(over_min)} minuter med bil till närmaste {SERVICE_NOUNS[st]}"
        )
        fig = figures.class_bars(
            c,
            "service",
            "klass",
            "share",
            title,
            " ".join(filter(None, [self.access_source(), self.missing()])),
        )
        return with_table(fig, c[["service_type", "klass", "population", "share"]])

    def second_nearest_table(self) -> HTML | Markdown:
        """The share of the kommun's people whose second-nearest point of each type is far by
        road (how exposed they are to one closure), with the län for comparison."""
        mine = self.lan.access_kommun
        mine = mine[mine["kommun_kod"] == self.kommun_kod].set_index("service_type")
        lan = self.lan.access_lan
        lan = lan[lan["lan_kod"] == self.lan.lan_kod].set_index("service_type")
        return second_nearest_block(
            [(self.namn, mine), (self.lan.lan_namn, lan)],
            self.covered,
            f"Näst närmaste service i {self.namn}",
            " ".join(filter(None, [self.access_source(), self.missing()])),
            self.meta,
        )

    def access_table(self) -> HTML:
        """Per service type: the kommun's share beyond each threshold, with län and riket.

        Unreachable people count as beyond every threshold and are shown in their own column;
        any threshold of ``thresholds_km`` works (computed from the cells if not precomputed).
        """
        acc = self.lan.beyond("kommun", self.thresholds_km)
        mine = acc[acc["kommun_kod"] == self.kommun_kod].set_index("service_type")
        lan = self.lan.beyond("lan", (10.0,)).set_index("service_type")
        rik = self.lan.beyond("riket", (10.0,)).set_index("service_type")
        rows = []
        total = len(geo.lan_codes())
        for st, label in SERVICE_TYPES.items():
            if not self.covered(st) or st not in mine.index:
                rows.append({"Service": label})  # said as "uppgift saknas" below
                continue
            row = {"Service": label}
            for t in self.thresholds_km:
                col = f"population_share_over_{t:g}km"
                row[f"> {limit_text(t)} km"] = fmt.percent(mine.at[st, col])
            if by_road(self.meta):
                row["Ej nåbar via väg"] = fmt.number(mine.at[st, "population_unreachable"])
            col10 = share_col(HEADLINE_KM)
            row[f"> {limit_text(HEADLINE_KM)} km, länet"] = fmt.percent(lan.at[st, col10])
            n = len(covered_lan(self.meta, st))
            row[f"> {limit_text(HEADLINE_KM)} km, riket"] = fmt.percent(rik.at[st, col10]) + (
                f" ({n} av {total} län)" if n < total else ""
            )
            row[f"70+ > {limit_text(HEADLINE_KM)} km"] = percent_or_missing(
                mine.at[st, share_col(HEADLINE_KM, "pop_70plus")]
            )
            row["Medelavstånd för nåbara"] = fmt.number(mine.at[st, "mean_km"], 1) + " km"
            if by_road(self.meta):
                row["Medelrestid för nåbara"] = fmt.number(mine.at[st, "mean_min"], 1) + " min"
            rows.append(row)
        if all(len(r) == 1 for r in rows):
            return Markdown(f"*{html.escape(self.missing())}*")
        df = pd.DataFrame(rows).fillna(MISSING)
        return html_table(
            df,
            f"Andel av invånarna i {self.namn} som bor långt från service, "
            f"{distance_phrase(self.meta)}; ej nåbara via väg räknas in",
            " ".join(filter(None, [self.access_source(), self.missing()])),
            numeric=[c for c in df.columns if c != "Service"],
        )

    def about(self) -> HTML:
        return LanReport(self.lan.lan_kod, self.thresholds_km, self.p).about()
