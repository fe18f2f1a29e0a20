"""Kommunerna: one compact profile row per kommun, linking to its deep dive."""

from __future__ import annotations

import html

from IPython.display import HTML

from lansanalys import fmt
from lansanalys.analysis.indicators import area_indicators
from lansanalys.config import (
    linkable_reports,
)
from lansanalys.report import downloads
from lansanalys.report.blocks import MISSING, change_header
from lansanalys.report.text import beyond_note, unreachable_or_missing


class KommunerChapter:
    """Methods of :class:`~lansanalys.report.lan.LanReport` for this chapter."""

    # ---- Kommunerna -----------------------------------------------------------------------
    def kommun_profiles(self) -> HTML:
        """A compact profile row per kommun, linking to its deep dive where one is rendered."""
        ind = area_indicators(self.lan_pop, "kommun_kod", self.access_kommun, self.access_riket)
        ind = ind.drop(index="00")
        sek = self.support_per_kommun.set_index("kommun_kod")["sek_per_capita_year"]
        linkable = linkable_reports()
        has_grocery = self.covered("dagligvaror")

        def grocery(v: float) -> str:
            return fmt.percent(v) if has_grocery else MISSING

        rows = []
        for code, r in (
            ind.join(self.kommuner.set_index("kommun_kod")).sort_values("kommun").iterrows()
        ):
            target = f"{r['slug']}.html"
            name = html.escape(r["kommun"])
            cell = f'<a href="{html.escape(target)}">{name}</a>' if target in linkable else name
            rows.append(
                f"<tr><td>{cell}</td><td class=num>{fmt.number(r['population'])}</td>"
                f"<td class=num>{fmt.signed(r['change_n'], 1, ' %')}</td>"
                f"<td class=num>{fmt.number(r['mean_age'], 1)}</td>"
                f"<td class=num>{fmt.percent(r['share_65'])}</td>"
                f"<td class=num>{grocery(r['grocery_over_10'])}</td>"
                f"<td class=num>{unreachable_or_missing(r['grocery_unreachable'])}</td>"
                f"<td class=num>{fmt.number(sek.get(code))}</td></tr>"
            )
        span = ind.attrs["span"]
        head = (
            "<tr><th scope=col>Kommun</th><th scope=col class=num>Folkmängd</th>"
            f"<th scope=col class=num>{change_header(span)}</th>"
            "<th scope=col class=num>Medelålder</th><th scope=col class=num>Andel 65+</th>"
            "<th scope=col class=num>&gt; 10 km till dagligvaror</th>"
            "<th scope=col class=num>Ej nåbar via väg (dagligvaror)</th>"
            "<th scope=col class=num>Stöd, kr/inv. och år</th></tr>"
        )
        note = (
            "Kommunnamnet länkar till kommunens egen rapport."
            if linkable & {f"{s}.html" for s in self.kommuner["slug"]}
            else "Kommunrapporter skapas med lansanalys render --kommuner."
        )
        src = self.source("befolkning", "rutor", "service", "stod") + " " + beyond_note(self.meta)
        downloads_href = downloads.save(
            ind.join(self.kommuner.set_index("kommun_kod")[["kommun"]]).reset_index(),
            f"Kommunerna i {self.lan_namn}",
        )
        return HTML(
            f'<figure class="la-table"><table><caption>Kommunerna i {html.escape(self.lan_namn)}'
            f"</caption><thead>{head}</thead><tbody>{''.join(rows)}</tbody></table>"
            f'<figcaption class="la-source">{html.escape(note + " " + src)}</figcaption>'
            f"{downloads.link_html(downloads_href)}</figure>"
        )
