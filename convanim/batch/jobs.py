"""Running many figures: jobs, outcomes, the one runner batch and gallery share, and a report.

A job is plain data (a resolved figure, a destination, write options), so it can cross into
a worker process (``convanim.batch.workers``: one job at a time each, never outliving the parent).
Workers render and write; the parent only collects outcomes, in job order, so that what is
printed and written does not depend on the number of processes. A worker that dies is one
failed figure (``worker killed (signal 9)``); the others go on in a fresh worker.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable, Sequence
from contextlib import closing, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from convanim.errors import ConvanimError
from convanim.model.look import Look
from convanim.model.spec import CompareSpec, FigureSpec
from convanim.scene.budget import DEFAULT_MAX_FRAMES


@dataclass(frozen=True)
class Job:
    name: str
    target: FigureSpec | CompareSpec
    path: Path
    format: str | None = None
    options: dict[str, Any] = field(default_factory=dict)
    theme: str = "classic"  # a built-in theme's name or a theme file
    look: Look | None = None  # size, captions, transparency (its theme is ``theme``)
    max_frames: int = DEFAULT_MAX_FRAMES  # checked before the figure is drawn
    # (folder, its real path): the write must land inside it when it happens (safe_path).
    inside: tuple[str, str] | None = None
    player: Path | None = None  # also write the HTML player here (after the figure)


@dataclass(frozen=True)
class Outcome:
    name: str
    path: Path
    n_frames: int = 0
    bytes: int = 0
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def run_job(job: Job) -> Outcome:
    """Render and write one job; an error becomes the outcome's one-line reason."""
    from convanim.animation import Animation
    from convanim.catalog.themes import load_theme
    from convanim.export.safe_path import confined_to

    try:
        animation = Animation(
            job.target, load_theme(job.theme), look=job.look, max_frames=job.max_frames
        )
        with confined_to(*job.inside) if job.inside else nullcontext():
            result = animation.save(job.path, job.format, **job.options)
            if job.player is not None:
                animation.save(job.player, "html", **job.options)
    except ConvanimError as exc:
        return Outcome(job.name, job.path, error=str(exc))
    except Exception as exc:  # noqa: BLE001 - a bug in one figure must not stop the others
        last = traceback.extract_tb(exc.__traceback__)[-1]
        where = f" ({Path(last.filename).name}:{last.lineno})"
        return Outcome(job.name, job.path, error=f"{type(exc).__name__}: {exc}{where}")
    return Outcome(job.name, result.path, result.n_frames, result.bytes)


def run_jobs(
    jobs: Sequence[Job], processes: int = 1, on_done: Callable[[Outcome], None] | None = None
) -> list[Outcome]:
    """Run jobs on ``processes`` workers; outcomes come back (and are reported) in job order.

    With one process (or one job) everything runs here, in this process. ``processes`` is
    bounded as the command line bounds ``--jobs`` (``scene.budget.check_jobs``).
    """
    from convanim.scene.budget import check_jobs

    processes = check_jobs(processes)
    outcomes: list[Outcome] = []
    if processes <= 1 or len(jobs) <= 1:
        for job in jobs:
            outcomes.append(run_job(job))
            if on_done:
                on_done(outcomes[-1])
        return outcomes
    # Only here: one process needs no workers (multiprocessing is 17 ms of a short run's start).
    from convanim.batch.workers import WorkerLost, run_each

    finished: dict[int, Outcome] = {}
    # run_job is looked up now, not imported by name, so that tests can replace it.
    with closing(run_each(jobs, run_job, processes)) as results:
        for index, result in results:
            if isinstance(result, WorkerLost):
                job = jobs[index]
                result = Outcome(job.name, job.path, error=result.reason)
            finished[index] = result
            while len(outcomes) in finished:
                outcomes.append(finished.pop(len(outcomes)))
                if on_done:
                    on_done(outcomes[-1])
    return outcomes


@dataclass
class Report:
    """Counts of what happened, and the exit code, like black's."""

    rendered: int = 0
    unchanged: int = 0
    failed: int = 0

    def add(self, outcome: Outcome) -> None:
        if outcome.ok:
            self.rendered += 1
        else:
            self.failed += 1

    def summary(self) -> str:
        parts = [f"{self.rendered} rendered"]
        if self.unchanged:
            parts.append(f"{self.unchanged} up to date")
        parts.append(f"{self.failed} failed")
        return ", ".join(parts)

    @property
    def exit_code(self) -> int:
        return 1 if self.failed else 0
