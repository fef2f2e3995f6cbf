"""Leftovers of killed writes: finding the temporaries no living writer holds, and removing them.

Owns the rule that decides what is abandoned. A writer holds an exclusive ``flock`` on its
temporary (``.NAME.XXXXXXXX.tmp``, or a folder moved aside as ``.NAME.XXXXXXXX.old``) for as long
as it lives, and the kernel drops that lock when the process dies, so a temporary that can be
locked belongs to no one and is removed; a ``.old`` folder whose destination is missing (a kill
between moving the old output aside and renaming the new one in) is put back instead. Where
``fcntl`` does not exist, only temporaries older than a day are removed. Every step is relative
to the folder's descriptor, and a link is never followed (only removed).
Standard library only; ``convanim.export.atomic`` is the writer side.
"""

from __future__ import annotations

import os
import re
import stat
import sys
import time
from contextlib import suppress
from pathlib import Path

from convanim.errors import OutputError
from convanim.export.safe_path import NOFOLLOW, open_folder

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

__all__ = [
    "MAX_PREFIX_NAME",
    "exists_at",
    "lock_at",
    "remove_stale",
    "remove_stale_temporaries",
    "rmtree_at",
    "temporary_pattern",
    "unlock",
]

# Keeps temporary names well under NAME_MAX (255) even for long destination names.
MAX_PREFIX_NAME = 80

# Without locks, a temporary this old is surely abandoned (no figure takes a day to write).
_STALE_AGE = 24 * 3600


def temporary_pattern(name: str) -> re.Pattern[str]:
    """The names of ``name``'s temporaries: ``.NAME.XXXXXXXX.tmp`` and ``.NAME.XXXXXXXX.old``."""
    return re.compile(rf"\.{re.escape(name[:MAX_PREFIX_NAME])}\.[A-Za-z0-9_]{{8}}\.(tmp|old)")


def remove_stale_temporaries(directory: str | os.PathLike[str], name: str) -> list[Path]:
    """Remove the temporaries of ``directory/name`` that no living process is writing.

    A ``.old`` folder whose destination is missing (a kill between moving the old output aside
    and renaming the new one in) is put back instead. Returns what was removed or restored.
    Inside ``safe_path.confined_to``, a folder reached through a link is left alone.
    """
    try:
        fd, real = open_folder(directory)
    except OutputError:
        return []
    try:
        return remove_stale(fd, Path(directory), real, name)
    finally:
        os.close(fd)


def remove_stale(dir_fd: int, shown: Path, real: Path, name: str) -> list[Path]:
    """``remove_stale_temporaries`` in a folder already held open (``shown`` names it)."""
    pattern = temporary_pattern(name)
    done: list[Path] = []
    try:
        entries = [e for e in os.listdir(dir_fd) if pattern.fullmatch(e)]
    except OSError:
        return done
    for entry in entries:
        try:
            info = os.stat(entry, dir_fd=dir_fd, follow_symlinks=False)
        except OSError:
            continue
        lock: int | None = None
        if stat.S_ISLNK(info.st_mode):
            pass  # never a temporary of ours, and never followed: only the link goes
        elif fcntl is None:
            if time.time() - info.st_mtime < _STALE_AGE:
                continue
        else:
            try:
                lock = lock_at(dir_fd, entry, blocking=False)
            except OSError:
                continue  # gone already, or not ours to open
            if lock is None:
                continue  # a living writer holds it
        try:
            if stat.S_ISDIR(info.st_mode):
                if entry.endswith(".old") and not exists_at(dir_fd, name):
                    os.rename(entry, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
                else:
                    rmtree_at(dir_fd, real, entry)
            else:
                os.unlink(entry, dir_fd=dir_fd)
            done.append(shown / entry)
        except OSError:
            pass  # a read-only folder: the write itself will report it
        finally:
            unlock(lock)
    return done


def rmtree_at(dir_fd: int, real: Path, name: str) -> None:
    import shutil  # only here: with its archive modules, 3 ms of every short run

    if sys.version_info >= (3, 11):
        shutil.rmtree(name, ignore_errors=True, dir_fd=dir_fd)
    else:  # pragma: no cover - no dir_fd before 3.11
        shutil.rmtree(real / name, ignore_errors=True)


def lock_at(dir_fd: int, name: str, *, blocking: bool) -> int | None:
    """Open ``name`` (a file or a folder, never a link, never waiting on a FIFO) and lock it
    exclusively; return the descriptor. Non-blocking: None if another process holds the lock.
    Without fcntl: None always."""
    if fcntl is None:
        return None
    flags = os.O_RDONLY | NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(name, flags, dir_fd=dir_fd)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
    except BlockingIOError:
        os.close(fd)
        return None
    except BaseException:
        os.close(fd)
        raise
    return fd


def exists_at(dir_fd: int, name: str) -> bool:
    try:
        os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    except FileNotFoundError:
        return False
    return True


def unlock(fd: int | None) -> None:
    # Closing the descriptor releases the flock.
    if fd is not None:
        with suppress(OSError):
            os.close(fd)
