"""From a config to a validated :class:`Dataset`: read, map, validate, derive spells."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from churnreport.config import ReportConfig
from churnreport.data import sources
from churnreport.data.contract import (
    check_excluded_share,
    conform,
    parse_bool,
    required_columns,
    resolve_mapping,
)
from churnreport.data.engine import daily_purchases_in_blocks
from churnreport.data.prepare import (
    attach_churn_events,
    censor_at,
    customer_table,
    revenue_intervals,
    spells_from_intervals,
    spells_from_purchases,
    spells_from_snapshot,
)
from churnreport.data.pushdown import reduce_in_database
from churnreport.data.quality import DataQuality, Issue
from churnreport.data.sources import SourceFile, open_database, read_database, read_source
from churnreport.errors import ConfigError, InputError
from churnreport.periods import last_complete_period_end


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
        ``revenue`` (customer_id, start, end, mrr) when recurring revenue is known. A dict
        after :func:`load_dataset`; :class:`LazyTables` (read on first use) in a notebook.

    inputs : dict
        Source table -> {path, sha256, bytes}.
    """

    customers: pd.DataFrame
    spells: pd.DataFrame
    as_of: dt.date
    definition: str
    quality: DataQuality
    tables: Mapping[str, pd.DataFrame] = field(default_factory=dict)
    inputs: dict[str, dict] = field(default_factory=dict)


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
        Any input problem that cannot be repaired unambiguously (see data.contract).
    """
    quality = DataQuality()
    definition = config.churn.definition
    configured = set(config.sources)
    tables: dict[str, pd.DataFrame] = {}
    inputs: dict[str, dict] = {}
    for table, source in config.sources.items():
        if table == "transactions":  # the long table: never read whole (_read_transactions)
            tables[table], inputs[table] = _read_transactions(config, quality)
            continue
        path = config.source_path(table)
        if path is None:
            raw = read_database(
                config.source_connection(table), source.sql, os.environ.get(source.password_env)
            )
            inputs[table] = {
                "connection": config.source_connection(table),
                "sql": source.sql,
                "rows": len(raw.frame),
                "sha256": _frame_sha256(raw.frame),
            }
        else:
            raw = read_source(
                path, sheet=source.sheet, header_row=source.header_row, encoding=source.encoding
            )
            inputs[table] = _file_input(path)
        tables[table] = conform(
            raw,
            table,
            source,
            required_columns(table, definition, configured),
            quality,
            max_excluded_share=config.max_excluded_share,
        )
    customers_src = tables.pop("customers", None)

    if definition == "snapshot":
        as_of = config.as_of
        if config.churn.tenure_unit == "years":
            customers_src["tenure_months"] = customers_src["tenure_months"] * 12
        spells = spells_from_snapshot(customers_src, as_of)
    else:
        if definition == "inactivity":
            spells = spells_from_purchases(
                tables["transactions"], config.churn.inactivity_days, config.engine
            )
            source_for_dates = tables["transactions"]["date"]
        elif "subscriptions" in tables:
            subs = tables["subscriptions"]
            spells = spells_from_intervals(subs, config.churn.reactivation_gap_days)
            source_for_dates = pd.concat([subs["start_date"], subs["end_date"]])
        else:
            spells = spells_from_intervals(customers_src, config.churn.reactivation_gap_days)
            source_for_dates = pd.concat([customers_src["start_date"], customers_src["end_date"]])
        as_of = config.as_of or _default_as_of(source_for_dates, config.period)
        spells = censor_at(spells, as_of, quality)
    if spells.empty:
        src = config.source_label("customers" if customers_src is not None else "transactions")
        raise InputError(src, f"no customer was active on or before the report date {as_of}")
    customers = customer_table(customers_src, spells, quality)
    if definition != "snapshot" and customers_src is not None and "churned" in customers_src:
        _compare_stated_churn(customers_src, customers, quality)
    _bad_standing_flags(config, customers)
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
        transactions=tables.get("transactions"),
        window_days=config.churn.inactivity_days if definition == "inactivity" else None,
    )

    if revenue is not None:
        tables["revenue"] = revenue
    return Dataset(customers, spells, as_of, definition, quality, tables, inputs)


def _read_transactions(config: ReportConfig, quality: DataQuality) -> tuple[pd.DataFrame, dict]:
    """The transactions table as customer-days, and its input record; never read whole.

    A file is read in blocks (only the mapped columns parsed); each block is conformed like any
    table (same checks, row numbers as in the file) and reduced to customer-days in the engine;
    the blocks' data-quality records are summed. A database table whose columns are typed is
    checked and reduced inside the database (data.pushdown); otherwise it is streamed in blocks
    like a file.
    """
    source = config.sources["transactions"]
    required = required_columns("transactions", config.churn.definition, set(config.sources))
    path = config.source_path("transactions")
    if path is None:
        connection = config.source_connection("transactions")
        password = os.environ.get(source.password_env)
        with open_database(connection, source.sql, password) as db:
            label, header, where = db.label, list(db.expr.columns), "database"
            mapping = resolve_mapping(header, "transactions", source, required, label)
            days = reduce_in_database(
                db, source, mapping, quality, max_excluded_share=config.max_excluded_share
            )
            if days is None:  # not typed for the checks in SQL: the contract's, block by block
                blocks = db.blocks(list(mapping.values()))
                days = _conformed_days(config, source, required, blocks, quality)
                where = "engine"
        record = {
            "connection": connection,
            "sql": source.sql,
            "rows": quality.tables["transactions"].rows_read,
            "reduced_in": where,
            "sha256_of_customer_days": _frame_sha256(days),
        }
    else:
        reader = SourceFile(
            path, sheet=source.sheet, header_row=source.header_row, encoding=source.encoding
        )
        label, header = path, reader.header
        mapping = resolve_mapping(header, "transactions", source, required, label)
        blocks = reader.blocks(list(mapping.values()))
        days = _conformed_days(config, source, required, blocks, quality)
        record = _file_input(path)
    rows = quality.tables["transactions"].rows_read
    check_excluded_share(quality, "transactions", rows, label, mapping, config.max_excluded_share)
    unused = [c for c in header if c and c not in mapping.values()]
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


def _conformed_days(
    config: ReportConfig, source, required: list[str], blocks, quality: DataQuality
) -> pd.DataFrame:
    """Conform blocks of raw transactions one at a time and reduce them to customer-days."""

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
            yield frame
            quality.absorb(record)

    return daily_purchases_in_blocks(conformed(), config.engine)


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
    source: pd.DataFrame, customers: pd.DataFrame, quality: DataQuality
) -> None:
    """Count customers whose stated churn flag disagrees with their dates (kept, dates win)."""
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
                "stated_churn_disagrees_with_dates",
                int(differ.sum()),
                [
                    (int(source.index[source["customer_id"] == i][0]), f"{i}: flag {stated[i]}")
                    for i in ids
                ],
                "the churn flag in the customers source disagrees with the subscription dates "
                "for these customers; the dates are used",
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
    for name, frame in ds.tables.items():
        frame.to_parquet(directory / f"{name}.parquet")
    meta = {
        "as_of": ds.as_of.isoformat(),
        "definition": ds.definition,
        "inputs": ds.inputs,
        "quality": ds.quality.to_dict(),
    }
    (directory / "dataset.json").write_text(json.dumps(meta, indent=1, default=str))


class LazyTables(Mapping):
    """The cached tables of a run, each read from its Parquet file on first use.

    A notebook holds only the tables its chapter reads: the transactions of a large sample
    (millions of rows) stay on disk in the chapters that never look at them.

    Parameters
    ----------
    paths : dict
        Table name -> Parquet file.
    """

    def __init__(self, paths: dict[str, Path]):
        self._paths = dict(paths)
        self._frames: dict[str, pd.DataFrame] = {}

    def __getitem__(self, name: str) -> pd.DataFrame:
        if name not in self._frames:
            self._frames[name] = pd.read_parquet(self._paths[name])
        return self._frames[name]

    def __iter__(self):
        return iter(self._paths)

    def __len__(self) -> int:
        return len(self._paths)

    def __contains__(self, name: object) -> bool:
        return name in self._paths


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
        customers=pd.read_parquet(directory / "customers.parquet"),
        spells=pd.read_parquet(directory / "spells.parquet"),
        as_of=dt.date.fromisoformat(meta["as_of"]),
        definition=meta["definition"],
        quality=DataQuality.from_dict(meta["quality"]),
        tables=tables,
        inputs=meta["inputs"],
    )
