"""Länsanalys: Swedish regional analysis — population, access to service, support distribution.

Notebooks use this package as ``import lansanalys as la``::

    la.setup()
    rpt = la.LanReport("08")      # Kalmar län
    rpt.fig_pyramid()

Heavy work runs once in :func:`lansanalys.build.build`; reports only filter and display.
"""

from importlib.metadata import PackageNotFoundError, version

from lansanalys import fmt, geo
from lansanalys.analysis import access, demography
from lansanalys.config import paths
from lansanalys.report import (
    KommunReport,
    LanReport,
    NationalOverview,
    figures,
    national_overview,
    setup,
)
from lansanalys.services import SERVICE_TYPES

try:
    __version__ = version("lansanalys")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0+unknown"

__all__ = [
    "SERVICE_TYPES",
    "KommunReport",
    "LanReport",
    "NationalOverview",
    "access",
    "demography",
    "figures",
    "fmt",
    "geo",
    "national_overview",
    "paths",
    "setup",
]
