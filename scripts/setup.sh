#!/usr/bin/env bash
# Set up churnreport on a fresh Debian/Ubuntu machine: system packages (when run as root),
# a virtual environment in .venv, the package with its test tools, and the Jupyter kernel.
# Safe to run again: it only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
# (grep without -q: with pipefail, an early exit of grep -q would fail the pipe)
fc-list 2>/dev/null | grep -i "Noto Sans CJK" >/dev/null || need_apt+=(fonts-noto-cjk)
command -v pdftoppm >/dev/null || need_apt+=(poppler-utils)
python3 -c "import venv, ensurepip" 2>/dev/null || need_apt+=(python3-venv)
ldconfig -p 2>/dev/null | grep libpango-1.0 >/dev/null || need_apt+=(libpango-1.0-0 libpangoft2-1.0-0)
# the HTML report's browser test drives Debian's chromium (no browser download)
command -v chromium >/dev/null || need_apt+=(chromium)
# the database-source tests start a throw-away PostgreSQL server
compgen -G "/usr/lib/postgresql/*/bin/pg_ctl" >/dev/null || need_apt+=(postgresql)
# the Spark equivalence test runs a local Spark session (pyspark needs Java 17 or newer)
command -v java >/dev/null || need_apt+=(openjdk-17-jre-headless)
if [ "${#need_apt[@]}" -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "setup: installing Debian packages: ${need_apt[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
  else
    echo "setup: please install (as root): apt-get install ${need_apt[*]}" >&2
  fi
fi

PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip 2>&1 | grep -v "is ignored" >&2 || true
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[dev]' 2>&1 | grep -v "is ignored" >&2 || true
.venv/bin/python -c "import churnreport, papermill, weasyprint" \
  || { echo "setup: the Python install failed" >&2; exit 1; }
# Notebooks in git never carry outputs
if [ -d .git ]; then .venv/bin/nbstripout --install --attributes .gitattributes >/dev/null 2>&1 || true; fi
echo "setup: ready (.venv)" >&2
