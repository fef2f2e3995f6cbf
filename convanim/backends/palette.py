"""A figure's palette: the theme's flat colours and a few antialiasing steps between them.

matplotlib antialiases every oblique edge, which leaves thousands of slightly different colours
in a frame; a GIF holds 256. Rather than let the encoder guess (and shift the flat colours),
the renderer snaps every pixel to a palette it knows in advance: each flat colour exactly, and
for each pair of flat colours a few evenly spaced blends, so edges stay smooth with a handful of
coverage steps. The frames then use at most ``MAX_COLOURS`` colours, exactly what the GIF stores.
numpy only.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from convanim.backends import opacity, resolve
from convanim.model.themes import Theme
from convanim.scene.display import Picture

MAX_COLOURS = 255  # one GIF palette entry stays free for the writer's "unchanged" index
_UNKNOWN = 255
_DENSE = 1 << 22  # largest bound ``distinct`` counts values below with a table
_MAX_SNAPPED = 48  # flat colours beyond which snapping would leave edges no blends
_SAME = 3  # blends this close (of 255, in every channel) to a kept colour are left out


def distinct(values: np.ndarray, below: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The sorted distinct values of a 1-d integer array and, per value, its place among them:
    ``np.unique(values, return_inverse=True)``, which imports ``numpy.ma`` (20 ms of a short
    run's start) to ask whether its input is masked. Values known to lie ``below`` a small
    bound are told apart by a table of flags, in one pass, rather than by sorting."""
    if values.size == 0:
        return values.copy(), np.zeros(0, np.intp)
    if below is not None and below <= _DENSE:
        present = np.zeros(below, bool)
        present[values] = True
        found = np.flatnonzero(present)
        rank = np.zeros(below, np.intp)
        rank[found] = np.arange(len(found))
        return found, rank[values]
    order = np.argsort(values, kind="stable")
    ranked = values[order]
    first = np.empty(len(ranked), bool)
    first[0] = True
    np.not_equal(ranked[1:], ranked[:-1], out=first[1:])
    inverse = np.empty(len(values), np.intp)
    inverse[order] = np.cumsum(first) - 1
    return ranked[first], inverse


def agg_byte(share: float) -> int:
    """A share (0 to 1) as the byte Agg makes of it: rounded half up, not to even."""
    return int(share * 255 + 0.5)


def over(under: np.ndarray, colour: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """(n, 3) ``colour`` at ``alpha`` (of 255) over opaque ``under``, as Agg blends one
    8-bit pixel (matplotlib's plain-alpha blender): the same integers, rounded down; fully
    opaque, the colour itself (Agg copies it)."""
    p = under.astype(np.int64) * 255
    a = np.asarray(alpha, np.int64)[:, None]
    out = ((colour.astype(np.int64) * 256 - p) * a + p * 256) // (a + 65280)
    return np.where(a == 255, colour, out).astype(np.uint8)


def composite(under: Sequence[int], top: Sequence[int], alpha: float) -> tuple[int, int, int]:
    """``top`` at ``alpha`` on opaque ``under`` (``over``, for one colour)."""
    r, g, b = over(np.array([under]), np.array([top]), np.array([agg_byte(alpha)]))[0]
    return (int(r), int(g), int(b))


def blend_palette(flat: Sequence[Sequence[int]], steps: int = 3) -> np.ndarray:
    """The flat colours (deduplicated, in order) then ``steps`` blends of every pair, fewer
    steps if that would not fit in ``MAX_COLOURS``. Returns (n, 3) uint8."""
    base = tuple(dict.fromkeys((int(c[0]), int(c[1]), int(c[2])) for c in flat))
    if len(base) > MAX_COLOURS:
        raise ValueError(f"{len(base)} flat colours do not fit in a GIF palette")
    return _blends(base, steps).copy()


@lru_cache(maxsize=64)
def _blends(base: tuple[tuple[int, int, int], ...], steps: int) -> np.ndarray:
    # Remembered: every figure of a theme asks for nearly the same few palettes.
    flat = np.array(base, np.float64).reshape(-1, 3)
    first, second = np.triu_indices(len(flat), 1)  # every pair, in order
    while True:
        t = (np.arange(1, steps + 1) / (steps + 1))[None, :, None]
        a, b = flat[first][:, None], flat[second][:, None]
        blends = np.round(a * (1 - t) + b * t).reshape(-1, 3)  # half to even, as round()
        colours = np.concatenate([flat, _distinguishable(flat, blends)]).astype(np.uint8)
        if len(colours) <= MAX_COLOURS or steps == 0:
            return colours[:MAX_COLOURS]
        steps -= 1


def _distinguishable(flat: np.ndarray, blends: np.ndarray) -> np.ndarray:
    """The blends, in order, less each within ``_SAME`` in every channel of a flat colour or
    of an earlier blend: two dark outline blends one level apart look the same, and a pixel
    choosing between them only adds noise to a GIF (1.3% of the reference figures' bytes)."""
    if len(blends) == 0:
        return blends
    spread = blends.astype(np.int16)
    near_flat = np.abs(spread[:, None] - flat[None].astype(np.int16)).max(axis=2) <= _SAME
    near = np.abs(spread[:, None] - spread[None]).max(axis=2) <= _SAME
    earlier = np.tril(near, k=-1).any(axis=1)
    return blends[~near_flat.any(axis=1) & ~earlier]


def palette_of(picture: Picture, theme: Theme) -> np.ndarray | None:
    """The flat colours the picture uses, each translucent one composited over every flat
    one, and a few blends between them; None when there are too many to keep blends (a
    channel figure's tints), and the writer quantises instead."""
    flat: list[tuple[int, int, int]] = []
    under: list[tuple[int, int, int]] = []  # flat colours a translucent one may lie over
    translucent: list[tuple[tuple[int, int, int], float]] = []
    for fill, alpha in picture.colours():
        seen = alpha * opacity(theme, fill)
        if seen >= 1:
            flat.append(resolve(theme, fill))
            if isinstance(fill, str):  # a paint or an ink is already what it shows
                under.append(flat[-1])
        else:
            translucent.append((resolve(theme, fill), seen))
    over = [composite(c, t, a) for t, a in translucent for c in under]
    colours = list(dict.fromkeys(flat + over))
    n = len(colours)
    if n > _MAX_SNAPPED or n + n * (n - 1) // 2 > MAX_COLOURS:
        return None  # not even one blend per pair would fit: edges would snap to flat colours
    return blend_palette(colours)


class Snapper:
    """Maps frames onto a fixed palette, nearest colour per pixel, remembering every answer.

    A 2**24-entry table (16 MiB) caches the nearest palette index of each colour met, so a
    frame costs a few array passes however many frames came before.
    """

    def __init__(self, palette: np.ndarray) -> None:
        if len(palette) > MAX_COLOURS:
            raise ValueError("palette too large")
        self.palette = palette
        self._lut = np.full(1 << 24, _UNKNOWN, dtype=np.uint8)
        self._lut[_key(palette)] = np.arange(len(palette), dtype=np.uint8)
        self._pal = palette.astype(np.int32)
        # Palette colours as RGBA words, so a frame is rebuilt with one gather.
        rgba = np.concatenate([palette, np.full((len(palette), 1), 255, np.uint8)], axis=1)
        self._words = np.ascontiguousarray(rgba).view(np.uint32).ravel()

    def indices(self, frame: np.ndarray) -> np.ndarray:
        """(H, W) palette indices of an (H, W, 3 or 4) uint8 frame (alpha is ignored)."""
        key = _key(frame)
        index = self._lut[key]
        unknown = index == _UNKNOWN
        if unknown.any():
            keys, _ = distinct(key[unknown])
            rgb = np.stack([keys & 255, (keys >> 8) & 255, (keys >> 16) & 255], axis=1)
            dist = ((rgb[:, None, :].astype(np.int32) - self._pal[None]) ** 2).sum(axis=2)
            self._lut[keys] = dist.argmin(axis=1).astype(np.uint8)
            index = self._lut[key]
        return index

    def __call__(self, frame: np.ndarray) -> np.ndarray:
        """The frame, (H, W, 3), with every pixel replaced by its nearest palette colour."""
        words = self._words[self.indices(frame)]
        return words.view(np.uint8).reshape(*words.shape, 4)[..., :3]


_SNAPPERS: dict[bytes, Snapper] = {}


def snapper(palette: np.ndarray) -> Snapper:
    """A shared Snapper per palette: its table is 16 MiB and learns with every frame."""
    key = palette.tobytes()
    if key not in _SNAPPERS:
        _SNAPPERS.clear()  # one palette at a time is the common case; keep memory bounded
        _SNAPPERS[key] = Snapper(palette)
    return _SNAPPERS[key]


def _key(pixels: np.ndarray) -> np.ndarray:
    """R + G << 8 + B << 16 of every pixel: the bytes of an RGBA word without its alpha."""
    pixels = np.asarray(pixels)
    if pixels.shape[-1] == 4 and pixels.strides[-1] == 1 and pixels.strides[-2] == 4:
        return pixels.view("<u4")[..., 0] & 0xFFFFFF
    return (
        pixels[..., 0].astype(np.uint32)
        | (pixels[..., 1].astype(np.uint32) << 8)
        | (pixels[..., 2].astype(np.uint32) << 16)
    )
