"""The prepare step's Ibis expressions: hand-computed fixtures, an independent oracle, and the
same results on DuckDB and on Spark (Ibis's PySpark backend, a local session)."""

from __future__ import annotations

import datetime as dt
import os
import shutil

import hypothesis.strategies as st
import pandas as pd
import pytest
from hypothesis import given, settings

from churnreport.config import load_config
from churnreport.data import engine
from churnreport.data.load import load_dataset
from churnreport.data.sample import generate_sample, write_sample

D = pd.Timestamp


def _tx(rows):
    return pd.DataFrame(rows, columns=["customer_id", "date", "amount"]).assign(
        date=lambda f: pd.to_datetime(f["date"])
    )


HAND = _tx(
    [
        ("a", "2024-01-01", 10.0),
        ("a", "2024-01-11", 20.0),
        ("a", "2024-01-11", 5.0),
        ("a", "2024-01-31", 30.0),
        ("a", "2024-03-01", 99.0),  # after the observation end: ignored
        ("b", "2024-01-05", 4.0),
    ]
)


def test_transaction_summary_hand_computed():
    con = engine.connect()
    out = engine.to_frame(con, engine.transaction_summary(engine.table(HAND), dt.date(2024, 2, 10)))
    # a: purchase days Jan 1, Jan 11 (20 + 5), Jan 31 -> frequency 2, recency 30, T 40,
    #    monetary (25 + 30) / 2 = 27.5;  b: one day -> 0, 0, T 36, monetary 0
    assert out.to_dict("records") == [
        {"customer_id": "a", "frequency": 2.0, "recency": 30.0, "T": 40.0, "monetary_value": 27.5},
        {"customer_id": "b", "frequency": 0.0, "recency": 0.0, "T": 36.0, "monetary_value": 0.0},
    ]


def test_daily_purchases_hand_computed_and_reconciled():
    out = engine.daily_purchases(HAND)
    assert out[["customer_id", "date", "purchases", "amount"]].astype(str).values.tolist() == [
        ["a", "2024-01-01", "1", "10.0"],
        ["a", "2024-01-11", "2", "25.0"],
        ["a", "2024-01-31", "1", "30.0"],
        ["a", "2024-03-01", "1", "99.0"],
        ["b", "2024-01-05", "1", "4.0"],
    ]
    assert out["purchases"].sum() == len(HAND)
    assert out["amount"].sum() == pytest.approx(HAND["amount"].sum())


def _oracle_spells(tx: pd.DataFrame, window: int) -> pd.DataFrame:
    """Spells by walking each customer's purchase days in order (independent of the engine)."""
    rows = []
    for cid, dates in tx.groupby("customer_id")["date"]:
        days = sorted(set(dates))
        no, start, last = 0, None, None
        for d in days:
            if last is None or (d - last).days >= window:
                if start is not None:
                    rows.append((cid, start, last + pd.Timedelta(days=window), no))
                no, start = no + 1, d
            last = d
        rows.append((cid, start, last + pd.Timedelta(days=window), no))
    out = pd.DataFrame(rows, columns=["customer_id", "spell_start", "spell_end", "spell_no"])
    return out.astype({"spell_no": "int64"})


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["a", "b", "c"]), st.integers(0, 400)), min_size=1, max_size=40
    ),
    st.integers(1, 120),
)
def test_purchase_spells_match_an_oracle(rows, window):
    tx = pd.DataFrame(
        {
            "customer_id": [c for c, _ in rows],
            "date": [D("2023-01-01") + pd.Timedelta(days=d) for _, d in rows],
            "amount": 1.0,
        }
    )
    con = engine.connect()
    got = engine.to_frame(con, engine.purchase_spells(engine.table(tx), window))
    want = _oracle_spells(tx, window)
    pd.testing.assert_frame_equal(got[want.columns].reset_index(drop=True), want, check_dtype=False)
    # invariants: spells of a customer do not overlap and every purchase lies in one
    for _, s in got.groupby("customer_id"):
        assert (s["spell_start"].iloc[1:].to_numpy() >= s["spell_end"].iloc[:-1].to_numpy()).all()


def _panel_tables():
    """Two customers: c0 began in month 10, is at risk in 11-14 and leaves in 14, complained
    in 12; c1 began in month 5, is at risk in 12-13 (still active), complained in 9 and had a
    slow answer in 13. The customers, the months studied and the events, as Ibis tables."""
    import ibis
    import pyarrow as pa

    first = pa.table(
        {
            "c": pa.array([0, 1], pa.int64()),
            "lo": pa.array([11, 12], pa.int64()),
            "hi": pa.array([14, 13], pa.int64()),
            "start_m": pa.array([10, 5], pa.int64()),
            "churns": [True, False],
            "fit": [True, False],
        }
    )
    months = pa.table({"m": pa.array(range(11, 15), pa.int64())})
    events = pa.table(
        {"c": pa.array([0, 1, 1], pa.int64()), "kind": ["complaint", "complaint", "slow"],
         "m": pa.array([12, 9, 13], pa.int64())}
    )  # fmt: skip
    return ibis.memtable(first), ibis.memtable(months), ibis.memtable(events)


def _customer_months():
    """The panel of :func:`_panel_tables`' customers."""
    first, months, events = _panel_tables()
    return engine.customer_months(
        first, months, events, ["complaint", "slow"], new_months=3, event_months=3
    )


def test_customer_months_hand_computed():
    out = engine.to_frame(engine.connect(), _customer_months(), sort=["c", "month"])
    assert list(out.columns) == [
        "c",
        "fit",
        "month",
        "churned",
        "new_customer",
        "complaint",
        "slow",
    ]
    # c0: new in its first 3 months (10-12), churns in 14, its complaint flags 12, 13, 14;
    # c1: its complaint in 9 flags 9-11 (before the panel), its slow answer flags 13
    assert out.astype(int).values.tolist() == [
        [0, 1, 11, 0, 1, 0, 0],
        [0, 1, 12, 0, 1, 1, 0],
        [0, 1, 13, 0, 0, 1, 0],
        [0, 1, 14, 1, 0, 1, 0],
        [1, 0, 12, 0, 0, 0, 0],
        [1, 0, 13, 0, 0, 0, 1],
    ]


def test_two_events_in_one_month_flag_it_once_with_a_one_month_window():
    import ibis
    import pyarrow as pa

    first, months, _ = _panel_tables()
    twice = ibis.memtable(
        pa.table({"c": pa.array([0, 0], pa.int64()), "kind": ["complaint"] * 2,
                  "m": pa.array([12, 12], pa.int64())})
    )  # fmt: skip
    panel = engine.customer_months(
        first, months, twice, ["complaint"], new_months=3, event_months=1
    )
    out = engine.to_frame(engine.connect(), panel, sort=["c", "month"])
    # c0 at risk in 11-14, c1 in 12-13: one row each month, c0's month 12 flagged once
    assert out[["c", "month", "complaint"]].astype(int).values.tolist() == [
        [0, 11, 0], [0, 12, 1], [0, 13, 0], [0, 14, 0], [1, 12, 0], [1, 13, 0],
    ]  # fmt: skip
    counts = engine.panel_counts(
        engine.connect(), first, twice, ["complaint"], new_months=3, event_months=1
    )
    assert (counts["rows"], counts["complaint__rows"]) == (6, 1)


def test_panel_counts_hand_computed():
    first, _, events = _panel_tables()
    got = engine.panel_counts(
        engine.connect(), first, events, ["complaint", "slow"], new_months=3, event_months=3
    )
    # the panel above: 6 rows (c0 4, c1 2), c0 churned in 14; new: c0 in 11 and 12; the
    # complaint flags c0's 12-14 (its month of leaving among them), the slow answer c1's 13
    assert got == {
        "rows": 6,
        "churned": 1,
        "new_customer__rows": 2,
        "new_customer__churned": 0,
        "complaint__rows": 3,
        "complaint__churned": 1,
        "slow__rows": 1,
        "slow__churned": 0,
    }


@settings(max_examples=30, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 30), st.integers(0, 8), st.integers(0, 6), st.booleans()),
        min_size=1,
        max_size=12,
    ),
    st.lists(
        st.tuples(st.integers(0, 11), st.sampled_from(["a", "b"]), st.integers(0, 45)),
        max_size=30,
    ),
    st.integers(1, 4),
    st.integers(1, 5),
)
def test_panel_counts_are_the_sums_of_the_panel(customers, events, new_months, event_months):
    import ibis
    import pyarrow as pa

    first = pa.table(
        {
            "c": pa.array(range(len(customers)), pa.int64()),
            "lo": pa.array([lo for lo, *_ in customers], pa.int64()),
            "hi": pa.array([lo + n for lo, n, *_ in customers], pa.int64()),
            "start_m": pa.array([lo - 1 - s for lo, _, s, _ in customers], pa.int64()),
            "churns": [churns for *_, churns in customers],
            "fit": [True] * len(customers),
        }
    )
    ev = pa.table(
        {
            "c": pa.array([c % len(customers) for c, _, _ in events], pa.int64()),
            "kind": pa.array([k for _, k, _ in events], pa.string()),
            "m": pa.array([m for *_, m in events], pa.int64()),
        }
    )
    months = pa.table({"m": pa.array(range(0, 40), pa.int64())})
    tables = ibis.memtable(first), ibis.memtable(ev)
    windows = {"new_months": new_months, "event_months": event_months}
    con = engine.connect()
    kinds = ["a", "b"]
    panel = engine.to_frame(
        con,
        engine.customer_months(tables[0], ibis.memtable(months), tables[1], kinds, **windows),
        sort=["c", "month"],
    )
    want = {"rows": len(panel), "churned": int(panel["churned"].sum())}
    for flag in ["new_customer", *kinds]:
        want[f"{flag}__rows"] = int(panel[flag].sum())
        want[f"{flag}__churned"] = int((panel[flag] * panel["churned"]).sum())
    assert engine.panel_counts(con, *tables, kinds, **windows) == want


def test_an_unknown_backend_or_event_kinds_without_events_are_refused():
    import ibis
    import pyarrow as pa

    with pytest.raises(ValueError, match="unknown engine 'polars'"):
        with engine.session("polars"):
            pass
    one = ibis.memtable(pa.table({"m": pa.array([1], pa.int64())}))
    with pytest.raises(ValueError, match="without an events table"):
        engine.customer_months(one, one, None, ["complaint"], new_months=3, event_months=3)
    with pytest.raises(ValueError, match="without an events table"):
        engine.panel_counts(None, one, None, ["complaint"], new_months=3, event_months=3)


# ---------------------------------------------------------------- Spark (Ibis PySpark backend)


@pytest.fixture(scope="module")
def spark():
    if shutil.which("java") is None:
        pytest.fail("Java is missing: scripts/setup.sh installs openjdk-17-jre-headless")
    con = engine.connect("spark")
    yield con


@pytest.fixture(scope="module")
def sample_tx():
    t = generate_sample(400, seed=3).transactions
    # line items: some customer-days get several rows, so the reduction has work to do
    extra = t.sample(frac=0.3, random_state=1).assign(amount=lambda f: f["amount"] / 3)
    return pd.concat([t, extra], ignore_index=True).assign(date=lambda f: pd.to_datetime(f["date"]))


def test_spark_runs_the_same_expressions_with_identical_results(spark, sample_tx):
    duck = engine.connect()
    t = engine.table(sample_tx)
    for expr in (
        engine.customer_days(t),
        engine.transaction_summary(t, dt.date(2024, 6, 30)),
        engine.purchase_spells(t, 90),
    ):
        a = engine.to_frame(duck, expr)
        b = engine.to_frame(spark, expr)
        assert len(a) > 300
        pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-12)
    months = _customer_months()
    a = engine.to_frame(duck, months, sort=["c", "month"])
    b = engine.to_frame(spark, months, sort=["c", "month"])
    pd.testing.assert_frame_equal(a.astype("int64"), b.astype("int64"))
    first, _, events = _panel_tables()
    kinds, windows = ["complaint", "slow"], {"new_months": 3, "event_months": 3}
    counts = engine.panel_counts(duck, first, events, kinds, **windows)
    assert engine.panel_counts(spark, first, events, kinds, **windows) == counts


def test_blocks_merge_the_same_on_spark_and_the_session_survives(spark, sample_tx):
    blocks = [sample_tx.iloc[i : i + 700] for i in range(0, len(sample_tx), 700)]
    duck = engine.daily_purchases_in_blocks(blocks)
    close = {"check_exact": False, "rtol": 1e-12}  # partial sums: the order of additions differs
    pd.testing.assert_frame_equal(duck, engine.daily_purchases(sample_tx), **close)
    pd.testing.assert_frame_equal(engine.daily_purchases_in_blocks(blocks, "spark"), duck, **close)
    assert spark.raw_sql("SELECT 1").collect()[0][0] == 1  # the user's session is not stopped


def test_engine_spark_in_the_config_gives_the_same_dataset(spark, tmp_path):
    write_sample(tmp_path, n_customers=300, seed=5)
    (tmp_path / "inactivity.yml").write_text(
        "name: inactivity\nas_of: 2024-12-31\n"
        "churn: {definition: inactivity, inactivity_days: 90}\n"
        "sources: {transactions: {path: transactions.parquet}}\n"
    )
    duck = load_dataset(load_config(tmp_path / "inactivity.yml"))
    sp = load_dataset(load_config(tmp_path / "inactivity.yml", engine="spark"))
    assert len(duck.spells) > 250
    pd.testing.assert_frame_equal(duck.spells, sp.spells)
    pd.testing.assert_frame_equal(duck.customers, sp.customers)
    pd.testing.assert_frame_equal(duck.tables["transactions"], sp.tables["transactions"])


def test_the_customer_day_merge_is_capped_below_the_engines_share(tmp_path):
    def limit(con):
        text = con.raw_sql("SELECT current_setting('memory_limit')").fetchone()[0]
        number, unit = text.split()
        return float(number) * {"MiB": 2**20, "GiB": 2**30}[unit]

    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    con = engine.connect()
    engine._bound_memory(con, str(tmp_path))
    assert limit(con) == pytest.approx(max(total // 8, 5e8), rel=0.03)  # shown as "2.9 GiB"
    engine._bound_memory(con, str(tmp_path), engine.MERGE_MEMORY_BYTES)
    assert limit(con) == pytest.approx(min(total // 8, engine.MERGE_MEMORY_BYTES), rel=0.03)


def test_duckdb_prints_no_progress_bar_into_the_log():
    con = engine.connect()
    assert con.raw_sql("SELECT current_setting('enable_progress_bar')").fetchone()[0] is False


def test_cached_tables_round_trip_and_are_read_only_when_used(tmp_path):
    from churnreport.data.load import COMPACT_STRING, LazyTables, read_tables, save_tables

    write_sample(tmp_path / "s", n_customers=300, seed=5)
    ds = load_dataset(load_config(tmp_path / "s" / "report.yml"))
    save_tables(ds, tmp_path / "cache")
    back = read_tables(tmp_path / "cache")
    assert isinstance(back.tables, LazyTables)
    assert set(back.tables) == set(ds.tables) and "transactions" in back.tables
    assert back.tables._frames == {}  # nothing read yet
    # the same values; text columns compact (one Arrow buffer, not a Python object per value)
    for got, want in [
        (back.tables["transactions"], ds.tables["transactions"]),
        (back.customers, ds.customers),
        (back.spells, ds.spells),
    ]:
        compact = {c: COMPACT_STRING if t == "string" else t for c, t in want.dtypes.items()}
        assert got.dtypes.to_dict() == compact
        pd.testing.assert_frame_equal(got, want.astype(compact))
    assert "string" in set(back.customers.dtypes.astype(str))  # the test compared some text
    assert set(back.tables._frames) == {"transactions"}
    assert back.tables.get("nope") is None and len(back.tables) == len(ds.tables)


def test_engine_spark_without_pyspark_is_a_config_error(monkeypatch):
    import sys

    from churnreport.errors import ConfigError

    monkeypatch.setitem(sys.modules, "pyspark.sql", None)  # as if not installed
    with pytest.raises(ConfigError, match=r"pip install 'churnreport\[spark\]'") as err:
        engine.connect("spark")
    assert err.value.exit_code == 2


def test_spark_settings_come_from_spark_and_the_config(monkeypatch):
    """No private variable: Spark's own configuration, the config's spark: section on top."""
    import pyspark.sql

    from churnreport.config import ReportConfig

    seen = {}

    class Builder:
        def appName(self, name):  # noqa: N802 (Spark's names)
            return self

        def config(self, key, value):
            seen[key] = value
            return self

        def getOrCreate(self):  # noqa: N802
            class Session:
                sparkContext = type("C", (), {"setLogLevel": lambda self, level: None})()

            return Session()

    class FakeSession:
        builder = Builder()

        @staticmethod
        def getActiveSession():  # noqa: N802
            return None

    monkeypatch.setattr(pyspark.sql, "SparkSession", FakeSession)
    monkeypatch.delenv("SPARK_REMOTE", raising=False)
    src = {"customers": {"path": "c.csv"}}
    cfg = ReportConfig(sources=src, engine="spark",
                       spark={"spark.master": "spark://h:7077", "spark.ui.enabled": True,
                              "spark.sql.shuffle.partitions": 200})  # fmt: skip
    engine.start_spark(cfg.spark_settings())
    assert seen["spark.master"] == "spark://h:7077"  # no master forced when none is given
    assert seen["spark.ui.enabled"] == "true" and seen["spark.sql.shuffle.partitions"] == "200"
    assert seen["spark.sql.warehouse.dir"].endswith("churnreport-spark-warehouse")
    seen.clear()
    engine.start_spark({})
    assert "spark.master" not in seen  # spark-defaults.conf / MASTER / local[*] decide
    with pytest.raises(ValueError, match="spark.\\* keys"):
        ReportConfig(sources=src, spark={"executor.memory": "8g"})


@pytest.mark.parametrize("backend", ["duckdb", "spark"])
def test_mean_response_hours_do_not_depend_on_the_order_rows_are_added_in(backend, request):
    # floats added in another order give another sum: (0.1 + 0.2) + 0.3 = 0.6000000000000001,
    # (0.3 + 0.2) + 0.1 = 0.6; a thread or a Spark partition decides that order, so the mean
    # is taken from whole nano-hours: 0.2 exactly, in every order, on every engine
    import ibis

    con = request.getfixturevalue("spark") if backend == "spark" else engine.connect()
    keys = engine.keys(pd.DataFrame({"customer_id": ["a"], "snapshot": [dt.date(2024, 6, 30)]}))
    seen = set()
    for hours in ([0.1, 0.2, 0.3], [0.3, 0.2, 0.1], [0.2, 0.3, 0.1]):
        opened = pd.to_datetime(["2024-06-01", "2024-06-02", "2024-06-03"])
        tickets = ibis.memtable(
            pd.DataFrame(
                {
                    "customer_id": "a",
                    "opened_at": opened,
                    "answered_at": opened + pd.Timedelta(hours=1),
                    "first_response_hours": hours,
                }
            )
        )
        got = con.to_pyarrow(engine.window_tickets(tickets, keys, 90, 24.0)).to_pandas()
        seen.add(float(got["hours_mean"].iloc[0]))
    assert seen == {0.2}
