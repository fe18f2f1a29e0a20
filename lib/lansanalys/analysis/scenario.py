"""What if one service point closed: the people beyond the closure distance and the mean road
km around it, before and after.

Exact and cheap from the build's nearest table: a cell whose nearest point by road closes goes
to its second-nearest point by road (``road2_m``), which is what a full recomputation without
the point gives, and every other cell keeps its nearest. So the people the scenario adds
beyond the limit are exactly the closure ranking's ``pushed_beyond`` for the point. The build
runs it for the most critical point of every area (the ``scenarios`` table); a report runs it
for a point the user names.

For opening or moving points, several changes in a row, or the access shares of whole kommuner
before and after, use :class:`lansanalys.analysis.whatif.WhatIf` (along the road network, one
change in well under a second at national scale).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from lansanalys.analysis import access

#: How far around the closed point (km, straight line) the scenario counts people.
SCENARIO_RADIUS_KM = 40.0


def closure_scenario(
    cells: pd.DataFrame,
    nearest: pd.DataFrame,
    point: pd.Series,
    radius_km: float = SCENARIO_RADIUS_KM,
    limit_km: float = access.CLOSURE_KM,
) -> dict[str, float]:
    """Close ``point`` and give the figures around it before and after.

    Parameters
    ----------
    cells : DataFrame
        Populated cells: ``cell_id, x, y, population`` (metres). Pass only cells of areas with
        data of the type (elsewhere the files do not hold the nearest point).
    nearest : DataFrame
        The nearest table's rows of the point's type: ``cell_id, road_m, road_point_id,
        road2_m`` (metres by road; NaN: no point reachable); may come indexed by ``cell_id``
        (the build passes it so, once for many points).
    point : Series
        The point: ``point_id, x, y``.
    radius_km, limit_km : float
        Radius (straight line) of the people counted, and the closure distance ("beyond" =
        more than at the stated resolution, :func:`lansanalys.analysis.access.is_beyond`;
        unreachable counted as beyond).

    Returns
    -------
    dict
        ``point_id``, ``people`` (within the radius), ``over_before``, ``over_after``,
        ``mean_km_before``, ``mean_km_after`` (over the people who reach a point),
        ``none_left`` (1.0 when nobody within the radius reaches another point) and
        ``radius_km``.

    Example
    -------
    >>> cells = pd.DataFrame({"cell_id": ["a", "b"], "x": [0.0, 5000.0], "y": [0.0, 0.0],
    ...                       "population": [10, 20]})
    >>> near = pd.DataFrame({"cell_id": ["a", "b"], "road_m": [1000.0, 2000.0],
    ...                      "road_point_id": ["P", "Q"], "road2_m": [12000.0, 3000.0]})
    >>> r = closure_scenario(cells, near, pd.Series({"point_id": "P", "x": 0.0, "y": 0.0}))
    >>> r["over_before"], r["over_after"], round(r["mean_km_after"], 2)
    (0.0, 10.0, 5.33)
    """
    r = radius_km * 1000
    dx, dy = cells["x"].to_numpy(float) - point["x"], cells["y"].to_numpy(float) - point["y"]
    near = cells[dx * dx + dy * dy <= r * r]
    indexed = nearest if nearest.index.name == "cell_id" else nearest.set_index("cell_id")
    t = indexed.reindex(near["cell_id"])
    pop = near["population"].to_numpy(float)
    before = t["road_m"].to_numpy(float) / 1000
    closes = (t["road_point_id"] == point["point_id"]).to_numpy()
    after = np.where(closes, t["road2_m"].to_numpy(float) / 1000, before)

    def summary(km: np.ndarray) -> tuple[float, float]:
        ok = np.isfinite(km)
        # The one comparison with a bound (at 0,1 m; unreachable counts as beyond), as the
        # closure ranking's pushed_beyond makes it.
        over = float(pop[access.is_beyond(km, limit_km, "km")].sum())
        mean = (
            float((km[ok] * pop[ok]).sum() / pop[ok].sum()) if pop[ok].sum() > 0 else float("nan")
        )
        return over, mean

    (ob, mb), (oa, ma) = summary(before), summary(after)
    return {
        "point_id": str(point["point_id"]),
        "people": float(pop.sum()),
        "over_before": ob,
        "over_after": oa,
        "mean_km_before": mb,
        "mean_km_after": ma,
        "none_left": float(not np.isfinite(after).any()),
        "radius_km": float(radius_km),
    }
