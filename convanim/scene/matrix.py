"""The matrix view: a single-channel layer as y = C x (the guide's section 4.1).

Top: the input grid (its padding ring dashed and empty) and the output grid. Below: the matrix
C (rows = output cells, columns = real input cells; a tap's entry tinted, zeros blank), the
unrolled input x as a column, and the unrolled output y. Frame k (one per output cell, as the
other views) fills output cell k and y[k], outlines row k of C and fills its entries, fills the
input cells that row reads (in x and on the grid; a tap over padding is shaded, it reads a
zero), and writes the product. A transposed convolution is drawn as Cᵀ of the convolution it
is the gradient of (``convanim.ops.matrix``). numpy only.
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


def figure_values(figure: FigureSpec) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
    """(x, kernel, C) the figure shows: the example input and kernel, and the layer's matrix."""
    spec = figure.layer
    x = ops.example_input(spec, figure.seed)
    kernel = ops.example_kernel(spec, figure.seed)
    return x, kernel, ops.matrix(spec, kernel, figure.flip)


def input_grid_cells(spec, lay) -> tuple[tuple[int, int], np.ndarray, np.ndarray]:
    """The input grid as the view draws it: the drawn grid of a convolution or a pool (padding
    and overhang included), the plain input of a transposed convolution. Returns its shape, the
    (rows, cols) offset of the real input inside it, and the role of every cell."""
    if spec.is_transposed:
        return spec.input_size, np.array([0, 0]), np.zeros(spec.input_size, np.uint8)
    return lay.shape, np.array([spec.pads[0], spec.pads[2]]), lay.roles


def picture(figure: FigureSpec, look: Look, metrics: TextMetrics) -> Picture:
    spec = figure.layer
    fs = look.font_scale
    size = grids.NUMBER * fs
    x, _, c_matrix = figure_values(figure)
    reach = ops.structure(spec)
    y = c_matrix @ x.ravel()
    (h, w), (ho, wo) = spec.input_size, geometry.output_size(spec)
    n_out, n_in = c_matrix.shape
    lay = geometry.layout(spec)
    shape, offset, roles = input_grid_cells(spec, lay)

    x_texts = np.vectorize(words.fmt_number, otypes=[str])(x)
    y_texts = np.vectorize(words.fmt_number, otypes=[str])(y)
    c_texts = np.where(reach, np.vectorize(words.fmt_entry, otypes=[str])(c_matrix), "")
    c_texts = np.where(reach & (c_texts == ""), "0", c_texts)
    cell = grids.CELL * fs
    cw_x = grids.cell_width(list(x_texts.ravel()), metrics, size)
    cw_y = grids.cell_width(list(y_texts.ravel()), metrics, size)
    cw_c = grids.cell_width(list(c_texts.ravel()), metrics, size)

    label_gap = 1.6 * grids.WORDS * fs
    top = label_gap
    in_grid = Grid(0, top, shape[0], shape[1], cw_x, cell)
    lab = grids.WORDS * fs
    in_label = words.grid_label(words.INPUT, (h, w), padded=shape != (h, w))
    title = words.matrix_title(spec, (n_out, n_in))
    in_span = max(in_grid.width, metrics.measure(in_label, lab)[0])
    out_grid = Grid(in_span + 2 * GAP, top + max(0, (shape[0] - ho) * cell / 2), ho, wo, cw_y, cell)
    below = top + max(in_grid.height, out_grid.height) + GAP + label_gap
    c_grid = Grid(0, below, n_out, n_in, cw_c, cell)
    c_span = max(c_grid.width, metrics.measure(title, lab)[0])
    x_col = Grid(c_span + 1.5 * GAP, below, n_in, 1, cw_x, cell)
    y_col = Grid(x_col.x + cw_x + 1.5 * GAP, below, n_out, 1, cw_y, cell)

    static: list[Primitive] = []
    real = np.argwhere(roles == Role.INPUT)
    static.append(grids.faces(in_grid, np.argwhere(roles != Role.INPUT), "padding"))
    dash = (3 * grids.LINE, 3 * grids.LINE)
    static.append(
        Polygons(
            in_grid.corners(np.argwhere(roles != Role.INPUT)),
            None,
            grids.BORDERS,
            edge="grid",
            width=grids.LINE,
            dash=dash,
        )
    )
    static.append(
        Polygons(in_grid.corners(real), None, grids.BORDERS, edge="grid", width=grids.LINE)
    )
    grid_x = np.full(shape, "", dtype=object)
    grid_x[offset[0] : offset[0] + h, offset[1] : offset[1] + w] = x_texts
    static += grids.numbers(in_grid, grid_x, size)
    static.append(grids.borders(out_grid))
    static += grids.numbers(out_grid, y_texts.reshape(ho, wo), size)
    static.append(grids.faces(c_grid, np.argwhere(reach), grids.TINT))
    static.append(grids.borders(c_grid, width=grids.LINE / 2))
    static += grids.numbers(c_grid, c_texts, size)
    static.append(grids.borders(x_col))
    static += grids.numbers(x_col, x_texts.reshape(-1, 1), size)
    static.append(grids.borders(y_col))
    static += grids.numbers(y_col, y_texts.reshape(-1, 1), size)
    mid = below + min(n_in, n_out) * cell / 2
    for sign, at in (("·", c_span + 0.75 * GAP), ("=", x_col.x + cw_x + 0.75 * GAP)):
        static.append(Text(sign, at, mid, size * 1.2, "text", grids.LABELS))
    for text, gx, gy in (
        (in_label, in_grid.x, in_grid.y),
        (words.grid_label(words.OUTPUT, (ho, wo)), out_grid.x, out_grid.y),
        (title, c_grid.x, c_grid.y),
        (words.X_COLUMN, x_col.x, x_col.y),
        (words.Y_COLUMN, y_col.x, y_col.y),
    ):
        static.append(Text(text, gx, gy - 0.4 * lab, lab, "text", grids.LABELS, "left", "bottom"))
    product_y = below + max(n_in, n_out) * cell + 0.6 * size

    def moving(index: int) -> tuple[Primitive, ...]:
        r, c = divmod(index, wo)
        reads = np.flatnonzero(reach[index])
        window = lay.window(index)
        out: list[Primitive] = []
        out.append(grids.faces(out_grid, np.array([[r, c]]), "output", grids.HIGHLIGHT))
        out.append(grids.faces(y_col, np.array([[index, 0]]), "output", grids.HIGHLIGHT))
        if len(reads):
            out.append(
                grids.faces(
                    c_grid,
                    np.stack([np.full(len(reads), index), reads], 1),
                    "input",
                    grids.HIGHLIGHT,
                )
            )
            out.append(
                grids.faces(
                    x_col, np.stack([reads, np.zeros_like(reads)], 1), "input", grids.HIGHLIGHT
                )
            )
            cells = np.stack(np.divmod(reads, w), 1) + offset
            out.append(grids.faces(in_grid, cells, "input", grids.HIGHLIGHT))
        if not spec.is_transposed:
            taps = window.taps
            zero = [tuple(t) for t in taps if roles[t[0], t[1]] != Role.INPUT]
            if zero:
                out.append(grids.faces(in_grid, np.array(zero), "shade", grids.HIGHLIGHT))
        out.append(grids.outline(c_grid.box(index, 0, index + 1, n_in)))
        text = words.product("y", index, c_matrix[index, reads], x.ravel()[reads], y[index])
        out.append(Text(text, 0, product_y, size, "text", grids.LABELS, "left", "top"))
        return tuple(out)

    partner = ops.forward_partner(spec)
    lines = words.matrix_captions(spec, partner, look.formula, figure.flip)
    return grids.finish(static, n_out, moving, metrics, look, lambda i: lines)
