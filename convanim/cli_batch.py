"""``convanim batch``: regenerate a manifest's figures, only those whose inputs changed.

A thin click command over ``convanim.manifest`` (reading) and ``convanim.batch`` (planning,
rendering, state, index). It picks the mode, shows a progress bar on a terminal and plain lines
otherwise, and turns errors into exit codes: 2 for a missing or invalid manifest or a bad flag,
1 when a figure failed or (``--check``) is out of date, 0 otherwise. Only click and the standard
library are imported at the top, so ``convanim --help`` stays free of numpy and matplotlib.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from convanim.jobs import Outcome
    from convanim.manifest import Manifest


@click.command()
@click.argument("manifest", required=False, metavar="[MANIFEST]")
@click.option("--jobs", "-j", type=int, default=None, help="Processes (default: CPU count).")
@click.option(
    "--check", is_flag=True, help="Render nothing; exit 1 listing figures missing or stale."
)
@click.option("--force", is_flag=True, help="Render every figure, up to date or not.")
@click.option("--dry-run", "-n", is_flag=True, help="Show what would be rendered; write nothing.")
@click.option(
    "--html/--no-html",
    default=None,
    help="Write index.html beside the figures (default: the manifest's html option).",
)
def batch(
    manifest: str | None,
    jobs: int | None,
    check: bool,
    force: bool,
    dry_run: bool,
    html: bool | None,
) -> None:
    """Render the figures of a MANIFEST (default ./convanim.toml) that changed since last time.

    A figure is up to date when its output exists and the hash of its inputs (the resolved
    figure, theme, format options and convanim's version) matches the one recorded in
    .convanim-state.json beside the outputs.
    """
    from convanim.budget import check_jobs
    from convanim.cli import _reported

    with _reported({"jobs"}):
        jobs = check_jobs(jobs)
    if check and (force or dry_run):
        raise click.UsageError("--check renders nothing; give it without --force or --dry-run")
    path = Path(manifest) if manifest else Path("convanim.toml")
    if manifest is None and not path.exists():
        raise click.UsageError(
            f"{path}: no such manifest in {Path.cwd()}; give a manifest's path or create "
            f"{path} (see the README's Batch section)"
        )
    loaded = _load(path)
    with _reported():
        if check:
            sys.exit(_check(loaded, html))
        if dry_run:
            _dry_run(loaded, force, html)
            return
        sys.exit(_run(loaded, jobs, force, html))


def _load(path: Path) -> Manifest:
    """Read the manifest; its errors are usage errors (exit 2), naming file, figure and key."""
    from convanim.cli import _State
    from convanim.errors import ManifestError
    from convanim.manifest import load_manifest

    try:
        return load_manifest(path)
    except ManifestError as exc:
        if _State.debug:
            raise
        raise click.UsageError(str(exc)) from None


def _wants_html(manifest: Manifest, html: bool | None) -> bool:
    return manifest.defaults.html if html is None else html


def _check(manifest: Manifest, html: bool | None) -> int:
    from convanim.batch import index_is_current, plan
    from convanim.manifest import INDEX_NAME

    planned = plan(manifest)
    stale = [p for p in planned if p.todo]
    for item in stale:
        click.echo(f"{item.status}: {item.figure.name} ({item.path})")
    index_stale = _wants_html(manifest, html) and not index_is_current(manifest)
    if index_stale:
        click.echo(f"stale: {INDEX_NAME} ({manifest.output_dir / INDEX_NAME})")
    current = len(planned) - len(stale)
    click.echo(f"{len(stale)} out of date, {current} up to date")
    return 1 if stale or index_stale else 0


def _dry_run(manifest: Manifest, force: bool, html: bool | None) -> None:
    from convanim.batch import index_is_current, plan
    from convanim.manifest import INDEX_NAME

    planned = plan(manifest, force)
    todo = [p for p in planned if p.todo]
    for item in todo:
        click.echo(f"would render {item.figure.name} -> {item.path} ({item.status})")
    if _wants_html(manifest, html) and not index_is_current(manifest):
        click.echo(f"would write {manifest.output_dir / INDEX_NAME}")
    click.echo(f"{len(todo)} to render, {len(planned) - len(todo)} up to date (dry run)")


def _run(manifest: Manifest, processes: int, force: bool, html: bool | None) -> int:
    from convanim.batch import plan, run_batch

    planned = plan(manifest, force)
    todo = [p for p in planned if p.todo]
    errors: list[Outcome] = []
    if sys.stdout.isatty() and todo:
        # A bar on a terminal; errors wait until it is done, so they do not tear its line.
        with click.progressbar(
            length=len(todo),
            label=f"rendering {len(todo)} figure{'s' if len(todo) != 1 else ''}",
            item_show_func=_shown,
        ) as bar:

            def advance(outcome: Outcome) -> None:
                if not outcome.ok:
                    errors.append(outcome)
                bar.update(1, outcome)

            result = run_batch(
                manifest, processes=processes, html=html, planned=planned, on_done=advance
            )
        for outcome in errors:
            click.echo(f"error: {outcome.name}: {outcome.error}")
    else:
        result = run_batch(manifest, processes=processes, html=html, planned=planned, on_done=_line)
    if result.index is not None:
        click.echo(f"wrote {result.index}")
    click.echo(result.report.summary())
    return result.report.exit_code


def _line(outcome: Outcome) -> None:
    if outcome.ok:
        click.echo(f"wrote {outcome.path} ({outcome.n_frames} frames)")
    else:
        click.echo(f"error: {outcome.name}: {outcome.error}")


def _shown(outcome: Outcome | None) -> str | None:
    return None if outcome is None else outcome.name
