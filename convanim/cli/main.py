"""The command line: click commands that translate convanim's errors into one-line messages.

Validation lives in the library; this module parses flags into the same mapping a TOML template
holds, calls the library, and reports. Usage errors (a bad flag, spec or template, a request
over the frame or pixel budget) exit with 2, runtime errors (a missing writer, an unwritable
path) with 1; ``--debug`` shows tracebacks.
Each command lives in its own module, imported only when that command runs (or when help
lists them all): a short render loads neither the other commands nor what they import.
Heavy modules are imported inside the commands so that ``--help`` starts fast.
"""

from __future__ import annotations

import importlib

import click

from convanim import __version__
from convanim.cli.guard import GuardedGroup  # environment failures as one line
from convanim.cli.report import _State

# Each command and the module that defines it (as ``<module>.<name>``).
_COMMANDS = {
    "batch": "convanim.cli.batch",
    "compare": "convanim.cli.compare",
    "explain": "convanim.cli.explain",
    "gallery": "convanim.cli.gallery",
    "render": "convanim.cli.render",
    "templates": "convanim.cli.templates",
}


class _LazyGroup(GuardedGroup):
    """The ``main`` group: a command's module is imported the first time the command is asked
    for (the pattern of click's "lazily loading subcommands"), and gets ``--debug`` then."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *_COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in _COMMANDS:
            command = getattr(importlib.import_module(_COMMANDS[cmd_name]), cmd_name)
            _add_debug(command)
            self.add_command(command, cmd_name)
        return self.commands.get(cmd_name)

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        if args and args[0] not in _COMMANDS:
            # click suggests a near name from ``self.commands``: every command must be there.
            for name in _COMMANDS:
                self.get_command(ctx, name)
        return super().resolve_command(ctx, args)


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(
    __version__,
    prog_name="convanim",
    message=(
        "%(prog)s %(version)s (MIT licence)\n"
        "Figures in the style of Dumoulin & Visin, 'A guide to convolution arithmetic for deep "
        "learning' (arXiv:1603.07285);\ncolours from Solarized, by Ethan Schoonover."
    ),
)
@click.option(
    "--debug", is_flag=True, help="Show full tracebacks on errors (here or after the command)."
)
def main(debug: bool) -> None:
    """Animate convolution arithmetic in the style of Dumoulin & Visin's guide.

    \b
    Examples:
      convanim templates                  # the figures that come with convanim
      convanim render padding_strides     # writes output/padding_strides.gif
      convanim explain conv:i5,k3,s2,p1   # output size, frames, PyTorch, Keras
    """
    _State.debug = debug


def _set_debug(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if value:
        _State.debug = True


def _debug_option() -> click.Option:
    """``--debug`` after a command name too: ``convanim render X --debug``."""
    return click.Option(
        ["--debug"],
        is_flag=True,
        expose_value=False,
        is_eager=True,
        callback=_set_debug,
        help="Show full tracebacks on errors.",
    )


def _add_debug(command: click.Command) -> None:
    """``--debug`` on ``command`` and on each of its subcommands."""
    command.params.append(_debug_option())
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            _add_debug(sub)
