"""The main job: every template rendered into one folder, one GIF each, in parallel."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from convanim.batch.jobs import Job, Outcome, Report, run_jobs
from convanim.catalog.templates import resolve, template_names
from convanim.errors import ConvanimError
from convanim.model.look import Look


def render_gallery(
    folder: Path,
    jobs: int = 1,
    echo: Callable[[str], None] = print,
    suffix: str = ".gif",
    names: Sequence[str] | None = None,
    on_done: Callable[[Outcome], None] | None = None,
    look: Look | None = None,
) -> Report:
    """Render every template (or ``names``) into ``folder``; a broken template is reported,
    the rest go on. Each finished figure goes to ``on_done`` when given (a progress bar), else
    is echoed as a ``wrote ...`` or ``error: ...`` line."""
    report = Report()
    todo: list[Job] = []
    broken: list[Outcome] = []
    for name in names or template_names():
        try:
            target = resolve(name)
            mine = look.shared_for(target) if look is not None else None
            if mine is not None:
                mine.check_target(target)
            theme = look.theme if look is not None else "classic"
            todo.append(Job(name, target, folder / f"{name}{suffix}", theme=theme, look=mine))
        except ConvanimError as exc:
            broken.append(Outcome(name, folder / f"{name}{suffix}", error=str(exc)))

    def done(outcome: Outcome) -> None:
        report.add(outcome)
        if on_done is not None:
            on_done(outcome)
        elif outcome.ok:
            echo(f"wrote {outcome.path} ({outcome.n_frames} frames)")
        else:
            echo(f"error: {outcome.name}: {outcome.error}")

    for outcome in broken:
        done(outcome)
    run_jobs(todo, jobs, done)
    return report
