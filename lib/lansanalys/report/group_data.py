"""A programme group's data: its kommuner against the rest of riket and against kommuner of the
same kommuntyp, before and during the programme period. Nothing here draws.

A group (``grupper.parquet``, from ``data/raw/grupper/``) is a set of kommuner with a period.
Every figure is a sum over a set of kommuner with the kit's own definitions: population from
the population table (:meth:`AreaData.total_of_codes`), support per inhabitant-year from
:func:`lansanalys.analysis.support.per_inhabitant_year`, and service points opened and closed and
the share beyond 10 km from the change helper's ``access_years`` (absent with one service year).

**Jämförbara kommuner** (the same kommuntyp): for each kommuntyp among the group's members, the
kommuner of that type outside the group; their figure per type is weighted by the group's
population in that type (latest year), so the comparison has the group's mix of types. A type
with members but no other kommun leaves the comparison without a figure.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from lansanalys import catalogue, geo
from lansanalys.analysis import support
from lansanalys.config import Paths, paths
from lansanalys.report.area import Area
from lansanalys.report.cuts import kommun_totals
from lansanalys.report.data import AreaData

#: The population change before the period starts at most this many years before it.
BEFORE_YEARS = 10
#: Distance of the share "beyond" in access_years (km).
BEYOND_KM = 10
#: Openings and closures per this many inhabitants, to compare sets of different size.
PER_INHABITANTS = 10_000

NAN = float("nan")


@dataclass(frozen=True)
class Group:
    """One group of kommuner with its programme period (a row set of ``grupper.parquet``)."""

    id: str
    name: str
    start: int
    end: int
    members: tuple[str, ...]

    @property
    def label(self) -> str:
        """ "Kommuner för serviceutveckling 2022–2025"."""
        period = f"{self.start}–{self.end}" if self.end > self.start else str(self.start)
        return f"{self.name} {period}"

    @property
    def slug(self) -> str:
        """File name of the group's report without ``.html``."""
        return geo.group_slug(self.id)


def groups(p: Paths | None = None) -> dict[str, Group]:
    """Every group of the build, by id (empty when no group file was supplied)."""
    p = p or paths()
    if not catalogue.exists(p, "grupper"):
        return {}
    df = catalogue.read(p, "grupper")
    out = {}
    for gid, g in df.groupby("group_id", sort=False):
        first = g.iloc[0]
        out[str(gid)] = Group(
            str(gid),
            str(first["group_name"]),
            int(first["period_start"]),
            int(first["period_end"]),
            tuple(sorted(g["kommun_kod"])),
        )
    return out


def group(group_id: str, p: Paths | None = None) -> Group:
    """The group ``group_id``; a KeyError names the groups there are."""
    known = groups(p)
    if group_id not in known:
        raise KeyError(f"no group {group_id!r}; the build has {sorted(known) or 'none'}")
    return known[group_id]


@dataclass
class Window:
    """A stretch of years, before or during the period (``None`` years: no such stretch)."""

    first: int | None
    last: int | None

    @property
    def ok(self) -> bool:
        return self.first is not None and self.last is not None and self.last > self.first

    def text(self) -> str:
        return f"{self.first}–{self.last}" if self.ok else ""


class GroupData:
    """The data of one group report: its kommuner, the rest of riket and comparable kommuner.

    Parameters
    ----------
    group_id : str or Group
        Id of a group in ``grupper.parquet``, or a :class:`Group` itself (any set of kommuner).
    p : Paths, optional
        Project paths.
    """

    def __init__(self, group_id: str | Group, p: Paths | None = None) -> None:
        self.p = p or paths()
        self.group = group_id if isinstance(group_id, Group) else group(group_id, self.p)
        #: Riket's data: population, support and the kommuntyp of every kommun, read once.
        self.riket = AreaData(Area.riket(), p=self.p)
        self.meta = self.riket.meta
        self._per: dict[tuple[str | None, str], pd.DataFrame | None] = {}

    # ---- the sets of kommuner ----------------------------------------------------------------
    @property
    def members(self) -> list[str]:
        return list(self.group.members)

    @cached_property
    def rest(self) -> list[str]:
        """Every kommun of riket outside the group."""
        return sorted(set(geo.kommun_codes()) - set(self.group.members))

    @cached_property
    def types(self) -> pd.Series:
        """kommun → its kommuntyp (six classes), every kommun with one."""
        kt = self.riket.kommuntyp
        return pd.Series(dtype=str) if kt is None else kt["typ6_name"].dropna().astype(str)

    @cached_property
    def type_weights(self) -> pd.Series | None:
        """Each kommuntyp's share of the group's people (latest year); None without the types
        or where a type of the members has no kommun outside the group."""
        if self.types.empty or not set(self.members) <= set(self.types.index):
            return None
        people = {t: self.population(codes, self.year) for t, codes in self.member_types.items()}
        if any(not self.peers_of_type(t) for t in people) or any(
            np.isnan(v) for v in people.values()
        ):
            return None
        total = sum(people.values())
        return pd.Series({t: v / total for t, v in people.items()}) if total else None

    @cached_property
    def member_types(self) -> dict[str, list[str]]:
        """Kommuntyp → the group's kommuner of that type."""
        out: dict[str, list[str]] = {}
        for k in self.members:
            if k in self.types.index:
                out.setdefault(self.types[k], []).append(k)
        return out

    def peers_of_type(self, typ: str) -> list[str]:
        """Kommuner of kommuntyp ``typ`` outside the group."""
        return sorted(k for k in self.rest if self.types.get(k) == typ)

    def comparable(self, f: Callable[[Sequence[str]], float]) -> float:
        """``f`` of the comparable kommuner: ``f`` of each type's kommuner outside the group,
        weighted by the group's people per type; NaN where a part has no figure."""
        w = self.type_weights
        if w is None:
            return NAN
        values = [f(self.peers_of_type(t)) for t in w.index]
        if any(np.isnan(v) for v in values):
            return NAN
        return float(np.dot(w.to_numpy(), values))

    def sets(self) -> list[tuple[str, Sequence[str] | None]]:
        """The rows every table compares: the group, the rest of riket, comparable, riket.
        ``None`` marks the comparable kommuner (a weighted figure, see :meth:`comparable`); a
        group of every kommun has no rest and nothing to compare with."""
        rows: list[tuple[str, Sequence[str] | None]] = [("Gruppen", self.members)]
        if self.rest:
            rows += [("Övriga riket", self.rest), ("Jämförbara kommuner", None)]
        return rows + [("Riket", geo.kommun_codes())]

    def value(self, codes: Sequence[str] | None, f: Callable[[Sequence[str]], float]) -> float:
        """``f`` of a set of :meth:`sets` (the comparable kommuner weighted)."""
        return self.comparable(f) if codes is None else f(codes)

    # ---- population -------------------------------------------------------------------------
    @property
    def year(self) -> int:
        return self.riket.year

    @property
    def years(self) -> list[int]:
        return self.riket.years

    def population(self, codes: Sequence[str], year: int) -> float:
        """People in ``codes`` in ``year``; NaN where any kommun is partial or the year absent."""
        return self.riket.total_of_codes(list(codes), year)

    @cached_property
    def base_year(self) -> int | None:
        """The last year of population data before the period starts (the period's baseline)."""
        before = [y for y in self.years if y < self.group.start]
        return max(before) if before else None

    @cached_property
    def before(self) -> Window:
        """Population years before the period: up to :data:`BEFORE_YEARS` before the baseline."""
        b = self.base_year
        if b is None:
            return Window(None, None)
        first = min(y for y in self.years if y >= b - BEFORE_YEARS)
        return Window(first, b)

    @cached_property
    def during(self) -> Window:
        """Population years during the period: the baseline (without one, the period's first
        year in the data) to the last year in the period."""
        inside = [y for y in self.years if self.group.start <= y <= self.group.end]
        if not inside:
            return Window(None, None)
        first = self.base_year if self.base_year is not None else inside[0]
        return Window(first, inside[-1])

    def change(self, codes: Sequence[str], w: Window) -> tuple[float, float]:
        """Population change over ``w``: (percent, percent per year); NaN without a figure."""
        if not w.ok:
            return NAN, NAN
        p0, p1 = self.population(codes, w.first), self.population(codes, w.last)
        if not p0 or np.isnan(p0) or np.isnan(p1):
            return NAN, NAN
        years = w.last - w.first
        return 100 * (p1 / p0 - 1), 100 * ((p1 / p0) ** (1 / years) - 1)

    # ---- support ------------------------------------------------------------------------------
    @property
    def has_support(self) -> bool:
        return self.riket.has_support

    @cached_property
    def support_windows(self) -> dict[str, Window]:
        """Support years before and during the period, within the support list's years."""
        first, last = self.riket.support_period
        s, e = self.group.start, self.group.end
        before = Window(first, min(s - 1, last)) if first <= s - 1 else Window(None, None)
        during = (
            Window(max(s, first), min(e, last)) if s <= last and e >= first else Window(None, None)
        )
        # A one-year stretch is a stretch: Window.ok asks for two years, support for one.
        return {"före": before, "under": during}

    @cached_property
    def _people(self) -> pd.DataFrame:
        """People per kommun and year (NaN where a part is missing), for support sums."""
        t = kommun_totals(self.riket.befolkning)
        return t.assign(population=t["population"].where(~t["missing"]))[
            ["kommun_kod", "year", "population"]
        ]

    @cached_property
    def grants(self) -> pd.DataFrame:
        return catalogue.read(self.p, "stod")

    @cached_property
    def programmes(self) -> list[str]:
        """Programmes of the support list, largest first."""
        g = self.grants.groupby("programme")["amount_sek"].sum().sort_values(ascending=False)
        return [str(x) for x in g.index]

    def _support_table(self, programme: str | None, when: str) -> pd.DataFrame | None:
        """Per kommun: money and person-years of ``programme`` (None: all) in a stretch."""
        key = (programme, when)
        if key not in self._per:
            w = self.support_windows[when]
            if w.first is None or w.last is None or w.last < w.first:
                self._per[key] = None
            else:
                grants = self.grants
                if programme is not None:
                    grants = grants[grants["programme"] == programme]
                per = support.per_inhabitant_year(
                    grants, self._people, geo.kommun_codes(), (w.first, w.last)
                )
                self._per[key] = per.set_index("kommun_kod")
        return self._per[key]

    def support_parts(
        self, codes: Sequence[str], programme: str | None, when: str
    ) -> tuple[float, float]:
        """(kronor, person-years) of ``codes`` in a stretch; NaN person-years where a kommun's
        population is partial."""
        per = self._support_table(programme, when)
        if per is None:
            return NAN, NAN
        rows = per.reindex(list(codes))
        years = rows["person_years"]
        return float(rows["amount_sek"].sum()), (NAN if years.isna().any() else float(years.sum()))

    def support_rate(self, codes: Sequence[str], programme: str | None, when: str) -> float:
        """Kronor per inhabitant and year of ``codes`` in a stretch (the kit's definition
        summed over the kommuner: their money over their person-years)."""
        money, years = self.support_parts(codes, programme, when)
        if np.isnan(years) or not years:
            return NAN
        return money / years

    # ---- service over the years (access_years) --------------------------------------------------
    @cached_property
    def access_years(self) -> pd.DataFrame | None:
        """The kommun rows of ``access_years`` (None with one service year)."""
        if not catalogue.exists(self.p, "access_years"):
            return None
        df = catalogue.read(self.p, "access_years")
        return df[df["level"] == "kommun"].rename(columns={"code": "kommun_kod"})

    @cached_property
    def service_years(self) -> list[int]:
        """The years of service points (``meta.json``; one year without a series)."""
        years = self.meta.get("service_years")
        if years:
            return [int(y) for y in years]
        if self.access_years is not None:
            return sorted(int(y) for y in self.access_years["year"].unique())
        return []

    @cached_property
    def service_windows(self) -> dict[str, Window]:
        """Service years before the period (the first year to the last before it starts, or
        its first year) and during it (from there to the last year up to its end)."""
        ys = self.service_years
        base = max((y for y in ys if y <= self.group.start), default=None)
        last = max((y for y in ys if y <= self.group.end), default=None)
        return {
            "före": Window(ys[0] if ys else None, base),
            "under": Window(base, last if last is not None and last > self.group.start else None),
        }

    def service_rows(self, codes: Sequence[str], service_type: str) -> pd.DataFrame | None:
        """The access_years rows of ``codes`` for ``service_type``, or None."""
        ay = self.access_years
        if ay is None:
            return None
        return ay[(ay["service_type"] == service_type) & ay["kommun_kod"].isin(list(codes))]

    def points(self, codes: Sequence[str], service_type: str, year: int) -> float:
        rows = self.service_rows(codes, service_type)
        if rows is None:
            return NAN
        rows = rows[rows["year"] == year]
        return float(rows["points"].sum()) if len(rows) == len(set(codes)) else NAN

    def moves(self, codes: Sequence[str], service_type: str, w: Window, col: str) -> float:
        """Points ``col`` ("opened" or "closed") in ``codes`` over the years after ``w.first``
        up to ``w.last``; NaN without the series or where a year has no figure."""
        rows = self.service_rows(codes, service_type)
        if rows is None or not w.ok:
            return NAN
        rows = rows[(rows["year"] > w.first) & (rows["year"] <= w.last)]
        n_years = sum(1 for y in self.service_years if w.first < y <= w.last)
        if len(rows) != n_years * len(set(codes)) or rows[col].isna().any():
            return NAN
        return float(rows[col].astype(float).sum())

    def moves_per_people(
        self, codes: Sequence[str], service_type: str, w: Window, col: str
    ) -> float:
        """:meth:`moves` per :data:`PER_INHABITANTS` people (the series' population)."""
        n = self.moves(codes, service_type, w, col)
        rows = self.service_rows(codes, service_type)
        if np.isnan(n) or rows is None:
            return NAN
        people = rows[rows["year"] == w.last]["population"].sum()
        return PER_INHABITANTS * n / people if people else NAN

    def share_beyond(self, codes: Sequence[str], service_type: str, year: int) -> float:
        """Share (percent) of the people of ``codes`` beyond :data:`BEYOND_KM` km by road in
        ``year``: the kommuner's shares weighted by their people; NaN where any kommun has no
        figure (not complete) or lacks the year."""
        rows = self.service_rows(codes, service_type)
        if rows is None:
            return NAN
        rows = rows[rows["year"] == year]
        col = f"population_share_over_{BEYOND_KM}km"
        if (
            len(rows) != len(set(codes))
            or not rows["complete"].astype(bool).all()
            or rows[col].isna().any()
        ):
            return NAN
        people = rows["population"].astype(float)
        return float((rows[col] * people).sum() / people.sum()) if people.sum() else NAN

    def service_types(self) -> list[str]:
        """Service types in the series, in the kit's order."""
        from lansanalys.services import SERVICE_TYPES

        ay = self.access_years
        have = set() if ay is None else set(ay["service_type"])
        return [t for t in SERVICE_TYPES if t in have]
