"""The display list: a figure's picture as data, for any backend to draw.

A ``Picture`` is a canvas size, a static layer of primitives and, per frame, the primitives that
frame adds. A primitive is a batch of filled polygons, a batch of line segments, or one line of
text; each names a colour *role* (``input``, ``shade``, ``text``…) that a theme resolves, and a
*depth*: backends draw in depth order (ties keep list order), so what hides what is decided
once, here, not by any backend. Coordinates are canvas pixels at scale 1 (a point at 72 dpi),
x to the right and y down from the top-left corner; vector backends may scale them freely.

This module knows nothing of convolutions and imports numpy only. Scene builders make pictures;
backends (``convanim.backends``) turn them into frames or documents.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np

HAlign = Literal["left", "center", "right"]
VAlign = Literal["top", "center", "baseline", "bottom"]
Box = tuple[float, float, float, float]  # left, top, right, bottom


@dataclass(frozen=True)
class Paint:
    """A colour made from theme roles: ``role``, mixed towards each of ``mixes`` in turn
    (``(role, amount)``; an amount of None takes the theme's opacity of that role, as a shade
    does), then lit: each channel times ``light``. ``Paint("input")`` is the role itself."""

    role: str
    mixes: tuple[tuple[str, float | None], ...] = ()
    light: float = 1.0

    def toward(self, role: str, amount: float | None = None) -> Paint:
        return replace(self, mixes=(*self.mixes, (role, amount)))

    def lit(self, light: float) -> Paint:
        return replace(self, light=self.light * light)


Fill = str | Paint


@dataclass(frozen=True)
class Ink:
    """The colour of text drawn on ``on``: the theme's text colour, or its background colour if
    that reads better there, or black or white if neither reaches the contrast a reader needs
    (the backend resolves it; ``convanim.backends.resolve``)."""

    on: Fill


@dataclass(frozen=True, eq=False)
class Polygons:
    """``n`` filled polygons of ``k`` corners each, ``points`` shaped (n, k, 2), one style;
    ``fill`` is one colour for all or a tuple of one per polygon."""

    points: np.ndarray
    fill: Fill | tuple[Fill, ...] | None
    depth: float
    alpha: float = 1.0  # of the fill, times the theme's opacity of the role; outlines are opaque
    edge: str | None = None
    width: float = 0.0  # outline width in pixels
    dash: tuple[float, float] | None = None  # outline: pixels on, pixels off

    def bounds(self) -> Box | None:
        return _bounds(self.points, self.width / 2 if self.edge else 0.0)

    def moved(self, dx: float, dy: float) -> Polygons:
        return replace(self, points=self.points + (dx, dy))


@dataclass(frozen=True, eq=False)
class Segments:
    """``n`` straight lines, ``points`` shaped (n, 2, 2), one style."""

    points: np.ndarray
    role: str
    depth: float
    width: float = 1.0
    dash: tuple[float, float] | None = None
    alpha: float = 1.0

    def bounds(self) -> Box | None:
        return _bounds(self.points, self.width / 2)

    def moved(self, dx: float, dy: float) -> Segments:
        return replace(self, points=self.points + (dx, dy))


@dataclass(frozen=True)
class Text:
    """One line of text: ``size`` is the font size in pixels (points at 72 dpi); (x, y) is the
    anchor, placed by ``ha`` and ``va``. ``kind`` says what the text is to a reader —
    ``"value"`` (a number in a grid), ``"weight"`` (a kernel weight), ``"caption"`` (a line
    that changes per frame) or ``"label"`` — so that legibility rules and players can tell."""

    text: str
    x: float
    y: float
    size: float
    role: str | Ink
    depth: float
    ha: HAlign = "center"
    va: VAlign = "center"
    rotation: float = 0.0
    font: str = "serif"
    kind: str = "label"

    def bounds(self, metrics: TextMetrics) -> Box:
        """The box around the text, rotated (counter-clockwise, about the anchor) if it is."""
        width, ascent, descent = metrics.measure(self.text, self.size, self.font)
        height = ascent + descent
        left = -{"left": 0.0, "center": width / 2, "right": width}[self.ha]
        top = -{"top": 0.0, "center": height / 2, "baseline": ascent, "bottom": height}[self.va]
        corners = np.array(
            [[left, top], [left + width, top], [left, top + height], [left + width, top + height]]
        )
        if self.rotation:
            # Counter-clockwise on the screen is clockwise in y-down coordinates.
            turn = np.radians(self.rotation)
            c, s = np.cos(turn), np.sin(turn)
            corners = corners @ np.array([[c, -s], [s, c]])
        lo, hi = corners.min(axis=0), corners.max(axis=0)
        return (self.x + lo[0], self.y + lo[1], self.x + hi[0], self.y + hi[1])

    def moved(self, dx: float, dy: float) -> Text:
        return replace(self, x=self.x + dx, y=self.y + dy)


Primitive = Polygons | Segments | Text


class TextMetrics:
    """How big a text is: (width, ascent, descent) in pixels. Backends provide exact ones;
    this estimate (a serif face's average advance) is the fallback and errs on the wide side."""

    def measure(self, text: str, size: float, font: str = "serif") -> tuple[float, float, float]:
        return (0.6 * size * len(text), 0.8 * size, 0.25 * size)


@dataclass(frozen=True, eq=False)
class Stage:
    """Frames ``start`` to ``start + n_frames - 1`` of a picture whose still part changes from
    stage to stage (a sequence's layers, one after another): ``static`` stands still through
    them, and ``moving(i)``, i counted from ``start``, is drawn on it."""

    start: int
    n_frames: int
    static: tuple[Primitive, ...]
    moving: Callable[[int], tuple[Primitive, ...]]


@dataclass(frozen=True, eq=False)
class Picture:
    """What a figure draws: ``static`` once, and ``moving(i)`` on top of it in frame ``i``.

    ``stages``, when given, split the frames into stages, each with a still part of its own
    that ``moving(i)`` also returns: a hint for backends that can draw a still layer once per
    stage (the raster backend), never needed for correctness.
    """

    width: int
    height: int
    static: tuple[Primitive, ...]
    n_frames: int
    moving: Callable[[int], tuple[Primitive, ...]]
    background: str = "background"
    roles: tuple[tuple[Fill, float], ...] = field(default=())
    stages: tuple[Stage, ...] = field(default=())

    @property
    def size(self) -> tuple[int, int]:
        return (self.width, self.height)

    def frame(self, index: int) -> tuple[Primitive, ...]:
        if not 0 <= index < self.n_frames:
            raise IndexError(f"frame {index} of {self.n_frames}")
        return self.moving(index)

    def colours(self) -> tuple[tuple[Fill | Ink, float], ...]:
        """Every (role, alpha) the picture fills or strokes with, static and moving; moving
        primitives are sampled from the first frame, so scenes whose moving roles vary list
        them in ``roles``."""
        found: list[tuple[Fill | Ink, float]] = [(self.background, 1.0), *self.roles]
        sample = self.frame(0) if self.n_frames else ()
        for prim in (*self.static, *sample):
            for item in _prim_colours(prim):
                if item not in found:
                    found.append(item)
        return tuple(found)


def _prim_colours(prim: Primitive) -> Iterable[tuple[Fill | Ink, float]]:
    if isinstance(prim, Polygons):
        fills = prim.fill if isinstance(prim.fill, tuple) else (prim.fill,)
        for fill in dict.fromkeys(fills):
            if fill is not None:
                yield (fill, prim.alpha)
        if prim.edge is not None:
            yield (prim.edge, 1.0)
    elif isinstance(prim, Segments):
        yield (prim.role, prim.alpha)
    else:
        yield (prim.role, 1.0)


def in_depth_order(prims: Iterable[Primitive]) -> list[Primitive]:
    """Back to front; a stable sort keeps the builder's order among equal depths."""
    return sorted(prims, key=lambda p: p.depth)


def bounds_of(prims: Sequence[Primitive], metrics: TextMetrics) -> Box | None:
    """The box around all of ``prims`` (None when there are none)."""
    boxes = [p.bounds(metrics) if isinstance(p, Text) else p.bounds() for p in prims]
    boxes = [b for b in boxes if b is not None]
    if not boxes:
        return None
    array = np.array(boxes)
    return (
        float(array[:, 0].min()),
        float(array[:, 1].min()),
        float(array[:, 2].max()),
        float(array[:, 3].max()),
    )


def union(boxes: Iterable[tuple | None]) -> tuple | None:
    """The box around every given box (left, top, right, bottom), None when there are none."""
    real = [b for b in boxes if b is not None]
    if not real:
        return None
    return (
        min(b[0] for b in real),
        min(b[1] for b in real),
        max(b[2] for b in real),
        max(b[3] for b in real),
    )


def moved(prims: Iterable[Primitive], dx: float, dy: float) -> tuple[Primitive, ...]:
    return tuple(p.moved(dx, dy) for p in prims)


def changed_stages(
    picture: Picture,
    change: Callable[[tuple[Primitive, ...]], tuple[Primitive, ...]],
    extra: Callable[[int], tuple[Primitive, ...]] = lambda index: (),
) -> tuple[Stage, ...]:
    """``picture``'s stages with ``change`` applied to every primitive list (as a picture that
    moves or grows applies it to its own), and ``extra(i)`` added to frame i's moving ones."""

    def stage(old: Stage) -> Stage:
        def moving(index: int) -> tuple[Primitive, ...]:
            return (*change(old.moving(index)), *extra(old.start + index))

        return replace(old, static=change(old.static), moving=moving)

    return tuple(stage(s) for s in picture.stages)


def _bounds(points: np.ndarray, pad: float) -> Box | None:
    if points.size == 0:
        return None
    flat = points.reshape(-1, 2)
    lo, hi = flat.min(axis=0) - pad, flat.max(axis=0) + pad
    return (float(lo[0]), float(lo[1]), float(hi[0]), float(hi[1]))
