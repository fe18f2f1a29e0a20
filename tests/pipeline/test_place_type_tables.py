"""The build's tables per type of place (issue #20, part 1): the types partition every area's
population, and the shares beyond a limit per type weight back to the area's share, for
random small countries; references in plain pandas on whole metres."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lansanalys.analysis.place_types import KOMMUNTYPER, KOMMUNTYPER3, PLACE_TYPES, URBAN_RURAL
from lansanalys.pipeline.place_types import SCHEMES, type_tables
from lansanalys.pipeline.tables import Measured

KOMMUNER = ["0821", "0834", "0880", "0980", "1080"]
TYPES = ["dagligvaror", "apotek"]

cell = st.tuples(
    st.sampled_from(KOMMUNER),
    st.sampled_from(PLACE_TYPES),
    st.sampled_from(URBAN_RURAL),
    st.integers(0, 900),  # people
    st.one_of(st.none(), st.integers(0, 50)),  # 70+ (None: the grid has no band)
    st.lists(st.one_of(st.none(), st.integers(0, 30_000)), min_size=2, max_size=2),  # road m
)


def _world(rows, typ6):
    cells = pd.DataFrame(
        [
            {
                "cell_id": f"c{i}",
                "kommun_kod": k,
                "lan_kod": k[:2],
                "population": p,
                "pop_70plus": o,
                "place_type": t,
                "urban": u,
            }
            for i, (k, t, u, p, o, _) in enumerate(rows)
        ]
    )
    cells["pop_70plus"] = cells["pop_70plus"].astype("Float64")
    near = pd.DataFrame(
        [
            {
                "cell_id": f"c{i}",
                "service_type": st_,
                "road_m": np.nan if d[j] is None else float(d[j]),
                "road_min": np.nan if d[j] is None else d[j] / 1000.0,
                "kommun_kod": k,
                "lan_kod": k[:2],
                "population": p,
                "pop_70plus": o,
            }
            for i, (k, _, _, p, o, d) in enumerate(rows)
            for j, st_ in enumerate(TYPES)
        ]
    )
    near["pop_70plus"] = near["pop_70plus"].astype("Float64")
    kt = pd.DataFrame({"kommun_kod": KOMMUNER, "typ6": typ6})
    kt["typ6_name"] = kt["typ6"].map(KOMMUNTYPER)
    kt["typ3_name"] = kt["typ6"].map({1: 1, 2: 2, 3: 2, 4: 3, 5: 3, 6: 3}).map(KOMMUNTYPER3)
    m = Measured(near, near, [], {}, TYPES)
    return cells, kt, near, m


@settings(max_examples=25, deadline=None)
@given(
    st.lists(cell, min_size=1, max_size=30),
    st.lists(st.integers(1, 6), min_size=len(KOMMUNER), max_size=len(KOMMUNER)),
)
def test_types_partition_and_shares_weight_back(rows, typ6):
    cells, kt, near, m = _world(rows, typ6)
    pop, acc = type_tables(cells, kt, m)
    areas = {
        ("riket", "00"): cells,
        **{("lan", c): cells[cells["lan_kod"] == c] for c in set(cells["lan_kod"])},
        **{("kommun", c): cells[cells["kommun_kod"] == c] for c in set(cells["kommun_kod"])},
    }
    for scheme in SCHEMES:
        for (level, code), part in areas.items():
            if level == "kommun" and scheme.startswith("kommuntyp"):
                continue
            rows_p = pop[
                (pop["scheme"] == scheme) & (pop["level"] == level) & (pop["code"] == code)
            ]
            # Every person of the area is in exactly one type.
            assert rows_p["population"].sum() == part["population"].sum()
            assert rows_p["n_cells"].sum() == len(part)
            assert not rows_p["type"].duplicated().any()
            old = part["pop_70plus"]
            if old.isna().any():  # a type with a cell without the band has no 70+ figure
                assert rows_p["pop_70plus"].isna().any()
            else:
                assert rows_p["pop_70plus"].sum() == pytest.approx(float(old.sum()))
            for stype in TYPES:
                a = acc[
                    (acc["scheme"] == scheme)
                    & (acc["level"] == level)
                    & (acc["code"] == code)
                    & (acc["service_type"] == stype)
                ]
                n = near[near["cell_id"].isin(part["cell_id"]) & (near["service_type"] == stype)]
                # Beyond 10 km: more than 10 000 m, or no road link (whole metres: no rounding).
                far = n["road_m"].isna() | (n["road_m"] > 10_000)
                want = float(n.loc[far, "population"].sum())
                weighted = (a["population_share_over_10km"] * a["population"] / 100).sum()
                assert weighted == pytest.approx(want, abs=1e-6)
                assert a["population_over_10km"].sum() == want
                assert (
                    a["population_unreachable"].sum()
                    == n.loc[n["road_m"].isna(), "population"].sum()
                )
                mins = n["road_min"].isna() | (n["road_min"] > 10.0)
                assert a["population_over_10min"].sum() == n.loc[mins, "population"].sum()


def test_a_kommun_without_types_has_no_kommuntyp_rows():
    rows = [("0821", "glesbygd", "landsbygd", 10, 1, [5_000, None])]
    cells, kt, _, m = _world(rows, [5, 5, 2, 1, 3])
    pop, acc = type_tables(cells, kt, m)
    assert set(pop.loc[pop["level"] == "kommun", "scheme"]) == {"ortstyp", "tatort"}
    assert set(acc.loc[acc["level"] == "kommun", "scheme"]) == {"ortstyp", "tatort"}
    row = acc[(acc["scheme"] == "kommuntyp") & (acc["service_type"] == "apotek")].iloc[0]
    assert row["type"] == KOMMUNTYPER[5] and row["population_share_unreachable"] == 100
