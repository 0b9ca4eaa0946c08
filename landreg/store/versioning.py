"""Version history shared by every versioned table (parcel, party, right, certificate, restriction).

The current version lives in the main table; each change first copies it to ``<table>_history``
with ``valid_to`` set, then updates the main row with ``version + 1``. Rows are plain mappings
here; repositories turn them into domain objects.

A change locks the row before it checks the version (``SELECT … FOR UPDATE`` on PostGIS; on
SpatiaLite the writing unit of work holds the database's write lock), and its ``UPDATE`` carries
the version it checked, so of two people changing one record at once exactly one wins and the
other is refused, never overwritten. A change without an expected version is checked against
the version this session last read of the record, if it read one: values merged from that read
must not overwrite a version it never saw.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import RowMapping, insert, literal, select, union_all, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session

from landreg.errors import ConflictError, NotFoundError
from landreg.store.tables import HISTORY_TABLES, VERSIONED_TABLES, Base

# The versioned records as a person names them.
_RECORDS_VI = {
    "parcel": "thửa đất",
    "register_entry": "bản ghi sổ địa chính",
    "party": "người sử dụng đất",
    "land_right": "quyền sử dụng đất",
    "certificate": "Giấy chứng nhận",
    "restriction": "hạn chế quyền",
}

# Where a session keeps the version it last read of each record: {(table, id): version}.
_READ_VERSIONS = "landreg_read_versions"


def current_row(
    session: Session, table_name: str, row_id: int, *, lock: bool = False
) -> RowMapping:
    """The current version of a record; raises :class:`NotFoundError`.

    With ``lock`` the row stays locked until the transaction ends, so that what is read
    cannot change before it is written.
    """
    table = VERSIONED_TABLES[table_name]
    statement = select(table).where(table.c.id == row_id)
    if lock:
        statement = statement.with_for_update()
    row = session.execute(statement).mappings().first()
    if row is None:
        raise NotFoundError(
            f"no {table_name} with id {row_id}",
            field=f"{table_name}_id",
            value=row_id,
            detail_vi=f"không có {_RECORDS_VI.get(table_name, table_name)} mang số {row_id}",
        )
    _remember(session, table_name, row_id, row["version"])
    return row


def _remember(session: Session, table_name: str, row_id: int, version: int) -> None:
    session.info.setdefault(_READ_VERSIONS, {})[(table_name, row_id)] = version


def _version_read(session: Session, table_name: str, row_id: int) -> int | None:
    read: dict[tuple[str, int], int] = session.info.get(_READ_VERSIONS, {})
    return read.get((table_name, row_id))


# Tables whose rows point at a versioned record and would lose their target if it went.
_REFERENCES = {
    "parcel": (
        "land_right.parcel_id",
        "certificate.parcel_id",
        "restriction.parcel_id",
        "dossier_parcel_link.parcel_id",
    ),
    "party": ("land_right.party_id", "party_member.group_id", "party_member.member_id"),
}


# Records the unified register derives from the land registers on every reconcile (those with
# ``sources``): they go with their parcel when a delivery retires it (the next reconcile derives
# them for the parcels that replaced it). Ones an officer entered keep the parcel current.
_DERIVED = {"parcel": ("land_right", "certificate", "restriction")}
# Links reconciling computes again every time (not versioned): dropped with their record.
_RECOMPUTED = {"parcel": ("parcel_register_link",)}


def retire_derived(session: Session, table_name: str, row_id: int, until: datetime) -> None:
    """Retire into history the derived records (rights, certificates, restrictions) of a
    record that is itself being retired, and drop its recomputed links."""
    for name in _RECOMPUTED.get(table_name, ()):
        links = Base.metadata.tables[name]
        session.execute(links.delete().where(links.c[f"{table_name}_id"] == row_id))
    for name in _DERIVED.get(table_name, ()):
        table, history = VERSIONED_TABLES[name], HISTORY_TABLES[name]
        derived = (table.c[f"{table_name}_id"] == row_id) & table.c.sources.is_not(None)
        names = [column.name for column in table.columns]
        session.execute(
            insert(history).from_select(
                [*names, "valid_to"],
                select(*[table.c[n] for n in names], literal(until).label("valid_to")).where(
                    derived
                ),
            )
        )
        session.execute(table.delete().where(derived))


def is_referenced(session: Session, table_name: str, row_id: int, *, derived: bool = True) -> bool:
    """True when another record still points at this one (rights on a parcel, for example);
    without ``derived``, records the registers derived for it (see :func:`retire_derived`) do
    not count."""
    for reference in _REFERENCES.get(table_name, ()):
        name, column = reference.split(".")
        table = Base.metadata.tables[name]
        statement = select(table.c.id).where(table.c[column] == row_id)
        if not derived and name in _DERIVED.get(table_name, ()):
            statement = statement.where(table.c.sources.is_(None))  # entered by an officer
        if session.scalar(statement.limit(1)):
            return True
    return False


def archive_version(session: Session, table_name: str, row_id: int, until: datetime) -> None:
    """Copy the current row of a versioned table into its history table, ending at ``until``.

    The caller holds the row's lock (:func:`current_row` with ``lock``), so that the copy is
    of the version it replaces."""
    current = VERSIONED_TABLES[table_name]
    history = HISTORY_TABLES[table_name]
    names = [column.name for column in current.columns]
    session.execute(
        insert(history).from_select(
            [*names, "valid_to"],
            select(*[current.c[name] for name in names], literal(until).label("valid_to")).where(
                current.c.id == row_id
            ),
        )
    )


def change_version(
    session: Session,
    table_name: str,
    row_id: int,
    values: dict[str, Any],
    *,
    expected_version: int | None,
    actor: str,
    at: datetime,
) -> None:
    """Make ``values`` the new current version; the previous one goes to history.

    ``expected_version`` (optimistic locking) refuses a change based on a stale read, so two
    people editing the same record at once cannot silently overwrite each other; without it,
    the version this session last read of the record is expected (see the module docstring).
    """
    table = VERSIONED_TABLES[table_name]
    read = _version_read(session, table_name, row_id)
    version = current_row(session, table_name, row_id, lock=True)["version"]
    expected = expected_version if expected_version is not None else read
    if expected is not None and version != expected:
        raise ConflictError(
            f"{table_name} {row_id} is at version {version}, not {expected}: someone "
            "changed it meanwhile; reload and try again",
            field="version",
            value=expected,
            detail_vi=f"{_RECORDS_VI.get(table_name, table_name)} số {row_id} đang ở phiên bản "
            f"{version}, không phải {expected}: người khác vừa thay đổi; hãy tải lại rồi thử lại",
        )
    archive_version(session, table_name, row_id, at)
    result: CursorResult[Any] = session.execute(  # type: ignore[assignment]
        update(table)
        .where(table.c.id == row_id, table.c.version == version)
        .values(**values, version=version + 1, valid_from=at, changed_by=actor)
    )
    if result.rowcount != 1:
        raise ConflictError(
            f"{table_name} {row_id} changed meanwhile",
            field="version",
            value=version,
            detail_vi=f"{_RECORDS_VI.get(table_name, table_name)} số {row_id} vừa được người "
            "khác thay đổi; hãy tải lại",
        )
    _remember(session, table_name, row_id, version + 1)
    session.expire_all()


def row_as_of(session: Session, table_name: str, row_id: int, when: datetime) -> RowMapping | None:
    """The version in force at ``when`` (with its ``valid_to``); None before the record existed."""
    current = VERSIONED_TABLES[table_name]
    history = HISTORY_TABLES[table_name]
    names = [column.name for column in current.columns]
    live = select(*[current.c[name] for name in names], literal(None).label("valid_to")).where(
        current.c.id == row_id, current.c.valid_from <= when
    )
    old = select(*[history.c[name] for name in names], history.c.valid_to).where(
        history.c.id == row_id, history.c.valid_from <= when, history.c.valid_to > when
    )
    return session.execute(union_all(live, old)).mappings().first()


def row_versions(session: Session, table_name: str, row_id: int) -> list[RowMapping]:
    """Every version of a record, oldest first, the current one last."""
    history = HISTORY_TABLES[table_name]
    old = (
        session.execute(select(history).where(history.c.id == row_id).order_by(history.c.version))
        .mappings()
        .all()
    )
    current = dict(current_row(session, table_name, row_id)) | {"valid_to": None}
    return [*old, current]  # type: ignore[list-item]
