"""Where a write lands, decided once: destinations checked, folders held open by descriptor.

Owns two rules that every output follows (``convanim.export.atomic`` applies them to each write):

* **Never destroy.** An output is a regular file (a folder, for frames) or does not exist yet.
  A device, a FIFO, a socket or a symbolic link in its place is refused, never replaced and never
  written through: run as root, ``-o /dev/null`` would otherwise turn ``/dev/null`` into a GIF,
  and a link would be replaced by a file (or, written through, lead the write anywhere).
* **Never escape.** The folder that receives an output is opened once, one component at a time
  with ``O_NOFOLLOW``, and every later step of the write (temporary, rename, clean-up) is made
  relative to that descriptor, so renaming or swapping a folder on the way cannot redirect it.
  Inside :func:`confined_to` (batch mode: the manifest's output folder), the path below the
  allowed folder must consist of real folders at the moment of the write; a subfolder swapped
  for a link to elsewhere while a batch runs is refused, not followed.

POSIX only (``dir_fd`` and ``O_NOFOLLOW``). Standard library only.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path

from convanim.errors import OutputError

__all__ = [
    "DIR_FLAGS",
    "NOFOLLOW",
    "Place",
    "check_destination",
    "confined_to",
    "make_dirs",
    "open_folder",
    "open_place",
    "refuse_special",
]

DIR_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0)
NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)

# (the allowed folder as given, made absolute; its real path when the confinement began)
_confinement: ContextVar[tuple[str, str] | None] = ContextVar("convanim_confinement", default=None)


@contextmanager
def confined_to(folder: str | os.PathLike[str], real: str | None = None) -> Iterator[None]:
    """Every write in this block must land inside ``folder`` (resolved now, or ``real``).

    Writes are checked as they happen, not only when paths are planned: a folder beneath
    ``folder`` that has become a symbolic link by then is refused.
    """
    given = os.path.abspath(folder)
    token = _confinement.set((given, real or os.path.realpath(given)))
    try:
        yield
    finally:
        _confinement.reset(token)


@dataclass
class Place:
    """An output's folder, held open, and the output's name in it."""

    fd: int
    folder: Path  # as the caller named it, for messages
    real: Path  # the real path the folder was opened by
    name: str

    @property
    def dest(self) -> Path:
        return self.folder / self.name

    @property
    def real_dest(self) -> Path:
        return self.real / self.name

    def close(self) -> None:
        with suppress(OSError):
            os.close(self.fd)


def open_place(dest: str | os.PathLike[str]) -> Place:
    """Open the folder that will hold ``dest`` (see the module docstring); close it when done."""
    dest = Path(dest)
    name = dest.name
    if name in ("", ".", ".."):
        raise OutputError(f"output path names no file or folder: {dest}")
    fd, real = open_folder(dest.parent, for_output=dest)
    return Place(fd, dest.parent, real, name)


def open_folder(
    folder: str | os.PathLike[str], *, for_output: Path | None = None, create: bool = False
) -> tuple[int, Path]:
    """Open ``folder`` without following links on the way; return its descriptor and real path.

    Outside a confinement the folder's real path is resolved first and then opened component by
    component, so a link swapped in between is noticed. Inside one, the path below the allowed
    folder must hold no links at all; ``create`` makes the missing folders there.
    """
    folder = Path(folder)
    what = for_output if for_output is not None else folder
    confinement = _confinement.get()
    try:
        if confinement is None:
            real = Path(os.path.realpath(folder))
            return _walk(Path(real.anchor), real.parts[1:], folder, what, False), real
        given, root = confinement
        relative = os.path.relpath(os.path.abspath(folder), given)
        parts = [] if relative == "." else relative.split(os.sep)
        if ".." in parts or os.path.isabs(relative):
            raise OutputError(f"{what}: lies outside the output folder {given}; not written")
        root_path = Path(root)
        fd = _walk(Path(root_path.anchor), root_path.parts[1:], Path(given), what, False)
        try:
            inner = _walk_from(fd, parts, Path(given), what, create, confined=True)
        finally:
            os.close(fd)
        return inner, root_path.joinpath(*parts)
    except OutputError:
        raise
    except OSError as exc:
        raise OutputError(_os_message(exc, folder, what)) from None


def make_dirs(folder: str | os.PathLike[str]) -> None:
    """Create ``folder`` and its missing parents; inside a confinement, never through a link."""
    if _confinement.get() is None:
        try:
            Path(folder).mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputError(f"cannot create folder {folder}: {exc.strerror}") from None
        return
    fd, _ = open_folder(folder, create=True)
    os.close(fd)


def check_destination(dest: str | os.PathLike[str]) -> None:
    """Refuse a destination that is a link, a device, a FIFO or a socket (checked by path, for
    the early checks a command makes before drawing; each write checks again by descriptor)."""
    dest = Path(dest)
    try:
        info = os.lstat(dest)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise OutputError(_os_message(exc, dest, dest)) from None
    refuse_special(dest, info.st_mode, lambda: os.readlink(dest))


def refuse_special(dest: Path, mode: int, read_link: object) -> None:
    """The one-line refusal for a destination that is neither a regular file nor a folder."""
    if stat.S_ISLNK(mode):
        try:
            target = f" (to {read_link()})"  # type: ignore[operator]
        except OSError:
            target = ""
        raise OutputError(
            f"{dest}: is a symbolic link{target}; convanim neither replaces links nor writes "
            "through them; give the file's real path"
        )
    if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
        raise OutputError(
            f"{dest}: is a {_kind(mode)}; an output must be a regular file (a folder for "
            "frames) or not exist yet, so it is not replaced"
        )


def _kind(mode: int) -> str:
    if stat.S_ISCHR(mode):
        return "character device"
    if stat.S_ISBLK(mode):
        return "block device"
    if stat.S_ISFIFO(mode):
        return "FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "socket"
    return "special file"


def _walk(
    start: Path, parts: tuple[str, ...] | list[str], shown: Path, what: Path, create: bool
) -> int:
    fd = os.open(start, DIR_FLAGS)
    try:
        return _walk_from(fd, list(parts), shown, what, create, confined=False)
    finally:
        os.close(fd)


def _walk_from(
    fd: int, parts: list[str], shown: Path, what: Path, create: bool, *, confined: bool
) -> int:
    """Open ``parts`` below ``fd`` one at a time, never following a link; a new descriptor."""
    current = os.dup(fd)
    here = shown
    try:
        for part in parts:
            if part in ("", "."):
                continue
            here = here / part if confined else here
            try:
                nxt = os.open(part, DIR_FLAGS | NOFOLLOW, dir_fd=current)
            except FileNotFoundError:
                if not create:
                    raise
                with suppress(FileExistsError):
                    os.mkdir(part, 0o777, dir_fd=current)
                nxt = os.open(part, DIR_FLAGS | NOFOLLOW, dir_fd=current)
            except OSError as exc:
                if exc.errno not in (errno.ENOTDIR, errno.ELOOP):
                    raise
                if _is_link(part, current):
                    if confined:
                        raise OutputError(
                            f"{what}: the folder {here} is a symbolic link; outputs stay inside "
                            f"the output folder {shown} and never go through a link"
                        ) from None
                    raise OutputError(
                        f"{what}: a folder on its path became a symbolic link while it was "
                        "being opened; nothing written"
                    ) from None
                raise
            os.close(current)
            current = nxt
        return current
    except BaseException:
        os.close(current)
        raise


def _is_link(name: str, dir_fd: int) -> bool:
    try:
        return stat.S_ISLNK(os.stat(name, dir_fd=dir_fd, follow_symlinks=False).st_mode)
    except OSError:
        return False


def _os_message(exc: OSError, folder: Path, what: Path) -> str:
    """One line for an OS error met while opening an output's folder."""
    if exc.errno == errno.ENOENT:
        return f"output directory does not exist: {folder}"
    if exc.errno == errno.ENOTDIR:
        return f"output directory is not a directory: {folder}"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return f"output directory is not writable: {folder} ({os.strerror(exc.errno)})"
    if exc.errno == errno.ENAMETOOLONG:
        return f"{_short(what)}: file name too long"
    reason = os.strerror(exc.errno) if exc.errno is not None else str(exc)
    return f"cannot open output directory {folder}: {reason}"


def _short(path: Path, limit: int = 80) -> str:
    text = str(path)
    return text if len(text) <= limit else f"{text[: limit // 2]}…{text[-limit // 2 :]}"
