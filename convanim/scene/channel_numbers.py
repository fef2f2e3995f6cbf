"""The numerical view of a channel figure as a display list: the input channels side by side
with their numbers, the filters' weights per channel, the output channels, and the current
output value written out as a sum over the input channels. numpy only.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from convanim.ops.geometry import Role
from convanim.scene.cells import drawn as drawn_cells
from convanim.scene.cells import kinds as cell_kinds
from convanim.scene.channel_common import GAP, SMALL, Sketch, Tints
from convanim.scene.channel_plan import ChannelScene
from convanim.scene.display import Paint, Picture, Polygons, Primitive, TextMetrics
from convanim.scene.planar import _LINE, _NUM_CELL, _Plane
from convanim.scene.words import channel_caption as caption
from convanim.scene.words import fmt_input, fmt_output, written_sum

_MAX_WIDTH = 760  # the flat view shrinks its cells to keep frames about this wide
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
        gaps = (max(c_in, c_out) - 1) * GAP
        cell = int(max(20, min(_NUM_CELL, (_MAX_WIDTH - gaps) // max(c_in * w, c_out * wo))))
        small = int(max(18, min(28, cell * 0.7)))
        self.cell, self.small = cell, small
        sketch = self.sketch = Sketch(metrics, font_scale)
        n_lines = c_out if scene.frame_order == "position" else 1
        # Placed with the widest sum, so that the canvas is wide enough for every frame's.
        self.sums = [[written_sum(scene, s, o) for o in s.out_channels] for s in scene.frames()]
        widest = max(
            (t for lines in self.sums for t in lines),
            key=lambda t: metrics.measure(t, SMALL + 2)[0],
        )
        self._sum_labels = [
            sketch.label(0, (n_lines - 1 - k) * 22, widest, size=SMALL + 2, ha="left")
            for k in range(n_lines)
        ]
        y = n_lines * 22 + GAP
        self.outs = [_Plane(ho, wo, (k * (wo * cell + GAP), y), False, cell) for k in range(c_out)]
        y += ho * cell + 24 + GAP
        self.filters: list[list[_Plane]] = []
        if scene.has_filters:
            x = 0.0
            for _ in range(c_out):
                planes = [
                    _Plane(kh, kw, (x + j * (kw * small + 4), y), False, small) for j in range(per)
                ]
                self.filters.append(planes)
                x += per * (kw * small + 4) + GAP + 6
            y += kh * small + 24 + GAP
        self.ins = [_Plane(h, w, (k * (w * cell + GAP), y), False, cell) for k in range(c_in)]
        for plane in (*self.ins, *self.outs, *(p for f in self.filters for p in f)):
            sketch.add(np.array([plane.point(0, 0), plane.point(plane.cols, plane.rows)]))
        self._place_labels()
        self.captions = [caption(scene, state) for state in scene.frames()]
        self._caption = sketch.caption(self.captions)
        sketch.fit()

    def _place_labels(self) -> None:
        scene, sketch = self.scene, self.sketch
        assert scene.input_values is not None and scene.output_values is not None
        big = max(9, round(17 * self.cell / _NUM_CELL))
        for c, plane in enumerate(self.ins):
            x, y = plane.point(plane.cols / 2, plane.rows)
            sketch.label(x, y + 12, f"input channel {c}", size=SMALL)
            for (r, col), value in np.ndenumerate(scene.input_values[c]):
                sketch.label(*plane.center(r, col), fmt_input(value), size=big)
        for o, planes in enumerate(self.filters):
            assert scene.weights is not None
            for j, plane in enumerate(planes):
                for (r, col), value in np.ndenumerate(scene.weights[o, j]):
                    sketch.label(*plane.center(r, col), fmt_input(value), size=SMALL)
            x, y = planes[0].point(0, planes[0].rows)
            sketch.label(x, y + 12, f"filter f{o}", size=SMALL, ha="left")
        for o, plane in enumerate(self.outs):
            x, y = plane.point(plane.cols / 2, plane.rows)
            sketch.label(x, y + 12, f"output channel {o}", size=SMALL)
            for (r, col), value in np.ndenumerate(scene.output_values[o]):
                sketch.label(*plane.center(r, col), fmt_output(value), size=max(8, big - 5))

    def _grid(self, plane: _Plane, tint: Paint, roles: np.ndarray | None) -> list[Primitive]:
        cells = np.argwhere(np.ones((plane.rows, plane.cols), dtype=bool))
        real = np.ones(len(cells), bool) if roles is None else roles.ravel() == Role.INPUT
        out: list[Primitive] = []
        canvas = self.sketch.canvas
        if (~real).any():  # padding, overhang, a cropped border: drawn as the planar view does
            quads = canvas(plane.cells(cells[~real]))
            kinds = self.kinds.ravel()[~real]
            shown = self.shown.ravel()[~real]
            out += drawn_cells(quads, kinds, shown, False, _LINE, GRIDS)
        quads = canvas(plane.cells(cells[real]))
        out.append(Polygons(quads, tint, GRIDS + 0.5, edge="grid", width=_LINE))
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
        return Picture(
            sketch.width, sketch.height, tuple(static), scene.n_frames, self._frame,
            roles=(("shade", 1.0),),
        )  # fmt: skip

    def _frame(self, index: int) -> tuple[Primitive, ...]:
        scene = self.scene
        state = scene.frame(index)
        quads: list[np.ndarray] = []
        for c in state.in_channels:
            quads += list(self.ins[c].cells(state.taps))
        r, col = state.out
        for o in state.out_channels:
            quads.append(self.outs[o].cell(r, col))
        if scene.frame_order == "position_channel":
            for o in state.filters:
                for plane in self.filters[o]:
                    quads += list(plane.cells(np.argwhere(np.ones((plane.rows, plane.cols)))))
        # The shade goes over the numbers (which stay legible) so that only it moves.
        moving: list[Primitive] = [Polygons(self.sketch.canvas(np.array(quads)), "shade", SHADE)]
        for label, text in zip(self._sum_labels, self.sums[index]):
            moving.append(self.sketch.text(label, WORDS, text))
        moving.append(self.sketch.text(self._caption, WORDS, self.captions[index]))
        return tuple(moving)
