"""Command line: parses options and delegates.

Exit codes: 0 ok; 1 a notebook failed (executed copy kept under <output>/_failed/<run id>/);
2 bad config or input (nothing written); 3 another run holds the output directory's lock;
4 the run succeeded and raised alerts, with ``--fail-on-alert``; 5 the machine failed the run
(disk full, out of memory, an input/output error); 6 an unexpected internal error (a bug: the
traceback goes to ``<output>/_failed/<time>_<name>/run.log``, named by its ERROR line);
7 published, but writing the results to the ``publish`` database failed (the report stands;
rerun to write them); 130 interrupted (Ctrl-C), 143 terminated (SIGTERM). Every
failure writes exactly one ERROR line; nothing is published (but with 4 and 7) and no process
is left behind.

Messages go through the standard ``logging`` module, the ``churnreport`` logger
(:mod:`churnreport.logs`): Rich on a terminal, else one plain line each on stderr
(``<local time> churnreport <LEVEL> <message>``); a run's lines are also its ``run.log``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import logging
import signal
import sys
import textwrap
import traceback
from concurrent.futures.process import BrokenProcessPool
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from churnreport.errors import AlertsRaised, ChurnReportError, ConfigError, DatabaseWriteFailed
from churnreport.logs import logger as log
from churnreport.logs import run_log, setup_logging, start_run_log

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Churn analysis reports from customer data.",
)
err = Console(stderr=True, highlight=False)

ConfigOpt = Annotated[Path, typer.Option("--config", "-c", help="Report config (YAML).")]


class Language(str, Enum):
    """Report languages (the catalogues shipped under churnreport/locale)."""

    en = "en"
    zh = "zh"


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        typer.echo(f"churn-report {version('churnreport')}")
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    """Churn analysis reports from customer data."""
    setup_logging(err)  # here too for Click's test runner, which calls the app, not main()


#: Where a failed run's run.log goes once the config is known: ``<output>/_failed``.
_FAILED: dict[str, Path | str] = {}
#: The run folder once published (a stop while writing the database leaves the report in place).
_PUBLISHED: dict[str, Path] = {}


def _write_run_log(directory: Path, extra: list[str] = ()) -> Path | None:
    """The lines of this run (and ``extra``, e.g. a traceback) as ``directory/run.log``."""
    kept = run_log()
    return kept.write(directory, extra) if kept is not None else None


def _failed_dir() -> Path | None:
    """``<output>/_failed/<time>_<name>`` of the run under way (None before its config)."""
    if not _FAILED:
        return None
    stamp = dt.datetime.now().strftime("%Y%m%dT%H%M%S")
    return Path(_FAILED["root"]) / "_failed" / f"{stamp}_{_FAILED['name']}"


def _fail(exc: ChurnReportError, run_dir: Path | None = None) -> None:
    """The one ERROR line of a failure (also in ``run_dir``'s run.log), then its exit code."""
    log.error(f"exit {exc.exit_code}: {exc}")
    if run_dir is not None:
        _write_run_log(run_dir)
    raise typer.Exit(exc.exit_code)


@app.command()
def run(
    config: ConfigOpt,
    as_of: Annotated[
        dt.datetime | None,
        typer.Option(
            formats=["%Y-%m-%d"],
            help="Report date YYYY-MM-DD (default: config, else end of the last complete period).",
        ),
    ] = None,
    language: Annotated[
        Language | None, typer.Option(help="Report language (default: the config's).")
    ] = None,
    out: Annotated[Path | None, typer.Option(help="Output directory for runs.")] = None,
    no_pdf: Annotated[bool, typer.Option("--no-pdf", help="Skip the PDF.")] = False,
    fail_on_alert: Annotated[
        bool,
        typer.Option("--fail-on-alert", help="Exit 4 when the published run raised alerts."),
    ] = False,
    notebooks: Annotated[
        Path | None,
        typer.Option(
            help="Run these notebooks (edited copies from `churn-report notebooks DIR`) "
            "instead of the shipped ones."
        ),
    ] = None,
) -> None:
    """Validate the data, execute the notebooks, export HTML + PDF, publish the run."""
    from churnreport.config import load_config
    from churnreport.report.notebooks import NOTEBOOKS_DIR, report_notebooks
    from churnreport.report.pipeline import run_report

    start_run_log()  # this run's lines only (one process may run several, as tests do)
    _FAILED.clear()

    try:
        if notebooks is not None:  # checked before any data is read
            report_notebooks(notebooks)
            log.info(f"notebooks: {notebooks.resolve()}")
        cfg = load_config(
            config,
            as_of=as_of.date().isoformat() if as_of else None,
            language=language.value if language else None,
            output_dir=str(out.resolve()) if out else None,
        )
        _FAILED.update(root=cfg.resolved_output_dir(), name=cfg.name)
        # a progress bar for a person at a terminal; plain log lines elsewhere (schedulers grep)
        progress = (
            Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                TextColumn("{task.completed}/{task.total}"),
                TimeElapsedColumn(),
                console=err,
                transient=True,
            )
            if err.is_terminal
            else None
        )
        with progress or contextlib.nullcontext():
            task = progress.add_task("loading data", total=None) if progress else None

            def on_event(kind: str, payload: object) -> None:
                if kind == "loaded":
                    log.info(f"data loaded and valid, as of {payload.as_of}")
                elif kind == "start":
                    log.info(f"executing {len(payload)} notebooks")
                    if progress:
                        progress.update(task, description="notebooks", total=len(payload))
                elif kind == "done":
                    mark = f"failed: {payload.error}" if payload.error else "ok"
                    # a failed notebook is a WARNING here: the run's one ERROR line follows
                    level = logging.WARNING if payload.error else logging.INFO
                    log.log(level, f"notebook {payload.name} {mark} ({payload.seconds:.1f}s)")
                    if payload.kernel_output:  # ipykernel's own lines: run.log, not the terminal
                        said = textwrap.indent(payload.kernel_output, "  ")
                        log.debug(f"the kernel of {payload.name} wrote:\n{said}")
                    if progress:
                        progress.advance(task)
                elif kind == "warning":
                    log.warning(str(payload))
                elif kind == "exported":
                    log.info(f"exported {', '.join(sorted(payload))}")
                elif kind == "published":
                    _PUBLISHED["run_dir"] = payload
                elif kind == "stored":
                    rows = ", ".join(f"{t} {n}" for t, n in payload.items())
                    log.info(f"results written to the database: {rows}")

            result = run_report(
                cfg, notebooks_dir=notebooks or NOTEBOOKS_DIR, on_event=on_event, pdf=not no_pdf
            )
            unstored = None
    except DatabaseWriteFailed as exc:  # published: say so, then exit 7
        result, unstored = exc.result, exc
    except ChurnReportError as exc:
        # a failed notebook: its folder keeps the log too
        _fail(exc, getattr(exc, "kept", None))
    indicators = result.metrics.indicators
    log.info(f"report: {result.run_dir}")
    if indicators is not None:
        log.info(headline(indicators.overall.model_dump()))
    alerts = indicators.alerts if indicators is not None else []
    for a in alerts:
        log.info(f"alert: {a.metric} {a.rule} value={a.value} threshold={a.threshold}")
    _FAILED.clear()  # published: nothing after this is the run's failure
    if unstored is not None:
        raised = f"; {len(alerts)} alert(s) raised" if alerts else ""
        exc = DatabaseWriteFailed(
            f"the report is published in {result.run_dir}{raised}; the database write failed: "
            f"{unstored}; rerun to write it"
        )
        _fail(exc, result.run_dir)
    if alerts and fail_on_alert:
        _fail(AlertsRaised(f"{len(alerts)} alert(s) raised; the report is published"),
              result.run_dir)  # fmt: skip
    _write_run_log(result.run_dir)


def headline(overall: dict) -> str:
    """The log line of a published run's headline figure.

    Parameters
    ----------
    overall : dict
        ``metrics.json["indicators"]["overall"]``.

    Returns
    -------
    str
        The churn rate with its counts, or why there is none (nobody at the period start).
    """
    if overall.get("churn_rate") is None:
        return (
            f"churn rate {overall['period']}: none (no customer at the period start; "
            f"{overall['churned']} churned)"
        )
    return (
        f"churn rate {overall['period']}: {overall['churn_rate']:.2%} "
        f"({overall['churned']} of {overall['customers']})"
    )


@app.command()
def validate(config: ConfigOpt) -> None:
    """Check the data against the contract and print the data-quality record only."""
    from churnreport.config import load_config
    from churnreport.data import load_dataset

    try:
        ds = load_dataset(load_config(config))
    except ChurnReportError as exc:
        _fail(exc)
    _print_quality(ds)


def _print_quality(ds) -> None:
    """The data-quality record of a loaded dataset, as ``validate`` prints it."""
    out = Console(highlight=False)
    t = Table(title=f"Data quality (as of {ds.as_of}, definition {ds.definition})")
    for col in ("table", "rows read", "rows kept", "rows excluded", "file"):
        t.add_column(col)
    for tq in ds.quality.tables.values():
        t.add_row(
            tq.table, f"{tq.rows_read:,}", f"{tq.rows_kept:,}", f"{tq.rows_excluded:,}", tq.path
        )
    out.print(t)
    for i in ds.quality.issues:
        ex = "; ".join(f"row {r}: {v!r}" for r, v in i.examples[:3])
        out.print(
            f"- {i.table}.{i.column or '*'}: {i.action} {i.count:,} ({i.detail})"
            + (f" e.g. {ex}" if ex else "")
        )
    out.print(f"customers: {len(ds.customers):,}; spells: {len(ds.spells):,}")


@app.command()
def init(
    files: Annotated[
        list[Path], typer.Argument(help="Raw exports: CSV/TXT, XLSX or Parquet (one or more).")
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="Config file to write.")] = Path(
        "report.yml"
    ),
    name: Annotated[str, typer.Option(help="Report name (default: from the first file).")] = "",
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite an existing config file.")
    ] = False,
) -> None:
    """Infer a config from raw exports, write it, and validate it as `validate` does.

    Prints each decision with its evidence and what could not be decided; never prompts.
    Exit 0 when the written config validates, 2 otherwise (the config is still written).
    """
    from churnreport.config import load_config
    from churnreport.data import load_dataset
    from churnreport.data.infer import infer_config, render_config

    try:
        if out.is_dir():
            raise ConfigError(f"--out {out} is a folder; give the config file's path")
        if out.exists() and not force:
            raise ConfigError(f"{out} exists; choose another --out or add --force to overwrite it")
        inference = infer_config(files, name=name or None)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(render_config(inference, out=out), encoding="utf-8")
    except ChurnReportError as exc:
        _fail(exc)
    console = Console(highlight=False, soft_wrap=True)
    console.print(f"config written: {out}", markup=False)
    console.print("decisions:", markup=False)
    for d in inference.decisions:
        console.print(f"  - {d.evidence}", markup=False)
    console.print("could not decide:" + ("" if inference.questions else " nothing"), markup=False)
    for q in inference.questions:
        console.print(f"  - {q}", markup=False)
    try:
        ds = load_dataset(load_config(out))
    except ChurnReportError as exc:
        log.info(f"{out} was written but does not validate: edit it (see the decisions above)")
        _fail(exc)
    _print_quality(ds)


@app.command()
def history(
    config: Annotated[
        Path | None, typer.Option("--config", "-c", help="Report config (its output_dir).")
    ] = None,
    out: Annotated[Path | None, typer.Option(help="Output directory holding the runs.")] = None,
) -> None:
    """List every published run with its headline figures (as reports/index.html does)."""
    from churnreport.config import load_config
    from churnreport.report.history import COLUMNS, format_rows, run_rows

    if out is None:
        if config is None:
            _fail(ConfigError("give --config or --out"))
        try:
            out = load_config(config).resolved_output_dir()
        except ChurnReportError as exc:
            _fail(exc)
    rows = run_rows(out)
    t = Table(title=f"Runs in {out}", box=None)
    for c in COLUMNS:
        t.add_column(
            c.replace("_", " "),
            justify="right" if c not in ("run_id", "name", "status") else "left",
        )
    for cells in format_rows(rows):
        t.add_row(*cells)
    Console(highlight=False, width=200).print(t)


@app.command()
def notebooks(
    directory: Annotated[Path, typer.Argument(help="Folder to write the notebooks into.")],
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite notebooks of the same names there.")
    ] = False,
) -> None:
    """Copy the report notebooks into a folder to edit; `run --notebooks DIR` runs them."""
    from churnreport.report.notebooks import copy_notebooks

    try:
        written = copy_notebooks(directory, force=force)
    except ChurnReportError as exc:
        _fail(exc)
    console = Console(highlight=False, soft_wrap=True)
    console.print(f"notebooks written to {directory}:", markup=False)
    for path in written:
        console.print(f"  {path.name}", markup=False)
    console.print(
        "edit them (in Jupyter, set config_path in each parameters cell to your report.yml), "
        f"then run them: churn-report run --config report.yml --notebooks {directory}",
        markup=False,
    )


@app.command()
def schema() -> None:
    """Print the JSON Schema (draft 2020-12) of metrics.json."""
    from importlib.resources import files

    sys.stdout.write(files("churnreport").joinpath("metrics.schema.json").read_text("utf-8"))


@app.command()
def sample(
    out: Annotated[Path, typer.Option(help="Directory for the sample tables.")] = Path("sample"),
    customers: Annotated[
        int,
        typer.Option(
            min=1,
            help="Customers to generate (above 250,000 the tables are streamed to Parquet "
            "block by block; about 15 transactions per customer).",
        ),
    ] = 20_000,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 42,
) -> None:
    """Write the sample company's canonical tables and a ready-to-run report.yml."""
    from churnreport.data.sample import write_sample

    path = write_sample(out, n_customers=customers, seed=seed)
    err.print(f"sample written: {path}")


#: Exit codes of failures that are not a ChurnReportError (see the module docstring).
EXIT_MACHINE, EXIT_INTERNAL, EXIT_INTERRUPTED, EXIT_TERMINATED = 5, 6, 130, 143


def _machine_problem(exc: BaseException) -> str | None:
    """One sentence for a failure of the machine rather than of the data or the code."""
    if isinstance(exc, MemoryError):
        return "out of memory"
    if isinstance(exc, BrokenProcessPool):  # a worker was killed from outside, mostly the OOM
        return "a notebook worker process died (killed from outside; out of memory?)"
    if isinstance(exc, OSError) and exc.errno in (
        errno.ENOSPC, errno.EDQUOT, errno.EIO, errno.EROFS, errno.EMFILE, errno.ENFILE
    ):  # fmt: skip
        where = f": {exc.filename}" if exc.filename else ""
        return f"{exc.strerror or exc}{where}"
    return None


def main() -> None:
    """Console-script entry point: one ERROR line and a documented exit code for any failure."""
    from churnreport.report.runner import Terminated, raise_terminated

    setup_logging(err)
    # both signals take one road: the workers stop, the staging folder goes, the lock is freed
    signal.signal(signal.SIGTERM, raise_terminated)
    signal.signal(signal.SIGINT, raise_terminated)
    try:
        app()
    except Terminated as stop:
        if stop.signum == signal.SIGINT:
            code, what = EXIT_INTERRUPTED, "interrupted (Ctrl-C)"
        else:
            code, what = EXIT_TERMINATED, "terminated (SIGTERM)"
        if _PUBLISHED:  # stopped while writing the database: that write is rolled back
            after = f"the report is published in {_PUBLISHED['run_dir']}, the database unchanged"
        else:
            after = "nothing was published"
        log.error(f"exit {code}: {what}; {after}")
        sys.exit(code)
    except Exception as exc:  # noqa: BLE001 (the last line of defence: one ERROR line, a code)
        problem = _machine_problem(exc)
        if problem is not None:
            log.error(f"exit {EXIT_MACHINE}: the machine failed the run: {problem}")
            where = _failed_dir()
            if where is not None:  # best effort: the disk may be the problem
                _write_run_log(where, [f"  {line}" for line in traceback.format_exc().splitlines()])
            sys.exit(EXIT_MACHINE)
        trace = [f"  {line}" for line in traceback.format_exc().rstrip().splitlines()]
        where = _failed_dir()
        written = _write_run_log(where, trace) if where is not None else None
        log.error(
            f"exit {EXIT_INTERNAL}: unexpected error {type(exc).__name__}: {exc} "
            "(a bug in churnreport; please report it with the traceback "
            + (f"in {written})" if written else "below)")
        )
        if written is not None:
            _write_run_log(where, trace)  # again, now with the ERROR line
        else:
            for line in trace:
                err.print(line, markup=False, soft_wrap=True, highlight=False)
        sys.exit(EXIT_INTERNAL)


if __name__ == "__main__":
    main()
