"""Shapes that recur at whole-pixel offsets (a plane's cells) are drawn once and stamped: the
coverage is the one drawing them all together gives."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from convanim.backends._rasterise import _convex_cover, _convex_fill, _lines
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

    fill = _convex_fill(list(cells), False)
    total, x, y = _convex_cover(cells, False)
    assert fill is not None and (fill[1], fill[2]) == (x, y)
    summed = np.round(np.minimum(total, 1.0) * 255).astype(int)
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
