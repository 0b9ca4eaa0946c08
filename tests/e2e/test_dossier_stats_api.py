"""``GET /stats/dossiers`` through the real app on the whole sample data set."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.app import create_app
from api.routes import stats
from landreg.domain.access import Role
from landreg.services.accounts import create_user
from landreg.settings import Settings
from landreg.store.database import RegisterDatabase
from landreg.store.tables import DossierRow
from landreg.store.unit_of_work import UnitOfWork
from tests.ground_truth import dossier_truth

PASSWORD = "correct horse battery"
ROLES = {
    "staff": Role.CADASTRAL_STAFF,
    "officer": Role.REGISTRY_OFFICER,
    "citizen": Role.CITIZEN,
}


@pytest.fixture
def client(sample_register):
    """The app over the sample register; the users made here are rolled back afterwards."""
    engine = sample_register[0].engine
    connection = engine.connect()
    outer = connection.begin()
    database = RegisterDatabase(engine, bind=connection)
    for name, role in ROLES.items():
        with UnitOfWork(database) as uow:
            create_user(uow, name, PASSWORD, role, actor="test")
    app = create_app(Settings(), database=database)
    if not any(getattr(route, "path", None) == "/stats/dossiers" for route in app.routes):
        app.include_router(stats.router)
    with TestClient(app, raise_server_exceptions=False) as c:
        c.database = database
        yield c
    outer.rollback()
    connection.close()


def _as(client, name):
    token = client.post("/auth/token", data={"username": name, "password": PASSWORD}).json()
    return {"Authorization": f"Bearer {token['access_token']}"}


def test_staff_and_officers_read_the_statistics(client):
    response = client.get(
        "/stats/dossiers", params={"as_of": "2024-01-05"}, headers=_as(client, "staff")
    )
    assert response.status_code == 200, response.text
    body = response.json()
    totals = body["totals"]
    assert totals["dossiers"] == len(dossier_truth())
    assert totals["processed"] == totals["early"] + totals["on_time"] + totals["late"]
    assert totals["on_time_rate"] == pytest.approx(
        100 * (totals["early"] + totals["on_time"]) / totals["processed"]
    )
    assert sum(g["dossiers"] for g in body["by_procedure"]) == totals["dossiers"]
    overdue = [w for w in body["watch"] if w["timeliness"] == "overdue"]
    assert "H55.794-231207-0001" in {w["code"] for w in overdue}
    assert all(w["status_vi"] and w["working_days_late"] > 0 for w in overdue)
    assert body["unreadable"] and all(u["reason"] for u in body["unreadable"])
    drafted = [a for a in body["apologies"] if not a["recorded"]]
    assert drafted and all(a["new_return_date"] == "2024-01-10" for a in drafted)
    assert (
        body["due_dates"]["disagree"] == body["due_dates"]["compared"] - body["due_dates"]["agree"]
    )
    officer = client.get(
        "/stats/dossiers",
        params={"as_of": "2024-01-05", "office": "H55.794", "procedure": "transfer"},
        headers=_as(client, "officer"),
    )
    assert officer.status_code == 200
    assert [g["key"] for g in officer.json()["by_office"]] == ["H55.794"]
    assert [g["key"] for g in officer.json()["by_procedure"]] == ["transfer"]


def test_no_personal_data_leaves_the_register(client):
    body = client.get(
        "/stats/dossiers", params={"as_of": "2024-01-05"}, headers=_as(client, "staff")
    ).json()
    text = json.dumps(body, ensure_ascii=False)
    with UnitOfWork(client.database) as uow:
        rows = uow.session.execute(
            select(
                DossierRow.applicant_name, DossierRow.applicant_identity, DossierRow.applicant_phone
            )
        ).all()
    personal = {value for row in rows for value in row if value and len(value) >= 6}
    assert len(personal) > 1000
    assert [value for value in personal if value in text] == []
    for key in ("applicant_name", "applicant_identity", "applicant_phone", "letter"):
        assert key not in text


def test_anonymous_callers_and_citizens_are_refused(client):
    anonymous = client.get("/stats/dossiers")
    assert anonymous.status_code == 401
    assert anonymous.headers["content-type"] == "application/problem+json"
    citizen = client.get("/stats/dossiers", headers=_as(client, "citizen"))
    assert citizen.status_code == 403
    assert citizen.json()["status"] == 403


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"as_of": "05/01/2024"}, "as_of"),
        ({"as_of": "2024-13-45"}, "as_of"),
        ({"as_of": "2055-01-01"}, "date"),
        ({"procedure": "teleportation"}, "procedure"),
    ],
)
def test_bad_queries_are_problem_details(client, params, field):
    response = client.get("/stats/dossiers", params=params, headers=_as(client, "staff"))
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == 422 and problem["errors"][0]["field"] == field
