"""The kept kernel's state: what a notebook finds, what memory it holds."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

#: Run in a process of its own: what this test session freed before would be reused instead.
_FREE_IN_PIECES = """
import json
import numpy as np, psutil
from churnreport.report.kernel_state import release_freed_memory
me = psutil.Process()
before = me.memory_info().rss
pieces = [np.ones(10_000) for _ in range(3_000)]  # 240 MB in pieces of 80 KB
last = pieces[-1]
held = me.memory_info().rss
del pieces
trimmed = release_freed_memory()
print(json.dumps([before, held, me.memory_info().rss, trimmed, float(last.sum())]))
"""


def test_memory_freed_in_small_pieces_goes_back_to_the_system():
    # pieces of 80 KB come from glibc's heap (below its mmap threshold): freed, the allocator
    # keeps the pages for itself unless asked to hand them back; the last piece still alive
    # keeps the heap from simply shrinking at its top
    out = subprocess.run(
        [sys.executable, "-c", _FREE_IN_PIECES], capture_output=True, text=True, check=True
    )
    before, held, after, trimmed, last = json.loads(out.stdout)
    assert held - before > 200e6 and last == 10_000
    if not trimmed:
        pytest.skip("this C library cannot hand freed memory back (not glibc)")
    assert after - before < 60e6


_FREE_ARROW = """
import json
import numpy as np, psutil, pyarrow as pa, pyarrow.compute as pc
from churnreport.report.kernel_state import release_freed_memory
me = psutil.Process()
one = pa.array(np.arange(10_000, dtype=np.float64))
before = me.memory_info().rss
pieces = [pc.add(one, float(i)) for i in range(3_000)]  # 240 MB from Arrow's own pool
last = pieces[-1]
held = me.memory_info().rss
del pieces
release_freed_memory()
print(json.dumps([before, held, me.memory_info().rss, pc.sum(last).as_py()]))
"""


def test_memory_arrow_freed_goes_back_to_the_system():
    # Arrow allocates from its own pool (mimalloc or jemalloc), which keeps freed pages for
    # itself whatever glibc is asked: they are handed back only when the pool is told to
    out = subprocess.run(
        [sys.executable, "-c", _FREE_ARROW], capture_output=True, text=True, check=True
    )
    before, held, after, last = json.loads(out.stdout)
    assert held - before > 200e6 and last == sum(range(10_000)) + 2_999 * 10_000
    assert after - before < 100e6


_POOL = """
import json
from churnreport.report.kernel_state import use_returning_arrow_pool
import pyarrow as pa
print(json.dumps([use_returning_arrow_pool(), pa.default_memory_pool().backend_name]))
"""


@pytest.mark.parametrize("chosen", [None, "mimalloc"])
def test_a_kernel_allocates_arrow_memory_from_jemalloc_unless_the_user_chose(chosen):
    import os

    import pyarrow as pa

    env = {k: v for k, v in os.environ.items() if k != "ARROW_DEFAULT_MEMORY_POOL"}
    if chosen:
        env["ARROW_DEFAULT_MEMORY_POOL"] = chosen
    out = subprocess.run(
        [sys.executable, "-c", _POOL], capture_output=True, text=True, check=True, env=env
    )
    said, used = json.loads(out.stdout)
    assert said == used
    try:
        pa.jemalloc_memory_pool()
    except NotImplementedError:  # this pyarrow has no jemalloc: Arrow's own default stays
        assert used != "jemalloc"
        return
    assert used == (chosen or "jemalloc")


_FREEZE = """
import gc, json, weakref
from IPython.core.interactiveshell import InteractiveShell
from churnreport.report.kernel_state import fresh, release
shell = InteractiveShell.instance()
fresh(shell, ".")
frozen = gc.get_freeze_count()
class Node:
    pass
a, b = Node(), Node()
a.other, b.other = b, a  # a cycle only the collector frees
gone = weakref.ref(a)
shell.user_ns["a"] = a
del a, b
release(shell)
print(json.dumps([frozen, gone() is None]))
"""


def test_the_libraries_are_frozen_out_of_collection_and_a_notebooks_cycles_still_freed():
    # each notebook's reset collects garbage twice; walking the 300,000 objects of the
    # imported libraries each time cost 0.15 s a collection
    out = subprocess.run(
        [sys.executable, "-c", _FREEZE], capture_output=True, text=True, check=True
    )
    frozen, freed = json.loads(out.stdout.strip().splitlines()[-1])
    assert frozen > 100_000 and freed
