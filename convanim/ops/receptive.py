"""Receptive-field arithmetic of layers one after another. numpy-free, integers and halves.

Per axis, with the layer's effective kernel e = d·(k - 1) + 1, stride s and leading padding p,
the standard recurrences from the input (rf 1, jump 1, start 0) are

    rf_l    = rf_{l-1} + (e - 1) · jump_{l-1}
    jump_l  = jump_{l-1} · s
    start_l = start_{l-1} + ((e - 1) / 2 - p) · jump_{l-1}

``start`` is the centre of the first output cell's field, in input cell indices (the input's
cell 0 has its centre at 0; a field over padding starts below 0). ``window`` gives the exact
field of one output cell in every earlier layer, as index ranges that may reach past a grid
into its padding. A transposed convolution has no window of the input (how many inputs an
output cell reads changes from cell to cell), so it is refused.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from convanim.errors import SpecError
from convanim.model.spec import LayerSpec

Span = tuple[int, int]  # first and last index, inclusive


@dataclass(frozen=True)
class Field:
    """The receptive field of one layer's output cells in the input of the first layer."""

    rf: tuple[int, int]
    jump: tuple[int, int]
    start: tuple[float, float]

    def as_json(self) -> dict[str, list[float]]:
        return {
            "rf": list(self.rf),
            "jump": list(self.jump),
            "start": [int(v) if float(v).is_integer() else v for v in self.start],
        }


def check_layers(layers: Sequence[LayerSpec], field: str = "receptive_field") -> None:
    for number, layer in enumerate(layers, 1):
        if layer.is_transposed:
            raise SpecError(
                field,
                f"layer {number} is a conv_transpose, whose output cells read different numbers "
                "of inputs, so it has no receptive-field window; use conv and pooling layers",
            )


def fields(layers: Sequence[LayerSpec]) -> list[Field]:
    """The field of every layer's output cells, first layer first."""
    check_layers(layers)
    rf, jump, start = [1, 1], [1, 1], [0.0, 0.0]
    out: list[Field] = []
    for layer in layers:
        for axis in (0, 1):
            span = layer.effective_kernel[axis] - 1
            pad = layer.pads[2 * axis]
            start[axis] = start[axis] + (span / 2 - pad) * jump[axis]
            rf[axis] = rf[axis] + span * jump[axis]
            jump[axis] = jump[axis] * layer.stride[axis]
        out.append(Field((rf[0], rf[1]), (jump[0], jump[1]), (start[0], start[1])))
    return out


def windows(layers: Sequence[LayerSpec], cell: tuple[int, int]) -> list[tuple[Span, Span]]:
    """The field of output cell ``cell`` of the last layer in every grid, input first: one
    (rows, cols) pair of inclusive index ranges per grid (len(layers) + 1 of them; the last is
    the cell itself)."""
    check_layers(layers)
    rows: Span = (cell[0], cell[0])
    cols: Span = (cell[1], cell[1])
    out = [(rows, cols)]
    for layer in reversed(layers):
        rows = _back(layer, 0, rows)
        cols = _back(layer, 1, cols)
        out.append((rows, cols))
    return out[::-1]


def _back(layer: LayerSpec, axis: int, span: Span) -> Span:
    s, e, p = layer.stride[axis], layer.effective_kernel[axis], layer.pads[2 * axis]
    return (span[0] * s - p, span[1] * s - p + e - 1)
