"""The gettext catalogues and every message the code and the notebooks use."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest

import churnreport
from churnreport.report.text import LANGUAGES, catalogue_file, messages, placeholders

SRC = Path(churnreport.__file__).parent
NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"

#: Names a Text is called by: ``text("id")``, ``text.get("id", ...)``, ``self.text("id")``,
#: ``ctx.text("id")``; ``N_("id")`` marks an id kept in a table.
TEXT_NAMES = {"text", "self"}  # self: the Text class calls itself
TEXT_OWNERS = {"self", "ctx"}


# ---------------------------------------------------------------- the catalogues


def test_both_languages_have_the_same_messages_and_none_is_empty():
    en, zh = messages("en"), messages("zh")
    assert set(en) == set(zh), {"only en": set(en) - set(zh), "only zh": set(zh) - set(en)}
    empty = [(lang, k) for lang in LANGUAGES for k, v in messages(lang).items() if not v.strip()]
    assert empty == []


def test_placeholders_are_the_same_in_both_languages():
    en, zh = messages("en"), messages("zh")
    differ = {
        k: (sorted(placeholders(en[k])), sorted(placeholders(zh[k])))
        for k in en
        if placeholders(en[k]) != placeholders(zh.get(k, ""))
    }
    assert differ == {}


def test_every_message_formats_with_its_placeholders():
    """A stray brace (``{`` for a literal one) would raise only when the sentence is built."""
    broken = []
    for lang in LANGUAGES:
        for key, message in messages(lang).items():
            try:
                message.format(**dict.fromkeys(placeholders(message), "x"))
            except (KeyError, IndexError, ValueError) as e:
                broken.append(f"{lang} {key}: {e!r}")
    assert broken == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_msgid_is_written_twice(language):
    """Two entries with one msgid: the reader would silently keep one of them."""
    po = catalogue_file(language).read_text(encoding="utf-8")
    ids = re.findall(r'^msgid "(.+)"$', po, flags=re.MULTILINE)
    assert sorted({i for i in ids if ids.count(i) > 1}) == []
    assert len(ids) == len(messages(language))


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalogue_says_how_to_add_a_message(language):
    head = catalogue_file(language).read_text(encoding="utf-8").split("msgid", 1)[0]
    assert "How to add a message" in head


# ---------------------------------------------------------------- every use in the code


def _is_message_call(func: ast.expr) -> bool:
    """``text(...)``, ``N_(...)``, ``self.text(...)``, ``ctx.text(...)`` and their ``.get``."""
    if isinstance(func, ast.Name):
        return func.id in TEXT_NAMES or func.id == "N_"
    if not isinstance(func, ast.Attribute):
        return False
    if func.attr == "text":
        return isinstance(func.value, ast.Name) and func.value.id in TEXT_OWNERS
    return func.attr == "get" and _is_message_call(func.value) and not _is_n(func.value)


def _is_n(func: ast.expr) -> bool:
    return isinstance(func, ast.Name) and func.id == "N_"


def _built(arg: ast.expr) -> bool:
    """An id made by formatting: f-string, ``+`` / ``%``, or ``.format()``."""
    if isinstance(arg, ast.JoinedStr):
        return True
    if isinstance(arg, ast.BinOp) and isinstance(arg.op, ast.Add | ast.Mod):
        return True
    if isinstance(arg, ast.Call) and isinstance(arg.func, ast.Attribute):
        return arg.func.attr == "format"
    if isinstance(arg, ast.IfExp):
        return _built(arg.body) or _built(arg.orelse)
    return False


def _literals(arg: ast.expr) -> list[str]:
    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
        return [arg.value]
    if isinstance(arg, ast.IfExp):
        return _literals(arg.body) + _literals(arg.orelse)
    return []


class _Uses(ast.NodeVisitor):
    """Message uses of one source: (line, function, first argument)."""

    def __init__(self) -> None:
        self.functions: list[str] = []
        self.uses: list[tuple[int, str | None, ast.expr, bool]] = []

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self.functions.append(node.name)
        self.generic_visit(node)
        self.functions.pop()

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Call(self, node: ast.Call) -> None:
        if _is_message_call(node.func) and node.args:
            # the outermost function names the region (helpers nested in it belong to it)
            where = self.functions[0] if self.functions else None
            self.uses.append((node.lineno, where, node.args[0], _is_n(node.func)))
        self.generic_visit(node)


def _sources() -> list[tuple[str, str]]:
    """(name, code) of every module of the package and every notebook code cell."""
    out = [
        (p.relative_to(SRC).as_posix(), p.read_text(encoding="utf-8"))
        for p in sorted(SRC.rglob("*.py"))
    ]
    for nb in sorted(NOTEBOOKS.glob("*.ipynb")):
        cells = json.loads(nb.read_text(encoding="utf-8"))["cells"]
        for i, cell in enumerate(cells):
            if cell["cell_type"] == "code":
                code = "".join(cell["source"])
                code = "\n".join(
                    "" if line.lstrip().startswith(("%", "!")) else line
                    for line in code.splitlines()
                )
                out.append((f"notebooks/{nb.name}[cell {i}]", code))
    return out


def _scan() -> tuple[list[str], list[str]]:
    """Literal ids missing from the catalogue, and ids built by formatting (file:line)."""
    known = set(messages("en"))
    missing, built = [], []
    for name, code in _sources():
        uses = _Uses()
        uses.visit(ast.parse(code, filename=name))
        for line, function, arg, marker in uses.uses:
            where = f"{name}:{line}"
            if _built(arg) or (marker and not _literals(arg)):
                built.append(f"{where} ({function}): {ast.unparse(arg)}")
            missing += [f"{where}: {i}" for i in _literals(arg) if i not in known]
    return missing, built


def test_scan_finds_uses_and_formatted_ids():
    code = (
        "def f(text, ctx, k):\n"
        "    text('a.b'); ctx.text('c'); text.get('d', 'x'); N_('e')\n"
        "    text(f'x.{k}'); text('x.' + k); text('x.{}'.format(k)); ctx.text.get(f'y.{k}', '')\n"
        "    text(TABLE[k]); text('p' if k else 'q'); ax.text(0, 0, k)\n"
    )
    uses = _Uses()
    uses.visit(ast.parse(code))
    assert [ast.unparse(a) for _, _, a, _ in uses.uses][:4] == ["'a.b'", "'c'", "'d'", "'e'"]
    assert [_built(a) for _, _, a, _ in uses.uses] == [False] * 4 + [True] * 4 + [False] * 2
    assert {w for _, w, _, _ in uses.uses} == {"f"}
    assert _literals(uses.uses[-1][2]) == ["p", "q"]


def test_every_literal_message_id_is_in_the_catalogue():
    missing, _ = _scan()
    assert missing == [], "\n".join(missing)


def test_no_message_id_is_built_by_formatting():
    """``text(f"tier.{t}")`` hides the id from the catalogue check: use a literal id, or a
    table of ``N_("...")`` ids."""
    _, built = _scan()
    assert built == [], "\n".join(built)


def test_every_message_is_used():
    """A message no code uses is dead text (or an id kept in a table without ``N_``, which
    the checks above would never see)."""
    used = set()
    for name, code in _sources():
        uses = _Uses()
        uses.visit(ast.parse(code, filename=name))
        for _, _, arg, _ in uses.uses:
            used.update(_literals(arg))
    assert sorted(set(messages("en")) - used) == []
