"""The FastAPI application factory."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

import landreg
from api.bodies import install_finite_json
from api.errors import install_error_handlers
from api.jobs import IngestJobs, sweep_job_folders
from api.openapi import install_docs, install_openapi
from api.pages import citizen, overview, workbench
from api.routes import (
    auth,
    dossiers,
    findings,
    health,
    ingest,
    ogc,
    parcels,
    parties,
    public,
    stats,
    tiles,
)
from landreg.services.reads import RegisterReads
from landreg.settings import Settings
from landreg.store.database import RegisterDatabase
from landreg.store.reads.factory import reads_for

DESCRIPTION = """
landreg keeps one land register for the province from its cadastral maps, land registers
and one-stop-shop dossiers. Geometries are stored in VN-2000 / TM-3 and returned in the CRS
you ask for (`crs`, WGS 84 by default). Errors are RFC 9457 problem details.
"""
# The pages' stylesheets and scripts, and the npm packages vendored under vendor/ (no CDN).
STATIC = Path(__file__).resolve().parent / "static"


def create_app(
    settings: Settings | None = None, database: RegisterDatabase | None = None
) -> FastAPI:
    """Build the web service; nothing connects to the database until a request needs it."""
    settings = settings or Settings()
    app = FastAPI(
        title="landreg",
        version=landreg.__version__,
        description=DESCRIPTION,
        lifespan=_lifespan,
        docs_url=None,  # served by install_docs from the vendored assets
        redoc_url=None,
    )
    app.state.settings = settings
    # Resolved here, once per app (each worker): drawn and kept in the data folder when
    # LANDREG_SECRET_KEY is unset, so that no secret known from the source is ever used.
    app.state.signing_secret = settings.api.signing_secret()
    app.state.database = database or RegisterDatabase.from_settings(settings.database)
    app.state.ingest_jobs = IngestJobs()
    install_error_handlers(app)
    install_finite_json(app)
    install_openapi(app)
    # Routes are matched in order and the prefixes do not overlap: the busiest look-ups
    # (the map, the citizens') come first, so that they are found after the fewest tries.
    app.include_router(parcels.router)
    app.include_router(public.router)
    app.include_router(ogc.router)
    app.include_router(tiles.router)
    app.include_router(health.router)
    app.include_router(auth.router)
    app.include_router(ingest.router)
    app.include_router(findings.router)
    app.include_router(stats.router)
    app.include_router(dossiers.router)
    app.include_router(parties.router)
    app.include_router(citizen.router)
    app.include_router(overview.router)
    workbench.install(app)
    install_docs(app)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """The read interfaces, chosen once for the app's database, and their connection pool live
    as long as the served app (on its event loop)."""
    database: RegisterDatabase = app.state.database
    pool = app.state.settings.database
    # Uploads of jobs a killed server never finished: removed, never left to fill the disk.
    sweep_job_folders(app.state.settings.api.ingest_dir)
    # The one choice between the reads' implementations (one statement each on PostGIS, the
    # ORM on SpatiaLite). The look-ups' pool takes half the ORM's: a look-up holds its
    # connection for a fraction of a millisecond, and both pools of every worker must fit in
    # the server's max_connections.
    reads: RegisterReads = reads_for(
        database, size=max(2, pool.pool_size // 2), timeout=pool.pool_timeout
    )
    await reads.open()
    app.state.reads = reads
    # What start-up made (modules, tables, reference data) lives as long as the process: kept
    # out of the collector's full passes, which would otherwise walk it every so often and
    # stall every request in flight (the slowest 1 % of answers).
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()  # an app started again in the same process (tests) freezes anew
        await reads.close()
