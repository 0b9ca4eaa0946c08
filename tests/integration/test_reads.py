"""Both implementations of every read interface on the same data say the same.

The sample data set is taken in, reconciled and linked on PostGIS and on SpatiaLite. On
PostGIS the one-statement reads run on a pool (as served) and on a connection the register is
bound to (as the tests bind it), and the ORM's reads through a session; on SpatiaLite the
ORM's (as served). Parcels by id, at a point and in a box; the citizen's status of dossiers
linked and not, a wrong verification answered as an unknown code; OGC pages, features and
extents; a tile's features.
"""

from __future__ import annotations

import asyncio
import json
import math
import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import mapbox_vector_tile
import pytest
from sqlalchemy import func, select

import shapely

from api.schemas import ParcelOut
from landreg.domain.map_features import FeatureRequest, MapLayerName
from landreg.errors import NotFoundError
from landreg.services.dossier_links import link_all
from landreg.services.public_status import public_dossier_status
from landreg.settings import DatabaseSettings
from landreg.store.database import RegisterDatabase
from landreg.store.reads.factory import Reads, reads_for, session_reads
from landreg.store.reads.lookups import BoundLookups, PooledLookups
from landreg.store.tables import DossierParcelLinkRow, DossierRow, FindingRow, ParcelRow
from landreg.store.unit_of_work import UnitOfWork
from spatial.crs import reproject
from tests.conftest import _isolated, take_in_sample

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data" / "small"
SRID = 9209
NOWHERE = "H55.000-000000-0000"  # a code no dossier has
SPATIALITE_DATUM_SHIFT = 2e-5  # degrees, about 2 m (see _same_features)


@pytest.fixture(scope="module")
def postgis_sample(sample_register) -> RegisterDatabase:
    database, _ = sample_register
    with UnitOfWork(database) as uow:
        link_all(uow)
    return database


@pytest.fixture(scope="module")
def spatialite_sample(tmp_path_factory) -> Iterator[RegisterDatabase]:
    """The same data set in a SpatiaLite file, taken in, reconciled and linked the same way."""
    path = tmp_path_factory.mktemp("reads") / "register.sqlite"
    database = RegisterDatabase.from_settings(DatabaseSettings(database_url=f"sqlite:///{path}"))
    take_in_sample(database)
    with UnitOfWork(database) as uow:
        link_all(uow)
    yield database
    database.engine.dispose()


@pytest.fixture(scope="module")
def bound_sample(postgis_sample) -> Iterator[RegisterDatabase]:
    yield from _isolated(postgis_sample)


@pytest.fixture(scope="module")
def implementations(postgis_sample, bound_sample, spatialite_sample) -> dict[str, Reads]:
    """Every way the register is read, by name; the data are the same (same ids)."""
    assert _identities(postgis_sample) == _identities(spatialite_sample)
    found = {
        "pooled": reads_for(postgis_sample, size=4, timeout=10),
        "bound": reads_for(bound_sample, size=4, timeout=10),
        "session": session_reads(postgis_sample),
        "spatialite": reads_for(spatialite_sample, size=4, timeout=10),
    }
    assert isinstance(found["pooled"].lookups, PooledLookups)
    assert isinstance(found["bound"].lookups, BoundLookups)
    assert found["spatialite"].lookups is None  # the ORM's, as the factory chose
    return found


def _identities(database: RegisterDatabase) -> list[list]:
    columns = [
        (ParcelRow.id, ParcelRow.commune_code, ParcelRow.map_sheet, ParcelRow.parcel_number,
         ParcelRow.source_key),
        (FindingRow.id, FindingRow.fingerprint, FindingRow.status),
        (DossierRow.id, DossierRow.code),
    ]  # fmt: skip
    with UnitOfWork(database) as uow:
        return [uow.session.execute(select(*c).order_by(c[0])).all() for c in columns]


def _each(implementations: dict[str, Reads], work) -> dict[str, object]:
    """``work(reads)`` with every implementation, on one event loop (pools opened and closed)."""

    async def run() -> dict[str, object]:
        answers = {}
        for name, reads in implementations.items():
            await reads.open()
            try:
                answers[name] = await work(reads)
            finally:
                await reads.close()
        return answers

    return asyncio.run(run())


def _sampled_parcels(database: RegisterDatabase) -> tuple[list[int], list[tuple[float, float]]]:
    """Ids of some parcels, and points inside some (cadastral CRS)."""
    with UnitOfWork(database) as uow:
        ids = uow.session.scalars(select(ParcelRow.id).order_by(ParcelRow.id)).all()[::150]
        inside = func.ST_PointOnSurface(ParcelRow.geom)
        points = uow.session.execute(
            select(func.ST_X(inside), func.ST_Y(inside))
            .where(ParcelRow.geom.is_not(None)).order_by(ParcelRow.id)
        ).all()[::300]  # fmt: skip
    return list(ids), [(float(x), float(y)) for x, y in points]


def _same_parcel(got: dict, want: dict, *, loaded_apart: bool = False) -> None:
    """The same parcel written by the database and by Python: fields alike, times and
    coordinates to their precision (9 decimals of the database's GeoJSON). ``loaded_apart``:
    from the other database, whose versions began when it was loaded."""
    got, want = dict(got), dict(want)
    for moment in ("valid_from", "valid_to"):
        times = [
            datetime.fromisoformat(t) if t else None for t in (got.pop(moment), want.pop(moment))
        ]
        assert (times[0] is None) == (times[1] is None)
        assert loaded_apart or times[0] == times[1]
    assert got.pop("measured_area") == pytest.approx(want.pop("measured_area"))
    assert got.pop("legal_area") == pytest.approx(want.pop("legal_area"))
    shapes = [g and shapely.geometry.shape(g) for g in (got.pop("geometry"), want.pop("geometry"))]
    assert (shapes[0] is None) == (shapes[1] is None)
    if shapes[0] is not None:
        assert shapes[0].geom_type == shapes[1].geom_type
        assert shapely.equals_exact(shapes[0], shapes[1], tolerance=1e-6)
    assert got == want


def _same_answers(answers: dict[str, object], compare) -> None:
    """Byte for byte between the two runs of the same statements; ``compare(got, want,
    loaded_apart)`` with the ORM's on the same database and on the other."""
    assert answers["pooled"] == answers["bound"]
    compare(answers["session"], answers["pooled"], False)
    compare(answers["spatialite"], answers["pooled"], True)


def test_parcels_by_id_are_the_same_everywhere(implementations, postgis_sample):
    ids, _ = _sampled_parcels(postgis_sample)
    missing = 10**9

    async def look(reads: Reads):
        found = [await reads.parcels.by_id(i, None, out) for i in ids for out in (4326, SRID)]
        with pytest.raises(NotFoundError) as refused:
            await reads.parcels.by_id(missing, None, 4326)
        return found, str(refused.value)

    answers = _each(implementations, look)

    def compare(got, want, loaded_apart):
        assert got[1] == want[1]  # the same refusal
        for text, wanted in zip(got[0], want[0], strict=True):
            _same_parcel(json.loads(text), json.loads(wanted), loaded_apart=loaded_apart)

    _same_answers(answers, compare)
    # The ORM's reads write what the API's model writes, byte for byte.
    with UnitOfWork(postgis_sample) as uow:
        models = [
            ParcelOut.from_parcel(uow.parcels.get(i), SRID, out).model_dump_json()
            for i in ids for out in (4326, SRID)
        ]  # fmt: skip
    assert answers["session"][0] == models


def test_a_parcel_as_it_was_is_the_same_everywhere(implementations, postgis_sample):
    ids, _ = _sampled_parcels(postgis_sample)
    parcel_id = ids[1]
    with UnitOfWork(postgis_sample) as uow:
        since = uow.parcels.get(parcel_id).valid_from
    later, before = since + timedelta(days=1), since - timedelta(days=1)

    async def look(reads: Reads):
        then = await reads.parcels.by_id(parcel_id, later, 4326)
        with pytest.raises(NotFoundError) as refused:
            await reads.parcels.by_id(parcel_id, before, 4326)
        return then, (str(refused.value), refused.value.field)

    answers = _each(implementations, look)

    def compare(got, want, loaded_apart):
        assert got[1] == want[1]  # the same refusal
        _same_parcel(json.loads(got[0]), json.loads(want[0]), loaded_apart=loaded_apart)

    _same_answers(answers, compare)
    assert answers["pooled"][1][1] == "at"


def test_parcels_at_a_point_and_in_a_box_are_the_same_everywhere(implementations, postgis_sample):
    _, points = _sampled_parcels(postgis_sample)
    boxes = [(x - 60, y - 60, x + 60, y + 60) for x, y in points]

    async def look(reads: Reads):
        at = [await reads.parcels.at_point(x, y, 4326) for x, y in points]
        within = [
            await reads.parcels.within(box, SRID, limit, offset)
            for box in boxes for limit, offset in ((100, 0), (3, 2))
        ]  # fmt: skip
        return at, within

    answers = _each(implementations, look)

    def compare(got, want, loaded_apart):
        for texts, wanted in zip(got, want, strict=True):
            for text, wanted_text in zip(texts, wanted, strict=True):
                parcels, wanted_parcels = json.loads(text), json.loads(wanted_text)
                assert [p["id"] for p in parcels] == [p["id"] for p in wanted_parcels]
                for parcel, wanted_parcel in zip(parcels, wanted_parcels, strict=True):
                    _same_parcel(parcel, wanted_parcel, loaded_apart=loaded_apart)

    _same_answers(answers, compare)
    at, within = answers["pooled"]
    assert all(json.loads(text) for text in at)  # every point is in a parcel
    assert any(len(json.loads(text)) > 3 for text in within)  # boxes with pages to cut


def _verification(identity: str | None, phone: str | None) -> str | None:
    for value in (identity, phone):
        digits = re.sub(r"\D", "", value or "")
        if len(digits) >= 4:
            return digits[-4:]
    return None


def test_the_citizens_status_is_the_same_everywhere(implementations, postgis_sample):
    with UnitOfWork(postgis_sample) as uow:
        rows = uow.session.execute(
            select(DossierRow.id, DossierRow.code, DossierRow.applicant_identity,
                   DossierRow.applicant_phone).order_by(DossierRow.id)
        ).all()  # fmt: skip
        held = set(uow.session.scalars(select(DossierParcelLinkRow.dossier_id)))
    asked, linked_too = [], set()
    for row in rows[::9]:
        verify = _verification(row.applicant_identity, row.applicant_phone)
        if verify:
            asked.append((row.code, verify))
            linked_too.add(row.id in held)
    assert linked_too == {True, False}  # dossiers with and without a parcel linked
    as_of = datetime(2024, 6, 1)

    async def look(reads: Reads):
        read = [await reads.status.verified_dossier(code, verify) for code, verify in asked]
        told = [
            await public_dossier_status(reads.status, code, verify, as_of=as_of)
            for code, verify in asked
        ]
        return read, told

    answers = _each(implementations, look)
    for name in ("bound", "session", "spatialite"):
        assert answers[name] == answers["pooled"], name  # what is read, and what is told
    read, told = answers["pooled"]
    assert {dossier.linked_remote is None for dossier in read} == {True, False}
    assert len({answer.timeliness for answer in told}) >= 3
    assert any(answer.missing_documents for answer in told)


def test_a_wrong_verification_is_an_unknown_code_everywhere(implementations, postgis_sample):
    with UnitOfWork(postgis_sample) as uow:
        row = uow.session.execute(
            select(DossierRow.code, DossierRow.applicant_identity, DossierRow.applicant_phone)
            .where(DossierRow.applicant_identity.is_not(None),
                   DossierRow.applicant_phone.is_not(None))
            .order_by(DossierRow.id).limit(1)
        ).one()  # fmt: skip
    right = _verification(row.applicant_identity, None)
    phone = _verification(row.applicant_phone, None)
    wrong = next(
        candidate for n in range(1, 3) if (candidate := f"{(int(right) + n) % 10_000:04d}") != phone
    )

    async def look(reads: Reads):
        refusals = []
        for code, verify in ((row.code, wrong), (NOWHERE, right), (NOWHERE, wrong)):
            assert await reads.status.verified_dossier(code, verify) is None
            with pytest.raises(NotFoundError) as refused:
                await public_dossier_status(reads.status, code, verify)
            refusals.append(str(refused.value))
        by_phone = await public_dossier_status(reads.status, row.code.lower(), phone)
        return refusals, by_phone.code

    for name, (refusals, code) in _each(implementations, look).items():
        assert len(set(refusals)) == 1, name  # a wrong verification is an unknown code
        assert code == row.code, name


def _same_features(got: list[dict], want: list[dict], out_srid: int) -> None:
    """The same features written by PostGIS and by SpatiaLite: properties alike, coordinates
    to a millimetre in metres; in degrees to SpatiaLite's datum shift (its ``ST_Transform``
    takes VN-2000 → WGS 84 from PROJ's EPSG database, not from landreg's seven parameters: up
    to a metre apart)."""
    assert [f["id"] for f in got] == [f["id"] for f in want]
    tolerance = SPATIALITE_DATUM_SHIFT if out_srid == 4326 else 1e-3
    for feature, wanted in zip(got, want, strict=True):
        _same_properties(feature["properties"], wanted["properties"])
        shape, wanted_shape = (shapely.geometry.shape(f["geometry"]) for f in (feature, wanted))
        assert shapely.equals_exact(shape, wanted_shape, tolerance=tolerance)


def _same_properties(got: dict, want: dict) -> None:
    """Numbers to their floating-point precision, the rest exactly (nested JSON too)."""
    assert got.keys() == want.keys()
    for key, value in got.items():
        if isinstance(value, float):
            assert value == pytest.approx(want[key]), key
        else:
            assert value == want[key], key


def test_ogc_pages_features_and_extents_are_the_same_everywhere(implementations, postgis_sample):
    with UnitOfWork(postgis_sample) as uow:
        spot = func.ST_PointOnSurface(FindingRow.geom)
        x, y = uow.session.execute(
            select(func.ST_X(spot), func.ST_Y(spot))
            .where(FindingRow.status == "open", FindingRow.geom.is_not(None))
            .order_by(FindingRow.id).limit(1)
        ).one()  # fmt: skip
        finding = uow.session.scalar(
            select(FindingRow.id).where(FindingRow.status == "open").order_by(FindingRow.id)
        )
    frame = shapely.Point(x, y).buffer(300, quad_segs=2)
    asked = [
        (layer, FeatureRequest(out, swap, box, 10, offset))
        for layer in MapLayerName
        for out, swap in ((4326, False), (4326, True), (SRID, False))
        for box, offset in ((None, 0), (frame, 0), (frame, 5))
        # one commune in the frame; roads and canals are far apart
        if not (layer in (MapLayerName.COMMUNES, MapLayerName.STRIPS) and offset)
    ]

    async def look(reads: Reads):
        pages = [await reads.map.feature_page(layer, wanted) for layer, wanted in asked]
        one = [
            await reads.map.feature(MapLayerName.PARCELS, 1, FeatureRequest(4326)),
            await reads.map.feature(MapLayerName.FINDINGS, finding, FeatureRequest(SRID)),
            await reads.map.feature(MapLayerName.PARCELS, 10**9, FeatureRequest(4326)),
        ]
        extents = [await reads.map.extent(layer) for layer in MapLayerName]
        return pages, one, extents

    answers = _each(implementations, look)
    assert answers["session"] == answers["pooled"]  # the same statements through the ORM

    def compare(got, want, loaded_apart):
        pages, one, extents = got
        for page, wanted, (_, request) in zip(pages, want[0], asked, strict=True):
            assert (page.matched, page.returned) == (wanted.matched, wanted.returned)
            features = [json.loads(f"[{p.features}]") for p in (page, wanted)]
            _same_features(*features, request.out_srid)
        assert one[2] is None and want[1][2] is None
        for text, wanted_text, out_srid in zip(one[:2], want[1][:2], (4326, SRID), strict=True):
            _same_features([json.loads(text)], [json.loads(wanted_text)], out_srid)
        for extent, wanted_extent in zip(extents, want[2], strict=True):
            assert extent == pytest.approx(wanted_extent, abs=1e-7)  # degrees, a centimetre

    _same_answers(answers, compare)
    # every page had features (but a road or canal need not pass within 300 m of a finding)
    assert all(
        page.returned
        for page, (layer, request) in zip(answers["pooled"][0], asked, strict=True)
        if layer is not MapLayerName.STRIPS or request.frame is None
    )
    assert all(answers["pooled"][2])  # both layers have an extent


def _tile_of(x: float, y: float, z: int) -> tuple[int, int]:
    """The XYZ tile holding a point of the cadastral CRS."""
    lon_lat = reproject(shapely.Point(x, y), SRID, 4326)
    n = 2**z
    column = int((lon_lat.x + 180) / 360 * n)
    row = int((1 - math.asinh(math.tan(math.radians(lon_lat.y))) / math.pi) / 2 * n)
    return column, row


def test_a_tiles_features_are_the_same_everywhere(implementations, postgis_sample):
    """Decoded, not byte for byte: ``ST_AsMVT`` writes its features in the order the plan
    reads the rows, which may change from one call to the next."""
    _, points = _sampled_parcels(postgis_sample)
    tiles = [(layer, 16, *_tile_of(x, y, 16)) for x, y in points[:3] for layer in MapLayerName]
    tiles.append((MapLayerName.PARCELS, 12, *_tile_of(*points[0], 12)))  # below the first zoom

    async def look(reads: Reads):
        return [await reads.tiles.tile(layer, z, x, y) for layer, z, x, y in tiles]

    drawn = {
        name: [_decoded(data, layer) for data, (layer, *_) in zip(found, tiles, strict=True)]
        for name, found in _each(implementations, look).items()
    }
    for name in ("bound", "session"):  # drawn by PostGIS: the same to the tile's unit
        assert drawn[name] == drawn["pooled"], name
    for got, want in zip(drawn["spatialite"], drawn["pooled"], strict=True):  # by Python
        assert got.keys() == want.keys()
        for key, feature in got.items():
            _same_properties(feature["properties"], want[key]["properties"])
            assert _kind(feature) == _kind(want[key])
    assert drawn["pooled"][-1] == drawn["spatialite"][-1] == {}
    assert sum(map(len, drawn["pooled"])) > 10


def _decoded(data: bytes, layer: MapLayerName) -> dict[int, dict]:
    if not data:
        return {}
    return {f["id"]: f for f in mapbox_vector_tile.decode(data)[layer.value]["features"]}


def _kind(feature: dict) -> str:
    return str(feature["geometry"]["type"]).removeprefix("Multi")
