"""The working-day calendar officers count deadlines on: weekends, holidays, Tết, swaps."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from landreg.domain.working_days import holiday_calendar, parse_holiday_calendar
from landreg.errors import ConfigurationError, ValidationError
from sample_data import calendar as sample_calendar

CAL = holiday_calendar()
DAYS = st.dates(min_value=date(2020, 1, 1), max_value=date(2029, 12, 31))


def test_weekends_and_holidays_are_not_working_days():
    assert CAL.is_working_day(date(2024, 5, 2))  # Thursday
    assert not CAL.is_working_day(date(2024, 5, 5))  # Sunday
    assert not CAL.is_working_day(date(2024, 9, 2))  # National Day
    assert not CAL.is_working_day(date(2024, 9, 3))  # its adjacent day
    assert not CAL.is_working_day(date(2023, 5, 2))  # compensatory for Hùng Kings on Saturday
    assert not CAL.is_working_day(date(2025, 4, 7))  # Hùng Kings, 10/3 lunar


def test_make_up_saturday_is_a_working_day_and_its_swapped_monday_is_not():
    assert CAL.is_working_day(date(2024, 5, 4))
    assert not CAL.is_working_day(date(2024, 4, 29))
    assert CAL.is_working_day(date(2025, 4, 26)) and not CAL.is_working_day(date(2025, 5, 2))


@pytest.mark.parametrize(
    ("year", "first_day", "last_day"),
    [
        (2021, date(2021, 2, 10), date(2021, 2, 16)),
        (2023, date(2023, 1, 20), date(2023, 1, 26)),
        (2024, date(2024, 2, 8), date(2024, 2, 14)),
        (2025, date(2025, 1, 25), date(2025, 2, 2)),
        (2026, date(2026, 2, 14), date(2026, 2, 22)),
    ],
)
def test_whole_tet_break_is_off(year, first_day, last_day):
    day = first_day
    while day <= last_day:
        assert not CAL.is_working_day(day), day
        day += timedelta(days=1)
    assert CAL.is_working_day(CAL.next_working_day(last_day))
    assert CAL.next_working_day(first_day) == CAL.next_working_day(last_day)


def test_eight_working_days_across_tet():
    # Received Wednesday 7 Feb 2024, the day before the Tết break (8-14 Feb).
    assert CAL.add_working_days(date(2024, 2, 7), 8) == date(2024, 2, 26)


def test_eight_working_days_from_the_friday_before_30_april():
    # Fri 28 Apr 2023; 29 Apr-3 May off (Hùng Kings, 30/4, 1/5 and two compensatory days).
    assert CAL.add_working_days(date(2023, 4, 28), 8) == date(2023, 5, 15)
    # Fri 26 Apr 2024; 29 Apr-1 May off, Saturday 4 May worked.
    assert CAL.add_working_days(date(2024, 4, 26), 8) == date(2024, 5, 10)


def test_non_working_start_counts_from_the_next_working_day():
    assert CAL.add_working_days(date(2024, 2, 10), 0) == date(2024, 2, 15)
    assert CAL.add_working_days(date(2024, 3, 2), 1) == date(2024, 3, 5)  # Saturday → Tue


def test_dates_outside_the_calendar_are_refused_naming_the_date():
    with pytest.raises(ValidationError) as caught:
        CAL.is_working_day(date(2031, 1, 2))
    assert (caught.value.field, caught.value.value) == ("date", "2031-01-02")
    with pytest.raises(ValidationError):
        CAL.add_working_days(date(2030, 12, 20), 30)
    with pytest.raises(ValidationError):
        CAL.add_working_days(date(2024, 1, 2), -1)


def test_calendar_agrees_with_the_sample_data_calendar_except_the_make_up_saturday():
    days = np.arange(np.datetime64("2021-01-01"), np.datetime64("2025-01-01"))
    theirs = sample_calendar.is_working_day(days)
    ours = np.array([CAL.is_working_day(d.astype(date)) for d in days])
    assert [d.astype(date) for d in days[theirs != ours]] == [date(2024, 5, 4)]


def test_uncertain_days_are_listed_days():
    assert date(2027, 2, 4) in CAL.uncertain and date(2027, 2, 4) in CAL.days_off
    assert all(day.year >= 2026 for day in CAL.uncertain)


def _document(**year_2024):
    entry = {"source": "official", "new_year": ["2024-01-01"], **year_2024}
    return {"first_year": 2024, "last_year": 2024, "years": {"2024": entry}}


@pytest.mark.parametrize(
    ("document", "field"),
    [
        (_document(make_up_working_days=["2024-05-03"]), "years.2024.make_up_working_days"),
        (_document(tet=["2025-01-29"]), "years.2024"),
        (_document(tet=["29/01/2024"]), "years.2024.tet"),
        (_document(source="guessed"), "years.2024.source"),
        (_document(christmas=["2024-12-25"]), "years.2024"),
        (_document(uncertain=["2024-03-01"]), "years.2024.uncertain"),
        (
            {"first_year": 2024, "last_year": 2025, "years": {"2024": {"source": "official"}}},
            "years",
        ),
    ],
)
def test_malformed_calendar_is_refused_naming_the_field(document, field):
    with pytest.raises(ConfigurationError) as caught:
        parse_holiday_calendar(document)
    assert caught.value.field == field


def test_a_day_both_off_and_worked_is_refused():
    with pytest.raises(ConfigurationError):
        parse_holiday_calendar(
            _document(compensatory_days_off=["2024-05-04"], make_up_working_days=["2024-05-04"])
        )


@given(DAYS, st.integers(min_value=0, max_value=60))
def test_adding_working_days_lands_on_a_working_day_and_counting_inverts_it(day, count):
    due = CAL.add_working_days(day, count)
    assert CAL.is_working_day(due)
    start = CAL.next_working_day(day)
    assert CAL.working_days_between(start, due) == count
    assert CAL.working_days_between(due, start) == -count


@given(DAYS, st.integers(min_value=0, max_value=40), st.integers(min_value=0, max_value=40))
def test_adding_working_days_composes(day, first, second):
    assert CAL.add_working_days(CAL.add_working_days(day, first), second) == (
        CAL.add_working_days(day, first + second)
    )


@given(DAYS, st.integers(min_value=0, max_value=90))
def test_counting_then_adding_reaches_a_working_end(day, span):
    start = CAL.next_working_day(day)
    end = CAL.next_working_day(start + timedelta(days=span))
    assert CAL.add_working_days(start, CAL.working_days_between(start, end)) == end
