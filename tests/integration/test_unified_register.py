"""The unified register: rights, certificates and restrictions made from the land registers on
reconcile, with the source of every field, on the sample (every parcel) and on newer
deliveries of a register."""

from __future__ import annotations

import csv
import os
import re
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from api.app import create_app
from landreg.domain.access import Role
from landreg.domain.delivery import IngestOptions
from landreg.services.accounts import create_api_key
from landreg.services.reconcile import reconcile
from landreg.services.sources import ingest_folder
from landreg.settings import CadastreSettings, DatabaseSettings, Settings
from landreg.store.database import RegisterDatabase
from landreg.store.unit_of_work import UnitOfWork
from tests.conftest import _drop_database, copy_database

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data" / "small"
TAY_NINH = "register:register/so_dia_chinh_tay_ninh_cu"
EXTRACT = "register:register/trich_luc_tan_ninh"
VERSIONED = ("parcel", "land_right", "certificate", "restriction")


@pytest.fixture(scope="module")
def copy(sample_register) -> Iterator[RegisterDatabase]:
    url = copy_database(sample_register[0], f"landreg_test_unified_{os.getpid()}")
    database = RegisterDatabase.from_settings(DatabaseSettings(database_url=url))
    yield database
    database.engine.dispose()
    _drop_database(url)


def _rows(database: RegisterDatabase, sql: str, **params: Any) -> list[Any]:
    with UnitOfWork(database) as uow:
        return list(uow.session.execute(text(sql), params).mappings())


def _number(value: str | None) -> str | None:
    """An identity number as a person's (9 or 12 digits), spaces and dots left out."""
    cleaned = re.sub(r"[\s.\-]", "", value or "")
    return cleaned if re.fullmatch(r"\d{9}|\d{12}", cleaned) else None


def test_land_use_is_the_registers_everywhere_and_the_maps_stays_beside_it(copy, client):
    linked = _linked(copy)
    rows = _rows(copy, "SELECT id, land_use_code, legal_land_use_code FROM parcel")
    maps = {r["id"]: r["land_use_code"] for r in rows}
    stored = {r["id"]: r["legal_land_use_code"] for r in rows}
    # every parcel the register gives a land use carries one of its entries' as its legal one
    coded = {p: {x["land_use_code"] for x in e if x["land_use_code"]} for p, e in linked.items()}
    coded = {p: codes for p, codes in coded.items() if codes}
    assert coded and all(stored[p] in codes for p, codes in coded.items())
    assert all(stored[p] is None for p in maps if p not in coded)
    # where map and register disagree, reads show the register's with the map's beside it
    differ = [p for p in coded if maps[p] and stored[p] != maps[p]]
    assert differ, "the sample plants land uses that disagree"
    for parcel_id in differ[:3]:
        parcel = client.get(f"/parcels/{parcel_id}").json()
        item = client.get(f"/ogc/collections/parcels/items/{parcel_id}").json()
        record = client.get(f"/parcels/{parcel_id}/record").json()
        legal, drawn = stored[parcel_id], maps[parcel_id]
        assert (parcel["land_use_code"], parcel["map_land_use_code"]) == (legal, drawn)
        assert item["properties"]["land_use_code"] == legal
        assert item["properties"]["map_land_use_code"] == drawn
        assert record["fields"]["land_use_code"]["value"] == legal
    # and the disagreement stays a finding until staff correct one side
    open_ = _rows(
        copy,
        "SELECT count(*) AS n FROM finding "
        "WHERE rule = 'SRC_LAND_USE_MISMATCH' AND status = 'open'",
    )
    assert open_[0]["n"] > 0


def _linked(database: RegisterDatabase) -> dict[int, list[Any]]:
    """Each parcel's register entries, straight from the entries and the links."""
    by_parcel: dict[int, list[Any]] = defaultdict(list)
    for row in _rows(
        database,
        "SELECT l.parcel_id, e.* FROM parcel_register_link l "
        "JOIN register_entry e ON e.id = l.register_entry_id",
    ):
        by_parcel[row["parcel_id"]].append(row)
    return by_parcel


def test_rights_certificates_and_restrictions_equal_the_registers_on_every_parcel(
    sample_register,
):
    database, _ = sample_register
    linked = _linked(database)
    want_rights, want_certificates, want_restrictions, want_area = {}, {}, {}, {}
    for parcel_id, entries in linked.items():
        want_rights[parcel_id] = Counter(
            (_number(e["identity_number"]), float(e["share_percent"])) for e in entries
        )
        want_certificates[parcel_id] = {
            (e["certificate_serial"], e["issued_on"], e["book_entry"])
            for e in entries
            if e["certificate_serial"]
        }
        want_restrictions[parcel_id] = {
            ("mortgage", e["mortgage_holder"], e["mortgage_on"])
            for e in entries
            if e["mortgage_holder"]
        } | {("seizure", e["seizure_text"], None) for e in entries if e["seizure_text"]}
        areas = {e["legal_area"] for e in entries if e["legal_area"] is not None}
        want_area[parcel_id] = areas.pop() if len(areas) == 1 else None
    got_rights: dict[int, Counter[Any]] = defaultdict(Counter)
    for r in _rows(
        database,
        "SELECT r.parcel_id, r.share_percent, p.identity_number FROM land_right r "
        "JOIN party p ON p.id = r.party_id",
    ):
        got_rights[r["parcel_id"]][(_number(r["identity_number"]), r["share_percent"])] += 1
    got_certificates: dict[int, set[Any]] = defaultdict(set)
    for c in _rows(database, "SELECT * FROM certificate"):
        got_certificates[c["parcel_id"]].add((c["serial"], c["issued_on"], c["book_entry"]))
        assert c["status"] == "valid" and c["sources"]["record"]["source"].startswith("register:")
    got_restrictions: dict[int, set[Any]] = defaultdict(set)
    for r in _rows(database, "SELECT * FROM restriction"):
        got_restrictions[r["parcel_id"]].add((r["kind"], r["holder"], r["registered_on"]))
    areas = {p["id"]: p["legal_area"] for p in _rows(database, "SELECT id, legal_area FROM parcel")}

    assert len(linked) > 3000
    assert sum(len(c) for c in want_certificates.values()) > 2000
    assert sum(len(r) for r in want_restrictions.values()) > 400
    for parcel_id in set(linked) | set(got_rights):
        assert got_rights.get(parcel_id, Counter()) == want_rights.get(parcel_id, Counter()), (
            parcel_id
        )
        assert got_certificates.get(parcel_id, set()) == want_certificates.get(parcel_id, set())
        assert got_restrictions.get(parcel_id, set()) == want_restrictions.get(parcel_id, set())
        if want_area.get(parcel_id) is not None:
            assert areas[parcel_id] == pytest.approx(want_area[parcel_id]), parcel_id
    # the overview counts the records
    counts = database.info()["counts"]
    assert counts["land_right"] == sum(sum(c.values()) for c in want_rights.values())
    assert counts["party"] > 0 and counts["certificate"] > 0 and counts["restriction"] > 0


@pytest.fixture(scope="module")
def client(copy) -> Iterator[TestClient]:
    with UnitOfWork(copy) as uow:
        key = create_api_key(uow, "kiem-tra", Role.REGISTRY_OFFICER, actor="test")
    with TestClient(create_app(Settings(), database=copy), raise_server_exceptions=False) as c:
        c.headers.update({"X-API-Key": key})
        yield c


def test_legal_area_is_in_the_parcel_the_ogc_item_and_the_record(copy, client):
    linked = _linked(copy)
    given = {
        parcel_id: entries[0]["legal_area"]
        for parcel_id, entries in linked.items()
        if entries[0]["legal_area"] is not None
    }
    shares = {
        p: len(e)
        for p, e in linked.items()
        if len(e) > 1 and p in given and all(x["certificate_serial"] for x in e)
    }
    chosen = [next(iter(given)), next(iter(shares))]
    for parcel_id in chosen:
        parcel = client.get(f"/parcels/{parcel_id}").json()
        item = client.get(f"/ogc/collections/parcels/items/{parcel_id}").json()
        record = client.get(f"/parcels/{parcel_id}/record").json()
        assert parcel["legal_area"] == pytest.approx(given[parcel_id])
        assert item["properties"]["legal_area"] == pytest.approx(given[parcel_id])
        legal = record["fields"]["legal_area"]
        assert legal["value"] == pytest.approx(given[parcel_id])
        assert legal["from"]["source"].startswith("register:") and legal["from"]["why"] == "only"
        assert len(record["holders"]) == len(linked[parcel_id])
        assert all(h["from"]["row"] and h["from"]["file"] for h in record["holders"])
    serial = next(e["certificate_serial"] for e in linked[chosen[1]] if e["certificate_serial"])
    found = client.get(f"/parcels/by-serial/{serial}").json()
    assert chosen[1] in [p["id"] for p in found]
    # every parcel the register gives an area for has it
    missing = _rows(
        copy,
        "SELECT count(*) AS n FROM parcel WHERE legal_area IS NULL AND id = ANY(:ids)",
        ids=list(given),
    )
    assert missing[0]["n"] == 0


def _versions(database: RegisterDatabase) -> dict[str, tuple[int, int]]:
    """Per record table: rows in history, and the sum of the current versions."""
    return {
        name: (
            _rows(database, f"SELECT count(*) AS n FROM {name}_history")[0]["n"],
            _rows(database, f"SELECT coalesce(sum(version), 0) AS n FROM {name}")[0]["n"],
        )
        for name in VERSIONED
    }


def _deliver(database: RegisterDatabase, folder: Path, as_of: str) -> None:
    _, stopped = ingest_folder(
        database, folder, IngestOptions(as_of=datetime.fromisoformat(as_of)), confirm_crs=True
    )
    assert stopped == []


def _register_rows() -> tuple[list[str], list[list[str]]]:
    with (SAMPLE / "register" / "so_dia_chinh_tay_ninh_cu.csv").open(encoding="utf-8-sig") as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]


def _write(folder: Path, name: str, header: list[str], rows: list[list[str]]) -> None:
    (folder / "register").mkdir(parents=True, exist_ok=True)
    with (folder / "register" / f"{name}.csv").open("w", encoding="utf-8-sig", newline="") as f:
        csv.writer(f).writerows([header, *rows])


def test_a_second_reconcile_of_the_same_data_writes_nothing(copy):
    before = _versions(copy)
    with UnitOfWork(copy) as uow:
        reconcile(uow)
    assert _versions(copy) == before


def test_a_newer_delivery_changing_one_share_makes_one_new_version(copy, tmp_path):
    header, rows = _register_rows()
    share, holder = header.index("Tỷ lệ sở hữu (%)"), header.index("Số CCCD")
    first = rows[0]
    assert first[share] == "50"
    first[share] = "40"
    _write(tmp_path, "so_dia_chinh_tay_ninh_cu", header, rows)
    before = _versions(copy)
    _deliver(copy, tmp_path, "2027-01-10T00:00:00")
    with UnitOfWork(copy) as uow:
        reconcile(uow)
    after = _versions(copy)
    assert after["land_right"] == (before["land_right"][0] + 1, before["land_right"][1] + 1)
    assert {k: after[k] for k in ("certificate", "restriction")} == {
        k: before[k] for k in ("certificate", "restriction")
    }
    [right] = _rows(
        copy,
        "SELECT r.* FROM land_right r JOIN party p ON p.id = r.party_id "
        "WHERE p.identity_number = :number",
        number=first[holder],
    )
    assert right["share_percent"] == 40.0 and right["version"] == 2
    source = right["sources"]["share_percent"]
    assert source["source"] == TAY_NINH and source["why"] == "only" and source["row"] == "1"
    [old] = _rows(copy, "SELECT * FROM land_right_history WHERE id = :id", id=right["id"])
    assert old["share_percent"] == 50.0 and old["version"] == 1


def _legal_area_source(database: RegisterDatabase, parcel_id: int) -> tuple[float, dict[str, Any]]:
    [row] = _rows(database, "SELECT legal_area, sources FROM parcel WHERE id = :id", id=parcel_id)
    return row["legal_area"], row["sources"]["legal_area"]


def test_the_authority_order_decides_which_register_gives_a_field(copy, tmp_path, monkeypatch):
    header, rows = _register_rows()
    area = header.index("Diện tích pháp lý")
    keys = [header.index(k) for k in ("Mã xã", "Số tờ", "Số thửa")]
    extract = [row for row in rows if [row[k] for k in keys] == [rows[0][k] for k in keys]]
    original = float(extract[0][area])
    for row in extract:
        row[area] = f"{original + 12.5:.1f}"
    _write(tmp_path, "trich_luc_tan_ninh", header, extract)
    _deliver(copy, tmp_path, "2027-02-01T00:00:00")
    [parcel] = _rows(
        copy,
        "SELECT id FROM parcel WHERE commune_code = :c AND map_sheet = :s AND parcel_number = :n",
        c=rows[0][keys[0]], s=int(rows[0][keys[1]]), n=int(rows[0][keys[2]]),
    )  # fmt: skip
    parcel_id = parcel["id"]
    with UnitOfWork(copy) as uow:
        reconcile(uow)  # no order set: the newest delivery (the extract) wins
    value, source = _legal_area_source(copy, parcel_id)
    assert value == pytest.approx(original + 12.5)
    assert (source["source"], source["why"]) == (EXTRACT, "newest")
    # the disagreement stays a finding; the record only says which value it keeps
    conflicts = _rows(
        copy, "SELECT subjects FROM finding WHERE rule = 'SRC_AREA_MISMATCH' AND status = 'open'"
    )
    assert any(
        {"table": "parcel", "id": parcel_id}.items() <= subject.items()
        for row in conflicts
        for subject in row["subjects"]
    )
    holders = _rows(copy, "SELECT count(*) AS n FROM land_right WHERE parcel_id = :p", p=parcel_id)
    assert holders[0]["n"] == len(extract)  # the same holders, not twice

    monkeypatch.setenv("LANDREG_REGISTER_AUTHORITY", f"{TAY_NINH}, {EXTRACT}")
    authority = CadastreSettings().register_authorities
    assert authority == (TAY_NINH, EXTRACT)
    with UnitOfWork(copy) as uow:
        reconcile(uow, authority=authority)
    value, source = _legal_area_source(copy, parcel_id)
    assert value == pytest.approx(original)
    assert (source["source"], source["why"]) == (TAY_NINH, "authority")
    versions = _rows(copy, "SELECT count(*) AS n FROM parcel_history WHERE id = :p", p=parcel_id)
    assert versions[0]["n"] >= 1  # the extract's area is kept in the parcel's history
