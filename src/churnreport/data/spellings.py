"""Values of one column that may be one thing written two ways ("CC" and "Credit Card").

Exports often mix a code and its full name, or a short and a long name, in one column; the
report would count them as two segments or two driver levels. They are not merged (only the
user knows), but they are named in the data-quality section and the summary's data checks.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable

import pandas as pd

from churnreport.data.quality import DataQuality, Issue

#: Words left out of an initialism ("COD" = "Cash on Delivery").
_MINOR_WORDS = frozenset({"on", "of", "and", "the", "for", "to", "in", "at", "by"})
#: Answers that are not names: "No" and "No internet service" are different answers.
_ANSWERS = frozenset(
    {"yes", "no", "none", "other", "others", "unknown", "n/a", "na", "true", "false"}
)
#: Words that make a different thing of a name, not another spelling of it ("Paid" and "Not
#: paid", "Premium" and "Premium Plus", "Virginia" and "West Virginia", "Annual" and "Semi
#: Annual", "Free" and "Free Trial").
_QUALIFIERS = frozenset(
    {"no", "not", "non", "un", "plus", "pro", "max", "mini", "lite", "premium", "basic",
     "standard", "super", "ultra", "extra", "semi", "bi", "half", "multi", "north", "south",
     "east", "west", "central", "new", "old", "former", "ex", "free", "trial", "paid",
     "annual", "monthly", "weekly", "daily", "yearly", "other", "others", "senior", "junior",
     "small", "large", "big", "high", "low", "upper", "lower", "inner", "outer", "total",
     "partial", "full", "part", "first", "second", "last", "next", "pre", "post", "sub"}
)  # fmt: skip
#: Columns with more distinct values are names or ids, not categories to compare.
MAX_LEVELS = 50


def _words(value: str) -> list[str]:
    return re.sub(r"[\W_]+", " ", value.lower()).split()


def _initials(words: list[str]) -> set[str]:
    every = "".join(w[0] for w in words)
    major = "".join(w[0] for w in words if w not in _MINOR_WORDS)
    return {every, major}


def similar_pair(a: str, b: str) -> bool:
    """Whether two values of a column may be one thing written two ways.

    Parameters
    ----------
    a, b : str
        Two distinct values.

    Returns
    -------
    bool
        True when they differ only in case, spaces or punctuation ("E wallet", "E-Wallet"),
        one is the other plus one word ("Mobile", "Mobile Phone"), or one is the initials of
        the other ("CC", "Credit Card"; "COD", "Cash on Delivery"). Answers such as "No" and
        "No internet service" are never similar.

    Examples
    --------
    >>> similar_pair("CC", "Credit Card"), similar_pair("COD", "Cash on Delivery")
    (True, True)
    >>> similar_pair("Mobile", "Mobile Phone"), similar_pair("No", "No internet service")
    (True, False)
    >>> similar_pair("DSL", "Fiber optic"), similar_pair("One year", "Two year")
    (False, False)
    >>> similar_pair("Premium", "Premium Plus"), similar_pair("Virginia", "West Virginia")
    (False, False)
    """
    wa, wb = _words(a), _words(b)
    if not wa or not wb:
        return False
    if wa == wb:
        return True
    short, long = (wa, wb) if len(wa) <= len(wb) else (wb, wa)
    if " ".join(short) in _ANSWERS or " ".join(long) in _ANSWERS:
        return False
    if len(long) == len(short) + 1 and (long[:-1] == short or long[1:] == short):
        extra = long[-1] if long[:-1] == short else long[0]
        # "E" and "E wallet" say too little; "Paid" and "Not paid" are two things
        return len("".join(short)) >= 3 and extra not in _QUALIFIERS
    if len(short) == 1 and len(long) >= 2 and 2 <= len(short[0]) <= 5:
        return short[0] in _initials(long)
    return False


def similar_levels(values: Iterable[object]) -> list[tuple[str, str]]:
    """The pairs of distinct values that may be one thing (see :func:`similar_pair`).

    Parameters
    ----------
    values : iterable
        The distinct values of one column (missing values are skipped).

    Returns
    -------
    list of (str, str)
        Pairs in the order of ``values``.

    Examples
    --------
    >>> similar_levels(["Debit Card", "UPI", "CC", "COD", "Cash on Delivery", "Credit Card"])
    [('CC', 'Credit Card'), ('COD', 'Cash on Delivery')]
    """
    levels = [str(v) for v in values if not pd.isna(v)]
    return [(a, b) for a, b in itertools.combinations(levels, 2) if similar_pair(a, b)]


def note_similar_levels(customers: pd.DataFrame, quality: DataQuality) -> None:
    """Note each text column of the customers whose values may spell one thing two ways.

    Parameters
    ----------
    customers : DataFrame
        The conformed customer table (its row labels are the examples' row numbers).
    quality : DataQuality
        Receives one note per column (reason ``similar_levels``) with every pair as an
        example and ``evidence`` {column, first, second, pairs}.
    """
    for column in customers.columns:
        s = customers[column]
        if column == "customer_id" or not (
            pd.api.types.is_object_dtype(s) or isinstance(s.dtype, pd.StringDtype)
        ):
            continue
        counts = s.dropna().astype(str).value_counts()
        if not 2 <= len(counts) <= MAX_LEVELS:
            continue
        pairs = similar_levels(counts.index)
        if not pairs:
            continue
        first = {v: i for i, v in zip(s.index[::-1], s.astype(str).iloc[::-1], strict=True)}
        quality.add(
            Issue(
                "customers",
                column,
                "note",
                "similar_levels",
                sum(int(counts[a] + counts[b]) for a, b in pairs),
                [(int(first[a]), f"{a} ~ {b}") for a, b in pairs],
                "these values may be one thing written two ways; they are counted apart "
                "(map them to one value under values: in the config if they are)",
                evidence={
                    "column": column,
                    "first": pairs[0][0],
                    "second": pairs[0][1],
                    "pairs": len(pairs),
                },
            )
        )
