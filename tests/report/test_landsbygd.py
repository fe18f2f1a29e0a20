"""Typer av platser (issue #20, part 1) on the demo build: every chapter renders for riket, a län
and a kommun through the facade, and what it shows is recomputed here with plain pandas from
the processed tables (cells, their types and their road distances; population; grants)."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest
from IPython.display import Markdown

from lansanalys import catalogue, config
from lansanalys.analysis.place_types import KOMMUNTYPER, PLACE_TYPES
from lansanalys.report import Area, Report
from lansanalys.report.blocks import Table

CHAPTERS = [
    "kommuntyp_text",
    "table_by_kommuntyp",
    "table_by_place_type",
    "fig_access_by_place_type",
    "table_support_by_kommuntyp",
    "place_types_method",
]


@pytest.fixture(scope="module")
def tables(demo_home):
    p = config.Paths(demo_home)
    cells = catalogue.read(p, "ortstyp")
    near = catalogue.read(p, "nearest", filters=[("service_type", "==", "dagligvaror")])
    return {
        "p": p,
        "cells": cells,
        "near": near.merge(cells[["cell_id", "place_type", "population"]], on="cell_id"),
        "kommuntyp": catalogue.read(p, "kommuntyp").set_index("kommun_kod"),
        "befolkning": catalogue.read(p, "befolkning"),
        "stod": catalogue.read(p, "stod"),
    }


@pytest.mark.parametrize("code", ["00", "08", "0821"])
def test_every_chapter_renders_for_every_level(demo_home, code):
    rpt = Report(Area.of(code), p=config.Paths(demo_home))
    for name in CHAPTERS:
        out = getattr(rpt, name)()
        assert isinstance(out, go.Figure | Table | Markdown), (name, type(out))
        if isinstance(out, go.Figure):
            assert out.layout.title.text and out.layout.meta["source"], name
        if isinstance(out, Table):
            assert len(out) and "<table" in out.data, name
            # Swedish numbers: a decimal comma, never a decimal point before a percent sign.
            assert not re.search(r"\d\.\d+\s?%", out.data), name


def _beyond_10km(near: pd.DataFrame) -> pd.Series:
    """Percent of people more than 10 km by road (at 0,1 m) or unreachable, per place type."""
    d = near["road_m"].to_numpy(dtype=float)
    far = np.isnan(d) | (np.round(d * 10) > 100_000)
    g = near.assign(far=np.where(far, near["population"], 0)).groupby("place_type")
    return 100 * g["far"].sum() / g["population"].sum()


@pytest.mark.parametrize("code", ["00", "08", "0821"])
def test_access_by_place_type_is_the_cells_share(tables, code):
    area = Area.of(code)
    rpt = Report(area, p=tables["p"])
    fig = rpt.fig_access_by_place_type()
    name = rpt.data.name_of(area)
    trace = next(t for t in fig.data if t.name == name)
    shown = dict(zip(trace.y, trace.x, strict=True))
    near = tables["near"]
    if area.level != "riket":
        near = near[near[area.key] == area.code]
    want = _beyond_10km(near)
    assert shown.keys() == set(want.index)
    for t, v in want.items():
        assert shown[t] == pytest.approx(v)
    # The finding in the title is the area's own glesbygd figure where it has glesbygd.
    if "glesbygd" in want:
        assert f"{want['glesbygd']:.1f}".replace(".", ",") in fig.layout.title.text


def test_place_types_partition_the_grid_population(tables):
    rpt = Report(Area.of("08"), p=tables["p"])
    t = rpt.table_by_place_type()
    cells = tables["cells"]
    kalmar = cells[cells["lan_kod"] == "08"]
    want = kalmar.groupby("place_type")["population"].sum()
    got = dict(zip(t["Ortstyp"], t["Invånare"], strict=True))
    assert got == {k: float(v) for k, v in want.items() if v}
    assert sum(got.values()) == kalmar["population"].sum()
    assert t["Andel av invånarna, %"].sum() == pytest.approx(100.0)
    assert set(got) <= set(PLACE_TYPES)
    # Every cell has one type, and no road link means glesbygd.
    assert cells["place_type"].isin(PLACE_TYPES).all()
    assert (cells.loc[cells["town_min"].isna(), "place_type"] == "glesbygd").all()
    assert "uppgift saknas" in t.note  # change per place type needs two grid years


def test_kommuntyp_table_of_riket_against_plain_pandas(tables):
    rpt = Report(Area.riket(), p=tables["p"])
    t = rpt.table_by_kommuntyp()
    kt, bef, stod = tables["kommuntyp"], tables["befolkning"], tables["stod"]
    assert len(kt) == 290 and kt["typ6"].between(1, 6).all()
    types = t[t["Kommuntyp"].isin(KOMMUNTYPER.values())]
    assert types["Kommuner"].sum() == 290
    year = int(bef["year"].max())
    pop = bef[bef["year"] == year].groupby("kommun_kod")["population"].sum()
    rural = kt.index[kt["typ6"] == 6]
    row = t.set_index("Kommuntyp").loc[KOMMUNTYPER[6]]
    assert row[f"Invånare {year}"] == pytest.approx(pop[rural].sum())
    # Support per inhabitant and year: the type's money over its person-years in the period.
    first, last = int(stod["year"].min()), int(stod["year"].max())
    years = bef[bef["year"].between(first, last) & bef["kommun_kod"].isin(rural)]
    person_years = years["population"].sum()
    money = stod.loc[stod["kommun_kod"].isin(rural), "amount_sek"].sum()
    assert row["Stöd, kr per invånare och år"] == pytest.approx(money / person_years)
    old = bef[(bef["year"] == year) & (bef["age"] >= 70) & bef["kommun_kod"].isin(rural)]
    assert row["Andel 70+, %"] == pytest.approx(100 * old["population"].sum() / pop[rural].sum())


def test_support_shares_by_kommuntyp_add_up(tables):
    rpt = Report(Area.of("08"), p=tables["p"])
    t = rpt.table_support_by_kommuntyp()
    assert t["Andel av stödet, %"].sum() == pytest.approx(100.0)
    assert t["Andel av personåren, %"].sum() == pytest.approx(100.0)
    stod = tables["stod"]
    assert t["Stöd totalt, mnkr"].sum() == pytest.approx(
        stod.loc[stod["lan_kod"] == "08", "amount_sek"].sum() / 1e6
    )


def test_the_kommun_names_its_type_and_says_it_is_computed(tables):
    rpt = Report(Area.of("0821"), p=tables["p"])
    text = rpt.kommuntyp_text().data
    assert tables["kommuntyp"].at["0821", "typ6_name"].lower() in text
    assert "beräknad av Länsanalys" in text  # the demo has no Tillväxtanalys file
    assert "45 minuter" in rpt.place_types_method().data
