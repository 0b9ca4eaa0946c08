"""Mapping profiles: how one kind of source names its fields, and what its values mean.

A profile is a TOML file (see ``ingest/profiles/`` for the ones shipped for the province's
sources). A user whose files name their fields differently writes a profile, not code::

    name = "map_my_district"
    kind = "map"                       # map | strips | register | dossiers | dossier_events
    detect = ["MA_XA", "TO_BD", "THUA"]  # chosen automatically when a file has these fields
    source_key = ["OBJECTID"]          # what identifies a record across deliveries

    [fields]                           # canonical field = the file's field
    commune_code = "MA_XA"
    map_sheet = "TO_BD"
    parcel_number = "THUA"

    [values.land_use_text]             # optional: values the file uses → canonical values
    "thổ cư" = "ODT"

A map layer's ``source_key`` may be left out (or ``[]``): each feature is then known by its
feature id (a GeoPackage's fid, a Shapefile's record number); ``fid``, ``FID`` and
``OGC_FID`` in ``source_key`` name the feature id too. A map profile may map no field at
all: the commune then comes from ``--commune``, and parcels without a sheet or number get a
provisional reference (and the finding ATTR_MISSING_KEY).
"""

from __future__ import annotations

import tomllib
from collections.abc import Collection, Iterable
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from landreg.errors import ValidationError as LandRegValidationError

# Canonical fields each kind of source can fill; readers and the register use these names.
CANONICAL_FIELDS: dict[str, frozenset[str]] = {
    "map": frozenset({
        "commune_code", "map_sheet", "parcel_number", "map_area", "land_use_text",
        "old_map_sheet", "old_parcel_number", "parent_ref", "address", "national_id",
    }),
    "register": frozenset({
        "commune_code", "map_sheet", "parcel_number", "old_map_sheet", "old_parcel_number",
        "legal_area", "land_use_text", "term_text", "holder_name", "holder_kind",
        "identity_number", "birth_year", "tax_code", "address", "share_percent",
        "certificate_serial", "book_entry", "issued_on", "mortgage_holder", "mortgage_on",
        "seizure_text", "parent_ref", "previous_identity_number",
    }),
    "dossiers": frozenset({
        "code", "procedure", "procedure_name", "status", "office", "applicant_name",
        "applicant_identity", "applicant_previous_identity", "applicant_phone",
        "declared_commune", "declared_map_sheet",
        "declared_parcel_number", "declared_serial", "declared_area", "declared_land_use",
        "requested_land_use", "received_at", "due_on", "processed_on", "returned_on",
        "documents", "events",
    }),
    "dossier_events": frozenset({"code", "at", "status", "step", "note", "actor"}),
    "strips": frozenset({"commune_code", "kind", "width", "land_use_text"}),
}  # fmt: skip
# A map layer needs none: the commune can be told (--commune), and a parcel without sheet or
# number is kept with a provisional reference and flagged.
REQUIRED_FIELDS: dict[str, set[str]] = {
    "map": set(),
    "register": {"commune_code", "map_sheet", "parcel_number"},
    "dossiers": {"code", "procedure", "status", "received_at"},
    "dossier_events": {"code", "at", "status"},
    "strips": {"commune_code"},
}
# Kinds read from a layer with geometry, and from a table (a file of rows, or a GeoPackage
# table without geometry).
LAYER_KINDS = frozenset({"map", "strips"})
TABLE_KINDS = frozenset({"register", "dossiers"})
# Names that mean the feature id in ``source_key`` (GDAL's names for it).
FEATURE_ID_NAMES = frozenset({"fid", "FID", "OGC_FID"})
# The shipped profile chosen for a layer with no attribute columns at all.
NO_ATTRIBUTES = "map_no_attributes"
_KINDS_TEXT = {
    "map": ("bản đồ địa chính", "map layer"),
    "strips": ("giao thông thuỷ lợi", "roads-and-canals layer"),
    "register": ("sổ địa chính", "register"),
    "dossiers": ("hồ sơ thủ tục", "dossier export"),
    "dossier_events": ("lịch sử hồ sơ", "dossier history"),
}


class MappingProfile(BaseModel):
    """One source kind's field names and value maps."""

    model_config = ConfigDict(extra="forbid")

    name: str
    kind: Literal["map", "register", "dossiers", "dossier_events", "strips"]
    description: str = ""
    detect: list[str] = Field(default_factory=list)
    source_key: list[str] = Field(default_factory=list)
    fields: dict[str, str] = Field(default_factory=dict)
    values: dict[str, dict[str, str]] = Field(default_factory=dict)
    date_formats: list[str] = Field(default_factory=lambda: ["%d/%m/%Y", "%Y-%m-%d"])
    datetime_formats: list[str] = Field(
        default_factory=lambda: ["%d/%m/%Y %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"]
    )
    list_separator: str = "|"
    row_field: str | None = None
    events_file: str | None = None
    event_fields: dict[str, str] = Field(default_factory=dict)
    event_values: dict[str, dict[str, str]] = Field(default_factory=dict)

    def source_fields(self) -> set[str]:
        """Every field of the file this profile reads (the feature id is not a field)."""
        return set(self.fields.values()) | (set(self.source_key) - FEATURE_ID_NAMES)


def load_profile(text_or_path: str | Path) -> MappingProfile:
    """A shipped profile by name, or a profile file by path."""
    path = Path(text_or_path)
    if path.suffix != ".toml":
        shipped = shipped_profiles()
        if str(text_or_path) not in shipped:
            raise LandRegValidationError(
                f"không có hồ sơ ánh xạ tên {str(text_or_path)!r} / no profile named "
                f"{str(text_or_path)!r}; shipped: {sorted(shipped)}",
                field="profile",
                value=str(text_or_path),
            )
        return shipped[str(text_or_path)]
    try:
        return _parse(path.read_text(encoding="utf-8"), path.name)
    except OSError as error:
        raise LandRegValidationError(
            f"không đọc được hồ sơ ánh xạ {path.name} / cannot read profile {path.name}: "
            f"{error.strerror}",
            field="profile",
            value=path.name,
        ) from None
    except UnicodeDecodeError:
        raise LandRegValidationError(
            f"hồ sơ ánh xạ {path.name} không phải văn bản UTF-8 / profile {path.name} is not "
            "UTF-8 text",
            field="profile",
            value=path.name,
        ) from None


def _parse(text: str, where: str) -> MappingProfile:
    try:
        profile = MappingProfile.model_validate(tomllib.loads(text))
    except tomllib.TOMLDecodeError as error:
        raise LandRegValidationError(
            f"hồ sơ ánh xạ {where} không phải TOML hợp lệ / profile {where} is not valid "
            f"TOML: {error}",
            field="profile",
            value=where,
        ) from None
    except ValidationError as error:
        raise _one_line(error, where) from None
    _check_fields(profile, where)
    return profile


# What pydantic found, said in both languages, by its error type.
_SAID = {
    "missing": ("bị thiếu", "is missing"),
    "literal_error": ("phải là một trong {expected}", "must be one of {expected}"),
    "list_type": ("phải là một danh sách", "must be a list"),
    "string_type": ("phải là chữ", "must be text"),
    "dict_type": ("phải là một bảng", "must be a table"),
    "extra_forbidden": ("không phải khoá của hồ sơ ánh xạ", "is not a key of a profile"),
}


def _one_line(error: ValidationError, where: str) -> LandRegValidationError:
    """Pydantic's first complaint as one line naming the key and its value, Vietnamese first."""
    problems = error.errors(include_url=False)
    first = problems[0]
    key = ".".join(str(part) for part in first["loc"]) or "profile"
    context = {name: str(value) for name, value in (first.get("ctx") or {}).items()}
    vi, en = _SAID.get(first["type"], ("không hợp lệ", first["msg"]))
    vi, en = vi.format_map(_Missing(context)), en.format_map(_Missing(context))
    shown = "" if first["type"] == "missing" else f" = {_short(first.get('input'))}"
    more = len(problems) - 1
    vi_more, en_more = (f" (và {more} lỗi khác)", f" (and {more} more)") if more else ("", "")
    return LandRegValidationError(
        f"hồ sơ ánh xạ {where}: {key}{shown} {vi}{vi_more} / "
        f"profile {where}: {key}{shown} {en}{en_more}",
        field=key,
        value=None if first["type"] == "missing" else _plain(first.get("input")),
    )


class _Missing(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return key


def _plain(value: Any) -> Any:
    """A value as it was written when it is a plain one, else shortened."""
    return value if isinstance(value, str | int | float | bool) else _short(value)


def _short(value: Any) -> str:
    text = repr(value).replace("\n", " ")
    return text if len(text) <= 60 else text[:57] + "…"


def _check_fields(profile: MappingProfile, where: str) -> None:
    """Refuse canonical fields the kind does not know, and required ones left unmapped."""
    allowed = CANONICAL_FIELDS[profile.kind]
    unknown = sorted(set(profile.fields) - allowed)
    if unknown:
        named = f"fields.{unknown[0]} = {profile.fields[unknown[0]]!r}"
        raise LandRegValidationError(
            f"hồ sơ ánh xạ {where}: {named} không phải trường chuẩn của nguồn {profile.kind} / "
            f"profile {where}: {named} is not a canonical {profile.kind} field; "
            f"use one of {sorted(allowed)}",
            field=f"fields.{unknown[0]}",
            value=profile.fields[unknown[0]],
        )
    missing = sorted(REQUIRED_FIELDS[profile.kind] - set(profile.fields))
    if missing:
        raise LandRegValidationError(
            f"hồ sơ ánh xạ {where}: thiếu fields.{missing[0]}, nguồn {profile.kind} cần có / "
            f"profile {where}: fields.{missing[0]} is missing; a {profile.kind} profile must "
            f"map {missing}",
            field=f"fields.{missing[0]}",
            value=None,
        )


@cache
def shipped_profiles() -> dict[str, MappingProfile]:
    """The profiles shipped for the province's sources, by name."""
    folder = resources.files("ingest").joinpath("profiles")
    profiles = {}
    for entry in sorted(folder.iterdir(), key=lambda item: item.name):
        if entry.name.endswith(".toml"):
            profile = _parse(entry.read_text(encoding="utf-8"), entry.name)
            profiles[profile.name] = profile
    return profiles


def detect_profile(kinds: str | Collection[str] | None, columns: Iterable[str]) -> MappingProfile:
    """The shipped profile whose ``detect`` fields the file has (the most specific one) among
    the profiles of ``kinds`` (any kind when None)."""
    present = set(columns)
    wanted = {kinds} if isinstance(kinds, str) else kinds
    matches = [
        profile
        for profile in shipped_profiles().values()
        if (wanted is None or profile.kind in wanted)
        and profile.detect
        and set(profile.detect) <= present
    ]
    if not matches:
        fields = sorted(present)[:12]
        raise LandRegValidationError(
            f"không hồ sơ ánh xạ nào nhận ra các trường {fields}: hãy dùng --profile với một "
            f"tệp hồ sơ / no profile recognises fields {fields}: pass --profile with a "
            "profile file (see `landreg ingest --help`)",
            field="profile",
            value=None,
        )
    return max(matches, key=lambda profile: len(profile.detect))


def check_kind(profile: MappingProfile, kinds: Collection[str], what: tuple[str, str]) -> None:
    """Refuse a profile told for a source of another kind (``what`` names the source, in
    Vietnamese and in English)."""
    if profile.kind in kinds:
        return
    vi, en = _KINDS_TEXT[profile.kind]
    raise LandRegValidationError(
        f"hồ sơ ánh xạ {profile.name!r} dành cho {vi}, không dùng được cho {what[0]} / "
        f"profile {profile.name!r} is for a {en} (kind {profile.kind}), not for {what[1]}; "
        f"it needs kind {' or '.join(sorted(kinds))}",
        field="kind",
        value=profile.kind,
    )


def check_fits(profile: MappingProfile, columns: Iterable[str], *, strict: bool) -> None:
    """Refuse a file that lacks a field the profile reads: any field it names when ``strict``
    (a profile the user told), else the fields it requires and its key."""
    present = {str(column) for column in columns}
    required = REQUIRED_FIELDS[profile.kind]
    needed = [
        (canonical, source)
        for canonical, source in profile.fields.items()
        if source not in present and (strict or canonical in required)
    ] + [
        ("source_key", name)
        for name in profile.source_key
        if name not in present and name not in FEATURE_ID_NAMES
    ]
    if not needed:
        return
    canonical, source = needed[0]
    shown = sorted(present)[:20]
    raise LandRegValidationError(
        f"tệp không có trường {source!r} mà hồ sơ ánh xạ {profile.name!r} đọc cho {canonical} / "
        f"the file has no field {source!r} that profile {profile.name!r} reads as {canonical}; "
        f"it has {shown}",
        field=canonical,
        value=source,
    )
