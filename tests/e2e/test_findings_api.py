"""The findings work queue through the API on PostGIS: filter, fix, dismiss, audit."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.app import create_app
from landreg.domain.access import Role
from landreg.services.accounts import create_user
from landreg.services.reconcile import reconcile
from landreg.settings import Settings
from landreg.store.tables import AuditRow, FindingRow
from landreg.store.unit_of_work import UnitOfWork
from tests.serving import take_in_long_an

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data" / "small"
PASSWORD = "correct horse battery"


@pytest.fixture
def client(postgis):
    take_in_long_an(postgis)
    for name, role in (("staff", Role.CADASTRAL_STAFF), ("officer", Role.REGISTRY_OFFICER)):
        with UnitOfWork(postgis) as uow:
            create_user(uow, name, PASSWORD, role, actor="test")
    with TestClient(create_app(Settings(), database=postgis), raise_server_exceptions=False) as c:
        c.database = postgis
        yield c


def _as(client, name):
    token = client.post("/auth/token", data={"username": name, "password": PASSWORD}).json()
    return {"Authorization": f"Bearer {token['access_token']}"}


def _first(client, headers, rule):
    page = client.get("/findings", params={"rule": rule}, headers=headers).json()
    assert page["total"] >= 1, rule
    return page["items"][0]


def test_officers_see_the_queue_filtered(client):
    officer = _as(client, "officer")
    page = client.get("/findings", params={"limit": 5}, headers=officer).json()
    assert page["total"] > 5 and len(page["items"]) == 5
    overlap = _first(client, officer, "GEOM_OVERLAP")
    assert overlap["geometry"]["type"] in ("Polygon", "MultiPolygon")
    west, south = (
        overlap["geometry"]["coordinates"][0][0][0][:2]
        if overlap["geometry"]["type"] == "MultiPolygon"
        else overlap["geometry"]["coordinates"][0][0][:2]
    )
    around = client.get(
        "/findings",
        headers=officer,
        params={"bbox": f"{west - 0.001},{south - 0.001},{west + 0.001},{south + 0.001}"},
    ).json()
    assert overlap["id"] in [item["id"] for item in around["items"]]
    assert client.get("/findings", headers={}).status_code == 401


def test_staff_apply_a_fix_the_parcel_keeps_its_history_and_the_overlap_is_gone(client):
    staff, officer = _as(client, "staff"), _as(client, "officer")
    overlap = _first(client, officer, "GEOM_OVERLAP")
    assert (
        client.post(f"/findings/{overlap['id']}/fix", json={}, headers=officer).status_code == 403
    )
    fixed = client.post(
        f"/findings/{overlap['id']}/fix",
        json={"expected_version": overlap["version"]},
        headers=staff,
    )
    assert fixed.status_code == 200, fixed.text
    assert fixed.json()["status"] == "fixed" and fixed.json()["resolved_by"] == "staff"
    changed = [s["id"] for s in overlap["subjects"]]
    histories = [client.get(f"/parcels/{pid}/history", headers=staff).json() for pid in changed]
    assert sorted(len(h) for h in histories) == [1, 2]
    with UnitOfWork(client.database) as uow:
        reconcile(uow)
        again = uow.session.scalar(select(FindingRow.status).where(FindingRow.id == overlap["id"]))
        still = [
            f.subjects
            for f in uow.session.scalars(
                select(FindingRow).where(
                    FindingRow.status == "open", FindingRow.rule.like("GEOM_OVERLAP%")
                )
            )
        ]
        audited = uow.session.scalars(
            select(AuditRow.action).where(
                AuditRow.entity_type == "finding", AuditRow.entity_id == overlap["id"]
            )
        ).all()
    assert again == "fixed"
    assert not any({s["id"] for s in subjects} == set(changed) for subjects in still)
    assert audited == ["fixed"]


def test_staff_edit_a_parcel_by_hand_and_the_area_finding_is_resolved(client):
    staff = _as(client, "staff")
    finding = _first(client, staff, "ATTR_AREA_MISMATCH")
    [parcel] = [s for s in finding["subjects"] if s["table"] == "parcel"]
    measured = finding["measured"]["measured"]
    outsider = client.post(
        f"/findings/{finding['id']}/edit",
        json={"parcel_id": parcel["id"] + 10_000, "legal_area": measured, "note": "surveyed"},
        headers=staff,
    )
    assert outsider.status_code == 422 and outsider.json()["errors"][0]["field"] == "parcel_id"
    edited = client.post(
        f"/findings/{finding['id']}/edit",
        json={
            "parcel_id": parcel["id"],
            "legal_area": round(measured, 1),
            "note": "legal area corrected after the 2024 survey",
            "expected_version": finding["version"],
        },
        headers=staff,
    )
    assert edited.status_code == 200, edited.text
    assert edited.json()["status"] == "fixed" and "2024 survey" in edited.json()["resolution"]
    history = client.get(f"/parcels/{parcel['id']}/history", headers=staff).json()
    assert [v["version"] for v in history] == [1, 2]
    assert history[-1]["legal_area"] == round(measured, 1)


def test_dismissal_needs_a_reason_and_stays_when_found_again(client):
    staff = _as(client, "staff")
    finding = _first(client, staff, "SRC_LAND_USE_MISMATCH")
    short = client.post(f"/findings/{finding['id']}/dismiss", json={"reason": "no"}, headers=staff)
    assert short.status_code == 422
    done = client.post(
        f"/findings/{finding['id']}/dismiss",
        json={"reason": "state land, no register entry expected"},
        headers=staff,
    )
    assert done.json()["status"] == "dismissed"
    with UnitOfWork(client.database) as uow:
        reconcile(uow)
    kept = client.get(f"/findings/{finding['id']}", headers=staff).json()
    assert kept["status"] == "dismissed" and kept["resolution"].startswith("state land")


def test_acting_on_a_stale_version_is_a_conflict(client):
    staff = _as(client, "staff")
    finding = _first(client, staff, "ATTR_AREA_MISMATCH")
    stale = client.post(
        f"/findings/{finding['id']}/dismiss",
        json={"reason": "checked on site", "expected_version": 99},
        headers=staff,
    )
    assert stale.status_code == 409
    assert stale.headers["content-type"] == "application/problem+json"
    no_fix = client.post(f"/findings/{finding['id']}/fix", json={}, headers=staff)
    assert no_fix.status_code == 422
    assert no_fix.json()["detail"].startswith(
        "quy tắc ATTR_AREA_MISMATCH (Lệch diện tích) không có cách sửa tự động"
    )


def test_a_parcel_record_traces_every_field_to_its_source(client):
    officer = _as(client, "officer")
    overlap = _first(client, officer, "GEOM_OVERLAP")
    parcel_id = overlap["subjects"][0]["id"]
    assert client.get(f"/parcels/{parcel_id}/record").status_code == 401
    record = client.get(f"/parcels/{parcel_id}/record", headers=officer).json()
    fields = record["fields"]
    assert fields["measured_area"]["from"]["file"] == "27694_phuong_long_an.gpkg"
    assert fields["legal_area"]["from"]["file"] == "so_dia_chinh_long_an_cu.xlsx"
    assert fields["legal_area"]["from"]["row"].startswith("27694 Phường Long An!")
    assert (
        record["holders"] and abs(sum(h["share_percent"] for h in record["holders"]) - 100) < 0.01
    )
    assert all(h["matched_by"] == "key" for h in record["holders"])
    assert record["certificates"][0]["serial"]
    assert overlap["id"] in [f["id"] for f in record["findings"]]


def test_a_mortgage_in_the_register_shows_on_the_record(client):
    officer = _as(client, "officer")
    with UnitOfWork(client.database) as uow:
        from landreg.store.tables import ParcelRegisterLinkRow, RegisterEntryRow

        parcel_id = uow.session.scalar(
            select(ParcelRegisterLinkRow.parcel_id)
            .join(RegisterEntryRow, RegisterEntryRow.id == ParcelRegisterLinkRow.register_entry_id)
            .where(RegisterEntryRow.mortgage_holder.is_not(None))
            .limit(1)
        )
    assert parcel_id is not None
    record = client.get(f"/parcels/{parcel_id}/record", headers=officer).json()
    [mortgage] = [r for r in record["restrictions"] if r["kind"] == "mortgage"]
    assert mortgage["holder"].startswith("Ngân hàng") and mortgage["from"]["row"]
