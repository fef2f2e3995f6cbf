"""What each drawn input cell of a single-layer figure is, and how it is drawn: a real input, a
zero a transposed convolution inserts, padding (counted or not by a pool), the cells a
``ceil_mode`` window hangs over, the border a transposed convolution's large padding crops;
and the legend that names them (shown with labels). numpy only.

Padding and the overhang differ in what they are, so they differ in how they look in every
figure: padding is filled and dashed like the reference's; a cell no window reads (overhang,
cropped) has a dotted outline and no number; padding a pool leaves out is crossed out. Inserted
zeros look like padding in the classic, unlabelled figure, and are tinted when a legend names
them.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np

from convanim.model.spec import LayerSpec
from convanim.ops.geometry import Layout, Role, counted
from convanim.scene.display import Fill, Paint, Polygons, Primitive, Segments
from convanim.scene.words import legend_words


class Kind(IntEnum):
    """A drawn input cell as the reader should see it (legend order)."""

    INPUT = 0
    ZERO = 1  # inserted between inputs by a transposed convolution's stride
    PADDING = 2  # takes part in the result as a zero
    UNCOUNTED = 3  # padding a pool does not count (avg without count_include_pad; max: -inf)
    OVERHANG = 4  # past the padded input, only under a ceil_mode window
    CROPPED = 5  # cropped by a transposed convolution's padding beyond d·(k - 1)


_NAMES = {
    Kind.INPUT: "input",
    Kind.ZERO: "zero",
    Kind.PADDING: "padding",
    Kind.UNCOUNTED: "uncounted",
    Kind.OVERHANG: "overhang",
    Kind.CROPPED: "cropped",
}

SOLID, DASHED, DOTTED = "solid", "dashed", "dotted"


@dataclass(frozen=True)
class Style:
    fill: Fill | None  # None: outline only
    outline: str  # SOLID, DASHED or DOTTED
    slash: bool = False  # a diagonal stroke: "not counted"


_ZERO_TINT = Paint("padding").toward("grid", 0.12)
_CROPPED_INPUT = Paint("input").toward("background", 0.45)  # an input, washed out


def kinds(spec: LayerSpec, lay: Layout) -> np.ndarray:
    """(H, W) ``Kind`` of every drawn input cell."""
    roles = lay.roles
    out = np.full(roles.shape, Kind.PADDING, dtype=np.uint8)
    out[roles == Role.INPUT] = Kind.INPUT
    out[roles == Role.ZERO] = Kind.ZERO
    out[(roles == Role.PADDING) & ~counted(spec, lay)] = Kind.UNCOUNTED
    out[roles == Role.OVERHANG] = Kind.OVERHANG
    out[roles == Role.CROPPED] = Kind.CROPPED
    return out


def style(kind: int, labelled: bool, real: bool = False) -> Style:
    """How a cell of ``kind`` is drawn; ``labelled``: a legend names the kinds; ``real``: the
    cell shows an input value (a cropped one is drawn as a greyed input)."""
    if kind == Kind.INPUT:
        return Style("input", SOLID)
    if kind == Kind.ZERO:
        return Style(_ZERO_TINT if labelled else "padding", DASHED)
    if kind == Kind.UNCOUNTED:
        return Style("padding", DASHED, slash=True)
    if kind == Kind.OVERHANG:
        return Style(None, DOTTED)
    if kind == Kind.CROPPED:
        return Style(_CROPPED_INPUT if real else "padding", DOTTED)
    return Style("padding", DASHED)


def dash(outline: str, line: float) -> tuple[float, float] | None:
    """The dash pattern of an outline ``line`` pixels wide: the reference's dashes for
    padding, short dots for cells no window reads."""
    if outline == DASHED:
        return (3 * line, 3 * line)
    if outline == DOTTED:
        return (line, 2 * line)
    return None


def reached_block(kind_grid: np.ndarray) -> tuple[int, int, int, int]:
    """(row0, col0, row1, col1): the block of rows and columns some window reads; the
    overhang and a cropped border lie outside it."""
    outside = (kind_grid == Kind.OVERHANG) | (kind_grid == Kind.CROPPED)
    rows = np.flatnonzero(~outside.all(axis=1))
    cols = np.flatnonzero(~outside.all(axis=0))
    return (int(rows[0]), int(cols[0]), int(rows[-1]) + 1, int(cols[-1]) + 1)


def drawn(
    corners: np.ndarray,
    kind: np.ndarray,
    real: np.ndarray,
    labelled: bool,
    line: float,
    depth: float,
    outline: bool = True,
) -> list[Primitive]:
    """The cells whose canvas ``corners`` are (n, 4, 2), of ``kind`` (n,), ``real`` where a
    cell shows an input value: one ``Polygons`` per style (with its outline, unless
    ``outline`` is off, as where a grid is drawn over the cells), then the slashes of the
    cells crossed out, just above them."""
    out: list[Primitive] = []
    groups: dict[Style, list[int]] = {}
    for n, (k, r) in enumerate(zip(kind.tolist(), real.tolist())):
        groups.setdefault(style(k, labelled, r), []).append(n)
    for look, members in groups.items():
        thin = look.outline == DOTTED
        width = max(1.0, line / 2) if thin else line
        edge = "grid" if outline or thin else None
        out.append(
            Polygons(
                corners[members],
                look.fill,
                depth,
                edge=edge,
                width=width if edge else 0.0,
                dash=dash(look.outline, width) if edge else None,
            )
        )
        if look.slash:
            cut = corners[members][:, [0, 2]]  # one diagonal per cell
            out.append(Segments(cut, "grid", depth + 0.01, max(1.0, line / 2)))
    return out


def swatch(
    corner: np.ndarray, side: float, kind: int, line: float, depth: float
) -> list[Primitive]:
    """A legend's square of ``side`` pixels, top-left at canvas ``corner``, drawn as cells of
    ``kind`` are when a legend names them."""
    x, y = corner
    square = np.array([[[x, y], [x + side, y], [x + side, y + side], [x, y + side]]])
    return drawn(square, np.array([kind]), np.array([kind == Kind.CROPPED]), True, line, depth)


def legend(spec: LayerSpec, kind_grid: np.ndarray) -> list[tuple[int, str]]:
    """(kind, words) for every kind the figure shows, when it shows more than inputs."""
    present = sorted({int(k) for k in np.unique(kind_grid)})
    if present == [Kind.INPUT]:
        return []
    return [(k, legend_words(spec, _NAMES[Kind(k)])) for k in present]
