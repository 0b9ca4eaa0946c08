"""The one-statement look-ups on their own connection pool (PostGIS, as served) say exactly
what the ORM path says, for the sample's parcels and every kind of dossier."""

from __future__ import annotations

import asyncio
import json
import re
import time

import pytest
from sqlalchemy import func, select

import shapely

from api.schemas import ParcelOut
from landreg.domain.map_features import FeatureRequest, MapLayerName
from landreg.errors import DatabaseUnavailableError, NotFoundError
from landreg.services.dossier_links import link_all
from landreg.services.public_status import public_dossier_status
from landreg.settings import DatabaseSettings
from landreg.store.database import RegisterDatabase
from landreg.store.reads.factory import Reads, reads_for, session_reads
from landreg.store.reads.lookups import PooledLookups
from landreg.store.tables import DossierParcelLinkRow, DossierRow, FindingRow, ParcelRow
from landreg.store.unit_of_work import UnitOfWork


@pytest.fixture(scope="module")
def linked(sample_register) -> RegisterDatabase:
    database, _ = sample_register
    with UnitOfWork(database) as uow:
        link_all(uow)
        uow.commit()
    return database


def _pooled(database: RegisterDatabase) -> Reads:
    reads = reads_for(database, size=4, timeout=10)
    assert isinstance(reads.lookups, PooledLookups)  # a served register, not one bound to a test
    return reads


async def _on_pool(database: RegisterDatabase, work):
    reads = _pooled(database)
    await reads.open()
    try:
        return await work(reads)
    finally:
        await reads.close()


async def _by_orm(database: RegisterDatabase, work):
    return await work(session_reads(database))


def _verification(identity: str | None, phone: str | None) -> str | None:
    for value in (identity, phone):
        digits = re.sub(r"\D", "", value or "")
        if len(digits) >= 4:
            return digits[-4:]
    return None


def test_citizens_status_in_one_statement_is_the_orm_answer(linked):
    with UnitOfWork(linked) as uow:
        rows = uow.session.execute(
            select(DossierRow.id, DossierRow.code, DossierRow.applicant_identity,
                   DossierRow.applicant_phone).order_by(DossierRow.id)
        ).all()  # fmt: skip
        held = set(uow.session.scalars(select(DossierParcelLinkRow.dossier_id)))
    asked, linked_too = [], set()
    for row in rows[::4]:
        verify = _verification(row.applicant_identity, row.applicant_phone)
        if verify:
            asked.append((row.code, verify))
            linked_too.add(row.id in held)
    assert linked_too == {True, False}  # dossiers with and without a parcel linked

    async def look(reads):
        return [await public_dossier_status(reads.status, c, v) for c, v in asked]

    expected = asyncio.run(_by_orm(linked, look))
    got = asyncio.run(_on_pool(linked, look))
    assert got == expected
    kinds = {answer.timeliness for answer in got}
    assert len(kinds) >= 3  # early, on time, late, open… not one kind only
    assert any(answer.missing_documents for answer in got)


def test_a_wrong_verification_is_an_unknown_code_on_the_pool(linked):
    with UnitOfWork(linked) as uow:
        row = uow.session.execute(
            select(DossierRow.code, DossierRow.applicant_identity, DossierRow.applicant_phone)
            .where(DossierRow.applicant_identity.is_not(None))
            .limit(1)
        ).one()
    right = _verification(row.applicant_identity, row.applicant_phone)
    phone = _verification(row.applicant_phone, None)
    # the next four digits that are neither the identity number's nor the phone's
    wrong = next(
        candidate for n in range(1, 3) if (candidate := f"{(int(right) + n) % 10_000:04d}") != phone
    )

    async def look(reads):
        answers = []
        for code, verify in ((row.code, wrong), ("H55.000-000000-0000", right)):
            with pytest.raises(NotFoundError) as refused:
                await public_dossier_status(reads.status, code, verify)
            answers.append(str(refused.value))
        found = await public_dossier_status(reads.status, row.code.lower(), right)
        return answers, found

    (for_wrong, for_unknown), found = asyncio.run(_on_pool(linked, look))
    assert for_wrong == for_unknown
    assert found.code == row.code


def test_parcels_in_one_statement_on_the_pool_are_the_model_answer(linked):
    with UnitOfWork(linked) as uow:
        ids = uow.session.scalars(
            select(ParcelRow.id).where(ParcelRow.geom.is_not(None)).order_by(ParcelRow.id).limit(20)
        ).all()
        models = [
            ParcelOut.from_parcel(uow.parcels.get(i), 9209, 9209).model_dump(mode="json")
            for i in ids
        ]

    async def look(reads):
        return [await reads.parcels.by_id(p["id"], None, 9209) for p in models]

    answers = [json.loads(text) for text in asyncio.run(_on_pool(linked, look))]
    for got, want in zip(answers, models, strict=True):
        assert got["key"] == want["key"] and got["version"] == want["version"]
        assert got["measured_area"] == pytest.approx(want["measured_area"])
        assert got["geometry"]["type"] == want["geometry"]["type"]


def test_a_database_refusing_connections_is_unavailable_at_once():
    """Not after the pool's wait: each look-up connects on its own until one succeeds."""
    nowhere = RegisterDatabase.from_settings(
        DatabaseSettings(database_url="postgresql+psycopg://nobody@127.0.0.1:1/none")
    )
    reads = reads_for(nowhere, size=2, timeout=60)
    assert isinstance(reads.lookups, PooledLookups)

    async def look():
        await reads.open()
        try:
            started = time.monotonic()
            with pytest.raises(DatabaseUnavailableError):
                await reads.parcels.by_id(1, None, 4326)
            return time.monotonic() - started
        finally:
            await reads.close()

    assert asyncio.run(look()) < 30  # far under the pool's 60 s wait


def test_map_features_on_the_pool_are_the_session_answer(linked):
    """OGC API pages and features: the compiled statements on the pool, with and without a
    box, in each published CRS and axis order, say what the ORM session says."""
    with UnitOfWork(linked) as uow:
        first = uow.session.scalar(select(ParcelRow.id).order_by(ParcelRow.id))
        spot = func.ST_PointOnSurface(FindingRow.geom)
        x, y = uow.session.execute(
            select(func.ST_X(spot), func.ST_Y(spot))
            .where(FindingRow.status == "open", FindingRow.geom.is_not(None))
            .order_by(FindingRow.id).limit(1)
        ).one()  # fmt: skip
    frame = shapely.Point(x, y).buffer(300, quad_segs=2)
    asked = [
        (layer, FeatureRequest(out, swap, box, 10, offset))
        for layer in (MapLayerName.PARCELS, MapLayerName.FINDINGS)
        for out, swap in ((4326, False), (4326, True), (9209, False))
        for box, offset in ((None, 0), (frame, 0), (frame, 5))
    ]

    async def look(reads):
        found = [await reads.map.feature_page(layer, wanted) for layer, wanted in asked]
        return found, await reads.map.feature(MapLayerName.PARCELS, first, FeatureRequest(4326))

    pages, one = asyncio.run(_by_orm(linked, look))
    got, got_one = asyncio.run(_on_pool(linked, look))
    assert got == pages and got_one == one
    assert all(page.returned for page in pages)  # every page had features to compare
