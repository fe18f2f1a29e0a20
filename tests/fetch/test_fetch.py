"""``lansanalys fetch``: downloads against a real HTTP server on 127.0.0.1, never a mocked client.

The PxWeb server replays SCB's real recorded answers (../shared/data/scb-pxweb-api: PxWebApi 2
``config`` and the TAB6471 metadata and data, v1 table variables; see SOURCE.md there). Where no
recording of the needed answer exists, the server answers like PxWeb would, from the real
metadata: a data request gets a JSON-stat 2 dataset of exactly the selected codes, with the real
dimension labels and the recorded answer's top-level fields; the values are a checksum of the
cell's codes (synthetic, so the test can tell every cell apart). Overpass and the grid download
have no recordings here: the server serves small answers built in the test in the real formats.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import itertools
import json
import os
import re
import socket
import subprocess
import threading
import time
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
import yaml
from typer.testing import CliRunner

from lansanalys import config, fetch, geo
from lansanalys.cli import app
from lansanalys.config import paths
from lansanalys.errors import SelectionError
from lansanalys.fetch import overpass as overpass_mod
from lansanalys.fetch import pxweb_plan, scb_grid
from lansanalys.sources import jsonstat
from lansanalys.sources.befolkning import read_befolkning
from lansanalys.sources.osm import DRIVABLE_HIGHWAYS
from lansanalys.sources.rutor import read_rutor
from lansanalys.sources.service import read_service

from ..conftest import REPO, shared

PX = ("scb-pxweb-api",)


# --------------------------------------------------------------------------------------------
# A real HTTP server that records what it was asked


@dataclass
class Req:
    method: str
    path: str
    query: dict[str, list[str]]
    body: bytes
    headers: dict[str, str]

    def json(self):
        return json.loads(self.body)

    def form(self) -> dict[str, list[str]]:
        return parse_qs(self.body.decode("utf-8"))


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


def _json_reply(doc, status: int = 200) -> Reply:
    return Reply(
        status, json.dumps(doc, ensure_ascii=False).encode(), {"Content-Type": "application/json"}
    )


@contextlib.contextmanager
def serve(route: Callable[[Req], Reply]) -> Iterator[tuple[str, list[Req]]]:
    """Serve ``route`` on 127.0.0.1 (a free port); yield the base URL and the request log."""
    log: list[Req] = []
    release = threading.Event()

    class Handler(BaseHTTPRequestHandler):
        def _handle(self) -> None:
            n = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(n) if n else b""
            u = urlsplit(self.path)
            req = Req(self.command, unquote(u.path), parse_qs(u.query), body, dict(self.headers))
            log.append(req)
            reply = route(req)
            if reply.delay:
                release.wait(reply.delay)
            try:
                self.send_response(reply.status)
                for k, v in reply.headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                self.wfile.write(reply.body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (timeout test)

        do_GET = do_POST = _handle

        def log_message(self, *args) -> None:
            pass

    class Server(ThreadingHTTPServer):
        daemon_threads = True

        def handle_error(self, request, client_address) -> None:
            pass

    srv = Server(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=srv.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{srv.server_address[1]}", log
    finally:
        release.set()
        srv.shutdown()
        srv.server_close()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --------------------------------------------------------------------------------------------
# PxWeb v2 and v1: replayed recordings, and PxWeb-like answers built from the real metadata


def cell_value(codes) -> int:
    """The emulated value of a cell: a checksum of its codes (in the table's variable order)."""
    return zlib.crc32("|".join(codes).encode()) % 1000


def _dataset(
    order: list[str], cats: dict[str, tuple[list[str], dict[str, str], str, dict]], top: dict
):
    """JSON-stat 2 dataset over ``order`` (variable → codes, labels, label, extension)."""
    dims = {}
    for d in order:
        codes, labels, label, ext = cats[d]
        dims[d] = {
            "label": label,
            "category": {
                "index": {c: i for i, c in enumerate(codes)},
                "label": {c: labels.get(c, c) for c in codes},
            },
            "extension": ext,
        }
    values = [cell_value(combo) for combo in itertools.product(*(cats[d][0] for d in order))]
    return {
        **{k: top[k] for k in ("version", "class", "label", "source", "updated") if k in top},
        "id": order,
        "size": [len(cats[d][0]) for d in order],
        "dimension": dims,
        "value": values,
        "role": {"time": ["Tid"], "metric": ["ContentsCode"]},
    }


def _problem(status: int, title: str, detail: str) -> Reply:
    return _json_reply(
        {
            "type": "https://tools.ietf.org/html/rfc7231",
            "title": title,
            "status": status,
            "detail": detail,
        },
        status,
    )


class PxWebV2:
    """PxWebApi 2 at ``/api/v2`` serving SCB's recorded config and TAB6471 metadata.

    ``data="emulate"`` answers a data request with the selected cells; ``"replay"`` with the
    recorded TAB6471 data answer (län × 10-year classes × month) whatever was asked.
    """

    def __init__(self, data: str = "emulate", max_cells: int | None = None):
        self.data = data
        self.config_raw = shared(*PX, "v2", "config.json").read_bytes()
        self.meta_raw = shared(*PX, "v2", "TAB6471_metadata.json").read_bytes()
        self.data_raw = shared(*PX, "v2", "TAB6471_data.json").read_bytes()
        self.meta = json.loads(self.meta_raw)
        self.top = json.loads(self.data_raw)
        if max_cells is not None:  # the real config with a lower limit, to force splitting
            cfg = json.loads(self.config_raw)
            cfg["maxDataCells"] = max_cells
            self.config_raw = json.dumps(cfg).encode()

    def __call__(self, req: Req) -> Reply:
        js = {"Content-Type": "application/json; charset=utf-8"}
        if req.path == "/api/v2/config":
            return Reply(200, self.config_raw, js)
        if req.path == "/api/v2/tables/TAB6471/metadata":
            return Reply(200, self.meta_raw, js)
        if req.path == "/api/v2/tables/TAB6471/data":
            if self.data == "replay":
                return Reply(200, self.data_raw, js)
            return self._emulate(req.json())
        return _problem(404, "Not Found", f"No table found with id {req.path.split('/')[-2]}")

    def _emulate(self, body) -> Reply:
        sel = {s["variableCode"]: s["valueCodes"] for s in body["selection"]}
        cats = {}
        for d in [d for d in self.meta["id"] if d in sel]:
            md = self.meta["dimension"][d]
            index = md["category"]["index"]
            unknown = set(sel[d]) - set(index)
            if unknown:
                return _problem(
                    400, "Bad Request", f"Unknown value codes for {d}: {sorted(unknown)}"
                )
            codes = [c for c in sorted(index, key=index.get) if c in set(sel[d])]
            cats[d] = (codes, md["category"]["label"], md["label"], md.get("extension", {}))
        order = [d for d in self.meta["id"] if d in sel]
        return _json_reply(_dataset(order, cats, self.top))


V1_TABLE_PATH = "/api/v1/ssd/START/BE/BE0101/BE0101A/BefolkningNy"


def v1_befolkning_variables() -> dict:
    """BefolkningNy's variables in v1's layout (no recording of this table's answer exists):
    Region is the real recorded v1 Region list (riket, 21 län, all 290 kommuner); the other
    variables follow the table's published codes."""
    real = json.loads(shared(*PX, "v1", "response_table_variables.json").read_bytes())
    region = next(v for v in real["variables"] if v["code"] == "Region")
    ages = [str(a) for a in range(100)] + ["100+", "tot"]
    return {
        "title": "Folkmängden efter region, civilstånd, ålder, kön, tabellinnehåll och år",
        "variables": [
            region,
            {
                "code": "Civilstand",
                "text": "civilstånd",
                "values": ["OG", "G", "ÄNKL", "SK"],
                "valueTexts": ["ogifta", "gifta", "änkor/änklingar", "skilda"],
                "elimination": True,
            },
            {
                "code": "Alder",
                "text": "ålder",
                "values": ages,
                "valueTexts": [f"{a} år" for a in ages],
                "elimination": True,
            },
            {
                "code": "Kon",
                "text": "kön",
                "values": ["1", "2"],
                "valueTexts": ["män", "kvinnor"],
                "elimination": True,
            },
            {
                "code": "ContentsCode",
                "text": "tabellinnehåll",
                "values": ["BE0101N1", "BE0101N2"],
                "valueTexts": ["Folkmängd", "Folkökning"],
            },
            {
                "code": "Tid",
                "text": "år",
                "values": [str(y) for y in range(2020, 2025)],
                "valueTexts": [str(y) for y in range(2020, 2025)],
                "time": True,
            },
        ],
    }


class PxWebV1:
    """The v1 API at ``/api/v1/ssd``: GET on the table gives its variables, POST the data.

    ``variables`` is the GET answer (default: :func:`v1_befolkning_variables`); answers carry a
    UTF-8 byte-order mark, as SCB's v1 API sends them.
    """

    def __init__(self, variables: dict | bytes | None = None):
        self.variables = variables if variables is not None else v1_befolkning_variables()
        self.top = json.loads(shared(*PX, "v1", "response_se.json").read_bytes())

    def __call__(self, req: Req) -> Reply:
        if req.path != V1_TABLE_PATH:
            return Reply(
                404,
                b"<html><body><h1>404 - Not found</h1></body></html>",
                {"Content-Type": "text/html"},
            )
        if req.method == "GET":
            raw = (
                self.variables
                if isinstance(self.variables, bytes)
                else json.dumps(self.variables).encode()
            )
            return Reply(200, raw, {"Content-Type": "application/json"})
        query = req.json()
        assert query["response"] == {"format": "json-stat2"}
        sel = {q["code"]: q["selection"]["values"] for q in query["query"]}
        variables = self.variables["variables"]
        cats = {}
        for v in variables:
            if v["code"] in sel:
                labels = dict(zip(v["values"], v["valueTexts"], strict=True))
                codes = [c for c in v["values"] if c in set(sel[v["code"]])]
                cats[v["code"]] = (codes, labels, v["text"], {"show": "value"})
        order = [v["code"] for v in variables if v["code"] in sel]
        doc = _dataset(order, cats, self.top)
        return Reply(
            200,
            "\ufeff".encode() + json.dumps(doc).encode(),
            {"Content-Type": "application/json; charset=utf-8"},
        )


# --------------------------------------------------------------------------------------------
# Helpers


@pytest.fixture()
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty project home; the real PxWeb/Overpass/grid addresses are never used."""
    monkeypatch.setenv("LANSANALYS_HOME", str(tmp_path))
    for var in config.URL_ENVS.values():
        monkeypatch.delenv(var, raising=False)
    return tmp_path


def snapshot(root: Path, skip_cache: bool = False) -> dict[str, str]:
    out = {}
    for f in sorted(root.rglob("*")):
        rel = f.relative_to(root).as_posix()
        if skip_cache and "/.cache" in f"/{rel}":
            continue
        out[rel] = hashlib.sha256(f.read_bytes()).hexdigest() if f.is_file() else "dir"
    return out


def sources(home: Path) -> dict:
    return yaml.safe_load((home / "data" / "raw" / "SOURCES.yml").read_text(encoding="utf-8"))[
        "files"
    ]


def cli(*args: str):
    return CliRunner().invoke(app, ["fetch", *args])


FAST = ["--retries", "1", "--backoff", "0"]


# --------------------------------------------------------------------------------------------
# befolkning


def test_v2_fetch_is_read_by_ingest_and_recorded(home: Path, monkeypatch):
    with serve(PxWebV2()) as (base, log):
        monkeypatch.setenv("LANSANALYS_PXWEB_V2_URL", base + "/api/v2")
        res = cli("befolkning", "--table", "TAB6471", "--years", "2025", "--lan", "09")
    assert res.exit_code == 0, res.stderr
    # The client asked sane questions: config, metadata, then one JSON-stat 2 data request.
    assert [(r.method, r.path) for r in log] == [
        ("GET", "/api/v2/config"),
        ("GET", "/api/v2/tables/TAB6471/metadata"),
        ("POST", "/api/v2/tables/TAB6471/data"),
    ]
    assert log[1].query == {"lang": ["sv"]}
    assert log[2].query == {"lang": ["sv"], "outputFormat": ["json-stat2"]}
    assert log[2].headers["Content-Type"] == "application/json"
    assert log[2].headers["User-Agent"].startswith("lansanalys/")
    sel = {s["variableCode"]: s["valueCodes"] for s in log[2].json()["selection"]}
    assert sel["Region"] == ["0980"]  # Gotland's one kommun, not the län total "09"
    assert sel["Alder"] == [str(a) for a in range(100)] + ["100+"]
    assert sel["Kon"] == ["1", "2"] and sel["ContentsCode"] == ["000007SF"]
    assert sel["Tid"] == ["2025M12"]  # the year-end month of a monthly table

    f = home / "data" / "raw" / "befolkning" / "scb_TAB6471_lan09_2025.json"
    df = read_befolkning(f)
    assert len(df) == 101 * 2 and set(df["year"]) == {2025}
    row = df[(df["kommun_kod"] == "0980") & (df["age"] == 100) & (df["sex"] == "kvinnor")]
    assert row["population"].tolist() == [cell_value(["0980", "100+", "2", "000007SF", "2025M12"])]
    entry = sources(home)["befolkning/scb_TAB6471_lan09_2025.json"]
    assert entry["sha256"] == hashlib.sha256(f.read_bytes()).hexdigest()
    assert entry["demo"] is False and entry["kind"] == "befolkning" and entry["table"] == "TAB6471"
    assert entry["licence"].startswith("CC0") and entry["rows"] == len(df)
    assert entry["url"].startswith(base + "/api/v2/tables/TAB6471/data?")
    assert entry["retrieved"] == time.strftime("%Y-%m-%d", time.gmtime())
    assert "wrote data/raw/befolkning/scb_TAB6471_lan09_2025.json (202 rows, downloaded)" in (
        res.stdout
    )
    assert "only some län fetched" in res.stdout


def test_second_run_comes_from_the_cache_and_refresh_asks_again(home: Path, monkeypatch):
    args = ["befolkning", "--table", "TAB6471", "--years", "2025", "--lan", "09"]
    with serve(PxWebV2()) as (base, log):
        monkeypatch.setenv("LANSANALYS_PXWEB_V2_URL", base + "/api/v2")
        assert cli(*args).exit_code == 0
        asked = len(log)
        f = home / "data" / "raw" / "befolkning" / "scb_TAB6471_lan09_2025.json"
        first = f.read_bytes()
        res = cli(*args)
        assert res.exit_code == 0 and len(log) == asked  # the server saw nothing new
        assert "0 answer(s) downloaded, 3 from the cache" in res.stdout
        assert "(202 rows, from the cache)" in res.stdout
        assert f.read_bytes() == first
        res = cli(*args, "--refresh")
        assert res.exit_code == 0 and len(log) == 2 * asked
    cache = home / "data" / "raw" / ".cache" / "fetch"
    notes = [json.loads(m.read_text()) for m in cache.glob("*.json")]
    ends = {n["url"].split("?")[0].rsplit("/", 1)[-1] for n in notes}
    assert ends == {"config", "metadata", "data"}
    assert all(n["status"] == 200 and n["retrieved_at"] for n in notes)
    assert len(list((home / "data" / "raw" / "befolkning").iterdir())) == 1  # no stage left over


def test_v2_request_is_split_to_respect_max_data_cells(home: Path):
    """500 cells allow two kommuner (202 cells each) per request: Blekinge's five are split."""
    with serve(PxWebV2(max_cells=500)) as (base, log):
        result = fetch.fetch_befolkning(
            table="TAB6471", years="2025", lan=["10", "09"], base_url=base + "/api/v2"
        )
    posts = [r for r in log if r.method == "POST"]
    regions = []
    for r in posts:
        sel = {s["variableCode"]: s["valueCodes"] for s in r.json()["selection"]}
        cells = 1
        for v in sel.values():
            cells *= len(v)
        assert cells <= 500
        regions.append(sel["Region"])
    assert regions == [["0980"], ["1060", "1080"], ["1081", "1082"], ["1083"]]
    names = [w.path.name for w in result.written]
    assert names == [f"scb_TAB6471_lan09-10_2025_del{i}av4.json" for i in range(1, 5)]
    # Each file was read by read_befolkning before it was written; its rows are recorded.
    assert sum(sources(home)[f"befolkning/{n}"]["rows"] for n in names) == 6 * 101 * 2
    assert [len(jsonstat.read(w.path)) for w in result.written] == [202, 404, 404, 202]
    assert sources(home)[f"befolkning/{names[1]}"]["lan"] == ["10"]


def test_v1_fetch_splits_years_and_sums_over_civilstand(home: Path, monkeypatch):
    with serve(PxWebV1()) as (base, log):
        monkeypatch.setenv("LANSANALYS_PXWEB_V1_URL", base + "/api/v1/ssd")
        result = fetch.fetch_befolkning(api="v1", years="2022-2024", lan=["09"], max_cells=500)
    assert [r.method for r in log] == ["GET", "POST", "POST"]
    queries = [r.json() for r in log[1:]]
    assert all(q["response"] == {"format": "json-stat2"} for q in queries)
    codes = [[q["code"] for q in body["query"]] for body in queries]
    assert codes[0] == ["Region", "Alder", "Kon", "ContentsCode", "Tid"]  # Civilstand left out
    tids = [
        next(q["selection"]["values"] for q in body["query"] if q["code"] == "Tid")
        for body in queries
    ]
    assert tids == [["2022", "2023"], ["2024"]]
    contents = next(q for q in queries[0]["query"] if q["code"] == "ContentsCode")
    assert contents["selection"] == {"filter": "item", "values": ["BE0101N1"]}
    names = [w.path.name for w in result.written]
    assert names == ["scb_BefolkningNy_lan09_2022-2023.json", "scb_BefolkningNy_lan09_2024.json"]
    df = read_befolkning(result.written[0].path)
    assert sorted(set(df["year"])) == [2022, 2023] and len(df) == 2 * 101 * 2
    row = df[(df["age"] == 7) & (df["sex"] == "män") & (df["year"] == 2023)]
    assert row["population"].tolist() == [cell_value(["0980", "7", "1", "BE0101N1", "2023"])]
    entry = sources(home)["befolkning/scb_BefolkningNy_lan09_2024.json"]
    assert entry["url"] == base + V1_TABLE_PATH
    assert entry["years"] == [2024] and entry["lan"] == ["09"]
    assert "Civilstand" in entry["query"]  # "summerat över Civilstand"


def test_refetch_replaces_overlapping_files_and_keeps_others(home: Path):
    folder = home / "data" / "raw" / "befolkning"
    with serve(PxWebV1()) as (base, _):
        url = base + "/api/v1/ssd"
        fetch.fetch_befolkning(api="v1", years="2022-2023", lan=["09"], base_url=url)
        fetch.fetch_befolkning(api="v1", years="2024", lan=["09"], base_url=url)
        fetch.fetch_befolkning(api="v1", years="2022", lan=["10"], base_url=url)
        assert sorted(f.name for f in folder.iterdir()) == [
            "scb_BefolkningNy_lan09_2022-2023.json",
            "scb_BefolkningNy_lan09_2024.json",
            "scb_BefolkningNy_lan10_2022.json",
        ]
        result = fetch.fetch_befolkning(api="v1", years="2023-2024", lan=["09"], base_url=url)
    assert sorted(p.name for p in result.removed) == [
        "scb_BefolkningNy_lan09_2022-2023.json",
        "scb_BefolkningNy_lan09_2024.json",
    ]
    left = ["scb_BefolkningNy_lan09_2023-2024.json", "scb_BefolkningNy_lan10_2022.json"]
    assert sorted(f.name for f in folder.iterdir()) == left  # Blekinge's file stays
    assert sorted(k for k in sources(home) if k.startswith("befolkning/")) == [
        f"befolkning/{n}" for n in left
    ]


def test_a_real_file_dropped_in_by_hand_is_pointed_out(home: Path):
    own = home / "data" / "raw" / "befolkning" / "BE0101_export.csv"
    own.parent.mkdir(parents=True)
    own.write_text("region;ålder;kön;2024\n", encoding="utf-8")
    with serve(PxWebV1()) as (base, _):
        result = fetch.fetch_befolkning(
            api="v1", years="2024", lan=["09"], base_url=base + "/api/v1/ssd"
        )
    assert own.exists() and result.removed == []
    assert any("also holds befolkning/BE0101_export.csv" in n for n in result.notes)


def test_recorded_v2_data_answer_of_lan_and_age_classes_is_refused(home: Path, monkeypatch):
    """The real TAB6471 data answer (län, 10-year classes) is not what was asked for."""
    with serve(PxWebV2(data="replay")) as (base, _):
        monkeypatch.setenv("LANSANALYS_PXWEB_V2_URL", base + "/api/v2")
        res = cli("befolkning", "--table", "TAB6471", "--years", "2025", *FAST)
    assert res.exit_code == 4 and res.stdout == ""
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "is not usable population data: no kommun × single-year age × sex cells" in lines[0]
    assert lines[0].endswith(
        "no data file was changed (3 finished answer(s) kept in the download cache)"
    )
    assert not (home / "data" / "raw" / "befolkning").exists()
    assert not (home / "data" / "raw" / "SOURCES.yml").exists()


def test_recorded_v1_income_table_is_refused_in_one_line(home: Path, monkeypatch):
    """The real recorded v1 variables (HE0110 income table) have no single-year ages."""
    raw = shared(*PX, "v1", "response_table_variables.json").read_bytes()
    with serve(PxWebV1(variables=raw)) as (base, log):
        monkeypatch.setenv("LANSANALYS_PXWEB_V1_URL", base + "/api/v1/ssd")
        res = cli("befolkning", "--api", "v1", *FAST)
    assert res.exit_code == 2 and len(log) == 1
    assert res.stderr.count("\n") == 1
    assert (
        "has no single-year ages in variable Alder (has tot16+, 16-19, tot20+, 20-64…)"
        in res.stderr
    )
    assert "Traceback" not in res.output


def test_years_the_table_lacks_are_named(home: Path):
    with serve(PxWebV2()) as (base, _):
        with pytest.raises(SelectionError, match=r"has years 2025–2025; 2024 not there"):
            fetch.fetch_befolkning(table="TAB6471", years="2024", base_url=base + "/api/v2")


def test_503_twice_then_ok_is_retried_honouring_retry_after(home: Path, monkeypatch):
    inner = PxWebV2()
    seen = {"config": 0}

    def route(req: Req) -> Reply:
        if req.path.endswith("/config"):
            seen["config"] += 1
            if seen["config"] <= 2:
                return Reply(503, b"busy", {"Retry-After": "1" if seen["config"] == 1 else "0"})
        return inner(req)

    with serve(route) as (base, log):
        monkeypatch.setenv("LANSANALYS_PXWEB_V2_URL", base + "/api/v2")
        t0 = time.perf_counter()
        res = cli(
            "befolkning",
            "--table",
            "TAB6471",
            "--years",
            "2025",
            "--lan",
            "09",
            "--retries",
            "3",
            "--backoff",
            "0",
        )
        elapsed = time.perf_counter() - t0
    assert res.exit_code == 0, res.stderr
    assert seen["config"] == 3 and len(log) == 5  # 3 × config, metadata, data
    assert elapsed >= 1.0  # Retry-After: 1 was honoured
    assert (home / "data" / "raw" / "befolkning" / "scb_TAB6471_lan09_2025.json").exists()


def _existing_home(home: Path) -> dict[str, str]:
    """A home with a real file and SOURCES.yml already there; returns its snapshot."""
    f = home / "data" / "raw" / "befolkning" / "egen.csv"
    f.parent.mkdir(parents=True)
    f.write_text("region;ålder;kön;2024\n", encoding="utf-8")
    (home / "data" / "raw" / "SOURCES.yml").write_text("files: {}\n", encoding="utf-8")
    return snapshot(home)


def test_server_that_always_fails_changes_nothing(home: Path, monkeypatch):
    before = _existing_home(home)
    with serve(
        lambda req: Reply(503, b"<h1>Service Unavailable</h1>", {"Content-Type": "text/html"})
    ) as (base, log):
        monkeypatch.setenv("LANSANALYS_PXWEB_V2_URL", base + "/api/v2")
        res = cli("befolkning", "--retries", "2", "--backoff", "0")
    assert res.exit_code == 4 and len(log) == 3  # the first try and two retries
    assert res.stderr == (
        f"fetch: HTTP 503 Service Unavailable from {base}/api/v2/config (Service Unavailable) "
        "after 3 tries: nothing was changed\n"
    )
    assert snapshot(home) == before


def test_failure_part_way_writes_no_data_file(home: Path, monkeypatch):
    before = _existing_home(home)
    inner = PxWebV2(max_cells=30_000)

    def route(req: Req) -> Reply:  # config and metadata fine, data always 500
        return Reply(500, b"oops") if req.path.endswith("/data") else inner(req)

    with serve(route) as (base, _):
        monkeypatch.setenv("LANSANALYS_PXWEB_V2_URL", base + "/api/v2")
        res = cli("befolkning", "--table", "TAB6471", "--years", "2025", *FAST)
    assert res.exit_code == 4
    assert res.stderr.startswith(
        f"fetch: HTTP 500 Internal Server Error from {base}/api/v2/tables/TAB6471/data"
    )
    assert res.stderr.endswith(
        "no data file was changed (2 finished answer(s) kept in the download cache)\n"
    )
    assert snapshot(home, skip_cache=True) == before


def test_http_404_for_a_bad_table_is_one_clear_line_without_retries(home: Path, monkeypatch):
    with serve(PxWebV2()) as (base, log):
        monkeypatch.setenv("LANSANALYS_PXWEB_V2_URL", base + "/api/v2")
        res = cli("befolkning", "--table", "TAB0000")
    assert res.exit_code == 4 and len(log) == 2  # config, then the metadata once (404 is final)
    assert res.stderr == (
        f"fetch: HTTP 404 Not Found from {base}/api/v2/tables/TAB0000/metadata?lang=sv "
        "(Not Found – No table found with id TAB0000): no data file was changed (1 finished "
        "answer(s) kept in the download cache)\n"
    )


def test_no_network_one_line_exit_3_nothing_written(home: Path):
    port = _closed_port()
    env = {
        **os.environ,
        "LANSANALYS_HOME": str(home),
        "LANSANALYS_PXWEB_V2_URL": f"http://127.0.0.1:{port}/api/v2",
    }
    proc = subprocess.run(
        [str(REPO / ".venv" / "bin" / "lansanalys"), "fetch", "befolkning", *FAST],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 3
    assert (
        proc.stderr == f"fetch: no network (cannot reach 127.0.0.1:{port}): nothing was changed\n"
    )
    assert proc.stdout == ""
    assert list(home.iterdir()) == []  # not even the cache folder


@pytest.mark.parametrize("kind", ["befolkning", "service", "vagnat", "rutor"])
def test_no_network_for_every_source(home: Path, monkeypatch, kind: str):
    dead = f"http://127.0.0.1:{_closed_port()}"
    for var in config.URL_ENVS.values():
        monkeypatch.setenv(var, dead + "/x")
    extra = ["--lan", "08"] if kind in ("service", "vagnat") else []
    res = cli(kind, *extra, *FAST)
    assert res.exit_code == 3
    assert res.stderr == f"fetch: no network (cannot reach {dead[7:]}): nothing was changed\n"
    assert list(home.iterdir()) == []


def test_timeout_is_reported_and_time_limited(home: Path, monkeypatch):
    with serve(lambda req: Reply(200, b"{}", delay=5)) as (base, log):
        monkeypatch.setenv("LANSANALYS_PXWEB_V2_URL", base + "/api/v2")
        t0 = time.perf_counter()
        res = cli("befolkning", "--timeout", "0.3", *FAST)
        elapsed = time.perf_counter() - t0
    assert res.exit_code == 3 and len(log) == 2  # one try and one retry
    host = base[len("http://") :]
    assert (
        res.stderr == f"fetch: no answer from {host} within 0.3 s (2 tries): nothing was changed\n"
    )
    assert elapsed < 4
    assert list(home.iterdir()) == []


def test_bad_lan_code_is_refused_before_any_request(home: Path):
    res = cli("befolkning", "--lan", "8")
    assert res.exit_code == 2 and "did the code lose its leading zero? try '08'" in res.stderr
    assert res.stderr.count("\n") == 1


def test_plan_sums_or_totals_other_variables_and_refuses_the_rest():
    def dim(code, codes, elimination=False, labels=None):
        return pxweb_plan._Dim(code, code.lower(), codes, labels or {}, elimination)

    base = [
        dim("Region", ["00", "09", "0980"]),
        dim("Alder", ["tot", *map(str, range(100)), "100+"]),
        dim("Kon", ["1", "2"]),
        dim("Tid", ["2023", "2024"]),
    ]
    extra = dim("Civilstand", ["OG", "G"], elimination=True)
    plan = pxweb_plan._population_plan([*base, extra], "T", ["09"], None)
    assert list(plan.selection) == ["Region", "Alder", "Kon", "Tid"] and plan.omitted == [
        "Civilstand"
    ]
    assert plan.selection["Region"] == ["0980"] and plan.selection["Tid"] == ["2023", "2024"]
    totals = dim("Fodelseregion", ["TOT", "SE", "UTL"], labels={"TOT": "totalt"})
    plan = pxweb_plan._population_plan([*base, totals], "T", ["09"], [2024])
    assert plan.selection["Fodelseregion"] == ["TOT"] and plan.selection["Tid"] == ["2024"]
    with pytest.raises(SelectionError, match="variable Bakgrund .* cannot be left out"):
        pxweb_plan._population_plan([*base, dim("Bakgrund", ["a", "b"])], "T", ["09"], None)


def test_parse_years():
    assert pxweb_plan._parse_years("2014-2016,2020") == [2014, 2015, 2016, 2020]
    assert pxweb_plan._parse_years(None) is None
    with pytest.raises(SelectionError, match="not understood"):
        pxweb_plan._parse_years("2014..2016")


# --------------------------------------------------------------------------------------------
# service and vagnat: Overpass


OSM3S = {
    "timestamp_osm_base": "2026-11-20T10:41:23Z",
    "timestamp_areas_base": "2026-11-20T09:12:45Z",
    "copyright": "The data included in this document is from www.openstreetmap.org. The data is made available under ODbL.",
}


def overpass_answer(elements, remark: str | None = None) -> bytes:
    doc = {
        "version": 0.6,
        "generator": "Overpass API 0.7.62.8 e44f5b3f",
        "osm3s": OSM3S,
        "elements": elements,
    }
    if remark:
        doc["remark"] = remark
    return json.dumps(doc, indent=1).encode()


SERVICE_08 = [  # Kalmar län, WGS 84 (Overpass answers with `out center;`)
    {
        "type": "node",
        "id": 2001,
        "lat": 57.1667,
        "lon": 16.0260,
        "tags": {"shop": "supermarket", "name": "ICA Nära Högsby"},
    },
    {
        "type": "node",
        "id": 2002,
        "lat": 56.6634,
        "lon": 16.3566,
        "tags": {"amenity": "pharmacy", "name": "Apoteket Kalmar"},
    },
    {
        "type": "way",
        "id": 3001,
        "center": {"lat": 56.6700, "lon": 16.3300},
        "nodes": [1, 2, 3, 4, 1],
        "tags": {"amenity": "fuel", "name": "Circle K"},
    },
    {
        "type": "node",
        "id": 2003,
        "lat": 57.0000,
        "lon": 16.4000,
        "tags": {"amenity": "parcel_locker", "brand": "PostNord"},
    },
    {
        "type": "node",
        "id": 2004,
        "lat": 57.1000,
        "lon": 16.2000,
        "tags": {"shop": "kiosk", "post_office": "post_partner"},
    },
]
SERVICE_09 = [
    {
        "type": "node",
        "id": 2101,
        "lat": 57.6390,
        "lon": 18.2940,
        "tags": {"amenity": "atm", "name": "Bankomat Visby"},
    }
]
ROADS_08 = [
    {
        "type": "way",
        "id": 4001,
        "bounds": {"minlat": 56.66, "minlon": 16.35, "maxlat": 56.68, "maxlon": 16.37},
        "nodes": [11, 12, 13],
        "geometry": [
            {"lat": 56.66, "lon": 16.35},
            {"lat": 56.67, "lon": 16.36},
            {"lat": 56.68, "lon": 16.37},
        ],
        "tags": {"highway": "primary", "maxspeed": "80", "ref": "25"},
    },
    {
        "type": "way",
        "id": 4002,
        "bounds": {"minlat": 56.67, "minlon": 16.36, "maxlat": 56.675, "maxlon": 16.38},
        "nodes": [12, 14],
        "geometry": [{"lat": 56.67, "lon": 16.36}, {"lat": 56.675, "lon": 16.38}],
        "tags": {"highway": "residential"},
    },
]


def poly_areas(query: str):
    """The areas of a query's ``poly:"lat lon …"`` filters, as shapely polygons in lon/lat."""
    import shapely

    areas = []
    for text in re.findall(r'\(poly:"([^"]+)"\)', query):
        v = [float(t) for t in text.split()]
        areas.append(shapely.Polygon(list(zip(v[1::2], v[0::2], strict=True))))
    return areas


def _where(el: dict) -> tuple[float, float]:
    c = el.get("center", el)
    return c["lon"], c["lat"]


def overpass(answers: dict[str, bytes], pool: list[dict] | None = None) -> Callable[[Req], Reply]:
    """An Overpass server: a query by län area gets that län's answer; a query by ``poly``
    areas gets the elements of ``pool`` that lie in them (as Overpass filters them)."""
    import shapely

    def route(req: Req) -> Reply:
        if req.method != "POST" or req.path != "/api/interpreter":
            return Reply(404, b"not found")
        query = req.form()["data"][0]
        areas = poly_areas(query)
        if areas:
            inside = [
                el
                for el in pool or []
                if any(a.contains(shapely.Point(*_where(el))) for a in areas)
            ]
            return Reply(200, overpass_answer(inside), {"Content-Type": "application/json"})
        iso = query.split('area["ISO3166-2"="', 1)[1].split('"', 1)[0]
        return Reply(200, answers[iso], {"Content-Type": "application/json"})

    return route


def test_service_points_of_two_lan(home: Path, monkeypatch):
    answers = {"SE-H": overpass_answer(SERVICE_08), "SE-I": overpass_answer(SERVICE_09)}
    with serve(overpass(answers, SERVICE_08 + SERVICE_09)) as (base, log):
        monkeypatch.setenv("LANSANALYS_OVERPASS_URL", base + "/api/interpreter")
        res = cli("service", "--lan", "08", "--lan", "09")
    assert res.exit_code == 0, res.stderr
    assert len(log) == 2 and all(
        r.headers["Content-Type"] == "application/x-www-form-urlencoded" for r in log
    )
    q = log[0].form()["data"][0]
    assert q.startswith("[out:json][timeout:300];")
    assert 'area["ISO3166-1"="SE"]["admin_level"="2"]->.se;' in q  # Sweden only
    for wanted in (
        'nwr["shop"~"^(supermarket|convenience|grocery)$"](poly:"',
        ")(area.se);",
        "parcel_locker",
        '["vending"="parcel_pickup"]',
        "out center;",
    ):
        assert wanted in q
    folder = home / "data" / "raw" / "service"
    f = folder / "osm_service_08.json"
    assert f.read_bytes() == overpass_answer(SERVICE_08)  # the raw answer, byte for byte
    df = read_service(f)
    # The kiosk with post_office=post_partner is a parcel point too.
    assert sorted(df["service_type"]) == [
        "apotek",
        "dagligvaror",
        "drivmedel",
        "post_paket",
        "post_paket",
    ]
    assert "osm-w3001" in set(df["point_id"])  # a way, placed at its centre
    assert len(read_service(folder / "osm_service_09.json")) == 1
    entry = sources(home)["service/osm_service_08.json"]
    assert entry["licence"] == "ODbL 1.0 – © OpenStreetMap contributors"
    assert entry["query"] == q and entry["rows"] == 5 and entry["lan"] == ["08"]
    assert entry["buffer_km"] == 50.0
    assert "Kalmar län" in entry["source"] and entry["url"] == base + "/api/interpreter"


def _point_at(lan: str, km: float) -> tuple[float, float]:
    """A point (lon, lat) in Sweden, in another län, ``km`` km outside ``lan``'s boundary."""
    from pyproj import Transformer

    gdf = geo.lan_geometry()
    shape = gdf.loc[gdf["lan_kod"] == lan, "geometry"].iloc[0]
    others = gdf[gdf["lan_kod"] != lan].union_all()
    ring = shape.buffer(km * 1000).exterior
    for f in range(200):
        pt = ring.interpolate(f / 200, normalized=True)
        if others.contains(pt.buffer(3000)):  # well inside a neighbouring län, not at sea
            assert abs(shape.distance(pt) - km * 1000) < 1500
            to_wgs = Transformer.from_crs("EPSG:3006", "EPSG:4326", always_xy=True)
            return to_wgs.transform(pt.x, pt.y)
    raise AssertionError(f"no land {km} km outside län {lan}")


def test_service_fetch_takes_a_buffer_around_the_lan_and_records_the_lan_only(
    home: Path, monkeypatch
):
    import numpy as np
    import shapely
    from pyproj import Transformer

    near, far = _point_at("08", 40), _point_at("08", 75)
    pool = SERVICE_08 + [
        {
            "type": "node",
            "id": 9001,
            "lon": near[0],
            "lat": near[1],
            "tags": {"shop": "supermarket"},
        },
        {"type": "node", "id": 9002, "lon": far[0], "lat": far[1], "tags": {"shop": "supermarket"}},
    ]
    folder = home / "data" / "raw" / "service"
    with serve(overpass({"SE-H": overpass_answer(SERVICE_08)}, pool)) as (base, log):
        monkeypatch.setenv("LANSANALYS_OVERPASS_URL", base + "/api/interpreter")
        res = cli("service", "--lan", "08")
        assert res.exit_code == 0, res.stderr
        ids = set(read_service(folder / "osm_service_08.json")["point_id"])
        # The default 50 km: the store 40 km across the border is fetched, the one at 75 km not.
        assert {"osm-n2001", "osm-n9001"} <= ids and "osm-n9002" not in ids
        # The area asked for holds the whole län and 49 km around it, and not 60 km out.
        areas = poly_areas(log[0].form()["data"][0])  # one per filter, all the same
        area = areas[0]
        assert len(areas) == len(overpass_mod.OVERPASS_SERVICE_FILTERS)
        assert all(a.equals(area) for a in areas)
        to_wgs = Transformer.from_crs("EPSG:3006", "EPSG:4326", always_xy=True)
        gdf = geo.lan_geometry()
        lan = gdf.loc[gdf["lan_kod"] == "08", "geometry"].iloc[0]

        def wgs(g):
            return shapely.transform(g, lambda xy: np.column_stack(to_wgs.transform(*xy.T)))

        inner, outer = wgs(lan.buffer(49_000)), wgs(lan.buffer(60_000))
        assert area.contains(inner) and outer.contains(area)
        entry = sources(home)["service/osm_service_08.json"]
        assert entry["lan"] == ["08"] and entry["buffer_km"] == 50.0  # covered: the län only

        res = cli("service", "--lan", "08", "--buffer-km", "80", "--refresh")
        assert res.exit_code == 0, res.stderr
        assert {"osm-n9001", "osm-n9002"} <= set(
            read_service(folder / "osm_service_08.json")["point_id"]
        )
        assert sources(home)["service/osm_service_08.json"]["buffer_km"] == 80.0

        res = cli("service", "--lan", "08", "--buffer-km", "0", "--refresh")
        assert res.exit_code == 0, res.stderr
        q = log[-1].form()["data"][0]  # the län's own area, no buffer
        assert 'area["ISO3166-2"="SE-H"]["admin_level"="4"]->.lan;' in q and "poly:" not in q
    res = cli("service", "--lan", "08", "--buffer-km", "-5")
    assert res.exit_code == 2 and "--buffer-km must be 0 or more" in res.stderr


def test_roads_are_the_raw_out_geom_answer(home: Path, monkeypatch):
    answer = overpass_answer(ROADS_08)
    with serve(overpass({"SE-H": answer})) as (base, log):
        result = fetch.fetch_vagnat(
            lan=["08"], base_url=base + "/api/interpreter", options=fetch.Options(timeout=120)
        )
    q = log[0].form()["data"][0]
    assert q.startswith("[out:json][timeout:120]")
    classes = re.search(r'way\["highway"~"\^\(([a-z_|]+)\)\$"\]', q).group(1).split("|")
    assert set(classes) == DRIVABLE_HIGHWAYS  # the same classes the road reader keeps
    assert q.endswith("out geom;")
    f = home / "data" / "raw" / "vagnat" / "osm_vagnat_08.json"
    assert f.read_bytes() == answer
    doc = json.loads(f.read_text())
    assert [len(w["geometry"]) for w in doc["elements"]] == [3, 2] and doc["elements"][0]["tags"][
        "maxspeed"
    ] == "80"
    assert (
        result.written[0].rows == 2
        and sources(home)["vagnat/osm_vagnat_08.json"]["kind"] == "vagnat"
    )


def test_overpass_answer_cut_short_is_refused(home: Path, monkeypatch):
    answer = overpass_answer(
        [], remark='runtime error: Query timed out in "query" at line 3 after 300 seconds.'
    )
    with serve(overpass({"SE-H": answer})) as (base, _):
        monkeypatch.setenv("LANSANALYS_OVERPASS_URL", base + "/api/interpreter")
        res = cli("vagnat", "--lan", "08")
    assert res.exit_code == 4 and res.stderr.count("\n") == 1
    assert (
        "the Overpass answer for vägnät in Kalmar län is incomplete: runtime error: Query timed out"
        in res.stderr
    )
    assert not (home / "data" / "raw" / "vagnat").exists()


def test_service_needs_a_lan(home: Path):
    res = cli("service")
    assert (
        res.exit_code == 2
        and res.stderr == "fetch: give at least one län, e.g. --lan 08: nothing was changed\n"
    )


def test_lan_iso_codes_cover_every_lan():
    assert list(overpass_mod.LAN_ISO) == geo.lan_codes()
    assert overpass_mod.LAN_ISO["08"] == "SE-H" and overpass_mod.LAN_ISO["25"] == "SE-BD"


# --------------------------------------------------------------------------------------------
# rutor: SCB's grid, a zipped GeoPackage linked from SCB's page


def grid_zip(name: str, cells: list[tuple[int, int, int]]) -> bytes:
    """A zip holding ``<name>.gpkg`` in SCB's layout: 1 km cells, rutid_scb, beftotalt."""
    import geopandas as gpd
    import shapely

    x0 = [c[0] for c in cells]
    y0 = [c[1] for c in cells]
    gdf = gpd.GeoDataFrame(
        {
            "rutid_scb": [f"{x:06d}{y:07d}" for x, y in zip(x0, y0, strict=True)],
            "rutstorl": 1000,
            "beftotalt": [c[2] for c in cells],
        },
        geometry=shapely.box(x0, y0, [x + 1000 for x in x0], [y + 1000 for y in y0]),
        crs="EPSG:3006",
    )
    buf = io.BytesIO()
    with contextlib.ExitStack() as stack:
        import tempfile

        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory())) / f"{name}.gpkg"
        gdf.to_file(tmp, layer=name, driver="GPKG")
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.write(tmp, f"{name}.gpkg")
    return buf.getvalue()


GRID_PAGE = """<!DOCTYPE html><html lang="sv"><head><title>Öppna geodata för statistik på rutor</title></head>
<body><h1>Öppna geodata för statistik på rutor</h1>
<h2>Tillgänglig statistik</h2><ul><li>Befolkning totalt</li><li>Befolkning efter ålder i
femårsklasser</li><li>Befolkning efter kön</li></ul>
<h2>Ladda ned GIS-skikt på rutor</h2>
<h3>Rikst&auml;ckande rutnät</h3><p>Koordinatsystem SWEREF99_TM<br>
<a href="/contentassets/aa11/totrut_sweref.zip">Geopackage (zip-fil)</a></p>
<h3>Befolkning totalt</h3><p>Koordinatsystem SWEREF99_TM<br>
<a class="link" href="/contentassets/bb22/{total}">Geopackage (zip-fil)</a></p>
<h3>Befolkning efter ålder i femårsklasser</h3><p><a href="/contentassets/cc33/alder_1km.zip">Geopackage (zip-fil)</a></p>
<h3>Befolkning efter kön</h3><p><a href="/contentassets/dd44/kon_1km.zip">Geopackage (zip-fil)</a></p>
</body></html>"""


def test_grid_link_found_by_its_label_or_name():
    page = GRID_PAGE.replace("{total}", "ruta_1km_2024.zip")
    base = "https://www.scb.se/vara-tjanster/oppna-data/oppna-geodata/statistik-pa-rutor/"
    assert (
        scb_grid.find_grid_link(page, base)
        == "https://www.scb.se/contentassets/bb22/ruta_1km_2024.zip"
    )
    named = '<a href="x/TotRut_SweRef.zip">a</a> <a href="y/Totalbefolkning_1km_241231.zip">b</a>'
    assert (
        scb_grid.find_grid_link(named, base)
        == "https://www.scb.se/vara-tjanster/oppna-data/oppna-geodata/statistik-pa-rutor/y/Totalbefolkning_1km_241231.zip"
    )
    assert scb_grid.find_grid_link("<p>no links</p>", base) is None


def test_grid_from_scb_page_replaces_the_earlier_grid(home: Path, monkeypatch):
    zips = {
        "/contentassets/bb22/ruta_1km_2024.zip": grid_zip(
            "Totalbefolkning_1km_241231",
            [(560000, 6334000, 120), (561000, 6334000, 7), (575000, 6280000, 3400)],
        ),
        "/contentassets/bb22/ruta_1km_2025.zip": grid_zip(
            "Totalbefolkning_1km_251231", [(560000, 6334000, 118)]
        ),
    }
    total = {"name": "ruta_1km_2024.zip"}

    def route(req: Req) -> Reply:
        if req.path == "/oppna-geodata/statistik-pa-rutor/":
            page = GRID_PAGE.replace("{total}", total["name"]).encode()
            return Reply(200, page, {"Content-Type": "text/html; charset=utf-8"})
        if req.path in zips:
            return Reply(200, zips[req.path], {"Content-Type": "application/x-zip-compressed"})
        return Reply(404, b"")

    with serve(route) as (base, log):
        monkeypatch.setenv("LANSANALYS_GRID_URL", base + "/oppna-geodata/statistik-pa-rutor/")
        res = cli("rutor")
        assert res.exit_code == 0, res.stderr
        assert [r.path for r in log] == [
            "/oppna-geodata/statistik-pa-rutor/",
            "/contentassets/bb22/ruta_1km_2024.zip",
        ]
        f = home / "data" / "raw" / "rutor" / "Totalbefolkning_1km_241231.gpkg"
        df = read_rutor(f)
        assert df["population"].tolist() == [120, 7, 3400] and set(df["size_m"]) == {1000}
        entry = sources(home)["rutor/Totalbefolkning_1km_241231.gpkg"]
        assert (
            entry["year"] == 2024
            and entry["rows"] == 3
            and entry["url"] == base + "/contentassets/bb22/ruta_1km_2024.zip"
        )
        assert entry["page"] == base + "/oppna-geodata/statistik-pa-rutor/" and entry[
            "licence"
        ].startswith("CC0")
        total["name"] = "ruta_1km_2025.zip"  # SCB publishes the next year
        res = cli("rutor", "--refresh")
    assert res.exit_code == 0, res.stderr
    assert "removed data/raw/rutor/Totalbefolkning_1km_241231.gpkg" in res.stdout
    assert [f.name for f in (home / "data" / "raw" / "rutor").iterdir()] == [
        "Totalbefolkning_1km_251231.gpkg"
    ]
    assert [k for k in sources(home) if k.startswith("rutor/")] == [
        "rutor/Totalbefolkning_1km_251231.gpkg"
    ]


def test_grid_page_without_the_link_says_what_to_do(home: Path, monkeypatch):
    with serve(
        lambda req: Reply(
            200, b"<html><body>Sidan har flyttat</body></html>", {"Content-Type": "text/html"}
        )
    ) as (base, _):
        monkeypatch.setenv("LANSANALYS_GRID_URL", base + "/rutor/")
        res = cli("rutor")
    assert res.exit_code == 4
    assert res.stderr.startswith(
        f"fetch: no GeoPackage link for 'Befolkning totalt' found on {base}/rutor/; pass the zip's address with --url"
    )
    assert not (home / "data" / "raw" / "rutor").exists()


def test_paths_point_at_the_temporary_home(home: Path):
    assert paths().root == home
