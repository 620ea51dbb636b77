"""Shared fixtures: paths, small frames, the committed sample."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"
EXAMPLES = ROOT / "data" / "examples"
SHARED_DATA = ROOT.parent / "shared" / "data"

os.environ.setdefault("MPLBACKEND", "Agg")


def spells(*rows: tuple[str, str, str | None]) -> pd.DataFrame:
    """Spells from (customer_id, start, end or None) tuples; spell_no counts per customer."""
    frame = pd.DataFrame(
        {
            "customer_id": [r[0] for r in rows],
            "spell_start": pd.to_datetime([r[1] for r in rows]),
            "spell_end": pd.to_datetime([r[2] for r in rows]),
        }
    )
    order = frame.sort_values("spell_start", kind="stable").groupby("customer_id").cumcount() + 1
    return frame.assign(spell_no=order.sort_index())


@pytest.fixture
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is not beside the repository")
    return SHARED_DATA


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "churnreport.cli", *args],
        capture_output=True,
        text=True,
        timeout=900,
    )


@pytest.fixture(scope="session")
def sample_run(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("reports")
    res = cli("run", "--config", str(SAMPLE / "report.yml"), "--out", str(out))
    assert res.returncode == 0, res.stderr
    assert "ERROR" not in res.stderr and "Traceback" not in res.stderr, res.stderr
    runs = [p for p in out.iterdir() if p.is_dir() and not p.name.startswith((".", "_"))]
    assert [p.name for p in runs] == ["2024-12-31_sample"]
    return runs[0]
