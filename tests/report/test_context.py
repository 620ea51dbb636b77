"""A notebook's config_path reads relative to the notebook, wherever papermill runs from."""

from pathlib import Path

from churnreport.report.context import resolve_config_path
from churnreport.report.runner import NOTEBOOKS_DIR


def test_config_path_relative_to_the_notebook_from_any_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # e.g. `papermill notebooks/01_indicators.ipynb` from elsewhere
    got = resolve_config_path("../data/sample/report.yml")
    assert got == (NOTEBOOKS_DIR / "../data/sample/report.yml").resolve() and got.is_file()
    (tmp_path / "mine.yml").write_text("name: x\n")
    assert resolve_config_path("mine.yml") == Path("mine.yml")  # the working directory first
    assert resolve_config_path("nowhere.yml") == Path("nowhere.yml")  # its error names it


def test_without_drivers_include_the_export_columns_are_candidates(tmp_path):
    import numpy as np
    import pandas as pd
    import yaml

    from churnreport.report.context import open_report

    rng = np.random.default_rng(1)
    n = 300
    left = rng.random(n) < 0.3
    pd.DataFrame({
        "id": [f"C{i}" for i in range(n)], "tenure": rng.integers(1, 60, n),
        "left": np.where(left, "Yes", "No"), "Visits": rng.integers(0, 9, n),
        "Churn Score": np.where(left, 80, 20), "Comment": [f"text {i}" for i in range(n)],
    }).to_csv(tmp_path / "c.csv", index=False)  # fmt: skip
    cfg = {"name": "t", "as_of": "2024-06-30", "churn": {"definition": "snapshot"},
           "sources": {"customers": {"path": "c.csv", "columns": {
               "customer_id": "id", "tenure_months": "tenure", "churned": "left"}}}}  # fmt: skip
    (tmp_path / "r.yml").write_text(yaml.safe_dump(cfg))
    ctx = open_report(str(tmp_path / "r.yml"))
    attrs = ctx.driver_attributes()
    assert "Visits" in attrs and "Churn Score" not in attrs and "Comment" not in attrs
    cfg["drivers"] = {"include": ["Comment"]}  # named drivers: only those
    (tmp_path / "r.yml").write_text(yaml.safe_dump(cfg))
    assert "Visits" not in open_report(str(tmp_path / "r.yml")).driver_attributes()
