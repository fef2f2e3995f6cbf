"""Storyboards: all frames of a figure (or every n-th) tiled in a grid as one still, numbered.

For print and for documents that cannot hold an animation (Sphinx's PDF builder, LaTeX). The
board is a display list (``convanim.scene.compose.storyboard``) of the figure's own pictures, so PNG
goes through Agg while PDF and SVG stay vector (``convanim.backends.mpl.write_still``).
"""

from __future__ import annotations

from pathlib import Path

from convanim.backends.mpl import MplMetrics, write_still
from convanim.errors import OutputError, SpecError
from convanim.export.atomic import atomic_file
from convanim.model.look import Look
from convanim.model.spec import CompareSpec, FigureSpec, SequenceSpec
from convanim.model.themes import CLASSIC, Theme
from convanim.scene.compose import COMPARISON_TILE_GAP, TILE_GAP, storyboard
from convanim.scene.pictures import picture_for

FORMATS = {".png": "png", ".pdf": "pdf", ".svg": "svg"}


def save_storyboard(
    target: FigureSpec | CompareSpec | SequenceSpec,
    path: str | Path,
    theme: Theme = CLASSIC,
    look: Look | None = None,
    every: int = 1,
    columns: int | None = None,
    dpi: float = 144,
) -> tuple[Path, int]:
    """Write the storyboard; returns (path, number of tiles)."""
    path = Path(path)
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise OutputError(
            f"storyboard: unknown suffix {path.suffix or '(none)'!r}; use {', '.join(FORMATS)}"
        )
    if every < 1:
        raise SpecError("every", f"{every} is not allowed; must be at least 1")
    if columns is not None and columns < 1:
        raise SpecError("columns", f"{columns} is not allowed; must be at least 1")
    if not 10 <= dpi <= 1200:
        raise SpecError("dpi", f"{dpi} is not allowed; must be 10 to 1200")
    look = look or Look()
    picture = picture_for(target, look, MplMetrics())
    gap = COMPARISON_TILE_GAP if isinstance(target, CompareSpec) else TILE_GAP
    board, chosen = storyboard(picture, every, columns, gap)
    with atomic_file(path) as out:
        write_still(board, theme, out, fmt, dpi, look.transparent, index=0)
    return path, len(chosen)
