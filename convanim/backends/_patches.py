"""Which parts of a frame the raster backend draws again, when it may choose (``raster``).

A frame differs from the still picture only where its moving primitives are. The plain way
redraws the rectangle around all of them, and with it every static primitive above the lowest
one over all of that rectangle: in a channel figure the caption, two columns of cubes and the
rays between them span most of the canvas, and a block's thirty layers are drawn again each
frame. Here the solid moving sprites are gathered into a few rectangles (those that overlap
always together, others while one rectangle costs less than two), and the pixels of thin
sprites that fall outside them (a ray's line between two blocks) are composited one by one.

Which rectangles are drawn never changes a pixel: each is composited from the same cached
background, through the same primitives in the same order. It may change what a palette that
is still growing meets first, so ``raster`` uses this only once compositing is a pure function
(a fixed or a full palette). ``patch`` draws a frame so; ``packed`` keeps the static sprites'
compose keys it paints with. numpy only.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from convanim.backends._composite import Palette, Rect, Sprite, clip, inner, meets
from convanim.scene.display import union

# Costs in pixels composited: a paint call's fixed cost, and a rectangle's (copies, compare).
_CALL = 3000
_REGION = 6000
_SOLID = 4096  # a sparse sprite with a box this small is drawn as a rectangle all the same

_BACKGROUNDS = 32  # cached backgrounds beyond which thin sprites start from the frame's
_NONE = np.zeros(0, np.intp)

Layer = tuple[float, int, int, Sprite]  # depth, 0 static / 1 moving, order, sprite
Drawn = tuple[list[Rect], np.ndarray]  # what a frame drew over the still picture


def patch(frames: Any, depth: float, moving: list, last: Drawn) -> tuple[Rect | None, Drawn]:  # noqa: ANN401
    """Draw a frame of ``frames`` (a ``RasterFrames``) where its ``moving`` sprites (depth,
    order, sprite) are and where the ``last`` frame drew, the rest back to the still picture;
    the changed rectangle, and what this frame drew."""
    canvas2d, still2d = frames._canvas, frames._still[0]
    height, width = canvas2d.shape
    sprites = [s for *_, s in moving if s is not None]
    solid = [clip(s.box(), (width, height)) for s in sprites if is_solid(s)]
    above = frames._static_boxes[frames._static_depths > depth]
    rects = gather([b for b in solid if b is not None], above)
    thin = [(d, s) for d, _, s in moving if s is not None and not is_solid(s)]
    found = [(d, g, outside(g, rects, width, height)) for d, g in groups(thin)]
    pixels = np.concatenate([_NONE] + [p for *_, p in found])
    last_rects, last_pixels = last
    canvas, still = canvas2d.ravel(), still2d.ravel()
    both = np.concatenate([last_pixels, pixels])
    # Every place drawn now or last time, as it was: what changed is found by comparing.
    before = [(r, canvas2d[r[1] : r[3], r[0] : r[2]].copy()) for r in last_rects + rects]
    before_pixels = canvas[both]
    for x0, y0, x1, y1 in last_rects:
        canvas2d[y0:y1, x0:x1] = still2d[y0:y1, x0:x1]
    canvas[last_pixels] = still[last_pixels]
    for rect in rects:
        x0, y0, x1, y1 = rect
        canvas2d[y0:y1, x0:x1] = frames._compose(rect, depth, moving)[0]
    for lowest, group, flat in found:
        if len(flat) == 0:
            continue
        # Outside every rectangle only thin sprites are: from the background under the
        # lowest of them (the rays' is made once), not under the frame's lowest sprite.
        if lowest not in frames._backgrounds and len(frames._backgrounds) >= _BACKGROUNDS:
            lowest = depth
        layers = frames._above(lowest, union([s.box() for s in group]), moving)
        under = frames._background(lowest)[0]
        canvas[flat] = composite_pixels(flat, width, under, layers, frames.palette)
    changed = [inner(canvas2d[r[1] : r[3], r[0] : r[2]] != old, r[0], r[1]) for r, old in before]
    changed.append(bounds(both[canvas[both] != before_pixels], width))
    return union(changed), (rects, pixels)


def packed(static: list[tuple[float, int, Sprite | None]]) -> dict[int, np.ndarray]:
    """The static solid sprites' colour << 16 | alpha << 8 (the packed half of a compose key),
    by id of their colour array: drawn again over small rectangles every frame, they are
    painted many times, and packing was a third of each paint. Kept by the backend, not on
    the shared sprites (a planar figure's memory stays as it was)."""
    return {
        id(s.colour): s.packed(s.colour, s.alpha)
        for _, _, s in static
        if s is not None and s.sparse is None
    }


def gather(boxes: list[Rect], static: np.ndarray) -> list[Rect]:
    """The rectangles to draw again for sprites of these ``boxes`` (clipped to the canvas):
    overlapping ones joined, then any two joined while that costs less, counting the
    ``static`` boxes (n, 4) above the moving ones that each would draw again."""
    rects = _joined(list(boxes))
    while len(rects) > 1:
        costs = [_cost(r, static) for r in rects]
        best = None
        for i in range(len(rects)):
            for j in range(i + 1, len(rects)):
                both = union([rects[i], rects[j]])
                saved = costs[i] + costs[j] - _cost(both, static)
                if saved >= 0 and (best is None or saved > best[0]):
                    best = (saved, i, j, both)
        if best is None:
            break
        _, i, j, both = best
        rects = _joined([both, *(r for k, r in enumerate(rects) if k not in (i, j))])
    return rects


def _joined(rects: list[Rect]) -> list[Rect]:
    """Overlapping rectangles joined until none overlap (a pixel is drawn once)."""
    joined = True
    while joined:
        joined = False
        for i in range(len(rects)):
            for j in range(i + 1, len(rects)):
                if meets(rects[i], rects[j]):
                    rects[i] = union([rects[i], rects[j]])
                    del rects[j]
                    joined = True
                    break
            if joined:
                break
    return rects


def _cost(rect: Rect, static: np.ndarray) -> int:
    x0, y0, x1, y1 = rect
    if len(static):
        w = np.minimum(static[:, 2], x1) - np.maximum(static[:, 0], x0)
        h = np.minimum(static[:, 3], y1) - np.maximum(static[:, 1], y0)
        meet = (w > 0) & (h > 0)
        painted = int((w[meet] * h[meet]).sum()) + _CALL * int(meet.sum())
    else:
        painted = 0
    return _REGION + 2 * (x1 - x0) * (y1 - y0) + painted


def is_solid(sprite: Sprite) -> bool:
    """Drawn as a rectangle (else pixel by pixel where no rectangle covers it)."""
    if sprite.sparse is None:
        return True
    height, width = sprite.alpha.shape
    return height * width <= _SOLID


def groups(thin: list[tuple[float, Sprite]]) -> list[tuple[float, list[Sprite]]]:
    """Thin sprites whose boxes overlap, together, each group with its lowest depth (``thin``
    in drawing order)."""
    found: list[tuple[Rect, float, list[Sprite]]] = []
    for depth, sprite in thin:
        box = sprite.box()
        meeting = [g for g in found if meets(g[0], box)]
        for g in meeting:
            found.remove(g)
            box = union([box, g[0]])
        lowest = min([depth, *(g[1] for g in meeting)])
        members = [s for g in meeting for s in g[2]] + [sprite]
        found.append((box, lowest, members))
    return [(lowest, members) for _, lowest, members in found]


def outside(sprites: list[Sprite], rects: list[Rect], width: int, height: int) -> np.ndarray:
    """Flat canvas indices of the drawn pixels of ``sprites`` (sparse ones) in no rectangle,
    each once, sorted."""
    found = []
    for sprite in sprites:
        assert sprite.sparse is not None
        rows, cols, _ = sprite.sparse
        y, x = rows + sprite.y, cols + sprite.x
        box = sprite.box()
        keep = None
        if not (box[0] >= 0 and box[1] >= 0 and box[2] <= width and box[3] <= height):
            keep = (y >= 0) & (y < height) & (x >= 0) & (x < width)
        for x0, y0, x1, y1 in rects:
            if meets(box, (x0, y0, x1, y1)):  # pixels of the sprite outside this one
                out = (x < x0) | (x >= x1) | (y < y0) | (y >= y1)
                keep = out if keep is None else keep & out
        if keep is not None:
            y, x = y[keep], x[keep]
        found.append(y * width + x)
    flat = np.concatenate(found) if found else np.zeros(0, np.intp)
    return np.unique(flat) if len(sprites) > 1 else flat


def composite_pixels(
    flat: np.ndarray,
    width: int,
    under: np.ndarray,
    layers: list[Layer],
    palette: Palette,
) -> np.ndarray:
    """The indices at canvas pixels ``flat``: ``under`` there (the background below every
    layer), then each of ``layers`` in order where it covers them."""
    value = under.ravel()[flat]
    rows, cols = np.divmod(flat, width)
    for *_, sprite in layers:
        sx0, sy0, sx1, sy1 = sprite.box()
        inside = np.flatnonzero((cols >= sx0) & (cols < sx1) & (rows >= sy0) & (rows < sy1))
        if len(inside) == 0:
            continue
        local = (rows[inside] - sy0) * (sx1 - sx0) + (cols[inside] - sx0)
        alpha = sprite.alpha.ravel()[local]
        on = alpha > 0
        inside, local, alpha = inside[on], local[on], alpha[on]
        packed = sprite.packed(sprite.colour.ravel()[local], alpha)
        value[inside] = sprite.composer(palette)(packed | value[inside])
    return value


def bounds(flat: np.ndarray, width: int) -> Rect | None:
    """The rectangle around canvas pixels ``flat``."""
    if len(flat) == 0:
        return None
    rows, cols = np.divmod(flat, width)
    return (int(cols.min()), int(rows.min()), int(cols.max()) + 1, int(rows.max()) + 1)
