"""Atomic output: files and folders appear whole at their destination, or not at all.

Owns the rule every convanim output follows (writers, batch, storyboard): write into a temporary
sibling of the destination (same directory, so the final ``os.replace`` is a rename on one
filesystem), flush and fsync it, then rename it into place. On any exception, including
``KeyboardInterrupt``, the temporary is removed and an older destination is left untouched.

A killed process (SIGKILL, a power cut) cannot remove its temporary, so every write first
removes the stale temporaries of its destination. "Stale" is decided by a lock, not by age or
name: a writer holds an exclusive ``flock`` on its temporary for as long as it lives, and the
kernel drops that lock when the process dies, so a temporary that can be locked belongs to no
one. Two processes writing the same destination at once therefore never delete each other's
work; the later rename wins and the file is always one whole version. (``convanim.export.leftovers``
holds that clean-up.)

Every step after the destination's folder is opened — checking what is there, cleaning up,
creating the temporary, renaming — is made relative to that folder's descriptor, with the rules
of ``convanim.export.safe_path``: an output is never a device, FIFO, socket or symbolic link, and a
folder swapped for a link while a write is under way cannot redirect it. Scratch space is taken
beside the destination too, never in ``$TMPDIR``. Two writers of one frames folder each retry
their final swap until it holds, so the later one wins, whole.

User errors about the destination (missing directory, read-only directory, a folder where a
file should go, a full disk) become one-line :class:`~convanim.errors.OutputError` messages.
Only the standard library is imported here, so the command line can use it cheaply.
"""

from __future__ import annotations

import errno
import os
import re
import stat
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import BinaryIO

from convanim.errors import OutputError
from convanim.export.leftovers import (
    MAX_PREFIX_NAME,
    exists_at,
    lock_at,
    remove_stale,
    remove_stale_temporaries,
    rmtree_at,
    temporary_pattern,
    unlock,
)
from convanim.export.safe_path import (
    DIR_FLAGS,
    NOFOLLOW,
    Place,
    check_destination,
    open_folder,
    open_place,
    refuse_special,
)

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

__all__ = [
    "atomic_dir",
    "atomic_file",
    "atomic_path",
    "atomic_write_bytes",
    "atomic_write_text",
    "check_output_dir",
    "remove_stale_temporaries",
    "spool_beside",
    "temporary_pattern",
]

# OS errors that mean "the destination cannot take this", not "convanim has a bug".
_USER_ERRNOS = frozenset(
    {errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOSPC, errno.EDQUOT, errno.ENAMETOOLONG}
)

# Attempts at renaming a finished folder in while other writers keep renaming theirs.
_SWAP_TRIES = 50

_umask_lock = threading.Lock()
_umask_cache: list[int] = []


def check_output_dir(dest: str | os.PathLike[str]) -> Path:
    """Return the directory that will hold ``dest``, or raise a one-line ``OutputError``.

    Checked before anything is rendered or written, so a typo in ``-o`` fails fast; ``dest``
    itself must be a regular file, a folder or nothing yet (see ``convanim.export.safe_path``).
    """
    directory = Path(dest).parent
    try:
        if not directory.is_dir():
            if directory.exists():
                raise OutputError(f"output directory is not a directory: {directory}")
            raise OutputError(f"output directory does not exist: {directory}")
    except OSError as exc:
        _raise_if_users(exc, Path(dest))
        raise
    # os.access is advisory (root passes it everywhere); creating the temporary file is the real
    # test, and its failure is reported the same way.
    if not os.access(directory, os.W_OK | os.X_OK):
        raise OutputError(f"output directory is not writable: {directory}")
    check_destination(dest)
    return directory


@contextmanager
def atomic_file(dest: str | os.PathLike[str]) -> Iterator[BinaryIO]:
    """Yield a binary file open on a temporary next to ``dest``; on clean exit it replaces
    ``dest``. The body never names a path, so nothing it writes can be redirected."""
    with _temporary_file(Path(dest)) as (_, _tmp, fd), os.fdopen(os.dup(fd), "wb") as handle:
        yield handle
        handle.flush()


@contextmanager
def atomic_path(dest: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary file path next to ``dest``; on clean exit it replaces ``dest``.

    The temporary (``.NAME.XXXXXXXX.tmp``) exists, empty, when the body starts; the body may
    write it by path or reopen it (ffmpeg does). On exit it is fsynced and renamed over ``dest``.
    On any exception it is deleted and ``dest`` keeps its previous content. Prefer
    :func:`atomic_file`: a path can be redirected by a folder swapped while the body runs (that
    is detected here, and nothing is renamed into place, but the body's write went elsewhere).
    """
    with _temporary_file(Path(dest)) as (place, tmp, _fd):
        path = place.real / tmp
        yield path
        try:
            by_path, held = os.stat(path), os.stat(tmp, dir_fd=place.fd, follow_symlinks=False)
            moved = (by_path.st_dev, by_path.st_ino) != (held.st_dev, held.st_ino)
        except OSError:
            moved = True
        if moved:
            raise OutputError(
                f"{place.dest}: its folder was moved or replaced while the file was written; "
                "nothing was put in place"
            )


@contextmanager
def atomic_dir(
    dest: str | os.PathLike[str],
    *,
    may_replace: Callable[[Path], bool] | None = None,
) -> Iterator[Path]:
    """Yield a temporary sibling directory; on clean exit it takes the place of ``dest``.

    An existing ``dest`` folder is replaced only if ``may_replace(dest)`` says so (default: only
    an empty folder), and that is checked *before* the body runs: a typo must never delete
    someone's files. The old folder is moved aside, the new one renamed in, then the old one
    deleted; if the swap fails half-way the old folder is put back. Two processes writing one
    folder at once each retry the swap until theirs is in place: the later one wins, whole.
    """
    dest = Path(dest)
    allowed = may_replace or _is_empty_dir
    place = open_place(dest)
    olds: list[tuple[str, int | None]] = []
    try:
        try:
            _check_writable(place)
            _check_replaceable_dir(place, allowed)
            if remove_stale(place.fd, place.folder, place.real, place.name):
                _check_replaceable_dir(place, allowed)  # a restored ``.old`` folder is checked too
            tmp, lock = _new_temp(place, make_dir=True)
        except OSError as exc:
            _raise_if_users(exc, dest)
            raise
        try:
            try:
                yield place.real / tmp
                _fsync_entries(lock)
                os.fchmod(lock, 0o777 & ~_umask())
                _swap_in(place, tmp, allowed, olds)
            except OSError as exc:
                _raise_if_users(exc, dest)
                raise
        except BaseException:
            if olds and not exists_at(place.fd, place.name):
                with suppress(OSError):
                    os.rename(olds[-1][0], place.name, src_dir_fd=place.fd, dst_dir_fd=place.fd)
            rmtree_at(place.fd, place.real, tmp)
            raise
        finally:
            unlock(lock)
        _fsync_fd(place.fd)
    finally:
        for old, old_lock in olds:
            rmtree_at(place.fd, place.real, old)
            unlock(old_lock)
        place.close()


def atomic_write_bytes(dest: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``dest`` atomically; return ``dest`` as a Path."""
    with atomic_file(dest) as fh:
        fh.write(data)
    return Path(dest)


def atomic_write_text(dest: str | os.PathLike[str], text: str, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``dest`` atomically; return ``dest`` as a Path."""
    return atomic_write_bytes(dest, text.encode(encoding))


def spool_beside(dest: str | os.PathLike[str]) -> BinaryIO:
    """An anonymous scratch file in the destination's folder, not in ``$TMPDIR``: a full or
    missing temporary folder must not fail a write whose own disk has room (or be blamed on it).
    The folder is opened like the destination's (``safe_path``), so scratch data never lands
    elsewhere either."""
    dest = Path(dest)
    fd, _ = open_folder(dest.parent, for_output=dest)
    try:
        try:
            # O_TMPFILE: a file without a name, gone with its descriptor whatever happens.
            flags = os.O_RDWR | getattr(os, "O_CLOEXEC", 0) | os.O_TMPFILE
            scratch = os.open(".", flags, 0o600, dir_fd=fd)
        except (AttributeError, OSError) as exc:
            if isinstance(exc, OSError) and exc.errno in _USER_ERRNOS:
                raise
            # No O_TMPFILE here: a hidden name, unlinked at once.
            name = f".{dest.name[:MAX_PREFIX_NAME]}.{os.urandom(4).hex()}.tmp"
            flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
            scratch = os.open(name, flags, 0o600, dir_fd=fd)
            os.unlink(name, dir_fd=fd)
        return os.fdopen(scratch, "w+b")
    except OSError as exc:
        _raise_if_users(exc, dest)
        raise
    finally:
        os.close(fd)


# --------------------------------------------------------------------------------------------
# helpers


@contextmanager
def _temporary_file(dest: Path) -> Iterator[tuple[Place, str, int]]:
    """The shared core of the file writers: (the held folder, the temporary's name, its fd)."""
    place = open_place(dest)
    try:
        try:
            _check_writable(place)
            _check_existing(place, folder=False)
            remove_stale(place.fd, place.folder, place.real, place.name)
            tmp, fd = _new_temp(place, make_dir=False)
        except OSError as exc:
            _raise_if_users(exc, dest)
            raise
        try:
            try:
                yield place, tmp, fd
                os.fsync(fd)
                os.fchmod(fd, _file_mode(place))
                _check_existing(place, folder=False)  # a FIFO or a link may have appeared since
                os.replace(tmp, place.name, src_dir_fd=place.fd, dst_dir_fd=place.fd)
            except OSError as exc:
                _raise_if_users(exc, dest)
                raise
            _fsync_fd(place.fd)
        except BaseException:
            with suppress(OSError):
                os.unlink(tmp, dir_fd=place.fd)
            raise
        finally:
            unlock(fd)
    finally:
        place.close()


def _check_writable(place: Place) -> None:
    if not os.access(place.real, os.W_OK | os.X_OK):
        raise OutputError(f"output directory is not writable: {place.folder}")


def _check_existing(place: Place, *, folder: bool) -> os.stat_result | None:
    """What is at the destination now; refused unless it is what this write may replace."""
    try:
        info = os.stat(place.name, dir_fd=place.fd, follow_symlinks=False)
    except FileNotFoundError:
        return None
    refuse_special(place.dest, info.st_mode, lambda: os.readlink(place.name, dir_fd=place.fd))
    if stat.S_ISDIR(info.st_mode) and not folder:
        raise OutputError(f"output path is a directory, expected a file: {place.dest}")
    if stat.S_ISREG(info.st_mode) and folder:
        raise OutputError(f"output path is a file, expected a folder: {place.dest}")
    return info


def _check_replaceable_dir(place: Place, allowed: Callable[[Path], bool]) -> None:
    for _ in range(_SWAP_TRIES):
        if _check_existing(place, folder=True) is None:
            return
        try:
            if allowed(place.real_dest):
                return
        except FileNotFoundError:
            continue  # moved away while it was looked at (another writer's swap): look again
        raise OutputError(
            f"refusing to replace folder {place.dest}: it holds files convanim did not write"
        )
    raise OutputError(f"{place.dest}: other processes keep replacing this folder; try again")


def _is_empty_dir(path: Path) -> bool:
    return not any(path.iterdir())


def _swap_in(
    place: Place, tmp: str, allowed: Callable[[Path], bool], olds: list[tuple[str, int | None]]
) -> None:
    """Rename the finished folder ``tmp`` to the destination, moving an older one aside.

    Another writer may rename its own folder in between our two renames (rename cannot replace
    a non-empty folder: ENOTEMPTY); then the swap is simply made again. What was moved aside is
    checked once more where it now lies, and put back if it is not ours to replace.
    """
    for _ in range(_SWAP_TRIES):
        # Re-checked: a folder may have appeared while frames were being drawn.
        _check_replaceable_dir(place, allowed)
        try:
            if exists_at(place.fd, place.name):
                old = _free_name(place, ".old")
                # Locked before the move (the lock follows the folder), so that no cleaner
                # takes the old folder for abandoned while it is still needed.
                old_lock = lock_at(place.fd, place.name, blocking=True)
                try:
                    os.rename(place.name, old, src_dir_fd=place.fd, dst_dir_fd=place.fd)
                except BaseException:
                    unlock(old_lock)
                    raise
                olds.append((old, old_lock))
                if not allowed(place.real / old):  # swapped for someone's folder meanwhile
                    os.rename(old, place.name, src_dir_fd=place.fd, dst_dir_fd=place.fd)
                    unlock(olds.pop()[1])
                    raise OutputError(
                        f"refusing to replace folder {place.dest}: it holds files convanim did "
                        "not write"
                    )
            os.rename(tmp, place.name, src_dir_fd=place.fd, dst_dir_fd=place.fd)
            return
        except OSError as exc:
            if exc.errno not in (errno.ENOTEMPTY, errno.EEXIST, errno.ENOENT):
                raise
    raise OutputError(f"{place.dest}: other processes keep replacing this folder; try again")


def _free_name(place: Place, suffix: str) -> str:
    prefix = f".{place.name[:MAX_PREFIX_NAME]}."
    while True:
        name = f"{prefix}{os.urandom(4).hex()}{suffix}"
        if not exists_at(place.fd, name):
            return name


def _create_entry(place: Place, name: str, make_dir: bool) -> int:
    """Create ``name`` in the held folder, exclusively, and open it (the one place that makes
    temporaries; tests replace it to simulate a folder that refuses new files)."""
    if make_dir:
        os.mkdir(name, 0o700, dir_fd=place.fd)
        return os.open(name, DIR_FLAGS | NOFOLLOW, dir_fd=place.fd)
    flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
    return os.open(name, flags, 0o600, dir_fd=place.fd)


def _new_temp(place: Place, *, make_dir: bool) -> tuple[str, int]:
    """Create a uniquely named hidden temporary next to the destination, locked as ours.

    Returns its name in the held folder and a descriptor holding its lock (read-write for a
    file); close it with ``_unlock``.
    """
    while True:
        name = _free_name(place, ".tmp")
        try:
            fd = _create_entry(place, name, make_dir)
        except FileExistsError:
            continue
        try:
            if fcntl is not None:
                fcntl.flock(fd, fcntl.LOCK_EX)
        except BaseException:
            os.close(fd)
            raise
        if _same_file(fd, place.fd, name):
            return name, fd
        # A cleaner removed it between its creation and our lock (it looked abandoned):
        # make another.
        unlock(fd)


def _same_file(fd: int, dir_fd: int, name: str) -> bool:
    try:
        here, there = os.fstat(fd), os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    except OSError:
        return False
    return (here.st_dev, here.st_ino) == (there.st_dev, there.st_ino)


def _raise_if_users(exc: OSError, dest: Path) -> None:
    """Re-raise OS errors that are the user's environment as one line; bugs keep theirs."""
    if exc.errno not in _USER_ERRNOS:
        return
    reason = os.strerror(exc.errno) if exc.errno is not None else str(exc)
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        raise OutputError(f"output directory is not writable: {dest.parent} ({reason})") from exc
    raise OutputError(f"cannot write {dest}: {reason}") from exc


def _fsync_entries(dir_fd: int) -> None:
    """fsync every regular file in the held folder (a fresh descriptor flushes the inode's
    data whoever wrote it)."""
    for entry in sorted(os.listdir(dir_fd)):
        try:
            fd = os.open(entry, os.O_RDONLY | NOFOLLOW | os.O_NONBLOCK, dir_fd=dir_fd)
        except OSError:
            continue
        try:
            if stat.S_ISREG(os.fstat(fd).st_mode):
                os.fsync(fd)
        finally:
            os.close(fd)


def _fsync_fd(fd: int) -> None:
    """Persist a rename; not every platform lets a directory be fsynced."""
    with suppress(OSError):
        os.fsync(fd)


def _file_mode(place: Place) -> int:
    """Mode for the new file: keep an older file's mode, else what ``open()`` would give.

    Temporaries are created 0600, which would silently make outputs private.
    """
    try:
        return os.stat(place.name, dir_fd=place.fd, follow_symlinks=False).st_mode & 0o7777
    except FileNotFoundError:
        return 0o666 & ~_umask()


def _umask() -> int:
    """The process umask, read once (os.umask can only be read by setting it)."""
    with _umask_lock:
        if not _umask_cache:
            _umask_cache.append(_read_umask())
        return _umask_cache[0]


def _read_umask() -> int:
    with suppress(OSError, ValueError):
        status = Path("/proc/self/status").read_text()
        match = re.search(r"^Umask:\s*([0-7]+)$", status, re.MULTILINE)
        if match:
            return int(match.group(1), 8)
    # Fallback: set-and-restore under the lock; threads in this module are serialised.
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
