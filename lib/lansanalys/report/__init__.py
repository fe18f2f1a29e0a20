"""What report notebooks call: one object per report, one method per cell.

:class:`~lansanalys.report.lan.LanReport` loads the processed national tables once, filtered to
one län, and returns figures (plotly) and HTML blocks; its methods live in one module per chapter
(:mod:`lansanalys.report.chapters`). :class:`~lansanalys.report.kommun.KommunReport` is the
kommun deep dive and :class:`~lansanalys.report.national.NationalOverview` the index page. They do
no heavy computation: that ran once in the build. Everything that reaches HTML from data (names of
kommuner, stores, sources) is escaped in :mod:`.blocks` or :mod:`.figures`.

========================  ====================================================================
module                    holds
========================  ====================================================================
``lan``                   ``LanReport``: the chapters' methods on one län's data
``data``                  ``LanData``: one län's tables (filtered, cached), indicators, ranks
``chapters/<chapter>``    summary, population, access, kommuner, support, method
``kommun``                ``KommunReport``
``national``              ``NationalOverview`` and ``national_overview()``
``figures``               plotly chart builders and the report style (return figures)
``maps``                  maps in SWEREF 99 TM on plain axes (offline, print-safe)
``blocks``                HTML tables, cards, editorial comments (escaped)
``text``                  shared Swedish phrases: sources, coverage, missing data
``plotly_html``           ``setup()``: the plotly renderer used in batch rendering
``downloads``             CSV/XLSX downloads of each figure's and table's data
========================  ====================================================================
"""

from lansanalys.report.kommun import KommunReport
from lansanalys.report.lan import LanReport
from lansanalys.report.national import NationalOverview, national_overview
from lansanalys.report.plotly_html import setup

__all__ = ["KommunReport", "LanReport", "NationalOverview", "national_overview", "setup"]
