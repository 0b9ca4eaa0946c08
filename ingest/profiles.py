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
"""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, ValidationError, model_validator

from landreg.errors import ValidationError as LandRegValidationError

# Canonical fields each kind of source can fill; readers and the register use these names.
CANONICAL_FIELDS: dict[str, frozenset[str]] = {
    "map": frozenset({
        "commune_code", "map_sheet", "parcel_number", "map_area", "land_use_text",
        "old_map_sheet", "old_parcel_number", "parent_ref", "address",
    }),
    "register": frozenset({
        "commune_code", "map_sheet", "parcel_number", "old_map_sheet", "old_parcel_number",
        "legal_area", "land_use_text", "term_text", "holder_name", "holder_kind",
        "identity_number", "birth_year", "tax_code", "address", "share_percent",
        "certificate_serial", "book_entry", "issued_on", "mortgage_holder", "mortgage_on",
        "seizure_text", "parent_ref",
    }),
    "dossiers": frozenset({
        "code", "procedure", "procedure_name", "status", "office", "applicant_name",
        "applicant_identity", "applicant_phone", "declared_commune", "declared_map_sheet",
        "declared_parcel_number", "declared_serial", "declared_area", "declared_land_use",
        "requested_land_use", "received_at", "due_on", "processed_on", "returned_on",
        "documents", "events",
    }),
    "dossier_events": frozenset({"code", "at", "status", "step", "note", "actor"}),
    "strips": frozenset({"commune_code", "kind", "width", "land_use_text"}),
}  # fmt: skip
REQUIRED_FIELDS = {
    "map": {"commune_code", "map_sheet", "parcel_number"},
    "register": {"commune_code", "map_sheet", "parcel_number"},
    "dossiers": {"code", "procedure", "status", "received_at"},
    "dossier_events": {"code", "at", "status"},
    "strips": {"commune_code"},
}


class MappingProfile(BaseModel):
    """One source kind's field names and value maps."""

    name: str
    kind: Literal["map", "register", "dossiers", "dossier_events", "strips"]
    description: str = ""
    detect: list[str] = Field(default_factory=list)
    source_key: list[str] = Field(min_length=1)
    fields: dict[str, str]
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

    @model_validator(mode="after")
    def _known_fields(self) -> MappingProfile:
        allowed = CANONICAL_FIELDS[self.kind]
        unknown = sorted(set(self.fields) - allowed)
        if unknown:
            raise ValueError(
                f"fields {unknown} are not canonical {self.kind} fields; "
                f"use some of {sorted(allowed)}"
            )
        missing = sorted(REQUIRED_FIELDS[self.kind] - set(self.fields))
        if missing:
            raise ValueError(f"a {self.kind} profile must map {missing}")
        return self

    def source_fields(self) -> set[str]:
        """Every field of the file this profile reads."""
        return set(self.fields.values()) | set(self.source_key)


def load_profile(text_or_path: str | Path) -> MappingProfile:
    """A shipped profile by name, or a profile file by path."""
    path = Path(text_or_path)
    if path.suffix != ".toml":
        shipped = shipped_profiles()
        if str(text_or_path) not in shipped:
            raise LandRegValidationError(
                f"no profile named {text_or_path!r}; shipped: {sorted(shipped)}",
                field="profile",
                value=str(text_or_path),
            )
        return shipped[str(text_or_path)]
    try:
        return _parse(path.read_text(encoding="utf-8"), str(path))
    except OSError as error:
        raise LandRegValidationError(
            f"cannot read profile {path}: {error.strerror}", field="profile", value=str(path)
        ) from None


def _parse(text: str, where: str) -> MappingProfile:
    try:
        return MappingProfile.model_validate(tomllib.loads(text))
    except (tomllib.TOMLDecodeError, ValidationError) as error:
        raise LandRegValidationError(
            f"profile {where} is not valid: {error}", field="profile", value=where
        ) from None


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


def detect_profile(kind: str | None, columns: list[str]) -> MappingProfile:
    """The shipped profile whose ``detect`` fields the file has (the most specific one)."""
    present = set(columns)
    matches = [
        profile
        for profile in shipped_profiles().values()
        if (kind is None or profile.kind == kind)
        and profile.detect
        and set(profile.detect) <= present
    ]
    if not matches:
        raise LandRegValidationError(
            f"no profile recognises fields {sorted(present)[:12]}: pass --profile with a "
            "profile file (see `landreg ingest --help`)",
            field="profile",
            value=None,
        )
    return max(matches, key=lambda profile: len(profile.detect))
