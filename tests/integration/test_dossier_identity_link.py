"""A CMND and a CCCD are one person's when a dossier says so: the applicant gives the CCCD and
the old CMND ("Số CMND cũ"), and on the next reconcile the register rows of the old card and
of the new one become one party, the dossier named as the source of the link. A dossier
whose applicant's name contradicts the registers merges nothing and goes to review; a
malformed old number quarantines its dossier and the rest is taken in. The counter takes the
old number too (422 on a malformed one), and its pre-check knows the holder the register names
by the old card. On PostGIS and on SpatiaLite (the API on PostGIS)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pandas as pd
from fastapi.testclient import TestClient
from sqlalchemy import select

import geopandas as gpd
import shapely

from api.app import create_app
from landreg.domain.access import Role
from landreg.domain.delivery import IngestOptions
from landreg.domain.intake import Application
from landreg.services.accounts import create_user
from landreg.services.dossiers import receive_dossier
from landreg.services.intake import check_application
from landreg.services.parties import parties_with_number, party_card
from landreg.services.reconcile import reconcile
from landreg.services.sources import ingest_path
from landreg.settings import Settings
from landreg.store.tables import (
    DossierRow,
    PartyEntryRow,
    PartyLinkRow,
    QuarantineRow,
    RegisterEntryRow,
)
from landreg.store.unit_of_work import UnitOfWork
from sample_data.register import TN_COLUMNS

COMMUNE = "25459"
# One person: the old CMND in the province's register, the CCCD (born 1985) in an extract.
BINH = {"name": "Nguyễn Văn Bình", "year": 1985, "cmnd": "280123456", "cccd": "072085001234"}
# Two people: the old CMND is Cúc's, the CCCD Dũng's; a dossier claims both for Cúc.
CUC = {"name": "Trần Thị Cúc", "year": 1990, "cmnd": "280654321"}
DUNG = {"name": "Lê Văn Dũng", "year": 1990, "cccd": "072090004321"}
# One person in both registers, claimed by a dossier under another name.
GIANG = {"name": "Phạm Thị Giang", "year": 1978, "cmnd": "280777888", "cccd": "072178000555"}
# Two parcels of Phường Tân Ninh drawn by an office of its own (EPSG:9209), sheet 7.
MAP_PROFILE = """
name = "map_dossier_identity_test"
kind = "map"
source_key = ["MA_THUA"]
[fields]
commune_code = "XA"
map_sheet = "TO"
parcel_number = "THUA"
"""
DOSSIER_COLUMNS = [
    "STT", "Mã hồ sơ", "Mã thủ tục", "Tên thủ tục", "Ngày tiếp nhận", "Trạng thái", "Người nộp",
    "Số CCCD/CMND", "Số CMND cũ", "Điện thoại", "Xã/Phường", "Tờ bản đồ", "Thửa đất",
]  # fmt: skip


def _register(path: Path, holders: list[tuple[dict, str, int]]) -> None:
    """A commune register (the Tây Ninh layout): one parcel of sheet 7 per (holder, number
    written, parcel number)."""
    rows = [
        {"stt": i, "commune_code": COMMUNE, "sheet_text": "7", "number_text": str(parcel),
         "holder_name": holder["name"], "holder_kind": "Cá nhân", "identity": number,
         "birth_year": holder["year"], "land_use_text": "ONT", "share": 100}
        for i, (holder, number, parcel) in enumerate(holders, start=1)
    ]  # fmt: skip
    frame = pd.DataFrame(rows, columns=list(TN_COLUMNS)).rename(columns=TN_COLUMNS)
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False, encoding="utf-8-sig")


def _registers(database, folder: Path) -> None:
    """The province's register with the old cards, an extract with the new ones; no row
    gives both numbers."""
    _register(
        folder / "register" / "so_dia_chinh_tinh.csv",
        [(BINH, BINH["cmnd"], 1), (CUC, CUC["cmnd"], 2), (GIANG, GIANG["cmnd"], 3)],
    )
    _register(
        folder / "trich_luc" / "so_dia_chinh_huyen.csv",
        [(BINH, BINH["cccd"], 46), (DUNG, DUNG["cccd"], 47), (GIANG, GIANG["cccd"], 48)],
    )
    for path in (folder / "register" / "so_dia_chinh_tinh.csv",
                 folder / "trich_luc" / "so_dia_chinh_huyen.csv"):  # fmt: skip
        [result] = ingest_path(database, path, IngestOptions())
        assert result.added == 3 and result.quarantined == 0


def _dossiers(database, folder: Path, applicants: list[tuple[str, str, str, str]]):
    """A one-stop-shop export (the shipped CSV profile) of (code, name, CCCD, old CMND)."""
    rows = [
        [i, code, "1.012790.000.00.00.H55", "Chuyển nhượng quyền sử dụng đất",
         "04/01/2024 09:30", "Đã tiếp nhận", name, number, previous, "0912345678",
         "Phường Tân Ninh", "7", str(i)]
        for i, (code, name, number, previous) in enumerate(applicants, start=1)
    ]  # fmt: skip
    path = folder / "dossiers" / "ho_so_2024.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    frame = pd.DataFrame(rows, columns=DOSSIER_COLUMNS)
    frame.to_csv(path, index=False, sep=";", encoding="utf-8-sig")
    [result] = ingest_path(database, path, IngestOptions())
    return result


def _party_of_number(database, number: str) -> set[int]:
    """The parties of the register entries written with this number."""
    with UnitOfWork(database) as uow:
        return set(
            uow.session.scalars(
                select(PartyEntryRow.party_id)
                .join(RegisterEntryRow, RegisterEntryRow.id == PartyEntryRow.register_entry_id)
                .where(RegisterEntryRow.identity_number == number)
            )
        )


def _pending(database, holder: dict) -> list[tuple[str, str, int]]:
    """Matches in review of the holder's rows: reason, the row's number, the party proposed."""
    numbers = [holder[kind] for kind in ("cmnd", "cccd") if kind in holder]
    with UnitOfWork(database) as uow:
        found = uow.session.execute(
            select(PartyLinkRow.reason, RegisterEntryRow.identity_number, PartyLinkRow.party_id)
            .join(RegisterEntryRow, RegisterEntryRow.id == PartyLinkRow.register_entry_id)
            .where(PartyLinkRow.status == "review", RegisterEntryRow.identity_number.in_(numbers))
        ).all()
    return [tuple(row) for row in found]


def _reconciled(database) -> None:
    with UnitOfWork(database) as uow:
        reconcile(uow)


def test_a_dossier_giving_the_cccd_and_the_old_cmnd_makes_one_party(register_db, tmp_path):
    _registers(register_db, tmp_path)
    _reconciled(register_db)
    [old], [new] = (
        _party_of_number(register_db, BINH["cmnd"]),
        _party_of_number(register_db, BINH["cccd"]),
    )
    assert old != new  # no register row says the two cards are one person's: never guessed
    assert _pending(register_db, BINH) == [("cmnd_cccd", BINH["cmnd"], new)]

    result = _dossiers(
        register_db, tmp_path,
        [("H55.703-240104-0001", "NGUYỄN VĂN BÌNH", BINH["cccd"], "280.123.456")],
    )  # fmt: skip
    assert (result.added, result.quarantined) == (1, 0)
    _reconciled(register_db)

    [party] = _party_of_number(register_db, BINH["cmnd"]) | _party_of_number(
        register_db, BINH["cccd"]
    )
    with UnitOfWork(register_db) as uow:
        stored = uow.session.scalar(
            select(DossierRow.applicant_previous_identity).where(
                DossierRow.code == "H55.703-240104-0001"
            )
        )
        card = party_card(uow, party)
        by_old, by_new = (parties_with_number(uow, n) for n in (BINH["cmnd"], BINH["cccd"]))
    assert stored == BINH["cmnd"]  # written with dots, kept as digits
    assert card["party"].identity_number == BINH["cccd"] and card["party"].name == BINH["name"]
    assert {e["parcel_number"] for e in card["entries"]} == {1, 46}
    stated = {
        (i["number"], i["kind"], i["source_key"], i["origin_text"])
        for i in card["identities"]
        if i["origin"] == "dossier"
    }
    assert stated == {
        (BINH["cmnd"], "cmnd", "H55.703-240104-0001", "hồ sơ H55.703-240104-0001"),
        (BINH["cccd"], "cccd", "H55.703-240104-0001", "hồ sơ H55.703-240104-0001"),
    }
    registered = {i["number"] for i in card["identities"] if i["origin"] == "register"}
    assert {BINH["cmnd"], BINH["cccd"]} <= registered  # the registers stay named too
    assert party in by_old and party in by_new
    assert _pending(register_db, BINH) == []  # nothing left for an officer to decide

    _reconciled(register_db)  # the link holds on every later run
    assert _party_of_number(register_db, BINH["cmnd"]) == {party}
    assert _party_of_number(register_db, BINH["cccd"]) == {party}


def test_a_dossier_whose_names_contradict_the_registers_merges_nothing(register_db, tmp_path):
    _registers(register_db, tmp_path)
    _reconciled(register_db)
    _dossiers(
        register_db, tmp_path,
        [("H55.703-240104-0002", CUC["name"], DUNG["cccd"], CUC["cmnd"]),
         ("H55.703-240104-0003", "Võ Văn Hải", GIANG["cccd"], GIANG["cmnd"])],
    )  # fmt: skip
    _reconciled(register_db)

    [cuc], [dung] = (
        _party_of_number(register_db, CUC["cmnd"]),
        _party_of_number(register_db, DUNG["cccd"]),
    )
    assert cuc != dung  # the CCCD's holder is someone else: no merge on the dossier's word
    [old], [new] = (
        _party_of_number(register_db, GIANG["cmnd"]),
        _party_of_number(register_db, GIANG["cccd"]),
    )
    assert old != new  # the applicant is not the registers' holder
    with UnitOfWork(register_db) as uow:
        links = uow.session.execute(
            select(
                PartyLinkRow.register_entry_id, PartyLinkRow.party_id, PartyLinkRow.reason,
                PartyLinkRow.explanation, RegisterEntryRow.identity_number,
            )
            .join(RegisterEntryRow, RegisterEntryRow.id == PartyLinkRow.register_entry_id)
            .where(PartyLinkRow.status == "review")
        ).all()  # fmt: skip
        cards = [party_card(uow, p) for p in (cuc, dung, old, new)]
    [proposed] = [link for link in links if link.identity_number == CUC["cmnd"]]
    assert proposed.party_id == dung and proposed.reason == "dossier_other_name"
    assert "H55.703-240104-0002" in proposed.explanation
    assert "hồ sơ" in proposed.explanation
    giang = [link for link in links if link.identity_number == GIANG["cmnd"]]
    assert [link.party_id for link in giang] == [new]  # waits for an officer
    assert not [i for card in cards for i in card["identities"] if i["origin"] == "dossier"]


def test_a_malformed_old_number_quarantines_its_dossier_and_the_rest_goes_in(register_db, tmp_path):
    result = _dossiers(
        register_db, tmp_path,
        [("H55.703-240104-0004", "Đỗ Thị Hoa", "072190001111", "28012345"),  # 8 digits
         ("H55.703-240104-0005", "Đỗ Văn Khoa", "072090002222", "280 999 111"),
         ("H55.703-240104-0006", "Đỗ Thị Lan", "072190003333", "")],
    )  # fmt: skip
    assert (result.added, result.quarantined) == (2, 1)
    with UnitOfWork(register_db) as uow:
        [(row, reason, field)] = uow.session.execute(
            select(QuarantineRow.row_ref, QuarantineRow.reason, QuarantineRow.field).where(
                QuarantineRow.batch_id == result.batch_id
            )
        ).all()
        stored = dict(
            uow.session.execute(
                select(DossierRow.code, DossierRow.applicant_previous_identity)
            ).all()
        )
    assert row == "line 2" and field == "applicant_previous_identity"
    assert reason == (
        "số CMND cũ phải là số CMND 9 chữ số hoặc số CCCD 12 chữ số / "
        "applicant_previous_identity must be a CMND of 9 or a CCCD of 12 digits"
    )
    assert stored == {"H55.703-240104-0005": "280999111", "H55.703-240104-0006": None}


def test_a_dossier_received_at_the_counter_keeps_the_old_number(register_db):
    application = Application(
        "transfer",
        datetime(2024, 1, 4, 9, 30),
        applicant_name=BINH["name"],
        applicant_identity=BINH["cccd"],
        applicant_previous_identity=BINH["cmnd"],
    )
    with UnitOfWork(register_db) as uow:
        received = receive_dossier(uow, application, office="H55.703", actor="lan")
    with UnitOfWork(register_db) as uow:
        stored = uow.session.scalar(
            select(DossierRow.applicant_previous_identity).where(DossierRow.code == received.code)
        )
        again = uow.dossiers.application(uow.dossiers.get(received.code))
    assert stored == BINH["cmnd"]
    assert again.applicant_previous_identity == BINH["cmnd"]


def test_the_counter_takes_the_old_number_and_the_party_card_names_the_dossier(postgis, tmp_path):
    _registers(postgis, tmp_path)
    with UnitOfWork(postgis) as uow:
        create_user(uow, "lan", "correct horse battery", Role.REGISTRY_OFFICER, actor="test")
    app = create_app(Settings(), database=postgis)
    with TestClient(app, raise_server_exceptions=False) as client:
        token = client.post(
            "/auth/token", data={"username": "lan", "password": "correct horse battery"}
        ).json()["access_token"]
        lan = {"Authorization": f"Bearer {token}"}
        body = {
            "procedure": "transfer", "received_at": "2024-01-04T09:30:00", "office": "H55.703",
            "applicant_name": BINH["name"], "applicant_identity": BINH["cccd"],
            "commune": "Phường Tân Ninh", "map_sheet": "7", "parcel_number": "1",
        }  # fmt: skip
        bad = client.post(
            "/dossiers", json=body | {"applicant_previous_identity": "2801234"}, headers=lan
        )
        english = client.post(
            "/dossiers", json=body | {"applicant_previous_identity": "28O123456"},
            headers=lan | {"Accept-Language": "en"},
        )  # fmt: skip
        received = client.post(
            "/dossiers", json=body | {"applicant_previous_identity": BINH["cmnd"]}, headers=lan
        )
        assert received.status_code == 201, received.text
        code = received.json()["code"]
        _reconciled(postgis)
        [party] = _party_of_number(postgis, BINH["cmnd"]) | _party_of_number(postgis, BINH["cccd"])
        card = client.get(f"/parties/{party}", headers=lan)
    assert bad.status_code == english.status_code == 422
    assert bad.headers["content-type"].startswith("application/problem+json")
    [problem] = bad.json()["errors"]
    assert problem["field"] == "applicant_previous_identity"
    assert bad.json()["detail"] == "trường `applicant_previous_identity`: không đúng định dạng"
    assert problem["value"] == "****234" and "2801234" not in bad.text  # personal data
    assert english.json()["title"] == "Invalid request"
    assert english.json()["detail"].startswith("applicant_previous_identity: String should match")
    assert card.status_code == 200, card.text
    stated = {
        i["number"]: i["origin_text"] for i in card.json()["identities"] if i["origin"] == "dossier"
    }
    assert stated == {BINH["cmnd"]: f"hồ sơ {code}", BINH["cccd"]: f"hồ sơ {code}"}


def _map(database, folder: Path) -> None:
    """Parcels 1 and 46 of sheet 7, 30 m squares in Phường Tân Ninh."""
    frame = gpd.GeoDataFrame(
        {"MA_THUA": ["T-1", "T-46"], "XA": [COMMUNE] * 2, "TO": [7, 7], "THUA": [1, 46]},
        geometry=[shapely.box(565_000 + x, 1_249_600, 565_030 + x, 1_249_630) for x in (0, 40)],
        crs="EPSG:9209",
    )
    path = folder / "ban_do" / "thua_dat_tan_ninh.gpkg"
    path.parent.mkdir(parents=True)
    frame.to_file(path, layer="thua", driver="GPKG")
    profile = folder / "map_dossier_identity_test.toml"
    profile.write_text(MAP_PROFILE, encoding="utf-8")
    [result] = ingest_path(database, path, IngestOptions(profile=str(profile)))
    assert result.added == 2


def test_the_counter_knows_the_holder_of_the_old_card_by_the_number_given_beside_the_new(
    register_db, tmp_path
):
    _map(register_db, tmp_path)
    _registers(register_db, tmp_path)
    _reconciled(register_db)
    transfer = Application(
        "transfer",
        datetime(2024, 1, 4, 9, 30),
        applicant_name=BINH["name"],
        applicant_identity=BINH["cccd"],
        commune="Phường Tân Ninh",
        map_sheet="7",
        parcel_number="1",  # the register names its holder by the old CMND only
    )
    with UnitOfWork(register_db) as uow:
        alone = check_application(uow, transfer)
        stated = check_application(uow, replace(transfer, applicant_previous_identity=BINH["cmnd"]))
        other = check_application(
            uow, replace(transfer, applicant_previous_identity=CUC["cmnd"], parcel_number="46")
        )
    assert alone.parcel_key == stated.parcel_key == f"{COMMUNE}-7-1"
    assert "APPLICANT_NOT_HOLDER" in {item.code for item in alone.items}
    assert "APPLICANT_NOT_HOLDER" not in {item.code for item in stated.items}
    assert other.parcel_key == f"{COMMUNE}-7-46"  # Bình's CCCD holds parcel 46 already
    assert "APPLICANT_NOT_HOLDER" not in {item.code for item in other.items}
