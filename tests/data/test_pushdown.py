"""A database transactions table is checked and reduced inside the database, with the same
outcome as the same rows in a file (the PostgreSQL run: tests/test_database_sources.py)."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest
import yaml

from churnreport.config import load_config
from churnreport.data import load_dataset
from churnreport.errors import InputError

ROWS = [  # customer_id, date, amount; row numbers are 1-based in table order
    ("C1", "2024-01-05", 10.0),
    (" C1 ", "2024-01-05", 2.5),  # trimmed: the same customer-day
    ("C2", "2024-02-01", None),  # no amount: counted, kept
    ("?", "2024-02-03", 4.0),  # placeholder id: excluded
    ("", "2024-02-04", 4.0),  # blank id: excluded
    ("C3", None, 7.0),  # no date: excluded
    ("C2", "2024-03-01", float("nan")),  # NaN amount: missing, counted
    ("C3", "2024-03-09", 1.25),
]


def _frame(rows=ROWS) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["cust", "day", "amount"])
    frame["day"] = pd.to_datetime(frame["day"])
    frame["amount"] = frame["amount"].astype(float)
    return frame


def _config(tmp_path, source: dict) -> object:
    cfg = {
        "name": "push",
        "period": "quarter",  # as_of at most a period after the latest purchase's
        "as_of": "2024-06-30",
        "churn": {"definition": "inactivity", "inactivity_days": 60},
        "max_excluded_share": 0.5,
        "sources": {"transactions": {**source, "columns": {"customer_id": "cust", "date": "day"}}},
    }
    (tmp_path / "report.yml").write_text(yaml.safe_dump(cfg), encoding="utf-8")
    return load_config(tmp_path / "report.yml")


def _duckdb(tmp_path, frame: pd.DataFrame, sql_type: str = "TIMESTAMP") -> dict:
    path = tmp_path / "crm.duckdb"
    con = duckdb.connect(str(path))
    con.register("frame", frame)
    con.execute(
        f"CREATE TABLE tx AS SELECT cust, CAST(day AS {sql_type}) AS day, amount FROM frame"
    )
    con.close()
    return {"sql": "tx", "connection": "duckdb://crm.duckdb"}


def test_typed_table_is_reduced_in_the_database_as_a_file_would_be(tmp_path):
    from_db = load_dataset(_config(tmp_path, _duckdb(tmp_path, _frame())))
    assert from_db.inputs["transactions"]["reduced_in"] == "database"
    assert from_db.inputs["transactions"]["rows"] == len(ROWS)

    file = _frame().assign(day=lambda f: f["day"].dt.strftime("%Y-%m-%d"))
    file.to_csv(tmp_path / "tx.csv", index=False)
    from_file = load_dataset(_config(tmp_path, {"path": "tx.csv"}))

    days = from_db.tables["transactions"]
    pd.testing.assert_frame_equal(days, from_file.tables["transactions"])
    assert days.loc[days["customer_id"] == "C1", ["purchases", "amount"]].values.tolist() == [
        [2, 12.5]
    ]
    pd.testing.assert_frame_equal(from_db.spells, from_file.spells)

    def issues(ds):
        return {(i.column, i.reason): (i.count, [r for r, _ in i.examples])
                for i in ds.quality.issues if i.reason != "columns_not_used"}  # fmt: skip

    # database rows are numbered 1, 2, ... ; the file's from 2 (its header is row 1)
    assert issues(from_db) == {
        ("amount", "blank_value"): (2, [3, 7]),
        ("customer_id", "missing_required_value"): (2, [4, 5]),
        ("date", "missing_required_value"): (1, [6]),
    }
    assert issues(from_file) == {
        k: (n, [r + 1 for r in rows]) for k, (n, rows) in issues(from_db).items()
    }
    blank = next(i for i in from_db.quality.issues if i.reason == "blank_value")
    assert [v for _, v in blank.examples] == ["", ""]  # NULL and NaN shown as empty cells
    tq = from_db.quality.tables["transactions"]
    assert (tq.rows_read, tq.rows_kept) == (8, 5)


def test_integer_ids_and_date_columns(tmp_path):
    frame = pd.DataFrame(
        {
            "cust": [7, 7, 8],
            "day": pd.to_datetime(["2024-01-01", "2024-01-01", "2024-02-01"]),
            "amount": [1, 2, 3],
        }  # fmt: skip
    )
    ds = load_dataset(_config(tmp_path, _duckdb(tmp_path, frame, "DATE")))
    assert ds.inputs["transactions"]["reduced_in"] == "database"
    assert ds.tables["transactions"]["customer_id"].tolist() == ["7", "8"]
    assert ds.tables["transactions"]["purchases"].tolist() == [2, 1]


def test_an_infinite_amount_stops_with_its_row(tmp_path):
    rows = [*ROWS[:2], ("C9", "2024-05-01", np.inf)]
    with pytest.raises(InputError, match="not numbers") as err:
        load_dataset(_config(tmp_path, _duckdb(tmp_path, _frame(rows))))
    assert err.value.column == "amount" and err.value.rows == [(3, np.inf)]
    assert "crm.duckdb [tx]" in err.value.path


def test_too_many_rows_without_an_id_stop(tmp_path):
    rows = [("?", "2024-01-01", 1.0)] * 5 + ROWS[:2]
    with pytest.raises(InputError, match="max_excluded_share") as err:
        load_dataset(_config(tmp_path, _duckdb(tmp_path, _frame(rows))))
    assert err.value.column == "cust" and err.value.rows[0] == (1, "?")


def test_text_dates_are_read_in_blocks_through_the_contract(tmp_path):
    text, typed = tmp_path / "text", tmp_path / "typed"
    text.mkdir(), typed.mkdir()
    ds = load_dataset(_config(text, _duckdb(text, _frame(), "VARCHAR")))
    assert ds.inputs["transactions"]["reduced_in"] == "engine"
    typed = load_dataset(_config(typed, _duckdb(typed, _frame())))
    pd.testing.assert_frame_equal(ds.tables["transactions"], typed.tables["transactions"])


def test_a_missing_mapped_column_names_the_database_columns(tmp_path):
    source = {**_duckdb(tmp_path, _frame()), "sql": "SELECT cust, amount FROM tx"}
    with pytest.raises(InputError, match=r"mapped column\(s\) not found: \['day'\]") as err:
        load_dataset(_config(tmp_path, source))
    assert "['cust', 'amount']" in err.value.hint
