"""Test support: reading a display list the way a student reads the figure.

For every text of a picture (static and per frame): how tall its glyphs are, the contrast of its
colour against what the display list draws behind it (WCAG 2 contrast ratio), and whether its
box lies inside the canvas. Nothing here draws pixels: the facts come from the display list, the
theme and the text metrics, so a failing check names the text, the frame and the number.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from convanim.backends import contrast, opacity, resolve
from convanim.model.themes import Theme
from convanim.scene.display import Picture, Polygons, Primitive, Text, TextMetrics
from convanim.scene.legibility import glyph_px


@dataclass(frozen=True)
class Problem:
    frame: int
    text: str
    kind: str
    what: str

    def __str__(self) -> str:
        return f"frame {self.frame}: {self.kind} {self.text!r}: {self.what}"


def _inside(points: np.ndarray, polygon: np.ndarray) -> np.ndarray:
    """Which of ``points`` (m, 2) lie inside ``polygon`` (k, 2) (even-odd rule)."""
    x, y = points[:, 0][:, None], points[:, 1][:, None]
    x0, y0 = polygon[:, 0][None, :], polygon[:, 1][None, :]
    x1, y1 = np.roll(polygon[:, 0], -1)[None, :], np.roll(polygon[:, 1], -1)[None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        crosses = ((y0 > y) != (y1 > y)) & (x < (x1 - x0) * (y - y0) / (y1 - y0) + x0)
    return crosses.sum(axis=1) % 2 == 1


def backdrops(
    text: Text, prims: tuple[Primitive, ...], theme: Theme, metrics: TextMetrics, base: str
) -> list[tuple[tuple[int, int, int], tuple[int, int, int]]]:
    """(text colour, colour behind it) at the text box's centre and at points a quarter of the
    way in from each corner: every polygon fill below the text composited behind it, and every
    one above it (a translucent shade) over both."""
    left, top, right, bottom = text.bounds(metrics)
    fx = np.array([0.5, 0.25, 0.75, 0.25, 0.75])
    fy = np.array([0.5, 0.25, 0.25, 0.75, 0.75])
    points = np.stack([left + fx * (right - left), top + fy * (bottom - top)], axis=1)
    behind = np.tile(np.array(resolve(theme, base), float), (len(points), 1))
    ink = np.tile(np.array(resolve(theme, text.role), float), (len(points), 1))
    hidden = np.zeros(len(points), bool)
    polygons = [p for p in prims if isinstance(p, Polygons) and p.fill and p is not text]
    for prim in sorted(polygons, key=lambda p: p.depth):
        fills = prim.fill if isinstance(prim.fill, tuple) else (prim.fill,) * len(prim.points)
        for polygon, fill in zip(prim.points, fills):
            if fill is None:
                continue
            hit = _inside(points, polygon)
            if hit.any():
                a = prim.alpha * opacity(theme, fill)
                rgb = np.array(resolve(theme, fill), float)
                behind[hit] = np.round((1 - a) * behind[hit] + a * rgb)
                if prim.depth > text.depth:
                    ink[hit] = np.round((1 - a) * ink[hit] + a * rgb)
                    hidden |= hit & (a >= 1.0)
    if hidden.all():
        return []  # drawn over by something opaque: nobody reads it
    return [
        (tuple(int(v) for v in i), tuple(int(v) for v in b))  # type: ignore[misc]
        for i, b in zip(ink, behind)
    ]


def frames_to_check(picture: Picture, most: int = 4) -> list[int]:
    n = picture.n_frames
    return sorted({0, n // 3, (2 * n) // 3, n - 1} if n > most else set(range(n)))


def texts(picture: Picture, frames: list[int]) -> Iterator[tuple[int, Text, tuple]]:
    for index in frames:
        prims = (*picture.static, *picture.frame(index))
        for prim in prims:
            if isinstance(prim, Text):
                yield index, prim, prims


def problems(
    picture: Picture,
    theme: Theme,
    metrics: TextMetrics,
    minimum: dict[str, float],
    min_contrast: float = 4.5,
    frames: list[int] | None = None,
) -> list[Problem]:
    """Every text that is too small for its kind (``minimum``: kind -> glyph pixels), has too
    little contrast with what is behind it, or reaches outside the canvas."""
    found: list[Problem] = []
    seen: set = set()
    for index, text, prims in texts(picture, frames or frames_to_check(picture)):
        key = (text.text, text.x, text.y, text.size, text.depth)
        if key in seen:  # a static text is checked once
            continue
        if text in picture.static:
            seen.add(key)
        px = glyph_px(text)
        need = minimum.get(text.kind, minimum.get("*", 0.0))
        if px + 1e-6 < need:
            found.append(Problem(index, text.text, text.kind, f"{px:.1f} px < {need} px"))
        for colour, behind in backdrops(text, prims, theme, metrics, picture.background):
            ratio = contrast(colour, behind)
            if ratio < min_contrast:
                found.append(
                    Problem(index, text.text, text.kind, f"contrast {ratio:.2f} on {behind}")
                )
                break
        left, top, right, bottom = text.bounds(metrics)
        if (
            left < -0.5
            or top < -0.5
            or right > picture.width + 0.5
            or bottom > picture.height + 0.5
        ):
            box = f"({left:.0f}, {top:.0f}, {right:.0f}, {bottom:.0f})"
            found.append(
                Problem(
                    index,
                    text.text,
                    text.kind,
                    f"box {box} outside {picture.width}x{picture.height}",
                )
            )
    return found
