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
