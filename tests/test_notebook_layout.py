"""Committed notebooks read like the report: tagged for export, a markdown heading per section,
the tables behind each chapter at the end. No notebook is executed here."""

from __future__ import annotations

import re

import nbformat
import pytest

from churnreport.report.runner import NOTEBOOKS_DIR, report_notebooks

NOTEBOOKS = report_notebooks(NOTEBOOKS_DIR)
#: Chapter notebooks (the summary and the appendix have no tables of their own to dig in).
CHAPTERS = [p for p in NOTEBOOKS if p.name[:2] in ("01", "02", "03", "04")]
#: A code cell that shows a section heading (a chapter title has level=1).
SECTION_HEADING = re.compile(r"_heading\(|cr\.heading\((?!.*level=1)")


def _cells(path):
    return nbformat.read(path, as_version=4).cells


def _tags(cell) -> list[str]:
    return cell.metadata.get("tags", [])


def _is_section_markdown(cell) -> bool:
    """``## Title`` and a sentence of why, hidden from the exported report."""
    if cell.cell_type != "markdown" or "remove-cell" not in _tags(cell):
        return False
    title, _, why = cell.source.partition("\n")
    return title.startswith("## ") and why.strip() != ""


def test_chapter_notebooks_are_found():
    assert [p.name[:2] for p in CHAPTERS] == ["01", "02", "03", "04"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_code_cell_says_what_export_does_with_it(path):
    for cell in _cells(path):
        if cell.cell_type == "code":
            assert {"remove-input", "remove-cell", "parameters"} & set(_tags(cell)), cell.source


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_markdown_is_for_the_analyst_only(path):
    # the report takes its headings from the catalogue: English markdown in a Chinese report
    # would be a mistake
    for cell in _cells(path):
        if cell.cell_type == "markdown":
            assert "remove-cell" in _tags(cell), cell.source


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_only_jupyter_book_tags(path):
    for cell in _cells(path):
        assert not {"remove-on-export", "remove_cell"} & set(_tags(cell)), cell.source


@pytest.mark.parametrize(
    "path", [*CHAPTERS, NOTEBOOKS_DIR / "90_appendix.ipynb"], ids=lambda p: p.name
)
def test_each_section_starts_with_a_markdown_heading(path):
    seen_markdown = False
    headings = 0
    for cell in _cells(path):
        if _is_section_markdown(cell):
            seen_markdown = True
        elif cell.cell_type == "code" and SECTION_HEADING.search(cell.source):
            assert seen_markdown, f"no markdown heading before {cell.source!r}"
            seen_markdown, headings = False, headings + 1
    assert headings >= 3


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_chapter_ends_with_the_tables_to_dig_further(path):
    cells = _cells(path)
    last_md = max(i for i, c in enumerate(cells) if c.cell_type == "markdown")
    assert _is_section_markdown(cells[last_md])
    assert cells[last_md].source.startswith("## Dig further")
    after = cells[last_md + 1 :]
    assert after and all(c.cell_type == "code" and "remove-cell" in _tags(c) for c in after)
