"""The output side of ``render`` and ``compare``: the output flags and the export they drive.

``export`` checks everything a request asks — flags, look, theme, formats, destinations, the
outputs' paths against each other (``convanim.export.outputs``) and the frame and pixel budgets —
before anything is drawn or written, then writes the animation, a frames folder and a
storyboard. Errors are convanim's own (``SpecError`` naming the field); ``convanim.cli.main``
turns them into one line naming the flag. Heavy modules are imported inside the functions.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from convanim.errors import OutputError, SpecError
from convanim.scene.budget import DEFAULT_MAX_FRAMES


def _complete_themes(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[Any]:
    """Built-in theme names, else file names (a theme file)."""
    from click.shell_completion import CompletionItem

    from convanim.model.themes import THEMES

    names = [name for name in THEMES if name.startswith(incomplete)]
    return names or [CompletionItem(incomplete, type="file")]


def _look_option_list() -> list[Callable[..., Any]]:
    """The look flags every figure kind takes (render, compare, gallery)."""
    return [
        click.option("--theme", shell_complete=_complete_themes,
                     help="classic | dark | colorblind | mono | a theme .toml file."),
        click.option("--transparent", is_flag=True, default=None,
                     help="Transparent background (GIF, APNG, WebP, PNG; not MP4)."),
        click.option("--width", type=int, help="Frame width in pixels."),
        click.option("--scale", type=float, help="Size relative to the reference (1)."),
        click.option("--font-scale", type=float, help="Text size factor."),
        click.option("--labels/--no-labels", default=None,
                     help="Input/output captions and a parameter line (default: comparisons)."),
        click.option("--formula", is_flag=True, default=None,
                     help="Add the output-size formula to the captions (implies --labels)."),
        click.option("--sync", help="Comparisons: what a shorter member does when it ends: "
                     "loop (start again, the default) | hold (keep its last frame)."),
        click.option("--crisp", is_flag=True, default=None,
                     help="No antialiasing: flat colours only, the smallest files."),
    ]  # fmt: skip


def look_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """The look flags alone (gallery)."""
    for option in reversed(_look_option_list()):
        f = option(f)
    return f


def look_from_flags(flags: dict[str, Any]) -> Any:
    """The ``Look`` the look flags in ``flags`` ask for (validated by ``Look`` itself)."""
    from convanim.model.look import Look

    return Look(**{k: flags[k] for k in _LOOK_FLAGS if flags.get(k) is not None})


def output_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """Where the animation goes, how it looks and how it is timed (render and compare)."""
    options = [
        click.option("-o", "--output", type=click.Path(dir_okay=False),
                     help="Output file: .gif .png/.apng .webp .mp4, vector .svg .pdf, or an "
                     ".html player (default output/NAME.gif)."),
        click.option("--format", "fmt",
                     help="Output format: gif apng webp mp4 svg html pdf (must agree with -o's "
                     "suffix; "
                     "without -o it picks output/NAME's suffix)."),
        click.option("--frames", "frames_dir", type=click.Path(file_okay=False),
                     help="Also write every frame as PNG into this folder."),
        click.option("--storyboard", type=click.Path(dir_okay=False),
                     help="Also write a still of all frames tiled: .png, .pdf or .svg."),
        click.option("--every", type=int,
                     help="Storyboard: every n-th frame (default 1; with --storyboard)."),
        click.option("--columns", type=int, help="Storyboard: tiles per row (with --storyboard)."),
        click.option("--dpi", type=float,
                     help="Storyboard PNG resolution (default 144; with --storyboard)."),
        *_look_option_list(),
        click.option("--sums", is_flag=True, default=None,
                     help="Show the current window's sum of products (numerical view only)."),
        click.option("--delay", type=float,
                     help="Seconds per frame (default 1; timing needs an animation file)."),
        click.option("--fps", type=float, help="Frames per second (instead of --delay)."),
        click.option("--hold-first", type=float, help="Extra seconds on the first frame."),
        click.option("--hold-last", type=float, help="Extra seconds on the last frame."),
        click.option("--loop", type=int,
                     help="Times to play (0 = forever, the default; not MP4)."),
        click.option("--reverse", is_flag=True, help="Play forward, then back (ping-pong)."),
        click.option("--max-frames", type=int, default=DEFAULT_MAX_FRAMES, show_default=True,
                     help="Refuse to draw more frames than this (checked before drawing)."),
    ]  # fmt: skip
    for option in reversed(options):
        f = option(f)
    return f


_LOOK_FLAGS = ("theme", "transparent", "width", "scale", "font_scale", "labels", "formula", "sums",
               "sync", "crisp")  # fmt: skip
_TIMING_FLAGS = ("delay", "hold_first", "hold_last", "loop")
_OUTPUT_FLAGS = ("output", "fmt", "frames_dir", "storyboard", "every", "columns", "dpi", "fps",
                 "reverse", "max_frames", *_LOOK_FLAGS, *_TIMING_FLAGS)  # fmt: skip


def split_output_flags(flags: dict[str, Any]) -> dict[str, Any]:
    """Take the output flags out of ``flags`` (the rest are layer fields)."""
    return {name: flags.pop(name) for name in _OUTPUT_FLAGS if name in flags}


def _default_path(name: str, fmt: str | None = None) -> Path:
    """output/NAME with the format's suffix (GIF unless --format says otherwise); the folder is
    made only when the animation is written."""
    from convanim.export.writers import get_writer

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
    from convanim.catalog.themes import load_theme

    try:
        return load_theme(name)
    except SpecError as exc:
        if exc.field == "theme":
            raise
        # Roles such as "padding" or "input" are also layer flags: keep them apart.
        raise SpecError("theme", str(exc)) from None


def export(target: Any, out: dict[str, Any]) -> None:
    """Write what was asked: the animation (-o, or output/NAME.gif by default), a frames
    folder, a storyboard. Everything — flags, theme, formats, destinations and the frame and
    pixel budgets — is checked before anything is drawn or written."""
    from convanim.animation import Animation
    from convanim.export.atomic import check_output_dir
    from convanim.export.outputs import check_format, check_outputs, format_of_suffix
    from convanim.model.look import Look

    look_fields = {k: out[k] for k in _LOOK_FLAGS if out.get(k) is not None}
    timing = {k: out[k] for k in _TIMING_FLAGS if out.get(k) is not None}
    if out.get("fps") is not None:
        if "delay" in timing:
            raise click.UsageError("--delay and --fps: give one or the other")
        from convanim.export.writers import delay_of_fps

        timing["delay"] = delay_of_fps(out["fps"])
    from convanim.export.writers import WriteOptions, writer_for

    look = Look(**look_fields)
    WriteOptions(**timing)  # check the timing before drawing anything
    max_frames = out.get("max_frames", DEFAULT_MAX_FRAMES)
    reverse = bool(out.get("reverse"))

    wanted_animation = out.get("output") or not (out.get("frames_dir") or out.get("storyboard"))
    path = format_name = None
    if wanted_animation:
        path = (
            Path(out["output"]) if out.get("output") else _default_path(target.name, out.get("fmt"))
        )
        format_name = _format_name(out["fmt"]) if out.get("fmt") else format_of_suffix(path)
        if out.get("fmt") and out.get("output"):
            check_format(path, format_name)
    given = {k for k, v in out.items() if v is not None and v is not False}
    frames_dir = Path(out["frames_dir"]) if out.get("frames_dir") else None
    board = Path(out["storyboard"]) if out.get("storyboard") else None
    check_outputs(path, frames_dir, board, format_name, given)
    if format_name is not None:
        look.check_format(format_name)
    if path is not None:
        writer_for(path, out.get("fmt"))  # an unknown or unavailable format fails here
    look.check_target(target)
    theme = _load_theme(look.theme)
    animation = Animation(target, theme, look=look, reverse=reverse, max_frames=max_frames)
    animation.check_target()  # the cheap count (geometry only) before a renderer is built

    if out.get("output") and path is not None:
        check_output_dir(path)
    if frames_dir is not None:
        check_output_dir(frames_dir)
    every = out["every"] if out.get("every") is not None else 1
    dpi = out["dpi"] if out.get("dpi") is not None else 144
    if board is not None:
        from convanim.export.storyboard import FORMATS

        if board.suffix.lower() not in FORMATS:
            raise OutputError(
                f"--storyboard: unknown suffix {board.suffix or '(none)'!r}; "
                f"use {', '.join(FORMATS)}"
            )
        check_output_dir(board)
    animation.check_budget()  # exact frames and frame size: builds the renderer, draws nothing
    if path is not None or frames_dir is not None:
        animation.check_write(**timing)  # the total duration
    if board is not None:  # its options, tiles and pixels, before the animation is written
        animation.check_storyboard(every, out.get("columns"), dpi)

    if path is not None:
        if not out.get("output"):
            _make_default_dir(path)
        result = animation.save(path, out.get("fmt"), **timing)
        size = f"{result.size[0]}x{result.size[1]}"
        click.echo(f"wrote {result.path} ({animation.n_frames} frames, {size})")
        if result.format == "pdf":  # the line that plays it in a LaTeX document
            from convanim.export.writers.pdf import latex_snippet

            snippet = latex_snippet(path, WriteOptions(**timing))
            click.echo(f"LaTeX (\\usepackage{{animate}}): {snippet}")
    if frames_dir is not None:
        result = animation.save(frames_dir, "frames", **timing)
        click.echo(f"wrote {result.path}/ ({result.n_frames} PNG frames)")
    if board is not None:
        written = animation.storyboard(board, every=every, columns=out.get("columns"), dpi=dpi)
        click.echo(f"wrote {written} (storyboard)")


def _format_name(fmt: str) -> str:
    """The writer name of ``--format``, installed here or not (an unknown name is refused with
    the known formats)."""
    from convanim.export.writers import get_writer, writers

    wanted = fmt.strip().lower().lstrip(".")
    if any(w.name == wanted for w in writers()):
        return wanted
    return get_writer(fmt).name
