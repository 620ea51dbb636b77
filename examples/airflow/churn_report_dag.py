"""Airflow 3 DAG: ``churn-report run`` at 06:00 on the 1st of every month, for the month before.

Copy this file and ``churn_schedule.py`` (same folder) into the DAGs folder. Needs Airflow 3.3 or
newer (``retry_policy``); tested with the version pinned in scripts/setup_airflow.sh.

Settings, read when the task runs (Airflow Variable first, then the environment, then the default):

=============================  ==============================  ==========================================
Variable                       environment                     default
=============================  ==============================  ==========================================
``churn_report_executable``    ``CHURN_REPORT_EXECUTABLE``     ``/opt/churnreport/.venv/bin/churn-report``
``churn_report_config``        ``CHURN_REPORT_CONFIG``         ``/etc/churn/report.yml``
``churn_report_output_dir``    ``CHURN_REPORT_OUTPUT_DIR``     the config's ``output_dir``
=============================  ==============================  ==========================================

Failure notices: set ``CHURN_REPORT_ALERT_EMAIL`` (comma-separated addresses) in the environment
of the DAG processor and workers to mail every failed run through the SMTP provider's notifier
(connection ``smtp_default``); without it a failure is one ERROR line in the task log.

Time zone: ``TIMEZONE`` below drives both the schedule and the report date; change it there
(a report date is "the last day of the previous month" on the calendar of that zone).
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pendulum
from airflow.sdk import (
    DAG,
    CronTriggerTimetable,
    RetryDecision,
    RetryPolicy,
    Variable,
    get_current_context,
    task,
)
from airflow.sdk.exceptions import AirflowException, AirflowFailException

HERE = str(Path(__file__).resolve().parent)  # churn_schedule.py lies beside this file
if HERE not in sys.path:
    sys.path.insert(0, HERE)
from churn_schedule import LOCK_RETRIES, Action, decide, exit_code_of, report_date, run_command  # noqa: E402

#: The schedule's time zone: the cron line below is read in it, and so is the report month.
TIMEZONE = "Asia/Shanghai"
SCHEDULE = CronTriggerTimetable("0 6 1 * *", timezone=TIMEZONE)

log = logging.getLogger(__name__)


class ChurnReportExit(AirflowException):
    """``churn-report run`` ended with an exit code that a retry may fix."""

    def __init__(self, exit_code: int, reason: str) -> None:
        self.exit_code = exit_code
        super().__init__(reason)


class ExitCodeRetryPolicy(RetryPolicy):
    """Retry only what a retry can fix, after the delay ``churn_schedule.decide`` gives.

    The task already raises ``AirflowFailException`` (never retried) for the exit codes that
    must not be retried; this policy adds the per-code delay and says no again should a
    fail-fast code ever reach it.
    """

    def evaluate(self, exception, try_number, max_tries, context=None) -> RetryDecision:
        code = getattr(exception, "exit_code", None)
        if code is None:  # not churn-report's exit (the task itself broke): Airflow's default
            return RetryDecision.default()
        decision = decide(code, try_number)
        if decision.action is Action.RETRY:
            return RetryDecision.retry(delay=decision.retry_delay, reason=decision.reason)
        return RetryDecision.fail(reason=decision.reason)

    def serialize(self) -> dict:
        return {"__type": "ExitCodeRetryPolicy"}


def _setting(variable: str, env: str, default: str | None) -> str | None:
    return Variable.get(variable, default=None) or os.environ.get(env) or default


def _failure_notice(context) -> None:
    """One ERROR line: the report date and what ended the run (exit 4: published with alerts)."""
    log.error("churn report failed: %s", context.get("exception"))


def _failure_callbacks() -> list:
    callbacks = [_failure_notice]
    to = os.environ.get("CHURN_REPORT_ALERT_EMAIL")
    if to:
        from airflow.providers.smtp.notifications.smtp import SmtpNotifier

        callbacks.append(
            SmtpNotifier(
                to=[a.strip() for a in to.split(",") if a.strip()],
                subject="churn report failed: {{ exception }}",
            )
        )
    return callbacks


def _scheduled_at(context) -> datetime:
    """When this run was scheduled: manual runs may have no data interval (Airflow 3)."""
    for key in ("data_interval_start", "logical_date"):
        if context.get(key) is not None:
            return context[key]
    return context["dag_run"].run_after


with DAG(
    dag_id="churn_report_monthly",
    description="churn-report run for the previous month; retries only what a retry can fix",
    schedule=SCHEDULE,
    start_date=pendulum.datetime(2026, 1, 1, tz=TIMEZONE),
    catchup=False,
    max_active_runs=1,
    tags=["churnreport"],
) as dag:

    @task(
        retries=LOCK_RETRIES,
        retry_policy=ExitCodeRetryPolicy(),
        execution_timeout=pendulum.duration(hours=4),
        on_failure_callback=_failure_callbacks(),
    )
    def churn_report() -> str:
        """Run the report; its output goes to the task log; the exit code decides the rest."""
        context = get_current_context()
        as_of = report_date(_scheduled_at(context), TIMEZONE)
        cmd = run_command(
            _setting(
                "churn_report_executable",
                "CHURN_REPORT_EXECUTABLE",
                "/opt/churnreport/.venv/bin/churn-report",
            ),
            _setting("churn_report_config", "CHURN_REPORT_CONFIG", "/etc/churn/report.yml"),
            as_of,
            _setting("churn_report_output_dir", "CHURN_REPORT_OUTPUT_DIR", None),
        )
        log.info("running %s", " ".join(cmd))
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            for line in proc.stdout:
                log.info("%s", line.rstrip())
            code = exit_code_of(proc.wait())
        finally:
            if proc.poll() is None:  # the task was stopped: SIGTERM lets the run clean up
                proc.terminate()
                try:
                    proc.wait(timeout=120)
                except subprocess.TimeoutExpired:
                    proc.kill()
        decision = decide(code, context["ti"].try_number)
        reason = f"report {as_of}: {decision.reason}"
        if decision.action is Action.RETRY:
            raise ChurnReportExit(code, reason)
        if decision.action is not Action.OK:  # FAIL, or ALERT (published: never rerun)
            raise AirflowFailException(reason)
        return as_of.isoformat()

    churn_report()
