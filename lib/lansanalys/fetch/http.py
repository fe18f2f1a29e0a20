"""The one HTTP layer of every download, on :mod:`requests`: connect and read timeouts and a time
limit per download; retries with exponential backoff on connection errors, read timeouts and
HTTP 429/500/502/503/504, honouring ``Retry-After``; a rate limit; and an on-disk cache under
``data/raw/.cache/fetch/`` (key: sha256 of method, URL and body), used for ``cache_days`` unless
``refresh`` is set. :class:`Options` are the settings a fetch command takes.
"""

from __future__ import annotations

import hashlib
import html
import inspect
import json
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from lansanalys.errors import FetchError, NetworkError
from lansanalys.util import atomic_write_text

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
