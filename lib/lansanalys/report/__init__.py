"""What report notebooks call: one object per report, one method per cell.

:class:`~lansanalys.report.facade.Report` binds the chapter functions of
:mod:`lansanalys.report.chapters` to one area's data (riket, a län or a kommun:
:class:`~lansanalys.report.area.Area`, :class:`~lansanalys.report.data.AreaData`).
``LanReport``, ``KommunReport`` and ``NationalOverview`` are constructors of it. Nothing here
computes heavily: that ran once in the build. Everything that reaches HTML from data (names of
kommuner, stores, sources) is escaped in :mod:`.blocks` or :mod:`.figures`.

========================  ====================================================================
module                    holds
========================  ====================================================================
``area``                  ``Area``: riket, län or kommun; parent, children, siblings, filters
``data``                  ``AreaData``: one area's tables (filtered, cached), comparisons, ranks
``cuts``                  cuts of the national tables kept per process (cells, population)
``chapters/<chapter>``    functions of ``AreaData``: summary, population, future, orter,
                          access, closure (and cash), support, kommuner, method
``facade``                ``Report`` and its constructors
``national``              the riksöversikt's own index blocks
``figures``               plotly chart builders and the report style (return figures)
``maps``                  maps in SWEREF 99 TM on plain axes (offline, print-safe)
``point_maps``            maps of points: closure per service point, orter by their service
``blocks``                HTML tables, ``Table`` (a DataFrame shown as a table), cards (escaped)
``text``                  shared Swedish phrases: sources, coverage, missing data
``plotly_html``           ``setup()``: the plotly renderer used in batch rendering
``downloads``             CSV/XLSX downloads of each figure's and table's data
========================  ====================================================================
"""

from lansanalys.report.area import Area
from lansanalys.report.facade import (
    GroupReport,
    KommunReport,
    LanReport,
    NationalOverview,
    Report,
    national_overview,
)
from lansanalys.report.plotly_html import setup

__all__ = [
    "Area",
    "GroupReport",
    "KommunReport",
    "LanReport",
    "NationalOverview",
    "Report",
    "national_overview",
    "setup",
]
