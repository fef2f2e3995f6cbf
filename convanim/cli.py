"""The command line: click commands that translate convanim's errors into one-line messages.

Validation lives in the library; this module parses flags into the same mapping a TOML template
holds, calls the library, and reports. Usage errors (a bad flag, spec or template, a request
over the frame or pixel budget) exit with 2, runtime errors (a missing writer, an unwritable
path) with 1; ``--debug`` shows tracebacks.
Heavy modules are imported inside the commands so that ``--help`` starts fast.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from convanim import __version__
from convanim.budget import DEFAULT_MAX_FRAMES
from convanim.errors import BudgetError, ConvanimError, OutputError, SpecError, TemplateError

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
    "fps": "--fps",
    "jobs": "--jobs",
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
        click.option("--view", help="arithmetic | numerical | volume (channels as stacked maps)"),
        click.option("--seed", type=int, help="Seed of the example numbers."),
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


def _output_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """Where the animation goes, how it looks and how it is timed (render and compare)."""
    options = [
        click.option("-o", "--output", type=click.Path(dir_okay=False),
                     help="Output file: .gif .png/.apng .webp .mp4 (default output/NAME.gif)."),
        click.option("--format", "fmt", help="Output format (default: from the suffix)."),
        click.option("--frames", "frames_dir", type=click.Path(file_okay=False),
                     help="Also write every frame as PNG into this folder."),
        click.option("--storyboard", type=click.Path(dir_okay=False),
                     help="Also write a still of all frames tiled: .png, .pdf or .svg."),
        click.option("--every", type=int, default=1, show_default=True,
                     help="Storyboard: every n-th frame."),
        click.option("--columns", type=int, help="Storyboard: tiles per row."),
        click.option("--dpi", type=float, default=144, show_default=True,
                     help="Storyboard PNG resolution (vector stills scale freely)."),
        click.option("--theme", help="classic | dark | colorblind | mono | a theme .toml file."),
        click.option("--transparent", is_flag=True, default=None,
                     help="Transparent background (GIF, APNG, WebP, PNG)."),
        click.option("--width", type=int, help="Frame width in pixels."),
        click.option("--scale", type=float, help="Size relative to the reference (1)."),
        click.option("--font-scale", type=float, help="Text size factor."),
        click.option("--labels/--no-labels", default=None,
                     help="Input/output captions and a parameter line (default: comparisons)."),
        click.option("--formula", is_flag=True, default=None,
                     help="Add the output-size formula with the numbers (with --labels)."),
        click.option("--sums", is_flag=True, default=None,
                     help="Numerical view: show the current window's sum of products."),
        click.option("--delay", type=float, help="Seconds per frame (default 1)."),
        click.option("--fps", type=float, help="Frames per second (instead of --delay)."),
        click.option("--hold-first", type=float, help="Extra seconds on the first frame."),
        click.option("--hold-last", type=float, help="Extra seconds on the last frame."),
        click.option("--loop", type=int, help="Times to play (0 = forever, the default)."),
        click.option("--reverse", is_flag=True, help="Play forward, then back (ping-pong)."),
        click.option("--max-frames", type=int, default=DEFAULT_MAX_FRAMES, show_default=True,
                     help="Refuse to draw more frames than this (checked before drawing)."),
    ]  # fmt: skip
    for option in reversed(options):
        f = option(f)
    return f


_LOOK_FLAGS = ("theme", "transparent", "width", "scale", "font_scale", "labels", "formula", "sums")
_TIMING_FLAGS = ("delay", "hold_first", "hold_last", "loop")
_OUTPUT_FLAGS = ("output", "fmt", "frames_dir", "storyboard", "every", "columns", "dpi", "fps",
                 "reverse", "max_frames", *_LOOK_FLAGS, *_TIMING_FLAGS)  # fmt: skip


def _split_output_flags(flags: dict[str, Any]) -> dict[str, Any]:
    """Take the output flags out of ``flags`` (the rest are layer fields)."""
    return {name: flags.pop(name) for name in _OUTPUT_FLAGS if name in flags}


def _default_path(name: str, fmt: str | None = None) -> Path:
    """output/NAME with the format's suffix (GIF unless --format says otherwise); the folder is
    made only when the animation is written."""
    from convanim.writers import get_writer

    suffix = get_writer(fmt).suffixes[0] if fmt else ".gif"
    return Path("output") / f"{_safe_file_name(name)}{suffix}"


def _safe_file_name(name: str) -> str:
    """A figure's name as one file name inside output/: a template's ``name = "../../x"`` must
    not write outside it, and a NUL or a control character cannot be in a file name at all."""
    cleaned = "".join("_" if c in "/\\" or ord(c) < 32 or c == "\x7f" else c for c in name)
    return cleaned.lstrip(".").strip() or "figure"


def _make_default_dir(path: Path) -> None:
    try:
        path.parent.mkdir(exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create output directory {path.parent}: {exc.strerror}") from None


def _load_theme(name: str) -> Any:
    """The --theme's theme; a mistake inside a theme file names --theme, then the role."""
    from convanim.themes import load_theme

    try:
        return load_theme(name)
    except SpecError as exc:
        if exc.field == "theme":
            raise
        # Roles such as "padding" or "input" are also layer flags: keep them apart.
        raise SpecError("theme", str(exc)) from None


def _export(target: Any, out: dict[str, Any]) -> None:
    """Write what was asked: the animation (-o, or output/NAME.gif by default), a frames
    folder, a storyboard. Everything — flags, theme, formats, destinations and the frame and
    pixel budgets — is checked before anything is drawn or written."""
    from convanim.animation import Animation
    from convanim.atomic import check_output_dir
    from convanim.budget import check_target
    from convanim.spec import Look

    look_fields = {k: out[k] for k in _LOOK_FLAGS if out.get(k) is not None}
    timing = {k: out[k] for k in _TIMING_FLAGS if out.get(k) is not None}
    if out.get("fps") is not None:
        if "delay" in timing:
            raise click.UsageError("--delay and --fps: give one or the other")
        from convanim.writers import delay_of_fps

        timing["delay"] = delay_of_fps(out["fps"])
    from convanim.writers import WriteOptions, writer_for

    look = Look(**look_fields)
    WriteOptions(**timing)  # check the timing before drawing anything
    max_frames = out.get("max_frames", DEFAULT_MAX_FRAMES)
    reverse = bool(out.get("reverse"))
    # The cheap count (geometry only) before the theme file is read or a renderer is built.
    check_target(target, max_frames, reverse)
    theme = _load_theme(look.theme)
    animation = Animation(target, theme, look=look, reverse=reverse, max_frames=max_frames)

    wanted_animation = out.get("output") or not (out.get("frames_dir") or out.get("storyboard"))
    path = None
    if wanted_animation:
        path = (
            Path(out["output"]) if out.get("output") else _default_path(target.name, out.get("fmt"))
        )
        writer_for(path, out.get("fmt"))  # an unknown or unavailable format fails first
        if out.get("output"):
            check_output_dir(path)
    if out.get("frames_dir"):
        check_output_dir(Path(out["frames_dir"]))
    if out.get("storyboard"):
        from convanim.storyboard import FORMATS

        board = Path(out["storyboard"])
        if board.suffix.lower() not in FORMATS:
            raise OutputError(
                f"--storyboard: unknown suffix {board.suffix or '(none)'!r}; "
                f"use {', '.join(FORMATS)}"
            )
        check_output_dir(board)
    animation.check_budget()  # exact frames and frame size: builds the renderer, draws nothing
    animation.check_write(**timing)  # the total duration
    if out.get("storyboard"):  # its options, tiles and pixels, before the animation is written
        animation.check_storyboard(out["every"], out.get("columns"), out["dpi"])

    if path is not None:
        if not out.get("output"):
            _make_default_dir(path)
        result = animation.save(path, out.get("fmt"), **timing)
        size = f"{result.size[0]}x{result.size[1]}"
        click.echo(f"wrote {result.path} ({animation.n_frames} frames, {size})")
    if out.get("frames_dir"):
        result = animation.save(out["frames_dir"], "frames", **timing)
        click.echo(f"wrote {result.path}/ ({result.n_frames} PNG frames)")
    if out.get("storyboard"):
        path = animation.storyboard(
            out["storyboard"], every=out["every"], columns=out.get("columns"), dpi=out["dpi"]
        )
        click.echo(f"wrote {path} (storyboard)")


@main.command()
@click.argument("template", required=False)
@_layer_options
@_output_options
def render(template: str | None, **flags: Any) -> None:
    """Render one figure: a TEMPLATE name, a spec string (conv:i5,k1,s2), or flags.

    Flags override the template's values. Without -o the file goes to output/<name>.gif.
    """
    from convanim.spec import FigureSpec
    from convanim.templates import resolve

    out = _split_output_flags(flags)
    given = {k: v for k, v in flags.items() if v is not None}
    with _reported(set(given) | {k for k, v in out.items() if v is not None}):
        if template:
            target = resolve(template, given)
        else:
            target = FigureSpec.from_mapping({"name": _flag_name(given), **given})
        _export(target, out)


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
@click.option("--label", "labels_", multiple=True, help="One label per figure (repeat).")
@_output_options
def compare(figures: tuple[str, ...], labels_: tuple[str, ...], **out: Any) -> None:
    """Show FIGURES side by side in one animation, frames in lockstep.

    Each figure is a template name or a spec string such as conv:i5,k1,s2. A single comparison
    template (e.g. compare_3x3_vs_1x1) works too.
    """
    from convanim.spec import CompareSpec, FigureSpec
    from convanim.templates import resolve

    with _reported({k for k, v in out.items() if v is not None}):
        resolved = [resolve(ref) for ref in figures]
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
        _export(target, out)


def _short_label(figure: Any) -> str:
    kh, kw = figure.layer.kernel_size
    return f"{kh}x{kw}"


@main.command()
@click.argument("figure")
@_layer_options
def explain(figure: str, **flags: Any) -> None:
    """Explain FIGURE (a template or spec string): output size with the formula, frame count,
    and the PyTorch and Keras layers that compute it."""
    from convanim.explain import explain as explain_figure
    from convanim.templates import resolve

    given = {k: v for k, v in flags.items() if v is not None}
    with _reported(set(given)):
        click.echo(explain_figure(resolve(figure, given)))


@main.command()
def templates() -> None:
    """List the templates with a one-line description each."""
    from convanim.templates import survey_templates

    with _reported():
        rows, broken = survey_templates()
    width = max((len(name) for name, _ in rows), default=0)
    for name, description in rows:
        click.echo(f"{name:<{width}}  {description}")
    for name, reason in broken:  # reported and skipped: one bad file hides nothing else
        click.echo(f"error: {name}: {reason}", err=True)
    if not rows:
        sys.exit(1)


@main.command()
@click.argument("names", nargs=-1)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False),
    default="output",
    show_default=True,
    help="Folder for the GIFs.",
)
@click.option("--jobs", "-j", type=int, default=None, help="Processes (default: CPU count).")
def gallery(names: tuple[str, ...], out_dir: str, jobs: int | None) -> None:
    """Render every template (or only the NAMES given) into a folder, one GIF each."""
    from convanim.budget import check_jobs
    from convanim.gallery import render_gallery

    folder = Path(out_dir)
    with _reported({"jobs"}):
        jobs = check_jobs(jobs)
        if names:
            from convanim.templates import template_names

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
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputError(f"--out: cannot create folder {folder}: {exc.strerror}") from None
        report = render_gallery(folder, jobs=jobs, echo=click.echo, names=names or None)
    click.echo(report.summary())
    if report.failed:
        sys.exit(1)


from convanim.cli_batch import batch  # noqa: E402

main.add_command(batch)
