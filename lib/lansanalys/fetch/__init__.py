"""Download open data into ``data/raw``: SCB population, SCB's 1 km grid, OpenStreetMap.

``lansanalys fetch befolkning | rutor | service | vagnat`` calls the functions here:

- :func:`fetch_befolkning`: population by kommun × single-year age × sex × year from SCB's
  Statistikdatabasen through PxWebApi 2.0 (by default the whole series: ``TAB638`` up to 2024
  joined with ``TAB5557`` from 2025) or the older v1 API (``BefolkningNy``), as JSON-stat 2
  answers in ``data/raw/befolkning/``;
- :func:`fetch_rutor`: SCB's open population grid (1 km cells, a zipped GeoPackage) into
  ``data/raw/rutor/``;
- :func:`fetch_service` and :func:`fetch_vagnat`: OpenStreetMap service points (``out center``)
  and roads (``out geom``) of a län through the Overpass API, as the raw Overpass JSON answer in
  ``data/raw/service/`` and ``data/raw/vagnat/``.

Every download goes through one small HTTP layer (:class:`Http`) on :mod:`requests`: connect and
read timeouts and a time limit per download; retries with exponential backoff on connection
errors, read timeouts and HTTP 429/500/502/503/504, honouring ``Retry-After``; and a cache under
``data/raw/.cache/fetch/`` (key: sha256 of method, URL and body; the body beside a small JSON note
of URL, status and retrieval time), used for ``cache_days`` unless ``refresh`` is set.

Each answer is checked with the kit's own reader before anything is written; the files of one
command are then moved in together and recorded in ``SOURCES.yml``. Without network, or when a
server refuses, :class:`FetchError` says so in one line and no data file is written (answers
already complete stay in the cache, so a re-run resumes there).

The base URLs are the public services unless given per call or by the environment variables in
:data:`lansanalys.config.URL_ENVS` (the tests point them at a server on 127.0.0.1).
"""

from __future__ import annotations

import hashlib
import html
import inspect
import json
import os
import re
import shutil
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

from lansanalys import geo
from lansanalys.config import Paths, paths, url_override
from lansanalys.errors import FetchError, NetworkError, SelectionError
from lansanalys.provenance import load_sources, save_sources, sha256
from lansanalys.services import overpass_filters
from lansanalys.sources.osm import DRIVABLE_HIGHWAYS
from lansanalys.util import atomic_write_text

# --------------------------------------------------------------------------------------------
# Sources

#: PxWebApi 2.0 of SCB's Statistikdatabasen.
PXWEB_V2_URL = "https://statistikdatabasen.scb.se/api/v2"
#: The older PxWeb API (v1) of SCB, database ``ssd``.
PXWEB_V1_URL = "https://api.scb.se/OV0104/v1/doris/sv/ssd"
#: "Folkmängden efter region, civilstånd, ålder och kön. År" (BE0101, yearly, 31 December),
#: frozen at 2024.
PXWEB_V2_TABLE = "TAB638"
#: Its continuation from reference year 2025 (BefolkningCKM): contents code ``000007ME``,
#: civilstånd and ålder cannot be left out, the open age class is ``100+1``, and every value
#: carries SCB's Cell Key Method noise.
PXWEB_V2_CKM_TABLE = "TAB5557"
#: The yearly population series, oldest table first: each year comes from the first table that
#: has it (TAB638 up to 2024, TAB5557 from 2025), so no year is fetched twice. (Births, deaths
#: and migration, BE0101J, continue likewise in TAB6640; the kit reads them from CSV exports.)
PXWEB_V2_SERIES: tuple[str, ...] = (PXWEB_V2_TABLE, PXWEB_V2_CKM_TABLE)
#: The same table's path in the v1 API.
PXWEB_V1_TABLE = "START/BE/BE0101/BE0101A/BefolkningNy"
#: Cells per request when the API does not say (v1); SCB allows 150 000.
PXWEB_V1_MAX_CELLS = 100_000
#: Calls per time window (seconds) when the API does not say (v1); SCB allows 30 per 10 s.
PXWEB_V1_RATE = (30, 10.0)
OVERPASS_URL = "https://overpass-api.de/api/interpreter"
#: SCB's page of open grid statistics; the GeoPackage links on it change with every release, so
#: the link to "Befolkning totalt" is looked up there unless a URL is given.
GRID_PAGE_URL = "https://www.scb.se/vara-tjanster/oppna-data/oppna-geodata/statistik-pa-rutor/"


#: SCB län code → ISO 3166-2 code, as OpenStreetMap tags the län boundary relations.
LAN_ISO: dict[str, str] = {
    "01": "SE-AB",
    "03": "SE-C",
    "04": "SE-D",
    "05": "SE-E",
    "06": "SE-F",
    "07": "SE-G",
    "08": "SE-H",
    "09": "SE-I",
    "10": "SE-K",
    "12": "SE-M",
    "13": "SE-N",
    "14": "SE-O",
    "17": "SE-S",
    "18": "SE-T",
    "19": "SE-U",
    "20": "SE-W",
    "21": "SE-X",
    "22": "SE-Y",
    "23": "SE-Z",
    "24": "SE-AC",
    "25": "SE-BD",
}

#: SCB's open data licence; figures made from the data say "Bearbetning av SCB-data".
SCB_LICENCE = "CC0 1.0 (SCB, Statistiska centralbyrån)"
OSM_LICENCE = "ODbL 1.0 – © OpenStreetMap contributors"

#: OSM objects kept as service points: exactly the tags of :mod:`lansanalys.services`.
OVERPASS_SERVICE_FILTERS: tuple[str, ...] = overpass_filters()
#: Road classes fetched for the network (tracks included; the reader decides what is drivable).
OVERPASS_ROAD_TYPES: tuple[str, ...] = tuple(sorted(DRIVABLE_HIGHWAYS))

#: Default seconds to wait for an answer, per command (Overpass works before it answers).
DEFAULT_TIMEOUTS = {"befolkning": 60.0, "rutor": 120.0, "service": 300.0, "vagnat": 900.0}
RETRY_STATUS = (429, 500, 502, 503, 504)
CACHE_DIR = Path(".cache") / "fetch"


# --------------------------------------------------------------------------------------------
# Errors


def _one_line(text: str, limit: int = 300) -> str:
    text = re.sub(r"\s+", " ", str(text)).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _host(url: str) -> str:
    return urlsplit(url).netloc or url


# --------------------------------------------------------------------------------------------
# HTTP with retries, timeouts and an on-disk cache


@dataclass
class Options:
    """How downloads behave; the CLI's ``--refresh``, ``--timeout``, ``--retries``, ``--backoff``.

    ``timeout`` is the read timeout per try in seconds (None: the command's default, see
    :data:`DEFAULT_TIMEOUTS`); ``retries`` the tries after the first; ``backoff`` the backoff
    factor (seconds, doubling from the second retry on); ``cache_days`` how long a cached answer
    is used; ``max_seconds`` the time limit of one download, body included.
    """

    refresh: bool = False
    timeout: float | None = None
    connect_timeout: float = 10.0
    retries: int = 4
    backoff: float = 1.0
    cache_days: float = 7.0
    max_seconds: float = 3600.0


@dataclass(frozen=True)
class Answer:
    """A successful answer, its body on disk in the cache."""

    url: str
    status: int
    path: Path
    retrieved: datetime
    from_cache: bool
    content_type: str = ""

    def json(self) -> Any:
        try:
            return json.loads(self.path.read_bytes().decode("utf-8-sig"))
        except (ValueError, UnicodeDecodeError) as exc:
            raise FetchError(
                f"the answer from {self.url} is not JSON ({_one_line(exc, 80)})"
            ) from None

    def text(self) -> str:
        return self.path.read_bytes().decode("utf-8-sig", errors="replace")


class _BodyBroken(Exception):
    """The connection broke while the body was read (not retried by urllib3)."""


class RateLimit:
    """At most ``calls`` requests per ``window`` seconds (sliding window)."""

    def __init__(self, calls: int, window: float):
        self.calls, self.window = max(int(calls), 0), max(float(window), 0.0)
        self._stamps: list[float] = []

    def wait(self) -> None:
        if self.calls <= 0 or self.window <= 0:
            return
        now = time.monotonic()
        self._stamps = [t for t in self._stamps if now - t < self.window]
        if len(self._stamps) >= self.calls:
            time.sleep(self.window - (now - self._stamps[0]))
            now = time.monotonic()
            self._stamps = [t for t in self._stamps if now - t < self.window]
        self._stamps.append(now)


def _user_agent() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        v = version("lansanalys")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        v = "dev"
    return f"lansanalys/{v} (Swedish regional analysis kit; python-requests)"


class Http:
    """GET/POST with retries, backoff, timeouts and the download cache in ``cache_dir``."""

    def __init__(self, cache_dir: Path, options: Options | None = None, timeout: float = 60.0):
        import requests
        from requests.adapters import HTTPAdapter
        from urllib3.util.retry import Retry

        self.options = options or Options()
        self.timeout = float(self.options.timeout or timeout)
        self.cache_dir = Path(cache_dir)
        retries = max(int(self.options.retries), 0)
        kwargs: dict[str, Any] = dict(
            total=retries,
            connect=retries,
            read=retries,
            status=retries,
            redirect=5,
            backoff_factor=max(float(self.options.backoff), 0.0),
            backoff_max=60.0,
            status_forcelist=RETRY_STATUS,
            allowed_methods=frozenset({"GET", "POST", "HEAD"}),
            respect_retry_after_header=True,
            raise_on_status=False,
        )
        if "retry_after_max" in inspect.signature(Retry.__init__).parameters:
            kwargs["retry_after_max"] = 120  # a server may not park us for hours
        self.session = requests.Session()
        adapter = HTTPAdapter(max_retries=Retry(**kwargs))
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.session.headers["User-Agent"] = _user_agent()
        self.tries = retries + 1
        self.downloaded = 0
        self.cached = 0
        self._created: list[Path] = []

    # -- public -------------------------------------------------------------------------------

    def get(self, url: str, *, params: dict | None = None, **kw: Any) -> Answer:
        return self.request("GET", url, params=params, **kw)

    def post(
        self,
        url: str,
        *,
        params: dict | None = None,
        json_body: Any = None,
        form: dict | None = None,
        **kw: Any,
    ) -> Answer:
        return self.request("POST", url, params=params, json_body=json_body, form=form, **kw)

    def request(
        self,
        method: str,
        url: str,
        *,
        params: dict | None = None,
        json_body: Any = None,
        form: dict | None = None,
        before_send: Callable[[], None] | None = None,
    ) -> Answer:
        """One answer, from the cache or the network; raises :class:`FetchError` on failure."""
        import requests

        try:
            req = self.session.prepare_request(
                requests.Request(method, url, params=params, json=json_body, data=form)
            )
        except requests.exceptions.RequestException as exc:
            raise FetchError(f"bad URL {url!r}: {_one_line(exc, 120)}") from None
        body = req.body or b""
        if isinstance(body, str):
            body = body.encode("utf-8")
        key = hashlib.sha256(f"{method}\n{req.url}\n".encode() + body).hexdigest()
        if not self.options.refresh:
            hit = self._from_cache(key)
            if hit is not None:
                self.cached += 1
                return hit
        if before_send is not None:
            before_send()
        return self._download(req, key)

    def discard_empty_dirs(self) -> None:
        """Remove cache folders this instance created that are still empty."""
        for d in reversed(self._created):
            try:
                d.rmdir()
            except OSError:
                pass

    # -- cache -------------------------------------------------------------------------------

    def _paths(self, key: str) -> tuple[Path, Path]:
        return self.cache_dir / f"{key}.body", self.cache_dir / f"{key}.json"

    def _from_cache(self, key: str) -> Answer | None:
        body, meta_path = self._paths(key)
        if not (body.exists() and meta_path.exists()):
            return None
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            retrieved = datetime.fromisoformat(meta["retrieved_at"])
            if body.stat().st_size != int(meta["size"]):
                return None
        except (ValueError, KeyError, TypeError, OSError):
            return None
        age = (datetime.now(timezone.utc) - retrieved).total_seconds()
        if age > self.options.cache_days * 86400:
            return None
        return Answer(
            url=meta["url"],
            status=int(meta.get("status", 200)),
            path=body,
            retrieved=retrieved,
            from_cache=True,
            content_type=meta.get("content_type", ""),
        )

    def _mkdir(self) -> None:
        missing = []
        d = self.cache_dir
        while not d.exists():
            missing.append(d)
            d = d.parent
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        self._created.extend(reversed(missing))

    # -- network -----------------------------------------------------------------------------

    def _download(self, req, key: str) -> Answer:
        import requests

        for attempt in range(self.tries):
            try:
                resp = self.session.send(
                    req,
                    stream=True,
                    timeout=(min(self.options.connect_timeout, self.timeout), self.timeout),
                )
            except requests.exceptions.RequestException as exc:
                raise self._network_error(exc, req.url) from None
            with resp:
                if resp.status_code >= 400:
                    raise FetchError(self._http_problem(resp, req.url))
                try:
                    return self._store(resp, key, req)
                except _BodyBroken as exc:
                    if attempt + 1 >= self.tries:
                        raise NetworkError(
                            f"the connection to {_host(req.url)} broke off during the download "
                            f"({self.tries} tries; {_one_line(exc.args[0], 80)})"
                        ) from None
                    time.sleep(self.options.backoff * (2**attempt))
        raise AssertionError("unreachable")  # pragma: no cover

    def _store(self, resp, key: str, req) -> Answer:
        import requests

        self._mkdir()
        body, meta_path = self._paths(key)
        tmp = self.cache_dir / f".{key}.part-{os.getpid()}"
        deadline = time.monotonic() + self.options.max_seconds
        size = 0
        try:
            with open(tmp, "wb") as fh:
                for chunk in resp.iter_content(1 << 20):
                    fh.write(chunk)
                    size += len(chunk)
                    if time.monotonic() > deadline:
                        raise NetworkError(
                            f"the download from {_host(req.url)} took longer than "
                            f"{self.options.max_seconds:g} s"
                        )
        except (
            requests.exceptions.ChunkedEncodingError,
            requests.exceptions.ConnectionError,
            requests.exceptions.Timeout,
        ) as exc:
            tmp.unlink(missing_ok=True)
            raise _BodyBroken(str(exc)) from None
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        os.replace(tmp, body)
        retrieved = datetime.now(timezone.utc).replace(microsecond=0)
        meta = {
            "url": resp.url or req.url,
            "method": req.method,
            "status": resp.status_code,
            "retrieved_at": retrieved.isoformat(),
            "content_type": resp.headers.get("Content-Type", ""),
            "size": size,
        }
        atomic_write_text(meta_path, json.dumps(meta, ensure_ascii=False, indent=1))
        self.downloaded += 1
        return Answer(
            url=meta["url"],
            status=resp.status_code,
            path=body,
            retrieved=retrieved,
            from_cache=False,
            content_type=meta["content_type"],
        )

    def _network_error(self, exc: Exception, url: str) -> FetchError:
        import requests
        from urllib3.exceptions import (
            ConnectTimeoutError,
            MaxRetryError,
            NewConnectionError,
            ReadTimeoutError,
        )

        host = _host(url)
        reason: Any = exc
        inner = exc.args[0] if exc.args else None
        if isinstance(inner, MaxRetryError):
            reason = inner.reason
        if isinstance(exc, requests.exceptions.ReadTimeout) or isinstance(reason, ReadTimeoutError):
            return NetworkError(
                f"no answer from {host} within {self.timeout:g} s ({self.tries} tries)"
            )
        if isinstance(exc, requests.exceptions.ConnectTimeout) or isinstance(
            reason, (NewConnectionError, ConnectTimeoutError)
        ):
            return NetworkError(f"no network (cannot reach {host})")
        if isinstance(exc, (requests.exceptions.ConnectionError, requests.exceptions.Timeout)):
            return NetworkError(
                f"the connection to {host} failed ({self.tries} tries; {_one_line(reason, 80)})"
            )
        return FetchError(f"the request to {url} failed: {_one_line(exc, 120)}")

    def _http_problem(self, resp, url: str) -> str:
        detail = ""
        try:
            raw = next(resp.iter_content(8192), b"")
        except Exception:  # noqa: BLE001 - the status is the message; the body is a bonus
            raw = b""
        text = raw.decode("utf-8-sig", errors="replace") if isinstance(raw, bytes) else str(raw)
        try:
            doc = json.loads(text)
        except ValueError:
            doc = None
        if isinstance(doc, dict):  # PxWebApi 2 answers RFC 7807 problem details
            parts = [str(doc[k]) for k in ("title", "detail", "message", "error") if doc.get(k)]
            detail = " – ".join(dict.fromkeys(parts))
        elif text.strip():
            detail = re.sub(r"<[^>]+>", " ", text)
        detail = _one_line(html.unescape(detail), 160)
        shown = url if len(url) <= 160 else url.split("?", 1)[0]
        msg = f"HTTP {resp.status_code} {resp.reason or ''}".rstrip() + f" from {shown}"
        if detail:
            msg += f" ({detail})"
        if resp.status_code in RETRY_STATUS and self.tries > 1:
            msg += f" after {self.tries} tries"
        return msg


# --------------------------------------------------------------------------------------------
# Staging: check every file of a command beside its target, then move them in together


@dataclass
class Written:
    """One file a fetch wrote, with its SOURCES.yml entry."""

    path: Path
    rows: int
    from_cache: bool
    entry: dict[str, Any]


@dataclass
class Result:
    """What a fetch did: files written and replaced, notes for the user, cache use."""

    kind: str
    written: list[Written] = field(default_factory=list)
    removed: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    downloaded: int = 0
    cached: int = 0

    def lines(self, root: Path | None = None) -> list[str]:
        def rel(path: Path) -> str:
            try:
                return str(path.relative_to(root)) if root else str(path)
            except ValueError:
                return str(path)

        out = []
        for w in self.written:
            how = "from the cache" if w.from_cache else "downloaded"
            out.append(f"fetch: wrote {rel(w.path)} ({_spaced(w.rows)} rows, {how})")
        for path in self.removed:
            out.append(f"fetch: removed {rel(path)} (replaced by this fetch)")
        out += [f"fetch: note: {n}" for n in self.notes]
        out.append(
            f"fetch: {self.kind}: {len(self.written)} file(s); {self.downloaded} answer(s) "
            f"downloaded, {self.cached} from the cache"
        )
        return out


def _spaced(n: int) -> str:
    return f"{n:,}".replace(",", " ")


class _Stage:
    """Hidden folder beside the targets (same file system, so the final moves are renames)."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self._missing: list[Path] = []
        self.dir: Path | None = None
        self.items: list[tuple[Path, Path, dict[str, Any], int, bool]] = []

    def path(self, name: str) -> Path:
        if self.dir is None:
            d = self.folder
            while not d.exists():
                self._missing.append(d)
                d = d.parent
            self.folder.mkdir(parents=True, exist_ok=True)
            self.dir = Path(tempfile.mkdtemp(prefix=".fetch-", dir=self.folder))
        return self.dir / name

    def add(self, tmp: Path, name: str, entry: dict[str, Any], rows: int, cached: bool) -> None:
        self.items.append((tmp, self.folder / name, entry, rows, cached))

    def commit(self, p: Paths, supersedes: Callable[[str, dict[str, Any]], bool]) -> Result:
        """Move the files in, record them and drop the entries (and files) they replace."""
        sources = load_sources(p)
        result = Result(kind=self.folder.name)
        new = set()
        for tmp, target, entry, rows, cached in self.items:
            os.replace(tmp, target)
            rel = target.resolve().relative_to(p.raw.resolve()).as_posix()
            entry = {**entry, "rows": int(rows), "sha256": sha256(target)}
            sources[rel] = entry
            new.add(rel)
            result.written.append(Written(target, int(rows), cached, entry))
        for rel, entry in list(sources.items()):
            if rel not in new and isinstance(entry, dict) and supersedes(rel, entry):
                del sources[rel]
                result.removed.append(p.raw / rel)
        save_sources(p, sources)
        for path in result.removed:
            path.unlink(missing_ok=True)
        self.discard()
        return result

    def discard(self) -> None:
        if self.dir is not None and self.dir.exists():
            shutil.rmtree(self.dir, ignore_errors=True)
        for d in self._missing:  # folders this fetch created, if still empty
            try:
                d.rmdir()
            except OSError:
                pass


def _run(http: Http, stage: _Stage, body: Callable[[], Result]) -> Result:
    """Run a fetch; on failure discard everything staged and say what was (not) changed."""
    try:
        result = body()
    except FetchError as exc:
        stage.discard()
        kept = http.downloaded
        http.discard_empty_dirs()
        suffix = (
            "nothing was changed"
            if kept == 0
            else f"no data file was changed ({kept} finished answer(s) kept in the download cache)"
        )
        raise type(exc)(f"{exc}: {suffix}") from None
    except BaseException:
        stage.discard()
        http.discard_empty_dirs()
        raise
    result.downloaded, result.cached = http.downloaded, http.cached
    return result


def _base(name: str, given: str | None, default: str) -> str:
    return (given or url_override(name) or default).rstrip("/")


def _lan_list(lan: Iterable[str] | None) -> list[str]:
    if not lan:
        return geo.lan_codes()
    out = []
    for code in lan:
        c = geo.check_lan(code)
        if c not in out:
            out.append(c)
    return sorted(out)


def _other_real_files(p: Paths, kind: str, keep: set[Path]) -> list[str]:
    """Real files of ``kind`` not written by ``fetch``: the build reads them beside ours."""
    from lansanalys.build import is_demo, raw_files

    sources = load_sources(p)
    out = []
    for f in raw_files(p, kind):
        if f.resolve() in keep:
            continue
        rel = f.resolve().relative_to(p.raw.resolve()).as_posix()
        fetched = str(sources.get(rel, {}).get("fetched_by", "")).startswith("lansanalys fetch")
        if not fetched and not is_demo(f, sources, p):
            out.append(rel)
    return out


def _note_others(p: Paths, kind: str, result: Result) -> None:
    keep = {w.path.resolve() for w in result.written}
    others = _other_real_files(p, kind, keep)
    if others:
        shown = ", ".join(others[:3]) + (f" and {len(others) - 3} more" if len(others) > 3 else "")
        result.notes.append(
            f"data/raw/{kind}/ also holds {shown}; the build reads every real file there, so "
            "remove what this fetch replaces"
        )


# --------------------------------------------------------------------------------------------
# befolkning: SCB PxWeb v2 and v1


@dataclass
class _Dim:
    code: str
    label: str
    codes: list[str]
    labels: dict[str, str]
    elimination: bool


def _dims_v2(meta: Any, url: str) -> tuple[str, list[_Dim]]:
    """Variables of a PxWebApi 2 table from its JSON-stat 2 metadata."""
    if not isinstance(meta, dict) or not isinstance(meta.get("dimension"), dict):
        raise FetchError(f"the metadata from {url} is not JSON-stat 2 (no 'dimension')")
    order = meta.get("id") or list(meta["dimension"])
    dims = []
    for code in order:
        d = meta["dimension"].get(code) or {}
        cat = d.get("category") or {}
        index = cat.get("index")
        if isinstance(index, dict):
            codes = [c for c, _ in sorted(index.items(), key=lambda kv: kv[1])]
        elif isinstance(index, list):
            codes = list(index)
        else:
            codes = list(cat.get("label") or {})
        ext = d.get("extension") or {}
        dims.append(
            _Dim(
                code=code,
                label=str(d.get("label", code)),
                codes=[str(c) for c in codes],
                labels={str(k): str(v) for k, v in (cat.get("label") or {}).items()},
                elimination=bool(ext.get("elimination", False)),
            )
        )
    return str(meta.get("label", "")), dims


def _dims_v1(doc: Any, url: str) -> tuple[str, list[_Dim]]:
    """Variables of a v1 table from the GET answer on the table URL."""
    if not isinstance(doc, dict) or not isinstance(doc.get("variables"), list):
        raise FetchError(
            f"the answer from {url} is not a PxWeb v1 table (no 'variables'); is the table path "
            "right?"
        )
    dims = []
    for v in doc["variables"]:
        codes = [str(c) for c in v.get("values", [])]
        texts = [str(t) for t in v.get("valueTexts", codes)]
        dims.append(
            _Dim(
                code=str(v.get("code")),
                label=str(v.get("text", v.get("code"))),
                codes=codes,
                labels=dict(zip(codes, texts, strict=False)),
                elimination=bool(v.get("elimination", False)),
            )
        )
    return str(doc.get("title", "")), dims


@dataclass
class _Plan:
    selection: dict[str, list[str]]  # variable → codes, in the table's order
    region: str
    time: str
    year_of: dict[str, int]
    lan: list[str]
    omitted: list[str]


_ROLE = {
    "region": ("region",),
    "age": ("alder", "ålder", "age"),
    "sex": ("kon", "kön", "sex"),
    "time": ("tid", "time", "year", "år"),
    "contents": ("contentscode",),
}


_CIVIL = re.compile(r"civilst(a|å)nd", re.IGNORECASE)


def _table_years(dims: list[_Dim]) -> list[int]:
    """The year-ends a table has (its time variable's years, or months that are December)."""
    for d in dims:
        if d.code.lower() in _ROLE["time"]:
            return sorted({y for c in d.codes if (y := _year_of(c)) is not None})
    return []


def _split_years(
    tables: list[tuple[str, list[_Dim]]], wanted: list[int] | None, n_default: int = 11
) -> list[list[int]]:
    """The years to fetch from each table of a series (oldest table first).

    Each year comes from the first table that has it, so the joined series has no year twice;
    with no years asked for, the latest ``n_default`` years of the joined series.
    """
    have = [set(_table_years(dims)) for _, dims in tables]
    every = sorted(set().union(*have))
    if not every:
        raise SelectionError(
            "tables " + ", ".join(t for t, _ in tables) + " have no year-end in their time "
            "variable; expected years such as 2024"
        )
    wanted = every[-n_default:] if wanted is None else wanted
    taken: set[int] = set()
    out = []
    for years in have:
        mine = [y for y in wanted if y in years and y not in taken]
        taken.update(mine)
        out.append(mine)
    absent = [y for y in wanted if y not in taken]
    if absent:
        spans = "; ".join(
            f"{t} {min(h)}–{max(h)}" for (t, _), h in zip(tables, have, strict=True) if h
        )
        raise SelectionError(f"the population series ({spans}) lacks {', '.join(map(str, absent))}")
    return out


def _year_of(code: str) -> int | None:
    m = re.fullmatch(r"(\d{4})(M12)?", code)
    return int(m.group(1)) if m else None


def _parse_years(text: str | None) -> list[int] | None:
    """ "2014-2024", "2024", "2019,2024" or "2014-2016,2020" → sorted years; None = default."""
    if text is None or not str(text).strip():
        return None
    years: set[int] = set()
    for part in str(text).replace(" ", "").split(","):
        m = re.fullmatch(r"(\d{4})(?:[-–](\d{4}))?", part)
        if not m:
            raise SelectionError(
                f"--years: {text!r} not understood; expected e.g. 2024, 2014-2024 or 2019,2024"
            )
        a, b = int(m.group(1)), int(m.group(2) or m.group(1))
        if b < a:
            raise SelectionError(f"--years: {part!r} runs backwards")
        years.update(range(a, b + 1))
    return sorted(years)


def _population_plan(
    dims: list[_Dim], table: str, lan: list[str], years: list[int] | None, n_default: int = 11
) -> _Plan:
    """The selection for kommun × single-year age × sex × year from a table's variables."""
    by_role: dict[str, _Dim] = {}
    for d in dims:
        for role, names in _ROLE.items():
            if d.code.lower() in names and role not in by_role:
                by_role[role] = d
    missing = [r for r in ("region", "age", "sex", "time") if r not in by_role]
    if missing:
        raise SelectionError(
            f"table {table} has no {', '.join(missing)} variable (has "
            f"{', '.join(d.code for d in dims)}); expected a population table by region, age, "
            "sex and year"
        )
    region, age, sex, tid = (by_role[r] for r in ("region", "age", "sex", "time"))
    wanted = [k for c in lan for k in geo.kommun_codes(c)]
    have = set(region.codes)
    regions = [k for k in wanted if k in have]
    if not regions:
        raise SelectionError(
            f"table {table} has none of the kommuner of län {', '.join(lan)} in variable "
            f"{region.code}; expected 4-digit kommun codes"
        )
    single = [c for c in age.codes if re.fullmatch(r"\d{1,3}", c)]
    # The open top class ("100+") belongs to single-year ages; "65+" in a table of classes not.
    # From 2025 (TAB5557) the code carries its value set: "100+1" in single years.
    top = None
    if single:
        n = max(map(int, single)) + 1
        top = next((c for c in (f"{n}+1", f"{n}+") if c in age.codes), None)
    ages = [c for c in age.codes if c in single or c == top]
    if not single:
        raise SelectionError(
            f"table {table} has no single-year ages in variable {age.code} (has "
            f"{', '.join(age.codes[:4])}…); expected ages 0 … 100+"
        )
    sexes = [c for c in sex.codes if c in ("1", "2")]
    if sorted(sexes) != ["1", "2"]:
        raise SelectionError(
            f"table {table} does not give men and women apart in {sex.code} (codes 1 and 2)"
        )
    year_of: dict[str, int] = {}
    for c in tid.codes:
        y = _year_of(c)
        if y is not None and y not in year_of.values():
            year_of[c] = y
    if not year_of:
        raise SelectionError(
            f"table {table} has no year-end in {tid.code} (has {', '.join(tid.codes[:3])}…); "
            "expected years such as 2024 or months such as 2024M12"
        )
    available = sorted(year_of.values())
    if years is None:
        chosen = available[-n_default:]
    else:
        absent = [y for y in years if y not in available]
        if absent:
            gaps = len(available) != available[-1] - available[0] + 1
            raise SelectionError(
                f"table {table} has years {available[0]}–{available[-1]}"
                + (" (not all in between)" if gaps else "")
                + f"; {', '.join(map(str, absent))} not there"
            )
        chosen = years
    tids = [c for c, y in year_of.items() if y in chosen]
    selection: dict[str, list[str]] = {}
    omitted = []
    for d in dims:
        if d is region:
            selection[d.code] = regions
        elif d is age:
            selection[d.code] = ages
        elif d is sex:
            selection[d.code] = sexes
        elif d is tid:
            selection[d.code] = tids
        elif d.code.lower() in _ROLE["contents"]:
            selection[d.code] = [_population_contents(d, table)]
        elif d.elimination:
            omitted.append(d.code)  # summed by the API (civilstånd …)
        elif len(d.codes) == 1:
            selection[d.code] = list(d.codes)
        elif total := _total_code(d):
            selection[d.code] = [total]
        elif _CIVIL.fullmatch(d.code):
            # TAB5557 cannot leave civilstånd out and has no total: every value is fetched
            # and the reader sums them.
            selection[d.code] = list(d.codes)
            omitted.append(d.code)
        else:
            raise SelectionError(
                f"table {table}: variable {d.code} ({d.label}) cannot be left out and has "
                f"{len(d.codes)} values; expected a population table by region, age, sex and year"
            )
    lan_used = sorted({k[:2] for k in regions})
    return _Plan(selection, region.code, tid.code, year_of, lan_used, omitted)


def _total_code(d: _Dim) -> str | None:
    """The "totalt" value of a variable the API will not sum for us, if it has one."""
    for c in d.codes:
        if c.lower() in ("tot", "totsa", "totalt", "total") or d.labels.get(
            c, ""
        ).lower().startswith("totalt"):
            return c
    return None


def _population_contents(d: _Dim, table: str) -> str:
    if len(d.codes) == 1:
        return d.codes[0]
    for c in d.codes:
        if re.match(r"folkmängd(?!.*förändr)", d.labels.get(c, ""), re.IGNORECASE):
            return c
    raise SelectionError(
        f"table {table}: no 'Folkmängd' among the contents "
        + ", ".join(f"{c} ({d.labels.get(c, '')})" for c in d.codes)
    )


def _chunks(plan: _Plan, max_cells: int) -> list[dict[str, list[str]]]:
    """Split the selection so no request asks for more than ``max_cells`` cells.

    Whole years go together while they fit; otherwise one year at a time with the kommuner
    packed by län (a län is split only if it alone is too large).
    """
    sel = plan.selection
    other = 1
    for k, v in sel.items():
        if k not in (plan.region, plan.time):
            other *= len(v)
    regions, tids = sel[plan.region], sel[plan.time]
    if other > max_cells:
        raise FetchError(
            f"one kommun and year is {other} cells, more than the API allows ({max_cells})"
        )
    per_year = len(regions) * other
    out = []
    if per_year <= max_cells:
        step = max(1, max_cells // per_year)
        for i in range(0, len(tids), step):
            out.append({**sel, plan.time: tids[i : i + step]})
        return out
    cap = max_cells // other
    groups: list[list[str]] = []
    current: list[str] = []
    for lan in sorted({k[:2] for k in regions}):
        members = [k for k in regions if k[:2] == lan]
        while len(members) > cap:  # a län too large alone
            if current:
                groups.append(current)
                current = []
            groups.append(members[:cap])
            members = members[cap:]
        if len(current) + len(members) > cap:
            groups.append(current)
            current = []
        current = current + members
    if current:
        groups.append(current)
    for t in tids:
        for g in groups:
            out.append({**sel, plan.region: g, plan.time: [t]})
    return out


def _years_label(years: Sequence[int]) -> str:
    years = sorted(set(years))
    if len(years) == 1:
        return str(years[0])
    if years == list(range(years[0], years[-1] + 1)):
        return f"{years[0]}-{years[-1]}"
    return "_".join(map(str, years))


def _lan_label(lan: Sequence[str]) -> str:
    return "riket" if list(lan) == geo.lan_codes() else "lan" + "-".join(lan)


def _summary(sel: dict[str, list[str]], plan: _Plan) -> str:
    parts = []
    for k, v in sel.items():
        if k == plan.region:
            parts.append(f"{k}: {len(v)} kommuner")
        elif k == plan.time:
            parts.append(f"{k}: {', '.join(v)}" if len(v) <= 4 else f"{k}: {v[0]}…{v[-1]}")
        elif len(v) > 4:
            parts.append(f"{k}: {v[0]}…{v[-1]} ({len(v)})")
        else:
            parts.append(f"{k}: {', '.join(v)}")
    if plan.omitted:
        parts.append("summerat över " + ", ".join(plan.omitted))
    return "; ".join(parts)


def _check_population(path: Path, sel: dict[str, list[str]], plan: _Plan, url: str) -> int:
    """Read a staged answer with the kit's reader; it must hold what was asked for."""
    from lansanalys.errors import InputError
    from lansanalys.sources.befolkning import read_befolkning

    try:
        df = read_befolkning(path)
    except InputError as exc:
        problem = str(exc).split(": ", 1)[-1]
        raise FetchError(
            f"the answer from {url} is not usable population data: {_one_line(problem, 200)}"
        ) from None
    lacking = sorted(set(sel[plan.region]) - set(df["kommun_kod"]))
    years = {plan.year_of[t] for t in sel[plan.time]}
    lacking_years = sorted(years - set(df["year"]))
    if lacking or lacking_years:
        what = (
            f"kommun(er) {', '.join(lacking[:5])}" + ("…" if len(lacking) > 5 else "")
            if lacking
            else f"year(s) {', '.join(map(str, lacking_years))}"
        )
        raise FetchError(f"the answer from {url} lacks {what} that were asked for")
    return len(df)


def _stage_table(
    http: Http,
    stage: _Stage,
    api: str,
    rate: RateLimit,
    limit: int,
    tid: str,
    data_url: str,
    source: str,
    slug: str,
    plan: _Plan,
) -> None:
    """Download one table's selection in chunks, check each answer and stage it as a file."""
    answers = []
    for sel in _chunks(plan, limit):
        if api == "v2":
            body_json = {
                "selection": [{"variableCode": k, "valueCodes": v} for k, v in sel.items()]
            }
            ans = http.post(
                data_url,
                params={"lang": "sv", "outputFormat": "json-stat2"},
                json_body=body_json,
                before_send=rate.wait,
            )
        else:
            body_json = {
                "query": [
                    {"code": k, "selection": {"filter": "item", "values": v}}
                    for k, v in sel.items()
                ],
                "response": {"format": "json-stat2"},
            }
            ans = http.post(data_url, json_body=body_json, before_send=rate.wait)
        answers.append((sel, ans))
    # Name the files; chunks of one year split over län groups get a part number.
    per_years: dict[str, int] = {}
    for sel, _ in answers:
        key = _years_label([plan.year_of[t] for t in sel[plan.time]])
        per_years[key] = per_years.get(key, 0) + 1
    seen: dict[str, int] = {}
    for sel, ans in answers:
        ys = [plan.year_of[t] for t in sel[plan.time]]
        file_lan = sorted({k[:2] for k in sel[plan.region]})
        key = _years_label(ys)
        name = f"scb_{slug}_{_lan_label(plan.lan)}_{key}"
        if per_years[key] > 1:
            seen[key] = seen.get(key, 0) + 1
            name += f"_del{seen[key]}av{per_years[key]}"
        name = re.sub(r"[^A-Za-z0-9._-]", "_", name) + ".json"
        tmp = stage.path(name)
        shutil.copyfile(ans.path, tmp)
        rows = _check_population(tmp, sel, plan, ans.url)
        entry = {
            "kind": "befolkning",
            "demo": False,
            "source": source,
            "url": ans.url,
            "table": tid,
            "query": _summary(sel, plan),
            "year": max(ys),
            "years": sorted(ys),
            "lan": file_lan,
            "retrieved": ans.retrieved.date().isoformat(),
            "licence": SCB_LICENCE,
            "fetched_by": "lansanalys fetch befolkning",
        }
        stage.add(tmp, name, entry, rows, ans.from_cache)


def fetch_befolkning(
    p: Paths | None = None,
    *,
    api: str = "v2",
    years: str | Sequence[int] | None = None,
    lan: Iterable[str] | None = None,
    table: str | None = None,
    base_url: str | None = None,
    options: Options | None = None,
    max_cells: int | None = None,
) -> Result:
    """Fetch population by kommun × age (0…100+) × sex × year from SCB into data/raw/befolkning.

    Parameters
    ----------
    api : {"v2", "v1"}
        PxWebApi 2.0 (``/tables/{table}/metadata`` then POSTs to ``/tables/{table}/data`` with
        ``outputFormat=json-stat2``) or the v1 API (GET on the table for its variables, then
        POST a query with ``"response": {"format": "json-stat2"}``).
    years : "2014-2024", "2024", a list of years, or None for the latest 11 years of the
        series (or of the table given).
    lan : län codes; None for all 21 (the build needs every kommun for the comparison with
        riket).
    table : table id (v2) or path (v1, default :data:`PXWEB_V1_TABLE`). Default (v2): the whole
        series, :data:`PXWEB_V2_SERIES` joined, each year from the first table that has it
        (TAB638 to 2024, TAB5557 from 2025; files named by table). Any table by region, age,
        sex and year works; variables the API may leave out (civilstånd) are summed by it, and
        civilstånd that cannot be left out (TAB5557) is fetched whole and summed by the
        reader.
    base_url : the API root; default the environment variable (:data:`lansanalys.config.URL_ENVS`) or SCB's.
    max_cells : cells per request at most; default the API's ``maxDataCells`` (v2) or
        :data:`PXWEB_V1_MAX_CELLS` (v1).

    One JSON-stat 2 file per request is written (named by table, län and years), after every
    answer has been read by :func:`lansanalys.sources.befolkning.read_befolkning`. Earlier fetched files
    covering the same län and years are replaced.
    """
    p = p or paths()
    options = options or Options()
    http = Http(p.raw / CACHE_DIR, options, DEFAULT_TIMEOUTS["befolkning"])
    stage = _Stage(p.raw_kind("befolkning"))

    def body() -> Result:
        if api not in ("v1", "v2"):
            raise SelectionError(f"--api: expected v2 or v1, not {api!r}")
        lan_codes = _lan_list(lan)
        if isinstance(years, str) or years is None:
            wanted_years = _parse_years(years)
        else:
            wanted_years = sorted({int(y) for y in years})
        # One entry per table: (table id, data URL, source text, file slug, plan).
        jobs: list[tuple[str, str, str, str, _Plan]] = []
        if api == "v2":
            base = _base("pxweb_v2", base_url, PXWEB_V2_URL)
            cfg = http.get(f"{base}/config").json()
            if not isinstance(cfg, dict):
                raise FetchError(f"the answer from {base}/config is not a PxWebApi 2 config")
            limit = int(cfg.get("maxDataCells") or 150_000)
            rate = RateLimit(cfg.get("maxCallsPerTimeWindow") or 0, cfg.get("timeWindow") or 0)
            tables = [table] if table else list(PXWEB_V2_SERIES)
            metas = []
            for tid in tables:
                meta_url = f"{base}/tables/{tid}/metadata"
                title, dims = _dims_v2(
                    http.get(meta_url, params={"lang": "sv"}, before_send=rate.wait).json(),
                    meta_url,
                )
                metas.append((tid, title, dims))
            if table:  # one table, as asked: its own years
                split = [wanted_years]
            else:  # the series: each year from the first table that has it
                split = _split_years([(t, d) for t, _, d in metas], wanted_years)
            for (tid, title, dims), ys in zip(metas, split, strict=True):
                if ys is not None and not ys:
                    continue  # a table of the series with none of the years asked for
                source = f"SCB Statistikdatabasen (PxWebApi 2.0), tabell {tid}: {title}".rstrip(
                    ": "
                )
                plan = _population_plan(dims, tid, lan_codes, ys)
                jobs.append((tid, f"{base}/tables/{tid}/data", source, tid, plan))
        else:
            base = _base("pxweb_v1", base_url, PXWEB_V1_URL)
            tid = (table or PXWEB_V1_TABLE).strip("/")
            data_url = f"{base}/{tid}"
            rate = RateLimit(*PXWEB_V1_RATE)
            title, dims = _dims_v1(http.get(data_url, before_send=rate.wait).json(), data_url)
            limit = PXWEB_V1_MAX_CELLS
            source = f"SCB Statistikdatabasen (PxWeb API v1), {tid.split('/')[-1]}: {title}"
            plan = _population_plan(dims, tid, lan_codes, wanted_years)
            jobs.append((tid, data_url, source, tid.split("/")[-1], plan))
        limit = min(limit, max_cells) if max_cells else limit
        for tid, data_url, source, slug, plan in jobs:
            _stage_table(http, stage, api, rate, limit, tid, data_url, source, slug, plan)
        plans = [job[-1] for job in jobs]
        new_lan = {c for pl in plans for c in pl.lan}
        new_years = {pl.year_of[t] for pl in plans for t in pl.selection[pl.time]}

        def supersedes(rel: str, e: dict[str, Any]) -> bool:
            return (
                e.get("fetched_by") == "lansanalys fetch befolkning"
                and rel.startswith("befolkning/")
                and bool(new_lan & set(map(str, e.get("lan") or [])))
                and bool(new_years & {int(y) for y in e.get("years") or []})
            )

        from lansanalys.sources.befolkning import CKM_FIRST_YEAR

        result = stage.commit(p, supersedes)
        _note_others(p, "befolkning", result)
        if any(y >= CKM_FIRST_YEAR for y in new_years):
            result.notes.append(
                f"from {CKM_FIRST_YEAR} SCB adds Cell Key Method noise to every value "
                "(TAB5557): parts need not add up to totals; the build tolerates it"
            )
        if api == "v1" and not table and max(new_years) < CKM_FIRST_YEAR:
            result.notes.append(
                f"the v1 table ends before {CKM_FIRST_YEAR}; later years are in "
                f"{PXWEB_V2_CKM_TABLE}, which the default --api v2 joins to the series"
            )
        if new_lan != set(geo.lan_codes()):
            result.notes.append(
                "only some län fetched: the build needs every kommun of the latest year "
                "(fetch the others, or all with no --lan)"
            )
        return result

    return _run(http, stage, body)


# --------------------------------------------------------------------------------------------
# service and vagnat: OpenStreetMap through the Overpass API


def _iso(lan: str) -> str:
    return LAN_ISO[geo.check_lan(lan)]


#: Default buffer (km) around the län for ``fetch service``: the län's border cells find their
#: nearest point across the border (Pipos searches nationally); no Swedish grid cell is further
#: than this from a grocery store.
SERVICE_BUFFER_KM = 50.0
#: Tolerance (m) to which the buffered area is simplified before it goes into the query.
_AREA_TOLERANCE_M = 1_000.0


def service_area(lan: str, buffer_km: float = SERVICE_BUFFER_KM) -> list[list[tuple[float, float]]]:
    """The län and ``buffer_km`` around it, as WGS 84 rings of ``(lat, lon)`` for Overpass.

    The buffer is taken in SWEREF 99 TM and simplified to 1 km (the area grows by at most that
    much); each part of a multipart area is one ring (exterior only).
    """
    from pyproj import Transformer
    from shapely.geometry import MultiPolygon

    if not buffer_km >= 0:
        raise SelectionError(f"the buffer must be 0 km or more (got {buffer_km!r})")
    gdf = geo.lan_geometry()
    shape = gdf.loc[gdf["lan_kod"] == geo.check_lan(lan), "geometry"].iloc[0]
    # Buffer by the tolerance more, so that simplifying never cuts into the asked-for buffer.
    area = shape.buffer(buffer_km * 1000 + _AREA_TOLERANCE_M).simplify(_AREA_TOLERANCE_M)
    parts = list(area.geoms) if isinstance(area, MultiPolygon) else [area]
    to_wgs = Transformer.from_crs("EPSG:3006", "EPSG:4326", always_xy=True)
    rings = []
    for part in parts:
        x, y = part.exterior.coords.xy
        lon, lat = to_wgs.transform(list(x), list(y))
        rings.append([(round(a, 5), round(o, 5)) for a, o in zip(lat, lon, strict=True)])
    return rings


def overpass_service_query(
    lan: str, timeout: int = 300, buffer_km: float = SERVICE_BUFFER_KM
) -> str:
    """Overpass QL for the service points of a län (nodes, ways, relations; ``out center``).

    With ``buffer_km`` > 0 the points within that distance around the län are asked for too
    (a ``poly`` filter of :func:`service_area`), inside Sweden only (the build places every
    point in a Swedish kommun); with 0, the län's own area.
    """
    head = f"[out:json][timeout:{int(timeout)}];"
    if buffer_km == 0:
        return "\n".join(
            [
                head,
                f'area["ISO3166-2"="{_iso(lan)}"]["admin_level"="4"]->.lan;',
                "(",
                *(f"  nwr{f}(area.lan);" for f in OVERPASS_SERVICE_FILTERS),
                ");",
                "out center;",
            ]
        )
    polys = [
        'poly:"' + " ".join(f"{a:.5f} {o:.5f}" for a, o in ring) + '"'
        for ring in service_area(lan, buffer_km)
    ]
    return "\n".join(
        [
            head,
            f"/* {geo.lan_name(lan)} ({_iso(lan)}) and {buffer_km:g} km around it, in Sweden */",
            'area["ISO3166-1"="SE"]["admin_level"="2"]->.se;',
            "(",
            *(f"  nwr{f}({poly})(area.se);" for poly in polys for f in OVERPASS_SERVICE_FILTERS),
            ");",
            "out center;",
        ]
    )


def overpass_roads_query(lan: str, timeout: int = 900) -> str:
    """Overpass QL for the roads of a län with their geometry (``out geom``)."""
    types = "|".join(OVERPASS_ROAD_TYPES)
    return "\n".join(
        [
            f"[out:json][timeout:{int(timeout)}][maxsize:2147483648];",
            f'area["ISO3166-2"="{_iso(lan)}"]["admin_level"="4"]->.lan;',
            f'way["highway"~"^({types})$"](area.lan);',
            "out geom;",
        ]
    )


def _overpass_doc(ans: Answer, what: str) -> dict:
    doc = ans.json()
    if not isinstance(doc, dict) or not isinstance(doc.get("elements"), list):
        raise FetchError(f"the answer from {ans.url} is not an Overpass JSON answer ({what})")
    remark = str(doc.get("remark", ""))
    if re.search(r"error|timed out|out of memory", remark, re.IGNORECASE):
        raise FetchError(
            f"the Overpass answer for {what} is incomplete: {_one_line(remark, 160)} (try a "
            "larger --timeout, or later)"
        )
    return doc


def _fetch_overpass(
    p: Paths,
    kind: str,
    lan: Iterable[str],
    build_query: Callable[[str, int], str],
    check: Callable[[Path, Answer, str], int],
    what: str,
    base_url: str | None,
    options: Options | None,
    extra: Callable[[str], dict[str, Any]] | None = None,
) -> Result:
    options = options or Options()
    url = _base("overpass", base_url, OVERPASS_URL)
    http = Http(p.raw / CACHE_DIR, options, DEFAULT_TIMEOUTS[kind])
    # The server's own limit; the client waits a little longer for the answer to arrive.
    server_timeout = max(int(http.timeout), 1)
    http.timeout = float(server_timeout + 30)
    stage = _Stage(p.raw_kind(kind))

    def body() -> Result:
        codes = [geo.check_lan(c) for c in lan]
        if not codes:
            raise SelectionError("give at least one län, e.g. --lan 08")
        answers = []
        for code in dict.fromkeys(codes):
            query = build_query(code, server_timeout)
            answers.append((code, query, http.post(url, form={"data": query})))
        for code, query, ans in answers:
            name = f"osm_{kind}_{code}.json"
            tmp = stage.path(name)
            shutil.copyfile(ans.path, tmp)
            rows = check(tmp, ans, f"{what} in {geo.lan_name(code)}")
            entry = {
                "kind": kind,
                "demo": False,
                "source": f"OpenStreetMap via Overpass API: {what} i {geo.lan_name(code)} "
                f"({LAN_ISO[code]})",
                "url": url,
                "table": "",
                "query": query,
                "year": ans.retrieved.year,
                "lan": [code],
                "retrieved": ans.retrieved.date().isoformat(),
                "licence": OSM_LICENCE,
                "fetched_by": f"lansanalys fetch {kind}",
                **(extra(code) if extra else {}),
            }
            stage.add(tmp, name, entry, rows, ans.from_cache)
        result = stage.commit(p, lambda rel, e: False)
        _note_others(p, kind, result)
        return result

    return _run(http, stage, body)


def _check_service(path: Path, ans: Answer, what: str) -> int:
    from lansanalys.errors import InputError
    from lansanalys.sources.service import read_service

    _overpass_doc(ans, what)
    try:
        return len(read_service(path))
    except InputError as exc:
        problem = str(exc).split(": ", 1)[-1]
        raise FetchError(
            f"the Overpass answer for {what} is not usable: {_one_line(problem, 160)}"
        ) from None


def _check_roads(path: Path, ans: Answer, what: str) -> int:
    doc = _overpass_doc(ans, what)
    ways = [
        el
        for el in doc["elements"]
        if isinstance(el, dict) and el.get("type") == "way" and isinstance(el.get("geometry"), list)
    ]
    if not ways:
        raise FetchError(
            f"the Overpass answer for {what} holds no road with its geometry (out geom); is the "
            "län's area in OpenStreetMap?"
        )
    return len(ways)


def fetch_service(
    p: Paths | None = None,
    *,
    lan: Iterable[str],
    buffer_km: float = SERVICE_BUFFER_KM,
    base_url: str | None = None,
    options: Options | None = None,
) -> Result:
    """Fetch OSM service points of each län into ``data/raw/service/osm_service_<lan>.json``.

    The query (:func:`overpass_service_query`) asks for grocery shops, fuel, pharmacies, ATMs,
    banks, post offices and partners, and parcel lockers inside the län and ``buffer_km`` around
    it (default 50 km, in Sweden), ways and relations at their centre, so that the län's border
    cells find their nearest point across the border. The answer is stored as Overpass sent it,
    after :func:`lansanalys.sources.service.read_service` has read it. SOURCES.yml records the län as the
    file's coverage (``lan``, never the buffer zone) and the buffer (``buffer_km``): the build
    measures access only in the län covered.
    """
    if not buffer_km >= 0:
        raise SelectionError(f"--buffer-km must be 0 or more (got {buffer_km!r})")
    return _fetch_overpass(
        p or paths(),
        "service",
        lan,
        lambda code, timeout: overpass_service_query(code, timeout, buffer_km),
        _check_service,
        "serviceställen",
        base_url,
        options,
        extra=lambda code: {"buffer_km": float(buffer_km)},
    )


def fetch_vagnat(
    p: Paths | None = None,
    *,
    lan: Iterable[str],
    base_url: str | None = None,
    options: Options | None = None,
) -> Result:
    """Fetch OSM roads of each län into ``data/raw/vagnat/osm_vagnat_<lan>.json`` (``out geom``).

    Ways carry ``tags`` (``highway``, ``maxspeed`` …) and ``geometry`` (lat/lon per node), the
    format :func:`lansanalys.sources.osm.read_osm_roads` reads.
    """
    return _fetch_overpass(
        p or paths(),
        "vagnat",
        lan,
        overpass_roads_query,
        _check_roads,
        "vägnät",
        base_url,
        options,
    )


# --------------------------------------------------------------------------------------------
# rutor: SCB's open 1 km population grid

_GRID_LABELS = re.compile(
    r"rikstäckande rutnät|befolkning totalt|befolkning efter ålder|befolkning efter kön|"
    r"national grid|total population|population by age|population by sex",
    re.IGNORECASE,
)


def find_grid_link(page: str, base_url: str) -> str | None:
    """The zip link of "Befolkning totalt" on SCB's grid page, or None.

    A file name such as ``totalbefolkning_1km_241231.zip`` decides; otherwise the link whose
    nearest label before it is "Befolkning totalt" (the page lists "Rikstäckande rutnät",
    "Befolkning totalt", "… efter ålder", "… efter kön", each with a GeoPackage zip).
    """
    text = html.unescape(page)
    links = [
        (m.start(), m.group(1))
        for m in re.finditer(r"<a\b[^>]*?\bhref\s*=\s*[\"']([^\"']+)[\"']", text, re.IGNORECASE)
        if re.search(r"\.zip(?:[?#]|$)", m.group(1), re.IGNORECASE)
    ]
    for _, href in links:
        name = href.rsplit("/", 1)[-1]
        if re.search(r"totalbefolkning|befolkning_?tot|tot_?bef", name, re.IGNORECASE):
            return urljoin(base_url, href)
    labels = [(m.start(), m.group(0).lower()) for m in _GRID_LABELS.finditer(text)]
    for pos, href in links:
        before = [lab for at, lab in labels if at < pos]
        if before and before[-1] in ("befolkning totalt", "total population"):
            return urljoin(base_url, href)
    return None


def _grid_year(name: str) -> int | None:
    m = re.search(r"(?:^|[_-])(\d{2})1231(?:\D|$)", name) or re.search(r"(20\d{2})", name)
    if not m:
        return None
    y = int(m.group(1))
    return 2000 + y if y < 100 else y


def _unpack_grid(ans: Answer, stage: _Stage, url: str) -> tuple[Path, str]:
    head = ans.path.read_bytes()[:16]
    if head.startswith(b"SQLite format 3"):  # a GeoPackage given directly
        name = Path(urlsplit(url).path).name or "rutor.gpkg"
        name = re.sub(r"[^A-Za-z0-9._-]", "_", name)
        if not name.lower().endswith(".gpkg"):
            name += ".gpkg"
        tmp = stage.path(name)
        shutil.copyfile(ans.path, tmp)
        return tmp, name
    try:
        with zipfile.ZipFile(ans.path) as zf:
            members = [
                i for i in zf.infolist() if not i.is_dir() and i.filename.lower().endswith(".gpkg")
            ]
            if not members:
                raise FetchError(f"the zip from {url} holds no GeoPackage (.gpkg)")
            pick = next(
                (i for i in members if re.search(r"befolk|tot|pop", i.filename, re.I)),
                members[0],
            )
            if pick.file_size > 8 << 30:
                raise FetchError(f"the GeoPackage in {url} claims {pick.file_size} bytes; refused")
            name = re.sub(r"[^A-Za-z0-9._-]", "_", Path(pick.filename).name)
            tmp = stage.path(name)
            with zf.open(pick) as src, open(tmp, "wb") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
            return tmp, name
    except zipfile.BadZipFile:
        raise FetchError(
            f"the answer from {url} is neither a zip nor a GeoPackage; pass the link to the "
            "GeoPackage (zip) with --url"
        ) from None


def fetch_rutor(
    p: Paths | None = None,
    *,
    url: str | None = None,
    page_url: str = GRID_PAGE_URL,
    options: Options | None = None,
) -> Result:
    """Fetch SCB's open 1 km population grid (GeoPackage in a zip) into ``data/raw/rutor/``.

    ``url`` (or ``LANSANALYS_GRID_URL``) is the zip, a GeoPackage, or a page linking it; by
    default the link to "Befolkning totalt" is looked up on :data:`GRID_PAGE_URL`, since SCB's
    file addresses change with each yearly release. The GeoPackage is read by
    :func:`lansanalys.sources.rutor.read_rutor` before it is written; an earlier fetched grid is
    replaced.
    """
    p = p or paths()
    options = options or Options()
    given = url or url_override("grid") or page_url
    http = Http(p.raw / CACHE_DIR, options, DEFAULT_TIMEOUTS["rutor"])
    stage = _Stage(p.raw_kind("rutor"))

    def body() -> Result:
        from lansanalys.errors import InputError
        from lansanalys.sources.rutor import read_rutor

        ans = http.get(given)
        zip_url, page = given, ""
        if "html" in ans.content_type.lower() or ans.path.read_bytes()[:64].lstrip()[:1] == b"<":
            page = given
            link = find_grid_link(ans.text(), ans.url)
            if link is None:
                raise FetchError(
                    f"no GeoPackage link for 'Befolkning totalt' found on {given}; pass the "
                    "zip's address with --url (or LANSANALYS_GRID_URL)"
                )
            zip_url = link
            ans = http.get(zip_url)
        tmp, name = _unpack_grid(ans, stage, zip_url)
        try:
            rows = len(read_rutor(tmp))
        except InputError as exc:
            problem = str(exc).split(": ", 1)[-1]
            raise FetchError(
                f"the grid from {zip_url} is not usable: {_one_line(problem, 160)}"
            ) from None
        entry = {
            "kind": "rutor",
            "demo": False,
            "source": "SCB öppna geodata: befolkning per kilometerruta (GeoPackage)",
            "url": zip_url,
            "page": page,
            "table": "",
            "year": _grid_year(name),
            "retrieved": ans.retrieved.date().isoformat(),
            "licence": SCB_LICENCE,
            "fetched_by": "lansanalys fetch rutor",
        }
        stage.add(tmp, name, entry, rows, ans.from_cache)
        result = stage.commit(
            p,
            lambda rel, e: (
                e.get("fetched_by") == "lansanalys fetch rutor" and rel.startswith("rutor/")
            ),
        )
        _note_others(p, "rutor", result)
        return result

    return _run(http, stage, body)
