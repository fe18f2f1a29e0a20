"""Area indicators the reports rank and compare: population, change, mean age, age shares,
dependency ratio and the grocery access share per area, and cells with their distances.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from lansanalys import catalogue
from lansanalys.analysis import demography
from lansanalys.analysis.access import HEADLINE_KM, share_col
from lansanalys.catalogue import covered_lan
from lansanalys.config import (
    Paths,
)
from lansanalys.services import SERVICE_TYPES

#: The headline access indicator (column ``grocery_over_10``): share of the population beyond
#: :data:`~lansanalys.analysis.access.HEADLINE_KM` by road from the nearest grocery store.
_GROCERY_COL = share_col(HEADLINE_KM)


def area_indicators(
    bef: pd.DataFrame, key: str, access_area: pd.DataFrame, access_riket: pd.DataFrame
) -> pd.DataFrame:
    """Headline indicators per area (``key`` = "lan_kod" or "kommun_kod") plus riket as "00".

    Columns: population, mean_age, share_65, share_80, dependency (per 100 aged 20–64), change_1
    and change_n (percent over 1 and up to 10 years; ``attrs["span"]`` is n), grocery_over_10
    (percent living more than 10 km from the nearest grocery store, those who cannot reach one by
    road included: :data:`lansanalys.analysis.access.BEYOND_DEFINITION`) and grocery_unreachable (people).
    A change the data cannot give (one year only, or the year before the last missing) is NaN;
    ``attrs["span"]`` is 0 when no earlier year is there at all.
    """
    year = int(bef["year"].max())
    years = set(bef["year"].unique())
    span = demography.change_span(years)
    both = pd.concat([bef, bef.assign(**{key: "00"})], ignore_index=True)
    last = both[both["year"] == year]
    out = pd.DataFrame(
        {
            "population": last.groupby(key)["population"].sum(),
            "mean_age": demography.mean_age(last, key),
            "share_65": demography.share_aged(last, key, 65),
            "share_80": demography.share_aged(last, key, 80),
            "dependency": demography.dependency_ratio(last, key),
        }
    )
    for col, n in (("change_1", 1 if year - 1 in years else 0), ("change_n", span)):
        out[col] = (
            demography.change(both, key, n).set_index(key)["change_pct"] if n else float("nan")
        )
    grocery = access_area[access_area["service_type"] == "dagligvaror"].set_index(key)
    out["grocery_over_10"] = grocery[_GROCERY_COL]
    riket = access_riket.set_index("service_type")
    out.loc["00", "grocery_over_10"] = riket[_GROCERY_COL].get("dagligvaror", float("nan"))
    # A table without the count (not from the build) gives no figure for it, never 0.
    out["grocery_unreachable"] = grocery.get("population_unreachable", float("nan"))
    unreach = riket.get("population_unreachable")
    out.loc["00", "grocery_unreachable"] = (
        float("nan") if unreach is None else unreach.get("dagligvaror", float("nan"))
    )
    out.attrs["span"] = span
    return out


def cells_with_distance(
    p: Paths,
    meta: dict[str, Any],
    filters: list | None = None,
    service_type: str | None = None,
) -> pd.DataFrame:
    """Cell × service type distances from the build's nearest table, with each cell's people.

    Used to compute a threshold the build did not precompute (any the API accepts), with the
    same function and definition as the build (:func:`lansanalys.analysis.access.beyond_thresholds`).
    ``filters`` apply to both tables (e.g. ``[("lan_kod", "==", "08")]``). Only cells of län
    with service data of the row's type are kept (:func:`covered_lan`), as in the build: an
    area without data gets no row, hence no figure.
    """
    flt = list(filters or [])
    nflt = flt + ([("service_type", "==", service_type)] if service_type else [])
    near = catalogue.read(p, "nearest", filters=nflt or None)
    rutor = catalogue.read(
        p, "rutor", columns=["cell_id", "population", "pop_70plus"], filters=flt or None
    )
    out = near.merge(rutor, on="cell_id", how="left", validate="m:1")
    pairs = {(lan, st) for st in SERVICE_TYPES for lan in covered_lan(meta, st)}
    keep = [(lan, st) in pairs for lan, st in zip(out["lan_kod"], out["service_type"], strict=True)]
    return out[keep].reset_index(drop=True)
