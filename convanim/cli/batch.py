"""``convanim batch``: regenerate a manifest's figures, only those whose inputs changed.

A thin click command over ``convanim.catalog.manifest`` (reading) and ``convanim.batch.runner``
(planning, rendering, state, index). It picks the mode, shows progress (``convanim.cli.progress``: a
bar on a terminal, plain lines otherwise), and turns errors into exit codes: 2 for a missing or
invalid manifest or a bad flag, 1 when a figure failed or (``--check``) is out of date, 0 otherwise.
Only click and the standard library are imported at the top, so ``convanim --help`` stays free of
numpy and matplotlib."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from convanim.catalog.manifest import Manifest


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
@click.option(
    "--init",
    is_flag=True,
    help="Write a starter manifest (the blog's five figures) to MANIFEST or ./convanim.toml.",
)
def batch(
    manifest: str | None,
    jobs: int | None,
    check: bool,
    force: bool,
    dry_run: bool,
    html: bool | None,
    init: bool,
) -> None:
    """Render the figures of a MANIFEST (default ./convanim.toml) that changed since last time.

    A figure is up to date when its output exists and the hash of its inputs (the resolved
    figure, theme, format options and convanim's version) matches the one recorded in
    .convanim-state.json beside the outputs.

    \b
    Examples:
      convanim batch --init        # write ./convanim.toml, the blog's figures
      convanim batch               # render what changed into output/blog/
      convanim batch --check       # for CI: exit 1 if a figure is stale
    """
    from convanim.cli.report import _reported

    if init:
        if check or force or dry_run or jobs is not None or html is not None:
            raise click.UsageError("--init only writes the manifest; give it alone")
        with _reported():
            _init(Path(manifest) if manifest else Path("convanim.toml"))
        return
    from convanim.scene.budget import check_jobs

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


def _init(path: Path) -> None:
    """Write the starter manifest; an existing different file is kept (exit 1), the same one
    is fine, so that ``convanim batch --init && convanim batch`` can be run again."""
    from convanim.catalog.templates import starter_manifest
    from convanim.errors import OutputError
    from convanim.export.atomic import atomic_write_text, check_output_dir

    text = starter_manifest()
    if path.is_dir():
        path = path / "convanim.toml"
    if path.exists():
        try:
            same = path.read_text(encoding="utf-8") == text
        except (OSError, UnicodeDecodeError):
            same = False
        if not same:
            raise OutputError(f"{path} exists and is not the starter manifest; it was kept")
        click.echo(f"{path} is already the starter manifest")
        return
    check_output_dir(path)
    atomic_write_text(path, text)
    rerun = "convanim batch" if path == Path("convanim.toml") else f"convanim batch {path}"
    click.echo(f"wrote {path} (the blog's 5 figures); render them with: {rerun}")


def _load(path: Path) -> Manifest:
    """Read the manifest; its errors are usage errors (exit 2), naming file, figure and key."""
    from convanim.catalog.manifest import load_manifest
    from convanim.cli.report import _State
    from convanim.errors import ManifestError

    try:
        return load_manifest(path)
    except ManifestError as exc:
        if _State.debug:
            raise
        raise click.UsageError(str(exc)) from None


def _wants_html(manifest: Manifest, html: bool | None) -> bool:
    return manifest.defaults.html if html is None else html


def _check(manifest: Manifest, html: bool | None) -> int:
    from convanim.batch.runner import index_is_current, plan
    from convanim.catalog.manifest import INDEX_NAME

    planned = plan(manifest, warn=_warn)
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
    from convanim.batch.runner import index_is_current, plan
    from convanim.catalog.manifest import INDEX_NAME

    planned = plan(manifest, force, warn=_warn)
    todo = [p for p in planned if p.todo]
    for item in todo:
        click.echo(f"would render {item.figure.name} -> {item.path} ({item.status})")
    if _wants_html(manifest, html) and not index_is_current(manifest):
        click.echo(f"would write {manifest.output_dir / INDEX_NAME}")
    click.echo(f"{len(todo)} to render, {len(planned) - len(todo)} up to date (dry run)")


def _run(manifest: Manifest, processes: int, force: bool, html: bool | None) -> int:
    from convanim.batch.runner import folder_lock

    # Planned under the lock, so that a batch that just finished in this folder is seen.
    with folder_lock(manifest.output_dir):
        return _run_locked(manifest, processes, force, html)


def _run_locked(manifest: Manifest, processes: int, force: bool, html: bool | None) -> int:
    from convanim.batch.runner import plan, run_batch
    from convanim.cli.progress import progress

    planned = plan(manifest, force, warn=_warn)
    todo = [p for p in planned if p.todo]
    with progress(len(todo)) as on_done:
        result = run_batch(
            manifest, processes=processes, html=html, planned=planned, on_done=on_done
        )
    if result.index is not None:
        click.echo(f"wrote {result.index}")
    click.echo(result.report.summary())
    return result.report.exit_code


def _warn(message: str) -> None:
    click.echo(f"warning: {message}", err=True)
