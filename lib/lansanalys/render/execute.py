"""One report in a worker process: papermill on a kernel over IPC sockets (no TCP port races),
a watchdog for the report time limit, downloads swapped in only on success, atomic HTML.

Warm kernels: a worker keeps its kernel for the next report, so imports and the tables the kit
caches are paid once per worker, not per report. Before each report a setup cell (tagged
:data:`SETUP_TAG`, left out of the HTML) clears the namespace and gives the kernel that report's
settings; a report that fails, times out or kills its kernel discards the kernel, and the next
report starts a fresh one. ``warm=False`` starts a kernel per report.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing.util
import os
import resource
import shutil
import signal
import tempfile
import threading
import time
import traceback
import uuid
from pathlib import Path
from queue import Empty

from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.manager import AsyncKernelManager
from traitlets import CaselessStrEnum, Type, default

from lansanalys.config import NOTEBOOK_DIR, paths, worker_linkable
from lansanalys.render.export import notebook_html
from lansanalys.render.jobs import DOWNLOADS_DIR, Job, Outcome
from lansanalys.report import downloads
from lansanalys.util import atomic_path

#: Silence (s) on IOPub that ends the flush after a client has connected: the kernel's status
#: messages for ``kernel_info`` arrive within milliseconds over the Unix sockets.
IOPUB_FLUSH_S = 0.02


class ReadyClient(AsyncKernelClient):
    """A kernel client that is ready as soon as the kernel answers.

    jupyter_client's ``wait_for_ready`` ends with a flush of IOPub that waits for 0,2 s of
    silence: a fixed 0,2 s idle per report, since papermill connects a new client to the warm
    kernel for every report (0,2 s × 290 kommuner on two workers: half a minute of the batch).
    Here the flush ends after :data:`IOPUB_FLUSH_S` of silence. As in jupyter_client, the client
    is ready only once IOPub has delivered a message after the ``kernel_info`` reply (a new
    subscriber socket may miss the first messages), so no output of the first cell is lost;
    what the flush drops are the status messages of ``kernel_info``, which no cell reads.
    """

    async def wait_for_ready(self, timeout: float | None = None) -> None:
        deadline = time.monotonic() + (float("inf") if timeout is None else timeout)
        while True:
            self.kernel_info()
            try:
                msg = await self.shell_channel.get_msg(timeout=1)
            except Empty:
                pass
            else:
                if msg["msg_type"] == "kernel_info_reply":
                    try:  # IOPub connected: start over if it has not delivered anything
                        await self.iopub_channel.get_msg(timeout=0.2)
                    except Empty:
                        pass
                    else:
                        self._handle_kernel_info_reply(msg)
                        break
            if not await self._async_is_alive():
                raise RuntimeError("Kernel died before replying to kernel_info")
            if time.monotonic() > deadline:
                raise RuntimeError(f"Kernel didn't respond in {timeout:.0f} seconds")
        while True:
            try:
                await self.iopub_channel.get_msg(timeout=IOPUB_FLUSH_S)
            except Empty:
                break


class IpcKernelManager(AsyncKernelManager):
    """Kernel manager whose kernels talk over Unix sockets with a unique prefix (no TCP ports),
    with clients that are ready as soon as the kernel answers (:class:`ReadyClient`).

    jupyter_client's default IPC prefix is the relative name ``kernel-ipc``: two kernels started
    in the same folder would share sockets. Each kernel here gets its own prefix in the temp dir.
    """

    transport = CaselessStrEnum(["tcp", "ipc"], default_value="ipc", config=True)
    client_factory = Type(default_value=ReadyClient, klass=AsyncKernelClient)

    @default("ip")
    def _unique_ipc_prefix(self) -> str:
        return str(Path(tempfile.gettempdir()) / f"lansanalys-{uuid.uuid4().hex[:16]}")


def _save_at_end_engine():
    """A papermill engine that writes the executed notebook once, when the run ends (after a
    failure too, with the cells that ran), not before the run and after every cell as papermill
    does (~0,3 s a report)."""
    from papermill.engines import NBClientEngine, NotebookExecutionManager, papermill_engines

    class SaveAtEnd(NotebookExecutionManager):
        quiet = False

        def save(self, **kwargs):
            if not self.quiet:
                super().save(**kwargs)

        def cell_start(self, *args, **kwargs):
            self.quiet = True
            try:
                super().cell_start(*args, **kwargs)
            finally:
                self.quiet = False

        def cell_complete(self, *args, **kwargs):
            self.quiet = True
            try:
                super().cell_complete(*args, **kwargs)
            finally:
                self.quiet = False

    class SaveAtEndEngine(NBClientEngine):
        @classmethod
        def execute_notebook(
            cls,
            nb,
            kernel_name,
            output_path=None,
            progress_bar=True,
            log_output=False,
            autosave_cell_every=30,
            **kwargs,
        ):
            nb_man = SaveAtEnd(
                nb,
                output_path=output_path,
                progress_bar=progress_bar,
                log_output=log_output,
                autosave_cell_every=autosave_cell_every,
            )
            # Not written before the run (papermill would write the unexecuted notebook), and
            # after a successful run papermill itself writes it: one JSON write a report
            # (nbformat's validation and indented encoding cost ~0,05 s each).
            nb_man.quiet = True
            try:
                nb_man.notebook_start()
            finally:
                nb_man.quiet = False
            try:
                cls.execute_managed_notebook(nb_man, kernel_name, log_output=log_output, **kwargs)
            except BaseException:
                nb_man.cleanup_pbar()
                nb_man.notebook_complete()  # written here: the cells that ran, to inspect
                raise
            nb_man.cleanup_pbar()
            nb_man.quiet = True
            try:
                nb_man.notebook_complete()
            finally:
                nb_man.quiet = False
            return nb_man.nb

    papermill_engines.register(ENGINE, SaveAtEndEngine)


#: The papermill engine the renderer uses (:func:`_save_at_end_engine`).
ENGINE = "lansanalys"


#: Arguments of the kernels reports run in: no input history (IPython writes every cell to
#: SQLite; a report never reads it back), ~3 ms of kernel time a cell.
KERNEL_ARGUMENTS = ["--HistoryManager.enabled=False"]

#: Tag of the cell that prepares a warm kernel for the next report (removed from the HTML).
SETUP_TAG = "lansanalys-setup"
#: This worker's kernel, kept between reports when rendering warm.
_kernel: IpcKernelManager | None = None


def _warm_kernel() -> IpcKernelManager:
    """This worker's live kernel, started when there is none (or the last one died)."""
    global _kernel
    if _kernel is not None and not asyncio.run(_kernel.is_alive()):
        _discard_kernel()
    if _kernel is None:
        km = IpcKernelManager(kernel_name="python3")
        asyncio.run(km.start_kernel(cwd=str(NOTEBOOK_DIR), extra_arguments=KERNEL_ARGUMENTS))
        _kernel = km
    return _kernel


def _kernel_cpu_s() -> float | None:
    """CPU seconds this worker's warm kernel has used so far (None without a live kernel)."""
    import psutil

    pid = getattr(getattr(_kernel, "provisioner", None), "pid", None)
    try:
        times = psutil.Process(pid).cpu_times() if pid else None
    except psutil.Error:
        return None
    return times.user + times.system if times else None


def _discard_kernel() -> None:
    """Shut this worker's kernel down (after a failure, and when the worker exits)."""
    global _kernel
    km, _kernel = _kernel, None
    if km is not None:
        with contextlib.suppress(Exception):
            asyncio.run(km.shutdown_kernel(now=True))


def _with_setup(nb):
    """The notebook with a first cell that readies a used kernel for this report."""
    import nbformat

    # gc.freeze() after the reset: what is left (modules, the kit's cached tables) is kept out of
    # later collections, so the next reset (which runs a full collection) and the report's own
    # collections walk only what the report made (saves ~0,3 s a report).
    code = (
        "%reset -f\n"
        "import gc as _gc\n"
        "_gc.freeze()\n"
        "from lansanalys.report import downloads as _downloads\n"
        "_downloads.reset()\n"
        "del _gc, _downloads"
    )
    cell = nbformat.v4.new_code_cell(code, metadata={"tags": [SETUP_TAG]})
    nb.cells.insert(0, cell)
    return nb


#: This worker's copies of the notebooks with the set-up cell, by (source, its mtime).
_setup_copies: dict[tuple[str, int], str] = {}
_setup_dir: tempfile.TemporaryDirectory | None = None


def _setup_notebook(source: str) -> str:
    """A file with ``source`` plus the warm set-up cell, written once per worker (papermill
    would write a notebook handed to it as an object to JSON and read it back each report)."""
    import nbformat

    global _setup_dir
    key = (source, Path(source).stat().st_mtime_ns)
    if key not in _setup_copies:
        if _setup_dir is None:
            _setup_dir = tempfile.TemporaryDirectory(prefix="lansanalys-setup-")
        target = Path(_setup_dir.name) / f"{len(_setup_copies)}-{Path(source).name}"
        nbformat.write(_with_setup(nbformat.read(source, as_version=4)), target)
        _setup_copies[key] = str(target)
    return _setup_copies[key]


def render_parameter(job: Job, dl_tmp: Path) -> dict:
    """The notebook's ``render`` parameter: how the kernel renders this report (self-drawing
    HTML figures, where its downloads go, which reports of the set it may link to, the
    project). The one channel from renderer to kernel."""
    return {
        "html": True,
        "downloads": str(dl_tmp),
        "downloads_href": f"{DOWNLOADS_DIR}/{job.name}",
        "linkable": worker_linkable(),
        "home": str(paths().root),
    }


def _execute(job: Job, executed: Path, timeout: int, warm: bool, dl_tmp: Path, phases: dict):
    """Run the job's notebook with papermill (in this worker's warm kernel, or a new one)."""
    import papermill as pm

    _save_at_end_engine()
    source = str(NOTEBOOK_DIR / job.notebook)
    kernel: dict = {"kernel_manager_class": IpcKernelManager, "extra_arguments": KERNEL_ARGUMENTS}
    if warm:
        source = _setup_notebook(source)
        t0 = time.perf_counter()
        kernel = {"km": _warm_kernel()}
        phases["start"] = time.perf_counter() - t0
    nb = pm.execute_notebook(
        source,
        str(executed),
        parameters={**job.parameters, "render": render_parameter(job, dl_tmp)},
        kernel_name="python3",
        cwd=str(NOTEBOOK_DIR),
        progress_bar=False,
        log_output=False,
        execution_timeout=timeout,
        start_timeout=120,
        # Written once when the run ends, also after a failure (the cells that ran, to inspect).
        engine_name=ENGINE,
        **kernel,
    )
    return nb


#: Cells that are the renderer's, not the report's (parameters, injected values, warm set-up).
_HOUSEKEEPING_TAGS = {"parameters", "injected-parameters", SETUP_TAG}


def cell_phases(nb, papermill_s: float, phases: dict) -> None:
    """Split papermill's time into ``load`` (the report's first cell: imports and its data),
    ``cells`` (the report's other cells) and ``start`` (the rest: kernel start and messaging),
    from the per-cell durations papermill records in the executed notebook."""
    durations = [
        (set(c.get("metadata", {}).get("tags", [])), c["metadata"].get("papermill", {}))
        for c in nb["cells"]
        if c.get("cell_type") == "code"
    ]
    own = [
        float(pm.get("duration") or 0) for tags, pm in durations if not tags & _HOUSEKEEPING_TAGS
    ]
    housekeeping = sum(
        float(pm.get("duration") or 0) for tags, pm in durations if tags & _HOUSEKEEPING_TAGS
    )
    phases["load"] = own[0] if own else 0.0
    phases["cells"] = sum(own[1:])
    rest = papermill_s - phases["load"] - phases["cells"] - housekeeping
    phases["start"] = phases.get("start", 0.0) + max(rest, 0.0)
    phases["setup"] = housekeeping


def _kernel_peak_mb(warm: bool) -> float:
    """Peak resident memory of the report's kernel: the live warm kernel's high-water mark
    (``VmHWM``), or the largest finished child of this worker for a kernel per report."""
    if warm and _kernel is not None:
        pid = getattr(getattr(_kernel, "provisioner", None), "pid", None)
        with contextlib.suppress(OSError, TypeError):
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 1024, 1)
    return round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1)


def render_one(
    job: Job,
    out_dir: str,
    executed_dir: str,
    self_contained: bool,
    timeout: int,
    digest: str,
    warm: bool = True,
) -> Outcome:
    """Execute one notebook with papermill and export it to HTML (worker entry point)."""
    import psutil

    t0 = time.perf_counter()
    cpu0 = time.process_time(), _kernel_cpu_s()
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
    # Downloads go to a temporary folder, swapped in only when the report succeeds.
    (out / DOWNLOADS_DIR).mkdir(parents=True, exist_ok=True)
    dl_tmp = Path(tempfile.mkdtemp(prefix=f".{job.name}.tmp-", dir=out / DOWNLOADS_DIR))
    # The kernel inherits this worker's stderr: send it to a log beside the executed notebook
    # instead of the user's terminal (kernel start-up and shutdown chatter, crashes).
    log = open(executed.with_suffix(".log"), "w", encoding="utf-8")  # noqa: SIM115
    saved_stderr = os.dup(2)
    os.dup2(log.fileno(), 2)
    phases: dict[str, float] = {}
    kernel_mb = 0.0
    try:
        kernel_mb = _run_and_write(
            job, out, executed, timeout, warm, dl_tmp, self_contained, phases
        )
        status, error = "rendered", ""
    except Exception as exc:  # noqa: BLE001 - any failure of one report is reported, not raised
        if warm:  # the kernel's state is unknown: the next report gets a fresh one
            _discard_kernel()
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
    # Peak resident memory of this worker process (kB on Linux) and of the report's kernel.
    worker_mb = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    cpu = {"worker": time.process_time() - cpu0[0]}
    kernel_s = _kernel_cpu_s() if warm and cpu0[1] is not None else None
    if kernel_s is not None and kernel_s >= cpu0[1]:
        cpu["kernel"] = kernel_s - cpu0[1]
    return Outcome(
        job,
        status,
        time.perf_counter() - t0,
        error,
        str(executed),
        max(worker_mb, kernel_mb),
        digest,
        phases={k: round(v, 3) for k, v in phases.items()},
        worker_rss_mb=worker_mb,
        kernel_rss_mb=kernel_mb,
        cpu={k: round(v, 3) for k, v in cpu.items()},
    )


def _run_and_write(
    job: Job,
    out: Path,
    executed: Path,
    timeout: int,
    warm: bool,
    dl_tmp: Path,
    self_contained: bool,
    phases: dict[str, float],
) -> float:
    """Execute, export and write one report, timing each phase into ``phases``; returns the
    kernel's peak memory in MB."""
    import nbformat

    t1 = time.perf_counter()
    nb = _execute(job, executed, timeout, warm, dl_tmp, phases)
    t2 = time.perf_counter()
    cell_phases(nb, t2 - t1 - phases.get("start", 0.0), phases)
    kernel_mb = _kernel_peak_mb(warm)
    body = notebook_html(nbformat.from_dict(nb), job, self_contained)
    t3 = time.perf_counter()
    downloads.write_xlsx(dl_tmp, dl_tmp / f"{job.name}.xlsx")
    _swap_dir(dl_tmp, out / DOWNLOADS_DIR / job.name)
    with atomic_path(out / job.output) as tmp:
        tmp.write_text(body, encoding="utf-8")
    phases["export"] = t3 - t2
    phases["downloads"] = time.perf_counter() - t3
    return kernel_mb


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


def _worker_init() -> None:
    """Workers ignore Ctrl-C: the parent stops them and their kernels together. A worker that
    ends shuts its warm kernel down."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    multiprocessing.util.Finalize(None, _discard_kernel, exitpriority=10)


def kill_process_tree() -> int:
    """Kill every descendant of this process (workers and their kernels); return how many."""
    import psutil

    procs = psutil.Process().children(recursive=True)
    for proc in procs:
        with contextlib.suppress(psutil.Error):
            proc.kill()
    psutil.wait_procs(procs, timeout=10)
    return len(procs)
