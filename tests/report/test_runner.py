"""The runner: one pool, a notebook starts after the ones it reads, kernels share the cores."""

from __future__ import annotations

import json
import random
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import pytest

from churnreport.report.runner import (
    THREAD_VARIABLES,
    Workers,
    _ipc_kernel_manager,
    execute_notebooks,
    execute_one,
    memory_workers,
    start_order,
    thread_budget,
    usable_cores,
)
from tests.conftest import is_kernel, still_running


def _notebook(path: Path, code: str) -> Path:
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell('out = ""')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell(code)]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, path)
    return path


def _unset_thread_settings(monkeypatch) -> None:
    """The budget applies only where the user set nothing: unset what this shell set."""
    for variable in THREAD_VARIABLES:
        monkeypatch.delenv(variable, raising=False)


def _kernels_up(count: int, seconds: float = 60) -> set[int]:
    """The pids of this process's kernels once ``count`` are up (their stack may still be
    importing), or of those up after ``seconds``."""
    import psutil

    kernels: set[int] = set()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and len(kernels) < count:
        kernels = {p.pid for p in psutil.Process().children(recursive=True) if is_kernel(p)}
        time.sleep(0.1)
    return kernels


def test_a_reader_waits_for_what_it_reads_and_is_left_out_when_one_failed(tmp_path, monkeypatch):
    _unset_thread_settings(monkeypatch)
    src = tmp_path / "nb"
    src.mkdir()
    record = (
        "import json, os, pathlib\n"
        "pathlib.Path(out, '{name}.json').write_text(json.dumps("
        "{{'threads': os.environ.get('OMP_NUM_THREADS')}}))"
    )
    ok = _notebook(src / "01_ok.ipynb", record.format(name="01_ok"))
    bad = _notebook(src / "02_bad.ipynb", "raise ValueError('planted')")
    summary = _notebook(src / "00_summary.ipynb", record.format(name="00_summary"))
    appendix = _notebook(src / "90_appendix.ipynb", record.format(name="90_appendix"))
    results = execute_notebooks(
        start_order([summary, ok, bad, appendix]),
        tmp_path / "executed",
        {"out": str(tmp_path)},
        workers=2,
        after={"00_summary.ipynb": ["01_ok.ipynb", "02_bad.ipynb"]},
    )
    by_name = {r.name: r for r in results}
    assert set(by_name) == {"01_ok.ipynb", "02_bad.ipynb", "90_appendix.ipynb"}
    assert "planted" in by_name["02_bad.ipynb"].error
    assert by_name["01_ok.ipynb"].error is None
    assert not (tmp_path / "00_summary.json").exists()  # its input failed: never started
    # two kernels at a time share the cores: each gets its half (unless the user set it)
    seen = json.loads((tmp_path / "01_ok.json").read_text())["threads"]
    assert seen == thread_budget(2)["OMP_NUM_THREADS"]


def test_thread_budget_leaves_a_setting_of_the_user_alone(monkeypatch):
    _unset_thread_settings(monkeypatch)
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    budget = thread_budget(2, cores=8)
    assert "OMP_NUM_THREADS" not in budget
    assert budget["OPENBLAS_NUM_THREADS"] == "4"
    assert thread_budget(4, cores=2)["MKL_NUM_THREADS"] == "1"


def test_a_notebook_worker_drives_its_kernel_without_arrow_or_numpy():
    import subprocess

    code = (
        "import json, os, sys\n"
        "from churnreport.report.runner import _notebook_worker_start\n"
        "_notebook_worker_start(os.getppid())\n"
        "import papermill.execute\n"
        "print(json.dumps([sys.modules.get(m) is None for m in ('pyarrow', 'numpy')]))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    # papermill itself runs; what only its HDFS handler needs is not loaded
    assert json.loads(out.stdout) == [True, True]


def test_kernels_that_would_not_fit_in_memory_together_run_one_at_a_time():
    # 20 GB free, a fifth kept back: 16 GB for kernels
    assert memory_workers(11e9, available=20_000_000_000) == 1  # 5M customers of the sample
    assert memory_workers(7.9e9, available=20_000_000_000) == 2
    assert memory_workers(1.6e9, available=20_000_000_000) == 10  # the cores cap this
    assert memory_workers(40e9, available=20_000_000_000) == 1  # never none
    assert memory_workers(1e9) >= 1  # what the system reports now


def test_the_longest_notebook_of_the_last_run_starts_first():
    names = ["00_summary.ipynb", "01_a.ipynb", "02_b.ipynb", "03_c.ipynb", "90_d.ipynb"]
    paths = [Path(n) for n in names]
    seconds = {"01_a.ipynb": 5.0, "02_b.ipynb": 20.0, "03_c.ipynb": 7.0, "90_d.ipynb": 9.0}
    assert [p.name for p in start_order(paths, seconds)][:4] == [
        "02_b.ipynb",
        "90_d.ipynb",
        "03_c.ipynb",
        "01_a.ipynb",
    ]


def test_the_python3_kernel_is_this_interpreter_whatever_kernelspecs_say(tmp_path, monkeypatch):
    # a user-level python3 kernelspec of another Python (~/.local/share/jupyter, JUPYTER_PATH)
    # would win in jupyter_client's lookup: the notebooks would run without this churnreport
    spec = tmp_path / "kernels" / "python3"
    spec.mkdir(parents=True)
    argv = ["/opt/other/bin/python3", "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    (spec / "kernel.json").write_text(json.dumps({"argv": argv, "display_name": "other"}))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path))
    from jupyter_client.kernelspec import KernelSpecManager

    assert KernelSpecManager().get_kernel_spec("python3").argv[0] == argv[0]
    manager = _ipc_kernel_manager(tmp_path, tmp_path / "out.log")(kernel_name="python3")
    assert manager.format_kernel_cmd()[0] == sys.executable


def test_what_the_kernel_process_itself_writes_is_kept_off_the_terminal(tmp_path, capfd):
    # ipykernel logs its own troubles (e.g. a ZMQ race while it shuts down) on the process's
    # stderr, which the kernel inherited from us: a scheduler would see a traceback between
    # our log lines. It is kept for run.log instead; what a cell prints stays in the notebook.
    code = (
        "import logging, sys\n"
        "print('in the notebook')\n"
        "sys.__stderr__.write('from the kernel process\\n'); sys.__stderr__.flush()\n"
        "logging.getLogger('tornado.general').error('Uncaught exception in ZMQStream callback')"
    )
    nb = _notebook(tmp_path / "a.ipynb", code)
    result = execute_one(nb, tmp_path / "a.out.ipynb", {}, 60, "python3")
    assert result.error is None
    terminal = capfd.readouterr()
    assert "from the kernel process" not in terminal.err + terminal.out
    assert "ZMQStream" not in terminal.err + terminal.out
    assert "from the kernel process" in result.kernel_output
    executed = nbformat.read(tmp_path / "a.out.ipynb", as_version=4)
    assert "in the notebook" in json.dumps(executed.cells[-1].outputs)


def test_the_kernel_reset_is_not_held_to_the_cell_limit(tmp_path, monkeypatch):
    # the reset before a notebook imports the analysis stack the first time (seconds, more on
    # a busy machine): a short cell limit must not cut it off (that the limit holds for the
    # cells: test_timeout_or_dead_kernel_exits_1_names_the_cell_and_keeps_the_previous_run)
    from churnreport.report import runner

    # nbclient notices a timeout only between polls of shell_timeout_interval (5 s): the
    # reset must outlast that to be cut off by a 1 s limit
    slow_reset = "import time; time.sleep(6)\n" + runner.FRESH_NAMESPACE
    monkeypatch.setattr(runner, "FRESH_NAMESPACE", slow_reset)
    nb = _notebook(tmp_path / "a.ipynb", "x = 1")
    assert execute_one(nb, tmp_path / "a.out.ipynb", {}, 1, "python3").error is None


def test_a_kernel_whose_release_failed_is_not_kept(tmp_path, monkeypatch):
    # a release that raised (or timed out) may leave the notebook's names half gone or the
    # kernel still busy: the next notebook gets a new kernel
    from churnreport.report import runner

    notebooks = [
        _notebook(tmp_path / f"0{i}_{n}.ipynb", _PROBE.format(name=n)) for i, n in enumerate("abc")
    ]
    params = {"out": str(tmp_path)}
    try:
        for nb in notebooks[:2]:
            out = tmp_path / f"{nb.stem}.out.ipynb"
            assert execute_one(nb, out, params, 60, "python3", keep_kernel=True).error is None
        monkeypatch.setattr(runner, "RELEASE_NAMESPACE", "raise RuntimeError('release')")
        out = tmp_path / "02_c.out.ipynb"
        assert execute_one(notebooks[2], out, params, 60, "python3", keep_kernel=True).error is None
        assert runner._kernel is None  # dropped after the failed release
    finally:
        runner._drop_kernel()
    a, b = (json.loads((tmp_path / f"{n}.json").read_text()) for n in "ab")
    assert a["pid"] == b["pid"]  # released: kept


#: What a notebook finds when it starts (written to out/<name>.json).
_PROBE = """\
import json, os, pathlib, random, sys, warnings
import matplotlib, matplotlib.pyplot as plt, pandas as pd
state = {{
    "pid": os.getpid(), "cwd": os.getcwd(), "env": os.environ.get("PLANTED"),
    "path": sys.path[-1], "max_rows": pd.get_option("display.max_rows"),
    "titlesize": matplotlib.rcParams["axes.titlesize"], "figures": plt.get_fignums(),
    "names": sorted(n for n in dir() if not n.startswith("_")),
    "filters": len(warnings.filters), "history": len(In),
    "random": str(random.getstate())[-40:],
}}
pathlib.Path(out, "{name}.json").write_text(json.dumps(state))
"""

#: Everything a notebook may change that a new kernel would not have.
_MESS = """\
os.chdir("/"); os.environ["PLANTED"] = "1"; sys.path.append("/planted")
pd.set_option("display.max_rows", 7); matplotlib.rcParams["axes.titlesize"] = 31
plt.figure(); warnings.simplefilter("ignore"); random.seed(1); left_behind = 1
"""


def test_a_worker_keeps_its_kernel_but_each_notebook_starts_as_in_a_new_kernel(
    tmp_path, kernel_tmp
):
    # importing the analysis stack costs each kernel seconds: a worker keeps its kernel for
    # the next notebook, which must still find what a new kernel would give it
    src = tmp_path / "nb"
    src.mkdir()
    notebooks = [
        _notebook(src / "01_a.ipynb", _PROBE.format(name="a") + _MESS),
        _notebook(src / "02_b.ipynb", _PROBE.format(name="b") + _MESS),
        _notebook(src / "03_fails.ipynb", "raise ValueError('planted')"),
        _notebook(src / "04_d.ipynb", _PROBE.format(name="d")),
    ]
    results = execute_notebooks(notebooks, tmp_path / "executed", {"out": str(tmp_path)}, workers=1)
    assert [r.error is None for r in results] == [True, True, False, True], [
        r.error for r in results
    ]
    a, b, d = (json.loads((tmp_path / f"{n}.json").read_text()) for n in "abd")
    assert b["pid"] == a["pid"]  # the same kernel ...
    same = {"pid": None, "random": None}
    assert {**b, **same} == {**a, **same}  # ... as it was when new
    assert a["cwd"] == str(src) and a["env"] is None and a["figures"] == []
    random.seed(1)  # what the notebook before left is not the next one's random state
    assert b["random"] != str(random.getstate())[-40:]
    assert d["pid"] != b["pid"]  # a kernel whose notebook failed is not kept
    executed = nbformat.read(tmp_path / "executed" / "02_b.ipynb", as_version=4)
    assert [c.execution_count for c in executed.cells if c.cell_type == "code"] == [1, 2, 3]
    assert not list(kernel_tmp.iterdir())  # kernels closed, folders and keys removed


def test_a_kernel_holding_more_than_the_limit_is_not_kept(tmp_path):
    # memory a notebook leaves in its kernel would add to the next notebook's peak: above
    # the limit the worker starts a new kernel; the manifest's memory is the kernel's
    src = tmp_path / "nb"
    src.mkdir()
    notebooks = [
        _notebook(src / f"0{i}_{n}.ipynb", _PROBE.format(name=n)) for i, n in enumerate("ab")
    ]
    results = execute_notebooks(
        notebooks, tmp_path / "executed", {"out": str(tmp_path)}, workers=1, keep_kernel_below=1
    )
    a, b = (json.loads((tmp_path / f"{n}.json").read_text()) for n in "ab")
    assert a["pid"] != b["pid"]
    assert all(r.error is None and 10e6 < r.kernel_bytes < 5e9 for r in results)
    results = execute_notebooks(
        notebooks, tmp_path / "kept", {"out": str(tmp_path)}, workers=1, keep_kernel_below=50e9
    )
    a, b = (json.loads((tmp_path / f"{n}.json").read_text()) for n in "ab")
    assert a["pid"] == b["pid"]


def test_what_a_notebook_frees_does_not_count_against_keeping_its_kernel(tmp_path):
    # a chapter's frames are gone once its names are: the kernel's memory is judged after
    # they are released (1.5 GB held at the end, far less after), not at the last cell
    src = tmp_path / "nb"
    src.mkdir()
    big = 'held = b"\\1" * 1_500_000_000\n'
    notebooks = [
        _notebook(src / "01_a.ipynb", big + _PROBE.format(name="a")),
        _notebook(src / "02_b.ipynb", _PROBE.format(name="b")),
    ]
    results = execute_notebooks(
        notebooks, tmp_path / "executed", {"out": str(tmp_path)}, workers=1, keep_kernel_below=1.2e9
    )
    a, b = (json.loads((tmp_path / f"{n}.json").read_text()) for n in "ab")
    assert results[0].kernel_bytes > 1.5e9  # the manifest's figure: what the notebook left
    assert a["pid"] == b["pid"]  # kept: released, the kernel held less than the limit


def test_a_killed_run_ends_an_idle_kept_kernel_too_and_leaves_no_folder_or_key(
    tmp_path, kernel_tmp
):
    # one worker has finished its notebook and sits idle with its kernel kept, the other is
    # mid-cell, when the run is killed (SIGKILL: the workers learn it from the system)
    import os
    import signal
    import subprocess
    import time

    import psutil

    src = tmp_path / "nb"
    src.mkdir()
    quick = _notebook(src / "01_quick.ipynb", "import pathlib; pathlib.Path(out, 'quick').touch()")
    slow = _notebook(
        src / "02_slow.ipynb",
        "import pathlib, time; pathlib.Path(out, 'slow').touch(); time.sleep(120)",
    )
    temp = kernel_tmp
    code = (
        "import sys; from pathlib import Path;"
        "from churnreport.report.runner import execute_notebooks;"
        f"execute_notebooks([Path({str(slow)!r}), Path({str(quick)!r})], Path({str(tmp_path)!r})"
        f" / 'executed', {{'out': {str(tmp_path)!r}}}, workers=2)"
    )
    run = subprocess.Popen([sys.executable, "-c", code], env={**os.environ, "TMPDIR": str(temp)})
    started = lambda: (tmp_path / "quick").exists() and (tmp_path / "slow").exists()  # noqa: E731
    for _ in range(600):  # wait for both notebooks' first cells (a hang guard, no speed check)
        if started() or run.poll() is not None:
            break
        time.sleep(0.2)
    assert started() and run.poll() is None
    time.sleep(1)  # the quick notebook's worker is back in the pool, its kernel kept
    tree = psutil.Process(run.pid).children(recursive=True)
    kernels = [p for p in tree if is_kernel(p)]
    assert len(kernels) == 2
    run.send_signal(signal.SIGKILL)
    run.wait(timeout=30)
    gone, alive = psutil.wait_procs(tree, timeout=20)
    assert not alive, [p.cmdline() for p in alive]
    assert not list(temp.iterdir())  # no socket folder, no connection file (the kernel's key)


def test_a_temporary_directory_too_deep_for_a_socket_still_runs_and_is_left_clean(
    tmp_path, monkeypatch
):
    # a kernel's sockets live in the temporary directory; a path longer than a Unix socket's
    # (about 100 bytes) would stop every kernel, so the runner uses /tmp instead
    deep = tmp_path / ("d" * 60) / ("e" * 60)
    deep.mkdir(parents=True)
    monkeypatch.setattr(tempfile, "tempdir", str(deep))  # what TMPDIR gives a new process
    nb = _notebook(tmp_path / "a.ipynb", "x = 1")
    assert execute_one(nb, tmp_path / "a.out.ipynb", {}, 60, "python3").error is None
    assert not list(deep.iterdir())


@pytest.mark.parametrize("long_load", [False, True])
def test_workers_started_early_have_their_kernels_up_before_the_notebooks_come(
    tmp_path, kernel_tmp, long_load
):
    # the pipeline starts the workers before it reads the data: each starts its kernel and
    # imports the analysis stack meanwhile, and the notebooks then run in those kernels; a
    # long load stops them (pipeline.LONG_LOAD_SECONDS), and the notebooks get new ones
    src = tmp_path / "nb"
    src.mkdir()
    nb = _notebook(
        src / "01_a.ipynb", "import os, pathlib\npathlib.Path(out).write_text(str(os.getpid()))"
    )
    out = tmp_path / "pid"
    with Workers(1, src) as started:
        early = _kernels_up(1)
        if long_load:
            import psutil

            kernels = [psutil.Process(pid) for pid in early]
            started.stop()
            assert started.stopped and still_running(kernels) == []
        results = execute_notebooks([nb], tmp_path / "executed", {"out": str(out)}, workers=1,
                                    started=started)  # fmt: skip
    assert results[0].error is None, results[0].error
    assert (int(out.read_text()) in early) is not long_load
    assert not list(kernel_tmp.iterdir())  # kernel closed, folder and key removed


def test_workers_started_for_another_share_of_the_cores_are_replaced(
    tmp_path, kernel_tmp, monkeypatch
):
    # two kernels started with a thread each; the data then allowed only one at a time,
    # which gets all the cores: the early ones are stopped and a new kernel runs it
    _unset_thread_settings(monkeypatch)
    src = tmp_path / "nb"
    src.mkdir()
    record = (
        "import json, os, pathlib\n"
        "pathlib.Path(out).write_text(json.dumps([os.environ.get('OMP_NUM_THREADS'), os.getpid()]))"
    )
    nb = _notebook(src / "01_a.ipynb", record)
    out = tmp_path / "seen.json"
    with Workers(2, src) as started:
        workers = list(started.pool._processes.values())
        kernels = _kernels_up(2)
        results = execute_notebooks([nb], tmp_path / "executed", {"out": str(out)}, workers=1,
                                    started=started)  # fmt: skip
    assert results[0].error is None, results[0].error
    threads, pid = json.loads(out.read_text())
    assert threads == str(usable_cores()) and pid not in kernels  # a new kernel, all the cores
    assert len(workers) == 2 and not any(p.is_alive() for p in workers)
    assert not list(kernel_tmp.iterdir())
