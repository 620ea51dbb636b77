"""The scheduling rules of examples/airflow/churn_schedule.py: report date and retry policy."""

from __future__ import annotations

import datetime as dt
import doctest
import importlib.util
import sys
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import ROOT


def _load_schedule():
    path = ROOT / "examples" / "airflow" / "churn_schedule.py"
    spec = importlib.util.spec_from_file_location("churn_schedule", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve annotations through sys.modules
    spec.loader.exec_module(module)
    return module


sched = _load_schedule()
Action = sched.Action
SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_docstring_examples_hold():
    assert doctest.testmod(sched).failed == 0


def test_january_run_reports_december_of_the_previous_year():
    moment = dt.datetime(2026, 1, 1, 6, tzinfo=SHANGHAI)
    assert sched.report_date(moment, "Asia/Shanghai") == dt.date(2025, 12, 31)


@pytest.mark.parametrize(("year", "last_day"), [(2025, 28), (2024, 29)])
def test_march_run_reports_the_last_day_of_february_leap_years_included(year, last_day):
    moment = dt.datetime(year, 3, 1, 6, tzinfo=SHANGHAI)
    assert sched.report_date(moment, "Asia/Shanghai") == dt.date(year, 2, last_day)


def test_month_is_read_in_the_schedules_time_zone_not_utc():
    # 2025-03-01 00:00 in Shanghai is 2025-02-28 16:00 UTC, what Airflow hands the task
    utc = dt.datetime(2025, 2, 28, 16, tzinfo=dt.timezone.utc)
    assert sched.report_date(utc, "Asia/Shanghai") == dt.date(2025, 2, 28)
    # read in UTC the same instant would report January (and write a second run folder)
    assert sched.report_date(utc, "UTC") == dt.date(2025, 1, 31)


def test_a_run_triggered_mid_month_reports_the_last_complete_month():
    moment = dt.datetime(2026, 7, 15, 13, tzinfo=SHANGHAI)
    assert sched.report_date(moment, "Asia/Shanghai") == dt.date(2026, 6, 30)


def test_naive_datetime_is_refused():
    with pytest.raises(ValueError, match="time-zone-aware"):
        sched.report_date(dt.datetime(2026, 3, 1, 6), "Asia/Shanghai")


def test_command_passes_the_report_date_alerts_and_output_dir():
    cmd = sched.run_command("/opt/x/churn-report", "/etc/r.yml", dt.date(2026, 2, 28), "/srv/out")
    assert cmd == [
        "/opt/x/churn-report",
        "run",
        "--config",
        "/etc/r.yml",
        "--as-of",
        "2026-02-28",
        "--fail-on-alert",
        "--out",
        "/srv/out",
    ]


def test_published_run_succeeds():
    assert sched.decide(0, 1).action is Action.OK


def test_busy_lock_is_retried_on_every_try_after_a_delay():
    for try_number in range(1, sched.LOCK_RETRIES + 2):
        decision = sched.decide(3, try_number)
        assert decision.action is Action.RETRY
        assert decision.retry_delay == sched.LOCK_RETRY_DELAY
    assert sched.LOCK_RETRIES >= 3


@pytest.mark.parametrize("code", [1, 5, 7, 137])
def test_failed_notebook_or_machine_is_retried_once_only(code):
    first, second = sched.decide(code, 1), sched.decide(code, 2)
    assert first.action is Action.RETRY and first.retry_delay is not None
    assert second.action is Action.FAIL and "after one retry" in second.reason


@pytest.mark.parametrize("code", [2, 6, 130, 143, 255])
def test_bad_input_bug_stop_or_unknown_code_fails_at_once(code):
    decision = sched.decide(code, 1)
    assert decision.action is Action.FAIL
    assert decision.reason.startswith(f"exit {code}:")


def test_alerts_after_publishing_alert_and_are_never_rerun():
    decision = sched.decide(4, 1)
    assert decision.action is Action.ALERT
    assert "published with alerts; do not rerun" in decision.reason


def test_killed_by_signal_maps_to_the_shell_exit_code():
    assert sched.exit_code_of(-9) == 137
    assert sched.exit_code_of(-15) == 143
    assert sched.exit_code_of(4) == 4
