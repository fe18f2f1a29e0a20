"""One area's data by type of place: the build's kommuntyp of every kommun, population and
access per place type and per kommuntyp, and population, change, 70+ and support of the
kommuner of each kommuntyp. A mixin of :class:`lansanalys.report.data.AreaData` (it uses the
area, the cached population and the support helper there); nothing here draws.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property

import numpy as np
import pandas as pd

from lansanalys import catalogue
from lansanalys.analysis.place_types import KOMMUNTYPER, KOMMUNTYPER3
from lansanalys.report.area import Area
from lansanalys.report.cuts import kommun_total_map

#: The schemes of the build's type tables, and their types in order.
KOMMUN_SCHEMES = {
    "kommuntyp": tuple(KOMMUNTYPER.values()),
    "kommuntyp3": tuple(KOMMUNTYPER3.values()),
}
#: Column of the kommuntyp table for each kommun scheme.
KOMMUN_COLUMN = {"kommuntyp": "typ6_name", "kommuntyp3": "typ3_name"}
#: People aged at least this are "70+".
OLD_AGE = 70


class TypeData:
    """Types of place for one area (mixed into ``AreaData``)."""

    # ---- what the build made ---------------------------------------------------------------
    @property
    def place_meta(self) -> dict | None:
        """The build's record of the types (basis and its sentence), None for an older build."""
        return self.meta.get("place_types")

    @cached_property
    def kommuntyp(self) -> pd.DataFrame | None:
        """Every kommun's kommuntyp (``typ6_name``, ``typ3_name``, basis), or None."""
        if not catalogue.exists(self.p, "kommuntyp"):
            return None
        return catalogue.read(self.p, "kommuntyp").set_index("kommun_kod")

    def kommuntyp_of(self, kommun_kod: str, scheme: str = "kommuntyp") -> str | None:
        """The kommun's type in ``scheme`` (six or three classes), or None."""
        kt = self.kommuntyp
        if kt is None or kommun_kod not in kt.index:
            return None
        value = kt.at[kommun_kod, KOMMUN_COLUMN[scheme]]
        return None if pd.isna(value) else str(value)

    def kommuner_of_type(self, name: str, within: Area, scheme: str = "kommuntyp") -> list[str]:
        """Kommun codes of type ``name`` in ``within`` (riket, a län or a kommun)."""
        kt = self.kommuntyp
        if kt is None:
            return []
        codes = kt.index[kt[KOMMUN_COLUMN[scheme]] == name]
        return sorted(set(codes) & set(within.kommun_codes))

    def _type_rows(self, table: str, scheme: str, areas: Sequence[Area]) -> pd.DataFrame:
        if not catalogue.exists(self.p, table):
            return pd.DataFrame(columns=["level", "code", "scheme", "type", "order"])
        df = catalogue.read(self.p, table)
        df = df[df["scheme"] == scheme]
        hit = np.zeros(len(df), dtype=bool)
        for level, code in {(a.level, a.code) for a in areas}:
            hit |= (df["level"] == level).to_numpy() & (df["code"] == code).to_numpy()
        return df[hit]

    def type_population(self, scheme: str, areas: Sequence[Area]) -> pd.DataFrame:
        """Grid population per type of ``scheme`` of ``areas``: ``level, code, type, order,
        population, pop_70plus, n_cells`` (the build's ``typ_befolkning``)."""
        return self._type_rows("typ_befolkning", scheme, areas)

    def type_access(self, scheme: str, areas: Sequence[Area], service_type: str) -> pd.DataFrame:
        """The build's access per type of ``scheme`` of ``areas`` for ``service_type``; rows
        only where the area has service data of the type (``typ_access``)."""
        df = self._type_rows("typ_access", scheme, areas)
        return df[df["service_type"] == service_type]

    # ---- kommuner of a type: population, change, 70+, support ------------------------------
    @cached_property
    def _old_per_kommun(self) -> pd.Series:
        """People 70+ per kommun in the latest year; NaN where any part is missing."""
        b = self.befolkning
        b = b[(b["year"] == self.year) & (b["age"] >= OLD_AGE)]
        g = b.assign(_na=b["population"].isna()).groupby("kommun_kod")
        return g["population"].sum().where(~g["_na"].any())

    def total_of_codes(self, codes: Sequence[str], year: int) -> float:
        """People in the kommuner ``codes`` in ``year``; NaN where any of them is partial or the
        year is missing for one (as :meth:`AreaData.total_of` for an area)."""
        totals = kommun_total_map(self.befolkning)
        parts = [totals.get((k, int(year))) for k in codes]
        if not parts or any(part is None or part[1] for part in parts):
            return float("nan")
        return float(sum(part[0] for part in parts))

    def group_figures(self, codes: Sequence[str], code: str, name: str) -> dict:
        """Population, change over the key figures' span, 70+ and support per inhabitant-year
        of a set of kommuner (the kit's definitions; NaN where any part is missing)."""
        end = self.total_of_codes(codes, self.year)
        start = self.total_of_codes(codes, self.year - self.span) if self.span else float("nan")
        old = self._old_per_kommun.reindex(list(codes))
        old_total = float("nan") if old.isna().any() or not len(codes) else float(old.sum())
        row = {
            "code": code,
            "name": name,
            "n_kommuner": len(codes),
            "population": end,
            "change_pct": 100 * (end - start) / start if start else float("nan"),
            "share_70plus": 100 * old_total / end if end else float("nan"),
        }
        if self.has_support and len(codes):
            sup = self._support_of(codes, code, name)
            row.update(
                amount_sek=sup["amount_sek"],
                person_years=sup["person_years"],
                sek_per_capita_year=sup["sek_per_capita_year"],
            )
        else:
            row.update(amount_sek=np.nan, person_years=np.nan, sek_per_capita_year=np.nan)
        return row

    def kommuntyp_figures(
        self, within: Area | None = None, scheme: str = "kommuntyp"
    ) -> pd.DataFrame:
        """Per kommuntyp with kommuner in ``within`` (default this area; a kommun: its län):
        the figures of :meth:`group_figures`, in the classification's order."""
        where = within or self.area
        rows = []
        for i, name in enumerate(KOMMUN_SCHEMES[scheme]):
            codes = self.kommuner_of_type(name, where, scheme)
            if codes:
                rows.append({**self.group_figures(codes, name, name), "order": i})
        return pd.DataFrame(rows)
