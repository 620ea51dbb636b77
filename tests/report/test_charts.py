"""Charts survive edge cases and carry alt text."""

from __future__ import annotations

import pandas as pd

from churnreport.report.charts import plot_metric_cohorts
from churnreport.report.text import Text


def test_metric_cohorts_with_zero_and_full_rates():
    # rates of exactly 0 and 1 put the Wilson bound on the estimate: error bars of length 0
    bins = pd.DataFrame(
        {
            "bin": ["0", "1"],
            "rows": [50, 3],
            "churned": [0, 3],
            "churn_rate": [0.0, 1.0],
            "ci_low": [0.0, 0.4385],
            "ci_high": [0.0713, 1.0],
        }
    )
    chart = plot_metric_cohorts({"flag": bins}, {"flag": "Flag"}, Text("en"))
    assert chart is not None and "1 strongest factors" in chart.alt
    assert chart.svg().startswith("<?xml")


def test_missing_chinese_font_is_a_clear_warning(monkeypatch, tmp_path):
    import pytest

    from churnreport.config import load_config
    from churnreport.report import charts, pipeline
    from tests.conftest import SAMPLE

    monkeypatch.setattr(charts, "find_cjk_font", lambda: None)
    with pytest.warns(UserWarning, match="apt-get install fonts-noto-cjk"):
        charts.apply_theme("zh")
    charts.apply_theme("en")
    events = []

    def stop(*_):
        raise RuntimeError("stop after loading")

    monkeypatch.setattr(pipeline, "find_cjk_font", lambda: None)
    monkeypatch.setattr(pipeline, "report_notebooks", stop)
    cfg = load_config(SAMPLE / "report.yml", language="zh", output_dir=str(tmp_path))
    with pytest.raises(RuntimeError, match="stop"):
        pipeline.run_report(cfg, on_event=lambda kind, payload: events.append((kind, payload)))
    assert ("warning", charts.CJK_FONT_MISSING) in events
