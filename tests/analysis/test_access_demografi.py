"""Oracle tests: fast paths against plain reference implementations and hand-computed values."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lansanalys.analysis import access, demography


def test_nearest_matches_brute_force():
    rng = np.random.default_rng(1)
    cells = rng.uniform(0, 50_000, (2_000, 2))
    points = rng.uniform(0, 50_000, (300, 2))
    dist, idx = access.nearest_points(cells, points, k=2)
    brute = np.sqrt(((cells[:, None, :] - points[None, :, :]) ** 2).sum(axis=2))
    order = np.sort(brute, axis=1)
    np.testing.assert_allclose(dist[:, 0], order[:, 0])
    np.testing.assert_allclose(dist[:, 1], order[:, 1])
    np.testing.assert_allclose(brute[np.arange(len(cells)), idx[:, 0]], order[:, 0])


def test_nearest_single_point_has_no_second():
    d, _ = access.nearest_points(np.array([[0.0, 0.0]]), np.array([[3.0, 4.0]]), k=2)
    assert d[0, 0] == 5.0 and np.isinf(d[0, 1])


def test_nearest_refuses_wrong_shapes():
    with pytest.raises(ValueError, match="shape"):
        access.nearest_points(np.zeros(3), np.zeros((2, 2)))


def test_nearest_table_crosses_county_borders():
    # A cell in "län A" whose only store is just across the border in "län B".
    cells = pd.DataFrame({"cell_id": ["a"], "x": [500_000.0], "y": [6_500_000.0]})
    points = pd.DataFrame(
        {
            "point_id": ["far", "near"],
            "service_type": ["dagligvaror"] * 2,
            "x": [500_000.0, 503_000.0],
            "y": [6_540_000.0, 6_500_000.0],
        }
    )
    t = access.nearest_table(cells, points)
    assert t.loc[0, "point_id"] == "near" and t.loc[0, "dist_m"] == 3_000.0
    assert t.loc[0, "dist2_m"] == 40_000.0


def _tiny() -> pd.DataFrame:
    # Two kommuner, 3 cells each, distances in metres, population hand-picked.
    return pd.DataFrame(
        {
            "kommun_kod": ["0001"] * 3 + ["0002"] * 3,
            "service_type": ["dagligvaror"] * 6,
            "dist_m": [1_000, 6_000, 12_000, 500, 500, 25_000],
            "population": [100, 50, 10, 300, 100, 0],
            "pop_70plus": [10, 10, 5, 30, 10, 0],
        }
    )


def test_beyond_thresholds_hand_computed():
    out = access.beyond_thresholds(
        _tiny(), "kommun_kod", (5, 10, 20), pop_cols=("population", "pop_70plus")
    ).set_index("kommun_kod")
    k1 = out.loc["0001"]
    assert k1["population"] == 160
    assert k1["population_over_5km"] == 60 and k1["population_over_10km"] == 10
    assert k1["population_over_20km"] == 0
    assert k1["population_share_over_5km"] == pytest.approx(100 * 60 / 160)
    assert k1["pop_70plus_share_over_10km"] == pytest.approx(100 * 5 / 25)
    assert k1["mean_km"] == pytest.approx((100 * 1 + 50 * 6 + 10 * 12) / 160)
    assert k1["median_km"] == 1.0  # 100 of 160 live within 1 km
    k2 = out.loc["0002"]
    # The empty cell 25 km away counts for nobody.
    assert k2["population_over_20km"] == 0 and k2["mean_km"] == pytest.approx(0.5)


def test_threshold_is_strictly_more_than():
    df = _tiny().assign(dist_m=[5_000] * 6)
    out = access.beyond_thresholds(df, "kommun_kod", (5,))
    assert (out["population_over_5km"] == 0).all()


def _pop() -> pd.DataFrame:
    rows = [
        ("A", 2024, 0, "män", 10),
        ("A", 2024, 30, "kvinnor", 20),
        ("A", 2024, 70, "män", 10),
        ("A", 2024, 100, "kvinnor", 1),
        ("A", 2014, 30, "kvinnor", 30),
        ("A", 2023, 30, "kvinnor", 40),
    ]
    return pd.DataFrame(rows, columns=["region", "year", "age", "sex", "population"])


def test_mean_age_as_scb_defines_it():
    last = _pop()[_pop()["year"] == 2024]
    expected = (10 * 0.5 + 20 * 30.5 + 10 * 70.5 + 1 * 100.5) / 41
    assert demography.mean_age(last, "region")["A"] == pytest.approx(expected)


def test_dependency_ratio_and_shares():
    last = _pop()[_pop()["year"] == 2024]
    assert demography.dependency_ratio(last, "region")["A"] == pytest.approx(100 * 21 / 20)
    assert demography.share_aged(last, "region", 65)["A"] == pytest.approx(100 * 11 / 41)
    assert demography.share_aged(last, "region", 80)["A"] == pytest.approx(100 * 1 / 41)


def test_change_over_years():
    ch = demography.change(_pop(), "region", 10).set_index("region")
    assert ch.loc["A", "start"] == 30 and ch.loc["A", "end"] == 41
    assert ch.loc["A", "change_pct"] == pytest.approx(100 * 11 / 30)
    with pytest.raises(ValueError, match="no population for 2004"):
        demography.change(_pop(), "region", 20)


def test_pyramid_shares_sum_to_100():
    g = demography.pyramid_shares(_pop()[_pop()["year"] == 2024])
    assert g["share"].sum() == pytest.approx(100)
    assert "90+" in set(g["age_group"]) and "0–4" in set(g["age_group"])
