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
work; the later rename wins and the file is always one whole version. (Where ``fcntl`` does not
exist, only temporaries older than a day are removed.)

User errors about the destination (missing directory, read-only directory, a folder where a
file should go, a full disk) become one-line :class:`~convanim.errors.OutputError` messages.
Only the standard library is imported here, so the command line can use it cheaply.
"""

from __future__ import annotations

import errno
import os
import re
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from convanim.errors import OutputError

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

__all__ = [
    "atomic_dir",
    "atomic_path",
    "atomic_write_bytes",
    "atomic_write_text",
    "check_output_dir",
    "remove_stale_temporaries",
    "temporary_pattern",
]

# OS errors that mean "the destination cannot take this", not "convanim has a bug".
_USER_ERRNOS = frozenset(
    {errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOSPC, errno.EDQUOT, errno.ENAMETOOLONG}
)

# Keeps temporary names well under NAME_MAX (255) even for long destination names.
_MAX_PREFIX_NAME = 80

# Without locks, a temporary this old is surely abandoned (no figure takes a day to write).
_STALE_AGE = 24 * 3600

_umask_lock = threading.Lock()
_umask_cache: list[int] = []


def check_output_dir(dest: str | os.PathLike[str]) -> Path:
    """Return the directory that will hold ``dest``, or raise a one-line ``OutputError``.

    Checked before anything is rendered or written, so a typo in ``-o`` fails fast.
    """
    directory = Path(dest).parent
    if not directory.is_dir():
        if directory.exists():
            raise OutputError(f"output directory is not a directory: {directory}")
        raise OutputError(f"output directory does not exist: {directory}")
    # os.access is advisory (root passes it everywhere); creating the temporary file is the real
    # test, and its failure is reported the same way.
    if not os.access(directory, os.W_OK | os.X_OK):
        raise OutputError(f"output directory is not writable: {directory}")
    return directory


@contextmanager
def atomic_path(dest: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary file path next to ``dest``; on clean exit it replaces ``dest``.

    The temporary (``.NAME.XXXXXXXX.tmp``) exists, empty, when the body starts; the body may
    write it by path or reopen it. On exit it is fsynced and renamed over ``dest``. On any
    exception it is deleted and ``dest`` keeps its previous content.
    """
    dest = Path(dest)
    if dest.is_dir():
        raise OutputError(f"output path is a directory, expected a file: {dest}")
    directory = check_output_dir(dest)
    remove_stale_temporaries(directory, dest.name)
    tmp, lock = _make_temp(directory, dest.name, make_dir=False)
    try:
        try:
            yield tmp
            _fsync_path(tmp)
            os.chmod(tmp, _file_mode(dest))
            os.replace(tmp, dest)
        except OSError as exc:
            _raise_if_users(exc, dest)
            raise
        _fsync_dir(directory)
    except BaseException:
        with suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    finally:
        _unlock(lock)


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
    deleted; if the swap fails half-way the old folder is put back.
    """
    dest = Path(dest)
    allowed = may_replace or _is_empty_dir
    _check_replaceable_dir(dest, allowed)
    directory = check_output_dir(dest)
    if remove_stale_temporaries(directory, dest.name):
        _check_replaceable_dir(dest, allowed)  # a restored ``.old`` folder is checked too
    tmp, lock = _make_temp(directory, dest.name, make_dir=True)
    old: Path | None = None
    old_lock: int | None = None
    try:
        try:
            yield tmp
            for entry in sorted(tmp.iterdir()):
                if entry.is_file():
                    _fsync_path(entry)
            os.chmod(tmp, 0o777 & ~_umask())
            # Re-checked: the folder may have appeared while frames were being drawn.
            _check_replaceable_dir(dest, allowed)
            if dest.exists():
                old, _ = _make_temp(directory, dest.name, make_dir=False, suffix=".old")
                # Locked before the move (the lock follows the folder), so that no cleaner
                # takes the old folder for abandoned while it is still needed.
                old_lock = _lock_open(dest, blocking=True)
                os.replace(dest, old)
            os.rename(tmp, dest)
        except OSError as exc:
            _raise_if_users(exc, dest)
            raise
    except BaseException:
        if old is not None and not dest.exists():
            os.rename(old, dest)
            old = None
        shutil.rmtree(tmp, ignore_errors=True)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
        _unlock(old_lock)
        raise
    finally:
        _unlock(lock)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    _unlock(old_lock)
    _fsync_dir(directory)


def atomic_write_bytes(dest: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``dest`` atomically; return ``dest`` as a Path."""
    with atomic_path(dest) as tmp, open(tmp, "wb") as fh:
        fh.write(data)
    return Path(dest)


def atomic_write_text(dest: str | os.PathLike[str], text: str, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``dest`` atomically; return ``dest`` as a Path."""
    return atomic_write_bytes(dest, text.encode(encoding))


# --------------------------------------------------------------------------------------------
# helpers


def _make_temp(
    directory: Path, name: str, *, make_dir: bool, suffix: str = ".tmp"
) -> tuple[Path, int | None]:
    """Create a uniquely named hidden temporary next to the destination, locked as ours.

    Returns the path and the descriptor holding its lock (None for a ``.old`` name, which is
    only a free slot, and where locks are not available); pass the descriptor to ``_unlock``.
    """
    prefix = f".{name[:_MAX_PREFIX_NAME]}."
    try:
        while True:
            if make_dir:
                path = Path(tempfile.mkdtemp(prefix=prefix, suffix=suffix, dir=directory))
            else:
                fd, raw = tempfile.mkstemp(prefix=prefix, suffix=suffix, dir=directory)
                os.close(fd)
                path = Path(raw)
            if suffix == ".old":
                # Only the name was wanted (os.replace needs a free slot for a directory).
                os.unlink(path)
                return path, None
            lock = _lock_open(path, blocking=True)
            if lock is None or _same_file(lock, path):
                return path, lock
            # A cleaner removed it between its creation and our lock (it looked abandoned):
            # make another.
            _unlock(lock)
    except OSError as exc:
        _raise_if_users(exc, directory / name)
        raise


def temporary_pattern(name: str) -> re.Pattern[str]:
    """The names of ``name``'s temporaries: ``.NAME.XXXXXXXX.tmp`` and ``.NAME.XXXXXXXX.old``."""
    return re.compile(rf"\.{re.escape(name[:_MAX_PREFIX_NAME])}\.[A-Za-z0-9_]{{8}}\.(tmp|old)")


def remove_stale_temporaries(directory: str | os.PathLike[str], name: str) -> list[Path]:
    """Remove the temporaries of ``directory/name`` that no living process is writing.

    A ``.old`` folder whose destination is missing (a kill between moving the old output aside
    and renaming the new one in) is put back instead. Returns what was removed or restored.
    """
    folder = Path(directory)
    pattern = temporary_pattern(name)
    done: list[Path] = []
    try:
        entries = [e for e in folder.iterdir() if pattern.fullmatch(e.name)]
    except OSError:
        return done
    for entry in entries:
        if fcntl is None:
            try:
                if time.time() - entry.lstat().st_mtime < _STALE_AGE:
                    continue
            except OSError:
                continue
            lock = None
        else:
            try:
                lock = _lock_open(entry, blocking=False)
            except OSError:
                continue  # gone already, or not ours to open
            if lock is None:
                continue  # a living writer holds it
        try:
            dest = folder / name
            if entry.name.endswith(".old") and _real_dir(entry) and not dest.exists():
                os.rename(entry, dest)
            elif _real_dir(entry):
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)
            done.append(entry)
        except OSError:
            pass  # a read-only folder: the write itself will report it
        finally:
            _unlock(lock)
    return done


def _real_dir(path: Path) -> bool:
    # A symbolic link is never followed: only the link itself is removed.
    return path.is_dir() and not path.is_symlink()


def _lock_open(path: Path, *, blocking: bool) -> int | None:
    """Open ``path`` (a file or a folder) and lock it exclusively; return the descriptor.

    Non-blocking: None if another process holds the lock. Without fcntl: None always.
    """
    if fcntl is None:
        return None
    fd = os.open(path, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
    except BlockingIOError:
        os.close(fd)
        return None
    except BaseException:
        os.close(fd)
        raise
    return fd


def _same_file(fd: int, path: Path) -> bool:
    try:
        here, there = os.fstat(fd), os.stat(path)
    except OSError:
        return False
    return (here.st_dev, here.st_ino) == (there.st_dev, there.st_ino)


def _unlock(fd: int | None) -> None:
    # Closing the descriptor releases the flock.
    if fd is not None:
        with suppress(OSError):
            os.close(fd)


def _check_replaceable_dir(dest: Path, allowed: Callable[[Path], bool]) -> None:
    if not dest.exists():
        return
    if not dest.is_dir():
        raise OutputError(f"output path is a file, expected a folder: {dest}")
    if not allowed(dest):
        raise OutputError(
            f"refusing to replace folder {dest}: it holds files convanim did not write"
        )


def _is_empty_dir(path: Path) -> bool:
    return not any(path.iterdir())


def _raise_if_users(exc: OSError, dest: Path) -> None:
    """Re-raise OS errors that are the user's environment as one line; bugs keep theirs."""
    if exc.errno not in _USER_ERRNOS:
        return
    reason = os.strerror(exc.errno) if exc.errno is not None else str(exc)
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        raise OutputError(f"output directory is not writable: {dest.parent} ({reason})") from exc
    raise OutputError(f"cannot write {dest}: {reason}") from exc


def _fsync_path(path: Path) -> None:
    # fsync through a fresh descriptor flushes the inode's data whoever wrote it.
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(directory: Path) -> None:
    """Persist the rename itself; not every platform lets a directory be opened for this."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _file_mode(dest: Path) -> int:
    """Mode for the new file: keep an older file's mode, else what ``open()`` would give.

    mkstemp creates files 0600, which would silently make outputs private.
    """
    try:
        return dest.stat().st_mode & 0o7777
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
