"""Source shapes the config describes (issue 17): no customer id, description rows, files
without a header, derived amounts and rows left out on purpose, each counted."""

from __future__ import annotations

import pandas as pd
import pytest
import yaml

from churnreport.config import load_config
from churnreport.data.load import load_dataset
from churnreport.data.shape import expression_columns
from churnreport.errors import ConfigError, InputError


def _run(tmp_path, sources: dict, **extra):
    cfg = {"name": "t", "as_of": "2024-12-31", "sources": sources, **extra}
    (tmp_path / "report.yml").write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")
    return load_dataset(load_config(tmp_path / "report.yml"))


def _issues(ds, reason):
    return [i for i in ds.quality.issues if i.reason == reason]


SNAPSHOT = {"churn": {"definition": "snapshot"}}


def test_expressions_are_arithmetic_only():
    assert expression_columns("Quantity * UnitPrice") == ["Quantity", "UnitPrice"]
    assert expression_columns("(`Unit Price` - Discount) * Qty / 2") == [
        "Unit Price", "Discount", "Qty"
    ]  # fmt: skip
    for bad in ("__import__('os')", "Quantity ** 2", "a if b else c", "x.y", "Qty *"):
        with pytest.raises(ConfigError, match="derive"):
            expression_columns(bad)


def test_row_ids_number_customers_and_leave_out_exact_copies(tmp_path):
    rows = ["tenure,left,plan"] + [
        f"{i % 30},{'Yes' if i % 4 == 0 else 'No'},p{i}" for i in range(40)
    ]
    rows += ["5,No,p5"] * 3  # the 6th row exported three more times
    (tmp_path / "c.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    src = {"path": "c.csv", "row_ids": True,
           "columns": {"tenure_months": "tenure", "churned": "left"}}  # fmt: skip
    ds = _run(tmp_path, {"customers": src}, **SNAPSHOT)
    assert len(ds.customers) == 40
    # each id the file's row number (the header is row 1)
    assert sorted(ds.customers["customer_id"].astype(int)) == list(range(2, 42))
    (dup,) = _issues(ds, "duplicate_row")
    assert (dup.count, dup.action, dup.evidence) == (3, "excluded", {"rows": 43})
    # few columns of few values: equal rows may be different customers, so they are kept
    few = ["gender,left,tenure"] + [
        f"{'MF'[i % 2]},{'Yes' if i % 3 == 0 else 'No'},{i % 4}" for i in range(200)
    ]
    (tmp_path / "f.csv").write_text("\n".join(few) + "\n", encoding="utf-8")
    kept = _run(tmp_path, {"customers": {"path": "f.csv", "row_ids": True,
                                         "columns": {"churned": "left", "tenure_months": "tenure"}}},
                **SNAPSHOT)  # fmt: skip
    assert len(kept.customers) == 200 and _issues(kept, "repeated_rows_kept")[0].count == 192
    with pytest.raises(ConfigError, match="do not map a customer_id"):
        _run(tmp_path, {"customers": {**src, "columns": {**src["columns"], "customer_id": "plan"}}},
             **SNAPSHOT)  # fmt: skip


def test_a_description_row_under_the_header_is_skipped(tmp_path):
    text = "id,tenure,left\nunique id,months,1 = left\n1,3,1\n2,5,0\n3,7,0\n"
    (tmp_path / "c.csv").write_text(text, encoding="utf-8")
    src = {"path": "c.csv", "skip_rows": 1,
           "columns": {"customer_id": "id", "tenure_months": "tenure", "churned": "left"}}  # fmt: skip
    ds = _run(tmp_path, {"customers": src}, **SNAPSHOT)
    assert ds.customers["customer_id"].tolist() == ["1", "2", "3"]
    assert ds.quality.tables["customers"].rows_read == 3
    # the same in a workbook
    frame = pd.DataFrame([["unique id", "months", "1 = left"], [1, 3, 1], [2, 5, 0]],
                         columns=["id", "tenure", "left"])  # fmt: skip
    frame.to_excel(tmp_path / "c.xlsx", index=False)
    ds = _run(tmp_path, {"customers": {**src, "path": "c.xlsx"}}, **SNAPSHOT)
    assert ds.customers["customer_id"].tolist() == ["1", "2"]


def test_a_whitespace_file_without_header_takes_names(tmp_path):
    text = "# exported 2024-12-31\nA1   12  yes\nA2    3   no\nA3 40\tno\n"
    (tmp_path / "c.txt").write_text(text, encoding="utf-8")
    src = {"path": "c.txt", "delimiter": "whitespace", "header_row": 1,
           "names": ["id", "tenure", "left"],
           "columns": {"customer_id": "id", "tenure_months": "tenure", "churned": "left"}}  # fmt: skip
    ds = _run(tmp_path, {"customers": src}, **SNAPSHOT)
    assert ds.customers["customer_id"].tolist() == ["A1", "A2", "A3"]
    assert ds.customers["churned"].tolist() == [True, False, False]
    with pytest.raises(InputError, match="names gives 2 columns but the rows have 3 fields"):
        _run(tmp_path, {"customers": {**src, "names": ["id", "tenure"]}}, **SNAPSHOT)


def test_derived_amount_and_left_out_rows_in_a_purchase_log(tmp_path):
    rows = []
    for c in range(12):
        for m in range(1, 13):
            rows.append((f"53{c:02d}{m:02d}", f"K{c}", f"2024-{m:02d}-10", 2, 1.5))
    rows += [(f"C9{i:03d}", "K1", "2024-06-11", -1, 1.5) for i in range(30)]  # cancellations
    rows += [(f"54{i:03d}", "", "2024-07-01", 1, 9.0) for i in range(60)]  # guest checkouts
    pd.DataFrame(rows, columns=["InvoiceNo", "CustomerID", "InvoiceDate", "Quantity", "Unit Price"]
                 ).to_csv(tmp_path / "tx.csv", index=False)  # fmt: skip
    src = {
        "path": "tx.csv",
        "derive": {"amount": "Quantity * `Unit Price`"},
        "leave_out": [
            {"column": "InvoiceNo", "startswith": "C", "reason": "cancellations"},
            {"column": "CustomerID", "missing": True, "reason": "guest checkouts"},
        ],
        "columns": {"customer_id": "CustomerID", "date": "InvoiceDate"},
    }
    ds = _run(tmp_path, {"transactions": src},
              churn={"definition": "inactivity", "inactivity_days": 60})  # fmt: skip
    left = {i.detail.split(" (")[0]: i.count for i in _issues(ds, "left_out")}
    assert left == {"cancellations": 30, "guest checkouts": 60}  # 90 of 234 rows: no stop
    tq = ds.quality.tables["transactions"]
    assert (tq.rows_read, tq.rows_kept) == (234, 144)
    assert ds.tables["transactions"]["amount"].sum() == pytest.approx(144 * 3.0)
    # a typo in a rule's column is one clear error
    src["leave_out"][0]["column"] = "Invoice"
    with pytest.raises(InputError, match=r"names column\(s\) \['Invoice'\]"):
        _run(tmp_path, {"transactions": src}, churn={"definition": "inactivity"})


def test_a_leave_out_rule_takes_one_test():
    from churnreport.config import LeaveOut

    with pytest.raises(ValueError, match="exactly one test"):
        LeaveOut(column="x", startswith="C", below=0, reason="r")
    assert LeaveOut(column="Qty", below=0, reason="returns").describe() == "Qty below 0"
