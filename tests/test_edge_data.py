"""Ordinary data at the edges (issue 14): every notebook runs and says what it can.

Each case writes a small customers export with one unusual but legitimate property (one
customer, everyone churned, nobody churned, nobody at the period start, a segment value that
looks like TeX, control characters) and runs every report notebook in process
(tests/notebook_inprocess.py): no cell may raise, no missing number may reach a page, and
where a section cannot say anything, it says why.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pytest
import yaml
from openpyxl import load_workbook

from churnreport.report.text import messages
from tests.notebook_inprocess import NotebookRun, run_notebooks

AS_OF = "2024-12-31"


def _customers(
    n: int = 300,
    *,
    first: dt.date = dt.date(2023, 1, 1),
    step_days: int = 2,
    leaves: Callable[[int, dt.date], dt.date | None] = lambda i, start: (
        start + dt.timedelta(days=200) if i % 3 == 0 else None
    ),
) -> pd.DataFrame:
    """``n`` customers joining every ``step_days`` from ``first``; customer ``i`` leaves on
    ``leaves(i, start)`` (None: still a customer; dates after the report date are open)."""
    rows = []
    for i in range(n):
        start = first + dt.timedelta(days=step_days * i)
        end = leaves(i, start)
        end = end if end and end <= dt.date.fromisoformat(AS_OF) else None
        rows.append(
            {
                "customer_id": f"C{i:03d}",
                "name": f"Customer {i}",
                "start_date": start.isoformat(),
                "end_date": end.isoformat() if end else "",
                "plan": ["basic", "premium"][i % 2],
                "region": ["north", "south", "east"][i % 3],
                "account_manager": ["AM1", "AM2"][i % 2],
                "monthly_revenue": f"{99 + i % 5}.5",
                "churn_reason": ["price too high", "moved away"][i % 2] if end else "",
            }
        )
    return pd.DataFrame(rows)


def _everyone_leaves(i: int, start: dt.date) -> dt.date:
    """After 400 days, or in the report month at the latest."""
    return min(start + dt.timedelta(days=400), dt.date(2024, 12, 2) + dt.timedelta(days=i % 28))


def _set(column: str, rows, value) -> Callable[[pd.DataFrame], pd.DataFrame]:
    def f(c: pd.DataFrame) -> pd.DataFrame:
        c = c.copy()
        c.loc[rows, column] = value
        return c

    return f


@dataclass(frozen=True)
class Edge:
    """One edge case: how its customers export is made and what the report must say.

    ``says`` maps a notebook (name prefix) to the catalogue keys of sentences it must show:
    the honest "nothing to say here, because ..." instead of a blank or a broken number.
    """

    id: str
    customers: Callable[[], pd.DataFrame]
    says: dict[str, list[str]] = field(default_factory=dict)


EDGES = [
    Edge(
        "one-customer",
        lambda: _customers(1, leaves=lambda i, s: None),
        {
            "01": ["value.no_churn", "value.no_annual_churn"],
            "03": ["seg.none_churned"],
            "04": ["warning.why_not.too_few_churners"],
            "00": ["summary.no_churn"],
        },
    ),
    Edge(
        "one-customer-churned",
        lambda: _customers(1, leaves=lambda i, s: dt.date(2024, 12, 9)),
        {
            "01": ["value.statement"],
            "03": ["seg.all_churned"],
            "04": ["warning.why_not.nobody_active"],
        },
    ),
    Edge(
        "all-churned",
        lambda: _customers(leaves=_everyone_leaves),
        {"03": ["seg.all_churned"], "04": ["warning.why_not.nobody_active"]},
    ),
    Edge(
        "none-churned",
        lambda: _customers(leaves=lambda i, s: None),
        {
            "01": ["value.no_churn", "value.no_annual_churn", "take.no_quick"],
            "02": ["causes.no_churners", "causes.model_not_fitted"],
            "03": ["seg.none_churned", "seg.no_change", "seg.logrank_none"],
            "04": ["warning.why_not.too_few_churners"],
            "00": ["summary.no_churn"],
        },
    ),
    Edge(
        "nobody-at-start",
        lambda: _customers(
            20,
            first=dt.date(2024, 12, 1),
            step_days=1,
            leaves=lambda i, s: s + dt.timedelta(days=5) if i % 3 == 0 else None,
        ),
        {
            "01": [
                "indicators.no_start",
                "value.no_start",
                "value.no_basis",
                "take.no_nrr",
                "survival.summary_short",
                "take.survival_short",
            ],
            "02": ["causes.model_not_fitted"],
            "03": ["seg.no_population", "seg.no_change"],
            "04": ["warning.why_not.no_history"],
            "00": ["indicators.no_start"],
        },
    ),
    Edge(
        "tex-segment",
        lambda: _set("plan", [1, 3, 5], TEX)(_customers()),
        {
            "03": ["seg.real|seg.not_real"],
            "04": ["warning.list_summary|warning.list_summary_novalue"],
        },
    ),
    Edge(
        "control-characters",
        lambda: _set("name", slice(None), "Ann\x07\x1b")(
            _set("plan", [0, 1, 2, 3], "pro\x07")(_customers())
        ),
        {"04": ["warning.list_summary|warning.list_summary_novalue"]},
    ),
]
#: The rows for docs/DATA.md: (case, input, outcome, what happens); each is a case above.
EDGE_ROWS = [
    (
        "one-customer",
        "a single customer, still active (as_of set)",
        "ok",
        "every chapter runs; where there is no churn to compare or model, it says so",
    ),
    (
        "one-customer-churned",
        "a single customer, who left in the report period",
        "ok",
        "100% churn with its interval; no one left to score, said in chapter 4",
    ),
    (
        "all-churned",
        "every customer has left by the report date",
        "ok",
        "rates and costs as computed; segments say everyone churned; no list: nobody to score",
    ),
    (
        "none-churned",
        "no customer has ever left",
        "ok",
        "0% churn; no lifetime value, driver model, segment test or list, each with the reason",
    ),
    (
        "nobody-at-start",
        "every customer joined in the report period",
        "ok",
        "no churn rate: says nobody was active at the start; joiners and leavers still counted",
    ),
    (
        "tex-segment",
        "a segment value that looks like TeX ($\\foo$)",
        "ok",
        "shown as typed in tables and charts (no math rendering)",
    ),
    (
        "control-characters",
        "control characters (BEL, ESC) in a name or segment value",
        "ok",
        "kept in at_risk.csv; control pictures (␇) in at_risk.xlsx; � in charts (no missing glyph)",
    ),
]

#: A segment value matplotlib would read as TeX (``\foo`` is no symbol: "Unknown symbol").
TEX = r"$\foo$ $x^2$"


def _activity(customers: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Monthly purchases of every customer while a customer, and one ticket each, 20 days
    after joining."""
    as_of = pd.Timestamp(AS_OF)
    tx, tickets = [], []
    for i, c in enumerate(customers.itertuples()):
        start = pd.Timestamp(c.start_date)
        end = pd.Timestamp(c.end_date) if c.end_date else as_of
        for k, day in enumerate(pd.date_range(start, end, freq="30D")):
            tx.append({"customer_id": c.customer_id, "date": day.date(), "amount": 50 + k % 7})
        opened = start + pd.Timedelta(days=20)
        if opened < end:
            tickets.append(
                {
                    "customer_id": c.customer_id,
                    "opened_at": opened.date(),
                    "category": ["complaint", "billing"][i % 2],
                    "first_response_hours": [2.0, 40.0, 8.0][i % 3],
                    "resolved": i % 4 != 0,
                    "satisfaction": 1 + i % 5,
                }
            )
    return (
        pd.DataFrame(tx, columns=["customer_id", "date", "amount"]),
        pd.DataFrame(
            tickets,
            columns=[
                "customer_id",
                "opened_at",
                "category",
                "first_response_hours",
                "resolved",
                "satisfaction",
            ],
        ),
    )


def write_case(edge: Edge, directory: Path) -> Path:
    """Write the case's customers, transactions, tickets and staff exports and its report.yml;
    returns the config path."""
    directory.mkdir(parents=True, exist_ok=True)
    customers = edge.customers()
    customers.to_csv(directory / "customers.csv", index=False)
    transactions, tickets = _activity(customers)
    transactions.to_csv(directory / "transactions.csv", index=False)
    tickets.to_csv(directory / "tickets.csv", index=False)
    pd.DataFrame({"account_manager": ["AM1"], "left_date": ["2024-06-30"]}).to_csv(
        directory / "staff.csv", index=False
    )
    cfg = {
        "name": edge.id,
        "as_of": AS_OF,
        "company": "Edge Co.",
        "sources": {
            t: {"path": f"{t}.csv"} for t in ("customers", "transactions", "tickets", "staff")
        },
        "segments": ["plan", "region"],
        "output_dir": str(directory / "reports"),
    }
    if tickets.empty:
        del cfg["sources"]["tickets"]
    path = directory / "report.yml"
    path.write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")
    return path


#: What a missing or broken number looks like on a page (tables included).
BROKEN = re.compile(r"\b(nan|NaN|None(?! of)|NaT|inf)\b|\{[a-z_]+\}")


def _sentence(key: str, language: str) -> re.Pattern:
    """The catalogue sentence ``key`` as a pattern (its fields match any text)."""
    parts = re.split(r"\{[a-z_0-9]+(?::[^}]*)?\}", messages(language)[key])
    return re.compile(".*?".join(re.escape(p) for p in parts))


def _blocks(page: str) -> list[str]:
    """The texts between tags, unescaped: each sentence of a page lies inside one."""
    return [html.unescape(t) for t in re.split(r"<[^>]+>", page) if t.strip()]


def _shows(page: str, keys: str, language: str) -> bool:
    """Whether one of the catalogue sentences ``keys`` (``a|b``) is on the page."""
    patterns = [_sentence(k, language) for k in keys.split("|")]
    return any(p.search(b) for b in _blocks(page) for p in patterns)


def _visible(run: NotebookRun) -> str:
    """The text a reader sees (charts and tags left out)."""
    return html.unescape(re.sub(r"<[^>]+>", " ", re.sub(r"<img[^>]*>", "", run.text)))


def check_report(runs: dict[str, NotebookRun], edge: Edge, language: str) -> None:
    """Every notebook ran (the harness raised otherwise, also on a sentence filled with a
    missing number), shows no broken number, and says what the case calls for."""
    assert len(runs) == 6
    for run in runs.values():
        broken = BROKEN.search(_visible(run))
        assert broken is None, (run.name, broken, _visible(run)[broken.start() - 200 :][:400])
    for prefix, keys in edge.says.items():
        run = next(r for name, r in runs.items() if name.startswith(prefix))
        for key in keys:
            assert _shows(run.text, key, language), (run.name, key)


def test_every_edge_case_has_a_row_for_the_catalogue():
    assert [r[0] for r in EDGE_ROWS] == [e.id for e in EDGES]
    assert all(r[2] in ("stop", "note", "ok") and len(r[3]) < 100 for r in EDGE_ROWS)


_RUNS: dict[tuple[str, str], tuple[dict[str, NotebookRun], Path]] = {}


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Callable[[str, str], tuple[dict[str, NotebookRun], Path]]:
    """Run a case's notebooks once per language: (runs, run directory)."""

    def run(edge_id: str, language: str = "en"):
        if (edge_id, language) not in _RUNS:
            edge = next(e for e in EDGES if e.id == edge_id)
            tmp = tmp_path_factory.mktemp(f"{edge_id}_{language}")
            runs = run_notebooks(write_case(edge, tmp / "case"), tmp / "run", language=language)
            _RUNS[edge_id, language] = runs, tmp / "run"
        return _RUNS[edge_id, language]

    return run


@pytest.mark.parametrize("edge", EDGES, ids=lambda e: e.id)
def test_every_notebook_says_what_it_can(edge, report):
    check_report(report(edge.id, "en")[0], edge, "en")


@pytest.mark.parametrize(
    "edge", [e for e in EDGES if e.id in ("none-churned", "nobody-at-start")], ids=lambda e: e.id
)
def test_chinese_report_says_what_it_can(edge, report):
    check_report(report(edge.id, "zh")[0], edge, "zh")


def _svg_texts(run: NotebookRun) -> str:
    """The notebook's charts as SVG text (their words are ``<text>`` elements)."""
    svgs = re.findall(r"data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)", run.text)
    return "\n".join(base64.b64decode(s).decode("utf-8") for s in svgs)


def test_tex_like_segment_value_is_drawn_as_typed(report):
    segments = report("tex-segment")[0]["03_segments.ipynb"]
    assert html.escape(TEX, quote=False) in segments.text  # in the tables
    assert f">{html.escape(TEX, quote=False)}</text>" in _svg_texts(segments)  # in the charts


def test_control_characters_reach_csv_as_they_are_and_xlsx_as_pictures(report):
    run_dir = report("control-characters")[1]
    assert "Ann\x07\x1b" in (run_dir / "at_risk.csv").read_text(encoding="utf-8-sig")
    cells = {v for row in load_workbook(run_dir / "at_risk.xlsx").active.values for v in row}
    assert "Ann␇␛" in cells and not any("\x07" in str(v) for v in cells)


def test_cli_run_of_an_edge_case_matches_the_in_process_harness(tmp_path):
    """One real run (papermill, export, publish) of the cases that touch the most layers: a
    TeX-like segment value in the charts, control characters in the shared files."""
    edge = Edge(
        "cli-edge",
        lambda: _set("plan", [1, 3, 5], TEX)(
            _set("name", slice(None), "Ann\x07\x1b")(_customers())
        ),
    )
    config = write_case(edge, tmp_path / "case")
    res = subprocess.run(
        [sys.executable, "-m", "churnreport.cli", "run", "--config", str(config), "--no-pdf"],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert res.returncode == 0, res.stderr[-3000:]
    assert "Traceback" not in res.stderr
    run = tmp_path / "case" / "reports" / "2024-12-31_cli-edge"
    page = (run / "report.html").read_text(encoding="utf-8")
    assert _shows(page, "warning.list_summary", "en")
    assert html.escape(TEX, quote=False) in page
    assert "Ann\x07\x1b" in (run / "at_risk.csv").read_text(encoding="utf-8-sig")
    cells = {v for row in load_workbook(run / "at_risk.xlsx").active.values for v in row}
    assert "Ann␇␛" in cells
