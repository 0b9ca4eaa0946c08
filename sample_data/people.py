"""Vietnamese people for the sample data: names, identity numbers, phone numbers.

Everything is drawn in bulk from a ``numpy.random.Generator`` so a million people take
seconds. Name frequencies follow the usual shares of Vietnamese family names (Nguyễn about
38 %, Trần 11 %, Lê 9.5 %, ...).
"""

from __future__ import annotations

import numpy as np

_FAMILY = (
    ("Nguyễn", 38.0), ("Trần", 11.0), ("Lê", 9.5), ("Phạm", 7.1), ("Huỳnh", 5.1),
    ("Võ", 3.9), ("Phan", 4.5), ("Trương", 1.6), ("Bùi", 2.0), ("Đặng", 2.1), ("Đỗ", 1.4),
    ("Ngô", 1.3), ("Hồ", 1.3), ("Dương", 1.0), ("Đinh", 0.6), ("Lý", 0.5), ("Mai", 0.5),
    ("Lâm", 0.5), ("Châu", 0.4), ("Tô", 0.4), ("Hoàng", 1.0), ("Cao", 0.4), ("Thái", 0.3),
)  # fmt: skip
_MIDDLE_MALE = ("Văn", "Văn", "Văn", "Hữu", "Minh", "Thanh", "Quốc", "Đức", "Công", "Hoàng")
_MIDDLE_FEMALE = ("Thị", "Thị", "Thị", "Ngọc", "Thanh", "Kim", "Mỹ", "Thu", "Bích", "Hồng")
_GIVEN_MALE = (
    "An", "Bình", "Cường", "Dũng", "Đạt", "Hải", "Hiếu", "Hùng", "Huy", "Khang", "Khoa", "Lâm",
    "Long", "Lộc", "Minh", "Nam", "Nghĩa", "Phát", "Phong", "Phúc", "Quang", "Sang", "Sơn",
    "Tài", "Tâm", "Thành", "Thắng", "Thịnh", "Toàn", "Trí", "Trung", "Tuấn", "Việt", "Vũ",
)  # fmt: skip
_GIVEN_FEMALE = (
    "Anh", "Châu", "Diễm", "Dung", "Giang", "Hà", "Hạnh", "Hằng", "Hoa", "Hồng", "Hương",
    "Hường", "Lan", "Liên", "Linh", "Loan", "Mai", "Ngân", "Nhung", "Oanh", "Phượng", "Quyên",
    "Thảo", "Thủy", "Trang", "Trinh", "Tuyết", "Uyên", "Vân", "Xuân", "Yến",
)  # fmt: skip
# Province-of-birth codes opening a CCCD number: mostly Tây Ninh (072) and Long An (080).
_BIRTH_PROVINCES = (
    ("072", 44.0), ("080", 34.0), ("079", 8.0), ("074", 3.0), ("075", 2.0), ("082", 2.0),
    ("083", 1.5), ("086", 1.0), ("087", 1.0), ("089", 1.0), ("070", 1.0), ("038", 0.8),
    ("036", 0.7),
)  # fmt: skip
_CMND_PREFIXES = ("290", "291", "300", "301", "023", "025")
_PHONE_PREFIXES = ("090", "091", "093", "094", "097", "098", "032", "035", "037", "070", "077")


def _pick(rng: np.random.Generator, table: tuple, size: int) -> np.ndarray:
    """Draw ``size`` values from a ``(value, weight)`` table or a plain tuple of values."""
    if table and isinstance(table[0], tuple):
        values = np.array([value for value, _ in table], dtype=object)
        weights = np.array([weight for _, weight in table], dtype=float)
        return rng.choice(values, size=size, p=weights / weights.sum())
    return rng.choice(np.array(table, dtype=object), size=size)


def person_names(rng: np.random.Generator, female: np.ndarray, family: np.ndarray | None = None):
    """Full names ("Nguyễn Văn An"); ``family`` forces the family name where given."""
    size = len(female)
    if family is None:
        family = _pick(rng, _FAMILY, size)
    middle = np.where(female, _pick(rng, _MIDDLE_FEMALE, size), _pick(rng, _MIDDLE_MALE, size))
    given = np.where(female, _pick(rng, _GIVEN_FEMALE, size), _pick(rng, _GIVEN_MALE, size))
    return family.astype(object) + " " + middle + " " + given


def family_names(rng: np.random.Generator, size: int) -> np.ndarray:
    """Family names drawn with their national frequencies."""
    return _pick(rng, _FAMILY, size)


def _duplicated(values: np.ndarray) -> np.ndarray:
    """True for every value already seen earlier in the array."""
    _, first = np.unique(values, return_index=True)
    seen = np.ones(len(values), dtype=bool)
    seen[first] = False
    return seen


def distinct_numbers(rng: np.random.Generator, prefix: np.ndarray, width: int) -> np.ndarray:
    """``prefix`` followed by ``width`` random digits, redrawn until all numbers differ."""
    scale = 10**width
    numbers = prefix * scale + rng.integers(0, scale, size=len(prefix), dtype=np.int64)
    clash = _duplicated(numbers)
    while clash.any():
        fresh = rng.integers(0, scale, size=int(clash.sum()), dtype=np.int64)
        numbers[clash] = prefix[clash] * scale + fresh
        clash = _duplicated(numbers)
    return numbers


def citizen_numbers(rng: np.random.Generator, birth_year: np.ndarray, female: np.ndarray):
    """Distinct 12-digit CCCD numbers valid for ``landreg.domain.identifiers.IdentityNumber``."""
    size = len(birth_year)
    province = _pick(rng, _BIRTH_PROVINCES, size).astype(np.int64)
    century = (birth_year // 100 - 19) * 2 + female.astype(np.int64)
    prefix = province * 1000 + century * 100 + birth_year % 100  # 6 digits
    numbers = distinct_numbers(rng, prefix, 6)
    return np.char.zfill(numbers.astype(str), 12).astype(object)


def old_card_numbers(rng: np.random.Generator, size: int) -> np.ndarray:
    """Distinct 9-digit CMND numbers (Tây Ninh 29x, Long An 30x and a few others)."""
    prefix = _pick(rng, _CMND_PREFIXES, size).astype(np.int64)
    numbers = distinct_numbers(rng, prefix, 6)
    return np.char.zfill(numbers.astype(str), 9).astype(object)


def invalid_identity_numbers(rng: np.random.Generator, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Identity numbers that ``IdentityNumber`` rejects, with the reason for each."""
    reasons = rng.choice(
        np.array(["unknown_province", "future_birth_year", "eleven_digits", "ten_digits"]), size
    )
    digits = rng.integers(0, 10, size=(size, 12)).astype(str)
    text = np.array(["".join(row) for row in digits], dtype=object)
    fixed = {
        "unknown_province": lambda t: "099" + t[3:],
        "future_birth_year": lambda t: "072" + "2" + "9" + t[5:],
        "eleven_digits": lambda t: "072" + t[3:11],
        "ten_digits": lambda t: "080" + t[3:10],
    }
    out = np.array([fixed[reason](value) for reason, value in zip(reasons, text, strict=True)])
    return out.astype(object), reasons.astype(object)


def phone_numbers(rng: np.random.Generator, size: int) -> np.ndarray:
    """Ten-digit Vietnamese mobile numbers."""
    prefix = _pick(rng, _PHONE_PREFIXES, size)
    tail = np.char.zfill(rng.integers(0, 10_000_000, size).astype(str), 7).astype(object)
    return prefix + tail
