"""The registry officers' workbench (``/app``), wired into an app: sign-in, the pages, the
forms."""

from __future__ import annotations

from fastapi import FastAPI

from api.pages import (
    dashboard,
    map_data,
    map_page,
    officer,
    officer_actions,
    officer_apology,
    session,
)


def install(app: FastAPI) -> None:
    """Add the workbench's routes to ``app``, and let its pages answer with a redirect to the
    sign-in form or a refusal page instead of problem+json."""
    session.install_page_exits(app)
    app.include_router(session.router)
    # The receive form's fixed address (/app/ho-so/moi) comes before a dossier's (/app/ho-so/X).
    app.include_router(officer_actions.router)
    app.include_router(officer_apology.router)
    app.include_router(officer.router)
    app.include_router(map_data.router)  # the map's tiles, JSON and fragments
    app.include_router(map_page.router)  # the map workbench's page
    app.include_router(dashboard.router)  # the dashboard and its figures
