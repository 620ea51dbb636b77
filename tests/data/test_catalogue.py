"""The bad-input catalogue (docs/DATA.md): one case per row, each with its decided outcome.

Every case writes a small export with one problem and loads it. The outcome is either ``stop``
(an InputError or ConfigError naming the file, the column and example rows; the CLI exits 2 and
writes nothing), ``note`` (the data-quality record counts what was repaired or excluded and the
report goes on) or ``ok`` (read as intended, nothing to report). docs/DATA.md is generated from
this list (``python -m tests.data.test_catalogue``) and a test keeps the two in step.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

import churnreport.data.load as load_module
from churnreport.config import load_config
from churnreport.data import load_dataset
from churnreport.data.sources import BLOCK_ROWS
from churnreport.errors import ConfigError, InputError

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "DATA.md"
AS_OF = "2024-12-31"


def base_customers(n: int = 60) -> pd.DataFrame:
    """A clean customers export: every third customer left 200 days after joining."""
    rows = []
    for i in range(n):
        start = dt.date(2023, 1, 1) + dt.timedelta(days=7 * i)
        end = start + dt.timedelta(days=200) if i % 3 == 0 else None
        rows.append(
            {
                "customer_id": f"C{i:03d}",
                "start_date": start.isoformat(),
                "end_date": end.isoformat() if end and end <= dt.date(2024, 12, 31) else "",
                "plan": ["basic", "premium"][i % 2],
                "monthly_revenue": f"{99 + i % 5}.5",
                "churn_reason": "price too high" if i % 3 == 0 else "",
            }
        )
    return pd.DataFrame(rows)


def base_transactions(ids: Callable[[int], str] = lambda i: f"C{i:03d}") -> pd.DataFrame:
    """Two purchases per base customer: one in 2023 and one in December 2024."""
    rows = []
    for i in range(60):
        first = dt.date(2023, 1, 5) + dt.timedelta(days=7 * i)
        for day in (first, dt.date(2024, 12, 1 + i % 28)):
            rows.append({"customer_id": ids(i), "date": day.isoformat(), "amount": f"{10 + i}"})
    return pd.DataFrame(rows)


def _drop_rows(frame: pd.DataFrame, rows) -> pd.DataFrame:
    return frame.drop(index=rows).reset_index(drop=True)


def write_tz_parquet(tmp: Path) -> dict:
    """customers.parquet (Europe/Berlin timestamps) and transactions.parquet (UTC timestamps)."""
    c = base_customers()
    berlin = "Europe/Berlin"
    # 23:30 UTC on Dec 31 is 00:30 on Jan 1 in Berlin: the Berlin calendar day counts
    start = pd.to_datetime(c["start_date"]) - pd.Timedelta(minutes=30)
    c["start_date"] = start.dt.tz_localize("UTC").dt.tz_convert(berlin)
    end = pd.to_datetime(c["end_date"].replace("", None))
    c["end_date"] = end.dt.tz_localize(berlin)
    c.to_parquet(tmp / "customers_tz.parquet", index=False)
    tx = base_transactions()
    tx["date"] = pd.to_datetime(tx["date"]).dt.tz_localize("UTC") + pd.Timedelta(hours=23)
    tx["amount"] = tx["amount"].astype(float)
    tx.to_parquet(tmp / "transactions.parquet", index=False)
    return {
        "customers": {"path": "customers_tz.parquet"},
        "transactions": {"path": "transactions.parquet"},
    }


def _tz_expected(ds) -> bool:
    c = ds.customers.set_index("customer_id")
    tx = ds.tables["transactions"]
    return (
        c.loc["C000", "start_date"] == pd.Timestamp("2023-01-01")  # Berlin's day, not UTC's
        and c["end_date"].notna().sum() > 0
        and tx["date"].min() == pd.Timestamp("2023-01-05")  # UTC's day
        and ds.quality.tables["transactions"].rows_kept == 120
    )


def _masked_rows(result) -> bool:
    assert isinstance(result, InputError), result
    assert result.rows and all(v == "(masked)" for _, v in result.rows), result.rows
    assert [r for r, _ in result.rows] == [6], result.rows  # row numbers kept
    assert "2024-13-45" not in str(result)
    return True


def _matched_by_number(ds) -> bool:
    issues = {(i.table, i.reason): i for i in ds.quality.issues}
    by_number = issues["transactions", "id_matched_by_number"]
    return (
        by_number.count == 120
        and by_number.examples[0] == (2, "1 -> 000001")
        and ("customers", "no_activity") not in issues
        and set(ds.tables["transactions"]["customer_id"]) == set(ds.customers["customer_id"])
    )


@dataclass(frozen=True)
class Case:
    """One row of the catalogue."""

    id: str
    problem: str
    outcome: str  # stop | note | ok
    behaviour: str
    customers: Callable[[pd.DataFrame], pd.DataFrame | str | bytes] = lambda c: c
    config: dict = field(default_factory=dict)
    expect: Callable[[object], None] = lambda r: None
    suffix: str = ".csv"
    encoding: str = "utf-8"
    extra: dict = field(default_factory=dict)  # other tables: name -> DataFrame
    write: Callable[[Path], dict] | None = None  # writes other files, returns their sources
    in_blocks: bool = False  # transactions must be read in several blocks, never whole


def _write(case: Case, tmp: Path) -> Path:
    data = case.customers(base_customers())
    path = tmp / f"customers{case.suffix}"
    if isinstance(data, bytes):
        path.write_bytes(data)
    elif isinstance(data, str):
        path.write_text(data, encoding=case.encoding)
    elif case.suffix == ".xlsx":
        data.to_excel(path, index=False)
    elif case.suffix == ".parquet":
        data.to_parquet(path, index=False)
    else:
        path.write_bytes(data.to_csv(index=False).encode(case.encoding))
    cfg = {"name": "cat", "as_of": AS_OF, "sources": {"customers": {"path": path.name}}}
    for table, frame in case.extra.items():
        frame.to_csv(tmp / f"{table}.csv", index=False)
        cfg["sources"][table] = {"path": f"{table}.csv"}
    if case.write is not None:
        cfg["sources"].update(case.write(tmp))

    for key, value in case.config.items():
        if key.startswith("customers."):
            cfg["sources"]["customers"][key.split(".", 1)[1]] = value
        else:
            cfg[key] = value
    (tmp / "report.yml").write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")
    return tmp / "report.yml"


def _stop(pattern: str, column: str | None = None, rows: bool = False):
    def check(result):
        assert isinstance(result, InputError | ConfigError), result
        assert pd.Series([str(result)]).str.contains(pattern, regex=True).iloc[0], str(result)
        if isinstance(result, InputError):
            name = Path(result.path).name
            assert name.startswith(("customers", "transactions", "staff", "nowhere")), name
            if column is not None:
                assert result.column == column, result.column
            if rows:
                assert result.rows, "example rows expected"

    return check


def _note(reason: str, count: int, table: str = "customers", customers: int | None = None):
    def check(result):
        assert not isinstance(result, Exception), result
        issues = {(i.table, i.reason): i.count for i in result.quality.issues}
        assert issues.get((table, reason)) == count, issues
        if customers is not None:
            assert len(result.customers) == customers

    return check


def _ok(check: Callable[[object], bool]):
    def run(result):
        assert not isinstance(result, Exception), result
        assert check(result)

    return run


LARGE_ROWS = 2_500_000  # about 230 MB of line items, 5 blocks


def write_large_transactions(tmp: Path) -> dict:
    """A line-item export of LARGE_ROWS rows (~95 bytes each) for the 60 base customers;
    every 500,000th row has no customer id. Returns its source entry."""
    rng = np.random.default_rng(0)
    ids = np.array([f"C{i:03d}" for i in range(60)])
    days = pd.date_range("2023-01-01", "2024-12-30").strftime("%Y-%m-%d").to_numpy()
    path = tmp / "transactions.csv"
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write("transaction_id,customer_id,date,amount,product,channel,note\n")
        for start in range(0, LARGE_ROWS, 500_000):
            n = min(500_000, LARGE_ROWS - start)
            cents = rng.integers(100, 100_000, n)
            cust = ids[rng.integers(0, 60, n)]
            cust[::500_000] = ""
            pd.DataFrame(
                {
                    "transaction_id": np.char.add("T", np.arange(start, start + n).astype(str)),
                    "customer_id": cust,
                    "date": days[rng.integers(0, len(days), n)],
                    "amount": cents / 100,
                    "product": np.array(["add-on", "premium bundle", "support"])[
                        rng.integers(0, 3, n)
                    ],
                    "channel": np.array(["web shop", "partner", "sales"])[rng.integers(0, 3, n)],
                    "note": "standard delivery, invoice sent by e-mail",
                }
            ).to_csv(f, header=False, index=False, lineterminator="\n")
    assert path.stat().st_size > 200e6
    return {"transactions": {"path": path.name}}


def _large_expected(ds) -> bool:
    """Every row with an id counted once; excluded rows counted with their row numbers."""
    tx = ds.tables["transactions"]
    excluded = {(i.column, i.reason): i for i in ds.quality.issues if i.table == "transactions"}
    missing = excluded["customer_id", "missing_required_value"]
    return (
        int(tx["purchases"].sum()) == LARGE_ROWS - 5
        and missing.count == 5
        and [r for r, _ in missing.examples] == [2 + k * 500_000 for k in range(5)]
        and len(tx) == len(tx[["customer_id", "date"]].drop_duplicates())
        and ds.quality.tables["transactions"].rows_kept == LARGE_ROWS - 5
    )


def _set(col, index, value):

    def f(c):
        c = c.copy()
        c.loc[index, col] = value
        return c

    return f


def _csv(c: pd.DataFrame) -> str:
    return c.to_csv(index=False)


CASES = [
    Case("missing-column", "a mapped column is not in the file", "stop",
         "names the missing column and lists the file's columns",
         config={"customers.columns": {"start_date": "Start"}},
         expect=_stop("mapped column\\(s\\) not found", "Start")),
    Case("renamed-column", "a required column has another name and is not mapped", "stop",
         "says which canonical column is not mapped and lists the file's columns",
         customers=lambda c: c.rename(columns={"start_date": "StartDate"}),
         expect=_stop("required column\\(s\\) \\['start_date'\\]", "start_date")),
    Case("unknown-canonical", "the config maps a canonical column that does not exist", "stop",
         "lists the canonical columns", config={"customers.columns": {"signup": "start_date"}},
         expect=_stop("unknown canonical column")),
    Case("unparsable-date", "a date that is not a date (2024-13-45)", "stop",
         "names the column and the rows", customers=_set("start_date", 4, "2024-13-45"),
         expect=_stop("not dates in format ISO8601", "start_date", rows=True)),
    Case("non-iso-date", "day-first dates (05/01/2024) without date_format", "stop",
         "ambiguous with month-first: asks for sources.<table>.date_format",
         customers=_set("start_date", slice(None), "05/01/2023"),
         expect=_stop("date_format", "start_date", rows=True)),
    Case("date-format", "day-first dates with date_format '%d/%m/%Y'", "ok",
         "read as configured", customers=lambda c: c.assign(start_date="05/01/2023", end_date=""),
         config={"customers.date_format": "%d/%m/%Y"},
         expect=_ok(lambda ds: (ds.customers["start_date"] == "2023-01-05").all())),
    Case("mixed-date-formats", "ISO and day-first dates in one column", "stop",
         "never guesses per row", customers=_set("start_date", 7, "05/01/2023"),
         expect=_stop("not dates", "start_date", rows=True)),
    Case("datetime-values", "dates with a time of day (2023-01-05 13:45:00)", "ok",
         "the date part is used", customers=_set("start_date", 0, "2023-01-01 13:45:00"),
         expect=_ok(lambda ds: ds.customers["start_date"].min() == pd.Timestamp("2023-01-01"))),
    Case("timezone-dates", "dates with time-zone offsets, some without", "ok",
         "the date as written (wall clock) is used",
         customers=_set("start_date", [0, 1], ["2023-01-01T23:30:00+08:00", "2023-01-08T01:00Z"]),
         expect=_ok(lambda ds: ds.customers["start_date"].min() == pd.Timestamp("2023-01-01"))),
    Case("excel-serial-date", "an Excel serial number (44927) in a CSV date column", "stop",
         "a number is not a date without a base; named with the rows",
         customers=_set("start_date", 3, "44927"),
         expect=_stop("not dates", "start_date", rows=True)),
    Case("future-start", "a customer starting after the report date", "note",
         "counted and left out of this report",
         customers=_set("start_date", 1, "2025-03-01"),
         expect=_note("starts_after_as_of", 1, table="spells")),
    Case("future-end", "an end date after the report date", "note",
         "the customer is active on the report date (end reopened), counted",
         customers=_set("end_date", 1, "2025-06-30"),
         expect=_note("ends_after_as_of", 1, table="spells")),
    Case("end-before-start", "end date before start date", "stop", "names both dates and rows",
         customers=_set("end_date", 3, "2022-01-01"),
         expect=_stop("before", "end_date", rows=True)),
    Case("duplicate-id", "the same customer id twice", "stop",
         "one row per customer; points to a subscriptions source for several rows",
         customers=lambda c: pd.concat([c, c.iloc[[5]]]),
         expect=_stop("appear more than once", "customer_id", rows=True)),
    Case("duplicated-row", "an identical row repeated (export glitch)", "stop",
         "same as a duplicate id: the export is wrong, not the customer",
         customers=lambda c: pd.concat([c, c.iloc[[0, 0]]]),
         expect=_stop("appear more than once", "customer_id")),
    Case("id-whitespace", "ids that differ only by spaces (' C005' and 'C005')", "stop",
         "ids are trimmed, so they are the same customer twice",
         customers=lambda c: pd.concat([c, c.iloc[[5]].assign(customer_id=" C005 ")]),
         expect=_stop("appear more than once", "customer_id")),
    Case("id-case", "ids that differ only in case ('c005' and 'C005')", "ok",
         "ids are case-sensitive (as in most CRMs): two customers",
         customers=lambda c: pd.concat([c, c.iloc[[5]].assign(customer_id="c005")]),
         expect=_ok(lambda ds: len(ds.customers) == 61)),
    Case("numeric-ids", "numeric ids with leading zeros (00123)", "ok",
         "ids are text: leading zeros kept",
         customers=_set("customer_id", 2, "00123"),
         expect=_ok(lambda ds: "00123" in set(ds.customers["customer_id"]))),
    Case("non-numeric-amount", "text in a number column (monthly_revenue 'n/a price')", "stop",
         "names the column and rows", customers=_set("monthly_revenue", 2, "about 100"),
         config={"customers.columns": {"monthly_revenue": "monthly_revenue"}},
         expect=_stop("not numbers", "monthly_revenue", rows=True)),
    Case("thousands-separator", "amounts with thousands separators (1,234.50)", "stop",
         "',' is ambiguous (decimal comma); asks for plain numbers",
         customers=_set("monthly_revenue", 2, "1,234.50"),
         config={"customers.columns": {"monthly_revenue": "monthly_revenue"}},
         expect=_stop("not numbers", "monthly_revenue", rows=True)),
    Case("infinite-number", "'inf' or an overflowing number (1e309) in a number column", "stop",
         "not a usable amount: names the column and rows",
         customers=_set("monthly_revenue", [2, 3], ["inf", "1e309"]),
         config={"customers.columns": {"monthly_revenue": "monthly_revenue"}},
         expect=_stop("not numbers", "monthly_revenue", rows=True)),
    Case("currency-symbol", "amounts with a currency sign (¥99)", "stop",
         "names the column and rows", customers=_set("monthly_revenue", 2, "¥99"),
         config={"customers.columns": {"monthly_revenue": "monthly_revenue"}},
         expect=_stop("not numbers", "monthly_revenue", rows=True)),
    Case("negative-amount", "a negative transaction amount (refund) on a day without a "
         "purchase", "note", "no purchase: left out of activity and spend, counted (on a day "
         "with purchases: netted into its spend)", config={"churn": {"definition": "inactivity"}},
         extra={"transactions": _set("amount", 1, "-10")(base_transactions())},
         expect=_note("return_only_day", 1, table="transactions")),
    Case("question-mark", "'?' placeholders in a column", "note",
         "read as missing and counted", customers=_set("plan", [1, 2, 3], "?"),
         expect=_note("missing_token", 3)),
    Case("na-tokens", "N/A, NULL, #N/A placeholders", "note", "read as missing and counted",
         customers=_set("plan", [1, 2, 3], ["N/A", "NULL", "#N/A"]),
         expect=_note("missing_token", 3)),
    Case("blank-optional", "blank cells in an optional column", "note",
         "kept as missing and counted", customers=_set("plan", [4, 5], ""),
         expect=_note("blank_value", 2)),
    Case("blank-required", "blank start date (required)", "note",
         "the row is excluded and counted", customers=_set("start_date", [4, 5], ""),
         expect=_note("missing_required_value", 2, customers=58)),
    Case("too-many-excluded", "more than max_excluded_share of rows unusable", "stop",
         "stops rather than report on a fraction of the data",
         customers=_set("start_date", slice(0, 20), ""),
         expect=_stop("lack a required value", "start_date", rows=True)),
    Case("bom", "UTF-8 with a byte-order mark", "ok", "read; the BOM never reaches a column name",
         encoding="utf-8-sig", expect=_ok(lambda ds: "customer_id" in ds.customers.columns)),
    Case("gbk", "GBK / GB18030 encoded file with Chinese text", "ok", "encoding detected",
         customers=_set("churn_reason", [0, 3], "价格太高"), encoding="gb18030",
         expect=_ok(lambda ds: (ds.customers["churn_reason"] == "价格太高").sum() == 2)),
    Case("mixed-encoding", "UTF-8 and GBK rows in one file", "stop",
         "undecodable as one encoding: says so instead of garbling names",
         customers=lambda c: _csv(_set("churn_reason", 0, "价格太高")(c)).encode("utf-8")
         + "C999,2023-01-01,,基本,99,价格太高\n".encode("gbk"),
         expect=_stop("decode|encoding")),
    Case("header-row-2", "a title line above the header, header_row: 1", "ok",
         "rows above the header skipped", customers=lambda c: "Customer export\n" + _csv(c),
         config={"customers.header_row": 1}, expect=_ok(lambda ds: len(ds.customers) == 60)),
    Case("header-row-2-unset", "a title line above the header, header_row not set", "stop",
         "the required columns are not found; the hint lists what was read as header",
         customers=lambda c: "Customer export\n" + _csv(c),
         expect=_stop("not mapped|not found")),
    Case("junk-footer", "a 'Total' line at the end of the export", "note",
         "no start date: excluded and counted",
         customers=lambda c: _csv(c) + "Total,,,,,\n",
         expect=_note("missing_required_value", 1, customers=60)),
    Case("empty-file", "a 0-byte file", "stop", "'the file is empty'",
         customers=lambda c: b"", expect=_stop("the file is empty")),
    Case("header-only", "a header and no data rows", "stop", "'has a header but no data rows'",
         customers=lambda c: "customer_id,start_date\n", expect=_stop("no data rows")),
    Case("file-not-found", "the configured file does not exist", "stop", "'file not found'",
         config={"customers.path": "nowhere.csv"}, expect=_stop("file not found")),
    Case("unknown-type", "an unsupported file type (.json)", "stop", "lists the supported types",
         suffix=".json", expect=_stop("unknown file type")),
    Case("txt-as-csv", "a comma-separated export named .txt", "ok", "read as CSV (.tsv: tabs)",
         suffix=".txt", expect=_ok(lambda ds: len(ds.customers) == 60)),
    Case("missing-sheet", "an XLSX sheet name that does not exist", "stop",
         "names the sheet and lists the sheets", suffix=".xlsx",
         config={"customers.sheet": "Customers 2024"}, expect=_stop("Customers 2024")),
    Case("duplicate-header", "two columns with the same name", "stop", "names the column",
         customers=lambda c: _csv(c).replace("plan,", "region,", 1).replace(
             "monthly_revenue", "region", 1), expect=_stop("duplicate column names")),
    Case("empty-unnamed-column", "an empty unnamed column (trailing comma)", "note",
         "ignored and counted", customers=lambda c: _csv(c).replace("\n", ",\n"),
         expect=_note("empty_column_dropped", 1)),
    Case("excel-booleans", "TRUE/FALSE booleans from Excel", "ok",
         "yes/no read (also 是/否, 1/0, yes/no)", suffix=".xlsx",
         customers=lambda c: c.assign(churned=c["end_date"] != ""),
         expect=_ok(lambda ds: ds.customers["churned"].sum() > 0)),
    Case("unmapped-flag-value", "a churn flag that is neither yes nor no ('Maybe')", "stop",
         "names the rows; values: maps such labels",
         customers=lambda c: c.assign(churned=["Maybe"] + ["No"] * (len(c) - 1)),
         expect=_stop("neither yes nor no", "churned", rows=True)),
    Case("value-mapping", "a churn flag with custom labels ('Left'/'Stayed') and a mapping", "ok",
         "mapped by sources.<table>.values",
         customers=lambda c: c.assign(churned=["Left" if e else "Stayed" for e in c["end_date"]]),
         config={"customers.values": {"churned": {"Left": True, "Stayed": False}}},
         expect=_ok(lambda ds: "churned" in ds.customers)),
    Case("html-in-text", "HTML / JavaScript in a reason or name", "ok",
         "kept as text; every HTML output escapes it (tests/test_security.py)",
         customers=_set("churn_reason", 0, '<script>alert("x")</script>'),
         expect=_ok(lambda ds: '<script>alert("x")</script>' in set(ds.customers["churn_reason"]))),
    Case("formula-text", "Excel-formula-like text (=HYPERLINK(...))", "ok",
         "kept as text; neutralised in at_risk.csv/.xlsx (tests/report/test_shared_files.py)",
         customers=_set("plan", 0, "=HYPERLINK(\"http://x\")"),
         expect=_ok(lambda ds: ds.customers["plan"].str.startswith("=").sum() == 1)),
    Case("whitespace", "values with leading or trailing spaces", "ok", "trimmed",
         customers=_set("plan", 0, "  basic  "),
         expect=_ok(lambda ds: " basic" not in set(ds.customers["plan"].dropna()))),
    Case("orphan-transactions", "transactions of ids missing from customers", "note",
         "kept with empty attributes and counted", config={"churn": {"definition": "inactivity"}},
         extra={"transactions": _set("customer_id", 2, "X1")(base_transactions())},
         expect=_note("activity_without_customer_row", 1)),
    Case("no-activity", "customers without any purchase (inactivity definition)", "note",
         "never active: excluded and counted", config={"churn": {"definition": "inactivity"}},
         extra={"transactions": _drop_rows(base_transactions(), range(6))},
         expect=_note("no_activity", 3)),
    Case("bad-staff-date", "an unparsable account-manager leaving date", "stop",
         "names the staff file, column and rows",
         extra={"staff": pd.DataFrame({"account_manager": ["A"], "left_date": ["soon"]})},
         expect=_stop("not dates", "left_date", rows=True)),
    Case("negative-tenure", "a negative tenure in a snapshot export", "stop", "names the rows",
         customers=lambda c: pd.DataFrame(
             {"customer_id": ["A", "B", "C"], "tenure_months": ["3", "-2", "5"],
              "churned": ["yes", "no", "no"]}),
         config={"churn": {"definition": "snapshot"}},
         expect=_stop("negative", "tenure_months", rows=True)),
    Case("large-file", "a transactions file far larger than the rest (generated: 2.5 million "
         "line items, 230 MB, 5 rows without an id)", "note",
         "read, checked and reduced to purchases per customer and day in blocks of 500,000 rows, "
         "never whole (only mapped columns parsed); exclusions counted across blocks",
         write=write_large_transactions, in_blocks=True, expect=_ok(_large_expected)),
    Case("ids-leading-zeros", "customer ids 000058 in customers, 58 in transactions", "note",
         "matched by number, only where one-to-one (the number is one customer and written one "
         "way in the table); counted with examples (58 -> 000058); never by any other rule",
         customers=lambda c: c.assign(customer_id=[f"{i + 1:06d}" for i in range(len(c))]),
         config={"churn": {"definition": "inactivity"}},
         extra={"transactions": base_transactions(lambda i: str(i + 1))},
         expect=_ok(_matched_by_number)),
    Case("ids-decimal", "ids written as decimals by a spreadsheet (17.0 for 17)", "note",
         "read as whole numbers when every id of the column is one; counted",
         customers=lambda c: c.assign(customer_id=[str(i + 1) for i in range(len(c))]),
         config={"churn": {"definition": "inactivity"}},
         extra={"transactions": base_transactions(lambda i: f"{i + 1}.0")},
         expect=_note("id_written_as_decimal", 120, table="transactions", customers=60)),
    Case("ids-not-matching", "transactions whose ids are written differently (K000 for C000)",
         "stop", "fewer than half the rows match a customer: names the file, the column, "
         "example ids and how the customers' ids look",
         extra={"transactions": base_transactions(lambda i: f"K{i:03d}")},
         expect=_stop("only 0 of 120 rows", "customer_id", rows=True)),
    Case("unknown-customer", "tickets of customers missing from customers", "note",
         "excluded (they cannot be related to a customer); counted with their share of the "
         "table; max_excluded_share applies",
         write=lambda tmp: _write_tickets(tmp, unknown=2),
         expect=_note("unknown_customer", 2, table="tickets")),
    Case("duplicated-departure", "a staff departure row repeated exactly (export glitch)",
         "note", "the copy is left out and counted (subscriptions alike): nothing doubles",
         write=lambda tmp: _write_staff_twice(tmp),
         expect=_note("duplicate_row", 1, table="staff")),
    Case("unknown-customer-share", "a quarter of the transactions of unknown customers", "stop",
         "more than max_excluded_share of the table excluded: stops, naming the ids",
         extra={"transactions": _set("customer_id", slice(0, 29), "X1")(base_transactions())},
         expect=_stop("30 unknown customer", "customer_id", rows=True)),
    Case("customers-without-activity", "most customers without any purchase (inactivity)",
         "stop", "more than max_excluded_share of the customers excluded: stops, naming them",
         config={"churn": {"definition": "inactivity"}},
         extra={"transactions": _drop_rows(base_transactions(), range(60))},
         expect=_stop("30 of 60 customers have no purchase", "customer_id", rows=True)),
    Case("timezone-parquet", "time-zone-aware Parquet timestamps (Europe/Berlin customers, UTC "
         "transactions)", "ok", "the calendar day in the stored zone is used (its wall clock, "
         "as for text with an offset), whole file and block by block",
         write=write_tz_parquet,
         expect=_ok(_tz_expected)),
    Case("missing-segment", "segments names a column the customers table lacks", "stop",
         "lists the customers table's columns (same for drivers.include)",
         config={"segments": ["plan", "tier"]}, expect=_stop("segments: column\\(s\\) \\['tier'\\]")),
    Case("age-band-without-age", "segments names age_band and there is no age column", "stop",
         "age_band is derived from age: named as missing, with the table's columns",
         config={"segments": ["age_band"]}, expect=_stop("age_band \\(derived from an age")),
    Case("missing-driver", "drivers.include names a column the customers table lacks", "stop",
         "lists the customers table's columns",
         config={"drivers": {"include": ["plan", "nps"]}},
         expect=_stop("drivers.include: column\\(s\\) \\['nps'\\].*'plan'")),
    Case("open-end-9999", "9999-12-31 (or 9999-12-31 00:00:00) as an open end date", "note",
         "read as open (no end: active), counted; any date past 2262 is such a marker, "
         "2099-12-31 is a real date after the report date (end reopened)",
         customers=_set("end_date", [0, 3], ["9999-12-31", "9999-12-31 00:00:00"]),
         expect=_note("far_future_date", 2, customers=60)),
    Case("placeholder-start", "placeholder start dates (1900-01-01, Excel's 1899-12-30, "
         "1970-01-01)", "note", "read as missing: the rows are excluded (a start is needed) and "
         "counted with examples; an end date that is a placeholder is open",
         customers=_set("start_date", [1, 2, 4], ["1900-01-01", "1899-12-30", "1970-01-01"]),
         expect=_note("placeholder_date", 3, customers=57)),
    Case("non-positive-revenue", "zero or negative monthly revenue", "note",
         "kept as given (a free or credited account), counted with examples",
         customers=_set("monthly_revenue", [1, 2], ["0", "-5"]),
         expect=_note("non_positive_revenue", 2, customers=60)),
    Case("as-of-future", "as_of after today (2099-01-31)", "stop",
         "names as_of and today", config={"as_of": "2099-01-31"},
         expect=_stop("after today")),
    Case("as-of-beyond-data", "as_of more than one period after the latest purchase "
         "(inactivity)", "stop", "names the latest purchase date and the latest usable as_of; "
         "contract data has no such limit (a quiet book is complete)",
         config={"churn": {"definition": "inactivity"}, "as_of": "2025-06-30"},
         extra={"transactions": base_transactions()},
         expect=_stop("latest purchase in the data \\(2024-12-28")),
    Case("pii-mask-errors", "an error's example rows with pii: mask", "stop",
         "values shown as (masked), row numbers kept", config={"pii": "mask"},
         customers=_set("start_date", 4, "2024-13-45"), expect=_masked_rows),
]  # fmt: skip


def _write_staff_twice(tmp: Path) -> dict:
    rows = [("AM1", "2024-06-30"), ("AM2", "2024-03-31"), ("AM1", "2024-06-30")]
    pd.DataFrame(rows, columns=["account_manager", "left_date"]).to_csv(
        tmp / "staff.csv", index=False
    )
    return {"staff": {"path": "staff.csv"}}


def _write_tickets(tmp: Path, unknown: int) -> dict:
    ids = [f"C{i:03d}" for i in range(20)]
    ids[:unknown] = [f"X{i}" for i in range(unknown)]
    pd.DataFrame({"customer_id": ids, "opened_at": "2024-03-01", "category": "billing"}).to_csv(
        tmp / "tickets.csv", index=False
    )
    return {"tickets": {"path": "tickets.csv"}}


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_catalogue_case(case, tmp_path, monkeypatch):
    cfg_path = _write(case, tmp_path)
    blocks = []
    real = load_module.conform

    def spy(raw, table, *args, **kwargs):
        blocks.append((table, len(raw.frame)))
        return real(raw, table, *args, **kwargs)

    monkeypatch.setattr(load_module, "conform", spy)
    try:
        result = load_dataset(load_config(cfg_path))
    except (InputError, ConfigError) as exc:
        result = exc
    if case.outcome == "stop":
        assert isinstance(result, InputError | ConfigError), f"{case.id}: expected a stop"
    case.expect(result)
    if case.in_blocks:
        sizes = [n for table, n in blocks if table == "transactions"]
        assert len(sizes) > 1 and max(sizes) <= BLOCK_ROWS, sizes


def test_pii_mask_hides_the_data_quality_examples_too(tmp_path):
    case = Case("mask", "", "note", "", customers=_set("plan", [1, 2], "?"), config={"pii": "mask"})
    ds = load_dataset(load_config(_write(case, tmp_path)))
    (issue,) = [i for i in ds.quality.issues if i.reason == "missing_token"]
    assert issue.examples == [(3, "(masked)"), (4, "(masked)")]


#: Runs stopped, killed or given a secret: (id, problem, outcome, behaviour, test that proves it).
RUN_ROWS = [
    ("killed-run", "the run is killed (SIGKILL) while notebooks execute", "ok",
     "workers and kernels die with it; the next run takes the lock at once and removes leftovers",
     "tests/test_scheduling.py::test_the_run_after_a_sigkill_succeeds"),
    ("terminated-run", "the run gets SIGTERM (a scheduler's stop) or Ctrl-C", "stop",
     "workers and kernels stopped, staging removed, one ERROR line, exit 143 (Ctrl-C: 130)",
     "tests/test_scheduling.py::test_a_killed_run_leaves_no_process_and_no_lock"),
    ("stale-lock", "the lock file is still held by a stray process of a dead run", "ok",
     "the record names a process that is gone: the lock is replaced and the run goes on",
     "tests/test_scheduling.py::test_a_lock_whose_holder_is_gone_does_not_block"),
    ("secret-in-url", "a password in the connection URL (user part, ?password=, sslpassword, "
     "a nested connection string)", "stop",
     "refused before anything is read; the secret is in no message, log line or file",
     "tests/test_database_sources.py::"
     "test_every_form_of_password_in_the_url_is_refused_and_never_echoed"),
    ("disk-full", "the disk fills up while the report is written", "stop",
     "nothing published; one ERROR line naming the file, exit 5 (an unexpected error: exit 6)",
     "tests/test_scheduling.py::test_a_full_disk_is_one_error_line_and_exit_5"),
]  # fmt: skip


def test_catalogue_has_enough_rows_and_the_doc_is_current():
    assert len(CASES) >= 40
    assert len({c.id for c in CASES}) == len(CASES)
    assert DOC.read_text(encoding="utf-8") == render_doc()


def test_every_run_row_names_a_test_that_exists():
    for *_, where in RUN_ROWS:
        path, name = where.split("::")
        assert f"def {name}(" in (ROOT / path).read_text(encoding="utf-8"), where


def render_doc() -> str:
    """docs/DATA.md from :data:`CASES`."""
    lines = [
        "# Bad input: what churnreport does with it",
        "",
        "Generated from tests/data/test_catalogue.py (`python -m tests.data.test_catalogue`);",
        "every row is a test. **stop**: one error naming the file, the column and example rows,",
        "exit code 2, nothing written. **note**: repaired or excluded, counted in the report's",
        "data-quality appendix and data_quality.json, the report goes on. **ok**: read as intended.",
        "",
        "| # | case | input | outcome | what happens |",
        "|---|---|---|---|---|",
    ]
    for i, c in enumerate(CASES, start=1):
        cells = [str(i), f"`{c.id}`", c.problem, f"**{c.outcome}**", c.behaviour]
        lines.append(_row(cells))
    from tests.test_edge_data import EDGE_ROWS

    lines += [
        "",
        "## Edge data that still makes a report",
        "",
        "Legitimate data at the edges: every notebook runs (tests/test_edge_data.py, en and zh);",
        "where a section cannot say anything, it says why in a sentence of its own.",
        "",
        "| # | case | input | outcome | what happens |",
        "|---|---|---|---|---|",
    ]
    n = len(CASES)
    for i, (case_id, problem, outcome, behaviour) in enumerate(EDGE_ROWS, start=n + 1):
        lines.append(_row([str(i), f"`{case_id}`", problem, f"**{outcome}**", behaviour]))
    lines += [
        "",
        "## Runs that are stopped, killed or given a secret",
        "",
        "| # | case | input | outcome | what happens | test |",
        "|---|---|---|---|---|---|",
    ]
    n += len(EDGE_ROWS)
    for i, (case_id, problem, outcome, behaviour, test) in enumerate(RUN_ROWS, start=n + 1):
        cells = [str(i), f"`{case_id}`", problem, f"**{outcome}**", behaviour, f"`{test}`"]
        lines.append(_row(cells))
    return "\n".join(lines + DECISIONS) + "\n"


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(x.replace("|", "\\|") for x in cells) + " |"


#: Why the harder rows decide as they do (rendered below the table).
DECISIONS = """
## Shapes the config describes

Exports that are not one clean table per file are described in the source's config, never
fixed by hand (tests/data/test_shape.py; `churn-report init` writes these options itself):

| option | for | what happens |
|---|---|---|
| `row_ids: true` | a customers file without a customer id | each row is a customer, its id the row's number in the file; rows repeated exactly are left out and counted (`duplicate_row`, a data check from 1% of the rows) |
| `skip_rows: 1` | a description or units row under the header | skipped; row numbers in messages stay the file's |
| `names: [...]` | a file without a header row | the columns in file order (`header_row` counts rows above the first data row); a count that does not match the fields stops |
| `delimiter: ";"` or `whitespace` | other separators; columns aligned with spaces | read as given |
| `derive: {amount: "Quantity * UnitPrice"}` | an amount that is quantity x unit price | arithmetic only (names, numbers, `+ - * /`, brackets; a name with spaces in backticks), parsed, never evaluated as code; text in an input column stops with its rows |
| `leave_out: [{column: InvoiceNo, startswith: C, reason: cancellations}]` | cancellations, guest checkouts (`missing: true`), test accounts (`equals`), returns (`below: 0`) | left out and counted with the reason in the data-quality section; deliberate, so not held to `max_excluded_share` |
| `values: {PaymentMode: {CC: Credit Card}}` | one thing written two ways in a column | merged before any analysis (the data checks name such pairs) |

## Decisions behind some rows

**Ids across tables** (`ids-*`, `unknown-customer*`; data/keys.py). Ids are text in every
table, so `58`, `000058` and `C58` are three ids; a column whose ids are all whole numbers
written as decimals (`17.0`, what a spreadsheet or pandas writes for a numeric column with
blanks) is read as `17`, counted. Ids of digits that differ only by leading zeros are matched
by their number, because that is what an export dropping (or adding) the zeros does, and the
alternative, stopping, would make the user rewrite a file whose meaning is not in doubt. It is
done only where it is one-to-one: the number is exactly one customer in the customers table
(not both `58` and `058` there) and the table itself writes that number one way only (not
both `58` and `000058`); every such id is counted in the data-quality record with examples
(`row 2: 1 -> 000001`). Anything else (another prefix, case, spaces inside) is never guessed.
Then each table's rows whose customer is still unknown are counted with their share of the
table (data_quality.json `share`): kept where they make customers of their own (transactions
under the inactivity definition, subscriptions), excluded elsewhere (tickets, churn events,
transactions that feed only the early-warning features), where `max_excluded_share` applies.
A table of which fewer than half the rows match stops the run whatever `max_excluded_share`
says: its ids are written differently and every figure drawn from it would be wrong. The
customers table is held to `max_excluded_share` too: customers without any purchase
(inactivity) or subscription in the data count as excluded (those starting after the report
date do not: they are only later).

**Time-zone-aware timestamps** (`timezone-parquet`). A value stored with a zone counts on the
calendar day of that zone (its wall clock): a Europe/Berlin column on Berlin's day, a UTC
column on UTC's, the same rule as for text with an offset (`timezone-dates`). The exporting
system chose the zone; converting everything to UTC would move late-evening events of
eastern zones to the previous day.

**Far-future and placeholder dates** (`open-end-9999`, `placeholder-start`). A date past 2262
(9999-12-31, 3000-01-01, with or without a time) cannot be a real event and is the common
"no end" marker: read as no date, so an end is open. A date in range such as 2099-12-31 stays
a date: as an end it lies after the report date and is reopened like any future end
(`future-end`), so the result is the same without guessing which far dates are markers.
1900-01-01 (the spreadsheet and SQL Server default), 1899-12-30/31 (Excel's day zero),
1970-01-01 (the Unix epoch) and any date before 1678 (0001-01-01) are placeholders for an
unknown date: read as missing and counted with examples. A start date is needed to place a
customer in time, so such rows are excluded (like a blank start), not kept with a start a
century early that would distort tenure, cohorts and survival.

**The report date** (`as-of-future`, `as-of-beyond-data`). A configured as_of after today
stops. With the inactivity definition it may also lie at most one period after the period of
the latest purchase: later, every customer would lapse for want of data, not of purchases.
Contract data has no such horizon, since a book in which nobody joined or left for months is
complete and its customers without an end date are active.
""".splitlines()


if __name__ == "__main__":
    DOC.write_text(render_doc(), encoding="utf-8")
    print(f"wrote {DOC}")
