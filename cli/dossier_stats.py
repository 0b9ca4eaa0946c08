"""``landreg dossiers stats``: on-time rate, overdue and at-risk dossiers, apology letters."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from typing import Annotated, Any

import typer
from rich.table import Table

from cli.support import console, database_of, run
from landreg.errors import ValidationError
from landreg.services.dossier_stats_types import DossierStats, GroupCounts, TimelinessCounts
from landreg.settings import Settings

FORMATS = ("table", "json")
TIME_ZONE = "Asia/Ho_Chi_Minh"
WEEKS_SHOWN = 26
_COLUMNS = (
    "dossiers", "processed", "on time", "late", "open in time", "at risk", "overdue",
    "not counted", "not readable", "on-time rate",
)  # fmt: skip


@run
def stats_command(
    as_of: Annotated[
        str | None,
        typer.Option(help="read the clocks at this local date (its end) or date-time; now"),
    ] = None,
    office: Annotated[str | None, typer.Option(help="only this office, e.g. H55.707")] = None,
    procedure: Annotated[str | None, typer.Option(help="only this procedure, e.g. transfer")] = (
        None
    ),
    fmt: Annotated[str, typer.Option("--format", help="table or json")] = "table",
) -> None:
    """On-time rate by procedure, office and month; overdue and at-risk dossiers; the apology
    letters late dossiers still need; due dates that disagree with the source."""
    from landreg.services import UnitOfWork
    from landreg.services.dossier_stats import dossier_stats

    if fmt not in FORMATS:
        raise ValidationError(
            "format must be table or json",
            field="format",
            value=fmt,
            detail_vi="định dạng phải là table hoặc json",
        )
    with UnitOfWork(database_of(Settings())) as uow:
        stats = dossier_stats(uow, as_of=as_of, office=office, procedure=procedure)
    if fmt == "json":
        typer.echo(json.dumps(stats_document(stats), ensure_ascii=False, indent=2, default=str))
        return
    print_stats(stats)


def stats_document(stats: DossierStats) -> dict[str, Any]:
    """The statistics as plain data, apology letters with their text in both languages."""
    document = dataclasses.asdict(stats) | {"time_zone": TIME_ZONE}
    document["due_dates"]["disagree"] = stats.due_dates.disagree
    for need, out in zip(stats.apologies, document["apologies"], strict=True):
        if need.letter is not None:
            out["letter"] |= {"text_vi": need.letter.text_vi(), "text_en": need.letter.text_en()}
    return document


def _rate(counts: TimelinessCounts) -> str:
    return "—" if counts.on_time_rate is None else f"{counts.on_time_rate:.2f}%"


def _counts_table(title: str, first: str, groups: Sequence[GroupCounts]) -> Table:
    table = Table(title=title)
    table.add_column(first, no_wrap=True)
    for column in _COLUMNS:
        table.add_column(column, justify="right")
    for group in groups:
        c = group.counts
        values = (
            c.dossiers, c.resolved, c.early + c.on_time, c.late, c.on_track, c.at_risk,
            c.overdue, c.not_counted, c.unreadable,
        )  # fmt: skip
        table.add_row(group.key, *(f"{v:,}" for v in values), _rate(c))
    return table


def print_stats(stats: DossierStats) -> None:
    """The statistics as tables for the terminal."""
    scope = " ".join(
        f"{k} {v}" for k, v in (("office", stats.office), ("procedure", stats.procedure)) if v
    )
    console.print(
        f"dossiers as of {stats.as_of:%Y-%m-%d %H:%M} {scope}".rstrip()
        + f": on-time rate [bold]{_rate(stats.totals)}[/] of {stats.totals.resolved:,} processed"
    )
    console.print(_counts_table("all dossiers", "", [GroupCounts("total", stats.totals)]))
    console.print(_counts_table("by procedure", "procedure", stats.by_procedure))
    console.print(_counts_table("by office", "office", stats.by_office))
    console.print(_counts_table("by month of processing", "month", stats.by_month))
    _print_weeks(stats)
    _print_watch(stats)
    _print_apologies(stats)
    _print_checks(stats)


def _print_weeks(stats: DossierStats) -> None:
    shown = stats.by_week[-WEEKS_SHOWN:]
    table = Table(
        title=f"tiếp nhận và giải quyết theo tuần / received and processed by week "
        f"({len(shown)} of {len(stats.by_week)} weeks; --format json lists all)"
    )
    table.add_column("tuần / week")
    table.add_column("từ ngày / from")
    table.add_column("tiếp nhận / received", justify="right")
    table.add_column("đã giải quyết / processed", justify="right")
    for week in shown:
        table.add_row(
            week.week, week.starts_on.strftime("%d/%m/%Y"), f"{week.received:,}",
            f"{week.processed:,}",
        )  # fmt: skip
    console.print(table)


def _print_watch(stats: DossierStats) -> None:
    table = Table(title=f"{len(stats.watch):,} overdue and at-risk dossiers, most late first")
    for column in ("code", "procedure", "office", "status", "class", "due", "working days"):
        table.add_column(column)
    for item in stats.watch:
        late = item.working_days_late
        table.add_row(
            item.code, item.procedure, item.office or "", item.status.value,
            item.timeliness.value, item.due_date.isoformat(),
            f"{late} late" if late > 0 else f"{-late} left",
        )  # fmt: skip
    console.print(table)


def _print_apologies(stats: DossierStats) -> None:
    missing = [need for need in stats.apologies if not need.recorded]
    table = Table(
        title=f"apology letters: {len(stats.apologies) - len(missing):,} recorded, "
        f"{len(missing):,} needed"
    )
    for column in ("code", "procedure", "office", "class", "due", "late", "new return date"):
        table.add_column(column)
    for need in missing:
        table.add_row(
            need.code, need.procedure, need.office or "", need.timeliness.value,
            need.due_date.isoformat(), str(need.working_days_late),
            need.new_return_date.isoformat() if need.new_return_date else "",
        )  # fmt: skip
    console.print(table)


def _print_checks(stats: DossierStats) -> None:
    console.print(
        f"filed after as_of (left out) {stats.filed_after_as_of:,}; histories read up to "
        f"as_of {stats.histories_cut:,}; history not readable {len(stats.unreadable):,}"
    )
    for item in stats.unreadable:
        console.print(
            f"  not readable {item.code} ({item.procedure}, {item.status}): {item.reason}"
        )
    check = stats.due_dates
    console.print(
        f"due dates against the source: {check.compared:,} compared, {check.agree:,} agree, "
        f"{check.disagree:,} differ"
    )
    for diff in check.examples:
        console.print(
            f"  {diff.code} ({diff.procedure}, {diff.status.value}): landreg "
            f"{diff.computed.isoformat()}, source {diff.recorded.isoformat()} "
            f"({diff.working_days_apart:+d} working days)"
        )
