"""The im2col view: what frameworks compute. Every window of the drawn grid is copied into a
column of a patch matrix; the kernel, as a row, times that matrix gives every output at once.

Top: the drawn input grid (padding dashed, a transposed convolution's inserted zeros too) with
its numbers, and the output grid. Below: the kernel as a row, the patch matrix (one column per
output cell, one row per kernel tap; a tap over padding or an inserted zero shows its 0 on the
padding colour), and under it the output as a row, one product per column. Frame k fills
window k on the grid, column k of the patches, output k and y[k], and writes the product.
numpy only.
"""

from __future__ import annotations

import numpy as np

from convanim.model.look import Look
from convanim.model.spec import FigureSpec
from convanim.ops import geometry
from convanim.ops import matrix as ops
from convanim.ops.geometry import Role
from convanim.scene import grids
from convanim.scene import matrix_words as words
from convanim.scene.display import Picture, Polygons, Primitive, Text, TextMetrics
from convanim.scene.grids import GAP, Grid


def picture(figure: FigureSpec, look: Look, metrics: TextMetrics) -> Picture:
    spec = figure.layer
    fs = look.font_scale
    size = grids.NUMBER * fs
    x = ops.example_input(spec, figure.seed)
    kernel = ops.example_kernel(spec, figure.seed)
    cols = ops.im2col(spec, x, kernel, figure.flip)
    lay = geometry.layout(spec)
    roles = lay.roles
    ho, wo = lay.output_shape
    taps, n = cols.patches.shape
    grid_values = geometry.drawn_values(spec, x[None])[0]

    fmt = np.vectorize(words.fmt_number, otypes=[str])
    grid_texts = fmt(grid_values)
    grid_texts[roles == Role.OVERHANG] = ""
    p_texts = fmt(cols.patches)
    y_texts = fmt(cols.output)
    row_texts = fmt(cols.row)
    cell = grids.CELL * fs
    cw_in = grids.cell_width(list(grid_texts.ravel()) + list(row_texts), metrics, size)
    cw_y = grids.cell_width(list(y_texts), metrics, size)
    cw_p = max(cw_in, cw_y)

    label_gap = 1.6 * grids.WORDS * fs
    top = label_gap
    in_grid = Grid(0, top, *lay.shape, cw_in, cell)
    lab = grids.WORDS * fs
    in_label = words.grid_label(
        words.INPUT,
        spec.input_size,
        padded=lay.shape != spec.input_size,
        zeros=spec.is_transposed and spec.stride != (1, 1),
    )
    in_span = max(in_grid.width, metrics.measure(in_label, lab)[0])
    out_grid = Grid(
        in_span + 2 * GAP, top + max(0, (lay.shape[0] - ho) * cell / 2), ho, wo, cw_y, cell
    )
    below = top + max(in_grid.height, out_grid.height) + GAP + label_gap
    k_row = Grid(0, below + (taps - 1) * cell / 2, 1, taps, cw_in, cell)
    row_word = words.POOL_ROW if spec.op == "avg_pool" else words.KERNEL_ROW
    k_span = max(k_row.width, metrics.measure(row_word, lab)[0])
    p_grid = Grid(k_span + 1.5 * GAP, below, taps, n, cw_p, cell)
    y_row = Grid(p_grid.x, below + p_grid.height + GAP + label_gap, 1, n, cw_p, cell)

    static: list[Primitive] = []
    pad = np.argwhere(roles != Role.INPUT)
    dash = (3 * grids.LINE, 3 * grids.LINE)
    static.append(grids.faces(in_grid, pad, "padding"))
    static.append(
        Polygons(
            in_grid.corners(pad), None, grids.BORDERS, edge="grid", width=grids.LINE, dash=dash
        )
    )
    static.append(
        Polygons(
            in_grid.corners(np.argwhere(roles == Role.INPUT)),
            None,
            grids.BORDERS,
            edge="grid",
            width=grids.LINE,
        )
    )
    static += grids.numbers(in_grid, grid_texts, size)
    static.append(grids.borders(out_grid))
    static += grids.numbers(out_grid, y_texts.reshape(ho, wo), size)
    static.append(grids.faces(k_row, k_row.all_cells(), grids.TINT))
    static.append(grids.borders(k_row))
    static += grids.numbers(k_row, row_texts.reshape(1, -1), size)
    zeros = np.argwhere(~cols.taps_real)
    static.append(
        Polygons(
            p_grid.corners(zeros), None, grids.BORDERS, edge="grid", width=grids.LINE / 2, dash=dash
        )
    )
    static.append(grids.borders(p_grid, width=grids.LINE / 2))
    static += grids.numbers(p_grid, p_texts, size)
    static.append(grids.borders(y_row))
    static += grids.numbers(y_row, y_texts.reshape(1, -1), size)
    static.append(
        Text("·", k_span + 0.75 * GAP, k_row.y + cell / 2, size * 1.2, "text", grids.LABELS)
    )
    row_word = words.POOL_ROW if spec.op == "avg_pool" else words.KERNEL_ROW
    for text, gx, gy in (
        (in_label, in_grid.x, in_grid.y),
        (words.grid_label(words.OUTPUT, (ho, wo)), out_grid.x, out_grid.y),
        (row_word, k_row.x, k_row.y),
        (words.grid_label(words.PATCHES, (taps, n)), p_grid.x, p_grid.y),
        (words.OUTPUT_ROW, y_row.x, y_row.y),
    ):
        static.append(Text(text, gx, gy - 0.4 * lab, lab, "text", grids.LABELS, "left", "bottom"))
    product_y = y_row.y + cell + 0.6 * size

    def moving(index: int) -> tuple[Primitive, ...]:
        r, c = divmod(index, wo)
        window = lay.window(index)
        column = np.stack([np.arange(taps), np.full(taps, index)], 1)
        real = cols.taps_real[:, index]
        out: list[Primitive] = [
            grids.faces(out_grid, np.array([[r, c]]), "output", grids.HIGHLIGHT),
            grids.faces(y_row, np.array([[0, index]]), "output", grids.HIGHLIGHT),
            grids.outline(p_grid.box(0, index, taps, index + 1)),
        ]
        if real.any():
            out.append(grids.faces(p_grid, column[real], "input", grids.HIGHLIGHT))
            out.append(grids.faces(in_grid, window.taps[real], "input", grids.HIGHLIGHT))
        if (~real).any():
            out.append(grids.faces(p_grid, column[~real], "shade", grids.HIGHLIGHT))
            out.append(grids.faces(in_grid, window.taps[~real], "shade", grids.HIGHLIGHT))
        r0, c0, r1, c1 = window.box
        out.append(grids.outline(in_grid.box(r0, c0, r1, c1)))
        text = words.product(
            "y",
            index,
            cols.row,
            cols.patches[:, index],
            cols.output[index],
            cols.divisor[index] if spec.op == "avg_pool" else 1.0,
        )
        out.append(Text(text, 0, product_y, size, "text", grids.LABELS, "left", "top"))
        return tuple(out)

    lines = words.im2col_captions(spec, look.formula, figure.flip)
    return grids.finish(static, n, moving, metrics, look, lambda i: lines)
