"""Administrative units ("đơn vị hành chính") and reading them from a table.

The shipped units (``landreg/reference/tay_ninh_2025_units.csv``) and an installation's own (a file
``landreg units load`` takes in) are read by the same function, :func:`units_from_rows`,
which refuses a table with one line saying what is wrong.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime

from landreg.errors import ValidationError


@dataclass(frozen=True, slots=True)
class AdministrativeUnit:
    """A province, commune or ward, current or historical ("đơn vị hành chính").

    Parameters
    ----------
    code : str
        Official code: 2 digits for a province, 3 for a former district, 5 for a commune.
    level : str
        ``province``, ``ward``, ``commune``, ``former_province`` or ``former_district``.
    name : str
        Vietnamese name with diacritics.
    parent_code : str or None
        The unit it belongs to (the province for a commune since 1 July 2025).
    valid_from, valid_to : date or None
        Lifespan of the unit; ``valid_to`` is set for abolished units.
    successor_code : str or None
        For an abolished unit, the unit that took it over.
    cadastral_srid : int or None
        EPSG code of the TM-3 zone its cadastral maps are drawn in.
    remote : bool
        Remote commune: deadlines get extra working days.
    official : bool
        False where the code is assumed for the sample data and must be checked.
    """

    code: str
    level: str
    name: str
    parent_code: str | None
    valid_from: date | None
    valid_to: date | None
    successor_code: str | None
    cadastral_srid: int | None
    remote: bool
    official: bool

    @property
    def is_current(self) -> bool:
        """True for units that exist today (not abolished)."""
        return self.valid_to is None


UNIT_LEVELS = ("province", "ward", "commune", "former_province", "former_district")
UNIT_COLUMNS = (
    "code", "level", "name", "parent_code", "valid_from", "valid_to", "successor_code",
    "cadastral_srid", "remote", "official",
)  # fmt: skip
REQUIRED_UNIT_COLUMNS = ("code", "level", "name")
# Other names files give these columns (the sample's units.gpkg among them).
_UNIT_ALIASES = {"province_code": "parent_code", "official_code": "official"}
_LEVEL_ALIASES = {"tỉnh": "province", "xã": "commune", "phường": "ward", "đặc khu": "commune"}
_CODE_WIDTH = {"province": 2, "former_province": 2, "former_district": 3, "commune": 5, "ward": 5}
_TRUE, _FALSE = {"true", "1", "yes", "có", "x"}, {"false", "0", "no", "không", ""}


def units_from_rows(
    columns: Iterable[str], rows: Iterable[Mapping[str, object]], *, source: str
) -> list[AdministrativeUnit]:
    """Administrative units from a table's rows (``UNIT_COLUMNS``; ``code``, ``level`` and
    ``name`` required), checked as a whole.

    Parameters
    ----------
    columns : iterable of str
        The table's column names.
    rows : iterable of mappings
        One per unit, values as read (text, numbers, booleans, dates or missing).
    source : str
        The file's name, for messages.

    Raises
    ------
    ValidationError
        One line naming what is wrong: missing columns, a bad level, date, SRID or flag,
        a code given twice, a parent or successor not in the table, no current commune.
    """
    present = {_UNIT_ALIASES.get(name, name) for name in columns}
    missing = [name for name in REQUIRED_UNIT_COLUMNS if name not in present]
    if missing:
        raise ValidationError(
            f"{source} thiếu cột {', '.join(missing)} / {source} lacks the column(s) "
            f"{', '.join(missing)} (an administrative unit needs {', '.join(UNIT_COLUMNS)}; "
            f"{', '.join(REQUIRED_UNIT_COLUMNS)} required)",
            field="columns",
            value=missing,
        )
    units = [_unit({_UNIT_ALIASES.get(k, k): v for k, v in row.items()}) for row in rows]
    _check_units(units, source)
    return units


def _unit(row: Mapping[str, object]) -> AdministrativeUnit:
    text = {name: _text(row.get(name)) for name in UNIT_COLUMNS}
    level = _LEVEL_ALIASES.get(text["level"].lower(), text["level"].lower())
    code = _code(text["code"], level)
    if level not in UNIT_LEVELS:
        raise ValidationError(
            f"cấp của đơn vị {code!r} không hợp lệ / level of unit {code!r} must be one of "
            f"{', '.join(UNIT_LEVELS)}: {text['level']!r}",
            field="level",
            value=text["level"],
        )
    if not text["name"]:
        raise ValidationError(
            f"đơn vị {code!r} không có tên / unit {code!r} has no name", field="name", value=code
        )
    return AdministrativeUnit(
        code=code,
        level=level,
        name=text["name"],
        parent_code=_code(text["parent_code"], "") or None,
        valid_from=_unit_date(text["valid_from"], "valid_from", code),
        valid_to=_unit_date(text["valid_to"], "valid_to", code),
        successor_code=_code(text["successor_code"], "") or None,
        cadastral_srid=_srid(text["cadastral_srid"], code),
        remote=_flag(text["remote"], "remote", code, default=False),
        official=_flag(text["official"], "official", code, default=True),
    )


def _text(value: object) -> str:
    """A cell as text: missing is empty, a whole float its integer, a date ISO."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def _code(text: str, level: str) -> str:
    """A code as the official tables write it: digits padded to the level's width."""
    width = _CODE_WIDTH.get(level, 0)
    return text.zfill(width) if text.isdigit() else text


def _unit_date(text: str, name: str, code: str) -> date | None:
    if not text:
        return None
    try:
        if "/" in text:
            day, month, year = (int(part) for part in text.split("/"))
            return date(year, month, day)
        return date.fromisoformat(text[:10])
    except ValueError:
        raise ValidationError(
            f"{name} của đơn vị {code!r} không phải ngày / {name} of unit {code!r} is not a "
            f"date (YYYY-MM-DD or DD/MM/YYYY): {text!r}",
            field=name,
            value=text,
        ) from None


def _srid(text: str, code: str) -> int | None:
    cleaned = text.upper().removeprefix("EPSG:")
    if not cleaned:
        return None
    if not cleaned.isdigit() or int(cleaned) == 0:
        raise ValidationError(
            f"cadastral_srid của đơn vị {code!r} không phải mã EPSG / cadastral_srid of unit "
            f"{code!r} is not an EPSG code: {text!r}",
            field="cadastral_srid",
            value=text,
        )
    return int(cleaned)


def _flag(text: str, name: str, code: str, *, default: bool) -> bool:
    cleaned = text.lower()
    if not cleaned:
        return default
    if cleaned in _TRUE | _FALSE:
        return cleaned in _TRUE
    raise ValidationError(
        f"{name} của đơn vị {code!r} phải là true/false / {name} of unit {code!r} must be "
        f"true or false: {text!r}",
        field=name,
        value=text,
    )


def _check_units(units: list[AdministrativeUnit], source: str) -> None:
    """Codes given once, parents and successors known, at least one current commune."""
    codes = [unit.code for unit in units]
    repeated = sorted({code for code in codes if codes.count(code) > 1})
    if repeated:
        raise ValidationError(
            f"mã đơn vị lặp lại trong {source} / unit codes repeated in {source}: "
            f"{', '.join(repeated[:10])}",
            field="code",
            value=repeated[:10],
        )
    known = set(codes)
    for unit in units:
        for name in ("parent_code", "successor_code"):
            other = getattr(unit, name)
            if other is not None and other not in known:
                raise ValidationError(
                    f"{name} {other!r} của đơn vị {unit.code!r} không có trong {source} / "
                    f"{name} {other!r} of unit {unit.code!r} is not a unit of {source}",
                    field=name,
                    value=other,
                )
        if unit.valid_from and unit.valid_to and unit.valid_to < unit.valid_from:
            raise ValidationError(
                f"đơn vị {unit.code!r} hết hiệu lực trước khi có hiệu lực / unit {unit.code!r} "
                f"ends ({unit.valid_to}) before it begins ({unit.valid_from})",
                field="valid_to",
                value=str(unit.valid_to),
            )
    if not any(unit.level in {"commune", "ward"} and unit.is_current for unit in units):
        raise ValidationError(
            f"{source} không có xã, phường nào đang hiệu lực / {source} has no current commune "
            "or ward (level commune or ward, no valid_to)",
            field="level",
            value=None,
        )
