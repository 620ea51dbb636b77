"""Runs for schedulers: lock, exit codes, alerts, plain logs, history and index."""

from __future__ import annotations

import contextlib
import errno
import platform
import re
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import psutil
import pytest
import yaml

from churnreport import cli as cli_module
from churnreport.data.sample import write_sample
from churnreport.errors import ConfigError, RunLocked
from churnreport.report.history import run_rows
from churnreport.report.publish import run_lock
from churnreport.report.runner import NOTEBOOKS_DIR
from tests.conftest import cli, is_kernel, on_suite_cores, still_running

LOG_LINE = re.compile(
    r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d churnreport (INFO|WARNING|ERROR) "
)


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    root = tmp_path_factory.mktemp("sched")
    cfg = write_sample(root / "s", n_customers=1500, output_dir=str(root / "reports"))
    return cfg, root / "reports"


def test_second_run_on_the_same_directory_exits_3(small):
    cfg, reports = small
    with run_lock(reports):
        res = cli("run", "--config", str(cfg), "--no-pdf")
    assert res.returncode == 3, res.stderr
    assert "another churn-report run is writing to" in res.stderr and "pid" in res.stderr
    assert not any(p.name.endswith("_sample") for p in reports.iterdir())


def test_lock_is_exclusive_and_cleans_up_after_a_killed_run(tmp_path):
    (tmp_path / ".staging-2024-12-31_x-123").mkdir()
    old = tmp_path / ".old-2024-11-30_x-456"  # killed between the two renames of publish
    old.mkdir()
    (old / "report.html").write_text("previous report")
    with run_lock(tmp_path):
        with pytest.raises(RunLocked):
            with run_lock(tmp_path):
                pass
        assert not (tmp_path / ".staging-2024-12-31_x-123").exists()
        assert (tmp_path / "2024-11-30_x" / "report.html").read_text() == "previous report"
    with run_lock(tmp_path):  # released
        pass


def test_unwritable_output_directory_is_a_clear_exit_2(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(ConfigError, match="not writable"):
        with run_lock(blocker / "reports"):
            pass


def test_alerts_exit_4_with_fail_on_alert_and_the_run_is_listed(small):
    cfg, reports = small
    raw = yaml.safe_load(cfg.read_text(encoding="utf-8"))
    raw["alerts"] = {"churn_rate_above": 0.0001}
    alerting = cfg.with_name("alerting.yml")
    alerting.write_text(yaml.safe_dump(raw), encoding="utf-8")
    nbs = cfg.parent / "indicators_only"  # the alerts are the indicator chapter's
    nbs.mkdir(exist_ok=True)
    shutil.copy(NOTEBOOKS_DIR / "01_indicators.ipynb", nbs)
    only = ("--notebooks", str(nbs))
    res = cli("run", "--config", str(alerting), "--no-pdf", "--fail-on-alert", *only)
    assert res.returncode == 4, res.stderr
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert lines and all(LOG_LINE.match(ln) or ln.startswith(" ") for ln in lines), res.stderr
    assert any("alert: churn_rate above" in ln for ln in lines)
    assert any(" ERROR exit 4: 1 alert(s) raised; the report is published" in ln for ln in lines)
    rows = run_rows(reports)
    assert [r["name"] for r in rows] == ["sample"] and rows[0]["alerts"] == 1
    index = (reports / "index.html").read_text(encoding="utf-8")
    assert rows[0]["run_id"] in index and 'href="' + rows[0]["run_id"] + '/report.html"' in index
    hist = cli("history", "--config", str(alerting))
    assert hist.returncode == 0 and rows[0]["run_id"] in hist.stdout
    # without the flag the same alerts are logged, and the run exits 0
    res = cli("run", "--config", str(alerting), "--no-pdf", *only)
    assert res.returncode == 0 and "alert: churn_rate above" in res.stderr


def _start_run(cfg, out):
    """``churn-report run`` in the background, returned once its notebooks are executing."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "churnreport.cli", "run", "--config", str(cfg), "--no-pdf",
         "--out", str(out)],
        stderr=subprocess.PIPE, text=True, preexec_fn=on_suite_cores,  # two kernels at once
    )  # fmt: skip
    log = []
    for line in proc.stderr:
        log.append(line)
        if " executing " in line:
            break
    assert proc.poll() is None, "".join(log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # the kernels are up and cells are running
        tree = psutil.Process(proc.pid).children(recursive=True)
        if sum(is_kernel(p) for p in tree) >= 2:
            break
        time.sleep(0.2)
    time.sleep(1)
    return proc, psutil.Process(proc.pid).children(recursive=True), log


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_killed_run_leaves_no_process_and_no_lock(small, tmp_path, sig, kernel_tmp):
    cfg, _ = small
    kernels = kernel_tmp
    proc, tree, log = _start_run(cfg, tmp_path)
    assert len(tree) >= 3  # workers and their kernels
    proc.send_signal(sig)
    rest = proc.stderr.read()
    code = proc.wait(timeout=60)
    assert still_running(tree) == []  # no worker or kernel outlives the run
    # the same clean-up for both: staging gone, one ERROR line, a documented code
    assert code == {signal.SIGTERM: 143, signal.SIGINT: 130}[sig], rest
    errors = [ln for ln in rest.splitlines() if " ERROR " in ln]
    assert len(errors) == 1 and "nothing was published" in errors[0], rest
    assert "Traceback" not in rest, rest
    assert not list(tmp_path.glob(".staging-*"))
    assert not [p for p in tmp_path.iterdir() if p.is_dir() and not p.name.startswith(".")]
    assert not list(kernels.glob("churnreport-kernel-*"))  # nor the kernels' socket folders
    with run_lock(tmp_path):  # the next run takes the lock at once
        pass


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_run_stopped_while_its_load_process_reads_leaves_nothing(tmp_path, sig, kernel_tmp):
    # the load runs in a process of its own (the sample's takes a few seconds): a stop while
    # it reads ends it with the command, and the folder it was writing goes
    from tests.conftest import SAMPLE

    out = tmp_path / "out"
    proc = subprocess.Popen(
        [sys.executable, "-m", "churnreport.cli", "run", "--config", str(SAMPLE / "report.yml"),
         "--no-pdf", "--out", str(out)],
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not list(out.glob(".staging-load-*/tmp")):
        time.sleep(0.02)  # the load's process has made its temporary folder: it is reading
    assert list(out.glob(".staging-load-*/tmp")), proc.stderr.read() if proc.poll() else ""
    tree = psutil.Process(proc.pid).children(recursive=True)
    proc.send_signal(sig)
    rest = proc.stderr.read()
    assert proc.wait(timeout=60) == {signal.SIGTERM: 143, signal.SIGINT: 130}[sig], rest
    assert still_running(tree) == []  # the load's process, the workers and their kernels
    assert "Traceback" not in rest, rest
    assert "data loaded" not in rest, rest  # stopped while loading
    assert not list(out.glob(".staging-*")) and not list(out.glob("*_sample"))


def test_the_run_after_a_sigkill_succeeds(small, tmp_path, kernel_tmp):
    cfg, _ = small
    kernels = kernel_tmp
    proc, tree, _ = _start_run(cfg, tmp_path)
    proc.kill()
    rest = proc.stderr.read()  # what the workers and kernels print as they go
    assert proc.wait(timeout=60) == -signal.SIGKILL
    assert still_running(tree) == []  # no worker or kernel outlives the run
    assert not list(kernels.glob("churnreport-kernel-*"))  # nor their socket folders
    assert "Traceback" not in rest, rest
    with run_lock(tmp_path):  # the lock is free at once; the staging folder left is cleared
        assert not list(tmp_path.glob(".staging-*"))
    nbs = tmp_path.parent / f"{tmp_path.name}-nbs"  # what is tested is the lock and folder
    nbs.mkdir()
    shutil.copy(NOTEBOOKS_DIR / "90_appendix.ipynb", nbs)
    res = cli(
        "run", "--config", str(cfg), "--no-pdf", "--out", str(tmp_path), "--notebooks", str(nbs)
    )
    assert res.returncode == 0, res.stderr
    assert (tmp_path / "2024-12-31_sample" / "report.html").is_file()


def _record(pid: int, host: str | None = None) -> str:
    boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    return f"pid {pid} start 1 host {host or platform.node()} boot {boot} since 2026-01-01\n"


def _hold_lock(tmp_path, record: str) -> subprocess.Popen:
    """A stray process holding the locked file with ``record`` in it."""
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import fcntl, sys, time
            f = open({str(tmp_path / ".lock")!r}, "a+")
            fcntl.flock(f, fcntl.LOCK_EX)
            f.write({record!r}); f.flush()
            print("held", flush=True); time.sleep(120)
        """)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert holder.stdout.readline().strip() == "held"
    return holder


def test_a_lock_whose_holder_is_gone_does_not_block(tmp_path):
    # a stray process kept the locked file open after the run that wrote the record died
    holder = _hold_lock(tmp_path, _record(4194999))
    try:
        with run_lock(tmp_path):
            record = (tmp_path / ".lock").read_text()
            assert record.startswith("pid ") and "4194999" not in record
            with pytest.raises(RunLocked):  # a live holder still blocks
                with run_lock(tmp_path):
                    pass
        assert (tmp_path / ".lock").read_text() == ""  # no record of a finished run is left
    finally:
        holder.kill()
        holder.wait()


def test_a_lock_held_from_another_host_still_blocks(tmp_path):
    # a shared folder: the pid means nothing here, so the lock is never broken
    holder = _hold_lock(tmp_path, _record(4194999, host="other-host.example"))
    try:
        with pytest.raises(RunLocked, match="other-host"):
            with run_lock(tmp_path):
                pass
    finally:
        holder.kill()
        holder.wait()


def _main(monkeypatch, capsys, exc, *args):
    def boom(*a, **k):
        raise exc

    monkeypatch.setattr(signal, "signal", lambda *a: None)  # pytest keeps its own handlers
    monkeypatch.setattr("churnreport.report.pipeline.run_report", boom)
    monkeypatch.setattr(sys, "argv", ["churn-report", "run", *args])
    with pytest.raises(SystemExit) as stop:
        cli_module.main()
    return stop.value.code, capsys.readouterr().err


def test_a_full_disk_is_one_error_line_and_exit_5(small, monkeypatch, capsys):
    cfg, _ = small
    full = OSError(errno.ENOSPC, "No space left on device")
    full.filename = "/reports/.staging/report.pdf"
    code, stderr = _main(monkeypatch, capsys, full, "--config", str(cfg), "--no-pdf")
    assert code == 5
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and LOG_LINE.match(lines[0]), stderr
    assert " ERROR exit 5: the machine failed the run: No space left on device" in lines[0]


def test_an_unexpected_error_is_one_error_line_and_exit_6(small, monkeypatch, capsys):
    cfg, _ = small
    code, stderr = _main(monkeypatch, capsys, TypeError("boom"), "--config", str(cfg))
    assert code == 6
    lines = stderr.rstrip().splitlines()
    assert len(lines) == 1 and "unexpected error TypeError: boom" in lines[0], stderr
    # the traceback goes to the failed run's run.log, which the line names
    log = Path(re.search(r"traceback in (\S+run\.log)\)", lines[0]).group(1))
    text = log.read_text(encoding="utf-8")
    assert log.parent.parent.name == "_failed" and "Traceback" in text and lines[0] in text
    assert "raise exc" in text and "TypeError: boom" in text


def test_a_worker_killed_from_outside_is_the_machine_exit_5(small, monkeypatch, capsys):
    from concurrent.futures.process import BrokenProcessPool

    cfg, _ = small
    died = BrokenProcessPool("A process in the process pool was terminated abruptly")
    code, stderr = _main(monkeypatch, capsys, died, "--config", str(cfg), "--no-pdf")
    assert code == 5 and "a notebook worker process died" in stderr, stderr


def test_the_headline_log_line_says_when_there_is_no_churn_rate():
    nobody = {"period": "2024-12", "churn_rate": None, "churned": 0, "customers": 0}
    assert cli_module.headline(nobody) == (
        "churn rate 2024-12: none (no customer at the period start; 0 churned)"
    )
    some = {"period": "2024-12", "churn_rate": 0.125, "churned": 5, "customers": 40}
    assert cli_module.headline(some) == "churn rate 2024-12: 12.50% (5 of 40)"


def test_the_lock_is_taken_before_the_data_is_read(tmp_path, monkeypatch):
    from churnreport.config import load_config
    from churnreport.report import pipeline

    (tmp_path / "c.csv").write_text("id,start\nA,2024-01-01\n")
    (tmp_path / "r.yml").write_text(
        "name: x\nsources:\n  customers:\n    path: c.csv\n"
        "    columns: {customer_id: id, start_date: start}\noutput_dir: out\n"
    )
    cfg = load_config(tmp_path / "r.yml")
    read = []
    monkeypatch.setattr(pipeline, "_load_apart", lambda c, folder, **_: read.append(c))
    with run_lock(tmp_path / "out"), pytest.raises(RunLocked):
        pipeline.run_report(cfg)
    assert read == []  # the second run stopped before reading anything


@pytest.mark.parametrize("long", [True, False])
def test_a_long_load_stops_the_kernels_started_beside_it(monkeypatch, long):
    import concurrent.futures
    import threading

    from churnreport.report import pipeline

    stopped = threading.Event()
    loaded = concurrent.futures.Future()
    if long:  # the load ends only once the kernels were stopped: it outlasts any limit
        stopped_then_loaded = threading.Thread(
            target=lambda: (stopped.wait(60), loaded.set_result("saved"))
        )
        stopped_then_loaded.start()
    else:  # done before anyone waits for it
        loaded.set_result("saved")

    @contextlib.contextmanager
    def beside(fn, *args):
        yield loaded

    monkeypatch.setattr(pipeline, "beside", beside)
    monkeypatch.setattr(pipeline, "LONG_LOAD_SECONDS", 0.05)
    assert pipeline._load_apart(None, None, on_long=stopped.set) == "saved"
    assert stopped.is_set() is long


def test_a_run_stopped_while_loading_leaves_no_folder_it_made(tmp_path, monkeypatch):
    from churnreport.config import load_config
    from churnreport.report import pipeline

    (tmp_path / "c.csv").write_text("id,start\nA,2024-01-01\n")
    (tmp_path / "r.yml").write_text(
        "name: x\nsources:\n  customers:\n    path: c.csv\n"
        "    columns: {customer_id: id, start_date: start}\noutput_dir: out/nested/reports\n"
    )
    cfg = load_config(tmp_path / "r.yml")

    def interrupted(c, folder, **_):
        raise KeyboardInterrupt

    monkeypatch.setattr(pipeline, "_load_apart", interrupted)
    with pytest.raises(KeyboardInterrupt):
        pipeline.run_report(cfg)
    assert not (tmp_path / "out").exists()  # every folder the run made is gone, lock and all
    (tmp_path / "kept").mkdir()
    (tmp_path / "kept" / "mine.txt").write_text("the user's")
    cfg2 = load_config(tmp_path / "r.yml", output_dir=str(tmp_path / "kept"))
    with pytest.raises(KeyboardInterrupt):
        pipeline.run_report(cfg2)
    assert sorted(p.name for p in (tmp_path / "kept").iterdir()) == [".lock", ".lock.guard",
                                                                    "mine.txt"]  # fmt: skip


def test_a_run_stopped_while_loading_stops_the_kernels_started_meanwhile(
    tmp_path, monkeypatch, kernel_tmp
):
    # the workers start their kernels while the data is read: a stop then ends them too
    from churnreport.config import load_config
    from churnreport.report import pipeline

    (tmp_path / "c.csv").write_text("id,start\nA,2024-01-01\n")
    (tmp_path / "r.yml").write_text(
        "name: x\nsources:\n  customers:\n    path: c.csv\n"
        "    columns: {customer_id: id, start_date: start}\noutput_dir: out\n"
    )
    seen = []

    def interrupted(c, folder, **_):
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not seen:  # a kernel is up
            seen.extend(p for p in psutil.Process().children(recursive=True) if is_kernel(p))
            time.sleep(0.1)
        raise KeyboardInterrupt

    monkeypatch.setattr(pipeline, "_load_apart", interrupted)
    with pytest.raises(KeyboardInterrupt):
        pipeline.run_report(load_config(tmp_path / "r.yml"))
    assert seen and still_running(seen) == []
    assert not list(kernel_tmp.iterdir())  # their socket folders and keys removed
