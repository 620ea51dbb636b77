"""``engine: spark`` gives the sample's metrics.json byte for byte (issue #18's equivalence test).

The run is the real command line on a local Spark session (``local[*]``), against the session's
DuckDB run of the same sample (the ``sample_run`` fixture), so what Spark computes reaches every
figure of the report through the same road.
"""

from __future__ import annotations

import json
import shutil

import pytest

from churnreport.config import dump_config, load_config
from tests.conftest import SAMPLE, cli


@pytest.mark.long
def test_engine_spark_gives_the_identical_metrics_json(sample_run, tmp_path):
    if shutil.which("java") is None:
        pytest.fail("Java is missing: scripts/setup.sh installs openjdk-17-jre-headless")
    config = dump_config(load_config(SAMPLE / "report.yml", engine="spark"), tmp_path / "r.yml")
    res = cli("run", "--config", str(config), "--no-pdf", "--out", str(tmp_path / "reports"))
    assert res.returncode == 0, res.stderr[-3000:]
    assert "ERROR" not in res.stderr and "Traceback" not in res.stderr, res.stderr[-3000:]
    spark_run = tmp_path / "reports" / sample_run.name
    manifest = json.loads((spark_run / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["parameters"]["engine"] == "spark"
    assert (spark_run / "metrics.json").read_text(encoding="utf-8") == (
        sample_run / "metrics.json"
    ).read_text(encoding="utf-8")
