"""The ``landreg parcels`` commands: the register's current parcels out of landreg."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cli.support import console, database_of, run, say
from landreg.settings import Settings

parcels_app = typer.Typer(
    help="The register's parcels: export them for a spreadsheet, QGIS or another system.",
    no_args_is_help=True,
)


@parcels_app.command("export")
@run
def export_command(
    out: Annotated[Path, typer.Option(help="the file to write")],
    fmt: Annotated[str, typer.Option("--format", help="csv, geojson or gpkg")] = "gpkg",
    commune: Annotated[
        str | None, typer.Option(help="only this ward or commune: its code (old or new) or name")
    ] = None,
    personal: Annotated[
        bool, typer.Option(help="add the holders' identity numbers (personal data)")
    ] = False,
) -> None:
    """Write every current parcel, one row each: national identifier, key, areas, land use,
    certificates, holders and shares, mortgages and seizures, and their sources."""
    from landreg.services import UnitOfWork
    from landreg.services.parcel_export import export_parcels

    with UnitOfWork(database_of(Settings())) as uow:
        written = export_parcels(
            uow, out, fmt.strip().lower(), commune=commune, personal=personal, say=say
        )
    console.print(f"{written:,} thửa đất đã ghi vào / parcels written to {out}")
