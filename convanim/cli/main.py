"""The command line: click commands that translate convanim's errors into one-line messages.

Validation lives in the library; this module parses flags into the same mapping a TOML template
holds, calls the library, and reports. Usage errors (a bad flag, spec or template, a request
over the frame or pixel budget) exit with 2, runtime errors (a missing writer, an unwritable
path) with 1; ``--debug`` shows tracebacks.
Heavy modules are imported inside the commands so that ``--help`` starts fast.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from convanim import __version__
from convanim.cli.export import (
    export,
    look_from_flags,
    look_options,
    output_options,
    split_output_flags,
)
from convanim.cli.guard import GuardedGroup  # environment failures as one line
from convanim.cli.report import _reported, _State
from convanim.cli.templates import complete_templates as _complete_templates
from convanim.errors import ConvanimError, OutputError, SpecError, TemplateError


@click.group(cls=GuardedGroup, context_settings={"help_option_names": ["-h", "--help"]})
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


@main.command()
@click.argument("template", required=False, shell_complete=_complete_templates)
@_layer_options
@output_options
def render(template: str | None, **flags: Any) -> None:
    """Render one figure: a TEMPLATE name, a spec string, or flags alone.

    Flags override the template's values, and the name then says so: padding_strides with
    --kernel 3x1 is padding_strides-k3x1. Without -o the file goes to output/NAME.gif.

    \b
    Spec strings: OP:FIELD,FIELD,...  (OP: conv conv_transpose max_pool avg_pool)
      i5 i5x7        input size (height x width)
      k3 k3x1        kernel size
      s2             stride
      p1 p1x2 psame  padding; four sides: p0x1x0x1 (top x bottom x left x right)
      d2             dilation
      a1             output padding (conv_transpose)
      cin3 cout4     input and output channels
      groups=2       groups (or g2)
      name=value     any field or figure key: padding_mode=reflect, seed=2
    A size is an integer or HxW; a flag's padding may be 1,2 or 0,1,0,1.
    A dangling, doubled or mixed separator (3x  3,  1,,2) is an error.

    \b
    Examples:
      convanim render padding_strides
      convanim render conv:i5,k3,s2,p1 --view numerical --formula -o conv.gif
      convanim render --op max_pool --input 6 --kernel 2 --storyboard pool.pdf
    """
    from convanim.model.look import check_given
    from convanim.model.spec import FigureSpec

    out = split_output_flags(flags)
    given = {k: v for k, v in flags.items() if v is not None}
    with _reported(set(given) | {k for k, v in out.items() if v is not None}):
        if template:
            target = _resolve_named(template, given)
        else:
            target = FigureSpec.from_mapping({"name": "figure", **given})
            target = _named_after(target, given)
        check_given(target, set(given))
        export(target, out)


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


@main.command()
@click.argument("figures", nargs=-1, required=True, shell_complete=_complete_templates)
@click.option("--label", "labels_", multiple=True, help="One label per figure (repeat).")
@output_options
def compare(figures: tuple[str, ...], labels_: tuple[str, ...], **out: Any) -> None:
    """Show FIGURES side by side in one animation, frames in lockstep.

    Each figure is a template name or a spec string such as conv:i5,k1,s2 (see 'convanim
    render --help'). A single comparison template (e.g. compare_3x3_vs_1x1) works too.

    \b
    Examples:
      convanim compare compare_3x3_vs_1x1
      convanim compare conv:i5,k3 conv:i5,k1 --label 3x3 --label 1x1
      convanim compare padding_strides dilation --scale 0.5 -o small.webp
    """
    from convanim.model.spec import CompareSpec, FigureSpec

    with _reported({k for k, v in out.items() if v is not None}):
        resolved = [_resolve_ref(ref) for ref in figures]
        if len(resolved) == 1 and isinstance(resolved[0], CompareSpec):
            target = resolved[0]
        else:
            members: list[FigureSpec] = []
            for ref, item in zip(figures, resolved):
                if not isinstance(item, FigureSpec):
                    raise SpecError("compare", f"{ref!r} is not a single figure; name figures only")
                members.append(item)
            names = labels_ or tuple(_short_label(m) for m in members)
            target = CompareSpec(
                tuple(members), tuple(names), name="_vs_".join(m.name for m in members)
            )
        export(target, out)


def _short_label(figure: Any) -> str:
    kh, kw = figure.layer.kernel_size
    return f"{kh}x{kw}"


@main.command()
@click.argument("figures", nargs=-1, required=True, shell_complete=_complete_templates)
@functools.partial(_layer_options, seed=False)
@click.option("--matrix", is_flag=True, help="Print the layer's matrix C (y = C x), one channel.")
@click.option(
    "--receptive-field",
    is_flag=True,
    help="Print each layer's receptive field (rf, jump, start) of a sequence or of SPECS.",
)
@click.option("--json", "as_json", is_flag=True, help="With --matrix or --receptive-field: JSON.")
@click.option("--alt", is_flag=True, help="Print only the figure's alt text (its description).")
def explain(
    figures: tuple[str, ...],
    matrix: bool,
    receptive_field: bool,
    as_json: bool,
    alt: bool,
    **flags: Any,
) -> None:
    """Explain FIGURE (a template or spec string): output size with the formula, frame count,
    and the PyTorch and Keras layers that compute it. Flags change the figure as in render.

    --matrix prints C with y = C x (PyTorch's semantics; --json: {"weight", "matrix", ...},
    where matrix @ x.ravel() is the output when the layer has that weight; a conv_transpose's
    weight in ConvTranspose2d's layout). --receptive-field takes a sequence template or several
    spec strings, later ones without an input size (chained), and prints rf, jump and start
    per layer (--json: a list of {"rf", "jump", "start"}, each [h, w]; start is the input
    index of the centre of output cell 0's field). --flip: a true convolution (kernel rotated).

    \b
    Examples:
      convanim explain conv:i4,k3 --matrix --json
      convanim explain conv:i9,k3 conv:k3 conv:k3 --receptive-field
      convanim explain compare_3x3_vs_1x1 --alt   # only the alt text
    """
    from convanim.explain import explain as explain_figure
    from convanim.explain import explain_matrix, explain_receptive_field, numbers_shown

    given = {k: v for k, v in flags.items() if v is not None}
    flags_used = {"matrix": matrix, "receptive_field": receptive_field, "json": as_json}
    with _reported(set(given) | {k for k, v in flags_used.items() if v}):
        if matrix and receptive_field:
            raise SpecError("matrix", "and --receptive-field are separate reports; give one")
        if as_json and not (matrix or receptive_field):
            raise SpecError("json", "prints --matrix or --receptive-field; add one of them")
        if receptive_field:
            if given:
                raise SpecError(
                    next(iter(given)), "with --receptive-field, write the layers as spec strings"
                )
            click.echo(explain_receptive_field(figures, _resolve_ref, as_json))
            return
        if len(figures) > 1:
            raise SpecError(
                "figure",
                f"explain takes one FIGURE, got {len(figures)}; several spec strings "
                "only with --receptive-field",
            )
        flip = given.pop("flip", None)
        try:
            # The matrix is the matrix view's (a flip in a spec string needs a numbers view).
            target = _resolve_named(figures[0], {"view": "matrix", **given} if matrix else given)
        except SpecError as exc:
            if not matrix or exc.field != "view" or "view" in given:
                raise
            raise SpecError("matrix", str(exc).split(": ", 1)[1]) from None
        if matrix or flip is not None:
            target = numbers_shown(target, flip, matrix)
        if alt:
            from convanim.scene.describe import alt_text

            click.echo(alt_text(target))
            return
        if matrix:
            click.echo(explain_matrix(target, as_json))
            return
        click.echo(explain_figure(target))


@main.command()
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


from convanim.cli.batch import batch  # noqa: E402
from convanim.cli.templates import templates  # noqa: E402

main.add_command(batch)
main.add_command(templates)


def _add_debug(group: click.Group) -> None:
    for command in group.commands.values():
        command.params.append(_debug_option())
        if isinstance(command, click.Group):
            _add_debug(command)


_add_debug(main)
