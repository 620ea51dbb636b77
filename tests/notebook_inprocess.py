"""Run the report notebooks in this process: fast enough to try many small datasets.

The data are loaded and validated once (as the pipeline does), cached as Parquet, and every
notebook's code cells run in one namespace per notebook with the runner's parameters. Each
cell's last expression is formatted by IPython's DisplayFormatter, so ``_repr_html_`` and the
chart rendering (SVG) really run, as they do under papermill. The chapters run first, then the
summary, which reads the metrics they recorded.
"""

from __future__ import annotations

import ast
import contextlib
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import nbformat  # noqa: E402
from IPython.core.formatters import DisplayFormatter  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from churnreport.config import dump_config, load_config  # noqa: E402
from churnreport.data import load_dataset, save_tables  # noqa: E402
from churnreport.report.runner import NOTEBOOKS_DIR, SUMMARY_PREFIX, report_notebooks  # noqa: E402
from churnreport.report.shared_files import write_handed_over  # noqa: E402
from churnreport.report.text import Text  # noqa: E402

#: What a missing number looks like once formatted (Text shows ``–`` for None / NaN).
MISSING = re.compile(r"^\s*–|–\s*$|\b(nan|NaN|None|NaT|inf)\b")


class MissingNumberInSentence(AssertionError):
    """A catalogue sentence was filled with a missing number."""


@contextlib.contextmanager
def strict_sentences():
    """Make every catalogue sentence refuse a value that is a missing number."""
    original = Text.__call__

    def call(self, key, **values):
        for name, value in values.items():
            if isinstance(value, str) and MISSING.search(value):
                raise MissingNumberInSentence(f"{key}: {name}={value!r}")
            if isinstance(value, float) and value != value:
                raise MissingNumberInSentence(f"{key}: {name}=nan")
        return original(self, key, **values)

    Text.__call__ = call
    try:
        yield
    finally:
        Text.__call__ = original


@dataclass
class NotebookRun:
    """What one notebook showed in the report: every displayed value's text (HTML, else plain
    text); cells tagged ``remove-cell`` run but their values are not the report's."""

    name: str
    outputs: list[str] = field(default_factory=list)
    errors: list[BaseException] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n".join(self.outputs)


def _run_cell(source: str, ns: dict, formatter: DisplayFormatter) -> str | None:
    tree = ast.parse(source)
    last = tree.body[-1] if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    body = tree.body[:-1] if last is not None else tree.body
    shown = None
    try:
        exec(compile(ast.Module(body=body, type_ignores=[]), "<cell>", "exec"), ns)
        if last is not None:
            value = eval(compile(ast.Expression(last.value), "<cell>", "eval"), ns)
            if value is not None:
                data, _ = formatter.format(value)
                shown = data.get("text/html") or data.get("text/plain", "")
    except BaseException:
        plt.close("all")
        raise
    try:
        for num in plt.get_fignums():  # the inline backend draws figures left open
            plt.figure(num).savefig(io.BytesIO(), format="png")
    finally:
        plt.close("all")
    return shown


def run_notebooks(
    config_path: Path,
    workdir: Path,
    *,
    language: str = "",
    as_of: str = "",
    notebooks_dir: Path = NOTEBOOKS_DIR,
    keep_going: bool = False,
) -> dict[str, NotebookRun]:
    """Execute every report notebook for one config, in process.

    Parameters
    ----------
    config_path : Path
        The report YAML.
    workdir : Path
        An empty directory: the cache (``prepared``), the effective config and the metrics.
    language, as_of : str
        Overrides, as on the command line.
    notebooks_dir : Path
        Where the report notebooks are.
    keep_going : bool
        Record a failing cell's exception in :attr:`NotebookRun.errors` and go on (for
        exploring); by default the first exception propagates.

    Returns
    -------
    dict
        Notebook file name -> :class:`NotebookRun`. Every catalogue sentence is checked:
        one filled with a missing number raises :class:`MissingNumberInSentence`.
    """
    config = load_config(str(config_path), as_of=as_of or None, language=language or None)
    data = load_dataset(config)
    save_tables(data, workdir / "prepared")
    effective = dump_config(config, workdir / "config.yml")
    params = {
        "config_path": str(effective),
        "as_of": data.as_of.isoformat(),
        "language": config.language,
        "prepared_dir": str(workdir / "prepared"),
        "output_dir": str(workdir),
    }
    notebooks = report_notebooks(notebooks_dir)
    ordered = [nb for nb in notebooks if not nb.name.startswith(SUMMARY_PREFIX)] + [
        nb for nb in notebooks if nb.name.startswith(SUMMARY_PREFIX)
    ]
    formatter = DisplayFormatter()
    runs: dict[str, NotebookRun] = {}
    # one BLAS/OpenMP thread: on a shared machine spinning worker threads cost more than they
    # bring for these small frames
    with strict_sentences(), threadpool_limits(1):
        for path in ordered:
            runs[path.name] = _run_notebook(path, params, formatter, keep_going)
    write_handed_over(workdir)  # the shared tables, as the command writes them
    return runs


def _run_notebook(
    path: Path, params: dict, formatter: DisplayFormatter, keep_going: bool
) -> NotebookRun:
    nb = nbformat.read(path, as_version=4)
    ns: dict = {"__name__": "__main__"}
    run = NotebookRun(path.name)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        if "parameters" in cell.metadata.get("tags", []):
            exec(cell.source, ns)
            ns.update(params)
            continue
        try:
            shown = _run_cell(cell.source, ns, formatter)
        except Exception as exc:
            exc.add_note(f"in {path.name}, cell:\n{cell.source}")
            if not keep_going:
                raise
            run.errors.append(exc)
            continue
        if shown and "remove-cell" not in cell.metadata.get("tags", []):  # not in the report
            run.outputs.append(shown)
    return run
