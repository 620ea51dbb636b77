"""The heavy aggregation of the prepare step and the analyses as Ibis expressions, run by an
engine.

A transactions table can hold far more rows than pandas should see. The functions here build
Ibis expressions that reduce it inside the engine -- DuckDB in-process by default, or Spark
through Ibis's PySpark backend (``engine: spark``) -- and only the reduced result comes back as a
pandas frame. The same expression runs unchanged on each backend; tests assert identical results
on DuckDB and Spark. A transactions file reaches the engine in validated blocks and its
customer-days are streamed to a Parquet file (:func:`write_customer_days`); a typed database
table is reduced by the same expression inside its own database (data/pushdown.py).

Expressions (the transactions' take a table with ``customer_id`` (string), ``date`` (date)
and ``amount``; the snapshot ones also a table of :func:`keys`):

- :func:`customer_days` -- one row per customer and day (purchases, amount netted of returns,
  returns: lines with a negative amount);
- :func:`transaction_summary` -- frequency, recency, T and monetary value per customer, with
  the definitions of the ``lifetimes`` package's ``summary_data_from_transaction_data``;
- :func:`purchase_spells` -- activity spells of the inactivity definition (as
  ``prepare.spells_from_purchases``);
- :func:`window_activity`, :func:`spell_history`, :func:`revenue_on`,
  :func:`window_tickets` -- the early-warning features of many customers on many snapshot
  dates (:func:`keys`), one query per table for all of them;
- :func:`customer_months` -- the driver model's panel of customers at risk per month, and
  :func:`panel_counts` -- its totals, without its rows.

The analyses open their backend with :func:`session` (the config's ``engine``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Literal

import pandas as pd

from churnreport.errors import ConfigError

Engine = Literal["duckdb", "spark"]
ENGINES: tuple[str, ...] = ("duckdb", "spark")


def connect(engine: Engine = "duckdb", *, database: str | None = None):
    """Open an Ibis backend.

    Parameters
    ----------
    engine : {"duckdb", "spark"}
        ``duckdb``: an in-process DuckDB (``database`` a file, or in memory). ``spark``: the
        active Spark session, else one from Spark's own configuration (:func:`start_spark`);
        docs/SCALING.md.
    database : str, optional
        DuckDB database file.

    Returns
    -------
    ibis.BaseBackend
    """
    import ibis

    if engine == "duckdb":
        con = ibis.duckdb.connect(database or ":memory:")
        # no progress bar: it would print into the CLI's log. Inside a Jupyter kernel DuckDB
        # refuses to touch the setting at all without ipywidgets (it would draw a widget there,
        # not print), so a refusal is left as it is.
        with contextlib.suppress(Exception):
            con.raw_sql("SET enable_progress_bar = false")
        return con
    if engine == "spark":
        session = start_spark()  # the active session, else a new one (pyspark checked first)
        return ibis.pyspark.connect(session)
    raise ValueError(f"unknown engine {engine!r}; expected one of {', '.join(ENGINES)}")


#: Settings of a session churnreport starts, unless the config's spark section sets them.
SPARK_DEFAULTS = {
    "spark.ui.enabled": "false",
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.shuffle.partitions": "8",
    "spark.ui.showConsoleProgress": "false",  # no progress bars in a notebook's output
    # tables cross between pandas and the JVM as Arrow batches, not pickled rows one by one
    # (the sample's early-warning chapter on Spark: 38 s -> 21 s); Spark falls back where
    # Arrow cannot carry a type
    "spark.sql.execution.arrow.pyspark.enabled": "true",
}


def start_spark(settings: dict[str, str] | None = None):
    """The Spark session of a run: the active one, else one started with ``settings``.

    Spark reads its own configuration as for any Spark client: ``SPARK_REMOTE`` (Spark
    Connect), ``spark-defaults.conf`` under ``SPARK_CONF_DIR``, ``MASTER``; a master set
    nowhere is ``local[*]``. ``settings`` (the config's ``spark:`` section, e.g.
    ``spark.master: spark://host:7077``, ``spark.executor.memory: 8g``) come on top.

    Parameters
    ----------
    settings : dict, optional
        ``spark.*`` keys and their values.

    Returns
    -------
    pyspark.sql.SparkSession

    Raises
    ------
    ConfigError
        pyspark is not installed, or the session cannot start (no Java, unreachable master).
    """
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise ConfigError(
            "engine: spark needs pyspark: pip install 'churnreport[spark]' (and Java 17)"
        ) from None
    # Python workers run this interpreter (with pandas and pyarrow), not whatever is on PATH
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    session = SparkSession.getActiveSession()
    if session is not None:
        return session
    settings = dict(settings or {})
    builder = SparkSession.builder.appName("churnreport")
    remote = settings.pop("spark.remote", None) or os.environ.get("SPARK_REMOTE")
    if remote:  # Spark Connect: sc://host:15002
        return builder.remote(remote).getOrCreate()
    # never a spark-warehouse/ folder in the user's working directory
    for key, value in {**SPARK_DEFAULTS, "spark.sql.warehouse.dir": _warehouse_dir(),
                       **settings}.items():  # fmt: skip
        builder = builder.config(key, str(value))
    try:
        session = builder.getOrCreate()
    except Exception as exc:  # no Java, unreachable master, ...
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        where = settings.get("spark.master", "Spark's configured master")
        raise ConfigError(
            f"engine: spark could not start a Spark session on {where}: {first}"
        ) from None
    session.sparkContext.setLogLevel("ERROR")
    return session


def _warehouse_dir() -> str:
    """Spark's table folder: the temporary directory, not the working directory."""
    return os.path.join(tempfile.gettempdir(), "churnreport-spark-warehouse")


def table(frame: pd.DataFrame):
    """An Ibis table over a pandas frame (``date`` columns typed as dates).

    Parameters
    ----------
    frame : DataFrame
        Canonical transactions (customer_id, date, amount), or customer-days (with
        purchases).

    Returns
    -------
    ibis.Table
    """
    import ibis
    import pyarrow as pa

    fields = [("customer_id", pa.string()), ("date", pa.date32())]
    if "amount" in frame:
        fields.append(("amount", pa.float64()))
    if "purchases" in frame:  # a customer-day table
        fields.append(("purchases", pa.int64()))
    if "returns" in frame:  # ... before returns are netted
        fields.append(("returns", pa.int64()))
    cols = [c for c, _ in fields]
    data = frame[cols]
    if pd.api.types.infer_dtype(data["customer_id"], skipna=False) != "string":
        data = data.assign(customer_id=data["customer_id"].astype(str))
    if not pd.api.types.is_datetime64_any_dtype(data["date"]):
        data = data.assign(date=pd.to_datetime(data["date"]))
    return ibis.memtable(pa.Table.from_pandas(data, schema=pa.schema(fields), preserve_index=False))


@contextlib.contextmanager
def session(backend: Engine = "duckdb", most_memory: int | None = None):
    """The backend an analysis's queries run on, for the time of a ``with`` block.

    Parameters
    ----------
    backend : {"duckdb", "spark"}
        ``duckdb``: an in-process DuckDB, closed afterwards. It uses the threads of
        ``OMP_NUM_THREADS`` when set (in a notebook kernel, its share of the cores:
        report.runner.thread_budget), else one per core this process may run on (its CPU
        affinity: DuckDB's own count is the machine's), at most an eighth of the machine's
        memory, and spills to a temporary folder of its own (never the working directory).
        ``spark``: the run's Spark session (:func:`start_spark`, started with the config's
        settings when the report opens), left running for the next query.
    most_memory : int, optional
        DuckDB's cap in bytes when below the eighth (e.g. :data:`MERGE_MEMORY_BYTES`).

    Yields
    ------
    ibis.BaseBackend
    """
    if backend not in ENGINES:
        raise ValueError(f"unknown engine {backend!r}; expected one of {', '.join(ENGINES)}")
    if backend == "spark":
        yield connect("spark")
        return
    with tempfile.TemporaryDirectory(prefix="churnreport-duckdb-") as spill:
        con = connect("duckdb")
        try:
            _bound_memory(con, spill, most_memory)
            threads = os.environ.get("OMP_NUM_THREADS", "")
            if threads.isdigit() and int(threads) > 0:
                con.raw_sql(f"SET threads = {int(threads)}")
            elif hasattr(os, "sched_getaffinity"):  # DuckDB counts the machine's cores
                con.raw_sql(f"SET threads = {max(1, len(os.sched_getaffinity(0)))}")
            yield con
        finally:
            con.disconnect()


def read(con, tables, name: str):
    """The table ``name`` of ``tables`` as an Ibis table on ``con``, or None when it is
    missing or has no rows.

    A mapping that keeps its tables as files (a run's cache, :class:`~churnreport.data.load.
    LazyTables`, through its ``parquet_file`` method) hands an in-process DuckDB the file: it
    reads the columns it needs, and pandas never holds the rows. Otherwise, and on Spark
    (whose executors need not see the run's folder), the pandas frame is handed over
    (:func:`table`).

    Parameters
    ----------
    con : ibis.BaseBackend
    tables : mapping
        Table name -> DataFrame.
    name : str

    Returns
    -------
    ibis.Table or None
    """
    if name not in tables:
        return None
    file = getattr(tables, "parquet_file", lambda _: None)(name)
    if file is not None and con.name == "duckdb":
        import pyarrow.parquet as pq

        if pq.read_metadata(file).num_rows == 0:
            return None
        return con.read_parquet(str(file))
    frame = tables[name]
    return table(frame) if len(frame) else None


def keys(frame: pd.DataFrame):
    """An Ibis table of snapshot keys from a pandas frame: ``row`` (the frame's position),
    customer_id (string) and snapshot (date).

    Parameters
    ----------
    frame : DataFrame
        customer_id, snapshot (datetime64 or dates; missing ones match nothing).

    Returns
    -------
    ibis.Table
    """
    import ibis
    import numpy as np
    import pyarrow as pa

    return ibis.memtable(
        pa.table(
            {
                "row": pa.array(np.arange(len(frame), dtype="int64")),
                "customer_id": pa.array(frame["customer_id"].astype(str), pa.string()),
                "snapshot": pa.array(  # a missing date is null: it matches no row
                    pd.to_datetime(frame["snapshot"]).to_numpy().astype("datetime64[D]"),
                    pa.date32(),
                    from_pandas=True,
                ),
            }
        )
    )


def frame_table(frame: pd.DataFrame, columns: list[str]):
    """An Ibis table over columns of a pandas frame (customer_id as string).

    Parameters
    ----------
    frame : DataFrame
    columns : list of str
        Columns to hand over (those present).

    Returns
    -------
    ibis.Table
    """
    import ibis
    import pyarrow as pa

    data = frame[[c for c in columns if c in frame.columns]]
    if "customer_id" in data and pd.api.types.infer_dtype(data["customer_id"]) != "string":
        data = data.assign(customer_id=data["customer_id"].astype(str))
    return ibis.memtable(pa.Table.from_pandas(data, preserve_index=False))


def _dated(tx):
    """``tx`` with its ``date`` column as a date (a Parquet file may hold timestamps)."""
    if tx.date.type().is_timestamp():
        return tx.mutate(date=tx.date.cast("date"))
    return tx


def customer_days(tx):
    """One row per customer and purchase day.

    Parameters
    ----------
    tx : ibis.Table
        customer_id, date, amount (amount optional).

    Returns
    -------
    ibis.Table
        customer_id, date, purchases (rows that day, cancellations and returns aside), amount
        (the sum of all rows: returns netted; null when no row has one), returns (rows with a
        negative amount; only with an amount column). A day with returns only has 0 purchases.
    """
    tx = _dated(tx)
    if "amount" not in tx.columns:
        return tx.group_by(["customer_id", "date"]).aggregate(purchases=tx.count())
    negative = (tx.amount < 0).fill_null(False)
    return tx.group_by(["customer_id", "date"]).aggregate(
        purchases=tx.count(where=~negative),
        amount=tx.amount.sum(),
        returns=tx.count(where=negative),
    )


def transaction_summary(tx, observation_end: dt.date):
    """Frequency, recency, T and monetary value per customer.

    The definitions are those of ``lifetimes.utils.summary_data_from_transaction_data`` with
    ``freq="D"``: purchases are first summed per day; transactions after ``observation_end``
    are ignored.

    Parameters
    ----------
    tx : ibis.Table
        customer_id, date, amount.
    observation_end : date
        The end of the observation period.

    Returns
    -------
    ibis.Table
        customer_id; frequency = purchase days - 1 (repeat purchases); recency = days from the
        first to the last purchase day; T = days from the first purchase day to
        ``observation_end``; monetary_value = mean amount of the repeat purchase days (0 when
        there is none).

    Examples
    --------
    Purchases of 10 on Jan 1, 20 + 5 on Jan 11 and 30 on Jan 31, observed to Feb 10:
    frequency 2, recency 30, T 40, monetary value (25 + 30) / 2 = 27.5.
    """
    import ibis

    end = ibis.date(observation_end)
    tx = _dated(tx)
    days = customer_days(tx.filter(tx.date <= end))
    days = days.filter(days.purchases > 0)  # a day with returns only is no purchase day
    days = days.mutate(day=days.date.epoch_days())
    out = days.group_by("customer_id").aggregate(
        n_days=days.count(),
        first=days.day.min(),
        last=days.day.max(),
        total=days.amount.sum(),
        first_amount=days.amount.argmin(days.day),  # the amount of the first purchase day
    )
    out = out.mutate(repeat_amount=out.total - out.first_amount)
    frequency = out.n_days - 1
    return out.select(
        "customer_id",
        frequency=frequency.cast("float64"),
        recency=(out.last - out.first).cast("float64"),
        T=(end.epoch_days() - out.first).cast("float64"),
        monetary_value=ibis.ifelse(
            frequency > 0, out.repeat_amount / frequency.cast("float64"), 0.0
        ),
    )


def purchase_spells(tx, window_days: int):
    """Activity spells of purchase-based customers (the inactivity definition).

    A spell starts at a purchase made ``window_days`` or more after the previous one (or at the
    first) and ends ``window_days`` after its last purchase (the first inactive day).

    Parameters
    ----------
    tx : ibis.Table
        customer_id, date.
    window_days : int
        The inactivity window N.

    Returns
    -------
    ibis.Table
        customer_id, spell_no (1, 2, ...), spell_start, spell_end (as day numbers since
        1970-01-01; :func:`to_frame` turns them into dates).
    """
    import ibis

    tx = _dated(tx)
    days = tx.select("customer_id", day=tx.date.epoch_days()).distinct()
    ordered = ibis.window(group_by="customer_id", order_by="day")
    days = days.mutate(gap=days.day - days.day.lag().over(ordered))
    days = days.mutate(new=ibis.ifelse(days.gap.isnull() | (days.gap >= window_days), 1, 0))
    running = ibis.window(group_by="customer_id", order_by="day", rows=(None, 0))
    days = days.mutate(spell_no=days.new.sum().over(running))
    return days.group_by(["customer_id", "spell_no"]).aggregate(
        spell_start=days.day.min(), spell_end=days.day.max() + window_days
    )


def _at_midnight(keys):
    """``keys`` with ``at``: the snapshot as a timestamp at midnight (the day's start, as a
    pandas Timestamp of the date compares)."""
    return keys.mutate(at=keys.snapshot.cast("timestamp"))


def window_activity(tx, keys, window_days: int):
    """Each key's purchases up to its snapshot date: the early-warning transaction features of
    every snapshot in one pass over the transactions.

    Parameters
    ----------
    tx : ibis.Table
        customer_id, date, and optionally purchases (a customer-day table: rows that day) and
        amount. Without ``purchases`` each row is one purchase.
    keys : ibis.Table
        row, customer_id, snapshot (:func:`keys`).
    window_days : int
        Length of the recent window ``(snapshot - window_days, snapshot]``.

    Returns
    -------
    ibis.Table
        row, last (day number of the last row dated up to the snapshot), purchases (in the
        window), and with ``amount``: spend (in the window) and spend_before (in the window
        before it, ``(snapshot - 2 w, snapshot - w]``); null sums when no row with an amount
        falls inside. A key with no row dated up to its snapshot is absent.

    Examples
    --------
    A purchase of 10 on day 100 and of 5 on day 150, a 90-day window, a snapshot on day 160:
    last 150, purchases 2, spend 15, spend_before null (days 0-70 hold none).
    """
    tx = _dated(tx)
    k = keys.select("row", key_id=keys.customer_id, snap=keys.snapshot.cast("date"))
    joined = k.join(tx, [k.key_id == tx.customer_id, tx.date <= k.snap])
    day, snap = joined.date.epoch_days(), joined.snap.epoch_days()
    recent = day > snap - window_days
    before = (day > snap - 2 * window_days) & ~recent
    aggs = {
        "last": day.max(),
        "purchases": (
            joined.purchases.sum(where=recent)
            if "purchases" in tx.columns
            else joined.count(where=recent)
        ),
    }
    if "amount" in tx.columns:
        aggs["spend"] = joined.amount.sum(where=recent)
        aggs["spend_before"] = joined.amount.sum(where=before)
    return joined.group_by("row").aggregate(**aggs)


def spell_history(spells, keys):
    """Each key's spells begun by its snapshot: the first start and how many.

    Parameters
    ----------
    spells : ibis.Table
        customer_id, spell_start (timestamp).
    keys : ibis.Table
        row, customer_id, snapshot (:func:`keys`).

    Returns
    -------
    ibis.Table
        row, first_start (timestamp), spells (count); keys without a spell begun are absent.
    """
    k = _at_midnight(keys).select("row", key_id=keys.customer_id, at="at")
    joined = k.join(spells, [k.key_id == spells.customer_id, spells.spell_start <= k.at])
    return joined.group_by("row").aggregate(
        first_start=joined.spell_start.min(), spells=joined.count()
    )


def revenue_on(revenue, keys, window_days: int):
    """Each key's recurring revenue on its snapshot and ``window_days`` before it.

    Parameters
    ----------
    revenue : ibis.Table
        customer_id, start, end (timestamps; null end = still running), mrr.
    keys : ibis.Table
        row, customer_id, snapshot (:func:`keys`).
    window_days : int

    Returns
    -------
    ibis.Table
        row, mrr (sum of the rows running on the snapshot: ``start <= d < end``), mrr_before
        (the same on ``d - window_days``); null when none runs.
    """
    import ibis

    k = _at_midnight(keys).select("row", key_id=keys.customer_id, at="at")
    joined = k.join(revenue, [k.key_id == revenue.customer_id])
    w0 = joined.at - ibis.interval(days=window_days)

    def running(day):
        return (joined.start <= day) & (joined.end.isnull() | (joined.end > day))

    return joined.group_by("row").aggregate(
        mrr=joined.mrr.sum(where=running(joined.at)),
        mrr_before=joined.mrr.sum(where=running(w0)),
    )


def window_tickets(tickets, keys, window_days: int, slow_hours: float):
    """Each key's support tickets opened in the window ``(snapshot - window_days, snapshot]``.

    Parameters
    ----------
    tickets : ibis.Table
        customer_id, opened_at (timestamp); optionally complaint (bool), answered_at
        (timestamp, null when unanswered), first_response_hours, satisfaction.
    keys : ibis.Table
        row, customer_id, snapshot (:func:`keys`).
    window_days : int
    slow_hours : float
        A first response slower than this is slow.

    Returns
    -------
    ibis.Table
        row, tickets; with the optional columns: complaints, slow (responses known by the
        snapshot and slower than ``slow_hours``), hours_mean (mean first-response hours of
        the responses known by the snapshot), low_satisfaction (scores <= 2). Keys without a
        ticket in the window are absent.
    """
    import ibis

    k = _at_midnight(keys).select("row", key_id=keys.customer_id, at="at")
    joined = k.join(
        tickets,
        [
            k.key_id == tickets.customer_id,
            tickets.opened_at <= k.at,
            tickets.opened_at > k.at - ibis.interval(days=window_days),
        ],
    )
    aggs = {"tickets": joined.count()}
    if "complaint" in tickets.columns:
        aggs["complaints"] = joined.count(where=joined.complaint)
    if "answered_at" in tickets.columns:
        known = joined.answered_at.notnull() & (joined.answered_at <= joined.at)
        aggs["slow"] = joined.count(where=known & (joined.first_response_hours > slow_hours))
        # the mean from an exact sum (whole nano-hours) and a count: a sum of floats depends
        # on the order the engine adds them in (its threads, Spark's partitions), this not
        nano = (joined.first_response_hours * 1e9).round().cast("int64")
        aggs["hours_nano"] = nano.sum(where=known)
        aggs["hours_known"] = joined.count(where=known)
    if "satisfaction" in tickets.columns:
        aggs["low_satisfaction"] = joined.count(where=joined.satisfaction <= 2)
    out = joined.group_by("row").aggregate(**aggs)
    if "hours_nano" not in aggs:
        return out
    mean = out.hours_nano.cast("float64") / out.hours_known.nullif(0).cast("float64") / 1e9
    return out.mutate(hours_mean=mean).drop("hours_nano", "hours_known")


def customer_months(
    first, months, events=None, kinds: Iterable[str] = (), *, new_months: int, event_months: int
):
    """The customer-month panel of the driver model: one row per customer and month at risk.

    Months are numbered ``year * 12 + month - 1``. A customer is at risk in each month from
    ``lo`` to ``hi``; one that ``churns`` leaves in month ``hi``.

    Parameters
    ----------
    first : ibis.Table
        One row per customer: c (int64, the customer's number), lo, hi (first and last month
        at risk), start_m (the month it started), churns (bool: it left in month ``hi``), fit
        (bool, kept as a column). No nulls (Spark's in-memory tables lose the integers of a
        column holding one).
    months : ibis.Table
        m: the months studied.
    events : ibis.Table, optional
        c, kind (string), m: the months with an event of each kind (an event counts only
        when it came before the customer left).
    kinds : iterable of str
        The event kinds, one column each (in this order).
    new_months : int
        A customer is new in its first ``new_months`` months.
    event_months : int
        An event flags its month and the ``event_months - 1`` after it.

    Returns
    -------
    ibis.Table
        c, fit, month, churned (1 in the month of leaving), new_customer (1 while new), and
        one 0/1 column per event kind (an event of that kind in this month or the
        ``event_months - 1`` before it).

    Examples
    --------
    A customer started in month 10, at risk from 11 to 14, left in 14, complained in 12:
    rows for months 11-14, churned 0, 0, 0, 1, new_customer 1, 1, 0, 0 (new for 3 months),
    complaint 0, 1, 1, 1.
    """
    kinds = list(kinds)
    if kinds and events is None:
        raise ValueError(f"event kinds {kinds} without an events table")
    p = first.join(months, [months.m >= first.lo, months.m <= first.hi])
    p = p.select(
        "c",
        "fit",
        month=p.m,
        churned=(p.churns & (p.m == p.hi)).ifelse(1, 0),
        new_customer=(p.m - p.start_m < new_months).ifelse(1, 0),
    )
    for kind in kinds:
        hit = _flagged_months(events, kind, event_months)
        joined = p.left_join(hit, [p.c == hit.hc, p.month == hit.hm])
        p = joined.select(*p.columns, **{kind: hit.hc.notnull().ifelse(1, 0)})
    return p


def panel_counts(
    con, first, events=None, kinds: Iterable[str] = (), *, new_months: int, event_months: int
) -> dict[str, int]:
    """The totals of :func:`customer_months` over all its rows, without building them.

    The panel has a row per customer and month at risk (at 5,000,000 customers, some sixty
    million); its totals follow from the customers' rows and, one event kind at a time (one
    query each: the engine holds one kind's flagged months at once), the events' flagged
    months. Each count is what summing the panel's columns gives.

    Parameters
    ----------
    con : ibis.BaseBackend
        Where the tables are.
    first, events, kinds, new_months, event_months
        As :func:`customer_months`; every month from a customer's ``lo`` to its ``hi`` is
        one of the months studied.

    Returns
    -------
    dict
        rows (customer-months), churned, and for ``new_customer`` and each event kind
        ``<flag>__rows`` (months flagged) and ``<flag>__churned`` (months flagged in which the
        customer left); 0 when nobody is at risk.

    Examples
    --------
    The customer of :func:`customer_months`'s example: rows 4, churned 1,
    new_customer__rows 2 (months 11 and 12), new_customer__churned 0, complaint__rows 3
    (12-14), complaint__churned 1.
    """
    import ibis

    kinds = list(kinds)
    if kinds and events is None:
        raise ValueError(f"event kinds {kinds} without an events table")
    new_last = ibis.least(first.hi, first.start_m + (new_months - 1))
    queries = [
        first.aggregate(
            rows=(first.hi - first.lo + 1).sum(),
            churned=first.churns.ifelse(1, 0).sum(),
            new_customer__rows=ibis.greatest(new_last - first.lo + 1, 0).sum(),
            new_customer__churned=(first.churns & (first.hi - first.start_m < new_months))
            .ifelse(1, 0)
            .sum(),
        )
    ]
    for kind in kinds:
        hit = _flagged_months(events, kind, event_months)
        j = hit.join(first, hit.hc == first.c)
        j = j.filter((j.hm >= j.lo) & (j.hm <= j.hi))
        queries.append(
            j.aggregate(
                **{
                    f"{kind}__rows": j.count(),
                    f"{kind}__churned": (j.churns & (j.hm == j.hi)).ifelse(1, 0).sum(),
                }
            )
        )
    counts = {}
    for q in queries:
        counts |= con.to_pyarrow(q).to_pylist()[0]
    return {k: int(v or 0) for k, v in counts.items()}


def _flagged_months(events, kind: str, event_months: int):
    """hc, hm: each customer's months flagged by an event of ``kind`` (its month and the
    ``event_months - 1`` after it), once each."""
    import ibis

    e = events.filter(events.kind == kind)
    # distinct after the union: Ibis returns a union of one table (event_months 1) as it is,
    # and two events of a kind in one month would then repeat the customer's month
    return ibis.union(*[e.select(hc=e.c, hm=e.m + lag) for lag in range(event_months)]).distinct()


def to_frame(con, expr, *, sort: list[str] | None = None) -> pd.DataFrame:
    """Execute ``expr`` on ``con`` and return a pandas frame in a deterministic order.

    Day-number columns (spell_start, spell_end) become datetimes.

    Parameters
    ----------
    con : ibis.BaseBackend
    expr : ibis.Table
    sort : list of str, optional
        Columns to sort by (default: customer_id and, when present, spell_no or date).

    Returns
    -------
    DataFrame
    """
    return _frame(_fetch_sorted(con, expr, sort))


def _fetch_sorted(con, expr, sort: list[str] | None = None):
    """The result of ``expr`` as Arrow, sorted by the engine (in parallel)."""
    keys = sort or ["customer_id"] + [c for c in ("spell_no", "date") if c in expr.columns]
    return con.to_pyarrow(expr.order_by(keys))


def _frame(result) -> pd.DataFrame:
    """An Arrow result as pandas; its buffers are released column by column on the way."""
    # dates straight to datetime64 (not one Python date object per row)
    out = result.to_pandas(date_as_object=False, self_destruct=True, split_blocks=True)
    for col in ("spell_start", "spell_end"):
        if col in out:
            out[col] = pd.to_datetime(out[col].astype("int64"), unit="D")
    if "date" in out:
        out["date"] = out["date"].astype("datetime64[ns]")
    for col in ("spell_no", "purchases", "returns"):
        if col in out:
            out[col] = out[col].astype("int64")
    return out


def daily_purchases(transactions: pd.DataFrame, engine: Engine = "duckdb") -> pd.DataFrame:
    """The prepared transactions table: one row per customer and purchase day.

    Every analysis reads transactions by customer and date only (recency, purchases and spend
    in windows), so this reduction loses nothing they use and shrinks line-item data (many
    rows per order) before it is cached for the notebooks.

    Parameters
    ----------
    transactions : DataFrame
        Canonical transactions (customer_id, date, amount optional).
    engine : {"duckdb", "spark"}

    Returns
    -------
    DataFrame
        customer_id, date (datetime64), purchases, amount (when given); sorted.
    """
    return daily_purchases_in_blocks([transactions], engine)


#: The DuckDB cap of the customer-day merge of a transactions file (:func:`write_customer_days`)
#: and of the netting of its returns (the load's session): they sort and spill, and DuckDB's
#: own memory comes on top of what it counts. At 75M transactions the merge took 113 s and
#: peaked at 5.8 GB under an eighth of the RAM (3 GB), 110 s and 4.0 GB under 1 GB, 113 s and
#: 3.4 GB under 0.5 GB (docs/PERFORMANCE.md, the tenth round).
MERGE_MEMORY_BYTES = 1_000_000_000


def _bound_memory(con, spill_dir: str, most: int | None = None) -> None:
    """Cap a DuckDB connection at an eighth of the machine's memory (and at ``most`` bytes),
    spilling to ``spill_dir``."""
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    cap = min(total // 8, most or total)
    with contextlib.suppress(Exception):  # an engine that refuses keeps its defaults
        con.raw_sql(f"SET memory_limit = '{max(cap // 10**6, 500)}MB'")
        con.raw_sql(f"SET temp_directory = '{spill_dir}'")


def daily_purchases_in_blocks(
    blocks: Iterable[pd.DataFrame], engine: Engine = "duckdb"
) -> pd.DataFrame:
    """:func:`daily_purchases` of a table given in blocks of rows, holding only reduced blocks.

    Parameters
    ----------
    blocks : iterable of DataFrame
        Canonical transactions (customer_id, date, amount optional), consumed once.
    engine : {"duckdb", "spark"}

    Returns
    -------
    DataFrame
        As :func:`daily_purchases` (read from :func:`write_customer_days`'s file).
    """
    with tempfile.TemporaryDirectory(prefix="churnreport-") as tmp:
        path = write_customer_days(blocks, f"{tmp}/days.parquet", engine)
        return pd.read_parquet(path)


#: Arrow types of a customer-days file (pandas reads them as the prepared table's dtypes).
DAY_TYPES = {"date": "timestamp[ns]", "purchases": "int64", "amount": "float64", "returns": "int64"}


def write_customer_days(
    blocks: Iterable[pd.DataFrame], path, engine: Engine = "duckdb", *, sort: bool = True
):
    """Reduce a transactions table given in blocks of rows to customer-days, into a Parquet
    file; with DuckDB the rows never sit whole in pandas or in Arrow (Spark gathers the reduced
    blocks as Arrow tables).

    Each block is reduced to customer-days in the engine as it arrives; the reduced blocks are
    then merged there (purchases and amounts summed per customer and day, as one block would
    give) and streamed to ``path``, sorted by customer and date unless ``sort`` is False
    (:func:`write_days`). With DuckDB the reduced blocks wait in a temporary Parquet file and
    the merge runs under a memory cap, spilling to disk (:data:`MERGE_MEMORY_BYTES`); with
    Spark they wait as Arrow tables. A file of any length is read this way with one block of
    raw rows in memory.

    Parameters
    ----------
    blocks : iterable of DataFrame
        Canonical transactions (customer_id, date, amount optional), consumed once.
    path : str or Path
        The Parquet file to write: customer_id, date (a timestamp), purchases, and with an
        amount column amount and returns (:func:`customer_days`).
    engine : {"duckdb", "spark"}
    sort : bool, default True
        Sorted by customer and date; False: in the engine's order (:func:`write_days`).

    Returns
    -------
    Path
        ``path``.
    """
    import ibis
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = Path(path)
    spill = engine == "duckdb"
    with tempfile.TemporaryDirectory(prefix="churnreport-") as tmp:
        con, parts, writer, empty = None, [], None, None
        for frame in blocks:
            if frame.empty:
                empty = frame
                continue
            if con is None:
                con = connect(engine)
                if spill:
                    _bound_memory(con, tmp, MERGE_MEMORY_BYTES)
            part = con.to_pyarrow(customer_days(table(frame)))
            if spill:
                writer = writer or pq.ParquetWriter(f"{tmp}/days.parquet", part.schema)
                writer.write_table(part.cast(writer.schema))
            parts.append(len(part) if spill else part)  # DuckDB: the rows are in the file
        if not parts:
            amount = empty is None or "amount" in empty
            cols = ["customer_id", "date", "purchases", *(["amount", "returns"] if amount else [])]
            schema = _day_schema(pa.schema([(c, pa.string()) for c in cols]))
            pq.write_table(schema.empty_table(), path)
            return path
        if spill:
            writer.close()
            days = con.read_parquet(f"{tmp}/days.parquet")
        else:
            days = ibis.memtable(pa.concat_tables(parts))
        if len(parts) > 1:
            aggs = {"purchases": days.purchases.sum()}
            if "amount" in days.columns:
                aggs["amount"] = days.amount.sum()
                aggs["returns"] = days.returns.sum()
            days = days.group_by(["customer_id", "date"]).aggregate(**aggs)
        del parts  # Spark: the reduced blocks are in the memtable
        write_days(con, days, path, sort=sort)
        if spill:  # our own DuckDB (a Spark backend's disconnect would stop the session)
            con.disconnect()
    return path


def _day_schema(schema):
    """``schema`` with the customer-day columns typed as :data:`DAY_TYPES` (the rest as
    they are: the id stays text)."""
    import pyarrow as pa

    return pa.schema([pa.field(f.name, DAY_TYPES.get(f.name, f.type)) for f in schema])


def write_days(con, days, path, *, sort: bool = True) -> Path:
    """Write customer-days ``days`` (an Ibis table on ``con``) to the Parquet file ``path``,
    batch by batch, typed as :data:`DAY_TYPES`.

    Parameters
    ----------
    con : ibis.BaseBackend
    days : ibis.Table
    path : str or Path
    sort : bool, default True
        Sorted by customer and date; False: in the engine's order, for a file the caller
        rewrites sorted anyway (each sort of 75 million customer-days takes seconds).

    Returns
    -------
    Path
        ``path``.
    """
    import pyarrow.parquet as pq

    columns = [c for c in ("customer_id", *DAY_TYPES) if c in days.columns]  # one order
    days = days.select(*columns)
    reader = con.to_pyarrow_batches(days.order_by(["customer_id", "date"]) if sort else days)
    schema = _day_schema(reader.schema)
    with pq.ParquetWriter(path, schema) as writer:
        for batch in reader:
            writer.write_batch(batch.cast(schema))
    return Path(path)


def drop_file_column(path, column: str) -> None:
    """Rewrite the Parquet file ``path`` without ``column`` (when it has one)."""
    import pyarrow.parquet as pq

    data = pq.read_table(path)
    if column in data.column_names:
        pq.write_table(data.drop_columns([column]), path)


def write_days_frame(days: pd.DataFrame, path) -> None:
    """Write a pandas frame of customer-days, already sorted, as :func:`write_days` does."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    data = pa.Table.from_pandas(days, preserve_index=False)
    pq.write_table(data.cast(_day_schema(data.schema)), path)
