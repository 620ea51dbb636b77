"""Build hook: the report notebooks ship inside the package.

The notebooks live in the top-level ``notebooks/`` folder (what an analyst opens in a
checkout); a wheel carries a copy as ``churnreport/notebooks/*.ipynb`` (package data, found
with ``importlib.resources``). Everything else is declared in pyproject.toml.
"""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent


class BuildWithNotebooks(build_py):
    """``build_py`` that also copies ``notebooks/*.ipynb`` into the built package."""

    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):  # an editable install reads notebooks/
            return
        target = Path(self.build_lib) / "churnreport" / "notebooks"
        self.mkpath(str(target))
        for notebook in sorted((HERE / "notebooks").glob("*.ipynb")):
            self.copy_file(str(notebook), str(target / notebook.name))


setup(cmdclass={"build_py": BuildWithNotebooks})
