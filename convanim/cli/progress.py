"""Progress of many figures (``gallery``, ``batch``): one bar on one line, or plain lines.

On a terminal the bar is redrawn in place with a carriage return and always fits the width of
the terminal (``shutil.get_terminal_size``), so it never wraps: the label and the current
figure's name are shortened first. Errors wait until the bar is done, so that they do not tear
its line. When stdout is not a terminal (a pipe, a CI log) each figure gets a plain
``wrote ...`` or ``error: ...`` line as it finishes. click and the standard library only, so
that the command line starts fast.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from convanim.batch.jobs import Outcome

_SMALLEST_BAR = 10
_NAME_ROOM = 24  # columns kept for the current figure's name when the terminal is wide
_SMALLEST_NAME = 8  # a name cut shorter than this says nothing; leave it out


def _is_tty() -> bool:
    return sys.stdout.isatty()


@contextmanager
def progress(total: int, what: str = "figure") -> Iterator[Callable[[Outcome], None]]:
    """A callback to call with each finished figure's ``Outcome``; shows a bar on a terminal
    (when there is more than nothing to do), else one line per figure."""
    if not (_is_tty() and total):
        yield echo_outcome
        return
    bar = _Bar(total, f"rendering {total} {what}{'s' if total != 1 else ''}")
    errors: list[Outcome] = []

    def advance(outcome: Outcome) -> None:
        if not outcome.ok:
            errors.append(outcome)
        bar.advance(outcome.name)

    bar.draw()
    try:
        yield advance
    finally:
        bar.close()
        for outcome in errors:
            echo_outcome(outcome)


def echo_outcome(outcome: Outcome) -> None:
    """The plain line of one finished figure."""
    if outcome.ok:
        click.echo(f"wrote {outcome.path} ({outcome.n_frames} frames)")
    else:
        click.echo(f"error: {outcome.name}: {outcome.error}")


class _Bar:
    """``label [#####-----] 3/19 name``, cut to the terminal's width less one column (a line
    that fills the last column wraps on some terminals)."""

    def __init__(self, total: int, label: str) -> None:
        self.total, self.label = total, label
        self.done = 0
        self.item = ""
        self._drawn = 0

    def advance(self, item: str) -> None:
        self.done += 1
        self.item = item
        self.draw()

    def line(self, columns: int) -> str:
        width = max(columns - 1, 1)
        count = f" {self.done}/{self.total}"
        # The bar gets what the label, the count and room for a name leave, at least
        # _SMALLEST_BAR cells (the same at every update, so that the bar does not jump); then
        # the label, the name and finally everything are cut to fit.
        room = width - len(count) - 3
        cells = max(_SMALLEST_BAR, room - len(self.label) - 1 - _NAME_ROOM)
        cells = max(1, min(cells, room))
        filled = cells * self.done // self.total
        bar = f"[{'#' * filled}{'-' * (cells - filled)}]"
        label = _cut(self.label, width - len(bar) - len(count) - 1)
        text = f"{label} {bar}{count}" if label else f"{bar}{count}"
        if self.item and width - len(text) - 1 >= _SMALLEST_NAME:
            text += " " + _cut(self.item, width - len(text) - 1)
        return text[:width]

    def draw(self) -> None:
        columns = shutil.get_terminal_size().columns
        text = self.line(columns)
        # Spaces wipe what a longer previous line left behind.
        pad = " " * max(min(self._drawn, columns - 1) - len(text), 0)
        click.echo(f"\r{text}{pad}", nl=False)
        self._drawn = len(text)

    def close(self) -> None:
        click.echo("")


def _cut(text: str, room: int) -> str:
    if room <= 0:
        return ""
    if len(text) <= room:
        return text
    # ASCII, so that a terminal in any encoding can show it.
    return text[: room - 3] + "..." if room > 3 else text[:room]
