"""examples/airflow/churn_report_dag.py loaded by Airflow's own DagBag, in .venv-airflow.

scripts/setup_airflow.sh makes that environment (.ci/run calls it). Without it the tests skip,
except in CI (CI=true), where they fail: the DAG must be checked by real Airflow there.

Beyond loading, the DAG is serialized as the DAG processor does, its next scheduled runs are
asked from the scheduler's timetable, and three runs go through ``dag.test()`` (a SQLite
database in a temporary AIRFLOW_HOME) with a fake churn-report that exits 0, 2 and 4.
"""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from tests.conftest import ROOT

AIRFLOW_PY = ROOT / ".venv-airflow" / "bin" / "python"
DAGS = ROOT / "examples" / "airflow"

CHECK = r"""
import json, os, sys
from pathlib import Path

import pendulum
from airflow.dag_processing.dagbag import DagBag
from airflow.serialization.serialized_objects import DagSerialization
from airflow.timetables.base import TimeRestriction

dags = sys.argv[1]
fake_dir = Path(sys.argv[2])
out = {}
bag = DagBag(dag_folder=dags)
out["import_errors"] = {str(k): str(v) for k, v in bag.import_errors.items()}
out["dag_ids"] = sorted(bag.dag_ids)
out["files"] = sorted(Path(s.file).name for s in bag.dagbag_stats)
dag = bag.dags["churn_report_monthly"]
task = dag.get_task("churn_report")
out["timetable"] = [type(dag.timetable).__name__, dag.timetable.expression, str(dag.timezone)]
out["catchup"], out["max_active_runs"] = dag.catchup, dag.max_active_runs
out["retries"] = task.retries
out["failure_callbacks"] = [type(c).__name__ for c in task.on_failure_callback]

module = sys.modules[type(task.retry_policy).__module__]
sched = sys.modules["churn_schedule"]
out["lock_retries"] = sched.LOCK_RETRIES
out["policy"] = {
    str(code): [
        task.retry_policy.evaluate(module.ChurnReportExit(code, "x"), n, 7).action.value
        for n in (1, 2)
    ]
    for code in (1, 2, 3, 4, 5, 6, 7, 130, 137, 143)
}
out["policy_other_error"] = task.retry_policy.evaluate(ValueError("x"), 1, 7).action.value

# what the DAG processor stores and the scheduler reads back
scheduler_dag = DagSerialization.from_dict(DagSerialization.to_dict(dag))
restriction = TimeRestriction(earliest=scheduler_dag.start_date, latest=None, catchup=True)
runs, last = [], None
for _ in range(3):
    info = scheduler_dag.timetable.next_dagrun_info(
        last_automated_data_interval=last, restriction=restriction
    )
    last = info.data_interval
    runs.append([last.start.isoformat(), str(sched.report_date(last.start, "Asia/Shanghai"))])
out["scheduled"] = runs

os.environ["CHURN_REPORT_ALERT_EMAIL"] = "ops@example.com, boss@example.com"
mail_task = DagBag(dag_folder=dags).dags["churn_report_monthly"].get_task("churn_report")
out["failure_callbacks_with_email"] = [type(c).__name__ for c in mail_task.on_failure_callback]
del os.environ["CHURN_REPORT_ALERT_EMAIL"]

# three runs through Airflow's task runner, the fake churn-report exiting as told
os.environ["CHURN_REPORT_EXECUTABLE"] = str(fake_dir / "churn-report")
os.environ["CHURN_REPORT_CONFIG"] = "/etc/churn/report.yml"
out["runs"] = {}
for month, code in ((3, 0), (4, 2), (5, 4)):
    os.environ["FAKE_EXIT"] = str(code)
    run = dag.test(logical_date=pendulum.datetime(2026, month, 1, 6, tz="Asia/Shanghai"))
    ti = run.get_task_instance("churn_report")
    out["runs"][str(code)] = [run.state, ti.state, ti.try_number]
out["calls"] = (fake_dir / "calls.txt").read_text().splitlines()
print("CHECK-RESULT " + json.dumps(out))
"""

FAKE = """#!/bin/sh
echo "$*" >> "$(dirname "$0")/calls.txt"
[ "$FAKE_EXIT" = 0 ] || echo "2026-12-01T06:00:02+08:00 churnreport ERROR exit $FAKE_EXIT: fake" >&2
exit "$FAKE_EXIT"
"""


@pytest.fixture(scope="module")
def airflow_check(tmp_path_factory):
    if not AIRFLOW_PY.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(".venv-airflow is missing: .ci/run must run scripts/setup_airflow.sh")
        pytest.skip(".venv-airflow is missing (bash scripts/setup_airflow.sh makes it)")
    root = tmp_path_factory.mktemp("airflow")
    fake = root / "bin" / "churn-report"
    fake.parent.mkdir()
    fake.write_text(FAKE)
    fake.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "CHURN_"))}
    env.update(
        AIRFLOW_HOME=str(root / "home"),
        AIRFLOW__CORE__DAGS_FOLDER=str(DAGS),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
    )
    migrate = subprocess.run(
        [str(AIRFLOW_PY), "-m", "airflow", "db", "migrate"],
        capture_output=True, text=True, env=env, timeout=600,
    )  # fmt: skip
    assert migrate.returncode == 0, migrate.stdout[-3000:] + migrate.stderr[-3000:]
    res = subprocess.run(
        [str(AIRFLOW_PY), "-c", CHECK, str(DAGS), str(fake.parent)],
        capture_output=True, text=True, env=env, timeout=600,
    )  # fmt: skip
    output = res.stdout + res.stderr
    marked = [line for line in res.stdout.splitlines() if line.startswith("CHECK-RESULT ")]
    assert res.returncode == 0 and marked, output[-6000:]
    return json.loads(marked[-1].removeprefix("CHECK-RESULT ")), output


def test_dagbag_loads_the_dag_without_import_errors(airflow_check):
    result, _ = airflow_check
    assert result["import_errors"] == {}
    assert result["dag_ids"] == ["churn_report_monthly"]
    assert result["files"] == ["churn_report_dag.py"]  # .airflowignore: churn_schedule.py


def test_schedule_is_06_00_on_the_first_in_the_dags_time_zone(airflow_check):
    result, _ = airflow_check
    assert result["timetable"] == ["CronTriggerTimetable", "0 6 1 * *", "Asia/Shanghai"]
    assert result["catchup"] is False and result["max_active_runs"] == 1


def test_scheduled_runs_report_the_previous_month_though_airflow_hands_utc(airflow_check):
    result, _ = airflow_check
    assert result["scheduled"] == [
        ["2025-12-31T22:00:00+00:00", "2025-12-31"],
        ["2026-01-31T22:00:00+00:00", "2026-01-31"],
        ["2026-02-28T22:00:00+00:00", "2026-02-28"],
    ]


def test_retry_policy_retries_only_what_a_retry_can_fix(airflow_check):
    result, _ = airflow_check
    assert result["retries"] == result["lock_retries"]
    assert result["policy"] == {
        "1": ["retry", "fail"],
        "2": ["fail", "fail"],
        "3": ["retry", "retry"],
        "4": ["fail", "fail"],
        "5": ["retry", "fail"],
        "6": ["fail", "fail"],
        "7": ["retry", "fail"],
        "130": ["fail", "fail"],
        "137": ["retry", "fail"],
        "143": ["fail", "fail"],
    }
    assert result["policy_other_error"] == "default"


def test_failures_are_logged_and_mailed_when_an_address_is_set(airflow_check):
    result, _ = airflow_check
    assert result["failure_callbacks"] == ["function"]
    assert result["failure_callbacks_with_email"] == ["function", "SmtpNotifier"]


def test_runs_pass_the_report_date_and_fail_fast_on_bad_input_and_alerts(airflow_check):
    result, output = airflow_check
    assert result["runs"] == {
        "0": ["success", "success", 1],
        "2": ["failed", "failed", 1],  # not up_for_retry: failed on the first try
        "4": ["failed", "failed", 1],
    }
    assert result["calls"] == [
        f"run --config /etc/churn/report.yml --as-of {as_of} --fail-on-alert"
        for as_of in ("2026-02-28", "2026-03-31", "2026-04-30")
    ]
    assert "report 2026-04-30: exit 4: published with alerts; do not rerun" in output
    assert "churn report failed: report 2026-03-31: exit 2: bad config or input" in output
