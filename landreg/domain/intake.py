"""The intake pre-check of a dossier: everything wrong with it, said once, at the counter.

Each item has a code, a severity — ``blocks`` (the dossier cannot be processed as it is) or
``warns`` (the officer must look, the citizen need not come back) — and a message in
Vietnamese and English. Problems of the register's own data (an overlap on the map, an area
disagreement between map and register) warn: they are the office's to fix, not a reason to
send the citizen away.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from landreg.domain.dossier_deadline import LOCAL_TIME
from landreg.domain.messages import document_names
from landreg.domain.procedures import known_procedure
from landreg.domain.rules import rule
from landreg.errors import ValidationError


class ItemSeverity(StrEnum):
    """Whether an item stops the dossier."""

    BLOCKS = "blocks"
    WARNS = "warns"


@dataclass(frozen=True, slots=True)
class ItemKind:
    """One kind of pre-check item: code, severity and the message templates."""

    code: str
    severity: ItemSeverity
    message_vi: str
    message_en: str


_B, _W = ItemSeverity.BLOCKS, ItemSeverity.WARNS

ITEM_KINDS: dict[str, ItemKind] = {kind.code: kind for kind in (
    ItemKind("DOCUMENTS_MISSING", _B,
             "Thiếu giấy tờ bắt buộc: {documents}.",
             "Required documents missing: {documents}."),
    ItemKind("PARCEL_NOT_FOUND", _B,
             "Không tìm thấy thửa đất {reference} trong hồ sơ địa chính; "
             "người nộp đang sử dụng: {candidates}.",
             "No parcel {reference} in the register; the applicant holds: {candidates}."),
    ItemKind("PARCEL_AMBIGUOUS", _B,
             "Thông tin thửa đất {reference} không rõ; có thể là: {candidates}.",
             "The parcel reference {reference} is unclear; it may be: {candidates}."),
    ItemKind("APPLICANT_NOT_HOLDER", _B,
             "Người nộp hồ sơ không phải người sử dụng đất của thửa {parcel} ({holders}).",
             "The applicant is not a holder of record of parcel {parcel} ({holders})."),
    ItemKind("PARCEL_MORTGAGED", _B,
             "Thửa {parcel} đang thế chấp tại {holder} từ {since}; "
             "thủ tục này cần xóa thế chấp trước.",
             "Parcel {parcel} is mortgaged to {holder} since {since}; this procedure needs the "
             "mortgage released first."),
    ItemKind("PARCEL_SEIZED", _B,
             "Thửa {parcel} đang bị kê biên: {holder}.",
             "Parcel {parcel} is under seizure: {holder}."),
    ItemKind("OTHER_OPEN_DOSSIER", _W,
             "Thửa {parcel} đang có hồ sơ khác chưa giải quyết xong: {dossiers}.",
             "Parcel {parcel} has another dossier still being processed: {dossiers}."),
    ItemKind("REGISTER_FINDINGS", _W,
             "Dữ liệu địa chính của thửa {parcel} có vấn đề cơ quan cần xử lý: {findings}.",
             "The register's data on parcel {parcel} has problems the office must resolve: "
             "{findings}."),
    ItemKind("AREA_DIFFERS", _W,
             "Diện tích kê khai {declared} m² khác diện tích trong sổ {registered} m².",
             "Declared area {declared} m² differs from the register's {registered} m²."),
    ItemKind("LAND_USE_DIFFERS", _W,
             "Loại đất kê khai {declared} khác loại đất trong sổ {registered}.",
             "Declared land use {declared} differs from the register's {registered}."),
    ItemKind("PLANNING_CONFLICT", _B,
             "Mục đích xin chuyển {requested} không phù hợp quy hoạch ({planned}) "
             "tại thửa {parcel}.",
             "Requested land use {requested} is not what the plan allows ({planned}) at parcel "
             "{parcel}."),
)}  # fmt: skip


@dataclass(frozen=True, slots=True)
class CheckItem:
    """One thing wrong with a dossier, with the values that show it."""

    code: str
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def severity(self) -> ItemSeverity:
        """Whether it blocks the dossier."""
        return ITEM_KINDS[self.code].severity

    def messages(self) -> tuple[str, str]:
        """The message in Vietnamese and English, each naming documents and register
        findings in its own language (never a code like ``notarised_contract``)."""
        kind = ITEM_KINDS[self.code]
        vi = {k: _text(_said(k, v, "vi")) for k, v in self.details.items()}
        en = {k: _text(_said(k, v, "en")) for k, v in self.details.items()}
        return kind.message_vi.format_map(vi), kind.message_en.format_map(en)


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _said(name: str, value: Any, language: str) -> Any:
    """A detail as the ``language`` sentence says it: documents by their catalogue names,
    findings by their rules' titles; other values as they are."""
    side = 0 if language == "vi" else 1
    if name == "documents" and isinstance(value, list | tuple):
        return document_names(str(v) for v in value)[side]
    if name == "findings" and isinstance(value, list | tuple):
        return [_rule_title(str(v))[side] for v in value]
    if isinstance(value, date) and not isinstance(value, datetime):
        # the Vietnamese way (05/12/2026); the English sentence keeps ISO 8601
        return f"{value:%d/%m/%Y}" if language == "vi" else value.isoformat()
    if isinstance(value, str) and language == "vi" and _ISO_DATE.fullmatch(value):
        return f"{value[8:10]}/{value[5:7]}/{value[:4]}"
    return value


def _rule_title(code: str) -> tuple[str, str]:
    try:
        found = rule(code)
    except (KeyError, ValueError):
        return code, code
    return found.title_vi, found.title_en


def _text(value: Any) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value) or "—"
    if isinstance(value, float):
        return f"{value:,.1f}"
    return "—" if value is None else str(value)


@dataclass(frozen=True, slots=True)
class Application:
    """A dossier as received at the counter (or as it was received, to check it again).

    Times are the province's local time (UTC+7); a time given with an offset is converted.
    The procedure may be given by its code or its Vietnamese name (any case, with or
    without diacritics): a name of a known procedure becomes its code; any other text is
    kept, for the pre-check to refuse naming the field.
    """

    procedure: str
    received_at: datetime
    applicant_name: str | None = None
    applicant_identity: str | None = None
    commune: str | None = None
    map_sheet: str | None = None
    parcel_number: str | None = None
    serial: str | None = None
    declared_area: float | None = None
    declared_land_use: str | None = None
    requested_land_use: str | None = None
    documents: tuple[str, ...] = ()
    # the applicant's earlier number (the old CMND next to the CCCD), "Số CMND cũ"
    applicant_previous_identity: str | None = None

    def __post_init__(self) -> None:
        code = known_procedure(self.procedure)
        if code is not None:
            object.__setattr__(self, "procedure", code)
        if self.received_at.tzinfo is not None:
            local = self.received_at.astimezone(LOCAL_TIME).replace(tzinfo=None)
            object.__setattr__(self, "received_at", local)


def application_from(data: dict[str, Any]) -> Application:
    """An application from plain values (a JSON document): ``received_at`` in ISO form,
    ``documents`` a list; fields it does not know are refused, naming them."""
    known = set(Application.__dataclass_fields__) | {"applicant_phone", "office", "code"}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ValidationError(
            f"unknown fields: {', '.join(unknown)}",
            field=unknown[0],
            detail_vi=f"trường không được phép: {', '.join(unknown)}",
        )
    values = {k: v for k, v in data.items() if k in Application.__dataclass_fields__}
    try:
        values["received_at"] = datetime.fromisoformat(str(data["received_at"]))
    except (KeyError, ValueError):
        raise ValidationError(
            "received_at must be a date and time like 2024-01-04T09:30:00",
            field="received_at",
            value=str(data.get("received_at")),
            detail_vi="thời điểm tiếp nhận phải là ngày giờ dạng 2024-01-04T09:30:00",
        ) from None
    values["documents"] = tuple(data.get("documents") or ())
    return Application(**values)


@dataclass(frozen=True, slots=True)
class IntakeCheck:
    """The whole answer: every item, the parcel if found, the candidates, the due date."""

    items: tuple[CheckItem, ...]
    parcel_id: int | None
    parcel_key: str | None
    candidates: tuple[dict[str, Any], ...]
    due_on: date | None
    match: dict[str, Any] | None = None

    @property
    def blocked(self) -> bool:
        """True when the dossier cannot be processed as it is."""
        return any(item.severity is ItemSeverity.BLOCKS for item in self.items)
