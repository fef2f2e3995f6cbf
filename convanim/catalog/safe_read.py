"""Reading the files a user names: regular files only, a bounded number of bytes, a BOM allowed.

Owns how convanim reads templates, themes and manifests. The path must lead to a regular file
(links to one are fine): a FIFO would block forever, a device such as ``/dev/zero`` never ends,
and a folder is a mistake, so each is one line naming the file. Nothing larger than
:data:`MAX_TOML_BYTES` is read (the whole built-in catalogue is a few kilobytes; a file a
thousand times larger is not a figure), and at most that many bytes plus one are ever taken, so
a file that grows while it is read cannot exhaust memory. A UTF-8 byte order mark, which some
editors put first, is dropped. Errors are ``TemplateError`` (the class for "a file convanim was
given cannot be read"); the manifest reader re-raises them as ``ManifestError``.
Standard library only.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from convanim.errors import TemplateError

__all__ = ["BOM", "MAX_TOML_BYTES", "Unreadable", "read_bounded", "read_regular", "read_text"]

#: The largest template, theme or manifest read, in bytes (1 MiB).
MAX_TOML_BYTES = 1 << 20

BOM = b"\xef\xbb\xbf"

_FLAGS = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
_CHUNK = 1 << 16


class Unreadable(ValueError):
    """A path that is not a regular file of at most the limit: ``kind`` is ``"special"`` (the
    reason says what it is), ``"large"`` or ``"os"`` (the reason is the system's)."""

    def __init__(self, kind: str, reason: str) -> None:
        self.kind, self.reason = kind, reason
        super().__init__(reason)


def read_regular(path: str | os.PathLike[str], limit: int) -> bytes:
    """The bytes of the regular file ``path``, at most ``limit`` of them; ``Unreadable``
    otherwise (``FileNotFoundError`` passes through, for callers to whom it means "none yet").
    Never blocks on a FIFO, never reads a device."""
    path = Path(path)
    try:
        # Checked before opening: opening some devices does something (a tape rewinds).
        _require_regular(os.stat(path).st_mode)
        # O_NONBLOCK: had a FIFO been swapped in since, opening it still returns at once.
        fd = os.open(path, _FLAGS)
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise Unreadable("os", _reason(exc)) from None
    try:
        info = os.fstat(fd)
        _require_regular(info.st_mode)
        if info.st_size > limit:
            raise Unreadable("large", _size(limit))
        chunks: list[bytes] = []
        size = 0
        while size <= limit:
            chunk = os.read(fd, min(_CHUNK, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:  # it grew while being read
            raise Unreadable("large", _size(limit))
        return b"".join(chunks)
    except OSError as exc:
        raise Unreadable("os", _reason(exc)) from None
    finally:
        os.close(fd)


def read_bounded(path: str | os.PathLike[str], limit: int = MAX_TOML_BYTES) -> bytes:
    """The bytes of the regular file ``path``; a ``TemplateError`` if it is anything else or
    holds more than ``limit`` bytes."""
    try:
        return read_regular(path, limit)
    except FileNotFoundError as exc:
        raise TemplateError(f"{_short(str(path))}: cannot read: {_reason(exc)}") from None
    except Unreadable as exc:
        if exc.kind == "special":
            raise TemplateError(f"{path}: is {exc.reason}; give a regular .toml file") from None
        if exc.kind == "large":
            raise TemplateError(
                f"{path}: {exc.reason}, the limit for templates, themes and manifests"
            ) from None
        raise TemplateError(f"{_short(str(path))}: cannot read: {exc.reason}") from None


def read_text(path: str | os.PathLike[str], limit: int = MAX_TOML_BYTES) -> str:
    """The UTF-8 text of ``path`` (see :func:`read_bounded`), without a leading BOM."""
    data = read_bounded(path, limit)
    if data.startswith(BOM):
        data = data[len(BOM) :]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:  # TOML is UTF-8; a stray Latin-1 byte is not a bug here
        raise TemplateError(f"{path}: invalid TOML: not UTF-8 (byte {exc.start})") from None


def _require_regular(mode: int) -> None:
    if stat.S_ISREG(mode):
        return
    if stat.S_ISDIR(mode):
        kind = "a folder"
    elif stat.S_ISFIFO(mode):
        kind = "a FIFO (named pipe)"
    elif stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        kind = "a device"
    elif stat.S_ISSOCK(mode):
        kind = "a socket"
    else:
        kind = "not a regular file"
    raise Unreadable("special", kind)


def _size(limit: int) -> str:
    size = f"{limit // (1 << 20)} MiB" if limit % (1 << 20) == 0 else f"{limit} bytes"
    return f"larger than {size}"


def _short(text: str, limit: int = 200) -> str:
    """A path fit for a one-line message: its start and end, however long it is."""
    return text if len(text) <= limit else f"{text[: limit // 2]}…{text[-limit // 2 :]}"


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)
