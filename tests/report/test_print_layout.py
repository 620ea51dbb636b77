"""Print layout: a section's heading never stays alone at the foot of a page."""

from __future__ import annotations

from pathlib import Path

from weasyprint import HTML

CSS = (
    Path(__file__).resolve().parents[2] / "src/churnreport/report/templates/churn/report.css"
).read_text(encoding="utf-8")


def _cell(inner: str) -> str:
    """A code cell's output as nbconvert's lab template writes it (collapser div first)."""
    return (
        '<div class="jp-Cell jp-CodeCell jp-Notebook-cell jp-mod-noInput">'
        '<div class="jp-Cell-outputWrapper">'
        '<div class="jp-Collapser jp-OutputCollapser jp-Cell-outputCollapser"></div>'
        '<div class="jp-OutputArea jp-Cell-outputArea"><div class="jp-OutputArea-child">'
        f'<div class="jp-RenderedHTMLCommon jp-OutputArea-output">{inner}</div>'
        "</div></div></div></div>"
    )


def _pages_of(texts: list[str], filler_mm: int) -> dict[str, int]:
    chart = (
        '<figure class="chart"><img alt="chart" src="data:image/svg+xml;utf8,'
        "%3Csvg xmlns='http://www.w3.org/2000/svg' width='600' height='300'%3E"
        "%3Crect width='600' height='300'/%3E%3C/svg%3E\"></figure>"
    )
    body = _cell(f'<div style="height:{filler_mm}mm"></div>')
    body += _cell('<h3>Lifecycle</h3><p class="why">Each period by state.</p>')
    body += _cell(chart)
    doc = HTML(string=f"<html><style>{CSS}</style><body>{body}</body></html>").render()
    found = {}
    for number, page in enumerate(doc.pages, start=1):
        stack = [page._page_box]
        while stack:
            box = stack.pop()
            text = (
                "<img>"
                if getattr(box, "element_tag", None) == "img"
                else getattr(box, "text", None)
            )
            if text in texts:
                found.setdefault(text, number)
            stack.extend(getattr(box, "children", None) or [])
    return found


def test_a_heading_goes_to_the_next_page_with_its_chart():
    # the filler leaves room for the heading but not for the chart below it
    for filler in (190, 210, 230):
        pages = _pages_of(["Lifecycle", "<img>"], filler)
        assert pages["Lifecycle"] == pages["<img>"] == 2, (filler, pages)
