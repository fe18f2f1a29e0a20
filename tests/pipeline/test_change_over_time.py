"""Change over time (#20, part 2): service files of several years on the same grid and roads.

A hand-built two-year world where exactly known points close and open, checked against a plain
networkx and pandas recomputation; properties of the series on random worlds; bad input; the
demo's history against the Riksbank's ATM counts.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lansanalys import catalogue, config
from lansanalys.analysis import network
from lansanalys.errors import BuildError
from lansanalys.pipeline import history
from lansanalys.pipeline.years import split_years

X0, Y = 560_000.0, 6_334_000.0
STEP = 3_000.0
N_NODES = 10
#: Nodes 0–4 are in Högsby (0821), 5–9 in Kalmar (0880): both in Kalmar län (08).
KOMMUN = ["0821"] * 5 + ["0880"] * 5
TYPES = ["dagligvaror", "kontantuttag"]


def _graph() -> tuple[pd.DataFrame, pd.DataFrame]:
    nodes = pd.DataFrame({"x": X0 + STEP * np.arange(N_NODES), "y": [Y] * N_NODES})
    edges = pd.DataFrame(
        {
            "u": np.arange(N_NODES - 1),
            "v": np.arange(1, N_NODES),
            "length_m": [STEP] * (N_NODES - 1),
            "speed_kmh": [70.0] * (N_NODES - 1),
        }
    )
    return nodes, edges


def _cells(pop: list[float]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "cell_id": [f"c{i}" for i in range(N_NODES)],
            "x": X0 + STEP * np.arange(N_NODES),
            "y": [Y] * N_NODES,
            "population": np.asarray(pop, dtype=float),
            "kommun_kod": KOMMUN,
            "lan_kod": ["08"] * N_NODES,
        }
    )


def _points(rows: list[tuple[str, str, int]]) -> pd.DataFrame:
    """(id, type, node) → a service table row at the node."""
    return pd.DataFrame(
        {
            "point_id": [r[0] for r in rows],
            "service_type": [r[1] for r in rows],
            "name": [f"{r[1]} {r[0]}" for r in rows],
            "x": [X0 + STEP * r[2] for r in rows],
            "y": [Y] * len(rows),
            "kommun_kod": [KOMMUN[r[2]] for r in rows],
            "lan_kod": ["08"] * len(rows),
        }
    )


def _coverage(covered: set[str]) -> pd.DataFrame:
    from lansanalys import geo

    return pd.DataFrame(
        [(lan, t, lan in covered) for lan in geo.lan_codes() for t in TYPES],
        columns=["lan_kod", "service_type", "covered"],
    )


def _run(prev: pd.DataFrame, cur: pd.DataFrame, cells: pd.DataFrame, covered=frozenset({"08"})):
    nodes, edges = _graph()
    net = network.load_network(nodes, edges)
    years, basis = history.service_years(cur, 2022, {2019: prev})
    road = {
        y: history.road_by_year(net, cells, years[years["year"] == y], TYPES) for y in (2019, 2022)
    }
    cov = {y: _coverage(set(covered)) for y in (2019, 2022)}
    return history.access_years(years, road, cov, cells, TYPES), years, basis


# ---- the independent reference: networkx and plain pandas ----------------------------------------
def _reference_share(pts: pd.DataFrame, cells: pd.DataFrame, stype: str, km: float) -> dict:
    g = nx.Graph()
    g.add_nodes_from(range(N_NODES))
    g.add_edges_from((i, i + 1, {"w": STEP}) for i in range(N_NODES - 1))
    nodes = [int(round((x - X0) / STEP)) for x in pts.loc[pts["service_type"] == stype, "x"]]
    dist = nx.multi_source_dijkstra_path_length(g, set(nodes), weight="w") if nodes else {}
    far = cells["population"].where([dist.get(i, np.inf) > km * 1000 for i in range(N_NODES)], 0.0)
    out = {}
    for k in ("0821", "0880"):
        sel = cells["kommun_kod"] == k
        out[k] = 100 * far[sel].sum() / cells.loc[sel, "population"].sum()
    out["08"] = 100 * far.sum() / cells["population"].sum()
    return out


PREV = [
    ("a", "dagligvaror", 0),
    ("b", "dagligvaror", 3),  # closes
    ("c", "dagligvaror", 8),
    ("m", "kontantuttag", 1),  # closes
    ("n", "kontantuttag", 9),
]
CUR = [
    ("a", "dagligvaror", 0),
    ("c", "dagligvaror", 8),
    ("d", "dagligvaror", 6),  # opens
    ("n", "kontantuttag", 9),
]
POP = [100, 50, 20, 300, 80, 10, 40, 500, 60, 5]


def test_two_years_known_closures_and_openings():
    cells = _cells(POP)
    acc, years, basis = _run(_points(PREV), _points(CUR), cells)
    assert basis == {"2019–2022": "point_id"}
    assert sorted(years["year"].unique()) == [2019, 2022]
    row = acc.set_index(["level", "code", "service_type", "year"])
    # Högsby lost shop b and ATM m; Kalmar gained shop d.
    expected = {
        ("kommun", "0821", "dagligvaror"): (1, 0, 1),
        ("kommun", "0880", "dagligvaror"): (2, 1, 0),
        ("kommun", "0821", "kontantuttag"): (0, 0, 1),
        ("kommun", "0880", "kontantuttag"): (1, 0, 0),
        ("lan", "08", "dagligvaror"): (3, 1, 1),
        ("lan", "08", "kontantuttag"): (1, 0, 1),
    }
    for (level, code, t), (points, opened, closed) in expected.items():
        r = row.loc[(level, code, t, 2022)]
        assert (r["points"], r["opened"], r["closed"]) == (points, opened, closed), (level, code, t)
        assert pd.isna(row.loc[(level, code, t, 2019), "opened"])
    prev_pts, cur_pts = _points(PREV), _points(CUR)
    for year, pts in ((2019, prev_pts), (2022, cur_pts)):
        for t in TYPES:
            for km, col in ((10, "population_share_over_10km"), (25, "population_share_over_25km")):
                ref = _reference_share(pts, cells, t, km)
                for code, level in (("0821", "kommun"), ("0880", "kommun"), ("08", "lan")):
                    got = row.loc[(level, code, t, year), col]
                    assert got == pytest.approx(ref[code], abs=1e-9), (year, t, km, code)
    # The change in the share: the latest minus the first, as the reference has it.
    d = (
        row.loc[("kommun", "0821", "kontantuttag", 2022), "population_share_over_10km"]
        - row.loc[("kommun", "0821", "kontantuttag", 2019), "population_share_over_10km"]
    )
    ref = (
        _reference_share(cur_pts, cells, "kontantuttag", 10)["0821"]
        - _reference_share(prev_pts, cells, "kontantuttag", 10)["0821"]
    )
    assert d == pytest.approx(ref) and d > 0
    # Same population every year (the latest grid), and riket has no figure: other län uncovered.
    assert row.loc[("kommun", "0821", "dagligvaror", 2019), "population"] == sum(POP[:5])
    assert not row.loc[("riket", "00", "dagligvaror", 2022), "complete"]
    assert np.isnan(row.loc[("riket", "00", "dagligvaror", 2022), "population_share_over_10km"])


def test_unstable_ids_match_by_type_name_and_position():
    prev = _points(PREV)
    prev["point_id"] = [f"old{i}" for i in range(len(prev))]
    cur = _points(CUR)
    cur.loc[cur["point_id"] == "a", "x"] += 60  # moved 60 m: still the same shop
    cur.loc[cur["point_id"] == "c", "x"] += 140  # 140 m: not the same shop
    acc, years, basis = _run(prev, cur, _cells(POP))
    assert basis == {"2019–2022": "name+position"}
    assert set(years.loc[years["year"] == 2019, "point_id"]) >= {"a", "n"}
    r = acc.set_index(["level", "code", "service_type", "year"]).loc[
        ("lan", "08", "dagligvaror", 2022)
    ]
    # a and n persist; b closed, c closed and opened again (moved too far), d opened.
    assert (r["opened"], r["closed"]) == (2, 2)


def test_uncovered_year_gives_no_figures():
    acc, _, _ = _run(_points(PREV), _points(CUR), _cells(POP), covered=frozenset())
    kom = acc[(acc["level"] == "kommun") & (acc["code"] == "0821")]
    assert not kom["complete"].any()
    assert kom["population_share_over_10km"].isna().all()
    assert kom["opened"].isna().all()


# ---- properties on random worlds -------------------------------------------------------------------
point_rows = st.lists(
    st.tuples(
        st.integers(0, 11).map(lambda i: f"p{i}"),
        st.sampled_from(TYPES),
        st.integers(0, N_NODES - 1),
    ),
    max_size=10,
    unique_by=lambda r: r[0],
)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    prev=point_rows,
    cur=point_rows,
    pop=st.lists(st.integers(1, 500), min_size=N_NODES, max_size=N_NODES),
)
def test_points_balance_and_shares_in_range(prev, cur, pop):
    # An id names one type in every year (as in the files): drop rows that would retype an id.
    types = {pid: t for pid, t, _ in cur}
    prev = [r for r in prev if types.get(r[0], r[1]) == r[1]]
    acc, _, _ = _run(_points(prev), _points(cur), _cells(pop))
    a = acc.set_index(["level", "code", "service_type", "year"]).sort_index()
    for level, code in (("kommun", "0821"), ("kommun", "0880"), ("lan", "08"), ("riket", "00")):
        for t in TYPES:
            p0, p1 = a.loc[(level, code, t, 2019)], a.loc[(level, code, t, 2022)]
            if level != "riket":
                assert p1["points"] == p0["points"] + p1["opened"] - p1["closed"]
            # The recount from the input, by plain pandas.
            want = sum(
                1
                for pid, tt, node in cur
                if tt == t and (level != "kommun" or KOMMUN[node] == code)
            )
            assert p1["points"] == want
    shares = acc[["population_share_over_10km", "population_share_over_25km"]].to_numpy()
    shares = shares[~np.isnan(shares)]
    assert ((shares >= 0) & (shares <= 100)).all()
    both = acc[["population_share_over_10km", "population_share_over_25km"]].dropna()
    assert (both["population_share_over_25km"] <= both["population_share_over_10km"] + 1e-9).all()


# ---- splitting the files by year; bad input ----------------------------------------------------------
def _entry(name: str, year, **kw) -> dict:
    return {"file": f"service/{name}", "year": year, **kw}


def test_one_year_gives_no_history():
    f = _points(CUR)
    frames, entries, hist, latest = split_years(
        [f, f.copy()], [_entry("a.csv", 2024), _entry("b.csv", 2024)]
    )
    assert hist == {} and latest == 2024 and len(frames) == 2
    frames, entries, hist, latest = split_years([f], [_entry("a.csv", None)])
    assert hist == {} and latest is None


def test_several_years_split_latest_and_history():
    f = _points(CUR)
    frames, entries, hist, latest = split_years(
        [f, f.copy(), f.copy()],
        [_entry("a.csv", 2019), _entry("b.csv", 2024), _entry("c.csv", 2016)],
    )
    assert latest == 2024 and sorted(hist) == [2016, 2019]
    assert [e["file"] for e in entries] == ["service/b.csv"]


def test_year_column_splits_one_file():
    f = pd.concat(
        [_points(PREV).assign(year=2019), _points(CUR).assign(year=2022)], ignore_index=True
    )
    frames, entries, hist, latest = split_years([f], [_entry("all.csv", None)])
    assert latest == 2022 and list(hist) == [2019]
    assert "year" not in frames[0].columns and len(frames[0]) == len(CUR)


def test_duplicate_year_is_a_clear_error():
    f = _points(CUR)
    with pytest.raises(BuildError, match=r"two files for 2019.*service/a\.csv.*service/b\.csv"):
        split_years(
            [f, f.copy(), f.copy()],
            [_entry("a.csv", 2019), _entry("b.csv", 2019), _entry("c.csv", 2024)],
        )


def test_files_of_distinct_lan_share_a_year():
    f = _points(CUR)
    _, _, hist, _ = split_years(
        [f, f.copy(), f.copy()],
        [
            _entry("a.csv", 2019, lan=["08"]),
            _entry("b.csv", 2019, lan=["09"]),
            _entry("c.csv", 2024),
        ],
    )
    assert len(hist[2019]) == 2
    with pytest.raises(BuildError, match="län 08"):
        split_years(
            [f, f.copy(), f.copy()],
            [
                _entry("a.csv", 2019, lan=["08"]),
                _entry("b.csv", 2019, lan=["08", "09"]),
                _entry("c.csv", 2024),
            ],
        )


def test_undated_file_among_years_is_a_clear_error():
    f = _points(CUR)
    with pytest.raises(BuildError, match=r"service/b\.csv has no year"):
        split_years(
            [f, f.copy(), f.copy()],
            [_entry("a.csv", 2019), _entry("b.csv", None), _entry("c.csv", 2024)],
        )
    # With one year among the files, an undated one is part of it, as before the series.
    _, _, hist, latest = split_years([f, f.copy()], [_entry("a.csv", 2019), _entry("b.csv", None)])
    assert hist == {} and latest == 2019


# ---- the demo's history ----------------------------------------------------------------------------
def test_demo_history_follows_the_published_trends(demo_home):
    p = config.paths()
    meta = catalogue.read_meta(p)
    assert meta["service_years"] == [2016, 2019, 2022, 2024]
    sy = catalogue.read(p, "service_years")
    n = sy.groupby(["year", "service_type"]).size().unstack()
    for year, riksbank in {2016: 2850, 2019: 2508, 2022: 2128}.items():
        assert n.at[year, "kontantuttag"] == pytest.approx(riksbank, rel=0.03)
    assert n["post_paket"].is_monotonic_increasing and n["dagligvaror"].is_monotonic_decreasing
    # The latest year is today's service table, point for point.
    svc = catalogue.read(p, "service")
    last = sy[sy["year"] == 2024]
    assert set(last["point_id"]) == set(svc["point_id"]) and len(last) == len(svc)
    # access_years agrees with service_years and with the build's own access table.
    acc = catalogue.read(p, "access_years")
    kom = acc[(acc["level"] == "kommun") & (acc["year"] == 2024)].set_index(
        ["code", "service_type"]
    )
    count = last.groupby(["kommun_kod", "service_type"]).size()
    assert (kom["points"].reindex(count.index) == count).all()
    ak = catalogue.read(p, "access_kommun").set_index(["kommun_kod", "service_type"])
    both = kom["population_share_over_10km"].rename_axis(ak.index.names).dropna()
    assert np.allclose(both, ak["population_share_over_10km"].reindex(both.index), equal_nan=True)
    # Grocery closures concentrate outside towns: most closed shops stood in the rural grid.
    assert meta["change"]["identity"] == {
        "2016–2019": "point_id",
        "2019–2022": "point_id",
        "2022–2024": "point_id",
    }


# ---- the rendered reports ------------------------------------------------------------------------
def _cell_output(nb, source: str) -> str:
    for c in nb.cells:
        if c.cell_type == "code" and c.source.strip() == source:
            texts = []
            for o in c.get("outputs", []):
                assert o["output_type"] != "error", "\n".join(o.get("traceback", []))[-2000:]
                data = o.get("data", {})
                texts.append(data.get("text/markdown") or data.get("text/html", ""))
            return "\n".join(texts)
    raise AssertionError(f"no cell {source!r}")


def test_rendered_reports_show_the_change_section(rendered):
    import nbformat

    from lansanalys import fmt

    p = config.paths()
    acc = catalogue.read(p, "access_years").set_index(["level", "code", "service_type", "year"])
    for name, var, level, code in (
        ("0821-hogsby", "kom", "kommun", "0821"),
        ("08-kalmar-lan", "rpt", "lan", "08"),
    ):
        nb = nbformat.read(rendered["out"] / "_executed" / f"{name}.ipynb", as_version=4)
        head = _cell_output(nb, f"{var}.change_heading()")
        assert "Förändring sedan 2016" in head
        table = _cell_output(nb, f"{var}.change_table()")
        for t in ("dagligvaror", "kontantuttag"):
            first, last = acc.loc[(level, code, t, 2016)], acc.loc[(level, code, t, 2024)]
            for v in (first["points"], last["points"]):
                assert f">{fmt.number(v)}<" in table, (name, t, v)
            for v in (first["population_share_over_10km"], last["population_share_over_10km"]):
                assert fmt.percent(v) in table, (name, t, v)
        turnover = _cell_output(nb, f"{var}.turnover_table()")
        assert "Öppnade" in turnover and "Stängda" in turnover
        html = (rendered["out"] / f"{name}.html").read_text(encoding="utf-8")
        assert "Förändring sedan 2016" in html and "stängt" in html


def test_one_service_year_says_nothing_about_change(home_copy):
    """The report functions say nothing where the build has one service year."""
    import json

    from lansanalys.report.area import Area
    from lansanalys.report.chapters import change
    from lansanalys.report.data import AreaData

    p = config.paths()
    meta = json.loads((p.processed / catalogue.META).read_text(encoding="utf-8"))
    meta["service_years"] = [2024]
    (p.processed / catalogue.META).write_text(json.dumps(meta), encoding="utf-8")
    for area in (Area.kommun("0821"), Area.lan("08"), Area.riket()):
        d = AreaData(area, p=p)
        assert not change.has_change(d)
        made = [
            change.heading(d),
            change.findings(d),
            change.change_table(d),
            change.change_table_by_type(d),
            change.cash_change_table(d),
            change.turnover_table(d),
            change.turnover_detail(d),
            change.fig_change_map(d),
            change.method_text(d),
        ]
        assert made == [None] * len(made)


def test_build_step_with_one_year_makes_no_tables():
    kinds = {"service": {"_service_years": [2024]}}
    timings: dict = {}
    by_year, acc, meta = history.build_step(
        kinds, {}, pd.DataFrame(), pd.DataFrame(), (None, None), [], timings
    )
    assert by_year is None and acc is None and meta == {"service_years": [2024]}
    assert "service_years" not in timings and kinds == {"service": {}}
