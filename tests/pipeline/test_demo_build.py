"""Demo generator and build: deterministic, consistent across kinds, all-or-nothing."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lansanalys import config, demo, geo, pipeline, services
from lansanalys.errors import BuildError, InputError
from lansanalys.provenance import load_sources, sha256
from lansanalys.sources import files


def _processed(home: Path, name: str) -> pd.DataFrame:
    return pd.read_parquet(home / "data" / "processed" / f"{name}.parquet")


def test_demo_is_deterministic(demo_home, tmp_path, monkeypatch):
    monkeypatch.setenv("LANSANALYS_HOME", str(tmp_path))
    written = demo.generate(["befolkning"], p=config.paths())
    original = demo_home / "data" / "raw" / "befolkning" / "demo_befolkning_scb.csv"
    assert sha256(written["befolkning"]) == sha256(original)


def test_demo_files_are_marked_and_recorded(demo_home):
    p = config.Paths(demo_home)
    sources = load_sources(p)
    for kind in config.RAW_KINDS:
        found = files.raw_files(p, kind)
        assert found, kind
        for f in found:
            assert files.is_demo(f, sources, p)
            entry = sources[f.relative_to(p.raw).as_posix()]
            assert entry["demo"] is True and entry["sha256"] == sha256(f)
    text = (p.raw / "befolkning" / "demo_befolkning_scb.csv").read_bytes()[:300]
    assert files.DEMO_MARKER.encode() in text


def test_population_reconciles_kommun_lan_riket(demo_home):
    bef = _processed(demo_home, "befolkning")
    assert bef["year"].nunique() >= 10
    assert sorted(bef["age"].unique()) == list(range(101))
    last = bef[bef["year"] == bef["year"].max()]
    kommun = last.groupby("kommun_kod")["population"].sum()
    lan = last.groupby("lan_kod")["population"].sum()
    assert set(kommun.index) == set(geo.kommun_codes())
    assert (kommun > 0).all()
    assert lan.sum() == kommun.sum() == last["population"].sum()
    for code, total in lan.items():
        assert kommun[kommun.index.str[:2] == code].sum() == total
    assert 9_000_000 < kommun.sum() < 12_000_000


def test_grid_matches_population_and_covers_every_kommun(demo_home):
    rutor = _processed(demo_home, "rutor")
    bef = _processed(demo_home, "befolkning")
    last = bef[bef["year"] == bef["year"].max()].groupby("kommun_kod")["population"].sum()
    grid = rutor.groupby("kommun_kod")["population"].sum()
    assert 80_000 <= len(rutor) <= 130_000
    assert set(grid.index) == set(geo.kommun_codes())
    # Cells are assigned to kommuner by their centre in the build; allow border cells to move.
    assert abs(grid.sum() - last.sum()) == 0
    assert (grid.reindex(last.index) / last).between(0.8, 1.25).mean() > 0.95
    assert (rutor["pop_70plus"] <= rutor["population"]).all()


def test_service_points_cover_every_type(demo_home):
    """Settlement hierarchy: every län has every type, and every kommun (its centre) the
    everyday services; the two scarce cash-handling services may sit in a neighbour's town."""
    svc = _processed(demo_home, "service")
    assert set(svc["service_type"]) == set(services.SERVICE_TYPES)
    per_lan = svc.groupby(["lan_kod", "service_type"]).size().unstack(fill_value=0)
    assert len(per_lan) == 21 and (per_lan > 0).all().all()
    per_kommun = (
        svc.groupby(["kommun_kod", "service_type"])
        .size()
        .unstack(fill_value=0)
        .reindex(geo.kommun_codes(), fill_value=0)
    )
    everyday = ["dagligvaror", "drivmedel", "apotek", "post_paket", "kontantuttag"]
    assert (per_kommun[everyday] > 0).all().all()
    # More points where more people live: Stockholm has more stores than Bjurholm.
    assert per_kommun.at["0180", "dagligvaror"] > 20 * per_kommun.at["2403", "dagligvaror"]


def test_nearest_is_national_and_complete(demo_home):
    near = _processed(demo_home, "nearest")
    rutor = _processed(demo_home, "rutor")
    assert len(near) == len(rutor) * len(services.SERVICE_TYPES)
    assert (near["dist2_m"] >= near["dist_m"]).all()
    # Some cells are served from another län: nearest is searched across county borders.
    svc = _processed(demo_home, "service").set_index("point_id")["lan_kod"]
    assert (svc.reindex(near["point_id"]).to_numpy() != near["lan_kod"].to_numpy()).sum() > 100


def test_unchanged_raw_data_skips_the_build(demo_home, monkeypatch):
    monkeypatch.setenv("LANSANALYS_HOME", str(demo_home))
    meta = pipeline.build()
    assert meta.get("skipped") is True


def _processed_state(home: Path) -> dict[str, str]:
    folder = home / "data" / "processed"
    return {f.name: sha256(f) for f in sorted(folder.iterdir())}


@pytest.mark.parametrize(
    ("kind", "mutate", "match"),
    [
        ("befolkning", lambda t: t.replace('"0821 Högsby"', '"821 Högsby"', 1), "leading zero"),
        ("befolkning", lambda t: t.replace(',"män",', ',"gubbar",', 1), "sex 'gubbar'"),
        ("service", lambda t: t.replace(";560000;6334000;", ";16.4;56.7;", 1), "WGS 84"),
    ],
)
def test_bad_raw_file_fails_and_keeps_processed(home_copy, kind, mutate, match):
    p = config.paths()
    before = _processed_state(home_copy)
    f = files.raw_files(p, kind)[0]
    f.write_text(mutate(f.read_text(encoding="cp1252")), encoding="cp1252")
    with pytest.raises((InputError, BuildError), match=match) as exc:
        pipeline.build(p, force=True)
    assert str(f) in str(exc.value)
    assert _processed_state(home_copy) == before


@pytest.mark.slow  # full national builds of its own
def test_real_file_replaces_demo_for_its_kind_only(home_copy):
    p = config.paths()
    real = p.raw_kind("befolkning") / "scb_export.csv"
    demo_file = p.raw_kind("befolkning") / "demo_befolkning_scb.csv"
    text = demo_file.read_text(encoding="cp1252").replace(
        "EXEMPELDATA – genererad av lansanalys, inte SCB:s siffror", ""
    )
    real.write_text(text, encoding="utf-8-sig")
    meta = pipeline.build(p, force=True)
    assert meta["kinds"]["befolkning"]["demo"] is False
    assert [f["file"] for f in meta["kinds"]["befolkning"]["files"]] == [
        "befolkning/scb_export.csv"
    ]
    assert meta["kinds"]["rutor"]["demo"] is True
    entry = load_sources(p)["befolkning/scb_export.csv"]
    assert entry["user_supplied"] is True and entry["rows"] > 0
    saved = json.loads((p.processed / "meta.json").read_text(encoding="utf-8"))
    assert saved["kinds"]["befolkning"]["demo"] is False


def test_missing_kind_is_a_clear_error(home_copy):
    p = config.paths()
    for f in files.raw_files(p, "stod"):
        f.unlink()
    with pytest.raises(BuildError, match="data/raw/stod/ has no data file"):
        pipeline.build(p, force=True)


def test_age_bands_sum_to_population(demo_home):
    import geopandas as gpd

    gpkg = demo_home / "data" / "raw" / "rutor" / "demo_befolkning_1km.gpkg"
    g = gpd.read_file(gpkg)
    bands = g[["ald0_24", "ald25_44", "ald45_64", "ald65_79", "ald80w"]].sum(axis=1)
    assert np.array_equal(bands.to_numpy(), g["beftotalt"].to_numpy())
    assert g.crs.to_epsg() == 3006


def test_engine_tables_in_the_build(demo_home):
    proj = _processed(demo_home, "prognos")
    bef = _processed(demo_home, "befolkning")
    assert int(proj["year"].min()) == int(bef["year"].max()) + 1
    assert int(proj["year"].max()) == 2040
    assert set(proj["kommun_kod"]) == set(geo.kommun_codes())
    assert (proj["population"] >= 0).all()
    closure = _processed(demo_home, "closure")
    assert (closure["pushed_beyond"] <= closure["served"]).all()
    svc = _processed(demo_home, "service")
    assert len(closure) == len(svc)  # every point of every type ranked
    cash = _processed(demo_home, "cash_rule")
    # The demo writes a kommun grouping, so the rule is also checked per kommungrupp.
    assert set(cash["level"]) == {"kommun", "lan", "riket", "kommungrupp"}
    riket = cash[cash["level"] == "riket"].set_index("service_type")
    assert riket.at["kontantuttag", "limit_pct"] == 0.3


@pytest.mark.slow  # full national builds of its own
def test_klassning_is_optional_and_used_when_present(home_copy):
    import shutil

    import plotly.graph_objects as go

    from lansanalys import LanReport

    from ..conftest import shared

    p = config.paths()
    # The demo's own grouping is used, and says it is an example.
    demo_fig = LanReport("08", p=p).fig_support_by_group()
    assert isinstance(demo_fig, go.Figure)
    assert "exempelindelning" in demo_fig.layout.meta["source"]
    # A real list replaces it.
    shutil.rmtree(p.raw / "klassning")
    (p.raw / "klassning").mkdir()
    shutil.copy(shared("skr-kommungrupp", "municipality_meta.csv"), p.raw / "klassning")
    meta = pipeline.build(p, force=True)
    assert meta["kinds"]["klassning"]["demo"] is False
    fig = LanReport("08", p=p).fig_support_by_group()
    assert isinstance(fig, go.Figure)
    groups = set(fig.data[0].y)
    assert {"C8 Landsbygdskommun", "B3 Större stad"} <= groups  # Högsby, Kalmar
    shares = sum(fig.data[0].x)
    assert shares == pytest.approx(100.0)
    assert (p.processed / "access_kommungrupp.parquet").exists()
    # Without any grouping the build still works and the report says what is missing.
    shutil.rmtree(p.raw / "klassning")
    pipeline.build(p)
    assert not isinstance(LanReport("08", p=p).fig_support_by_group(), go.Figure)
    assert not (p.processed / "access_kommungrupp.parquet").exists()


def test_indicators_are_computed_once_in_the_build_and_equal_a_fresh_computation(demo_home):
    """Reports read the build's indicators; they must be what the reports used to compute."""
    from lansanalys import catalogue
    from lansanalys.analysis.indicators import area_indicators
    from lansanalys.report import Area
    from lansanalys.report.data import AreaData

    def read_indicators(p, level, lan_kod=None):
        """What a report reads: the build's table through AreaData."""
        ind = AreaData(Area.riket(), p=p).indicators
        out = (
            ind.loc[level]
            if level == "kommun"
            else pd.concat([ind.loc["lan"], ind.loc[["riket"]].droplevel(0)])
        )
        if lan_kod:
            out = out[out["lan_kod"] == lan_kod]
        out = out.drop(columns=["lan_kod"])
        out.index.name = None
        out.attrs["span"] = ind.attrs["span"]
        return out

    p = config.Paths(demo_home)
    bef = catalogue.read(p, "befolkning")
    riket = catalogue.read(p, "access_riket")
    for level, key in (("lan", "lan_kod"), ("kommun", "kommun_kod")):
        fresh = area_indicators(bef, key, catalogue.read(p, f"access_{level}"), riket)
        stored = read_indicators(p, level)
        if level == "kommun":
            fresh = fresh.drop(index="00")
        pd.testing.assert_frame_equal(stored.sort_index(), fresh.sort_index(), check_names=False)
        assert stored.attrs["span"] == fresh.attrs["span"]
    kalmar = read_indicators(p, "kommun", "08")
    assert set(kalmar.index) == set(geo.kommun_codes("08"))  # only the län's kommuner
