"""What every ``landreg`` command shares: the consoles, the database, and clean errors."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape

from landreg.errors import LandRegError, from_spatial
from landreg.settings import Settings
from landreg.store.database import RegisterDatabase
from spatial.errors import SpatialError

console = Console()
errors = Console(stderr=True, soft_wrap=True)  # an error is one line, however long


def database_of(settings: Settings) -> RegisterDatabase:
    """The register database the settings name (not connected yet)."""
    return RegisterDatabase.from_settings(settings.database)


def say(text: str) -> None:
    """One line of progress, indented under the command's own output."""
    console.print(f"  {text}")


# Letters Vietnamese writes and English does not: a detail whose first half (before " / ")
# holds them is already written "vi / en".
_VIETNAMESE = re.compile(r"[ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ]", re.I)


def both_languages(error: LandRegError) -> str:
    """What an error says, Vietnamese first, then `` / `` and the English when they differ;
    a detail already written ``vi / en`` (as ingest writes its own) is said once."""
    vietnamese, english = error.detail_in("vi"), error.detail
    first, _, rest = english.partition(" / ")
    if vietnamese == english or (rest and _VIETNAMESE.search(first)):
        return english
    return f"{vietnamese} / {english}"


def fail(error: LandRegError) -> None:
    """Print an error as one line naming the field and value, and exit with code 2."""
    shown = "" if error.value is None else f"={error.value!r}"
    where = f" [{error.field}{shown}]" if error.field else ""
    errors.print(f"[bold red]lỗi / error[/]{escape(where)}: {escape(both_languages(error))}")
    raise typer.Exit(code=2)


def run(command: Callable[..., Any]) -> Callable[..., Any]:
    """Turn landreg's errors into a clear message and exit code 2, never a traceback (the
    geometry engine's own errors too, mapped as landreg's validation errors)."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except LandRegError as error:
            fail(error)
        except SpatialError as error:
            fail(from_spatial(error))

    return wrapper
