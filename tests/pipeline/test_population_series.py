"""Population series as real users have them: one year only, SCB's tables from 2025 (TAB5557
with Cell Key Method noise and the open age class ``100+1``), gaps, and the source wording."""

from __future__ import annotations

import itertools
import pickle
import re
import shutil
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lansanalys import config, demo, fetch, geo, pipeline, render
from lansanalys.analysis import demography
from lansanalys.analysis.indicators import area_indicators
from lansanalys.errors import InputError, SelectionError
from lansanalys.provenance import load_sources, save_sources
from lansanalys.report.text import source_note
from lansanalys.sources.befolkning import read_befolkning

from .. import worlds
from ..conftest import home_env, shared
from ..fetch.test_fetch import PX, Reply, Req, _dataset, _json_reply, _problem, serve

KALMAR = geo.kommun_codes("08")
CIVIL = ("ogifta", "gifta", "skilda", "änkor/änklingar")
AGE_CODES = [str(a) for a in range(100)] + ["100+1"]


# --------------------------------------------------------------------------------------------
# A CSV export in TAB5557's layout: civilstånd cannot be left out, "100+1", CKM noise from 2025


def tab5557_csv(path: Path, year: int = 2025, noise: int = 3, wrong: int = 0) -> dict:
    """Kalmar län's 12 kommuner × civilstånd × age × sex, and the län's own rows.

    Each published län value is the sum of its kommun values plus a noise in −noise … noise
    (as SCB's CKM gives from 2025), and ``wrong`` people on top in the län row (ogifta, 37 år,
    män). Returns the kommun sums per (kommun, age, sex) over civilstånd, and the line of the
    wrong row.
    """
    rng = np.random.default_rng(7)
    names = geo.kommuner().set_index("kommun_kod")["kommun"]
    lines = [
        f'"Folkmängden efter region, civilstånd, ålder och kön. År {year}"',
        "",
        f'"region","civilstånd","ålder","kön","{year}"',
    ]
    lan: dict[tuple[str, str, str], int] = {}
    want: dict[tuple[str, int, str], int] = {}
    for k, c, a, s in itertools.product(KALMAR, CIVIL, AGE_CODES, ("män", "kvinnor")):
        v = int(rng.integers(0, 40))
        lines.append(f'"{k} {names[k]}","{c}","{a}","{s}",{v}')
        lan[(c, a, s)] = lan.get((c, a, s), 0) + v
        age = 100 if a == "100+1" else int(a)
        want[(k, age, s)] = want.get((k, age, s), 0) + v
    wrong_line = None
    for (c, a, s), total in lan.items():
        published = max(0, total + int(rng.integers(-noise, noise + 1)))
        if (c, a, s) == ("ogifta", "37", "män"):
            published += wrong
            wrong_line = len(lines) + 1
        lines.append(f'"08 Kalmar län","{c}","{a}","{s}",{published}')
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return {"want": want, "wrong_line": wrong_line}


def test_tab5557_csv_with_100_plus_1_and_ckm_noise_is_read(tmp_path):
    made = tab5557_csv(tmp_path / "tab5557.csv")
    df = read_befolkning(tmp_path / "tab5557.csv")
    assert len(df) == 12 * 101 * 2 and set(df["year"]) == {2025}
    assert sorted(df["age"].unique()) == list(range(101))
    got = df.set_index(["kommun_kod", "age", "sex"])["population"]
    assert got.to_dict() == {k: float(v) for k, v in made["want"].items()}


def test_ckm_noise_beyond_the_stated_tolerance_is_refused(tmp_path):
    made = tab5557_csv(tmp_path / "t.csv", wrong=300)
    with pytest.raises(InputError) as err:
        read_befolkning(tmp_path / "t.csv")
    msg = str(err.value)
    assert err.value.row == made["wrong_line"]
    assert "region 08, 2025" in msg and "Cell Key Method" in msg
    assert re.search(r"here ±\d+", msg)  # the tolerance that applied, stated


def test_before_2025_totals_must_equal_their_parts_exactly(tmp_path):
    tab5557_csv(tmp_path / "t.csv", year=2024, noise=0)
    assert len(read_befolkning(tmp_path / "t.csv")) == 12 * 101 * 2
    tab5557_csv(tmp_path / "n.csv", year=2024, noise=1)
    with pytest.raises(InputError, match="before 2025 equal the sum of their parts exactly"):
        read_befolkning(tmp_path / "n.csv")


# --------------------------------------------------------------------------------------------
# fetch befolkning: TAB638 (to 2024) joined with TAB5557 (from 2025), no year twice


def _meta(table: str, dims: list[tuple[str, str, list[str], dict, bool]]) -> dict:
    """PxWebApi 2 metadata (JSON-stat 2) built by hand, in the recorded TAB6471's layout."""
    return {
        "version": "2.0",
        "class": "dataset",
        "label": {
            "TAB638": "Folkmängden efter region, civilstånd, ålder och kön. År 2020-2024",
            "TAB5557": "Folkmängden efter region, civilstånd, ålder och kön. År 2024-2025",
        }[table],
        "source": "SCB",
        "updated": "2026-02-20T07:00:00Z",
        "id": [d[0] for d in dims],
        "size": [len(d[2]) for d in dims],
        "dimension": {
            code: {
                "label": label,
                "category": {
                    "index": {c: i for i, c in enumerate(codes)},
                    "label": {c: labels.get(c, c) for c in codes},
                },
                "extension": {"elimination": elim},
            }
            for code, label, codes, labels, elim in dims
        },
        "extension": {"px": {"tableid": table}},
        "value": [],
    }


REGIONS = ["00", "08", "0821", "0880"]
CIVIL_CODES = ["OG", "G", "SK", "ÄNKL"]
META_638 = _meta(
    "TAB638",
    [
        ("Region", "region", REGIONS, {}, True),
        ("Civilstand", "civilstånd", CIVIL_CODES, {}, True),
        ("Alder", "ålder", [str(a) for a in range(100)] + ["100+", "tot"], {}, True),
        ("Kon", "kön", ["1", "2"], {"1": "män", "2": "kvinnor"}, True),
        (
            "ContentsCode",
            "tabellinnehåll",
            ["BE0101N1", "BE0101N2"],
            {"BE0101N1": "Folkmängd", "BE0101N2": "Folkökning"},
            False,
        ),
        ("Tid", "år", [str(y) for y in range(2020, 2025)], {}, False),
    ],
)
# TAB5557's metadata lists 2024 too, to check that an overlap is fetched once (from TAB638).
ALDER_5557 = ["TotSA", "-4", *[str(a) for a in range(100)], "100+1", "100+5"]
META_5557 = _meta(
    "TAB5557",
    [
        ("Region", "region", REGIONS, {}, True),
        ("Civilstand", "civilstånd", CIVIL_CODES, {}, False),
        ("Alder", "ålder", ALDER_5557, {"100+1": "100+ år", "100+5": "100+ år"}, False),
        ("Kon", "kön", ["TotSa", "1", "2"], {"1": "män", "2": "kvinnor"}, True),
        ("ContentsCode", "tabellinnehåll", ["000007ME"], {"000007ME": "Folkmängd"}, False),
        ("Tid", "år", ["2024", "2025"], {}, False),
    ],
)


def value_5557(k: int, c: int, a: int, s: int) -> int:
    return 1 + (7 * k + 3 * c + a + 11 * s) % 50


#: The one selection the hand-built TAB5557 recording answers (Kalmar's two kommuner, 2025).
SELECTION_5557 = {
    "Region": ["0821", "0880"],
    "Civilstand": CIVIL_CODES,
    "Alder": [str(a) for a in range(100)] + ["100+1"],
    "Kon": ["1", "2"],
    "ContentsCode": ["000007ME"],
    "Tid": ["2025"],
}


def recorded_5557() -> dict:
    """The TAB5557 data answer for Kalmar's two kommuner in the metadata, 2025, built by hand."""
    codes = SELECTION_5557
    doc = _meta("TAB5557", [(d, d.lower(), v, {}, False) for d, v in codes.items()])
    doc["value"] = [
        value_5557(k, c, a, s)
        for k in range(2)
        for c in range(4)
        for a in range(101)
        for s in range(2)
    ]
    doc["size"] = [len(v) for v in codes.values()]
    return doc


class SeriesServer:
    """config (recorded), the two tables' metadata (built by hand), TAB638 data answered from
    its metadata (values a checksum of the codes), TAB5557 data the recorded answer above."""

    def __init__(self):
        self.config = shared(*PX, "v2", "config.json").read_bytes()

    def __call__(self, req: Req) -> Reply:
        if req.path == "/api/v2/config":
            return Reply(200, self.config, {"Content-Type": "application/json"})
        for tid, meta in (("TAB638", META_638), ("TAB5557", META_5557)):
            if req.path == f"/api/v2/tables/{tid}/metadata":
                return _json_reply(meta)
        if req.path == "/api/v2/tables/TAB638/data":
            sel = {s["variableCode"]: s["valueCodes"] for s in req.json()["selection"]}
            order = [d for d in META_638["id"] if d in sel]
            cats = {
                d: (sel[d], META_638["dimension"][d]["category"]["label"], d, {}) for d in order
            }
            return _json_reply(_dataset(order, cats, META_638))
        if req.path == "/api/v2/tables/TAB5557/data":
            sel = {s["variableCode"]: s["valueCodes"] for s in req.json()["selection"]}
            if sel != SELECTION_5557:  # the recording answers only this selection
                return _problem(400, "Bad Request", f"not the recorded selection: {sel}")
            return _json_reply(recorded_5557())
        return _problem(404, "Not Found", f"No table found with id {req.path}")


@pytest.fixture()
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("LANSANALYS_HOME", str(tmp_path))
    for var in config.URL_ENVS.values():
        monkeypatch.delenv(var, raising=False)
    return tmp_path


def test_fetch_joins_tab638_and_tab5557_without_a_year_twice(home: Path):
    with serve(SeriesServer()) as (base, log):
        result = fetch.fetch_befolkning(lan=["08"], base_url=base + "/api/v2")
    posts = {r.path.split("/")[-2]: r.json()["selection"] for r in log if r.method == "POST"}
    tid = {
        t: next(s["valueCodes"] for s in sel if s["variableCode"] == "Tid")
        for t, sel in posts.items()
    }
    assert tid == {"TAB638": [str(y) for y in range(2020, 2025)], "TAB5557": ["2025"]}
    names = sorted(w.path.name for w in result.written)
    assert names == ["scb_TAB5557_lan08_2025.json", "scb_TAB638_lan08_2020-2024.json"]
    assert any("Cell Key Method" in n for n in result.notes)
    df = pd.concat([read_befolkning(w.path) for w in result.written], ignore_index=True)
    assert not df.duplicated(["kommun_kod", "year", "age", "sex"]).any()
    assert sorted(df["year"].unique()) == list(range(2020, 2026))
    assert (df.groupby("year").size() == 2 * 101 * 2).all()
    # 2025: civilstånd summed by the reader, 100+ from "100+1", values as recorded.
    y25 = df[df["year"] == 2025].set_index(["kommun_kod", "age", "sex"])["population"]
    for (k, code), a, (s, sex) in itertools.product(
        enumerate(["0821", "0880"]), range(101), enumerate(["män", "kvinnor"])
    ):
        assert y25[(code, a, sex)] == sum(value_5557(k, c, a, s) for c in range(4))
    entries = load_sources(config.paths())
    assert entries["befolkning/scb_TAB5557_lan08_2025.json"]["table"] == "TAB5557"
    assert entries["befolkning/scb_TAB638_lan08_2020-2024.json"]["years"] == list(range(2020, 2025))


def test_fetch_years_across_the_join_and_years_nobody_has(home: Path):
    with serve(SeriesServer()) as (base, log):
        result = fetch.fetch_befolkning(years="2024-2025", lan=["08"], base_url=base + "/api/v2")
        assert sorted(w.entry["years"][0] for w in result.written) == [2024, 2025]
        assert sorted(w.entry["table"] for w in result.written) == ["TAB5557", "TAB638"]
        with pytest.raises(SelectionError, match="TAB5557 2024–2025.*lacks 2026"):
            fetch.fetch_befolkning(years="2025-2026", lan=["08"], base_url=base + "/api/v2")


# --------------------------------------------------------------------------------------------
# Years with gaps and a single year: no change figure from a year that is not there


def _pop(years: list[int]) -> pd.DataFrame:
    rows = [
        (k, y, a, s, 10.0 * (1 + years.index(y)))
        for k in ("0821", "0880")
        for y in years
        for a in (0, 40, 80)
        for s in ("män", "kvinnor")
    ]
    df = pd.DataFrame(rows, columns=["kommun_kod", "year", "age", "sex", "population"])
    return df.assign(lan_kod="08")


def _access(key: str, codes: list[str]) -> pd.DataFrame:
    return pd.DataFrame(
        {key: codes, "service_type": "dagligvaror", "population_share_over_10km": 1.0}
    )


def test_indicators_of_one_year_have_no_change():
    ind = area_indicators(
        _pop([2019]), "kommun_kod", _access("kommun_kod", ["0821", "0880"]), _access("x", ["00"])
    )
    assert ind.attrs["span"] == 0
    assert ind["change_1"].isna().all() and ind["change_n"].isna().all()
    assert ind.at["0821", "population"] == 60.0


def test_indicators_with_gaps_use_only_years_in_the_data():
    # 2014, 2019, 2024: no 2023 (no one-year change), the longest span is 10 years to 2014.
    ind = area_indicators(
        _pop([2014, 2019, 2024]),
        "kommun_kod",
        _access("kommun_kod", ["0821", "0880"]),
        _access("x", ["00"]),
    )
    assert ind.attrs["span"] == 10 and ind["change_1"].isna().all()
    assert ind.at["0821", "change_n"] == pytest.approx(200.0)  # 60 → 180 people


@given(st.sets(st.integers(2000, 2030), min_size=1, max_size=12))
def test_change_span_starts_at_a_year_in_the_data(years):
    span = demography.change_span(sorted(years))
    last = max(years)
    if span:
        assert last - span in years and 1 <= span <= 10
    # No longer span within ten years would have had a start year either.
    assert not any(last - s in years for s in range(span + 1, 11))


# --------------------------------------------------------------------------------------------
# Source wording: figures on SCB data say "Bearbetning av SCB-data"


def _meta_of(**sources: tuple[str, bool]) -> dict:
    return {
        "kinds": {
            k: {"source": src, "demo": is_demo, "year": 2024}
            for k, (src, is_demo) in sources.items()
        }
    }


def test_scb_data_is_credited_as_processed_not_as_source():
    meta = _meta_of(
        befolkning=("SCB Statistikdatabasen (PxWebApi 2.0), tabell TAB5557", False),
        service=("OpenStreetMap (Overpass API)", False),
        stod=("Tillväxtverket", False),
    )
    only = source_note(meta, ["befolkning"], 2025)
    assert only == (
        "Bearbetning av SCB-data (SCB Statistikdatabasen (PxWebApi 2.0), tabell TAB5557), 2025."
    )
    mixed = source_note(meta, ["befolkning", "service"])
    assert mixed.startswith("Bearbetning av SCB-data (") and "; källa: OpenStreetMap" in mixed
    assert "Källa: SCB" not in mixed
    assert source_note(meta, ["stod"]).startswith("Källa: Tillväxtverket")


# --------------------------------------------------------------------------------------------
# One year of real population (SCB 2019, 58 580 rows): the build and both reports work


def _components_without_moves(path: Path) -> None:
    """A real BE0101J export for Kalmar län 2019 without inflyttningar/utflyttningar."""
    rows = [
        f'"{k} {geo.kommun_name(k)}","{c}","totalt","{v}"'
        for k in KALMAR
        for c, v in (("födda", 50), ("döda", 70), ("invandringar", 30), ("utvandringar", 10))
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        '"Befolkningsförändringar efter region, förändringar och kön. År"\n\n'
        '"region","förändringar","kön","2019"\n' + "\n".join(rows) + "\n",
        encoding="utf-8",
    )


def _make_one_year(home: Path) -> None:
    """Demo raw data for every kind but befolkning (SCB's real 2019 export) and forandringar
    (a real-format file without moves); built, and Kalmar län and Högsby rendered."""
    with home_env(home):
        p = config.paths()
        demo.generate(p=p)
        real = p.raw_kind("befolkning") / "SCB_alderkon.csv"
        shutil.copyfile(shared("scb-befolkning-2019", "SCB_alderkon.csv"), real)
        _components_without_moves(p.raw_kind("forandringar") / "be0101j_kalmar_2019.csv")
        entries = load_sources(p)
        entries["befolkning/SCB_alderkon.csv"] = {
            "kind": "befolkning",
            "demo": False,
            "source": "SCB Statistikdatabasen, Folkmängden efter region, ålder och kön (BE0101)",
            "year": 2019,
            "licence": "CC0 1.0",
        }
        save_sources(p, entries)
        meta = pipeline.build(p, force=True)
        outcomes = render.render(
            render.default_jobs(["08"], kommun_codes=["0821"]),
            out=home / "reports",
            workers=2,
            progress=False,
        )
    (home / "made.pickle").write_bytes(pickle.dumps({"meta": meta, "outcomes": outcomes}))


@pytest.fixture(scope="module")
def one_year(demo_world):
    """Demo data for every kind but befolkning, which is SCB's real single-year 2019 export,
    and forandringar, a real-format file without moves; built, and Kalmar län and Högsby
    rendered by the real renderer (a shared world: built once, read-only)."""
    real = shared("scb-befolkning-2019", "SCB_alderkon.csv")
    home = demo_world("one_year", _make_one_year, worlds.file_digest(real))
    made = pickle.loads((home / "made.pickle").read_bytes())
    with home_env(home):
        yield {**made, "out": home / "reports", "p": config.Paths(home)}


def _outputs(one_year: dict, name: str) -> dict[str, str]:
    """Each code cell's source → its output text (markdown or HTML)."""
    nb = nbformat.read(one_year["out"] / "_executed" / f"{name}.ipynb", as_version=4)
    got = {}
    for c in nb.cells:
        if c.cell_type != "code":
            continue
        for o in c.get("outputs", []):
            assert o["output_type"] != "error", "\n".join(o.get("traceback", []))[-2000:]
            assert o["output_type"] != "stream", o["text"]
            data = o.get("data", {})
            got[c.source] = data.get("text/markdown") or data.get("text/html", "")
    return got


NEEDS = "kräver befolkning för minst två år; data innehåller bara 2019."


@pytest.mark.render
def test_one_year_builds_without_projection_and_says_why(one_year):
    meta = one_year["meta"]
    assert meta["years"]["befolkning"] == [2019, 2019]
    assert meta["projection"]["missing"] == (
        "Framskrivningen kräver befolkning för minst två år i följd; data innehåller bara 2019."
    )
    assert not (one_year["p"].processed / "prognos.parquet").exists()
    status = {o.job.output: o.status for o in one_year["outcomes"]}
    assert status == {
        "index.html": "rendered",
        "08-kalmar-lan.html": "rendered",
        "0821-hogsby.html": "rendered",
    }, render.summary(one_year["outcomes"])


@pytest.mark.render
def test_one_year_lan_report_says_what_each_series_chapter_needs(one_year):
    got = _outputs(one_year, "08-kalmar-lan")
    for cell in ("rpt.fig_pyramid_then()", "rpt.fig_change_map()"):
        assert got[cell].startswith("*") and got[cell].endswith(NEEDS + "*"), got[cell]
    assert "Plotly.newPlot" not in got["rpt.fig_change_map()"]
    assert got["rpt.fig_projection()"] == (
        "*Framskrivningen kräver befolkning för minst två år i följd; data innehåller bara 2019.*"
    )
    # The year's own figures are there: SCB's official Kalmar län 2019, and the pyramid.
    assert "Folkmängd 2019" in got["rpt.key_figures()"]
    assert "245 446" in got["rpt.key_figures()"]
    assert "uppgift saknas" in got["rpt.key_figures()"]
    assert "Förändring 2018" not in got["rpt.key_figures()"]
    assert "invånare (2019). Förändringen " + NEEDS in got["rpt.findings()"]
    pyramid = got["rpt.fig_pyramid()"]
    assert "Plotly.newPlot" in pyramid and "Bearbetning av SCB-data" in pyramid
    # Components: födelseöverskott 12 × (50 − 70), utrikes 12 × (30 − 10); nothing made up.
    comp = got["rpt.fig_components()"]
    assert "Plotly.newPlot" in comp
    assert "f\\u00f6delse\\u00f6verskott \\u2212240" in comp or "födelseöverskott −240" in comp
    assert "+240" in comp and "inrikes flyttnetto" not in comp.split("Inrikes flyttnetto =")[0]
    assert "Inrikes flyttnetto visas inte: filen saknar samtliga inflyttningar och" in comp
    assert "Befolkningen finns bara för 2019" in got["rpt.about()"]
    html = (one_year["out"] / "08-kalmar-lan.html").read_text(encoding="utf-8")
    assert "Källa: SCB" not in html and "Traceback" not in html


@pytest.mark.render
def test_one_year_kommun_report(one_year):
    got = _outputs(one_year, "0821-hogsby")
    assert got["kom.fig_trend()"] == "*Utvecklingen över tid " + NEEDS + "*"
    assert "Folkmängd 2019" in got["kom.key_figures()"]
    assert "uppgift saknas" in got["kom.key_figures()"]
    assert "Plotly.newPlot" in got["kom.fig_pyramid()"]
    assert "Plotly.newPlot" in got['kom.fig_distance_map("dagligvaror")']
