#!/usr/bin/env bash
# A separate virtual environment, .venv-airflow, with a pinned Apache Airflow: the test
# tests/test_airflow_dag.py loads examples/airflow/ with Airflow's own DagBag there.
# Airflow is kept out of .venv because its pins would fight the report's dependencies.
# Safe to run again: it does nothing when that Airflow version is already installed.
set -euo pipefail
cd "$(dirname "$0")/.."

AIRFLOW_VERSION=3.3.2
VENV=.venv-airflow
PY=${PYTHON:-python3}

if [ -x "$VENV/bin/python" ] \
  && [ "$("$VENV/bin/python" -c 'from importlib.metadata import version; print(version("apache-airflow"))' 2>/dev/null)" = "$AIRFLOW_VERSION" ]; then
  echo "setup_airflow: ready ($VENV, apache-airflow $AIRFLOW_VERSION)" >&2
  exit 0
fi
[ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --disable-pip-version-check --upgrade pip 2>&1 | grep -v "is ignored" >&2 || true
"$VENV/bin/python" -m pip install -q --disable-pip-version-check "apache-airflow==$AIRFLOW_VERSION" 2>&1 \
  | grep -v "is ignored" >&2 || true
"$VENV/bin/python" -c "import airflow.sdk, airflow.timetables.trigger" \
  || { echo "setup_airflow: the Airflow install failed" >&2; exit 1; }
echo "setup_airflow: ready ($VENV, apache-airflow $AIRFLOW_VERSION)" >&2
