"""Where the report notebooks are, and copies of them for an analyst to edit.

In a checkout (an editable install) the notebooks are the top-level ``notebooks/`` folder, the
one an analyst opens; an installed wheel carries a copy as package data
(``churnreport/notebooks/*.ipynb``, put there by setup.py's build step).
"""

from __future__ import annotations

import shutil
from importlib.resources import files
from pathlib import Path

from churnreport.errors import ConfigError

#: The report notebooks' file names: a number first, which is also the report order.
PATTERN = "[0-9]*.ipynb"


def _checkout_notebooks() -> Path | None:
    """``<checkout>/notebooks`` when this package is imported from a checkout's ``src/``."""
    root = Path(__file__).resolve().parents[3]
    if (root / "pyproject.toml").is_file() and (root / "notebooks").is_dir():
        return root / "notebooks"
    return None


def notebooks_dir() -> Path:
    """The folder holding the report notebooks this installation runs.

    Returns
    -------
    Path
        The checkout's top-level ``notebooks/`` when running from a checkout, else the copy
        shipped in the package (``importlib.resources.files("churnreport") / "notebooks"``).
    """
    return _checkout_notebooks() or Path(str(files("churnreport").joinpath("notebooks")))


NOTEBOOKS_DIR = notebooks_dir()


def report_notebooks(directory: Path = NOTEBOOKS_DIR) -> list[Path]:
    """The report notebooks of a folder, in report order (file name order: 00_, 01_, 90_).

    Parameters
    ----------
    directory : Path
        The shipped notebooks (default) or an analyst's edited copies.

    Returns
    -------
    list of Path

    Raises
    ------
    ConfigError
        The folder does not exist or holds no report notebook (exit 2).

    Examples
    --------
    >>> [p.name for p in report_notebooks()][:2]
    ['00_summary.ipynb', '01_indicators.ipynb']
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise ConfigError(f"notebooks directory not found: {directory}")
    found = sorted(directory.glob(PATTERN))
    if not found:
        raise ConfigError(
            f"no report notebooks ({PATTERN}) in {directory}; "
            "`churn-report notebooks DIR` writes a set to edit"
        )
    return found


def copy_notebooks(target: Path, *, force: bool = False) -> list[Path]:
    """Copy the report notebooks into ``target`` for an analyst to edit.

    Parameters
    ----------
    target : Path
        Folder to write (created when missing).
    force : bool
        Overwrite notebooks of the same names already there.

    Returns
    -------
    list of Path
        The notebooks written, in report order.

    Raises
    ------
    ConfigError
        ``target`` is a file, or already holds notebooks of these names and ``force`` is
        False (exit 2; nothing is written).
    """
    target = Path(target)
    if target.exists() and not target.is_dir():
        raise ConfigError(f"{target} is a file; give a folder for the notebooks")
    sources = report_notebooks()
    existing = [target / p.name for p in sources if (target / p.name).exists()]
    if existing and not force:
        names = ", ".join(p.name for p in existing)
        raise ConfigError(
            f"{target} already holds {names}; choose another folder or add --force to "
            "overwrite them"
        )
    target.mkdir(parents=True, exist_ok=True)
    return [Path(shutil.copyfile(p, target / p.name)) for p in sources]
