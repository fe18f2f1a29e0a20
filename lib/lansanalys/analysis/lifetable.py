"""Swedish one-year death risks and the assumption that they keep falling.

One life table serves the kit's own projection (:mod:`lansanalys.analysis.projection`) and the
demo's population history (:mod:`lansanalys.demo.demography`): one-year death risks q(x) by age
0–100 (100 = the open class 100+) and sex, a smooth model set to SCB's life expectancies of
2019–2023 (``data/dodsrisker.csv``; ``data/SOURCE.md`` gives the model and its magnitudes).

**Falling mortality.** SCB's projections assume that death risks keep falling. The kit states
that assumption as one number: every one-year death risk falls by
:data:`MORTALITY_IMPROVEMENT` (1,5 %) a year, so the risk at age x in year y is
``q(x) · (1 − 0,015) ** (y − TABLE_YEAR)``. Over 50 years this adds about 7 years to men's and
6 to women's life expectancy at birth, the gain SCB assumes in *Sveriges framtida befolkning
2021–2070* ("sex år för kvinnor och sju år för män till 2070"). A single rate for every age is
a simplification: the young's risks are so small that their fall hardly moves any count.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

DATA = Path(__file__).resolve().parent / "data"

#: The year the packaged risks stand for: the middle of SCB's 2019–2023 life expectancies.
TABLE_YEAR = 2021
#: Default annual fall in every one-year death risk (0,015 = 1,5 % a year; see the module).
MORTALITY_IMPROVEMENT = 0.015
#: Ages of the table: 0–99 single years and 100 for the open class 100+.
AGES = np.arange(101)


@cache
def _table() -> pd.DataFrame:
    df = pd.read_csv(DATA / "dodsrisker.csv")
    return df.pivot(index="alder", columns="kon", values="qx")


def check_improvement(improvement) -> np.ndarray:
    """``improvement`` as an array over ages 0–100 (a number is the same rate at every age).

    Raises ValueError unless every rate is in [0, 1) (0 holds the table's risks fixed).
    """
    r = np.broadcast_to(np.asarray(improvement, dtype=float), AGES.shape).copy()
    if not np.isfinite(r).all() or (r < 0).any() or (r >= 1).any():
        raise ValueError(
            "mortality improvement must be a yearly rate in [0, 1) (0.015 = 1.5 % a year), "
            f"for one or all 101 ages; got {improvement!r}"
        )
    return r


def death_risks(
    year: float = TABLE_YEAR,
    improvement=MORTALITY_IMPROVEMENT,
    sexes: tuple[str, ...] = ("män", "kvinnor"),
) -> pd.DataFrame:
    """One-year death risk q(x) in ``year`` by age 0–100 (index) and sex (columns ``sexes``).

    The packaged risks stand for :data:`TABLE_YEAR`; another year scales each by
    ``(1 − improvement) ** (year − TABLE_YEAR)`` (earlier years have higher risks).
    """
    r = check_improvement(improvement)
    q = _table()[list(sexes)]
    factor = (1 - r) ** (float(year) - TABLE_YEAR)
    return q.mul(factor, axis=0).clip(upper=1.0)


def survival(
    year: float = TABLE_YEAR,
    improvement=MORTALITY_IMPROVEMENT,
    sexes: tuple[str, ...] = ("män", "kvinnor"),
) -> np.ndarray:
    """Chance (sex × age 0–100, sexes in the order given) that a person of completed age *a*
    on 31 December of ``year`` − 1 is alive on 31 December of ``year`` (then aged *a* + 1).

    Such a person lives through ages *a* + ½ … *a* + 1½ in the year, so the chance is
    ``sqrt((1 − q(a)) · (1 − q(a + 1)))``; the last entry is the open class 100+ staying in it,
    ``1 − q(100)``. Risks are those of ``year`` (:func:`death_risks`).
    """
    q = death_risks(year, improvement, sexes).to_numpy().T  # sex × age
    s = np.empty_like(q)
    s[:, :100] = np.sqrt((1 - q[:, :100]) * (1 - q[:, 1:]))
    s[:, 100] = 1 - q[:, 100]
    return s
