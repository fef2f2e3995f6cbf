"""The schematic view of a channel figure as a display list: blocks without cells, their sizes
written on them, one filter, the kernel at a few positions — for layers too big to draw cell by
cell (the blog's 200x200x50 -> 20 filters -> 200x200x20).

The footprint and the output column are prisms inside their blocks: their tops lie on the
block's top and show; a side shows only where it lies on the block's own outside (the first
column or the front row), never drawn over the block's front face or the words written on it.
numpy only.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from convanim.scene.channel_common import (
    BRIGHTNESS,
    LEFT,
    MARGIN,
    RIGHT,
    TEXT,
    Label,
    Sketch,
    Tints,
    lit_shaded,
    shaded,
)
from convanim.scene.channel_plan import ChannelFrame, ChannelScene
from convanim.scene.display import Ink, Paint, Picture, Polygons, Primitive, Segments, TextMetrics
from convanim.scene.planar_layout import LINE, THIN, UNIT
from convanim.scene.volume import EX, EY, Block
from convanim.scene.words import dims, filter_words, output_words
from convanim.scene.words import schematic_caption as _caption

_SIDE = 6  # grid units of a schematic block's longer side
_MIN = 0.7  # the narrowest footprint or output column drawn, in grid units
_MAX_BANDS = 48  # group bands on a schematic block, whose depth is at most 100 px
_SLOPE = float(np.degrees(np.arctan2(EX[1], EX[0])))  # of text along a block's right face
INPUT, INPUT_PRISM, FILTER, RAYS, OUTPUT, OUTPUT_PRISM, WORDS = 0, 0.5, 1, 2, 3, 3.5, 9


def picture(
    scene: ChannelScene, metrics: TextMetrics | None = None, font_scale: float = 1.0
) -> Picture:
    return _Schematic(scene, metrics or TextMetrics(), font_scale).picture()


class _Schematic:
    def __init__(self, scene: ChannelScene, metrics: TextMetrics, font_scale: float) -> None:
        self.scene = scene
        self.tints = Tints(scene)
        spec = scene.spec
        (h, w), (ho, wo) = scene.input_shape, scene.output_shape
        self.inp = self._block(h, w, spec.in_channels, (0, 0))
        lo, hi = self.inp.bounds()
        self.out = self._block(ho, wo, scene.out_channels, (-6, hi[1] + 2 * UNIT))
        olo, ohi = self.out.bounds()
        sketch = self.sketch = Sketch(metrics, font_scale)
        sketch.add(self.inp.corners())
        sketch.add(self.out.corners())
        self._written = [
            self._on_face(
                self.inp,
                f"input {dims(*spec.input_size, spec.in_channels)}",
                self.tints.input_hues[0],
            ),
            self._on_face(self.out, output_words(scene), self.tints.output_hues[0]),
        ]
        x = max(hi[0], ohi[0]) + 3 * MARGIN
        middle = (lo[1] + ohi[1]) / 2
        self.filter: Block | None = None
        if scene.has_filters:
            kh, kw, per = scene.filter_shape
            # One filter, drawn as big as the footprint and as deep as the channels it reads.
            depth = max(12.0, self.inp.height * per / spec.in_channels)
            rows = np.diff(_span(0, spec.effective_kernel[0], h, self.inp.rows))[0]
            cols = np.diff(_span(0, spec.effective_kernel[1], w, self.inp.cols))[0]
            self.filter = Block(rows, cols, 1, depth, (x + rows * -EY[0], 0))
            flo, fhi = self.filter.bounds()
            self.filter.origin = (self.filter.origin[0], middle - (flo[1] + fhi[1]) / 2)
            sketch.add(self.filter.corners())
            x = self.filter.bounds()[1][0] + 10
        for k, line in enumerate(filter_words(scene)):
            sketch.label(x, middle + 9 - 18 * k, line, ha="left")
        self.captions = [_caption(scene, state) for state in scene.frames()]
        self._caption = sketch.caption(self.captions)
        sketch.fit()

    @staticmethod
    def _block(rows: int, cols: int, channels: int, origin: Sequence[float]) -> Block:
        """Sides scaled so that the longer is _SIDE units; the depth grows with the channels,
        not to scale (the numbers written on the block are)."""
        scale = _SIDE / max(rows, cols)
        depth = float(min(100, max(30, round(1.8 * channels))))  # words on it stay legible
        return Block(rows * scale, cols * scale, 1, depth, origin)

    def _on_face(self, block: Block, words: str, hue: Paint) -> Label:
        """Words written along the block's right face, in an ink that reads on it."""
        x, y = block.point(block.cols / 2, 0, block.height / 2)
        size = min(TEXT, block.height * 0.45)
        ink = Ink(hue.lit(BRIGHTNESS[RIGHT]))
        return self.sketch.label(x, y, words, size=size, rotation=_SLOPE, role=ink)

    def picture(self) -> Picture:
        sketch, tints, scene = self.sketch, self.tints, self.scene
        static: list[Primitive] = []
        static += self._solid(self.inp, tints.input_hues, scene.input_groups, INPUT)
        static += self._solid(self.out, tints.output_hues, scene.output_groups, OUTPUT)
        if self.filter is not None:
            f = self.filter
            faces = f.solid((0, f.cols), (0, f.rows), (0, f.height))
            quads = sketch.canvas(np.array([q for q, _ in faces]))
            fills = tuple(tints.input_hues[0].lit(BRIGHTNESS[k]) for _, k in faces)
            static.append(Polygons(quads, fills, FILTER, edge="grid", width=LINE))
        moving_labels = (*self._written, self._caption)
        static += [sketch.text(lab, WORDS) for lab in sketch.labels if lab not in moving_labels]
        # The sizes are written over everything, so that a prism never hides them.
        static += [sketch.text(label, WORDS) for label in self._written]
        # The prisms' hues, by group; themes repeat their hues well within the first bands'
        # (every 6 or 7 groups), so thousands of groups add no more colours than 48 do.
        shown = [*tints.input_hues[:_MAX_BANDS], *tints.output_hues[:_MAX_BANDS]]
        return Picture(
            sketch.width, sketch.height, tuple(static), scene.n_frames, self._frame,
            roles=lit_shaded(shown),
        )  # fmt: skip

    def _solid(
        self, block: Block, hues: list[Paint], groups: np.ndarray, depth: float
    ) -> list[Primitive]:
        """A block's visible faces, the upright ones in bands, one per group, outlined only
        around the whole (many groups would otherwise be all lines)."""
        # A band per group, but no more than the block has pixels for (100 at most): a
        # depthwise layer of thousands of channels would otherwise be thousands of polygons.
        n = min(int(groups.max()) + 1, _MAX_BANDS)
        band = block.height / n
        quads, fills = [], []
        for g in range(n):
            z = (block.height - (g + 1) * band, block.height - g * band)
            for quad, kind in block.solid((0, block.cols), (0, block.rows), z)[:2]:
                quads.append(quad)
                fills.append(hues[g % len(hues)].lit(BRIGHTNESS[kind]))
        quads.append(block.top_face(0, 0, block.cols, block.rows, block.height))
        fills.append(hues[0])
        whole = block.solid((0, block.cols), (0, block.rows), (0, block.height))
        canvas = self.sketch.canvas
        return [
            Polygons(canvas(np.array(quads)), tuple(fills), depth),
            Polygons(
                canvas(np.array([q for q, _ in whole])), None, depth, edge="grid", width=LINE
            ),  # fmt: skip
        ]

    def _prism(
        self, block: Block, x: tuple[float, float], y: tuple[float, float], paint: Paint,
        depth: float,
    ) -> Polygons:  # fmt: skip
        """A column through the whole block: its top, and the sides that lie on the block's
        outside (the others are inside it, hidden)."""
        faces = [
            (quad, kind)
            for quad, kind in block.solid(x, y, (0, block.height))
            if not (kind == LEFT and x[0] > 0) and not (kind == RIGHT and y[0] > 0)
        ]
        quads = self.sketch.canvas(np.array([q for q, _ in faces]))
        fills = tuple(paint.lit(BRIGHTNESS[k]) for _, k in faces)
        return Polygons(quads, fills, depth, edge="grid", width=LINE)

    def _frame(self, index: int) -> tuple[Primitive, ...]:
        scene, tints, inp, out, sketch = self.scene, self.tints, self.inp, self.out, self.sketch
        state: ChannelFrame = scene.frame(index)
        (h, w), (ho, wo) = scene.input_shape, scene.output_shape
        r0, c0, r1, c1 = state.box
        ys = _span(h - r1, h - r0, h, inp.rows)
        xs = _span(c0, c1, w, inp.cols)
        group = int(scene.input_groups[state.in_channels[0]])
        moving: list[Primitive] = [
            self._prism(inp, xs, ys, shaded(tints.input_hues[group]), INPUT_PRISM)
        ]
        r, c = state.out
        oys = _span(ho - r - 1, ho - r, ho, out.rows)
        oxs = _span(c, c + 1, wo, out.cols)
        group = int(scene.output_groups[state.out_channels[0]])
        moving.append(self._prism(out, oxs, oys, shaded(tints.output_hues[group]), OUTPUT_PRISM))
        below = inp.top_face(xs[0], ys[0], xs[1], ys[1], inp.height)
        above = out.top_face(oxs[0], oys[0], oxs[1], oys[1], 0)
        rays = sketch.canvas(np.stack([below, above], axis=1))
        moving.append(Segments(rays, "projection", RAYS, THIN))
        moving.append(sketch.text(self._caption, WORDS, self.captions[index]))
        return tuple(moving)


def _span(start: int, stop: int, n: int, length: float) -> tuple[float, float]:
    """Cells start..stop of n mapped onto ``length`` units, at least _MIN wide."""
    a, b = start * length / n, stop * length / n
    if b - a < _MIN:
        middle = (a + b) / 2
        a = min(max(middle - _MIN / 2, 0.0), length - _MIN)
        b = a + _MIN
    return a, b
