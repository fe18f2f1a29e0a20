"""Area indicators the reports rank and compare: population, change, mean age, age shares,
dependency ratio and the grocery access share per area. Pure: it reads no file.
"""

from __future__ import annotations

import pandas as pd

from lansanalys.analysis import demography
from lansanalys.analysis.access import HEADLINE_KM, share_col

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
