"""Bounds on what one request may draw: a frame budget and a pixel budget per frame.

convanim runs unattended (blog and course CI), so a typo such as ``--input 100 --kernel 1``
must fail in milliseconds with a message that says how to fix it, not draw 10,000 frames. Two
checks, both before anything is rendered or written:

* ``frames_of(target)`` counts frames from the geometry alone — output sizes are plain integer
  arithmetic, so even a spec of a million cells costs nothing — and ``check_target`` compares it
  with the frame budget before any scene or matplotlib figure is built;
* ``check_budget(n_frames, size)`` compares the renderer's exact frame count and frame size
  (known once the renderer is built, before the first frame is drawn) with both budgets.

``check_target`` also bounds what the frame count does not: channel counts (at most
``MAX_CHANNELS`` per layer; a schematic writes the numbers on boxes, but the scene still keeps a
group and a colour per channel), and the frame size, from a lower bound worked out from the
geometry alone (``min_frame_size``: every renderer has a smallest cell), so that a 2000x2000
input or 1000 channels drawn cell by cell are refused before a renderer is built, not after
seconds and gigabytes. ``check_jobs`` bounds the worker processes of ``gallery`` and ``batch``.

Standard library only at import: ``convanim.ops.geometry`` (numpy) and
``convanim.scene.channel_plan`` are imported inside ``frames_of``, so the command line can import
this module cheaply."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from convanim.errors import BudgetError, SpecError

if TYPE_CHECKING:
    from convanim.model.spec import FigureSpec

__all__ = [
    "DEFAULT_MAX_FRAMES",
    "DEFAULT_MAX_PIXELS",
    "JOBS_PER_CORE",
    "MAX_CHANNELS",
    "check_budget",
    "check_jobs",
    "check_max_frames",
    "check_target",
    "frames_of",
    "max_jobs",
    "min_frame_size",
    "shows_schematic",
]

# 2,000 one-second frames is over half an hour of animation: far beyond any figure a reader
# watches, while the largest built-in figures stay well under it.
DEFAULT_MAX_FRAMES = 2000
# 4 megapixels is a 2000x2000 frame; the largest legitimate request (--width 8000 on a wide
# comparison) is refused rather than allowed to need gigabytes per frame in the writers.
DEFAULT_MAX_PIXELS = 4_000_000

# Real layers stop at a few thousand channels (VGG's 4096); far more is a typo, and even a
# schematic keeps per-channel groups, colours and channel lists, so it is refused up front.
MAX_CHANNELS = 65536
# Worker processes per CPU core: more only adds memory and start-up time, never speed.
JOBS_PER_CORE = 4

_FRAME_FIX = "use a bigger stride, --schematic for channel figures, or raise --max-frames"
_PIXEL_FIX = "use a smaller --width or --scale"


def check_max_frames(max_frames: Any) -> int:
    """``max_frames`` as an int, or a ``SpecError`` naming the field."""
    if isinstance(max_frames, bool) or not isinstance(max_frames, int) or max_frames < 1:
        raise SpecError("max_frames", f"{max_frames!r} is not allowed; must be a whole number >= 1")
    return max_frames


def check_budget(
    n_frames: int,
    size: tuple[int, int] | None = None,
    max_frames: int = DEFAULT_MAX_FRAMES,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    what: str = "",
) -> None:
    """Raise ``BudgetError`` (one line, with the fix) if the frames or the frame size are over.

    ``size`` is (width, height) in pixels, or None when only the frame count is known yet;
    ``what`` prefixes the count in the message (e.g. ``"4096 output cells would be "``).
    """
    max_frames = check_max_frames(max_frames)
    if n_frames > max_frames:
        raise BudgetError(
            f"too many frames: {what}{n_frames} frames, more than --max-frames {max_frames}; "
            + _FRAME_FIX
        )
    if size is not None:
        width, height = size
        if width * height > max_pixels:
            raise BudgetError(
                f"frame too large: {width}x{height} is {width * height:,} pixels, more than the "
                f"budget of {max_pixels:,} pixels per frame; {_PIXEL_FIX}"
            )


def check_target(
    target: Any,
    max_frames: int = DEFAULT_MAX_FRAMES,
    reverse: bool = False,
    max_pixels: int = DEFAULT_MAX_PIXELS,
) -> int:
    """The cheap check: channels, the frame count and a lower bound of the frame size, from the
    geometry alone, against the budgets.

    Returns the count (with ``reverse``, the ping-pong's). Nothing is built, so this is the
    first thing done with a request.
    """
    for figure in _figures(target):
        _check_channels(figure)
    cells = frames_of(target)
    n = cells + max(cells - 2, 0) if reverse else cells
    what = f"{cells} output cells " if _is_plain(target) else ""
    if reverse:
        what = f"{what or f'{cells} frames '}played forward and back "
    check_budget(n, None, max_frames, what=f"{what}would be " if what else "")
    for figure in _figures(target):
        for name in ("stride", "dilation"):
            # Harmless to the sizes (a 1x1 kernel's dilation, a single output's stride), but
            # the window arithmetic is numpy's: keep every step far from int64's range.
            step = max(getattr(figure.layer, name))
            if step > max_pixels:
                raise SpecError(
                    name,
                    f"{step} is more than {max_pixels}, the most cells a grid may have; "
                    "no step can be longer",
                )
        rows, cols = drawn_shape(figure.layer)
        if rows * cols > max_pixels:
            # Even a schematic lays out the whole grid under the kernel (a few bytes a cell).
            raise BudgetError(
                f"input too large: the grid under the kernel is {rows}x{cols} = "
                f"{rows * cols:,} cells, more than the {max_pixels:,} a figure may lay out "
                "(one per pixel of a frame); use a smaller input"
            )
    width, height = min_frame_size(target)
    if width * height > max_pixels:
        channel_view = any(_channel_view(f) for f in _figures(target))
        fix = (
            "use --schematic, fewer channels or a smaller input"
            if channel_view
            else "use a smaller input or a bigger stride"
        )
        raise BudgetError(
            f"frame too large: at least {width}x{height} = {width * height:,} pixels even at "
            f"the smallest cells, more than the budget of {max_pixels:,} pixels per frame; {fix}"
        )
    return n


def min_frame_size(target: Any) -> tuple[int, int]:
    """A lower bound of the frame size (width, height) in pixels, from the geometry alone.

    Every renderer has a smallest cell (the planar view 6 px, its numerical view 12 px, the
    volume view 30 px cells and 10 px channel slabs, the channel numbers 20 px), so a grid too
    big for the pixel budget is known before anything is built. A schematic has a fixed size
    (0 here). A comparison or a sequence is at least as big as its largest member or stage.
    """
    sizes = [_figure_min_size(f) for f in _figures(target)]
    if getattr(target, "view", None) == "receptive_field":
        # Every grid of the stack side by side, 16 px cells.
        from convanim.ops.geometry import output_size

        layers = [stage.layer for stage in target.stages]
        shapes = [layers[0].input_size, *(output_size(layer) for layer in layers)]
        sizes = [(16 * sum(c for _, c in shapes), 16 * max(r for r, _ in shapes))]
    return max(w for w, _ in sizes), max(h for _, h in sizes)


def _figure_min_size(figure: FigureSpec) -> tuple[int, int]:
    from convanim.ops.geometry import output_size

    layer = figure.layer
    h, w = layer.input_size
    ho, wo = output_size(layer)
    if _channel_view(figure):
        if shows_schematic(figure):
            return (0, 0)
        c_in, c_out = layer.in_channels, layer.out_channels or layer.in_channels
        kh, kw = layer.kernel_size
        filters = not layer.is_pool
        if figure.view == "numerical":
            # Every channel's map side by side (20 px cells), every filter's weights (18 px),
            # and a line of sums per output channel.
            per = c_in // layer.groups
            width = max(
                c_in * (20 * w + 20) - 20,
                c_out * (20 * wo + 20) - 20,
                c_out * (per * (18 * kw + 4) + 26) - 26 if filters else 0,
            )
            lines = c_out if figure.frame_order == "position" else 1
            height = 22 * lines + 20 * (h + ho) + (18 * kh if filters else 0)
            return (width, height)
        # Oblique blocks of 30 px cells, the output above the input, 10 px a channel at least,
        # and a filter beside them.
        width = 30 * w + 20 * h + (40 + 30 * kw + 20 * kh if filters else 0)
        height = 15 * (w + wo) + 20 * (h + ho) + 10 * (c_in + c_out)
        return (width, height)
    if figure.view in ("matrix", "im2col"):
        return _matrix_min_size(figure.view, (h, w), (ho, wo), drawn_shape(layer), layer)
    if figure.view == "numerical":  # input, a gap, output, side by side
        return (12 * (w + 1 + wo), 12 * max(h, ho))
    # The oblique input plane alone: 6 px along a row, 4 px across and up a column.
    return (6 * w + 4 * h, 3 * w + 4 * h)


def _matrix_min_size(
    view: str, size: tuple[int, int], out: tuple[int, int], drawn: tuple[int, int], layer: Any
) -> tuple[int, int]:
    """The matrix views keep their digits legible (32 px cells at least) and grow instead:
    C is (outputs x inputs) cells beside two columns; im2col's patches are (taps x outputs)."""
    n_in, n_out = size[0] * size[1], out[0] * out[1]
    top = 32 * max(drawn[0], out[0])
    if view == "matrix":
        return (32 * (n_in + 2), top + 32 * max(n_in, n_out))
    taps = layer.kernel_size[0] * layer.kernel_size[1]
    return (32 * (taps + n_out), top + 32 * (taps + 1))


def drawn_shape(layer: Any) -> tuple[int, int]:
    """(rows, cols) of the grid drawn under the kernel (``geometry.layout``'s), by arithmetic:
    the padded input, or for ``conv_transpose`` the equivalent direct convolution's grid."""
    from convanim.ops.geometry import output_size

    out = output_size(layer)
    pads = layer.pads
    sides = []
    for axis in (0, 1):
        span = (layer.kernel_size[axis] - 1) * layer.dilation[axis]
        if layer.is_transposed:
            # The stretched input, padded by span - p per side (output_padding more after), or
            # kept whole where that is negative (the windows then skip a cropped border).
            stretched = (layer.input_size[axis] - 1) * layer.stride[axis] + 1
            before = span - pads[2 * axis]
            after = span - pads[2 * axis + 1] + layer.output_padding[axis]
            sides.append(max(before, 0) + stretched + max(after, 0))
        else:
            padded = layer.input_size[axis] + pads[2 * axis] + pads[2 * axis + 1]
            # A ceil_mode window may reach past the padded input.
            sides.append(max(padded, (out[axis] - 1) * layer.stride[axis] + span + 1))
    return sides[0], sides[1]


def shows_schematic(figure: FigureSpec) -> bool:
    """Whether a channel figure is drawn as a schematic, decided without building anything big
    (``channels.is_schematic`` lays out the drawn grid, so it is asked only about small ones)."""
    from convanim.ops.geometry import output_size
    from convanim.scene import channel_plan as channels

    return _surely_schematic(figure, output_size(figure.layer)) or channels.is_schematic(figure)


def _check_channels(figure: FigureSpec) -> None:
    layer = figure.layer
    for name in ("in_channels", "out_channels", "groups"):
        value = getattr(layer, name)
        if value is not None and value > MAX_CHANNELS:
            raise SpecError(
                name,
                f"{value} is more than the {MAX_CHANNELS} channels a figure can show (even as a "
                "schematic); use fewer channels",
            )


def _figures(target: Any) -> list[FigureSpec]:
    from convanim.model.spec import CompareSpec, FigureSpec, SequenceSpec

    if isinstance(target, CompareSpec):
        return list(target.members)
    if isinstance(target, SequenceSpec):
        return list(target.stages)
    if not isinstance(target, FigureSpec):
        raise TypeError(f"expected a figure, comparison or sequence, got {type(target).__name__}")
    return [target]


def _channel_view(figure: FigureSpec) -> bool:
    from convanim.model.spec import wants_channel_view

    return wants_channel_view(figure)


def max_jobs() -> int:
    """The most worker processes ``gallery`` and ``batch`` accept here."""
    return JOBS_PER_CORE * (os.cpu_count() or 1)


def check_jobs(jobs: Any) -> int:
    """``jobs`` as a process count (None: one per core), or a ``SpecError`` naming the field."""
    cores = os.cpu_count() or 1
    if jobs is None:
        return cores
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise SpecError("jobs", f"{jobs!r} is not allowed; must be a whole number >= 1")
    if jobs > max_jobs():
        raise SpecError(
            "jobs",
            f"{jobs} is more than {max_jobs()} ({JOBS_PER_CORE} per CPU core, {cores} cores "
            f"here); more processes only use more memory",
        )
    return jobs


def frames_of(target: Any) -> int:
    """Frames of a figure, comparison or sequence, from the layer arithmetic alone.

    A figure has one frame per output cell (a channel figure: per shown position, times the
    output channels in ``position_channel`` order); a comparison as many as its longest member;
    a sequence the sum of its stages'.
    """
    from convanim.model.spec import CompareSpec, FigureSpec, SequenceSpec
    from convanim.ops.geometry import output_size

    if isinstance(target, CompareSpec):
        return max(frames_of(member) for member in target.members)
    if isinstance(target, SequenceSpec):
        if target.view == "receptive_field":  # one frame per output cell of the last layer
            ho, wo = output_size(target.stages[-1].layer)
            return ho * wo
        return sum(frames_of(stage) for stage in target.stages)
    if not isinstance(target, FigureSpec):
        raise TypeError(f"expected a figure, comparison or sequence, got {type(target).__name__}")
    return _figure_frames(target)


def _figure_frames(figure: FigureSpec) -> int:
    from convanim.model.spec import wants_channel_view
    from convanim.ops.geometry import output_size

    layer = figure.layer
    ho, wo = output_size(layer)
    cells = ho * wo
    if not wants_channel_view(figure):
        return cells
    from convanim.scene import channel_plan as channels

    # When it is not surely a schematic every side is small, so the exact rule (which builds
    # the drawn grid) is cheap.
    out_channels = layer.out_channels or layer.in_channels
    return channels.count_frames(ho, wo, out_channels, figure.frame_order, shows_schematic(figure))


def _surely_schematic(figure: FigureSpec, out: tuple[int, int]) -> bool:
    """Whether the channel view will be a schematic, decided without building the drawn grid
    (which for a huge input would itself be huge): an explicit choice, too many channels, or a
    side of the drawn grid or the output beyond ``channels.MAX_SIDE``."""
    from convanim.scene import channel_plan as channels

    if figure.schematic is not None:
        return figure.schematic
    layer = figure.layer
    if max(layer.in_channels, layer.out_channels or layer.in_channels) > channels.MAX_CHANNELS:
        return True
    drawn = drawn_shape(layer)
    return max(*drawn, *out) > channels.MAX_SIDE


def _is_plain(target: Any) -> bool:
    """A single figure without channels, whose frames are exactly its output cells."""
    from convanim.model.spec import FigureSpec

    if not isinstance(target, FigureSpec):
        return False
    from convanim.model.spec import wants_channel_view

    return not wants_channel_view(target)
