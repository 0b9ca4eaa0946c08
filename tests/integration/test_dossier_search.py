"""The officer's dossier list on PostGIS and SpatiaLite: a search by code, applicant (however
the name was typed or stored), parcel key or certificate serial finds the dossiers it should
and no others; status, procedure and office filters; pages newest first with the total;
overdue and at risk exactly as ``landreg dossiers stats`` reads them.

The dossiers are written here in a shape of their own (another office's codes, names stored
in upper case and decomposed Unicode, serials written with and without spaces), not the
sample's.
"""

from __future__ import annotations

import unicodedata
from datetime import datetime, timedelta

import pytest

from landreg.domain.dossier_clock import Timeliness
from landreg.errors import UnknownReferenceError, ValidationError
from landreg.services.dossier_stats import dossier_stats
from landreg.services.dossiers import DossierQuery, search_dossiers
from landreg.store.tables import (
    CertificateRow,
    DossierEventRow,
    DossierParcelLinkRow,
    DossierRow,
    ParcelRegisterLinkRow,
    ParcelRow,
    RegisterEntryRow,
)
from landreg.store.unit_of_work import UnitOfWork

OFFICE = "QT9.12"
OTHER_OFFICE = "QT9.40"
COMMUNE = "25459"
AS_OF = datetime(2024, 1, 17, 12, 0)


def _add(uow, code, name, received, statuses, *, procedure="transfer", office=OFFICE, **row):
    """A dossier and its history: ``statuses`` (status, hours after receipt) in order."""
    dossier = DossierRow(
        code=code, procedure=procedure, status=statuses[-1][0], office=office,
        applicant_name=name, applicant_identity="079188000123", received_at=received,
        source_name="other-office", source_key=code, version=1, **row,
    )  # fmt: skip
    uow.session.add(dossier)
    uow.session.flush()
    before = None
    for status, hours in statuses:
        uow.session.add(
            DossierEventRow(
                dossier_id=dossier.id, at=received + timedelta(hours=hours), from_status=before,
                to_status=status, actor="tn01",
            )
        )  # fmt: skip
        before = status
    return dossier.id


def _link(uow, dossier_id, parcel_id, status="linked"):
    uow.session.add(
        DossierParcelLinkRow(
            dossier_id=dossier_id, parcel_id=parcel_id, method="key", confidence=0.9,
            status=status,
        )
    )  # fmt: skip


OPEN = [("new", 0), ("received", 0.2), ("processing", 0.5)]


WAITING = [*OPEN, ("additional_documents_requested", 50)]
DONE = [*OPEN, ("processed", 24 * 13)]
OTHER = {"office": OTHER_OFFICE}
DOSSIERS = [
    # received 4 January, 8 working days: due 16 January, overdue on the 17th; the name
    # stored decomposed (NFD)
    ("late", ("QT9.12-240104-0007", unicodedata.normalize("NFD", "Nguyễn Văn Ân"),
              datetime(2024, 1, 4, 9), OPEN), {}),
    # received 8 January: due 18 January, one working day left on the 17th
    ("close", ("QT9.12-240108-0003", "TRẦN THỊ BÍCH NGỌC", datetime(2024, 1, 8, 8), OPEN), {}),
    ("fresh", ("QT9.12-240117-0001", "Trần Văn Đông", datetime(2024, 1, 17, 8), OPEN), {}),
    # waiting for the citizen since the 5th: the clock stopped, not overdue
    ("waiting", ("QT9.12-240103-0002", "Phạm Ngọc Lan", datetime(2024, 1, 3, 9), WAITING), {}),
    # processed late: late, not overdue (it is no longer open)
    ("done", ("QT9.12-240102-0001", "Nguyễn Văn An", datetime(2024, 1, 2, 9), DONE), {}),
    ("mortgage", ("QT9.40-240110-0004", "Lê Minh Ngọc", datetime(2024, 1, 10, 9),
                  [("received", 0)]),
     {**OTHER, "procedure": "mortgage_registration", "declared_serial": "EF 000111"}),
    ("keyed", ("QT9.40-240111-0001", "Đỗ Văn Hùng", datetime(2024, 1, 11, 9), OPEN), OTHER),
    ("rejected", ("QT9.40-240111-0002", "Võ Thị Hạnh", datetime(2024, 1, 11, 10), OPEN), OTHER),
]  # fmt: skip


@pytest.fixture
def dossiers(register_db):
    """Eight dossiers of two offices; one parcel with a certificate and a register entry."""
    with UnitOfWork(register_db) as uow:
        parcel = ParcelRow(commune_code=COMMUNE, map_sheet=71, parcel_number=802)
        entry = RegisterEntryRow(
            commune_code=COMMUNE, map_sheet=71, parcel_number=802, holder_name="Lý Thị Mai",
            certificate_serial="cd-765432",
        )  # fmt: skip
        uow.session.add_all([parcel, entry])
        uow.session.flush()
        uow.session.add_all(
            [
                CertificateRow(serial="AB 123456", parcel_id=parcel.id),
                ParcelRegisterLinkRow(
                    parcel_id=parcel.id, register_entry_id=entry.id, match_type="key", score=1
                ),
            ]
        )
        ids = {key: _add(uow, *dossier, **extra) for key, dossier, extra in DOSSIERS}
        _link(uow, ids["keyed"], parcel.id)
        _link(uow, ids["rejected"], parcel.id, status="rejected")
        uow.commit()
    return register_db


def _codes(database, limit=50, offset=0, **query):
    with UnitOfWork(database) as uow:
        page = search_dossiers(uow, DossierQuery(**query), limit=limit, offset=offset, as_of=AS_OF)
    return [item.code for item in page.items], page.total


def test_an_applicant_is_found_however_the_name_was_typed_or_stored(dossiers):
    # stored decomposed (NFD), typed without diacritics in capitals
    assert _codes(dossiers, text="NGUYEN VAN AN") == (
        ["QT9.12-240104-0007", "QT9.12-240102-0001"], 2,
    )  # fmt: skip
    # stored in capitals with diacritics, typed in lower case with them and extra spaces
    assert _codes(dossiers, text="  trần  thị bích ") == (["QT9.12-240108-0003"], 1)
    assert _codes(dossiers, text="tran dong") == (["QT9.12-240117-0001"], 1)  # đ as d
    assert _codes(dossiers, text="ngoc") == (
        ["QT9.40-240110-0004", "QT9.12-240108-0003", "QT9.12-240103-0002"], 3,
    )  # fmt: skip
    assert _codes(dossiers, text="Nguyễn Thị Ân") == ([], 0)  # every word must be there


def test_a_code_is_found_by_part_in_any_case(dossiers):
    assert _codes(dossiers, text="qt9.12-240104")[0] == ["QT9.12-240104-0007"]
    assert _codes(dossiers, text=" qt9.40 – 240111 ")[0] == [
        "QT9.40-240111-0002", "QT9.40-240111-0001",
    ]  # fmt: skip
    assert _codes(dossiers, text="QT9.12-240104-0099") == ([], 0)


def test_a_parcel_key_or_serial_finds_the_dossiers_linked_to_that_parcel(dossiers):
    keyed = ["QT9.40-240111-0001"]  # the rejected link does not count
    assert _codes(dossiers, text=f"{COMMUNE}-71-802")[0] == keyed
    assert _codes(dossiers, text=f"{COMMUNE}/71/802")[0] == keyed
    assert _codes(dossiers, text="ab123456")[0] == keyed  # the certificate of the parcel
    assert _codes(dossiers, text="CD 765432")[0] == keyed  # the register's entry for it
    assert _codes(dossiers, text="ef000111")[0] == ["QT9.40-240110-0004"]  # written on it
    assert _codes(dossiers, text=f"{COMMUNE}-71-803") == ([], 0)


def test_filters_and_pages_newest_first_with_the_total(dossiers):
    first, total = _codes(dossiers, office="qt9.12", limit=2)
    assert total == 5 and first == ["QT9.12-240117-0001", "QT9.12-240108-0003"]
    second, _ = _codes(dossiers, office="QT9.12", limit=2, offset=2)
    assert second == ["QT9.12-240104-0007", "QT9.12-240103-0002"]
    assert _codes(dossiers, office="QT9.12", limit=2, offset=6) == ([], 5)
    # a procedure by its Vietnamese name without diacritics, a status by its label
    assert _codes(dossiers, procedure="dang ky the chap quyen su dung dat")[0] == [
        "QT9.40-240110-0004"
    ]
    assert _codes(dossiers, status="Yêu cầu bổ sung hồ sơ")[0] == ["QT9.12-240103-0002"]
    assert _codes(dossiers, status="processing", office="QT9.40", text="hung")[0] == [
        "QT9.40-240111-0001"
    ]


def test_overdue_and_at_risk_are_those_of_the_statistics(dossiers):
    # the mortgage is due within three working days of the 10th: overdue too
    overdue, total = _codes(dossiers, timeliness="overdue")
    assert overdue == ["QT9.40-240110-0004", "QT9.12-240104-0007"] and total == 2
    assert _codes(dossiers, timeliness="at_risk") == (["QT9.12-240108-0003"], 1)
    with UnitOfWork(dossiers) as uow:
        stats = dossier_stats(uow, as_of=AS_OF)
        page = search_dossiers(uow, DossierQuery(), limit=50, offset=0, as_of=AS_OF)
    watched = {(w.code, w.timeliness.value) for w in stats.watch}
    assert watched == {
        ("QT9.12-240104-0007", "overdue"), ("QT9.40-240110-0004", "overdue"),
        ("QT9.12-240108-0003", "at_risk"),
    }  # fmt: skip
    lines = {item.code: item for item in page.items}
    assert lines["QT9.12-240104-0007"].due_on.isoformat() == "2024-01-16"
    assert lines["QT9.12-240102-0001"].timeliness == Timeliness.LATE.value
    assert lines["QT9.12-240103-0002"].timeliness == Timeliness.ON_TRACK.value  # paused
    assert lines["QT9.12-240103-0002"].status_label_vi == "Yêu cầu bổ sung hồ sơ"
    assert lines["QT9.40-240110-0004"].procedure_name_vi == "Đăng ký thế chấp quyền sử dụng đất"
    # combined with the other filters
    assert _codes(dossiers, timeliness="overdue", office=OTHER_OFFICE) == (
        ["QT9.40-240110-0004"], 1,
    )  # fmt: skip
    assert _codes(dossiers, timeliness="overdue", text="an", limit=1, offset=0) == (
        ["QT9.12-240104-0007"], 1,
    )  # fmt: skip
    assert _codes(dossiers, timeliness="overdue", status="processed") == ([], 0)


def test_an_unknown_status_or_procedure_is_refused_in_both_languages(dossiers):
    with pytest.raises(ValidationError) as caught:
        _codes(dossiers, status="đang chờ")
    assert caught.value.field == "status" and "Đang xử lý" in caught.value.detail_vi
    with pytest.raises(UnknownReferenceError) as caught:
        _codes(dossiers, procedure="bán nhà")
    assert caught.value.field == "procedure" and "Chuyển nhượng" in caught.value.detail_vi
