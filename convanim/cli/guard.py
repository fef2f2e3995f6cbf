"""The command line's last guard: failures of the machine around a command, as one line.

Owns what ``convanim`` says when the environment fails outside every library check: the working
folder was deleted, standard output is closed, full (``>/dev/full``) or a pipe whose reader has
gone, or a path is too long for the file system. Each becomes one line on standard error and
exit 1 (a problem of the machine, not of the request), never a traceback; ``--debug`` still
shows it. Installed as the ``main`` group's class, so it covers every subcommand, in a terminal
and under click's test runner alike. Imports only click and the standard library.
"""

from __future__ import annotations

import contextlib
import errno
import os
import sys
from typing import Any

import click

__all__ = ["GuardedGroup"]

# Errors a write to standard output meets: no reader, a full or broken device, a closed fd.
_STDOUT_ERRNOS = frozenset(
    {errno.EPIPE, errno.ENOSPC, errno.EIO, errno.EDQUOT, errno.EFBIG, errno.EBADF}
)


class GuardedGroup(click.Group):
    """A click group whose commands run behind the checks described in the module docstring."""

    def invoke(self, ctx: click.Context) -> Any:
        debug = bool(ctx.params.get("debug"))
        try:
            os.getcwd()
        except FileNotFoundError:
            raise click.ClickException(
                "the working folder no longer exists (deleted or moved away); "
                "cd into an existing folder and run again"
            ) from None
        if sys.stdout is None:
            raise click.ClickException(
                "standard output is closed; run convanim with it open (e.g. >/dev/null)"
            )
        try:
            return super().invoke(ctx)
        except OSError as exc:
            message = None if debug else _message(exc)
            if message is None:
                raise
            if exc.filename is None:
                _silence_stdout()
            raise click.ClickException(message) from None


def _message(exc: OSError) -> str | None:
    """One line for an environment failure; None for anything else (a bug keeps its trace)."""
    if exc.errno == errno.ENAMETOOLONG:
        name = _short(os.fsdecode(exc.filename)) if exc.filename is not None else "a path"
        return f"{name}: file name too long for the file system"
    if isinstance(exc, FileNotFoundError) and _cwd_gone():
        return "the working folder no longer exists (deleted or moved away); cd into another"
    if exc.filename is None and exc.errno in _STDOUT_ERRNOS:
        return f"cannot write to standard output: {os.strerror(exc.errno)}"
    return None


def _cwd_gone() -> bool:
    try:
        os.getcwd()
    except FileNotFoundError:
        return True
    return False


def _silence_stdout() -> None:
    """Point standard output at /dev/null, so that Python's final flush of what could not be
    written does not print a second complaint (a real terminal only; the test runner has no fd)."""
    with contextlib.suppress(AttributeError, OSError, ValueError):
        fileno = sys.stdout.fileno()
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, fileno)
        os.close(null)


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else f"{text[: limit // 2]}…{text[-limit // 2 :]}"
