"""The command line: click commands that translate convanim's errors into one-line messages.

Validation lives in the library; this module only parses flags, calls it, and reports.
"""

from __future__ import annotations

import click

from convanim import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="convanim")
def main() -> None:
    """Animate convolution arithmetic in the style of Dumoulin & Visin's guide."""
