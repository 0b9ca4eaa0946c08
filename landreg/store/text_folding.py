"""Text compared however it was typed, in SQL: Vietnamese letters without case or diacritics.

``folded(column)`` is ``landreg.services.source_checks.folded_names`` in the database: every
Vietnamese letter with a tone mark, circumflex, breve or horn (upper or lower case, composed
or decomposed) and ``đ`` become their plain lower-case letter. PostgreSQL does it in one
``translate``; SQLite has no ``translate`` and its ``lower`` knows ASCII only, so there it is
one ``replace`` per letter (about 140, cheap on a column of names).
"""

from __future__ import annotations

import unicodedata
from typing import Any

from sqlalchemy import String
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

# The marks Vietnamese letters carry: grave, acute, circumflex, tilde, breve, hook above,
# horn, dot below.
_MARKS = "\u0300\u0301\u0302\u0303\u0306\u0309\u031b\u0323"


def _letters() -> dict[str, str]:
    """Each accented Vietnamese letter (both cases) → its plain lower-case letter."""
    letters = {"đ": "d", "Đ": "d"}
    for point in (*range(0x00C0, 0x0250), *range(0x1EA0, 0x1F00)):
        char = chr(point)
        parts = unicodedata.normalize("NFD", char)
        base, marks = parts[:1], parts[1:]
        if base.lower() in "aeiouy" and marks and set(marks) <= set(_MARKS):
            letters[char] = base.lower()
    return letters


LETTERS = _letters()


class folded(FunctionElement[str]):
    """``folded(expression)``: the text in lower case without Vietnamese diacritics."""

    type = String()
    inherit_cache = True


@compiles(folded, "postgresql")
def _folded_postgresql(element: folded, compiler: Any, **kw: Any) -> str:
    source = "".join(LETTERS) + _MARKS  # the marks have no counterpart: translate drops them
    target = "".join(LETTERS.values())
    text = compiler.process(element.clauses, **kw)
    return f"lower(translate({text}, '{source}', '{target}'))"


@compiles(folded)
def _folded_sqlite(element: folded, compiler: Any, **kw: Any) -> str:
    text = compiler.process(element.clauses, **kw)
    for char, plain in (*LETTERS.items(), *((mark, "") for mark in _MARKS)):
        text = f"replace({text}, '{char}', '{plain}')"
    return f"lower({text})"
