"""One run from config to published report: validate, execute, export, publish (and, with
``publish: database``, write its results as tables)."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import shutil
import time
from collections.abc import Callable
from concurrent import futures
from pathlib import Path

import psutil

from churnreport.analysis.results import Metrics
from churnreport.config import ReportConfig, dump_config
from churnreport.data import Dataset, SavedDataset, load_and_save
from churnreport.errors import DatabaseWriteFailed, NotebookFailed
from churnreport.periods import period_label, to_period
from churnreport.report import publish as pub
from churnreport.report.database import check_target, write_run
from churnreport.report.front import cover_info
from churnreport.report.history import write_index
from churnreport.report.notebooks import NOTEBOOKS_DIR, report_notebooks
from churnreport.report.runner import (
    APPENDIX_PREFIX,
    SUMMARY_PREFIX,
    NotebookResult,
    Workers,
    beside,
    execute_notebooks,
    memory_workers,
    start_order,
    usable_cores,
)
from churnreport.report.shared_files import has_handed_over, write_handed_over
from churnreport.report.text import Text

#: A kernel's peak memory over the customer and spell tables it reads (measured at 500,000
#: and 5,000,000 customers of the sample: a chapter's work frames come to about twice the
#: tables), and the libraries it imports. See docs/PERFORMANCE.md.
KERNEL_PEAK_FACTOR = 3.0
KERNEL_BASE_BYTES = 0.5e9
#: A worker keeps its kernel for the next notebook while the kernel holds less than the
#: libraries and one copy of the tables, and at least this: memory a notebook leaves behind
#: would add to the next one's peak (the 5M run peaked in a kept kernel's fourth notebook).
KEPT_KERNEL_MIN_BYTES = 1.5e9
#: A load still running after this many seconds is a large one: the kernels started beside
#: it are stopped, and start again when it is done. Their head start saves some 3 s; beside
#: a large load they hold 0.3 GB each while its memory peaks (5,000,000 customers: a load of
#: 381 s, whose end was the run's peak). A load of 500,000 customers takes about 25 s.
LONG_LOAD_SECONDS = 60.0


@dataclasses.dataclass(frozen=True)
class RunResult:
    """A published run.

    Attributes
    ----------
    run_dir : Path
        reports/<as_of>_<name>/
    metrics : Metrics
        Contents of metrics.json.
    """

    run_dir: Path
    metrics: Metrics


def run_report(
    config: ReportConfig,
    *,
    notebooks_dir: Path = NOTEBOOKS_DIR,
    on_event: Callable[[str, object], None] | None = None,
    pdf: bool = True,
) -> RunResult:
    """Run the whole report for a config and publish it atomically.

    Parameters
    ----------
    config : ReportConfig
        With any CLI overrides already applied.
    notebooks_dir : Path
        Where the report notebooks are.
    on_event : callable, optional
        Progress callback: ("loaded", Dataset), ("start", [names]), ("done", NotebookResult),
        ("exported", None); with a ``publish`` database ("published", run folder) before its
        write and ("stored", {table: rows}) after it.
    pdf : bool
        Write report.pdf too.

    Returns
    -------
    RunResult

    Raises
    ------
    InputError, ConfigError
        Bad config or data (exit 2): no run folder is written, and an output folder this run
        created only for its lock is removed again.
    RunLocked
        Another run holds the output directory (exit 3), found before any data is read.
    NotebookFailed
        A notebook failed; its executed copy is kept under <output>/_failed/<run id>/ (exit 1).
    DatabaseWriteFailed
        The run is published, but writing it to the ``publish`` database failed (exit 7); its
        ``result`` is the published run. The database is checked before any data is read (a
        wrong URL or a refusal is a ConfigError, exit 2, and nothing is written).
    """
    emit = on_event or (lambda *_: None)
    t0 = time.perf_counter()
    timings: dict[str, float] = {}
    out_root = config.resolved_output_dir()
    made = pub.first_missing(out_root)  # the folder this run creates, if any
    with contextlib.ExitStack() as held:
        # one run at a time per output directory, taken before the data is read: a second run
        # exits 3 at once instead of after loading
        held.enter_context(pub.run_lock(out_root))
        target = config.publish_target()
        loading = None
        try:  # with pii: mask the record's examples come masked
            if target is not None:  # a wrong URL or no right to write fails before loading
                check_target(target)
            notebooks = report_notebooks(notebooks_dir)
            # the kernels start, and import the analysis stack, while the data is read
            started = held.enter_context(
                Workers(min(usable_cores(), len(notebooks)), notebooks[0].parent)
            )
            loading = pub.staging_dir(out_root, "load")  # the load's files, until the run's
            saved = _load_apart(config, loading, on_long=started.stop)
            data: Dataset = saved.dataset  # its tables are in loading/prepared
            timings["load_and_validate"] = time.perf_counter() - t0
            emit("loaded", data)
            if config.language == "zh":
                # imported here: matplotlib and seaborn (1.4 s) would delay the run's start
                from churnreport.report.charts import CJK_FONT_MISSING, find_cjk_font

                if find_cjk_font() is None:
                    emit("warning", CJK_FONT_MISSING)
        except BaseException:  # bad input, Ctrl-C, a bug: the lock released, no folder left
            if loading is not None:
                shutil.rmtree(loading, ignore_errors=True)
            held.close()
            if made is not None:
                pub.remove_unused(out_root, made)
            raise
        rid = pub.run_id(data.as_of.isoformat(), config.name)
        staging = pub.staging_dir(out_root, rid)
        try:
            (loading / "prepared").rename(staging / "prepared")
            shutil.rmtree(loading)
            profile, tables = saved.profile, saved.table_bytes
            kernel = KERNEL_PEAK_FACTOR * tables
            # as many kernels at once as the cores allow and the memory holds (the early
            # kernels' memory is theirs already: counted in, not also out)
            available = psutil.virtual_memory().available + started.memory()
            workers = min(
                usable_cores(),
                memory_workers(kernel + KERNEL_BASE_BYTES, available=available),
                len(notebooks),
            )
            effective = dump_config(config, staging / "config.yml")  # kept in the run
            params = {
                "config_path": str(effective),
                "as_of": data.as_of.isoformat(),
                "language": config.language,
                "prepared_dir": str(staging / "prepared"),
                "output_dir": str(staging),
            }
            emit("start", [nb.name for nb in notebooks])
            t1 = time.perf_counter()
            # the summary (00_*) reads the chapters' metrics, so it starts when they are done
            # (an appendix, 9x_, reads none); the costliest notebooks start first
            chapters = [nb.name for nb in notebooks if not nb.name.startswith(SUMMARY_PREFIX)]
            readers = {
                nb.name: [c for c in chapters if not c.startswith(APPENDIX_PREFIX)]
                for nb in notebooks
                if nb.name.startswith(SUMMARY_PREFIX)
            }
            results = execute_notebooks(
                start_order(notebooks, pub.previous_timings(out_root, config.name)),
                staging / "notebooks",
                params,
                cell_timeout=config.cell_timeout_seconds,
                workers=workers,
                after=readers,
                on_done=lambda r: emit("done", r),
                keep_kernel_below=max(KEPT_KERNEL_MIN_BYTES, KERNEL_BASE_BYTES + tables),
                started=started,
            )
            results = sorted(results, key=lambda r: [nb.name for nb in notebooks].index(r.name))
            timings["execute"] = time.perf_counter() - t1
            failed = [r for r in results if r.error]
            if failed:
                kept = pub.keep_failed(staging, out_root, rid)
                timings["total"] = time.perf_counter() - t0
                manifest = _manifest(config, data, rid, results, timings, workers)
                manifest["status"] = "failed"
                pub.write_json(kept / "manifest.json", manifest)
                lines = [f"{r.name}: {r.error}" for r in failed]
                raise NotebookFailed(
                    "notebook(s) failed:\n  "
                    + "\n  ".join(lines)
                    + f"\nexecuted notebooks kept in {kept}",
                    kept=kept,
                )
            t2 = time.perf_counter()
            text = Text(config.language, config.currency)
            title = f"{config.company} · {text('report.title')}"
            cover = cover_info(
                config.company,
                period_label(to_period(data.as_of, config.period)),
                data.as_of,
                [
                    Path(i["path"]).name if "path" in i else f"{i['connection']} [{i['sql']}]"
                    for i in data.inputs.values()
                ],
                text,
            )
            # the tables the notebooks handed over (at_risk.csv / .xlsx) are written by
            # another process while this one exports
            tables_beside = (
                beside(write_handed_over, staging)
                if has_handed_over(staging)
                else contextlib.nullcontext()
            )
            from churnreport.report.export import export_report  # nbconvert: when needed

            with tables_beside:
                outputs = export_report(
                    [r.output for r in results],
                    staging,
                    title=title,
                    language=config.language,
                    paper=config.paper,
                    pdf=pdf,
                    cover=cover,
                )
            timings["export"] = time.perf_counter() - t2
            emit("exported", outputs)
            header = {
                "run_id": rid,
                "as_of": data.as_of.isoformat(),
                "period": config.period,
                "definition": data.definition,
                "language": config.language,
                "company": config.company,
                "currency": config.currency,
                "profile": profile,
                "data_quality": data.quality.to_dict(),
            }
            metrics = pub.merge_metrics(staging, header)
            pub.write_json(staging / "data_quality.json", data.quality.to_dict())
            shutil.rmtree(staging / "prepared")
            timings["total"] = time.perf_counter() - t0
            pub.write_json(
                staging / "manifest.json", _manifest(config, data, rid, results, timings, workers)
            )
            final = pub.publish(staging, out_root / rid)
            write_index(out_root)
        except BaseException:
            shutil.rmtree(loading, ignore_errors=True)
            if staging.exists():
                shutil.rmtree(staging, ignore_errors=True)
            raise
        result = RunResult(final, metrics)
        if target is not None:  # files first: the report stands whatever the database does
            emit("published", final)
            try:
                emit("stored", write_run(final, target))
            except DatabaseWriteFailed as exc:
                exc.result = result
                raise
        return result


def _load_apart(
    config: ReportConfig, folder: Path, on_long: Callable[[], None] | None = None
) -> SavedDataset:
    """:func:`churnreport.data.load_and_save` in a process of its own, which ends with it: the
    load's memory (8 GB at 5,000,000 customers, and what the allocator keeps of it after)
    is not held by this process beside the kernels. Its error (bad input: InputError) is
    raised here; a stop (Ctrl-C, SIGTERM) stops it too. ``on_long`` is called once the load
    has run :data:`LONG_LOAD_SECONDS`."""
    with beside(load_and_save, config, folder) as loading:
        if on_long is not None:
            with contextlib.suppress(TimeoutError, futures.TimeoutError):
                return loading.result(timeout=LONG_LOAD_SECONDS)
            if not loading.done():
                on_long()
        return loading.result()


def _manifest(
    config: ReportConfig,
    data: Dataset,
    rid: str,
    results: list[NotebookResult],
    timings: dict[str, float],
    workers: int,
) -> dict:
    return {
        "run_id": rid,
        "status": "ok",
        "created_at": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "command": pub.command_line(),
        "config_path": str(config.config_path),
        "parameters": config.model_dump(mode="json", exclude={"config_path"})
        | {"as_of": data.as_of.isoformat()},
        "inputs": data.inputs,
        "notebooks": [
            {
                "name": r.name,
                "seconds": round(r.seconds, 2),
                "error": r.error,
                # the kernel's resident memory when the notebook finished
                "kernel_gb": None if r.kernel_bytes is None else round(r.kernel_bytes / 1e9, 2),
            }
            for r in results
        ],
        "timings_seconds": {k: round(v, 2) for k, v in timings.items()},
        "kernels_at_once": workers,  # the cores and the memory allow (memory_workers)
        "packages": pub.package_versions(),
    }
