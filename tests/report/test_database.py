"""publish: database: a published run's results as tables on DuckDB and PostgreSQL.

One real run per session (a small sample whose database write is made to fail after
publishing: exit 7, the report published, the database untouched); every other test writes
that published folder with ``write_run``, the function the run calls after publishing.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml

from churnreport.config import PublishConfig
from churnreport.data.sample import write_sample
from churnreport.errors import ConfigError, DatabaseWriteFailed
from churnreport.report.database import TABLES, _where, check_target, run_tables, write_run
from tests.conftest import PG_PASSWORD, ROOT, cli

QUERIES = re.findall(r"```sql\n(.*?)```", (ROOT / "docs" / "DATABASE.md").read_text(), re.DOTALL)


@pytest.fixture(scope="module")
def failed_write(tmp_path_factory):
    """The one run: the DuckDB ``churn_at_risk`` table was made by someone with a numeric
    customer_id, so the write fails at the last table, after the report is published."""
    import duckdb

    root = tmp_path_factory.mktemp("dbpub")
    cfg = write_sample(root / "s", n_customers=1500, output_dir=str(root / "reports"))
    db = root / "bi.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("CREATE TABLE churn_at_risk (run_id VARCHAR, customer_id BIGINT)")
    raw = yaml.safe_load(cfg.read_text(encoding="utf-8"))
    raw["publish"] = {"database": "duckdb://../bi.duckdb"}  # relative to the config file
    cfg.write_text(yaml.safe_dump(raw), encoding="utf-8")
    res = cli("run", "--config", str(cfg), "--no-pdf")
    run = root / "reports" / "2024-12-31_sample"
    return res, run, db, cfg


@pytest.fixture(scope="module")
def published(failed_write, tmp_path_factory) -> tuple[Path, Path]:
    """The published run and a copy of it as the previous month's run (another run id)."""
    run = failed_write[1]
    assert (run / "metrics.json").exists(), failed_write[0].stderr
    earlier = tmp_path_factory.mktemp("earlier") / "2024-11-30_sample"
    shutil.copytree(run, earlier, ignore=shutil.ignore_patterns("notebooks", "*.html"))
    metrics = json.loads((earlier / "metrics.json").read_text(encoding="utf-8"))
    metrics.update(run_id="2024-11-30_sample", as_of="2024-11-30")
    metrics["indicators"]["overall"]["churn_rate"] = 0.0123
    (earlier / "metrics.json").write_text(json.dumps(metrics), encoding="utf-8")
    return run, earlier


@pytest.fixture(params=["duckdb", "postgresql"])
def target(request, tmp_path, monkeypatch) -> PublishConfig:
    if request.param == "duckdb":
        return PublishConfig(database=f"duckdb://{tmp_path / 'bi.duckdb'}")
    url = request.getfixturevalue("postgres")
    monkeypatch.setenv("CHURN_BI_PASSWORD", PG_PASSWORD)
    schema = f"bi_{re.sub(r'[^a-z0-9_]', '_', tmp_path.name.lower())}"  # fresh per test
    return PublishConfig(database=url, schema=schema, password_env="CHURN_BI_PASSWORD")


def _connect(target: PublishConfig):
    import os

    from churnreport.data.sources import connect_database

    return connect_database(target.database, os.environ.get(target.password_env))


def _read(target: PublishConfig, table: str) -> pd.DataFrame:
    con = _connect(target)
    try:
        name = target.table_prefix + table
        return con.table(name, database=_where(con, target)).to_pandas()
    finally:
        con.disconnect()


def _sql(target: PublishConfig, query: str) -> pd.DataFrame:
    con = _connect(target)
    try:
        if target.schema_:  # the docs' queries name the tables without a schema
            con.raw_sql(f"SET search_path TO {target.schema_}").close()
        return con.sql(query).to_pandas() if con.name == "duckdb" else _pg_query(con, query)
    finally:
        con.disconnect()


def _pg_query(con, query: str) -> pd.DataFrame:
    cur = con.raw_sql(query)
    cols = [d.name for d in cur.description]
    frame = pd.DataFrame(cur.fetchall(), columns=cols)
    cur.close()
    return frame


def test_a_failed_database_write_after_publishing_exits_7_and_the_report_stands(failed_write):
    import duckdb

    res, run, db, _ = failed_write
    assert res.returncode == 7, res.stderr
    errors = [ln for ln in res.stderr.splitlines() if " ERROR " in ln]
    assert len(errors) == 1 and "exit 7: the report is published in" in errors[0], res.stderr
    assert "the database write failed" in errors[0] and str(run) in errors[0]
    assert "churn rate 2024-12:" in res.stderr  # the headline is logged as for any run
    assert (run / "report.html").exists() and (run / "metrics.json").exists()
    assert "exit 7: the report is published" in (run / "run.log").read_text(encoding="utf-8")
    with duckdb.connect(str(db), read_only=True) as con:  # one transaction: nothing written
        tables = {r[0] for r in con.execute("SHOW TABLES").fetchall()}
    assert tables == {"churn_at_risk"}


def test_tables_hold_the_published_figures(published, target):
    run, _ = published
    written = write_run(run, target)
    assert set(written) == {f"churn_{t}" for t in TABLES}
    metrics = json.loads((run / "metrics.json").read_text(encoding="utf-8"))
    overall = metrics["indicators"]["overall"]
    runs = _read(target, "runs")
    assert len(runs) == 1
    row = runs.iloc[0]
    assert row["run_id"] == "2024-12-31_sample" and row["name"] == "sample"
    assert str(row["as_of"])[:10] == "2024-12-31"
    assert row["churn_rate"] == overall["churn_rate"]
    assert (row["customers"], row["churned"]) == (overall["customers"], overall["churned"])
    assert row["revenue_lost"] == pytest.approx(metrics["indicators"]["value"]["revenue_lost"])
    periods = _read(target, "periods").sort_values("period_start")
    assert len(periods) == len(metrics["indicators"]["periods"])
    assert periods["churned"].tolist() == [p["churned"] for p in metrics["indicators"]["periods"]]
    segments = _read(target, "segments")
    expected = [
        (dim, lvl["segment"], lvl["customers"], lvl["churned"])
        for dim, table in metrics["segments"]["segments"].items()
        for lvl in table["levels"]
    ]
    got = segments[["dimension", "level", "customers", "churned"]].itertuples(index=False)
    assert sorted(map(tuple, got)) == sorted(expected)
    drivers = _read(target, "drivers").sort_values("ordinal")
    assert drivers["driver"].tolist() == [d["driver"] for d in metrics["causes"]["drivers"]]
    at_risk = _read(target, "at_risk").sort_values("rank")
    predictions = pd.read_parquet(run / "predictions.parquet")
    assert len(at_risk) == len(predictions) == metrics["early_warning"]["risk"]["scored_customers"]
    assert at_risk["customer_id"].tolist() == predictions["customer_id"].tolist()
    assert at_risk["rank"].tolist() == list(range(1, len(at_risk) + 1))
    assert at_risk["expected_loss"].sum() == pytest.approx(
        metrics["early_warning"]["risk"]["expected_loss_total"]
    )
    assert at_risk["tier"].notna().all() and at_risk["cause"].notna().any()


def test_a_rerun_replaces_its_rows_and_another_run_appends(published, target):
    run, earlier = published
    write_run(run, target)
    write_run(run, target)  # the same run id again: no duplicates
    write_run(earlier, target)
    runs = _read(target, "runs").sort_values("as_of")
    assert runs["run_id"].tolist() == ["2024-11-30_sample", "2024-12-31_sample"]
    assert runs["churn_rate"].iloc[0] == 0.0123
    for table in TABLES:
        counts = _read(target, table)["run_id"].value_counts()
        assert counts["2024-12-31_sample"] == counts["2024-11-30_sample"], table
    expected = len(run_tables(run)["at_risk"])
    assert _read(target, "at_risk")["run_id"].value_counts().tolist() == [expected] * 2


def test_a_duckdb_schema_is_created_once_and_written_again(published, tmp_path):
    target = PublishConfig(database=f"duckdb://{tmp_path / 'bi.duckdb'}", schema="bi")
    run, earlier = published
    write_run(run, target)
    check_target(target)  # the next run's check, with the schema holding tables
    write_run(run, target)
    write_run(earlier, target)
    assert sorted(_read(target, "runs")["run_id"]) == ["2024-11-30_sample", "2024-12-31_sample"]


def test_a_schema_in_upper_case_or_an_in_memory_database_is_a_config_error():
    with pytest.raises(ValueError, match="schema"):
        PublishConfig(database="duckdb:///x.duckdb", schema="Bi")
    for url in ("duckdb://", "duckdb:///:memory:"):
        with pytest.raises(ValueError, match="in-memory"):
            PublishConfig(database=url)


def test_the_documented_queries_run_on_both_databases(published, target):
    run, earlier = published
    write_run(earlier, target)
    write_run(run, target)
    assert len(QUERIES) >= 4
    results = [_sql(target, q) for q in QUERIES]
    history, periods, segments, at_risk, drivers = results
    assert [str(d)[:10] for d in history["as_of"]] == ["2024-11-30", "2024-12-31"]
    metrics = json.loads((run / "metrics.json").read_text(encoding="utf-8"))
    assert len(periods) == len(metrics["indicators"]["periods"])
    assert len(segments) > 0 and not segments["level"].isna().any()
    assert at_risk["rank"].tolist() == list(range(1, 21))
    assert len(drivers) == sum(d["significant"] for d in metrics["causes"]["drivers"])


def test_a_table_of_an_older_version_gets_the_new_columns_and_keeps_its_own(published, target):
    run, _ = published
    con = _connect(target)
    try:
        if target.schema_:
            con.create_database(target.schema_, force=True)
        qualified = f"{target.schema_}.churn_runs" if target.schema_ else "churn_runs"
        con.raw_sql(
            f"CREATE TABLE {qualified} (run_id VARCHAR, as_of DATE, churn_rate DOUBLE PRECISION,"
            " note VARCHAR)"
        )
        con.raw_sql(f"INSERT INTO {qualified} VALUES ('2024-10-31_sample', '2024-10-31', 0.2, 'x')")
    finally:
        con.disconnect()
    write_run(run, target)
    runs = _read(target, "runs").sort_values("as_of")
    assert {"note", "customers", "churnreport_version"} <= set(runs.columns)
    assert runs["note"].tolist()[0] == "x" and pd.isna(runs["customers"].tolist()[0])
    assert runs["customers"].iloc[1] > 0 and runs["churn_rate"].iloc[0] == 0.2


def test_check_refuses_an_unreachable_or_wrong_database_and_hides_the_password(
    tmp_path, postgres, monkeypatch
):
    with pytest.raises(ConfigError, match="does not exist or cannot be written"):
        check_target(PublishConfig(database=f"duckdb://{tmp_path / 'no' / 'such.duckdb'}"))
    fresh = tmp_path / "fresh.duckdb"
    check_target(PublishConfig(database=f"duckdb://{fresh}"))
    assert not fresh.exists()  # checking creates nothing
    monkeypatch.setenv("CHURN_DB_PASSWORD", "Wrong-Pw-9")
    with pytest.raises(ConfigError, match="cannot connect to the database") as refused:
        check_target(PublishConfig(database=postgres))
    assert "Wrong-Pw-9" not in str(refused.value)
    monkeypatch.setenv("CHURN_DB_PASSWORD", PG_PASSWORD)
    check_target(PublishConfig(database=postgres, schema="checked_only"))
    con = _connect(PublishConfig(database=postgres))
    try:  # the check ran in a transaction rolled back: no schema, no table
        assert "checked_only" not in con.list_databases()
    finally:
        con.disconnect()


def test_a_write_to_an_unreachable_database_is_a_database_write_failure(published, tmp_path):
    run, _ = published
    with pytest.raises(DatabaseWriteFailed, match="cannot write to the database"):
        write_run(run, PublishConfig(database="postgresql://churn@127.0.0.1:1/none"))


def test_a_failed_write_to_a_new_duckdb_file_leaves_no_file(published, tmp_path, monkeypatch):
    from churnreport.report import database

    def refuse(*args, **kwargs):
        raise RuntimeError("refused")

    monkeypatch.setattr(database, "_ensure_tables", refuse)
    with pytest.raises(DatabaseWriteFailed):
        write_run(published[0], PublishConfig(database=f"duckdb://{tmp_path / 'new.duckdb'}"))
    assert list(tmp_path.iterdir()) == []


def test_a_bad_publish_url_exits_2_before_the_data_is_loaded(failed_write, tmp_path):
    _, _, _, cfg = failed_write
    raw = yaml.safe_load(cfg.read_text(encoding="utf-8"))
    raw["output_dir"] = str(tmp_path / "reports")
    for database, message in [
        ("postgresql://churn@127.0.0.1:1/none", "cannot connect to the database"),
        ("postgresql://churn:pw@127.0.0.1/none", "carries a secret"),
    ]:
        raw["publish"] = {"database": database}
        bad = cfg.with_name("bad.yml")  # beside the data its paths name
        bad.write_text(yaml.safe_dump(raw), encoding="utf-8")
        res = cli("run", "--config", str(bad), "--no-pdf")
        assert res.returncode == 2, res.stderr
        assert message in res.stderr and "data loaded" not in res.stderr
        assert len([ln for ln in res.stderr.splitlines() if " ERROR " in ln]) == 1
        assert not (tmp_path / "reports").exists()  # nothing left behind


def test_a_run_that_wrote_the_database_logs_its_rows_and_exits_0(
    published, failed_write, monkeypatch, capsys, tmp_path
):
    import sys

    from churnreport import cli as cli_module
    from churnreport.analysis.results import Metrics
    from churnreport.report.pipeline import RunResult

    run = tmp_path / published[0].name  # a copy: the CLI writes its run.log there
    shutil.copytree(published[0], run, ignore=shutil.ignore_patterns("notebooks", "*.html"))
    metrics = Metrics.model_validate_json((run / "metrics.json").read_text(encoding="utf-8"))

    def stored(config, on_event=None, **_):  # the pipeline's events after publishing
        assert config.publish_target().database.startswith("duckdb:///")  # resolved
        on_event("stored", {"churn_runs": 1, "churn_at_risk": 12})
        return RunResult(run, metrics)

    monkeypatch.setattr("churnreport.report.pipeline.run_report", stored)
    monkeypatch.setattr(sys, "argv", ["churn-report", "run", "--config", str(failed_write[3])])
    with pytest.raises(SystemExit) as stop:
        cli_module.main()
    err = capsys.readouterr().err
    assert stop.value.code in (0, None), err
    assert "results written to the database: churn_runs 1, churn_at_risk 12" in err
    assert " ERROR " not in err
