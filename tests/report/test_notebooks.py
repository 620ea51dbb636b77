"""Where the report notebooks are, and an analyst's copies of them."""

from __future__ import annotations

import pytest

from churnreport.errors import ConfigError
from churnreport.report.notebooks import NOTEBOOKS_DIR, copy_notebooks, report_notebooks
from tests.conftest import ROOT


def test_a_checkout_runs_its_top_level_notebooks():
    assert NOTEBOOKS_DIR == ROOT / "notebooks"


def test_copies_are_never_overwritten_without_force(tmp_path):
    written = copy_notebooks(tmp_path / "mine")
    assert [p.name for p in written] == [p.name for p in report_notebooks()]
    (tmp_path / "mine" / "01_indicators.ipynb").write_text("{}")  # the analyst's edit
    with pytest.raises(ConfigError, match="01_indicators.ipynb.*--force"):
        copy_notebooks(tmp_path / "mine")
    assert (tmp_path / "mine" / "01_indicators.ipynb").read_text() == "{}"
    copy_notebooks(tmp_path / "mine", force=True)
    assert (tmp_path / "mine" / "01_indicators.ipynb").read_bytes() == (
        NOTEBOOKS_DIR / "01_indicators.ipynb"
    ).read_bytes()


def test_a_missing_or_empty_notebooks_folder_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        report_notebooks(tmp_path / "nowhere")
    with pytest.raises(ConfigError, match="no report notebooks"):
        report_notebooks(tmp_path)
    (tmp_path / "a_file").write_text("")
    with pytest.raises(ConfigError, match="is a file"):
        copy_notebooks(tmp_path / "a_file")
