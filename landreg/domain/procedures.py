"""A procedure ("thủ tục") as people write it: its code or its Vietnamese name.

At the counter an officer writes "Chuyển nhượng quyền sử dụng đất", "chuyen nhuong quyen su
dung dat" or ``transfer``: the same procedure. Names are compared folded (no case, no
diacritics, đ as d, one space between words, ``_`` and ``-`` as spaces).
"""

from __future__ import annotations

import unicodedata

from landreg.domain.reference import procedures_config
from landreg.errors import UnknownReferenceError


def folded(text: str) -> str:
    """``text`` as names are compared: lower case, no diacritics, đ as d, single spaces.

    Parameters
    ----------
    text : str

    Returns
    -------
    str
        ``"Chuyển nhượng  quyền_sử dụng đất"`` → ``"chuyen nhuong quyen su dung dat"``.
    """
    decomposed = unicodedata.normalize("NFD", str(text).replace("đ", "d").replace("Đ", "D"))
    bare = "".join(c for c in decomposed if unicodedata.category(c) != "Mn")
    return " ".join(bare.lower().replace("_", " ").replace("-", " ").split())


def _spellings() -> dict[str, str]:
    """Every accepted spelling, folded, and the procedure code it names."""
    spellings: dict[str, str] = {}
    for code, procedure in procedures_config()["procedures"].items():
        for name in (code, procedure.get("name_vi"), procedure.get("name_en")):
            if name:
                spellings.setdefault(folded(name), code)
    return spellings


def known_procedure(text: str | None) -> str | None:
    """The code of the procedure ``text`` names (its code or its Vietnamese or English
    name, any case, with or without diacritics); None when it names none.

    Parameters
    ----------
    text : str or None

    Returns
    -------
    str or None
        ``"transfer"`` for ``"chuyen nhuong quyen su dung dat"``.
    """
    if text is None:
        return None
    return _spellings().get(folded(text))


def procedure_code(text: str, *, field: str = "procedure") -> str:
    """The code of the procedure ``text`` names; :class:`UnknownReferenceError` (422,
    naming ``field``) listing the procedures by their Vietnamese names otherwise.

    Parameters
    ----------
    text : str
        A code or a name, as written.
    field : str
        The field the text came in, named in the error.

    Returns
    -------
    str
    """
    code = known_procedure(text)
    if code is not None:
        return code
    procedures = procedures_config()["procedures"]
    names_vi = "; ".join(str(p["name_vi"]) for p in procedures.values())
    known = ", ".join(f"{c} ({p['name_en']})" for c, p in procedures.items())
    raise UnknownReferenceError(
        f"unknown procedure {text!r}; known: {known}",
        field=field,
        value=text,
        detail_vi=f"không có thủ tục {text!r}; các thủ tục: {names_vi}",
    )
