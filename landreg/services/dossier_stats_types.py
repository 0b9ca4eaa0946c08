"""What dossier statistics return: counts by timeliness class, watch list, apologies, checks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from landreg.domain.dossier_apology import ApologyLetter
from landreg.domain.dossier_clock import Timeliness
from landreg.domain.dossier_workflow import DossierStatus


@dataclass(frozen=True, slots=True)
class StatsOptions:
    """``at_risk_days``: an open dossier with this many working days left or fewer is at risk;
    ``apology_working_days``: working days a drafted letter gives; ``examples``: how many due
    dates that disagree with the source are shown."""

    at_risk_days: int = 1
    apology_working_days: int = 3
    examples: int = 10


@dataclass(frozen=True, slots=True)
class TimelinessCounts:
    """How many dossiers of a group fall in each class; ``unreadable``: history not readable."""

    dossiers: int
    early: int
    on_time: int
    late: int
    on_track: int
    at_risk: int
    overdue: int
    not_counted: int
    unreadable: int
    on_time_rate: float | None

    @property
    def resolved(self) -> int:
        """Processed dossiers, the denominator of the on-time rate."""
        return self.early + self.on_time + self.late


@dataclass(frozen=True, slots=True)
class GroupCounts:
    """The counts of one procedure, office or month (``YYYY-MM``)."""

    key: str
    counts: TimelinessCounts


@dataclass(frozen=True, slots=True)
class WeekCounts:
    """Dossiers received and processed in one ISO week of local time (Monday to Sunday):
    ``week`` as ``2024-W01``, ``starts_on`` its Monday."""

    week: str
    starts_on: date
    received: int
    processed: int


@dataclass(frozen=True, slots=True)
class WatchedDossier:
    """An overdue or at-risk dossier. ``working_days_late``: positive when past due, zero on
    the due day, minus the working days left before it."""

    code: str
    procedure: str
    office: str | None
    status: DossierStatus
    timeliness: Timeliness
    due_date: date
    working_days_late: int
    paused: bool


@dataclass(frozen=True, slots=True)
class ApologyNeed:
    """A late or overdue dossier and its apology: recorded by the source, or drafted."""

    code: str
    procedure: str
    office: str | None
    timeliness: Timeliness
    due_date: date
    working_days_late: int
    recorded: bool
    new_return_date: date | None
    letter: ApologyLetter | None


@dataclass(frozen=True, slots=True)
class UnreadableHistory:
    """A dossier whose clock cannot be read, and why."""

    code: str
    procedure: str
    office: str | None
    status: str
    reason: str


@dataclass(frozen=True, slots=True)
class DueDateDifference:
    """A due date landreg computes differently from the source (``computed - recorded`` in
    working days)."""

    code: str
    procedure: str
    status: DossierStatus
    computed: date
    recorded: date
    working_days_apart: int


@dataclass(frozen=True, slots=True)
class DueDateCheck:
    """Computed due dates against the source's, for dossiers that have both."""

    compared: int
    agree: int
    examples: tuple[DueDateDifference, ...]

    @property
    def disagree(self) -> int:
        """Dossiers whose due dates differ."""
        return self.compared - self.agree


@dataclass(frozen=True, slots=True)
class DossierStats:
    """Everything ``landreg dossiers stats`` and ``GET /stats/dossiers`` show.

    ``filed_after_as_of``: dossiers left out because they were filed later;
    ``histories_cut``: dossiers with events after ``as_of``, read up to it;
    ``by_week``: every week from the first receipt to ``as_of``, weeks without any included.
    """

    as_of: datetime
    office: str | None
    procedure: str | None
    filed_after_as_of: int
    histories_cut: int
    totals: TimelinessCounts
    by_procedure: tuple[GroupCounts, ...]
    by_office: tuple[GroupCounts, ...]
    by_month: tuple[GroupCounts, ...]
    by_week: tuple[WeekCounts, ...]
    watch: tuple[WatchedDossier, ...]
    apologies: tuple[ApologyNeed, ...]
    unreadable: tuple[UnreadableHistory, ...]
    due_dates: DueDateCheck
