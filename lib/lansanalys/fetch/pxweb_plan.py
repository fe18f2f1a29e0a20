"""Planning a PxWeb population request: a table's variables (v1 and v2 metadata) → which
codes to ask for (kommuner, single-year ages, sexes, years; the rest left out or summed), split
into requests within the API's cell limit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from lansanalys import geo
from lansanalys.errors import FetchError, SelectionError

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
