"""A synthetic Sweden-sized road network, cell grid and service points (sizes as parameters).

Used by ``benchmarks/sweden_scale.py``. Nothing here is real data: the network is a perturbed
square grid (nodes moved up to a third of the spacing, about 7,5 % of the links dropped, links
1,0–1,3 times their straight length, mixed speeds with a fast road every 20th row and column),
the populated cells are clustered around towns, and the service points of the seven types are
drawn near towns too, in about national counts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

#: About the national number of points per type (order of magnitude of Pipos' registers).
NATIONAL_COUNTS: dict[str, int] = {
    "dagligvaror": 5_000,
    "drivmedel": 2_800,
    "apotek": 1_450,
    "post_paket": 3_000,
    "kontantuttag": 1_900,
    "betalningsformedling": 700,
    "dagskasseinsattning": 450,
}

X0, Y0 = 300_000.0, 6_200_000.0  # SWEREF 99 TM, south-west corner of the box
SPEEDS = np.array([30.0, 50.0, 70.0, 90.0, 110.0])
SPEED_P = np.array([0.10, 0.35, 0.30, 0.20, 0.05])


@dataclass
class World:
    nodes: pd.DataFrame  # x, y
    edges: pd.DataFrame  # u, v, length_m, speed_kmh
    cells: pd.DataFrame  # cell_id, x, y, population, kommun_kod
    points: pd.DataFrame  # point_id, service_type, x, y


def road_grid(n_nodes: int, extent_km: float, rng: np.random.Generator):
    """A perturbed grid of about ``n_nodes`` nodes over a square of ``extent_km``."""
    side = int(round(np.sqrt(n_nodes)))
    s = extent_km * 1000.0 / side
    ii, jj = np.meshgrid(np.arange(side), np.arange(side), indexing="ij")
    ii, jj = ii.ravel(), jj.ravel()
    x = X0 + ii * s + rng.uniform(-s / 3, s / 3, ii.size)
    y = Y0 + jj * s + rng.uniform(-s / 3, s / 3, jj.size)
    nodes = pd.DataFrame({"x": x, "y": y})
    k = ii * side + jj
    right = k[jj + 1 < side]
    up = k[ii + 1 < side]
    u = np.concatenate([right, up])
    v = np.concatenate([right + 1, up + side])
    keep = rng.random(u.size) > 0.075
    u, v = u[keep], v[keep]
    straight = np.hypot(x[u] - x[v], y[u] - y[v])
    speed = rng.choice(SPEEDS, u.size, p=SPEED_P)
    # A fast road along every 20th row and column (the shortest and the fastest point differ).
    fast = ((ii[u] % 20 == 0) & (ii[v] % 20 == 0)) | ((jj[u] % 20 == 0) & (jj[v] % 20 == 0))
    speed[fast] = 110.0
    edges = pd.DataFrame(
        {
            "u": u,
            "v": v,
            "length_m": straight * rng.uniform(1.0, 1.3, u.size),
            "speed_kmh": speed,
        }
    )
    return nodes, edges


def _near_towns(n: int, towns: np.ndarray, share: float, box: float, rng: np.random.Generator):
    """``n`` locations: ``share`` of them around towns (a few km), the rest anywhere."""
    k = int(n * share)
    t = towns[rng.integers(0, len(towns), k)]
    near = t + rng.normal(0.0, 1.0, (k, 2)) * rng.uniform(1_000, 6_000, (k, 1))
    spread = rng.uniform(0, box, (n - k, 2)) + (X0, Y0)
    xy = np.concatenate([near, spread])
    return np.clip(xy, (X0, Y0), (X0 + box, Y0 + box))


def world(
    n_nodes: int = 500_000,
    n_cells: int = 100_000,
    extent_km: float = 700.0,
    counts: dict[str, int] | None = None,
    seed: int = 2026,
) -> World:
    """Build the synthetic network, cells (with population and one of 290 kommuner) and points."""
    rng = np.random.default_rng(seed)
    nodes, edges = road_grid(n_nodes, extent_km, rng)
    box = extent_km * 1000.0
    towns = rng.uniform(0, box, (1_500, 2)) + (X0, Y0)
    cxy = _near_towns(n_cells, towns, 0.6, box, rng)
    kommun_seeds = rng.uniform(0, box, (290, 2)) + (X0, Y0)
    _, kommun = cKDTree(kommun_seeds).query(cxy)
    cells = pd.DataFrame(
        {
            "cell_id": np.arange(n_cells).astype(str),
            "x": cxy[:, 0],
            "y": cxy[:, 1],
            "population": np.maximum(1, rng.lognormal(2.5, 1.2, n_cells).astype(int)),
            "kommun_kod": np.char.zfill((1000 + kommun).astype(str), 4),
        }
    )
    frames = []
    for stype, k in (counts or NATIONAL_COUNTS).items():
        pxy = _near_towns(k, towns, 0.8, box, rng)
        frames.append(
            pd.DataFrame(
                {
                    "point_id": [f"{stype}-{i}" for i in range(k)],
                    "service_type": stype,
                    "x": pxy[:, 0],
                    "y": pxy[:, 1],
                }
            )
        )
    return World(nodes, edges, cells, pd.concat(frames, ignore_index=True))
