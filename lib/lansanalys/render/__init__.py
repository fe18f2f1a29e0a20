"""Batch rendering: papermill per report in worker processes, then offline HTML via nbconvert.

- Kernels talk over Unix-domain (IPC) sockets instead of TCP ports, so parallel kernel starts
  cannot race for the same port ("address already in use").
- A failing report never stops the batch: the batch finishes, lists failures and the executed
  notebook to inspect, keeps the previous good HTML, and the CLI exits non-zero.
- Outputs are written atomically; a report whose notebook, parameters, processed data, library
  and template are unchanged is skipped (``force=True`` renders anyway). ``reports/manifest.json``
  records parameters, input digests, versions, duration and outcome per report.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import resource
import shutil
import signal
import sys
import tempfile
import threading
import time
import traceback
import uuid
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from importlib.metadata import version
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from jupyter_client.manager import AsyncKernelManager
from tqdm import tqdm
from traitlets import CaselessStrEnum, default

from lansanalys import catalogue, geo
from lansanalys.config import (
    DOWNLOADS_ENV,
    DOWNLOADS_HREF_ENV,
    HOME_ENV,
    LINKABLE_ENV,
    NOTEBOOK_DIR,
    RENDER_ENV,
    TEMPLATE_DIR,
    Paths,
    chromium_override,
    paths,
)
from lansanalys.render.search import SEARCH_INDEX, write_search_index
from lansanalys.report import downloads
from lansanalys.util import atomic_path, atomic_write_text, library_digest

MANIFEST = "manifest.json"
EXECUTED_DIR = "_executed"
ASSETS_DIR = "assets"
DOWNLOADS_DIR = "downloads"


class IpcKernelManager(AsyncKernelManager):
    """Kernel manager whose kernels talk over Unix sockets with a unique prefix (no TCP ports).

    jupyter_client's default IPC prefix is the relative name ``kernel-ipc``: two kernels started
    in the same folder would share sockets. Each kernel here gets its own prefix in the temp dir.
    """

    transport = CaselessStrEnum(["tcp", "ipc"], default_value="ipc", config=True)

    @default("ip")
    def _unique_ipc_prefix(self) -> str:
        return str(Path(tempfile.gettempdir()) / f"lansanalys-{uuid.uuid4().hex[:16]}")


@dataclass(frozen=True)
class Job:
    """One report to render."""

    notebook: str  # file name in notebooks/
    parameters: dict[str, Any]
    output: str  # file name of the HTML in the output folder
    title: str

    @property
    def name(self) -> str:
        return Path(self.output).stem


@dataclass
class Outcome:
    job: Job
    status: str  # rendered | skipped | failed
    seconds: float = 0.0
    error: str = ""
    executed: str = ""
    peak_rss_mb: float = 0.0
    digest: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


# --------------------------------------------------------------------------------------------
# Jobs


def lan_job(lan_kod: str) -> Job:
    """The län report job for ``lan_kod`` (validated: nothing else reaches a file name)."""
    code = geo.check_lan(lan_kod)
    return Job(
        "lansrapport.ipynb",
        {"lan_kod": code},
        f"{geo.lan_slug(code)}.html",
        f"{geo.lan_name(code)} – Länsanalys",
    )


def kommun_job(kommun_kod: str) -> Job:
    """The kommun deep-dive job for ``kommun_kod`` (validated)."""
    code = geo.check_kommun(kommun_kod)
    return Job(
        "kommunrapport.ipynb",
        {"kommun_kod": code},
        f"{geo.kommun_slug(code)}.html",
        f"{geo.kommun_name(code)} – kommunprofil",
    )


def index_job() -> Job:
    return Job("riksoversikt.ipynb", {}, "index.html", "Länsanalys – riksöversikt")


def default_jobs(
    lan_codes: list[str] | None = None, index: bool = True, kommun_codes: list[str] | None = None
) -> list[Job]:
    """Index, län reports (default all 21) and kommun reports (default none)."""
    codes = geo.lan_codes() if lan_codes is None else lan_codes
    jobs = [lan_job(c) for c in codes] + [kommun_job(c) for c in (kommun_codes or [])]
    return ([index_job()] if index else []) + jobs


# --------------------------------------------------------------------------------------------
# Digests for incremental rendering


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def data_digest(p: Paths) -> str:
    """Digest of the processed tables (their build's input digest)."""
    m = catalogue.read_meta(p)
    return m.get("inputs_digest") or _sha(json.dumps(m, sort_keys=True).encode())


def job_digest(
    job: Job, lib: str, data: str, self_contained: bool, linkable: tuple[str, ...] = ()
) -> str:
    nb = (NOTEBOOK_DIR / job.notebook).read_bytes()
    payload = json.dumps(
        {
            "linkable": _sha("\n".join(linkable).encode()),
            "nb": _sha(nb),
            "params": job.parameters,
            "lib": lib,
            "data": data,
            "self_contained": self_contained,
        },
        sort_keys=True,
    )
    return _sha(payload.encode())


# --------------------------------------------------------------------------------------------
# One report (runs in a worker process)


def _html_exporter(self_contained: bool, plotly_js: str | None):
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import TagRemovePreprocessor

    exporter = HTMLExporter(template_name="lansanalys", extra_template_basedirs=[str(TEMPLATE_DIR)])
    exporter.exclude_input = True
    exporter.exclude_input_prompt = True
    exporter.exclude_output_prompt = True
    exporter.language_code = "sv"
    exporter.register_preprocessor(
        TagRemovePreprocessor(remove_cell_tags={"injected-parameters", "parameters"}), enabled=True
    )
    exporter.register_preprocessor(DropStderr(), enabled=True)
    return exporter


def _drop_stderr(nb):
    """Remove stderr streams (warnings, logging) from a notebook about to become a report.

    They stay in the executed notebook under ``_executed/`` for whoever debugs the report, and the
    render tests fail on any: a warning is a bug to fix, not text for a board member.
    """
    for cell in nb.cells:
        if cell.get("cell_type") == "code":
            cell.outputs = [
                o
                for o in cell.get("outputs", [])
                if not (o.get("output_type") == "stream" and o.get("name") == "stderr")
            ]
    return nb


class DropStderr:
    """nbconvert preprocessor wrapper around :func:`_drop_stderr`."""

    def __call__(self, nb, resources):
        return _drop_stderr(nb), resources


def render_one(
    job: Job, out_dir: str, executed_dir: str, self_contained: bool, timeout: int, digest: str
) -> Outcome:
    """Execute one notebook with papermill and export it to HTML (worker entry point)."""
    import nbformat
    import papermill as pm
    import psutil

    t0 = time.perf_counter()
    timed_out = threading.Event()

    def _watchdog() -> None:
        # A hung report (a cell that never returns, a kernel that stops answering) is killed
        # here; nbclient then sees a dead kernel and the report fails on its own.
        timed_out.set()
        for child in psutil.Process().children(recursive=True):
            with contextlib.suppress(psutil.Error):
                child.kill()

    timer = threading.Timer(timeout, _watchdog)
    timer.daemon = True
    timer.start()
    out = Path(out_dir)
    executed = Path(executed_dir) / f"{job.name}.ipynb"
    executed.parent.mkdir(parents=True, exist_ok=True)
    os.environ[RENDER_ENV] = "html"
    # Downloads go to a temporary folder, swapped in only when the report succeeds.
    (out / DOWNLOADS_DIR).mkdir(parents=True, exist_ok=True)
    dl_tmp = Path(tempfile.mkdtemp(prefix=f".{job.name}.tmp-", dir=out / DOWNLOADS_DIR))
    os.environ[DOWNLOADS_ENV] = str(dl_tmp)
    os.environ[DOWNLOADS_HREF_ENV] = f"{DOWNLOADS_DIR}/{job.name}"
    # The kernel inherits this worker's stderr: send it to a log beside the executed notebook
    # instead of the user's terminal (kernel start-up and shutdown chatter, crashes).
    log = open(executed.with_suffix(".log"), "w", encoding="utf-8")  # noqa: SIM115
    saved_stderr = os.dup(2)
    os.dup2(log.fileno(), 2)
    try:
        nb = pm.execute_notebook(
            str(NOTEBOOK_DIR / job.notebook),
            str(executed),
            parameters=job.parameters,
            kernel_name="python3",
            cwd=str(NOTEBOOK_DIR),
            progress_bar=False,
            log_output=False,
            execution_timeout=timeout,
            start_timeout=120,
            kernel_manager_class=IpcKernelManager,
        )
        nb = nbformat.from_dict(nb)
        nb.metadata["title"] = job.title
        plotly_js = None
        if self_contained:
            import plotly

            plotly_js = (Path(plotly.__file__).parent / "package_data" / "plotly.min.js").read_text(
                encoding="utf-8"
            )
        exporter = _html_exporter(self_contained, plotly_js)
        resources = {
            "plotly_js_src": f"{ASSETS_DIR}/plotly.min.js",
            "plotly_js_inline": plotly_js.replace("</script", "<\\/script") if plotly_js else "",
            "report_css": (TEMPLATE_DIR / "report.css").read_text(encoding="utf-8"),
            "lansanalys_version": version("lansanalys"),
            "index_href": "index.html",
            # The index page carries the search over the whole set (render.search).
            "search_index_src": SEARCH_INDEX if job.output == index_job().output else "",
        }
        body, _ = exporter.from_notebook_node(nb, resources=resources)
        downloads.write_xlsx(dl_tmp, dl_tmp / f"{job.name}.xlsx")
        _swap_dir(dl_tmp, out / DOWNLOADS_DIR / job.name)
        with atomic_path(out / job.output) as tmp:
            tmp.write_text(body, encoding="utf-8")
        status, error = "rendered", ""
    except Exception as exc:  # noqa: BLE001 - any failure of one report is reported, not raised
        status = "failed"
        error = _short_error(exc)
        if timed_out.is_set():
            error = f"timed out after {timeout} s (report time limit); {error}"
    finally:
        shutil.rmtree(dl_tmp, ignore_errors=True)
        timer.cancel()
        os.dup2(saved_stderr, 2)
        os.close(saved_stderr)
        log.close()
    # Peak resident memory of this worker and of its largest finished kernel (kB on Linux).
    peak_kb = max(
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
    )
    return Outcome(
        job,
        status,
        time.perf_counter() - t0,
        error,
        str(executed),
        round(peak_kb / 1024, 1),
        digest,
    )


def _swap_dir(new: Path, target: Path) -> None:
    """Put folder ``new`` in place of ``target`` (the old one removed only after the swap)."""
    old = target.with_name(f".{target.name}.old")
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        os.replace(target, old)
    os.replace(new, target)
    shutil.rmtree(old, ignore_errors=True)


def _short_error(exc: BaseException) -> str:
    """The first useful lines of an error (papermill puts the cell's traceback in the message)."""
    if getattr(exc, "ename", None):  # papermill: the notebook raised in a cell
        where = f" (cell {exc.exec_count})" if getattr(exc, "exec_count", None) else ""
        return f"{exc.ename}: {exc.evalue}{where}"
    text = str(exc).strip() or "".join(traceback.format_exception_only(type(exc), exc)).strip()
    lines = [ln for ln in text.splitlines() if ln.strip() and not set(ln.strip()) <= {"-"}]
    return "\n".join(lines[:8])


# --------------------------------------------------------------------------------------------
# The batch


def copy_assets(out: Path) -> None:
    """plotly.js once in ``assets/`` (written atomically, skipped when unchanged)."""
    import plotly

    src = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    dest = out / ASSETS_DIR / "plotly.min.js"
    if (
        dest.exists()
        and dest.stat().st_size == src.stat().st_size
        and _sha(dest.read_bytes()) == _sha(src.read_bytes())
    ):
        return
    with atomic_path(dest) as tmp:
        shutil.copyfile(src, tmp)


def load_manifest(out: Path) -> dict[str, Any]:
    f = out / MANIFEST
    if not f.exists():
        return {"reports": {}}
    try:
        return json.loads(f.read_text(encoding="utf-8"))
    except json.JSONDecodeError:
        return {"reports": {}}  # a corrupt manifest only costs a re-render


def _worker_init() -> None:
    """Workers ignore Ctrl-C: the parent stops them and their kernels together."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def kill_process_tree() -> int:
    """Kill every descendant of this process (workers and their kernels); return how many."""
    import psutil

    procs = psutil.Process().children(recursive=True)
    for proc in procs:
        with contextlib.suppress(psutil.Error):
            proc.kill()
    psutil.wait_procs(procs, timeout=10)
    return len(procs)


def _remove_stale_temp(out: Path) -> None:
    """Temp files of an interrupted earlier batch (never the reports themselves)."""
    for f in out.glob(".*.tmp-*"):
        with contextlib.suppress(OSError):
            f.unlink()


def render(
    jobs: list[Job] | None = None,
    out: Path | None = None,
    workers: int | None = None,
    self_contained: bool = False,
    force: bool = False,
    timeout: int = 600,
    p: Paths | None = None,
    progress: bool | None = None,
) -> list[Outcome]:
    """Render ``jobs`` (default: index + all 21 län) into ``out`` (default ``reports/``).

    Returns one :class:`Outcome` per job; never raises for a failing report.
    """
    p = p or paths()
    out = Path(out) if out else p.reports
    out.mkdir(parents=True, exist_ok=True)
    _remove_stale_temp(out)
    jobs = default_jobs() if jobs is None else jobs
    workers = workers or max(1, min(len(jobs), os.cpu_count() or 1))
    lib, data = library_digest(), data_digest(p)
    if not self_contained:
        copy_assets(out)
    manifest = load_manifest(out)
    outcomes: list[Outcome] = []
    todo: list[tuple[Job, str]] = []
    # Reports may link to each other (län → kommun) only where the target exists or is being
    # rendered now; the set is part of each digest, so links appear once the targets do.
    linkable = tuple(sorted({f.name for f in out.glob("*.html")} | {j.output for j in jobs}))
    env_linkable = os.environ.get(LINKABLE_ENV)
    os.environ[LINKABLE_ENV] = ",".join(linkable)  # inherited by the spawned workers
    for job in jobs:
        digest = job_digest(job, lib, data, self_contained, linkable)
        prev = manifest["reports"].get(job.output, {})
        if (
            not force
            and prev.get("digest") == digest
            and prev.get("status") == "rendered"
            and (out / job.output).exists()
        ):
            outcomes.append(Outcome(job, "skipped", 0.0, digest=digest))
        else:
            todo.append((job, digest))
    executed_dir = out / EXECUTED_DIR
    show = sys.stderr.isatty() if progress is None else progress
    bar = tqdm(
        total=len(jobs), initial=len(outcomes), desc="Rapporter", unit="rapport", disable=not show
    )
    env_home = os.environ.get(HOME_ENV)
    if p.root != paths().root:
        os.environ[HOME_ENV] = str(p.root)
    try:
        if todo:
            ctx = get_context("spawn")  # fresh interpreters: no inherited zmq sockets or threads
            pool = ProcessPoolExecutor(
                max_workers=min(workers, len(todo)), mp_context=ctx, initializer=_worker_init
            )
            try:
                futures: dict[Future, Job] = {
                    pool.submit(
                        render_one,
                        job,
                        str(out),
                        str(executed_dir),
                        self_contained,
                        timeout,
                        digest,
                    ): job
                    for job, digest in todo
                }
                pending = set(futures)
                while pending:
                    done, pending = wait(pending, return_when=FIRST_COMPLETED)
                    for fut in done:
                        job = futures[fut]
                        try:
                            oc = fut.result()
                        except Exception as exc:  # noqa: BLE001 - a dead worker fails one report
                            oc = Outcome(job, "failed", error=_short_error(exc))
                        outcomes.append(oc)
                        _record(manifest, oc, out)
                        bar.update(1)
                        bar.set_postfix(fel=sum(o.status == "failed" for o in outcomes))
            except KeyboardInterrupt:
                # Stop everything now, workers and kernels. Every HTML is either the old or the
                # new one (atomic renames); leftover temp files go at the next start.
                pool.shutdown(wait=False, cancel_futures=True)
                kill_process_tree()
                raise
            pool.shutdown(wait=True)
    finally:
        bar.close()
        for name, value in ((HOME_ENV, env_home), (LINKABLE_ENV, env_linkable)):
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    for oc in outcomes:
        if oc.status == "skipped":
            _record(manifest, oc, out)
    if (out / index_job().output).exists():
        write_search_index(p, out)
    return sorted(outcomes, key=lambda o: o.job.output)


def _record(manifest: dict[str, Any], oc: Outcome, out: Path) -> None:
    prev = manifest["reports"].get(oc.job.output, {})
    entry = {
        "notebook": oc.job.notebook,
        "parameters": oc.job.parameters,
        "status": oc.status,
        "seconds": round(oc.seconds, 2),
        "peak_rss_mb": oc.peak_rss_mb,
        "executed_notebook": oc.executed,
        "error": oc.error,
        "lansanalys": version("lansanalys"),
        "rendered_at": time.strftime("%Y-%m-%dT%H:%M:%S"),
    }
    if oc.status == "skipped":
        entry = {**prev, "status": "rendered", "last_check": entry["rendered_at"]}
    elif oc.status == "failed":
        entry["digest"] = ""  # render again next time
        entry["last_good"] = prev.get("rendered_at") if prev.get("status") == "rendered" else None
    else:
        entry["digest"] = oc.digest
    manifest["reports"][oc.job.output] = entry
    atomic_write_text(out / MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=2))


def summary(outcomes: list[Outcome]) -> str:
    """A human summary: counts, then each failure with its first error lines."""
    n = {s: sum(o.status == s for o in outcomes) for s in ("rendered", "skipped", "failed")}
    lines = [f"{n['rendered']} rendered, {n['skipped']} skipped (unchanged), {n['failed']} failed"]
    for o in outcomes:
        if o.status == "failed":
            lines.append(f"FAILED {o.job.output} ({o.job.parameters}):")
            lines += ["    " + ln for ln in o.error.splitlines()]
            if o.executed:
                lines.append(f"    executed notebook: {o.executed}")
    rendered = [o for o in outcomes if o.status == "rendered"]
    if rendered:
        worst = max(rendered, key=lambda o: o.peak_rss_mb)
        total = sum(o.seconds for o in rendered)
        lines.append(
            f"report time {total:.1f} s in all; peak memory per worker "
            f"{worst.peak_rss_mb:.0f} MB ({worst.job.output})"
        )
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# PDF


def find_chromium() -> str | None:
    """Path of a Chromium to print with (``CHROMIUM`` overrides), or None."""
    return (
        chromium_override()
        or shutil.which("chromium")
        or shutil.which("chromium-browser")
        or shutil.which("google-chrome")
    )


def print_pdf(html_path: Path, timeout: int = 120) -> Path:
    """Print a rendered report to PDF beside it with headless Chromium (network off).

    The page gets time to draw its figures before printing; the PDF is written atomically.
    Raises RuntimeError when no Chromium is installed or printing fails.
    """
    import subprocess

    exe = find_chromium()
    if not exe:
        raise RuntimeError("--pdf needs Chromium: apt-get install chromium (or set CHROMIUM)")
    html_path = Path(html_path).resolve()
    target = html_path.with_suffix(".pdf")
    with tempfile.TemporaryDirectory() as profile, atomic_path(target) as tmp:
        cmd = [
            exe,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--proxy-server=127.0.0.1:9",
            "--proxy-bypass-list=<-loopback>",
            f"--user-data-dir={profile}",
            "--no-pdf-header-footer",
            # the printable width of A4 with 12 mm margins (report.css @page) plus body padding:
            # plotly lays the figures out to fit the page
            "--window-size=735,1100",
            "--virtual-time-budget=15000",
            f"--print-to-pdf={tmp}",
            html_path.as_uri(),
        ]
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        if res.returncode != 0 or not tmp.exists() or tmp.stat().st_size < 1000:
            raise RuntimeError(f"printing {html_path.name} failed: {res.stderr.strip()[-300:]}")
    return target
