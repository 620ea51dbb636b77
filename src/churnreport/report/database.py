"""Write a published run's results to database tables (``publish: database``), for BI tools.

Five tables, named with the configured prefix (default ``churn_``), each keyed by ``run_id``
(``<as_of>_<config name>``): ``runs`` (one row per run: the headline figures), ``periods`` (the
period table), ``segments`` (churn by segment level), ``drivers`` (the driver model's effects)
and ``at_risk`` (the scored customers). Everything is read from the published run folder
(metrics.json, manifest.json, predictions.parquet), so the tables hold exactly the figures the
report shows, and any earlier run folder can be written too.

A run is written in one transaction: its rows are deleted from every table, then inserted, so
writing the same run id again replaces it (no duplicates) and another run id appends. A table
made by an older version gets the columns it lacks (``ALTER TABLE ... ADD COLUMN``); columns are
never dropped, and columns someone added are left alone. Types: dates DATE, rates and money
DOUBLE, counts BIGINT. docs/DATABASE.md lists the columns and BI-ready queries.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import typing
from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd

from churnreport.analysis.results import DriverEffect, PeriodRow, SegmentLevel
from churnreport.config import PublishConfig, duckdb_file, redact_connection
from churnreport.data.sources import connect_database, database_problem
from churnreport.errors import ConfigError, DatabaseWriteFailed

#: The tables, in the order they are written (without the prefix).
TABLES = ("runs", "periods", "segments", "drivers", "at_risk")

#: Columns of ``runs``: the run and its headline figures (metrics.json).
RUN_COLUMNS: dict[str, str] = {
    "run_id": "string",
    "name": "string",
    "as_of": "date",
    "period_kind": "string",
    "period": "string",
    "definition": "string",
    "language": "string",
    "company": "string",
    "currency": "string",
    "published_at": "timestamp('UTC')",
    "customers": "int64",
    "churned": "int64",
    "churn_rate": "float64",
    "ci_low": "float64",
    "ci_high": "float64",
    "retention_rate": "float64",
    "annual_churn_rate": "float64",
    "arpa": "float64",
    "revenue_lost": "float64",
    "profit_lost": "float64",
    "median_lifetime_months": "float64",
    "alerts": "int64",
    "scored_customers": "int64",
    "expected_leavers": "float64",
    "expected_loss_total": "float64",
    "schema_version": "string",
    "churnreport_version": "string",
}

#: Columns of ``at_risk`` (predictions.parquet; a column an older run lacks is NULL).
AT_RISK_COLUMNS: dict[str, str] = {
    "run_id": "string",
    "rank": "int64",
    "customer_id": "string",
    "probability": "float64",
    "value": "float64",
    "expected_loss": "float64",
    "tier": "string",
    "cause": "string",
    "horizon_end": "date",
    "model": "string",
}


def _model_columns(model: type) -> dict[str, str]:
    """Column types of a pydantic row model: int -> int64, float -> float64, date -> date,
    bool -> boolean, text and literals -> string."""
    out = {}
    for name, field in model.model_fields.items():
        kinds = {a for a in typing.get_args(field.annotation) or (field.annotation,)}
        kinds.discard(type(None))
        if typing.get_origin(field.annotation) is typing.Literal:
            kinds = {str}
        kind = next(iter(kinds)) if len(kinds) == 1 else str
        kind = str if typing.get_origin(kind) is typing.Literal else kind
        out[name] = {int: "int64", float: "float64", bool: "boolean", dt.date: "date"}.get(
            kind, "string"
        )
    return out


def table_columns() -> dict[str, dict[str, str]]:
    """Every table's columns and their Ibis types (without the prefix).

    Returns
    -------
    dict of str to dict of str to str
    """
    segment = _model_columns(SegmentLevel)
    segment.pop("segment")
    return {
        "runs": RUN_COLUMNS,
        "periods": {"run_id": "string", **_model_columns(PeriodRow)},
        "segments": {
            "run_id": "string",
            "dimension": "string",
            "level": "string",
            **segment,
            "test": "string",
            "p_value": "float64",
        },
        "drivers": {"run_id": "string", "ordinal": "int64", **_model_columns(DriverEffect)},
        "at_risk": AT_RISK_COLUMNS,
    }


def run_tables(run_dir: Path) -> dict[str, pd.DataFrame]:
    """The rows a published run adds to each table, read from its folder.

    Parameters
    ----------
    run_dir : Path
        A published run folder (metrics.json, manifest.json; predictions.parquet when the
        at-risk list was built).

    Returns
    -------
    dict of str to DataFrame
        One frame per table in :data:`TABLES`, with exactly :func:`table_columns`' columns.
    """
    metrics = json.loads((run_dir / "metrics.json").read_text(encoding="utf-8"))
    manifest = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
    rid = metrics["run_id"]
    ind = metrics.get("indicators") or {}
    overall = ind.get("overall") or {}
    value = ind.get("value") or {}
    risk = (metrics.get("early_warning") or {}).get("risk") or {}
    run = {
        "run_id": rid,
        "name": (manifest.get("parameters") or {}).get("name"),
        "as_of": metrics["as_of"],
        "period_kind": metrics.get("period"),
        "period": overall.get("period"),
        "definition": metrics.get("definition"),
        "language": metrics.get("language"),
        "company": metrics.get("company"),
        "currency": metrics.get("currency"),
        "published_at": manifest.get("created_at"),
        **{k: overall.get(k) for k in ("customers", "churned", "churn_rate", "ci_low", "ci_high")},
        "retention_rate": overall.get("retention_rate"),
        **{k: value.get(k) for k in ("annual_churn_rate", "arpa", "revenue_lost", "profit_lost")},
        "median_lifetime_months": (ind.get("survival") or {}).get("median_lifetime_months"),
        "alerts": len(ind.get("alerts") or []) if ind else None,
        **{k: risk.get(k) for k in ("scored_customers", "expected_leavers", "expected_loss_total")},
        "schema_version": metrics.get("schema_version"),
        "churnreport_version": (manifest.get("packages") or {}).get("churnreport"),
    }
    segments = [
        {"run_id": rid, "dimension": dim, "level": lvl["segment"], **lvl,
         "test": table.get("test"), "p_value": table.get("p_value")}
        for dim, table in ((metrics.get("segments") or {}).get("segments") or {}).items()
        for lvl in table.get("levels", [])
    ]  # fmt: skip
    drivers = [
        {"run_id": rid, "ordinal": i, **d}
        for i, d in enumerate((metrics.get("causes") or {}).get("drivers") or [], start=1)
    ]
    predictions = run_dir / "predictions.parquet"
    at_risk = pd.read_parquet(predictions) if predictions.exists() else pd.DataFrame()
    if not at_risk.empty and "rank" not in at_risk:  # a run before the rank was stored
        at_risk["rank"] = range(1, len(at_risk) + 1)
    rows = {
        "runs": pd.DataFrame([run]),
        "periods": pd.DataFrame([{"run_id": rid, **p} for p in ind.get("periods") or []]),
        "segments": pd.DataFrame(segments),
        "drivers": pd.DataFrame(drivers),
        "at_risk": at_risk.assign(run_id=rid),
    }
    return {t: _typed(rows[t], cols) for t, cols in table_columns().items()}


def _typed(frame: pd.DataFrame, columns: dict[str, str]) -> pd.DataFrame:
    """``frame`` with exactly ``columns``, each coerced to its type (missing ones NULL)."""
    out = {}
    for col, kind in columns.items():
        values = frame[col] if col in frame else pd.Series([None] * len(frame), dtype=object)
        values = values.reset_index(drop=True)
        if kind == "date":
            out[col] = pd.to_datetime(values).dt.date.astype(object)
        elif kind.startswith("timestamp"):
            out[col] = pd.to_datetime(values, utc=True)
        elif kind == "int64":
            out[col] = pd.to_numeric(values).astype("Int64")
        elif kind == "float64":
            out[col] = pd.to_numeric(values).astype(float)
        elif kind == "boolean":
            out[col] = values.astype("boolean")
        else:
            out[col] = values.map(lambda v: None if v is None or v is pd.NA or v != v else str(v))
    typed = pd.DataFrame(out, columns=list(columns))
    return typed.astype({c: object for c, k in columns.items() if k == "date"})


def check_target(target: PublishConfig) -> None:
    """Connect to the publish database and check that the tables can be written, before any
    data is read; nothing is left behind (the check runs in a transaction rolled back, and a
    DuckDB file that does not exist yet is not created).

    Parameters
    ----------
    target : PublishConfig
        With its database URL resolved (:meth:`ReportConfig.publish_target`).

    Raises
    ------
    ConfigError
        The database cannot be reached or its tables cannot be created or written (exit 2).
    """
    shown = redact_connection(target.database)
    duck = duckdb_file(target.database)
    if duck is not None and not duck.exists():
        if not duck.parent.is_dir() or not os.access(duck.parent, os.W_OK):
            raise ConfigError(
                f"publish.database {shown}: the folder {duck.parent} does not exist or "
                "cannot be written"
            )
        return
    password = os.environ.get(target.password_env)
    try:
        con = connect_database(target.database, password)
    except Exception as exc:  # drivers raise their own types
        problem = database_problem(exc, password, "cannot connect to the database")
        raise ConfigError(f"publish.database {shown}: {problem}") from None
    try:
        with _transaction(con, rollback=True) as execute:
            _ensure_tables(con, execute, target)
            for table in TABLES:  # the same DELETE a write runs, matching nothing
                execute(_delete(con, target, table, ""))
    except Exception as exc:  # noqa: BLE001 (any refusal is a config problem here)
        problem = database_problem(exc, password, "the results tables cannot be written")
        raise ConfigError(f"publish.database {shown}: {problem}") from None
    finally:
        with contextlib.suppress(Exception):
            con.disconnect()


def write_run(run_dir: Path, target: PublishConfig) -> dict[str, int]:
    """Write a published run's results to the publish database, replacing that run's rows.

    Parameters
    ----------
    run_dir : Path
        A published run folder.
    target : PublishConfig
        With its database URL resolved (:meth:`ReportConfig.publish_target`).

    Returns
    -------
    dict of str to int
        Rows written per table (with the prefix).

    Raises
    ------
    DatabaseWriteFailed
        The database refused or failed; nothing of this run was changed there (exit 7 in a
        run, whose report is published all the same).

    Examples
    --------
    >>> write_run(Path("reports/2024-12-31_sample"),
    ...           PublishConfig(database="duckdb:///srv/bi/churn.duckdb"))  # doctest: +SKIP
    {'churn_runs': 1, 'churn_periods': 36, ...}
    """
    import ibis

    password = os.environ.get(target.password_env)
    shown = redact_connection(target.database)
    written = {}
    con = None
    frames = run_tables(run_dir)  # outside the try: a bug here is a bug (exit 6), not exit 7
    rid = frames["runs"]["run_id"].iloc[0]
    duck = duckdb_file(target.database)
    new_file = duck is not None and not duck.exists()
    try:  # whatever the database does, the report is published: one kind of failure, exit 7
        con = connect_database(target.database, password)
        with _transaction(con) as execute:
            _ensure_tables(con, execute, target)
            columns = table_columns()
            for table in TABLES:
                name = target.table_prefix + table
                execute(_delete(con, target, table, rid))
                frame = frames[table]
                if not frame.empty:
                    data = ibis.memtable(frame, schema=ibis.schema(columns[table]))
                    con.insert(name, data, database=_where(con, target))
                written[name] = len(frame)
    except Exception as exc:  # drivers raise their own types
        problem = database_problem(exc, password, "cannot write to the database")
        if con is not None:
            with contextlib.suppress(Exception):
                con.disconnect()
            con = None
        if new_file:  # as it was: no file
            for path in (duck, duck.with_name(duck.name + ".wal")):
                path.unlink(missing_ok=True)
        raise DatabaseWriteFailed(f"{shown}: {problem}") from None
    finally:
        if con is not None:
            with contextlib.suppress(Exception):
                con.disconnect()
    return written


@contextlib.contextmanager
def _transaction(con, rollback: bool = False) -> Iterator[Callable[[str], None]]:
    """One transaction on ``con`` (committed, or rolled back when ``rollback`` or on error);
    yields a function running one SQL statement inside it.

    PostgreSQL: psycopg's transaction block (Ibis's own statements inside it become
    savepoints of it). DuckDB: BEGIN / COMMIT (Ibis's DuckDB statements open none).
    """
    if con.name == "postgres":
        with con.con.transaction(force_rollback=rollback), con.con.cursor() as cursor:
            yield cursor.execute
        return
    con.raw_sql("BEGIN TRANSACTION")
    try:
        yield con.raw_sql
    except BaseException:
        con.raw_sql("ROLLBACK")
        raise
    con.raw_sql("ROLLBACK" if rollback else "COMMIT")


def _catalog_and_schema(con, target: PublishConfig) -> tuple[str | None, str | None]:
    """Where the tables are: the schema, with its catalog in DuckDB (whose catalog is named
    after the file: ``churn.duckdb`` with ``schema: churn`` is otherwise ambiguous)."""
    if target.schema_ and con.name == "duckdb":
        return con.current_catalog, target.schema_
    return None, target.schema_


def _where(con, target: PublishConfig) -> tuple[str, str] | str | None:
    """:func:`_catalog_and_schema` as Ibis's ``database`` argument."""
    catalog, schema = _catalog_and_schema(con, target)
    return (catalog, schema) if catalog else schema


def _schema_of(con, target: PublishConfig, name: str):
    """The Ibis schema of an existing results table."""
    catalog, schema = _catalog_and_schema(con, target)
    return con.get_schema(name, catalog=catalog, database=schema)


def _qualified(con, target: PublishConfig, table: str) -> str:
    import sqlglot as sg

    catalog, schema = _catalog_and_schema(con, target)
    return sg.table(target.table_prefix + table, db=schema, catalog=catalog, quoted=True).sql(
        con.dialect
    )


def _delete(con, target: PublishConfig, table: str, rid: str) -> str:
    import sqlglot.expressions as sge

    return (
        f"DELETE FROM {_qualified(con, target, table)} "
        f"WHERE run_id = {sge.convert(rid).sql(con.dialect)}"
    )


def _ensure_tables(con, execute: Callable[[str], None], target: PublishConfig) -> None:
    """Create the schema and the missing tables; add the columns an existing table lacks."""
    import ibis

    if target.schema_ and target.schema_ not in con.list_databases(catalog=con.current_catalog):
        # only when missing: DuckDB's CREATE OR REPLACE of a schema holding tables fails, and a
        # role may have rights on its schema but not to create one
        import sqlglot.expressions as sge

        parts = [p for p in _catalog_and_schema(con, target) if p]
        schema = ".".join(sge.to_identifier(p, quoted=True).sql(con.dialect) for p in parts)
        execute(f"CREATE SCHEMA {schema}")
    existing = set(con.list_tables(database=_where(con, target)))
    for table, columns in table_columns().items():
        name = target.table_prefix + table
        schema = ibis.schema(columns)
        if name not in existing:
            con.create_table(name, schema=schema, database=_where(con, target), overwrite=False)
            continue
        have = set(_schema_of(con, target, name).names)
        missing = ibis.schema({c: t for c, t in columns.items() if c not in have})
        for column in missing.to_sqlglot_column_defs(con.dialect):
            execute(
                f"ALTER TABLE {_qualified(con, target, table)} ADD COLUMN {column.sql(con.dialect)}"
            )
