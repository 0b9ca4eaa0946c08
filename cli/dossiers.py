"""The ``landreg dossiers`` commands for registry officers: link dossiers to their parcels."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from cli.dossier_stats import stats_command
from cli.support import console, database_of, run
from landreg.domain.intake import IntakeCheck
from landreg.settings import Settings

dossiers_app = typer.Typer(
    help="Dossiers of the one-stop shop: link them to their parcels, check them, count them.",
    no_args_is_help=True,
)
dossiers_app.command("stats")(stats_command)


@dossiers_app.command("link")
@run
def link_command() -> None:
    """Link every dossier to the parcel it refers to; unsure ones go to the review queue.

    Candidates come from the key as written, the numbers before the re-survey, the
    certificate serial and the parcels the applicant holds; each is scored field by field
    (Fellegi–Sunter). A dossier an officer has confirmed keeps its link.
    """
    from landreg.services import UnitOfWork
    from landreg.services.dossier_links import link_all

    with UnitOfWork(database_of(Settings())) as uow:
        summary = link_all(uow)
    table = Table(title="hồ sơ liên kết với thửa đất / dossiers linked to parcels")
    for column in (
        "hồ sơ / dossiers", "đã liên kết / linked", "chờ xem xét / to review",
        "không có ứng viên / no candidate", "giữ quyết định / kept decisions",
    ):  # fmt: skip
        table.add_column(column, justify="right")
    table.add_row(
        *(
            f"{n:,}"
            for n in (
                summary.dossiers,
                summary.linked,
                summary.review,
                summary.unmatched,
                summary.kept_decisions,
            )
        )
    )
    console.print(table)
    console.print(
        "liên kết theo / linked by: "
        + ", ".join(f"{k} {v:,}" for k, v in sorted(summary.methods.items()))
    )


@dossiers_app.command("check")
@run
def check_command(
    code: Annotated[str | None, typer.Argument(help="receipt code of a stored dossier")] = None,
    file: Annotated[
        Path | None, typer.Option(help="a dossier as JSON (the body of POST /dossiers/check)")
    ] = None,
) -> None:
    """The intake pre-check: everything wrong with a dossier, in one answer.

    Give a stored dossier's code (checked as the register stood when it was received), or a
    JSON file describing a dossier not yet received.
    """
    from landreg.domain.intake import application_from
    from landreg.services import UnitOfWork
    from landreg.services.dossiers import stored_application
    from landreg.services.intake import check_application
    from spatial.planning import planning_maps

    if (code is None) == (file is None):
        raise typer.BadParameter(
            "hãy cho một mã hồ sơ hoặc --file, không cả hai / give a dossier code or --file, "
            "not both"
        )
    settings = Settings()
    with UnitOfWork(database_of(settings)) as uow:
        if code:
            dossier_id, application = stored_application(uow, code)
        else:
            assert file is not None
            dossier_id = None
            application = application_from(json.loads(file.read_text(encoding="utf-8")))
        check = check_application(
            uow, application, dossier_id=dossier_id,
            planning=planning_maps(settings.cadastre.planning_dir),
        )  # fmt: skip
    _print_check(check)


def _print_check(check: IntakeCheck) -> None:
    verdict = "[bold red]blocked[/]" if check.blocked else "[bold green]can be received[/]"
    console.print(f"parcel: {check.parcel_key or '—'}   due: {check.due_on or '—'}   {verdict}")
    table = Table(title="pre-check")
    for column in ("code", "severity", "message"):
        table.add_column(column)
    for item in check.items:
        vi, en = item.messages()
        table.add_row(item.code, item.severity.value, f"{vi}\n[dim]{en}[/]")
    console.print(table)
    for candidate in check.candidates:
        console.print(f"  candidate {candidate['key']}: {candidate['explanation']}")
