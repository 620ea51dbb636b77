"""Every visible string of the report, in English and Chinese, and its number/date formats.

Messages are gettext catalogues, one per language:
``churnreport/locale/<language>/LC_MESSAGES/churnreport.po``. A msgid is a symbolic id
(``indicators.title``), its msgstr the text with ``{name}`` placeholders (``str.format``).
Babel reads a catalogue the first time a report asks for its language (nothing to compile).
Code names a message by a literal id, ``text("indicators.title")``, or marks an id kept in a
table with :func:`N_`; tests/report/test_messages.py finds every use and checks it.

Numbers, money and dates are formatted with Babel for the report locale (``en``,
``zh_Hans_CN``) through explicit patterns, so the printed forms do not move with CLDR data:
``1.8%``, ``13,094``, ``4.04M`` / ``404.5万``, ``30 Jun 2024`` / ``2024年6月30日``.

Analysis results carry stable codes (a tenure band ``3-11``, an RFM group ``at_risk``);
:func:`dimension_label` and :func:`level_label` are the one road from such a code to words.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import numbers
import re
import string
from collections.abc import Mapping
from decimal import Decimal
from importlib.resources import files
from types import MappingProxyType

from babel import Locale
from babel.dates import format_date
from babel.messages.pofile import read_po
from babel.numbers import NumberPattern, format_decimal, format_percent, parse_pattern

#: Report languages and the Babel locale of each.
LOCALES = {"en": "en", "zh": "zh_Hans_CN"}
LANGUAGES = tuple(LOCALES)
#: The gettext domain: ``locale/<language>/LC_MESSAGES/churnreport.po``.
DOMAIN = "churnreport"
#: What a missing number prints as.
MISSING = "–"


def N_(msgid: str) -> str:
    """Mark a message id kept in a table; returns it unchanged.

    Parameters
    ----------
    msgid : str
        A literal message id.

    Returns
    -------
    str
        ``msgid``.

    Examples
    --------
    >>> N_("tier.major")
    'tier.major'
    """
    return msgid


def catalogue_file(language: str):
    """The .po file of ``language`` inside the installed package.

    Parameters
    ----------
    language : {"en", "zh"}

    Returns
    -------
    importlib.resources.abc.Traversable
    """
    return files("churnreport") / "locale" / language / "LC_MESSAGES" / f"{DOMAIN}.po"


@functools.cache
def messages(language: str) -> Mapping[str, str]:
    """Every message of ``language``: msgid -> text, read once per process.

    Parameters
    ----------
    language : {"en", "zh"}

    Returns
    -------
    Mapping
        Read-only.

    Examples
    --------
    >>> messages("zh")["report.title"]
    '客户流失分析报告'
    """
    if language not in LOCALES:
        raise ValueError(f"language must be one of {LANGUAGES}, not {language!r}")
    with catalogue_file(language).open("rb") as f:
        catalog = read_po(f, locale=LOCALES[language], domain=DOMAIN)
    return MappingProxyType({m.id: m.string for m in catalog if m.id})


def placeholders(message: str) -> frozenset[str]:
    """The ``{name}`` fields of a message.

    Examples
    --------
    >>> sorted(placeholders("{low} – {high}"))
    ['high', 'low']
    """
    return frozenset(name for _, name, _, _ in string.Formatter().parse(message) if name)


def missing_keys() -> dict[str, set[str]]:
    """Message ids present in one language but not in another (should be empty)."""
    every = set().union(*(set(messages(lang)) for lang in LANGUAGES))
    gaps = {lang: every - set(messages(lang)) for lang in LANGUAGES}
    return {lang: gap for lang, gap in gaps.items() if gap}


@functools.cache
def _pattern(pattern: str) -> NumberPattern:
    return parse_pattern(pattern)


def _digits(digits: int, grouped: bool = True) -> str:
    """``#,##0`` (or ``0`` without grouping) with ``digits`` decimals."""
    return ("#,##0" if grouped else "0") + ("." + "0" * digits if digits > 0 else "")


def _missing(x: object) -> bool:
    return x is None or (isinstance(x, float) and (math.isnan(x) or math.isinf(x)))


def _exact(x: float | int) -> Decimal:
    """``x`` as the exact decimal of its binary value, so Babel's (half-even) rounding prints
    what ``f"{x:.1f}"`` prints."""
    return Decimal(int(x)) if isinstance(x, numbers.Integral) else Decimal(float(x))


#: Compact money, first row whose lower bound the absolute amount reaches:
#: (from, divided by, Babel pattern). CLDR's short forms are 4M / 62K / 404万; these keep the
#: report's fixed decimals and its lower-case k from 10,000 on.
MONEY_PATTERNS = {
    "en": (
        (1e9, 1e9, "#,##0.00B"),
        (1e6, 1e6, "#,##0.00M"),
        (1e4, 1e3, "#,##0.0k"),
        (0.0, 1.0, "#,##0"),
    ),
    "zh": (
        (1e8, 1e8, "#,##0.00亿"),
        (1e4, 1e4, "#,##0.0万"),
        (0.0, 1.0, "#,##0"),
    ),
}
#: Babel date patterns: a day, a month, a quarter and a year.
DATE_PATTERNS = {
    "en": {"date": "d MMM y", "month": "MMM y", "quarter": "QQQ y", "year": "y"},
    "zh": {"date": "y年M月d日", "month": "y年M月", "quarter": "y年第Q季度", "year": "y年"},
}


#: A Latin letter next to a Chinese character (either order): the place for a space.
_LATIN_CJK = re.compile(r"(?<=[A-Za-z])(?=[\u4e00-\u9fff])|(?<=[\u4e00-\u9fff])(?=[A-Za-z])")


class Text:
    """Messages and formats of one report language.

    Parameters
    ----------
    language : {"en", "zh"}
    currency : str
        Currency code printed by ``money(..., unit=True)``.

    Examples
    --------
    >>> Text("zh").pct(0.1234)
    '12.3%'
    >>> Text("zh").period("2024-06")
    '2024年6月'
    >>> Text("en").period("2024Q2")
    'Q2 2024'
    >>> Text("zh", "CNY").money(4_044_751.88, unit=True)
    '404.5万 CNY'
    """

    def __init__(self, language: str = "en", currency: str = ""):
        self._m = messages(language)
        self.language = language
        self.currency = currency
        self.locale = Locale.parse(LOCALES[language])

    def __call__(self, key: str, **values: object) -> str:
        """The message ``key`` with ``values`` filled in; in Chinese a space separates a Latin
        word (a level or column name from the data) from the Chinese text around it.

        Examples
        --------
        >>> Text("zh")("seg.one_level", segment="standard", rate="22.1%")[:22]
        '所有客户都属于同一细分群体 standard'
        """
        out = self._m[key].format(**values)
        if self.language == "zh" and values:
            out = _LATIN_CJK.sub(" ", out)
        return out

    def get(self, key: str, default: str) -> str:
        """The message ``key`` (unfilled), or ``default`` when the catalogue has none."""
        return self._m.get(key, default)

    def fields(self, key: str) -> frozenset[str]:
        """The placeholders of message ``key``.

        Examples
        --------
        >>> sorted(Text("en").fields("kpi.ci"))
        ['high', 'low']
        """
        return placeholders(self._m[key])

    def sentences(self, parts: list[str]) -> str:
        """Sentences in a row: a space between them in English, none in Chinese.

        Examples
        --------
        >>> Text("en").sentences(["One.", "Two."]), Text("zh").sentences(["一。", "二。"])
        ('One. Two.', '一。二。')
        """
        return ("" if self.language == "zh" else " ").join(parts)

    def _number(self, x: Decimal | int, pattern: str) -> str:
        return format_decimal(x, _pattern(pattern), locale=self.locale)

    def pct(self, x: float | None, digits: int = 1) -> str:
        """A share as a percentage (``1.8%``), ``–`` when missing."""
        if _missing(x):
            return MISSING
        # x * 100 in floating point, as the report always printed it; scaleb is exact
        value = _exact(float(x) * 100).scaleb(-2)
        return format_percent(value, _pattern(_digits(digits, False) + "%"), locale=self.locale)

    def int(self, x: float | int | None) -> str:
        """A count with thousands separators (``13,094``)."""
        if _missing(x):
            return MISSING
        return self._number(int(round(x)), "#,##0")

    def num(self, x: float | None, digits: int = 1) -> str:
        """A plain number with thousands separators and ``digits`` decimals."""
        if _missing(x):
            return MISSING
        return self._number(_exact(x), _digits(digits))

    def points(self, x: float | None) -> str:
        """A difference of two rates in percentage points, signed: ``+0.4 pts``."""
        if _missing(x):
            return MISSING
        value = x * 100 if abs(x * 100) >= 0.05 else 0.0  # no "-0.0"
        return self("points", value=self._number(_exact(value), "+0.0;-0.0"))

    def money(self, x: float | None, unit: bool = False) -> str:
        """An amount, compact for large values (``4.04M`` / ``404.5万``), with the currency
        code when ``unit``.

        Examples
        --------
        >>> Text("en").money(62_265), Text("zh").money(2.5e8), Text("en").money(950)
        ('62.3k', '2.50亿', '950')
        """
        if _missing(x):
            return MISSING
        a = abs(x)
        _, scale, pattern = next(p for p in MONEY_PATTERNS[self.language] if a >= p[0])
        s = self._number(_exact(x / scale), pattern)
        if not unit or not self.currency:
            return s
        return f"{s} {self.currency}" if self.language == "zh" else f"{self.currency} {s}"

    def _date(self, d: dt.date, kind: str) -> str:
        return format_date(d, DATE_PATTERNS[self.language][kind], locale=self.locale)

    def date(self, d: dt.date | str) -> str:
        """A calendar date: ``30 Jun 2024`` / ``2024年6月30日``."""
        return self._date(dt.date.fromisoformat(str(d)[:10]), "date")

    def period(self, label: str) -> str:
        """A period label (``2024-06``, ``2024Q2``, ``2024``) in the report language:
        ``Jun 2024`` / ``2024年6月``, ``Q2 2024`` / ``2024年第2季度``, ``2024`` / ``2024年``;
        any other label as it is."""
        m = re.fullmatch(r"(\d{4})-(0[1-9]|1[0-2])", label)
        if m:
            return self._date(dt.date(int(m[1]), int(m[2]), 1), "month")
        m = re.fullmatch(r"(\d{4})Q([1-4])", label)
        if m:
            return self._date(dt.date(int(m[1]), 3 * int(m[2]) - 2, 1), "quarter")
        if re.fullmatch(r"\d{4}", label):
            return self._date(dt.date(int(label), 1, 1), "year")
        return label


# ---------------------------------------------------------------- analysis codes in words

#: Display name of the dimensions and drivers the library knows (code -> message id); any
#: other dimension is a column of the user's data, shown by its name.
DIMENSIONS = {
    "tenure_band": N_("seg.tenure_band"),
    "age_band": N_("seg.age_band"),
    "value_class": N_("seg.value_class"),
    "rfm_group": N_("seg.rfm_group"),
    "account_manager": N_("seg.account_manager"),
    "customer_type": N_("drv.customer_type"),
    "plan": N_("drv.plan"),
    "gender": N_("drv.gender"),
    "region": N_("drv.region"),
    "channel": N_("drv.channel"),
    "tenure_months": N_("drv.tenure_months"),
    "age": N_("drv.age"),
    "monthly_revenue": N_("drv.monthly_revenue"),
    "mrr": N_("drv.mrr"),
    "new_customer": N_("drv.new_customer"),
    "complaint_90d": N_("drv.complaint_90d"),
    "slow_response_90d": N_("drv.slow_response_90d"),
    "low_satisfaction_90d": N_("drv.low_satisfaction_90d"),
    "manager_left_90d": N_("drv.manager_left_90d"),
}

#: The canonical tables, in words (data quality, data checks).
TABLES = {
    "customers": N_("table.customers"),
    "subscriptions": N_("table.subscriptions"),
    "transactions": N_("table.transactions"),
    "tickets": N_("table.tickets"),
    "staff": N_("table.staff"),
    "churn_events": N_("table.churn_events"),
    "spells": N_("table.spells"),
}


def table_label(table: str, text: Text) -> str:
    """A canonical table's name in the report language (any other name as it is).

    Parameters
    ----------
    table : str
        A canonical table name (customers, subscriptions, ...).
    text : Text

    Returns
    -------
    str

    Examples
    --------
    >>> table_label("tickets", Text("zh")), table_label("orders", Text("zh"))
    ('服务工单表', 'orders')
    """
    msgid = TABLES.get(table)
    return text(msgid) if msgid is not None else table


#: Levels any dimension can have (analysis.segments.MISSING / OTHER).
COMMON_LEVELS = {"(missing)": N_("level.missing"), "(other)": N_("level.other")}

#: Levels with a fixed set of codes, per dimension (``lifecycle``: the lifecycle states).
LEVELS = {
    "value_class": {"A": N_("level.abc.A"), "B": N_("level.abc.B"), "C": N_("level.abc.C")},
    "rfm_group": {
        "champions": N_("level.rfm.champions"),
        "cannot_lose": N_("level.rfm.cannot_lose"),
        "loyal": N_("level.rfm.loyal"),
        "at_risk": N_("level.rfm.at_risk"),
        "lost": N_("level.rfm.lost"),
        "hibernating": N_("level.rfm.hibernating"),
        "new_or_promising": N_("level.rfm.new_or_promising"),
        "need_attention": N_("level.rfm.need_attention"),
    },
    "customer_type": {
        "intermediate": N_("level.customer_type.intermediate"),
        "final": N_("level.customer_type.final"),
    },
    "lifecycle": {
        "new": N_("life.new"),
        "returning": N_("life.returning"),
        "resurrecting": N_("life.resurrecting"),
        "dormant": N_("life.dormant"),
        "inactive": N_("life.inactive"),
        "not_yet": N_("life.not_yet"),
    },
}

#: Banded dimensions, codes ``<3`` / ``3-11`` / ``24+``: the message of the first band, a
#: band between two bounds, and the last band.
BANDS = {
    "tenure_band": (
        N_("level.tenure.below"),
        N_("level.tenure.between"),
        N_("level.tenure.above"),
    ),
    "age_band": (N_("level.age.below"), N_("level.age.between"), N_("level.age.above")),
}


def dimension_label(dimension: str, text: Text) -> str:
    """Display name of a segment dimension or driver: the catalogue's for the dimensions the
    library knows, the column name otherwise.

    Parameters
    ----------
    dimension : str
        A dimension code (``tenure_band``, ``customer_type``) or a column of the data.
    text : Text

    Returns
    -------
    str

    Examples
    --------
    >>> dimension_label("tenure_band", Text("zh")), dimension_label("Plan tier", Text("zh"))
    ('在网时长', 'Plan tier')
    """
    msgid = DIMENSIONS.get(dimension)
    return text(msgid) if msgid is not None else dimension


def level_label(dimension: str, level: object, text: Text) -> str:
    """Display label of one level of a dimension, the one way analysis codes become words
    (segment tables and charts, causes, the warning list and its files).

    Parameters
    ----------
    dimension : str
        ``tenure_band``, ``age_band``, ``value_class``, ``rfm_group``, ``customer_type``,
        ``lifecycle``, or any other dimension (a column of the data).
    level : object
        The level's code as the analysis wrote it; a level of the user's data, or one
        without a message, is shown as it is.
    text : Text

    Returns
    -------
    str

    Examples
    --------
    >>> en, zh = Text("en"), Text("zh")
    >>> level_label("tenure_band", "3-11", en), level_label("tenure_band", "<3", zh)
    ('3-11 months', '不足 3 个月')
    >>> level_label("rfm_group", "at_risk", zh), level_label("age_band", "<30", en)
    ('流失风险客户', 'under 30')
    >>> level_label("plan", "(other)", zh), level_label("plan", "basic", zh)
    ('（其他）', 'basic')
    """
    code = str(level)
    msgid = COMMON_LEVELS.get(code) or LEVELS.get(dimension, {}).get(code)
    if msgid is not None:
        return text(msgid)
    if dimension in BANDS:
        below, between, above = BANDS[dimension]
        if m := re.fullmatch(r"<(\d+)", code):
            return text(below, high=m[1])
        if m := re.fullmatch(r"(\d+)-(\d+)", code):
            return text(between, low=m[1], high=m[2])
        if m := re.fullmatch(r"(\d+)\+", code):
            return text(above, low=m[1])
    return code
