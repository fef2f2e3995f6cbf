"""The command line: click commands that translate convanim's errors into one-line messages.

Validation lives in the library; this module parses flags into the same mapping a TOML template
holds, calls the library, and reports. Usage errors (a bad flag, spec or template) exit with 2,
runtime errors (a missing writer, an unwritable path) with 1; ``--debug`` shows tracebacks.
Heavy modules are imported inside the commands so that ``--help`` starts fast.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from convanim import __version__
from convanim.errors import ConvanimError, SpecError, TemplateError

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
}


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
        if field in _FLAGS and field in flags_given:
            message = f"{_FLAGS[field]}: {message.split(': ', 1)[1]}"
        raise click.UsageError(message) from None
    except ConvanimError as exc:
        if _State.debug:
            raise
        raise click.ClickException(str(exc)) from None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="convanim")
@click.option("--debug", is_flag=True, help="Show full tracebacks on errors.")
def main(debug: bool) -> None:
    """Animate convolution arithmetic in the style of Dumoulin & Visin's guide."""
    _State.debug = debug


def _layer_options(f: Callable[..., Any]) -> Callable[..., Any]:
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
        click.option("--view", help="arithmetic | numerical"),
        click.option("--seed", type=int, help="Seed of the example numbers."),
    ]
    for option in reversed(options):
        f = option(f)
    return f


def _timing_options(f: Callable[..., Any]) -> Callable[..., Any]:
    f = click.option("--fps", type=float, help="Frames per second (instead of --delay).")(f)
    f = click.option("--delay", type=float, help="Seconds per frame (default 1).", default=None)(f)
    return f


def _write_options(delay: float | None, fps: float | None) -> dict[str, Any]:
    if delay is not None and fps is not None:
        raise click.UsageError("--delay and --fps: give one or the other")
    if fps is not None:
        if fps <= 0:
            raise click.BadParameter("must be more than 0", param_hint="--fps")
        delay = 1.0 / fps
    if delay is not None and delay <= 0:
        raise click.BadParameter("must be more than 0 seconds", param_hint="--delay")
    return {} if delay is None else {"delay": delay}


def _default_path(name: str, suffix: str = ".gif") -> Path:
    out = Path("output")
    out.mkdir(exist_ok=True)
    return out / f"{name}{suffix}"


def _save(target: Any, output: str | None, fmt: str | None, options: dict[str, Any]) -> None:
    from convanim.animation import Animation

    path = Path(output) if output else _default_path(target.name)
    result = Animation(target).save(path, fmt, **options)
    click.echo(f"wrote {result.path} ({result.n_frames} frames, {result.size[0]}x{result.size[1]})")


@main.command()
@click.argument("template", required=False)
@_layer_options
@_timing_options
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Output file.")
@click.option("--format", "fmt", help="Output format (default: from the suffix).")
def render(
    template: str | None,
    output: str | None,
    fmt: str | None,
    delay: float | None,
    fps: float | None,
    **flags: Any,
) -> None:
    """Render one figure: a TEMPLATE name, a spec string (conv:i5,k1,s2), or flags.

    Flags override the template's values. Without -o the file goes to output/<name>.gif.
    """
    from convanim.spec import FigureSpec
    from convanim.templates import resolve

    given = {k: v for k, v in flags.items() if v is not None}
    options = _write_options(delay, fps)
    with _reported(set(given)):
        if template:
            target = resolve(template, given)
        else:
            target = FigureSpec.from_mapping({"name": _flag_name(given), **given})
        _save(target, output, fmt, options)


def _flag_name(given: dict[str, Any]) -> str:
    """A file name for a figure made from flags, e.g. conv_i5_k1_s2."""
    short = {
        "input_size": "i",
        "kernel_size": "k",
        "stride": "s",
        "padding": "p",
        "dilation": "d",
        "output_padding": "a",
    }
    parts = [str(given.get("op", "conv"))]
    for key, letter in short.items():
        if key in given:
            parts.append(letter + str(given[key]).replace(",", "-"))
    return "_".join(parts)


@main.command()
@click.argument("figures", nargs=-1, required=True)
@click.option("--label", "labels", multiple=True, help="One label per figure (repeat).")
@_timing_options
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Output file.")
@click.option("--format", "fmt", help="Output format (default: from the suffix).")
def compare(
    figures: tuple[str, ...],
    labels: tuple[str, ...],
    delay: float | None,
    fps: float | None,
    output: str | None,
    fmt: str | None,
) -> None:
    """Show FIGURES side by side in one animation, frames in lockstep.

    Each figure is a template name or a spec string such as conv:i5,k1,s2. A single comparison
    template (e.g. compare_3x3_vs_1x1) works too.
    """
    from convanim.spec import CompareSpec, FigureSpec
    from convanim.templates import resolve

    options = _write_options(delay, fps)
    with _reported():
        resolved = [resolve(ref) for ref in figures]
        if len(resolved) == 1 and isinstance(resolved[0], CompareSpec):
            target = resolved[0]
        else:
            members: list[FigureSpec] = []
            for ref, item in zip(figures, resolved):
                if isinstance(item, CompareSpec):
                    raise SpecError("compare", f"{ref!r} is itself a comparison; name figures only")
                members.append(item)
            names = labels or tuple(_short_label(m) for m in members)
            target = CompareSpec(
                tuple(members), tuple(names), name="_vs_".join(m.name for m in members)
            )
        _save(target, output, fmt, options)


def _short_label(figure: Any) -> str:
    kh, kw = figure.layer.kernel_size
    return f"{kh}x{kw}"


@main.command()
def templates() -> None:
    """List the templates with a one-line description each."""
    from convanim.templates import describe_templates

    with _reported():
        rows = describe_templates()
    width = max((len(name) for name, _ in rows), default=0)
    for name, description in rows:
        click.echo(f"{name:<{width}}  {description}")


@main.command()
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False),
    default="output",
    show_default=True,
    help="Folder for the GIFs.",
)
@click.option("--jobs", "-j", type=int, default=None, help="Processes (default: CPU count).")
def gallery(out_dir: str, jobs: int | None) -> None:
    """Render every template into a folder, one GIF each."""
    from convanim.gallery import render_gallery

    if jobs is not None and jobs < 1:
        raise click.BadParameter("must be at least 1", param_hint="--jobs")
    folder = Path(out_dir)
    with _reported():
        folder.mkdir(parents=True, exist_ok=True)
        report = render_gallery(folder, jobs=jobs or os.cpu_count() or 1, echo=click.echo)
    click.echo(report.summary())
    if report.failed:
        sys.exit(1)
