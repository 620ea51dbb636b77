"""A lint of a published report: what a reader must never see (issue 16).

Checks the report's HTML text (the PDF is the same HTML laid out) for a missing number printed
as nan / None / inf, an untested p-value, a range whose two ends are the same, an empty
parenthesis, a raw message or column key, a headline churn rate other than metrics.json's; in a
Chinese report also for English generated labels. Used by the sample run (en, zh) and every real dataset's run.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

_WORD = r"A-Za-z\u4e00-\u9fff"  # a Chinese character is a word too
_KEY_PREFIXES = "|".join(
    ["kpi", "summary", "check", "drv", "seg", "reason", "warning", "causes", "indicators", "col",
     "chart", "tier", "action", "level", "life", "conv", "value", "mix", "take", "alert", "dq",
     "appendix", "survival"]  # not the config keys of the parameters table (sources.*)
)  # fmt: skip

RULES = {
    "nan": rf"(?<![{_WORD}])(?:nan|NaN)(?![{_WORD}])",
    "None": rf"(?<![{_WORD}])None(?![{_WORD}])",
    "inf": rf"(?<![{_WORD}])inf(?![{_WORD}])|∞",
    "range with equal ends": r"(?<![\d.,])(\d[\d.,]*%?) ?[–-] ?(\d[\d.,]*%?)(?![\d.,%])",
    "from X to X": r"from (\S+%) \([^)]*\) to \1 \(|从 ?(\S+%)（[^）]*）到 ?\2（",
    "between X and X": r"between (\S+) and \1(?![\d.,%])|介于 ?(\S+?) ?(?:和|与) ?\2(?![\d.,%])",
    "dash for a number": rf"(?<=[{_WORD}] )–(?= [{_WORD}])|(?<=[\u4e00-\u9fff])–|–(?=[\u4e00-\u9fff])",
    "empty parenthesis": r"\(\s*[,;]|\(\s*\)|（\s*[，,；;]|（\s*）",
    "raw key": r"(?<![\w.])(?:at_risk|new_or_promising|cannot_lose|hibernating|value_class|"
    r"rfm_group|tenure_band|age_band|start_set|not_stated)(?![\w.])"
    rf"|(?<![\w.])(?:{_KEY_PREFIXES})\.[a-z_]+(?:\.[a-z_]+)*(?![\w.])",
}
#: English generated labels (bands, RFM and ABC names, lifecycle states) a zh report must
#: show in Chinese.
ENGLISH_LABELS = r"\b(?:months|under 30|Champions|At risk|New or promising|Hibernating|" \
    r"Cannot lose|Intermediate|Final customer|\(other\)|\(missing\)|Class [ABC])\b"  # fmt: skip


def report_text(path: Path) -> str:
    """The visible text of a report's HTML (no styles, scripts or images), then the words
    drawn on its charts (``data-chart-text``: the SVG draws glyphs as paths)."""
    t = path.read_text(encoding="utf-8")
    charts = re.findall(r'data-chart-text="([^"]*)"', t)
    t = re.sub(r"<style.*?</style>|<script.*?</script>|<img[^>]*>", " ", t, flags=re.S)
    t = " ".join([re.sub(r"<[^>]+>", " ", t), *(f" [chart: {c}] " for c in charts)])
    return re.sub(r"\s+", " ", html.unescape(t))


#: The headline churn rate as a KPI card or a sentence prints it ("Churn rate 26.5%",
#: "(churn rate 26.5%)", "流失率 26.5%", "7,043 customers × 26.5% churn"): a rate with
#: decimals right after the words.
HEADLINE = r"(?i:(?<!annualised )(?<!monthly )churn rate|(?<!年化)(?<!月)流失率)[ ：:]?(\d+\.\d+%)|× (\d+\.\d+%) (?:churn|流失)"


def headline_problems(t: str, metrics: Path, language: str) -> list[str]:
    """Every place the headline churn rate is printed differently from metrics.json's."""
    import json

    from churnreport.report.text import Text

    overall = json.loads(metrics.read_text(encoding="utf-8"))["indicators"]["overall"]
    if overall.get("churn_rate") is None:
        return []
    want = Text(language).pct(overall["churn_rate"])
    return [
        f"headline {got} is not {want}: …{t[max(0, m.start() - 60) : m.end() + 30]}…"
        for m in re.finditer(HEADLINE, t)
        if (got := m.group(1) or m.group(2)) != want
    ]


def lint(path: Path, language: str = "en") -> list[str]:
    """Every problem found, each with its context; empty when the report is clean. With the
    run's metrics.json beside the report, the headline churn rate must read the same on every
    page."""
    t = report_text(path)
    found = []
    metrics = path.parent / "metrics.json"
    if metrics.is_file():
        found += headline_problems(t, metrics, language)
    rules = dict(RULES, **({"English label": ENGLISH_LABELS} if language == "zh" else {}))
    for name, pattern in rules.items():
        for m in re.finditer(pattern, t):
            if name == "range with equal ends" and m.group(1) != m.group(2):
                continue
            found.append(f"{name}: …{t[max(0, m.start() - 60) : m.end() + 30]}…")
    return found
