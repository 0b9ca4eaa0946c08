"""The cadastral map workbench in a real browser (chromium at a desk and on a 1366×768 laptop),
on a real server over a copy of the reconciled sample register.

A cadastral officer's morning on the map: sign in and land on the map; see the parcels drawn
in their land-use colours; click one and read its record with the file and row it came from;
find a parcel by its key and fly there; take an overlap from the findings queue, download the
filtered list, see the fix before and after, apply it and watch the open count drop without
the page reloading; slide the parcel's history back to its old boundary; drag a vertex so the
boundary crosses itself and be told why it is refused, then dismiss the finding with a
reason; see another tab's dismissal arrive and a stale fix refused. A registry officer reads
the same map, in Vietnamese and in English, without any action. Every page is audited with
axe-core and photographed.
"""

from __future__ import annotations

import base64
import csv
import io
import re
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

import shapely

from api.pages.map_page import LAND_USE_GROUPS

STAFF = "cadastral_staff"
OFFICER = "registry_officer"
ACTIONS = ("Áp dụng cách sửa đề xuất", "Sửa ranh giới bằng tay", "Bỏ qua")
# A parcel number label and the pixel check need the map to stand still and be drawn.
_SETTLED = "() => document.body.dataset.mapReady === '1' && !window.landregMap.isMoving()"
_JUMP = """async ([center, zoom]) => {
  const map = window.landregMap;
  await new Promise(done => {
    map.once('idle', done);
    map.jumpTo({center, zoom});
    map.triggerRepaint();
  });
}"""
# The dashboard's headline count of open findings (None until its figures have loaded).
_DASHBOARD_OPEN = """(() => {
  const shown = document.querySelector(".headline [data-figure='open_findings']");
  return shown && shown.dataset.value ? Number(shown.dataset.value) : null;
})()"""
_IDLE = """() => new Promise(done => {
  const map = window.landregMap;
  if (!map.isMoving() && map.loaded()) { done(); return; }
  map.once('idle', () => done());
})"""
# A screenshot's middle pixel, decoded by the browser (no image library needed here).
_MIDDLE_PIXEL = """async (png) => {
  const blob = await (await fetch('data:image/png;base64,' + png)).blob();
  const image = await createImageBitmap(blob);
  const canvas = new OffscreenCanvas(image.width, image.height);
  const context = canvas.getContext('2d');
  context.drawImage(image, 0, 0);
  const x = Math.floor(image.width / 2), y = Math.floor(image.height / 2);
  return Array.from(context.getImageData(x, y, 1, 1).data.slice(0, 3));
}"""
_CONTAINS = """([w, s, e, n]) => {
  const b = window.landregMap.getBounds();
  return b.getWest() <= w && b.getSouth() <= s && b.getEast() >= e && b.getNorth() >= n;
}"""


@pytest.fixture(scope="module")
def database(site_database_url: str) -> Iterator[Engine]:
    engine = create_engine(site_database_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def rice_parcel(database: Engine) -> dict[str, Any]:
    """A large rice parcel no open finding touches: its key, a point well inside it (WGS 84),
    its box, and the file and row it came from."""
    with database.connect() as connection:
        row = connection.execute(
            text("""
            SELECT p.id, p.commune_code, p.map_sheet, p.parcel_number, p.land_use_code,
                   p.source_row, b.file_name,
                   ST_X(s.inside) AS lon, ST_Y(s.inside) AS lat,
                   ST_XMin(s.box) AS w, ST_YMin(s.box) AS s, ST_XMax(s.box) AS e,
                   ST_YMax(s.box) AS n
            FROM parcel p
            JOIN source_batch b ON b.id = p.source_batch_id,
            LATERAL (SELECT ST_Transform(ST_PointOnSurface(ST_Buffer(p.geom, -8)), 4326) AS inside,
                            ST_Transform(p.geom, 4326)::box2d AS box) s
            WHERE p.land_use_code IN ('LUC', 'LUK') AND ST_Area(p.geom) > 1500
              AND p.map_sheet IS NOT NULL AND p.parcel_number IS NOT NULL
              AND NOT EXISTS (SELECT 1 FROM finding f WHERE f.status = 'open'
                              AND f.geom IS NOT NULL AND ST_DWithin(f.geom, p.geom, 15))
              AND NOT EXISTS (SELECT 1 FROM finding f, jsonb_array_elements(f.subjects) j
                              WHERE f.status = 'open' AND j ->> 'table' = 'parcel'
                                AND (j ->> 'id')::int = p.id)
            ORDER BY p.id LIMIT 1
            """)
        ).one()
    return dict(row._mapping)


@pytest.fixture(scope="module")
def road(database: Engine) -> dict[str, Any]:
    """A point well inside a road drawn between the parcels (a map strip), WGS 84."""
    with database.connect() as connection:
        row = connection.execute(
            text("""
            SELECT s.id, ST_X(p.inside) AS lon, ST_Y(p.inside) AS lat
            FROM map_strip s,
            LATERAL (SELECT ST_Transform(ST_PointOnSurface(ST_Buffer(s.geom, -2)), 4326)
                     AS inside) p
            WHERE s.land_use_text = 'DGT' AND ST_Area(ST_Buffer(s.geom, -2)) > 50
              AND NOT EXISTS (SELECT 1 FROM finding f WHERE f.status = 'open'
                              AND f.geom IS NOT NULL AND ST_DWithin(f.geom, s.geom, 5))
            ORDER BY s.id LIMIT 1
            """)
        ).one()
    return dict(row._mapping)


def _colour(land_use: str) -> tuple[int, int, int]:
    hexa = next(group[3] for group in LAND_USE_GROUPS if land_use in group[4])
    return int(hexa[1:3], 16), int(hexa[3:5], 16), int(hexa[5:7], 16)


def _sign_in(page: Any, accounts: dict[str, tuple[str, str]], role: str) -> None:
    """Through the real form, without naming a page: cadastral staff land on the map."""
    username, password = accounts[role]
    page.goto("/app/dang-nhap")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(password)
    page.get_by_role("button", name="Đăng nhập").click()
    if role == STAFF:
        page.wait_for_url(re.compile(r"/app/ban-do"))
    else:
        page.wait_for_url(re.compile(r"/app$"))
        page.get_by_role("link", name="Bản đồ địa chính").click()
        page.wait_for_url(re.compile(r"/app/ban-do"))
    page.wait_for_function(_SETTLED, timeout=20_000)
    page.wait_for_function("() => document.getElementById('dem-mo').dataset.openCount !== ''")


def _audited(page: Any, axe: Any, shoot: Any, name: str) -> None:
    assert axe(page) == [], name
    shoot(page, name, full_page=False)


def _screen_point(page: Any, lon: float, lat: float) -> tuple[float, float]:
    box = page.locator("#ban-do canvas").bounding_box()
    at = page.evaluate("([lon, lat]) => window.landregMap.project([lon, lat])", [lon, lat])
    return box["x"] + at["x"], box["y"] + at["y"]


def _pixel(page: Any, x: float, y: float) -> tuple[int, int, int]:
    png = page.screenshot(clip={"x": x - 2, "y": y - 2, "width": 5, "height": 5})
    red, green, blue = page.evaluate(_MIDDLE_PIXEL, base64.b64encode(png).decode("ascii"))
    return red, green, blue


def _open_count(page: Any) -> int:
    return int(page.locator("#dem-mo").get_attribute("data-open-count"))


def _finding(page: Any, finding_id: int) -> dict[str, Any]:
    """The finding as the map's data answers it (with the page's own session)."""
    item: dict[str, Any] = page.evaluate(
        "async (id) => (await fetch('/app/ban-do/phat-hien/' + id)).json()", finding_id
    )
    return item


def _choose_first_finding(page: Any, rule: str) -> int:
    page.get_by_label("Quy tắc").select_option(rule)
    first = page.locator(f"#danh-sach-phat-hien .finding-item:has-text('{_rule_name(page, rule)}')")
    first.first.wait_for()
    finding_id = int(first.first.get_attribute("data-finding-id"))
    first.first.click()
    page.locator(f".finding-card[data-finding-id='{finding_id}']").wait_for()
    page.evaluate(_IDLE)
    return finding_id


def _rule_name(page: Any, rule: str) -> str:
    option = page.locator(f"#loc-quy-tac option[value='{rule}']")
    return str(option.inner_text()).strip()


def test_the_map_draws_parcels_in_their_land_use_colours(
    new_page, site_accounts, rice_parcel, road, axe_violations, shoot
):
    page = new_page(1366, 768)  # a laptop: the map, the queue and the panel side by side
    _sign_in(page, site_accounts, STAFF)
    assert "Bản đồ địa chính" in page.title()
    _audited(page, axe_violations, shoot, "map_opened_laptop")
    side, area, panel = (
        page.locator(selector).bounding_box()
        for selector in (".map-side", ".map-area", ".map-panel")
    )
    assert side["x"] + side["width"] <= area["x"] and area["x"] + area["width"] <= panel["x"]
    assert area["width"] >= 600 and area["height"] >= 600
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 1366

    # At zoom 16.5 the parcel is drawn in the rice colour, and the map says it drew it there.
    lon, lat = rice_parcel["lon"], rice_parcel["lat"]
    page.evaluate(_JUMP, [[lon, lat], 16.5])
    x, y = _screen_point(page, lon, lat)
    expected = _colour(rice_parcel["land_use_code"])
    drawn = _pixel(page, x, y)
    assert all(abs(a - b) <= 6 for a, b in zip(drawn, expected, strict=True)), (drawn, expected)
    rendered = page.evaluate(
        """([lon, lat]) => window.landregMap.queryRenderedFeatures(
             window.landregMap.project([lon, lat]), {layers: ['parcels-fill']})
           .map(f => ({id: f.id, use: f.properties.land_use_code}))""",
        [lon, lat],
    )
    assert {"id": rice_parcel["id"], "use": rice_parcel["land_use_code"]} in rendered
    # Not everything is one colour: another land use is drawn in its own colour nearby.
    uses = page.evaluate(
        """() => [...new Set(window.landregMap.queryRenderedFeatures({layers: ['parcels-fill']})
                  .map(f => f.properties.land_use_code))]"""
    )
    assert len(uses) >= 2, uses

    # Parcel numbers are written over the parcels at large scales (HTML, no font files).
    assert page.locator(".parcel-label").count() == 0
    page.evaluate(_JUMP, [[lon, lat], 18])
    labels = page.locator(".parcel-label").all_inner_texts()
    assert str(rice_parcel["parcel_number"]) in labels
    assert len(labels) <= 300
    shoot(page, "map_parcels_laptop", full_page=False)

    # Roads between the parcels are drawn too, in the road colour.
    page.evaluate(_JUMP, [[road["lon"], road["lat"]], 17])
    x, y = _screen_point(page, road["lon"], road["lat"])
    drawn = _pixel(page, x, y)
    assert all(abs(a - b) <= 6 for a, b in zip(drawn, _colour("DGT"), strict=True)), drawn
    strips = page.evaluate(
        """([lon, lat]) => window.landregMap.queryRenderedFeatures(
             window.landregMap.project([lon, lat]), {layers: ['strips-fill']}).map(f => f.id)""",
        [road["lon"], road["lat"]],
    )
    assert road["id"] in strips


def test_clicking_a_parcel_opens_its_record_with_its_sources(
    desk_page, site_accounts, rice_parcel, axe_violations, shoot
):
    page = desk_page
    _sign_in(page, site_accounts, STAFF)
    lon, lat = rice_parcel["lon"], rice_parcel["lat"]
    page.evaluate(_JUMP, [[lon, lat], 17.5])
    page.mouse.click(*_screen_point(page, lon, lat))
    record = page.locator(f"#thua-chon .parcel-record[data-parcel-id='{rice_parcel['id']}']")
    record.wait_for()
    key = f"{rice_parcel['commune_code']}-{rice_parcel['map_sheet']}-{rice_parcel['parcel_number']}"
    said = record.inner_text()
    assert f"Thửa {rice_parcel['parcel_number']}, tờ {rice_parcel['map_sheet']}" in said
    assert key in said
    assert "Diện tích pháp lý" in said and "m²" in said
    assert rice_parcel["file_name"] in said and f"dòng {rice_parcel['source_row']}" in said
    assert "Lịch sử thửa đất" in said
    status = page.get_by_role("status").inner_text()
    assert f"Đang xem: Thửa {rice_parcel['parcel_number']}" in status
    # The parcel is outlined: the selection holds its boundary.
    selected = page.evaluate(
        "() => window.landregMap.querySourceFeatures('selected').map(f => f.properties.id)"
    )
    assert rice_parcel["id"] in selected
    _audited(page, axe_violations, shoot, "map_parcel_record_desk")


def test_a_parcel_found_by_its_key_is_flown_to_and_opened(
    desk_page, site_accounts, rice_parcel, axe_violations, shoot
):
    page = desk_page
    _sign_in(page, site_accounts, STAFF)
    key = f"{rice_parcel['commune_code']}:{rice_parcel['map_sheet']}:{rice_parcel['parcel_number']}"
    page.get_by_label("Tìm thửa đất").fill(key)
    page.get_by_role("button", name="Tìm", exact=True).click()
    result = page.locator(f"#ket-qua-tim .result-item[data-parcel-id='{rice_parcel['id']}']")
    result.wait_for()
    assert (
        f"Thửa {rice_parcel['parcel_number']}, tờ {rice_parcel['map_sheet']}" in result.inner_text()
    )
    result.click()
    page.locator(f"#thua-chon .parcel-record[data-parcel-id='{rice_parcel['id']}']").wait_for()
    page.wait_for_function(_SETTLED)
    page.evaluate(_IDLE)
    box = [rice_parcel[c] for c in ("w", "s", "e", "n")]
    assert page.evaluate(_CONTAINS, box)
    assert page.evaluate("() => window.landregMap.getZoom()") >= 16
    _audited(page, axe_violations, shoot, "map_search_desk")


def test_a_fix_from_the_queue_closes_the_finding_without_a_reload(
    desk_page, site_accounts, database, axe_violations, shoot
):
    page = desk_page
    _sign_in(page, site_accounts, STAFF)
    page.evaluate("() => { window.sameDocument = 'yes'; }")
    before = _open_count(page)
    # The dashboard, open in another tab of the same session, counts the same open findings.
    dashboard = page.context.new_page()
    dashboard.goto("/app/tong-quan")
    dashboard.wait_for_function(_DASHBOARD_OPEN + " !== null")
    assert dashboard.evaluate(_DASHBOARD_OPEN) == before
    dashboard.evaluate("() => { window.sameDocument = 'yes'; }")
    page.bring_to_front()

    finding_id = _choose_first_finding(page, "GEOM_OVERLAP")
    finding = _finding(page, finding_id)
    # The export links carry the queue's filter; the download is the filtered findings.
    csv_link = page.get_by_role("link", name="Tải CSV")
    assert "rule=GEOM_OVERLAP" in csv_link.get_attribute("href")
    assert "rule=GEOM_OVERLAP" in page.get_by_role("link", name="Tải GeoPackage").get_attribute(
        "href"
    )
    download = page.request.get(csv_link.get_attribute("href"))
    assert download.ok and "attachment" in download.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(download.text().lstrip("\ufeff"))))
    assert {row["rule"] for row in rows} == {"GEOM_OVERLAP"}
    assert str(finding_id) in {row["id"] for row in rows}
    assert finding["bbox"] and finding["geometry"]
    assert page.evaluate(_CONTAINS, finding["bbox"])  # the map zoomed to the overlap
    highlighted = page.evaluate("() => window.landregMap.querySourceFeatures('highlight').length")
    assert highlighted >= 1
    _audited(page, axe_violations, shoot, "map_finding_desk")

    # The fix's before and after are drawn in two colours with a legend, then confirmed.
    page.get_by_role("button", name="Áp dụng cách sửa đề xuất").click()
    legend = page.locator(".preview-legend")
    legend.wait_for()
    assert legend.inner_text().split("\n") == ["Trước khi sửa", "Sau khi sửa"]
    phases = page.evaluate(
        """() => [...new Set(window.landregMap.querySourceFeatures('preview')
                  .map(f => f.properties.phase))].sort()"""
    )
    assert phases == ["after", "before"]
    _audited(page, axe_violations, shoot, "map_fix_preview_desk")
    page.get_by_role("button", name="Xác nhận áp dụng").click()

    page.wait_for_function(
        "() => document.getElementById('thong-bao').textContent.includes('Đã áp dụng cách sửa')"
    )
    page.wait_for_function(
        "(before) => Number(document.getElementById('dem-mo').dataset.openCount) < before",
        arg=before,
    )
    assert _open_count(page) == before - 1
    # The queue is drawn again just after the count: the fixed finding leaves it.
    listed = page.locator(f"#danh-sach-phat-hien [data-finding-id='{finding_id}']")
    listed.wait_for(state="detached")
    assert listed.count() == 0
    assert "Đã sửa" in page.locator(".finding-card .finding-meta").inner_text()
    assert page.evaluate("() => window.sameDocument") == "yes"  # no reload happened
    assert _finding(page, finding_id)["status"] == "fixed"
    _audited(page, axe_violations, shoot, "map_fixed_desk")
    # Shown again, the dashboard's tab asks for its figures again: one open finding fewer.
    dashboard.bring_to_front()
    dashboard.evaluate("() => document.dispatchEvent(new Event('visibilitychange'))")
    dashboard.wait_for_function(f"{_DASHBOARD_OPEN} === {before - 1}")
    assert dashboard.evaluate("() => window.sameDocument") == "yes"
    dashboard.close()

    # The changed parcel's history: slide back to the version before the fix.
    changed = _changed_parcel(database, finding["parcel_ids"])
    old_day = _move_first_version_back(database, changed, days=400)
    page.locator(f".finding-card .finding-parcels button[data-parcel-id='{changed}']").click()
    slider = page.get_by_label("Xem theo ngày")
    slider.wait_for()
    slider.focus()
    page.keyboard.press("Home")
    shown = page.locator("#ngay-xem-chu")
    assert shown.inner_text() == old_day.strftime("%d/%m/%Y")
    page.locator("#thua-chon .parcel-as-of").wait_for()
    assert "phiên bản 1" in page.locator("#thua-chon .parcel-as-of").inner_text()
    version = page.evaluate(
        "() => window.landregMap.getSource('selected').serialize().data"
        ".features[0].properties.version"
    )
    assert version == 1
    _audited(page, axe_violations, shoot, "map_history_desk")


def _changed_parcel(database: Engine, parcel_ids: list[int]) -> int:
    with database.connect() as connection:
        return int(
            connection.execute(
                text("SELECT id FROM parcel WHERE id = ANY(:ids) AND version > 1 ORDER BY id"),
                {"ids": parcel_ids},
            ).scalar_one()
        )


def _move_first_version_back(database: Engine, parcel_id: int, *, days: int) -> Any:
    """The parcel's first version made ``days`` earlier (as if surveyed long ago); its day."""
    with database.begin() as connection:
        return connection.execute(
            text(
                "UPDATE parcel_history SET valid_from = valid_from - make_interval(days => :days)"
                " WHERE id = :id AND version = 1"
                " RETURNING (valid_from AT TIME ZONE 'UTC' AT TIME ZONE 'Asia/Ho_Chi_Minh')::date"
            ),
            {"id": parcel_id, "days": days},
        ).scalar_one()


def test_a_boundary_that_crosses_itself_is_refused_and_nothing_stored(
    desk_page, site_accounts, database, axe_violations, shoot
):
    page = desk_page
    _sign_in(page, site_accounts, STAFF)
    finding_id = _choose_first_finding(page, "ATTR_AREA_MISMATCH")
    finding = _finding(page, finding_id)
    parcel_id = finding["parcel_ids"][0]
    stored = _parcel_version(database, parcel_id)

    page.get_by_role("button", name="Sửa ranh giới bằng tay").click()
    page.wait_for_function(f"() => document.body.dataset.editing === '{parcel_id}'")
    page.evaluate(_IDLE)
    # Drag the first vertex across the parcel, beyond the opposite side.
    ring = page.evaluate("() => window.landregDraw.getAll().features[0].geometry.coordinates[0]")
    centre = shapely.Polygon(ring).centroid
    start = ring[0]
    target = [centre.x + 1.6 * (centre.x - start[0]), centre.y + 1.6 * (centre.y - start[1])]
    sx, sy = _screen_point(page, *start)
    tx, ty = _screen_point(page, *target)
    page.mouse.move(sx, sy)
    page.mouse.down()
    page.mouse.move(tx, ty, steps=12)
    page.mouse.up()
    drawn = page.evaluate("() => window.landregDraw.getAll().features[0].geometry")
    assert not shapely.geometry.shape(drawn).is_valid  # the drag made a crossing boundary

    page.get_by_label(re.compile("Ghi chú")).fill("Đo lại theo hiện trạng")
    page.get_by_role("button", name="Lưu ranh giới").click()
    alert = page.get_by_role("alert")
    page.wait_for_function("() => document.getElementById('loi').textContent.trim() !== ''")
    said = alert.inner_text()
    assert "tự cắt" in said, said
    # The edit stays open to be put right; nothing was stored.
    assert page.evaluate("() => document.body.dataset.editing") == str(parcel_id)
    assert page.get_by_role("button", name="Lưu ranh giới").is_visible()
    assert _parcel_version(database, parcel_id) == stored
    assert _finding(page, finding_id)["status"] == "open"
    _audited(page, axe_violations, shoot, "map_edit_refused_desk")

    # The officer gives up the edit and dismisses the finding with a reason instead.
    before = _open_count(page)
    page.get_by_role("button", name="Bỏ qua", exact=True).click()
    assert page.evaluate("() => document.body.dataset.editing") is None
    assert page.evaluate("() => window.landregDraw.getAll().features.length") == 0
    page.get_by_label(re.compile("Lý do bỏ qua")).fill("Đã đối chiếu hồ sơ gốc, diện tích đúng")
    page.get_by_role("button", name="Bỏ qua phát hiện").click()
    page.wait_for_function(
        "() => document.getElementById('thong-bao').textContent.includes('Đã bỏ qua phát hiện')"
    )
    page.wait_for_function(
        "(before) => Number(document.getElementById('dem-mo').dataset.openCount) < before",
        arg=before,
    )
    assert _finding(page, finding_id)["status"] == "dismissed"
    assert _parcel_version(database, parcel_id) == stored


def test_a_finding_another_tab_closed_shows_up_and_its_fix_is_refused(
    desk_page, site_accounts, axe_violations, shoot
):
    first = desk_page
    _sign_in(first, site_accounts, STAFF)
    finding_id = _choose_first_finding(first, "GEOM_GAP")
    first.get_by_role("button", name="Áp dụng cách sửa đề xuất").click()
    confirm = first.get_by_role("button", name="Xác nhận áp dụng")
    confirm.wait_for()

    # Meanwhile another tab (the same officer, or a colleague) dismisses it.
    second = first.context.new_page()
    second.goto("/app/ban-do")
    second.wait_for_function(_SETTLED, timeout=20_000)
    second.get_by_label("Quy tắc").select_option("GEOM_GAP")
    second.locator(f"#danh-sach-phat-hien [data-finding-id='{finding_id}']").click()
    second.get_by_role("button", name="Bỏ qua", exact=True).click()
    second.get_by_label(re.compile("Lý do bỏ qua")).fill("Khe hở do sai số số hóa, không cần sửa")
    second.get_by_role("button", name="Bỏ qua phát hiện").click()
    second.wait_for_function(
        "() => document.getElementById('thong-bao').textContent.includes('Đã bỏ qua phát hiện')"
    )

    # The first tab learns of it when it next asks how the register stands (every 30 s, and
    # whenever the tab is looked at again): the count drops and the list reloads.
    before = _open_count(first)
    first.evaluate("() => document.dispatchEvent(new Event('visibilitychange'))")
    first.wait_for_function(
        "(before) => Number(document.getElementById('dem-mo').dataset.openCount) < before",
        arg=before,
    )
    assert "Bản đồ đã cập nhật thay đổi mới" in first.get_by_role("status").inner_text()
    listed = first.locator(f"#danh-sach-phat-hien [data-finding-id='{finding_id}']")
    listed.wait_for(state="detached")

    # Its preview was still on screen: confirming it is refused as stale.
    confirm.click()
    first.wait_for_function("() => document.getElementById('loi').textContent.trim() !== ''")
    assert "vừa được người khác thay đổi" in first.get_by_role("alert").inner_text()
    first.locator(".finding-card .finding-meta", has_text="Đã bỏ qua").wait_for()
    assert listed.count() == 0
    _audited(first, axe_violations, shoot, "map_stale_desk")


def _parcel_version(database: Engine, parcel_id: int) -> int:
    with database.connect() as connection:
        return int(
            connection.execute(
                text("SELECT version FROM parcel WHERE id = :id"), {"id": parcel_id}
            ).scalar_one()
        )


def test_a_registry_officer_reads_the_map_without_actions(
    desk_page, site_accounts, axe_violations, shoot
):
    page = desk_page
    _sign_in(page, site_accounts, OFFICER)
    assert "Tài khoản này chỉ xem" in page.locator(".map-panel").inner_text()
    # A boundary that crosses itself: the map goes to the crossing and marks the point.
    finding_id = _choose_first_finding(page, "GEOM_INVALID")
    finding = _finding(page, finding_id)
    assert page.evaluate(_CONTAINS, finding["bbox"])
    kinds = page.evaluate(
        "() => window.landregMap.querySourceFeatures('highlight').map(f => f.geometry.type)"
    )
    assert finding["geometry"]["type"] in kinds
    card = page.locator(f".finding-card[data-finding-id='{finding_id}']")
    assert "Phóng tới phát hiện" in card.inner_text()
    assert "Tài khoản này chỉ xem" in page.locator(".map-panel").inner_text()
    for action in ACTIONS:
        assert page.get_by_role("button", name=action, exact=True).count() == 0, action
    assert page.evaluate("() => typeof window.MapboxDraw") == "undefined"
    _audited(page, axe_violations, shoot, "map_read_only_desk")

    # The same page in English: the legend and the queue in the reader's language.
    page.goto("/app/ban-do?lang=en")
    page.wait_for_function(_SETTLED, timeout=20_000)
    legend = page.locator(".map-legend").inner_text()
    assert "Rice" in legend and "Residential" in legend
    page.get_by_role("heading", name="Findings to work on").wait_for()
    page.wait_for_function("() => document.getElementById('dem-mo').textContent.startsWith('Open')")
    _audited(page, axe_violations, shoot, "map_english_desk")
