"""The picture of a single-layer figure: the arithmetic view (two oblique planes, the footprint,
the rays) and the numerical view (two flat grids with their numbers), as display lists.

Where things go is ``convanim.scene.planar_layout``'s (cell sizes, the whole-pixel oblique
projection, labels, sums, legend and captions); this module decides what is drawn there, what
each frame adds, in which depth order and in which inks, so that every number reads on what is
behind it. numpy only; the strings come from ``convanim.scene.words``.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from convanim.model.look import Look
from convanim.model.spec import FigureSpec
from convanim.scene import cells
from convanim.scene.cells import Kind
from convanim.scene.display import (
    Ink,
    Paint,
    Picture,
    Polygons,
    Primitive,
    Segments,
    Text,
    TextMetrics,
)
from convanim.scene.legibility import wrap_terms
from convanim.scene.plan import FrameState, Scene, build_scene
from convanim.scene.planar_layout import (
    DASH,
    INSET,
    LINE,
    LINE_STEP,
    THIN,
    Label,
    Plane,
    arrange,
    convex,
)
from convanim.scene.words import fmt_input, fmt_output, sum_text

# Depths, back to front: the reference's drawing order.
PADDING, PADDING_GRID, INPUT, TAPS, BOX_GRID, RAYS, OUTPUT, CURRENT = range(8)
NUMBERS, NUM_SHADE, WEIGHTS, LABELS = 4, 5, 6, 9


def picture(
    figure: FigureSpec,
    look: Look | None = None,
    metrics: TextMetrics | None = None,
    captions: bool = True,
) -> Picture:
    """The display list of a single-layer figure; ``captions`` False leaves out the parameter
    lines that labels bring (a comparison writes its members' lines in one row)."""
    return Planar(figure, look, metrics, captions).picture()


class Planar:
    """A single-layer figure laid out: its scene, where everything goes, and its picture."""

    def __init__(
        self,
        figure: FigureSpec,
        look: Look | None = None,
        metrics: TextMetrics | None = None,
        captions: bool = True,
    ) -> None:
        self.scene = build_scene(figure)
        self._builder = _Builder(self.scene, look or Look(), metrics or TextMetrics(), captions)
        self.layout = self._builder.place

    def picture(self) -> Picture:
        return self._builder.picture()

    def cell_centre(self, plane: str, row: int, col: int) -> tuple[float, float]:
        """Canvas (x, y) of the centre of a cell of the ``"input"`` or ``"output"`` plane."""
        grid = self.layout.inp if plane == "input" else self.layout.out
        x, y = self._builder.canvas(grid.center(row, col))
        return (float(x), float(y))

    def outline(self) -> np.ndarray:
        """The output plane's outline in canvas pixels (arithmetic view)."""
        return self._builder.canvas(convex(self.layout.out.corners()))


class _Builder:
    def __init__(self, scene: Scene, look: Look, metrics: TextMetrics, captions: bool) -> None:
        self.scene, self.look, self.metrics = scene, look, metrics
        self.place = arrange(scene, look, metrics, captions)
        self.kinds = cells.kinds(scene.spec, scene.layout)
        self.real = scene.layout.source[..., 0] >= 0  # cells that show an input's value
        self.labelled = bool(look.labels)
        self.line = max(1.0, round(LINE * self.place.zoom))
        self.thin = max(1.0, round(THIN * self.place.zoom))
        place = self.place
        # y up (the layout's) to y down from the canvas's top-left corner.
        self._flip = np.array([1.0, -1.0])
        self._shift = np.array([-place.x0, place.height + place.y0])

    def canvas(self, points: np.ndarray) -> np.ndarray:
        return np.asarray(points, dtype=float) * self._flip + self._shift

    def text(self, label: Label, depth: float) -> Text:
        x, y = self.canvas(np.array([label.x, label.y]))
        return Text(label.text, float(x), float(y), label.size, "text", depth, label.ha, label.va)  # type: ignore[arg-type]

    def picture(self) -> Picture:
        numerical = self.scene.view == "numerical"
        static = self._numerical() if numerical else self._arithmetic()
        static += [self.text(label, LABELS) for label in self.place.labels]
        static += self._legend()
        moving = self._numerical_frame if numerical else self._arithmetic_frame
        # The shade falls on every flat colour somewhere; listing it keeps the palette whole.
        return Picture(
            self.place.width,
            self.place.height,
            tuple(static),
            self.scene.n_frames,
            lambda index: moving(self.scene.frame(index)),
            roles=(("shade", 1.0),),
        )

    def _legend(self) -> list[Primitive]:
        """Each kind of cell the figure shows, a swatch drawn as the cells are, and its words."""
        out: list[Primitive] = []
        for kind, label in self.place.legend:
            corner = self.canvas(np.array([label.x - 1.7 * label.size, label.y + label.size / 2]))
            out += cells.swatch(corner, label.size, kind, max(1.0, round(self.line * 0.75)), LABELS)
            out.append(self.text(label, LABELS))
        return out

    # -- arithmetic view ---------------------------------------------------------------------

    def _arithmetic(self) -> list[Primitive]:
        """Input plane (face, dashed grid, real cells), then the output plane, as the
        reference draws them; the footprint, its grid and the rays move between them. Cells
        no window reads (ceil_mode overhang, a cropped border) lie outside the face, dotted."""
        place, kind = self.place, self.kinds
        plane = place.inp
        r0, c0, r1, c1 = cells.reached_block(kind)
        face = self.canvas(plane.box(r0, c0, r1, c1)[None])
        out: list[Primitive] = [Polygons(face, "padding", PADDING)]
        if (kind[r0:r1, c0:c1] != Kind.INPUT).any():
            grid = self.canvas(plane.grid_lines(r0, c0, r1, c1))
            dash = (DASH * self.line, DASH * self.line)
            out.append(Segments(grid, "grid", PADDING_GRID, self.line, dash))
        inside = np.zeros(kind.shape, bool)
        inside[r0:r1, c0:c1] = True
        # Inside the face, the dashed grid outlines every cell; a labelled inserted zero gets
        # its tint and uncounted padding its slash. Outside, each cell its own dotted outline.
        tinted = (kind == Kind.UNCOUNTED) | ((kind == Kind.ZERO) & self.labelled)
        for where, outline, depth in (
            (inside & tinted, False, PADDING + 0.5),
            (~inside, True, PADDING_GRID),
        ):
            at = np.argwhere(where)
            if len(at):
                corners = self.canvas(plane.cells(at))
                kinds, real = kind[where], self.real[where]
                out += cells.drawn(corners, kinds, real, self.labelled, self.line, depth, outline)
        out.append(self._cells(plane, np.argwhere(kind == Kind.INPUT), "input", INPUT))
        ho, wo = self.scene.output_shape
        out.append(self._cells(place.out, np.argwhere(np.ones((ho, wo), bool)), "output", OUTPUT))
        self._outline = _Outline(convex(place.out.corners()))
        return out

    def _arithmetic_frame(self, state: FrameState) -> tuple[Primitive, ...]:
        place = self.place
        r0, c0, r1, c1 = state.box
        below = place.inp.box(r0, c0, r1, c1)
        above = place.out.box(state.out[0], state.out[1], state.out[0] + 1, state.out[1] + 1)
        # The rays end where they meet the output plane's outline: the plane hides the rest.
        rays = self._outline.clip_outside(below, above)
        return (
            Polygons(self.canvas(place.inp.cells(state.taps)), "shade", TAPS),
            Segments(
                self.canvas(place.inp.grid_lines(r0, c0, r1, c1)), "grid", BOX_GRID, self.line
            ),
            Segments(self.canvas(rays), "projection", RAYS, self.thin),
            Polygons(self.canvas(place.out.cell(*state.out)[None]), "shade", CURRENT),
        )

    # -- numerical view ----------------------------------------------------------------------

    def _numerical(self) -> list[Primitive]:
        scene, place = self.scene, self.place
        plane, kind = place.inp, self.kinds
        out: list[Primitive] = []
        other = kind != Kind.INPUT
        if other.any():  # each padding cell has its own dashed border, as in the reference
            corners = self.canvas(plane.cells(np.argwhere(other)))
            kinds, real = kind[other], self.real[other]
            out += cells.drawn(corners, kinds, real, self.labelled, self.line, PADDING)
        out.append(self._cells(plane, np.argwhere(kind == Kind.INPUT), "input", INPUT))
        ho, wo = scene.output_shape
        out.append(self._cells(place.out, np.argwhere(np.ones((ho, wo), bool)), "output", INPUT))
        for grid, (r, c), text in self._values():
            x, y = self.canvas(grid.center(r, c))
            out.append(
                Text(text, float(x), float(y), place.value_size, "text", NUMBERS, kind="value")
            )
        return out

    def _values(self) -> list[tuple[Plane, tuple[int, int], str]]:
        scene, place = self.scene, self.place
        assert scene.input_values is not None and scene.output_values is not None
        found = []
        for grid, values, fmt in (
            (place.inp, scene.input_values, fmt_input),
            (place.out, scene.output_values, fmt_output),
        ):
            for (r, c), value in np.ndenumerate(values):
                found.append((grid, (r, c), fmt(value)))
        return found

    def _numerical_frame(self, state: FrameState) -> tuple[Primitive, ...]:
        place, scene = self.place, self.scene
        # Over real inputs the shade is drawn opaque (the colour the translucent shade would
        # give) and their numbers again on top, in an ink that reads on it; over padding and
        # the other kinds it stays translucent, so that their marks show through.
        real = np.array([self.kinds[r, c] == Kind.INPUT for r, c in state.taps], bool)
        fills = tuple(Paint("input" if k else "padding").toward("shade") for k in real)
        out: list[Primitive] = []
        if real.any():
            corners = self.canvas(place.inp.cells(state.taps[real]))
            paint = Paint("input").toward("shade")
            out.append(Polygons(corners, paint, NUM_SHADE, edge="grid", width=self.line))
        if (~real).any():
            others = self.canvas(place.inp.cells(state.taps[~real]))
            out.append(Polygons(others, "shade", NUM_SHADE))
        out.append(
            Polygons(
                self.canvas(place.out.cell(*state.out)[None]), Paint("output").toward("shade"),
                NUM_SHADE, edge="grid", width=self.line,
            )
        )  # fmt: skip
        assert scene.input_values is not None and scene.output_values is not None
        for r, c in state.taps[real]:
            x, y = self.canvas(place.inp.center(r, c))
            text, ink = fmt_input(scene.input_values[r, c]), Ink(Paint("input").toward("shade"))
            out.append(Text(text, float(x), float(y), place.value_size, ink, WEIGHTS, kind="value"))
        x, y = self.canvas(place.out.center(*state.out))
        out.append(
            Text(
                fmt_output(scene.output_values[state.out]), float(x), float(y), place.value_size,
                Ink(Paint("output").toward("shade")), WEIGHTS, kind="value",
            )
        )  # fmt: skip
        if state.tap_weights is not None:
            inset = INSET * place.cell
            for (r, c), w, fill in zip(state.taps, state.tap_weights, fills):
                corner = place.inp.cell(r, c)[1]  # bottom-right, y up
                x, y = self.canvas(corner + np.array([-inset, inset]))
                out.append(
                    Text(
                        fmt_input(w), float(x), float(y), place.weight_size, Ink(fill), WEIGHTS,
                        "right", "baseline", kind="weight",
                    )
                )  # fmt: skip
        if place.sums is not None:
            lines = wrap_terms(
                sum_text(scene, state), place.sums_width, place.sums.size, self.metrics
            )
            step = LINE_STEP * place.sums.size
            for k, line in enumerate(lines):
                label = dataclasses.replace(place.sums, text=line, y=place.sums.y - k * step)
                out.append(dataclasses.replace(self.text(label, WEIGHTS), kind="caption"))
        return tuple(out)

    def _cells(
        self,
        plane: Plane,
        cells: np.ndarray,
        role: str,
        depth: float,
        dash: tuple[float, float] | None = None,
    ) -> Polygons:
        corners = self.canvas(plane.cells(cells))
        return Polygons(corners, role, depth, edge="grid", width=self.line, dash=dash)


class _Outline:
    """A convex (counter-clockwise) polygon, with its edges' outward normals worked out once:
    every frame clips its four rays against the output plane's outline."""

    def __init__(self, polygon: np.ndarray) -> None:
        self.polygon = polygon
        edges = np.roll(polygon, -1, axis=0) - polygon
        self.normals = np.stack([edges[:, 1], -edges[:, 0]], axis=1)

    def clip_outside(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """For segments a[k] -> b[k] (each (n, 2)), the part of each before it enters the
        polygon that contains its end (Cyrus-Beck), (m, 2, 2): a segment whose start is
        already inside is left out."""
        d = b - a
        num = ((a[:, None] - self.polygon) * self.normals).sum(axis=2)  # > 0: a outside the edge
        den = d @ self.normals.T  # < 0: the segment runs in across that edge
        # Parallel to an edge and outside it: never enters, kept whole.
        never = ((den == 0) & (num > 0)).any(axis=1)
        entering = den < 0
        ratio = np.divide(-num, den, out=np.zeros_like(num), where=entering)
        t = np.where(entering, ratio, 0.0).max(axis=1, initial=0.0)
        t = np.where(never, 1.0, np.minimum(t, 1.0))
        kept = never | (t > 0)
        return np.stack([a[kept], a[kept] + t[kept, None] * d[kept]], axis=1)
