"""Shapes that recur at whole-pixel offsets (a plane's cells) are drawn once and stamped: the
coverage is the one drawing them all together gives."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from convanim.backends._convex import _convex_cover, convex_each, convex_fill, levels
from convanim.backends._rasterise import _lines, outlines_each
from convanim.backends._stamp import drawn_once

eighths = st.integers(0, 80).map(lambda v: v / 8)


def _grid(
    corner: tuple[float, float], ex: tuple[int, int], ey: tuple[int, int], n: int
) -> np.ndarray:
    """An n x n grid of parallelogram cells with whole-pixel steps ``ex`` and ``ey``."""
    origin = np.array(corner)
    cell = np.array([origin, origin + ex, origin + np.add(ex, ey), origin + ey], float)
    return np.stack(
        [cell + i * np.array(ex) + j * np.array(ey) for i in range(n) for j in range(n)]
    )


def _sides(shapes: np.ndarray) -> np.ndarray:
    return np.stack([shapes, np.roll(shapes, -1, axis=1)], axis=2).reshape(-1, 2, 2)


@settings(max_examples=40, deadline=None)
@given(
    corner=st.tuples(eighths, eighths),
    ex=st.sampled_from([(20, 0), (24, 12), (30, 15), (17, 9)]),
    ey=st.sampled_from([(0, 20), (-16, 16), (-20, 20), (-11, 13)]),
    n=st.integers(2, 5),
    width=st.sampled_from([1.0, 2.0, 3.0]),
)
def test_a_grid_is_drawn_from_one_cell(
    corner: tuple[float, float], ex: tuple[int, int], ey: tuple[int, int], n: int, width: float
) -> None:
    cells = _grid(corner, ex, ey, n)
    calls: list[int] = []

    def outlines(shapes: np.ndarray):  # noqa: ANN202
        calls.append(len(shapes))
        return _lines(_sides(shapes), width, False, square=True)

    stamped = drawn_once(cells, outlines, np.maximum)
    assert calls == [1]  # one cell drawn, whatever the grid's size
    together = _lines(_sides(cells), width, False, square=True)
    assert stamped is not None and together is not None
    assert stamped[1:] == together[1:]
    np.testing.assert_array_equal(stamped[0], together[0])  # the larger of overlaps: exact

    fill = convex_fill(list(cells), False)
    total, x, y = _convex_cover(cells, False)
    assert fill is not None and (fill[1], fill[2]) == (x, y)
    summed = levels(total).astype(int)
    # Sums of float32 coverage in another order: at most a 255th apart, nearly always equal.
    difference = np.abs(fill[0].astype(int) - summed)
    assert difference.max() <= 1 and (difference == 0).mean() > 0.999


def test_shapes_that_do_not_recur_are_drawn_together() -> None:
    shapes = np.array([[[0, 0], [10, 0], [10, 10], [0, 10]], [[20, 0], [33, 0], [33, 9], [20, 9]]])
    calls: list[int] = []

    def draw(some: np.ndarray):  # noqa: ANN202
        calls.append(len(some))
        return _convex_cover(some, False)

    drawn_once(shapes.astype(float), draw, np.add)
    assert calls == [2]


@settings(max_examples=30, deadline=None)
@given(
    centre=st.tuples(eighths, eighths),
    radius=st.integers(100, 160),
    turn=st.floats(0, 1.5),
    squash=st.floats(0.8, 1.0),
    crisp=st.booleans(),
)
def test_a_big_polygon_is_worked_out_only_near_its_sides(
    centre: tuple[float, float], radius: int, turn: float, squash: float, crisp: bool
) -> None:
    """Tiles wholly inside or outside a big polygon are not worked out pixel by pixel, and
    the coverage is the one working out every pixel of its box gives."""
    import convanim.backends._convex as convex

    angles = turn + np.arange(4) * np.pi / 2
    polygon = np.stack([np.cos(angles) * radius, np.sin(angles) * radius * squash], 1)
    points = (polygon + np.array(centre) + 200)[None]
    total, x, y = convex._convex_cover(points, crisp)
    plain = np.zeros_like(total)
    low = np.array([[x, y]])
    nx, ny, offset = _sides_of(points)
    convex._boxes_cover(plain, low, np.array(plain.shape[::-1]), (nx, ny, offset), (x, y), crisp)
    np.testing.assert_array_equal(total, plain)

    worked: list[int] = []
    original = convex._add_cover

    def counting(total, pixels, *rest):  # noqa: ANN001, ANN202
        worked.append(pixels[0].size // len(pixels[0]) * pixels[1].size)
        return original(total, pixels, *rest)

    convex._add_cover = counting
    try:
        convex._convex_cover(points, crisp)
    finally:
        convex._add_cover = original
    assert sum(worked) < 0.75 * total.size  # all of it, worked out pixel by pixel


def _sides_of(points: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Inward unit normals and offsets of a counter-clockwise or clockwise polygon's sides."""
    sides = np.roll(points, -1, axis=1) - points
    lengths = np.hypot(sides[..., 0], sides[..., 1])
    turns = sides[..., 0] * np.roll(sides[..., 1], -1, 1) - sides[..., 1] * np.roll(
        sides[..., 0], -1, 1
    )
    orientation = np.sign(turns.sum(axis=1))[:, None]
    nx, ny = -sides[..., 1] / lengths * orientation, sides[..., 0] / lengths * orientation
    return nx, ny, points[..., 0] * nx + points[..., 1] * ny


def _placed(made: tuple[np.ndarray, int, int] | None) -> dict[tuple[int, int], int]:
    """A coverage's drawn pixels by canvas place: what a chain takes of it."""
    if made is None:
        return {}
    mask, x, y = made
    rows, cols = np.nonzero(mask)
    return {(int(r) + y, int(c) + x): int(mask[r, c]) for r, c in zip(rows, cols)}


@settings(max_examples=40, deadline=None)
@given(
    corner=st.tuples(eighths, eighths),
    ex=st.sampled_from([(20, 0), (24, 12), (30.5, 15.25), (17, 9), (90, 40)]),
    ey=st.sampled_from([(0, 20), (-16, 16), (-20.25, 20), (-11, 13), (-30, 70)]),
    n=st.integers(1, 4),
    width=st.sampled_from([1.0, 2.0, 3.0]),
    crisp=st.booleans(),
)
def test_cells_drawn_together_equal_cells_drawn_alone(
    corner: tuple[float, float],
    ex: tuple[float, float],
    ey: tuple[float, float],
    n: int,
    width: float,
    crisp: bool,
) -> None:
    """A collection's fills and outlines, worked out for all its cells at once and parted
    (``convex_each``, ``outlines_each``), are each cell's own, pixel for pixel."""
    cells = _grid(corner, ex, ey, n)
    fills = convex_each(cells, crisp)
    outlines = outlines_each(cells, width, crisp)
    assert fills is not None
    for cell, fill, outline in zip(cells, fills, outlines):
        assert _placed(fill) == _placed(convex_fill([cell], crisp))
        sides = np.stack([cell, np.roll(cell, -1, axis=0)], axis=1)
        assert _placed(outline) == _placed(_lines(sides, width, crisp, square=True))
