"""Publish a run: staging directory, metrics/manifest files, atomic rename into place."""

from __future__ import annotations

import datetime as dt
import errno
import fcntl
import json
import os
import platform
import re
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from importlib import metadata
from pathlib import Path

from churnreport.analysis.results import Metrics
from churnreport.errors import ConfigError, RunLocked

PACKAGES = (
    "churnreport",
    "pandas",
    "numpy",
    "scipy",
    "matplotlib",
    "seaborn",
    "papermill",
    "nbconvert",
    "nbclient",
    "ipykernel",
    "weasyprint",
    "pydantic",
    "pyarrow",
    "python-calamine",
    "xlsxwriter",
)


def run_id(as_of: str, name: str) -> str:
    """Deterministic run id: ``<as_of>_<config name>``."""
    return f"{as_of}_{name}"


def previous_timings(output_dir: Path, name: str) -> dict[str, float]:
    """Each notebook's seconds in the latest published run of config ``name`` (its
    manifest.json), to start the longest first; empty when there is none.

    Parameters
    ----------
    output_dir : Path
        The output directory holding the runs.
    name : str
        The config name (run folders are ``<as_of>_<name>``).

    Returns
    -------
    dict of str to float
    """
    folder = re.compile(rf"\d{{4}}-\d{{2}}-\d{{2}}_{re.escape(name)}")
    runs = sorted(
        p / "manifest.json"
        for p in (output_dir.iterdir() if output_dir.is_dir() else [])
        if folder.fullmatch(p.name)
    )
    for manifest in reversed(runs):
        try:
            record = json.loads(manifest.read_text(encoding="utf-8"))
            return {nb["name"]: float(nb["seconds"]) for nb in record.get("notebooks", [])}
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return {}


def staging_dir(output_dir: Path, rid: str) -> Path:
    """A fresh hidden directory beside the final one (same file system, so rename is atomic)."""
    output_dir.mkdir(parents=True, exist_ok=True)
    path = output_dir / f".staging-{rid}-{os.getpid()}"
    if path.exists():
        shutil.rmtree(path)
    path.mkdir()
    return path


def merge_metrics(staging: Path, header: dict) -> Metrics:
    """Combine the chapter results notebooks recorded (staging/metrics/*.json) with the run's
    header into metrics.json, validated against :class:`~churnreport.analysis.results.Metrics`.

    Parameters
    ----------
    staging : Path
        The run's staging directory.
    header : dict
        run_id, as_of, period, definition, language, company, currency, data_quality.

    Returns
    -------
    Metrics
    """
    fields = dict(header)
    frag_dir = staging / "metrics"
    for frag in sorted(frag_dir.glob("*.json")) if frag_dir.is_dir() else []:
        fields[frag.stem] = json.loads(frag.read_text(encoding="utf-8"))
    metrics = Metrics.model_validate(fields)
    (staging / "metrics.json").write_text(metrics.model_dump_json(indent=1), encoding="utf-8")
    if frag_dir.is_dir():
        shutil.rmtree(frag_dir)
    return metrics


def package_versions() -> dict[str, str]:
    """Versions of the packages that shape a report's numbers and looks."""
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def write_json(path: Path, data: dict) -> None:
    """Write UTF-8 JSON, keeping Chinese readable."""
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1, default=str), encoding="utf-8")


def publish(staging: Path, final: Path) -> Path:
    """Move a complete staging directory to ``final``, replacing an older run atomically.

    The old run is renamed aside first, the new one renamed in, then the old one deleted; at
    every instant ``final`` is either the complete old run or the complete new one.
    """
    old = final.with_name(f".old-{final.name}-{os.getpid()}")
    if final.exists():
        final.rename(old)
    staging.rename(final)
    if old.exists():
        shutil.rmtree(old, ignore_errors=True)
    return final


def keep_failed(staging: Path, output_dir: Path, rid: str) -> Path:
    """Move the executed notebooks of a failed run to ``<output_dir>/_failed/<run id>/``."""
    target = output_dir / "_failed" / rid
    if target.exists():
        shutil.rmtree(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    src = staging / "notebooks"
    shutil.move(str(src), str(target)) if src.exists() else target.mkdir()
    shutil.rmtree(staging, ignore_errors=True)
    return target


def command_line() -> str:
    """The command that started this run."""
    return " ".join([Path(sys.argv[0]).name, *sys.argv[1:]])


def _process_start(pid: int) -> str | None:
    """The start time of process ``pid`` (clock ticks since boot, from /proc), None when no
    such process exists; with the pid it names one process even after pids are reused."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except PermissionError:
            return "unknown"
        return "unknown"  # alive, no /proc (not Linux)
    return stat.rpartition(")")[2].split()[19]  # field 22, after the command in parentheses


def _machine() -> tuple[str, str]:
    """This machine's host name and boot id (the boot id changes at every restart)."""
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        boot = "unknown"
    return platform.node() or "unknown", boot


def _lock_record() -> str:
    """What the lock file says of its holder: pid, process start, host, boot id, time."""
    host, boot = _machine()
    started = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    pid = os.getpid()
    return f"pid {pid} start {_process_start(pid)} host {host} boot {boot} since {started}\n"


def _holder_gone(record: str) -> bool:
    """True when the lock record names a process that certainly no longer exists.

    Only a holder on this machine can be judged: a record from another host (a shared
    folder) or without the fields never counts as gone; one from an earlier boot always does.
    """
    fields = record.split()
    values = dict(zip(fields[::2], fields[1::2], strict=False))
    pid, host, boot = values.get("pid", ""), values.get("host"), values.get("boot")
    here, this_boot = _machine()
    if not pid.isdigit() or host != here:
        return False
    if boot not in (None, "unknown", this_boot) and this_boot != "unknown":
        return True  # the machine restarted since the record was written
    started = _process_start(int(pid))
    if started is None:
        return True
    recorded = values.get("start")
    return recorded not in (None, "unknown") and started not in ("unknown", recorded)


def _open_locked(path: Path):
    """Open ``path`` and hold an exclusive flock on it; None when another process holds it.

    The file is opened close-on-exec (Python's default) and worker processes are spawned,
    not forked, so no other process ever shares the lock.
    """
    handle = open(path, "a+", encoding="utf-8")  # noqa: SIM115 (held open by the caller)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        return None
    try:
        same = os.stat(path).st_ino == os.fstat(handle.fileno()).st_ino
    except FileNotFoundError:
        same = False
    if not same:  # a stale lock was broken and replaced after we opened it: try again
        handle.close()
        return _open_locked(path)
    return handle


def first_missing(path: Path) -> Path | None:
    """The outermost folder of ``path`` that does not exist yet (None when ``path`` exists):
    what a run creates, and may remove again."""
    missing = None
    for p in [path, *path.parents]:
        if p.exists():
            break
        missing = p
    return missing


def remove_unused(output_dir: Path, made: Path | None = None) -> None:
    """Remove an output directory a run created only to hold its lock (bad input: the run
    leaves nothing behind), up to ``made``, the outermost folder it created; a directory with
    anything else in it stays.

    Parameters
    ----------
    output_dir : Path
    made : Path, optional
        The outermost folder the run created (:func:`first_missing`); default ``output_dir``.
    """
    guard_path = output_dir / ".lock.guard"
    with suppress(OSError), open(guard_path, "a", encoding="utf-8") as guard:
        fcntl.flock(guard, fcntl.LOCK_EX)  # the same guard run_lock takes: no run slips in
        handle = _open_locked(output_dir / ".lock")
        if handle is None:  # another run took the directory meanwhile: it is its own now
            return
        with handle:
            (output_dir / ".lock").unlink(missing_ok=True)
            guard_path.unlink(missing_ok=True)
    stop = made or output_dir
    for folder in [output_dir, *output_dir.parents]:
        try:  # not empty: another run's files, or the user's
            folder.rmdir()
        except OSError:
            break
        if folder == stop:
            break


def _take_lock(output_dir: Path, path: Path, attempts: int = 3):
    """Create the folder and hold its lock (see :func:`run_lock`); a folder removed by a
    run that gave it up (:func:`remove_unused`) between our steps is made again."""
    for attempt in range(attempts):
        try:
            output_dir.mkdir(parents=True, exist_ok=True)
            with open(output_dir / ".lock.guard", "a", encoding="utf-8") as guard:
                fcntl.flock(guard, fcntl.LOCK_EX)  # held for microseconds, never during a run
                handle = _open_locked(path)
                if handle is None:
                    holder = path.read_text(encoding="utf-8").strip() or "unknown process"
                    if not _holder_gone(holder):
                        raise RunLocked(
                            f"another churn-report run is writing to {output_dir} ({holder}); "
                            "wait for it to finish and run again"
                        )
                    path.unlink()  # the holder is gone; whoever still has the old file keeps it
                    handle = _open_locked(path)
                    if handle is None:
                        raise RunLocked(f"could not take the lock {path}; run again")
                # the record is written before the guard is let go: a run arriving now reads it
                handle.seek(0)
                handle.truncate()
                handle.write(_lock_record())
                handle.flush()
                return handle
        except FileNotFoundError:
            if attempt == attempts - 1:
                raise
    raise AssertionError("unreachable")


@contextmanager
def run_lock(output_dir: Path) -> Iterator[None]:
    """Hold ``<output_dir>/.lock`` for a run; a second run on the same directory gets
    :class:`RunLocked` (exit 3). Leftovers of a run that was killed (hidden staging and
    old-run directories) are removed once the lock is held, as no other run can own them.

    The lock is an flock, released by the kernel when its holder ends however it ends. A lock
    still held while the process its record names is gone (a process that inherited the file
    outlived the run) does not block: the file is replaced under a short guard lock and the
    new run goes on.
    """
    path = output_dir / ".lock"
    try:
        handle = _take_lock(output_dir, path)
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EIO):
            raise  # the machine's failure (exit 5), not a wrong setting
        raise ConfigError(
            f"output directory {output_dir} is not writable: {exc.strerror}"
        ) from None
    try:
        for leftover in output_dir.glob(".staging-*"):
            shutil.rmtree(leftover, ignore_errors=True)
        for leftover in output_dir.glob(".old-*"):
            # killed between the two renames of publish(): the old run goes back in place
            final = output_dir / leftover.name[len(".old-") :].rsplit("-", 1)[0]
            if final.exists():
                shutil.rmtree(leftover, ignore_errors=True)
            else:
                leftover.rename(final)
        yield
    finally:
        handle.seek(0)
        handle.truncate()  # no record of a finished run is left to misread
        handle.flush()
        fcntl.flock(handle, fcntl.LOCK_UN)
        handle.close()
