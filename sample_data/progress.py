"""Progress display for long generations (rich), silent unless asked for."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TypeVar

from rich.console import Console
from rich.progress import BarColumn, TextColumn, TimeElapsedColumn
from rich.progress import Progress as RichProgress

T = TypeVar("T")


class Progress:
    """A rich progress bar over the communes plus notes for the later phases."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self._bar: RichProgress | None = None
        self._console = Console(stderr=True)

    def iterate(self, items: list[T], label: str) -> Iterator[T]:
        """Yield ``items``, advancing a bar when enabled."""
        if not self.enabled:
            yield from items
            return
        self._bar = RichProgress(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total}"),
            TimeElapsedColumn(),
            console=self._console,
        )
        with self._bar:
            task = self._bar.add_task(label, total=len(items))
            for item in items:
                yield item
                self._bar.advance(task)

    def note(self, text: str) -> None:
        """Print a line about a finished phase."""
        if self.enabled:
            self._console.log(text)

    def close(self) -> None:
        """Print the final line."""
        self.note("sample data written")
