"""The ``landreg dossiers`` commands for registry officers: link dossiers to their parcels."""

from __future__ import annotations

import typer
from rich.table import Table

from landreg.cli_dossier_stats import stats_command
from landreg.cli_support import console, database_of, run
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
    from landreg.services.dossier_links import link_all
    from landreg.store.unit_of_work import UnitOfWork

    with UnitOfWork(database_of(Settings())) as uow:
        summary = link_all(uow)
    table = Table(title="dossiers linked to parcels")
    for column in ("dossiers", "linked", "to review", "no candidate", "kept decisions"):
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
        "linked by: " + ", ".join(f"{k} {v:,}" for k, v in sorted(summary.methods.items()))
    )
