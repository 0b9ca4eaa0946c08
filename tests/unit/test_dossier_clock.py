"""Due dates and the deadline clock as a registry officer counts them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from landreg.domain.dossier_apology import apology_letter
from landreg.domain.dossier_clock import (
    ClockPause,
    PauseReason,
    Timeliness,
    dossier_clock,
    on_time_rate,
    timeliness,
)
from landreg.domain.dossier_deadline import first_due_date, procedure_deadline
from landreg.domain.dossier_workflow import TransitionNotAllowedError
from landreg.domain.working_days import holiday_calendar
from landreg.errors import UnknownReferenceError, ValidationError

CAL = holiday_calendar()
NOW = datetime(2024, 12, 31, 17)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def received(when: str, *later: tuple[str, str]) -> list[tuple[datetime, str]]:
    """A history: submitted and received at ``when``, then the (time, status) given."""
    return [(at(when), "new"), (at(when), "received"), *((at(t), s) for t, s in later)]


def due(procedure: str, when: str, **options) -> date:
    return first_due_date(procedure_deadline(procedure, **options), at(when))


def test_transfer_received_friday_before_the_30_april_break():
    assert due("transfer", "2023-04-28T09:00") == date(2023, 5, 15)
    # 2024: 29 April swapped for Saturday 4 May, which counts.
    assert due("transfer", "2024-04-26T09:00") == date(2024, 5, 10)


def test_tet_week_is_skipped():
    assert due("transfer", "2024-02-07T10:00") == date(2024, 2, 26)
    assert due("first_registration", "2025-01-24T10:00") == date(2025, 2, 25)


def test_mortgage_is_due_the_same_day_before_the_cutoff_and_the_next_working_day_after():
    assert due("mortgage_registration", "2024-03-05T14:59") == date(2024, 3, 5)
    assert due("mortgage_registration", "2024-03-05T15:30") == date(2024, 3, 6)
    assert due("mortgage_release", "2024-03-08T15:00") == date(2024, 3, 11)  # Friday → Monday
    assert due("mortgage_release", "2024-02-07T15:30") == date(2024, 2, 15)  # across Tết
    # Received on a Saturday: as if received on Monday morning.
    assert due("mortgage_registration", "2024-03-09T16:00") == date(2024, 3, 11)


def test_remote_commune_adds_ten_working_days_but_not_to_same_day_procedures():
    assert procedure_deadline("transfer", remote=True).working_days == 18
    assert due("transfer", "2024-03-04T09:00", remote=True) == CAL.add_working_days(
        due("transfer", "2024-03-04T09:00"), 10
    )
    assert due("mortgage_registration", "2024-03-05T10:00", remote=True) == date(2024, 3, 5)


def test_procedure_variants():
    assert procedure_deadline("first_certificate").working_days == 3
    combined = procedure_deadline("first_certificate", combined_with_first_registration=True)
    assert combined.working_days == 20
    assert procedure_deadline("certificate_exchange", area_changes=True).working_days == 10
    with pytest.raises(ValidationError) as caught:
        procedure_deadline("transfer", area_changes=True)
    assert (caught.value.field, caught.value.value) == ("area_changes", "transfer")


def test_unknown_procedure_is_refused_naming_it():
    with pytest.raises(UnknownReferenceError) as caught:
        procedure_deadline("sale_of_house")
    assert (caught.value.field, caught.value.value) == ("procedure", "sale_of_house")


def test_waiting_for_documents_moves_the_due_date_by_exactly_the_paused_working_days():
    deadline = procedure_deadline("transfer")
    plain = dossier_clock(deadline, received("2024-04-22T09:00"), as_of=NOW)
    # Paused Tuesday 23 April 10:00 to Thursday 2 May 14:00: 24, 25, 26 April and 2 May
    # (29 April-1 May are days off) = 4 working days.
    paused = dossier_clock(
        deadline,
        received(
            "2024-04-22T09:00",
            ("2024-04-22T09:10", "processing"),
            ("2024-04-23T10:00", "additional_documents_requested"),
            ("2024-05-02T14:00", "processing"),
        ),
        as_of=NOW,
    )
    assert paused.paused_working_days == 4
    assert paused.due_date == CAL.add_working_days(plain.due_date, 4)
    assert (plain.due_date, paused.due_date) == (date(2024, 5, 6), date(2024, 5, 10))
    assert paused.pauses[0].reason is PauseReason.ADDITIONAL_DOCUMENTS


def test_an_open_pause_runs_until_now():
    events = received(
        "2024-03-04T09:00",
        ("2024-03-04T09:10", "processing"),
        ("2024-03-05T09:00", "financial_obligation_required"),
    )
    clock = dossier_clock(procedure_deadline("transfer"), events, as_of=at("2024-03-08T12:00"))
    assert clock.is_paused and clock.paused_working_days == 3
    assert clock.due_date == CAL.add_working_days(date(2024, 3, 4), 8 + 3)


def test_public_posting_pauses_a_reissuance_and_overlapping_pauses_count_once():
    events = received(
        "2024-03-04T09:00",
        ("2024-03-04T09:10", "processing"),
        ("2024-03-11T09:00", "additional_documents_requested"),
        ("2024-03-13T09:00", "processing"),
    )
    posting = ClockPause(at("2024-03-05T08:00"), at("2024-03-12T17:00"), PauseReason.PUBLIC_POSTING)
    clock = dossier_clock(procedure_deadline("reissuance"), events, pauses=[posting], as_of=NOW)
    # Posting covers 6-12 March (5 working days), the request 12-13 March: 6-13 March = 6.
    assert clock.paused_working_days == 6
    assert clock.due_date == CAL.add_working_days(date(2024, 3, 4), 10 + 6)


def test_statuses_that_are_notes_are_not_transitions():
    events = received(
        "2024-03-04T09:00",
        ("2024-03-04T09:10", "processing"),
        ("2024-03-14T16:40", "processing"),  # apology letter sent
        ("2024-03-18T16:00", "processed"),
    )
    clock = dossier_clock(procedure_deadline("transfer"), events, as_of=NOW)
    assert clock.processed_at == at("2024-03-18T16:00")


def test_timezone_aware_events_are_read_in_vietnamese_local_time():
    utc = UTC
    events = [
        (datetime(2024, 3, 5, 8, 30, tzinfo=utc), "new"),
        (datetime(2024, 3, 5, 8, 30, tzinfo=utc), "received"),  # 15:30 in Vietnam
    ]
    clock = dossier_clock(procedure_deadline("mortgage_registration"), events, as_of=NOW)
    assert clock.received_at == at("2024-03-05T15:30") and clock.due_date == date(2024, 3, 6)


@pytest.mark.parametrize(
    ("events", "field"),
    [
        ([], "events"),
        ([(at("2024-03-04T09:00"), "processing")], "events[0].status"),
        (received("2024-03-04T09:00", ("2024-03-01T09:00", "processing")), "events[2].at"),
        (received("2025-06-02T09:00"), "events[0].at"),  # received in the future
    ],
)
def test_impossible_histories_are_refused_naming_the_field(events, field):
    with pytest.raises(ValidationError) as caught:
        dossier_clock(procedure_deadline("transfer"), events, as_of=NOW)
    assert caught.value.field == field


def test_a_forbidden_change_in_a_history_is_refused():
    events = received("2024-03-04T09:00", ("2024-03-05T09:00", "processed"))
    with pytest.raises(TransitionNotAllowedError) as caught:
        dossier_clock(procedure_deadline("transfer"), events, as_of=NOW)
    assert (caught.value.from_status.value, caught.value.to_status.value) == (
        "received",
        "processed",
    )


def test_pauses_before_receipt_or_of_the_wrong_kind_are_refused():
    deadline, events = procedure_deadline("reissuance"), received("2024-03-04T09:00")
    early = ClockPause(at("2024-03-01T09:00"), None, PauseReason.PUBLIC_POSTING)
    with pytest.raises(ValidationError) as caught:
        dossier_clock(deadline, events, pauses=[early], as_of=NOW)
    assert caught.value.field == "pauses.start"
    tax = ClockPause(at("2024-03-05T09:00"), None, PauseReason.FINANCIAL_OBLIGATION)
    with pytest.raises(ValidationError):
        dossier_clock(deadline, events, pauses=[tax], as_of=NOW)
    with pytest.raises(ValidationError):
        ClockPause(at("2024-03-05T09:00"), at("2024-03-04T09:00"), PauseReason.PUBLIC_POSTING)


def _finished(processed: str) -> Timeliness:
    events = received(
        "2024-03-04T09:00", ("2024-03-04T09:10", "processing"), (processed, "processed")
    )
    return timeliness(dossier_clock(procedure_deadline("transfer"), events, as_of=NOW))


def test_processed_dossiers_are_early_on_time_or_late_against_the_due_date():
    # Due Thursday 14 March 2024.
    assert _finished("2024-03-13T16:00") is Timeliness.EARLY
    assert _finished("2024-03-14T16:59") is Timeliness.ON_TIME
    assert _finished("2024-03-15T08:00") is Timeliness.LATE


@pytest.mark.parametrize(
    ("now", "at_risk_days", "expected"),
    [
        ("2024-03-11T08:00", 1, Timeliness.ON_TRACK),
        ("2024-03-13T08:00", 1, Timeliness.AT_RISK),
        ("2024-03-12T08:00", 2, Timeliness.AT_RISK),
        ("2024-03-12T08:00", 1, Timeliness.ON_TRACK),
        ("2024-03-14T16:00", 0, Timeliness.AT_RISK),
        ("2024-03-15T08:00", 1, Timeliness.OVERDUE),
    ],
)
def test_open_dossiers_are_on_track_at_risk_or_overdue(now, at_risk_days, expected):
    events = received("2024-03-04T09:00", ("2024-03-04T09:10", "processing"))
    clock = dossier_clock(procedure_deadline("transfer"), events, as_of=at(now))
    assert timeliness(clock, at_risk_days=at_risk_days) is expected


def test_dossiers_never_received_or_abandoned_are_not_counted():
    rejected = [(at("2024-03-04T09:00"), "new"), (at("2024-03-04T09:30"), "not_received")]
    clock = dossier_clock(procedure_deadline("transfer"), rejected, as_of=NOW)
    assert clock.due_date is None and timeliness(clock) is Timeliness.NOT_COUNTED
    withdrawn = received("2024-03-04T09:00", ("2024-03-20T09:00", "withdrawn"))
    clock = dossier_clock(procedure_deadline("transfer"), withdrawn, as_of=NOW)
    assert timeliness(clock) is Timeliness.NOT_COUNTED


def test_on_time_rate_is_early_plus_on_time_over_resolved():
    classes = [Timeliness.EARLY] * 3000 + [Timeliness.ON_TIME] * 892 + [Timeliness.LATE] * 102
    classes += [Timeliness.OVERDUE, Timeliness.NOT_COUNTED, Timeliness.ON_TRACK]
    assert on_time_rate(classes) == pytest.approx(97.446, abs=0.001)
    assert on_time_rate([Timeliness.OVERDUE]) is None


def test_apology_letter_carries_the_new_return_date_in_both_languages():
    events = received("2024-03-04T09:00", ("2024-03-04T09:10", "processing"))
    clock = dossier_clock(procedure_deadline("transfer"), events, as_of=at("2024-03-15T09:00"))
    letter = apology_letter(
        clock,
        office="Chi nhánh Văn phòng đăng ký đất đai Dương Minh Châu",
        dossier_code="H55.707-240304-0001",
        applicant_name="Nguyễn Văn An",
        new_return_date=date(2024, 3, 20),
        issued_on=date(2024, 3, 14),
        reason_vi="Phải xác minh nguồn gốc sử dụng đất",
        reason_en="The origin of the land use must be verified",
    )
    assert (letter.due_date, letter.new_return_date) == (date(2024, 3, 14), date(2024, 3, 20))
    assert letter.procedure_name_vi == "Chuyển nhượng quyền sử dụng đất"
    text = letter.render_text()
    assert "hẹn lại ngày trả kết quả là ngày 20/03/2024" in text
    assert "the result will be returned on 20/03/2024" in text
    assert "H55.707-240304-0001" in letter.text_vi() and "14/03/2024" in letter.text_en()


@pytest.mark.parametrize(
    ("new_date", "issued", "field"),
    [
        (date(2024, 3, 14), date(2024, 3, 14), "new_return_date"),  # the due date itself
        (date(2024, 3, 16), date(2024, 3, 14), "new_return_date"),  # a Saturday
        (date(2024, 3, 20), date(2024, 3, 21), "issued_on"),
    ],
)
def test_apology_letter_refuses_impossible_dates(new_date, issued, field):
    events = received("2024-03-04T09:00", ("2024-03-04T09:10", "processing"))
    clock = dossier_clock(procedure_deadline("transfer"), events, as_of=at("2024-03-15T09:00"))
    with pytest.raises(ValidationError) as caught:
        apology_letter(
            clock, office="VPĐK", dossier_code="X", applicant_name="A", new_return_date=new_date,
            issued_on=issued, reason_vi="lý do", reason_en="reason",
        )  # fmt: skip
    assert caught.value.field == field


RECEIPTS = st.datetimes(min_value=datetime(2021, 1, 1), max_value=datetime(2028, 6, 30))


@given(
    RECEIPTS,
    st.sampled_from(["transfer", "first_registration", "reissuance", "land_use_change"]),
    st.integers(min_value=0, max_value=20),
    st.integers(min_value=0, max_value=40),
)
def test_a_pause_moves_the_due_date_by_the_working_days_it_covers(when, procedure, wait, length):
    deadline = procedure_deadline(procedure)
    start = when + timedelta(days=wait, hours=1)
    end = start + timedelta(days=length)
    events = [(when, "received"), (when, "processing")]
    later = datetime(2029, 12, 31)
    plain = dossier_clock(deadline, events, as_of=later)
    events += [(start, "additional_documents_requested"), (end, "processing")]
    paused = dossier_clock(deadline, events, as_of=later)
    covered = CAL.working_days_between(start.date(), end.date())
    assert paused.paused_working_days == covered
    assert paused.due_date == CAL.add_working_days(plain.due_date, covered)
    assert CAL.is_working_day(paused.due_date)
