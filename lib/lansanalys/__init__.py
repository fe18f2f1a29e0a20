"""Länsanalys: Swedish regional analysis — population, access to service, support distribution.

Notebooks use this package as ``import lansanalys as la``::

    la.setup()
    rpt = la.LanReport("08")      # Kalmar län
    rpt.fig_pyramid()

Heavy work runs once in :func:`lansanalys.build.build`; reports only filter and display.
"""

from importlib.metadata import PackageNotFoundError, version

from . import access, demografi, figures, fmt, geo
from .config import SERVICE_TYPES, paths
from .report import KommunReport, LanReport, NationalOverview, national_overview, setup

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
    "demografi",
    "figures",
    "fmt",
    "geo",
    "national_overview",
    "paths",
    "setup",
]
