"""The national parcel identifier on the citizen's answer, on PostGIS: after the verification,
the JSON and the page give the identifier of the parcel the dossier is linked to (a link made
or confirmed, never one awaiting review) and nothing else about the parcel; a wrong
verification reads as an unknown code, without it; both read paths agree."""

from __future__ import annotations

import asyncio
import re
from datetime import datetime, timedelta
from html import unescape

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.app import create_app
from landreg.domain.dossier_deadline import LOCAL_TIME
from landreg.services.public_status import public_dossier_status
from landreg.settings import Settings
from landreg.store.reads.factory import reads_for, session_reads
from landreg.store.tables import (
    DossierEventRow,
    DossierParcelLinkRow,
    DossierRow,
    ParcelRow,
    PartyRow,
    RightRow,
)
from landreg.store.unit_of_work import UnitOfWork
from tests.serving import take_in_long_an

LINKED = "H55.703-250301-0001"  # linked to one parcel automatically
CONFIRMED = "H55.703-250301-0002"  # two parcels, an officer confirmed them
REVIEW = "H55.703-250301-0003"  # one candidate parcel, not yet reviewed
ALONE = "H55.703-250301-0004"  # linked to nothing
NOBODY = "H55.703-250301-0999"  # no such dossier, same length as the others
IDENTITY = "072090123456"
VERIFY = IDENTITY[-4:]


def _dossier(uow: UnitOfWork, code: str, links: list[tuple[int, str]]) -> None:
    received = datetime.now(LOCAL_TIME).replace(tzinfo=None, microsecond=0) - timedelta(days=1)
    dossier = DossierRow(
        code=code, procedure="transfer", status="processing", office="H55.703",
        applicant_name="Trần Văn Bình", applicant_identity=IDENTITY, applicant_phone="0912345678",
        declared_commune="Phường Long An", received_at=received, source_name="counter",
        source_key=code, version=1,
    )  # fmt: skip
    uow.session.add(dossier)
    uow.session.flush()
    uow.session.add(
        DossierEventRow(dossier_id=dossier.id, at=received, actor="lan", to_status="processing")
    )
    for parcel_id, status in links:
        uow.session.add(
            DossierParcelLinkRow(
                dossier_id=dossier.id, parcel_id=parcel_id, method="key", confidence=0.9,
                status=status,
            )
        )  # fmt: skip


@pytest.fixture
def register(postgis):
    """Phường Long An reconciled (its parcels have identifiers), and four dossiers."""
    take_in_long_an(postgis)
    with UnitOfWork(postgis) as uow:
        held = uow.session.execute(
            select(ParcelRow.id, ParcelRow.national_id, ParcelRow.commune_code,
                   ParcelRow.map_sheet, ParcelRow.parcel_number)
            .where(ParcelRow.national_id.is_not(None),
                   ParcelRow.id.in_(select(RightRow.parcel_id)))
            .order_by(ParcelRow.id).limit(4)
        ).all()  # fmt: skip
        _dossier(uow, LINKED, [(held[0].id, "linked")])
        _dossier(uow, CONFIRMED, [(held[1].id, "confirmed"), (held[2].id, "confirmed")])
        _dossier(uow, REVIEW, [(held[3].id, "review")])
        _dossier(uow, ALONE, [])
        holders = uow.session.scalars(
            select(PartyRow.name)
            .join(RightRow, RightRow.party_id == PartyRow.id)
            .where(RightRow.parcel_id == held[0].id)
        ).all()
        uow.commit()
    postgis.parcels = held
    postgis.holders = holders
    return postgis


@pytest.fixture
def client(register):
    with TestClient(create_app(Settings(), database=register), raise_server_exceptions=False) as c:
        yield c


def _look(client, code, verify=VERIFY):
    return client.get(f"/public/dossiers/{code}", params={"verify": verify})


def _page(client, code, verify=VERIFY, **params):
    return client.get("/tra-cuu", params={"ma": code, "xac_minh": verify, **params})


def _text(html: str) -> str:
    body = re.sub(r"(?s)<(script|style)\b.*?</\1>", " ", html)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", body)).split())


def test_the_answer_gives_the_linked_parcels_identifier_and_nothing_else_of_it(client, register):
    parcel = register.parcels[0]
    answer = _look(client, LINKED)
    assert answer.status_code == 200, answer.text
    assert answer.json()["national_ids"] == [parcel.national_id]
    assert set(answer.json()) == {
        "code", "status", "current_step", "procedure", "office", "received_at", "due_on",
        "overdue", "timeliness", "processed_on", "returned_on", "missing_documents",
        "requested_on", "national_ids",
    }  # fmt: skip
    key = f"{parcel.commune_code}-{parcel.map_sheet}-{parcel.parcel_number}"
    assert len(register.holders) >= 1
    for hidden in (key, *register.holders):
        assert hidden not in answer.text, hidden

    page = _page(client, LINKED)
    assert page.status_code == 200
    assert f"Mã định danh thửa đất: {parcel.national_id}" in _text(page.text)
    for hidden in (key, *register.holders):
        assert hidden not in page.text, hidden
    english = _page(client, LINKED, lang="en")
    assert f"National parcel identifier: {parcel.national_id}" in _text(english.text)
    assert "Mã định danh thửa đất" not in english.text


def test_every_confirmed_parcel_is_named_in_order(client, register):
    both = sorted(p.national_id for p in register.parcels[1:3])
    assert _look(client, CONFIRMED).json()["national_ids"] == both
    text = _text(_page(client, CONFIRMED, lang="en").text)
    assert re.search(rf"National parcel identifiers: {both[0]} ?, {both[1]}", text)


def test_a_wrong_verification_reads_as_an_unknown_code_without_the_identifier(client, register):
    national_id = register.parcels[0].national_id
    wrong, unknown = _look(client, LINKED, "0000"), _look(client, NOBODY)
    assert wrong.status_code == unknown.status_code == 404
    assert wrong.content.replace(LINKED.encode(), b"CODE") == unknown.content.replace(
        NOBODY.encode(), b"CODE"
    )
    assert dict(wrong.headers) == dict(unknown.headers)
    wrong_page, unknown_page = _page(client, LINKED, "0000"), _page(client, NOBODY)
    assert wrong_page.status_code == unknown_page.status_code == 404
    assert wrong_page.text.replace(LINKED, "") == unknown_page.text.replace(NOBODY, "")
    for answer in (wrong, wrong_page):
        assert national_id not in answer.text and "định danh thửa" not in answer.text


def test_no_identifier_without_a_held_link(client, register):
    for code in (ALONE, REVIEW):  # linked to nothing; a candidate nobody has reviewed
        body = _look(client, code).json()
        assert body["code"] == code and body["national_ids"] == []
        page = _page(client, code)
        assert page.status_code == 200 and "Mã định danh thửa đất" not in page.text
    assert register.parcels[3].national_id not in _page(client, REVIEW).text


def test_both_read_paths_give_the_same_identifiers(register):
    async def read(reads):
        await reads.open()
        try:
            return {
                code: (await public_dossier_status(reads.status, code, VERIFY)).national_ids
                for code in (LINKED, CONFIRMED, REVIEW, ALONE)
            }
        finally:
            await reads.close()

    statement = asyncio.run(read(reads_for(register, size=2, timeout=10)))
    orm = asyncio.run(read(session_reads(register)))
    want = {
        LINKED: (register.parcels[0].national_id,),
        CONFIRMED: tuple(sorted(p.national_id for p in register.parcels[1:3])),
        REVIEW: (),
        ALONE: (),
    }
    assert statement == want and orm == want
