"""The län report: :class:`LanReport`, what ``notebooks/lansrapport.ipynb`` calls, one method per
cell. Its methods live in the chapter modules of :mod:`lansanalys.report.chapters`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from lansanalys import catalogue, geo
from lansanalys.analysis import access
from lansanalys.config import (
    DEFAULT_THRESHOLDS_KM,
    Paths,
    paths,
)
from lansanalys.report.chapters.access import AccessChapter
from lansanalys.report.chapters.data import LanData
from lansanalys.report.chapters.kommuner import KommunerChapter
from lansanalys.report.chapters.method import MethodChapter
from lansanalys.report.chapters.population import PopulationChapter
from lansanalys.report.chapters.summary import SummaryChapter
from lansanalys.report.chapters.support import SupportChapter


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
    """Everything the per-län report shows, for one ``lan_kod``.

    Parameters
    ----------
    lan_kod : str
        Two-character län code ("08" Kalmar län).
    thresholds_km : tuple of float
        Distance thresholds for the access table (km, "more than"). Any positive number works:
        thresholds the build did not precompute are computed from the cells' distances.
    """

    lan_kod: str
    thresholds_km: tuple[float, ...] = DEFAULT_THRESHOLDS_KM
    p: Paths = field(default_factory=paths)

    def __post_init__(self) -> None:
        self.lan_kod = geo.lan_parameter(self.lan_kod)
        self.thresholds_km = access.check_thresholds(self.thresholds_km, "km")
        self.lan_namn = geo.lan_name(self.lan_kod)
        self.started = time.time()
        self.meta = catalogue.read_meta(self.p)
