"""The interactive what-if (analysis.whatif) against a full recomputation on random worlds.

After every change (close, open, move, in any sequence) the kept nearest table must equal
:func:`nearest_by_type` run from scratch on the changed set of points, and the shares returned
must equal :func:`access.beyond_thresholds` over the recomputed table for the kommuner returned;
every other kommun must be unchanged. Undoing everything gives back the first table.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lansanalys.analysis import access
from lansanalys.analysis.network import RoadNetwork, nearest_by_type
from lansanalys.analysis.whatif import WhatIf

from .test_network_properties import X0, Y0, _frames, _world, _worlds

STYPE = "dagligvaror"
COLS = ["road_m", "road_min", "road2_m"]
IDS = ["road_point_id", "road_min_point_id", "road2_point_id"]


def _cells(cells_xy: np.ndarray, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    c, _ = _frames(cells_xy, np.zeros((1, 2)))
    c["kommun_kod"] = rng.choice(["0114", "0115", "0117"], len(c))
    c["population"] = rng.integers(0, 50, len(c)).astype(float)
    return c


def _reference_shares(net, cells, points, kommuner) -> pd.DataFrame:
    full = nearest_by_type(net, cells, points, [STYPE])
    cd = full.merge(cells[["cell_id", "kommun_kod", "population"]], on="cell_id")
    cd = cd[cd["kommun_kod"].isin(kommuner)]
    km = access.beyond_thresholds(cd, "kommun_kod", dist_col="road_m")
    mins = access.beyond_thresholds(cd, "kommun_kod", (10.0,), "road_min", unit="min")
    sec = access.beyond_thresholds(cd, "kommun_kod", access.SECOND_KM, "road2_m")
    out = {}
    for frame, rename in ((km, False), (mins, False), (sec, True)):
        for _, row in frame.iterrows():
            for col in frame.columns:
                # Unreachable is by road km (the same cells for minutes; not the second).
                if "_share_over_" in col or (frame is km and "_share_" in col):
                    name = col.replace("_over_", "_second_over_") if rename else col
                    out[(row["kommun_kod"], name)] = row[col]
    return out


def _assert_same_table(got: pd.DataFrame, want: pd.DataFrame) -> None:
    got, want = got.set_index("cell_id"), want.set_index("cell_id")
    for col in COLS:
        np.testing.assert_allclose(got[col], want[col], rtol=1e-12, atol=1e-9, err_msg=col)
    for col in IDS:
        assert got[col].tolist() == want[col].tolist(), col
    assert got["reachable"].tolist() == want["reachable"].tolist()


ops = st.lists(
    st.tuples(st.sampled_from(["close", "add", "move"]), st.integers(0, 10**6)),
    min_size=1,
    max_size=4,
)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(**_worlds(6), ops=ops)
def test_what_if_equals_a_full_recomputation(seed, n_nodes, n_edges, n_cells, n_points, ops):
    nodes, edges, cells_xy, points_xy = _world(seed, n_nodes, n_edges, n_cells, n_points)
    net = RoadNetwork(nodes, edges)
    cells = _cells(cells_xy, seed)
    _, points = _frames(cells_xy, points_xy)
    wi = WhatIf(net, cells, points)
    first = nearest_by_type(net, cells, points, [STYPE])
    _assert_same_table(wi.nearest(STYPE), first)
    rng = np.random.default_rng(seed)
    for i, (kind, pick) in enumerate(ops):
        xy = rng.uniform([X0 - 2_000, Y0 - 2_000], [X0 + 14_000, Y0 + 14_000])
        if rng.random() < 0.3:  # on a node: ties with points there, and cost 0 entries
            xy = nodes[["x", "y"]].to_numpy()[rng.integers(0, len(nodes))]
        before = _reference_shares(net, cells, points, ["0114", "0115", "0117"])
        if kind == "close" and len(points):
            pid = points["point_id"].iloc[pick % len(points)]
            res = wi.close(pid)
            points = points[points["point_id"] != pid]
        elif kind == "move" and len(points):
            pid = points["point_id"].iloc[pick % len(points)]
            res = wi.move(pid, *xy)
            points = points.copy()
            points.loc[points["point_id"] == pid, ["x", "y"]] = xy
        else:
            pid = f"new{i}"
            res = wi.add(pid, STYPE, *xy)
            new = pd.DataFrame({"point_id": [pid], "service_type": STYPE, "x": [xy[0]]})
            points = pd.concat([points, new.assign(y=xy[1])], ignore_index=True)
        _assert_same_table(wi.nearest(STYPE), nearest_by_type(net, cells, points, [STYPE]))
        after = _reference_shares(net, cells, points, ["0114", "0115", "0117"])
        returned = set(res["kommun_kod"])
        for r in res.itertuples():
            assert r.after == pytest.approx(after[(r.kommun_kod, r.measure)], nan_ok=True)
            assert r.before == pytest.approx(before[(r.kommun_kod, r.measure)], nan_ok=True)
        # A kommun not returned has no cell whose figures changed.
        for (kommun, measure), value in after.items():
            if kommun not in returned:
                assert value == pytest.approx(before[(kommun, measure)], nan_ok=True)
    wi.reset()
    _assert_same_table(wi.nearest(STYPE), first)


def test_what_if_by_hand_a_closed_shop_sends_people_to_the_next():
    """Road 0 — 10 km — 30 km; shops at both ends; closing the west one sends its cell 30 km."""
    nodes = pd.DataFrame({"x": [X0, X0 + 10_000, X0 + 30_000], "y": [Y0] * 3})
    edges = pd.DataFrame(
        {"u": [0, 1], "v": [1, 2], "length_m": [10_000.0, 20_000.0], "speed_kmh": [60.0, 60.0]}
    )
    cells = pd.DataFrame(
        {
            "cell_id": ["w", "e"],
            "x": [X0, X0 + 30_000],
            "y": [Y0, Y0],
            "kommun_kod": ["0114", "0115"],
            "population": [100.0, 50.0],
        }
    )
    shops = pd.DataFrame(
        {"point_id": ["W", "E"], "service_type": STYPE, "x": [X0, X0 + 30_000], "y": [Y0, Y0]}
    )
    wi = WhatIf(RoadNetwork(nodes, edges), cells, shops)
    res = wi.close("W").set_index(["kommun_kod", "measure"])
    assert res.at[("0114", "population_share_over_20km"), "after"] == 100.0
    assert res.at[("0114", "population_share_over_10min"), "before"] == 0.0
    assert res.at[("0114", "population_share_over_10min"), "after"] == 100.0  # 30 min
    near = wi.nearest(STYPE).set_index("cell_id")
    assert near.at["w", "road_m"] == 30_000.0 and near.at["w", "road_point_id"] == "E"
    assert np.isnan(near.at["w", "road2_m"]) and near.at["w", "road2_point_id"] is None
    with pytest.raises(KeyError, match="closed"):
        wi.close("W")
    with pytest.raises(KeyError, match="nope"):
        wi.close("nope")
    wi.undo()
    assert wi.nearest(STYPE).set_index("cell_id").at["w", "road_m"] == 0.0
    with pytest.raises(IndexError):
        wi.undo()
