"""The status lifecycle of a one-stop-shop dossier ("hồ sơ một cửa").

The statuses are those of the national public-service portal ("Cổng Dịch vụ công quốc
gia"); their values are the canonical names the exports use, ``portal_code`` the number
(1-10) the portal's API uses. Only the transitions in :data:`ALLOWED_TRANSITIONS` may happen.
Overdue is not a status: it is derived from the due date (``landreg.domain.dossier_clock``).
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType

from landreg.errors import ConflictError, ValidationError


class DossierStatus(StrEnum):
    """Where a dossier stands, as on the national public-service portal."""

    NEW = "new"
    RECEIVED = "received"
    NOT_RECEIVED = "not_received"
    PROCESSING = "processing"
    ADDITIONAL_DOCUMENTS_REQUESTED = "additional_documents_requested"
    FINANCIAL_OBLIGATION_REQUIRED = "financial_obligation_required"
    WITHDRAWN = "withdrawn"
    STOPPED = "stopped"
    PROCESSED = "processed"
    RESULT_RETURNED = "result_returned"

    @property
    def label_vi(self) -> str:
        """The portal's Vietnamese text for the status."""
        return _LABELS[self][0]

    @property
    def label_en(self) -> str:
        """English text for the status."""
        return _LABELS[self][1]

    @property
    def portal_code(self) -> int:
        """The portal's numeric code, 1 (new) to 10 (result returned)."""
        return list(DossierStatus).index(self) + 1

    @property
    def is_final(self) -> bool:
        """True when nothing can follow (rejected, withdrawn, stopped, result returned)."""
        return not ALLOWED_TRANSITIONS[self]

    @property
    def is_open(self) -> bool:
        """True while the office still owes the citizen a result."""
        return self in _OPEN

    @property
    def stops_clock(self) -> bool:
        """True while the deadline does not run: waiting for the citizen's documents or for
        the financial obligations (tax, fees) to be paid."""
        return self in _CLOCK_STOPPED

    @classmethod
    def parse(cls, value: str | int | DossierStatus) -> DossierStatus:
        """The status named by its canonical name, its Vietnamese text or its portal code."""
        if isinstance(value, DossierStatus):
            return value
        if isinstance(value, str) and value in _BY_NAME:  # the stored form: one look-up
            return _BY_NAME[value]
        if isinstance(value, int) and 1 <= value <= len(cls):
            return list(cls)[value - 1]
        text = str(value).strip()
        for status in cls:
            if text in {status.value, status.label_vi} or text.lower() == status.label_en.lower():
                return status
        raise ValidationError(
            f"status {value!r} is not a dossier status of the public-service portal",
            field="status",
            value=value,
            detail_vi=f"{value!r} không phải trạng thái hồ sơ của Cổng Dịch vụ công",
        )


_BY_NAME: Mapping[str, DossierStatus] = MappingProxyType({s.value: s for s in DossierStatus})
_LABELS: Mapping[DossierStatus, tuple[str, str]] = MappingProxyType(
    {
        DossierStatus.NEW: ("Mới", "New"),
        DossierStatus.RECEIVED: ("Đã tiếp nhận", "Received"),
        DossierStatus.NOT_RECEIVED: ("Không tiếp nhận", "Not received"),
        DossierStatus.PROCESSING: ("Đang xử lý", "Processing"),
        DossierStatus.ADDITIONAL_DOCUMENTS_REQUESTED: (
            "Yêu cầu bổ sung hồ sơ",
            "Additional documents requested",
        ),
        DossierStatus.FINANCIAL_OBLIGATION_REQUIRED: (
            "Chờ thực hiện nghĩa vụ tài chính",
            "Financial obligation required",
        ),
        DossierStatus.WITHDRAWN: ("Công dân rút hồ sơ", "Withdrawn by the citizen"),
        DossierStatus.STOPPED: ("Dừng xử lý", "Stopped"),
        DossierStatus.PROCESSED: ("Đã xử lý xong", "Processed"),
        DossierStatus.RESULT_RETURNED: ("Đã trả kết quả", "Result returned"),
    }
)

_S = DossierStatus
_WAITING = frozenset({_S.ADDITIONAL_DOCUMENTS_REQUESTED, _S.FINANCIAL_OBLIGATION_REQUIRED})
_CLOCK_STOPPED = _WAITING
_OPEN = frozenset({_S.NEW, _S.RECEIVED, _S.PROCESSING}) | _WAITING
_ENDINGS = frozenset({_S.WITHDRAWN, _S.STOPPED})

ALLOWED_TRANSITIONS: Mapping[DossierStatus, frozenset[DossierStatus]] = MappingProxyType(
    {
        # Submitted (online or at the counter): the one-stop shop accepts or rejects it.
        _S.NEW: frozenset({_S.RECEIVED, _S.NOT_RECEIVED, _S.WITHDRAWN}),
        # Accepted as complete: handed over to the land registration office.
        _S.RECEIVED: frozenset({_S.PROCESSING, _S.WITHDRAWN}),
        _S.PROCESSING: _WAITING | _ENDINGS | {_S.PROCESSED},
        # Waiting for the citizen: documents supplied / tax paid resumes processing; the tax
        # office may also ask for a document (and an officer for the tax) meanwhile.
        _S.ADDITIONAL_DOCUMENTS_REQUESTED: _ENDINGS
        | {_S.PROCESSING, _S.FINANCIAL_OBLIGATION_REQUIRED},
        _S.FINANCIAL_OBLIGATION_REQUIRED: _ENDINGS
        | {_S.PROCESSING, _S.ADDITIONAL_DOCUMENTS_REQUESTED},
        _S.PROCESSED: frozenset({_S.RESULT_RETURNED}),
        _S.NOT_RECEIVED: frozenset(),
        _S.WITHDRAWN: frozenset(),
        _S.STOPPED: frozenset(),
        _S.RESULT_RETURNED: frozenset(),
    }
)
INITIAL_STATUSES = frozenset({_S.NEW, _S.RECEIVED})
# The step of the procedure while the office waits for the citizen's documents, as the
# citizen reads it ("additional documents requested").
DOCUMENTS_STEP = "Yêu cầu bổ sung giấy tờ"


class TransitionNotAllowedError(ConflictError):
    """A status change the portal's lifecycle does not allow (``from_status`` → ``to_status``)."""

    title = "Status change not allowed"
    title_vi = "Không được chuyển trạng thái"

    def __init__(self, from_status: DossierStatus, to_status: DossierStatus) -> None:
        allowed = ", ".join(sorted(ALLOWED_TRANSITIONS[from_status])) or "nothing (final)"
        allowed_vi = "; ".join(
            sorted(status.label_vi for status in ALLOWED_TRANSITIONS[from_status])
        )
        super().__init__(
            f"status cannot change from {from_status.value!r} to {to_status.value!r}; "
            f"from {from_status.value!r} only to: {allowed}",
            field="status",
            value=to_status.value,
            detail_vi=f"hồ sơ đang ở trạng thái «{from_status.label_vi}» không thể chuyển sang "
            f"«{to_status.label_vi}»; "
            + (f"chỉ có thể chuyển sang: {allowed_vi}" if allowed_vi else "đây là bước cuối"),
        )
        self.from_status = from_status
        self.to_status = to_status


def can_transition(from_status: DossierStatus, to_status: DossierStatus) -> bool:
    """Whether a dossier may go from ``from_status`` to ``to_status``.

    Parameters
    ----------
    from_status, to_status : DossierStatus

    Returns
    -------
    bool
        True only for the transitions in :data:`ALLOWED_TRANSITIONS`; staying in the same
        status is not a transition.
    """
    return to_status in ALLOWED_TRANSITIONS[from_status]


def check_transition(from_status: DossierStatus, to_status: DossierStatus) -> DossierStatus:
    """Return ``to_status`` when the change is allowed.

    Parameters
    ----------
    from_status, to_status : DossierStatus

    Returns
    -------
    DossierStatus
        ``to_status``.

    Raises
    ------
    TransitionNotAllowedError
        A :class:`~landreg.errors.ConflictError` naming both statuses.
    """
    if not can_transition(from_status, to_status):
        raise TransitionNotAllowedError(from_status, to_status)
    return to_status
