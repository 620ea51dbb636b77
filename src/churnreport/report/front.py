"""Front matter of the whole report: cover page, table of contents, running header.

The exporter numbers the chapter (``h1.chapter``) and section (``h3``) headings found in the
outputs (:class:`AnchorHeadings`); the template turns the list into the contents (a sticky side
panel on a wide screen, a page with page numbers in the PDF) and prints the cover from
:func:`cover_info`.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from nbconvert.preprocessors import Preprocessor

from churnreport.report.text import Text

_HEADING = re.compile(r'<h([13])( class="chapter")?>(.*?)</h\1>', re.DOTALL)


@dataclass(frozen=True)
class Entry:
    """One contents entry: heading level (1 chapter, 3 section), anchor id, title (HTML)."""

    level: int
    anchor: str
    title: str


class AnchorHeadings(Preprocessor):
    """Give every chapter and section heading in the outputs an id and list them in
    ``resources['toc']``."""

    def preprocess(self, nb, resources):  # noqa: D102 (nbconvert API)
        entries: list[Entry] = []

        def tag(match: re.Match) -> str:
            level, cls, title = int(match[1]), match[2] or "", match[3]
            if level == 3 and not any(e.level == 1 for e in entries):
                return match[0]  # sections before the first chapter stay out of the contents
            anchor = f"sec-{len(entries) + 1}"
            entries.append(Entry(level, anchor, title))
            return f'<h{level}{cls} id="{anchor}">{title}</h{level}>'

        for cell in nb.cells:
            for out in cell.get("outputs", []):
                html = out.get("data", {}).get("text/html")
                if html is None:
                    continue
                joined = "".join(html) if isinstance(html, list) else html
                out["data"]["text/html"] = _HEADING.sub(tag, joined)
        resources["toc"] = entries
        return nb, resources


def css_string(value: str) -> str:
    """``value`` as a CSS string literal, safe inside a ``<style>`` element."""
    safe = "".join(
        c if c.isalnum() or c in " .,:;()–-/" or ord(c) > 127 else f"\\{ord(c):x} " for c in value
    )
    return f'"{safe}"'


def cover_info(
    company: str,
    period: str,
    as_of: dt.date,
    sources: list[str],
    text: Text,
    generated: dt.date | None = None,
) -> dict:
    """What the cover page and running header print, in the report language.

    Parameters
    ----------
    company : str
    period : str
        Report period label (``2024-12``, ``2024Q4``, ``2024``).
    as_of : date
        Data date.
    sources : list of str
        The input files (names, no paths).
    text : Text
    generated : date, optional
        Generation date (today by default).

    Returns
    -------
    dict
        company, title, period, generated, sources_label, sources, contents (the contents
        heading), header (running header, as a CSS string).
    """
    title = text("report.title")
    period_line = text("report.period", period=text.period(period), as_of=text.date(as_of))
    return {
        "company": company,
        "title": title,
        "period": period_line,
        "generated": text("report.generated_on", date=text.date(generated or dt.date.today())),
        "sources_label": text("report.sources"),
        "sources": sources,
        "contents": text("report.contents"),
        "header": css_string(f"{company} · {title} · {text.period(period)}"),
    }
