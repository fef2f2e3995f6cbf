"""The numerical view of a channel figure as a display list: the input channels side by side
with their numbers, the filters' weights per channel, the output channels, and the current
output value written out as a sum over the input channels. numpy only.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np

from convanim.ops.geometry import Role
from convanim.scene.cells import drawn as drawn_cells
from convanim.scene.cells import kinds as cell_kinds
from convanim.scene.channel_common import GAP, SMALL, TEXT, Sketch, Tints, shaded
from convanim.scene.channel_plan import ChannelScene
from convanim.scene.display import Ink, Paint, Picture, Polygons, Primitive, Text, TextMetrics
from convanim.scene.legibility import MIN_VALUE_PX, MIN_WEIGHT_PX, size_for
from convanim.scene.planar_layout import LINE, NUM_CELL, Plane
from convanim.scene.words import channel_caption as caption
from convanim.scene.words import fmt_input, fmt_output, written_sum

_DASH = (3 * LINE, 3 * LINE)
GRIDS, NUMBERS, SHADE, WORDS = 1, 4, 10, 11


class NumbersView:
    """The numerical view of a channel scene: ``picture()``, and the ``tints`` a sequence
    hands on to its next stage."""

    def __init__(
        self,
        scene: ChannelScene,
        metrics: TextMetrics,
        inputs: Sequence[Paint] | None,
        font_scale: float = 1.0,
    ) -> None:
        self.scene = scene
        self.tints = Tints(scene, inputs)
        self.kinds = cell_kinds(scene.spec, scene.layout)
        self.shown = scene.layout.source[..., 0] >= 0
        (h, w), (ho, wo) = scene.input_shape, scene.output_shape
        c_in, c_out = scene.in_channels, scene.out_channels
        kh, kw, per = scene.filter_shape
        assert scene.input_values is not None and scene.output_values is not None
        # Cells are sized for their numbers at a legible size; a wide figure grows the canvas.
        self.value_size = size_for(MIN_VALUE_PX + 1) * font_scale
        self.weight_size = size_for(MIN_WEIGHT_PX + 0.5) * font_scale
        values = {fmt_input(v) for v in scene.input_values.flat}
        values |= {fmt_output(v) for v in scene.output_values.flat}
        cell = _side(values, self.value_size, metrics, NUM_CELL)
        weights = {fmt_input(v) for v in scene.weights.flat} if scene.weights is not None else set()
        small = _side(weights, self.weight_size, metrics, 24) if weights else 24
        self.cell, self.small = cell, small
        sketch = self.sketch = Sketch(metrics, font_scale)
        n_lines = c_out if scene.frame_order == "position" else 1
        # Placed with the widest sum, so that the canvas is wide enough for every frame's.
        self.sums = [[written_sum(scene, s, o) for o in s.out_channels] for s in scene.frames()]
        widest = max(
            (t for lines in self.sums for t in lines),
            key=lambda t: metrics.measure(t, TEXT * font_scale)[0],
        )
        step = 1.4 * TEXT * font_scale
        self._sum_labels = [
            sketch.label(0, (n_lines - 1 - k) * step, widest, ha="left") for k in range(n_lines)
        ]
        y = n_lines * step + GAP
        self.outs = [Plane(ho, wo, (k * (wo * cell + GAP), y), False, cell) for k in range(c_out)]
        y += ho * cell + 24 + GAP
        self.filters: list[list[Plane]] = []
        if scene.has_filters:
            x = 0.0
            for _ in range(c_out):
                planes = [
                    Plane(kh, kw, (x + j * (kw * small + 4), y), False, small) for j in range(per)
                ]
                self.filters.append(planes)
                x += per * (kw * small + 4) + GAP + 6
            y += kh * small + 24 + GAP
        self.ins = [Plane(h, w, (k * (w * cell + GAP), y), False, cell) for k in range(c_in)]
        for plane in (*self.ins, *self.outs, *(p for f in self.filters for p in f)):
            sketch.add(np.array([plane.point(0, 0), plane.point(plane.cols, plane.rows)]))
        self._place_labels()
        self.captions = [caption(scene, state) for state in scene.frames()]
        self._caption = sketch.caption(self.captions)
        sketch.fit()

    def _place_labels(self) -> None:
        scene, sketch = self.scene, self.sketch
        assert scene.input_values is not None and scene.output_values is not None
        # Every number: (plane, cell, text, kind), drawn static and again over the shade.
        self.numbers: dict[tuple[int, int, int], tuple[str, str]] = {}
        for c, plane in enumerate(self.ins):
            x, y = plane.point(plane.cols / 2, plane.rows)
            sketch.label(x, y + 14, f"input channel {c}", size=SMALL)
            for (r, col), value in np.ndenumerate(scene.input_values[c]):
                self.numbers[(id(plane), r, col)] = (fmt_input(value), "value")
        for o, planes in enumerate(self.filters):
            assert scene.weights is not None
            for j, plane in enumerate(planes):
                for (r, col), value in np.ndenumerate(scene.weights[o, j]):
                    self.numbers[(id(plane), r, col)] = (fmt_input(value), "weight")
            x, y = planes[0].point(0, planes[0].rows)
            sketch.label(x, y + 14, f"filter f{o}", size=SMALL, ha="left")
        for o, plane in enumerate(self.outs):
            x, y = plane.point(plane.cols / 2, plane.rows)
            sketch.label(x, y + 14, f"output channel {o}", size=SMALL)
            for (r, col), value in np.ndenumerate(scene.output_values[o]):
                self.numbers[(id(plane), r, col)] = (fmt_output(value), "value")

    def _number(self, plane: Plane, r: int, col: int, depth: float, ink: Ink | str) -> Text:
        text, kind = self.numbers[(id(plane), r, col)]
        x, y = self.sketch.canvas(plane.center(r, col))
        size = self.value_size if kind == "value" else self.weight_size
        return Text(text, float(x), float(y), size, ink, depth, kind=kind)

    def _grid(self, plane: Plane, tint: Paint, roles: np.ndarray | None) -> list[Primitive]:
        cells = np.argwhere(np.ones((plane.rows, plane.cols), dtype=bool))
        real = np.ones(len(cells), bool) if roles is None else roles.ravel() == Role.INPUT
        out: list[Primitive] = []
        canvas = self.sketch.canvas
        if (~real).any():  # padding, overhang, a cropped border: drawn as the planar view does
            quads = canvas(plane.cells(cells[~real]))
            kinds = self.kinds.ravel()[~real]
            shown = self.shown.ravel()[~real]
            out += drawn_cells(quads, kinds, shown, False, LINE, GRIDS)
        quads = canvas(plane.cells(cells[real]))
        out.append(Polygons(quads, tint, GRIDS + 0.5, edge="grid", width=LINE))
        return out

    def picture(self) -> Picture:
        scene, tints, sketch = self.scene, self.tints, self.sketch
        static: list[Primitive] = []
        for c, plane in enumerate(self.ins):
            static += self._grid(plane, tints.input[c], scene.roles)
        for o, planes in enumerate(self.filters):
            ins = scene.group_channels(int(scene.output_groups[o]))[0]
            for j, plane in enumerate(planes):
                static += self._grid(plane, tints.input[ins[j]], None)
        for o, plane in enumerate(self.outs):
            static += self._grid(plane, tints.output[o], None)
        moving = (*self._sum_labels, self._caption)
        static += [sketch.text(lab, NUMBERS) for lab in sketch.labels if lab not in moving]
        tinted = [(p, tints.input[c], scene.roles) for c, p in enumerate(self.ins)]
        for o, planes in enumerate(self.filters):
            ins = scene.group_channels(int(scene.output_groups[o]))[0]
            tinted += [(p, tints.input[ins[j]], None) for j, p in enumerate(planes)]
        tinted += [(p, tints.output[o], None) for o, p in enumerate(self.outs)]
        for plane, tint, roles in tinted:
            for r, col in np.ndindex(plane.rows, plane.cols):
                real = roles is None or roles[r, col] == Role.INPUT
                ink = Ink(tint if real else Paint("padding"))
                static.append(self._number(plane, r, col, NUMBERS, ink))
        return Picture(
            sketch.width, sketch.height, tuple(static), scene.n_frames, self._frame,
            roles=(("shade", 1.0),),
        )  # fmt: skip

    def _frame(self, index: int) -> tuple[Primitive, ...]:
        scene, tints = self.scene, self.tints
        state = scene.frame(index)
        shaded_cells: list[tuple[Plane, np.ndarray, Paint, np.ndarray | None]] = []
        for c in state.in_channels:
            shaded_cells.append((self.ins[c], state.taps, tints.input[c], scene.roles))
        r, col = state.out
        for o in state.out_channels:
            shaded_cells.append((self.outs[o], np.array([[r, col]]), tints.output[o], None))
        if scene.frame_order == "position_channel":
            for o in state.filters:
                ins = scene.group_channels(int(scene.output_groups[o]))[0]
                for j, plane in enumerate(self.filters[o]):
                    every = np.argwhere(np.ones((plane.rows, plane.cols), dtype=bool))
                    shaded_cells.append((plane, every, tints.input[ins[j]], None))
        # The shade is drawn opaque (what the translucent shade gives over each cell) and the
        # shaded numbers again on top, in an ink that reads on it.
        moving: list[Primitive] = []
        canvas = self.sketch.canvas
        for plane, cells, tint, roles in shaded_cells:
            real = (
                np.ones(len(cells), bool)
                if roles is None
                else np.array([roles[a, b] == Role.INPUT for a, b in cells], bool)
            )
            for which, paint, dash in (
                (real, shaded(tint), None),
                (~real, shaded(Paint("padding")), _DASH),
            ):
                if which.any():
                    quads = canvas(plane.cells(cells[which]))
                    moving.append(Polygons(quads, paint, SHADE, edge="grid", width=LINE, dash=dash))
                    for a, b in cells[which]:
                        moving.append(self._number(plane, int(a), int(b), SHADE + 0.5, Ink(paint)))
        for label, text in zip(self._sum_labels, self.sums[index]):
            moving.append(dataclasses.replace(self.sketch.text(label, WORDS, text), kind="caption"))
        caption_text = self.sketch.text(self._caption, WORDS, self.captions[index])
        moving.append(dataclasses.replace(caption_text, kind="caption"))
        return tuple(moving)


def _side(texts: set[str], size: float, metrics: TextMetrics, least: int) -> int:
    """A cell side (even pixels) that holds the widest of ``texts`` at ``size``."""
    widest = max(metrics.measure(t, size)[0] for t in texts)
    return int(np.ceil(max(least, widest + 0.6 * size, 1.9 * size) / 2) * 2)
