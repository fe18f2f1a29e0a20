"""The year of each service file, and the files split into the latest year and the earlier ones
(the change over time, :mod:`lansanalys.pipeline.history`). With one year nothing changes.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from lansanalys import geo
from lansanalys.errors import BuildError


def _claims(df: pd.DataFrame, entry: dict[str, Any]) -> set[tuple[str, str]]:
    """The län × type a file (part) answers for: declared ``lan`` (else every län) × declared
    ``service_types`` (else the types it holds)."""
    lans = entry.get("lan")
    lans = [lans] if isinstance(lans, str) else (lans or geo.lan_codes())
    types = entry.get("service_types") or sorted(set(df["service_type"]))
    types = [types] if isinstance(types, str) else types
    return {(str(lan), str(t)) for lan in lans for t in types}


def split_years(
    frames: list[pd.DataFrame], entries: list[dict[str, Any]]
) -> tuple[
    list[pd.DataFrame], list[dict[str, Any]], dict[int, list[tuple[pd.DataFrame, dict]]], int | None
]:
    """The latest year's service files, the earlier years' (year → [(points, entry)]) and the
    latest year (None when no file has a year).

    A file's year is its ``year`` column where it has one (a file may then hold several years),
    else its SOURCES.yml ``year``. With fewer than two years the files are returned unchanged
    (no history): the build is exactly as with one year.

    Raises
    ------
    BuildError
        With several years: a file without a year, or two files of one year that answer for
        the same län and type (a year given twice).
    """
    parts: list[tuple[int | None, pd.DataFrame, dict]] = []
    for df, entry in zip(frames, entries, strict=True):
        if "year" in df.columns:
            for year, part in df.groupby("year", sort=True):
                parts.append((int(year), part.drop(columns="year").reset_index(drop=True), entry))
        else:
            year = entry.get("year")
            parts.append((int(year) if year not in (None, "") else None, df, entry))
    years = sorted({y for y, _, _ in parts if y is not None})
    if len(years) < 2:
        plain = [df.drop(columns="year", errors="ignore") for df in frames]
        return plain, entries, {}, (years[0] if years else None)
    undated = [e["file"] for y, _, e in parts if y is None]
    if undated:
        raise BuildError(
            f"service: data/raw/{undated[0]} has no year, but the service files hold several "
            f"years ({', '.join(map(str, years))}); add `year: <year>` to its entry in "
            "data/raw/SOURCES.yml (or a year column to the file) so the change over time knows "
            "which year it is"
        )
    by_year: dict[int, list[tuple[pd.DataFrame, dict]]] = {}
    for y, df, e in parts:
        by_year.setdefault(y, []).append((df, e))
    for y, group in by_year.items():
        seen: dict[tuple[str, str], str] = {}
        for df, e in group:
            for claim in sorted(_claims(df, e)):
                if claim in seen and seen[claim] != e["file"]:
                    raise BuildError(
                        f"service: two files for {y} answer for län {claim[0]} and "
                        f"{claim[1]}: data/raw/{seen[claim]} and data/raw/{e['file']}; a year "
                        "is given once (one file, or files of distinct län: declare `lan:` and "
                        "`year:` of each in data/raw/SOURCES.yml); remove one of them"
                    )
                seen[claim] = e["file"]
    latest = years[-1]
    history = {y: g for y, g in by_year.items() if y != latest}
    return [df for df, _ in by_year[latest]], [e for _, e in by_year[latest]], history, latest
