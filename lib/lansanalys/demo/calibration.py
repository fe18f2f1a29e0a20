"""Published figures the demo is calibrated to (packaged in ``demo/data``, see its SOURCE.md).

The demo population of every kommun equals its real 2024 total (SCB via Kolada) and its real
totals of 2014–2019 (SCB), with the years between 2019 and 2024 on the steady path between the
two; its age and sex shape is SCB's 2019 table for that kommun (5-year bands spread over single
years with the national single-age shape of each band).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

DATA = Path(__file__).parent / "data"
#: Years of the packaged tables.
TOTALS_YEAR, SHAPE_YEAR = 2024, 2019
SEXES = ("män", "kvinnor")
AGES = np.arange(101)  # 100 = 100+


@cache
def totals() -> pd.Series:
    """Population per kommun on 31 Dec :data:`TOTALS_YEAR` (index ``kommun_kod``)."""
    df = pd.read_csv(DATA / "folkmangd_2024.csv", dtype={"kommun_kod": str})
    return df.set_index("kommun_kod")["folkmangd"].astype(np.int64)


@cache
def history() -> pd.DataFrame:
    """Population per kommun (index ``kommun_kod``) on 31 Dec of each year from 2014 to
    :data:`TOTALS_YEAR` (columns): SCB's totals up to :data:`SHAPE_YEAR`, :func:`totals` in the
    last year, and the years between on the constant-rate path between the two (no published
    figure is packaged for them)."""
    df = pd.read_csv(DATA / "folkmangd_2014_2019.csv", dtype={"kommun_kod": str})
    wide = df.pivot(index="kommun_kod", columns="year", values="folkmangd").astype(float)
    last = totals().reindex(wide.index).astype(float)
    span = TOTALS_YEAR - SHAPE_YEAR
    rate = (last / wide[SHAPE_YEAR]) ** (1 / span)
    for year in range(SHAPE_YEAR + 1, TOTALS_YEAR):
        wide[year] = (wide[SHAPE_YEAR] * rate ** (year - SHAPE_YEAR)).round()
    wide[TOTALS_YEAR] = last
    return wide.astype(np.int64)


def _band_of_age() -> np.ndarray:
    return np.minimum(AGES // 5, 20)


@cache
def age_sex_counts() -> pd.DataFrame:
    """Population per kommun × sex (index) × single age 0–100 (columns), :data:`SHAPE_YEAR`.

    Each 5-year band of the kommun is spread over its ages in proportion to the national count
    of each age in the band, so the band sums are SCB's exactly.
    """
    bands = pd.read_csv(DATA / "alder_kon_2019.csv", dtype={"kommun_kod": str})
    bands = bands.set_index(["kommun_kod", "kon"])
    riket = pd.read_csv(DATA / "riket_alder_kon_2019.csv")
    riket = riket.pivot(index="kon", columns="alder", values="folkmangd")[AGES]
    band = _band_of_age()
    out = []
    for sex in SEXES:
        nat = riket.loc[sex].to_numpy(dtype=float)
        band_tot = np.bincount(band, weights=nat)
        within = nat / band_tot[band]  # share of its band each age holds, nationally
        b = bands.xs(sex, level="kon").to_numpy(dtype=float)
        counts = b[:, band] * within
        out.append(
            pd.DataFrame(
                counts,
                index=pd.MultiIndex.from_product(
                    [bands.xs(sex, level="kon").index, [sex]], names=["kommun_kod", "sex"]
                ),
                columns=AGES,
            )
        )
    return pd.concat(out).sort_index()


def totals_shape_year() -> pd.Series:
    """Population per kommun in :data:`SHAPE_YEAR` (the sums of :func:`age_sex_counts`)."""
    return age_sex_counts().groupby(level="kommun_kod").sum().sum(axis=1).round().astype(np.int64)
