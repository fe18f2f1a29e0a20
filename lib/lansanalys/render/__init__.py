"""Batch rendering: papermill per report in worker processes, then offline HTML via nbconvert.

- Kernels talk over Unix-domain (IPC) sockets instead of TCP ports, so parallel kernel starts
  cannot race for the same port ("address already in use").
- A failing report never stops the batch: the batch finishes, lists failures and the executed
  notebook to inspect, keeps the previous good HTML, and the CLI exits non-zero.
- Outputs are written atomically; a report whose notebook, parameters, processed data, library
  and template are unchanged is skipped (``force=True`` renders anyway). ``reports/manifest.json``
  records parameters, input digests, versions, duration and outcome per report.

Modules: :mod:`.jobs` (what to render, digests), :mod:`.execute` (one report in a worker),
:mod:`.export` (HTML), :mod:`.batch` (the batch, manifest), :mod:`.search` (the set's search
index), :mod:`.pdf` (printing).
"""

from lansanalys.render.batch import load_manifest, render, summary
from lansanalys.render.jobs import (
    Job,
    Outcome,
    default_jobs,
    group_job,
    group_jobs,
    index_job,
    kommun_job,
    lan_job,
)
from lansanalys.render.pdf import find_chromium, print_pdf, print_pdfs

__all__ = [
    "Job",
    "Outcome",
    "default_jobs",
    "group_job",
    "group_jobs",
    "find_chromium",
    "index_job",
    "kommun_job",
    "lan_job",
    "load_manifest",
    "print_pdf",
    "print_pdfs",
    "render",
    "summary",
]
