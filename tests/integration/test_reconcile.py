"""Reconciliation on PostGIS, measured against the sample data's ground truth."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from landreg.domain.delivery import IngestOptions
from landreg.services.database import upgrade_database
from landreg.services.reconcile import reconcile
from landreg.services.sources import ingest_folder
from landreg.settings import CadastreSettings, DatabaseSettings
from landreg.store.database import RegisterDatabase
from landreg.store.tables import FindingRow, ParcelRegisterLinkRow
from landreg.store.unit_of_work import UnitOfWork
from tests.ground_truth import SAMPLE, score_findings, table


def _open_findings(database):
    with UnitOfWork(database) as uow:
        return [
            (f.rule, f.subjects)
            for f in uow.session.scalars(select(FindingRow).where(FindingRow.status == "open"))
        ]


def test_every_planted_defect_is_found_and_findings_are_precise(sample_register):
    database, _ = sample_register
    scores = score_findings(_open_findings(database))
    print("\n" + table(scores))
    planted = [s for s in scores if s.planted]
    # every defect kind of the map and the register, and the national identifier collisions
    # of exact duplicates
    assert len(planted) == 17
    assert all(s.recall == 1.0 for s in planted), table(scores)
    total_true, total = sum(s.true for s in scores), sum(s.findings for s in scores)
    assert total_true / total >= 0.98, table(scores)
    assert all(s.precision >= 0.9 for s in scores), table(scores)


def test_register_entries_are_linked_to_map_parcels_by_key(sample_register):
    database, summary = sample_register
    assert summary.links["key"] > 4000
    with UnitOfWork(database) as uow:
        kinds = set(uow.session.scalars(select(ParcelRegisterLinkRow.match_type)))
    assert "key" in kinds


def test_findings_explain_themselves_in_both_languages_with_a_location(sample_register):
    database, _ = sample_register
    with UnitOfWork(database) as uow:
        overlap = uow.session.scalars(
            select(FindingRow).where(FindingRow.rule == "GEOM_OVERLAP").limit(1)
        ).one()
        assert "chồng lấn" in overlap.message_vi and "overlaps" in overlap.message_en
        assert overlap.measured["area"] > 1.0 and overlap.geom is not None
        assert overlap.suggestion["fix"] == "snap_to_neighbour"
        assert {s["table"] for s in overlap.subjects} == {"parcel"}


def test_running_again_keeps_findings_and_what_staff_did(sample_register):
    database, first = sample_register
    with UnitOfWork(database) as uow:
        dismissed = uow.session.scalars(
            select(FindingRow.id).where(FindingRow.rule == "GEOM_GAP").limit(1)
        ).one()
        uow.session.execute(
            update(FindingRow)
            .where(FindingRow.id == dismissed)
            .values(status="dismissed", resolution="survey confirms a drainage ditch")
        )
        uow.commit()
    with UnitOfWork(database) as uow:
        again = reconcile(uow)
    assert (again.opened, again.closed, again.still_open) == (0, 0, first.opened)
    with UnitOfWork(database) as uow:
        status = uow.session.scalar(select(FindingRow.status).where(FindingRow.id == dismissed))
    assert status == "dismissed"


def test_partitioned_whole_and_parallel_runs_find_the_same(sample_register):
    database, _ = sample_register
    from landreg.services.geometry_checks import GeometrySettings, geometry_candidates
    from landreg.store.reconcile_repository import ReconcileRepository

    with UnitOfWork(database) as uow:
        repository = ReconcileRepository(uow.session)
        parcels, strips, communes = (
            repository.parcels(),
            repository.strips(),
            repository.communes(),
        )
    whole = geometry_candidates(parcels, strips, communes, GeometrySettings(), partitioned=False)
    parts = geometry_candidates(parcels, strips, communes, GeometrySettings(), partitioned=True)
    shared = geometry_candidates(parcels, strips, communes, GeometrySettings(workers=2))
    assert sorted(c.fingerprint for c in whole) == sorted(c.fingerprint for c in parts)
    assert sorted(c.fingerprint for c in shared) == sorted(c.fingerprint for c in parts)
    assert len(whole) > 30


def test_every_finding_with_a_map_parcel_behind_it_has_a_place_on_the_map(sample_register):
    database, _ = sample_register
    with UnitOfWork(database) as uow:
        unplaced = set(
            uow.session.scalars(
                select(FindingRow.rule).where(
                    FindingRow.status == "open", FindingRow.geom.is_(None)
                )
            )
        )
    # only register rows that no map parcel matches have nowhere to be shown
    assert unplaced == {"SRC_REGISTER_WITHOUT_MAP"}, unplaced


@pytest.fixture(scope="module")
def sample_register_spatialite(tmp_path_factory):
    """The same sample set reconciled on the embedded SpatiaLite default."""
    path = tmp_path_factory.mktemp("reconcile") / "register.sqlite"
    database = RegisterDatabase.from_settings(DatabaseSettings(database_url=f"sqlite:///{path}"))
    upgrade_database(database, CadastreSettings())
    ingest_folder(database, SAMPLE, IngestOptions(), confirm_crs=True)
    with UnitOfWork(database) as uow:
        summary = reconcile(uow)
    yield summary
    database.engine.dispose()


def test_the_embedded_default_finds_the_same_as_postgis(
    sample_register, sample_register_spatialite
):
    _, on_postgis = sample_register
    assert sample_register_spatialite.found == on_postgis.found
    # each planted gap is one finding, whichever way the coverage union saw it
    assert on_postgis.found["GEOM_GAP"] == 5
