"""The dashboard (``/app/tong-quan``) for leaders, officers and cadastral staff: dossiers
against their deadlines, the register's data quality, a map of open errors by commune.

The page is a frame; its figures come from two JSON addresses under ``/app`` (the session
cookie is sent only there) that answer the very documents of ``GET /stats/dossiers``,
``/stats/quality`` and ``/stats/communes``, built by the same functions
(:mod:`api.routes.stats_documents`), with the same caching and ETag. The page's script asks
for them again every minute, on "Cập nhật" and when the tab is shown again, without a reload.
"""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from api.deps import UowDep
from api.pages.officer import TIMELINESS_EN, office_choices, procedure_choices
from api.pages.render import language, page
from api.pages.session import DashboardData, DashboardPage, csrf_of
from api.routes.stats import GEOJSON, AsOf, cached, read_as_of
from api.routes.stats_documents import (
    DossierStatsOut,
    QualityStatsOut,
    communes_document,
    dossiers_document,
    quality_document,
)
from landreg.domain.dossier_clock import Timeliness
from landreg.domain.dossier_deadline import LOCAL_TIME
from landreg.domain.dossier_workflow import DossierStatus
from landreg.services.quality_stats import DEFAULT_WEEKS

router = APIRouter(include_in_schema=False)
PATH = "/app/tong-quan"


class DashboardFigures(BaseModel):
    """Everything the dashboard's numbers and charts show, read at one moment."""

    dossiers: DossierStatsOut = Field(description="as GET /stats/dossiers")
    quality: QualityStatsOut = Field(description="as GET /stats/quality")


def _names(lang: str) -> dict[str, dict[str, str]]:
    """What the page's script writes for the codes in the figures, in the page's language."""
    return {
        "procedures": dict(procedure_choices(lang)),
        "offices": dict(office_choices(lang)),
        "statuses": {s.value: s.label_en if lang == "en" else s.label_vi for s in DossierStatus},
        "timeliness": {
            t.value: TIMELINESS_EN[t] if lang == "en" else t.label_vi for t in Timeliness
        },
    }


@router.get(PATH)
def dashboard(request: Request, reader: DashboardPage) -> Response:
    """The dashboard's frame: the date picker, the places for figures, charts and map."""
    today = datetime.now(LOCAL_TIME).date()
    return page(
        request, "dashboard.html", officer=reader, csrf=csrf_of(request),
        names=_names(language(request)), today=today.isoformat(),
        today_shown=today.strftime("%d/%m/%Y"),
    )  # fmt: skip


@router.get(f"{PATH}/so-lieu.json")
def dashboard_figures(
    request: Request, reader: DashboardData, uow: UowDep, as_of: AsOf = None
) -> Response:
    """The figures of ``/stats/dossiers`` and ``/stats/quality`` at ``as_of``, together."""
    moment = read_as_of(as_of)
    figures = DashboardFigures(
        dossiers=dossiers_document(uow, moment),
        quality=quality_document(uow, moment, DEFAULT_WEEKS),
    )
    return cached(request, figures)


@router.get(f"{PATH}/xa.geojson")
def dashboard_communes(
    request: Request, reader: DashboardData, uow: UowDep, as_of: AsOf = None
) -> Response:
    """The communes of ``/stats/communes`` at ``as_of``, for the page's map."""
    return cached(request, communes_document(uow, read_as_of(as_of)), GEOJSON)
