"""Every refusal of the geometry engine says what is wrong in Vietnamese as well as English,
with the same facts, and landreg and the command line carry the Vietnamese across."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

import shapely

from cli.support import both_languages, run
from landreg.errors import CRSError as RegisterCRSError
from landreg.errors import ValidationError, from_spatial
from spatial.crs import crs_for, recognise_crs, reproject, srid_from_text
from spatial.edits import boundary_from_geojson, check_drawn_boundary
from spatial.errors import CRSError, GeometryError, SpatialError
from spatial.geometry import to_multipolygon

SPATIAL = Path(__file__).resolve().parents[2] / "spatial"
# A commune of the register in VN-2000 / TM-3 105-45 (EPSG:9210), somewhere in the south-east.
CADASTRAL = 9210
CENTRE = (470_000.0, 1_200_000.0)
COMMUNE = shapely.Point(CENTRE).buffer(2_500, quad_segs=4)  # an octagon, not a box
ENGLISH_WORDS = re.compile(
    r"\b(the|must|geometry|got|check|outside|vertices|coordinates|has|is|are|no|not|of|"
    r"empty|read|send|from|its|crs)\b"
)
NUMBER = re.compile(r"\d+(?:\.\d+)?")


def _parcel(dx: float = 0.0, dy: float = 0.0, size: float = 40.0) -> shapely.Polygon:
    """A lot shaped like an L, drawn ``dx``, ``dy`` metres from the commune's centre."""
    x, y = CENTRE[0] + dx, CENTRE[1] + dy
    return shapely.Polygon(
        [(x, y), (x + size, y), (x + size, y + size / 2), (x + size / 2, y + size / 2),
         (x + size / 2, y + size), (x, y + size)]
    )  # fmt: skip


def _in_wgs84(geometry: shapely.Geometry) -> shapely.Geometry:
    return reproject(geometry, CADASTRAL, 4326)


def _refusal(call) -> SpatialError:  # type: ignore[no-untyped-def]
    with pytest.raises(SpatialError) as caught:
        call()
    return caught.value


def _says_the_same_in_vietnamese(error: SpatialError) -> str:
    """The Vietnamese text: present, other than the English, no English words in it, and
    the same numbers (sizes, limits, EPSG codes, distances) as the English."""
    assert error.detail_vi, f"no Vietnamese for {error.detail!r}"
    vi = error.detail_vi
    assert vi != error.detail
    assert not ENGLISH_WORDS.search(vi.replace("GeoJSON", "")), vi
    assert sorted(NUMBER.findall(vi)) == sorted(NUMBER.findall(error.detail)), (vi, error.detail)
    return vi


def test_a_geojson_that_is_no_polygon_is_refused_in_vietnamese():
    error = _refusal(
        lambda: boundary_from_geojson({"type": "LineString", "coordinates": [[1, 2], [3, 4]]})
    )
    assert _says_the_same_in_vietnamese(error) == (
        "ranh giới phải là GeoJSON Polygon hoặc MultiPolygon, nhận được 'LineString'"
    )
    four = [[106.1, 10.9, 1.0, 0.0], [106.2, 10.9, 1.0, 0.0], [106.2, 11.0, 1.0, 0.0],
            [106.1, 10.9, 1.0, 0.0]]  # fmt: skip
    error = _refusal(lambda: boundary_from_geojson({"type": "Polygon", "coordinates": [four]}))
    vi = _says_the_same_in_vietnamese(error)
    assert "Z hoặc M" in vi and "[4]" in vi
    short = {"type": "MultiPolygon", "coordinates": [[[[0, 0], [1, 1]]]]}
    error = _refusal(lambda: boundary_from_geojson(short))
    assert "từ 4 điểm trở lên" in _says_the_same_in_vietnamese(error)


def test_the_drawn_boundary_refusals_are_said_in_vietnamese():
    many = shapely.Point(CENTRE).buffer(10, quad_segs=40)  # 161 vertices
    error = _refusal(lambda: check_drawn_boundary(many, CADASTRAL, CADASTRAL, max_vertices=100))
    assert _says_the_same_in_vietnamese(error) == (
        "ranh giới có 161 đỉnh; ranh giới một thửa đất có tối đa 100 đỉnh"
    )
    raised = shapely.force_3d(_parcel(), 12.5)
    error = _refusal(lambda: check_drawn_boundary(raised, CADASTRAL, CADASTRAL))
    assert "tọa độ Z" in _says_the_same_in_vietnamese(error)
    empty = shapely.MultiPolygon()
    error = _refusal(lambda: check_drawn_boundary(empty, CADASTRAL, CADASTRAL))
    assert _says_the_same_in_vietnamese(error).endswith("nhận được MultiPolygon rỗng")
    flat = shapely.Polygon([(CENTRE[0], CENTRE[1]), (CENTRE[0] + 5, CENTRE[1]),
                            (CENTRE[0] + 10, CENTRE[1]), (CENTRE[0], CENTRE[1])])  # fmt: skip
    error = _refusal(lambda: check_drawn_boundary(flat, CADASTRAL, CADASTRAL))
    assert "không có diện tích" in _says_the_same_in_vietnamese(error)
    long = _parcel(size=30_000)
    error = _refusal(lambda: check_drawn_boundary(long, CADASTRAL, CADASTRAL))
    assert "30.0 km" in _says_the_same_in_vietnamese(error)


def test_a_boundary_far_from_its_commune_names_the_place_and_the_crs_it_fits():
    far = _in_wgs84(_parcel(dx=9_000))
    error = _refusal(
        lambda: check_drawn_boundary(
            far, 4326, CADASTRAL, commune=COMMUNE, where="Xã Phước Vĩnh (26100)"
        )
    )
    vi = _says_the_same_in_vietnamese(error)
    assert vi.startswith("ranh giới vượt ra ngoài Xã Phước Vĩnh (26100) 6.5 km")
    assert "(đọc theo EPSG:4326)" in vi and "hãy kiểm tra tọa độ và hệ tọa độ" in vi
    nameless = _refusal(lambda: check_drawn_boundary(far, 4326, CADASTRAL, commune=COMMUNE))
    assert "xã của thửa" in _says_the_same_in_vietnamese(nameless)


def test_crs_refusals_are_said_in_vietnamese():
    for call, said in (
        (lambda: crs_for(0), "hình học không khai hệ tọa độ (SRID 0)"),
        (lambda: crs_for(990_001), "EPSG:990001 không phải một hệ tọa độ đã biết"),
        (lambda: srid_from_text("VN2000 Tây Ninh"), "hệ tọa độ 'VN2000 Tây Ninh' không phải"),
        (lambda: recognise_crs("PROJCS[nonsense"), "không đọc được hệ tọa độ đã khai"),
    ):
        error = _refusal(call)
        assert isinstance(error, CRSError)
        assert said in str(error.detail_vi), error.detail_vi
        assert error.detail_vi and not ENGLISH_WORDS.search(error.detail_vi)


def test_an_empty_or_linear_parcel_geometry_is_refused_in_vietnamese():
    error = _refusal(lambda: to_multipolygon(shapely.Polygon()))
    assert _says_the_same_in_vietnamese(error) == "hình học của thửa đất bị rỗng"
    error = _refusal(lambda: to_multipolygon(shapely.LineString([(0, 0), (1, 1)])))
    assert _says_the_same_in_vietnamese(error).endswith("nhận được LineString")


def test_the_register_keeps_the_vietnamese_and_the_candidates():
    refused = GeometryError("geometry has no area", field="geometry", value=0,
                            detail_vi="ranh giới không có diện tích")  # fmt: skip
    mapped = from_spatial(refused)
    assert type(mapped) is ValidationError
    assert mapped.detail_in("vi") == "ranh giới không có diện tích"
    assert mapped.detail_in("en") == "geometry has no area"
    crs = from_spatial(CRSError("x", field="crs", value=1, candidates=[9210], detail_vi="y"))
    assert isinstance(crs, RegisterCRSError) and crs.candidates == [9210]
    assert (crs.detail_in("vi"), crs.detail_in("en"), crs.field) == ("y", "x", "crs")
    untranslated = from_spatial(GeometryError("only English", field="geometry"))
    assert untranslated.detail_in("vi") == "only English"  # never an empty text


def test_every_refusal_in_spatial_is_written_in_vietnamese():
    """Read every ``raise``/``return`` of a spatial error: each passes ``detail_vi``."""
    names = {"SpatialError", "GeometryError", "CRSError"}
    missing = []
    for path in sorted(SPATIAL.glob("*.py")):
        if path.name == "errors.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in names
                and not any(k.arg == "detail_vi" for k in node.keywords)
            ):
                missing.append(f"{path.name}:{node.lineno}")
    assert not missing, f"spatial errors without Vietnamese: {missing}"


def _command(error: Exception) -> typer.Typer:
    app = typer.Typer()

    @app.command()
    @run
    def take_in() -> None:
        raise error

    return app


def test_the_command_line_says_vietnamese_then_english_on_one_line():
    far = _in_wgs84(_parcel(dx=9_000))
    try:
        check_drawn_boundary(far, 4326, CADASTRAL, commune=COMMUNE, where="Xã Phước Vĩnh (26100)")
    except SpatialError as refused:
        error = refused
    result = CliRunner().invoke(_command(error), [], env={"COLUMNS": "60"})
    assert result.exit_code == 2
    [line] = result.output.strip().splitlines()  # one line, however narrow the console
    assert line.startswith("lỗi / error [geometry='EPSG:4326']: ranh giới vượt ra ngoài")
    vi, en = str(error.detail_vi), error.detail
    assert line.endswith(f": {vi} / {en}")
    assert line.index("hãy kiểm tra") < line.index("check the coordinates")


def test_a_text_already_in_both_languages_is_said_once():
    bilingual = ValidationError(
        "tệp zip chứa bang.csv hai lần / the zip holds bang.csv twice", field="file"
    )
    assert both_languages(bilingual) == bilingual.detail
    named = ValidationError(
        "no parcel 7 on sheet 31 of Phường Tân Ninh",
        detail_vi="không có thửa 7 tờ 31 của Phường Tân Ninh",
    )
    assert both_languages(named) == (
        "không có thửa 7 tờ 31 của Phường Tân Ninh / no parcel 7 on sheet 31 of Phường Tân Ninh"
    )
    english_only = ValidationError("only English")
    assert both_languages(english_only) == "only English"
