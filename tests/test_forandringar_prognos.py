"""Components of change (births, deaths, migration) and an official projection (prognos)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lansanalys import build, config, forandringar, geo
from lansanalys.ingest import InputError

HEADER = '"region","förändringar","kön","2023","2024"\r\n'


def _write(path: Path, rows: list[str], encoding: str = "cp1252") -> Path:
    title = '"Befolkningsförändringar efter region, förändringar och kön. År"\r\n\r\n'
    path.write_text(title + HEADER + "".join(r + "\r\n" for r in rows), encoding=encoding)
    return path


def _rows(region: str, values: dict[str, tuple[int, int]]) -> list[str]:
    return [f'"{region}","{k}","totalt","{a}","{b}"' for k, (a, b) in values.items()]


HOGSBY = {
    "folkökning": (-40, 12),
    "födda": (40, 45),
    "döda": (80, 70),
    "samtliga inflyttningar": (300, 310),
    "samtliga utflyttningar": (300, 273),
    "invandringar": (50, 60),
    "utvandringar": (10, 5),
}


def test_components_by_hand(tmp_path):
    f = _write(
        tmp_path / "f.csv",
        _rows("0821 Högsby", HOGSBY) + _rows("Kalmar", HOGSBY) + _rows("08 Kalmar län", HOGSBY),
    )
    df = forandringar.read_forandringar(f)
    assert set(df["kommun_kod"]) == {"0821", "0880"}  # the län row is an aggregate, dropped
    c = forandringar.components(df).set_index(["code", "year"])
    r = c.loc[("0821", 2024)]
    assert r["fodelseoverskott"] == 45 - 70
    assert r["utrikes_netto"] == 60 - 5
    assert r["inrikes_netto"] == (310 - 60) - (273 - 5)
    assert r["fodelseoverskott"] + r["inrikes_netto"] + r["utrikes_netto"] == r["folkokning"]
    lan = forandringar.components(df, {"0821": "08", "0880": "08"}).set_index(["code", "year"])
    assert lan.at[("08", 2023), "folkokning"] == -80


def test_sex_split_is_summed_and_long_layout_read(tmp_path):
    rows = []
    for k, (a, b) in HOGSBY.items():
        rows.append(f'"0821 Högsby","{k}","män","{a // 2}","{b // 2}"')
        rows.append(f'"0821 Högsby","{k}","kvinnor","{a - a // 2}","{b - b // 2}"')
        rows.append(f'"0821 Högsby","{k}","totalt","999999","999999"')  # ignored beside the split
    df = forandringar.read_forandringar(_write(tmp_path / "sex.csv", rows))
    got = df.set_index(["year", "component"])["value"]
    assert got[(2024, "fodda")] == 45 and got[(2023, "folkokning")] == -40
    long = tmp_path / "long.csv"
    long.write_text(
        "kommun;förändringar;år;antal\n"
        + "".join(f"0821;{k};2024;{b}\n" for k, (_, b) in HOGSBY.items()),
        encoding="utf-8-sig",
    )
    got = forandringar.read_forandringar(long).set_index("component")["value"]
    assert got["utflyttningar"] == 273


@pytest.mark.parametrize(
    "change, row, column, match",
    [
        ({"födda": (40, -45)}, 5, "2024", "negative fodda"),
        ({"folkökning": (-40, 500)}, 4, "2024", "folkökning 500"),
        ({"döda": ("80", "sju")}, 6, "2024", "'sju' is not a number"),
    ],
)
def test_bad_components_name_line_and_column(tmp_path, change, row, column, match):
    vals = {**HOGSBY, **change}
    with pytest.raises(InputError, match=match) as err:
        forandringar.read_forandringar(_write(tmp_path / "bad.csv", _rows("0821 Högsby", vals)))
    assert err.value.row == row and err.value.column in (column, None)


def test_unknown_kommun_and_duplicates_are_errors(tmp_path):
    with pytest.raises(InputError, match="821"):
        forandringar.read_forandringar(_write(tmp_path / "z.csv", _rows("821", HOGSBY)))
    dup = _rows("0821 Högsby", HOGSBY) + _rows("0821 Högsby", {"födda": (40, 45)})
    with pytest.raises(InputError, match="appears twice"):
        forandringar.read_forandringar(_write(tmp_path / "d.csv", dup))


def test_demo_components_explain_the_demo_population(demo_home):
    p = demo_home / "data" / "processed"
    comp = forandringar.components(pd.read_parquet(p / "forandringar.parquet"))
    bef = pd.read_parquet(p / "befolkning.parquet")
    tot = bef.groupby(["kommun_kod", "year"])["population"].sum().unstack()
    delta = tot.diff(axis=1).stack().rename("delta")
    delta.index = delta.index.set_names(["code", "year"])
    m = comp.set_index(["code", "year"]).join(delta, how="inner")
    assert len(m) == 290 * 10
    assert (m["folkokning"] == m["delta"]).all()
    parts = m["fodelseoverskott"] + m["inrikes_netto"] + m["utrikes_netto"] + m["justering"]
    assert (parts == m["folkokning"]).all()


def _projection_csv(path: Path, codes: list[str], years: list[int]) -> Path:
    names = geo.kommuner().set_index("kommun_kod")["kommun"]
    rows = []
    for code in codes:
        for age in range(101):
            for sex in ("män", "kvinnor"):
                a = "100+ år" if age == 100 else f"{age} år"
                vals = ",".join(f'"{100 + age + (y - 2025)}"' for y in years)
                rows.append(f'"{code} {names[code]}","{a}","{sex}",{vals}')
    head = ",".join(f'"{y}"' for y in years)
    path.write_text(
        '"Framskriven folkmängd efter region, ålder, kön och år"\n\n'
        f'"region","ålder","kön",{head}\n' + "\n".join(rows) + "\n",
        encoding="utf-8",
    )
    return path


def test_official_projection_replaces_the_cohort_one(home_copy):
    from lansanalys.report import LanReport

    p = config.paths()
    kalmar = geo.kommuner().query("lan_kod == '08'")["kommun_kod"].tolist()
    folder = p.raw_kind("prognos")
    folder.mkdir(parents=True)
    _projection_csv(folder / "scb_prognos.csv", kalmar, list(range(2025, 2041)))
    meta = build.build(p)
    assert meta["projection"]["official_kommuner"] == kalmar
    proj = pd.read_parquet(p.processed / "prognos.parquet")
    mine = proj[proj["kommun_kod"] == "0821"]
    assert set(mine["source"]) == {"officiell"}
    one = mine[(mine["year"] == 2030) & (mine["age"] == 7) & (mine["sex"] == "män")]
    assert one["population"].tolist() == [100 + 7 + 5]
    assert set(proj.loc[proj["lan_kod"] == "09", "source"]) == {"framskrivning"}
    fig = LanReport("08").fig_projection()
    assert "Prognos (streckad)" in fig.layout.meta["source"]
    assert "Framskrivning (streckad)" in LanReport("09").fig_projection().layout.meta["source"]


def test_projection_without_future_years_fails_and_keeps_processed(home_copy):
    p = config.paths()
    before = json.loads((p.processed / "meta.json").read_text(encoding="utf-8"))
    folder = p.raw_kind("prognos")
    folder.mkdir(parents=True)
    _projection_csv(folder / "old.csv", geo.kommuner()["kommun_kod"].tolist()[:2], [2020, 2021])
    with pytest.raises(build.BuildError, match="no year after 2024"):
        build.build(p)
    after = json.loads((p.processed / "meta.json").read_text(encoding="utf-8"))
    assert after["built_at"] == before["built_at"]
    assert np.isfinite(pd.read_parquet(p.processed / "prognos.parquet")["population"]).all()
