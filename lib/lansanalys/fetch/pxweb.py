"""SCB population through PxWebApi 2.0 (TAB638 up to 2024 joined with TAB5557 from 2025) or the
older v1 API: table metadata, a plan of requests within the API's cell limit, JSON-stat answers
staged under ``data/raw/befolkning/``.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from lansanalys import geo
from lansanalys.config import Paths, paths
from lansanalys.errors import FetchError, SelectionError
from lansanalys.fetch.http import CACHE_DIR, DEFAULT_TIMEOUTS, Http, Options, RateLimit, _one_line
from lansanalys.fetch.pxweb_plan import (
    _chunks,
    _dims_v1,
    _dims_v2,
    _parse_years,
    _Plan,
    _population_plan,
    _split_years,
)
from lansanalys.fetch.staging import (
    SCB_LICENCE,
    Result,
    _base,
    _lan_list,
    _note_others,
    _run,
    _Stage,
)

# Sources

#: PxWebApi 2.0 of SCB's Statistikdatabasen.
PXWEB_V2_URL = "https://statistikdatabasen.scb.se/api/v2"
#: The older PxWeb API (v1) of SCB, database ``ssd``.
PXWEB_V1_URL = "https://api.scb.se/OV0104/v1/doris/sv/ssd"
#: "Folkmängden efter region, civilstånd, ålder och kön. År" (BE0101, yearly, 31 December),
#: frozen at 2024.
PXWEB_V2_TABLE = "TAB638"
#: Its continuation from reference year 2025 (BefolkningCKM): contents code ``000007ME``,
#: civilstånd and ålder cannot be left out, the open age class is ``100+1``, and every value
#: carries SCB's Cell Key Method noise.
PXWEB_V2_CKM_TABLE = "TAB5557"
#: The yearly population series, oldest table first: each year comes from the first table that
#: has it (TAB638 up to 2024, TAB5557 from 2025), so no year is fetched twice. (Births, deaths
#: and migration, BE0101J, continue likewise in TAB6640; the kit reads them from CSV exports.)
PXWEB_V2_SERIES: tuple[str, ...] = (PXWEB_V2_TABLE, PXWEB_V2_CKM_TABLE)
#: The same table's path in the v1 API.
PXWEB_V1_TABLE = "START/BE/BE0101/BE0101A/BefolkningNy"
#: Cells per request when the API does not say (v1); SCB allows 150 000.
PXWEB_V1_MAX_CELLS = 100_000
#: Calls per time window (seconds) when the API does not say (v1); SCB allows 30 per 10 s.
PXWEB_V1_RATE = (30, 10.0)


def _years_label(years: Sequence[int]) -> str:
    years = sorted(set(years))
    if len(years) == 1:
        return str(years[0])
    if years == list(range(years[0], years[-1] + 1)):
        return f"{years[0]}-{years[-1]}"
    return "_".join(map(str, years))


def _lan_label(lan: Sequence[str]) -> str:
    return "riket" if list(lan) == geo.lan_codes() else "lan" + "-".join(lan)


def _summary(sel: dict[str, list[str]], plan: _Plan) -> str:
    parts = []
    for k, v in sel.items():
        if k == plan.region:
            parts.append(f"{k}: {len(v)} kommuner")
        elif k == plan.time:
            parts.append(f"{k}: {', '.join(v)}" if len(v) <= 4 else f"{k}: {v[0]}…{v[-1]}")
        elif len(v) > 4:
            parts.append(f"{k}: {v[0]}…{v[-1]} ({len(v)})")
        else:
            parts.append(f"{k}: {', '.join(v)}")
    if plan.omitted:
        parts.append("summerat över " + ", ".join(plan.omitted))
    return "; ".join(parts)


def _check_population(path: Path, sel: dict[str, list[str]], plan: _Plan, url: str) -> int:
    """Read a staged answer with the kit's reader; it must hold what was asked for."""
    from lansanalys.errors import InputError
    from lansanalys.sources.befolkning import read_befolkning

    try:
        df = read_befolkning(path)
    except InputError as exc:
        problem = str(exc).split(": ", 1)[-1]
        raise FetchError(
            f"the answer from {url} is not usable population data: {_one_line(problem, 200)}"
        ) from None
    lacking = sorted(set(sel[plan.region]) - set(df["kommun_kod"]))
    years = {plan.year_of[t] for t in sel[plan.time]}
    lacking_years = sorted(years - set(df["year"]))
    if lacking or lacking_years:
        what = (
            f"kommun(er) {', '.join(lacking[:5])}" + ("…" if len(lacking) > 5 else "")
            if lacking
            else f"year(s) {', '.join(map(str, lacking_years))}"
        )
        raise FetchError(f"the answer from {url} lacks {what} that were asked for")
    return len(df)


def _stage_table(
    http: Http,
    stage: _Stage,
    api: str,
    rate: RateLimit,
    limit: int,
    tid: str,
    data_url: str,
    source: str,
    slug: str,
    plan: _Plan,
) -> None:
    """Download one table's selection in chunks, check each answer and stage it as a file."""
    answers = []
    for sel in _chunks(plan, limit):
        if api == "v2":
            body_json = {
                "selection": [{"variableCode": k, "valueCodes": v} for k, v in sel.items()]
            }
            ans = http.post(
                data_url,
                params={"lang": "sv", "outputFormat": "json-stat2"},
                json_body=body_json,
                before_send=rate.wait,
            )
        else:
            body_json = {
                "query": [
                    {"code": k, "selection": {"filter": "item", "values": v}}
                    for k, v in sel.items()
                ],
                "response": {"format": "json-stat2"},
            }
            ans = http.post(data_url, json_body=body_json, before_send=rate.wait)
        answers.append((sel, ans))
    # Name the files; chunks of one year split over län groups get a part number.
    per_years: dict[str, int] = {}
    for sel, _ in answers:
        key = _years_label([plan.year_of[t] for t in sel[plan.time]])
        per_years[key] = per_years.get(key, 0) + 1
    seen: dict[str, int] = {}
    for sel, ans in answers:
        ys = [plan.year_of[t] for t in sel[plan.time]]
        file_lan = sorted({k[:2] for k in sel[plan.region]})
        key = _years_label(ys)
        name = f"scb_{slug}_{_lan_label(plan.lan)}_{key}"
        if per_years[key] > 1:
            seen[key] = seen.get(key, 0) + 1
            name += f"_del{seen[key]}av{per_years[key]}"
        name = re.sub(r"[^A-Za-z0-9._-]", "_", name) + ".json"
        tmp = stage.path(name)
        shutil.copyfile(ans.path, tmp)
        rows = _check_population(tmp, sel, plan, ans.url)
        entry = {
            "kind": "befolkning",
            "demo": False,
            "source": source,
            "url": ans.url,
            "table": tid,
            "query": _summary(sel, plan),
            "year": max(ys),
            "years": sorted(ys),
            "lan": file_lan,
            "retrieved": ans.retrieved.date().isoformat(),
            "licence": SCB_LICENCE,
            "fetched_by": "lansanalys fetch befolkning",
        }
        stage.add(tmp, name, entry, rows, ans.from_cache)


#: A request to make: (table id, data URL, source text, file slug, plan).
_Job = tuple[str, str, str, str, _Plan]


def _v2_jobs(
    http: Http, base_url: str | None, table: str | None, lan_codes: list[str], wanted: list[int]
) -> tuple[list[_Job], int, RateLimit]:
    """PxWebApi 2.0: one job per table (the series, each year from the first table that has
    it, or the one table asked for), the API's cell limit and its rate limit."""
    base = _base("pxweb_v2", base_url, PXWEB_V2_URL)
    cfg = http.get(f"{base}/config").json()
    if not isinstance(cfg, dict):
        raise FetchError(f"the answer from {base}/config is not a PxWebApi 2 config")
    limit = int(cfg.get("maxDataCells") or 150_000)
    rate = RateLimit(cfg.get("maxCallsPerTimeWindow") or 0, cfg.get("timeWindow") or 0)
    metas = []
    for tid in [table] if table else list(PXWEB_V2_SERIES):
        meta_url = f"{base}/tables/{tid}/metadata"
        title, dims = _dims_v2(
            http.get(meta_url, params={"lang": "sv"}, before_send=rate.wait).json(), meta_url
        )
        metas.append((tid, title, dims))
    if table:  # one table, as asked: its own years
        split = [wanted]
    else:  # the series: each year from the first table that has it
        split = _split_years([(t, d) for t, _, d in metas], wanted)
    jobs: list[_Job] = []
    for (tid, title, dims), ys in zip(metas, split, strict=True):
        if ys is not None and not ys:
            continue  # a table of the series with none of the years asked for
        source = f"SCB Statistikdatabasen (PxWebApi 2.0), tabell {tid}: {title}".rstrip(": ")
        plan = _population_plan(dims, tid, lan_codes, ys)
        jobs.append((tid, f"{base}/tables/{tid}/data", source, tid, plan))
    return jobs, limit, rate


def _v1_jobs(
    http: Http, base_url: str | None, table: str | None, lan_codes: list[str], wanted: list[int]
) -> tuple[list[_Job], int, RateLimit]:
    """The older v1 API: one table, its documented cell and rate limits."""
    base = _base("pxweb_v1", base_url, PXWEB_V1_URL)
    tid = (table or PXWEB_V1_TABLE).strip("/")
    data_url = f"{base}/{tid}"
    rate = RateLimit(*PXWEB_V1_RATE)
    title, dims = _dims_v1(http.get(data_url, before_send=rate.wait).json(), data_url)
    source = f"SCB Statistikdatabasen (PxWeb API v1), {tid.split('/')[-1]}: {title}"
    plan = _population_plan(dims, tid, lan_codes, wanted)
    return [(tid, data_url, source, tid.split("/")[-1], plan)], PXWEB_V1_MAX_CELLS, rate


def _population_notes(
    api: str, table: str | None, new_lan: set[str], new_years: set[int]
) -> list[str]:
    """What the user should know about the fetched population (noise, gaps, partial län)."""
    from lansanalys.sources.befolkning import CKM_FIRST_YEAR

    notes = []
    if any(y >= CKM_FIRST_YEAR for y in new_years):
        notes.append(
            f"from {CKM_FIRST_YEAR} SCB adds Cell Key Method noise to every value "
            "(TAB5557): parts need not add up to totals; the build tolerates it"
        )
    if api == "v1" and not table and max(new_years) < CKM_FIRST_YEAR:
        notes.append(
            f"the v1 table ends before {CKM_FIRST_YEAR}; later years are in "
            f"{PXWEB_V2_CKM_TABLE}, which the default --api v2 joins to the series"
        )
    if new_lan != set(geo.lan_codes()):
        notes.append(
            "only some län fetched: the build needs every kommun of the latest year "
            "(fetch the others, or all with no --lan)"
        )
    return notes


def fetch_befolkning(
    p: Paths | None = None,
    *,
    api: str = "v2",
    years: str | Sequence[int] | None = None,
    lan: Iterable[str] | None = None,
    table: str | None = None,
    base_url: str | None = None,
    options: Options | None = None,
    max_cells: int | None = None,
) -> Result:
    """Fetch population by kommun × age (0…100+) × sex × year from SCB into data/raw/befolkning.

    Parameters
    ----------
    api : {"v2", "v1"}
        PxWebApi 2.0 (``/tables/{table}/metadata`` then POSTs to ``/tables/{table}/data`` with
        ``outputFormat=json-stat2``) or the v1 API (GET on the table for its variables, then
        POST a query with ``"response": {"format": "json-stat2"}``).
    years : "2014-2024", "2024", a list of years, or None for the latest 11 years of the
        series (or of the table given).
    lan : län codes; None for all 21 (the build needs every kommun for the comparison with
        riket).
    table : table id (v2) or path (v1, default :data:`PXWEB_V1_TABLE`). Default (v2): the whole
        series, :data:`PXWEB_V2_SERIES` joined, each year from the first table that has it
        (TAB638 to 2024, TAB5557 from 2025; files named by table). Any table by region, age,
        sex and year works; variables the API may leave out (civilstånd) are summed by it, and
        civilstånd that cannot be left out (TAB5557) is fetched whole and summed by the
        reader.
    base_url : the API root; default the environment variable (:data:`lansanalys.config.URL_ENVS`) or SCB's.
    max_cells : cells per request at most; default the API's ``maxDataCells`` (v2) or
        :data:`PXWEB_V1_MAX_CELLS` (v1).

    One JSON-stat 2 file per request is written (named by table, län and years), after every
    answer has been read by :func:`lansanalys.sources.befolkning.read_befolkning`. Earlier fetched files
    covering the same län and years are replaced.
    """
    p = p or paths()
    options = options or Options()
    http = Http(p.raw / CACHE_DIR, options, DEFAULT_TIMEOUTS["befolkning"])
    stage = _Stage(p.raw_kind("befolkning"))

    def body() -> Result:
        if api not in ("v1", "v2"):
            raise SelectionError(f"--api: expected v2 or v1, not {api!r}")
        lan_codes = _lan_list(lan)
        if isinstance(years, str) or years is None:
            wanted_years = _parse_years(years)
        else:
            wanted_years = sorted({int(y) for y in years})
        make_jobs = _v2_jobs if api == "v2" else _v1_jobs
        jobs, limit, rate = make_jobs(http, base_url, table, lan_codes, wanted_years)
        limit = min(limit, max_cells) if max_cells else limit
        for tid, data_url, source, slug, plan in jobs:
            _stage_table(http, stage, api, rate, limit, tid, data_url, source, slug, plan)
        plans = [job[-1] for job in jobs]
        new_lan = {c for pl in plans for c in pl.lan}
        new_years = {pl.year_of[t] for pl in plans for t in pl.selection[pl.time]}

        def supersedes(rel: str, e: dict[str, Any]) -> bool:
            return (
                e.get("fetched_by") == "lansanalys fetch befolkning"
                and rel.startswith("befolkning/")
                and bool(new_lan & set(map(str, e.get("lan") or [])))
                and bool(new_years & {int(y) for y in e.get("years") or []})
            )

        result = stage.commit(p, supersedes)
        _note_others(p, "befolkning", result)
        result.notes.extend(_population_notes(api, table, new_lan, new_years))
        return result

    return _run(http, stage, body)
