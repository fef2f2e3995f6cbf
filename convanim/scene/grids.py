"""Flat number grids for the matrix, im2col and receptive-field views: cells placed on the
canvas, their numbers, their highlights, and a sheet that collects primitives and sizes the
canvas to everything it holds (no text outside the canvas). numpy only.

Sizes follow the legibility rules for every figure: digits in number grids are drawn at
``NUMBER`` px (a serif digit about 14 px tall), words at ``WORDS`` px; a grid grows its cells to
fit its widest number rather than shrinking the text. Numbers sit on the background or on a
light tint of a role (the highlight fills a cell with its role's colour, which every built-in
theme keeps at a contrast of at least 4.5:1 with its text colour), never under the shade.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from convanim.model.look import Look
from convanim.scene.compose import scaled, with_strip
from convanim.scene.display import (
    Fill,
    Paint,
    Picture,
    Polygons,
    Primitive,
    Segments,
    Text,
    TextMetrics,
    bounds_of,
    moved,
)

NUMBER = 20.0  # digits in number grids
WORDS = 18.0  # labels
CAPTION = 15.0  # the caption strip, as the other figures'
CELL = 32.0  # the smallest cell side
GAP = 28.0  # between grids
MARGIN = 16.0
LINE = 1.5
THICK = 3.0

# Depths, back to front: cell faces, highlights, borders, numbers, words.
FACES, HIGHLIGHT, BORDERS, OUTLINE, NUMBERS, LABELS = range(6)

TINT = Paint("input").toward("background", 0.65)  # a cell of C a kernel tap reaches


@dataclass(frozen=True)
class Grid:
    """``rows`` x ``cols`` cells with their top-left corner at (x, y), each ``cw`` x ``ch``."""

    x: float
    y: float
    rows: int
    cols: int
    cw: float
    ch: float

    @property
    def width(self) -> float:
        return self.cols * self.cw

    @property
    def height(self) -> float:
        return self.rows * self.ch

    def corners(self, cells: np.ndarray) -> np.ndarray:
        """(n, 4, 2) corners of the cells (row, col)."""
        cells = np.asarray(cells, dtype=float).reshape(-1, 2)
        x0 = self.x + cells[:, 1] * self.cw
        y0 = self.y + cells[:, 0] * self.ch
        xs = np.stack([x0, x0 + self.cw, x0 + self.cw, x0], axis=1)
        ys = np.stack([y0, y0, y0 + self.ch, y0 + self.ch], axis=1)
        return np.stack([xs, ys], axis=-1)

    def box(self, r0: float, c0: float, r1: float, c1: float) -> np.ndarray:
        """(1, 4, 2): the rectangle around rows r0..r1-1 and columns c0..c1-1."""
        x0, x1 = self.x + c0 * self.cw, self.x + c1 * self.cw
        y0, y1 = self.y + r0 * self.ch, self.y + r1 * self.ch
        return np.array([[[x0, y0], [x1, y0], [x1, y1], [x0, y1]]])

    def centre(self, r: int, c: int) -> tuple[float, float]:
        return (self.x + (c + 0.5) * self.cw, self.y + (r + 0.5) * self.ch)

    def all_cells(self) -> np.ndarray:
        return np.argwhere(np.ones((self.rows, self.cols), bool))

    def lines(self) -> np.ndarray:
        """Every border of the grid, (n, 2, 2)."""
        xs = self.x + np.arange(self.cols + 1) * self.cw
        ys = self.y + np.arange(self.rows + 1) * self.ch
        top, bottom, left, right = ys[0], ys[-1], xs[0], xs[-1]
        v = [[[x, top], [x, bottom]] for x in xs]
        h = [[[left, y], [right, y]] for y in ys]
        return np.array(v + h, dtype=float)


def cell_width(texts: Sequence[str], metrics: TextMetrics, size: float = NUMBER) -> float:
    """The cell side that fits the widest text with room on both sides."""
    widest = max((metrics.measure(t, size)[0] for t in texts if t), default=0.0)
    return float(max(CELL, np.ceil(widest + 10)))


def faces(grid: Grid, cells: np.ndarray, fill: Fill, depth: float = FACES) -> Polygons:
    return Polygons(grid.corners(cells), fill, depth)


def borders(grid: Grid, role: str = "grid", width: float = LINE, dash=None) -> Segments:
    return Segments(grid.lines(), role, BORDERS, width, dash)


def outline(points: np.ndarray, role: str = "text", width: float = THICK) -> Polygons:
    return Polygons(points, None, OUTLINE, edge=role, width=width)


def numbers(grid: Grid, texts: np.ndarray, size: float = NUMBER) -> list[Text]:
    """One text per non-empty cell, centred."""
    out: list[Text] = []
    for (r, c), text in np.ndenumerate(texts):
        if text:
            x, y = grid.centre(r, c)
            out.append(Text(str(text), x, y, size, "text", NUMBERS))
    return out


def label(text: str, x: float, y: float, ha: str = "left", va: str = "bottom") -> Text:
    return Text(text, x, y, WORDS, "text", LABELS, ha, va)  # type: ignore[arg-type]


def finish(
    static: list[Primitive],
    n_frames: int,
    moving: Callable[[int], tuple[Primitive, ...]],
    metrics: TextMetrics,
    look: Look,
    captions: Callable[[int], Sequence[str]] | None = None,
    constant_captions: bool = True,
) -> Picture:
    """The picture of primitives laid out anywhere: moved so that everything drawn in any frame
    lies inside the canvas with a margin, given the caption strip when the look has labels,
    then scaled as the look asks."""
    prims = list(static)
    for index in range(n_frames):
        prims.extend(moving(index))
    left, top, right, bottom = bounds_of(prims, metrics) or (0.0, 0.0, 1.0, 1.0)
    dx, dy = MARGIN - left, MARGIN - top
    width = int(np.ceil(right - left + 2 * MARGIN))
    height = int(np.ceil(bottom - top + 2 * MARGIN))
    shifted = tuple(moved(static, dx, dy))
    pic = Picture(
        width,
        height,
        shifted,
        n_frames,
        lambda index: moved(moving(index), dx, dy),
        roles=(("shade", 1.0), ("input", 1.0), ("output", 1.0), (TINT, 1.0)),
    )
    if look.labels and captions is not None:
        pic = with_strip(pic, captions, CAPTION * look.font_scale, constant_captions)
    if look.width is not None:
        return scaled(pic, look.width / pic.width)
    return scaled(pic, look.scale)
