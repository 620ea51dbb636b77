"""The user-editable mapping from stated churn reasons to the cause taxonomy (YAML)."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from churnreport.config import read_yaml_mapping
from churnreport.errors import ConfigError

DEFAULT_MAPPING = Path(__file__).parent / "defaults" / "reasons.yml"
GROUPS = ("subjective", "objective", "involuntary")


def normalise(text: str) -> str:
    """Case-, width- and whitespace-insensitive form of a reason: ``"  Price TOO  high "`` and
    ``"price too high"`` compare equal, as do full-width and half-width characters."""
    return " ".join(unicodedata.normalize("NFKC", str(text)).casefold().split())


@dataclass(frozen=True)
class Category:
    """One taxonomy category: its group and its labels."""

    name: str
    group: str
    en: str
    zh: str


@dataclass(frozen=True)
class Rule:
    """Phrases and keywords that send a reason to a category (and sub-category)."""

    category: str
    sub: str
    sub_zh: str = ""
    exact: tuple[str, ...] = ()

    keywords: tuple[str, ...] = ()


@dataclass(frozen=True)
class ReasonMapping:
    """Categories and ordered rules, as loaded from the mapping file.

    Attributes
    ----------
    categories : dict
        name -> Category.
    rules : tuple of Rule
        In file order; exact phrases are tried before keywords.
    source : str
        The file it came from.
    """

    categories: dict[str, Category]
    rules: tuple[Rule, ...]
    source: str = ""
    _exact: dict[str, Rule] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        for rule in reversed(self.rules):  # the first rule naming a phrase wins
            for phrase in rule.exact:
                self._exact[normalise(phrase)] = rule

    def match(self, reason: str) -> tuple[Rule | None, str]:
        """The rule a reason maps to and how (``exact``, ``keyword``), or (None, "")."""
        key = normalise(reason)
        if key in self._exact:
            return self._exact[key], "exact"
        for rule in self.rules:
            if any(normalise(k) in key for k in rule.keywords):
                return rule, "keyword"
        return None, ""


def load_reason_mapping(path: str | Path | None = None) -> ReasonMapping:
    """Load a reason mapping file (the shipped default when ``path`` is None).

    Raises
    ------
    ConfigError
        The file is missing, not YAML, or names a category it does not define.
    """
    path = Path(path) if path else DEFAULT_MAPPING
    raw = read_yaml_mapping(path, "reason mapping file")

    try:
        categories = {
            name: Category(
                name, spec["group"], str(spec.get("en", name)), str(spec.get("zh", name))
            )
            for name, spec in (raw.get("categories") or {}).items()
        }
        rules = tuple(
            Rule(
                category=r["category"],
                sub=str(r.get("sub", r["category"])),
                sub_zh=str(r.get("sub_zh", r.get("sub", r["category"]))),
                exact=tuple(str(x) for x in r.get("exact", []) or []),
                keywords=tuple(str(x) for x in r.get("keywords", []) or []),
            )
            for r in raw.get("rules") or []
        )
    except (KeyError, TypeError, AttributeError) as exc:
        raise ConfigError(f"{path}: malformed mapping ({exc}); see the shipped example") from exc
    bad_group = sorted({c.group for c in categories.values()} - set(GROUPS))
    unknown = sorted({r.category for r in rules} - set(categories))
    if bad_group or unknown or not categories:
        raise ConfigError(
            f"{path}: "
            + "; ".join(
                m
                for m in (
                    f"groups must be {list(GROUPS)}, not {bad_group}" if bad_group else "",
                    f"rules name undefined categories {unknown}" if unknown else "",
                    "no categories defined" if not categories else "",
                )
                if m
            )
        )
    return ReasonMapping(categories, rules, str(path))
