"""Storyboards: all frames of a figure (or every n-th) tiled in a grid as one still, numbered.

For print and for documents that cannot hold an animation (Sphinx's PDF builder, LaTeX). The
board is a display list (``convanim.scene.compose.storyboard``) of the figure's own picture,
whatever its kind, so PNG goes through Agg while PDF and SVG stay vector
(``convanim.backends.mpl.write_still``).

``check_storyboard`` bounds a board before anything is drawn (and so before the CLI writes the
animation it goes with): ``every``, ``columns`` and ``dpi`` in range, more columns than tiles
read as one row, and the board's pixels at its DPI within ``STILL_FRAMES`` frames' budget.
"""

from __future__ import annotations

import math
import numbers
from pathlib import Path
from typing import Any

from convanim.backends.mpl import MplMetrics, write_still
from convanim.errors import BudgetError, OutputError, SpecError
from convanim.export.atomic import atomic_file
from convanim.model.look import Look
from convanim.model.spec import CompareSpec, FigureSpec, SequenceSpec
from convanim.model.themes import CLASSIC, Theme
from convanim.scene.budget import DEFAULT_MAX_PIXELS
from convanim.scene.compose import COMPARISON_TILE_GAP, TILE_GAP, storyboard
from convanim.scene.display import Picture
from convanim.scene.pictures import picture_for

FORMATS = {".png": "png", ".pdf": "pdf", ".svg": "svg"}

# A storyboard is one still, allowed 25 frames' worth of pixels (a 5x5 board of the largest
# frames at 72 dpi): at 144 dpi a board of 36 full-size tiles still fits, while thousands of
# tiles at 1200 dpi (gigabytes, then a crash) are refused before anything is written.
STILL_FRAMES = 25

Target = FigureSpec | CompareSpec | SequenceSpec


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
    target: Target,
    theme: Theme = CLASSIC,
    look: Look | None = None,
    every: int = 1,
    columns: int | None = None,
    dpi: float = 144,
    max_pixels: int = DEFAULT_MAX_PIXELS,
) -> tuple[int, int]:
    """The storyboard's size in pixels (width, height), or a ``SpecError``/``BudgetError``
    before anything is drawn: options out of range, or more than ``STILL_FRAMES`` frames'
    worth of pixels (``max_pixels`` per frame). Builds the board's display list, draws
    nothing."""
    board, chosen, cols = _plan(target, look or Look(), every, columns, dpi)
    return _check_pixels(board, len(chosen), cols, dpi, max_pixels)


def save_storyboard(
    target: Target,
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
    board, chosen, cols = _plan(target, look, every, columns, dpi)
    _check_pixels(board, len(chosen), cols, dpi, max_pixels)
    with atomic_file(path) as out:
        write_still(board, theme, out, fmt, dpi, look.transparent, index=0, crisp=look.crisp)
    return path, len(chosen)


def _plan(
    target: Target, look: Look, every: Any, columns: Any, dpi: Any
) -> tuple[Picture, list[int], int]:
    check_options(every, columns, dpi)
    picture = picture_for(target, look, MplMetrics())
    n_tiles = len(range(0, picture.n_frames, every)) + (1 if (picture.n_frames - 1) % every else 0)
    # More columns than tiles would only widen the board with empty space.
    cols = min(columns or math.ceil(math.sqrt(n_tiles)), n_tiles)
    gap = COMPARISON_TILE_GAP if isinstance(target, CompareSpec) else TILE_GAP
    board, chosen = storyboard(picture, every, cols, gap)
    return board, chosen, cols


def _check_pixels(
    board: Picture, tiles: int, cols: int, dpi: float, max_pixels: int
) -> tuple[int, int]:
    width = math.ceil(board.width * dpi / 72)
    height = math.ceil(board.height * dpi / 72)
    budget = STILL_FRAMES * max_pixels
    if width * height > budget:
        raise BudgetError(
            f"storyboard too large: {tiles} tiles in {cols} columns at {dpi:g} dpi is "
            f"{width}x{height} = {width * height:,} pixels, more than the budget of {budget:,} "
            f"({STILL_FRAMES} frames' worth); use a lower --dpi, a larger --every or other "
            "--columns"
        )
    return width, height
