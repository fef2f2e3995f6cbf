"""The ``convanim templates`` commands: list the built-in templates, print one, copy one to
edit."""

from __future__ import annotations

from pathlib import Path

import click

from convanim.cli.figures import complete_templates
from convanim.cli.report import _reported
from convanim.errors import ConvanimError, OutputError


@click.group(invoke_without_command=True)
@click.pass_context
def templates(ctx: click.Context) -> None:
    """List the templates with a one-line description each; show or copy one.

    A copy is yours to edit: convanim render ./padding_strides.toml renders it.

    \b
    Examples:
      convanim templates                        # every template, one line each
      convanim templates show padding_strides   # print its TOML
      convanim templates copy padding_strides   # -> ./padding_strides.toml
    """
    if ctx.invoked_subcommand is not None:
        return
    from convanim.catalog.templates import survey_templates, template_dirs

    with _reported():
        rows, broken = survey_templates()
        for name, reason in broken:  # reported and skipped: one bad file hides nothing else
            click.echo(f"error: {name}: {reason}", err=True)
        if not rows:
            folders = ", ".join(str(d) for d in template_dirs())
            raise ConvanimError(f"no templates found (looked in {folders}); reinstall convanim")
    width = max(len(name) for name, _ in rows)
    for name, description in rows:
        click.echo(f"{name:<{width}}  {description}")


@templates.command("show")
@click.argument("name", shell_complete=complete_templates)
def templates_show(name: str) -> None:
    """Print the TOML of template NAME.

    \b
    Examples:
      convanim templates show padding_strides
      convanim templates show dilation > dilation.toml
    """
    from convanim.catalog.templates import template_path

    with _reported():
        text = _read_template_text(template_path(name))
    click.echo(text, nl=not text.endswith("\n"))


@templates.command("copy")
@click.argument("name", shell_complete=complete_templates)
@click.argument("dest", required=False, type=click.Path())
@click.option("--force", is_flag=True, help="Replace DEST if it exists.")
def templates_copy(name: str, dest: str | None, force: bool) -> None:
    """Copy template NAME to DEST (default ./NAME.toml) to edit and render.

    \b
    Examples:
      convanim templates copy padding_strides my.toml
      convanim render ./my.toml
    """
    from convanim.catalog.templates import template_path
    from convanim.export.atomic import atomic_write_text, check_output_dir

    with _reported():
        text = _read_template_text(template_path(name))
        target = Path(dest) if dest else Path(f"{name}.toml")
        if target.is_dir():
            target = target / f"{name}.toml"
        if target.exists() and not force:
            raise OutputError(f"{target} exists; give another path or --force to replace it")
        check_output_dir(target)
        atomic_write_text(target, text)
    # "./x.toml", not "x.toml": render reads a path only when it looks like one.
    shown = str(target) if target.is_absolute() or target.parent != Path() else f"./{target}"
    click.echo(f"wrote {target}; render it with: convanim render {shown}")


def _read_template_text(path: Path) -> str:
    from convanim.catalog.safe_read import read_text  # a regular file, bounded: never a hang

    return read_text(path)
