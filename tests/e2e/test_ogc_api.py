"""OGC API – Features through the real app on PostGIS, and GDAL's OAPIF driver reading it from
a real server."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

import pyogrio
import shapely

from api.app import create_app
from landreg.domain.access import Role
from landreg.domain.delivery import IngestOptions
from landreg.services.accounts import create_api_key
from landreg.services.sources import ingest_path
from landreg.settings import ApiSettings, Settings
from landreg.store.database import RegisterDatabase
from landreg.store.tables import FindingRow, ParcelRow, RegisterEntryRow
from landreg.store.unit_of_work import UnitOfWork
from spatial.crs import reproject
from tests.conftest import _drop_database, _isolated, _migrated_database
from tests.serving import landreg_serving, take_in_long_an

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data" / "small"
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG_9209 = "http://www.opengis.net/def/crs/EPSG/0/9209"
ITEMS = "/ogc/collections/parcels/items"
PARCEL_PROPERTIES = {
    "commune_code", "map_sheet", "parcel_number", "legal_area", "measured_area",
    "land_use_code", "map_land_use_code", "address", "national_id",
}  # fmt: skip


@pytest.fixture(scope="module")
def register() -> Iterator[tuple[str, RegisterDatabase, str]]:
    """A committed PostGIS register of Phường Long An (a server process must see it), with an
    officer's API key; dropped at the end."""
    url, database = _migrated_database(f"landreg_test_ogc_{os.getpid()}")
    take_in_long_an(database)
    with UnitOfWork(database) as uow:
        key = create_api_key(uow, "qgis", Role.REGISTRY_OFFICER, actor="test")
    yield url, database, key
    database.engine.dispose()
    _drop_database(url)


@pytest.fixture(scope="module")
def client(register) -> Iterator[TestClient]:
    _, database, key = register
    with TestClient(create_app(Settings(), database=database), raise_server_exceptions=False) as c:
        c.database = database
        c.key = {"X-API-Key": key}
        yield c


def _parcel_count(database: RegisterDatabase) -> int:
    with UnitOfWork(database) as uow:
        return int(uow.session.scalar(select(func.count()).select_from(ParcelRow)) or 0)


def _first_vertex(geometry: dict) -> list[float]:
    coordinates = geometry["coordinates"]
    while isinstance(coordinates[0], list):
        coordinates = coordinates[0]
    return coordinates


def test_landing_page_conformance_and_collections(client):
    landing = client.get("/ogc").json()
    rels = {link["rel"]: link for link in landing["links"]}
    assert {"self", "service-desc", "conformance", "data"} <= set(rels)
    assert client.get(rels["service-desc"]["href"]).json()["openapi"].startswith("3.")
    conforms = client.get("/ogc/conformance").json()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson" in conforms
    assert "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs" in conforms

    anonymous = client.get("/ogc/collections").json()["collections"]
    assert [c["id"] for c in anonymous] == ["parcels"]  # findings are not listed to everyone
    officer = client.get("/ogc/collections", headers=client.key).json()["collections"]
    assert [c["id"] for c in officer] == ["parcels", "findings"]
    parcels = client.get("/ogc/collections/parcels").json()
    assert parcels["crs"][0] == CRS84 and EPSG_9209 in parcels["crs"]
    assert "http://www.opengis.net/def/crs/EPSG/0/9210" in parcels["crs"]
    assert parcels["storageCrs"] == EPSG_9209
    west, south, east, north = parcels["extent"]["spatial"]["bbox"][0]
    assert 105 < west < east < 107.5 and 10 < south < north < 12  # Tây Ninh
    assert any(link["rel"] == "items" for link in parcels["links"])


def test_items_are_geojson_in_crs84_and_a_bbox_finds_a_parcel(client):
    response = client.get(ITEMS, params={"limit": 5})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/geo+json"
    assert response.headers["content-crs"] == f"<{CRS84}>"
    page = response.json()
    assert page["type"] == "FeatureCollection"
    assert page["numberMatched"] == _parcel_count(client.database) > 100
    assert page["numberReturned"] == len(page["features"]) == 5
    feature = page["features"][1]
    assert set(feature["properties"]) == PARCEL_PROPERTIES
    assert feature["geometry"]["type"] == "MultiPolygon"
    lon, lat = _first_vertex(feature["geometry"])
    assert 105 < lon < 107.5 and 10 < lat < 12

    near = client.get(
        ITEMS, params={"bbox": f"{lon - 0.0002},{lat - 0.0002},{lon + 0.0002},{lat + 0.0002}"}
    ).json()
    assert feature["id"] in [f["id"] for f in near["features"]]
    assert 0 < near["numberMatched"] < page["numberMatched"]


def test_coordinates_in_vn2000_with_crs_and_bbox_crs(client):
    wgs84 = client.get(ITEMS, params={"limit": 1}).json()["features"][0]
    response = client.get(ITEMS, params={"limit": 1, "crs": "EPSG:9209"})
    assert response.headers["content-crs"] == f"<{EPSG_9209}>"
    vn2000 = response.json()["features"][0]
    assert vn2000["id"] == wgs84["id"]
    x, y = _first_vertex(vn2000["geometry"])
    assert 400_000 < x < 700_000 and 1_100_000 < y < 1_300_000  # metres, easting first
    with UnitOfWork(client.database) as uow:  # the storage CRS: written as stored
        stored = shapely.from_wkb(
            uow.session.scalar(
                select(func.ST_AsBinary(ParcelRow.geom)).where(ParcelRow.id == vn2000["id"])
            )
        )
    assert shapely.get_coordinates(stored)[0] == pytest.approx([x, y], abs=0.001)

    around = client.get(
        ITEMS,
        params={
            "bbox": f"{x - 10},{y - 10},{x + 10},{y + 10}",
            "bbox-crs": EPSG_9209,
            "crs": "EPSG:9210",
        },
    )
    assert around.status_code == 200
    assert around.headers["content-crs"] == "<http://www.opengis.net/def/crs/EPSG/0/9210>"
    assert wgs84["id"] in [f["id"] for f in around.json()["features"]]
    lat_first = client.get(
        f"{ITEMS}/{wgs84['id']}", params={"crs": "http://www.opengis.net/def/crs/EPSG/0/4326"}
    ).json()
    assert _first_vertex(lat_first["geometry"]) == _first_vertex(wgs84["geometry"])[::-1]


def test_paging_follows_next_links_without_overlap(client):
    url, seen, pages = f"{ITEMS}?limit=7", [], []
    for _ in range(3):
        page = client.get(url).json()
        pages.append(page)
        seen += [f["id"] for f in page["features"]]
        url = next(link["href"] for link in page["links"] if link["rel"] == "next")
    assert len(seen) == len(set(seen)) == 21 and seen == sorted(seen)
    assert any(link["rel"] == "prev" for link in pages[1]["links"])
    total = pages[0]["numberMatched"]
    last = client.get(ITEMS, params={"limit": 7, "offset": total - 3}).json()
    assert last["numberReturned"] == len(last["features"]) == 3
    assert not any(link["rel"] == "next" for link in last["links"])
    beyond = client.get(ITEMS, params={"offset": total + 10}).json()
    assert beyond["features"] == [] and beyond["numberReturned"] == 0


def test_one_feature_by_id_and_unknown_ones_are_404(client):
    listed = client.get(ITEMS, params={"limit": 3}).json()["features"][2]
    one = client.get(f"{ITEMS}/{listed['id']}")
    assert one.status_code == 200 and one.headers["content-crs"] == f"<{CRS84}>"
    body = one.json()
    assert body["type"] == "Feature" and body["properties"] == listed["properties"]
    assert body["geometry"] == listed["geometry"]
    assert {"self", "collection"} <= {link["rel"] for link in body["links"]}
    for path in (
        f"{ITEMS}/99999999",
        f"{ITEMS}/abc",
        "/ogc/collections/holders",
        "/ogc/collections/holders/items",
    ):
        missing = client.get(path)
        assert missing.status_code == 404, path
        assert missing.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"bbox": "106.1,10.5,106.2"}, "bbox"),
        ({"bbox": "106.2,10.5,106.1,10.6"}, "bbox"),  # minimum after maximum
        ({"bbox": "a,b,c,d"}, "bbox"),
        ({"bbox": "-180,-90,180,90"}, "bbox"),  # far larger than the province
        ({"bbox": "106.1,10.5,106.2,95"}, "bbox"),
        ({"bbox": "106.1,10.5,106.2,10.6", "bbox-crs": "EPSG:3857"}, "bbox-crs"),
        ({"crs": "EPSG:3857"}, "crs"),
        ({"limit": 1001}, "limit"),
        ({"limit": 0}, "limit"),
        ({"offset": -1}, "offset"),
    ],
)
def test_bad_parameters_are_problem_details(client, params, field):
    response = client.get(ITEMS, params=params)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert [error["field"] for error in response.json()["errors"]] == [field]


def test_no_holder_or_identity_data_in_parcels(client):
    with UnitOfWork(client.database) as uow:
        people = uow.session.execute(
            select(RegisterEntryRow.holder_name, RegisterEntryRow.identity_number).where(
                RegisterEntryRow.identity_number.is_not(None)
            )
        ).all()
    assert len(people) > 100
    url, texts, count = f"{ITEMS}?limit=1000", [], 0
    while url:
        response = client.get(url)
        texts.append(response.text)
        count += len(response.json()["features"])
        links = response.json()["links"]
        url = next((link["href"] for link in links if link["rel"] == "next"), None)
    everything = "".join(texts)
    assert count == _parcel_count(client.database)
    assert not [number for _, number in people if number in everything]
    assert not [name for name, _ in people if name and f'"{name}"' in everything]
    for word in ("holder", "identity", "phone"):
        assert word not in everything


def test_findings_need_an_officer_or_staff(client):
    for path in ("/ogc/collections/findings", "/ogc/collections/findings/items"):
        response = client.get(path)
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"
    page = client.get(
        "/ogc/collections/findings/items", params={"limit": 50}, headers=client.key
    ).json()
    with UnitOfWork(client.database) as uow:
        open_findings = uow.session.scalar(
            select(func.count()).select_from(FindingRow).where(FindingRow.status == "open")
        )
    assert page["numberMatched"] == open_findings > 0
    overlap = next(f for f in page["features"] if f["properties"]["rule"] == "GEOM_OVERLAP")
    assert overlap["geometry"]["type"] in ("Polygon", "MultiPolygon")
    assert overlap["properties"]["status"] == "open" and overlap["properties"]["message_vi"]
    assert isinstance(overlap["properties"]["measured"], dict)
    one = client.get(f"/ogc/collections/findings/items/{overlap['id']}", headers=client.key)
    assert one.json()["properties"]["rule"] == "GEOM_OVERLAP"


def test_a_closed_map_needs_a_sign_in(register):
    _, database, key = register
    settings = Settings(api=ApiSettings(public_map=False))
    with TestClient(create_app(settings, database=database), raise_server_exceptions=False) as c:
        assert c.get(ITEMS).status_code == 401
        assert c.get("/ogc/collections").json()["collections"] == []
        assert c.get(ITEMS, headers={"X-API-Key": key}).status_code == 200


def test_the_embedded_spatialite_register_answers_the_same(spatialite_database):
    for database in _isolated(spatialite_database):
        for path in ("admin/units.gpkg", "maps/long_an_cu/27694_phuong_long_an.gpkg"):
            ingest_path(database, SAMPLE / path, IngestOptions())
        with TestClient(create_app(Settings(), database=database)) as client:
            page = client.get(ITEMS, params={"limit": 4, "offset": 2}).json()
            assert page["numberMatched"] == _parcel_count(database)
            assert [f["id"] for f in page["features"]] == sorted(f["id"] for f in page["features"])
            feature = page["features"][0]
            assert set(feature["properties"]) == PARCEL_PROPERTIES
            lon, lat = _first_vertex(feature["geometry"])
            box = f"{lon - 0.0002},{lat - 0.0002},{lon + 0.0002},{lat + 0.0002}"
            near = client.get(ITEMS, params={"bbox": box, "limit": 100}).json()
            assert feature["id"] in [f["id"] for f in near["features"]]
            metres = client.get(f"{ITEMS}/{feature['id']}", params={"crs": "EPSG:9209"})
            assert metres.headers["content-crs"] == f"<{EPSG_9209}>"
            assert 400_000 < _first_vertex(metres.json()["geometry"])[0] < 700_000


def test_gdal_oapif_driver_reads_the_parcels(register):
    url, database, _ = register
    with landreg_serving(url) as base:
        assert [name for name, _ in pyogrio.list_layers(f"OAPIF:{base}/ogc")] == ["parcels"]
        frame = pyogrio.read_dataframe(f"OAPIF:{base}/ogc", layer="parcels")
    with UnitOfWork(database) as uow:
        keys = set(
            uow.session.execute(
                select(ParcelRow.commune_code, ParcelRow.map_sheet, ParcelRow.parcel_number)
            ).all()
        )
    assert len(frame) == _parcel_count(database)
    assert PARCEL_PROPERTIES <= set(frame.columns)
    read = {
        (c, int(s), int(n))
        for c, s, n in frame[["commune_code", "map_sheet", "parcel_number"]]
        .dropna()
        .itertuples(index=False)
    }
    assert read == {key for key in keys if None not in key}
    assert frame.crs is not None and frame.crs.to_epsg() in (4326, 9209)
    assert frame.geometry.notna().all()


def test_crs84_agrees_with_the_registers_own_transformation(client):
    wgs84 = client.get(ITEMS, params={"limit": 1}).json()["features"][0]
    vn2000 = client.get(ITEMS, params={"limit": 1, "crs": "EPSG:9209"}).json()["features"][0]
    expected = reproject(shapely.Point(_first_vertex(wgs84["geometry"])), 4326, 9209)
    assert [expected.x, expected.y] == pytest.approx(_first_vertex(vn2000["geometry"]), abs=0.01)
