"""What report notebooks call: :class:`Report`, one object per report, one method per cell.

``Report(area)`` binds the chapter functions of :mod:`lansanalys.report.chapters` to one area's
data (:class:`~lansanalys.report.data.AreaData`); every method is one line. The län report, the
kommun deep dive and the riksöversikt are the same class over another area, and their
notebooks choose which chapters to show::

    rpt = la.LanReport("08")                 # = Report(Area.lan("08"))
    kom = la.KommunReport("0821")            # = Report(Area.kommun("0821"))
    rik = la.national_overview()             # = Report(Area.riket())
    kom.fig_distance_map("apotek")           # a plotly figure
    kom.orter_table()                        # a DataFrame (a table when a notebook shows it)
    kom.scenario_closure(point_id="D000123") # what if that point closed
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence

import pandas as pd

from lansanalys.config import DEFAULT_THRESHOLDS_KM, Paths, paths
from lansanalys.report import downloads, national
from lansanalys.report.area import Area
from lansanalys.report.chapters import (
    access,
    change,
    closure,
    future,
    kommuner,
    landsbygd,
    method,
    orter,
    programme,
    summary,
    support,
)
from lansanalys.report.chapters import population as pop
from lansanalys.report.data import AreaData
from lansanalys.report.group_data import GroupData


def _named_downloads(cls: type) -> type:
    """Every chapter method's downloads are named after it (``fig_distance_map("apotek")`` →
    ``NN-distance-map-apotek.csv``): stable file names that do not follow the headline."""

    def wrap(name: str, fn: Callable) -> Callable:
        stem = name.removeprefix("fig_").replace("_", "-")

        @functools.wraps(fn)
        def method(self, *args, **kwargs):
            extra = [str(a) for a in (*args, *kwargs.values()) if isinstance(a, str | int | float)]
            with downloads.named("-".join([stem, *extra])):
                return fn(self, *args, **kwargs)

        return method

    for name, fn in list(vars(cls).items()):
        if callable(fn) and not name.startswith("_") and name not in {"covered", "missing"}:
            setattr(cls, name, wrap(name, fn))
    return cls


@_named_downloads
class Report:
    """Every chapter of the kit over one area (riket, a län or a kommun).

    Parameters
    ----------
    area : Area
        What the report is about.
    thresholds_km : tuple of float
        Distance thresholds of the access tables (km, "more than"); any positive number works.
    p : Paths, optional
        Project paths (default: ``LANSANALYS_HOME`` or the checkout).
    """

    def __init__(
        self,
        area: Area,
        thresholds_km: Sequence[float] = DEFAULT_THRESHOLDS_KM,
        p: Paths | None = None,
    ) -> None:
        self.data = AreaData(area, tuple(thresholds_km), p or paths())

    def __repr__(self) -> str:
        return f"Report({self.area.level}, {self.area.code}: {self.area.name})"

    # ---- the area and its data --------------------------------------------------------------
    @property
    def area(self) -> Area:
        return self.data.area

    @property
    def meta(self) -> dict:
        return self.data.meta

    @property
    def year(self) -> int:
        return self.data.year

    @property
    def cells(self) -> pd.DataFrame:
        """The area's populated cells with road km to the nearest point of each type."""
        return self.data.cells

    @property
    def orter(self) -> pd.DataFrame | None:
        return self.data.orter

    @property
    def access_classes(self) -> pd.DataFrame:
        """Population per access class for the area, its lineage and its children."""
        return self.data.access_classes

    def beyond(self, level: str, thresholds: Sequence[float], unit: str = "km") -> pd.DataFrame:
        """Access rows with the share beyond any ``thresholds`` (km or car ``unit="min"``) for
        ``level``: "kommun" (the area's kommuner), "lan" (its län) or "riket"."""
        a = self.area
        areas = {
            "kommun": [
                k for k in (a.children if a.level == "lan" else (a,)) if k.level == "kommun"
            ],
            "lan": [x for x in a.lineage if x.level == "lan"] or list(a.children),
            "riket": [a.lineage[-1]],
        }
        if level not in areas:
            raise ValueError(f"level must be 'kommun', 'lan' or 'riket', not {level!r}")
        return self.data.beyond(areas[level], thresholds, unit)

    def covered(self, service_type: str) -> bool:
        return self.data.covered(service_type)

    def missing(self, *types: str) -> str:
        return self.data.missing(*types)

    def access_source(self) -> str:
        return self.data.access_source()

    def comment(self, chapter: str):
        return self.data.comment(chapter)

    # ---- Sammanfattning ---------------------------------------------------------------------
    def title(self):
        return summary.title(self.data)

    def key_figures(self):
        return summary.key_figures(self.data)

    def findings(self):
        return summary.findings(self.data)

    # ---- Befolkning and Framtid --------------------------------------------------------------
    def fig_pyramid(self):
        return pop.fig_pyramid(self.data)

    def fig_pyramid_then(self):
        return pop.fig_pyramid_then(self.data)

    def fig_trend(self):
        return pop.fig_trend(self.data)

    def fig_change_map(self):
        return pop.fig_change_map(self.data)

    def fig_components(self):
        return pop.fig_components(self.data)

    def age_table(self):
        return pop.age_table(self.data)

    def fig_projection(self):
        return future.fig_projection(self.data)

    def projection_table(self):
        return future.projection_table(self.data)

    # ---- Orter --------------------------------------------------------------------------------
    def orter_table(self):
        return orter.orter_table(self.data)

    def fig_orter_map(self):
        return orter.fig_orter_map(self.data)

    # ---- Service och tillgänglighet ------------------------------------------------------------
    def fig_distance_map(self, service_type: str = "dagligvaror"):
        return access.fig_distance_map(self.data, service_type)

    def access_table(self):
        return access.access_table(self.data)

    def fig_access_matrix(self, threshold_km: float = 10.0):
        return access.fig_access_matrix(self.data, threshold_km)

    def fig_travel_time(self, service_type: str | None = None, over_min: float = 10.0):
        return access.fig_travel_time(self.data, service_type, over_min)

    # ---- Sårbara punkter and Kontanter ----------------------------------------------------------
    def fig_closure_map(self, service_type: str = "dagligvaror"):
        return closure.fig_closure_map(self.data, service_type)

    def closure_chooser(self, service_type: str = "dagligvaror"):
        return closure.closure_chooser(self.data, service_type)

    def closure_table(self, service_type: str = "dagligvaror", top: int = 10):
        return closure.closure_table(self.data, service_type, top)

    def second_nearest_table(self):
        return closure.second_nearest_table(self.data)

    def scenario_closure(self, service_type: str = "dagligvaror", point_id: str | None = None):
        return closure.scenario_closure(self.data, service_type, point_id)

    def cash_table(self):
        return closure.cash_table(self.data)

    # ---- Stöd ------------------------------------------------------------------------------------
    def support_table(self):
        return support.support_table(self.data)

    def fig_support_map(self):
        return support.fig_support_map(self.data)

    def fig_support_programmes(self):
        return support.fig_support_programmes(self.data)

    def fig_support_vs_need(self):
        return support.fig_support_vs_need(self.data)

    def fig_support_by_group(self):
        return support.fig_support_by_group(self.data)

    # ---- Typer av platser (landsbygdsperspektiv) ------------------------------------------------
    def kommuntyp_text(self):
        return landsbygd.kommuntyp_text(self.data)

    def table_by_kommuntyp(self, service_type: str = "dagligvaror"):
        return landsbygd.table_by_kommuntyp(self.data, service_type)

    def table_by_place_type(self, service_type: str = "dagligvaror"):
        return landsbygd.table_by_place_type(self.data, service_type)

    def fig_access_by_place_type(
        self, service_type: str = "dagligvaror", threshold_km: float = 10.0
    ):
        return landsbygd.fig_access_by_place_type(self.data, service_type, threshold_km)

    def table_support_by_kommuntyp(self):
        return landsbygd.table_support_by_kommuntyp(self.data)

    def place_types_method(self):
        return landsbygd.method_text(self.data)

    # ---- Förändring sedan <first year> (several service years; nothing with one) -------------
    def change_heading(self):
        return change.heading(self.data)

    def change_findings(self):
        return change.findings(self.data)

    def change_table(self):
        return change.change_table(self.data)

    def change_table_by_type(self):
        return change.change_table_by_type(self.data)

    def turnover_detail(self):
        return change.turnover_detail(self.data)

    def cash_change_table(self):
        return change.cash_change_table(self.data)

    def turnover_table(self):
        return change.turnover_table(self.data)

    def fig_service_change_map(self):
        return change.fig_change_map(self.data)

    # ---- Kommunerna / länen ---------------------------------------------------------------------
    def kommun_profiles(self):
        return kommuner.profiles(self.data)

    # ---- the riksöversikt's index blocks ----------------------------------------------------------
    def fig_indicator(self, col: str):
        return national.fig_indicator(self.data, col)

    def ranked_table(self):
        return national.ranked_table(self.data)

    def lan_table(self):
        return national.lan_table(self.data)

    def kommungrupp_table(self):
        return national.kommungrupp_table(self.data)

    def kommun_links(self):
        return national.kommun_links()

    def group_links(self):
        return national.group_links(self.data)

    # ---- Om data och metod ----------------------------------------------------------------------
    def about(self):
        return method.about(self.data)


def LanReport(  # noqa: N802 - the notebook API's name, a constructor of Report
    lan_kod: object, thresholds_km: Sequence[float] = DEFAULT_THRESHOLDS_KM, p: Paths | None = None
) -> Report:
    """The län report (``notebooks/lansrapport.ipynb``): ``Report`` over one län."""
    return Report(Area.lan(lan_kod), thresholds_km, p)


def KommunReport(  # noqa: N802
    kommun_kod: object,
    thresholds_km: Sequence[float] = DEFAULT_THRESHOLDS_KM,
    p: Paths | None = None,
) -> Report:
    """The kommun deep dive (``notebooks/kommunrapport.ipynb``): ``Report`` over one kommun."""
    return Report(Area.kommun(kommun_kod), thresholds_km, p)


def NationalOverview(p: Paths | None = None) -> Report:  # noqa: N802
    """The riksöversikt (``notebooks/riksoversikt.ipynb``, the index page): ``Report`` over riket."""
    return Report(Area.riket(), p=p)


def national_overview(p: Paths | None = None) -> Report:
    """The riksöversikt object (as :func:`NationalOverview`)."""
    return NationalOverview(p)


@_named_downloads
class GroupReport:
    """The programme follow-up of one group of kommuner (``notebooks/grupprapport.ipynb``):
    the group against the rest of riket and kommuner of the same kommuntyp, before and during
    its period.

    Parameters
    ----------
    group_id : str
        Id of a group in ``grupper.parquet`` (the slug of its name).
    p : Paths, optional
        Project paths.
    """

    def __init__(self, group_id: str, p: Paths | None = None) -> None:
        self.data = GroupData(str(group_id), p or paths())

    def __repr__(self) -> str:
        return f"GroupReport({self.data.group.id}: {self.data.group.label})"

    def title(self):
        return programme.title(self.data)

    def key_figures(self):
        return programme.key_figures(self.data)

    def findings(self):
        return programme.findings(self.data)

    def population_table(self):
        return programme.population_table(self.data)

    def fig_population(self):
        return programme.fig_population(self.data)

    def service_table(self):
        return programme.service_table(self.data)

    def support_table(self):
        return programme.support_table(self.data)

    def types_table(self):
        return programme.types_table(self.data)

    def members_table(self):
        return programme.members_table(self.data)

    def method(self):
        return programme.method_text(self.data)

    def about(self):
        return method.about(self.data.riket, topics=("support",))
