"""Cohort retention against a hand-made fixture."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from churnreport.analysis.cohorts import cohort_retention
from tests.conftest import spells


def test_cohort_matrix_hand_computed():
    s = spells(
        ("a", "2024-01-05", None),  # Jan cohort, stays
        ("b", "2024-01-10", "2024-02-15"),  # Jan cohort, leaves in Feb
        ("c", "2024-01-20", "2024-01-25"),  # Jan cohort, leaves in Jan
        ("c", "2024-03-02", None),  # ... and comes back in March: retained again
        ("d", "2024-02-01", "2024-03-10"),  # Feb cohort, leaves in March
    )
    t = cohort_retention(s, "month", dt.date(2024, 3, 31))
    assert t.index.tolist() == ["2024-01", "2024-02"]
    assert t["size"].tolist() == [3, 1]
    # Jan cohort at end of Jan: {a, b} = 2/3; end of Feb: {a} = 1/3; end of Mar: {a, c} = 2/3
    assert t.loc["2024-01", [0, 1, 2]].tolist() == pytest.approx([2 / 3, 1 / 3, 2 / 3])
    # Feb cohort: end of Feb 1/1, end of Mar 0/1, k = 2 not observed yet
    assert t.loc["2024-02", [0, 1]].tolist() == [1.0, 0.0]
    assert np.isnan(t.loc["2024-02", 2])


def test_cohort_shares_are_proportions(tmp_path):
    s = spells(("a", "2023-01-01", "2023-06-01"), ("b", "2023-03-01", None))
    t = cohort_retention(s, "quarter", dt.date(2023, 12, 31))
    vals = t.drop(columns="size").to_numpy()
    vals = vals[~np.isnan(vals)]
    assert ((vals >= 0) & (vals <= 1)).all()
