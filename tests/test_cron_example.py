"""examples/cron/churn-report-monthly.sh with a fake churn-report: silent on success, one
stderr line (what cron mails) and churn-report's exit code on failure, retries only what a
retry can fix."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import ROOT

SCRIPT = ROOT / "examples" / "cron" / "churn-report-monthly.sh"

# exits with the next code of $FAKE_CODES (the last one repeats); each call's arguments go
# to calls.txt; a failing call writes an ERROR line as churn-report does
FAKE = """#!/bin/sh
here=$(dirname "$0")
echo "$*" >> "$here/calls.txt"
n=$(wc -l < "$here/calls.txt")
code=$(echo $FAKE_CODES | tr ' ' '\\n' | sed -n "${n}p")
[ -n "$code" ] || code=$(echo $FAKE_CODES | tr ' ' '\\n' | tail -n 1)
echo "2026-12-01T06:00:01+08:00 churnreport INFO data loaded and valid" >&2
[ "$code" = 0 ] || echo "2026-12-01T06:00:02+08:00 churnreport ERROR exit $code: fake reason" >&2
exit "$code"
"""


@pytest.fixture
def cron(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "churn-report"
    fake.write_text(FAKE)
    fake.chmod(0o755)

    def run(*codes: int, **env: str) -> tuple[subprocess.CompletedProcess, list[str]]:
        environ = {k: v for k, v in os.environ.items() if not k.startswith(("CHURN_", "FAKE_"))}
        environ.update(
            PATH=f"{bin_dir}:{os.environ['PATH']}",
            FAKE_CODES=" ".join(map(str, codes)),
            CHURN_CONFIG="/etc/churn/report.yml",
            CHURN_LOG_DIR=str(tmp_path / "logs"),
            CHURN_RETRY_DELAY="0",
            CHURN_SYSLOG="0",  # the test's failures stay out of the machine's syslog
            **env,
        )
        res = subprocess.run(
            ["bash", str(SCRIPT)], capture_output=True, text=True, env=environ, timeout=60
        )
        calls = bin_dir / "calls.txt"
        return res, calls.read_text().splitlines() if calls.exists() else []

    return run


def _previous_month_end() -> str:
    return (dt.date.today().replace(day=1) - dt.timedelta(days=1)).isoformat()


def test_published_run_is_silent_and_reports_the_previous_month(cron, tmp_path):
    res, calls = cron(0)
    assert (res.returncode, res.stdout, res.stderr) == (0, "", "")
    as_of = _previous_month_end()
    assert calls == [f"run --config /etc/churn/report.yml --as-of {as_of} --fail-on-alert"]
    log = (tmp_path / "logs" / f"{as_of}.log").read_text()
    assert "churnreport INFO data loaded and valid" in log  # the output is kept, not mailed


def test_bad_input_fails_at_once_with_one_line_naming_the_code_and_the_log(cron, tmp_path):
    res, calls = cron(2, CHURN_AS_OF="2026-02-28")
    assert res.returncode == 2
    assert len(calls) == 1
    assert res.stdout == ""
    lines = res.stderr.splitlines()
    assert len(lines) == 1, res.stderr
    line = lines[0]
    assert "report 2026-02-28 failed: exit 2" in line
    assert "bad config or input" in line and "[exit 2: fake reason]" in line
    assert f"run.log: {tmp_path / 'logs' / '2026-02-28.log'}" in line


def test_busy_lock_is_retried_and_then_publishes_silently(cron):
    res, calls = cron(3, 3, 0)
    assert (res.returncode, res.stderr) == (0, "")
    assert len(calls) == 3


def test_busy_lock_gives_up_after_six_retries(cron):
    res, calls = cron(3)
    assert res.returncode == 3
    assert len(calls) == 7
    assert "exit 3 after 7 tries" in res.stderr


@pytest.mark.parametrize("code", [1, 5, 7, 137])
def test_failed_notebook_machine_or_database_write_is_retried_once(code, cron):
    res, calls = cron(code)
    assert res.returncode == code
    assert len(calls) == 2
    assert f"exit {code} after 2 tries" in res.stderr


def test_alerts_after_publishing_are_reported_and_not_rerun(cron):
    res, calls = cron(4)
    assert res.returncode == 4
    assert len(calls) == 1
    assert "published with alerts; do not rerun" in res.stderr


def test_report_date_and_output_folder_can_be_given(cron):
    res, calls = cron(0, CHURN_AS_OF="2025-12-31", CHURN_OUT="/srv/reports")
    assert res.returncode == 0
    assert calls == [
        "run --config /etc/churn/report.yml --as-of 2025-12-31 --fail-on-alert --out /srv/reports"
    ]


def test_previous_month_is_read_in_the_given_time_zone(cron):
    res, calls = cron(0, CHURN_TZ="Asia/Shanghai")
    assert res.returncode == 0
    today = dt.datetime.now(ZoneInfo("Asia/Shanghai")).date()
    expected = (today.replace(day=1) - dt.timedelta(days=1)).isoformat()
    assert f"--as-of {expected} " in calls[0]


def test_crontab_line_mails_failures():
    text = SCRIPT.read_text()
    assert "MAILTO=" in text
    assert "0 6 1 * * /opt/churnreport/examples/cron/churn-report-monthly.sh" in text
