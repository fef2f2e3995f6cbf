"""How the command line reports: convanim's errors as one line with the right exit code.

Usage errors (a bad flag, spec or template, a request over the frame or pixel budget) exit
with 2 and name the flag the user typed; problems of the machine exit with 1; ``--debug``
shows the traceback instead. Every command reports through ``_reported``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import click

from convanim.errors import BudgetError, ConvanimError, SpecError, TemplateError

# Layer fields and the flags that set them, so that errors name the flag the user typed.
_FLAGS = {
    "op": "--op",
    "input_size": "--input",
    "kernel_size": "--kernel",
    "stride": "--stride",
    "padding": "--padding",
    "dilation": "--dilation",
    "output_padding": "--output-padding",
    "padding_mode": "--padding-mode",
    "ceil_mode": "--ceil-mode",
    "count_include_pad": "--count-include-pad",
    "in_channels": "--in-channels",
    "out_channels": "--out-channels",
    "groups": "--groups",
    "view": "--view",
    "seed": "--seed",
    "schematic": "--schematic",
    "frame_order": "--frame-order",
    "flip": "--flip",
    "matrix": "--matrix",
    "receptive_field": "--receptive-field",
    "json": "--json",
    "theme": "--theme",
    "scale": "--scale",
    "width": "--width",
    "font_scale": "--font-scale",
    "delay": "--delay",
    "loop": "--loop",
    "hold_first": "--hold-first",
    "hold_last": "--hold-last",
    "every": "--every",
    "columns": "--columns",
    "dpi": "--dpi",
    "max_frames": "--max-frames",
    "jobs": "--jobs",
    "transparent": "--transparent",
    "labels": "--labels",
    "formula": "--formula",
    "sums": "--sums",
    "fps": "--fps",
    "reverse": "--reverse",
    "format": "--format",
    "output": "-o/--output",
    "frames_dir": "--frames",
    "storyboard": "--storyboard",
}
# click's parameter names that differ from the fields the library names in its errors.
_PARAMS = {"fmt": "format"}


class _State:
    debug = False


@contextmanager
def _reported(flags_given: set[str] | frozenset[str] = frozenset()) -> Iterator[None]:
    """Turn convanim's errors into click's: one line, the right exit code."""
    try:
        yield
    except (SpecError, TemplateError) as exc:
        if _State.debug:
            raise
        message = str(exc)
        field = getattr(exc, "field", None)
        given = {_PARAMS.get(k, k) for k in flags_given}
        if field in _FLAGS and field in given:
            message = f"{_FLAGS[field]}: {message.split(': ', 1)[1]}"
        raise click.UsageError(message) from None
    except BudgetError as exc:
        # Over budget is the request's fault, not the machine's: a usage error whose message
        # names the flag that fixes it (--max-frames, --width, --scale).
        if _State.debug:
            raise
        raise click.UsageError(str(exc)) from None
    except ConvanimError as exc:
        if _State.debug:
            raise
        raise click.ClickException(str(exc)) from None
