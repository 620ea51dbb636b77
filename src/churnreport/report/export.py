"""Export executed notebooks as a report: self-contained HTML and a PDF through WeasyPrint.

Both exporters are registered under the ``nbconvert.exporters`` entry point, so
``jupyter nbconvert --to churn_pdf notebook.ipynb`` works as well as the runner does.
What a reader sees: outputs; no code, no prompts, no parameter cells, no stderr streams
(warnings stay in the executed .ipynb for the analyst). The Jupyter Book tags decide: a cell
tagged ``remove-cell`` is left out (the analyst's markdown, setup, dig-further tables), one tagged
``remove-input`` shows its output only; code inputs are excluded anyway as a safety net.
"""

from __future__ import annotations

import copy
from pathlib import Path

import nbformat
from nbconvert.exporters import HTMLExporter
from nbconvert.preprocessors import Preprocessor
from traitlets import Unicode
from traitlets.config import Config

from churnreport.report.front import AnchorHeadings

TEMPLATES = Path(__file__).parent / "templates"
#: Cells the report leaves out entirely (papermill's parameter cells and the analyst's cells).
HIDDEN_TAGS = {"remove-cell", "parameters", "injected-parameters"}
#: Code cells whose output the report shows without their source.
INPUT_HIDDEN_TAGS = {"remove-input"}


class StripForReaders(Preprocessor):
    """Drop stderr streams and empty code cells; a reader has no use for them."""

    def preprocess(self, nb, resources):  # noqa: D102 (nbconvert API)
        cells = []
        for cell in nb.cells:
            if cell.cell_type == "code":
                cell.outputs = [
                    o
                    for o in cell.outputs
                    if not (o.get("output_type") == "stream" and o.get("name") == "stderr")
                ]
                if not cell.outputs:
                    continue
            cells.append(cell)
        nb.cells = cells
        return nb, resources


class ChurnHTMLExporter(HTMLExporter):
    """Self-contained report HTML: own template and print CSS, no code, no external URL."""

    export_from_notebook = "Churn report HTML"
    paper = Unicode("A4", help="Page size for printing: A4 or Letter.").tag(config=True)

    def __init__(self, config=None, **kw):
        c = Config(config or {})
        c.HTMLExporter.exclude_input = True
        c.HTMLExporter.exclude_input_prompt = True
        c.HTMLExporter.exclude_output_prompt = True
        c.HTMLExporter.embed_images = True
        c.HTMLExporter.template_name = "churn"
        c.HTMLExporter.extra_template_basedirs = [str(TEMPLATES)]
        c.TagRemovePreprocessor.remove_cell_tags = HIDDEN_TAGS
        c.TagRemovePreprocessor.remove_input_tags = INPUT_HIDDEN_TAGS
        c.TagRemovePreprocessor.enabled = True
        super().__init__(config=c, **kw)
        self.register_preprocessor(StripForReaders, enabled=True)
        self.register_preprocessor(AnchorHeadings, enabled=True)

    def _init_resources(self, resources):
        resources = super()._init_resources(resources)
        resources["paper"] = self.paper
        return resources


class ChurnPDFExporter(ChurnHTMLExporter):
    """The report as PDF: the HTML above laid out by WeasyPrint with the print stylesheet."""

    export_from_notebook = "Churn report PDF"
    output_mimetype = "application/pdf"

    def __init__(self, config=None, **kw):
        super().__init__(config=config, **kw)
        self.template_file = "index.html.j2"

    def _file_extension_default(self):
        return ".pdf"

    def from_notebook_node(self, nb, resources=None, **kw):  # noqa: D102 (nbconvert API)
        html, resources = super().from_notebook_node(nb, resources, **kw)
        resources["output_extension"] = ".pdf"
        return pdf_from_html(html), resources


def pdf_from_html(html: str) -> bytes:
    """The report HTML laid out as PDF by WeasyPrint (its print stylesheet).

    Parameters
    ----------
    html : str
        What :class:`ChurnHTMLExporter` wrote (self-contained, no external URL).

    Returns
    -------
    bytes
    """
    import logging

    from weasyprint import HTML

    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    return HTML(string=html, base_url=None).write_pdf()


def merge_notebooks(paths: list[Path], title: str) -> nbformat.NotebookNode:
    """One notebook holding the cells of ``paths`` in order (the whole report)."""
    merged = nbformat.v4.new_notebook()
    for p in paths:
        nb = nbformat.read(p, as_version=4)
        if not merged.metadata:
            merged.metadata = copy.deepcopy(nb.metadata)
        for cell in nb.cells:
            cell["id"] = f"{p.stem}-{cell.get('id', len(merged.cells))}"[:64]
            merged.cells.append(cell)
    merged.metadata["title"] = title
    return merged


def export_report(
    executed: list[Path],
    out_dir: Path,
    *,
    title: str,
    language: str,
    paper: str = "A4",
    pdf: bool = True,
    cover: dict | None = None,
) -> dict[str, Path]:
    """Write report.html (+ one HTML per section) and report.pdf from executed notebooks.

    Parameters
    ----------
    executed : list of Path
        Executed notebooks, in report order.
    out_dir : Path
        Run directory.
    title : str
        Document title.
    language : str
        ``en`` or ``zh`` (HTML lang attribute, fonts).
    paper : str
        ``A4`` or ``Letter``.
    pdf : bool
        Also write the PDF.
    cover : dict, optional
        :func:`front.cover_info`: the whole report gets a cover page, contents and a running
        header (the per-section files do not).

    Returns
    -------
    dict
        Output name -> path.
    """
    cfg = Config()
    cfg.ChurnHTMLExporter.paper = paper
    html_exporter = ChurnHTMLExporter(config=cfg)
    resources = {"language_code": "zh-CN" if language == "zh" else "en"}
    written: dict[str, Path] = {}
    merged = merge_notebooks(executed, title)
    whole = dict(resources, cover=cover) if cover else dict(resources)
    report_html, _ = html_exporter.from_notebook_node(merged, resources=dict(whole))
    written["report.html"] = out_dir / "report.html"
    written["report.html"].write_text(report_html, encoding="utf-8")
    for p in executed:
        nb = nbformat.read(p, as_version=4)
        nb.metadata["title"] = title
        body, _ = html_exporter.from_notebook_node(nb, resources=dict(resources))
        target = out_dir / f"{p.stem}.html"
        target.write_text(body, encoding="utf-8")
        written[target.name] = target
    if pdf:
        # the PDF exporter's HTML is report.html (same template and settings): laid out as is
        written["report.pdf"] = out_dir / "report.pdf"
        written["report.pdf"].write_bytes(pdf_from_html(report_html))
    return written
