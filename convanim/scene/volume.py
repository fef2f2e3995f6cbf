"""The volume view of a channel figure as a display list: the input as a block of
H x W x C_in cells, channel 0 on top; the output block above it; the filters beside them.

Each frame shows the kernel's k_h x k_w x (C_in / groups) footprint as a column inside the
input block, the output column it writes inside the output block, the projection lines between
them and, when the filters take turns, the filter in use.

Occlusion is decided here, by depth. Seen from the front left and above, a unit cube can hide
another only if it is nearer in every direction (its column no greater, its row and its height
no smaller), so the cubes of a block are drawn in layers of equal ``col - row + channel``,
farthest first, and no two cubes of one layer overlap on screen. The still block is its
outside faces, one primitive per layer; a highlighted cube is drawn just above its own layer,
so every nearer layer is drawn over it and only what is not hidden shows; a box wholly inside
its block is marked by its edges, dashed, as a drafter marks hidden lines. numpy only.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from convanim.ops.geometry import Role
from convanim.scene.channel_common import (
    BRIGHTNESS,
    LEFT,
    MARGIN,
    RIGHT,
    SMALL,
    TOP,
    Sketch,
    Tints,
    faded,
    lit_shaded,
    shaded,
)
from convanim.scene.channel_plan import ChannelFrame, ChannelScene, channel_depth
from convanim.scene.display import Paint, Picture, Polygons, Primitive, Segments, TextMetrics
from convanim.scene.planar_layout import LINE, THIN, UNIT
from convanim.scene.words import channel_caption as caption
from convanim.scene.words import filter_words, input_words, output_words

EX = np.array([UNIT, UNIT // 2], dtype=float)
EY = np.array([-2 * UNIT // 3, 2 * UNIT // 3], dtype=float)
_EX, _EY = (float(EX[0]), float(EX[1])), (float(EY[0]), float(EY[1]))
_DASH = (3 * LINE, 3 * LINE)
_THIN_DASH = (3 * THIN, 3 * THIN)

# Depth bands, back to front; a block's layers lie inside its band.
INPUT_BAND, INPUT_LID, FILTERS, FILTER_IN_USE, RAYS, OUTPUT_BAND, OUTPUT_LID, WORDS = (
    0.0, 1.0, 2.0, 2.5, 3.0, 4.0, 5.0, 9.0,
)  # fmt: skip

Face = tuple[np.ndarray, int, int, tuple[int, int]]  # quad, face kind, channel, (row, col)


class Block:
    """A block of rows x cols x depth cells in the oblique view (sketch pixels, y up), channel 0
    on top: x along the columns, y up the rows (row 0 at the back), z up in pixels, ``slab``
    pixels per channel. Schematic blocks have fractional sides."""

    def __init__(
        self, rows: float, cols: float, depth: int, slab: float, origin: Sequence[float]
    ) -> None:
        self.rows, self.cols, self.depth, self.slab = rows, cols, depth, slab
        self.origin = origin  # type: ignore[assignment]

    @property
    def origin(self) -> np.ndarray:
        """The sketch point of (0, 0, 0); read-only (move a block by setting it)."""
        return self._origin_array

    @origin.setter
    def origin(self, origin: Sequence[float]) -> None:
        self._origin_array = np.array(origin, dtype=float)
        self._origin_array.flags.writeable = False
        self._origin = (float(self._origin_array[0]), float(self._origin_array[1]))

    @property
    def height(self) -> float:
        return self.depth * self.slab

    def z(self, channel: int) -> float:
        """Height of the top of a channel's slab (the bottom of the next one)."""
        return (self.depth - channel) * self.slab

    def point(self, x: float, y: float, z: float) -> np.ndarray:
        return np.array(self._xy(x, y, z))

    def _xy(self, x: float, y: float, z: float) -> tuple[float, float]:
        """``point`` as two floats: the same operations as ``origin + x EX + y EY + (0, z)``
        on arrays, in Python floats (a frame's faces need hundreds of points, and one small
        array each cost more than the arithmetic)."""
        ox, oy = self._origin
        return (ox + x * _EX[0] + y * _EY[0] + 0.0, oy + x * _EX[1] + y * _EY[1] + z)

    def y_of(self, row: float) -> float:
        return self.rows - 1 - row

    def right_face(self, x0: float, x1: float, y: float, z0: float, z1: float) -> np.ndarray:
        """Upright, at plane-y ``y`` from x0 to x1: it faces the lower right."""
        p = self._xy
        return np.array([p(x0, y, z0), p(x1, y, z0), p(x1, y, z1), p(x0, y, z1)])

    def left_face(self, x: float, y0: float, y1: float, z0: float, z1: float) -> np.ndarray:
        """Upright, at plane-x ``x`` from y0 to y1: it faces the lower left."""
        p = self._xy
        return np.array([p(x, y0, z0), p(x, y1, z0), p(x, y1, z1), p(x, y0, z1)])

    def top_face(self, x0: float, y0: float, x1: float, y1: float, z: float) -> np.ndarray:
        p = self._xy
        return np.array([p(x0, y0, z), p(x1, y0, z), p(x1, y1, z), p(x0, y1, z)])

    def rect(self, r0: float, c0: float, r1: float, c1: float, z: float) -> np.ndarray:
        """Corners of rows r0..r1, cols c0..c1 at height z: top-left, top-right, bottom-right,
        bottom-left as seen on the flat grid."""
        return self.top_face(c0, self.rows - r0, c1, self.rows - r1, z)[[3, 2, 1, 0]]

    def corners(self) -> np.ndarray:
        xs, ys, zs = (0, self.cols), (0, self.rows), (0, self.height)
        return np.array([self.point(x, y, z) for x in xs for y in ys for z in zs])

    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        pts = self.corners()
        return pts.min(axis=0), pts.max(axis=0)

    def cube_faces(self, row: int, col: int, channel: int) -> list[Face]:
        """The three faces of one cell's cube that can face the viewer."""
        y = self.y_of(row)
        z0, z1 = self.z(channel + 1), self.z(channel)
        return [
            (self.left_face(col, y, y + 1, z0, z1), LEFT, channel, (row, col)),
            (self.right_face(col, col + 1, y, z0, z1), RIGHT, channel, (row, col)),
            (self.top_face(col, y, col + 1, y + 1, z1), TOP, channel, (row, col)),
        ]

    def outside(self) -> list[Face]:
        """The faces seen from outside: the front row's and the first column's upright faces and
        the top layer."""
        rows, cols = int(self.rows), int(self.cols)
        faces: list[Face] = []
        for channel in range(self.depth):
            z0, z1 = self.z(channel + 1), self.z(channel)
            for col in range(cols):
                quad = self.right_face(col, col + 1, 0, z0, z1)
                faces.append((quad, RIGHT, channel, (rows - 1, col)))
            for row in range(rows):
                y = self.y_of(row)
                faces.append((self.left_face(0, y, y + 1, z0, z1), LEFT, channel, (row, 0)))
        for row in range(rows):
            y = self.y_of(row)
            for col in range(cols):
                quad = self.top_face(col, y, col + 1, y + 1, self.z(0))
                faces.append((quad, TOP, 0, (row, col)))
        return faces

    def solid(self, x: tuple[float, float], y: tuple[float, float], z: tuple[float, float]):  # noqa: ANN201
        """The three visible faces of a box inside the block, as (quad, kind) pairs."""
        (x0, x1), (y0, y1), (z0, z1) = x, y, z
        return [
            (self.left_face(x0, y0, y1, z0, z1), LEFT),
            (self.right_face(x0, x1, y0, z0, z1), RIGHT),
            (self.top_face(x0, y0, x1, y1, z1), TOP),
        ]

    # -- depth order ---------------------------------------------------------------------------

    def farness(self, row: int, col: int, channel: int) -> int:
        """Larger is farther from the viewer; a cube only hides cubes of larger farness."""
        return col - row + channel

    def layer_depth(self, band: float, row: int, col: int, channel: int) -> float:
        """The depth of a cube's layer inside ``band`` (a unit interval), farther deeper; a
        highlighted cube goes half a step above its layer."""
        rows, cols = int(math.ceil(self.rows)), int(math.ceil(self.cols))
        span = rows + cols + self.depth  # farness runs from -(rows - 1) to cols - 1 + depth - 1
        far = self.farness(row, col, channel) + rows - 1
        return band + (span - far) / (span + 1)

    def half_step(self) -> float:
        rows, cols = int(math.ceil(self.rows)), int(math.ceil(self.cols))
        return 0.5 / (rows + cols + self.depth + 1)


def outside_faces(block: Block, band: float) -> list[tuple[Face, float]]:
    """A block's still faces, each with its depth (its layer's, inside ``band``)."""
    return [
        (face, block.layer_depth(band, row, col, channel))
        for face in block.outside()
        for _, _, channel, (row, col) in [face]
    ]


def column_faces(
    block: Block, band: float, cells: Sequence[tuple[int, int]], first: int, last: int
) -> list[tuple[Face, float]]:
    """The faces of the highlighted cubes (channels first..last at ``cells``), each half a
    step above its own layer, so that every nearer layer is drawn over it."""
    lift = block.half_step()
    return [
        (face, block.layer_depth(band, row, col, channel) + lift)
        for row, col in cells
        for channel in range(first, last + 1)
        for face in block.cube_faces(row, col, channel)
    ]


class VolumeView:
    """The volume view of a channel scene: ``picture()``, and the ``tints`` a sequence hands
    on to its next stage."""

    def __init__(
        self,
        scene: ChannelScene,
        metrics: TextMetrics,
        inputs: Sequence[Paint] | None,
        font_scale: float = 1.0,
    ) -> None:
        self.scene = scene
        self.tints = Tints(scene, inputs)
        (h, w), (ho, wo) = scene.input_shape, scene.output_shape
        slab = round(UNIT * channel_depth(scene.spec))
        self.inp = Block(h, w, scene.in_channels, slab, (0, 0))
        lo, hi = self.inp.bounds()
        # As in the reference, the output floats above the input, a little to the left.
        self.out = Block(ho, wo, scene.out_channels, slab, (-6, hi[1] + UNIT))
        sketch = self.sketch = Sketch(metrics, font_scale)
        for block in (self.inp, self.out):
            sketch.add(block.corners())
        self._channel_names()
        olo, ohi = self.out.bounds()
        sketch.label((lo[0] + hi[0]) / 2, lo[1] - 16, input_words(scene))
        sketch.label((olo[0] + ohi[0]) / 2, ohi[1] + 16, output_words(scene))
        right = sketch.extent()[1][0]
        self.filters = self._place_filters(right + 2 * MARGIN, lo[1], ohi[1])
        self._paints: dict[tuple, Paint] = {}
        self._in_use: dict[int, Polygons] = {}
        self.captions = [caption(scene, state) for state in scene.frames()]
        self._caption = sketch.caption(self.captions)
        sketch.fit()

    def _channel_names(self) -> None:
        """c0, c1, ... beside each block's slabs, where the slabs are thick enough to name."""
        for block in (self.inp, self.out):
            if block.slab < 12:
                continue
            for channel in range(block.depth):
                z = (block.z(channel) + block.z(channel + 1)) / 2
                x, y = block.point(block.cols, 0, z)
                self.sketch.label(x + 5, y, f"c{channel}", size=SMALL, ha="left")

    def _place_filters(self, x: float, y0: float, y1: float) -> list[tuple[int, Block]]:
        """The filters in rows of up to four, f0 first, centred on the blocks' height; as many
        as fit, the rest counted."""
        scene, sketch = self.scene, self.sketch
        words = filter_words(scene)
        if not scene.has_filters:
            for k, line in enumerate(words):
                sketch.label(x, (y0 + y1) / 2 - 18 * k, line, ha="left")
            return []
        kh, kw, per = scene.filter_shape
        lo, hi = Block(kh, kw, per, self.inp.slab, (0, 0)).bounds()
        cell_w, cell_h = hi[0] - lo[0] + MARGIN, hi[1] - lo[1] + 24
        n = scene.out_channels
        rows_fit = max(1, int((y1 - y0 - 18 * len(words)) // cell_h))
        columns = next((c for c in range(1, 5) if math.ceil(n / c) <= rows_fit), 4)
        shown = min(n, rows_fit * columns)
        rows = math.ceil(shown / columns)
        if shown < n:
            words = [*words, f"(f0-f{shown - 1} shown)"]
        # The bank and its words, centred on the middle of the blocks.
        top = (y0 + y1) / 2 + (rows * cell_h + 18 * len(words)) / 2
        placed = []
        for o in range(shown):
            row, col = divmod(o, columns)
            origin = (x - lo[0] + col * cell_w, top - (row + 1) * cell_h + 24 - lo[1])
            block = Block(kh, kw, per, self.inp.slab, origin)
            sketch.add(block.corners())
            blo, bhi = block.bounds()
            sketch.label((blo[0] + bhi[0]) / 2, blo[1] - 11, f"f{o}", size=SMALL)
            placed.append((o, block))
        middle = x + (columns * cell_w - MARGIN) / 2
        bottom = top - rows * cell_h
        for k, line in enumerate(words):
            label = sketch.label(middle, bottom - 6 - 18 * k, line)
            # Centred under the bank, but never reaching back over the blocks' names.
            box = label.corners(sketch.metrics)
            label.x = max(middle, x + (box[1, 0] - box[0, 0]) / 2)
        return placed

    # -- the still picture ---------------------------------------------------------------------

    def picture(self) -> Picture:
        scene, sketch = self.scene, self.sketch
        static: list[Primitive] = []
        static += self._block(self.inp, self.tints.input, scene.roles, INPUT_BAND)
        out_roles = np.full(scene.output_shape, Role.INPUT, dtype=np.uint8)
        static += self._block(self.out, self.tints.output, out_roles, OUTPUT_BAND)
        for o, block in self.filters:
            static.append(self._filter(block, o, in_use=False, depth=FILTERS))
        static += [
            sketch.text(label, WORDS) for label in sketch.labels if label is not self._caption
        ]
        # Every paint a frame may show, so that a backend's palette is complete.
        padding = [self.tints.padding] if (scene.roles != Role.INPUT).any() else []
        shown = [*self.tints.input, *padding, *self.tints.output]
        return Picture(
            sketch.width, sketch.height, tuple(static), scene.n_frames, self._frame,
            roles=lit_shaded(shown),
        )  # fmt: skip

    def _block(
        self, block: Block, tints: list[Paint], roles: np.ndarray, band: float
    ) -> list[Primitive]:
        """A block's outside faces, one primitive per depth layer: padding cells in the
        padding colour with a dashed grid, real cells in their channel's tint."""
        layers: dict[float, tuple[list, list, list, list]] = {}
        for (quad, kind, channel, (row, col)), depth in outside_faces(block, band):
            solid_q, solid_f, dashed_q, dashed_f = layers.setdefault(depth, ([], [], [], []))
            real = roles[row, col] == Role.INPUT
            paint = (tints[channel] if real else self.tints.padding).lit(BRIGHTNESS[kind])
            (solid_q if real else dashed_q).append(self.sketch.canvas(quad))
            (solid_f if real else dashed_f).append(paint)
        out: list[Primitive] = []
        for depth in sorted(layers):
            solid_q, solid_f, dashed_q, dashed_f = layers[depth]
            if dashed_q:
                out.append(
                    Polygons(
                        np.array(dashed_q),
                        tuple(dashed_f),
                        depth,
                        edge="grid",
                        width=LINE,
                        dash=_DASH,
                    )  # fmt: skip
                )
            if solid_q:
                out.append(
                    Polygons(np.array(solid_q), tuple(solid_f), depth, edge="grid", width=LINE)
                )
        return out

    def _filter(self, block: Block, o: int, in_use: bool, depth: float) -> Polygons:
        """A filter's outside faces, each slab in the tint of the input channel it multiplies.
        When the filters take turns (one output channel a frame), shaded while in use, else
        faded."""
        scene = self.scene
        ins = scene.group_channels(int(scene.output_groups[o]))[0]
        quads, fills = [], []
        for quad, kind, j, _ in block.outside():
            paint = self.tints.input[ins[j]]
            if scene.frame_order == "position_channel":
                paint = shaded(paint) if in_use else faded(paint)
            quads.append(self.sketch.canvas(quad))
            fills.append(paint.lit(BRIGHTNESS[kind]))
        return Polygons(np.array(quads), tuple(fills), depth, edge="grid", width=LINE)

    # -- a frame -------------------------------------------------------------------------------

    def _frame(self, index: int) -> tuple[Primitive, ...]:
        scene, inp, out, sketch = self.scene, self.inp, self.out, self.sketch
        state: ChannelFrame = scene.frame(index)
        first, last = state.in_channels[0], state.in_channels[-1]
        moving: list[Primitive] = []
        cells = [(int(r), int(c)) for r, c in state.taps]
        moving += self._column(inp, cells, first, last, INPUT_BAND, self._input_paint)
        moving += self._outline(inp, state.box, first, last, INPUT_LID)
        o_first, o_last = state.out_channels[0], state.out_channels[-1]
        r, c = state.out
        moving += self._column(out, [(r, c)], o_first, o_last, OUTPUT_BAND, self._output_paint)
        moving += self._outline(out, (r, c, r + 1, c + 1), o_first, o_last, OUTPUT_LID)
        # The reference's four lines: from the footprint's corners up to the output cell's.
        r0, c0, r1, c1 = state.box
        below = inp.rect(r0, c0, r1, c1, inp.z(first))
        above = out.rect(r, c, r + 1, c + 1, out.z(o_last + 1))
        rays = sketch.canvas(np.stack([below, above], axis=1))
        moving.append(Segments(rays, "projection", RAYS, THIN))
        if scene.frame_order == "position_channel":
            for o, block in self.filters:
                if o in state.filters:
                    if o not in self._in_use:  # the same primitive every time it is in use
                        self._in_use[o] = self._filter(block, o, True, FILTER_IN_USE)
                    moving.append(self._in_use[o])
        moving.append(sketch.text(self._caption, WORDS, self.captions[index]))
        return tuple(moving)

    def _input_paint(self, channel: int, row: int, col: int) -> Paint:
        real = bool(self.scene.roles[row, col] == Role.INPUT)
        return self._shaded(("in", channel, real))

    def _output_paint(self, channel: int, row: int, col: int) -> Paint:
        return self._shaded(("out", channel, True))

    def _shaded(self, key: tuple[str, int, bool]) -> Paint:
        """A highlighted cube's paint, made once per (block, channel, real or padding)."""
        if key not in self._paints:
            which, channel, real = key
            tints = self.tints.input if which == "in" else self.tints.output
            self._paints[key] = shaded(tints[channel] if real else self.tints.padding)
        return self._paints[key]

    def _column(
        self,
        block: Block,
        cells: list[tuple[int, int]],
        first: int,
        last: int,
        band: float,
        paint,  # noqa: ANN001 - (channel, row, col) -> Paint
    ) -> list[Primitive]:
        """The cubes of channels first..last at ``cells``, shaded; one primitive per depth
        (paints made once: ``_lit``, ``_shaded``)."""
        by_depth: dict[float, tuple[list, list]] = {}
        for (quad, kind, channel, (row, col)), depth in column_faces(
            block, band, cells, first, last
        ):
            quads, fills = by_depth.setdefault(depth, ([], []))
            quads.append(quad)
            fills.append(self._lit(paint(channel, row, col), kind))
        # Sketch to canvas once for all of a primitive's quads: the same numbers.
        return [
            Polygons(self.sketch.canvas(np.array(q)), tuple(f), depth, edge="grid", width=LINE)
            for depth, (q, f) in sorted(by_depth.items())
        ]

    def _lit(self, paint: Paint, kind: int) -> Paint:
        """``paint`` lit as a face of ``kind``; one object per pair, made once."""
        key = (paint, kind)
        if key not in self._paints:
            self._paints[key] = paint.lit(BRIGHTNESS[kind])
        return self._paints[key]

    def _outline(
        self, block: Block, box: tuple[int, int, int, int], first: int, last: int, depth: float
    ) -> list[Primitive]:
        """The highlighted box's edges, dashed and drawn over everything in its block: where
        nearer cubes hide the box, the dashes still say where it lies and how deep it goes (a
        drafter's hidden lines) — a 1x1 filter's column through every channel, a depthwise
        filter's one slab. A block one channel deep shows its box whole and needs none."""
        if block.depth == 1:
            return []
        r0, c0, r1, c1 = box
        y = (block.rows - r1, block.rows - r0)
        faces = block.solid((c0, c1), y, (block.z(last + 1), block.z(first)))
        quads = self.sketch.canvas(np.array([q for q, _ in faces]))
        return [Polygons(quads, None, depth, edge="grid", width=THIN, dash=_THIN_DASH)]


def cell_centre(view_block: Block, sketch: Sketch, row: int, col: int) -> tuple[float, float]:
    """Canvas (x, y) of the centre of a top-face cell of a block."""
    x, y = sketch.canvas(view_block.point(col + 0.5, view_block.y_of(row) + 0.5, view_block.height))
    return (float(x), float(y))
