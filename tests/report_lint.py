"""A lint of a published report: what a reader must never see (issue 16).

Checks the report's HTML text (the PDF is the same HTML laid out) for a missing number printed
as nan / None / inf, an untested p-value, a range whose two ends are the same, an empty
parenthesis, a raw message or column key; in a Chinese report also for English generated
labels. Used by the sample run (en, zh) and every real dataset's run.
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
    "None": rf"(?<![{_WORD}])None(?![{_WORD}])(?! of)",  # "None of the 475 customers" is English
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
    """The visible text of a report's HTML (no styles, scripts or images)."""
    t = path.read_text(encoding="utf-8")
    t = re.sub(r"<style.*?</style>|<script.*?</script>|<img[^>]*>", " ", t, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", t)))


def lint(path: Path, language: str = "en") -> list[str]:
    """Every problem found, each with its context; empty when the report is clean."""
    t = report_text(path)
    found = []
    rules = dict(RULES, **({"English label": ENGLISH_LABELS} if language == "zh" else {}))
    for name, pattern in rules.items():
        for m in re.finditer(pattern, t):
            if name == "range with equal ends" and m.group(1) != m.group(2):
                continue
            found.append(f"{name}: …{t[max(0, m.start() - 60) : m.end() + 30]}…")
    return found
