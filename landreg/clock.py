"""Time as the register records it: naive UTC datetimes, the same on both backends."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    """The current time in UTC without tzinfo, as stored in the database."""
    return datetime.now(UTC).replace(tzinfo=None)


def as_utc(moment: datetime) -> datetime:
    """A datetime given with a timezone, converted to the stored naive UTC form."""
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)
