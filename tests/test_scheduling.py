"""Runs for schedulers: lock, exit codes, alerts, plain logs, history and index."""

from __future__ import annotations

import re

import pytest
import yaml

from churnreport.data.sample import write_sample
from churnreport.errors import ConfigError, RunLocked
from churnreport.report.history import run_rows
from churnreport.report.publish import run_lock
from tests.conftest import cli

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
    res = cli("run", "--config", str(alerting), "--no-pdf", "--fail-on-alert")
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
    res = cli("run", "--config", str(alerting), "--no-pdf")
    assert res.returncode == 0 and "alert: churn_rate above" in res.stderr
