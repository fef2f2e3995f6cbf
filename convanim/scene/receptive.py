"""The receptive-field view of a sequence: one output cell of the last layer and its field in
every earlier grid, a cone through the stack. numpy only.

The grids stand left to right, the input first, each an empty plane of cells (channels are not
drawn: a field is spatial). Frame k picks output cell k of the last layer (row-major); in every
grid the cells of its field are filled, the field is outlined, and thin lines join each field to
the next one, narrowing to the cell. Where a field reaches past a grid (into its padding) the
cells outside are drawn dashed and shaded. Under each grid: its layer, and the field of that
layer's cells in the input: size, jump and start (``convanim.ops.receptive``).
"""

from __future__ import annotations

import numpy as np

from convanim.model.look import Look
from convanim.model.spec import SequenceSpec
from convanim.ops import geometry, receptive
from convanim.scene import grids
from convanim.scene import matrix_words as words
from convanim.scene.display import Picture, Polygons, Primitive, Segments, Text, TextMetrics
from convanim.scene.grids import GAP, Grid

RF_CELL = 16.0  # no numbers in these cells: small ones keep deep stacks on one canvas


def grid_shapes(spec: SequenceSpec) -> list[tuple[int, int]]:
    layers = [stage.layer for stage in spec.stages]
    return [layers[0].input_size, *(geometry.output_size(layer) for layer in layers)]


def picture(spec: SequenceSpec, look: Look, metrics: TextMetrics) -> Picture:
    layers = [stage.layer for stage in spec.stages]
    fields = receptive.fields(layers)
    shapes = grid_shapes(spec)
    fs = look.font_scale
    cell = RF_CELL * fs
    lab = grids.WORDS * fs
    ho, wo = shapes[-1]
    n_frames = ho * wo
    windows = [receptive.windows(layers, divmod(k, wo)) for k in range(n_frames)]

    titles = [words.RF_INPUT] + [words.layer_title(n, layer) for n, layer in enumerate(layers, 1)]
    blocks = [[titles[0], *words.field_lines((1, 1), (1, 1), (0, 0))]]
    for title, field in zip(titles[1:], fields):
        blocks.append([title, *words.field_lines(field.rf, field.jump, field.start)])

    # Each column is as wide as its grid with every field it shows, or its words; the grids
    # (with the fields hanging past them) are centred on the tallest.
    extents = []
    for g, (rows, cols) in enumerate(shapes):
        lo_r = min(0, min(w[g][0][0] for w in windows))
        hi_r = max(rows - 1, max(w[g][0][1] for w in windows))
        lo_c = min(0, min(w[g][1][0] for w in windows))
        hi_c = max(cols - 1, max(w[g][1][1] for w in windows))
        extents.append((lo_r, hi_r, lo_c, hi_c))
    tallest = max((hi - lo + 1) * cell for lo, hi, _, _ in extents)
    placed: list[Grid] = []
    x = 0.0
    for g, (rows, cols) in enumerate(shapes):
        lo_r, hi_r, lo_c, hi_c = extents[g]
        span = (hi_c - lo_c + 1) * cell
        width = max(span, max(metrics.measure(t, lab)[0] for t in blocks[g]))
        left = x + (width - span) / 2 - lo_c * cell
        top = (tallest - (hi_r - lo_r + 1) * cell) / 2 - lo_r * cell
        placed.append(Grid(left, top, rows, cols, cell, cell))
        x += width + 2 * GAP

    static: list[Primitive] = []
    for g, grid in enumerate(placed):
        role = "output" if g == len(placed) - 1 else "padding"
        static.append(grids.faces(grid, grid.all_cells(), role))
        static.append(grids.borders(grid, width=grids.LINE / 2 if cell < 20 else grids.LINE))
        for k, text in enumerate(blocks[g]):
            y = tallest + 0.5 * GAP + k * 1.35 * lab
            static.append(
                Text(text, grid.x + grid.width / 2, y, lab, "text", grids.LABELS, "center", "top")
            )

    def moving(index: int) -> tuple[Primitive, ...]:
        out: list[Primitive] = []
        boxes = []
        for g, grid in enumerate(placed):
            (r0, r1), (c0, c1) = windows[index][g]
            rows, cols = shapes[g]
            inside = np.array(
                [
                    (r, c)
                    for r in range(max(r0, 0), min(r1, rows - 1) + 1)
                    for c in range(max(c0, 0), min(c1, cols - 1) + 1)
                ]
            ).reshape(-1, 2)
            outside = np.array(
                [
                    (r, c)
                    for r in range(r0, r1 + 1)
                    for c in range(c0, c1 + 1)
                    if not (0 <= r < rows and 0 <= c < cols)
                ]
            ).reshape(-1, 2)
            fill = "output" if g == len(placed) - 1 else "input"
            if len(inside):
                out.append(
                    grids.faces(
                        grid, inside, "shade" if g == len(placed) - 1 else fill, grids.HIGHLIGHT
                    )
                )
            if len(outside):
                dash = (3.0, 3.0)
                out.append(
                    Polygons(
                        grid.corners(outside),
                        "shade",
                        grids.HIGHLIGHT,
                        edge="grid",
                        width=1.0,
                        dash=dash,
                    )
                )
            box = grid.box(r0, c0, r1 + 1, c1 + 1)
            out.append(grids.outline(box))
            boxes.append(box[0])
        rays = []
        for a, b in zip(boxes, boxes[1:]):
            rays.append([a[1], b[0]])  # top-right to top-left
            rays.append([a[2], b[3]])  # bottom-right to bottom-left
        out.append(Segments(np.array(rays, dtype=float), "projection", grids.OUTLINE, 1.0))
        return tuple(out)

    rf = fields[-1].rf

    # Whether any field reaches past its grid, into padding (drawn dashed).
    overhang = any(
        r0 < 0 or c0 < 0 or r1 >= shapes[g][0] or c1 >= shapes[g][1]
        for frame in windows
        for g, ((r0, r1), (c0, c1)) in enumerate(frame)
    )

    def captions(index: int) -> list[str]:
        lines = [words.field_caption(divmod(index, wo), rf)]
        return [*lines, words.RF_NOTE] if overhang else lines

    return grids.finish(static, n_frames, moving, metrics, look, captions, constant_captions=False)


def frame_captions(spec: SequenceSpec) -> tuple[str, ...]:
    """The words of each frame of the receptive-field view: which output cell, and its field."""
    layers = [stage.layer for stage in spec.stages]
    ho, wo = grid_shapes(spec)[-1]
    rf = receptive.fields(layers)[-1].rf
    return tuple(words.field_caption(divmod(index, wo), rf) for index in range(ho * wo))
