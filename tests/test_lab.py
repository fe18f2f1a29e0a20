"""An analyst can work with the kit in a real JupyterLab.

Starts ``jupyter-lab`` from this environment in a subprocess (no mocks), then proves over HTTP and
the kernel websocket that: the Lab UI is served, the report notebooks open with their papermill
parameters cell, the ``python3`` kernel spec is available, and a kernel started by the server can
import ``lansanalys`` and print Swedish-formatted output. The server is always stopped afterwards.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
import websocket

pytestmark = pytest.mark.timeout(240)

REPO = Path(__file__).resolve().parents[1]
STARTUP_TIMEOUT = 60.0
EXECUTE_TIMEOUT = 90.0
KIT_CODE = 'import lansanalys as la\nprint(la.geo.lan_name("08"), la.fmt.number(245446))'


@dataclass(frozen=True)
class LabServer:
    """A running JupyterLab server and how to reach it."""

    port: int
    token: str
    process: subprocess.Popen[bytes]
    stderr_log: Path

    def url(self, path: str, scheme: str = "http") -> str:
        sep = "&" if "?" in path else "?"
        return f"{scheme}://127.0.0.1:{self.port}{path}{sep}token={self.token}"


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _lab_command() -> list[str]:
    exe = Path(sys.executable).parent / "jupyter-lab"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "jupyterlab"]


def _request(method: str, url: str, payload: dict[str, Any] | None = None) -> Response:
    """One HTTP request with the standard library; HTTP errors come back as a Response too."""
    data = None if payload is None else json.dumps(payload).encode("utf-8")
    req = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return Response(resp.status, resp.read())
    except urllib.error.HTTPError as err:
        return Response(err.code, err.read())


def _stderr_tail(server: LabServer, chars: int = 4000) -> str:
    try:
        return server.stderr_log.read_text(encoding="utf-8", errors="replace")[-chars:]
    except OSError:
        return "<no stderr log>"


def _wait_until_up(server: LabServer) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            pytest.fail(
                f"jupyter-lab exited with {server.process.returncode} during startup:\n"
                f"{_stderr_tail(server)}"
            )
        try:
            if _request("GET", server.url("/api/status")).status == 200:
                return
        except OSError:
            pass  # not listening yet
        time.sleep(0.5)
    pytest.fail(f"jupyter-lab not up after {STARTUP_TIMEOUT:.0f} s:\n{_stderr_tail(server)}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabServer]:
    """A real JupyterLab rooted at the repo, with private runtime and config dirs."""
    tmp = tmp_path_factory.mktemp("lab")
    env = dict(os.environ)
    env["JUPYTER_RUNTIME_DIR"] = str(tmp / "runtime")
    env["JUPYTER_CONFIG_DIR"] = str(tmp / "config")
    port = _free_port()
    token = secrets.token_hex(24)
    cmd = [
        *_lab_command(),
        "--no-browser",
        f"--port={port}",
        "--ip=127.0.0.1",
        f"--ServerApp.token={token}",
        f"--ServerApp.root_dir={REPO}",
        "--ServerApp.open_browser=False",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")  # containers/CI often run as root; the server refuses otherwise
    stdout_log, stderr_log = tmp / "stdout.log", tmp / "stderr.log"
    with open(stdout_log, "wb") as out, open(stderr_log, "wb") as err:
        process = subprocess.Popen(
            cmd, cwd=REPO, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=err
        )
    server = LabServer(port=port, token=token, process=process, stderr_log=stderr_log)
    try:
        _wait_until_up(server)
        yield server
    finally:
        _stop(process)


def _execute_request(code: str, session: str) -> dict[str, Any]:
    return {
        "header": {
            "msg_id": uuid.uuid4().hex,
            "username": "analytiker",
            "session": session,
            "msg_type": "execute_request",
            "version": "5.3",
            "date": datetime.now(timezone.utc).isoformat(),
        },
        "parent_header": {},
        "metadata": {},
        "content": {
            "code": code,
            "silent": False,
            "store_history": False,
            "user_expressions": {},
            "allow_stdin": False,
            "stop_on_error": True,
        },
        "channel": "shell",
    }


def _run_code(ws: websocket.WebSocket, code: str) -> tuple[str, dict[str, Any]]:
    """Execute code on the kernel; return its collected stdout and the execute_reply content."""
    request = _execute_request(code, session=uuid.uuid4().hex)
    msg_id = request["header"]["msg_id"]
    ws.send(json.dumps(request))
    stdout: list[str] = []
    errors: list[str] = []
    reply: dict[str, Any] | None = None
    idle = False
    deadline = time.monotonic() + EXECUTE_TIMEOUT
    while time.monotonic() < deadline and not (reply is not None and idle):
        msg = json.loads(ws.recv())
        if msg.get("parent_header", {}).get("msg_id") != msg_id:
            continue
        msg_type, content = msg["msg_type"], msg["content"]
        if msg_type == "stream" and content["name"] == "stdout":
            stdout.append(content["text"])
        elif msg_type == "error":
            errors.append("\n".join(content.get("traceback", [])))
        elif msg_type == "execute_reply":
            reply = content
        elif msg_type == "status" and content["execution_state"] == "idle":
            idle = True  # all iopub output for the request has been sent
    assert reply is not None, f"no execute_reply within {EXECUTE_TIMEOUT:.0f} s; errors: {errors}"
    assert idle, "kernel never went idle after the request"
    assert not errors, "\n".join(errors)
    return "".join(stdout), reply


def test_lab_ui_is_served(lab: LabServer) -> None:
    resp = _request("GET", lab.url("/lab"))
    assert resp.status == 200
    assert "JupyterLab" in resp.text


def test_report_notebook_opens_with_parameters_cell(lab: LabServer) -> None:
    resp = _request("GET", lab.url("/api/contents/notebooks/lansrapport.ipynb"))
    assert resp.status == 200
    model = resp.json()
    assert model["type"] == "notebook"
    params = next(
        cell
        for cell in model["content"]["cells"]
        if cell["cell_type"] == "code" and "parameters" in cell["metadata"].get("tags", [])
    )
    source = params["source"]
    source = "".join(source) if isinstance(source, list) else source
    assert 'lan_kod = "08"' in source


def test_python3_kernelspec_is_available(lab: LabServer) -> None:
    resp = _request("GET", lab.url("/api/kernelspecs"))
    assert resp.status == 200
    assert "python3" in resp.json()["kernelspecs"]


def test_kernel_runs_the_kit(lab: LabServer) -> None:
    resp = _request("POST", lab.url("/api/kernels"), {"name": "python3"})
    assert resp.status == 201, resp.text
    kernel_id = resp.json()["id"]
    deleted = False
    try:
        ws = websocket.create_connection(
            lab.url(f"/api/kernels/{kernel_id}/channels", scheme="ws"), timeout=60
        )
        try:
            stdout, reply = _run_code(ws, KIT_CODE)
        finally:
            ws.close()
        assert stdout == "Kalmar län 245 446\n"
        assert reply["status"] == "ok", reply

        resp = _request("DELETE", lab.url(f"/api/kernels/{kernel_id}"))
        deleted = True
        assert resp.status == 204, resp.text
    finally:
        if not deleted:
            _request("DELETE", lab.url(f"/api/kernels/{kernel_id}"))
