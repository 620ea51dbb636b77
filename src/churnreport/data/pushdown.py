"""A transactions table in a database, checked and reduced to customer-days inside it.

A transactions table in PostgreSQL (or a DuckDB file) can hold far more rows than should cross
the network. When its mapped columns are typed by the database (a text or integer id, a date or
timestamp, a number), every check the contract makes on such values can be written as a count
in SQL, and the reduction to customer-days is the same Ibis expression the engine runs on files
(:func:`churnreport.data.engine.customer_days`). Only the counts, up to five example rows per
problem and the customer-days leave the database.

Text-typed dates or amounts, value mappings or a date format need the contract's own parsing:
then :func:`reduce_in_database` declines and the table is read in blocks like a file.
"""

from __future__ import annotations

import pandas as pd

from churnreport.config import SourceConfig
from churnreport.data.contract import (
    MISSING_TOKENS,
    blank_values,
    check_excluded_share,
    missing_required,
    not_numbers,
)
from churnreport.data.engine import customer_days, to_frame
from churnreport.data.quality import DataQuality, TableQuality
from churnreport.data.sources import DatabaseTable
from churnreport.errors import InputError

TABLE = "transactions"


def typed_in_database(db: DatabaseTable, mapping: dict[str, str], source: SourceConfig) -> bool:
    """Whether the mapped columns are typed so that the checks can run in the database.

    Parameters
    ----------
    db : DatabaseTable
    mapping : dict
        Canonical -> source column (``customer_id``, ``date``, ``amount``).
    source : SourceConfig
        Value mappings or a date format need the contract's parsing (not pushed down).

    Returns
    -------
    bool
    """
    if source.values or source.date_format:
        return False
    schema = db.expr.schema()
    kinds = {canon: schema[src] for canon, src in mapping.items()}
    ok = kinds["customer_id"].is_string() or kinds["customer_id"].is_integer()
    ok &= kinds["date"].is_date() or (
        kinds["date"].is_timestamp() and kinds["date"].timezone is None
    )
    if "amount" in kinds:
        ok &= kinds["amount"].is_numeric()
    return bool(ok)


def reduce_in_database(
    db: DatabaseTable,
    source: SourceConfig,
    mapping: dict[str, str],
    quality: DataQuality,
    *,
    max_excluded_share: float = 0.2,
) -> pd.DataFrame | None:
    """Check a database transactions table and reduce it to customer-days, in the database.

    The checks and their outcomes are the contract's (:func:`~churnreport.data.contract.conform`):
    ids are trimmed and placeholder text ('?', 'N/A', ...) or blanks are missing; a row without
    an id or date is excluded and counted; a missing amount is counted (NaN counts as missing);
    an infinite amount stops the run. Example rows are numbered in the table's own order
    (``row_number() over ()``, as ``SELECT *`` lists them) and fetched only when there are any.

    Parameters
    ----------
    db : DatabaseTable
        The open transactions table.
    source : SourceConfig
        Its configuration (value mappings or a date format decline the push-down).
    mapping : dict
        Canonical -> source column, resolved against the table's columns
        (:func:`~churnreport.data.contract.resolve_mapping`).
    quality : DataQuality
        Receives the row accounting and the issues.
    max_excluded_share : float
        Stop when more than this share of rows would be excluded.

    Returns
    -------
    DataFrame or None
        As :func:`churnreport.data.engine.daily_purchases`; None when the columns are not typed
        for the checks (:func:`typed_in_database`).

    Raises
    ------
    InputError
        Infinite amounts, too many excluded rows, an empty result.
    """
    import ibis

    if not typed_in_database(db, mapping, source):
        return None
    raw = db.expr.mutate(_row=ibis.row_number() + 1)
    ident = raw[mapping["customer_id"]]
    if ident.type().is_integer():
        ident = ident.cast("string")
    else:
        ident = ident.strip()
        ident = ibis.ifelse(ident.isin(sorted(MISSING_TOKENS)) | (ident == ""), None, ident)
    date = raw[mapping["date"]].cast("date")
    columns = {"_id": ident, "_date": date}  # beside the raw columns, for the examples
    if "amount" in mapping:
        amount = raw[mapping["amount"]].cast("float64")
        columns["_amount"] = ibis.ifelse(amount.isnan(), None, amount)
    clean = raw.mutate(**columns)
    no_id = clean._id.isnull()
    no_date = clean._id.notnull() & clean._date.isnull()  # counted once, as conform does
    problems = {"rows": clean.count(), "no_id": no_id.sum(), "no_date": no_date.sum()}
    if "amount" in mapping:
        no_amount, inf_amount = clean._amount.isnull(), clean._amount.isinf()
        problems.update(no_amount=no_amount.sum(), inf_amount=inf_amount.sum())
    result = db.execute(clean.aggregate(**problems)).to_pylist()[0]
    counts = {k: int(v or 0) for k, v in result.items()}
    if counts["rows"] == 0:
        raise InputError(db.label, "the query returned no rows")

    def examples(condition, column: str) -> list[tuple[int, object]]:
        found = db.execute(clean.filter(condition).order_by("_row").limit(5)).to_pydict()
        return [
            (int(r), "" if pd.isna(v) else v)  # empty or NaN shown as "", as conform does
            for r, v in zip(found["_row"], found[column], strict=True)
        ]

    if counts.get("inf_amount"):
        amount_col = mapping["amount"]
        raise not_numbers(
            db.label, amount_col, counts["inf_amount"], examples(inf_amount, amount_col)
        )
    quality.tables[TABLE] = TableQuality(TABLE, db.label, rows_read=counts["rows"])
    if counts.get("no_amount"):
        quality.add(
            blank_values(
                TABLE, "amount", counts["no_amount"], examples(no_amount, mapping["amount"])
            )
        )
    for key, canon, condition in (("no_id", "customer_id", no_id), ("no_date", "date", no_date)):
        if counts[key]:
            src = mapping[canon]
            quality.add(missing_required(TABLE, canon, src, counts[key], examples(condition, src)))
    check_excluded_share(quality, TABLE, counts["rows"], db.label, mapping, max_excluded_share)
    quality.tables[TABLE].rows_kept = counts["rows"] - quality.excluded(TABLE)
    kept = clean.filter(clean._id.notnull() & clean._date.notnull())
    canonical = {"customer_id": kept._id, "date": kept._date}
    if "amount" in mapping:
        canonical["amount"] = kept._amount
    days = to_frame(db.con, customer_days(kept.select(**canonical)))
    # a server may sort text by its collation; the engine's order is by code point
    return days.sort_values(["customer_id", "date"], kind="stable", ignore_index=True)
