"""The catalogue of reconciliation rules: code, severity, explanation and suggested fix.

Each finding names the rule it broke. Messages are templates filled with the finding's
measured values, in Vietnamese for the staff and in English alongside.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Severity(StrEnum):
    """How bad a finding is: an error blocks using the record, a warning asks for a look."""

    ERROR = "error"
    WARNING = "warning"


class RuleCode(StrEnum):
    """Every rule a check can raise: the one list of codes (the catalogue below gives each its
    texts; a test checks that every code has them)."""

    GEOM_INVALID = "GEOM_INVALID"
    GEOM_OVERLAP = "GEOM_OVERLAP"
    GEOM_OVERLAP_SLIVER = "GEOM_OVERLAP_SLIVER"
    GEOM_GAP = "GEOM_GAP"
    GEOM_DUPLICATE = "GEOM_DUPLICATE"
    GEOM_NEAR_DUPLICATE = "GEOM_NEAR_DUPLICATE"
    GEOM_OUTSIDE_COMMUNE = "GEOM_OUTSIDE_COMMUNE"
    GEOM_WRONG_COMMUNE = "GEOM_WRONG_COMMUNE"
    GEOM_MULTIPART = "GEOM_MULTIPART"
    GEOM_TINY = "GEOM_TINY"
    GEOM_PARTS_OVERLAP = "GEOM_PARTS_OVERLAP"
    ATTR_MISSING_KEY = "ATTR_MISSING_KEY"
    ATTR_DUPLICATE_KEY = "ATTR_DUPLICATE_KEY"
    ATTR_UNKNOWN_LAND_USE = "ATTR_UNKNOWN_LAND_USE"
    ATTR_AREA_MISMATCH = "ATTR_AREA_MISMATCH"
    ATTR_MAP_AREA_MISMATCH = "ATTR_MAP_AREA_MISMATCH"
    ATTR_INVALID_IDENTITY = "ATTR_INVALID_IDENTITY"
    ATTR_NO_HOLDER = "ATTR_NO_HOLDER"
    ATTR_SHARES_NOT_100 = "ATTR_SHARES_NOT_100"
    ATTR_DUPLICATE_SERIAL = "ATTR_DUPLICATE_SERIAL"
    SRC_REGISTER_WITHOUT_MAP = "SRC_REGISTER_WITHOUT_MAP"
    SRC_MAP_WITHOUT_REGISTER = "SRC_MAP_WITHOUT_REGISTER"
    SRC_LAND_USE_MISMATCH = "SRC_LAND_USE_MISMATCH"
    SRC_HOLDER_MISMATCH = "SRC_HOLDER_MISMATCH"
    SRC_AREA_MISMATCH = "SRC_AREA_MISMATCH"
    SRC_OLDER_SOURCE = "SRC_OLDER_SOURCE"
    GEOM_NATIONAL_ID_COLLISION = "GEOM_NATIONAL_ID_COLLISION"
    SRC_NATIONAL_ID_MISMATCH = "SRC_NATIONAL_ID_MISMATCH"


@dataclass(frozen=True, slots=True)
class Rule:
    """A named check.

    Attributes
    ----------
    code : RuleCode
        Stable identifier (``GEOM_OVERLAP``).
    group : str
        ``geometry``, ``attributes`` or ``sources``.
    severity : Severity
        Default severity of its findings.
    title_vi, title_en : str
        Short names.
    message_vi, message_en : str
        Explanations, ``str.format`` templates over the finding's measured values.
    fix : str
        The kind of fix suggested (``make_valid``, ``snap_to_neighbour``, ``merge_duplicates``,
        ``take_register_value``, ``review``).
    notes : tuple of (str, str, str)
        Sentences added to the message when the finding measured a value: (the value's
        name, the Vietnamese template, the English template).
    """

    code: RuleCode
    group: str
    severity: Severity
    title_vi: str
    title_en: str
    message_vi: str
    message_en: str
    fix: str
    notes: tuple[tuple[str, str, str], ...] = ()

    def messages(self, values: Mapping[str, Any]) -> tuple[str, str]:
        """The explanation in Vietnamese and English, filled with ``values`` (a mapping that
        answers every name, as :meth:`str.format_map` needs), with the notes whose value was
        measured.

        Parameters
        ----------
        values : mapping
            The finding's measured values (and ``key``).

        Returns
        -------
        tuple of str
            The Vietnamese message, then the English one.
        """
        vi, en = self.message_vi.format_map(values), self.message_en.format_map(values)
        for name, note_vi, note_en in self.notes:
            if name in values and values[name] not in (None, ""):
                vi += " " + note_vi.format_map(values)
                en += " " + note_en.format_map(values)
        return vi, en


_E, _W = Severity.ERROR, Severity.WARNING

RULES: dict[RuleCode, Rule] = {rule.code: rule for rule in (
    Rule(RuleCode.GEOM_INVALID, "geometry", _E, "Hình thửa không hợp lệ", "Invalid geometry",
         "Hình thửa {key} không hợp lệ: {reason}.",
         "Parcel {key} has an invalid boundary: {reason}.", "make_valid"),
    Rule(RuleCode.GEOM_OVERLAP, "geometry", _E, "Chồng lấn", "Overlap",
         "Thửa {key} chồng lấn thửa {other} {area:.2f} m².",
         "Parcel {key} overlaps parcel {other} by {area:.2f} m².", "snap_to_neighbour"),
    Rule(RuleCode.GEOM_OVERLAP_SLIVER, "geometry", _W, "Chồng lấn mảnh", "Sliver overlap",
         "Thửa {key} chồng lấn thửa {other} một dải nhỏ {area:.3f} m².",
         "Parcel {key} overlaps parcel {other} by a sliver of {area:.3f} m².",
         "snap_to_neighbour"),
    Rule(RuleCode.GEOM_GAP, "geometry", _W, "Hở giữa các thửa", "Gap between parcels",
         "Khoảng hở {area:.2f} m² giữa các thửa {keys} không thuộc đường hay kênh nào.",
         "A gap of {area:.2f} m² between parcels {keys} is not a road or canal.",
         "snap_to_neighbour",
         (("repaired", "Diện tích đo trên ranh giới đã sửa hợp lệ của thửa {repaired}.",
           "The area is measured on the repaired boundary of parcel {repaired}."),)),
    Rule(RuleCode.GEOM_DUPLICATE, "geometry", _E, "Thửa trùng lặp", "Duplicate parcel",
         "Thửa {key} và thửa {other} có hình trùng nhau hoàn toàn.",
         "Parcels {key} and {other} have identical boundaries.", "merge_duplicates"),
    Rule(RuleCode.GEOM_NEAR_DUPLICATE, "geometry", _E, "Thửa gần trùng", "Near-duplicate parcel",
         "Thửa {key} và thửa {other} gần trùng nhau ({ratio:.1%} diện tích chung).",
         "Parcels {key} and {other} nearly coincide ({ratio:.1%} shared area).",
         "merge_duplicates"),
    Rule(RuleCode.GEOM_OUTSIDE_COMMUNE, "geometry", _E, "Thửa nằm ngoài xã",
         "Parcel outside its commune",
         "Thửa {key} nằm ngoài ranh giới {commune}.",
         "Parcel {key} lies outside the boundary of {commune}.", "review"),
    Rule(RuleCode.GEOM_WRONG_COMMUNE, "geometry", _E, "Sai xã", "Parcel in another commune",
         "Thửa {key} ghi thuộc {commune} nhưng nằm trong {found}.",
         "Parcel {key} is recorded in {commune} but lies in {found}.", "review"),
    Rule(RuleCode.GEOM_MULTIPART, "geometry", _W, "Thửa nhiều phần", "Multipart parcel",
         "Thửa {key} gồm {parts} phần rời nhau.", "Parcel {key} has {parts} separate parts.",
         "review"),
    Rule(RuleCode.GEOM_TINY, "geometry", _W, "Thửa quá nhỏ", "Tiny parcel",
         "Thửa {key} chỉ có {area:.2f} m².", "Parcel {key} measures only {area:.2f} m².",
         "review"),
    Rule(RuleCode.GEOM_PARTS_OVERLAP, "geometry", _E, "Các phần của thửa chồng lấn nhau",
         "Parts of a parcel overlap",
         "Các phần của thửa {key} chồng lấn nhau {area:.2f} m² ({pairs} cặp phần).",
         "The parts of parcel {key} overlap each other by {area:.2f} m² (pairs of parts: "
         "{pairs}).", "make_valid"),
    Rule(RuleCode.ATTR_MISSING_KEY, "attributes", _E, "Thiếu số tờ/số thửa", "Missing key fields",
         "Thửa {key} thiếu {missing}.", "Parcel {key} lacks {missing}.", "review"),
    Rule(RuleCode.ATTR_DUPLICATE_KEY, "attributes", _E, "Trùng số hiệu thửa",
         "Duplicate parcel key",
         "Số hiệu thửa {key} được dùng cho {count} thửa khác nhau.",
         "The parcel key {key} is used for {count} different parcels.", "review"),
    Rule(RuleCode.ATTR_UNKNOWN_LAND_USE, "attributes", _W, "Mã loại đất không hợp lệ",
         "Unknown land-use code",
         "Mã loại đất '{code}' của thửa {key} ({where}) không có trong Thông tư 08/2024.",
         "Land-use code '{code}' of parcel {key} ({where}) is not in Circular 08/2024.",
         "review"),
    Rule(RuleCode.ATTR_AREA_MISMATCH, "attributes", _W, "Lệch diện tích", "Area mismatch",
         "Diện tích pháp lý {legal:.1f} m² của thửa {key} lệch {difference:.1f}% so với diện "
         "tích đo {measured:.1f} m².",
         "Legal area {legal:.1f} m² of parcel {key} differs by {difference:.1f}% from the "
         "measured {measured:.1f} m².", "review"),
    Rule(RuleCode.ATTR_MAP_AREA_MISMATCH, "attributes", _W, "Diện tích ghi trên bản đồ sai",
         "Map's written area disagrees",
         "Diện tích ghi trên bản đồ {written:.1f} m² của thửa {key} lệch {difference:+.1f} m² "
         "so với diện tích đo {measured:.1f} m² (cho phép {tolerance:.1f} m²).",
         "The area the map writes for parcel {key}, {written:.1f} m², differs by "
         "{difference:+.1f} m² from the measured {measured:.1f} m² (tolerance "
         "{tolerance:.1f} m²).", "review"),
    Rule(RuleCode.ATTR_INVALID_IDENTITY, "attributes", _W, "Số định danh sai",
         "Invalid identity number",
         "Số định danh của chủ sử dụng thửa {key} không hợp lệ: {reason}.",
         "The holder's identity number on parcel {key} is not valid: {reason}.", "review"),
    Rule(RuleCode.ATTR_NO_HOLDER, "attributes", _E, "Thiếu chủ sử dụng", "Parcel with no holder",
         "Dòng sổ địa chính của thửa {key} không có tên và số định danh chủ sử dụng.",
         "The register entry of parcel {key} has no holder name or identity number.", "review"),
    Rule(RuleCode.ATTR_SHARES_NOT_100, "attributes", _E, "Tỷ lệ sở hữu khác 100%",
         "Shares do not sum to 100%",
         "Tỷ lệ của các chủ sử dụng thửa {key} (GCN {serial}) cộng lại {total:g}%.",
         "The holders' shares on parcel {key} (certificate {serial}) sum to {total:g}%.",
         "review"),
    Rule(RuleCode.ATTR_DUPLICATE_SERIAL, "attributes", _E, "Trùng số phát hành GCN",
         "Duplicate certificate serial",
         "Số phát hành GCN {serial} được ghi cho {count} thửa: {keys}.",
         "Certificate serial {serial} is recorded for {count} parcels: {keys}.", "review"),
    Rule(RuleCode.SRC_REGISTER_WITHOUT_MAP, "sources", _W, "Có trong sổ, không có trên bản đồ",
         "Register entry with no map parcel",
         "Thửa {key} có trong sổ địa chính nhưng không có trên bản đồ địa chính.",
         "Parcel {key} is in the land register but not on the cadastral map.", "review"),
    Rule(RuleCode.SRC_MAP_WITHOUT_REGISTER, "sources", _W, "Có trên bản đồ, không có trong sổ",
         "Map parcel with no register entry",
         "Thửa {key} có trên bản đồ địa chính nhưng không có trong sổ địa chính.",
         "Parcel {key} is on the cadastral map but not in the land register.", "review"),
    Rule(RuleCode.SRC_LAND_USE_MISMATCH, "sources", _W, "Loại đất không khớp", "Land use disagrees",
         "Loại đất của thửa {key}: bản đồ ghi {map_code}, sổ địa chính ghi {register_code}.",
         "Land use of parcel {key}: the map says {map_code}, the register {register_code}.",
         "take_register_value"),
    Rule(RuleCode.SRC_HOLDER_MISMATCH, "sources", _E, "Chủ sử dụng không khớp giữa các nguồn",
         "Holders disagree between sources",
         "Các nguồn ghi chủ sử dụng thửa {key} khác nhau: {holders}.",
         "The sources name different holders for parcel {key}: {holders}.", "review"),
    Rule(RuleCode.SRC_AREA_MISMATCH, "sources", _W, "Diện tích pháp lý không khớp giữa các nguồn",
         "Legal area disagrees between sources",
         "Các nguồn ghi diện tích pháp lý thửa {key} khác nhau: {areas}.",
         "The sources give different legal areas for parcel {key}: {areas}.", "review"),
    Rule(RuleCode.SRC_OLDER_SOURCE, "sources", _W, "Nguồn cũ hơn dữ liệu nó thay thế",
         "Source older than what it replaced",
         "Bản giao {key} ({as_of}) cũ hơn bản {newer} ({newer_as_of}) mà nó đã thay thế.",
         "Delivery {key} ({as_of}) is older than {newer} ({newer_as_of}), which it replaced.",
         "review"),
    Rule(RuleCode.GEOM_NATIONAL_ID_COLLISION, "geometry", _E, "Trùng mã định danh thửa đất",
         "National parcel identifier collision",
         "Thửa {key} tính ra mã định danh {national_id} đã cấp cho thửa {other}; thửa {key} "
         "chưa được cấp mã cho đến khi xử lý xong.",
         "Parcel {key} computes the national identifier {national_id}, already given to "
         "parcel {other}; parcel {key} gets none until this is resolved.", "review"),
    Rule(RuleCode.SRC_NATIONAL_ID_MISMATCH, "sources", _W, "Mã định danh thửa đất không khớp",
         "National parcel identifier disagrees",
         "Nguồn {source} ghi mã định danh thửa {key} là {delivered}, landreg tính ra {computed}.",
         "Source {source} gives parcel {key} the national identifier {delivered}; landreg "
         "computes {computed}.", "review"),
)}  # fmt: skip


def rule(code: str) -> Rule:
    """The rule with this code (a :class:`RuleCode`, or the text a stored finding keeps)."""
    return RULES[RuleCode(code)]
