"""A real package: the wheel built from the sdist carries the notebooks, runs the sample from
another working directory with its own Python, and runs an analyst's edited notebooks."""

from __future__ import annotations

import filecmp
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tarfile
from pathlib import Path

import nbformat
import pytest

from tests.conftest import ROOT, SAMPLE

#: Top-level folders of a checkout that are not part of the package's source distribution.
_NOT_SOURCE = {".git", ".venv", "reports", "data", "tests", "benchmarks", "build", "dist"}
MARKER = "Edited by the analyst: churn in the north is a pricing story"
LOG_LINE = re.compile(
    r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d churnreport (INFO|WARNING|ERROR) "
)


def _run(*args, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    res = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=900
    )
    assert res.returncode == 0, f"{args}\n{res.stdout}\n{res.stderr}"
    return res


def _source_copy(target: Path) -> Path:
    """The checkout's source files (what an sdist is built from), without its caches."""

    def ignore(folder: str, names: list[str]) -> list[str]:
        top = Path(folder) == ROOT
        return [
            n for n in names
            if (top and n in _NOT_SOURCE) or n == "__pycache__" or n.endswith(".egg-info")
        ]  # fmt: skip

    shutil.copytree(ROOT, target, ignore=ignore)
    return target


@pytest.fixture(scope="module")
def venv(tmp_path_factory) -> Path:
    """A fresh virtual environment holding the wheel built from the sdist (its dependencies
    come from the test environment's site-packages through a .pth file: nothing downloads)."""
    pytest.importorskip("setuptools", reason="setuptools builds the sdist and the wheel")
    root = tmp_path_factory.mktemp("packaging")
    source = _source_copy(root / "source")
    _run(sys.executable, "-c",
         "import sys; from setuptools import build_meta; build_meta.build_sdist(sys.argv[1])",
         root / "dist", cwd=source)  # fmt: skip
    (sdist,) = (root / "dist").glob("churnreport-*.tar.gz")
    with tarfile.open(sdist) as tar:
        names = [Path(n).name for n in tar.getnames() if "/notebooks/" in n]
    assert sorted(names) == sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))
    _run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
         "--disable-pip-version-check", "-q", "-w", root / "wheels", sdist, cwd=root)  # fmt: skip
    (wheel,) = (root / "wheels").glob("churnreport-*.whl")
    env_dir = root / "venv"
    _run(sys.executable, "-m", "venv", "--without-pip", env_dir, cwd=root)
    python = env_dir / "bin" / "python"
    _run(sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index",
         "--disable-pip-version-check", "-q", wheel, cwd=root)  # fmt: skip
    site = Path(_run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])",
                     cwd=root).stdout.strip())  # fmt: skip
    # after the venv's own site-packages, so its churnreport wins over the test environment's
    deps = dict.fromkeys(sysconfig.get_paths()[k] for k in ("purelib", "platlib"))
    (site / "_churnreport_test_deps.pth").write_text("\n".join(deps) + "\n", encoding="utf-8")
    return env_dir


@pytest.fixture(scope="module")
def env() -> dict:
    """The environment of the installed commands: no PYTHONPATH to a checkout; the data files
    of the dependencies (nbconvert's base templates) where pip put them for the test
    environment, as an install with its dependencies has them under its own prefix."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    shared = str(Path(sys.prefix) / "share" / "jupyter")
    env["JUPYTER_PATH"] = os.pathsep.join(filter(None, [env.get("JUPYTER_PATH"), shared]))
    return env


def test_the_installed_package_finds_its_own_notebooks(venv, env, tmp_path):
    code = (
        "import churnreport, json, sys; from churnreport.report.notebooks import "
        "NOTEBOOKS_DIR, report_notebooks; print(json.dumps([churnreport.__file__, "
        "str(NOTEBOOKS_DIR), [p.name for p in report_notebooks()]]))"
    )
    module, folder, names = json.loads(_run(venv / "bin" / "python", "-c", code, cwd=tmp_path,
                                            env=env).stdout)  # fmt: skip
    site = venv / "lib" / f"python{sys.version_info[0]}.{sys.version_info[1]}" / "site-packages"
    assert Path(module).is_relative_to(site) and Path(folder) == site / "churnreport" / "notebooks"
    assert names == sorted(p.name for p in (ROOT / "notebooks").glob("[0-9]*.ipynb"))


def test_the_installed_command_runs_edited_notebooks_from_another_directory(venv, env, tmp_path):
    command = venv / "bin" / "churn-report"
    edit = tmp_path / "my-notebooks"
    _run(command, "notebooks", edit, cwd=tmp_path, env=env)
    for original in (ROOT / "notebooks").glob("[0-9]*.ipynb"):
        assert filecmp.cmp(original, edit / original.name, shallow=False), original.name
    again = subprocess.run([command, "notebooks", edit], cwd=tmp_path, env=env,
                           capture_output=True, text=True)  # fmt: skip
    assert again.returncode == 2 and "--force" in again.stderr, again.stderr

    nb = nbformat.read(edit / "01_indicators.ipynb", as_version=4)
    nb.cells.append(nbformat.v4.new_markdown_cell(MARKER))
    # the kernel is the venv's Python, running the installed churnreport
    check = nbformat.v4.new_code_cell(
        "import sys, pathlib, churnreport\n"
        "prefix = pathlib.Path(sys.prefix).resolve()\n"
        "assert pathlib.Path(churnreport.__file__).resolve().is_relative_to(prefix), "
        "(sys.prefix, churnreport.__file__)"
    )
    check.metadata["tags"] = ["remove-cell"]
    nb.cells.append(check)
    nbformat.write(nb, edit / "01_indicators.ipynb")

    out = tmp_path / "reports"
    res = subprocess.run(
        [command, "run", "--config", SAMPLE / "report.yml", "--out", out, "--notebooks", edit],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert lines and all(LOG_LINE.match(ln) for ln in lines), res.stderr
    assert " ERROR " not in res.stderr and "Traceback" not in res.stderr
    (run,) = [p for p in out.iterdir() if p.is_dir() and p.name[0] not in "._"]
    for name in ("report.html", "report.pdf", "metrics.json", "run.log"):
        assert (run / name).is_file(), name
    assert MARKER in (run / "report.html").read_text(encoding="utf-8")
    assert res.stderr.strip() in (run / "run.log").read_text(encoding="utf-8")


def test_running_notebooks_that_are_not_there_is_one_error_line_and_exit_2(venv, env, tmp_path):
    res = subprocess.run(
        [venv / "bin" / "churn-report", "run", "--config", SAMPLE / "report.yml",
         "--out", tmp_path / "reports", "--notebooks", tmp_path / "nonexistent"],
        cwd=tmp_path, env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert res.returncode == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and LOG_LINE.match(lines[0]), res.stderr
    assert " ERROR exit 2: notebooks directory not found: " in lines[0]
    assert not (tmp_path / "reports").exists()
