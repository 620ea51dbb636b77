"""Execute the report notebooks with papermill, in parallel up to the core count."""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import multiprocessing.util
import os
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path

# where the notebooks are is report/notebooks.py's job; the names stay importable from here
from churnreport.report.notebooks import NOTEBOOKS_DIR, report_notebooks  # noqa: F401

#: Notebooks named so run after the others (the executive summary reads their metrics).
SUMMARY_PREFIX = "00_"
#: Notebooks named so are appendices: no other notebook reads what they record.
APPENDIX_PREFIX = "9"
#: A kept kernel that failed the reset before the notebook's first cell.
_NOT_RESET = "the kernel kept from the last notebook could not be reset"
#: Seconds the reset of a kept kernel may take when the cell limit is shorter (its first call
#: imports the analysis stack: a few seconds, more on a busy machine).
RESET_TIMEOUT = 300
#: Start-up failures that happen before any cell ran, so one retry (a new kernel) is safe.
_STARTUP_ERRORS = (
    "Kernel died before replying to kernel_info",
    "Kernel didn't respond",
    "Address already in use",
    _NOT_RESET,
)


def _ipc_kernel_manager(socket_dir: Path, process_output: Path):
    """A kernel manager talking to its kernel over IPC sockets in ``socket_dir``, shut down
    without the interrupt that makes an idle kernel log a false error, the kernel process's
    own stdout and stderr going to ``process_output``.

    Parallel kernels on TCP race for free ports (jupyter_client picks a port, releases it, and
    the kernel binds it later); IPC sockets have unique paths, so there is nothing to race for.

    The kernel named ``python3`` is always this interpreter's (``sys.executable -m
    ipykernel_launcher``): jupyter_client would take the first ``python3`` kernelspec on its
    path (``~/.local/share/jupyter``, ``JUPYTER_PATH``), which may start another Python, one
    without this churnreport or with another version of it.

    What a cell prints reaches the notebook over the kernel's sockets; what the kernel process
    itself writes (ipykernel's own log, e.g. a traceback from a race while it shuts down) would
    land on the user's terminal between our log lines. It goes to a file instead, which the
    run keeps in run.log.
    """
    from jupyter_client.kernelspec import NATIVE_KERNEL_NAME, KernelSpec
    from jupyter_client.manager import AsyncKernelManager

    class IPCKernelManager(AsyncKernelManager):
        def __init__(self, **kw):
            super().__init__(**kw)
            self.transport = "ipc"
            self.ip = str(socket_dir / "kernel")
            # its key too: one folder to remove, whatever stops the run
            self.connection_file = str(socket_dir / "kernel.json")

        @property
        def kernel_spec(self) -> KernelSpec | None:
            if self._kernel_spec is None and self.kernel_name == NATIVE_KERNEL_NAME:
                from ipykernel.kernelspec import RESOURCES, get_kernel_dict

                self._kernel_spec = KernelSpec(resource_dir=RESOURCES, **get_kernel_dict())
            return super().kernel_spec

        async def _async_launch_kernel(self, kernel_cmd: list[str], **kw) -> None:
            # the child gets its own copy of the descriptor; ours can close at once
            with open(process_output, "ab") as sink:
                kw.update(stdout=sink, stderr=sink)
                await super()._async_launch_kernel(kernel_cmd, **kw)

        async def _async_interrupt_kernel(self) -> None:
            # jupyter_client interrupts (SIGINT) before every shutdown; an idle ipykernel then
            # logs "ERROR | KeyboardInterrupt caught in kernel" to our stderr, a false alarm
            # for schedulers that grep logs. The shutdown request and, if needed, SIGTERM /
            # SIGKILL still stop a busy kernel.
            if self.shutting_down:
                return
            await super()._async_interrupt_kernel()

    return IPCKernelManager


_PR_SET_PDEATHSIG = 1  # linux/prctl.h
#: Seconds a worker gets to shut its kernel down after SIGTERM before it is killed.
_STOP_GRACE = 10


class Terminated(BaseException):
    """SIGTERM or SIGINT (Ctrl-C) arrived: stop the work and clean up (a BaseException, so no
    ``except Exception`` on the way swallows it).

    Attributes
    ----------
    signum : int
        The signal.
    """

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def raise_terminated(signum: int, frame: object) -> None:
    """A signal handler that turns the signal into :class:`Terminated`.

    Parameters
    ----------
    signum : int
        The signal received.
    frame : frame
        The interrupted frame (unused).

    Raises
    ------
    Terminated
    """
    raise Terminated(signum)


def _worker_start(parent: int) -> None:
    """Initialise a worker process: it dies with the run that started it.

    The operating system sends SIGTERM to the worker when its parent ends, however it ends
    (SIGKILL included); the worker kills its kernel and leaves. Ctrl-C reaches the whole
    process group: the workers ignore it and the parent stops them, one road for both signals.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _worker_terminated)
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    except (OSError, AttributeError):  # not Linux: the parent still stops its workers
        pass
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)


def _notebook_worker_start(parent: int) -> None:
    """Initialise a notebook worker (:func:`_worker_start`); its kernel is what imports the
    analysis stack, the worker only drives it.

    papermill imports pyarrow, and numpy with it, for its HDFS handler, which a worker never
    uses: 42 MB in each worker beside its kernel. The worker goes without it; papermill then
    names the handler's missing dependency only if a notebook is read from ``hdfs://``.
    """
    _worker_start(parent)
    sys.modules.setdefault("pyarrow", None)


def _execute_in_worker(
    *args, keep_below: float | None = None, cwd: Path | None = None
) -> NotebookResult:
    """:func:`execute_one` in a worker, its kernel kept for the next notebook; on SIGTERM the
    worker leaves at once (:func:`_worker_terminated`)."""
    return execute_one(*args, keep_kernel=True, keep_below=keep_below, cwd=cwd)


def _worker_terminated(signum: int, frame: object) -> None:
    """A worker's SIGTERM handler: the kernel, mid-cell, starting or kept idle, is killed
    first (before its socket folder goes, so it has nothing to fail on), the worker's
    temporary folders are removed, and the worker leaves at once, without the traceback the
    pool's worker loop would print.

    Unwinding by an exception instead is not sure to end the worker: asyncio swallows an
    exception raised in one of its callbacks, which is where a worker waiting on its kernel
    mostly is (a stop while a kernel started waited for the 10 s grace, then SIGKILL).
    """
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # once: a dying parent may signal again
    _kill_children()
    if _kernel is not None:  # killed above; its socket folder goes now
        shutil.rmtree(_kernel.folder, ignore_errors=True)
    if _warm_folder is not None:
        shutil.rmtree(_warm_folder, ignore_errors=True)
    os._exit(128 + signal.SIGTERM)


def _kill_children() -> None:
    """SIGKILL this process's child processes, with their process groups (a kernel leads its
    own: the processes it started go with it). Linux /proc; elsewhere the kernel's own parent
    polling ends it a moment later."""
    for children in Path(f"/proc/{os.getpid()}/task").glob("*/children"):
        for pid in children.read_text().split():
            try:
                if os.getpgid(int(pid)) == int(pid):
                    os.killpg(int(pid), signal.SIGKILL)
                else:
                    os.kill(int(pid), signal.SIGKILL)
            except (ProcessLookupError, ValueError):
                pass


@contextlib.contextmanager
def beside(fn, *args):
    """Run ``fn(*args)`` in a spawned process while the ``with`` block runs; on leaving the
    block, wait for it and raise its error. The process dies with this one, as a notebook
    worker does (:func:`_worker_start`).

    Parameters
    ----------
    fn : callable
        A module-level function (it is pickled by name).
    *args
        Its arguments (pickled).

    Yields
    ------
    concurrent.futures.Future
    """
    pool = ProcessPoolExecutor(
        max_workers=1,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_worker_start,
        initargs=(os.getpid(),),
    )
    try:
        future = pool.submit(fn, *args)
        yield future
        future.result()
    except BaseException:
        _stop_workers(pool)
        raise
    pool.shutdown(wait=True)


def _stop_workers(pool: ProcessPoolExecutor) -> None:
    """SIGTERM every worker of ``pool`` (each shuts its kernel down), SIGKILL what is left."""
    procs = list((getattr(pool, "_processes", None) or {}).values())
    for p in procs:
        if p.is_alive():
            p.terminate()
    deadline = time.monotonic() + _STOP_GRACE
    for p in procs:
        p.join(max(0.0, deadline - time.monotonic()))
        if p.is_alive():
            p.kill()
            p.join(1)
    pool.shutdown(wait=False, cancel_futures=True)


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
    kernel_output : str
        What the kernel process itself wrote to stdout and stderr (not the cells' output,
        which is in the notebook), its last :data:`KERNEL_OUTPUT_CHARS` characters; for
        run.log.
    kernel_bytes : int or None
        Resident memory of the kernel process when the notebook finished (None: unknown, as
        when the kernel died).
    """

    name: str
    output: Path
    seconds: float
    error: str | None = None
    kernel_output: str = ""
    kernel_bytes: int | None = None


def start_order(notebooks: list[Path], seconds: dict[str, float] | None = None) -> list[Path]:
    """The order to start ``notebooks`` in: the longest first, so the last to finish is not a
    long one started late.

    Parameters
    ----------
    notebooks : list of Path
    seconds : dict, optional
        Each notebook's seconds in an earlier run (the previous run's manifest). Without
        them the chapters start from the last (the models sit in the later chapters), then
        the appendices.

    Returns
    -------
    list of Path

    Examples
    --------
    >>> names = ["00_summary.ipynb", "01_a.ipynb", "02_b.ipynb", "90_c.ipynb"]
    >>> [p.name for p in start_order([Path(n) for n in names])]
    ['02_b.ipynb', '01_a.ipynb', '00_summary.ipynb', '90_c.ipynb']
    >>> [p.name for p in start_order([Path(n) for n in names], {"01_a.ipynb": 9.0})]
    ['01_a.ipynb', '02_b.ipynb', '00_summary.ipynb', '90_c.ipynb']
    """
    seconds = seconds or {}
    by_name = sorted(notebooks, key=lambda p: p.name, reverse=True)
    rank = {p.name: i for i, p in enumerate(by_name)}
    return sorted(
        notebooks,
        key=lambda p: (
            p.name.startswith(APPENDIX_PREFIX) and p.name not in seconds,
            -seconds.get(p.name, 0.0),
            rank[p.name],
        ),
    )


def execute_one(
    notebook: Path,
    output: Path,
    parameters: dict,
    cell_timeout: int,
    kernel_name: str,
    *,
    keep_kernel: bool = False,
    keep_below: float | None = None,
    cwd: Path | None = None,
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
        Jupyter kernel (``python3``: this interpreter's ipykernel).
    keep_kernel : bool
        Keep the kernel for the next notebook this process executes (a worker of
        :func:`execute_notebooks`): it starts with a fresh namespace (:data:`FRESH_NAMESPACE`)
        but with the libraries already imported. A kernel whose notebook failed is never kept.
    keep_below : float, optional
        Bytes: a kernel still holding more once its notebook's names are gone and their
        memory handed back (:data:`RELEASE_NAMESPACE`) is not kept. Memory a notebook leaves
        behind in the process would otherwise add to the next notebook's peak.
    cwd : Path, optional
        The kernel's working folder; default the notebook's (a kept kernel is kept for
        notebooks of the same folder).

    Returns
    -------
    NotebookResult
    """
    import papermill as pm

    t0 = time.perf_counter()
    cwd = cwd or notebook.parent
    kernel_output = []
    held = None
    for attempt in (1, 2):
        error = None
        kernel = _kept_kernel(kernel_name, cwd)
        reused = kernel.manager.has_kernel
        offset = kernel.reported
        finished = False
        seen: dict[str, int | None] = {}

        def after_cells(client, kernel=kernel, seen=seen):
            # what the notebook left, then (a kernel to keep) what it holds once the notebook's
            # names are gone and their memory handed back: what the next notebook starts from
            seen["end"] = kernel.memory()
            if keep_kernel:  # None: the release failed or timed out, the kernel is not kept
                released = client.run_quietly(RELEASE_NAMESPACE)
                seen["released"] = kernel.memory() if released else None

        try:
            pm.execute_notebook(
                str(notebook),
                str(output),
                parameters=parameters,
                kernel_name=kernel_name,
                cwd=str(cwd),
                execution_timeout=cell_timeout,
                progress_bar=False,
                log_output=False,
                engine_name=_kept_kernel_engine(),
                kernel=kernel,
                fresh_code=FRESH_NAMESPACE.format(folder=str(cwd.resolve())),
                after_cells=after_cells,
            )
            finished = True
        except pm.PapermillExecutionError as exc:
            error = f"cell {exc.exec_count}: {exc.ename}: {exc.evalue}"
        except Exception as exc:  # kernel death, timeout: papermill raises several kinds
            first_line = f"{type(exc).__name__}: {exc}".strip().splitlines()[0]
            error = f"{_running_cell(output)}: {first_line}"
        finally:  # also when interrupted (a caller's Terminated): the socket folder goes
            kernel_output.append(kernel.output_from(offset))
            kernel.reported = kernel.output_size()
            held = seen.get("end") if finished else None
            kept = seen.get("released")
            big = keep_below is not None and (kept or 0) > keep_below
            if not (finished and keep_kernel) or kept is None or big:
                _drop_kernel()
        # a kernel that failed at start, or a kept one that died before the first cell
        startup = any(e in error for e in _STARTUP_ERRORS) if error else False
        lost = bool(error) and reused and error.startswith("before the first cell")
        if not (attempt == 1 and (startup or lost)):
            break
    return NotebookResult(
        notebook.name,
        output,
        time.perf_counter() - t0,
        error,
        "".join(kernel_output)[-KERNEL_OUTPUT_CHARS:].strip(),
        held,
    )


#: Run silently in a kept kernel before each notebook (``{folder!r}``: the notebook's folder):
#: the notebook finds what a new kernel would give it (:mod:`churnreport.report.kernel_state`),
#: only the libraries stay imported.
FRESH_NAMESPACE = """\
try:
    from churnreport.report.kernel_state import fresh as _fresh
except ImportError:  # another interpreter's kernel: its names at least
    get_ipython().run_line_magic("reset", "-f")
else:
    _fresh(get_ipython(), {folder!r})
"""

#: Run silently in a kernel to keep, after its notebook's last cell: the notebook's names,
#: history and figures go and the memory they held goes back to the system, so the kernel's
#: memory read next is what the next notebook starts from.
RELEASE_NAMESPACE = """\
try:
    from churnreport.report.kernel_state import release as _release
except ImportError:  # another interpreter's kernel: its names at least
    get_ipython().run_line_magic("reset", "-f")
else:
    _release(get_ipython())
"""


#: Bytes of a Unix socket's path (sun_path holds 108 on Linux, 104 on macOS, with the NUL).
_SOCKET_PATH_MAX = 103
#: The longest name jupyter_client gives a kernel's socket in its folder (kernel-1 ... -5).
_SOCKET_NAME = "kernel-99"


def _socket_folder() -> Path:
    """A new folder for a kernel's sockets and key, in the temporary directory; in /tmp when
    that directory's path is too long for a Unix socket (the kernel would not start)."""
    folder = Path(tempfile.mkdtemp(prefix="churnreport-kernel-"))
    if len(os.fsencode(folder / _SOCKET_NAME)) <= _SOCKET_PATH_MAX or not os.path.isdir("/tmp"):
        return folder
    folder.rmdir()
    return Path(tempfile.mkdtemp(prefix="churnreport-kernel-", dir="/tmp"))


class _Kernel:
    """A kernel for one notebook or, in a worker, for the notebooks it executes in turn: its
    manager (started by nbclient on first use), socket folder and process output file."""

    def __init__(self, kernel_name: str, cwd: Path):
        self.key = (kernel_name, cwd)
        self.folder = _socket_folder()
        self.output = self.folder / "kernel-process.log"
        self.manager = _ipc_kernel_manager(self.folder, self.output)(kernel_name=kernel_name)
        #: the client of its last notebook, channels open (None: nbclient starts one)
        self.client = None
        #: how much of the kernel process's output a notebook's result has carried
        self.reported = 0
        #: :meth:`close`, run once: when dropped, or when a worker process leaves
        self.closing = multiprocessing.util.Finalize(self, self.close, exitpriority=10)

    def alive(self) -> bool:
        from jupyter_core.utils import run_sync

        return self.manager.has_kernel and run_sync(self.manager.is_alive)()

    def output_size(self) -> int:
        try:
            return self.output.stat().st_size
        except OSError:
            return 0

    def output_from(self, offset: int) -> str:
        """What the kernel process wrote after ``offset`` (its last characters)."""
        try:
            with open(self.output, "rb") as f:
                f.seek(max(offset, self.output_size() - 4 * KERNEL_OUTPUT_CHARS))
                return f.read().decode("utf-8", errors="replace")[-KERNEL_OUTPUT_CHARS:]
        except OSError:
            return ""

    def memory(self) -> int | None:
        """Resident bytes of the kernel process and the processes it started (a Spark
        session's JVM); None: no kernel, or it is gone."""
        try:
            pid = self.manager.provisioner.pid
        except AttributeError:  # no kernel started
            return None
        return _tree_bytes(pid)

    def close(self) -> None:
        """Kill the kernel (nothing in it is worth a graceful shutdown) and remove its
        socket folder."""
        from jupyter_core.utils import run_sync

        try:
            if self.client is not None:
                self.client.stop_channels()
                self.client = None
            if self.manager.has_kernel:
                run_sync(self.manager.shutdown_kernel)(now=True)
        except Exception:  # already gone: the folder still goes
            pass
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)


def _tree_bytes(pid: int | None) -> int | None:
    """Resident bytes of process ``pid`` and the processes it started (a kernel's Spark JVM,
    a worker's kernel); None: no such process."""
    import psutil

    if pid is None:  # not started (psutil would read this process instead)
        return None
    try:
        root = psutil.Process(pid)
        total = root.memory_info().rss
        children = root.children(recursive=True)
    except psutil.Error:  # gone
        return None
    for child in children:
        with contextlib.suppress(psutil.Error):  # ended since
            total += child.memory_info().rss
    return total


#: This process's kernel between notebooks (a worker keeps one).
_kernel: _Kernel | None = None


def _kept_kernel(kernel_name: str, cwd: Path) -> _Kernel:
    """The kernel kept from this process's last notebook when it is the same kind, in the same
    folder, and alive; else a new one (the old one closed)."""
    global _kernel
    if _kernel is not None and (_kernel.key != (kernel_name, cwd) or not _kernel.alive()):
        _drop_kernel()
    if _kernel is None:
        _kernel = _Kernel(kernel_name, cwd)
    return _kernel


def _drop_kernel() -> None:
    """Close this process's kernel, if any."""
    global _kernel
    if _kernel is not None:  # still this process's kernel while it closes: a SIGTERM
        _kernel.closing()  # meanwhile removes its folder too; runs once (the hook is spent)
    _kernel = None


_ENGINE = "churnreport-kept-kernel"
_engine_registered = False


def _kept_kernel_engine() -> str:
    """Register (once) and name papermill's nbclient engine on a kernel the caller manages
    (a :class:`_Kernel`): the namespace is made fresh first (:data:`FRESH_NAMESPACE`), the
    caller's ``after_cells`` runs once every cell has run without error (its release of a
    kernel to keep), and afterwards the kernel is left running, its client's channels open for
    the next notebook."""
    global _engine_registered
    if _engine_registered:
        return _ENGINE
    import papermill.engines as engines
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.log import logger

    class Client(PapermillNotebookClient):
        fresh_code = ""
        #: called with the client after the notebook's last cell ran
        after_cells = None

        def run_quietly(self, code: str) -> bool:
            """Run ``code`` in the kernel, not as a cell of the notebook and not held to the
            cell limit (the first reset imports the analysis stack, which a short limit on a
            busy machine would cut off); whether it ran without error."""
            msg_id = self.kc.execute(code, silent=True, store_history=False)
            limit = self.timeout
            if limit is not None and limit > 0:
                self.timeout = max(limit, RESET_TIMEOUT)
            try:
                reply = self.wait_for_reply(msg_id)
            except Exception:  # timed out (nbclient has no cell to name) or the kernel died
                reply = None
            finally:
                self.timeout = limit
            return bool(reply) and reply["content"].get("status") == "ok"

        def papermill_execute_cells(self):
            if not self.run_quietly(self.fresh_code):
                raise RuntimeError(_NOT_RESET)
            super().papermill_execute_cells()
            failed = self.nb.metadata.get("papermill", {}).get("exception")  # a cell raised
            if self.after_cells is not None and not failed:
                self.after_cells(self)

    class Engine(engines.NBClientEngine):
        @classmethod
        def execute_managed_notebook(
            cls,
            nb_man,
            kernel_name,
            kernel,
            fresh_code,
            after_cells=None,
            start_timeout=60,
            execution_timeout=None,
            **kwargs,
        ):
            for unused in ("input_path", "timeout", "startup_timeout"):
                kwargs.pop(unused, None)
            client = Client(
                nb_man,
                km=kernel.manager,
                kernel_name=kernel_name,
                timeout=execution_timeout,
                startup_timeout=start_timeout,
                log=logger,
                **kwargs,
            )
            client.fresh_code = fresh_code
            client.after_cells = after_cells
            # a kept kernel's client from its last notebook: a new client waits for the
            # kernel's broadcasts to reach it (0.2 s a notebook); None: nbclient starts one
            client.kc = kernel.client
            # the executed copy is written when the notebook starts and ends (papermill's
            # notebook_complete, also on a failure, with the running cell marked), not twice
            # a cell: with the charts' SVGs each write took 5-10 ms, 70 writes a notebook
            nb_man.save = lambda **_: None
            try:
                return client.execute(cleanup_kc=False)
            finally:  # the kernel's channels stay open with it; closed when it is dropped
                kernel.client = client.kc
                del nb_man.save  # papermill's own again, for notebook_complete

    engines.papermill_engines.register(_ENGINE, Engine)
    _engine_registered = True
    return _ENGINE


#: How much of a kernel process's own output a :class:`NotebookResult` keeps (its end).
KERNEL_OUTPUT_CHARS = 20_000


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


#: Thread-pool variables of the numeric libraries (OpenMP: scikit-learn's gradient boosting;
#: BLAS: numpy, statsmodels); each kernel gets its share of the cores.
THREAD_VARIABLES = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "BLIS_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
)


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity where the system has one)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


def thread_budget(
    workers: int, cores: int | None = None, environ: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Thread settings for a kernel that shares the machine with ``workers - 1`` others.

    Two kernels on two cores that each start a thread per core fight for them (a model fit
    then takes several times as long); each kernel gets ``cores // workers`` threads. A
    variable the user set is left as set.

    Parameters
    ----------
    workers : int
        Kernels running at once.
    cores : int, optional
        Cores available; default the ones this process may use.
    environ : mapping, optional
        The environment the kernel inherits; default this process's.

    Returns
    -------
    dict of str to str
        The variables to set.

    Examples
    --------
    >>> thread_budget(2, cores=2, environ={})["OMP_NUM_THREADS"]
    '1'
    >>> budget = thread_budget(2, cores=8, environ={"OMP_NUM_THREADS": "3"})
    >>> "OMP_NUM_THREADS" in budget, budget["OPENBLAS_NUM_THREADS"]
    (False, '4')
    """
    per = str(max(1, (cores or usable_cores()) // max(1, workers)))
    environ = os.environ if environ is None else environ
    return {v: per for v in THREAD_VARIABLES if v not in environ}


def memory_workers(kernel_bytes: float, available: int | None = None) -> int:
    """How many kernels of ``kernel_bytes`` each fit in the memory available now.

    Kernels that together need more memory than the machine has are stopped by the system
    (or swap) and the run fails; run fewer at once and it takes longer but completes. A
    fifth of the available memory is left for this process and the rest of the machine.

    Parameters
    ----------
    kernel_bytes : float
        The expected peak memory of one kernel.
    available : int, optional
        Bytes available; default what the system reports now.

    Returns
    -------
    int
        At least 1.

    Examples
    --------
    >>> memory_workers(11e9, available=20e9), memory_workers(1.6e9, available=20e9)
    (1, 10)
    """
    if available is None:
        import psutil

        available = psutil.virtual_memory().available
    return max(1, int(available * 0.8 // max(kernel_bytes, 1)))


def _execute_budgeted(
    threads: dict[str, str], *args, keep_below: float | None = None, cwd: Path | None = None
) -> NotebookResult:
    """:func:`_execute_in_worker` with the kernel's thread budget in the worker's environment
    (the kernel inherits it)."""
    os.environ.update(threads)
    return _execute_in_worker(*args, keep_below=keep_below, cwd=cwd)


def _warm_up(threads: dict[str, str], kernel_name: str, folder: Path) -> NotebookResult:
    """In a worker: start the kernel for notebooks of ``folder`` and import the analysis stack
    in it, by executing an empty notebook there (the road every notebook takes)."""
    import nbformat

    global _warm_folder
    _warm_folder = tmp = Path(tempfile.mkdtemp(prefix="churnreport-warm-"))
    try:
        empty = tmp / "warm_up.ipynb"
        nbformat.write(nbformat.v4.new_notebook(metadata=_KERNEL_METADATA), empty)
        result = _execute_budgeted(
            threads, empty, tmp / "out.ipynb", {}, RESET_TIMEOUT, kernel_name, cwd=folder
        )
        if _kernel is not None:  # what the kernel printed starting goes with its first notebook
            _kernel.reported = 0
        return result
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        _warm_folder = None


#: The folder of the empty notebook while :func:`_warm_up` runs it (a SIGTERM, which leaves
#: the worker at once, removes it too).
_warm_folder: Path | None = None


#: What papermill needs to know of an empty notebook: the kernel's language.
_KERNEL_METADATA = {
    "kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"},
    "language_info": {"name": "python"},
}


class Workers:
    """The processes that will execute a run's notebooks, started before the run's data is
    loaded: each starts its kernel and imports the analysis stack in it (3 s) while the data
    is read, so a small report does not wait for that after its data is ready.

    Pass it to :func:`execute_notebooks` (once; it shuts the processes down when done) or
    :meth:`stop` it. A context manager: leaving it stops what is still running (the run's
    data was bad, the run was stopped).

    Parameters
    ----------
    count : int
        Processes (kernels at once); each kernel gets its share of the cores
        (:func:`thread_budget`).
    folder : Path
        The notebooks' folder (each kernel's working folder).
    kernel_name : str
        Jupyter kernel.
    """

    def __init__(self, count: int, folder: Path, kernel_name: str = "python3"):
        self.count = max(1, count)
        self.folder = folder
        self.kernel_name = kernel_name
        self.threads = thread_budget(self.count)
        self.stopped = False
        # spawned, not forked: a worker starts from a fresh interpreter and inherits no open
        # file of this process (the run lock above all), and it dies with this process
        # (_worker_start)
        self.pool = ProcessPoolExecutor(
            max_workers=self.count,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_notebook_worker_start,
            initargs=(os.getpid(),),
        )
        for _ in range(self.count):  # one each: a busy worker leaves the next to another
            self.pool.submit(_warm_up, self.threads, kernel_name, folder)

    def memory(self) -> int:
        """Resident bytes of the processes and their kernels now (memory the notebooks will
        have, not memory to find for them); 0 once stopped."""
        if self.stopped:
            return 0
        processes = (getattr(self.pool, "_processes", None) or {}).values()
        return sum(_tree_bytes(p.pid) or 0 for p in list(processes))

    def stop(self) -> None:
        """End the processes and their kernels now."""
        _stop_workers(self.pool)
        self.stopped = True

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, kind, value, traceback) -> None:
        self.stop()  # after execute_notebooks nothing is left to stop


def execute_notebooks(
    notebooks: list[Path],
    out_dir: Path,
    parameters: dict,
    *,
    cell_timeout: int = 600,
    kernel_name: str = "python3",
    workers: int | None = None,
    after: dict[str, list[str]] | None = None,
    on_done: Callable[[NotebookResult], None] | None = None,
    keep_kernel_below: float | None = None,
    started: Workers | None = None,
) -> list[NotebookResult]:
    """Execute notebooks in parallel processes, each after the notebooks it reads.

    One pool of workers runs them all: a notebook starts as soon as a worker is free and
    the notebooks it waits for have succeeded, in the order given (put the longest first).
    Each kernel gets its share of the cores (:func:`thread_budget`).

    Parameters
    ----------
    notebooks : list of Path
        Notebooks to run, in the order to start them.
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
    after : dict, optional
        Notebook name -> names of the notebooks it reads; it runs only when they all
        succeeded, and is left out (no result) when one failed.
    on_done : callable, optional
        Called with each result as it finishes (progress display).
    keep_kernel_below : float, optional
        Bytes: a worker starts a new kernel after a notebook that left its kernel holding
        more (:func:`execute_one`'s ``keep_below``); default: it always keeps it.
    started : Workers, optional
        Workers started earlier, their kernels warm, used when they are as many as
        ``workers`` asks for and their kernels run notebooks of the same folder and kind;
        else they are stopped and new ones started (new ones too when they were stopped, as
        during a long load). Shut down when the notebooks are done.

    Returns
    -------
    list of NotebookResult
        In the order of ``notebooks``, without those left out.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    after = after or {}
    workers = max(1, min(workers or usable_cores(), len(notebooks)))
    folders = {nb.parent for nb in notebooks}
    if started is not None and (started.count, started.kernel_name, {started.folder}) != (
        workers,
        kernel_name,
        folders,
    ):  # another share of the cores, or other notebooks: their kernels would not do
        started.stop()
        started = None
    if started is None or started.stopped:
        started = Workers(workers, next(iter(folders)), kernel_name)
    pool, threads = started.pool, started.threads
    results: dict[str, NotebookResult] = {}
    waiting = list(notebooks)

    def ready(nb: Path) -> bool | None:
        """True to start now, False to wait, None when a notebook it reads failed."""
        needs = [n for n in after.get(nb.name, []) if n != nb.name]
        if any(n in results and results[n].error for n in needs):
            return None
        return all(n in results for n in needs if n in {p.name for p in notebooks})

    try:
        running = set()
        while waiting or running:
            for nb in list(waiting):
                state = ready(nb)
                if state is None:
                    waiting.remove(nb)
                elif state:
                    waiting.remove(nb)
                    running.add(
                        pool.submit(
                            _execute_budgeted,
                            threads,
                            nb,
                            out_dir / nb.name,
                            parameters,
                            cell_timeout,
                            kernel_name,
                            keep_below=keep_kernel_below,
                        )
                    )
            if not running:
                break
            done, running = wait(running, return_when=FIRST_COMPLETED)
            for fut in done:
                res = fut.result()
                results[res.name] = res
                if on_done:
                    on_done(res)
    except BaseException:  # Ctrl-C, SIGTERM, a callback's error: no worker outlives the run
        _stop_workers(pool)
        raise
    pool.shutdown(wait=True)
    return [results[nb.name] for nb in notebooks if nb.name in results]
