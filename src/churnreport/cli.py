"""Command line: parses options and delegates. Exit codes: 0 ok, 1 a notebook failed,
2 bad config or input."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from churnreport.errors import ChurnReportError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Churn analysis reports from customer data.",
)
err = Console(stderr=True, highlight=False)

ConfigOpt = Annotated[Path, typer.Option("--config", "-c", help="Report config (YAML).")]


def _fail(exc: ChurnReportError) -> None:
    err.print(f"[bold red]error:[/] {exc}", markup=True, soft_wrap=True)
    raise typer.Exit(exc.exit_code)


@app.command()
def run(
    config: ConfigOpt,
    as_of: Annotated[
        str,
        typer.Option(
            help="Report date YYYY-MM-DD (default: config, else end of the last complete period)."
        ),
    ] = "",
    language: Annotated[str, typer.Option(help="Report language: en or zh.")] = "",
    out: Annotated[Path | None, typer.Option(help="Output directory for runs.")] = None,
    no_pdf: Annotated[bool, typer.Option("--no-pdf", help="Skip the PDF.")] = False,
) -> None:
    """Validate the data, execute the notebooks, export HTML + PDF, publish the run."""
    from churnreport.config import load_config
    from churnreport.report.pipeline import run_report

    try:
        cfg = load_config(
            config,
            as_of=as_of or None,
            language=language or None,
            output_dir=str(out.resolve()) if out else None,
        )
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total}"),
            TimeElapsedColumn(),
            console=err,
            transient=False,
        ) as progress:
            task = progress.add_task("loading data", total=None)

            def on_event(kind: str, payload: object) -> None:
                if kind == "loaded":
                    progress.update(task, description=f"data as of {payload.as_of}")
                elif kind == "start":
                    progress.update(task, description="notebooks", total=len(payload), completed=0)
                elif kind == "done":
                    mark = "failed" if payload.error else "ok"
                    progress.console.print(f"  {payload.name}: {mark} ({payload.seconds:.1f}s)")
                    progress.advance(task)
                elif kind == "exported":
                    progress.update(task, description="exported HTML and PDF")

            result = run_report(cfg, on_event=on_event, pdf=not no_pdf)
    except ChurnReportError as exc:
        _fail(exc)
    overall = result.metrics.get("overall", {})
    err.print(f"report: {result.run_dir}")
    if overall:
        err.print(
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
def sample(
    out: Annotated[Path, typer.Option(help="Directory for the sample tables.")] = Path("sample"),
    customers: Annotated[int, typer.Option(help="Customers to generate.")] = 20_000,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 42,
) -> None:
    """Write the sample company's canonical tables and a ready-to-run report.yml."""
    from churnreport.data.sample import write_sample

    path = write_sample(out, n_customers=customers, seed=seed)
    err.print(f"sample written: {path}")


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
