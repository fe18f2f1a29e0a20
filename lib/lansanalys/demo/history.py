"""A believable history of the demo's service points: files for :data:`HISTORY_YEARS` besides the
current one, derived from the current points so that every opening and closing is exact.

Going back from the current year, each step removes the points that opened since the earlier
year and adds the ones that closed since (new points with ids ``H…``; a point that persists keeps
its id). Calibrated to published trends:

- **Kontantuttag**: the Riksbank's count of ATMs (:data:`ATM_COUNTS`), closures mostly outside
  towns (ATMs that stood in villages and small towns), a few openings in towns;
- **Dagligvaror**: shops close mostly in rural areas (:data:`GROCERY_CLOSED` of the later year's
  count per step), a few open in growing kommuner's towns (:data:`GROCERY_OPENED`);
- **Paketautomat** (post och paket): parcel lockers appear, towns first (:data:`LOCKER_SHARE` of
  the current lockers in each earlier year);
- the other types: a little churn (:data:`OTHER_CLOSED`, :data:`OTHER_OPENED`).

Deterministic: one seed. Every file carries the demo marker.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from lansanalys import geo
from lansanalys.demo.world import SERVICE_NAMES

#: The earlier years of the demo's service series (the current file is :data:`LAST_YEAR`).
HISTORY_YEARS: tuple[int, ...] = (2016, 2019, 2022)
#: The Riksbank's ATM counts (kontantuttag), Sveriges riksbank, Betalningsrapport.
ATM_COUNTS: dict[int, int] = {2016: 2850, 2019: 2508, 2022: 2128}
#: Share of the current parcel lockers that already stood in each earlier year.
LOCKER_SHARE: dict[int, float] = {2016: 0.15, 2019: 0.4, 2022: 0.75}
#: Grocery shops closed per step (share of the later year's count), mostly rural.
GROCERY_CLOSED = 0.045
#: Grocery shops opened per step (share of the later year's count), in growing kommuner's towns.
GROCERY_OPENED = 0.012
#: ATMs opened per step (share of the later count), in towns.
ATM_OPENED = 0.01
#: Churn of the other types per step.
OTHER_CLOSED, OTHER_OPENED = 0.015, 0.01
#: Local population (within :data:`LOCAL_M` m) below which a place counts as rural here.
RURAL_PEOPLE, LOCAL_M = 3000.0, 3000.0

GROCERY = ("Dagligvaror, fullsortiment", "Dagligvaror, övrigt")


def _local_people(cells: pd.DataFrame, xy: np.ndarray) -> np.ndarray:
    """People living within :data:`LOCAL_M` of each location."""
    tree = cKDTree(cells[["x", "y"]].to_numpy(dtype=float))
    pop = cells["population"].to_numpy(dtype=float)
    return np.array([pop[i].sum() for i in tree.query_ball_point(xy, LOCAL_M)])


def _pick(rng: np.random.Generator, weight: np.ndarray, n: int) -> np.ndarray:
    """``n`` positions drawn without replacement with probability ∝ ``weight``."""
    n = int(min(max(n, 0), np.count_nonzero(weight > 0)))
    if n == 0:
        return np.array([], dtype=np.int64)
    return np.sort(rng.choice(len(weight), n, replace=False, p=weight / weight.sum()))


class _History:
    """The current points and the world's grid, stepped back one year at a time."""

    def __init__(self, current: pd.DataFrame, cells: pd.DataFrame, growth: pd.Series, seed: int):
        self.rng = np.random.default_rng(seed + 1)
        self.cells = cells
        self.growth = growth
        self.kommun_names = geo.kommuner().set_index("kommun_kod")["kommun"]
        self.state = current.copy()
        self.state["_local"] = _local_people(cells, current[["X", "Y"]].to_numpy(dtype=float))
        self.next_id = 1
        rural = cells[_local_people(cells, cells[["x", "y"]].to_numpy(dtype=float)) < RURAL_PEOPLE]
        self.rural_cells = rural.reset_index(drop=True)
        self.marker = current["Källa"].iloc[0]

    def _remove(self, labels: tuple[str, ...], n: int, towns_first: bool) -> None:
        """Points of ``labels`` that opened in the later year: gone from this one."""
        mine = self.state["Serviceslag"].isin(labels).to_numpy()
        local = self.state["_local"].to_numpy(dtype=float)
        if towns_first:  # openings where people are, in growing kommuner
            grow = self.state["Kommunkod"].astype(str).map(self.growth).fillna(0).to_numpy()
            w = np.where(
                mine & (local >= RURAL_PEOPLE), local * np.clip(1 + 10 * grow, 0.2, None), 0
            )
        else:
            w = np.where(mine, 1.0 / (1.0 + local / 1000.0), 0)
        drop = _pick(self.rng, w, n)
        self.state = self.state.drop(index=self.state.index[drop]).reset_index(drop=True)

    def _add(self, label: str, n: int, rural: bool) -> None:
        """Points of ``label`` that closed by the later year: present in this one. Rural ones at
        populated rural cells, the others beside an existing point (a shop, a filling station)."""
        if n <= 0:
            return
        if rural:
            c = self.rural_cells
            at = _pick(self.rng, c["population"].to_numpy(dtype=float), n)
            xy = c[["x", "y"]].to_numpy(dtype=float)[at]
            local = np.full(len(at), 0.0)
        else:
            local = self.state["_local"].to_numpy(dtype=float)
            at = _pick(self.rng, 1.0 / (1.0 + local / 2000.0), n)
            xy = self.state[["X", "Y"]].to_numpy(dtype=float)[at]
            local = local[at]
        xy = xy + self.rng.uniform(-300, 300, xy.shape)
        codes = pd.Series(geo.kommun_of_points(xy[:, 0], xy[:, 1]), dtype=object)
        _, near = cKDTree(self.state[["X", "Y"]].to_numpy(dtype=float)).query(xy)
        near_rows = self.state.iloc[near]
        codes = codes.fillna(pd.Series(near_rows["Kommunkod"].astype(str).to_numpy()))
        place = near_rows["Postort"].to_numpy()
        brands = SERVICE_NAMES.get(label, [label])
        names = [f"{brands[i % len(brands)]} {p}" for i, p in enumerate(place)]
        ids = [f"H{self.next_id + i:06d}" for i in range(len(xy))]
        self.next_id += len(xy)
        new = pd.DataFrame(
            {
                "ID": ids,
                "Serviceslag": label,
                "Namn": names,
                "Adress": [f"Byvägen {i % 41 + 1}" for i in range(len(xy))],
                "Postort": place,
                "Kommunkod": codes.astype(str).to_numpy(),
                "Kommun": self.kommun_names.reindex(codes.astype(str)).to_numpy(),
                "X": np.round(xy[:, 0]).astype(np.int64),
                "Y": np.round(xy[:, 1]).astype(np.int64),
                "Källa": self.marker,
                "_local": local,
            }
        )
        self.state = pd.concat([self.state, new], ignore_index=True)

    def count(self, labels: tuple[str, ...]) -> int:
        return int(self.state["Serviceslag"].isin(labels).sum())

    def step(self, year: int, current_lockers: int) -> pd.DataFrame:
        """The points of ``year``, the year before the state's."""
        n = self.count(GROCERY)
        self._remove(GROCERY, round(GROCERY_OPENED * n), towns_first=True)
        self._add("Dagligvaror, övrigt", round(GROCERY_CLOSED * n), rural=True)
        atm = ("Kontantuttag",)
        opened = round(ATM_OPENED * self.count(atm))
        self._remove(atm, opened, towns_first=True)
        self._add("Kontantuttag", ATM_COUNTS[year] - self.count(atm), rural=False)
        lockers = ("Paketautomat",)
        self._remove(
            lockers, self.count(lockers) - round(LOCKER_SHARE[year] * current_lockers), False
        )
        for label in ("Drivmedel", "Apotek", "Apoteksombud", "Postombud", "Betalningsförmedling"):
            n = self.count((label,))
            self._remove((label,), round(OTHER_OPENED * n), towns_first=True)
            self._add(label, round(OTHER_CLOSED * n), rural=True)
        n = self.count(("Dagskasseinsättning",))
        self._remove(("Dagskasseinsättning",), round(OTHER_OPENED * n), towns_first=True)
        self._add("Dagskasseinsättning", round(3 * OTHER_CLOSED * n), rural=False)
        return self.state.drop(columns="_local").sort_values("ID").reset_index(drop=True)


def service_history(
    current: pd.DataFrame, cells: pd.DataFrame, growth: pd.Series, seed: int
) -> dict[int, pd.DataFrame]:
    """The demo's service file of each year of :data:`HISTORY_YEARS`, in the current file's
    layout (``current``: :meth:`lansanalys.demo.world.DemoWorld.service_points`).

    Parameters
    ----------
    cells : DataFrame
        The world's populated cells (``x, y, population``).
    growth : Series
        Population change per kommun over the demo's years (fraction), where shops open.
    """
    h = _History(current, cells, growth, seed)
    lockers = h.count(("Paketautomat",))
    return {year: h.step(year, lockers) for year in sorted(HISTORY_YEARS, reverse=True)}
