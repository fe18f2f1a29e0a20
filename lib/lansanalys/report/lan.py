"""The län report: :class:`LanReport`, what ``notebooks/lansrapport.ipynb`` calls, one method per
cell. Its methods live in the chapter modules of :mod:`lansanalys.report.chapters`.
"""

from __future__ import annotations

from dataclasses import dataclass

from lansanalys.report.chapters.access import AccessChapter
from lansanalys.report.chapters.kommuner import KommunerChapter
from lansanalys.report.chapters.method import MethodChapter
from lansanalys.report.chapters.population import PopulationChapter
from lansanalys.report.chapters.summary import SummaryChapter
from lansanalys.report.chapters.support import SupportChapter
from lansanalys.report.data import LanData


@dataclass
class LanReport(
    LanData,
    SummaryChapter,
    PopulationChapter,
    AccessChapter,
    KommunerChapter,
    SupportChapter,
    MethodChapter,
):
    """Everything the per-län report shows, for one ``lan_kod``: the län's data
    (:class:`~lansanalys.report.data.LanData`) and one method per notebook cell, from the chapter
    modules.

    Parameters
    ----------
    lan_kod : str
        Two-character län code ("08" Kalmar län).
    thresholds_km : tuple of float
        Distance thresholds for the access table (km, "more than"). Any positive number works:
        thresholds the build did not precompute are computed from the cells' distances.
    """
