"""The report as a reader meets it: cover, contents, summary, page furniture, browser view."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader

from churnreport.analysis.results import Kpi
from churnreport.report.blocks import format_kpi
from churnreport.report.text import Text
from tests.conftest import ROOT

CHAPTERS_EN = [
    "Executive summary",
    "Churn indicators and trends",
    "Why customers leave",
    "Who churns",
    "Early warning and win-back",
    "Appendix: data, definitions and parameters",
]
ARTIFACTS = Path(os.environ.get("CHURN_TEST_ARTIFACTS", ROOT / "test-artifacts"))


@pytest.fixture(scope="module")
def pdf(sample_run):
    reader = PdfReader(sample_run / "report.pdf")
    return reader, [p.extract_text() for p in reader.pages]


def test_cover_page(sample_run, pdf):
    _, pages = pdf
    cover = pages[0]
    assert "Example Co." in cover and "Churn analysis report" in cover
    assert "Report period: Dec 2024 (data as of 31 Dec 2024)" in cover
    assert "Generated" in cover and "Data sources" in cover
    for name in ("customers.csv", "transactions.parquet", "tickets.csv", "staff.csv"):
        assert name in cover
    assert not re.search(r"\b1 / \d+", cover)  # no footer on the cover


def test_contents_lists_every_chapter_with_its_page(pdf):
    reader, pages = pdf
    toc = pages[1]
    assert "Contents" in toc
    for title in CHAPTERS_EN:
        m = re.search(re.escape(title) + r"[ .]*?(\d+)\s*$", toc, re.MULTILINE)
        assert m, title
        page = int(m[1])
        # the chapter title is the first heading of the page the contents names
        assert title in pages[page - 1], (title, page)
    bookmarks = [o.title for o in reader.outline if not isinstance(o, list)]
    assert [b for b in bookmarks if b in CHAPTERS_EN] == CHAPTERS_EN


def test_every_page_but_the_cover_has_header_and_footer(pdf):
    _, pages = pdf
    n = len(pages)
    for i, text in enumerate(pages[1:], start=2):
        assert f"{i} / {n}" in text, i
        assert "Example Co. · Churn analysis report · Dec 2024" in text, i


def test_summary_kpis_printed_equal_metrics(sample_run, pdf):
    m = json.loads((sample_run / "metrics.json").read_text())
    s = m["summary"]
    ind = m["indicators"]
    t = Text("en", m["currency"])
    page = next(p for p in pdf[1][2:] if "Executive summary" in p and "Findings" in p)
    values = {k["name"]: k["value"] for k in s["kpis"]}
    last = ind["periods"][-1]
    assert values["churn_rate"] == ind["overall"]["churn_rate"]
    assert values["retention_rate"] == ind["overall"]["retention_rate"]
    assert values["churned"] == ind["overall"]["churned"]
    assert values["revenue_lost"] == ind["value"]["revenue_lost"]
    assert values["profit_lost"] == ind["value"]["profit_lost"]
    assert values["nrr"] == last["nrr"] and values["clv"] == ind["value"]["clv_arpa_method"]
    flat = re.sub(r"\s+", " ", page)
    for k in s["kpis"]:
        shown = format_kpi(Kpi.model_validate(k), t)
        assert shown in flat, (k["name"], shown)
    assert (
        3 <= len(s["findings"]) == len(s["finding_text"]) <= 5
        and len(s["action_text"]) == len(s["actions"]) >= 2
    )
    for sentence in s["finding_text"][:2]:
        assert re.sub(r"\s+", " ", sentence)[:40] in flat


def test_no_page_is_blank_and_nothing_reveals_a_notebook(sample_run, pdf, tmp_path):
    _, pages = pdf
    subprocess.run(
        ["pdftoppm", "-png", "-r", "20", str(sample_run / "report.pdf"), str(tmp_path / "p")],
        check=True,
    )
    pngs = sorted(tmp_path.glob("p*.png"))
    assert len(pngs) == len(pages)
    for png in pngs:
        grey = Image.open(png).convert("L")
        dark = sum(grey.histogram()[:200])
        assert dark > 50, png.name  # more than a page number
    text = "\n".join(pages)
    for tell in ("In [", "Out[", "Traceback", "import ", "ctx.", "cr.", "Warning", "papermill"):
        assert tell not in text, tell


def test_letter_paper_option(tmp_path):
    from churnreport.report.export import export_report

    nb = sorted((ROOT / "notebooks").glob("90_*.ipynb"))
    out = export_report(nb, tmp_path, title="t", language="en", paper="Letter")
    box = PdfReader(out["report.pdf"]).pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (612, 792)


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(_chromium() is None, reason="Debian chromium is not installed")
def test_html_in_a_browser_has_no_errors_and_no_outside_requests(sample_run):
    from playwright.sync_api import sync_playwright

    url = (sample_run / "report.html").as_uri()
    errors: list[str] = []
    outside: list[str] = []
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=_chromium(),
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        for name, viewport in (("laptop", (1366, 900)), ("phone", (390, 844))):
            page = browser.new_page(viewport={"width": viewport[0], "height": viewport[1]})
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on(
                "request",
                lambda r: None if r.url.startswith(("file:", "data:")) else outside.append(r.url),
            )
            page.goto(url, wait_until="load")
            assert page.title().startswith("Example Co.")
            nav = page.locator("nav.toc")
            assert nav.count() == 1
            if name == "laptop":  # the contents stay in view while reading
                page.mouse.wheel(0, 20000)
                page.wait_for_timeout(200)
                assert nav.bounding_box()["y"] == 0 and nav.is_visible()
                assert page.locator("nav.toc a").count() > len(CHAPTERS_EN)
                page.locator("nav.toc a", has_text="Who churns").first.click()
            page.screenshot(path=str(ARTIFACTS / f"report-{name}.png"))
            page.close()
        browser.close()
    assert errors == [] and outside == []
    assert (ARTIFACTS / "report-laptop.png").stat().st_size > 10_000
