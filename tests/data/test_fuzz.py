"""Generated hostile tables: the loader returns a clean dataset or the documented error, never
another exception."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from churnreport.config import load_config
from churnreport.data import load_dataset
from churnreport.errors import ConfigError, InputError

DATES = st.one_of(
    st.dates(dt.date(1900, 1, 1), dt.date(2262, 1, 1)).map(dt.date.isoformat),
    st.sampled_from(["", "?", "N/A", "2024-02-30", "0001-01-01", "9999-12-31", "31/12/2024",
                     "2024-01-01T10:00:00", "2024-01-01 00:00:00+08:00", "yesterday", "  "]),
)  # fmt: skip
TEXT = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["", "?", "NULL", "价格太高", "<script>x</script>", "=1+1", " a ", "\t"]),
)
NUMBERS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.integers(-(10**12), 10**12).map(str),
    st.sampled_from(["", "?", "1,5", "¥9", "1e309", "-0"]),
)
ROW = st.fixed_dictionaries(
    {
        "customer_id": st.one_of(st.from_regex(r"C[0-9]{1,3}", fullmatch=True), TEXT),
        "start_date": DATES,
        "end_date": DATES,
        "plan": TEXT,
        "monthly_revenue": NUMBERS,
        "churned": st.sampled_from(["yes", "no", "", "TRUE", "0", "maybe"]),
    }
)


def _load_or_documented_error(config_path: Path):
    """The loaded dataset, or None when the loader stopped with the documented error."""
    try:
        return load_dataset(load_config(config_path))
    except (InputError, ConfigError) as exc:
        assert str(exc)  # a message, naming the file
        return None


def _check(ds) -> None:
    c = ds.customers
    assert c["customer_id"].notna().all() and c["customer_id"].is_unique
    assert c["start_date"].notna().all()
    ended = c["end_date"].notna()
    assert (c.loc[ended, "end_date"] >= c.loc[ended, "start_date"]).all()
    assert set(c["churned"].unique()) <= {True, False}
    for tq in ds.quality.tables.values():
        assert tq.rows_read == tq.rows_kept + tq.rows_excluded
        assert 0 <= tq.rows_kept <= tq.rows_read


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(ROW, min_size=1, max_size=25), mapped=st.booleans())
def test_loader_returns_clean_data_or_the_documented_error(rows, mapped):
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        pd.DataFrame(rows).to_csv(tmp / "customers.csv", index=False)
        columns = "{monthly_revenue: monthly_revenue, churned: churned}" if mapped else "{}"
        (tmp / "r.yml").write_text(
            "as_of: 2024-12-31\nsources:\n  customers:\n    path: customers.csv\n"
            f"    columns: {columns}\n",
            encoding="utf-8",
        )
        ds = _load_or_documented_error(tmp / "r.yml")
        if ds is None:
            return
        _check(ds)


TX_ROW = st.fixed_dictionaries(
    {
        "customer_id": st.one_of(st.from_regex(r"C[0-9]{1,2}", fullmatch=True), TEXT),
        "date": DATES,
        "amount": NUMBERS,
    }
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(TX_ROW, min_size=1, max_size=30))
def test_transactions_loader_returns_clean_data_or_the_documented_error(rows):
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        pd.DataFrame(rows).to_csv(tmp / "tx.csv", index=False)
        (tmp / "r.yml").write_text(
            "as_of: 2024-12-31\nchurn: {definition: inactivity, inactivity_days: 90}\n"
            "sources:\n  transactions:\n    path: tx.csv\n",
            encoding="utf-8",
        )
        ds = _load_or_documented_error(tmp / "r.yml")
        if ds is None:
            return
        _check(ds)
        tx = ds.tables["transactions"]
        assert tx["customer_id"].notna().all() and tx["date"].notna().all()
        assert pd.Series(tx["amount"].dropna()).map(abs).lt(float("inf")).all()


CUSTOMERS = pd.DataFrame(
    {
        "customer_id": [f"C{i}" for i in range(1, 6)],
        "start_date": ["2023-01-01", "2023-03-01", "2023-06-01", "2024-01-01", "2024-02-01"],
        "end_date": ["", "2024-05-01", "", "2024-09-01", ""],
        "account_manager": ["AM01", "AM02", "AM01", "AM03", "AM02"],
    }
)
TICKET_ROW = st.fixed_dictionaries(
    {
        "customer_id": st.one_of(st.sampled_from(list(CUSTOMERS["customer_id"])), TEXT),
        "opened_at": DATES,
        "category": TEXT,
        "first_response_hours": NUMBERS,
        "resolved": st.sampled_from(["yes", "no", "", "TRUE", "0", "maybe", "?"]),
        "satisfaction": NUMBERS,
    }
)
STAFF_ROW = st.fixed_dictionaries(
    {"account_manager": st.one_of(st.sampled_from(["AM01", "AM02", "AM03"]), TEXT),
     "left_date": DATES}
)  # fmt: skip


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    tickets=st.lists(TICKET_ROW, min_size=1, max_size=25),
    staff=st.lists(STAFF_ROW, min_size=1, max_size=6),
)
def test_tickets_and_staff_loader_returns_clean_data_or_the_documented_error(tickets, staff):
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        CUSTOMERS.to_csv(tmp / "customers.csv", index=False)
        pd.DataFrame(tickets).to_csv(tmp / "tickets.csv", index=False)
        pd.DataFrame(staff).to_csv(tmp / "staff.csv", index=False)
        (tmp / "r.yml").write_text(
            "as_of: 2024-12-31\nsources:\n  customers: {path: customers.csv}\n"
            "  tickets: {path: tickets.csv}\n  staff: {path: staff.csv}\n",
            encoding="utf-8",
        )
        ds = _load_or_documented_error(tmp / "r.yml")
        if ds is None:
            return
        _check(ds)
        tk = ds.tables["tickets"]
        assert tk["customer_id"].notna().all() and tk["opened_at"].notna().all()
        assert set(tk["resolved"].dropna().unique()) <= {True, False}
        st_ = ds.tables["staff"]
        assert st_["account_manager"].notna().all()


XLSX_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cc", "Cs")), max_size=12
)  # what a spreadsheet can hold


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.lists(
        st.fixed_dictionaries(
            {
                "customer_id": st.one_of(st.from_regex(r"C[0-9]{1,3}", fullmatch=True), XLSX_TEXT),
                "start_date": st.one_of(st.dates(dt.date(1950, 1, 1), dt.date(2030, 1, 1)), DATES),
                "end_date": st.one_of(
                    st.none(), st.dates(dt.date(1950, 1, 1), dt.date(2030, 1, 1))
                ),
                "plan": st.one_of(XLSX_TEXT, st.integers(-5, 5), st.floats(-1e6, 1e6)),
            }
        ),
        min_size=1,
        max_size=20,
    )
)
def test_xlsx_customers_with_typed_cells_load_clean_or_fail_documented(rows):
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        pd.DataFrame(rows).to_excel(tmp / "customers.xlsx", index=False)
        (tmp / "r.yml").write_text(
            "as_of: 2024-12-31\nsources:\n  customers: {path: customers.xlsx}\n", encoding="utf-8"
        )
        ds = _load_or_documented_error(tmp / "r.yml")
        if ds is None:
            return
        _check(ds)
