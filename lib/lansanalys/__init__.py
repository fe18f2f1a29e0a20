"""Länsanalys: Swedish regional analysis — population, access to service, support distribution.

Notebooks use this package as ``import lansanalys as la``::

    la.setup()                    # in a rendered report: la.setup(render)
    rpt = la.LanReport("08")      # Kalmar län
    rpt.fig_pyramid()

Heavy work runs once in :func:`lansanalys.pipeline.build`; reports only filter and display.
The names below are loaded on first use, so ``import lansanalys.sources`` (a reader in a
script, the build) does not pay for plotly and the report package.
"""

from __future__ import annotations

import importlib
from importlib.metadata import PackageNotFoundError, version
from typing import Any

try:
    __version__ = version("lansanalys")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0+unknown"

#: Public name → the module that defines it (the module itself when the name is a module).
_LAZY = {
    "SERVICE_TYPES": "lansanalys.services",
    "Area": "lansanalys.report",
    "GroupReport": "lansanalys.report",
    "KommunReport": "lansanalys.report",
    "LanReport": "lansanalys.report",
    "NationalOverview": "lansanalys.report",
    "Report": "lansanalys.report",
    "national_overview": "lansanalys.report",
    "setup": "lansanalys.report",
    "figures": "lansanalys.report.figures",
    "access": "lansanalys.analysis.access",
    "demography": "lansanalys.analysis.demography",
    "fmt": "lansanalys.fmt",
    "geo": "lansanalys.geo",
    "paths": "lansanalys.config",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'lansanalys' has no attribute {name!r}")
    module = importlib.import_module(_LAZY[name])
    value = module if module.__name__.endswith("." + name) else getattr(module, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])
