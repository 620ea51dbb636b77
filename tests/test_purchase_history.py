"""A 12-month purchase history with returns (issue 16): the run completes, the censored first
months are left out and said, returns are netted and counted, and the report passes the lint."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import yaml

from churnreport.config import load_config
from churnreport.report.pipeline import run_report
from tests.report_lint import lint


@pytest.fixture(scope="module")
def history_run(tmp_path_factory):
    d = tmp_path_factory.mktemp("purchases")
    rng = np.random.default_rng(5)
    rows = []
    start, end = pd.Timestamp("2024-01-01"), pd.Timestamp("2024-12-31")
    for i in range(700):
        t = start + pd.Timedelta(days=int(rng.integers(0, 200)))
        stop = end if rng.random() < 0.6 else start + pd.Timedelta(days=int(rng.integers(60, 366)))
        while t <= min(stop, end):
            amount = round(float(rng.gamma(2, 30)), 2)
            rows.append((f"K{i:04d}", t.date().isoformat(), amount))
            if rng.random() < 0.05:  # a return the same day
                rows.append((f"K{i:04d}", t.date().isoformat(), -amount))
            t += pd.Timedelta(days=int(rng.integers(10, 60)))
    rows.append(("R0001", "2024-06-03", -25.0))  # a customer with a return only
    pd.DataFrame(rows, columns=["CustomerID", "InvoiceDate", "Amount"]).to_csv(
        d / "tx.csv", index=False
    )
    cfg = {
        "name": "purchases",
        "period": "month",
        "currency": "GBP",
        "churn": {"definition": "inactivity", "inactivity_days": 90},
        "sources": {
            "transactions": {
                "path": "tx.csv",
                "columns": {"customer_id": "CustomerID", "date": "InvoiceDate", "amount": "Amount"},
            }
        },
        "output_dir": str(d / "reports"),
    }
    (d / "report.yml").write_text(yaml.safe_dump(cfg), encoding="utf-8")
    return run_report(load_config(d / "report.yml"), pdf=False)


def test_a_short_purchase_history_reports_what_it_can_see(history_run):
    m = json.loads((history_run.run_dir / "metrics.json").read_text(encoding="utf-8"))
    ind = m["indicators"]
    assert ind["history"]["observed_from"] == "2024-04-01"
    assert ind["periods"][0]["period"] == "2024-04"  # Jan-Mar: everyone new, nobody lost
    assert m["profile"]["shape"] == "purchases"
    codes = [c["code"] for c in m["summary"]["data_checks"]]
    assert "censored_start" in codes
    assert "outcome_column" not in codes
    issues = {i["reason"]: i for i in m["data_quality"]["issues"]}
    assert issues["returns_netted"]["count"] > 0
    assert issues["return_only_day"]["count"] == 1
    assert issues["returns_only_customer"]["count"] == 1
    dropped = {d["driver"]: d["code"] for d in m["causes"]["drivers_model"]["dropped"]}
    assert dropped.get("new_customer") == "definitional"
    html = (history_run.run_dir / "report.html").read_text(encoding="utf-8")
    assert "A snapshot has one period only" not in html
    assert "All customers are in one segment" not in html
    assert lint(history_run.run_dir / "report.html") == []


def test_a_history_shorter_than_the_window_is_a_clear_error(tmp_path):
    from churnreport.data.load import load_dataset
    from churnreport.errors import InputError

    rows = [("A", "2024-01-05", 10.0), ("B", "2024-02-10", 20.0), ("A", "2024-03-01", 5.0)]
    pd.DataFrame(rows, columns=["id", "day", "amount"]).to_csv(tmp_path / "tx.csv", index=False)
    cfg = {
        "name": "short",
        "as_of": "2024-03-31",
        "churn": {"definition": "inactivity", "inactivity_days": 90},
        "sources": {
            "transactions": {
                "path": "tx.csv",
                "columns": {"customer_id": "id", "date": "day", "amount": "amount"},
            }
        },
    }
    (tmp_path / "report.yml").write_text(yaml.safe_dump(cfg), encoding="utf-8")
    with pytest.raises(InputError, match="churn can be counted only from 2024-05-01") as e:
        load_dataset(load_config(tmp_path / "report.yml"))
    assert "tx.csv" in str(e.value) and "inactivity_days" in str(e.value)
