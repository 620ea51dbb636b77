"""The whole spine through the CLI: sample report, failures, bad input, exporters."""

from __future__ import annotations

import json
import re
import shutil

import jsonschema
import nbformat
import pandas as pd
import pytest
from pypdf import PdfReader

from churnreport.analysis.results import Kpi
from churnreport.config import load_config
from churnreport.data.sample import write_sample
from churnreport.errors import NotebookFailed
from churnreport.report.blocks import format_kpi
from churnreport.report.pipeline import run_report
from churnreport.report.runner import NOTEBOOKS_DIR, usable_cores
from churnreport.report.text import Text
from tests.conftest import SAMPLE, SUITE_CORES, cli
from tests.report_lint import lint


def _independent_period_counts(period: str) -> dict:
    """Recount one month straight from data/sample/customers.csv, without the library."""
    c = pd.read_csv(SAMPLE / "customers.csv", parse_dates=["start_date", "end_date"])
    ps = pd.Timestamp(period + "-01")
    pe = ps + pd.offsets.MonthBegin(1)
    end = c["end_date"].fillna(pd.Timestamp("2262-01-01"))
    at_start = (c["start_date"] < ps) & (end >= ps)
    new = (c["start_date"] >= ps) & (c["start_date"] < pe)
    return {
        "start_customers": int(at_start.sum()),
        "churned": int((at_start & (end < pe)).sum()),
        "new": int(new.sum()),
        "new_and_lost": int((new & (end < pe)).sum()),
        "end_customers": int(((c["start_date"] < pe) & (end >= pe)).sum()),
    }


def test_sample_run_publishes_every_output(sample_run):
    names = {p.name for p in sample_run.iterdir()}
    assert {
        "report.html",
        "report.pdf",
        "metrics.json",
        "data_quality.json",
        "manifest.json",
        "01_indicators.html",
        "90_appendix.html",
        "04_early_warning.html",
        "at_risk.csv",
        "at_risk.xlsx",
        "predictions.parquet",
        "notebooks",
    } <= names
    risk = json.loads((sample_run / "metrics.json").read_text())["early_warning"]["risk"]
    assert risk["backtest"]["method"] == "time_split" and risk["backtest"]["auc"] > 0.5
    assert risk["scored_customers"] == len(pd.read_csv(sample_run / "at_risk.csv"))
    assert [t["tier"] for t in risk["tiers"]] == [
        "important",
        "major",
        "ordinary",
        "small",
        "never",
    ]
    assert not (sample_run / "prepared").exists() and not (sample_run / "metrics").exists()
    manifest = json.loads((sample_run / "manifest.json").read_text())
    assert manifest["status"] == "ok"
    assert manifest["parameters"]["as_of"] == "2024-12-31"
    assert len(manifest["inputs"]["customers"]["sha256"]) == 64
    assert manifest["packages"]["papermill"] != "not installed"
    # the sample's kernels fit in memory side by side: one per core (the run had the suite's)
    cores = len(SUITE_CORES) or usable_cores()
    assert manifest["kernels_at_once"] == min(cores, len(manifest["notebooks"]))


@pytest.mark.parametrize("period", ["2022-06", "2023-01", "2024-03", "2024-12"])
def test_sample_metrics_equal_independent_recount(sample_run, period):
    metrics = json.loads((sample_run / "metrics.json").read_text())
    row = next(p for p in metrics["indicators"]["periods"] if p["period"] == period)
    expected = _independent_period_counts(period)
    assert {k: row[k] for k in expected} == expected
    assert row["churn_rate"] == pytest.approx(expected["churned"] / expected["start_customers"])


def test_sample_overall_is_the_report_month(sample_run):
    m = json.loads((sample_run / "metrics.json").read_text())
    o = m["indicators"]["overall"]
    expected = _independent_period_counts("2024-12")
    assert o["period"] == "2024-12" and m["as_of"] == "2024-12-31"
    assert (o["customers"], o["churned"]) == (expected["start_customers"], expected["churned"])
    assert o["ci_low"] < o["churn_rate"] < o["ci_high"]
    assert o["retention_rate"] == pytest.approx(1 - o["churn_rate"])
    assert len(m["indicators"]["periods"]) == 36


def test_executed_notebooks_have_no_errors_or_warnings(sample_run):
    for path in (sample_run / "notebooks").glob("*.ipynb"):
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            for out in cell.get("outputs", []):
                assert out["output_type"] != "error", path.name
                assert not (out["output_type"] == "stream" and out["name"] == "stderr"), (
                    path.name,
                    out.get("text"),
                )


def test_sample_report_passes_the_lint(sample_run):
    assert lint(sample_run / "report.html") == []
    summary = json.loads((sample_run / "metrics.json").read_text())["summary"]
    assert summary["data_checks"] == []  # the clean sample raises no data check


def test_html_is_self_contained_and_shows_no_code(sample_run):
    html = (sample_run / "report.html").read_text(encoding="utf-8")
    assert not re.search(r"(src|href)=[\"']?(https?:)?//", html)
    assert "<script" not in html
    assert "import churnreport" not in html and "open_report" not in html
    assert "In&nbsp;[" not in html and "config_path" not in html
    assert "Churn indicators and trends" in html and "Data quality" in html


def test_pdf_has_title_pages_and_headline(sample_run):
    reader = PdfReader(sample_run / "report.pdf")
    text = "\n".join(page.extract_text() for page in reader.pages)
    n = len(reader.pages)
    assert n >= 3
    assert "Churn analysis report" in text
    assert f"2 / {n}" in text and f"{n} / {n}" in text
    o = json.loads((sample_run / "metrics.json").read_text())["indicators"]["overall"]
    assert f"{o['churn_rate'] * 100:.1f}%" in text
    assert "Traceback" not in text and "import " not in text


def test_chinese_report_renders_chinese_text(tmp_path):
    cfg = write_sample(tmp_path / "s", n_customers=1500, output_dir=str(tmp_path / "r"))
    customers = pd.read_csv(tmp_path / "s" / "customers.csv", dtype=str, keep_default_na=False)
    zh_regions = {"East": "华东", "North": "华北", "South": "华南", "West": "西部"}
    customers["region"] = customers["region"].map(zh_regions)
    customers.to_csv(tmp_path / "s" / "customers.csv", index=False)
    res = cli("run", "--config", str(cfg), "--language", "zh")
    assert res.returncode == 0, res.stderr
    run = next((tmp_path / "r").glob("*_sample"))
    log = (run / "run.log").read_text(encoding="utf-8")  # the run keeps its own log
    assert "data loaded and valid" in log and "churn rate" in log and res.stderr.strip() in log
    text = "\n".join(p.extract_text() for p in PdfReader(run / "report.pdf").pages)
    assert "客户流失分析报告" in text and "流失率" in text
    assert "华东" in text and "西部" in text  # segment names in Chinese, in tables
    seg = json.loads((run / "metrics.json").read_text())["segments"]["segments"]["region"]["levels"]
    assert {r["segment"] for r in seg} == set(zh_regions.values())
    m = json.loads((run / "metrics.json").read_text())
    assert m["language"] == "zh"
    assert lint(run / "report.html", "zh") == []
    # cover, contents and the summary in Chinese, the summary's figures those of metrics.json
    pages = [p.extract_text() for p in PdfReader(run / "report.pdf").pages]
    assert "数据来源" in pages[0] and "目录" in pages[1] and "摘要" in pages[1]
    summary = re.sub(r"\s+", "", next(p for p in pages[2:] if "主要发现" in p))
    assert m["summary"]["kpis"][0]["value"] == m["indicators"]["overall"]["churn_rate"]
    t = Text("zh", m["currency"])
    for k in m["summary"]["kpis"]:
        assert re.sub(r"\s+", "", format_kpi(Kpi.model_validate(k), t)) in summary, k


def test_bad_input_exits_2_with_clear_message_and_no_report(tmp_path):
    (tmp_path / "c.csv").write_text("id,start\nA,2024-01-01\nA,2024-02-01\n")
    (tmp_path / "r.yml").write_text(
        "name: bad\nsources:\n  customers:\n    path: c.csv\n"
        "    columns: {customer_id: id, start_date: start}\noutput_dir: out\n"
    )
    res = cli("run", "--config", str(tmp_path / "r.yml"))
    assert res.returncode == 2
    assert "c.csv" in res.stderr and "'id'" in res.stderr and "row 2" in res.stderr
    assert "Traceback" not in res.stderr
    assert not (tmp_path / "out").exists()


def test_bad_config_exits_2(tmp_path):
    (tmp_path / "r.yml").write_text("name: x\nperiod: week\nsources: {}\n")
    res = cli("validate", "--config", str(tmp_path / "r.yml"))
    assert res.returncode == 2 and "period" in res.stderr and "Traceback" not in res.stderr


def test_cli_manners_version_and_typed_options(tmp_path):
    from importlib.metadata import version

    res = cli("--version")
    assert res.returncode == 0 and res.stdout.strip() == f"churn-report {version('churnreport')}"
    (tmp_path / "r.yml").write_text("name: x\nsources: {}\n")
    for option, value in (("--as-of", "2024-13-01"), ("--language", "fr")):
        res = cli("run", "--config", str(tmp_path / "r.yml"), option, value)
        assert res.returncode == 2 and "Invalid value" in res.stderr, res.stderr


def test_failing_notebook_exits_1_and_keeps_executed_copy(tmp_path):
    nbs = tmp_path / "nbs"
    nbs.mkdir()
    good = nbformat.read(NOTEBOOKS_DIR / "90_appendix.ipynb", as_version=4)
    nbformat.write(good, nbs / "90_appendix.ipynb")
    bad = nbformat.read(NOTEBOOKS_DIR / "90_appendix.ipynb", as_version=4)
    bad.cells.append(nbformat.v4.new_code_cell("raise RuntimeError('planted failure')"))
    nbformat.write(bad, nbs / "50_bad.ipynb")
    cfg_path = write_sample(tmp_path / "s", n_customers=500, output_dir=str(tmp_path / "out"))
    cfg = load_config(cfg_path)
    with pytest.raises(NotebookFailed, match="planted failure") as err:
        run_report(cfg, notebooks_dir=nbs, pdf=False)
    assert err.value.exit_code == 1
    failed = tmp_path / "out" / "_failed"
    kept = list(failed.glob("*/50_bad.ipynb"))
    assert kept, list(failed.rglob("*"))
    assert "planted failure" in kept[0].read_text()
    manifest = json.loads((kept[0].parent / "manifest.json").read_text())
    assert manifest["status"] == "failed"
    assert "planted failure" in next(n["error"] for n in manifest["notebooks"] if n["error"])
    published = [p for p in (tmp_path / "out").iterdir() if p.is_dir() and p.name[0] not in "_."]
    assert published == []


def test_rerun_replaces_previous_run_of_same_period(tmp_path):
    cfg_path = write_sample(tmp_path / "s", n_customers=500, output_dir=str(tmp_path / "out"))
    cfg = load_config(cfg_path)
    nbs = tmp_path / "nbs"  # publishing is what is tested: one short notebook is enough
    nbs.mkdir()
    shutil.copy(NOTEBOOKS_DIR / "90_appendix.ipynb", nbs)
    first = run_report(cfg, notebooks_dir=nbs, pdf=False).run_dir
    (first / "marker").write_text("old")
    second = run_report(cfg, notebooks_dir=nbs, pdf=False).run_dir
    assert first == second and not (second / "marker").exists()
    runs = [p.name for p in (tmp_path / "out").iterdir() if p.is_dir()]
    assert runs == [first.name]  # besides the lock file and index.html, nothing else


def test_validate_and_sample_commands(tmp_path):
    res = cli("sample", "--out", str(tmp_path / "s"), "--customers", "300")
    assert res.returncode == 0, res.stderr
    assert (tmp_path / "s" / "report.yml").is_file()
    res = cli("validate", "--config", str(tmp_path / "s" / "report.yml"))
    assert res.returncode == 0, res.stderr
    assert "customers" in res.stdout and "300" in res.stdout


def test_churn_pdf_is_an_nbconvert_exporter(sample_run, tmp_path):
    from nbconvert.exporters import get_exporter

    exporter = get_exporter("churn_pdf")()
    pdf, _ = exporter.from_filename(str(sample_run / "notebooks" / "90_appendix.ipynb"))
    assert pdf[:5] == b"%PDF-"


def test_inactivity_definition_runs_on_the_sample_transactions(tmp_path):
    cfg_path = write_sample(tmp_path / "s", n_customers=800, output_dir=str(tmp_path / "out"))
    cfg = load_config(cfg_path)
    cfg.churn.definition = "inactivity"
    cfg.churn.inactivity_days = 45
    nbs = tmp_path / "nbs"  # the periods are the indicator chapter's, the definition the
    nbs.mkdir()  # appendix's
    for name in ("01_indicators.ipynb", "90_appendix.ipynb"):
        shutil.copy(NOTEBOOKS_DIR / name, nbs)
    result = run_report(cfg, notebooks_dir=nbs, pdf=False)
    periods = pd.DataFrame(result.metrics.model_dump(mode="json")["indicators"]["periods"])
    assert result.metrics.model_dump(mode="json")["definition"] == "inactivity"
    assert (
        periods["start_customers"] + periods["new"] - periods["new_and_lost"] - periods["churned"]
        == periods["end_customers"]
    ).all()
    # monthly invoices: a customer lapses 45 days after its last invoice, so the inactivity
    # churn of a month is close to the contract churn of the month before
    assert periods["churned"].sum() > 0
    # purchase revenue as a run rate over the window: revenue churn follows customer churn
    assert result.metrics.indicators.value is not None and periods["churned_revenue"].iloc[-1] > 0

    # the notebooks saw the overridden config, not the YAML on disk
    html = (result.run_dir / "report.html").read_text(encoding="utf-8")
    assert "45 days after its last purchase" in html
    assert "inactivity" in (result.run_dir / "config.yml").read_text()


def test_sample_chapter_metrics_are_complete_and_agree_with_the_data(sample_run):
    m = json.loads((sample_run / "metrics.json").read_text())
    dec = m["indicators"]["periods"][-1]
    for key in (
        "reactivated",
        "retention_rate",
        "annualised_churn_rate",
        "start_revenue",
        "new_revenue",
        "expansion",
        "contraction",
        "churned_revenue",
        "reactivation_revenue",
        "gross_revenue_churn",
        "net_revenue_churn",
        "nrr",
        "quick_ratio",
        "arpa",
        "change_vs_previous",
        "significant_vs_previous",
    ):
        assert key in dec, key
    # revenue lost in December = monthly revenue of the customers of the start set who left
    c = pd.read_csv(SAMPLE / "customers.csv", parse_dates=["start_date", "end_date"])
    ps, pe = pd.Timestamp("2024-12-01"), pd.Timestamp("2025-01-01")
    left = (c["start_date"] < ps) & (c["end_date"] >= ps) & (c["end_date"] < pe)
    assert dec["churned_revenue"] == pytest.approx(c.loc[left, "monthly_revenue"].sum())
    assert m["indicators"]["value"]["revenue_lost"] == pytest.approx(
        12 * c.loc[left, "monthly_revenue"].sum()
    )
    assert m["indicators"]["value"]["profit_lost"] == pytest.approx(
        0.1 * m["indicators"]["value"]["revenue_lost"]
    )
    assert [s["points"] for s in m["indicators"]["value"]["scenarios"]] == [1, 3, 5]
    assert (
        m["indicators"]["survival"]["rmst_months"] > 0
        and m["indicators"]["survival"]["customers"] == 20_000
    )
    assert len(m["indicators"]["cohorts"]["cohorts"]) == 36
    assert {d["convention"] for d in m["indicators"]["definitions"]} >= {
        "start_set",
        "rolling_30_days",
    }
    assert isinstance(m["indicators"]["alerts"], list)
    html = (sample_run / "report.html").read_text(encoding="utf-8")
    assert "What churn costs" in html and "How other tools would count it" in html
    assert 'class="takeaway"' in html


def test_sample_causes_chapter(sample_run):
    m = json.loads((sample_run / "metrics.json").read_text())
    cats = {c["category"]: c["churned"] for c in m["causes"]["reason_categories"]}
    assert sum(cats.values()) == sum(r["churned"] for r in m["causes"]["reasons"]) + cats.get(
        "not_stated", 0
    )
    assert m["causes"]["reasons_unmapped"] == []
    drivers = {(d["driver"], d["level"]): d for d in m["causes"]["drivers"]}
    assert drivers[("complaint_90d", "")]["kind"] == "hazard_ratio"
    assert (
        drivers[("complaint_90d", "")]["significant"]
        and drivers[("complaint_90d", "")]["effect"] > 1
    )
    assert m["causes"]["staff_turnover"]["rate_ratio"] > 1
    html = (sample_run / "report.html").read_text(encoding="utf-8")
    assert "Why customers leave" in html and "left 2." in html


def test_sample_segments_chapter(sample_run):
    m = json.loads((sample_run / "metrics.json").read_text())
    seg = m["segments"]["segments"]
    assert {"tenure_band", "age_band", "customer_type", "plan", "gender"} <= set(seg)
    ct = {r["segment"]: r for r in seg["customer_type"]["levels"]}
    # planted: intermediate customers churn less, with a real difference
    assert ct["intermediate"]["churn_rate"] < ct["final"]["churn_rate"]
    assert seg["customer_type"]["p_value"] < 0.001
    age = {r["segment"]: r["churn_rate"] for r in seg["age_band"]["levels"]}
    assert age["<30"] > age["30-54"] > age["55+"]
    dec = m["segments"]["change_decomposition"]["plan"]["previous"]
    change = sum(r["mix_effect"] + r["rate_effect"] for r in dec)
    dec_periods = [p for p in m["indicators"]["periods"] if p["period"] in ("2024-11", "2024-12")]
    assert change == pytest.approx(dec_periods[1]["churn_rate"] - dec_periods[0]["churn_rate"])
    html = (sample_run / "report.html").read_text(encoding="utf-8")
    assert "Who churns" in html and "Mix effect" in html


def test_sample_lifecycle_and_value_classes(sample_run):
    m = json.loads((sample_run / "metrics.json").read_text())
    states = {s["period"]: s for s in m["segments"]["lifecycle"]["states"]}
    dec = states["2024-12"]
    # the period table's December: new customers; the lifecycle's dormant December are those
    # active in November and not in December
    periods = {p["period"]: p for p in m["indicators"]["periods"]}
    assert dec["new"] == periods["2024-12"]["new"]
    assert dec["active"] == dec["new"] + dec["returning"] + dec["resurrecting"]
    abc = {r["segment"]: r for r in m["segments"]["value_classes"]["abc"]["levels"]}
    assert set(abc) == {"A", "B", "C"}
    total = sum(r["customers"] for r in abc.values())
    assert abc["A"]["customers"] == pytest.approx(0.15 * total, abs=1)
    assert {r["segment"] for r in m["segments"]["value_classes"]["rfm"]["levels"]} >= {
        "champions",
        "at_risk",
    }


@pytest.mark.parametrize(
    ("name", "code", "message"),
    [
        ("timeout", "import time\ntime.sleep(600)", "CellTimeoutError"),
        ("kernel_dies", "import os\nos._exit(1)", "DeadKernelError"),
    ],
)
def test_timeout_or_dead_kernel_exits_1_names_the_cell_and_keeps_the_previous_run(
    tmp_path, name, code, message
):
    cfg_path = write_sample(tmp_path / "s", n_customers=500, output_dir=str(tmp_path / "out"))
    nbs = tmp_path / "nbs"
    nbs.mkdir()
    good = nbformat.read(NOTEBOOKS_DIR / "90_appendix.ipynb", as_version=4)
    nbformat.write(good, nbs / "90_appendix.ipynb")
    previous = run_report(load_config(cfg_path), notebooks_dir=nbs, pdf=False).run_dir
    # the kernel's reset imports the analysis stack outside the cell limit (a 5 s limit once
    # cut those imports off); 10 s leaves the appendix's cells room on a busy 2-core machine
    cfg = load_config(cfg_path, cell_timeout_seconds=10)
    before = (previous / "report.html").read_text(encoding="utf-8")
    bad = nbformat.read(NOTEBOOKS_DIR / "90_appendix.ipynb", as_version=4)
    bad.cells.append(nbformat.v4.new_code_cell(code))
    nbformat.write(bad, nbs / "50_bad.ipynb")
    with pytest.raises(NotebookFailed) as err:
        run_report(cfg, notebooks_dir=nbs, pdf=False)
    assert err.value.exit_code == 1
    n = len(bad.cells) + 1  # numbered in the kept executed copy: papermill adds a parameters cell
    first = code.splitlines()[0]
    assert f"50_bad.ipynb: cell {n} ({first}): {message}" in str(err.value)
    assert (tmp_path / "out" / "_failed" / previous.name / "50_bad.ipynb").exists()
    assert (previous / "report.html").read_text(encoding="utf-8") == before  # untouched


def test_sample_metrics_validate_against_the_printed_schema(sample_run):
    out = cli("schema")
    assert out.returncode == 0, out.stderr
    schema = json.loads(out.stdout)
    jsonschema.Draft202012Validator.check_schema(schema)
    m = json.loads((sample_run / "metrics.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(schema).validate(m)
    assert list(m)[0] == "schema_version" and m["schema_version"] == "2.1"
    kinds = [f["kind"] for f in m["summary"]["findings"]]
    assert kinds == ["cost", "cause", "driver", "segment", "risk"]
