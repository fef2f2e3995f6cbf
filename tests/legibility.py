"""Test support: reading a display list the way a student reads the figure.

For every text of a picture (static and per frame): how tall its glyphs are, the contrast of its
colour against what the display list draws behind it (WCAG 2 contrast ratio), and whether its
box lies inside the canvas. Nothing here draws pixels: the facts come from the display list, the
theme and the text metrics, so a failing check names the text, the frame and the number.
"""

from __future__ import annotations

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


def _inside(points: np.ndarray, polygons: np.ndarray) -> np.ndarray:
    """(m, n): which of ``points`` (m, 2) lie inside each of ``polygons`` (n, k, 2), by the
    even-odd rule."""
    x, y = points[:, 0][:, None, None], points[:, 1][:, None, None]
    x0, y0 = polygons[None, :, :, 0], polygons[None, :, :, 1]
    x1 = np.roll(polygons[:, :, 0], -1, axis=1)[None]
    y1 = np.roll(polygons[:, :, 1], -1, axis=1)[None]
    with np.errstate(divide="ignore", invalid="ignore"):
        crosses = ((y0 > y) != (y1 > y)) & (x < (x1 - x0) * (y - y0) / (y1 - y0) + x0)
    return crosses.sum(axis=2) % 2 == 1


_FX = np.array([0.5, 0.25, 0.75, 0.25, 0.75])
_FY = np.array([0.5, 0.25, 0.25, 0.75, 0.75])


def backdrops(
    texts: list[Text], prims: tuple[Primitive, ...], theme: Theme, metrics: TextMetrics, base: str
) -> list[list[tuple[tuple[int, int, int], tuple[int, int, int]]]]:
    """Per text, (text colour, colour behind it) at its box's centre and at points a quarter of
    the way in from each corner: every polygon fill below the text composited behind it, and
    every one above it (a translucent shade) over both; an empty list for a text something
    opaque covers (nobody reads it)."""
    if not texts:
        return []
    boxes = np.array([t.bounds(metrics) for t in texts])
    left, top, right, bottom = (boxes[:, i][:, None] for i in range(4))
    points = np.stack([left + _FX * (right - left), top + _FY * (bottom - top)], axis=-1)
    points = points.reshape(-1, 2)
    depth = np.repeat([t.depth for t in texts], len(_FX))
    behind = np.tile(np.array(resolve(theme, base), float), (len(points), 1))
    ink = np.repeat(np.array([resolve(theme, t.role) for t in texts], float), len(_FX), axis=0)
    hidden = np.zeros(len(points), bool)
    polygons = [p for p in prims if isinstance(p, Polygons) and p.fill and len(p.points)]
    for prim in sorted(polygons, key=lambda p: p.depth):
        fills = prim.fill if isinstance(prim.fill, tuple) else (prim.fill,) * len(prim.points)
        hits = _inside(points, np.asarray(prim.points, float))
        hit = hits.any(axis=1)
        if not hit.any():
            continue
        # The last polygon of a batch a point falls in is the one drawn over it.
        last = hits.shape[1] - 1 - np.argmax(hits[:, ::-1], axis=1)
        colours = {f: np.array(resolve(theme, f), float) for f in dict.fromkeys(fills) if f}
        alphas = {f: prim.alpha * opacity(theme, f) for f in colours}
        for index in np.flatnonzero(hit):
            fill = fills[last[index]]
            if fill is None:
                continue
            a, rgb = alphas[fill], colours[fill]
            behind[index] = np.round((1 - a) * behind[index] + a * rgb)
            if prim.depth > depth[index]:
                ink[index] = np.round((1 - a) * ink[index] + a * rgb)
                hidden[index] |= a >= 1.0
    out = []
    per = len(_FX)
    for k in range(len(texts)):
        span = slice(k * per, (k + 1) * per)
        if hidden[span].all():
            out.append([])
            continue
        out.append(
            [
                (tuple(int(v) for v in i), tuple(int(v) for v in b))  # type: ignore[misc]
                for i, b in zip(ink[span], behind[span])
            ]
        )
    return out


def frames_to_check(picture: Picture, most: int = 4) -> list[int]:
    n = picture.n_frames
    return sorted({0, n // 3, (2 * n) // 3, n - 1} if n > most else set(range(n)))


def problems(
    picture: Picture,
    theme: Theme,
    metrics: TextMetrics,
    minimum: dict[str, float],
    min_contrast: float = 4.5,
    frames: list[int] | None = None,
) -> list[Problem]:
    """Every text that is too small for its kind (``minimum``: kind -> glyph pixels), has too
    little contrast with what is behind it, or reaches outside the canvas. Static texts are
    checked in the first frame looked at, moving ones in every frame."""
    found: list[Problem] = []
    for n, index in enumerate(frames or frames_to_check(picture)):
        moving = picture.frame(index)
        prims = (*picture.static, *moving)
        texts = [p for p in (picture.static if n == 0 else ()) if isinstance(p, Text)]
        texts += [p for p in moving if isinstance(p, Text)]
        for text, pairs in zip(texts, backdrops(texts, prims, theme, metrics, picture.background)):
            found += _text_problems(index, text, pairs, picture, metrics, minimum, min_contrast)
    return found


def _text_problems(
    index: int,
    text: Text,
    pairs: list,
    picture: Picture,
    metrics: TextMetrics,
    minimum: dict[str, float],
    min_contrast: float,
) -> list[Problem]:
    found = []
    px = glyph_px(text)
    need = minimum.get(text.kind, minimum.get("*", 0.0))
    if px + 1e-6 < need:
        found.append(Problem(index, text.text, text.kind, f"{px:.1f} px < {need} px"))
    for colour, behind in pairs:
        ratio = contrast(colour, behind)
        if ratio < min_contrast:
            found.append(Problem(index, text.text, text.kind, f"contrast {ratio:.2f} on {behind}"))
            break
    left, top, right, bottom = text.bounds(metrics)
    w, h = picture.width + 0.5, picture.height + 0.5
    if left < -0.5 or top < -0.5 or right > w or bottom > h:
        box = f"({left:.0f}, {top:.0f}, {right:.0f}, {bottom:.0f})"
        what = f"box {box} outside {picture.width}x{picture.height}"
        found.append(Problem(index, text.text, text.kind, what))
    return found
