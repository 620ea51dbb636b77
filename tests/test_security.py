"""Hostile values in the data never become markup: every value reaching HTML is escaped."""

from __future__ import annotations

import re
import shutil
from html.parser import HTMLParser

import pandas as pd
import pytest

from churnreport.data.sample import write_sample
from tests.conftest import cli

SCRIPT = '<script>alert("x")</script>'
IMG = "<img src=x onerror=alert(1)>"


class _Tags(HTMLParser):
    """Every element name and every event-handler attribute (on...) of a page."""

    def __init__(self):
        super().__init__()
        self.names: set[str] = set()
        self.handlers: list[tuple[str, str]] = []

    def handle_starttag(self, tag, attrs):
        self.names.add(tag)
        self.handlers += [(tag, a) for a, _ in attrs if a.lower().startswith("on")]


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("xss")
    cfg = write_sample(root / "s", n_customers=2500, output_dir=str(root / "reports"))
    c = pd.read_csv(root / "s" / "customers.csv", dtype=str, keep_default_na=False)
    c["region"] = c["region"].replace({"East": "East" + SCRIPT, "West": IMG})
    c["account_manager"] = c["account_manager"].replace({"AM01": SCRIPT + "AM01"})
    stated = c["churn_reason"] != ""
    c.loc[stated & (c.index % 3 == 0), "churn_reason"] = IMG + " price too high"
    c.loc[stated & (c.index % 3 == 1), "churn_reason"] = "=HYPERLINK(" + SCRIPT + ")"
    c["contact_name"] = "Ms " + SCRIPT
    c.to_csv(root / "s" / "customers.csv", index=False)
    res = cli("run", "--config", str(cfg), "--no-pdf")
    assert res.returncode == 0, res.stderr
    return next((root / "reports").glob("*_sample"))


def test_hostile_values_are_escaped_in_every_html_file(hostile_run):
    pages = sorted(hostile_run.glob("*.html"))
    assert len(pages) >= 6
    for page in pages:
        html = page.read_text(encoding="utf-8")
        tags = _Tags()
        tags.feed(html)
        assert "script" not in tags.names, page.name
        assert tags.handlers == [], (page.name, tags.handlers[:3])
    whole = (hostile_run / "report.html").read_text(encoding="utf-8")
    # the values are shown, as text
    assert "&lt;script&gt;" in whole and "&lt;img src=x onerror=alert(1)&gt;" in whole


def test_hostile_values_are_inert_in_a_browser(hostile_run):
    if shutil.which("chromium") is None:
        pytest.skip("Debian chromium is not installed")
    from playwright.sync_api import sync_playwright

    dialogs: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=shutil.which("chromium"),
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        page = browser.new_page()
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.goto((hostile_run / "report.html").as_uri(), wait_until="load")
        assert page.locator("script").count() == 0
        assert page.get_by_text("East" + SCRIPT).count() >= 1
        browser.close()
    assert dialogs == []


def test_shared_files_neutralise_formulas_and_keep_text(hostile_run):
    rows = pd.read_csv(hostile_run / "at_risk.csv", encoding="utf-8-sig", dtype=str)
    for col in rows.columns:
        values = rows[col].dropna()
        assert not values.str.match(r"^[=+\-@]").any(), col
    assert rows.filter(like="contact_name").iloc[:, 0].str.contains("<script>").all()


@pytest.mark.parametrize("name", ["../evil", "a/b", "/abs", "..", ".hidden", "a\\b", "名字"])
def test_config_names_cannot_escape_the_reports_directory(tmp_path, name):
    from churnreport.config import load_config
    from churnreport.errors import ConfigError

    cfg = tmp_path / "r.yml"
    cfg.write_text("sources: {customers: {path: c.csv}}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="name"):
        load_config(cfg, name=name)


def test_pii_mask_leaves_no_customer_id_or_name_in_any_shared_output(tmp_path):
    import json
    import subprocess

    import yaml

    root = tmp_path
    cfg = write_sample(root / "s", n_customers=1500, output_dir=str(root / "reports"))
    c = pd.read_csv(root / "s" / "customers.csv", dtype=str, keep_default_na=False)
    c["contact_email"] = [f"person{i}@example.com" for i in range(len(c))]
    c.loc[3, "plan"] = "?"  # a data-quality example on a customer row
    c.to_csv(root / "s" / "customers.csv", index=False)
    raw = yaml.safe_load(cfg.read_text(encoding="utf-8"))
    raw["pii"] = "mask"
    cfg.write_text(yaml.safe_dump(raw), encoding="utf-8")
    res = cli("run", "--config", str(cfg))
    assert res.returncode == 0, res.stderr
    run = next((root / "reports").glob("*_sample"))
    ids = set(c["customer_id"])
    texts = []
    for path in run.rglob("*"):
        if path.suffix in (".html", ".json", ".csv", ".ipynb", ".yml"):
            texts.append((path.name, path.read_text(encoding="utf-8", errors="replace")))
        elif path.suffix == ".pdf":
            out = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True)
            texts.append((path.name, out.stdout))
        elif path.suffix == ".xlsx":
            rows = pd.read_excel(path, dtype=str).to_csv(index=False)
            texts.append((path.name, rows))
        elif path.suffix == ".parquet":
            texts.append((path.name, pd.read_parquet(path).to_csv(index=False)))
    assert {name for name, _ in texts} >= {"report.pdf", "at_risk.xlsx", "data_quality.json"}
    pattern = re.compile(r"\bC\d{6}\b")
    for name, text in texts:
        if name == "config.yml":
            continue
        leaked = {m for m in pattern.findall(text) if m in ids}
        assert not leaked, (name, sorted(leaked)[:3])
        assert "@example.com" not in text, name
    dq = json.loads((run / "data_quality.json").read_text(encoding="utf-8"))
    assert any(i["examples"] for i in dq["issues"])
