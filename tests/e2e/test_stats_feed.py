"""The operations centre's feed (``GET /stats/*``) through the real app on a committed copy
of the reconciled sample register: its dossier figures equal ``landreg dossiers stats``
run as a real process on the same database, its quality figures equal counts made here from
the finding rows, a finding closed through the API moves the week series in the right week,
answers are cacheable for a minute with a strong ETag, and only officers, staff, leaders and
administrators (bearer token or API key) read it.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from api.app import create_app
from landreg.domain.access import Role
from landreg.services.accounts import create_api_key, create_user
from landreg.settings import DatabaseSettings, Settings
from landreg.store.database import RegisterDatabase
from landreg.store.tables import FindingRow, ParcelRegisterLinkRow, ParcelRow
from landreg.store.unit_of_work import UnitOfWork
from tests.conftest import _drop_database, copy_database

AS_OF = "2024-01-05"
PASSWORD = "Mat-khau-bang-tong-quan"
ACCOUNTS = {
    "lanh_dao": Role.LEADER,
    "dia_chinh": Role.CADASTRAL_STAFF,
    "mot_cua": Role.REGISTRY_OFFICER,
    "cong_dan": Role.CITIZEN,
}
LOCAL = timedelta(hours=7)


@pytest.fixture(scope="module")
def feed(sample_register) -> Iterator[dict[str, Any]]:
    """The app over a copy of the sample register, an account per role and a leader's key."""
    url = copy_database(sample_register[0], f"landreg_test_feed_{os.getpid()}")
    database = RegisterDatabase.from_settings(DatabaseSettings(database_url=url))
    for name, role in ACCOUNTS.items():
        with UnitOfWork(database) as uow:
            create_user(uow, name, PASSWORD, role, actor="test")
    with UnitOfWork(database) as uow:
        key = create_api_key(uow, "ioc-tinh", Role.LEADER, actor="test")
    app = create_app(Settings(), database=database)
    with TestClient(app, raise_server_exceptions=False) as client:
        headers = {"key": {"X-API-Key": key}}
        for name in ACCOUNTS:
            form = {"username": name, "password": PASSWORD}
            token = client.post("/auth/token", data=form).json()["access_token"]
            headers[name] = {"Authorization": f"Bearer {token}"}
        yield {"client": client, "url": url, "database": database, "headers": headers}
    database.engine.dispose()
    _drop_database(url)


def _command(url: str, *args: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "cli", *args],
        env={**os.environ, "LANDREG_DATABASE_URL": url},
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


_COUNTS = ("dossiers", "early", "on_time", "late", "on_track", "at_risk", "overdue",
           "not_counted", "on_time_rate")  # fmt: skip


def _as_feed(key: str, counts: dict[str, Any]) -> dict[str, Any]:
    """A group of the command's JSON written as the feed writes it."""
    out = {"key": key, **{name: counts[name] for name in _COUNTS}}
    out["not_readable"] = counts["unreadable"]
    out["processed"] = counts["early"] + counts["on_time"] + counts["late"]
    return out


def test_the_dossier_feed_equals_the_command_on_the_same_database(feed):
    answer = feed["client"].get(
        "/stats/dossiers", params={"as_of": AS_OF}, headers=feed["headers"]["key"]
    )
    assert answer.status_code == 200, answer.text
    got = answer.json()
    want = _command(feed["url"], "dossiers", "stats", "--format", "json", "--as-of", AS_OF)

    assert got["as_of"] == "2024-01-05T23:59:59+07:00"
    assert want["as_of"] == "2024-01-05 23:59:59"
    assert got["time_zone"] == want["time_zone"] == "Asia/Ho_Chi_Minh"
    for field in ("office", "procedure", "filed_after_as_of", "histories_cut", "by_week"):
        assert got[field] == want[field], field
    assert got["totals"] == _as_feed("total", want["totals"])
    for field in ("by_procedure", "by_office", "by_month"):
        assert got[field] == [_as_feed(g["key"], g["counts"]) for g in want[field]], field
    watched = ("code", "procedure", "office", "timeliness", "due_date", "working_days_late",
               "paused", "status")  # fmt: skip
    assert [{k: w[k] for k in watched} for w in got["watch"]] == [
        {k: w[k] for k in watched} for w in want["watch"]
    ]
    owed = ("code", "procedure", "office", "timeliness", "due_date", "working_days_late",
            "recorded", "new_return_date")  # fmt: skip
    assert [{k: a[k] for k in owed} for a in got["apologies"]] == [
        {k: a[k] for k in owed} for a in want["apologies"]
    ]
    assert got["unreadable"] == want["unreadable"]
    assert got["due_dates"] == want["due_dates"]
    # The weeks add up, and every week from the first receipt to as_of is there.
    weeks = got["by_week"]
    assert sum(w["received"] for w in weeks) == got["totals"]["dossiers"]
    assert sum(w["processed"] for w in weeks) == got["totals"]["processed"]
    mondays = [date.fromisoformat(w["starts_on"]) for w in weeks]
    assert all(b - a == timedelta(days=7) for a, b in itertools.pairwise(mondays))
    assert weeks[-1]["week"] == "2024-W01" and mondays[-1] == date(2024, 1, 1)


def _open_rows(database: RegisterDatabase, moment_utc: datetime) -> list[Any]:
    """Findings open at ``moment_utc`` (rule, severity, commune_code, subjects), read
    straight from the finding table."""
    table = FindingRow
    with UnitOfWork(database) as uow:
        rows = uow.session.execute(
            select(table.rule, table.severity, table.commune_code, table.subjects,
                   table.closed_at).where(table.created_at <= moment_utc)
        ).all()  # fmt: skip
    return [r for r in rows if r.closed_at is None or r.closed_at > moment_utc]


def _named_parcels(database: RegisterDatabase, rows: list[Any]) -> set[int]:
    """Current parcels the rows name, directly or through a linked register entry."""
    parcels = {s["id"] for r in rows for s in r.subjects if s["table"] == "parcel"}
    entries = {s["id"] for r in rows for s in r.subjects if s["table"] == "register_entry"}
    with UnitOfWork(database) as uow:
        linked = uow.session.scalars(
            select(ParcelRegisterLinkRow.parcel_id).where(
                ParcelRegisterLinkRow.register_entry_id.in_(entries)
            )
        )
        named = parcels | set(linked)
        return set(uow.session.scalars(select(ParcelRow.id).where(ParcelRow.id.in_(named))))


def test_quality_figures_equal_counts_made_from_the_finding_rows(feed):
    today = (datetime.now(UTC) + LOCAL).date()
    answer = feed["client"].get(
        "/stats/quality", params={"as_of": today.isoformat()}, headers=feed["headers"]["lanh_dao"]
    )
    assert answer.status_code == 200, answer.text
    got = answer.json()
    end_utc = datetime.combine(today, datetime.max.time()).replace(microsecond=0) - LOCAL
    rows = _open_rows(feed["database"], end_utc)
    errors = [r for r in rows if r.severity == "error"]
    with UnitOfWork(feed["database"]) as uow:
        parcels = Counter(uow.session.scalars(select(ParcelRow.commune_code)))
    assert got["as_of"] == f"{today.isoformat()}T23:59:59+07:00"
    assert got["open_findings"] == len(rows) > 0
    assert got["open_errors"] == len(errors) > 0
    assert got["open_warnings"] == len(rows) - len(errors)
    assert {r["rule"]: r["open"] for r in got["by_rule"]} == Counter(r.rule for r in rows)
    by_commune = {c["code"]: c for c in got["by_commune"]}
    assert {k: c["open"] for k, c in by_commune.items() if c["open"]} == Counter(
        r.commune_code for r in rows
    )
    for code, count in parcels.items():
        commune = by_commune[code]
        opened = sum(1 for r in errors if r.commune_code == code)
        assert (commune["parcels"], commune["open_errors"]) == (count, opened), code
        assert commune["errors_per_1000"] == pytest.approx(opened * 1000 / count)
    named = _named_parcels(feed["database"], errors)
    assert got["parcels"] == sum(parcels.values())
    assert got["parcels_with_open_errors"] == len(named)
    assert got["share_without_open_errors"] == pytest.approx(
        100 * (got["parcels"] - len(named)) / got["parcels"]
    )
    # The sample was reconciled after it was taken in: every parcel is checked.
    assert got["parcels_checked"] == got["parcels"]
    assert got["weeks"][-1]["open"] == len(rows)


def _week_of(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def test_a_finding_closed_through_the_api_leaves_the_weeks_before_as_they_were(feed):
    client, headers, database = feed["client"], feed["headers"], feed["database"]
    # Arrange a history: findings of one commune found three weeks ago.
    three_weeks_ago = datetime.now(UTC).replace(tzinfo=None) - timedelta(weeks=3)
    with UnitOfWork(database) as uow:
        chosen = uow.session.scalars(
            select(FindingRow.id)
            .where(FindingRow.status == "open", FindingRow.commune_code == "27736")
            .order_by(FindingRow.id)
        ).all()
        uow.session.execute(
            update(FindingRow).where(FindingRow.id.in_(chosen)).values(created_at=three_weeks_ago)
        )
        uow.commit()
    finding = client.get(f"/findings/{chosen[0]}", headers=headers["dia_chinh"]).json()
    before = client.get("/stats/quality", headers=headers["lanh_dao"]).json()

    closed = client.post(
        f"/findings/{finding['id']}/dismiss",
        json={
            "reason": "đã đối chiếu hồ sơ gốc, không phải lỗi",
            "expected_version": finding["version"],
        },
        headers=headers["dia_chinh"],
    )
    assert closed.status_code == 200, closed.text
    after = client.get("/stats/quality", headers=headers["lanh_dao"]).json()

    this_week = _week_of((datetime.now(UTC) + LOCAL).date())
    first_week = _week_of((three_weeks_ago + LOCAL).date())
    weeks_before = {w["week"]: w for w in before["weeks"]}
    weeks_after = {w["week"]: w for w in after["weeks"]}
    assert [w["week"] for w in after["weeks"]] == [
        _week_of((three_weeks_ago + LOCAL).date() + timedelta(weeks=n)) for n in range(4)
    ]
    assert (after["weeks"][0]["week"], after["weeks"][-1]["week"]) == (first_week, this_week)
    for week, old in weeks_before.items():
        new = weeks_after[week]
        if week != this_week:  # the weeks before: open then, open still in the history
            assert new == old, week
            assert {c["key"]: c["open"] for c in new["by_commune"]}["27736"] == len(chosen)
            continue
        drop = {c["key"]: c["open"] for c in old["by_rule"]}
        drop[finding["rule"]] -= 1
        assert new["open"] == old["open"] - 1
        assert {c["key"]: c["open"] for c in new["by_rule"]} == drop
        communes = {c["key"]: c["open"] for c in new["by_commune"]}
        assert communes["27736"] == len(chosen) - 1
    assert weeks_before[first_week]["open"] == len(chosen)  # only those were open back then
    assert after["open_findings"] == before["open_findings"] - 1


def test_answers_are_cacheable_for_a_minute_and_revalidated_by_their_etag(feed):
    client, leader = feed["client"], feed["headers"]["lanh_dao"]
    today = (datetime.now(UTC) + LOCAL).date().isoformat()
    for path in ("/stats/dossiers", "/stats/quality", "/stats/communes"):
        first = client.get(path, params={"as_of": AS_OF}, headers=leader)
        assert first.status_code == 200, first.text
        assert first.headers["cache-control"] == "private, max-age=60"
        etag = first.headers["etag"]
        assert etag.startswith('"') and etag.endswith('"') and not etag.startswith("W/")
        again = client.get(path, params={"as_of": AS_OF}, headers={**leader, "If-None-Match": etag})
        assert again.status_code == 304 and again.content == b""
        assert again.headers["etag"] == etag
        assert again.headers["cache-control"] == "private, max-age=60"
        stale = client.get(
            path, params={"as_of": AS_OF}, headers={**leader, "If-None-Match": '"x"'}
        )
        assert stale.status_code == 200 and stale.json() == first.json()
    # A change to the register changes the answer and its ETag.
    now = client.get("/stats/quality", params={"as_of": today}, headers=leader)
    etag = now.headers["etag"]
    open_one = client.get(
        "/findings", params={"limit": 1}, headers=feed["headers"]["dia_chinh"]
    ).json()["items"][0]
    client.post(
        f"/findings/{open_one['id']}/dismiss",
        json={"reason": "trùng với phát hiện khác", "expected_version": open_one["version"]},
        headers=feed["headers"]["dia_chinh"],
    ).raise_for_status()
    changed = client.get(
        "/stats/quality", params={"as_of": today}, headers={**leader, "If-None-Match": etag}
    )
    assert changed.status_code == 200 and changed.headers["etag"] != etag
    assert changed.json()["open_findings"] == now.json()["open_findings"] - 1


def test_the_commune_map_is_geojson_in_wgs84_with_the_quality_figures(feed):
    client, key = feed["client"], feed["headers"]["key"]
    answer = client.get("/stats/communes", headers=key)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/geo+json")
    collection = answer.json()
    quality = client.get("/stats/quality", headers=key).json()
    assert collection["type"] == "FeatureCollection"
    assert collection["as_of"].endswith("+07:00") and collection["time_zone"] == "Asia/Ho_Chi_Minh"
    by_commune = {c["code"]: c for c in quality["by_commune"]}
    shaded = [f for f in collection["features"] if f["geometry"] is not None]
    assert len(shaded) >= 10
    for feature in collection["features"]:
        props = feature["properties"]
        assert set(props) == {"code", "name", "parcels", "open_errors", "errors_per_1000"}
        assert feature["id"] == props["code"]
        figures = by_commune[props["code"]]
        assert (props["parcels"], props["open_errors"]) == (
            figures["parcels"], figures["open_errors"]
        )  # fmt: skip
    for feature in shaded:
        assert feature["geometry"]["type"] in {"Polygon", "MultiPolygon"}
        ring = feature["geometry"]["coordinates"][0]
        ring = ring[0] if feature["geometry"]["type"] == "MultiPolygon" else ring
        for lon, lat in ring:  # Tây Ninh and the old Long An, in degrees
            assert 105.0 < lon < 107.5 and 10.0 < lat < 12.0
            assert round(lon, 6) == lon and round(lat, 6) == lat


def test_only_officers_staff_leaders_and_their_keys_read_the_feed(feed):
    client, headers = feed["client"], feed["headers"]
    for path in ("/stats/dossiers", "/stats/quality", "/stats/communes"):
        stranger = client.get(path, params={"as_of": AS_OF})
        assert stranger.status_code == 401
        assert stranger.headers["content-type"].startswith("application/problem+json")
        citizen = client.get(path, params={"as_of": AS_OF}, headers=headers["cong_dan"])
        assert citizen.status_code == 403
        assert "lãnh đạo" in citizen.json()["detail"]  # who may, in Vietnamese words
        assert "leader" not in citizen.json()["detail"]
        for who in ("lanh_dao", "key", "dia_chinh", "mot_cua"):
            assert (
                client.get(path, params={"as_of": AS_OF}, headers=headers[who]).status_code == 200
            )
    # A leader reads the figures and nothing else of the register.
    assert client.get("/findings", headers=headers["lanh_dao"]).status_code == 403
    assert client.get("/findings", headers=headers["key"]).status_code == 403
    assert client.get("/parcels/1/record", headers=headers["lanh_dao"]).status_code == 403
    assert client.get("/dossiers", headers=headers["lanh_dao"]).status_code == 403


def _signed_in(app: Any, name: str) -> TestClient:
    """A browser-like client signed in through the sign-in form, without asking for a page."""
    client = TestClient(app, raise_server_exceptions=False, follow_redirects=False)
    form = client.get("/app/dang-nhap")
    token = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert token, "the sign-in form has no form token"
    answer = client.post(
        "/app/dang-nhap", data={"username": name, "password": PASSWORD, "csrf": token.group(1)}
    )
    assert answer.status_code == 303, answer.text
    client.landed = answer.headers["location"]  # type: ignore[attr-defined]
    return client


def test_the_dashboard_reads_the_very_same_documents_with_its_session_cookie(feed):
    app, key = feed["client"].app, feed["headers"]["key"]
    with _signed_in(app, "lanh_dao") as leader:
        assert leader.landed == "/app/tong-quan"  # a leader's home
        page = leader.get("/app/tong-quan")
        assert page.status_code == 200 and "Tổng quan" in page.text
        mirror = leader.get("/app/tong-quan/so-lieu.json", params={"as_of": AS_OF})
        assert mirror.status_code == 200
        assert mirror.headers["cache-control"] == "private, max-age=60" and mirror.headers["etag"]
        figures = mirror.json()
        for name in ("dossiers", "quality"):
            feed_answer = feed["client"].get(f"/stats/{name}", params={"as_of": AS_OF}, headers=key)
            assert figures[name] == feed_answer.json(), name
        communes = leader.get("/app/tong-quan/xa.geojson", params={"as_of": AS_OF})
        feed_answer = feed["client"].get("/stats/communes", params={"as_of": AS_OF}, headers=key)
        assert communes.json() == feed_answer.json()
        assert communes.headers["etag"] == feed_answer.headers["etag"]
        # The dossier list is the registry officers': a leader is refused it.
        assert leader.get("/app").status_code == 403
    with _signed_in(app, "cong_dan") as citizen:
        refused = citizen.get("/app/tong-quan")
        assert refused.status_code == 403 and "lãnh đạo" in refused.text
        data = citizen.get("/app/tong-quan/so-lieu.json")
        assert data.status_code == 403
        assert data.headers["content-type"].startswith("application/problem+json")
    with TestClient(app, raise_server_exceptions=False, follow_redirects=False) as stranger:
        page = stranger.get("/app/tong-quan")
        assert page.status_code == 303
        assert page.headers["location"].startswith("/app/dang-nhap?tiep=%2Fapp%2Ftong-quan")
        for path in ("/app/tong-quan/so-lieu.json", "/app/tong-quan/xa.geojson"):
            answer = stranger.get(path)
            assert answer.status_code == 401, path
            assert answer.headers["content-type"].startswith("application/problem+json")
