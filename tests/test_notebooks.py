"""Committed notebooks: no outputs, documented typed parameters, thin cells."""

from __future__ import annotations

import nbformat
import papermill as pm
import pytest

from churnreport.report.runner import NOTEBOOKS_DIR, report_notebooks

NOTEBOOKS = report_notebooks(NOTEBOOKS_DIR)


def test_there_are_report_notebooks():
    assert [p.name for p in NOTEBOOKS] == [
        "00_summary.ipynb",
        "01_indicators.ipynb",
        "02_causes.ipynb",
        "03_segments.ipynb",
        "04_early_warning.ipynb",
        "90_appendix.ipynb",
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_committed_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, path.name


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_parameters_are_typed_and_documented(path):
    params = pm.inspect_notebook(str(path))
    assert set(params) == {"config_path", "as_of", "language", "prepared_dir", "output_dir"}
    for p in params.values():
        assert p["inferred_type_name"] == "str" and p["help"], p


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_cells_are_thin(path):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code" and "parameters" not in cell.metadata.get("tags", []):
            src = cell.source
            assert "for " not in src and "def " not in src and "lambda" not in src, src
            assert src.count("\n") <= 4, src


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs_interactively_from_committed_defaults(tmp_path, path):
    out = tmp_path / "out.ipynb"
    pm.execute_notebook(
        str(path),
        str(out),
        cwd=str(NOTEBOOKS_DIR),
        progress_bar=False,
    )
    nb = nbformat.read(out, as_version=4)
    assert any(
        o.get("output_type") == "execute_result" for c in nb.cells for o in c.get("outputs", [])
    )
