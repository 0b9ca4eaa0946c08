"""The officer's dossier list: search by code, applicant, parcel key or certificate serial;
filter by status, procedure, office and overdue / at risk; paged, newest first.

The database does the searching and counting (the applicant's name compared folded, without
case or diacritics, as :func:`landreg.services.source_checks.folded_names` does). Overdue and
at risk are not stored: they are read from each dossier's clock exactly as ``landreg dossiers
stats`` reads it (its history, the procedure's deadline, the remote communes, the holiday
calendar, ``at_risk_days`` of :class:`StatsOptions`). Only open dossiers can be either, so
with that filter the clock is read for the open dossiers the other filters leave, never the
whole table; without it, for the page shown.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

import pandas as pd

from landreg.domain.dossier import Dossier, DossierFilter
from landreg.domain.dossier_clock import DossierEvent, Timeliness, dossier_clock, timeliness
from landreg.domain.dossier_deadline import procedure_deadline
from landreg.domain.dossier_workflow import DossierStatus
from landreg.domain.identifiers import CertificateSerial, ParcelKey
from landreg.domain.procedures import procedure_code
from landreg.domain.reference import procedures_config
from landreg.domain.working_days import HolidayCalendar, holiday_calendar
from landreg.errors import LandRegError, ValidationError
from landreg.services.dossier_link_scoring import commune_codes
from landreg.services.dossier_stats import as_of_moment
from landreg.services.dossier_stats_types import StatsOptions
from landreg.services.source_checks import folded_names
from landreg.store.unit_of_work import UnitOfWork

WATCHED = ("overdue", "at_risk")
OPEN_STATUSES = tuple(s.value for s in DossierStatus if s.is_open)
_DASHES = re.compile("[\u2010-\u2015\u2212\ufe58\ufe63\uff0d]")


@dataclass(frozen=True, slots=True)
class DossierQuery:
    """What an officer searches for; ``None`` (or empty text) means any."""

    text: str | None = None
    status: str | None = None
    procedure: str | None = None
    office: str | None = None
    timeliness: Literal["overdue", "at_risk"] | None = None


@dataclass(frozen=True, slots=True)
class DossierSummary:
    """One line of the dossier list; ``due_on`` and ``timeliness`` from the dossier's clock
    (the due date the source recorded when its history cannot be read)."""

    code: str
    procedure: str
    procedure_name_vi: str
    status: str
    status_label_vi: str
    applicant_name: str | None
    office: str | None
    received_at: datetime
    due_on: date | None
    timeliness: str | None
    version: int


@dataclass(frozen=True, slots=True)
class DossierPage:
    """A page of the list and how many dossiers match in all."""

    items: list[DossierSummary]
    total: int


def search_dossiers(
    uow: UnitOfWork,
    query: DossierQuery,
    *,
    limit: int,
    offset: int,
    as_of: datetime | None = None,
) -> DossierPage:
    """The dossiers matching ``query``, newest first, ``limit`` from ``offset``; timeliness
    read at ``as_of`` (now by default)."""
    if limit < 1 or offset < 0:
        raise ValidationError(
            "limit must be 1 or more and offset 0 or more",
            field="limit" if limit < 1 else "offset",
            detail_vi="limit phải từ 1 trở lên và offset từ 0 trở lên",
        )
    wanted = dossier_filter(query)
    now = as_of_moment(as_of)
    calendar = holiday_calendar()
    if query.timeliness is None:
        total = uow.dossiers.count_matching(wanted)
        dossiers = uow.dossiers.page_matching(wanted, limit=limit, offset=offset)
        kinds = _timeliness(uow, [d.id for d in dossiers], now, calendar)
    else:
        ids = uow.dossiers.ids_matching(wanted)  # open ones only: see dossier_filter
        every = _timeliness(uow, ids, now, calendar)
        kept = [i for i in ids if every.get(i, (None, None))[0] is Timeliness(query.timeliness)]
        total = len(kept)
        shown = kept[offset : offset + limit]
        dossiers = uow.dossiers.by_ids(shown)
        kinds = {i: every[i] for i in shown}
    return DossierPage([_summary(d, kinds.get(d.id)) for d in dossiers], total)


def dossier_filter(query: DossierQuery) -> DossierFilter:
    """The database's filter for a query: the readings of its text, the status, procedure
    and office as stored (a procedure by its code or Vietnamese name, a status by its code or
    label), and only open statuses when overdue or at risk is asked for."""
    statuses: tuple[str, ...] | None = None
    if query.status and query.status.strip():
        statuses = (_status(query.status).value,)
    if query.timeliness is not None:
        if query.timeliness not in WATCHED:
            raise ValidationError(
                f"timeliness must be one of {', '.join(WATCHED)}",
                field="timeliness",
                value=query.timeliness,
                detail_vi="timeliness phải là overdue (quá hạn) hoặc at_risk (sắp đến hạn)",
            )
        statuses = tuple(s for s in (statuses or OPEN_STATUSES) if s in OPEN_STATUSES)
    procedure = query.procedure.strip() if query.procedure else ""
    office = query.office.strip().upper() if query.office else ""
    return DossierFilter(
        **_readings(query.text or ""),
        statuses=statuses,
        procedure=procedure_code(procedure) if procedure else None,
        office=office or None,
    )


def _readings(text: str) -> dict[str, Any]:
    """What the search text may be: part of a code, an applicant's name, a parcel key, a
    certificate serial."""
    text = " ".join(_DASHES.sub("-", text).split())[:200]
    if not text:
        return {}
    readings: dict[str, Any] = {
        "code_part": re.sub(r"\s*([-.])\s*", r"\1", text).replace(" ", "").upper(),
        "name_words": tuple(folded_names(pd.Series([text])).iloc[0].split()),
    }
    try:
        key = ParcelKey.from_string(text.replace(" ", ""))
        readings["parcel_key"] = (key.commune_code, key.map_sheet, key.parcel_number)
    except LandRegError:
        pass
    try:
        serial = CertificateSerial.parse(text)
        readings["serial"] = f"{serial.letters}{serial.digits}"
    except LandRegError:
        pass
    return readings


def _status(text: str) -> DossierStatus:
    try:
        return DossierStatus.parse(text.strip())
    except LandRegError:
        known = ", ".join(f"{s.value} ({s.label_vi})" for s in DossierStatus)
        raise ValidationError(
            f"unknown status {text!r}; known: {known}",
            field="status",
            value=text,
            detail_vi=f"không có trạng thái {text!r}; các trạng thái: {known}",
        ) from None


def _timeliness(
    uow: UnitOfWork, ids: Sequence[int], now: datetime, calendar: HolidayCalendar
) -> dict[int, tuple[Timeliness | None, date | None]]:
    """Each dossier's timeliness and due date at ``now``, read as the statistics read them;
    (None, None) for a history the clock cannot read."""
    if not ids:
        return {}
    dossiers, events = uow.dossiers.clock_frames(ids)
    remote_communes = uow.dossier_stats.remote_communes()
    commune = dossiers["linked_commune"].astype("string")
    commune = commune.fillna(commune_codes(dossiers["declared_commune"]))
    remote = commune.isin(list(remote_communes)).fillna(False).astype(bool)
    histories: dict[int, list[DossierEvent]] = defaultdict(list)
    unreadable: set[int] = set()
    for dossier_id, at, status in events.itertuples(index=False):
        try:
            event = DossierEvent(pd.Timestamp(at).to_pydatetime(), DossierStatus.parse(status))
        except LandRegError:  # a status the portal does not know: no clock for this dossier
            unreadable.add(int(dossier_id))
            continue
        if event.at <= now:  # events dated later are not yet known at ``now``
            histories[int(dossier_id)].append(event)
    at_risk_days = StatsOptions().at_risk_days
    answers: dict[int, tuple[Timeliness | None, date | None]] = dict.fromkeys(
        unreadable, (None, None)
    )
    for dossier_id, procedure, is_remote in zip(
        dossiers["id"], dossiers["procedure"], remote, strict=True
    ):
        if int(dossier_id) in unreadable:
            continue
        try:
            clock = dossier_clock(
                procedure_deadline(procedure, remote=bool(is_remote)),
                histories.get(int(dossier_id), []),
                as_of=now,
                calendar=calendar,
            )
            kind = timeliness(clock, at_risk_days=at_risk_days, calendar=calendar)
            answers[int(dossier_id)] = (kind, clock.due_date)
        except LandRegError:
            answers[int(dossier_id)] = (None, None)
    return answers


def _summary(
    dossier: Dossier, clock: tuple[Timeliness | None, date | None] | None
) -> DossierSummary:
    kind, due = clock or (None, None)
    procedure = procedures_config()["procedures"].get(dossier.procedure, {})
    try:
        label = DossierStatus.parse(dossier.status).label_vi
    except LandRegError:
        label = dossier.status
    return DossierSummary(
        code=dossier.code, procedure=dossier.procedure,
        procedure_name_vi=procedure.get("name_vi", dossier.procedure), status=dossier.status,
        status_label_vi=label, applicant_name=dossier.applicant_name, office=dossier.office,
        received_at=dossier.received_at, due_on=due or dossier.due_on,
        timeliness=kind.value if kind is not None else None, version=dossier.version,
    )  # fmt: skip
