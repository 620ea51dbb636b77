"""Shared fixtures: paths, small frames, the committed sample."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from churnreport.report.runner import thread_budget

#: The cores the suite was started on, before each test worker took its own
#: (:func:`_share_the_cores`).
SUITE_CORES = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else set()


def on_suite_cores() -> None:
    """A ``preexec_fn`` that gives a command all of the suite's cores back: a test of a run
    with several kernels at once (one per core) needs cores to start them on."""
    if SUITE_CORES:
        os.sched_setaffinity(0, SUITE_CORES)


def _share_the_cores() -> None:
    """Give this test worker's processes (itself, its kernels, its command lines) their share
    of the cores: the suite runs on several workers (README command 2), and each worker's
    report runs would otherwise start kernels, and numeric libraries a thread, for every core
    of the machine, fighting the other workers' for them (docs/PERFORMANCE.md, "The twelfth
    round" and "The thirteenth round").

    With a core or more per worker, each worker runs on cores of its own (CPU affinity, which
    its processes inherit): a run in it then sees those cores and shares them among its
    kernels, as on a machine of that size. Otherwise (more workers than cores) each gets the
    runner's thread share for kernels side by side, which DuckDB takes too
    (data.engine.session). Set before numpy loads (OpenBLAS reads both then: runner must not
    import numpy at module level). A thread setting of the user's stays."""
    workers = os.environ.get("PYTEST_XDIST_WORKER_COUNT")
    if not workers:
        return
    n, worker = int(workers), os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    cores = sorted(SUITE_CORES)
    if len(cores) >= n:  # numpy's threads and DuckDB's (data.engine.session) follow
        os.sched_setaffinity(0, cores[int(worker.removeprefix("gw")) % n :: n])
    else:
        os.environ.update(thread_budget(n))


_share_the_cores()

import pandas as pd  # noqa: E402 (after the thread settings)
import pytest  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"
EXAMPLES = ROOT / "data" / "examples"
SHARED_DATA = ROOT.parent / "shared" / "data"

#: The password of the session's PostgreSQL server (fixture ``postgres``).
PG_PASSWORD = "s3cret-Pw-42"

os.environ.setdefault("MPLBACKEND", "Agg")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests marked ``long`` first: a worker that starts one last runs on alone while the
    others have finished (the Spark run, 112 s, ended the suite 80 s after the other worker).
    With ``--dist worksteal`` they all open the first worker's share, one after another:
    right for one such test, to revisit if several are marked."""
    items.sort(key=lambda item: item.get_closest_marker("long") is None)


def spells(*rows: tuple[str, str, str | None]) -> pd.DataFrame:
    """Spells from (customer_id, start, end or None) tuples; spell_no counts per customer."""
    frame = pd.DataFrame(
        {
            "customer_id": [r[0] for r in rows],
            "spell_start": pd.to_datetime([r[1] for r in rows]),
            "spell_end": pd.to_datetime([r[2] for r in rows]),
        }
    )
    order = frame.sort_values("spell_start", kind="stable").groupby("customer_id").cumcount() + 1
    return frame.assign(spell_no=order.sort_index())


@pytest.fixture
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is not beside the repository")
    return SHARED_DATA


def cli(*args: str, suite_cores: bool = False) -> subprocess.CompletedProcess:
    """``churn-report *args``, on this test worker's cores or all of the suite's."""
    return subprocess.run(
        [sys.executable, "-m", "churnreport.cli", *args],
        capture_output=True,
        text=True,
        timeout=900,
        preexec_fn=on_suite_cores if suite_cores else None,
    )


def still_running(processes, seconds: float = 20.0) -> list[tuple[int, list[str]]]:
    """The ``psutil.Process`` es still running after up to ``seconds`` (zombies count as
    ended), as (pid, command line): [] once all have ended."""
    import psutil

    deadline = time.monotonic() + seconds
    while True:
        alive = []
        for p in processes:
            try:
                if p.is_running() and p.status() != psutil.STATUS_ZOMBIE:
                    alive.append((p.pid, p.cmdline()))
            except psutil.Error:  # ended meanwhile
                pass
        if not alive or time.monotonic() > deadline:
            return alive
        time.sleep(0.2)


def is_kernel(process) -> bool:
    """Whether a ``psutil.Process`` is a running notebook kernel (a child that has just ended
    may be a zombie until it is reaped, or gone)."""
    import psutil

    try:
        return "ipykernel" in " ".join(process.cmdline())
    except psutil.Error:
        return False


@pytest.fixture
def kernel_tmp(monkeypatch) -> Path:
    """TMPDIR for the kernels of a test that checks their socket folders are removed: a short
    path (a Unix socket's holds about 100 bytes; pytest's own folders can be longer, and the
    runner then puts the sockets in /tmp instead, where the test would not look)."""
    folder = Path(tempfile.mkdtemp(prefix="cr-", dir="/tmp" if os.path.isdir("/tmp") else None))
    monkeypatch.setenv("TMPDIR", str(folder))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def sample_dataset():
    """The sample company loaded once per session (tests copy what they change)."""
    from churnreport.config import load_config
    from churnreport.data import load_dataset

    return load_dataset(load_config(SAMPLE / "report.yml"))


@pytest.fixture(scope="session")
def example_dataset():
    """A loader of data/examples/<name>.yml, each example loaded once per session (tests copy
    what they change)."""
    from functools import cache

    from churnreport.config import load_config
    from churnreport.data import load_dataset

    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is not beside the repository")
    return cache(lambda name: load_dataset(load_config(EXAMPLES / f"{name}.yml")))


@pytest.fixture(scope="session")
def sample_run(tmp_path_factory) -> Path:
    """The sample report, run once by the command line (tests read it, never change it);
    with pytest-xdist once for all workers: the first to need it runs it, the others wait."""
    if os.environ.get("PYTEST_XDIST_WORKER") is None:
        return _sample_run(tmp_path_factory.mktemp("reports"))
    import fcntl  # as the run lock (report/publish.py)

    shared = tmp_path_factory.getbasetemp().parent  # the workers' common folder
    with open(shared / "sample_run.lock", "w") as guard:
        fcntl.flock(guard, fcntl.LOCK_EX)  # released when the file closes
        out = shared / "sample_run"
        if not (out / "2024-12-31_sample" / "manifest.json").exists():
            shutil.rmtree(out, ignore_errors=True)
            out.mkdir()
            return _sample_run(out)
        return out / "2024-12-31_sample"


def _sample_run(out: Path) -> Path:
    # on all of the suite's cores: the one whole run with as many kernels at once as a user's
    res = cli("run", "--config", str(SAMPLE / "report.yml"), "--out", str(out), suite_cores=True)
    assert res.returncode == 0, res.stderr
    assert "ERROR" not in res.stderr and "Traceback" not in res.stderr, res.stderr
    runs = [p for p in out.iterdir() if p.is_dir() and not p.name.startswith((".", "_"))]
    assert [p.name for p in runs] == ["2024-12-31_sample"]
    return runs[0]


def _pg_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    return Path(found[-1]).parent if found else None


@pytest.fixture(scope="session")
def postgres():
    """A throw-away PostgreSQL server on localhost, password authentication (one per session):
    the URL of its database ``crm`` (user ``churn``, password :data:`PG_PASSWORD`)."""
    pg = _pg_bin()
    if pg is None:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL is not installed (scripts/setup.sh installs it)")
        pytest.skip("PostgreSQL is not installed")
    # outside pytest's root-only temp tree: the server runs as the postgres user
    home = Path(tempfile.mkdtemp(prefix="churnreport-pg-"))
    data = home / "data"
    pwfile = home / "pw"
    pwfile.write_text(PG_PASSWORD)
    as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if as_user:
        shutil.chown(home, "postgres")
        shutil.chown(pwfile, "postgres")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    run = lambda *cmd: subprocess.run([*as_user, *cmd], check=True, capture_output=True)  # noqa: E731
    run(str(pg / "initdb"), "-D", str(data), "-U", "churn", "-A", "scram-sha-256",
        f"--pwfile={pwfile}")  # fmt: skip
    run(str(pg / "pg_ctl"), "-D", str(data), "-w", "-l", str(home / "log"), "-o",
        f"-p {port} -k {home} -c listen_addresses=127.0.0.1", "start")  # fmt: skip
    try:
        env = {**os.environ, "PGPASSWORD": PG_PASSWORD}
        subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(port), "-U", "churn", "-d",
                        "postgres", "-c", "CREATE DATABASE crm"], check=True, env=env,
                       capture_output=True)  # fmt: skip
        yield f"postgresql://churn@127.0.0.1:{port}/crm"
    finally:
        run(str(pg / "pg_ctl"), "-D", str(data), "-m", "fast", "stop")
        shutil.rmtree(home, ignore_errors=True)
