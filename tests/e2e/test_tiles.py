"""Vector tiles through the real app: PostGIS (ST_AsMVT) and SpatiaLite (encoded in Python)."""

from __future__ import annotations

import math
from pathlib import Path

import mapbox_vector_tile
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

import shapely

from api.app import create_app
from landreg.domain.access import Role
from landreg.domain.delivery import IngestOptions
from landreg.services.accounts import create_api_key
from landreg.services.reconcile import reconcile
from landreg.services.sources import ingest_path
from landreg.settings import Settings
from landreg.store.tables import FindingRow, ParcelRow
from landreg.store.unit_of_work import UnitOfWork
from spatial.crs import reproject

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data" / "small"
ZOOM = 16


@pytest.fixture
def client(register_db):
    for path in (
        "admin/units.gpkg",
        "maps/long_an_cu/27694_phuong_long_an.gpkg",
        "register/so_dia_chinh_long_an_cu.xlsx",
    ):
        ingest_path(register_db, SAMPLE / path, IngestOptions())
    with UnitOfWork(register_db) as uow:
        reconcile(uow)
    with UnitOfWork(register_db) as uow:
        key = create_api_key(uow, "web-map", Role.CADASTRAL_STAFF, actor="test")
    app = create_app(Settings(), database=register_db)
    with TestClient(app, raise_server_exceptions=False) as c:
        c.database = register_db
        c.key = {"X-API-Key": key}
        yield c


def _tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


def _where(database, table, condition) -> tuple[int, float, float, dict]:
    """Id, lon, lat (a point inside) and the columns of the first row matching."""
    with UnitOfWork(database) as uow:
        row = uow.session.execute(
            select(table, func.ST_AsBinary(table.geom)).where(condition).order_by(table.id).limit(1)
        ).one()
        columns = {name: getattr(row[0], name) for name in table.__table__.columns.keys()}
        srid = database.cadastral_srid
    inside = reproject(shapely.point_on_surface(shapely.from_wkb(bytes(row[1]))), srid, 4326)
    return columns["id"], inside.x, inside.y, columns


def test_a_parcel_tile_decodes_to_the_parcels_with_their_attributes(client):
    parcel_id, lon, lat, parcel = _where(
        client.database, ParcelRow, ParcelRow.parcel_number.is_not(None)
    )
    x, y = _tile_of(lon, lat, ZOOM)
    response = client.get(f"/tiles/parcels/{ZOOM}/{x}/{y}.pbf")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/vnd.mapbox-vector-tile"
    assert "max-age" in response.headers["cache-control"]
    layer = mapbox_vector_tile.decode(response.content)["parcels"]
    features = {feature["id"]: feature for feature in layer["features"]}
    assert parcel_id in features and len(features) > 1
    found = features[parcel_id]
    assert found["properties"]["map_sheet"] == parcel["map_sheet"]
    assert found["properties"]["parcel_number"] == parcel["parcel_number"]
    assert found["properties"]["commune_code"] == parcel["commune_code"]
    assert found["geometry"]["type"] in ("Polygon", "MultiPolygon")
    for feature in features.values():
        assert not {"holder_name", "identity_number"} & set(feature["properties"])
        coordinates = shapely.get_coordinates(shapely.geometry.shape(feature["geometry"]))
        assert coordinates.min() >= -64 and coordinates.max() <= 4096 + 64  # the buffer


def test_findings_tiles_are_for_officers_and_staff(client):
    finding_id, lon, lat, finding = _where(
        client.database,
        FindingRow,
        (FindingRow.rule == "GEOM_OVERLAP") & (FindingRow.status == "open"),
    )
    x, y = _tile_of(lon, lat, ZOOM)
    assert client.get(f"/tiles/findings/{ZOOM}/{x}/{y}.pbf").status_code == 401
    response = client.get(f"/tiles/findings/{ZOOM}/{x}/{y}.pbf", headers=client.key)
    assert response.status_code == 200 and response.headers["cache-control"].startswith("private")
    features = mapbox_vector_tile.decode(response.content)["findings"]["features"]
    found = next(feature for feature in features if feature["id"] == finding_id)
    assert found["properties"]["rule"] == "GEOM_OVERLAP"
    assert found["properties"]["message_en"] == finding["message_en"]


def test_a_tile_far_away_or_zoomed_out_is_empty(client):
    x, y = _tile_of(105.85, 21.03, ZOOM)  # Hà Nội
    far = client.get(f"/tiles/parcels/{ZOOM}/{x}/{y}.pbf")
    assert far.status_code == 204 and far.content == b""
    assert "max-age" in far.headers["cache-control"]
    _, lon, lat, _ = _where(client.database, ParcelRow, ParcelRow.id.is_not(None))
    x, y = _tile_of(lon, lat, 5)
    assert client.get(f"/tiles/parcels/5/{x}/{y}.pbf").status_code == 204  # below z 13


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/tiles/parcels/23/0/0.pbf", "z"),
        ("/tiles/parcels/-1/0/0.pbf", "z"),
        ("/tiles/parcels/3/8/0.pbf", "x"),
        ("/tiles/parcels/3/0/8.pbf", "y"),
        ("/tiles/parcels/3/0/-2.pbf", "y"),
    ],
)
def test_tile_numbers_out_of_range_are_problem_details(client, path, field):
    response = client.get(path)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert [error["field"] for error in response.json()["errors"]] == [field]


def test_an_unknown_layer_is_not_found(client):
    response = client.get("/tiles/holders/16/0/0.pbf")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
