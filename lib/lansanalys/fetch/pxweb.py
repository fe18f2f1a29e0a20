"""SCB population through PxWebApi 2.0 (TAB638 up to 2024 joined with TAB5557 from 2025) or the
older v1 API: table metadata, a plan of requests within the API's cell limit, JSON-stat answers
staged under ``data/raw/befolkning/``.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lansanalys import geo
from lansanalys.config import Paths, paths
from lansanalys.errors import FetchError, SelectionError
from lansanalys.fetch.http import CACHE_DIR, DEFAULT_TIMEOUTS, Http, Options, RateLimit, _one_line
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


# befolkning: SCB PxWeb v2 and v1


@dataclass
class _Dim:
    code: str
    label: str
    codes: list[str]
    labels: dict[str, str]
    elimination: bool


def _dims_v2(meta: Any, url: str) -> tuple[str, list[_Dim]]:
    """Variables of a PxWebApi 2 table from its JSON-stat 2 metadata."""
    if not isinstance(meta, dict) or not isinstance(meta.get("dimension"), dict):
        raise FetchError(f"the metadata from {url} is not JSON-stat 2 (no 'dimension')")
    order = meta.get("id") or list(meta["dimension"])
    dims = []
    for code in order:
        d = meta["dimension"].get(code) or {}
        cat = d.get("category") or {}
        index = cat.get("index")
        if isinstance(index, dict):
            codes = [c for c, _ in sorted(index.items(), key=lambda kv: kv[1])]
        elif isinstance(index, list):
            codes = list(index)
        else:
            codes = list(cat.get("label") or {})
        ext = d.get("extension") or {}
        dims.append(
            _Dim(
                code=code,
                label=str(d.get("label", code)),
                codes=[str(c) for c in codes],
                labels={str(k): str(v) for k, v in (cat.get("label") or {}).items()},
                elimination=bool(ext.get("elimination", False)),
            )
        )
    return str(meta.get("label", "")), dims


def _dims_v1(doc: Any, url: str) -> tuple[str, list[_Dim]]:
    """Variables of a v1 table from the GET answer on the table URL."""
    if not isinstance(doc, dict) or not isinstance(doc.get("variables"), list):
        raise FetchError(
            f"the answer from {url} is not a PxWeb v1 table (no 'variables'); is the table path "
            "right?"
        )
    dims = []
    for v in doc["variables"]:
        codes = [str(c) for c in v.get("values", [])]
        texts = [str(t) for t in v.get("valueTexts", codes)]
        dims.append(
            _Dim(
                code=str(v.get("code")),
                label=str(v.get("text", v.get("code"))),
                codes=codes,
                labels=dict(zip(codes, texts, strict=False)),
                elimination=bool(v.get("elimination", False)),
            )
        )
    return str(doc.get("title", "")), dims


@dataclass
class _Plan:
    selection: dict[str, list[str]]  # variable → codes, in the table's order
    region: str
    time: str
    year_of: dict[str, int]
    lan: list[str]
    omitted: list[str]


_ROLE = {
    "region": ("region",),
    "age": ("alder", "ålder", "age"),
    "sex": ("kon", "kön", "sex"),
    "time": ("tid", "time", "year", "år"),
    "contents": ("contentscode",),
}


_CIVIL = re.compile(r"civilst(a|å)nd", re.IGNORECASE)


def _table_years(dims: list[_Dim]) -> list[int]:
    """The year-ends a table has (its time variable's years, or months that are December)."""
    for d in dims:
        if d.code.lower() in _ROLE["time"]:
            return sorted({y for c in d.codes if (y := _year_of(c)) is not None})
    return []


def _split_years(
    tables: list[tuple[str, list[_Dim]]], wanted: list[int] | None, n_default: int = 11
) -> list[list[int]]:
    """The years to fetch from each table of a series (oldest table first).

    Each year comes from the first table that has it, so the joined series has no year twice;
    with no years asked for, the latest ``n_default`` years of the joined series.
    """
    have = [set(_table_years(dims)) for _, dims in tables]
    every = sorted(set().union(*have))
    if not every:
        raise SelectionError(
            "tables " + ", ".join(t for t, _ in tables) + " have no year-end in their time "
            "variable; expected years such as 2024"
        )
    wanted = every[-n_default:] if wanted is None else wanted
    taken: set[int] = set()
    out = []
    for years in have:
        mine = [y for y in wanted if y in years and y not in taken]
        taken.update(mine)
        out.append(mine)
    absent = [y for y in wanted if y not in taken]
    if absent:
        spans = "; ".join(
            f"{t} {min(h)}–{max(h)}" for (t, _), h in zip(tables, have, strict=True) if h
        )
        raise SelectionError(f"the population series ({spans}) lacks {', '.join(map(str, absent))}")
    return out


def _year_of(code: str) -> int | None:
    m = re.fullmatch(r"(\d{4})(M12)?", code)
    return int(m.group(1)) if m else None


def _parse_years(text: str | None) -> list[int] | None:
    """ "2014-2024", "2024", "2019,2024" or "2014-2016,2020" → sorted years; None = default."""
    if text is None or not str(text).strip():
        return None
    years: set[int] = set()
    for part in str(text).replace(" ", "").split(","):
        m = re.fullmatch(r"(\d{4})(?:[-–](\d{4}))?", part)
        if not m:
            raise SelectionError(
                f"--years: {text!r} not understood; expected e.g. 2024, 2014-2024 or 2019,2024"
            )
        a, b = int(m.group(1)), int(m.group(2) or m.group(1))
        if b < a:
            raise SelectionError(f"--years: {part!r} runs backwards")
        years.update(range(a, b + 1))
    return sorted(years)


def _population_plan(
    dims: list[_Dim], table: str, lan: list[str], years: list[int] | None, n_default: int = 11
) -> _Plan:
    """The selection for kommun × single-year age × sex × year from a table's variables."""
    region, age, sex, tid = _by_role(dims, table)
    regions = _regions(region, lan, table)
    year_of, tids = _times(tid, years, n_default, table)
    chosen = {region.code: regions, age.code: _ages(age, table), sex.code: _sexes(sex, table)}
    chosen[tid.code] = tids
    selection: dict[str, list[str]] = {}
    omitted: list[str] = []
    for d in dims:
        if d.code in chosen:
            selection[d.code] = chosen[d.code]
        else:
            values = _other_values(d, table, omitted)
            if values is not None:
                selection[d.code] = values
    lan_used = sorted({k[:2] for k in regions})
    return _Plan(selection, region.code, tid.code, year_of, lan_used, omitted)


def _by_role(dims: list[_Dim], table: str) -> tuple[_Dim, _Dim, _Dim, _Dim]:
    """The region, age, sex and time variables of a table, or a SelectionError naming those
    it lacks."""
    by_role: dict[str, _Dim] = {}
    for d in dims:
        for role, names in _ROLE.items():
            if d.code.lower() in names and role not in by_role:
                by_role[role] = d
    missing = [r for r in ("region", "age", "sex", "time") if r not in by_role]
    if missing:
        raise SelectionError(
            f"table {table} has no {', '.join(missing)} variable (has "
            f"{', '.join(d.code for d in dims)}); expected a population table by region, age, "
            "sex and year"
        )
    return by_role["region"], by_role["age"], by_role["sex"], by_role["time"]


def _regions(region: _Dim, lan: list[str], table: str) -> list[str]:
    """The kommuner of ``lan`` the table has."""
    have = set(region.codes)
    regions = [k for c in lan for k in geo.kommun_codes(c) if k in have]
    if not regions:
        raise SelectionError(
            f"table {table} has none of the kommuner of län {', '.join(lan)} in variable "
            f"{region.code}; expected 4-digit kommun codes"
        )
    return regions


def _ages(age: _Dim, table: str) -> list[str]:
    """Single-year ages and the open top class ("100+"; "100+1" from 2025, TAB5557); a class
    such as "65+" in a table of age classes is not one."""
    single = [c for c in age.codes if re.fullmatch(r"\d{1,3}", c)]
    if not single:
        raise SelectionError(
            f"table {table} has no single-year ages in variable {age.code} (has "
            f"{', '.join(age.codes[:4])}…); expected ages 0 … 100+"
        )
    n = max(map(int, single)) + 1
    top = next((c for c in (f"{n}+1", f"{n}+") if c in age.codes), None)
    return [c for c in age.codes if c in single or c == top]


def _sexes(sex: _Dim, table: str) -> list[str]:
    sexes = [c for c in sex.codes if c in ("1", "2")]
    if sorted(sexes) != ["1", "2"]:
        raise SelectionError(
            f"table {table} does not give men and women apart in {sex.code} (codes 1 and 2)"
        )
    return sexes


def _times(
    tid: _Dim, years: list[int] | None, n_default: int, table: str
) -> tuple[dict[str, int], list[str]]:
    """Time code → year (one code per year), and the codes of the years asked for (default the
    last ``n_default``); a year the table lacks is a SelectionError."""
    year_of: dict[str, int] = {}
    for c in tid.codes:
        y = _year_of(c)
        if y is not None and y not in year_of.values():
            year_of[c] = y
    if not year_of:
        raise SelectionError(
            f"table {table} has no year-end in {tid.code} (has {', '.join(tid.codes[:3])}…); "
            "expected years such as 2024 or months such as 2024M12"
        )
    available = sorted(year_of.values())
    if years is None:
        chosen = available[-n_default:]
    else:
        absent = [y for y in years if y not in available]
        if absent:
            gaps = len(available) != available[-1] - available[0] + 1
            raise SelectionError(
                f"table {table} has years {available[0]}–{available[-1]}"
                + (" (not all in between)" if gaps else "")
                + f"; {', '.join(map(str, absent))} not there"
            )
        chosen = years
    return year_of, [c for c, y in year_of.items() if y in chosen]


def _other_values(d: _Dim, table: str, omitted: list[str]) -> list[str] | None:
    """The values to ask for of a variable that is not region, age, sex or time; None (and its
    code in ``omitted``) when the API sums it."""
    if d.code.lower() in _ROLE["contents"]:
        return [_population_contents(d, table)]
    if d.elimination:
        omitted.append(d.code)  # summed by the API (civilstånd …)
        return None
    if len(d.codes) == 1:
        return list(d.codes)
    if total := _total_code(d):
        return [total]
    if _CIVIL.fullmatch(d.code):
        # TAB5557 cannot leave civilstånd out and has no total: every value is fetched and the
        # reader sums them.
        omitted.append(d.code)
        return list(d.codes)
    raise SelectionError(
        f"table {table}: variable {d.code} ({d.label}) cannot be left out and has "
        f"{len(d.codes)} values; expected a population table by region, age, sex and year"
    )


def _total_code(d: _Dim) -> str | None:
    """The "totalt" value of a variable the API will not sum for us, if it has one."""
    for c in d.codes:
        if c.lower() in ("tot", "totsa", "totalt", "total") or d.labels.get(
            c, ""
        ).lower().startswith("totalt"):
            return c
    return None


def _population_contents(d: _Dim, table: str) -> str:
    if len(d.codes) == 1:
        return d.codes[0]
    for c in d.codes:
        if re.match(r"folkmängd(?!.*förändr)", d.labels.get(c, ""), re.IGNORECASE):
            return c
    raise SelectionError(
        f"table {table}: no 'Folkmängd' among the contents "
        + ", ".join(f"{c} ({d.labels.get(c, '')})" for c in d.codes)
    )


def _pack_by_lan(regions: list[str], cap: int) -> list[list[str]]:
    """Kommuner in groups of at most ``cap``, whole län together (a län larger than ``cap``
    alone is split)."""
    groups: list[list[str]] = []
    current: list[str] = []
    for lan in sorted({k[:2] for k in regions}):
        members = [k for k in regions if k[:2] == lan]
        while len(members) > cap:  # a län too large alone
            if current:
                groups.append(current)
                current = []
            groups.append(members[:cap])
            members = members[cap:]
        if len(current) + len(members) > cap:
            groups.append(current)
            current = []
        current = current + members
    if current:
        groups.append(current)
    return groups


def _chunks(plan: _Plan, max_cells: int) -> list[dict[str, list[str]]]:
    """Split the selection so no request asks for more than ``max_cells`` cells.

    Whole years go together while they fit; otherwise one year at a time with the kommuner
    packed by län (a län is split only if it alone is too large).
    """
    sel = plan.selection
    other = 1
    for k, v in sel.items():
        if k not in (plan.region, plan.time):
            other *= len(v)
    regions, tids = sel[plan.region], sel[plan.time]
    if other > max_cells:
        raise FetchError(
            f"one kommun and year is {other} cells, more than the API allows ({max_cells})"
        )
    per_year = len(regions) * other
    out = []
    if per_year <= max_cells:
        step = max(1, max_cells // per_year)
        for i in range(0, len(tids), step):
            out.append({**sel, plan.time: tids[i : i + step]})
        return out
    groups = _pack_by_lan(regions, max_cells // other)
    for t in tids:
        for g in groups:
            out.append({**sel, plan.region: g, plan.time: [t]})
    return out


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
