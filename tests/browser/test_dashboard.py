"""The dashboard (``/app/tong-quan``) in a real browser (chromium at a desk) on a real server
over a copy of the reconciled sample register.

A leader signs in and lands on the dashboard; for a past date its headline numbers are the
ones ``landreg dossiers stats`` prints for that date; the charts are drawn and each has its
table; the commune map shades the communes. Cadastral staff then fix findings through the
API, and the open count on the page drops without a reload: when the tab is shown again,
on "Cập nhật", and on the minute's own refresh. Every view is audited with axe-core and
photographed at desk size.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from typing import Any

import httpx
import numpy as np
import pytest
from PIL import Image
from sqlalchemy import func, select

from landreg.settings import DatabaseSettings
from landreg.store.database import RegisterDatabase
from landreg.store.tables import FindingRow
from landreg.store.unit_of_work import UnitOfWork

LEADER = "leader"
STAFF = "cadastral_staff"
AS_OF = "2024-01-05"
CHARTS = ("bd-thu-tuc", "bd-don-vi", "bd-thang", "bd-tuan", "bd-phat-hien")
HEADLINES = ("on_time_rate", "overdue", "at_risk", "apologies_due", "open_findings",
             "share_without_open_errors")  # fmt: skip

_DRAWN = """id => {
  const canvas = document.getElementById(id);
  const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let drawn = 0;
  for (let i = 3; i < data.length; i += 4) if (data[i] > 0) drawn++;
  return drawn;
}"""


def _command_stats(database_url: str, as_of: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "cli", "dossiers", "stats", "--format", "json", "--as-of", as_of],
        env={**os.environ, "LANDREG_DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _open_in_database(database_url: str) -> int:
    """Findings open now, counted from the finding rows (never closed, or reopened)."""
    database = RegisterDatabase.from_settings(DatabaseSettings(database_url=database_url))
    try:
        with UnitOfWork(database) as uow:
            return int(
                uow.session.scalar(
                    select(func.count())
                    .select_from(FindingRow)
                    .where(FindingRow.closed_at.is_(None))
                )
            )
    finally:
        database.engine.dispose()


def _sign_in(page: Any, accounts: dict[str, tuple[str, str]]) -> None:
    username, password = accounts[LEADER]
    page.goto("/app/dang-nhap")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(password)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url("**/app/tong-quan")  # a leader's home


def _loads(page: Any) -> int:
    return int(page.locator("#tong-quan").get_attribute("data-loads") or 0)


def _wait_loaded(page: Any, more_than: int) -> None:
    page.wait_for_function(
        "n => Number(document.getElementById('tong-quan').dataset.loads || 0) > n", arg=more_than
    )


def _headlines(page: Any) -> dict[str, tuple[float | None, str]]:
    found = page.eval_on_selector_all(
        ".headline [data-figure]", "els => els.map(e => [e.dataset.figure, e.dataset.value, "
        "e.textContent.trim()])",
    )  # fmt: skip
    return {name: (float(value) if value else None, text) for name, value, text in found}


def _vi(value: float, digits: int = 0) -> str:
    """A number written the Vietnamese way: 1.234,5."""
    text = f"{value:,.{digits}f}"
    return text.replace(",", "_").replace(".", ",").replace("_", ".")


def _audited(page: Any, axe: Any, shoot: Any, name: str) -> None:
    assert axe(page) == [], name
    shoot(page, name)


def test_a_leaders_dashboard_shows_the_commands_figures_for_a_past_day(
    desk_page, site_accounts, site_database_url, axe_violations, shoot
):
    page = desk_page
    page.goto("/app/tong-quan")
    assert "/app/dang-nhap" in page.url  # not signed in: the sign-in form, then back
    _sign_in(page, site_accounts)
    _wait_loaded(page, 0)
    assert page.locator("h1").inner_text() == "Tổng quan"

    loaded = _loads(page)
    page.get_by_label("Số liệu tính đến hết ngày").fill("05/01/2024")
    page.get_by_role("button", name="Cập nhật").click()
    _wait_loaded(page, loaded)
    assert page.locator("#thoi-diem").get_attribute("data-as-of") == "2024-01-05T23:59:59+07:00"
    assert "05/01/2024 23:59" in page.locator("#thoi-diem").inner_text()

    want = _command_stats(site_database_url, AS_OF)
    shown = _headlines(page)
    totals = want["totals"]
    due = sum(1 for a in want["apologies"] if not a["recorded"])
    assert shown["on_time_rate"][0] == pytest.approx(totals["on_time_rate"])
    assert shown["on_time_rate"][1] == _vi(totals["on_time_rate"], 1) + " %"
    assert shown["overdue"] == (totals["overdue"], _vi(totals["overdue"]))
    assert shown["at_risk"] == (totals["at_risk"], _vi(totals["at_risk"]))
    assert shown["apologies_due"] == (due, _vi(due))
    assert due > 0 and totals["overdue"] > 0  # the sample has both on that day
    processed = totals["early"] + totals["on_time"] + totals["late"]
    assert f"trên {_vi(processed)} hồ sơ đã giải quyết" in page.locator("main").inner_text()

    # The watch list and the letters: every dossier of the command, each a link to its page.
    watch = page.locator("#ds-theo-doi a")
    assert watch.all_inner_texts() == [w["code"] for w in want["watch"]]
    first = want["watch"][0]["code"]
    assert watch.first.get_attribute("href") == f"/app/ho-so/{first}"
    letters = page.locator("#ds-xin-loi a").all_inner_texts()
    assert letters == [a["code"] for a in want["apologies"] if not a["recorded"]]

    # Every chart is drawn, says its numbers, and has the table of its figures.
    for chart in CHARTS:
        assert page.evaluate(_DRAWN, chart) > 500, chart
    label = page.locator("#bd-thu-tuc").get_attribute("aria-label")
    rated = [g for g in want["by_procedure"] if g["counts"]["on_time_rate"] is not None]
    assert all(_vi(g["counts"]["on_time_rate"], 1) + " %" in label for g in rated[:12])
    rows = page.locator("#bd-thu-tuc-bang tbody tr")
    assert rows.count() == len(want["by_procedure"])
    page.locator("#bd-tuan-khung summary").click()
    last_week = page.locator("#bd-tuan-bang tbody tr").last.inner_text()
    assert want["by_week"][-1]["week"] in last_week and "01/01/2024" in last_week
    _audited(page, axe_violations, shoot, "dashboard_past_day_desk")

    # In English the same figures, written the English way.
    page.goto("/app/tong-quan?lang=en")
    _wait_loaded(page, 0)
    page.get_by_label("Figures as of the end of").fill("05/01/2024")
    page.get_by_role("button", name="Update").click()
    page.wait_for_function(
        "() => document.getElementById('thoi-diem').dataset.asOf.startsWith('2024-01-05')"
    )
    rate = page.locator('[data-figure="on_time_rate"]').inner_text()
    assert rate == f"{totals['on_time_rate']:,.1f}%"
    page.goto("/app/tong-quan?lang=vi")


def _staff_token(site: str, accounts: dict[str, tuple[str, str]]) -> dict[str, str]:
    username, password = accounts[STAFF]
    answer = httpx.post(
        f"{site}/auth/token", data={"username": username, "password": password}, timeout=10
    )
    answer.raise_for_status()
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def _fix_one(site: str, staff: dict[str, str], rule: str) -> dict[str, Any]:
    """Fix the last open finding of ``rule`` through the API, as cadastral staff would (the
    last: the map's tests work on the first ones)."""
    query = {"rule": rule, "limit": 1}
    total = httpx.get(f"{site}/findings", params=query, headers=staff, timeout=10).json()["total"]
    assert total, f"no open {rule} finding left to fix"
    [finding] = httpx.get(
        f"{site}/findings", params={**query, "offset": total - 1}, headers=staff, timeout=10
    ).json()["items"]
    fixed = httpx.post(
        f"{site}/findings/{finding['id']}/fix",
        json={"expected_version": finding["version"]},
        headers=staff,
        timeout=30,
    )
    assert fixed.status_code == 200, fixed.text
    return finding


def _open_shown(page: Any) -> int:
    value = _headlines(page)["open_findings"][0]
    assert value is not None
    return int(value)


def test_a_fix_through_the_api_lowers_the_open_count_without_a_reload(
    site, new_page, site_accounts, site_database_url, axe_violations, shoot
):
    page = new_page(1366, 900)
    # The page's own clock, so that its minute's refresh can be seen without waiting one.
    page.clock.install()
    _sign_in(page, site_accounts)
    _wait_loaded(page, 0)
    page.evaluate("() => { window.sameDocument = 'yes'; }")  # lost on any reload
    before = _open_shown(page)
    assert before == _open_in_database(site_database_url) > 0
    share = _headlines(page)["share_without_open_errors"]
    assert share[0] is not None and 0 < share[0] < 100 and share[1].endswith(" %")

    # The commune map: communes drawn, each shaded by its open errors per 1,000 parcels.
    page.wait_for_function("() => document.getElementById('tong-quan').dataset.mapDrawn")
    rendered = page.evaluate(
        "() => window.tongQuan.map().queryRenderedFeatures({layers: ['xa-to']})"
        ".map(f => f.properties)"
    )
    communes = {f["code"] for f in rendered}
    assert len(communes) >= 10
    assert any(f["errors_per_1000"] > 0 for f in rendered)
    picture = np.asarray(Image.open(io.BytesIO(page.locator("#ban-do-xa").screenshot())))
    warm = int(((picture[..., 0] > 200) & (picture[..., 2] < 150)).sum())
    assert warm > 2000, "the communes are not shaded"
    _audited(page, axe_violations, shoot, "dashboard_desk")

    staff = _staff_token(site, site_accounts)
    # Shown again after another tab: the page asks for the figures again.
    _fix_one(site, staff, "GEOM_INVALID")
    loaded = _loads(page)
    page.evaluate("() => document.dispatchEvent(new Event('visibilitychange'))")
    _wait_loaded(page, loaded)
    after_first = _open_shown(page)
    assert after_first < before
    assert after_first == _open_in_database(site_database_url)

    # "Cập nhật".
    _fix_one(site, staff, "GEOM_OVERLAP")
    loaded = _loads(page)
    page.get_by_role("button", name="Cập nhật").click()
    _wait_loaded(page, loaded)
    after_second = _open_shown(page)
    assert after_second < after_first
    assert after_second == _open_in_database(site_database_url)

    # The minute's refresh, on its own.
    _fix_one(site, staff, "GEOM_INVALID")
    loaded = _loads(page)
    page.clock.fast_forward("01:01")
    _wait_loaded(page, loaded)
    assert _open_shown(page) == _open_in_database(site_database_url) < after_second

    assert page.evaluate("() => window.sameDocument") == "yes"  # never reloaded
    table = page.locator("#ds-quy-tac tbody").inner_text()
    assert "GEOM_INVALID" in table
    _audited(page, axe_violations, shoot, "dashboard_after_fixes_desk")
