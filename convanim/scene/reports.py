"""What ``convanim explain --matrix`` and ``--receptive-field`` print: the layer's matrix and a
stack's receptive fields, as JSON-ready data and as readable tables. numpy only.

The matrix's contract (``matrix_data``): ``matrix @ x.ravel()`` is PyTorch's output for any
(H, W) input ``x`` when the layer is given ``weight`` (Conv2d's or ConvTranspose2d's weight
``[0, 0]``, single channel). With ``flip`` the figure is a true convolution of ``kernel``, which
PyTorch computes with the kernel rotated by 180 degrees: ``weight`` is then that rotated kernel.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np

from convanim.errors import SpecError
from convanim.model.spec import FigureSpec, LayerSpec, parse_spec_string
from convanim.model.views import NUMBER_VIEWS, check_linear
from convanim.ops import geometry, receptive
from convanim.ops import matrix as ops
from convanim.scene import matrix_words as words
from convanim.scene.words import dims, parameter_line


def numbers_shown(target: Any, flip: bool | None, matrix: bool) -> Any:
    """The figure explained as its numbers: in the matrix view for ``--matrix`` (else a view
    that shows numbers), flipped as ``--flip`` says. Only single figures have numbers."""
    field = "matrix" if matrix else "flip"
    if not isinstance(target, FigureSpec):
        raise SpecError(field, f"explains one figure; {target.name!r} has several")
    if matrix:
        check_linear(target.layer, "matrix")
    view = "matrix" if matrix else target.view
    view = view if view in NUMBER_VIEWS else "numerical"
    changes: dict[str, Any] = {"view": view}
    if flip is not None:
        changes["flip"] = flip
    return dataclasses.replace(target, **changes)


def matrix_data(figure: FigureSpec) -> dict[str, Any]:
    spec = figure.layer
    check_linear(spec, "matrix")
    kernel = ops.example_kernel(spec, figure.seed)
    c_matrix = ops.matrix(spec, kernel, figure.flip)
    weight = None if kernel is None else ops.used_kernel(kernel, figure.flip)
    return {
        "op": spec.op,
        "input_size": list(spec.input_size),
        "output_size": list(geometry.output_size(spec)),
        "flip": figure.flip,
        "kernel": None if kernel is None else kernel.tolist(),
        "weight": None if weight is None else weight.tolist(),
        "matrix": c_matrix.tolist(),
    }


def _table(rows: np.ndarray, fmt) -> list[str]:
    texts = [[fmt(v) for v in row] for row in rows]
    width = max((len(t) for row in texts for t in row), default=1)
    return ["  " + " ".join(t.rjust(width) for t in row) for row in texts]


def matrix_text(figure: FigureSpec) -> str:
    data = matrix_data(figure)
    spec = figure.layer
    c_matrix = np.array(data["matrix"])
    name = "Cᵀ" if spec.is_transposed else "C"
    lines = [
        parameter_line(spec),
        f"y = {name} x: {name} is {dims(*c_matrix.shape)} (rows: the {dims(*data['output_size'])} "
        f"output cells, row-major; columns: the {dims(*spec.input_size)} input cells, row-major)",
    ]
    if any(spec.pads) and not spec.is_transposed:
        lines.append(
            "padding is cropped: a tap over zero padding multiplies 0 and has no column"
            + (
                ""
                if spec.padding_mode == "zeros"
                else f"; {spec.padding_mode} padding reads real cells, which get its weights"
            )
        )
    partner = ops.forward_partner(spec)
    if partner is not None:
        lines.append(
            f"Cᵀ is the transpose of C of the convolution {dims(*partner.input_size)} -> "
            f"{dims(*spec.input_size)} with the same weight: the transposed convolution is its "
            "backward pass"
        )
    if not spec.is_pool:
        lines.append(words.flip_line(figure.flip))
        lines.append(flip_difference(spec))
        if figure.flip:
            lines.append("kernel (true convolution):")
            lines += _table(np.array(data["kernel"]), words.fmt_number)
        layout = "ConvTranspose2d" if spec.is_transposed else "Conv2d"
        lines.append(f"weight (PyTorch's {layout} weight[0, 0]):")
        lines += _table(np.array(data["weight"]), words.fmt_number)
    lines.append(f"{name} (a dot is a zero):")
    lines += _table(c_matrix, lambda v: words.fmt_entry(v) or ".")
    return "\n".join(lines)


def flip_difference(spec: LayerSpec) -> str:
    fn = "conv_transpose2d" if spec.is_transposed else "conv2d"
    return (
        "the difference: a true convolution rotates the kernel by 180 degrees before sliding it, "
        f"PyTorch's cross-correlation does not; F.{fn}(x, w.flip(-2, -1)) is w's true convolution"
    )


# -- receptive fields --------------------------------------------------------------------------


def chained_layers(refs: Sequence[str], resolve) -> list[LayerSpec]:
    """Layers from a sequence template name or several refs (spec strings or single-figure
    templates); a later spec string without an input size takes the previous output's."""
    from convanim.model.spec import SequenceSpec

    if len(refs) == 1:
        target = resolve(refs[0], None)
        if isinstance(target, SequenceSpec):
            return [stage.layer for stage in target.stages]
        if isinstance(target, FigureSpec):
            return [target.layer]
        raise SpecError(
            "receptive_field", f"{refs[0]!r} is a comparison; name a sequence or layers"
        )
    layers: list[LayerSpec] = []
    for number, ref in enumerate(refs, 1):
        overrides = None
        if layers and ":" in ref:
            keys = {k.strip().lower().replace("-", "_") for k in parse_spec_string(ref)}
            if not keys & {"i", "input", "input_size"}:
                overrides = {"input_size": "x".join(map(str, geometry.output_size(layers[-1])))}
        try:
            target = resolve(ref, overrides)
        except SpecError as exc:
            raise SpecError(
                exc.field, f"layer {number} ({ref}): {str(exc).split(': ', 1)[-1]}"
            ) from None
        if not isinstance(target, FigureSpec):
            raise SpecError("receptive_field", f"layer {number} ({ref!r}) is not a single layer")
        if layers and target.layer.input_size != geometry.output_size(layers[-1]):
            got, want = target.layer.input_size, geometry.output_size(layers[-1])
            raise SpecError(
                "receptive_field",
                f"layer {number} ({ref}) has input {dims(*got)}, but layer {number - 1} outputs "
                f"{dims(*want)}; leave the input size out to chain it",
            )
        layers.append(target.layer)
    return layers


def receptive_data(layers: Sequence[LayerSpec]) -> list[dict[str, Any]]:
    return [field.as_json() for field in receptive.fields(layers)]


def receptive_text(layers: Sequence[LayerSpec]) -> str:
    fields = receptive.fields(layers)
    head = ("layer", "op", "output", "rf", "jump", "start")
    rows = [head]
    for number, (layer, field) in enumerate(zip(layers, fields), 1):
        rows.append(
            (
                str(number),
                _layer_words(layer),
                dims(*geometry.output_size(layer)),
                dims(*field.rf),
                dims(*field.jump),
                " x ".join(words.fmt_number(v) for v in field.start),
            )
        )
    widths = [max(len(r[k]) for r in rows) for k in range(len(head))]
    lines = ["  ".join(t.ljust(w) for t, w in zip(row, widths)).rstrip() for row in rows]
    lines.append(
        "rf: field size in input cells; jump: input cells between neighbouring outputs; "
        "start: input index of the centre of output cell 0's field"
    )
    lines.append(
        "rf_l = rf_{l-1} + d·(k - 1)·jump_{l-1};  jump_l = jump_{l-1}·s;  "
        "start_l = start_{l-1} + (d·(k - 1)/2 - p)·jump_{l-1}"
    )
    return "\n".join(lines)


def _short(pair: Sequence[int]) -> str:
    return str(pair[0]) if pair[0] == pair[1] else "x".join(map(str, pair))


def _layer_words(layer: LayerSpec) -> str:
    text = f"{layer.op} k{_short(layer.kernel_size)} s{_short(layer.stride)}"
    if layer.dilation != (1, 1):
        text += f" d{_short(layer.dilation)}"
    return text + f" p{_short((layer.pads[0], layer.pads[2]))}"
