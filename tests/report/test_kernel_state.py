"""The kept kernel's state: what a notebook finds, what memory it holds."""

from __future__ import annotations

import numpy as np
import psutil
import pytest

from churnreport.report.kernel_state import release_freed_memory


def test_memory_freed_in_small_pieces_goes_back_to_the_system():
    # 3,000 arrays of 80 KB (below glibc's mmap threshold, so from its heap): freed, the
    # allocator keeps the pages for itself unless asked to hand them back; the last array
    # still alive keeps the heap from simply shrinking at its top
    me = psutil.Process()
    before = me.memory_info().rss
    pieces = [np.ones(10_000) for _ in range(3_000)]  # 240 MB
    last = pieces[-1]
    assert me.memory_info().rss - before > 200e6
    del pieces
    if not release_freed_memory():
        pytest.skip("this C library cannot hand freed memory back (not glibc)")
    assert me.memory_info().rss - before < 60e6
    assert last.sum() == 10_000
