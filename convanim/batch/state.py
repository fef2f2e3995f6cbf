"""The record a batch keeps beside its figures, and the lock that keeps two batches apart.

Owns ``<output_dir>/.convanim-state.json`` and the lock on ``<output_dir>``. For every output
the state records the hash of the inputs it was rendered from and the hash of the bytes that
were written (a frames folder: of its files). A figure is only claimed to be current while both
still match, so the record cannot outlive its file: a kill between writing a figure and
recording it, another tool overwriting it, or a second batch writing into a nested folder all
make it stale, never falsely current. The state is written only after a figure's file is in
place, atomically, and read defensively: a missing file is empty, and a damaged, truncated,
wrong-typed, too deeply nested or too large one is empty with one warning (everything is then
stale and the next run rewrites it). At most ``MAX_STATE_BYTES`` are read.

A running batch holds an exclusive ``flock`` on its output folder itself (no lock file: a batch
that writes nothing leaves the folder untouched); a second batch into the same folder is refused
at once with one line (waiting would turn a shared folder into a silent hang). The kernel drops
the lock when its holder dies, however it dies. Forked workers close their copy of the lock at
once, so that it is the batch process's alone and is free the moment that process is gone.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from convanim.catalog.manifest import STATE_NAME
from convanim.catalog.safe_read import Unreadable, read_regular
from convanim.errors import OutputError
from convanim.export.atomic import atomic_write_text

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no lock, batches are not kept apart
    fcntl = None  # type: ignore[assignment]

__all__ = [
    "MAX_STATE_BYTES",
    "FolderBusy",
    "State",
    "folder_lock",
    "load_state",
    "output_digest",
    "read_state",
    "write_state",
]

State = dict[str, dict[str, str]]

STATE_FORMAT = 2  # 1 had no hash of the written file
MAX_STATE_BYTES = 32 * 1024 * 1024  # ~100,000 figures
_CHUNK = 1024 * 1024
_ENTRY_KEYS = ("hash", "name", "file", "player")  # player: its HTML player's hash


class FolderBusy(OutputError):
    """Another batch is writing the same output folder."""


# --------------------------------------------------------------------------------------------
# the state file


def load_state(output_dir: Path) -> tuple[State, str | None]:
    """Output path (relative, POSIX) -> {"hash", "name", "file"[, "player"]}, and what was
    wrong with the file if it could not be used (then the state is empty)."""
    path = output_dir / STATE_NAME
    try:
        raw = read_regular(path, MAX_STATE_BYTES)
    except FileNotFoundError:
        return {}, None
    except Unreadable as exc:
        if exc.kind == "os":
            return {}, f"{path}: cannot be read ({exc.reason})"
        return {}, f"{path}: {'not a regular file' if exc.kind == 'special' else exc.reason}"
    try:
        data = json.loads(raw.decode("utf-8"))
    except RecursionError:
        return {}, f"{path}: nested too deeply to be a state file"
    except ValueError as exc:  # UnicodeDecodeError and JSONDecodeError alike
        return {}, f"{path}: not valid JSON ({_short(exc)})"
    problem = _layout_problem(data)
    if problem:
        return {}, f"{path}: {problem}"
    figures = data["figures"]
    # Format 1 recorded no hash of the file: such entries are kept, but are never current.
    return {k: {f: v[f] for f in _ENTRY_KEYS if f in v} for k, v in figures.items()}, None


def read_state(output_dir: Path) -> State:
    """``load_state`` without its warning."""
    return load_state(output_dir)[0]


def write_state(output_dir: Path, figures: State) -> None:
    # Sorted, indented, no timestamps: the file is meant to be committed beside the figures.
    data = {"version": STATE_FORMAT, "figures": dict(sorted(figures.items()))}
    atomic_write_text(output_dir / STATE_NAME, json.dumps(data, indent=2, sort_keys=True) + "\n")


def _layout_problem(data: object) -> str | None:
    if not isinstance(data, dict):
        return f"expected a JSON object, found {type(data).__name__}"
    version = data.get("version")
    if version not in (1, STATE_FORMAT):
        return f"unknown version {version!r} (this convanim writes {STATE_FORMAT})"
    figures = data.get("figures")
    if not isinstance(figures, dict):
        return "'figures' is not an object"
    for key, entry in figures.items():
        if not isinstance(entry, dict) or not all(
            isinstance(entry.get(field, ""), str) for field in _ENTRY_KEYS
        ):
            return f"the entry of {key!r} is not an object of strings"
        if "hash" not in entry:
            return f"the entry of {key!r} has no hash"
    return None


def _short(exc: Exception) -> str:
    text = str(exc)
    return text if len(text) <= 120 else text[:117] + "..."


# --------------------------------------------------------------------------------------------
# what was written


def output_digest(path: Path) -> str | None:
    """sha256 of an output's bytes (a frames folder: of its files' names and bytes), or None
    if there is no such regular file or folder."""
    digest = hashlib.sha256()
    try:
        info = os.stat(path)
        if stat.S_ISREG(info.st_mode):
            _hash_file(path, digest)
        elif stat.S_ISDIR(info.st_mode):
            for entry in sorted(os.scandir(path), key=lambda e: e.name):
                if not entry.is_file(follow_symlinks=False):
                    continue
                digest.update(entry.name.encode("utf-8", "surrogateescape") + b"\0")
                inner = hashlib.sha256()
                _hash_file(Path(entry.path), inner)
                digest.update(inner.digest())
        else:
            return None
    except (OSError, Unreadable):
        return None
    return "sha256:" + digest.hexdigest()


def _hash_file(path: Path, digest: Any) -> None:  # a hashlib object
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise Unreadable("special", "not a regular file")  # swapped for a FIFO since the stat
        while chunk := os.read(fd, _CHUNK):
            digest.update(chunk)
    finally:
        os.close(fd)


# --------------------------------------------------------------------------------------------
# the folder lock

_held: dict[Path, int] = {}  # folders this process has locked -> how many times
_held_fds: dict[Path, int] = {}  # ... -> the descriptor holding the lock


def _forget_locks_after_fork() -> None:
    # Closing (never unlocking) a shared descriptor leaves the parent's lock as it is.
    for fd in _held_fds.values():
        with suppress(OSError):
            os.close(fd)
    _held.clear()
    _held_fds.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_locks_after_fork)


@contextmanager
def folder_lock(output_dir: Path) -> Iterator[None]:
    """Hold the output folder's batch lock (creating the folder); re-entrant in one process.

    Raises :class:`FolderBusy` at once if another process holds it.
    """
    try:
        output_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create output directory {output_dir}: {exc.strerror}") from None
    key = output_dir.resolve()
    if key in _held:
        _held[key] += 1
        try:
            yield
        finally:
            _held[key] -= 1
        return
    fd = _acquire(output_dir)
    _held[key] = 1
    if fd is not None:
        _held_fds[key] = fd
    try:
        yield
    finally:
        _held.pop(key, None)
        _held_fds.pop(key, None)
        _release(fd)


def _acquire(folder: Path) -> int | None:
    if fcntl is None:
        return None
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError as exc:
        raise OutputError(f"cannot open output directory {folder}: {exc.strerror}") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise FolderBusy(
            f"{folder}: another convanim batch is writing this folder; "
            "run again when it has finished"
        ) from None
    except BaseException:
        os.close(fd)
        raise
    return fd


def _release(fd: int | None) -> None:
    # Closing the descriptor releases the lock.
    if fd is not None:
        with suppress(OSError):
            os.close(fd)
