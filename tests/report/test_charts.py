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

    monkeypatch.setattr(pipeline, "dump_config", stop)
    cfg = load_config(SAMPLE / "report.yml", language="zh", output_dir=str(tmp_path))
    with pytest.raises(RuntimeError, match="stop"):
        pipeline.run_report(cfg, on_event=lambda kind, payload: events.append((kind, payload)))
    assert ("warning", charts.CJK_FONT_MISSING) in events


def test_labels_are_drawn_as_typed_never_as_tex():
    # a segment value is data: "$\foo$" must neither fail ("Unknown symbol") nor be typeset,
    # also when the caller never applied the theme
    import matplotlib.pyplot as plt

    from churnreport.analysis.segments import segment_table
    from churnreport.report.charts import plot_segment_heatmap, plot_segment_rates

    tex = r"$\foo$ $x^2$"
    frame = pd.DataFrame(
        {
            "plan": [tex] * 40 + ["basic"] * 40,
            "churned": [True] * 10 + [False] * 30 + [True] * 2 + [False] * 38,
            "revenue_lost": 0.0,
        }
    )
    with plt.rc_context({"text.parse_math": True}):
        t = segment_table(frame, "plan").table
        rates = plot_segment_rates(t, "Plan $", 0.15, Text("en"))
        heat = plot_segment_heatmap(
            pd.DataFrame({"2024-11": [0.1, 0.2], "2024-12": [0.3, 0.1]}, index=[tex, "b"]),
            "Plan",
            Text("en"),
        )
    for chart in (rates, heat):
        assert f">{tex}</text>" in chart.svg()


def test_control_characters_in_labels_draw_as_a_visible_mark_without_warnings():
    import warnings

    from churnreport.analysis.segments import segment_table
    from churnreport.report.charts import plot_segment_heatmap, plot_segment_rates

    bell, esc = "Ann\x07", "B\x1bx"
    frame = pd.DataFrame(
        {
            "plan": [bell] * 40 + [esc] * 40,
            "churned": [True] * 10 + [False] * 30 + [True] * 2 + [False] * 38,
            "revenue_lost": 0.0,
        }
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "Glyph 7 missing from font(s)" would fail here
        t = segment_table(frame, "plan").table
        rates = plot_segment_rates(t, "Plan", 0.15, Text("en"))
        heat = plot_segment_heatmap(
            pd.DataFrame({"2024-11": [0.1, 0.2], "2024-12": [0.3, 0.1]}, index=[bell, esc]),
            "Plan",
            Text("en"),
        )
        svgs = [rates.svg(), heat.svg()]
    for svg in svgs:
        assert "Ann\ufffd" in svg and "B\ufffdx" in svg and "\x07" not in svg


def test_characters_xml_forbids_in_labels_leave_a_valid_svg():
    # the SVG's text is text: a noncharacter or a lone surrogate in a segment value would
    # make the whole image unreadable
    import xml.etree.ElementTree as ET

    from churnreport.report.charts import plot_segment_heatmap

    heat = plot_segment_heatmap(
        pd.DataFrame({"2024-11": [0.1, 0.2], "2024-12": [0.3, 0.1]}, index=["A\ufffe", "B\ud800"]),
        "Plan",
        Text("en"),
    )
    svg = heat.svg()
    ET.fromstring(svg.encode("utf-8"))
    assert ">A\ufffd</text>" in svg and ">B\ufffd</text>" in svg


def test_a_chart_sets_the_theme_again_after_matplotlib_settings_were_reset():
    # a kept kernel resets matplotlib's settings before each notebook; the next notebook's
    # charts must still get the report's size and fonts (the CJK font above all), not
    # matplotlib's defaults because this process "already set the theme"
    import matplotlib as mpl

    from churnreport.report import charts

    bins = pd.DataFrame(
        {"bin": ["a", "b"], "rows": [10, 10], "churned": [1, 5], "churn_rate": [0.1, 0.5],
         "ci_low": [0.02, 0.24], "ci_high": [0.4, 0.76]}
    )  # fmt: skip
    first = plot_metric_cohorts({"flag": bins}, {"flag": "Flag"}, Text("zh"))
    mpl.rc_file_defaults()
    again = plot_metric_cohorts({"flag": bins}, {"flag": "Flag"}, Text("zh"))
    assert list(again.figure.get_size_inches()) == list(first.figure.get_size_inches())
    assert mpl.rcParams["font.family"] == charts._themed[1]["font.family"]
    assert mpl.rcParams["font.family"] != mpl.rcParamsOrig["font.family"]
    charts.apply_theme("zh")
    charts.apply_theme("zh")  # the fallback list does not grow with each call
    fallback = mpl.rcParams["font.sans-serif"]
    assert len(fallback) == len(set(fallback))
