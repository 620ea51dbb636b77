"""The report lint (tests/report_lint.py) finds what it must, on hand-made pages."""

from __future__ import annotations

import json

from tests.report_lint import lint


def _page(tmp_path, body: str, churn_rate: float | None = 0.265) -> object:
    (tmp_path / "report.html").write_text(f"<html><body>{body}</body></html>", encoding="utf-8")
    metrics = {"indicators": {"overall": {"churn_rate": churn_rate}}}
    (tmp_path / "metrics.json").write_text(json.dumps(metrics), encoding="utf-8")
    return tmp_path / "report.html"


def test_the_headline_reads_the_same_on_every_page(tmp_path):
    same = "<p>Churn rate</p><p>26.5%</p><p>(churn rate 26.5%)</p><p>7,043 × 26.5% churn</p>"
    assert lint(_page(tmp_path, same)) == []
    other = "<p>Churn rate 26.5%</p><p>7,032 customers × 26.6% churn = 1,869 lost</p>"
    (problem,) = lint(_page(tmp_path, other))
    assert problem.startswith("headline 26.6% is not 26.5%")
    zh = "<p>流失率</p><p>26.5%</p><p>年化流失率 83.1%</p><p>月流失率 2.1%</p>"
    assert lint(_page(tmp_path, zh), "zh") == []


def test_placeholders_and_empty_ranges_are_found(tmp_path):
    page = _page(
        tmp_path,
        "<p>p = nan</p><p>between 100.0% and 100.0% of a cohort</p>"
        "<p>from 20.9% (female) to 20.9% (male)</p><p>at_risk</p>",
        churn_rate=None,
    )
    kinds = {p.split(":")[0] for p in lint(page)}
    assert kinds == {"nan", "between X and X", "from X to X", "raw key"}


def test_chart_words_are_read(tmp_path):
    import matplotlib.pyplot as plt

    from churnreport.report.charts import Chart

    fig, ax = plt.subplots()
    ax.bar(["basic", "nan"], [1, 2])
    ax.set_xlabel("months since start")
    html = Chart(fig, "alt text")._repr_html_()
    plt.close(fig)
    problems = lint(_page(tmp_path, html), "zh")
    assert any(p.startswith("nan:") and "[chart:" in p for p in problems)
    assert any(p.startswith("English label:") and "months since start" in p for p in problems)
