"""Value objects for the keys the land register is organised by.

Each is immutable and validated on construction, so a malformed key never reaches storage.
``parse`` class methods accept what people and old systems really write.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import ClassVar

from landreg.errors import ValidationError

_DIGITS = re.compile(r"^\d+$")


# No sheet or parcel number comes near a billion; longer digit strings are typing or hostile.
_MOST_DIGITS = 9


def parse_whole_number(text: str | int, *, field: str) -> int:
    """Read a sheet or parcel number as written on maps and forms.

    Old registers write "1.234" or "1,234" (thousands separators) and pad with spaces or
    leading zeros; all of these mean the same whole number.

    Parameters
    ----------
    text : str or int
        The number as written.
    field : str
        The field name used in the error message.

    Returns
    -------
    int
        The number, at least 1.
    """
    said = _FIELDS_VI.get(field, field)
    if isinstance(text, bool):
        raise ValidationError(
            f"{field} must be a whole number, got {text!r}",
            field=field,
            value=text,
            detail_vi=f"{said} phải là số nguyên, nhận được {text!r}",
        )
    if isinstance(text, int):
        number = text
    else:
        cleaned = str(text).strip().replace(".", "").replace(",", "").replace(" ", "")
        if not _DIGITS.match(cleaned):
            raise ValidationError(
                f"{field} must be a whole number, got {text!r}",
                field=field,
                value=text,
                detail_vi=f"{said} phải là số nguyên, nhận được {text!r}",
            )
        if len(cleaned.lstrip("0")) > _MOST_DIGITS:
            raise ValidationError(
                f"{field} has more than {_MOST_DIGITS} digits",
                field=field,
                value=text[:40],
                detail_vi=f"{said} có quá {_MOST_DIGITS} chữ số",
            )
        number = int(cleaned)
    if number < 1:
        raise ValidationError(
            f"{field} must be 1 or more, got {text!r}",
            field=field,
            value=text,
            detail_vi=f"{said} phải từ 1 trở lên, nhận được {text!r}",
        )
    return number


# The key's parts as a person at the counter names them.
_FIELDS_VI = {"commune_code": "mã xã", "map_sheet": "số tờ bản đồ", "parcel_number": "số thửa"}


@dataclass(frozen=True, slots=True, order=True)
class ParcelKey:
    """The key of a parcel ("thửa đất"): commune, map sheet and parcel number.

    Parameters
    ----------
    commune_code : str
        Five-digit commune or ward code ("mã xã").
    map_sheet : int
        Map sheet number within the commune ("số hiệu tờ bản đồ"), from 1.
    parcel_number : int
        Parcel number within the sheet ("số thứ tự thửa"), from 1.
    """

    commune_code: str
    map_sheet: int
    parcel_number: int

    def __post_init__(self) -> None:
        if not (isinstance(self.commune_code, str) and re.fullmatch(r"\d{5}", self.commune_code)):
            raise ValidationError(
                f"commune_code must be 5 digits, got {self.commune_code!r}",
                field="commune_code",
                value=self.commune_code,
                detail_vi=f"mã xã phải gồm 5 chữ số, nhận được {self.commune_code!r}",
            )
        for name in ("map_sheet", "parcel_number"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValidationError(
                    f"{name} must be a whole number of 1 or more, got {value!r}",
                    field=name,
                    value=value,
                    detail_vi=f"{_FIELDS_VI[name]} phải là số nguyên từ 1 trở lên, "
                    f"nhận được {value!r}",
                )

    @classmethod
    def parse(
        cls, commune_code: str | int, map_sheet: str | int, parcel_number: str | int
    ) -> ParcelKey:
        """Build a key from values as written ("012", "1.234", 25459)."""
        commune = str(commune_code).strip()
        if commune.isdigit() and len(commune) < 5:
            commune = commune.zfill(5)
        return cls(
            commune,
            parse_whole_number(map_sheet, field="map_sheet"),
            parse_whole_number(parcel_number, field="parcel_number"),
        )

    @classmethod
    def from_string(cls, text: str) -> ParcelKey:
        """Parse the canonical text form ``commune-sheet-parcel`` (``25459-12-345``)."""
        parts = re.split(r"[-/:]", text.strip())
        if len(parts) != 3:
            raise ValidationError(
                f"parcel key must look like 25459-12-345, got {text!r}",
                field="parcel_key",
                value=text,
                detail_vi="mã thửa phải có dạng mã xã-số tờ-số thửa như 25459-12-345, "
                f"nhận được {text!r}",
            )
        return cls.parse(*parts)

    def __str__(self) -> str:
        return f"{self.commune_code}-{self.map_sheet}-{self.parcel_number}"


@dataclass(frozen=True, slots=True)
class CertificateSerial:
    """Serial of a land-use right certificate ("số phát hành Giấy chứng nhận").

    Two letters then six digits on certificates of the 2014 form (Circular 23/2014), two
    letters then eight digits on the 2024 form with a QR code (Circular 10/2024).

    Parameters
    ----------
    letters : str
        The two upper-case letters.
    digits : str
        Six or eight digits.
    """

    letters: str
    digits: str

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[A-Z]{2}", self.letters) or not re.fullmatch(
            r"\d{6}|\d{8}", self.digits
        ):
            raise ValidationError(
                "certificate serial must be 2 letters and 6 or 8 digits, got "
                f"{self.letters} {self.digits!r}",
                field="certificate_serial",
                value=f"{self.letters} {self.digits}",
                detail_vi="số phát hành Giấy chứng nhận phải gồm 2 chữ cái và 6 hoặc 8 chữ số, "
                f"nhận được {self.letters} {self.digits!r}",
            )

    @classmethod
    def parse(cls, text: str) -> CertificateSerial:
        """Read a serial as written: ``"AB 123456"``, ``"ab123456"``, ``"CS 01234567"``."""
        match = re.fullmatch(r"\s*([A-Za-z]{2})[\s\-]*(\d+)\s*", str(text))
        if not match:
            raise ValidationError(
                f"certificate serial must be 2 letters and 6 or 8 digits, got {text!r}",
                field="certificate_serial",
                value=text,
                detail_vi="số phát hành Giấy chứng nhận phải gồm 2 chữ cái và 6 hoặc 8 chữ số, "
                f"nhận được {text!r}",
            )
        return cls(match.group(1).upper(), match.group(2))

    @property
    def form(self) -> str:
        """``"2014"`` for the six-digit form, ``"2024"`` for the eight-digit QR form."""
        return "2014" if len(self.digits) == 6 else "2024"

    def __str__(self) -> str:
        return f"{self.letters} {self.digits}"


# Province codes that open a citizen identity number (the 63 provinces before 2025).
BIRTH_PROVINCE_CODES = frozenset(
    "001 002 004 006 008 010 011 012 014 015 017 019 020 022 024 025 026 027 030 031 033 034 "
    "035 036 037 038 040 042 044 045 046 048 049 051 052 054 056 058 060 062 064 066 067 068 "
    "070 072 074 075 077 079 080 082 083 084 086 087 089 091 092 093 094 095 096".split()
)


@dataclass(frozen=True, slots=True)
class IdentityNumber:
    """A person's identity number: citizen identity card (CCCD, 12 digits) or old card (CMND, 9).

    A CCCD number starts with the province of birth (3 digits), then one digit for sex and
    century (0/1 = male/female born 1900-1999, 2/3 = 2000-2099, ...), then the last two
    digits of the birth year.

    Parameters
    ----------
    value : str
        The digits, without spaces.
    """

    value: str

    def __post_init__(self) -> None:
        text = self.value
        if not re.fullmatch(r"\d{9}|\d{12}", text):
            raise ValidationError(
                f"identity number must be 12 digits (CCCD) or 9 digits (CMND), got {text!r}",
                field="identity_number",
                value=text,
                detail_vi="số định danh phải có 12 chữ số (CCCD) hoặc 9 chữ số (CMND), "
                f"nhận được {text!r}",
            )
        if len(text) == 12:
            self._check_citizen_number(text)

    @staticmethod
    def _check_citizen_number(text: str) -> None:
        if text[:3] not in BIRTH_PROVINCE_CODES:
            raise ValidationError(
                f"identity number {text!r} starts with {text[:3]!r}, not a province code",
                field="identity_number",
                value=text,
                detail_vi=f"số định danh {text!r} bắt đầu bằng {text[:3]!r}, không phải mã tỉnh",
            )
        century = 1900 + 100 * (int(text[3]) // 2)
        birth_year = century + int(text[4:6])
        if birth_year > date.today().year:
            raise ValidationError(
                f"identity number {text!r} encodes birth year {birth_year}, in the future",
                field="identity_number",
                value=text,
                detail_vi=f"số định danh {text!r} mang năm sinh {birth_year}, ở tương lai",
            )

    @classmethod
    def parse(cls, text: str | int) -> IdentityNumber:
        """Read a number as written, ignoring spaces, dots and dashes."""
        return cls(re.sub(r"[\s.\-]", "", str(text)))

    @property
    def kind(self) -> str:
        """``"cccd"`` for a 12-digit citizen identity number, ``"cmnd"`` for the old 9 digits."""
        return "cccd" if len(self.value) == 12 else "cmnd"

    @property
    def masked(self) -> str:
        """The number with all but the last three digits hidden, for logs and public pages."""
        return "*" * (len(self.value) - 3) + self.value[-3:]

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, slots=True)
class DossierCode:
    """Receipt code of a dossier at the one-stop shop ("mã hồ sơ").

    The default form is ``<agency>-<yymmdd>-<sequence>`` (``H38.22-230514-0042``); the
    province configures its own pattern, which must name the groups ``date`` and ``seq``.

    Parameters
    ----------
    value : str
        The code as printed on the receipt.
    """

    value: str
    DEFAULT_PATTERN: ClassVar[str] = (
        r"(?P<agency>[A-Z0-9][A-Z0-9.]*)-(?P<date>\d{6})-(?P<seq>\d{3,6})"
    )

    def __post_init__(self) -> None:
        self.check(self.value, self.DEFAULT_PATTERN)

    @staticmethod
    def check(text: str, pattern: str) -> None:
        """Raise unless ``text`` matches ``pattern`` and its date part is a real date."""
        match = re.fullmatch(pattern, text)
        if not match:
            raise ValidationError(
                f"dossier code must look like H38.22-230514-0042, got {text!r}",
                field="dossier_code",
                value=text,
                detail_vi=f"mã hồ sơ phải có dạng như H38.22-230514-0042, nhận được {text!r}",
            )
        stamp = match.groupdict().get("date")
        if stamp:
            try:
                date(2000 + int(stamp[:2]), int(stamp[2:4]), int(stamp[4:6]))
            except ValueError:
                raise ValidationError(
                    f"dossier code {text!r} has an impossible date {stamp!r}",
                    field="dossier_code",
                    value=text,
                    detail_vi=f"mã hồ sơ {text!r} mang ngày không có thật {stamp!r}",
                ) from None

    @classmethod
    def parse(cls, text: str, pattern: str | None = None) -> DossierCode:
        """Read a code as typed (surrounding spaces, lower case) under the province's pattern."""
        cleaned = str(text).strip().upper()
        if pattern and pattern != cls.DEFAULT_PATTERN:
            cls.check(cleaned, pattern)
            code = object.__new__(cls)
            object.__setattr__(code, "value", cleaned)
            return code
        return cls(cleaned)

    @property
    def received_on(self) -> date:
        """The receipt date encoded in the code."""
        stamp = re.fullmatch(self.DEFAULT_PATTERN, self.value)
        if not stamp:
            raise ValidationError(
                "dossier code carries no date",
                field="dossier_code",
                value=self.value,
                detail_vi="mã hồ sơ không mang ngày tiếp nhận",
            )
        text = stamp.group("date")
        return date(2000 + int(text[:2]), int(text[2:4]), int(text[4:6]))

    def __str__(self) -> str:
        return self.value
