"""Legacy Vietnamese byte encodings still found in old cadastral DBF files: TCVN3 and VNI.

Neither has a Python codec. Both are written here as mapping tables: ingest detects which
one a file uses and converts it to Unicode; the sample data uses the encoders to carry real
legacy bytes.

* **TCVN3** ("ABC", TCVN 5712:1993 VN3) is single-byte: each lower-case Vietnamese letter has
  its own byte in 0xA1-0xFE. It has upper-case forms only for the seven toneless letters
  Ă Â Đ Ê Ô Ơ Ư; upper-case letters with a tone mark were typed with an all-caps font over
  the lower-case bytes, so encoding them is lossy: they decode as lower case.
* **VNI** (VNI-Windows) writes a base ASCII letter followed by one or two bytes for the
  vowel mark and the tone, reusing Windows-1252 glyphs ("Xin chào" is ``Xin chaøo``); a few
  letters (đ, ơ, ư and the i forms) are single bytes.

A text file that is not in one encoding throughout (a row pasted in from another program,
a NUL byte) is read line by line (:func:`decode_text`): the lines that differ from the rest
are set aside, with what they say, for ingest to quarantine.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from itertools import islice

# TCVN3 lower-case letters in byte order, with their bytes (checked against glibc TCVN5712-1).
_TCVN3_LETTERS = (
    "ă a8 â a9 ê aa ô ab ơ ac ư ad đ ae Ă a1 Â a2 Ê a3 Ô a4 Ơ a5 Ư a6 Đ a7 "
    "à b5 ả b6 ã b7 á b8 ạ b9 ằ bb ẳ bc ẵ bd ắ be ặ c6 ầ c7 ẩ c8 ẫ c9 ấ ca ậ cb "
    "è cc ẻ ce ẽ cf é d0 ẹ d1 ề d2 ể d3 ễ d4 ế d5 ệ d6 ì d7 ỉ d8 ĩ dc í dd ị de "
    "ò df ỏ e1 õ e2 ó e3 ọ e4 ồ e5 ổ e6 ỗ e7 ố e8 ộ e9 ờ ea ở eb ỡ ec ớ ed ợ ee "
    "ù ef ủ f1 ũ f2 ú f3 ụ f4 ừ f5 ử f6 ữ f7 ứ f8 ự f9 ỳ fa ỷ fb ỹ fc ý fd ỵ fe"
)

# VNI bytes for the vowel marks and tones (lower case / upper case).
_VNI_TONE = {"\u0301": "ùÙ", "\u0300": "øØ", "\u0309": "ûÛ", "\u0303": "õÕ", "\u0323": "ïÏ"}
_VNI_CIRCUMFLEX_TONE = {"": "âÂ", "\u0301": "áÁ", "\u0300": "àÀ", "\u0309": "åÅ", "\u0303": "ãÃ"}
_VNI_CIRCUMFLEX_TONE["\u0323"] = "äÄ"
_VNI_BREVE_TONE = {"": "êÊ", "\u0301": "éÉ", "\u0300": "èÈ", "\u0309": "úÚ", "\u0303": "üÜ"}
_VNI_BREVE_TONE["\u0323"] = "ëË"
# Letters VNI writes as one byte (i with a tone, ỵ, đ) and the horn vowels' base bytes.
_VNI_SINGLE = {
    "í": "í", "ì": "ì", "ỉ": "æ", "ĩ": "ó", "ị": "ò", "ỵ": "î", "đ": "ñ",
    "Í": "Í", "Ì": "Ì", "Ỉ": "Æ", "Ĩ": "Ó", "Ị": "Ò", "Ỵ": "Î", "Đ": "Ñ",
}  # fmt: skip
_VNI_HORN_BASE = {"o": "ô", "u": "ö", "O": "Ô", "U": "Ö"}
_TONES = ("\u0301", "\u0300", "\u0309", "\u0303", "\u0323")


def _vietnamese_letters() -> list[str]:
    """Every precomposed Vietnamese letter (vowels with marks and tones, đ), both cases."""
    bases = ["a", "ă", "â", "e", "ê", "i", "o", "ô", "ơ", "u", "ư", "y"]
    letters = ["đ", "Đ"]
    for base in bases:
        for mark in ("", *_TONES):
            letter = unicodedata.normalize("NFC", base + mark)
            letters += [letter, letter.upper()]
    return [letter for letter in letters if letter not in "aeiouyAEIOUY"]


@cache
def _tcvn3_tables() -> tuple[dict[str, int], dict[int, str]]:
    items = _TCVN3_LETTERS.split()
    decode = {int(code, 16): letter for letter, code in zip(items[::2], items[1::2], strict=True)}
    encode = {letter: code for code, letter in decode.items()}
    for letter in _vietnamese_letters():
        if letter not in encode and letter.lower() in encode:
            encode[letter] = encode[letter.lower()]  # toned capitals: all-caps font, lossy
    return encode, decode


def _vni_sequence(letter: str) -> str:
    """The VNI characters (as Windows-1252 glyphs) for one precomposed Vietnamese letter."""
    if letter in _VNI_SINGLE:
        return _VNI_SINGLE[letter]
    upper = 1 if letter.isupper() else 0
    parts = unicodedata.normalize("NFD", letter)
    base, marks = parts[0], parts[1:]
    tone = next((mark for mark in marks if mark in _TONES), "")
    if "\u0302" in marks:
        return base + _VNI_CIRCUMFLEX_TONE[tone][upper]
    if "\u0306" in marks:
        return base + _VNI_BREVE_TONE[tone][upper]
    if "\u031b" in marks:
        return _VNI_HORN_BASE[base] + (_VNI_TONE[tone][upper] if tone else "")
    if base.lower() == "y" and tone == "\u0323":
        return "Î" if upper else "î"
    return base + _VNI_TONE[tone][upper]


@cache
def _vni_tables() -> tuple[dict[str, bytes], dict[bytes, str]]:
    encode = {letter: _vni_sequence(letter).encode("cp1252") for letter in _vietnamese_letters()}
    decode = {code: letter for letter, code in encode.items()}
    return encode, decode


def encode_tcvn3(text: str) -> bytes:
    """Encode Unicode text as TCVN3 bytes (toned capitals fall back to lower case)."""
    encode, _ = _tcvn3_tables()
    out = bytearray()
    for char in unicodedata.normalize("NFC", text):
        if char in encode:
            out.append(encode[char])
        elif ord(char) < 128:
            out.append(ord(char))
        else:
            raise ValueError(f"character {char!r} has no TCVN3 byte")
    return bytes(out)


def decode_tcvn3(data: bytes) -> str:
    """Decode TCVN3 bytes to Unicode; raises on a byte the table does not define."""
    _, decode = _tcvn3_tables()
    chars = []
    for byte in data:
        if byte < 128:
            chars.append(chr(byte))
        elif byte in decode:
            chars.append(decode[byte])
        else:
            raise ValueError(f"byte 0x{byte:02x} is not a TCVN3 letter")
    return "".join(chars)


def encode_vni(text: str) -> bytes:
    """Encode Unicode text as VNI-Windows bytes."""
    encode, _ = _vni_tables()
    out = bytearray()
    for char in unicodedata.normalize("NFC", text):
        if char in encode:
            out += encode[char]
        elif ord(char) < 128:
            out.append(ord(char))
        else:
            raise ValueError(f"character {char!r} has no VNI form")
    return bytes(out)


def decode_vni(data: bytes) -> str:
    """Decode VNI-Windows bytes to Unicode, longest sequence first."""
    _, decode = _vni_tables()
    chars, index = [], 0
    while index < len(data):
        for width in (3, 2, 1):
            piece = bytes(data[index : index + width])
            if len(piece) == width and piece in decode:
                chars.append(decode[piece])
                index += width
                break
        else:
            if data[index] >= 128:
                raise ValueError(f"byte 0x{data[index]:02x} at {index} is not VNI")
            chars.append(chr(data[index]))
            index += 1
    return "".join(chars)


def encode_cp1258(text: str) -> bytes:
    """Encode Unicode text as Windows-1258: base letters precomposed (â, ơ, đ…), tones as
    combining marks after them, which is how that code page writes Vietnamese."""
    out = []
    for char in unicodedata.normalize("NFC", text):
        parts = unicodedata.normalize("NFD", char)
        tones = "".join(mark for mark in parts if mark in _TONES)
        base = unicodedata.normalize("NFC", "".join(m for m in parts if m not in _TONES))
        out.append(base + tones)
    return "".join(out).encode("cp1258")


def tcvn3_round_trip(text: str) -> str:
    """What ``text`` reads as after a trip through TCVN3 (toned capitals become lower case)."""
    return decode_tcvn3(encode_tcvn3(text))


ENCODERS = {"TCVN3": encode_tcvn3, "VNI": encode_vni}
DECODERS = {"TCVN3": decode_tcvn3, "VNI": decode_vni}


_CANDIDATES = ("UTF-8", "TCVN3", "VNI", "CP1258")


def decoder(name: str) -> Callable[[bytes], str]:
    """A function turning bytes in encoding ``name`` into text (bytes it cannot read → U+FFFD)."""
    if name in DECODERS:
        strict = DECODERS[name]

        def lenient(data: bytes) -> str:
            try:
                return strict(data)
            except ValueError:
                return data.decode("cp1252", errors="replace")

        return lenient
    codec = {"UTF-8": "utf-8", "CP1258": "cp1258"}.get(name, name)
    # Windows-1258 writes tones as combining marks: composed, they compare as letters do
    return lambda data: _nfc(data.decode(codec, errors="replace"))


def detect(samples: list[bytes]) -> str:
    """The encoding of text samples: UTF-8, TCVN3, VNI or Windows-1258 (CP1258).

    ASCII-only samples and valid UTF-8 are UTF-8. Otherwise each legacy encoding is tried and
    the one that decodes every sample into the most Vietnamese letters wins.
    """
    data = [sample for sample in samples if any(byte >= 128 for byte in sample)]
    if not data:
        return "UTF-8"
    try:
        for sample in data:
            sample.decode("utf-8")
        return "UTF-8"
    except UnicodeDecodeError:
        pass
    scores = {name: _score(name, data) for name in _CANDIDATES[1:]}
    return max(scores, key=lambda name: scores[name])


def _score(name: str, samples: list[bytes]) -> float:
    letters = set("".join(_vietnamese_letters()))
    decode = DECODERS.get(name)
    total = 0.0
    for sample in samples:
        try:
            text = decode(sample) if decode else _nfc(sample.decode("cp1258"))
        except (ValueError, UnicodeDecodeError):
            return -math.inf  # below any score, however much punctuation a sample has
        total += sum(char in letters for char in text) - sum(
            not char.isalnum() and not char.isspace() and char not in ",.-/()" for char in text
        )
    return total


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


# Text files: what a file that is not one encoding throughout is read as, line by line.
_UTF8_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = {b"\xff\xfe": "UTF-16-LE", b"\xfe\xff": "UTF-16-BE"}
# Characters outside the scripts a Vietnamese register is written in (Latin with its marks,
# punctuation): bytes read in the wrong encoding land there (UTF-8 read as UTF-16 is CJK).
_ODD = re.compile("[^\t\n\r\x20-\x7e\xa0-\u024f\u0300-\u036f\u1e00-\u1eff\u2000-\u20cf]")


@dataclass(frozen=True, slots=True)
class BadLine:
    """A line of a text file that cannot be read with the rest, to be quarantined.

    ``number`` counts from 1; ``raw`` holds what the line says, safe to store (a NUL byte
    is written ``\\x00``: PostgreSQL keeps no NUL in text).
    """

    number: int
    reason: str
    value: str
    raw: dict[str, str]


@dataclass(frozen=True, slots=True)
class DecodedText:
    """A text file as Unicode, the encoding it is in, and the lines left out of ``text``
    (each left there as an empty line, so that lines keep their numbers)."""

    text: str
    encoding: str
    bad: list[BadLine] = field(default_factory=list)


def decode_text(data: bytes) -> DecodedText:
    """A text file (a CSV) as Unicode, each line read alone where the file is not in one
    encoding throughout.

    A file in UTF-8 (with or without a byte-order mark), in UTF-16, or in one legacy
    encoding (:func:`detect`) is read whole. Otherwise the encoding most lines are in is the
    file's; a line with a NUL byte, a line in UTF-16 (pasted from another program) and a
    line in another encoding than the file's are set aside in ``bad``, and the rest is read.
    """
    if data.startswith(_UTF8_BOM):
        data = data[len(_UTF8_BOM) :]
    if b"\x00" in data:
        utf16 = _as_utf16(data)
        if utf16 is not None:
            return DecodedText(utf16[1], "UTF-16")
        return _by_line(data.split(b"\n"))
    try:
        return DecodedText(data.decode("utf-8"), "UTF-8")
    except UnicodeDecodeError:
        return _by_line(data.split(b"\n"))


def _as_utf16(data: bytes) -> tuple[str, str] | None:
    """``data`` read as UTF-16 (with a byte-order mark, else whichever byte order reads as
    text): the byte order and the text; None when it is not UTF-16 text."""
    body, orders = data, ["UTF-16-LE", "UTF-16-BE"]
    if data[:2] in _UTF16_BOMS:  # the order it says, and no other
        body, orders = data[2:], [_UTF16_BOMS[data[:2]]]
    if len(body) % 2:  # half of a line end split off with the line
        body = body[:-1] if body.endswith(b"\x00") else body[1:]
    for order in orders:
        try:
            text = body.decode(order).rstrip("\r")
        except UnicodeDecodeError:
            continue
        if "\x00" not in text and _plain(text):
            return order, text
    return None


def _plain(text: str) -> bool:
    """True when at most 1 % of ``text`` lies outside the scripts a register is written in
    (counted only as far as needed: a long file read wrongly stops the count early)."""
    allowed = len(text) // 100
    return sum(1 for _ in islice(_ODD.finditer(text), allowed + 1)) <= allowed


def _by_line(lines: list[bytes]) -> DecodedText:
    """Each line read alone: see :func:`decode_text`."""
    texts = [""] * len(lines)
    nul, utf8, legacy = [], [], []
    for index, line in enumerate(lines):
        if b"\x00" in line:
            nul.append(index)
            utf16 = _as_utf16(line)
            following = index + 1 < len(lines) and lines[index + 1].startswith(b"\x00")
            if utf16 and utf16[0] == "UTF-16-LE" and following:  # the rest of its line end
                lines[index + 1] = lines[index + 1][1:]
        elif line.isascii():
            texts[index] = line.decode("ascii")
        else:
            try:
                texts[index] = line.decode("utf-8")
                utf8.append(index)
            except UnicodeDecodeError:
                legacy.append(index)
    found = detect([lines[i] for i in legacy]) if len(legacy) > len(utf8) else "UTF-8"
    bad = [_nul_line(i + 1, lines[i], found) for i in nul]
    if found == "UTF-8":
        bad += [_legacy_line(i + 1, lines[i]) for i in legacy]
    else:
        decode = decoder(found)
        for index in legacy:
            texts[index] = decode(lines[index])
        reason = (
            f"dòng mã UTF-8, khác {found} của cả tệp / "
            f"row in UTF-8, not {found} like the rest of the file"
        )
        for index in utf8:
            bad.append(BadLine(index + 1, reason, "UTF-8", {"line": texts[index]}))
            texts[index] = ""
    return DecodedText("\n".join(texts), found, sorted(bad, key=lambda line: line.number))


def _nul_line(number: int, line: bytes, found: str) -> BadLine:
    """A line with a NUL byte: a line in UTF-16, or a line with a NUL in its text."""
    utf16 = _as_utf16(line)
    if utf16 is not None:
        reason = (
            f"dòng mã UTF-16, khác {found} của cả tệp / "
            f"row in UTF-16, not {found} like the rest of the file"
        )
        return BadLine(number, reason, utf16[0], {"line": utf16[1]})
    text = line.decode("utf-8", "backslashreplace") if found == "UTF-8" else decoder(found)(line)
    shown = text.rstrip("\r").replace("\x00", "\\x00")
    return BadLine(
        number,
        "dòng có byte NUL / NUL byte in the row",
        f"byte {line.index(0) + 1}",
        {"line": shown},
    )


def _legacy_line(number: int, line: bytes) -> BadLine:
    """A line that is not UTF-8 in a UTF-8 file, with what it reads as in the legacy encoding
    it fits best (one line is too little to be sure: it is kept, not converted)."""
    guess = detect([line])
    return BadLine(
        number,
        "dòng không mã UTF-8 như cả tệp / row not in UTF-8 like the rest of the file",
        f"reads as {guess}",
        {
            "line": line.decode("utf-8", "backslashreplace").rstrip("\r"),
            "reads_as": decoder(guess)(line).rstrip("\r"),
        },
    )
