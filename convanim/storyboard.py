"""Storyboards: all frames of a figure (or every n-th) tiled in a grid as one still, numbered.

For print and for documents that cannot hold an animation (Sphinx's PDF builder, LaTeX). PNG
goes through Agg; PDF and SVG stay vector, because each tile is the figure's own artists drawn
into one matplotlib Figure (``FigureRenderer(host=...)``), not a picture of them. Part of the
renderer layer, with ``convanim.render``: it imports matplotlib.

``check_storyboard`` bounds a board before anything is drawn (and so before the CLI writes the
animation it goes with): ``every``, ``columns`` and ``dpi`` in range, more columns than tiles
read as one row, and the board's pixels at its DPI within ``STILL_FRAMES`` frames' budget.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from matplotlib import rc_context
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from convanim.atomic import atomic_path
from convanim.budget import DEFAULT_MAX_PIXELS
from convanim.errors import BudgetError, OutputError, SpecError
from convanim.render import _FONT, FigureRenderer, _rgba
from convanim.spec import CompareSpec, FigureSpec, Look
from convanim.themes import CLASSIC, Theme

FORMATS = {".png": "png", ".pdf": "pdf", ".svg": "svg"}
_GAP = 16  # points between tiles
_NUMBER = 22  # points under each tile for its number
_TITLE = 26  # points above a comparison's members for their labels


# A storyboard is one still, allowed 25 frames' worth of pixels (a 5x5 board of the largest
# frames at 72 dpi): at 144 dpi a board of 36 full-size tiles still fits, while thousands of
# tiles at 1200 dpi (gigabytes, then a crash) are refused before anything is written.
STILL_FRAMES = 25


@dataclass(frozen=True)
class _Board:
    probes: list[FigureRenderer]
    chosen: list[int]  # the frames shown, by index
    cols: int
    rows: int
    tile_w: int
    tile_h: int
    width: int  # points (1/72 inch)
    height: int


def check_options(every: Any, columns: Any, dpi: Any) -> None:
    """Raise ``SpecError`` naming ``every``, ``columns`` or ``dpi`` if one is not allowed."""
    if isinstance(every, bool) or not isinstance(every, numbers.Integral) or every < 1:
        raise SpecError("every", f"{every!r} is not allowed; must be a whole number >= 1")
    if columns is not None and (
        isinstance(columns, bool) or not isinstance(columns, numbers.Integral) or columns < 1
    ):
        raise SpecError("columns", f"{columns!r} is not allowed; must be a whole number >= 1")
    if (
        isinstance(dpi, bool)
        or not isinstance(dpi, numbers.Real)
        or not math.isfinite(dpi)
        or not 10 <= dpi <= 1200
    ):
        raise SpecError("dpi", f"{dpi!r} is not allowed; must be 10 to 1200")


def check_storyboard(
    target: FigureSpec | CompareSpec,
    theme: Theme = CLASSIC,
    look: Look | None = None,
    every: int = 1,
    columns: int | None = None,
    dpi: float = 144,
    max_pixels: int = DEFAULT_MAX_PIXELS,
) -> tuple[int, int]:
    """The storyboard's size in pixels (width, height), or a ``SpecError``/``BudgetError``
    before anything is drawn: options out of range, or more than ``STILL_FRAMES`` frames'
    worth of pixels (``max_pixels`` per frame). Builds the tiles' renderers, draws nothing."""
    board = _plan(target, theme, look or Look(), every, columns, dpi)
    return _check_pixels(board, dpi, max_pixels)


def _plan(
    target: FigureSpec | CompareSpec, theme: Theme, look: Look, every: int, columns: Any, dpi: Any
) -> _Board:
    check_options(every, columns, dpi)
    members = list(target.members) if isinstance(target, CompareSpec) else [target]
    labels = isinstance(target, CompareSpec)
    # Probe each member's size and frame count once.
    probes = [FigureRenderer(m, theme, fast=False, look=look) for m in members]
    n_frames = max(p.n_frames for p in probes)
    chosen = list(range(0, n_frames, every))
    if chosen[-1] != n_frames - 1:
        chosen.append(n_frames - 1)  # the storyboard always ends on the last frame
    # More columns than tiles would only widen the board with empty space.
    cols = min(columns or math.ceil(math.sqrt(len(chosen))), len(chosen))
    rows = math.ceil(len(chosen) / cols)
    title = _TITLE if labels else 0
    gap = _GAP * 3 if labels else _GAP  # tiles further apart than a comparison's members
    tile_w = sum(p.size[0] for p in probes) + _GAP * (len(probes) - 1)
    tile_h = max(p.size[1] for p in probes) + title + _NUMBER
    width = cols * tile_w + (cols - 1) * gap
    height = rows * tile_h + (rows - 1) * gap
    return _Board(probes, chosen, cols, rows, tile_w, tile_h, width, height)


def _check_pixels(board: _Board, dpi: float, max_pixels: int) -> tuple[int, int]:
    width = math.ceil(board.width * dpi / 72)
    height = math.ceil(board.height * dpi / 72)
    budget = STILL_FRAMES * max_pixels
    if width * height > budget:
        raise BudgetError(
            f"storyboard too large: {len(board.chosen)} tiles in {board.cols} columns at "
            f"{dpi:g} dpi is {width}x{height} = {width * height:,} pixels, more than the budget "
            f"of {budget:,} ({STILL_FRAMES} frames' worth); use a lower --dpi, a larger "
            "--every or other --columns"
        )
    return width, height


def save_storyboard(
    target: FigureSpec | CompareSpec,
    path: str | Path,
    theme: Theme = CLASSIC,
    look: Look | None = None,
    every: int = 1,
    columns: int | None = None,
    dpi: float = 144,
    max_pixels: int = DEFAULT_MAX_PIXELS,
) -> tuple[Path, int]:
    """Write the storyboard; returns (path, number of tiles). ``check_storyboard``'s checks
    come first."""
    path = Path(path)
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise OutputError(
            f"storyboard: unknown suffix {path.suffix or '(none)'!r}; use {', '.join(FORMATS)}"
        )
    look = look or Look()
    board = _plan(target, theme, look, every, columns, dpi)
    _check_pixels(board, dpi, max_pixels)
    members = list(target.members) if isinstance(target, CompareSpec) else [target]
    labels = list(target.labels) if isinstance(target, CompareSpec) else []
    probes, chosen, cols = board.probes, board.chosen, board.cols
    tile_w, tile_h, width, height = board.tile_w, board.tile_h, board.width, board.height
    title = _TITLE if labels else 0
    gap = _GAP * 3 if labels else _GAP

    fig = Figure(figsize=(width / 72, height / 72), dpi=72)
    fig.patch.set_facecolor(_rgba(theme, "background", 0 if look.transparent else 1))
    FigureCanvasAgg(fig)
    text = _rgba(theme, "text")
    for k, index in enumerate(chosen):
        row, col = divmod(k, cols)
        left = col * (tile_w + gap)
        bottom = height - (row + 1) * tile_h - row * gap
        x = left
        for member, probe, label in zip(members, probes, labels or [None] * len(members)):
            top_pad = max(p.size[1] for p in probes) - probe.size[1]
            tile = FigureRenderer(member, theme, look=look, host=(fig, x, bottom + _NUMBER + 0))
            tile.paint(min(index, tile.n_frames - 1))
            if label is not None:
                fig.text(
                    (x + probe.size[0] / 2) / width,
                    (bottom + _NUMBER + probe.size[1] + top_pad + title / 2) / height,
                    label,
                    ha="center",
                    va="center",
                    color=text,
                    fontproperties=_FONT,
                    fontsize=16,
                )
            x += probe.size[0] + _GAP
        fig.text(
            (left + tile_w / 2) / width,
            (bottom + _NUMBER / 2) / height,
            str(index + 1),
            ha="center",
            va="center",
            color=text,
            fontproperties=_FONT,
            fontsize=14,
        )
    with atomic_path(path) as tmp:
        # metadata pinned so that the same spec gives the same bytes (no dates, no versions).
        meta = {
            "png": {"Software": None},
            "pdf": {"CreationDate": None, "Producer": None},
            "svg": {"Date": None},
        }[fmt]
        with rc_context({"svg.hashsalt": "convanim"}):  # SVG ids from a fixed salt
            fig.savefig(tmp, format=fmt, dpi=dpi, metadata=meta, transparent=look.transparent)
    return path, len(chosen)
