"""The ``landreg`` command: set up the database, serve the API, run the demo."""

from __future__ import annotations

import logging
import os
import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from cli.dossiers import dossiers_app, link_command
from cli.parcels import parcels_app
from cli.quality import findings_command, reconcile_command, report_command
from cli.support import both_languages, console, database_of, errors, run, say
from cli.units import units_app
from landreg.domain.access import Role
from landreg.errors import LandRegError
from landreg.services import RegisterDatabase
from landreg.settings import DEFAULT_DATABASE_FILE, Settings

app = typer.Typer(
    help="landreg: one land register from cadastral maps, registers and dossiers.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(
    help="Create, upgrade and describe the register database.", no_args_is_help=True
)
app.add_typer(db_app, name="db")
users_app = typer.Typer(
    help="People who sign in, and API keys for other systems.", no_args_is_help=True
)
app.add_typer(users_app, name="users")
sample_app = typer.Typer(
    help="The sample data set: a province out of sync, with ground truth.", no_args_is_help=True
)
app.add_typer(sample_app, name="sample")
app.add_typer(dossiers_app, name="dossiers")
app.add_typer(units_app, name="units")
app.add_typer(parcels_app, name="parcels")


@db_app.command("upgrade")
@run
def db_upgrade() -> None:
    """Bring the database to the current schema (creates it if empty) and load reference units."""
    from landreg.services.database import upgrade_database

    settings = Settings()
    database = database_of(settings)
    revision = upgrade_database(database, settings.cadastre)
    console.print(
        f"{database.backend} database at schema revision [bold]{revision}[/], "
        f"cadastral CRS EPSG:{database.cadastral_srid}"
    )


@db_app.command("info")
@run
def db_info() -> None:
    """Show the backend, versions, schema revision and record counts."""
    print_info(database_of(Settings()))


def print_info(database: RegisterDatabase) -> None:
    """Print what the database holds as a table."""
    info = database.info()
    table = Table(title="landreg register", show_header=False)
    for name in (
        "backend",
        "url",
        "spatial_version",
        "schema_revision",
        "schema_head",
        "cadastral_srid",
    ):
        table.add_row(name, str(info.get(name, "—")))
    counts = info.get("counts") or {}
    for name, count in counts.items():  # type: ignore[attr-defined]
        table.add_row(f"  {name}", f"{count:,}")
    console.print(table)
    if info["schema_revision"] != info["schema_head"]:
        console.print("[yellow]the schema is not current: run `landreg db upgrade`[/]")


ROLES_HELP = "citizen, registry_officer, cadastral_staff, leader or administrator"


@users_app.command("add")
@run
def users_add(
    username: Annotated[str, typer.Argument(help="the name to sign in with")],
    role: Annotated[str, typer.Option(help=ROLES_HELP)],
    full_name: Annotated[str | None, typer.Option(help="the person's name")] = None,
    password: Annotated[
        str,
        typer.Option(
            prompt=True,
            hide_input=True,
            confirmation_prompt=True,
            envvar="LANDREG_NEW_PASSWORD",
            help="asked for when not given",
        ),
    ] = "",
) -> None:
    """Add a person who signs in (officer, cadastral staff, leader, administrator)."""
    from landreg.services import UnitOfWork
    from landreg.services.accounts import create_user

    settings = Settings()
    with UnitOfWork(database_of(settings), writes=True) as uow:
        create_user(
            uow, username, password, _role(role), full_name=full_name, actor=settings.cadastre.actor
        )
    console.print(f"user {username} added with role {role}")


@users_app.command("key")
@run
def users_key(
    name: Annotated[str, typer.Argument(help="the system the key is for")],
    role: Annotated[str, typer.Option(help=ROLES_HELP)],
) -> None:
    """Create an API key for another system; it is shown once, keep it secret."""
    from landreg.services import UnitOfWork
    from landreg.services.accounts import create_api_key

    settings = Settings()
    with UnitOfWork(database_of(settings), writes=True) as uow:
        key = create_api_key(uow, name, _role(role), actor=settings.cadastre.actor)
    console.print(f"API key for {name} (send it as the X-API-Key header; shown only now):")
    print(key)


def _role(text: str) -> Role:
    from landreg.errors import ValidationError

    try:
        return Role(text)
    except ValueError:
        raise ValidationError(
            f"role must be one of {ROLES_HELP}",
            field="role",
            value=text,
            detail_vi=f"vai trò phải là một trong {ROLES_HELP.replace(' or ', ' hoặc ')}",
        ) from None


@sample_app.command("generate")
@run
def sample_generate(
    out: Annotated[Path, typer.Option(help="directory to write the data set to")],
    parcels: Annotated[int, typer.Option(min=200, help="how many parcels")] = 3000,
    seed: Annotated[int, typer.Option(help="random seed; the same seed gives the same bytes")] = (
        20251127
    ),
) -> None:
    """Generate a sample province: map layers, registers, dossiers, rasters, ground truth."""
    from sample_data.generator import generate

    summary = generate(out, parcels=parcels, seed=seed, progress=True)
    console.print(summary)


INGEST_HELP = """Take a source file into the register (or every file under a folder, with --all).

Map layers (GeoPackage, Shapefile, GeoJSON, DXF, DGN), registers (CSV, XLSX) and dossier
exports (CSV, JSON) are read with a mapping profile: a TOML file naming the source's fields.
Shipped profiles cover the province's sources and are chosen from the fields; for other
field names write a profile and pass it with --profile my_profile.toml, e.g.

\b
    name = "map_my_district"
    kind = "map"
    source_key = ["OBJECTID"]
    [fields]
    commune_code = "MA_XA"
    map_sheet = "TO_BD"
    parcel_number = "THUA"

A layer with no attributes at all (geometry only) is loaded with the shipped profile
map_no_attributes: each parcel is known by its feature id, its commune is --commune, and it
gets a provisional reference (finding ATTR_MISSING_KEY). A profile given with --profile that
does not fit the file (a field the file lacks, a canonical field its kind does not know, a
kind that does not match) is an error; a file of which nothing is loaded is an error too.

Ingesting the same file again with the same profile changes nothing (--reprocess reads it
again); with another profile, it is read again and the register brought up to date as a new
delivery would. A newer version is compared record by record. Rows that cannot be read are
quarantined with the reason; a file that cannot be read changes nothing.
"""


@app.command("ingest", help=INGEST_HELP)
@run
def ingest(
    path: Annotated[Path, typer.Argument(help="a file, or a folder with --all")],
    kind: Annotated[str | None, typer.Option(help="map, register, dossiers or admin")] = None,
    layer: Annotated[str | None, typer.Option(help="only this layer of a multi-layer file")] = (
        None
    ),
    profile: Annotated[str | None, typer.Option(help="a shipped profile's name or a .toml")] = (
        None
    ),
    crs: Annotated[str | None, typer.Option(help="confirm the CRS: EPSG code or name")] = None,
    commune: Annotated[str | None, typer.Option(help="commune code the file covers")] = None,
    source: Annotated[str | None, typer.Option(help="name of the source across deliveries")] = (
        None
    ),
    all_files: Annotated[bool, typer.Option("--all", help="every file under the folder")] = False,
    as_of: Annotated[
        datetime | None,
        typer.Option(help="the date the file's data is as of, when the file does not say"),
    ] = None,
    reprocess: Annotated[
        bool,
        typer.Option(help="read the file again even if it was taken in with the same profile"),
    ] = False,
) -> None:
    from landreg.domain.delivery import IngestOptions
    from landreg.services.sources import NothingLoadedError, files_to_ingest, ingest_path

    settings = Settings()
    database = database_of(settings)
    options = IngestOptions(
        kind=kind,
        layer=layer,
        profile=profile,
        crs=crs,
        commune=commune,
        source=source,
        actor=settings.cadastre.actor,
        as_of=as_of,
        reprocess=reprocess,
    )
    paths = files_to_ingest(path) if all_files else [path]
    failed = taken = 0
    with _progress() as bar:
        files = bar.add_task("files", total=len(paths), visible=len(paths) > 1)
        stages: dict[str, TaskID] = {}

        def progress(stage: str, done: int, total: int) -> None:
            if stage not in stages:
                stages[stage] = bar.add_task(stage, total=total)
            bar.update(stages[stage], completed=done, visible=done < total)

        for one in paths:
            try:  # each file is atomic; one that is stopped does not stop the others
                results = ingest_path(database, one, options, say=say, progress=progress)
                print_results(one, results)
                taken += 1
            except NothingLoadedError as error:  # no shipped profile recognises the file
                if not all_files:
                    raise
                say(f"{escape(one.name)}: {escape(error.detail)}; bỏ qua / skipped")
            except LandRegError as error:
                if not all_files:
                    raise
                failed += 1
                where = f" [{error.field}]" if error.field else ""
                errors.print(
                    f"[bold red]dừng / stopped[/] {escape(str(one))}{escape(where)}: "
                    f"{escape(both_languages(error))}"
                )
            bar.advance(files)
    if failed:
        errors.print(
            f"{failed} tệp bị dừng, không lưu gì từ các tệp đó / {failed} file(s) stopped; "
            "nothing of them was stored"
        )
        raise typer.Exit(code=2)
    if not taken:
        errors.print(
            f"[bold red]lỗi / error[/]: không nạp được tệp nào từ {escape(str(path))} / "
            "nothing was loaded from the folder"
        )
        raise typer.Exit(code=2)


def _progress() -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )


def print_results(path: Path, results: list[Any]) -> None:
    """One line per batch, Vietnamese then English: what was read, added, changed, removed and
    quarantined."""
    for result in results:
        if result.status == "unchanged":
            console.print(
                f"[dim]{path}: {result.source_name} không đổi (đã nạp ở lô {result.batch_id}) / "
                f"unchanged (already ingested as batch {result.batch_id})[/]"
            )
            continue
        counts = (
            result.rows_read, result.added, result.changed, result.removed, result.unchanged,
            result.quarantined,
        )  # fmt: skip
        vi = ", ".join(f"{word} {n}" for word, n in zip(_COUNTS_VI, counts, strict=True))
        en = ", ".join(f"{word} {n}" for word, n in zip(_COUNTS_EN, counts, strict=True))
        console.print(f"{path}: {result.source_name}: {vi} / {en}")
        for reason, count in result.by_reason.items():
            console.print(f"    cách ly / quarantined {count}: {reason}")
        for warning in result.warnings:
            console.print(f"    [yellow]ghi chú / note[/]: {warning}")


_COUNTS_VI = ("đọc", "thêm", "đổi", "bỏ", "giữ nguyên", "cách ly")
_COUNTS_EN = ("read", "added", "changed", "removed", "unchanged", "quarantined")


app.command("reconcile")(reconcile_command)
app.command("findings")(findings_command)
app.command("report")(report_command)


@app.command("serve")
@run
def serve(
    host: Annotated[str | None, typer.Option(help="address to listen on")] = None,
    port: Annotated[int | None, typer.Option(help="port to listen on")] = None,
    workers: Annotated[int, typer.Option(help="worker processes")] = 1,
) -> None:
    """Serve the API and pages (OpenAPI at /docs)."""
    import uvicorn

    settings = Settings()
    # Drawn (or checked) here, before any worker starts: a refusal is one clear line, and the
    # workers all read the one secret back.
    settings.api.signing_secret()
    proxies = settings.api.proxies
    console.print(f"serving on http://{host or settings.api.host}:{port or settings.api.port}/")
    if proxies:
        console.print(f"client addresses taken from X-Forwarded-For of {', '.join(proxies)}")
    uvicorn.run(
        "api.app:create_app",
        factory=True,
        host=host or settings.api.host,
        port=port or settings.api.port,
        workers=workers,
        access_log=False,
        # uvicorn's own default believes X-Forwarded-For from 127.0.0.1, which lets any local
        # client pick the address the citizens' limit counts: only named proxies are believed.
        proxy_headers=bool(proxies),
        forwarded_allow_ips=proxies or None,
    )


@app.command("demo")
@run
def demo(
    fresh: Annotated[bool, typer.Option(help="start from an empty embedded database")] = True,
    serve_after: Annotated[
        bool, typer.Option("--serve/--no-serve", help="serve the API when done")
    ] = True,
    port: Annotated[int | None, typer.Option(help="port to serve on")] = None,
) -> None:
    """The main job: build the register from sample_data/, report what it found, serve it."""
    from landreg.services.database import upgrade_database

    # the sample's planning raster answers the pre-check's planning question, unless the
    # province has configured its own
    os.environ.setdefault("LANDREG_PLANNING_DIR", str(sample_folder() / "rasters"))
    settings = Settings()
    if fresh and settings.database.backend == "spatialite" and not settings.database.database_url:
        for suffix in ("", "-journal", "-wal", "-shm"):
            Path(f"{DEFAULT_DATABASE_FILE}{suffix}").unlink(missing_ok=True)
    database = database_of(settings)
    console.rule("landreg demo")
    revision = upgrade_database(database, settings.cadastre)
    console.print(f"database ready: {database.backend}, schema {revision}")
    _demo_units(database, settings)
    _demo_ingest(database, settings)
    console.rule("reconcile")
    reconcile_command(commune=None, whole=False)
    console.rule("link dossiers")
    link_command()
    report_command(out=Path("var/quality_report.html"))
    print_info(database)
    _demo_accounts(database, port or settings.api.port)
    if serve_after:
        serve(host=None, port=port, workers=1)


def _demo_units(database: RegisterDatabase, settings: Settings) -> None:
    """The sample's own administrative units as this installation's (``landreg units load
    sample_data/admin_units.csv``): the sample is made of them, while landreg ships the whole
    province's (``landreg units list`` shows which are in use)."""
    from landreg.services.units import load_units, read_units_file
    from sample_data.units import UNITS_FILE

    loaded = load_units(database, read_units_file(UNITS_FILE, settings.cadastre.cadastral_srid))
    console.print(
        f"đơn vị hành chính của dữ liệu mẫu: {loaded.communes} xã, phường (ghi vào "
        f"{loaded.written_to}) / the sample's units: {loaded.communes} communes and wards"
    )


# One account per role of the officers' workbench: sign-in name, role, role in Vietnamese.
DEMO_ACCOUNTS = (
    ("tiepnhan", Role.REGISTRY_OFFICER, "Cán bộ tiếp nhận, một cửa / registry officer"),
    ("diachinh", Role.CADASTRAL_STAFF, "Cán bộ địa chính / cadastral staff"),
    ("lanhdao", Role.LEADER, "Lãnh đạo, xem tổng quan / leader"),
    ("quantri", Role.ADMINISTRATOR, "Quản trị / administrator"),
)


def _demo_accounts(database: RegisterDatabase, port: int) -> None:
    """One account per role, each with a password drawn at random for this demo run, printed
    once (demo only: a real installation adds its people with ``landreg users add``)."""
    import secrets

    from landreg.errors import ConflictError
    from landreg.services import UnitOfWork
    from landreg.services.accounts import create_user

    table = Table(title="tài khoản thử / demo accounts (demo only)")
    for column in ("tên đăng nhập / username", "vai trò / role", "mật khẩu / password"):
        table.add_column(column)
    for username, role, label in DEMO_ACCOUNTS:
        password = secrets.token_urlsafe(12)
        try:
            with UnitOfWork(database, writes=True) as uow:
                create_user(uow, username, password, role, full_name=label, actor="demo")
        except ConflictError:  # a database kept from an earlier run (--no-fresh)
            password = "(đã có, giữ nguyên / exists already, unchanged)"
        table.add_row(username, label, password)
    console.print(table)
    console.print(
        f"đăng nhập / sign in: http://localhost:{port}/app/dang-nhap — mật khẩu chỉ dùng cho "
        "bản thử, mỗi lần chạy demo một mật khẩu mới / demo-only passwords, new on each run"
    )


def _demo_ingest(database: RegisterDatabase, settings: Settings) -> None:
    """Take in the whole sample data set, as cadastral staff would file by file."""
    from landreg.domain.delivery import IngestOptions
    from landreg.services.sources import ingest_folder

    folder = sample_folder()
    console.rule(f"ingest {folder}")
    loaded, stopped = ingest_folder(
        database, folder, IngestOptions(actor="demo"), confirm_crs=True, say=say
    )
    table = Table(title="sources taken in", show_lines=False)
    for column in ("source", "read", "added", "changed", "quarantined"):
        table.add_column(column, justify="left" if column == "source" else "right")
    for _, result in loaded:
        table.add_row(
            result.source_name,
            *(
                str(getattr(result, name))
                for name in ("rows_read", "added", "changed", "quarantined")
            ),
        )
    console.print(table)
    for path, error in stopped:
        errors.print(
            f"[bold red]dừng / stopped[/] {escape(str(path))}: {escape(both_languages(error))}"
        )


def sample_folder() -> Path:
    """The committed sample data set."""
    import sample_data

    return Path(sample_data.__file__).resolve().parent / "small"


def main() -> None:
    """Entry point with logging set up for the command line."""
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    app()
