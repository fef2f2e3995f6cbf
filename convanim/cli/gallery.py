"""``convanim gallery``: every template (or those named) rendered into a folder, one file each."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from convanim.cli.export import look_from_flags, look_options
from convanim.cli.figures import complete_templates as _complete_templates
from convanim.cli.report import _reported
from convanim.errors import ConvanimError, OutputError, SpecError, TemplateError


@click.command()
@click.argument("names", nargs=-1, shell_complete=_complete_templates)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False),
    default="output",
    show_default=True,
    help="Folder for the GIFs.",
)
@click.option("--jobs", "-j", type=int, default=None, help="Processes (default: CPU count).")
@click.option(
    "--format",
    "fmt",
    default="gif",
    show_default=True,
    help="Format of every figure: gif apng webp mp4 svg html pdf.",
)
@look_options
def gallery(names: tuple[str, ...], out_dir: str, jobs: int | None, fmt: str, **flags: Any) -> None:
    """Render every template (or only the NAMES given) into a folder, one file each.

    A progress bar on a terminal, a line per figure otherwise.

    \b
    Examples:
      convanim gallery                        # every template into output/
      convanim gallery padding_strides dilation --format svg --out figures
      convanim gallery --theme dark --labels --jobs 2 --out dark
    """
    from convanim.batch.gallery import render_gallery
    from convanim.cli.progress import progress
    from convanim.scene.budget import check_jobs

    folder = Path(out_dir)
    from convanim.catalog.templates import template_dirs, template_names

    with _reported({"jobs", "fmt", *(k for k, v in flags.items() if v is not None)}):
        jobs = check_jobs(jobs)
        look = look_from_flags(flags)
        from convanim.cli.export import _format_name
        from convanim.export.writers import get_writer

        writer = get_writer(_format_name(fmt))  # unknown or not installed: refused here
        if writer.name == "frames":
            raise SpecError("format", "a gallery writes one file per figure; frames is a folder")
        look.check_format(writer.name)
        if names:
            # A typo is a usage error, found before the folder is made or anything drawn.
            known = template_names()
            for name in names:
                if name not in known:
                    import difflib

                    close = difflib.get_close_matches(name, known, n=3)
                    hint = (
                        f"did you mean {', '.join(close)}?" if close else "see 'convanim templates'"
                    )
                    raise TemplateError(f"unknown template {name!r}; {hint}")
        elif not template_names():
            folders = ", ".join(str(d) for d in template_dirs())
            raise ConvanimError(f"no templates to render (looked in {folders})")
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputError(f"--out: cannot create folder {folder}: {exc.strerror}") from None
        todo = list(names) or template_names()
        with progress(len(todo)) as on_done:
            report = render_gallery(
                folder,
                jobs=jobs,
                names=todo,
                on_done=on_done,
                look=look,
                suffix=writer.suffixes[0],
            )
    click.echo(report.summary())
    if report.failed:
        sys.exit(1)
