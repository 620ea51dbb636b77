"""What a monthly scheduler does for ``churn-report run``: the report date and, per exit code,
whether to retry.

No Airflow import here: the DAG file ``churn_report_dag.py`` (and anything else that schedules
the report) asks these functions, and the tests check them without Airflow installed.

The exit codes are those of ``churn-report run`` (docs/SCHEDULING.md, "Exit codes").
"""

from __future__ import annotations

import datetime as dt
import signal
from dataclasses import dataclass
from enum import Enum
from zoneinfo import ZoneInfo

#: Tries for "another run holds the lock" (exit 3): the first one and this many retries.
LOCK_RETRIES = 6
#: Wait before retrying a busy lock: the run holding it usually ends within the hour.
LOCK_RETRY_DELAY = dt.timedelta(minutes=10)
#: Wait before the one retry of a failed notebook, machine or database write (1, 5, 7, SIGKILL).
ONCE_RETRY_DELAY = dt.timedelta(minutes=15)


def report_date(moment: dt.datetime, timezone: str) -> dt.date:
    """The report date of a run scheduled at ``moment``: the last day of the month before it.

    The month is read in ``timezone``, the scheduler's time zone, so 06:00 on 1 March in
    Shanghai (22:00 on 28 February in UTC) reports February, not January.

    Parameters
    ----------
    moment : datetime.datetime
        When the run was scheduled (Airflow's ``data_interval_start`` with a
        ``CronTriggerTimetable``); must carry a time zone.
    timezone : str
        IANA name of the schedule's time zone, e.g. ``"Asia/Shanghai"``.

    Returns
    -------
    datetime.date
        The last day of the previous month in ``timezone``.

    Examples
    --------
    >>> report_date(dt.datetime(2025, 2, 28, 22, 0, tzinfo=dt.timezone.utc), "Asia/Shanghai")
    datetime.date(2025, 2, 28)
    >>> report_date(dt.datetime(2025, 2, 28, 22, 0, tzinfo=dt.timezone.utc), "UTC")
    datetime.date(2025, 1, 31)
    """
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"report_date needs a time-zone-aware datetime, got {moment!r}")
    local = moment.astimezone(ZoneInfo(timezone)).date()
    return local.replace(day=1) - dt.timedelta(days=1)


def run_command(executable: str, config: str, as_of: dt.date, out: str | None = None) -> list[str]:
    """The ``churn-report run`` command line of one scheduled run.

    Parameters
    ----------
    executable : str
        Path of the ``churn-report`` executable (e.g. ``/opt/churnreport/.venv/bin/churn-report``).
    config : str
        Path of the report config (YAML).
    as_of : datetime.date
        Report date, from :func:`report_date`.
    out : str, optional
        Output directory; default: the config's ``output_dir``.

    Returns
    -------
    list of str
        The arguments, ``--fail-on-alert`` included so that alerts end in exit 4.

    Examples
    --------
    >>> run_command("churn-report", "report.yml", dt.date(2025, 2, 28))
    ['churn-report', 'run', '--config', 'report.yml', '--as-of', '2025-02-28', '--fail-on-alert']
    """
    cmd = [executable, "run", "--config", config, "--as-of", as_of.isoformat(), "--fail-on-alert"]
    if out:
        cmd += ["--out", out]
    return cmd


class Action(str, Enum):
    """What the scheduler does after a run."""

    OK = "ok"
    RETRY = "retry"
    FAIL = "fail"
    """Fail now, no retry; someone must look."""
    ALERT = "alert"
    """The report is published and raised alerts: tell someone, never rerun."""


@dataclass(frozen=True)
class Decision:
    """The scheduler's answer to one exit code.

    Attributes
    ----------
    action : Action
        Succeed, retry, fail without retry, or alert (also without retry).
    reason : str
        One line for the task log and the failure notice.
    retry_delay : datetime.timedelta or None
        Wait before the retry (``None`` unless ``action`` is ``RETRY``).
    """

    action: Action
    reason: str
    retry_delay: dt.timedelta | None = None


def exit_code_of(returncode: int) -> int:
    """A shell's exit code for a subprocess return code (killed by signal N: ``128 + N``).

    Examples
    --------
    >>> exit_code_of(-9), exit_code_of(2)
    (137, 2)
    """
    return 128 - returncode if returncode < 0 else returncode


def decide(exit_code: int, try_number: int) -> Decision:
    """Whether a retry can fix what ended a run with ``exit_code``.

    Only a busy lock (3) is retried several times; a failed notebook (1), a failed machine (5),
    a failed write to the ``publish:`` database (7, the rerun rewrites its rows) and a run killed by SIGKILL (137, usually the out-of-memory killer) are retried once, on
    the first try only; bad input (2), a bug (6) and a stopped run (130, 143) fail at once;
    alerts (4) come after the report is published, so they alert and are never rerun.

    Parameters
    ----------
    exit_code : int
        Exit status of ``churn-report run`` (shell convention: ``128 + N`` for signal N; see
        :func:`exit_code_of`).
    try_number : int
        Which try this was, 1 for the first.

    Returns
    -------
    Decision

    Examples
    --------
    >>> decide(3, 1).action, decide(1, 1).action, decide(1, 2).action, decide(4, 1).action
    (<Action.RETRY: 'retry'>, <Action.RETRY: 'retry'>, <Action.FAIL: 'fail'>, <Action.ALERT: 'alert'>)
    """
    if exit_code == 0:
        return Decision(Action.OK, "report published")
    if exit_code == 3:
        return Decision(
            Action.RETRY, "exit 3: another run holds the output directory", LOCK_RETRY_DELAY
        )
    if exit_code == 4:
        return Decision(
            Action.ALERT, "exit 4: published with alerts; do not rerun, read the alerts"
        )
    once = {
        1: "exit 1: a notebook failed (executed copy in <output_dir>/_failed/)",
        5: "exit 5: the machine failed the run (disk, memory, input/output)",
        7: "exit 7: published, but writing the results to the publish database failed",
        128 + signal.SIGKILL: "exit 137: killed by SIGKILL (often the out-of-memory killer)",
    }
    if exit_code in once:
        if try_number <= 1:
            return Decision(Action.RETRY, once[exit_code] + "; retrying once", ONCE_RETRY_DELAY)
        return Decision(Action.FAIL, once[exit_code] + "; failed again after one retry")
    fatal = {
        2: "exit 2: bad config or input; fix the data or the mapping, then rerun",
        6: "exit 6: internal error (a bug); report it with the run.log its ERROR line names",
        130: "exit 130: interrupted; rerun when wanted",
        143: "exit 143: terminated (SIGTERM); rerun when wanted",
    }
    return Decision(Action.FAIL, fatal.get(exit_code, f"exit {exit_code}: unexpected exit code"))
