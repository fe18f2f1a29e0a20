"""Raw files in, tidy frames out: one reader module per raw kind, and the one registry.

Every reader takes a path and returns a tidy DataFrame or raises
:class:`~lansanalys.errors.InputError` naming the file, row and column (see :mod:`.common`).
Files are recognised by content, not name.

========================  ===================================================================
kind (``data/raw/<kind>``)  module
========================  ===================================================================
``befolkning``            :mod:`.befolkning` (also ``prognos``, same layouts, years ahead)
``rutor``                 :mod:`.rutor`
``service``               :mod:`.service` (OSM objects via :mod:`.osm_points`, PBF via :mod:`.osm`)
``stod``                  :mod:`.stod`
``klassning``             :mod:`.klassning`
``kommuntyp``             :mod:`.kommuntyp` (Tillväxtanalys' kommuntyper, xlsx or CSV)
``forandringar``          :mod:`.forandringar`
``vagnat``                :mod:`.vagnat` (road lines → graph tables)
``orter``                 :mod:`.orter` (SCB tätorter and småorter, boundaries)
``grupper``               :mod:`.grupper` (groups of kommuner for programme follow-up)
========================  ===================================================================

A new raw kind is a module with a ``@file_reader`` function and one line in :data:`READERS`.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from lansanalys.sources.befolkning import read_befolkning, read_prognos
from lansanalys.sources.forandringar import read_forandringar
from lansanalys.sources.grupper import read_grupper
from lansanalys.sources.klassning import read_klassning
from lansanalys.sources.kommuntyp import read_kommuntyp
from lansanalys.sources.orter import read_orter
from lansanalys.sources.rutor import read_rutor
from lansanalys.sources.service import read_service
from lansanalys.sources.stod import read_stod
from lansanalys.sources.vagnat import read_vagnat

#: Raw kind → its reader: the one registry the build reads every kind through.
READERS: dict[str, Callable[..., pd.DataFrame]] = {
    "befolkning": read_befolkning,
    "rutor": read_rutor,
    "service": read_service,
    "stod": read_stod,
    "vagnat": read_vagnat,
    "klassning": read_klassning,
    "kommuntyp": read_kommuntyp,
    # An official projection comes in the same layouts as the population itself.
    "prognos": read_prognos,
    "forandringar": read_forandringar,
    "orter": read_orter,
    "grupper": read_grupper,
}
