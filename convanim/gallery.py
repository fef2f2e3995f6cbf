"""The main job: every template rendered into one folder, one GIF each, in parallel."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from convanim.errors import ConvanimError
from convanim.jobs import Job, Outcome, Report, run_jobs
from convanim.templates import resolve, template_names


def render_gallery(
    folder: Path,
    jobs: int = 1,
    echo: Callable[[str], None] = print,
    suffix: str = ".gif",
    names: Sequence[str] | None = None,
) -> Report:
    """Render every template (or ``names``) into ``folder``; a broken template is reported,
    the rest go on."""
    report = Report()
    todo: list[Job] = []
    for name in names or template_names():
        try:
            todo.append(Job(name, resolve(name), folder / f"{name}{suffix}"))
        except ConvanimError as exc:
            report.add(Outcome(name, folder / f"{name}{suffix}", error=str(exc)))
            echo(f"error: {name}: {exc}")

    def done(outcome: Outcome) -> None:
        report.add(outcome)
        if outcome.ok:
            echo(f"wrote {outcome.path} ({outcome.n_frames} frames)")
        else:
            echo(f"error: {outcome.name}: {outcome.error}")

    run_jobs(todo, jobs, done)
    return report
