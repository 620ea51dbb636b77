"""From a config to a validated :class:`Dataset`: read, map, validate, derive spells."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from churnreport.config import ReportConfig, SourceConfig, redact_connection
from churnreport.data import engine, sources
from churnreport.data.contract import (
    COMPACT_STRING,
    check_excluded_share,
    conform,
    parse_bool,
    required_columns,
    resolve_mapping,
)
from churnreport.data.engine import start_spark, write_customer_days
from churnreport.data.keys import check_customers_active, join_customers
from churnreport.data.prepare import (
    attach_churn_events,
    censor_at,
    customer_table,
    drop_duplicate_rows,
    net_returns,
    note_overlapping_subscriptions,
    revenue_intervals,
    spells_from_intervals,
    spells_from_purchases,
    spells_from_snapshot,
)
from churnreport.data.pushdown import reduce_in_database
from churnreport.data.quality import DataQuality, Issue, masked_error
from churnreport.data.shape import needed_columns, shaped_header
from churnreport.data.sources import SourceFile, open_database, read_database, read_source
from churnreport.data.spellings import note_similar_levels
from churnreport.errors import ConfigError, InputError
from churnreport.periods import last_complete_period_end, observed_from, to_period


@dataclass
class Dataset:
    """The canonical tables of one run.

    Attributes
    ----------
    customers : DataFrame
        One row per customer: customer_id, start_date, end_date (missing = active on as_of),
        churned, spells, then the mapped attributes and extra source columns.
    spells : DataFrame
        customer_id, spell_start, spell_end (missing = active), spell_no.
    as_of : date
        The report date.
    definition : str
        Churn definition used (contract, inactivity, snapshot).
    quality : DataQuality
        Row accounting and issues.
    tables : mapping
        Other canonical tables present (subscriptions, transactions, tickets, staff), and
        ``revenue`` (customer_id, start, end, mrr) when recurring revenue is known. A
        :class:`LazyTables` (a file read on first use): after :func:`load_dataset` the
        transactions wait in their file of customer-days, the others are in pandas; in a
        notebook every table waits in the run's cache.

    inputs : dict
        Source table -> {path, sha256, bytes}.
    observed_from : date or None
        Purchase histories: the first day of the first period whose churn the history fully
        shows (:func:`churnreport.periods.observed_from`); earlier periods are left out of every
        period table. None: every period is observed.
    """

    customers: pd.DataFrame
    spells: pd.DataFrame
    as_of: dt.date
    definition: str
    quality: DataQuality
    tables: Mapping[str, pd.DataFrame] = field(default_factory=dict)
    inputs: dict[str, dict] = field(default_factory=dict)
    observed_from: dt.date | None = None


def load_dataset(config: ReportConfig) -> Dataset:
    """Read every configured source and build the canonical tables.

    Parameters
    ----------
    config : ReportConfig

    Returns
    -------
    Dataset

    Raises
    ------
    InputError
        Any input problem that cannot be repaired unambiguously (see data.contract), ids that
        do not match across tables (data.keys). With ``pii: mask`` the example values of the
        error and of the data-quality record are hidden (row numbers kept).
    ConfigError
        ``segments`` or ``drivers.include`` name a column the customers table lacks, or
        ``as_of`` lies after today or beyond the data (:func:`_check_as_of`).
    """
    try:
        ds = _load(config)
    except InputError as exc:
        if config.pii != "mask":
            raise
        raise masked_error(exc) from None
    if config.pii == "mask":  # the record's examples too (validate prints them)
        ds.quality.mask_examples()
    return ds


def _load(config: ReportConfig) -> Dataset:
    # the customer-days of the transactions wait in a file there, never whole in pandas; the
    # dataset's tables hold the folder, removed with them (or at once when the load fails)
    work = tempfile.TemporaryDirectory(prefix="churnreport-prepare-")
    try:
        return _load_into(config, Path(work.name), work)
    except BaseException:
        work.cleanup()
        raise


def _load_into(config: ReportConfig, folder: Path, work: object) -> Dataset:
    if config.engine == "spark":  # the session the engine's expressions then run in
        start_spark(config.spark_settings())
    quality = DataQuality()
    definition = config.churn.definition
    configured = set(config.sources)
    tables: dict[str, pd.DataFrame] = {}
    inputs: dict[str, dict] = {}
    first_rows: dict[str, int] = {}  # transactions: first row of ids not in customers
    files: dict[str, Path] = {}
    # customers first: the other tables' ids are checked against it
    for table in sorted(config.sources, key=lambda t: t != "customers"):
        source = config.sources[table]
        if table == "transactions":  # the long table: never read whole (_read_transactions)
            known = tables["customers"]["customer_id"] if "customers" in tables else None
            files[table], inputs[table] = _read_transactions(
                config, quality, folder, known, first_rows
            )
            continue
        path = config.source_path(table)
        if path is None:
            raw = read_database(
                config.source_connection(table), source.sql, os.environ.get(source.password_env)
            )
            inputs[table] = {
                "connection": redact_connection(config.source_connection(table)),
                "sql": source.sql,
                "rows": len(raw.frame),
                "sha256": _frame_sha256(raw.frame),
            }
        else:
            raw = read_source(path, **source.file_options())
            inputs[table] = _file_input(path)
        tables[table] = conform(
            raw,
            table,
            source,
            required_columns(table, definition, configured),
            quality,
            max_excluded_share=config.max_excluded_share,
        )
        # a subscription or a departure listed twice counts once (tickets are dated to the day:
        # two same-day tickets of one kind may both be real)
        if table in ("subscriptions", "staff"):
            tables[table] = drop_duplicate_rows(tables[table], table, quality)
        if table == "customers":
            _check_named_columns(config, list(tables[table].columns))
    customers_src = tables.pop("customers", None)
    if customers_src is not None:
        ids = customers_src["customer_id"]
        _join_tables(config, ids, tables, files, quality, first_rows, folder)
    on_disk = LazyTables(files)  # what the steps below read of the customer-days

    if definition == "snapshot":
        as_of = config.as_of
        if config.churn.tenure_unit == "years":
            customers_src["tenure_months"] = customers_src["tenure_months"] * 12
        spells = spells_from_snapshot(customers_src, as_of)
    else:
        if definition == "inactivity":
            with engine.session(config.engine) as con:
                days = engine.read(con, on_disk, "transactions")  # None: no purchase day
                spells = spells_from_purchases(
                    on_disk["transactions"] if days is None else days,
                    config.churn.inactivity_days,
                    config.engine,
                    con=con,
                )
                source_for_dates = _latest_dates(con, days)
        elif "subscriptions" in tables:
            subs = tables["subscriptions"]
            spells = spells_from_intervals(subs, config.churn.reactivation_gap_days)
            source_for_dates = pd.concat([subs["start_date"], subs["end_date"]])
        else:
            spells = spells_from_intervals(customers_src, config.churn.reactivation_gap_days)
            source_for_dates = pd.concat([customers_src["start_date"], customers_src["end_date"]])
        if customers_src is not None:
            check_customers_active(
                customers_src,
                spells["customer_id"],
                quality,
                label=config.source_label("customers"),
                column=_source_column(config, "customers", "customer_id"),
                activity="purchase" if definition == "inactivity" else "subscription",
                max_excluded_share=config.max_excluded_share,
            )
        if config.as_of is not None:
            _check_as_of(config, source_for_dates)
        as_of = config.as_of or _default_as_of(source_for_dates, config.period)
        spells = censor_at(spells, as_of, quality)
    if spells.empty:
        src = config.source_label("customers" if customers_src is not None else "transactions")
        raise InputError(src, f"no customer was active on or before the report date {as_of}")
    customers = customer_table(customers_src, spells, quality)
    if customers_src is None:
        _check_named_columns(config, list(customers.columns))
    if definition != "snapshot" and customers_src is not None and "churned" in customers_src:
        _compare_stated_churn(
            customers_src,
            customers,
            quality,
            _source_column(config, "customers", "churned"),
            inactivity_days=config.churn.inactivity_days if definition == "inactivity" else None,
        )
    _bad_standing_flags(config, customers)
    if customers_src is not None and config.pii != "mask":  # the note quotes data values
        note_similar_levels(customers_src, quality)
    events = tables.pop("churn_events", None)
    if events is not None:
        customers = attach_churn_events(customers, events, as_of, quality)
    if customers_src is not None:
        tq = quality.tables["customers"]

        tq.rows_kept = tq.rows_read - quality.excluded("customers")
    revenue = revenue_intervals(
        customers,
        spells,
        tables.get("subscriptions"),
        as_of,
        # read only where they are the revenue (a purchase history): a file of millions of rows
        transactions=(lambda: on_disk["transactions"]) if "transactions" in on_disk else None,
        window_days=config.churn.inactivity_days if definition == "inactivity" else None,
    )

    if revenue is not None:
        tables["revenue"] = revenue
    if "subscriptions" in tables and definition != "snapshot":
        note_overlapping_subscriptions(tables["subscriptions"], as_of, quality)
    start = None
    if definition == "inactivity":  # the first window of a purchase history is censored
        first = pd.Timestamp(spells["spell_start"].min()).date()
        start = observed_from(first, config.churn.inactivity_days, config.period)
        report_start = to_period(as_of, config.period).start_time.date()
        if report_start < start:  # the report period itself cannot show who left
            raise InputError(
                config.source_label("transactions"),
                f"the purchase history starts on {first}: with churn after "
                f"{config.churn.inactivity_days} days without a purchase, churn can be counted "
                f"only from {start}, after the report period starting {report_start}",
                hint="give a longer history, a later as_of, or a shorter churn.inactivity_days",
            )
    tables = LazyTables(files, frames=tables, keep=work)
    return Dataset(customers, spells, as_of, definition, quality, tables, inputs, start)


def _read_transactions(
    config: ReportConfig,
    quality: DataQuality,
    work: Path,
    customer_ids: pd.Series | None = None,
    first_rows: dict[str, int] | None = None,
) -> tuple[Path, dict]:
    """The transactions table as a Parquet file of customer-days (in ``work``), and its input
    record; never read whole. With DuckDB the customer-days never sit whole in pandas (a
    typed database table hands them over from its own database; Spark reads the file).

    A file is read in blocks (only the mapped columns parsed); each block is conformed like any
    table (same checks, row numbers as in the file) and reduced to customer-days in the engine;
    the blocks' data-quality records are summed. A database table whose columns are typed is
    checked and reduced inside the database (data.pushdown); otherwise it is streamed in blocks
    like a file. Ids not in ``customer_ids`` are noted in ``first_rows`` with the first row
    holding them (examples for data.keys). Returns are netted by the engine
    (:func:`~churnreport.data.prepare.net_returns`).
    """
    source = config.sources["transactions"]
    required = required_columns("transactions", config.churn.definition, set(config.sources))
    path = config.source_path("transactions")
    days = work / "customer_days.parquet"
    if path is None:
        connection = config.source_connection("transactions")
        password = os.environ.get(source.password_env)
        with open_database(connection, source.sql, password) as db:
            label, header, where = db.label, list(db.expr.columns), "database"
            mapping = resolve_mapping(
                shaped_header(header, source), "transactions", source, required, label
            )
            reduced = (
                None
                if source.derive or source.leave_out  # shaped row by row: in blocks
                else reduce_in_database(
                    db, source, mapping, quality, max_excluded_share=config.max_excluded_share
                )
            )
            written_sorted = True  # its hash is in the record
            if reduced is None:  # not typed for the checks in SQL: the contract's, block by block
                blocks = db.blocks(_read_columns(mapping, source, header))
                _conformed_days(
                    config, source, required, blocks, quality, days, customer_ids, first_rows,
                    sort=written_sorted,
                )  # fmt: skip
                where = "engine"
            else:
                engine.write_days_frame(reduced, days)
        record = {
            "connection": redact_connection(connection),
            "sql": source.sql,
            "rows": quality.tables["transactions"].rows_read,
            "reduced_in": where,
            "sha256_of_customer_days": _sha256(days),
        }
    else:
        reader = SourceFile(path, **source.file_options())
        label, header = path, reader.header
        mapping = resolve_mapping(
            shaped_header(header, source), "transactions", source, required, label
        )
        blocks = reader.blocks(_read_columns(mapping, source, header))
        written_sorted = False  # sorted once, below
        _conformed_days(
            config, source, required, blocks, quality, days, customer_ids, first_rows,
            sort=written_sorted,
        )  # fmt: skip
        record = _file_input(path)
    rows = quality.tables["transactions"].rows_read
    check_excluded_share(quality, "transactions", rows, label, mapping, config.max_excluded_share)
    # returns netted (a deliberate exclusion: counted, never a stop) and the days sorted, under
    # the merge's cap
    with engine.session(config.engine, most_memory=engine.MERGE_MEMORY_BYTES) as con:
        found = engine.read(con, LazyTables({"transactions": days}), "transactions")
        if found is not None and ("returns" in found.columns or not written_sorted):
            kept = engine.write_days(
                con, net_returns(con, found, quality), work / "purchase_days.parquet"
            )
            days.unlink()
            days = kept
        elif found is None:  # no purchase day: the table's columns, as netted ones would be
            engine.drop_file_column(days, "returns")
    read = set(mapping.values()) | needed_columns(source)  # derive and leave_out read some
    unused = [c for c in header if c and c not in read]
    quality.add(  # every row's unused columns: named in the column field
        Issue(
            "transactions",
            ", ".join(unused[:5]) + (", ..." if len(unused) > 5 else "") if unused else None,
            "note",
            "columns_not_used",
            rows if unused else 0,
            detail="columns not read: transactions are reduced to purchases and spend per "
            f"customer and day ({unused})",
        )
    )
    return days, record


def _final_days(
    config: ReportConfig,
    days: Path,
    customer_ids: pd.Series,
    quality: DataQuality,
    first_rows: dict[str, int],
    work: Path,
) -> Path:
    """The customer-days file with its ids matched to the customers table (data.keys).

    The ids are checked once per distinct id (its purchases as the rows it stands for) and
    the outcome, ids matched by number or rows of unknown customers left out, is applied to
    the file by the engine; the file is rewritten only when an id changes or a row goes.
    """
    with engine.session(config.engine) as con:
        found = engine.read(con, LazyTables({"transactions": days}), "transactions")
        if found is None:
            return days
        per_id = con.execute(
            found.group_by("customer_id")
            .aggregate(purchases=found.purchases.sum())
            .order_by("customer_id")
        )
        matched = join_customers(
            per_id,
            "transactions",
            customer_ids,
            quality,
            label=config.source_label("transactions"),
            column=_source_column(config, "transactions", "customer_id"),
            keep_unknown=config.churn.definition in _MAKE_CUSTOMERS["transactions"],
            max_excluded_share=config.max_excluded_share,
            weights=per_id["purchases"],
            first_rows=first_rows,
            mask=config.pii == "mask",
        )
        before = per_id.loc[matched.index, "customer_id"].to_numpy(dtype=object)
        after = matched["customer_id"].astype(str).to_numpy(dtype=object)
        if len(matched) == len(per_id) and (before == after).all():
            return days
        ids = engine.frame_table(pd.DataFrame({"_from": before, "_to": after}), ["_from", "_to"])
        joined = found.inner_join(ids, found.customer_id == ids._from)
        rest = [c for c in found.columns if c != "customer_id"]
        fixed = joined.select(customer_id=joined._to, **{c: joined[c] for c in rest})
        matched_days = engine.write_days(con, fixed, work / "matched_days.parquet")
    days.unlink()
    return matched_days


def _latest_dates(con, days) -> pd.Series:
    """The latest purchase day, and the latest up to today: all that :func:`_check_as_of` and
    :func:`_default_as_of` read of the purchase dates (``days``: an Ibis table on ``con``, or
    None)."""
    if days is None:
        return pd.Series(dtype="datetime64[ns]")
    import ibis

    today = ibis.timestamp(dt.datetime.combine(dt.date.today(), dt.time()))
    date = days.date.cast("timestamp")
    found = con.execute(
        days.aggregate(latest=date.max(), until_today=date.max(where=date <= today))
    )
    return pd.to_datetime(pd.Series([found["until_today"].iloc[0], found["latest"].iloc[0]]))


def _read_columns(mapping: dict[str, str], source: SourceConfig, header: list[str]) -> list[str]:
    """The source columns a block must hold: the mapped ones the file has, and those its
    derived columns and leave_out rules read."""
    wanted = {c for c in mapping.values() if c in header} | needed_columns(source)
    return [c for c in header if c in wanted]


def _conformed_days(
    config: ReportConfig,
    source,
    required: list[str],
    blocks,
    quality: DataQuality,
    days: Path,
    customer_ids: pd.Series | None = None,
    first_rows: dict[str, int] | None = None,
    sort: bool = True,
) -> Path:
    """Conform blocks of raw transactions one at a time and reduce them to customer-days in
    the file ``days``, sorted unless ``sort`` is False (noting in ``first_rows`` the first row
    of up to 1,000 ids not in ``customer_ids``)."""
    # looked up through one hash table built once (isin would build one per block)
    known = None if customer_ids is None else pd.Index(customer_ids.astype(object)).unique()

    def conformed():
        for i, block in enumerate(blocks):
            record = DataQuality()
            try:
                frame = conform(
                    block, "transactions", source, required, record, max_excluded_share=1
                )
            except InputError as exc:
                if i == 0 and len(block.frame) < sources.BLOCK_ROWS:  # the table was one block
                    raise
                raise _in_block(exc, block.frame.index) from None
            if known is not None and first_rows is not None and len(first_rows) < 1000:
                ids = frame["customer_id"]
                odd = ids[known.get_indexer(ids.astype(object)) < 0].drop_duplicates()
                for row, v in odd.head(1000 - len(first_rows)).items():
                    first_rows.setdefault(v, int(row))
            yield frame
            quality.absorb(record)

    return write_customer_days(conformed(), days, config.engine, sort=sort)


def _source_column(config: ReportConfig, table: str, canonical: str) -> str:
    """The source's name of a canonical column (itself when not mapped)."""
    return config.sources[table].columns.get(canonical, canonical)


#: Segment dimensions the analysis derives (analysis.segments.segment_dimensions).
DERIVED_SEGMENTS = ("tenure_band", "age_band", "value_class", "rfm_group")


def _check_named_columns(config: ReportConfig, columns: list[str]) -> None:
    """``segments`` and ``drivers.include`` must name columns of the customers table.

    Raises
    ------
    ConfigError
        Naming the setting, the missing columns and the columns there are.
    """
    have = {*columns, "start_date", "end_date", "churned", "spells", *DERIVED_SEGMENTS}
    source = config.sources.get("customers")
    mapped = {src: canon for canon, src in source.columns.items()} if source else {}
    where = (
        config.source_label("customers")
        if "customers" in config.sources
        else "the customers derived from the transactions (no customers source)"
    )
    for setting, names in (
        ("segments", config.segments),
        ("drivers.include", config.drivers.include),
    ):
        missing = [n for n in names if n not in have]
        if "age_band" in names and "age" not in columns:  # derived from age: needs the column
            missing.append("age_band (derived from an age column)")
        if missing:
            renamed = [f"'{n}' is mapped to '{mapped[n]}'" for n in missing if n in mapped]
            raise ConfigError(
                f"{setting}: column(s) {missing} are not in the customers table ({where})"
                + (f"; {', '.join(renamed)}: name it so" if renamed else "")
                + f"; its columns are {[str(c) for c in columns]} (mapped columns by their "
                f"canonical name), and {list(DERIVED_SEGMENTS)} are derived"
            )


#: Tables whose rows of customers missing from the customers table make customers of their own
#: (kept, with empty attributes); elsewhere such rows cannot be related to anyone (excluded).
_MAKE_CUSTOMERS = {"subscriptions": ("contract",), "transactions": ("inactivity",)}


def _join_tables(
    config: ReportConfig,
    customer_ids: pd.Series,
    tables: dict[str, pd.DataFrame],
    files: dict[str, Path],
    quality: DataQuality,
    first_rows: dict[str, int],
    work: Path,
) -> None:
    """Match every table's customer ids to the customers table's, in the sources' order
    (in place; data.keys); the customer-days file through :func:`_final_days`."""
    for table in config.sources:
        if table in files:
            files[table] = _final_days(
                config, files[table], customer_ids, quality, first_rows, work
            )
        elif table in tables and "customer_id" in tables[table].columns:
            tables[table] = join_customers(
                tables[table],
                table,
                customer_ids,
                quality,
                label=config.source_label(table),
                column=_source_column(config, table, "customer_id"),
                keep_unknown=config.churn.definition in _MAKE_CUSTOMERS.get(table, ()),
                max_excluded_share=config.max_excluded_share,
                mask=config.pii == "mask",
            )


def _check_as_of(config: ReportConfig, dates: pd.Series) -> None:
    """A configured report date must not lie after today, nor (purchase data) beyond the data.

    With the inactivity definition, as_of may be at most the end of the period after the one
    holding the latest purchase: later, every customer would lapse for want of data, not of
    purchases. Contract data has no such horizon (a book where nobody joined or left for
    months is complete), so only the first rule applies to it.

    Raises
    ------
    ConfigError
        Naming as_of and the date it exceeds.
    """
    as_of, today = config.as_of, dt.date.today()
    if as_of > today:
        raise ConfigError(
            f"as_of {as_of} is after today ({today}): the data cannot tell what happens then; "
            "set as_of to a date the data covers, or leave it out (the last complete "
            f"{config.period} in the data)"
        )
    latest = dates.dropna().max()
    if config.churn.definition != "inactivity" or pd.isna(latest):
        return
    horizon = (to_period(latest, config.period) + 1).end_time.normalize().date()
    if as_of > horizon:
        raise ConfigError(
            f"as_of {as_of} is more than one {config.period} after the latest purchase in the "
            f"data ({latest.date()}, {config.source_label('transactions')}): every customer "
            f"would count as lapsed for want of data; use an as_of up to {horizon}, or leave "
            "it out"
        )


def _in_block(exc: InputError, rows: pd.Index) -> InputError:
    """A block's error saying which rows its count covers (the table is read block by block)."""
    where = f" (counted in rows {rows[0]:,}-{rows[-1]:,}: the table is checked block by block "
    where += "and the rows after these were not read)"
    return InputError(exc.path, exc.problem + where, exc.column, exc.rows, exc.hint)


def _file_input(path: Path) -> dict:
    return {"path": str(path), "sha256": _sha256(path), "bytes": path.stat().st_size}


def _frame_sha256(frame: pd.DataFrame) -> str:
    return hashlib.sha256(
        pd.util.hash_pandas_object(frame.astype(str), index=False).to_numpy()
    ).hexdigest()


def _bad_standing_flags(config: ReportConfig, customers: pd.DataFrame) -> None:
    """Type the ``winback.bad_standing`` column as yes/no (in place); it must exist."""
    column = config.winback.bad_standing
    if column is None:
        return
    if column not in customers.columns:
        raise ConfigError(
            f"winback.bad_standing: column {column!r} is not in the customers table "
            f"(columns: {', '.join(map(str, customers.columns))})"
        )
    customers[column] = parse_bool(
        customers[column], config.source_label("customers"), column
    ).fillna(False)


def _compare_stated_churn(
    source: pd.DataFrame,
    customers: pd.DataFrame,
    quality: DataQuality,
    column: str,
    inactivity_days: int | None = None,
) -> None:
    """Count customers whose stated churn flag disagrees with their dates (kept, dates win).

    The note's evidence (how many customers each source calls churned) feeds the summary's
    ``tables_disagree`` data check. Under the inactivity definition (``inactivity_days``) the
    flag is compared with churn by days without a purchase, a difference by design: a note of
    its own, no data check.
    """
    stated = source.set_index("customer_id")["churned"].dropna().astype(bool)
    derived = customers.set_index("customer_id")["churned"].reindex(stated.index)
    known = derived.notna()
    differ = stated[known] != derived[known].astype(bool)
    if differ.any():
        ids = differ[differ].index[:5]
        quality.add(
            Issue(
                "customers",
                "churned",
                "note",
                "stated_churn_disagrees_with_dates"
                if inactivity_days is None
                else "stated_churn_differs_from_inactivity",
                int(differ.sum()),
                [
                    (int(source.index[source["customer_id"] == i][0]), f"{i}: flag {stated[i]}")
                    for i in ids
                ],
                "the churn flag in the customers source disagrees with the subscription dates "
                "for these customers; the dates are used"
                if inactivity_days is None
                else f"the churn flag in the customers source differs from churn by "
                f"{inactivity_days} days without a purchase for these customers; the report "
                "follows the days without a purchase",
                evidence={
                    "column": column,
                    "customers": int(known.sum()),
                    "flag_churned": int(stated[known].sum()),
                    "dates_churned": int(derived[known].astype(bool).sum()),
                },
            )
        )


def _default_as_of(dates: pd.Series, period: str) -> dt.date:
    """End of the last complete period in the data (dates after today are ignored)."""
    today = pd.Timestamp(dt.date.today())
    dates = dates.dropna()
    dates = dates[dates <= today]
    if dates.empty:
        return last_complete_period_end(today, period)
    return last_complete_period_end(dates.max(), period)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def save_tables(ds: Dataset, directory: Path) -> None:
    """Write the dataset to ``directory`` as Parquet (the runner's cache for notebooks)."""
    directory.mkdir(parents=True, exist_ok=True)
    ds.customers.to_parquet(directory / "customers.parquet")
    ds.spells.to_parquet(directory / "spells.parquet")
    for name in ds.tables:
        file = getattr(ds.tables, "parquet_file", lambda _: None)(name)
        if file is not None:  # waiting on disk (the customer-days): copied, never read
            shutil.copyfile(file, directory / f"{name}.parquet")
        else:
            ds.tables[name].to_parquet(directory / f"{name}.parquet")
    meta = {
        "as_of": ds.as_of.isoformat(),
        "definition": ds.definition,
        "observed_from": ds.observed_from.isoformat() if ds.observed_from else None,
        "inputs": ds.inputs,
        "quality": ds.quality.to_dict(),
    }
    (directory / "dataset.json").write_text(json.dumps(meta, indent=1, default=str))


@dataclass(frozen=True)
class SavedDataset:
    """What :func:`load_and_save` hands back besides the saved tables.

    Attributes
    ----------
    dataset : Dataset
        The dataset without its rows: customers and spells empty (their columns kept), no
        other tables; as_of, definition, quality, inputs and observed_from as loaded.
    profile : dict
        :func:`churnreport.data.profile.data_profile` of the whole dataset.
    table_bytes : float
        The memory the customer and spell tables took in pandas, text included (estimated
        from a sample of rows): what a notebook's work frames scale with.
    """

    dataset: Dataset
    profile: dict
    table_bytes: float


def load_and_save(config: ReportConfig, folder: Path) -> SavedDataset:
    """Load the data, save its canonical tables to ``folder / "prepared"`` for the notebooks
    (:func:`save_tables`) and hand back the rest.

    Meant for a process of its own (a run does so): the load's peak memory, gigabytes at
    millions of customers, and what the allocator keeps of it afterwards leave with that
    process instead of staying beside the notebooks' kernels. While it runs, temporary files
    go to ``folder / "tmp"``, so the caller that removes ``folder`` leaves nothing behind
    even when the process is killed.

    Parameters
    ----------
    config : ReportConfig
    folder : Path
        A folder of the caller's, removed by it.

    Returns
    -------
    SavedDataset

    Raises
    ------
    InputError, ConfigError
        As :func:`load_dataset`.
    """
    from churnreport.data.profile import data_profile

    tmp = folder / "tmp"
    tmp.mkdir(parents=True, exist_ok=True)
    before, tempfile.tempdir = tempfile.tempdir, str(tmp)
    try:
        data = load_dataset(config)
        save_tables(data, folder / "prepared")
        profile = data_profile(data)
        size = _frame_bytes(data.customers) + _frame_bytes(data.spells)
    finally:
        tempfile.tempdir = before
    return SavedDataset(
        replace(
            data,
            customers=data.customers.iloc[:0].copy(),  # a copy: a view keeps the whole arrays
            spells=data.spells.iloc[:0].copy(),
            tables={},
        ),
        profile,
        size,
    )


def _frame_bytes(frame: pd.DataFrame, sample: int = 20_000) -> float:
    """A frame's memory with its text, estimated from a sample of rows (a full count reads
    every string of millions of rows)."""
    if frame.empty:
        return 0.0
    part = frame.sample(min(len(frame), sample), random_state=0)
    return float(part.memory_usage(deep=True, index=False).sum()) / len(part) * len(frame)


class LazyTables(Mapping):
    """The cached tables of a run, each read from its Parquet file on first use.

    A notebook holds only the tables its chapter reads: the transactions of a large sample
    (millions of rows) stay on disk in the chapters that never look at them.

    Parameters
    ----------
    paths : dict
        Table name -> Parquet file.
    frames : dict, optional
        Tables already in pandas (table name -> DataFrame).
    keep : object, optional
        Held as long as the tables are (the temporary directory holding the files).
    """

    def __init__(
        self,
        paths: dict[str, Path],
        frames: dict[str, pd.DataFrame] | None = None,
        keep: object = None,
    ):
        self._frames: dict[str, pd.DataFrame] = dict(frames or {})
        self._paths = {n: p for n, p in paths.items() if n not in self._frames}
        self._keep = keep

    def parquet_file(self, name: str) -> Path | None:
        """The file of table ``name`` while it has not been read into pandas (an engine
        reads it there itself); None once read, or for no such table."""
        return None if name in self._frames else self._paths.get(name)

    def __getitem__(self, name: str) -> pd.DataFrame:
        if name not in self._frames:
            self._frames[name] = read_table(self._paths[name])
        return self._frames[name]

    def __iter__(self):
        return iter([*self._paths, *(n for n in self._frames if n not in self._paths)])

    def __len__(self) -> int:
        return len(self._paths.keys() | self._frames.keys())

    def __contains__(self, name: object) -> bool:
        return name in self._paths or name in self._frames


def read_table(path: Path) -> pd.DataFrame:
    """A table :func:`save_tables` wrote, its text columns compact (:data:`COMPACT_STRING`).

    Parameters
    ----------
    path : Path
        The Parquet file.

    Returns
    -------
    DataFrame
    """
    # the file records which columns were pandas strings; they are made with this storage
    # straight from the Arrow buffers (3-5 times faster than Python objects), other columns
    # as they were (the option is the process's: tables are read on the main thread only)
    with pd.option_context("mode.string_storage", COMPACT_STRING.storage):
        return pd.read_parquet(path)


def read_tables(directory: Path) -> Dataset:
    """Inverse of :func:`save_tables` (the optional tables are read when first used)."""
    meta = json.loads((directory / "dataset.json").read_text())
    tables = LazyTables(
        {
            p.stem: p
            for p in sorted(directory.glob("*.parquet"))
            if p.stem not in ("customers", "spells")
        }
    )
    return Dataset(
        customers=read_table(directory / "customers.parquet"),
        spells=read_table(directory / "spells.parquet"),
        as_of=dt.date.fromisoformat(meta["as_of"]),
        definition=meta["definition"],
        quality=DataQuality.from_dict(meta["quality"]),
        tables=tables,
        inputs=meta["inputs"],
        observed_from=dt.date.fromisoformat(meta["observed_from"])
        if meta.get("observed_from")
        else None,
    )
