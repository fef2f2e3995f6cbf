"""Worker processes for the job runner: one job at a time each, never outliving their parent.

Owns the process side of ``convanim.batch.jobs.run_jobs``. Each worker is a ``multiprocessing``
process joined to the parent by a pipe, and is sent one job at a time, so the parent always knows
which job a worker holds: a worker that dies (the kernel's OOM killer sends SIGKILL) costs
exactly that job, which comes back as a :class:`WorkerLost`, and a fresh worker takes its place
for the jobs still waiting.

A worker never outlives its parent, however the parent ends (SIGKILL included, which runs no
clean-up): on Linux it asks the kernel to SIGKILL it when the parent dies
(``prctl(PR_SET_PDEATHSIG)``); everywhere, a watcher thread polls its parent's id and exits the
moment it changes, and an idle worker also sees its pipe close. Workers ignore SIGINT, so that
Ctrl-C on a terminal (which signals the whole process group) is decided by the parent alone,
and turn SIGTERM into ``SystemExit`` so that an interrupted write removes its temporary.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import suppress
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from typing import Any, Generic, TypeVar

__all__ = ["WorkerLost", "run_each"]

T = TypeVar("T")
R = TypeVar("R")

# How often a worker looks at its parent's id; also the worst delay of the portable fallback.
_WATCH_INTERVAL = 0.2
# How long a stopping worker gets before it is killed outright.
_STOP_TIMEOUT = 5.0
_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>

# Tests turn this off (before the workers are forked) to show that the watcher alone suffices.
_USE_PDEATHSIG = True


@dataclass(frozen=True)
class WorkerLost:
    """The result of a job whose worker died before answering; ``reason`` is one line."""

    reason: str


@dataclass
class _Worker(Generic[T]):
    process: BaseProcess
    conn: Connection
    job: int | None = None  # the index of the job it holds


def run_each(
    items: Sequence[T], run: Callable[[T], R], processes: int
) -> Iterator[tuple[int, R | WorkerLost]]:
    """Run ``run(item)`` for every item on up to ``processes`` workers; yield ``(index, result)``
    as each finishes (in any order), a :class:`WorkerLost` for a job whose worker died.

    Closing the generator early (an exception in the caller, Ctrl-C) stops every worker, busy
    ones with SIGTERM, within a bounded time.
    """
    context = multiprocessing.get_context()
    forked = context.get_start_method() == "fork"
    waiting = deque(range(len(items)))
    workers: list[_Worker[T]] = []
    try:
        while waiting or any(w.job is not None for w in workers):
            # Top up the pool: at most one worker per job still to start.
            busy = sum(w.job is not None for w in workers)
            while waiting and len(workers) < min(processes, len(waiting) + busy):
                try:
                    workers.append(_start(context, run, workers, forked))
                except OSError as exc:
                    if workers:
                        break  # go on with the workers there are
                    index = waiting.popleft()
                    yield index, WorkerLost(f"cannot start a worker process: {exc.strerror}")
            for worker in workers:
                if worker.job is None and waiting:
                    try:
                        worker.conn.send(items[waiting[0]])
                    except OSError:
                        continue  # dead before it took the job: its sentinel says so below
                    worker.job = waiting.popleft()
            watched = [w.conn for w in workers if w.job is not None]
            watched += [w.process.sentinel for w in workers]
            if not watched:
                continue
            ready = set(wait(watched))
            for worker in list(workers):
                if worker.conn not in ready and worker.process.sentinel not in ready:
                    continue
                answer = _receive(worker)
                if answer is not None:
                    index, worker.job = worker.job, None
                    if worker.process.sentinel in ready:  # answered, then died: not its job's fault
                        workers.remove(worker)
                        _death(worker)
                    assert index is not None
                    yield index, answer[0]
                    continue
                # Dead: its job (if any) is lost, and a new worker may take its place.
                workers.remove(worker)
                reason = _death(worker)
                if worker.job is not None:
                    yield worker.job, WorkerLost(reason)
    finally:
        _stop(workers)


def _start(
    context: Any, run: Callable[[T], R], others: list[_Worker[T]], forked: bool
) -> _Worker[T]:
    ours, theirs = context.Pipe(duplex=True)
    # A forked child inherits the parent's ends of every pipe, its own included; it closes
    # them, or it would never see its pipe close when the parent dies.
    inherited = [w.conn for w in others] + [ours] if forked else []
    process = context.Process(
        target=_serve,
        args=(theirs, run, os.getpid() if forked else None, inherited),
        name="convanim-worker",
        daemon=True,
    )
    try:
        process.start()
    finally:
        theirs.close()
    return _Worker(process, ours)


def _receive(worker: _Worker[T]) -> tuple[Any] | None:
    """The worker's answer as a 1-tuple, or None if it died (or sent something unreadable)."""
    if worker.job is None:
        return None  # an idle worker only ever becomes ready by dying
    try:
        if worker.conn.poll():
            return (worker.conn.recv(),)
    except Exception:  # noqa: BLE001 - EOF, a half-sent message: the worker is gone either way
        pass
    return None


def _death(worker: _Worker[T]) -> str:
    """Why a worker ended, as the one-line reason of its lost job."""
    process = worker.process
    process.join(_STOP_TIMEOUT)
    if process.is_alive():  # answered nonsense but still runs: not to be trusted with more
        process.kill()
        process.join(_STOP_TIMEOUT)
    worker.conn.close()
    code = process.exitcode
    if code is not None and code < 0:
        return f"worker killed (signal {-code})"
    return f"worker exited unexpectedly (exit code {code})"


def _stop(workers: list[_Worker[T]]) -> None:
    """Idle workers are told to stop, busy ones terminated; none is left running."""
    for worker in workers:
        if worker.job is None:
            with suppress(OSError, ValueError):
                worker.conn.send(None)
        else:
            with suppress(OSError):
                worker.process.terminate()
    deadline = time.monotonic() + _STOP_TIMEOUT
    for worker in workers:
        worker.process.join(max(0.0, deadline - time.monotonic()))
        if worker.process.is_alive():
            worker.process.kill()
            worker.process.join(_STOP_TIMEOUT)
        worker.conn.close()


# --------------------------------------------------------------------------------------------
# inside the worker


def _serve(
    conn: Connection,
    run: Callable[[Any], Any],
    parent: int | None,
    inherited: list[Connection],
) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _exit_on_term)
    sys.unraisablehook = _exit_again
    for other in inherited:
        other.close()
    _die_with_parent(parent)
    while True:
        try:
            job = conn.recv()
        except EOFError:
            return  # the parent is gone
        if job is None:
            return
        conn.send(run(job))


def _exit_on_term(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def _exit_again(unraisable: Any) -> None:
    """The exit above can land inside a finalizer or a weakref callback (matplotlib has many),
    where Python swallows the exception and prints its traceback: print nothing, and deliver
    the signal again a moment later, from another thread, so that it lands in ordinary code."""
    if not isinstance(unraisable.exc_value, SystemExit):
        sys.__unraisablehook__(unraisable)
        return
    signum = unraisable.exc_value.code - 128 if isinstance(unraisable.exc_value.code, int) else 15
    timer = threading.Timer(0.01, os.kill, (os.getpid(), signum))
    timer.daemon = True
    timer.start()


def _die_with_parent(parent: int | None) -> None:
    """Arrange to end when the parent does; ``parent`` is its pid when this process was forked
    from it (elsewhere the process that started us may be a helper, e.g. a fork server)."""
    if _USE_PDEATHSIG and sys.platform.startswith("linux"):
        with suppress(Exception):  # no libc to be had: the watcher still works
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    start = os.getppid()
    if parent is not None and start != parent:
        os._exit(1)  # the parent died before the kernel was asked to tell us
    threading.Thread(target=_watch, args=(start,), name="convanim-watch", daemon=True).start()


def _watch(parent: int) -> None:
    # A dead parent's children are handed to another process (init, a subreaper).
    while os.getppid() == parent:
        time.sleep(_WATCH_INTERVAL)
    os._exit(1)
