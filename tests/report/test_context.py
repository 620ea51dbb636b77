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
