"""The closure scenario from the nearest table equals a full recomputation without the point
(brute force over every remaining point, plain numpy), on random worlds."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from lansanalys.analysis.scenario import closure_scenario


def _world(seed: int, n_cells: int, n_points: int):
    rng = np.random.default_rng(seed)
    cells = pd.DataFrame(
        {
            "cell_id": [f"c{i}" for i in range(n_cells)],
            "x": rng.integers(0, 60, n_cells) * 500.0,
            "y": rng.integers(0, 60, n_cells) * 500.0,
            "population": rng.integers(1, 500, n_cells),
        }
    )
    pts = pd.DataFrame(
        {
            "point_id": [f"p{j}" for j in range(n_points)],
            "x": rng.uniform(0, 30000, n_points),
            "y": rng.uniform(0, 30000, n_points),
        }
    )
    return cells, pts


def _dist(cells: pd.DataFrame, pts: pd.DataFrame) -> np.ndarray:
    dx = cells["x"].to_numpy()[:, None] - pts["x"].to_numpy()[None, :]
    dy = cells["y"].to_numpy()[:, None] - pts["y"].to_numpy()[None, :]
    return np.hypot(dx, dy)


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    n_cells=st.integers(1, 40),
    n_points=st.integers(1, 6),
    pick=st.integers(0, 5),
)
def test_scenario_equals_recomputation_without_the_point(seed, n_cells, n_points, pick):
    cells, pts = _world(seed, n_cells, n_points)
    d = _dist(cells, pts)  # the "road" distances of this world: straight lines, metres
    order = np.argsort(d, axis=1, kind="stable")
    near = pd.DataFrame(
        {
            "cell_id": cells["cell_id"],
            "road_m": d[np.arange(n_cells), order[:, 0]],
            "road_point_id": pts["point_id"].to_numpy()[order[:, 0]],
            "road2_m": d[np.arange(n_cells), order[:, 1]] if n_points > 1 else np.nan,
        }
    )
    point = pts.iloc[pick % n_points]
    got = closure_scenario(cells, near, point, radius_km=1000.0)
    # Oracle: every cell's nearest among the other points, by brute force.
    rest = np.delete(d, pick % n_points, axis=1)
    pop = cells["population"].to_numpy(float)
    before = d.min(axis=1) / 1000
    after = rest.min(axis=1) / 1000 if rest.shape[1] else np.full(n_cells, np.nan)
    ok = np.isfinite(after)

    def beyond_10(km):  # at the stated resolution: km to the nearest 0,0001 (0,1 m)
        return np.round(km * 10_000) > 10 * 10_000

    assert got["over_before"] == pop[beyond_10(before)].sum()
    assert got["over_after"] == pop[~ok].sum() + pop[ok & beyond_10(after)].sum()
    if ok.any():
        assert np.isclose(got["mean_km_after"], (after[ok] * pop[ok]).sum() / pop[ok].sum())
    assert got["none_left"] == float(not ok.any())


def test_scenario_by_hand():
    """Two villages: A's only store closes and its 10 people go 12 km; B keeps its own."""
    cells = pd.DataFrame(
        {"cell_id": ["a", "b"], "x": [0.0, 5000.0], "y": [0.0, 0.0], "population": [10, 20]}
    )
    near = pd.DataFrame(
        {
            "cell_id": ["a", "b"],
            "road_m": [1000.0, 2000.0],
            "road_point_id": ["P", "Q"],
            "road2_m": [12000.0, 3000.0],
        }
    )
    r = closure_scenario(cells, near, pd.Series({"point_id": "P", "x": 0.0, "y": 0.0}))
    assert (r["over_before"], r["over_after"]) == (0.0, 10.0)
    assert r["mean_km_before"] == (10 * 1 + 20 * 2) / 30
    assert r["mean_km_after"] == (10 * 12 + 20 * 2) / 30
    # Only people within the radius count: B is 5 km away, outside a 4 km radius.
    small = closure_scenario(cells, near, pd.Series({"point_id": "P", "x": 0.0, "y": 0.0}), 4.0)
    assert small["people"] == 10


def test_scenario_counts_a_second_point_exactly_at_the_limit_as_the_closure_ranking_does():
    """A road sum a few ulp over 10 km is 10 km at the stated resolution (0,1 m): not beyond,
    in the scenario as in the closure ranking's pushed_beyond (issue #19, item 4)."""
    from lansanalys.analysis import access

    cells = pd.DataFrame(
        {"cell_id": ["a", "b"], "x": [0.0, 100.0], "y": [0.0, 0.0], "population": [10, 20]}
    )
    near = pd.DataFrame(
        {
            "cell_id": ["a", "b"],
            "road_m": [1000.0, 1000.0],
            "road_point_id": ["P", "P"],
            "road2_m": [10_000.000000000002, 10_000.1],
        }
    )
    r = closure_scenario(cells, near, pd.Series({"point_id": "P", "x": 0.0, "y": 0.0}))
    assert (r["over_before"], r["over_after"]) == (0.0, 20.0)
    rank = access.closure_ranking(
        np.zeros((2, 2)),
        cells["population"].to_numpy(float),
        np.zeros((2, 2)),
        access.CLOSURE_KM * 1000,
        dist_fn=lambda _c, _p: (
            near[["road_m", "road2_m"]].to_numpy(),
            np.array([[0, 1], [0, 1]]),
        ),
    )
    assert rank.set_index("point").at[0, "pushed_beyond"] == r["over_after"] - r["over_before"]
