"""Execute the report notebooks with papermill, in parallel up to the core count."""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

NOTEBOOKS_DIR = Path(__file__).resolve().parents[3] / "notebooks"
#: Notebooks named so run after the others (the executive summary reads their metrics).
SUMMARY_PREFIX = "00_"
#: Start-up failures that happen before any cell ran, so one retry is safe.
_STARTUP_ERRORS = (
    "Kernel died before replying to kernel_info",
    "Kernel didn't respond",
    "Address already in use",
)


def _ipc_kernel_manager(socket_dir: Path):
    """A kernel manager talking to its kernel over IPC sockets in ``socket_dir``, shut down
    without the interrupt that makes an idle kernel log a false error.

    Parallel kernels on TCP race for free ports (jupyter_client picks a port, releases it, and
    the kernel binds it later); IPC sockets have unique paths, so there is nothing to race for.
    """
    from jupyter_client.manager import AsyncKernelManager

    class IPCKernelManager(AsyncKernelManager):
        def __init__(self, **kw):
            super().__init__(**kw)
            self.transport = "ipc"
            self.ip = str(socket_dir / "kernel")

        async def _async_interrupt_kernel(self) -> None:
            # jupyter_client interrupts (SIGINT) before every shutdown; an idle ipykernel then
            # logs "ERROR | KeyboardInterrupt caught in kernel" to our stderr, a false alarm
            # for schedulers that grep logs. The shutdown request and, if needed, SIGTERM /
            # SIGKILL still stop a busy kernel.
            if self.shutting_down:
                return
            await super()._async_interrupt_kernel()

    return IPCKernelManager


@dataclass(frozen=True)
class NotebookResult:
    """Outcome of one notebook execution.

    Attributes
    ----------
    name : str
        Notebook file name.
    output : Path
        The executed notebook (written even when a cell failed).
    seconds : float
        Wall time.
    error : str or None
        The failure, papermill's message (cell and exception), or None on success.
    """

    name: str
    output: Path
    seconds: float
    error: str | None = None


def report_notebooks(directory: Path = NOTEBOOKS_DIR) -> list[Path]:
    """The report notebooks in report order (file name order, e.g. 01_, 02_, 90_)."""
    if not directory.is_dir():
        raise FileNotFoundError(f"notebooks directory not found: {directory}")
    return sorted(p for p in directory.glob("[0-9]*.ipynb"))


def execute_one(
    notebook: Path, output: Path, parameters: dict, cell_timeout: int, kernel_name: str
) -> NotebookResult:
    """Execute one notebook with papermill; never raises for a failing cell.

    Parameters
    ----------
    notebook, output : Path
        Input notebook and where the executed copy goes.
    parameters : dict
        Values injected after the ``parameters`` cell.
    cell_timeout : int
        Seconds a single cell may run.
    kernel_name : str
        Jupyter kernel.

    Returns
    -------
    NotebookResult
    """
    import papermill as pm

    t0 = time.perf_counter()
    for attempt in (1, 2):
        error = None
        with tempfile.TemporaryDirectory(prefix="churnreport-kernel-") as sockets:
            try:
                pm.execute_notebook(
                    str(notebook),
                    str(output),
                    parameters=parameters,
                    kernel_name=kernel_name,
                    cwd=str(notebook.parent),
                    execution_timeout=cell_timeout,
                    progress_bar=False,
                    log_output=False,
                    kernel_manager_class=_ipc_kernel_manager(Path(sockets)),
                )
            except pm.PapermillExecutionError as exc:
                error = f"cell {exc.exec_count}: {exc.ename}: {exc.evalue}"
            except Exception as exc:  # kernel death, timeout: papermill raises several kinds
                first_line = f"{type(exc).__name__}: {exc}".strip().splitlines()[0]
                error = f"{_running_cell(output)}: {first_line}"
        if not (error and attempt == 1 and any(e in error for e in _STARTUP_ERRORS)):
            break
    return NotebookResult(notebook.name, output, time.perf_counter() - t0, error)


def _running_cell(executed: Path) -> str:
    """'cell N (first line of its code)' for the last cell papermill started, from the executed
    copy it saved; the cell that timed out or took the kernel down."""
    import nbformat

    try:
        nb = nbformat.read(executed, as_version=4)
    except Exception:  # the copy may be missing when the kernel never started
        return "before the first cell"
    started = [
        (i, c)
        for i, c in enumerate(nb.cells, start=1)
        if c.cell_type == "code" and (c.metadata.get("papermill") or {}).get("start_time")
    ]
    if not started:
        return "before the first cell"
    i, cell = started[-1]
    line = next((ln for ln in cell.source.splitlines() if ln.strip()), "")
    return f"cell {i} ({line[:60]})"


def execute_notebooks(
    notebooks: list[Path],
    out_dir: Path,
    parameters: dict,
    *,
    cell_timeout: int = 600,
    kernel_name: str = "python3",
    workers: int | None = None,
    on_done: Callable[[NotebookResult], None] | None = None,
) -> list[NotebookResult]:
    """Execute notebooks in parallel processes.

    Parameters
    ----------
    notebooks : list of Path
        Notebooks to run.
    out_dir : Path
        Executed copies are written here under the same names.
    parameters : dict
        Injected into every notebook.
    cell_timeout : int
        Per-cell timeout in seconds.
    kernel_name : str
        Jupyter kernel name.
    workers : int, optional
        Parallel executions; default the core count.
    on_done : callable, optional
        Called with each result as it finishes (progress display).

    Returns
    -------
    list of NotebookResult
        In the order of ``notebooks``.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    workers = max(1, min(workers or os.cpu_count() or 1, len(notebooks)))
    results: dict[str, NotebookResult] = {}
    with ProcessPoolExecutor(max_workers=workers) as pool:
        futures = [
            pool.submit(execute_one, nb, out_dir / nb.name, parameters, cell_timeout, kernel_name)
            for nb in notebooks
        ]
        for fut in as_completed(futures):
            res = fut.result()
            results[res.name] = res
            if on_done:
                on_done(res)
    return [results[nb.name] for nb in notebooks]
