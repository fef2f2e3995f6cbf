"""Compositing in palette-index space, for the raster backend (``convanim.backends.raster``).

``Palette`` holds a figure's colours and one table: (colour index, alpha, index under) -> the
index after, i.e. the palette colour nearest to that colour blended over that one, worked out
the first time a combination is met. ``Sprite`` is a primitive drawn once: a palette index and
a coverage per pixel, at a whole-pixel offset. The rectangle helpers (``clip``, ``meets``,
``inner``) are shared by the backend and its patch drawing. numpy only.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from convanim.backends.palette import MAX_COLOURS, distinct, over

Rect = tuple[int, int, int, int]  # x0, y0, x1, y1 (exclusive)
_TOKENS = itertools.count()


class Palette:
    """The figure's colours and the table that composites over them.

    With a palette known in advance (``convanim.backends.palette.palette_of``) every blend
    snaps to its nearest entry, exactly as the matplotlib backend's frames do. A figure with
    too many flat colours for that (a channel figure's tints) starts from its flat colours and
    adds each blend it meets while there is room, then snaps to the nearest.

    The table maps (colour index, alpha, index under) to the index after; it is 16 MiB of
    lazily zeroed memory holding ``index + 1`` (0: not worked out yet), so only the pages of
    combinations a figure meets are ever touched.
    """

    def __init__(self, colours: np.ndarray, fixed: bool, clear: int | None = None) -> None:
        self.rgb = np.zeros((MAX_COLOURS + 1, 3), np.uint8)
        self.rgb[: len(colours)] = colours
        self.count = len(colours)
        self.fixed = fixed
        self.clear = clear  # the index of the transparent background, if any
        self._index: dict[tuple[int, int, int], int] = {}
        for n, c in enumerate(colours):
            if n != clear:
                self._index.setdefault((int(c[0]), int(c[1]), int(c[2])), n)
        self._table = np.zeros(1 << 24, np.uint8)
        self._words: np.ndarray | None = None
        self._words_count = 0
        self.token = next(_TOKENS)  # names this palette in the sprite cache

    def words(self) -> np.ndarray:
        """(256,) uint32: each entry's RGB as the bytes of one word (alpha byte 255)."""
        if self._words is None or self._words_count != self.count:
            rgba = np.full((256, 4), 255, np.uint8)
            rgba[:, :3] = self.rgb
            self._words, self._words_count = rgba.view(np.uint32).ravel(), self.count
        return self._words

    def colours(self) -> np.ndarray:
        """(n, 3) uint8: the entries in use."""
        return self.rgb[: self.count].copy()

    def snap(self, rgb: np.ndarray) -> np.ndarray:
        """Palette indices of (..., 3) colours: exact where the palette has them, else a new
        entry (while there is room, for a palette not fixed) or the nearest one."""
        flat = rgb.reshape(-1, 3).astype(np.uint32)
        packed = flat[:, 0] << 16 | flat[:, 1] << 8 | flat[:, 2]
        keys, inverse = distinct(packed)
        if self.fixed:
            # Nearest entry of a palette that never grows: one distance table for all.
            wanted = np.stack([keys >> 16, (keys >> 8) & 255, keys & 255], axis=1)
            pal = self.rgb[: self.count].astype(np.int32)
            distance = ((wanted[:, None, :].astype(np.int32) - pal[None]) ** 2).sum(axis=2)
            if self.clear is not None:
                distance[:, self.clear] = 1 << 30  # never snap a colour to "transparent"
            found = distance.argmin(axis=1).astype(np.uint8)
        else:
            found = self._entries(keys)
        return found[inverse.ravel()].reshape(rgb.shape[:-1])

    def _entries(self, keys: np.ndarray) -> np.ndarray:
        """``_entry`` of each packed colour, in order; the nearest entries of the colours that
        find no room are looked up together (a channel figure meets hundreds at once)."""
        found = np.zeros(len(keys), np.uint8)
        later: list[int] = []
        for n, key in enumerate(keys.tolist()):
            rgb = (key >> 16, (key >> 8) & 255, key & 255)
            hit = self._index.get(rgb)
            if hit is None and not self.fixed and self.count < MAX_COLOURS:
                hit = self._entry(rgb)
            if hit is None:
                later.append(n)
            else:
                found[n] = hit
        if later:
            # Once full the palette no longer changes, so all of them see the same entries.
            wanted = keys[later].astype(np.int64)
            rgb = np.stack([wanted >> 16, (wanted >> 8) & 255, wanted & 255], axis=1)
            nearest = self._nearest(rgb)
            found[later] = nearest
            for colour, index in zip(map(tuple, rgb.tolist()), nearest.tolist()):
                self._index[colour] = index  # type: ignore[index]
        return found

    def compose_keys(self, key: np.ndarray) -> np.ndarray:
        """Palette indices of packed keys ``colour << 16 | alpha << 8 | under``: that colour
        at that alpha over that index, blended as Agg blends (``over``), then snapped."""
        out = self._table[key]
        unknown = out == 0
        if unknown.any():
            todo = _distinct_keys(key[unknown])
            c, a, u = todo >> 16, (todo >> 8) & 255, todo & 255
            blended = over(self.rgb[u], self.rgb[c], a)
            result = self.snap(blended[None])[0]
            if self.clear is not None:
                # Over nothing, a colour is itself (its coverage goes to the alpha plane).
                bare = u == self.clear
                result[bare] = np.where(a[bare] > 0, c[bare], self.clear)
            self._table[todo] = result + 1
            out = self._table[key]
        return out - 1

    def _entry(self, rgb: tuple[int, ...]) -> int:
        found = self._index.get(rgb)  # type: ignore[call-overload]
        if found is not None:
            return found
        if not self.fixed and self.count < MAX_COLOURS:
            self.rgb[self.count] = rgb
            self._index[rgb] = self.count  # type: ignore[index]
            self.count += 1
            return self.count - 1
        nearest = int(self._nearest(np.array([rgb], np.int64))[0])
        self._index[rgb] = nearest  # type: ignore[index]
        return nearest

    def _nearest(self, rgb: np.ndarray) -> np.ndarray:
        """The entry nearest to each of (n, 3) colours, never the transparent one."""
        pal = self.rgb[: self.count].astype(np.int64)
        if self.clear is not None:
            pal[self.clear] = 1 << 20  # never snap a colour to "transparent"
        return ((rgb[:, None, :] - pal[None]) ** 2).sum(axis=2).argmin(axis=1)


def cover(strength: np.ndarray | int, level: np.ndarray | int) -> np.ndarray:
    """A colour's alpha (of 255) times a coverage (of 255), as Agg multiplies 8-bit values."""
    t = np.asarray(strength, np.int64) * np.asarray(level, np.int64) + 128
    return ((t >> 8) + t) >> 8


def _distinct_keys(keys: np.ndarray) -> np.ndarray:
    """The distinct packed keys, sorted. A sprite is mostly one colour over a few: then only
    the (alpha, under) halves differ, and 65,536 flags tell them apart without sorting."""
    colour = int(keys[0]) >> 16
    if ((keys >> 16) == colour).all():
        return (colour << 16) | distinct(keys & 0xFFFF, below=1 << 16)[0]
    return distinct(keys)[0]


class Playback:
    """What a backend of index frames plays from its own ``index_frame(i)`` (indices and the
    rectangle that changed since the frame drawn before), ``restart()``, ``rgb(indices)``,
    ``size`` and ``n_frames``: every frame in order, as indices or as colours."""

    size: tuple[int, int]
    n_frames: int

    def index_frame(self, index: int) -> tuple[np.ndarray, Rect | None]:
        raise NotImplementedError

    def restart(self) -> None:
        raise NotImplementedError

    def rgb(self, indices: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def index_frames(self) -> Iterator[tuple[np.ndarray, Rect | None]]:
        """Every frame as (indices, changed rectangle); the first frame's rectangle is the
        whole canvas. The index image is the backend's canvas, overwritten by the next."""
        self.restart()
        for index in range(self.n_frames):
            indices, rect = self.index_frame(index)
            yield indices, ((0, 0, *self.size) if index == 0 else rect)

    def frame(self, index: int) -> np.ndarray:
        """Frame ``index`` as (H, W, 3) uint8, or (H, W, 4) when transparent."""
        indices, _ = self.index_frame(index)
        return self.rgb(indices)

    def frames(self) -> Iterator[np.ndarray]:
        self.restart()
        for index in range(self.n_frames):
            yield self.frame(index)


@dataclass(frozen=True, eq=False)
class Sprite:
    """A primitive drawn: palette indices and coverage (uint8), top-left pixel at (x, y)."""

    colour: np.ndarray
    alpha: np.ndarray
    x: int
    y: int
    # A mostly empty sprite (a ray's box) also lists its drawn pixels: (rows, cols, and
    # colour << 16 | alpha << 8 of each), so painting it costs those pixels, not its box.
    sparse: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
    # A primitive of several layers (``convanim.backends._chain``): ``colour`` holds each
    # pixel's state, the packed half of its compose key is ``state << 8``, and the chain
    # composes it.
    chain: Any = None

    def box(self) -> Rect:
        height, width = self.alpha.shape
        return (self.x, self.y, self.x + width, self.y + height)

    def moved(self, dx: int, dy: int) -> Sprite:
        return Sprite(self.colour, self.alpha, self.x + dx, self.y + dy, self.sparse, self.chain)

    def packed(self, colour: np.ndarray, alpha: np.ndarray) -> np.ndarray:
        """The packed half of compose keys for pixels of this sprite's ``colour`` and
        ``alpha``: ``colour << 16 | alpha << 8``, or a chain's ``state << 8``."""
        if self.chain is not None:
            return colour.astype(np.int32) << 8
        return (colour.astype(np.int32) << 16) | (alpha.astype(np.int32) << 8)

    def composer(self, palette: Palette) -> Callable[[np.ndarray], np.ndarray]:
        """What turns this sprite's full compose keys into palette indices."""
        return palette.compose_keys if self.chain is None else self.chain.compose_keys


def _sprite(
    colour: np.ndarray,
    alpha: np.ndarray,
    x: int,
    y: int,
    pixels: tuple[np.ndarray, np.ndarray] | None = None,
    chain: Any = None,
) -> Sprite:
    """A sprite, with its drawn pixels listed if they are few (``pixels``: where ``alpha`` is
    not 0, when the caller knows)."""
    rows, cols = np.nonzero(alpha) if pixels is None else pixels
    made = Sprite(colour, alpha, x, y, None, chain)
    if len(rows) < alpha.size // 3:
        packed = made.packed(colour[rows, cols], alpha[rows, cols])
        made = Sprite(
            colour, alpha, x, y, (rows.astype(np.intp), cols.astype(np.intp), packed), chain
        )
    return made


# -- rectangles (x0, y0, x1, y1, exclusive) -----------------------------------------------------


def clip(box: Rect | None, size: tuple[int, int]) -> Rect | None:
    """``box`` inside a canvas of ``size`` (width, height); None if nothing is left."""
    if box is None:
        return None
    x0, y0 = max(box[0], 0), max(box[1], 0)
    x1, y1 = min(box[2], size[0]), min(box[3], size[1])
    return (x0, y0, x1, y1) if x0 < x1 and y0 < y1 else None


def meets(box: Rect | None, region: Rect) -> bool:
    """Whether ``box`` and ``region`` share a pixel."""
    if box is None:
        return False
    return box[0] < region[2] and region[0] < box[2] and box[1] < region[3] and region[1] < box[3]


def inner(changed: np.ndarray, dx: int, dy: int) -> Rect | None:
    """The box around the True pixels of ``changed``, whose top-left pixel is at (dx, dy)."""
    rows = np.flatnonzero(changed.any(axis=1))
    if len(rows) == 0:
        return None
    cols = np.flatnonzero(changed[rows[0] : rows[-1] + 1].any(axis=0))
    return (dx + int(cols[0]), dy + int(rows[0]), dx + int(cols[-1]) + 1, dy + int(rows[-1]) + 1)
