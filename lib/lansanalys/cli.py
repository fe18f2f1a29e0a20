"""Command line: ``lansanalys demo | build | render | info | fetch``."""

from __future__ import annotations

import logging
import sys
import time
from pathlib import Path
from typing import Annotated

import typer

from lansanalys import geo
from lansanalys.config import DEBUG_ENV, OPTIONAL_KINDS, RAW_KINDS, debugging, paths
from lansanalys.errors import UnknownCodeError

_debug = False


def _debugging() -> bool:
    """``--debug`` or ``LANSANALYS_DEBUG``: show the traceback of an unexpected error."""
    return _debug or debugging()


def _step(argv: list[str]) -> str:
    """The command named on the command line ("build", "fetch service"), for error lines."""
    words = [a for a in argv if not a.startswith("-")]
    if words[:1] == ["fetch"]:
        return " ".join(words[:2])
    return words[0] if words else "lansanalys"


class _App(typer.Typer):
    """The command line app: no command ends in a raw traceback.

    Expected failures (a bad raw file, missing processed data, no network) are handled in each
    command; anything else is reported here in one line naming the command, the error and what
    to run to see the traceback (``--debug`` or ``LANSANALYS_DEBUG=1``).
    """

    def __call__(self, *args, **kwargs):
        try:
            return super().__call__(*args, **kwargs)
        except Exception as exc:
            if _debugging():
                raise
            from lansanalys.errors import InputError

            step = _step(sys.argv[1:])
            if isinstance(exc, InputError):
                msg = f"{step}: {exc}"  # names the file, and its line where it has one
            else:
                msg = (
                    f"{step}: unexpected error, {type(exc).__name__}: {exc} (run again with "
                    f"--debug or {DEBUG_ENV}=1 to see where)"
                )
            if step == "build":  # the build swaps data/processed in whole or not at all
                msg += "; nothing changed in data/processed"
            typer.echo(f"error: {' '.join(msg.split())}", err=True)
            sys.exit(1)


app = _App(
    help="Länsanalys: Swedish regional analysis reports.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def _options(
    debug: Annotated[
        bool,
        typer.Option(
            "--debug", help=f"Show the traceback of an unexpected error (or set {DEBUG_ENV}=1)."
        ),
    ] = False,
) -> None:
    """Länsanalys: Swedish regional analysis reports."""
    global _debug
    _debug = debug


def _fail(msg: str, code: int = 1) -> None:
    typer.echo(f"error: {msg}", err=True)
    raise typer.Exit(code)


@app.command()
def demo(
    kinds: Annotated[
        list[str] | None,
        typer.Option("--kind", help="Kinds to write (default: every kind with no raw file)."),
    ] = None,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 20261123,
) -> None:
    """Write demo raw files, in the real formats, for kinds that have no file yet."""
    from lansanalys.demo import DEMO_KINDS, generate, kinds_missing

    p = paths()
    todo = kinds if kinds else kinds_missing(p)
    unknown = [k for k in todo if k not in DEMO_KINDS]
    if unknown:
        _fail(f"unknown kind(s) {unknown}; expected some of {list(DEMO_KINDS)}")
    if not todo:
        typer.echo("demo: every kind has a raw file; nothing written")
        return
    t0 = time.perf_counter()
    written = generate(todo, seed=seed, p=p)
    for kind, path in written.items():
        typer.echo(f"demo: wrote {path.relative_to(p.root)} ({kind})")
    typer.echo(f"demo: {len(written)} file(s) in {time.perf_counter() - t0:.1f} s")


def _bounds(text: str, option: str) -> tuple[float, ...]:
    """Parse "5,10,20" into increasing positive class bounds, or fail in one line."""
    try:
        vals = tuple(float(v.replace(" ", "")) for v in text.split(",") if v.strip())
    except ValueError:
        _fail(f"{option}: expected numbers separated by commas, e.g. 5,10,20 (got {text!r})")
    if not vals or any(v <= 0 for v in vals) or list(vals) != sorted(set(vals)):
        _fail(f"{option}: expected increasing positive numbers, e.g. 5,10,20 (got {text!r})")
    return vals


@app.command()
def build(
    force: Annotated[bool, typer.Option(help="Rebuild even if raw files are unchanged.")] = False,
    classes_km: Annotated[
        str, typer.Option(help="Access classes in road km (upper bounds), e.g. 5,10,20.")
    ] = "5,10,20",
    classes_min: Annotated[
        str, typer.Option(help="Access classes in car minutes (upper bounds), e.g. 5,10,30.")
    ] = "5,10,30",
    verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False,
) -> None:
    """Read, validate and process raw data into data/processed (all or nothing)."""
    from lansanalys.errors import BuildError, InputError
    from lansanalys.pipeline import build as run_build

    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(message)s")
    t0 = time.perf_counter()
    try:
        meta = run_build(
            force=force,
            classes_km=_bounds(classes_km, "--classes-km"),
            classes_min=_bounds(classes_min, "--classes-min"),
        )
    except (InputError, BuildError) as exc:
        _fail(f"build: {exc}; nothing changed in data/processed")
    if meta.get("skipped"):
        typer.echo("build: raw data unchanged; data/processed is up to date")
        return
    parts = ", ".join(f"{k} {'demo' if v['demo'] else 'real'}" for k, v in meta["kinds"].items())
    typer.echo(
        f"build: {parts}; {meta['rows']['rutor']} cells, {meta['rows']['service']} "
        f"service points in {time.perf_counter() - t0:.1f} s"
    )
    # Say where access could not be measured: the reports show "uppgift saknas" there.
    n_lan = len(geo.lan_codes())
    cov = meta.get("coverage", {})
    gaps = {t: len(c) for t, c in cov.get("lan", {}).items() if len(c) < n_lan}
    if gaps:
        typer.echo(
            "build: no access figures where the service files have no data: "
            + ", ".join(
                f"{t} in {n_lan - n} of {n_lan} län"
                if t in cov.get("in_files", [])
                else f"{t} (not in the files)"
                for t, n in gaps.items()
            )
            + " (see data/processed/coverage.parquet; a file that covers some län: "
            'declare them in data/raw/SOURCES.yml, e.g. lan: ["08"])'
        )


def _report_codes(
    lan: list[str] | None, all_lan: bool, kommun: list[str] | None, kommuner: bool
) -> tuple[list[str] | None, list[str]]:
    """The län codes (None: all 21) and kommun codes the render options ask for, checked."""
    if lan and all_lan:
        _fail("give either --all or --lan, not both")
    try:
        codes = [geo.resolve_lan(c) for c in lan] if lan else None
        kcodes = [geo.resolve_kommun(c) for c in kommun] if kommun else []
    except UnknownCodeError as exc:
        _fail(str(exc), 2)
    if kommuner:
        kcodes += [k for c in (codes or geo.lan_codes()) for k in geo.kommun_codes(c)]
    if (kommuner or kcodes) and not lan and not all_lan:
        codes = []  # kommun reports alone (and the index)
    return codes, kcodes


def _group_jobs(ids: list[str] | None, every: bool) -> list:
    """The group reports asked for (``--grupp``), or every group of the build with all län."""
    from lansanalys.render import group_jobs

    known = {j.parameters["group_id"]: j for j in group_jobs(paths())}
    unknown = [i for i in ids or [] if i not in known]
    if unknown:
        _fail(
            f"no group {unknown[0]!r} in the build; groups: {sorted(known) or 'none'} "
            "(data/raw/grupper/, then lansanalys build)",
            2,
        )
    return list(known.values()) if every and not ids else [known[i] for i in ids or []]


def _sharded(jobs: list, text: str | None) -> list:
    """The jobs of ``--shard i/n`` (all without it); a bad value is a usage error."""
    from lansanalys.render.jobs import parse_shard, shard

    if text is None:
        return jobs
    try:
        i, n = parse_shard(text)
    except ValueError as exc:
        _fail(str(exc), 2)
    return shard(jobs, i, n)


def _print_pdfs(outcomes: list, target: Path) -> None:
    """Print every rendered (or unchanged) report to PDF beside its HTML, in one browser."""
    from lansanalys.render import print_pdfs

    pages = [target / o.job.output for o in outcomes if o.status in ("rendered", "skipped")]
    try:
        for pdf in print_pdfs(pages):
            typer.echo(f"pdf: {pdf.name}")
    except RuntimeError as exc:
        _fail(str(exc))


def _refresh_stale_pdfs(target: Path) -> None:
    """A PDF printed before its report was rendered again is re-printed, or removed where it
    cannot be, and said: a PDF never silently shows an older report than the page beside it."""
    from lansanalys.render.pdf import refresh_stale_pdfs

    reprinted, removed = refresh_stale_pdfs(target)
    for pdf in reprinted:
        typer.echo(f"pdf: {pdf.name} re-printed (it was older than its report)")
    for pdf, reason in removed:
        typer.echo(
            f"pdf: {pdf.name} removed: older than its report and not re-printed ({reason})",
            err=True,
        )


@app.command()
def render(
    lan: Annotated[
        list[str] | None, typer.Option("--lan", help="Län code(s), e.g. --lan 08 --lan 10.")
    ] = None,
    all_lan: Annotated[bool, typer.Option("--all", help="All 21 län (the default).")] = False,
    kommun: Annotated[
        list[str] | None, typer.Option("--kommun", help="Kommun code(s), e.g. --kommun 0821.")
    ] = None,
    kommuner: Annotated[
        bool, typer.Option("--kommuner", help="All 290 kommun reports (with --lan: its kommuner).")
    ] = False,
    out: Annotated[Path | None, typer.Option(help="Output folder (default reports/).")] = None,
    workers: Annotated[int | None, typer.Option(help="Worker processes (default: cores).")] = None,
    self_contained: Annotated[
        bool,
        typer.Option("--self-contained", help="Inline plotly.js in every HTML file (for e-mail)."),
    ] = False,
    force: Annotated[bool, typer.Option(help="Render even unchanged reports.")] = False,
    index: Annotated[bool, typer.Option(help="Also render the index (riksöversikt).")] = True,
    timeout: Annotated[
        int, typer.Option(help="Seconds one report may take before it is stopped.")
    ] = 600,
    pdf: Annotated[bool, typer.Option("--pdf", help="Also print each report to PDF.")] = False,
    cold: Annotated[
        bool,
        typer.Option("--cold", help="A fresh kernel per report (default: each worker reuses one)."),
    ] = False,
    scheduler: Annotated[
        str | None,
        typer.Option(
            help="Render on a Dask cluster: 'local' (a LocalCluster here) or tcp://host:8786."
        ),
    ] = None,
    shard: Annotated[
        str | None,
        typer.Option(help="Render only slice i of n of the reports, e.g. 2/4 (CI matrices)."),
    ] = None,
    grupp: Annotated[
        list[str] | None,
        typer.Option(
            "--grupp",
            help="Programme group report(s) by id (data/raw/grupper/); every group is rendered "
            "with all län (the default, --all).",
        ),
    ] = None,
) -> None:
    """Render län reports, programme group reports and the index page to offline HTML."""
    from lansanalys.errors import MissingDataError
    from lansanalys.render import default_jobs, summary
    from lansanalys.render import render as run_render

    codes, kcodes = _report_codes(lan, all_lan, kommun, kommuner)
    groups = _group_jobs(grupp, every=codes is None)
    t0 = time.perf_counter()
    try:
        outcomes = run_render(
            _sharded(default_jobs(codes, index=index, kommun_codes=kcodes, groups=groups), shard),
            out=out,
            workers=workers,
            self_contained=self_contained,
            force=force,
            timeout=timeout,
            warm=not cold,
            scheduler=scheduler,
        )
    except MissingDataError as exc:
        _fail(str(exc))
    except KeyboardInterrupt:
        typer.echo(
            "render: interrupted; workers and kernels stopped, finished reports kept", err=True
        )
        raise typer.Exit(130) from None
    typer.echo(summary(outcomes))
    target = out or paths().reports
    if pdf:
        _print_pdfs(outcomes, target)
    _refresh_stale_pdfs(target)
    typer.echo(f"render: {time.perf_counter() - t0:.1f} s; open {target / 'index.html'}")
    if any(o.status == "failed" for o in outcomes):
        raise typer.Exit(1)


@app.command()
def info() -> None:
    """Show the paths in use and which raw kinds are demo or real."""
    from lansanalys.errors import InputError
    from lansanalys.provenance import load_sources
    from lansanalys.sources.files import is_demo, raw_files

    p = paths()
    typer.echo(f"root: {p.root}")
    sources = load_sources(p)
    broken = []

    def state(f: Path) -> str:
        try:
            return "demo" if is_demo(f, sources, p) else "real"
        except InputError as exc:
            broken.append(str(exc))
            return "unreadable"

    for kind in RAW_KINDS + OPTIONAL_KINDS:
        files = raw_files(p, kind)
        desc = ", ".join(f"{f.name} ({state(f)})" for f in files) or (
            "no file" if kind in RAW_KINDS else "no file (optional)"
        )
        typer.echo(f"{kind:12s} {desc}")
    if broken:
        _fail("info: " + "; ".join(broken))


fetch_app = typer.Typer(
    help="Download open data into data/raw: cached, retried, time-limited, recorded in "
    "SOURCES.yml. Without network it says so in one line and changes nothing.",
    no_args_is_help=True,
)
app.add_typer(fetch_app, name="fetch")

_Refresh = Annotated[
    bool, typer.Option("--refresh", help="Ask the server again instead of using the cache.")
]
_Timeout = Annotated[
    float | None,
    typer.Option(help="Seconds to wait for an answer, per try (default depends on the source)."),
]
_Retries = Annotated[
    int, typer.Option(help="Tries after the first on network errors and HTTP 429/5xx.")
]
_Backoff = Annotated[
    float, typer.Option(help="Backoff factor in seconds; the wait doubles from try to try.")
]
_CacheDays = Annotated[float, typer.Option(help="Days a cached answer is used.")]
_OverpassUrl = Annotated[
    str | None,
    typer.Option(
        help="Overpass API endpoint (default overpass-api.de; env LANSANALYS_OVERPASS_URL)."
    ),
]
_FetchLan = Annotated[
    list[str] | None, typer.Option("--lan", help="Län code(s), e.g. --lan 08 --lan 10.")
]


def _fetch(run, refresh: bool, timeout, retries: int, backoff: float, cache_days: float) -> None:
    """Run a fetch: its report on stdout, or one line on stderr and a non-zero exit code."""
    from lansanalys.errors import FetchError
    from lansanalys.fetch import Options

    options = Options(
        refresh=refresh,
        timeout=timeout,
        retries=max(retries, 0),
        backoff=max(backoff, 0.0),
        cache_days=cache_days,
    )
    try:
        result = run(options)
    except FetchError as exc:
        typer.echo(f"fetch: {exc}", err=True)
        raise typer.Exit(exc.exit_code) from None
    except UnknownCodeError as exc:
        typer.echo(f"fetch: {exc}; nothing was changed", err=True)
        raise typer.Exit(2) from None
    except KeyboardInterrupt:
        typer.echo("fetch: interrupted; no data file was changed", err=True)
        raise typer.Exit(130) from None
    for line in result.lines(paths().root):
        typer.echo(line)


@fetch_app.command("befolkning")
def fetch_befolkning(
    api: Annotated[str, typer.Option(help="SCB PxWeb API: v2 (PxWebApi 2.0) or v1.")] = "v2",
    years: Annotated[
        str | None,
        typer.Option(help="Years, e.g. 2014-2024, 2024 or 2019,2024 (default: latest 11)."),
    ] = None,
    lan: _FetchLan = None,
    table: Annotated[
        str | None,
        typer.Option(
            help="v2 table id (default: the series, TAB638 to 2024 joined with TAB5557 from "
            "2025) or v1 table path (default BefolkningNy)."
        ),
    ] = None,
    url: Annotated[
        str | None,
        typer.Option(help="API root (default SCB's; env LANSANALYS_PXWEB_V2_URL / _V1_URL)."),
    ] = None,
    refresh: _Refresh = False,
    timeout: _Timeout = None,
    retries: _Retries = 4,
    backoff: _Backoff = 1.0,
    cache_days: _CacheDays = 7.0,
) -> None:
    """Population by kommun, age, sex and year from SCB PxWeb into data/raw/befolkning."""
    from lansanalys.fetch import fetch_befolkning as run

    _fetch(
        lambda o: run(api=api, years=years, lan=lan, table=table, base_url=url, options=o),
        refresh,
        timeout,
        retries,
        backoff,
        cache_days,
    )


@fetch_app.command("rutor")
def fetch_rutor(
    url: Annotated[
        str | None,
        typer.Option(
            help="The grid's zip or GeoPackage, or a page linking it (default: the link to "
            "'Befolkning totalt' on SCB's grid page; env LANSANALYS_GRID_URL)."
        ),
    ] = None,
    refresh: _Refresh = False,
    timeout: _Timeout = None,
    retries: _Retries = 4,
    backoff: _Backoff = 1.0,
    cache_days: _CacheDays = 7.0,
) -> None:
    """SCB's open 1 km population grid (GeoPackage) into data/raw/rutor."""
    from lansanalys.fetch import fetch_rutor as run

    _fetch(lambda o: run(url=url, options=o), refresh, timeout, retries, backoff, cache_days)


@fetch_app.command("service")
def fetch_service(
    lan: _FetchLan = None,
    buffer_km: Annotated[
        float,
        typer.Option(
            "--buffer-km",
            help="Also fetch points this far around the län (km), so its border cells find "
            "their nearest point across the border; the län alone counts as covered.",
        ),
    ] = 50.0,
    url: _OverpassUrl = None,
    refresh: _Refresh = False,
    timeout: _Timeout = None,
    retries: _Retries = 4,
    backoff: _Backoff = 1.0,
    cache_days: _CacheDays = 7.0,
) -> None:
    """OpenStreetMap service points of a län and around it (Overpass) into data/raw/service."""
    from lansanalys.fetch import fetch_service as run

    _fetch(
        lambda o: run(lan=lan or [], buffer_km=buffer_km, base_url=url, options=o),
        refresh,
        timeout,
        retries,
        backoff,
        cache_days,
    )


@fetch_app.command("vagnat")
def fetch_vagnat(
    lan: _FetchLan = None,
    url: _OverpassUrl = None,
    refresh: _Refresh = False,
    timeout: _Timeout = None,
    retries: _Retries = 4,
    backoff: _Backoff = 1.0,
    cache_days: _CacheDays = 7.0,
) -> None:
    """OpenStreetMap roads of a län with geometry (Overpass) into data/raw/vagnat."""
    from lansanalys.fetch import fetch_vagnat as run

    _fetch(
        lambda o: run(lan=lan or [], base_url=url, options=o),
        refresh,
        timeout,
        retries,
        backoff,
        cache_days,
    )


def main() -> None:  # pragma: no cover - console entry
    sys.exit(app())


if __name__ == "__main__":  # pragma: no cover
    main()
