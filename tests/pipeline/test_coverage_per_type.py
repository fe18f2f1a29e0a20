"""Coverage judged per service type, and a län covered only where its populated area has points.

Issue #19, items 2 and 3. Pharmacies in one kommun of an otherwise complete län file made pharmacy
"covered" for the whole län (coverage was inferred per file); a file of Kalmar län and 70 km
around it, holding a few of Gotland's points, made Gotland (one kommun, no neighbour within
20 km) covered for every type. Hand-built worlds on the real kommun and län boundaries; every
expected answer is stated here, not computed by the code under test.
"""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyproj import Transformer

from lansanalys import geo
from lansanalys.pipeline import coverage
from tests.pipeline.test_coverage import _points  # one point of each type in each kommun


def _covered(cov: pd.DataFrame, stype: str) -> set[str]:
    return set(cov.loc[cov["covered"] & (cov["service_type"] == stype), "lan_kod"])


def _row(cov: pd.DataFrame, lan: str, stype: str) -> pd.Series:
    return cov.set_index(["lan_kod", "service_type"]).loc[(lan, stype)]


@pytest.fixture(scope="module")
def near() -> dict[str, set[str]]:
    return coverage.kommuner_near_lan()


# --------------------------------------------------------------------------------------------
# Item 2: each type judged on its own points


def test_pharmacies_in_one_kommun_of_a_whole_lan_file_do_not_cover_the_lan():
    # Kalmar län's 12 kommuner all have a grocery store; pharmacies only in Kalmar kommun.
    kalmar = geo.kommun_codes("08")
    pts = pd.concat(
        [
            _points("service/kalmar.csv", kalmar, ["dagligvaror"]),
            _points("service/kalmar.csv", ["0880"], ["apotek"]),
        ]
    )
    cov = coverage.service_coverage(pts, {})
    assert _covered(cov, "dagligvaror") == {"08"}
    assert _covered(cov, "apotek") == set(), (
        "pharmacies in 1 of 12 kommuner were taken as every pharmacy of Kalmar län"
    )
    row = _row(cov, "08", "apotek")
    assert row["basis"] == "" and row["source"] == ""
    assert row["reason"] == "punktfilerna täcker inte länet"


def test_each_type_gets_the_basis_its_own_points_give(near):
    # Groceries in Kalmar län and every kommun within 20 km of it: a cut file, "inferred".
    # Pharmacies only in Kalmar län's own kommuner: for pharmacies the file stops at the
    # border, so Kalmar län is covered as an extract (border cells lack the points across it).
    pts = pd.concat(
        [
            _points("service/zon.csv", sorted(near["08"]), ["dagligvaror"]),
            _points("service/zon.csv", geo.kommun_codes("08"), ["apotek"]),
        ]
    )
    cov = coverage.service_coverage(pts, {}, near)
    assert _row(cov, "08", "dagligvaror")["basis"] == "inferred"
    assert _row(cov, "08", "apotek")["basis"] == "extract", (
        "the pharmacies stop at the län border; the groceries' buffer zone says nothing of them"
    )
    assert _covered(cov, "apotek") == {"08"}


SETTINGS = settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@SETTINGS
@given(st.data())
def test_a_type_is_judged_on_its_own_points_only(near, data):
    """Adding another type's points to a file never changes what the first type covers."""
    codes = geo.kommun_codes()
    lans = data.draw(st.sets(st.sampled_from(geo.lan_codes()), min_size=1, max_size=4))
    apotek = [k for c in sorted(lans) for k in geo.kommun_codes(c)]
    drop = data.draw(st.sets(st.sampled_from(apotek), max_size=3))
    apotek = [k for k in apotek if k not in drop]
    other = data.draw(st.sets(st.sampled_from(codes), min_size=1, max_size=120))
    alone = coverage.service_coverage(_points("f", apotek, ["apotek"]), {}, near)
    both = coverage.service_coverage(
        pd.concat([_points("f", apotek, ["apotek"]), _points("f", sorted(other), ["drivmedel"])]),
        {},
        near,
    )
    a = alone[alone["service_type"] == "apotek"].reset_index(drop=True)
    b = both[both["service_type"] == "apotek"].reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b)


def test_a_national_file_is_national_per_type():
    # Groceries in every kommun, pharmacies in Kalmar län only: the file is national for
    # groceries, an extract of Kalmar län for pharmacies.
    pts = pd.concat(
        [
            _points("service/riket.csv", geo.kommun_codes(), ["dagligvaror"]),
            _points("service/riket.csv", geo.kommun_codes("08"), ["apotek"]),
        ]
    )
    cov = coverage.service_coverage(pts, {})
    assert _covered(cov, "dagligvaror") == set(geo.lan_codes())
    assert _covered(cov, "apotek") == {"08"}
    assert _row(cov, "08", "apotek")["basis"] == "extract"


# --------------------------------------------------------------------------------------------
# Item 3: a län needs points over its populated area, not one point per kommun

_TO_SWEREF = Transformer.from_crs("EPSG:4326", "EPSG:3006", always_xy=True)

#: Gotland's larger places (lon, lat): Visby on the west coast, the rest spread over the island.
GOTLAND = {
    "Visby": (18.2948, 57.6348),
    "Klintehamn": (18.2040, 57.3880),
    "Roma": (18.4530, 57.5090),
    "Slite": (18.8028, 57.7069),
    "Fårösund": (19.0500, 57.8640),
    "Hemse": (18.3750, 57.2380),
    "Ljugarn": (18.7070, 57.3270),
    "Burgsvik": (18.2720, 57.0330),
}


def _xy(place: str) -> tuple[float, float]:
    return _TO_SWEREF.transform(*GOTLAND[place])


def _gotland_cells() -> pd.DataFrame:
    """A populated grid cell at each place: Visby 24 000 people, the others 2 500 each."""
    rows = [
        (f"c{i}", *_xy(place), 24_000 if place == "Visby" else 2_500, "09")
        for i, place in enumerate(GOTLAND)
    ]
    return pd.DataFrame(rows, columns=["cell_id", "x", "y", "population", "lan_kod"])


def _gotland_points(places: list[str], types: list[str], offset_m: float = 500.0) -> pd.DataFrame:
    rows = [
        ("service/punkter.csv", t, "0980", _xy(p)[0] + offset_m * (i % 3), _xy(p)[1])
        for p in places
        for i, t in enumerate(types)
    ]
    return pd.DataFrame(rows, columns=["file", "service_type", "kommun_kod", "x", "y"])


TYPES = ["dagligvaror", "drivmedel", "post_paket", "apotek"]


def test_a_few_points_on_the_west_coast_do_not_cover_gotland():
    # Eleven points around Visby and Klintehamn (what a 70 km zone around Kalmar län reaches):
    # the north-east (Fårösund, 52 km from Visby) has no point within 40 km.
    pts = pd.concat(
        [
            _gotland_points(["Visby", "Klintehamn"], TYPES),
            _gotland_points(["Visby", "Klintehamn", "Visby"], ["dagligvaror"], 1500.0),
        ]
    ).head(11)
    assert len(pts) == 11
    cov = coverage.service_coverage(pts, {}, cells=_gotland_cells())
    for t in TYPES:
        assert "09" not in _covered(cov, t), f"{t}: eleven points by Visby covered Gotland"
    row = _row(cov, "09", "dagligvaror")
    assert not row["covered"] and row["basis"] == "" and row["source"] == ""
    assert row["reason"] == "punkterna täcker inte länets befolkade delar"


def test_points_spread_over_gotland_cover_it():
    # A point of each type at each of the eight places: every populated part has one nearby.
    pts = _gotland_points(list(GOTLAND), TYPES)
    cov = coverage.service_coverage(pts, {}, cells=_gotland_cells())
    for t in TYPES:
        assert "09" in _covered(cov, t), t


def test_a_small_village_without_a_point_does_not_undo_coverage():
    # Every place but Burgsvik has points; Burgsvik has 300 people (below the floor of a
    # populated part), so its block need not have a point within reach.
    cells = _gotland_cells()
    cells.loc[cells["cell_id"] == f"c{list(GOTLAND).index('Burgsvik')}", "population"] = 300
    pts = _gotland_points([p for p in GOTLAND if p != "Burgsvik"], ["dagligvaror"])
    cov = coverage.service_coverage(pts, {}, cells=cells)
    assert "09" in _covered(cov, "dagligvaror")
    # With its 2 500 people it is a populated part: without points in the south (Hemse,
    # Klintehamn, Ljugarn) the nearest is Roma's, 54 km away, and Gotland is not covered.
    south = ("Burgsvik", "Hemse", "Klintehamn", "Ljugarn")
    pts = _gotland_points([p for p in GOTLAND if p not in south], ["dagligvaror"])
    assert "09" not in _covered(
        coverage.service_coverage(pts, {}, cells=_gotland_cells()), "dagligvaror"
    )


def test_a_declared_gotland_file_is_covered_whatever_its_points():
    pts = _gotland_points(["Visby"], ["dagligvaror"])
    cov = coverage.service_coverage(
        pts, {"service/punkter.csv": {"lan": ["09"]}}, cells=_gotland_cells()
    )
    assert _covered(cov, "dagligvaror") == {"09"}
    assert _row(cov, "09", "dagligvaror")["basis"] == "declared"
