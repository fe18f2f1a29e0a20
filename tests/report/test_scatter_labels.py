"""Scatter names that would land on each other: which are written (figures.label_clear)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from lansanalys.report.figures import label_clear


def _near(a, b, xr, yr) -> bool:
    return abs(a[0] - b[0]) <= 0.12 * xr and abs(a[1] - b[1]) <= 0.07 * yr


def test_a_hand_made_cluster_keeps_the_biggest_name():
    # Three points on top of each other and one far away: the heaviest of the three is named.
    x = pd.Series([1.0, 1.05, 1.1, 9.0])
    y = pd.Series([100.0, 101.0, 99.0, 10.0])
    w = pd.Series([5.0, 50.0, 7.0, 1.0])
    assert label_clear(x, y, w) == [False, True, False, True]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.floats(0, 10, allow_nan=False),
            st.floats(0, 300, allow_nan=False),
            st.floats(1, 1e5, allow_nan=False),
        ),
        min_size=1,
        max_size=40,
    )
)
def test_written_names_never_touch_and_every_hidden_one_is_covered(points):
    x, y, w = (pd.Series([p[i] for p in points]) for i in range(3))
    keep = label_clear(x, y, w)
    xr = float(x.max() - min(0.0, x.min())) or 1.0
    yr = float(y.max() - min(0.0, y.min())) or 1.0
    shown = [(x[i], y[i]) for i in range(len(points)) if keep[i]]
    for i, a in enumerate(shown):
        for b in shown[i + 1 :]:
            assert not _near(a, b, xr, yr)
    # A name is left out only where a heavier one is written (so the largest is always named).
    for i in range(len(points)):
        if not keep[i]:
            assert any(_near((x[i], y[i]), s, xr, yr) for s in shown)
    assert keep[int(np.argmax(w.to_numpy()))]
