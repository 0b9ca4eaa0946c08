"""Liveness and readiness of the service."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

import landreg
from api.deps import DatabaseDep
from api.schemas import Health

router = APIRouter(tags=["service"])


@router.get("/health", response_model=Health, summary="Service and database health")
def health(database: DatabaseDep) -> JSONResponse:
    """``200`` when the database answers, ``503`` when it does not."""
    up = database.ping()
    body = Health(
        status="ok" if up else "degraded",
        database="ok" if up else "unavailable",
        backend=database.backend,
        version=landreg.__version__,
    )
    return JSONResponse(body.model_dump(), status_code=200 if up else 503)
