"""Coverage of convex polygons (a plane's cells, its face, a cube's faces) for the raster
backend (``convanim.backends._rasterise``), with no supersampled canvas: a pixel's coverage
by a polygon is the exact share of it inside the side nearest its centre (``square_share``),
worked out only where a side is near — a small polygon over its box, a big one in tiles, of
which those wholly inside or outside it are not worked out pixel by pixel. numpy only.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from convanim.backends._stamp import drawn_once

MAX_WINDOW = 1 << 14  # (shape, pixel) pairs worked out at a time: memory stays flat
# Side of the tiles a big convex polygon is worked out in (``_tiled_cover``).
_TILE = 16


def square_share(t: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The share of a pixel on the inner side of a straight edge ``t`` pixels beyond its
    centre (negative: the centre is outside), for an edge whose unit normal has components
    ``a`` >= ``b`` >= 0 (in absolute value): the exact area Agg's coverage is, linear while
    the edge crosses two opposite sides of the pixel, quadratic near its corners."""
    t, a, b = np.broadcast_arrays(t, a, b)
    share = np.array(t > 0, dtype=float)
    edge = np.array(np.abs(t) < 0.75)  # beyond, the pixel is wholly on one side (reach <= 0.71)
    if edge.any():
        t, a, b = t[edge], a[edge], b[edge]
        reach = (a + b) / 2  # how far the pixel extends along the normal
        straight = (a - b) / 2  # up to here the edge crosses two opposite sides
        skew = 2 * a * np.maximum(b, 1e-12)
        near = np.maximum(reach + t, 0) ** 2 / skew  # a corner of the pixel inside
        far = 1 - np.maximum(reach - t, 0) ** 2 / skew  # a corner of the pixel outside
        part = np.where(t < -straight, near, np.where(t > straight, far, 0.5 + t / a))
        share[edge] = np.clip(part, 0.0, 1.0)
    return share


def levels(share: np.ndarray) -> np.ndarray:
    """Coverage shares (0 to 1, or more where shapes add up) as Agg's 8-bit coverage: the
    share in 256ths, rounded down, at most 255 — what its scanline rasteriser gives for an
    exact area (measured: a share of k/256 draws k), so equal shapes blend alike in both
    backends. The small allowance keeps a share worked out a rounding error under k/256 at k."""
    return np.minimum(np.floor(share * np.float32(256) + np.float32(1e-3)), 255).astype(np.uint8)


def convex_fill(polygons: Sequence[np.ndarray], crisp: bool):  # noqa: ANN202
    """Coverage of convex polygons (cells, faces) that tile without overlapping: (mask, x, y),
    None if it covers nothing, NotImplemented for any other shapes (``_fill`` draws them).

    A pixel's coverage by one polygon is the exact share of it inside the side nearest its
    centre (``square_share``; at a corner, only that side's); polygons sharing a side add up
    to one along it. Crisp: the centre inside or not. No supersampled canvas: a grid of cells
    costs its pixels once, a grid of equal cells one cell's (``_stamp``)."""
    shapes = [np.asarray(p, float) for p in polygons]
    corners = len(shapes[0])
    if corners < 3 or any(len(p) != corners for p in shapes):
        return NotImplemented
    try:
        made = drawn_once(np.stack(shapes), lambda some: _convex_cover(some, crisp), np.add)
    except _NotConvex:
        return NotImplemented
    if made is None:
        return None
    total, x0, y0 = made
    mask = levels(total)
    if not mask.any():
        return None
    return mask, x0, y0


class _NotConvex(Exception):
    """A shape ``_convex_cover`` cannot draw (``_fill`` does)."""


def convex_each(polygons: np.ndarray, crisp: bool) -> list | None:
    """Each convex polygon's coverage (n, k, 2): (mask, x, y) or None, as ``convex_fill`` of it
    alone gives it — small ones worked out together over one box size, then parted; None if
    any is not convex (``_fill`` draws them)."""
    try:
        nx, ny, offset = _normals(polygons)
    except _NotConvex:
        return None
    low = np.floor(polygons.min(axis=1)).astype(int) - 1
    high = np.ceil(polygons.max(axis=1)).astype(int) + 1
    size = high - low
    span = size.max(axis=0)
    if span[0] * span[1] > MAX_WINDOW:  # big ones, each in tiles
        return [convex_fill([polygon], crisp) for polygon in polygons]
    made: list = []
    step = max(1, MAX_WINDOW // int(span[0] * span[1]))
    for first in range(0, len(polygons), step):
        part = slice(first, first + step)
        xs = low[part, 0, None] + np.arange(span[0])
        ys = low[part, 1, None] + np.arange(span[1])
        cover = _cover_at((xs, ys), (nx[part], ny[part], offset[part]), crisp)
        for share, (x, y), (w, h) in zip(cover.astype(np.float32), low[part], size[part]):
            mask = levels(share[:h, :w])  # its own box, not the largest one's
            made.append((mask, int(x), int(y)) if mask.any() else None)
    return made


def _normals(points: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each side's unit normal pointing inside (x and y) and offset: a point's distance inside
    the side is x nx + y ny - offset. Raises ``_NotConvex`` for any other shape."""
    sides = np.roll(points, -1, axis=1) - points
    lengths = np.hypot(sides[..., 0], sides[..., 1])
    turns = sides[..., 0] * np.roll(sides[..., 1], -1, 1) - sides[..., 1] * np.roll(
        sides[..., 0], -1, 1
    )
    orientation = np.sign(turns.sum(axis=1))
    if (lengths < 1e-9).any() or (orientation == 0).any():
        raise _NotConvex
    if (turns * orientation[:, None] < -1e-9).any():
        raise _NotConvex
    nx = -sides[..., 1] / lengths * orientation[:, None]
    ny = sides[..., 0] / lengths * orientation[:, None]
    return nx, ny, points[..., 0] * nx + points[..., 1] * ny


def _convex_cover(points: np.ndarray, crisp: bool) -> tuple[np.ndarray, int, int]:
    """The coverage of convex polygons (n, k, 2) summed: (float32 total, x, y), before it is
    clipped and rounded."""
    nx, ny, offset = _normals(points)
    low = np.floor(points.min(axis=1)).astype(int) - 1
    high = np.ceil(points.max(axis=1)).astype(int) + 1
    x0, y0 = low.min(axis=0)
    x1, y1 = high.max(axis=0)
    total = np.zeros((int(y1 - y0), int(x1 - x0)), np.float32)  # summed over the polygons
    big = ((high - low) > 4 * _TILE).all(axis=1)
    small = np.flatnonzero(~big)
    if len(small):
        low, sides = low[small], (nx[small], ny[small], offset[small])
        _boxes_cover(total, low, (high[small] - low).max(axis=0), sides, (x0, y0), crisp)
    for n in np.flatnonzero(big):
        _tiled_cover(total, (low[n], high[n]), (nx[n], ny[n], offset[n]), (x0, y0), crisp)
    return total, int(x0), int(y0)


def _boxes_cover(
    total: np.ndarray,
    low: np.ndarray,
    span: np.ndarray,
    sides: tuple[np.ndarray, np.ndarray, np.ndarray],
    origin: tuple[int, int],
    crisp: bool,
) -> None:
    """Add each polygon's coverage over the box ``span`` from its ``low`` corner, in chunks of
    polygons (of rows, for a big one), so the (polygons, rows, cols) arrays stay small however
    many or large the polygons are."""
    nx, ny, offset = sides
    step = max(1, MAX_WINDOW // int(span[0] * span[1]))
    band = int(span[1]) if step > 1 else max(1, MAX_WINDOW // int(span[0]))
    for first in range(0, len(low), step):
        part = slice(first, first + step)
        xs = low[part, 0, None] + np.arange(span[0])  # (m, w) pixel columns
        for top in range(0, int(span[1]), band):
            ys = low[part, 1, None] + np.arange(top, min(top + band, span[1]))  # (m, h) rows
            _add_cover(total, (xs, ys), (nx[part], ny[part], offset[part]), origin, crisp)


def _tiled_cover(
    total: np.ndarray,
    box: tuple[np.ndarray, np.ndarray],
    sides: tuple[np.ndarray, np.ndarray, np.ndarray],
    origin: tuple[int, int],
    crisp: bool,
) -> None:
    """Add a big polygon's coverage tile by tile: a tile whose corner pixels lie all well
    inside every side is wholly covered, one whose corners lie well outside a side is
    empty (distance is linear: a tile's extremes are at its corners); only the tiles its
    edges cross are worked out pixel by pixel."""
    (low, high), (nx, ny, offset), (x0, y0) = box, sides, origin
    tx = np.arange(low[0], high[0], _TILE)
    ty = np.arange(low[1], high[1], _TILE)
    corner_x = np.stack([tx + 0.5, tx + _TILE - 0.5])  # (2, columns of tiles)
    corner_y = np.stack([ty + 0.5, ty + _TILE - 0.5])
    # Each side's distance at the 2 x 2 corners of every tile: (sides, 2, 2, tile rows, cols).
    d = (
        corner_x[None, None, :, None, :] * nx[:, None, None, None, None]
        + corner_y[None, :, None, :, None] * ny[:, None, None, None, None]
        - offset[:, None, None, None, None]
    )
    full = (d.min(axis=(1, 2)) >= 0.75).all(axis=0)
    empty = (d.max(axis=(1, 2)) <= -0.75).any(axis=0)
    if full.any():
        covered = np.repeat(np.repeat(full, _TILE, axis=0), _TILE, axis=1)
        top, left = ty[0] - y0, tx[0] - x0
        window = total[top : top + covered.shape[0], left : left + covered.shape[1]]
        window += covered[: window.shape[0], : window.shape[1]]
    edge = np.argwhere(~full & ~empty)
    chunk = max(1, MAX_WINDOW // (_TILE * _TILE))
    for first in range(0, len(edge), chunk):
        rows, cols = edge[first : first + chunk].T
        xs = tx[cols, None] + np.arange(_TILE)
        ys = ty[rows, None] + np.arange(_TILE)
        m = len(rows)
        many = (np.repeat(side[None], m, axis=0) for side in (nx, ny, offset))
        _add_cover(total, (xs, ys), tuple(many), origin, crisp)  # type: ignore[arg-type]


def _add_cover(
    total: np.ndarray,
    pixels: tuple[np.ndarray, np.ndarray],
    sides: tuple[np.ndarray, np.ndarray, np.ndarray],
    origin: tuple[int, int],
    crisp: bool,
) -> None:
    """Add to ``total`` (the flat box from ``origin``, ``width`` pixels a row) the coverage of
    polygons (their sides' inward normals and offsets) at the given pixel columns and rows."""
    (xs, ys), (x0, y0) = pixels, origin
    height, width = total.shape
    cover = _cover_at(pixels, sides, crisp)
    cols = np.broadcast_to(xs[:, None, :] - x0, cover.shape)
    rows = np.broadcast_to(ys[:, :, None] - y0, cover.shape)
    seen = (cover > 0) & (cols >= 0) & (cols < width) & (rows >= 0) & (rows < height)
    where = rows[seen] * width + cols[seen]
    if len(where):
        # Summed over the span these pixels reach (a band of rows), not the whole box.
        lowest = int(where.min())
        sums = np.bincount(where - lowest, cover[seen])
        total.ravel()[lowest : lowest + len(sums)] += sums


def _cover_at(
    pixels: tuple[np.ndarray, np.ndarray],
    sides: tuple[np.ndarray, np.ndarray, np.ndarray],
    crisp: bool,
) -> np.ndarray:
    """(polygons, rows, cols): each polygon's coverage of the pixels at its columns ``xs``
    (m, w) and rows ``ys`` (m, h), from the share inside the side nearest each centre."""
    (xs, ys), (nx, ny, offset) = pixels, sides
    distance = np.stack(
        [
            (xs[:, None, :] + 0.5) * nx[:, k, None, None]
            + (ys[:, :, None] + 0.5) * ny[:, k, None, None]
            - offset[:, k, None, None]
            for k in range(nx.shape[1])
        ]
    )  # (sides, polygons, rows, cols)
    nearest = distance.argmin(axis=0)
    inside = np.take_along_axis(distance, nearest[None], axis=0)[0]
    cover = (inside >= 0).astype(float) if crisp else (inside > 0).astype(float)
    edge = np.abs(inside) < 0.75  # beyond, a pixel is wholly in or out
    if not crisp and edge.any():
        polygon = np.broadcast_to(np.arange(len(xs))[:, None, None], inside.shape)[edge]
        side = nearest[edge]
        big = np.maximum(np.abs(nx), np.abs(ny))[polygon, side]
        small = np.minimum(np.abs(nx), np.abs(ny))[polygon, side]
        cover[edge] = square_share(inside[edge], big, small)
    return cover
