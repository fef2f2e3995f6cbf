"""A primitive of several layers as one sprite that blends each layer as Agg does, for the raster
backend (``convanim.backends.raster``).

A collection of cells is drawn by matplotlib cell by cell: a fill, an outline, the next fill,
each blended over the pixel in 8-bit integers, and the result snapped to the palette once.
Flattening the layers into one colour and one coverage first, and blending that, rounds twice
and lands on a neighbouring palette entry wherever layers overlap at the edges. Here a pixel
keeps the number of its *state*: which coverage of which layer it met, in order (a figure's
shapes have few combinations: inside, outside, a few edge steps). Painting the sprite over an
index looks (state, index under) up in a table worked out the first time a pair is met: the
layers blended one by one over that colour with Agg's arithmetic, then snapped. numpy only.
"""

from __future__ import annotations

import numpy as np

from convanim.backends._composite import Palette, Rect, cover, over
from convanim.backends.palette import distinct

# A chain with more (state, index) pairs than this finds those it meets by sorting them.
_TABLE_FLAGS = 1 << 20


class Chain:
    """The states of a layered sprite and the table that paints them over any palette index.

    State 0 is "nothing drawn"; state ``s`` is state ``parent[s]`` with one more layer, of
    colour ``rgb[s]`` at Agg alpha ``alpha[s]`` (of 255). ``bare[s]`` is the state's colour
    over nothing (premultiplied, then snapped): what it paints over a transparent background
    (worked out only for a palette that has one).
    """

    def __init__(self, palette: Palette) -> None:
        self.palette = palette
        self.count = 1
        # Layers as added: (first new state, parents, colour, Agg alphas).
        self._batches: list[tuple[int, np.ndarray, np.ndarray, np.ndarray]] = []
        self.parent = np.zeros(1, np.int64)
        self.rgb = np.zeros((1, 3), np.uint8)
        self.alpha = np.zeros(1, np.int64)
        self.bare = np.zeros(1, np.uint8)
        self._path = np.zeros((1, 0), np.int64)  # each state's steps from state 0, in order
        self._table: np.ndarray | None = None

    def states(self, before: np.ndarray, rgb: np.ndarray, alpha: np.ndarray) -> np.ndarray:
        """New states, each of ``before`` with one more layer of colour ``rgb`` (n, 3) at Agg
        alpha ``alpha`` (of 255); their numbers."""
        first = self.count
        self._batches.append((first, before, rgb, alpha))
        self.count += len(before)
        return np.arange(first, self.count)

    def finish(self) -> np.ndarray:
        """Build the states' arrays once every layer is drawn; each state's coverage over
        nothing (uint8), which also sets ``bare``."""
        n = self.count
        self.parent = np.zeros(n, np.int64)
        self.rgb = np.zeros((n, 3), np.uint8)
        self.alpha = np.zeros(n, np.int64)
        depth = np.zeros(n, np.int64)
        # The colour over nothing (premultiplied) only for a transparent background: see below.
        bare = self.palette.clear is not None
        paint = np.zeros((n, 3) if bare else (1, 3), np.float32)
        seen = np.zeros(n, np.float32)
        for start, before, rgb, alpha in self._batches:
            new = slice(start, start + len(before))
            self.parent[new], self.rgb[new], self.alpha[new] = before, rgb, alpha
            depth[new] = depth[before] + 1
            a = alpha.astype(np.float32) / 255
            seen[new] = seen[before] * (1 - a) + a
            if bare:
                paint[new] = paint[before] * (1 - a[:, None]) + rgb * a[:, None]
        self._path = np.zeros((n, int(depth.max()) if n > 1 else 0), np.int64)
        for start, before, _, _ in self._batches:
            new = np.arange(start, start + len(before))
            self._path[new] = self._path[before]
            self._path[new, depth[new] - 1] = new
        self._batches = []
        coverage = np.round(seen * 255).astype(np.uint8)
        drawn = coverage > 0
        # A state that covers nothing leaves a transparent pixel as it was: were it index 0,
        # the next colour drawn there would blend with entry 0 as if it were opaque.
        clear = self.palette.clear
        self.bare = np.full(n, clear if clear is not None else 0, np.uint8)
        # Only a transparent background needs them: snapped into a palette that grows, they
        # would take entries no opaque frame shows.
        if drawn.any() and bare:
            plain = np.round(paint[drawn] / seen[drawn][:, None]).clip(0, 255)
            self.bare[drawn] = self.palette.snap(plain.astype(np.uint8))
        return coverage

    def compose_keys(self, key: np.ndarray) -> np.ndarray:
        """Palette indices of packed keys ``state << 8 | index under``."""
        if self._table is None:
            self._table = np.zeros(self.count << 8, np.uint8)
        out = self._table[key]
        unknown = out == 0
        if unknown.any():
            small = len(self._table) <= _TABLE_FLAGS  # told apart by a table of flags
            todo = distinct(key[unknown], below=len(self._table) if small else None)[0]
            state, under = todo >> 8, todo & 255
            pixel = self.palette.rgb[under]
            for step in self._path[state].T:
                drawn = step > 0
                if drawn.any():
                    s = step[drawn]
                    pixel[drawn] = over(pixel[drawn], self.rgb[s], self.alpha[s])
            result = self.palette.snap(pixel[None])[0]
            clear = self.palette.clear
            if clear is not None:
                bare = under == clear
                result[bare] = self.bare[state[bare]]
            self._table[todo] = result + 1
            out = self._table[key]
        return out - 1

    def nbytes(self) -> int:
        table = 0 if self._table is None else self._table.nbytes
        return table + self._path.nbytes + 40 * self.count


def chained(
    layers: list[tuple[np.ndarray, int, np.ndarray, Rect]], box: Rect, palette: Palette
) -> tuple[np.ndarray, np.ndarray, Chain]:
    """Layers (colour, its own alpha of 255, coverage mask, the mask's box) as a chain: each
    pixel's state over ``box``, its coverage over nothing, and the chain that paints them.

    Every (pixel, layer, coverage) the layers draw is listed. A pixel only one layer reaches
    (most: a cell's inside) takes the state of that layer's colour and coverage. The others'
    lists are sorted by pixel, then layer — a pixel's run is the layers it meets in order —
    and states are made a step at a time: the first layer of every run, the second, ...,
    as the distinct (state so far, colour, coverage) met at that step. So a grid of a
    hundred cells takes a few steps (as many layers as overlap at one pixel), not one per
    layer, and memory in proportion to the box."""
    x0, y0, x1, y1 = box
    width, area = x1 - x0, (x1 - x0) * (y1 - y0)
    chain = Chain(palette)
    colours: dict[tuple[bytes, int], int] = {}  # (colour, alpha) -> its number
    flat, level, shift, paint, count = [], [], [], [], []
    drawn: dict[int, tuple[np.ndarray, np.ndarray]] = {}  # equal cells share one mask
    for rgb, strength, mask, (lx0, ly0, _, _) in layers:
        if id(mask) not in drawn:
            rows, cols = np.nonzero(mask)
            drawn[id(mask)] = ((rows * width + cols).astype(np.int32), mask[rows, cols])
        at, levels_here = drawn[id(mask)]
        flat.append(at)
        level.append(levels_here)
        shift.append((ly0 - y0) * width + lx0 - x0)
        paint.append(colours.setdefault((rgb.tobytes(), strength), len(colours)))
        count.append(len(at))
    kinds = len(colours)
    rgbs = np.array([np.frombuffer(c, np.uint8) for c, _ in colours], np.uint8).reshape(-1, 3)
    strengths = np.array([strength for _, strength in colours], np.int64)

    def step(before: np.ndarray, paints: np.ndarray, levels: np.ndarray) -> np.ndarray:
        """The states after one more layer: per (state so far, colour, coverage) met."""
        key = (before.astype(np.int64) * kinds + paints) * 256 + levels
        bound = chain.count * kinds * 256  # keys lie below it: if many, a table tells them apart
        combos, inverse = distinct(key, bound if bound <= 4 * len(key) else None)
        which, met = (combos >> 8) % kinds, combos & 255
        made = chain.states(combos // (256 * kinds), rgbs[which], cover(strengths[which], met))
        return made[inverse].astype(np.int32)

    image = np.zeros(area, np.int32)
    if flat:
        every = np.concatenate(flat) + np.repeat(np.array(shift, np.int32), count)
        levels = np.concatenate(level)
        paints = np.repeat(np.array(paint, np.uint16), count)
        layers_at = np.minimum(np.bincount(every, minlength=area), 2).astype(np.uint8)
        alone = layers_at[every] == 1
        del layers_at
        # Their states by (colour, coverage): a table of the few met, not a sort of them all.
        key = paints[alone].astype(np.int32) * 256 + levels[alone]
        met = np.zeros(kinds * 256, bool)
        met[key] = True
        combos = np.flatnonzero(met)
        states = np.zeros(kinds * 256, np.int32)
        states[combos] = step(np.zeros(len(combos), np.int32), combos >> 8, combos & 255)
        image[every[alone]] = states[key]
        del key
        many = np.flatnonzero(~alone).astype(np.int32)
        del alone
        order = many[np.argsort(every[many], kind="stable")]  # by pixel, then layer (as listed)
        del many
        pixels, levels, paints = every[order], levels[order], paints[order]
        del order, every
        count = len(pixels)
        first = np.ones(count, bool)  # a pixel's first layer
        np.not_equal(pixels[1:], pixels[:-1], out=first[1:])
        index = np.arange(count)
        place = index - np.maximum.accumulate(np.where(first, index, 0))  # in its run
        state = np.zeros(count, np.int32)
        for k in range(int(place.max()) + 1 if count else 0):
            at = np.flatnonzero(place == k)
            state[at] = step(state[at - 1] if k else state[at], paints[at], levels[at])
        last = np.ones(count, bool)  # a pixel's last layer gives its state
        last[:-1] = first[1:]
        image[pixels[last]] = state[last]
    image = image.reshape(y1 - y0, width)
    coverage = chain.finish()
    return image, coverage[image], chain
