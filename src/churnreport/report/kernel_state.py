"""What a notebook finds in a kept kernel: the state a new kernel would give it.

The runner keeps each worker's kernel for its next notebook, so the libraries are imported
once (:mod:`churnreport.report.runner`). Before each notebook it calls :func:`fresh` in the
kernel, which puts back what a notebook may change and a new kernel would not have: its names
and input history, open figures, matplotlib's and pandas' settings, warning filters (and which
warnings were already shown), the working folder, ``sys.path``, the environment, the random
state, and the cell count. It also hands back to the system the memory the last notebook
freed (:func:`release_freed_memory`), as a new kernel would not hold it. Right after a
notebook's last cell the runner calls :func:`release`, so the kernel's memory it reads to
decide whether to keep the kernel is what the next notebook would start from.

The first call has Arrow allocate from a pool that gives freed memory back
(:func:`use_returning_arrow_pool`) and imports the libraries the chapters use before it
records the start state: the warning filters those libraries add when imported are part of
what a notebook sees in a new kernel, and are kept for every later notebook. What those
imports made is moved out of the garbage collector's sight (:func:`gc.freeze`): it lives as
long as the kernel, and each collection of a notebook's leftovers then walks only what
notebooks made.
"""

from __future__ import annotations

import ctypes
import gc
import importlib
import os
import random
import sys
import warnings

#: Imported by the first :func:`fresh`, before the start state is recorded (their import-time
#: warning filters belong to it). Each chapter imports them anyway.
STACK = (
    "numpy",
    "pandas",
    "scipy.stats",
    "statsmodels.genmod.generalized_linear_model",
    "statsmodels.stats.proportion",
    "sklearn.linear_model",
    "lifelines",
    "matplotlib.pyplot",
    "seaborn",
    "churnreport.report.context",  # what every notebook's first cell (open_report) needs
)

#: The kernel's start state, recorded by the first :func:`fresh` (None: not yet).
_start: dict | None = None


def fresh(shell, folder: str) -> None:
    """Give the next notebook what a new kernel in ``folder`` would give it.

    Parameters
    ----------
    shell : IPython.core.interactiveshell.InteractiveShell
        The kernel's shell (``get_ipython()``).
    folder : str
        The notebook's folder: the working folder of a new kernel.
    """
    global _start
    if _start is None:
        use_returning_arrow_pool()
        for name in STACK:
            try:
                importlib.import_module(name)
            except ImportError:  # another kernel than ours: it imports what it has
                pass
        # what is alive now (the libraries) stays for the kernel's life: the collector stops
        # walking it, so each later collection (two per notebook: IPython's reset has its own)
        # reads only what notebooks made, ms instead of 0.15 s over the 300,000 objects
        gc.collect()
        gc.freeze()
        _start = {
            "filters": list(warnings.filters),
            "environ": dict(os.environ),
            "path": list(sys.path),
        }
    release(shell)  # names, history (cells count from 1), figures; memory back to the system
    os.chdir(folder)
    os.environ.clear()
    os.environ.update(_start["environ"])
    sys.path[:] = _start["path"]
    warnings.resetwarnings()  # also forgets which warnings were already shown
    warnings.filters[:] = _start["filters"]
    if "matplotlib.pyplot" in sys.modules:
        import matplotlib

        matplotlib.rc_file_defaults()
    if "pandas" in sys.modules:
        import pandas as pd

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # deprecated options warn as they are reset
            pd.reset_option("all")
    random.seed()
    if "numpy" in sys.modules:
        import numpy as np

        np.random.seed()  # noqa: NPY002 - the legacy global state a notebook may use
        np.seterr(**_NUMPY_ERRORS)


def release(shell) -> None:
    """Drop what a finished notebook left in the kernel (its names, history and figures) and
    hand the memory back to the system; :func:`fresh` puts back the rest before the next one.

    Parameters
    ----------
    shell : IPython.core.interactiveshell.InteractiveShell
        The kernel's shell (``get_ipython()``).
    """
    shell.reset(new_session=True)
    if "matplotlib.pyplot" in sys.modules:
        import matplotlib.pyplot as plt

        plt.close("all")
    release_freed_memory()


def use_returning_arrow_pool() -> str | None:
    """Have Arrow allocate from jemalloc, which hands freed memory back to the system within a
    second, where this pyarrow has it and the user chose no pool (``ARROW_DEFAULT_MEMORY_POOL``).

    Arrow's default pool, mimalloc, keeps what a chapter freed for its own later use: the
    cause chapter at 500,000 customers peaked at 1.48-1.51 GB in process with it and at
    1.30-1.31 GB with jemalloc (early warning 1.32 -> 1.19 GB), and took no longer.

    Returns
    -------
    str or None
        The pool Arrow now allocates from (None: no pyarrow).
    """
    try:
        import pyarrow as pa
    except ImportError:
        return None
    if "ARROW_DEFAULT_MEMORY_POOL" not in os.environ:
        try:
            pa.set_memory_pool(pa.jemalloc_memory_pool())
        except NotImplementedError:  # a pyarrow built without jemalloc (Windows)
            pass
    return pa.default_memory_pool().backend_name


def release_freed_memory() -> bool:
    """Collect garbage and hand the memory freed objects leave behind back to the system.

    glibc's allocator keeps what a process freed for its own next allocations: a kernel that
    built and dropped a few GB of frames still holds most of it, which the next notebook's peak
    then adds to. ``malloc_trim(0)`` returns the free pages. Arrow's memory pool (mimalloc or
    jemalloc, not glibc) keeps its own: ``release_unused`` returns them (0.09 GB in a 500k
    customers' kernel after the segment chapter). Where the C library has no such call (macOS,
    Windows, musl) only the garbage is collected and Arrow's pool released.

    Returns
    -------
    bool
        Whether the C library returned memory to the system.
    """
    gc.collect()
    if "pyarrow" in sys.modules:  # Arrow's own allocator keeps freed pages too
        sys.modules["pyarrow"].default_memory_pool().release_unused()
    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError, TypeError):  # no glibc: nothing more to do
        return False
    return bool(trim(0))


#: numpy's floating-point error handling in a new process.
_NUMPY_ERRORS = {"divide": "warn", "over": "warn", "under": "ignore", "invalid": "warn"}
