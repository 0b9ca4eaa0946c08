"""``landreg units``: load an installation's own administrative units, list what is loaded."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from cli.support import console, database_of, run
from landreg.settings import Settings

units_app = typer.Typer(
    help="Administrative units the register checks against (another province's own).",
    no_args_is_help=True,
)

LOAD_HELP = """Load this installation's own administrative units from FILE.

They replace the shipped (Tây Ninh) units: the commune codes ingest accepts, remote
communes' deadlines, where the province lies.

FILE is a table (CSV, XLSX, JSON) or a map file (GeoPackage, GeoJSON, Shapefile; every
layer is read, each polygon becomes its unit's boundary) with a row per unit: code, level
(province, commune, ward, former_province, former_district), name, and optionally
parent_code, valid_from, valid_to (YYYY-MM-DD), successor_code, cadastral_srid, remote,
official. The units are kept in LANDREG_DATA_DIR/admin_units.csv.
"""


@units_app.command("load", help=LOAD_HELP)
@run
def units_load(
    path: Annotated[Path, typer.Argument(help="the units file")],
    crs: Annotated[
        str | None, typer.Option(help="the boundaries' CRS, for a map file that declares none")
    ] = None,
) -> None:
    from landreg.services.units import load_units, read_units_file

    settings = Settings()
    database = database_of(settings)
    loaded = load_units(database, read_units_file(path, database.cadastral_srid, crs=crs))
    for note in loaded.notes:
        console.print(f"  {escape(note)}")
    console.print(
        f"đã nạp {loaded.units} đơn vị ({loaded.communes} xã, phường hiện hành; "
        f"{loaded.boundaries} ranh giới) / loaded {loaded.units} units ({loaded.communes} "
        f"current communes and wards, {loaded.boundaries} boundaries): {loaded.changed} added "
        f"or changed, {loaded.removed} removed; kept in LANDREG_DATA_DIR/{loaded.written_to.name}",
        soft_wrap=True,
    )


@units_app.command("list")
@run
def units_list() -> None:
    """Show the administrative units the register checks against."""
    from landreg.services.units import list_units

    listed = list_units(database_of(Settings()))
    source = (
        f"the installation's own (LANDREG_DATA_DIR/{listed.installation_file.name})"
        if listed.installation_file
        else "shipped with landreg (Tây Ninh)"
    )
    table = Table(title=f"administrative units: {escape(source)}")
    for column in ("code", "level", "name", "parent", "valid", "SRID", "remote", "boundary"):
        table.add_column(column, no_wrap=column in {"code", "name"})
    for unit, has_boundary in listed.units:
        valid = f"{unit.valid_from or ''}–{unit.valid_to or ''}"
        table.add_row(
            unit.code,
            unit.level,
            escape(unit.name),
            unit.parent_code or "",
            valid,
            str(unit.cadastral_srid or ""),
            "yes" if unit.remote else "",
            "yes" if has_boundary else "",
        )
    console.print(table, soft_wrap=True)
