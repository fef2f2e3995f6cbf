"""Every string the matrix, im2col and receptive-field views show, and the lines ``explain``
prints about them (the kernel flip, the matrix, the fields). numpy only (numbers as printed).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction

from convanim.model.spec import LayerSpec
from convanim.scene.words import FLIP_LINE, caption_lines, dims

_MAX_TERMS = 9  # a longer sum is cut after six terms


def fmt_number(value: float) -> str:
    """An integer as itself, else two decimals at most (1.33, 0.5)."""
    if math.isnan(value):
        return ""
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.2f}".rstrip("0")


def fmt_entry(value: float) -> str:
    """An entry of C: blank for zero, a fraction for an average's 1/n, else the number."""
    if value == 0:
        return ""
    if float(value).is_integer():
        return str(int(value))
    frac = Fraction(value).limit_denominator(100)
    if abs(float(frac) - value) < 1e-9:
        return f"{frac.numerator}/{frac.denominator}"
    return fmt_number(value)


def product(
    name: str,
    index: int,
    weights: Sequence[float],
    values: Sequence[float],
    result: float,
    divisor: float = 1.0,
) -> str:
    """y[5] = 1·3 + 2·0 + ... = 7 (an average: (3 + 0 + 1) / 4 = 1)."""
    head = f"{name}[{index}] = "
    if divisor != 1:
        terms = [fmt_number(v) for v in values]
        if len(terms) > _MAX_TERMS:
            terms = [*terms[:6], "…"]
        return f"{head}({' + '.join(terms)}) / {fmt_number(divisor)} = {fmt_number(result)}"
    terms = [f"{fmt_entry(w) or '0'}·{fmt_number(v)}" for w, v in zip(weights, values)]
    if not terms:
        return f"{head}0 (every tap is on padding)"
    if len(terms) > _MAX_TERMS:
        terms = [*terms[:6], "…"]
    return f"{head}{' + '.join(terms)} = {fmt_number(result)}"


def flip_line(flip: bool) -> str:
    if flip:
        return FLIP_LINE
    return "cross-correlation, as PyTorch computes it: the kernel is not rotated"


def matrix_title(spec: LayerSpec, shape: tuple[int, int]) -> str:
    name = "Cᵀ" if spec.is_transposed else "C"
    return f"{name}  ({dims(*shape)})"


def matrix_captions(
    spec: LayerSpec, partner: LayerSpec | None, formula: bool, flip: bool
) -> list[str]:
    lines = caption_lines(spec, formula)
    if spec.is_transposed:
        if partner is not None:
            lines.append(
                f"Cᵀ: the matrix of the convolution {dims(*partner.input_size)} → "
                f"{dims(*spec.input_size)} with this kernel, transposed"
            )
        else:
            lines.append("Cᵀ: the transpose of the convolution with this kernel (rows cropped)")
    if any(spec.pads) and not spec.is_transposed:
        lines.append("padding cropped: a tap over zero padding multiplies 0, so it has no column")
    if not spec.is_pool:
        lines.append(flip_line(flip))
    return lines


def im2col_captions(spec: LayerSpec, formula: bool, flip: bool) -> list[str]:
    lines = caption_lines(spec, formula)
    if spec.is_transposed:
        lines.append(
            "as the guide draws it: zeros inserted, the kernel rotated, a direct convolution"
        )
    if spec.op == "avg_pool":
        lines.append("an average: the row of ones times each column, divided by its count")
    else:
        lines.append(flip_line(flip))
    return lines


# -- labels ------------------------------------------------------------------------------------

INPUT = "input x"
OUTPUT = "output y"
X_COLUMN = "x"
Y_COLUMN = "y"
KERNEL_ROW = "kernel as a row"
POOL_ROW = "ones (an average)"
PATCHES = "patches: one column per output cell"
OUTPUT_ROW = "output y: one product per column"


def grid_label(word: str, shape: Sequence[int], padded: bool = False, zeros: bool = False) -> str:
    how = ", zeros inserted, padded" if zeros else ", padded" if padded else ""
    return f"{word}  ({dims(*shape)}{how})"


# -- receptive fields --------------------------------------------------------------------------


def _pair(values: Sequence[float]) -> str:
    texts = [fmt_number(v) for v in values]
    return texts[0] if texts[0] == texts[1] else " x ".join(texts)


def field_lines(rf: Sequence[int], jump: Sequence[int], start: Sequence[float]) -> list[str]:
    return [f"rf {_pair(rf)}", f"jump {_pair(jump)}", f"start {_pair(start)}"]


def layer_title(number: int, spec: LayerSpec) -> str:
    op = {"conv": "conv", "max_pool": "max pool", "avg_pool": "avg pool"}.get(spec.op, spec.op)
    words = f"after {number}: {op} {dims(*spec.kernel_size)}"
    if spec.stride != (1, 1):
        words += f" s{_pair(spec.stride)}"
    if spec.dilation != (1, 1):
        words += f" d{_pair(spec.dilation)}"
    return words


def field_caption(cell: Sequence[int], rf: Sequence[int]) -> str:
    return f"output cell ({cell[0]}, {cell[1]}) of the last layer sees {dims(*rf)} input cells"


RF_INPUT = "input"
RF_NOTE = "dashed cells: the field reaches past the grid, into its padding"
