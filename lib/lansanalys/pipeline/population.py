"""The population tables of the build: the projection (official where supplied, else cohort-change
ratios) and the components of change.
"""

from __future__ import annotations

import logging
from typing import Any

import pandas as pd

from lansanalys.analysis import projection
from lansanalys.errors import BuildError

log = logging.getLogger(__name__)


#: Projection horizon of the transparent projection (Nutid och Framtid looks to 2040).
PROJECTION_YEAR = 2040


def _official_projection(
    tables: dict[str, pd.DataFrame], kinds_meta: dict[str, Any], bef: pd.DataFrame
) -> pd.DataFrame | None:
    """The supplied projection's years after the last observed year, or None."""
    if "prognos" not in tables:
        return None
    if kinds_meta["prognos"]["demo"]:
        return None
    last = int(bef["year"].max())
    off = tables["prognos"]
    off = off[off["year"] > last].copy()
    if off.empty:
        files = ", ".join(e["file"] for e in kinds_meta["prognos"]["files"])
        raise BuildError(
            f"prognos ({files}): no year after {last}, the last observed year; an official "
            "projection must look ahead"
        )
    off["population"] = off["population"].astype(float)
    off["source"] = "officiell"
    return off[["kommun_kod", "year", "age", "sex", "population", "source"]]


def _transparent_projection(
    bef: pd.DataFrame,
) -> tuple[pd.DataFrame | None, projection.SeriesTooShort | None]:
    """The cohort-change projection, or None and why when the series is too short for one.

    A single year of population (SCB's most common export) is a valid input: the build goes on
    and the report's projection chapter says what it needs.
    """
    problem = projection.series_problem(bef["year"].unique())
    if problem is not None:
        log.info("no projection: %s", problem)
        return None, problem
    projected = projection.project(bef, "kommun_kod", to_year=PROJECTION_YEAR)
    projected["source"] = "framskrivning"
    return projected, None


def _components(tables: dict[str, pd.DataFrame], kinds_meta: dict[str, Any]) -> pd.DataFrame | None:
    """Births, deaths and migration when supplied, never demo components beside a real population."""
    if "forandringar" not in tables:
        return None
    if kinds_meta["forandringar"]["demo"] and not kinds_meta["befolkning"]["demo"]:
        kinds_meta["forandringar"]["skipped"] = "demo beside a real population"
        return None
    df = tables["forandringar"].copy()
    df["lan_kod"] = df["kommun_kod"].str[:2]
    return df


def projection_table(
    tables: dict[str, pd.DataFrame], kinds_meta: dict[str, Any], bef: pd.DataFrame
) -> tuple[pd.DataFrame | None, projection.SeriesTooShort | None, pd.DataFrame | None]:
    """The projection table: the official projection for the kommuner it covers, the transparent
    one for the rest; also why there is no transparent one, and the official part."""
    proj_table, too_short = _transparent_projection(bef)
    official = _official_projection(tables, kinds_meta, bef)
    if official is not None:
        covered = set(official["kommun_kod"])
        proj_table = (
            official
            if proj_table is None
            else pd.concat(
                [proj_table[~proj_table["kommun_kod"].isin(covered)], official],
                ignore_index=True,
            )
        )
    if proj_table is not None:
        proj_table["lan_kod"] = proj_table["kommun_kod"].str[:2]
    return proj_table, too_short, official
