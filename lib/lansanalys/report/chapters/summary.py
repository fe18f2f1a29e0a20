"""Sammanfattning: headline cards with riket alongside, and the findings in words."""

from __future__ import annotations

import html

import pandas as pd
from IPython.display import HTML, Markdown

from lansanalys import fmt
from lansanalys.analysis import demography, projection
from lansanalys.analysis.access import HEADLINE_KM
from lansanalys.report.blocks import MISSING, Card, cards_html, change_card
from lansanalys.report.text import distance_phrase, limit_text, riket_label, unreachable_phrase


class SummaryChapter:
    """Methods of :class:`~lansanalys.report.lan.LanReport` for this chapter."""

    def key_figures(self) -> HTML:
        """Headline cards with riket alongside and the län's rank among the 21 län."""
        ind = self.lan_indicators
        me, rk = ind.loc[self.lan_kod], ind.loc["00"]
        span = ind.attrs["span"]
        cards = [
            Card(
                "Folkmängd " + str(self.year),
                fmt.number(me["population"]),
                f"Riket {fmt.number(rk['population'])}",
                self._rank("population"),
            ),
            *self._change_cards(me, rk, span),
            Card(
                "Medelålder",
                fmt.number(me["mean_age"], 1) + " år",
                f"Riket {fmt.number(rk['mean_age'], 1)} år",
                self._rank("mean_age"),
            ),
            Card(
                "Andel 65 år och äldre",
                fmt.percent(me["share_65"]),
                f"Riket {fmt.percent(rk['share_65'])}",
                self._rank("share_65"),
            ),
            Card(
                "Andel 80 år och äldre",
                fmt.percent(me["share_80"]),
                f"Riket {fmt.percent(rk['share_80'])}",
                self._rank("share_80"),
            ),
            Card(
                "Försörjningskvot",
                fmt.number(me["dependency"], 0),
                f"Riket {fmt.number(rk['dependency'], 0)}",
                "per 100 i åldern 20–64 · " + self._rank("dependency"),
            ),
            Card(
                f"Bor > {limit_text(HEADLINE_KM)} km från dagligvarubutik",
                fmt.percent(me["grocery_over_10"]) if self.covered("dagligvaror") else MISSING,
                f"{riket_label(self.meta, 'dagligvaror')} {fmt.percent(rk['grocery_over_10'])}",
                self._rank("grocery_over_10") + " · " + unreachable_phrase(me, short=True),
            ),
        ]
        src = self.source("befolkning", "rutor", "service")
        return cards_html(cards, " ".join(filter(None, [src, self.missing("dagligvaror")])))

    def _change_cards(self, me: pd.Series, rk: pd.Series, span: int) -> list[Card]:
        """Change over one year and over ``span`` years; one "uppgift saknas" card when the
        data have a single year, so no change figure is ever made up."""
        if not span:
            return [change_card("", float("nan"), "", demography.series_needed(self.years), 0)]
        has_1 = self.year - 1 in self.years
        return [
            change_card(
                f"{self.year - 1}–{self.year}",
                me["change_1"],
                f"Riket {fmt.signed(rk['change_1'], 1, ' %')}",
                self._rank("change_1")
                if has_1
                else f"kräver folkmängd för {self.year - 1}; data innehåller "
                + projection.years_phrase(self.years),
                int(has_1),
            ),
            change_card(
                f"{self.year - span}–{self.year}",
                me["change_n"],
                f"Riket {fmt.signed(rk['change_n'], 1, ' %')}",
                self._rank("change_n"),
                span,
            ),
        ]

    def findings(self) -> Markdown:
        """A few automatically written findings."""
        ind = self.lan_indicators
        me, rk = ind.loc[self.lan_kod], ind.loc["00"]
        span = ind.attrs["span"]
        if span:
            ch = self.kommun_change
            grew = int((ch["change"] > 0).sum())
            best = ch.sort_values("change_pct").iloc[-1]
            worst = ch.sort_values("change_pct").iloc[0]
            lines = [
                f"- {html.escape(self.lan_namn)} har {fmt.number(me['population'])} invånare "
                f"({self.year}), {fmt.signed(me['change_n'], 1, ' %')} sedan {self.year - span} "
                f"mot {fmt.signed(rk['change_n'], 1, ' %')} i riket.",
                f"- Befolkningen ökade i {grew} av {len(ch)} kommuner. Mest ökade "
                f"{html.escape(best['kommun'])} ({fmt.signed(best['change_pct'], 1, ' %')}), "
                f"minst {html.escape(worst['kommun'])} "
                f"({fmt.signed(worst['change_pct'], 1, ' %')}).",
            ]
        else:
            lines = [
                f"- {html.escape(self.lan_namn)} har {fmt.number(me['population'])} invånare "
                f"({self.year}). " + demography.series_needed(self.years),
            ]
        older = "äldre" if me["mean_age"] > rk["mean_age"] else "yngre"
        lines += [
            f"- Länets befolkning är {older} än rikets: medelåldern är "
            f"{fmt.number(me['mean_age'], 1)} år mot {fmt.number(rk['mean_age'], 1)} år.",
            f"- {fmt.percent(me['grocery_over_10'])} av invånarna bor mer än {limit_text(HEADLINE_KM)} km "
            f"{distance_phrase(self.meta)} från närmaste dagligvarubutik "
            f"({riket_label(self.meta, 'dagligvaror').lower()} "
            f"{fmt.percent(rk['grocery_over_10'])}); {unreachable_phrase(me)}.",
        ]
        if not self.covered("dagligvaror"):
            lines[-1] = f"- {html.escape(self.missing('dagligvaror'))}"
        return Markdown("\n".join(lines))
