"""Kommunerna: one compact profile row per kommun, linking to its deep dive."""

from __future__ import annotations

import pandas as pd
from IPython.display import HTML

from lansanalys import fmt
from lansanalys.analysis.access import HEADLINE_KM
from lansanalys.config import (
    linkable_reports,
)
from lansanalys.report.blocks import MISSING, change_header, html_table
from lansanalys.report.data import read_indicators
from lansanalys.report.text import beyond_note, limit_text, unreachable_or_missing


class KommunerChapter:
    """Methods of :class:`~lansanalys.report.lan.LanReport` for this chapter."""

    # ---- Kommunerna -----------------------------------------------------------------------
    def kommun_profiles(self) -> HTML:
        """A compact profile row per kommun, linking to its deep dive where one is rendered."""
        ind = read_indicators(self.p, "kommun", self.lan_kod)
        sek = self.support_per_kommun.set_index("kommun_kod")["sek_per_capita_year"]
        linkable = linkable_reports()
        has_grocery = self.covered("dagligvaror")

        def grocery(v: float) -> str:
            return fmt.percent(v) if has_grocery else MISSING

        rows = ind.join(self.kommuner.set_index("kommun_kod")).sort_values("kommun")
        span = ind.attrs["span"]
        table = pd.DataFrame(
            {
                "Kommun": rows["kommun"],
                "Folkmängd": rows["population"].map(fmt.number),
                change_header(span): rows["change_n"].map(lambda v: fmt.signed(v, 1, " %")),
                "Medelålder": rows["mean_age"].map(lambda v: fmt.number(v, 1)),
                "Andel 65+": rows["share_65"].map(fmt.percent),
                f"> {limit_text(HEADLINE_KM)} km till dagligvaror": rows["grocery_over_10"].map(
                    grocery
                ),
                "Ej nåbar via väg (dagligvaror)": rows["grocery_unreachable"].map(
                    unreachable_or_missing
                ),
                "Stöd, kr/inv. och år": [fmt.number(sek.get(code)) for code in rows.index],
            }
        )
        targets = [f"{s}.html" for s in rows["slug"]]
        note = (
            "Kommunnamnet länkar till kommunens egen rapport."
            if linkable & {f"{s}.html" for s in self.kommuner["slug"]}
            else "Kommunrapporter skapas med lansanalys render --kommuner."
        )
        src = self.source("befolkning", "rutor", "service", "stod") + " " + beyond_note(self.meta)
        return html_table(
            table,
            f"Kommunerna i {self.lan_namn}",
            note + " " + src,
            numeric=list(table.columns[1:]),
            links={"Kommun": [h if h in linkable else None for h in targets]},
            download_frame=ind.join(
                self.kommuner.set_index("kommun_kod")[["kommun"]]
            ).reset_index(),
        )
