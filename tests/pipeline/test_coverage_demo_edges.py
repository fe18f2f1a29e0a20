"""Issue #19, items 1 and 3 on the demo data: a regional file gives the national closure ranking
for its län, stray points do not cover Gotland, and one-län exports still cover their län.

The figures compared against are the national demo build's (every län covered), so the
regional builds below must reproduce them, not merely be plausible.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from lansanalys import geo, pipeline
from lansanalys.config import Paths
from lansanalys.pipeline import coverage
from lansanalys.pipeline.inputs import read_inputs, validated_tables
from lansanalys.provenance import load_sources
from lansanalys.services import SERVICE_TYPES, pipos_type
from tests.pipeline.test_coverage import _copy_home, _demo_points, _replace_service


def _processed(home: Path, name: str) -> pd.DataFrame:
    return pd.read_parquet(home / "data" / "processed" / f"{name}.parquet")


def _within(pts: pd.DataFrame, lan: str, km: float) -> pd.DataFrame:
    """The demo's raw Pipos rows within ``km`` of ``lan`` (as ``fetch service`` would cut)."""
    area = geo.lan_geometry().set_index("lan_kod").geometry[lan].buffer(km * 1000)
    inside = gpd.points_from_xy(pts["X"].astype(float), pts["Y"].astype(float)).within(area)
    return pts[inside]


def _covered(cov: pd.DataFrame, stype: str) -> set[str]:
    return set(cov.loc[cov["covered"] & (cov["service_type"] == stype), "lan_kod"])


# --------------------------------------------------------------------------------------------
# Item 3: stray points do not cover a one-kommun län


def test_kalmar_and_70_km_around_does_not_cover_gotland(demo_home, tmp_path):
    """The build's own reading step, on a file of Kalmar län and 70 km around it that says
    nothing of its coverage: it reaches Gotland's west coast (a few points), and Gotland has
    one kommun and no neighbour within 20 km."""
    p = _copy_home(demo_home, tmp_path)
    pts = _within(_demo_points(demo_home), "08", 70)
    on_gotland = pts[pts["Kommunkod"] == "0980"]
    assert 0 < len(on_gotland) < 30, len(on_gotland)  # a few of Gotland's points
    _replace_service(p, pts, "pipos_kalmar_70km.csv")  # no lan: coverage is inferred
    tables, kinds_meta = read_inputs(p, load_sources(p))
    _, cov = validated_tables(tables, kinds_meta)
    for t in SERVICE_TYPES:
        assert "09" not in _covered(cov, t), (
            f"{t}: {len(on_gotland)} points on Gotland's west coast covered all of Gotland"
        )
    for t in set(on_gotland["Serviceslag"].map(pipos_type)):
        row = cov.set_index(["lan_kod", "service_type"]).loc[("09", t)]
        assert row["reason"] == "punkterna täcker inte länets befolkade delar", t
    # Kalmar län itself has every point it needs, for every type.
    for t in SERVICE_TYPES:
        assert "08" in _covered(cov, t), t


def test_one_lan_exports_still_cover_their_lan(demo_home):
    """Each län's own demo points, alone in a file (a Pipos export of one län): covered for every
    type, as an extract (the points across the border are missing)."""
    svc = _processed(demo_home, "service").assign(file="service/export.csv")
    cells = _processed(demo_home, "rutor")
    near = coverage.kommuner_near_lan()
    for lan in geo.lan_codes():
        cov = coverage.service_coverage(svc[svc["lan_kod"] == lan], {}, near, cells=cells)
        for t in SERVICE_TYPES:
            assert _covered(cov, t) == {lan}, (lan, t)
        # Gotland has no kommun within 20 km: no point across a border can be missing.
        want = {"inferred"} if lan == "09" else {"extract"}
        assert set(cov.loc[cov["covered"], "basis"]) == want, lan


def test_the_national_demo_file_covers_every_lan_and_type_and_answers_every_point(demo_home):
    cov = _processed(demo_home, "coverage")
    assert cov["covered"].all() and len(cov) == 21 * 7
    clo = _processed(demo_home, "closure")
    assert clo["complete"].all()


# --------------------------------------------------------------------------------------------
# Item 1: the closure ranking from a regional file

#: ``fetch service``'s default buffer around the län (km).
BUFFER_KM = 50


@pytest.fixture(scope="module")
def kalmar_50km(demo_home: Path, demo_world) -> Paths:
    """The demo points within 50 km of Kalmar län, declared as ``fetch service`` writes it:
    ``lan: ["08"]`` and ``buffer_km: 50``; a full build (a shared world: built once, read-only)."""

    def make(home: Path) -> None:
        p = _copy_home(demo_home, home)
        pts = _within(_demo_points(demo_home), "08", BUFFER_KM)
        _replace_service(p, pts, "pipos_kalmar_50km.csv", lan=["08"], buffer_km=BUFFER_KM)
        pipeline.build(p, force=True)

    return Paths(demo_world("kalmar_50km", make))


def test_closure_from_a_regional_file_equals_the_national_build(kalmar_50km, demo_home):
    key = ["service_type", "point_id"]
    mine = _processed(kalmar_50km.root, "closure")
    mine = mine[mine["lan_kod"] == "08"]
    national = _processed(demo_home, "closure")
    national = national[national["lan_kod"] == "08"]
    both = mine.merge(national, on=key, suffixes=("", "_riket"), validate="1:1")
    assert len(both) == len(national) == len(mine)
    sure = both[both["complete"]]
    differ = sure[
        (sure["served"] != sure["served_riket"])
        | (sure["pushed_beyond"] != sure["pushed_beyond_riket"])
    ]
    assert differ.empty, (
        f"{len(differ)} Kalmar points the regional file answers for differ from the national "
        f"build:\n{differ[[*key, 'served', 'served_riket', 'pushed_beyond', 'pushed_beyond_riket']].head(10)}"  # noqa: E501
    )
    # Nearly every point is answered (those whose people near the zone's edge could have a
    # nearer point outside it are not), and the rest never count more than the national build.
    assert len(sure) >= 0.95 * len(both), f"{len(both) - len(sure)} of {len(both)} not answered"
    unsure = both[~both["complete"]]
    assert (unsure["served"] <= unsure["served_riket"]).all()
    assert (unsure["pushed_beyond"] <= unsure["pushed_beyond_riket"]).all()


def test_the_regional_access_tables_are_unchanged_by_the_closure_fix(kalmar_50km, demo_home):
    """The figures issue #19 found equal stay equal: access per kommun of Kalmar län."""
    key = ["kommun_kod", "service_type"]
    a = _processed(kalmar_50km.root, "access_kommun")
    b = _processed(demo_home, "access_kommun")
    a = a[a["kommun_kod"].str.startswith("08")].sort_values(key).reset_index(drop=True)
    b = b[b["kommun_kod"].str.startswith("08")].sort_values(key).reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b[a.columns], check_dtype=False)
