"""The ``landreg`` commands for cadastral staff's data-quality work: reconcile, findings, report."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from cli.support import console, database_of, run, say
from landreg.settings import Settings


@run
def reconcile_command(
    commune: Annotated[list[str] | None, typer.Option(help="only these communes (repeatable)")] = (
        None
    ),
    whole: Annotated[bool, typer.Option(help="compare all parcels at once, not by commune")] = (
        False
    ),
) -> None:
    """Link the register to the map, run every rule, and bring the findings up to date."""
    from landreg.services import UnitOfWork
    from landreg.services.geometry_checks import GeometrySettings
    from landreg.services.reconcile import reconcile
    from landreg.services.register_checks import RegisterRuleSettings

    settings = Settings()
    with UnitOfWork(database_of(settings), writes=True) as uow:
        summary = reconcile(
            uow,
            communes=commune or None,
            partitioned=not whole,
            authority=settings.cadastre.register_authorities,
            say=say,
            geometry=GeometrySettings(
                sliver_area=settings.cadastre.sliver_area_m2, workers=settings.cadastre.workers
            ),
            register=RegisterRuleSettings(
                area_tolerance_percent=settings.cadastre.area_tolerance_percent
            ),
        )
    print_reconcile(summary)


def print_reconcile(summary: Any) -> None:
    """Findings per rule, and what changed since the last run."""
    from landreg.domain.rules import RULES

    table = Table(title="phát hiện theo quy tắc / findings by rule")
    for column in ("quy tắc / rule", "mức / severity", "số / found", "nội dung / what"):
        table.add_column(column, justify="right" if column.endswith("found") else "left")
    severity_vi = {"error": "lỗi", "warning": "cảnh báo"}
    for code, count in sorted(summary.found.items()):
        rule = RULES[code]
        severity = f"{severity_vi.get(str(rule.severity), str(rule.severity))} / {rule.severity}"
        table.add_row(code, severity, f"{count:,}", f"{rule.title_vi} / {rule.title_en}")
    console.print(table)
    console.print(
        f"{summary.parcels:,} thửa trên bản đồ, {summary.register_entries:,} dòng sổ địa chính; "
        f"mở mới {summary.opened}, còn mở {summary.still_open}, đã đóng {summary.closed} / "
        f"{summary.parcels:,} map parcels, {summary.register_entries:,} register "
        f"entries; links {summary.links}; findings opened {summary.opened}, still "
        f"open {summary.still_open}, closed {summary.closed} ({summary.seconds} s)"
    )
    stages = summary.stages.items()
    console.print(
        "thời gian từng bước (giây): "
        + ", ".join(f"{_STAGES_VI.get(name, name)} {seconds:g}" for name, seconds in stages)
        + " / seconds per stage: "
        + ", ".join(f"{name.replace('_', ' ')} {seconds:g}" for name, seconds in stages)
    )


_STAGES_VI = {
    "read": "đọc dữ liệu", "links": "liên kết sổ với bản đồ", "parties": "hợp nhất chủ thể",
    "unified_register": "sổ hợp nhất", "geometry_rules": "kiểm tra hình học",
    "register_rules": "kiểm tra sổ", "national_ids": "mã định danh",
    "lineage": "nguồn gốc thửa", "findings": "lưu phát hiện",
}  # fmt: skip


@run
def findings_command(
    rule: Annotated[str | None, typer.Option(help="only this rule, e.g. GEOM_OVERLAP")] = None,
    status: Annotated[str, typer.Option(help="open, closed, fixed, dismissed or all")] = "open",
    commune: Annotated[str | None, typer.Option(help="only this commune")] = None,
    fmt: Annotated[str, typer.Option("--format", help="table, csv, geojson or gpkg")] = "table",
    out: Annotated[Path | None, typer.Option(help="file to write (csv, geojson, gpkg)")] = None,
) -> None:
    """List findings, or write them for a spreadsheet or QGIS (the GeoPackage opens in QGIS)."""
    from landreg.services import UnitOfWork
    from landreg.services.export import findings_table, write_findings

    with UnitOfWork(database_of(Settings())) as uow:
        found = findings_table(
            uow, rule=rule, status=None if status == "all" else status, commune=commune
        )
    if fmt == "table":
        table = Table(title=f"{len(found):,} findings")
        for column in ("id", "rule", "commune", "parcels", "message_vi"):
            table.add_column(column)
        for row in found.head(200).itertuples():
            table.add_row(str(row.id), row.rule, str(row.commune), row.parcels, row.message_vi)
        console.print(table)
        return
    target = out or Path(f"findings.{fmt}")
    write_findings(found, target, fmt)
    console.print(f"{len(found):,} findings written to {target}")


@run
def report_command(
    out: Annotated[Path, typer.Option(help="the HTML file to write")] = Path(
        "var/quality_report.html"
    ),
) -> None:
    """Write the data-quality report: findings per rule and commune, charts and maps."""
    from landreg.services import UnitOfWork
    from landreg.services.quality_report import build_report

    with UnitOfWork(database_of(Settings())) as uow:
        written = build_report(uow, out)
    console.print(f"data-quality report written to {written}")
