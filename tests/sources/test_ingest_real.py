"""Real public formats: SCB PxWeb JSON-stat (v1, v2), OpenStreetMap extracts, SKR kommungrupper."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lansanalys.errors import InputError
from lansanalys.sources import jsonstat
from lansanalys.sources.befolkning import age_code, read_befolkning
from lansanalys.sources.klassning import read_klassning
from lansanalys.sources.service import read_service

from ..conftest import shared


def test_pxweb_v2_jsonstat_decodes_to_known_cells():
    df = jsonstat.read(shared("scb-pxweb-api", "v2", "TAB6471_data.json"))
    assert len(df) == 21 * 11 * 3 * 1 * 4
    cell = df[
        (df["Region"] == "01")
        & (df["Alder"] == "0-9")
        & (df["Kon"] == "TotSa")
        & (df["Tid"] == "2026M01")
    ]
    assert cell["value"].tolist() == [245_284.0]  # SOURCE.md: Stockholms län 0–9 år, 2026M01
    assert cell["Region_label"].tolist() == ["Stockholms län"]


def test_pxweb_v1_jsonstat_decodes():
    df = jsonstat.read(shared("scb-pxweb-api", "v1", "response_se.json"))
    assert len(df) == 9 and df["value"].notna().all()
    assert set(df.columns) >= {"Kon", "Alder", "ContentsCode", "Tid", "value"}


def test_pxweb_table_of_lan_and_age_classes_is_refused_clearly():
    with pytest.raises(InputError, match="no kommun × single-year age"):
        read_befolkning(shared("scb-pxweb-api", "v2", "TAB6471_data.json"))


def _jsonstat(values, regions=("0821", "0880"), ages=("0", "100+"), years=("2023", "2024")):
    dims = {"Region": regions, "Alder": ages, "Kon": ("1", "2"), "Tid": years}
    return {
        "version": "2.0",
        "class": "dataset",
        "id": list(dims),
        "size": [len(v) for v in dims.values()],
        "dimension": {
            k: {"category": {"index": {c: i for i, c in enumerate(v)}, "label": {c: c for c in v}}}
            for k, v in dims.items()
        },
        "value": values,
    }


def test_befolkning_from_pxweb_jsonstat(tmp_path):
    n = 2 * 2 * 2 * 2
    f = tmp_path / "be0101.json"
    f.write_text(json.dumps(_jsonstat(list(range(n)))), encoding="utf-8")
    df = read_befolkning(f)
    assert len(df) == n and set(df["kommun_kod"]) == {"0821", "0880"}
    assert set(df["age"]) == {0, 100} and set(df["year"]) == {2023, 2024}
    # row-major: the last dimension (Tid) varies fastest
    first = df[(df["kommun_kod"] == "0821") & (df["age"] == 0) & (df["sex"] == "män")]
    assert first.sort_values("year")["population"].tolist() == [0.0, 1.0]


def test_jsonstat_with_wrong_value_count(tmp_path):
    f = tmp_path / "bad.json"
    f.write_text(json.dumps(_jsonstat([1, 2, 3])), encoding="utf-8")
    with pytest.raises(InputError, match="3 values, the dimensions give 16"):
        read_befolkning(f)


def test_osm_health_extract_keeps_pharmacies_in_sweref():
    df = read_service(shared("osm-hotosm-health-2020", "hotosm_swe_health_facilities_2020.csv"))
    assert len(df) == 690 and set(df["service_type"]) == {"apotek"}  # clinics etc. dropped
    assert df["x"].between(200_000, 1_000_000).all() and df["y"].between(6_100_000, 7_700_000).all()
    assert df["point_id"].is_unique


def test_overpass_json(tmp_path):
    doc = {
        "elements": [
            {
                "type": "node",
                "id": 1,
                "lat": 56.66,
                "lon": 16.36,
                "tags": {"shop": "supermarket", "name": "ICA Kvantum"},
            },
            {
                "type": "way",
                "id": 2,
                "center": {"lat": 57.0, "lon": 16.0},
                "tags": {"amenity": "fuel"},
            },
            {"type": "node", "id": 3, "lat": 57.0, "lon": 16.0, "tags": {"amenity": "bench"}},
            {"type": "way", "id": 4, "tags": {"amenity": "pharmacy"}},
        ]
    }
    f = tmp_path / "overpass.json"
    f.write_text(json.dumps(doc), encoding="utf-8")
    df = read_service(f)
    assert df["service_type"].tolist() == ["dagligvaror", "drivmedel"]
    assert df["name"].tolist() == ["ICA Kvantum", "amenity=fuel"]
    assert df["point_id"].tolist() == ["osm-n1", "osm-w2"]


def test_latlon_outside_sweden_is_named(tmp_path):
    f = tmp_path / "p.csv"
    f.write_text(
        "id,type,name,lat,lon\n1,pharmacy,A,57.0,16.0\n2,pharmacy,B,6334000,560000\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError, match="row 3.*not in Sweden"):
        read_service(f)


def test_skr_kommungrupper():
    df = read_klassning(shared("skr-kommungrupp", "municipality_meta.csv"))
    assert len(df) == 290 and df["kommun_kod"].is_unique
    counts = df["class_code"].value_counts().to_dict()
    assert counts == {
        "A1": 3,
        "A2": 43,
        "B3": 23,
        "B4": 63,
        "B5": 24,
        "C6": 27,
        "C7": 51,
        "C8": 35,
        "C9": 21,
    }
    assert df["scheme"].iloc[0] == "SKR kommungrupper"


# --------------------------------------------------------------------------------------------
# SCB from 2025 (TAB5557, BefolkningCKM): open age class "100+1", civilstånd not eliminable


def _tab5557(values, civil=("OG", "G", "ÄNKL", "SK"), contents=("000007ME",)):
    """A TAB5557-style JSON-stat answer built by hand: two kommuner, ages 0 and 100+1."""
    dims = {
        "Region": ("0821", "0880"),
        "Civilstand": civil,
        "Alder": ("0", "100+1"),
        "Kon": ("1", "2"),
        "ContentsCode": contents,
        "Tid": ("2025",),
    }
    labels = {"100+1": "100+ år", "0": "0 år", "000007ME": "Folkmängd", "BE0101N2": "Folkökning"}
    doc = _jsonstat([], **{})
    doc["id"], doc["size"] = list(dims), [len(v) for v in dims.values()]
    doc["dimension"] = {
        k: {
            "category": {
                "index": {c: i for i, c in enumerate(v)},
                "label": {c: labels.get(c, c) for c in v},
            }
        }
        for k, v in dims.items()
    }
    doc["value"] = values
    return doc


def test_tab5557_answer_sums_civilstand_and_reads_100_plus_1(tmp_path):
    # Row-major over Region × Civilstand × Alder × Kon (× 1 × 1): value = 1000·r + 100·c + 10·a + k
    values = [
        1000 * r + 100 * c + 10 * a + k
        for r in range(2)
        for c in range(4)
        for a in range(2)
        for k in range(2)
    ]
    f = tmp_path / "tab5557.json"
    f.write_text(json.dumps(_tab5557(values)), encoding="utf-8")
    df = read_befolkning(f).set_index(["kommun_kod", "age", "sex"])["population"]
    assert len(df) == 2 * 2 * 2 and set(df.index.get_level_values("age")) == {0, 100}
    # Högsby (r = 0), 100+ (a = 1), kvinnor (k = 1): Σ_c (100·c + 10 + 1) = 600 + 44
    assert df[("0821", 100, "kvinnor")] == 644
    assert df[("0880", 0, "män")] == sum(1000 + 100 * c for c in range(4))


def test_a_missing_civilstand_value_makes_the_cell_missing(tmp_path):
    values = [1.0] * 32
    values[2] = None  # Högsby, ogifta, 100+1, män
    f = tmp_path / "t.json"
    f.write_text(json.dumps(_tab5557(values)), encoding="utf-8")
    df = read_befolkning(f).set_index(["kommun_kod", "age", "sex"])["population"]
    assert np.isnan(df[("0821", 100, "män")]) and df[("0821", 100, "kvinnor")] == 4


def test_two_contents_are_refused_not_summed(tmp_path):
    f = tmp_path / "t.json"
    f.write_text(
        json.dumps(_tab5557([1] * 64, contents=("000007ME", "BE0101N2"))), encoding="utf-8"
    )
    with pytest.raises(InputError, match="ContentsCode has 2 values.*Folkmängd, Folkökning"):
        read_befolkning(f)


@given(st.integers(0, 100))
def test_single_ages_and_their_labels_parse(age):
    got = age_code(pd.Series([str(age), f"{age} år", f" {age} ÅR "]))
    assert got.tolist() == [age, age, age]


@given(st.integers(0, 130), st.sampled_from(["+", "+ år", "+1", "+5", "+10", "+1 år"]))
def test_a_plus_is_only_the_open_class_100(age, suffix):
    got = age_code(pd.Series([f"{age}{suffix}"])).iloc[0]
    assert got == 100 if age == 100 else np.isnan(got)  # "90+" is a class, not age 90


def test_open_class_below_100_is_refused_in_a_csv(tmp_path):
    f = tmp_path / "b.csv"
    f.write_text('"region","ålder","kön","2024"\n"0821 Högsby","90+ år","män",12\n', "utf-8")
    with pytest.raises(InputError, match="row 2, column 'ålder'.*'90\\+ år'"):
        read_befolkning(f)
