"""What names a figure on the command line: the layer flags, a template name, spec string or
template file resolved into a figure named after what the flags changed, and the template names
offered by shell completion to every command that takes one.

Shared by ``render``, ``compare`` and ``explain``; it imports only click and the standard library
at the top (the library is imported inside the functions), so loading a command stays cheap.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import click


def complete_templates(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[Any]:
    """Template names for shell completion (spec strings and paths are typed out)."""
    from convanim.catalog.templates import template_names

    try:
        names = template_names()
    except Exception:  # noqa: BLE001 - completion must never print a traceback into a shell
        return []
    return [name for name in names if name.startswith(incomplete)]


def _layer_options(f: Callable[..., Any], seed: bool = True) -> Callable[..., Any]:
    """The layer's fields and the figure keys as flags; ``seed`` (the example numbers) only
    where something is drawn."""
    options = [
        click.option("--op", help="conv | conv_transpose | max_pool | avg_pool"),
        click.option("--input", "input_size", metavar="H[xW]", help="Input size, e.g. 5 or 5x7."),
        click.option(
            "--kernel", "kernel_size", metavar="K[xK]", help="Kernel size, e.g. 3 or 3x1."
        ),
        click.option("--stride", metavar="S[xS]", help="Stride, e.g. 2 or 2x1."),
        click.option(
            "--padding",
            metavar="P",
            help="1 | 1,2 (h,w) | 0,1,0,1 (top,bottom,left,right) | valid | same | full",
        ),
        click.option("--dilation", metavar="D[xD]", help="Dilation, e.g. 2."),
        click.option("--output-padding", metavar="A[xA]", help="conv_transpose only."),
        click.option("--padding-mode", help="zeros | reflect | replicate | circular"),
        click.option("--ceil-mode/--floor-mode", default=None, help="Pooling: round up."),
        click.option("--count-include-pad/--no-count-include-pad", default=None, help="avg_pool."),
        click.option("--in-channels", type=int),
        click.option("--out-channels", type=int),
        click.option("--groups", type=int),
        click.option(
            "--view",
            help="arithmetic | numerical | volume (channels as stacked maps) | matrix (y = C x) | "
            "im2col (patches as columns) | receptive_field (a sequence)",
        ),
        click.option(
            "--flip/--no-flip",
            default=None,
            help="True convolution: the kernel rotated 180 degrees (numerical, matrix, im2col).",
        ),
        *([click.option("--seed", type=int, help="Seed of the example numbers.")] if seed else []),
        click.option(
            "--schematic/--no-schematic",
            default=None,
            help="Channels: labelled boxes instead of cells (default: when too big to draw).",
        ),
        click.option(
            "--frame-order",
            help="Channels: position (all output channels at once) | position_channel.",
        ),
    ]
    for option in reversed(options):
        f = option(f)
    return f


def _resolve_ref(ref: str, overrides: dict[str, Any] | None = None) -> Any:
    """A template name, a spec string, or a template file: names never hold a slash or end in
    .toml, so ``./my.toml``, ``figs/a.toml`` and ``my.toml`` are files."""
    from convanim.catalog.templates import resolve, resolve_file

    if ref.lower().endswith(".toml") or "/" in ref or os.sep in ref:
        return resolve_file(ref, overrides)
    return resolve(ref, overrides)


def _resolve_named(ref: str, given: dict[str, Any]) -> Any:
    """``ref`` with the flags ``given``, named so that it never takes the name of a figure it
    is not: a template gets a suffix of what changed, a spec string is named after its
    fields (``conv_i5_k3_s1``)."""
    import dataclasses

    from convanim.model.naming import overridden
    from convanim.model.spec import FigureSpec, parse_spec_string

    target = _resolve_ref(ref, given)
    if not given:
        return target
    if ":" in ref and isinstance(target, FigureSpec):
        fields = {**parse_spec_string(ref), **given}
        if "name" in fields:  # a name the spec string gives itself stays
            return dataclasses.replace(target, name=str(fields["name"]))
        return _named_after(target, fields)
    return overridden(_resolve_ref(ref), target)


def _named_after(figure: Any, given: dict[str, Any]) -> Any:
    """A figure made from flags or a spec string, named after the fields given."""
    import dataclasses

    from convanim.model.naming import spec_name
    from convanim.model.spec import ALIASES

    fields = {ALIASES.get(k.strip().lower().replace("-", "_"), k) for k in given}
    return dataclasses.replace(figure, name=spec_name(figure, fields))
