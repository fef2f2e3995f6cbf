"""Bounds on what one request may draw: a frame budget and a pixel budget per frame.

convanim runs unattended (blog and course CI), so a typo such as ``--input 100 --kernel 1``
must fail in milliseconds with a message that says how to fix it, not draw 10,000 frames. Two
checks, both before anything is rendered or written:

* ``frames_of(target)`` counts frames from the geometry alone — output sizes are plain integer
  arithmetic, so even a spec of a million cells costs nothing — and ``check_target`` compares it
  with the frame budget before any scene or matplotlib figure is built;
* ``check_budget(n_frames, size)`` compares the renderer's exact frame count and frame size
  (known once the renderer is built, before the first frame is drawn) with both budgets.

Standard library only at import: ``convanim.ops.geometry`` (numpy) and
``convanim.scene.channel_plan`` are imported inside ``frames_of``, so the command line can import
this module cheaply."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from convanim.errors import BudgetError, SpecError

if TYPE_CHECKING:
    from convanim.model.spec import FigureSpec

__all__ = [
    "DEFAULT_MAX_FRAMES",
    "DEFAULT_MAX_PIXELS",
    "check_budget",
    "check_max_frames",
    "check_target",
    "frames_of",
]

# 2,000 one-second frames is over half an hour of animation: far beyond any figure a reader
# watches, while the largest built-in figures stay well under it.
DEFAULT_MAX_FRAMES = 2000
# 4 megapixels is a 2000x2000 frame; the largest legitimate request (--width 8000 on a wide
# comparison) is refused rather than allowed to need gigabytes per frame in the writers.
DEFAULT_MAX_PIXELS = 4_000_000

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


def check_target(target: Any, max_frames: int = DEFAULT_MAX_FRAMES, reverse: bool = False) -> int:
    """The cheap check: count ``target``'s frames from the geometry and compare with the budget.

    Returns the count (with ``reverse``, the ping-pong's). Nothing is built, so this is the
    first thing done with a request.
    """
    cells = frames_of(target)
    n = cells + max(cells - 2, 0) if reverse else cells
    what = f"{cells} output cells " if _is_plain(target) else ""
    if reverse:
        what = f"{what or f'{cells} frames '}played forward and back "
    check_budget(n, None, max_frames, what=f"{what}would be " if what else "")
    return n


def frames_of(target: Any) -> int:
    """Frames of a figure, comparison or sequence, from the layer arithmetic alone.

    A figure has one frame per output cell (a channel figure: per shown position, times the
    output channels in ``position_channel`` order); a comparison as many as its longest member;
    a sequence the sum of its stages'.
    """
    from convanim.model.spec import CompareSpec, FigureSpec, SequenceSpec

    if isinstance(target, CompareSpec):
        return max(frames_of(member) for member in target.members)
    if isinstance(target, SequenceSpec):
        return sum(frames_of(stage) for stage in target.stages)
    if not isinstance(target, FigureSpec):
        raise TypeError(f"expected a figure, comparison or sequence, got {type(target).__name__}")
    return _figure_frames(target)


def _figure_frames(figure: FigureSpec) -> int:
    from convanim.ops.geometry import output_size
    from convanim.scene import channel_plan as channels

    layer = figure.layer
    ho, wo = output_size(layer)
    cells = ho * wo
    if not channels.wants_channel_view(figure):
        return cells
    # When it is not surely a schematic every side is small, so the exact rule (which builds
    # the drawn grid) is cheap.
    if _surely_schematic(figure, (ho, wo)) or channels.is_schematic(figure):
        return min(cells, channels.SCHEMATIC_POSITIONS)
    out_channels = layer.out_channels or layer.in_channels
    return cells * out_channels if figure.frame_order == "position_channel" else cells


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
    pads = layer.pads
    for axis in (0, 1):
        if layer.is_transposed:
            # The drawn grid is the equivalent direct convolution's: the output plus the
            # dilated kernel's reach.
            drawn = out[axis] + (layer.kernel_size[axis] - 1) * layer.dilation[axis]
        else:
            drawn = layer.input_size[axis] + pads[2 * axis] + pads[2 * axis + 1]
        if max(drawn, out[axis]) > channels.MAX_SIDE:
            return True
    return False


def _is_plain(target: Any) -> bool:
    """A single figure without channels, whose frames are exactly its output cells."""
    from convanim.model.spec import FigureSpec

    if not isinstance(target, FigureSpec):
        return False
    from convanim.scene import channel_plan as channels

    return not channels.wants_channel_view(target)
