"""The runner: one pool, a notebook starts after the ones it reads, kernels share the cores."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import nbformat

from churnreport.report.runner import (
    THREAD_VARIABLES,
    _ipc_kernel_manager,
    execute_notebooks,
    execute_one,
    start_order,
    thread_budget,
)


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


def test_a_reader_waits_for_what_it_reads_and_is_left_out_when_one_failed(tmp_path, monkeypatch):
    for variable in THREAD_VARIABLES:  # the budget applies only where the user set nothing
        monkeypatch.delenv(variable, raising=False)
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
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    budget = thread_budget(2, cores=8)
    assert "OMP_NUM_THREADS" not in budget
    assert budget["OPENBLAS_NUM_THREADS"] == "4"
    assert thread_budget(4, cores=2)["MKL_NUM_THREADS"] == "1"


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


def test_a_worker_keeps_its_kernel_but_each_notebook_starts_with_a_fresh_namespace(
    tmp_path, monkeypatch
):
    # importing the analysis stack costs each kernel seconds: a worker keeps its kernel for
    # the next notebook, which must still see what a new kernel would
    src = tmp_path / "nb"
    src.mkdir()
    first = (
        "import os, pathlib, warnings\n"
        "import matplotlib; import matplotlib.pyplot as plt\n"
        "left_behind = 1\n"
        "matplotlib.rcParams['axes.titlesize'] = 31\n"
        "plt.figure()\n"
        "warnings.simplefilter('ignore')\n"
        "pathlib.Path(out, 'a.pid').write_text(str(os.getpid()))"
    )
    second = (
        "import json, os, pathlib, warnings\n"
        "import matplotlib; import matplotlib.pyplot as plt\n"
        "pathlib.Path(out, 'b.json').write_text(json.dumps({\n"
        "    'pid': os.getpid(), 'left_behind': 'left_behind' in dir(),\n"
        "    'titlesize': matplotlib.rcParams['axes.titlesize'], 'figures': plt.get_fignums(),\n"
        "    'ignored': any(f[0] == 'ignore' and f[2] is Warning for f in warnings.filters)}))"
    )
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))  # the workers' kernel folders
    (tmp_path / "tmp").mkdir()
    a = _notebook(src / "01_a.ipynb", first)
    b = _notebook(src / "02_b.ipynb", second)
    results = execute_notebooks([a, b], tmp_path / "executed", {"out": str(tmp_path)}, workers=1)
    assert [r.error for r in results] == [None, None]
    seen = json.loads((tmp_path / "b.json").read_text())
    assert seen["pid"] == int((tmp_path / "a.pid").read_text())  # the same kernel
    assert seen == {**seen, "left_behind": False, "figures": [], "ignored": False}
    assert seen["titlesize"] != 31
    executed = nbformat.read(tmp_path / "executed" / "02_b.ipynb", as_version=4)
    assert [c.execution_count for c in executed.cells if c.cell_type == "code"][0] == 1
    assert not list((tmp_path / "tmp").iterdir())  # the worker closed its kernel on leaving
