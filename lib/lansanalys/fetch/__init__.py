"""Download open data into ``data/raw``: SCB population, SCB's 1 km grid, OpenStreetMap.

``lansanalys fetch befolkning | rutor | service | vagnat`` calls the functions here:

- :func:`fetch_befolkning`: population by kommun × single-year age × sex × year from SCB's
  Statistikdatabasen through PxWebApi 2.0 (by default the whole series: ``TAB638`` up to 2024
  joined with ``TAB5557`` from 2025) or the older v1 API (``BefolkningNy``), as JSON-stat 2
  answers in ``data/raw/befolkning/``;
- :func:`fetch_rutor`: SCB's open population grid (1 km cells, a zipped GeoPackage) into
  ``data/raw/rutor/``;
- :func:`fetch_service` and :func:`fetch_vagnat`: OpenStreetMap service points (``out center``)
  and roads (``out geom``) of a län through the Overpass API, as the raw Overpass JSON answer in
  ``data/raw/service/`` and ``data/raw/vagnat/``.

Every download goes through one small HTTP layer (:class:`~.http.Http`) on :mod:`requests`: connect and
read timeouts and a time limit per download; retries with exponential backoff on connection
errors, read timeouts and HTTP 429/500/502/503/504, honouring ``Retry-After``; and a cache under
``data/raw/.cache/fetch/`` (key: sha256 of method, URL and body; the body beside a small JSON note
of URL, status and retrieval time), used for ``cache_days`` unless ``refresh`` is set.

Each answer is checked with the kit's own reader before anything is written; the files of one
command are then moved in together and recorded in ``SOURCES.yml``. Without network, or when a
server refuses, :class:`FetchError` says so in one line and no data file is written (answers
already complete stay in the cache, so a re-run resumes there).

Modules: :mod:`.http` (client, retries, cache), :mod:`.staging` (check, move in, SOURCES.yml),
:mod:`.pxweb` (SCB population; the request plan in :mod:`.pxweb_plan`), :mod:`.overpass` (OpenStreetMap), :mod:`.scb_grid` (SCB grid).

The base URLs are the public services unless given per call or by the environment variables in
:data:`lansanalys.config.URL_ENVS` (the tests point them at a server on 127.0.0.1).
"""

from lansanalys.fetch.http import Options
from lansanalys.fetch.overpass import fetch_service, fetch_vagnat
from lansanalys.fetch.pxweb import fetch_befolkning
from lansanalys.fetch.scb_grid import fetch_rutor
from lansanalys.fetch.staging import Result

__all__ = ["Options", "Result", "fetch_befolkning", "fetch_rutor", "fetch_service", "fetch_vagnat"]
