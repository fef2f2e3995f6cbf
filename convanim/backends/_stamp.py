"""Shapes repeated at whole-pixel offsets, drawn once and stamped: a plane's cells, a volume's
cube faces. For the raster backend's coverage (``convanim.backends._rasterise``).

A shape moved by whole pixels covers the same shares of the pixels it moves onto, so a grid of
equal cells needs one cell's coverage and then only additions (fills, whose neighbours add up
to full along a shared side) or maxima (outlines, where overlapping lines take the larger).
numpy only.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

Coverage = tuple[np.ndarray, int, int]  # (mask, x, y): the mask's top-left pixel at (x, y)
# Draws shapes (n, k, 2) together: their coverage, or None where they cover nothing.
Draw = Callable[[np.ndarray], "Coverage | None"]


def drawn_once(
    shapes: np.ndarray, draw: Draw, combine: Callable[..., np.ndarray]
) -> Coverage | None:
    """What ``draw(shapes)`` gives, with each shape that recurs at whole-pixel offsets drawn
    once and stamped at the others, overlaps joined by ``combine`` (``np.add`` for coverage
    that adds up, ``np.maximum`` for coverage that takes the larger)."""
    origin = np.floor(shapes[:, 0])
    groups: dict[bytes, list[int]] = {}
    for n, (shape, corner) in enumerate(zip(shapes, origin)):
        # Exact: a coordinate less a whole number near it loses no bits.
        groups.setdefault((shape - corner).tobytes(), []).append(n)
    if len(groups) == len(shapes):
        return draw(shapes)  # nothing recurs
    parts: list[Coverage] = []
    alone = [members[0] for members in groups.values() if len(members) == 1]
    if alone:
        made = draw(shapes[alone])
        if made is not None:
            parts.append(made)
    for members in groups.values():
        if len(members) > 1:
            made = draw(shapes[members[:1]])
            if made is not None:
                mask, x, y = made
                moves = (origin[members] - origin[members[0]]).astype(np.int64)
                parts += [(mask, x + int(dx), y + int(dy)) for dx, dy in moves]
    return joined(parts, combine) if parts else None


def joined(parts: list[Coverage], combine: Callable[..., np.ndarray]) -> Coverage:
    """Coverages placed in one box, where they overlap joined by ``combine``."""
    x0 = min(x for _, x, _ in parts)
    y0 = min(y for _, _, y in parts)
    x1 = max(x + mask.shape[1] for mask, x, _ in parts)
    y1 = max(y + mask.shape[0] for mask, _, y in parts)
    out = np.zeros((y1 - y0, x1 - x0), parts[0][0].dtype)
    for mask, x, y in parts:
        window = out[y - y0 : y - y0 + mask.shape[0], x - x0 : x - x0 + mask.shape[1]]
        combine(window, mask, out=window)
    return out, x0, y0
