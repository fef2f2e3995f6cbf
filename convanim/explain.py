"""Slide notes for a figure: the layer in words, its output size worked out, and the same layer
in PyTorch and Keras.

``explain(target)`` owns the text and the translation rules: which framework arguments are
defaults and left out, when a framework's ``"same"`` padding really is the figure's padding, and
what to write when a framework has no single argument for it (explicit padding layers, a crop,
or an honest note). The numbers come from ``convanim.ops.geometry``; this module only shows how they
arise. numpy only, no matplotlib.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from convanim.errors import SpecError
from convanim.model.spec import CompareSpec, FigureSpec, LayerSpec, SequenceSpec
from convanim.ops import geometry
from convanim.scene import reports
from convanim.scene.matrix_words import flip_line
from convanim.scene.reports import flip_difference, numbers_shown  # noqa: F401 - re-exported
from convanim.scene.words import (  # noqa: F401 - re-exported
    _AXES,
    _axis_values,
    direct_line,
    formula_line,
    parameter_line,
)
from convanim.scene.words import axis_formula as _axis_formula

Target = FigureSpec | LayerSpec | CompareSpec | SequenceSpec

_OP_WORDS = {
    "conv": "convolution",
    "conv_transpose": "transposed convolution",
    "max_pool": "max pooling",
    "avg_pool": "average pooling",
}
_TORCH_PAD_LAYERS = {
    "zeros": "torch.nn.ZeroPad2d",
    "reflect": "torch.nn.ReflectionPad2d",
    "replicate": "torch.nn.ReplicationPad2d",
    "circular": "torch.nn.CircularPad2d",
}


def explain(target: Target) -> str:
    """Plain-text notes, one item per line; the members of a comparison (or the stages of a
    sequence) one after another, separated by a blank line."""
    if isinstance(target, CompareSpec):
        blocks = [
            _explain_figure(member, label=label)
            for member, label in zip(target.members, target.labels)
        ]
        return "\n\n".join(blocks)
    if isinstance(target, SequenceSpec):
        n = len(target.stages)
        blocks = [
            _explain_figure(stage, label=f"stage {k} of {n}")
            for k, stage in enumerate(target.stages, 1)
        ]
        return "\n\n".join(blocks)
    if isinstance(target, LayerSpec):
        return "\n".join(_layer_lines(target, frames=None))
    if isinstance(target, FigureSpec):
        return _explain_figure(target)
    raise TypeError(f"cannot explain a {type(target).__name__}")


def _explain_figure(figure: FigureSpec, label: str | None = None) -> str:
    head = figure.name if label is None or label == figure.name else f"[{label}] {figure.name}"
    if figure.description:
        head += f": {figure.description}"
    lines = [head, *_layer_lines(figure.layer, frames=figure)]
    if figure.flip:
        lines += [f"kernel: {flip_line(True)}", flip_difference(figure.layer)]
    return "\n".join(lines)


def explain_matrix(target: Target, as_json: bool = False) -> str:
    """The figure's matrix C (y = C x) as a table, or as JSON (``reports.matrix_data``)."""
    if not isinstance(target, FigureSpec):
        kind = type(target).__name__.replace("Spec", "").lower()
        raise SpecError(
            "matrix", f"explains one layer; {getattr(target, 'name', '')!r} is a {kind}"
        )
    if as_json:
        return json.dumps(reports.matrix_data(target))
    return reports.matrix_text(target)


def explain_receptive_field(
    refs: Sequence[str], resolve: Callable[[str, Any], Any], as_json: bool = False
) -> str:
    """Each layer's receptive field (rf, jump, start) of a sequence template, or of several
    refs chained (a later spec string without an input size takes the previous output)."""
    layers = reports.chained_layers(refs, resolve)
    if as_json:
        return json.dumps(reports.receptive_data(layers))
    return reports.receptive_text(layers)


def _layer_lines(spec: LayerSpec, frames: FigureSpec | None) -> list[str]:
    lines = [_layer_line(spec), _padding_line(spec), *_size_lines(spec)]
    if spec.is_transposed:  # the figure's grid, as its captions say
        lines.append(direct_line(spec))
    lines.append(_frames_line(spec, frames))
    torch_line, torch_notes = _torch(spec)
    keras_line, keras_notes = _keras(spec)
    lines.append(f"PyTorch: {torch_line}")
    lines += [f"PyTorch note: {n}" for n in torch_notes]
    lines.append(f"Keras: {keras_line}")
    lines += [f"Keras note: {n}" for n in keras_notes]
    return lines


# -- the layer in words --------------------------------------------------------------------------


def _shape(pair: Sequence[int]) -> str:
    return f"{pair[0]}x{pair[1]}"


def _size_words(pair: Sequence[int]) -> str:
    return str(pair[0]) if pair[0] == pair[1] else _shape(pair)


def _layer_line(spec: LayerSpec) -> str:
    parts = [
        f"input {_shape(spec.input_size)}",
        f"kernel {_shape(spec.kernel_size)}",
        f"stride {_size_words(spec.stride)}",
        f"dilation {_size_words(spec.dilation)}",
    ]
    if spec.is_transposed:
        parts.append(f"output_padding {_size_words(spec.output_padding)}")
    if spec.padding_mode != "zeros":
        parts.append(f"padding_mode {spec.padding_mode}")
    if spec.is_pool:
        parts.append(f"ceil_mode {spec.ceil_mode}")
    if spec.op == "avg_pool":
        parts.append(f"count_include_pad {spec.count_include_pad}")
    if spec.in_channels != 1 or spec.out_channels != 1 or spec.groups != 1:
        parts.append(f"channels {spec.in_channels} -> {spec.out_channels}")
        if not spec.is_pool:
            parts.append(f"groups {spec.groups}")
    return f"layer: {spec.op} ({_OP_WORDS[spec.op]}), " + ", ".join(parts)


def _pads_words(pads: Sequence[int]) -> str:
    t, b, left, r = pads
    if not any(pads):
        return "none"
    if t == b == left == r:
        return f"{t} on every side"
    if t == b and left == r:
        return f"{t} top and bottom, {left} left and right"
    return f"top {t}, bottom {b}, left {left}, right {r}"


def _padding_line(spec: LayerSpec) -> str:
    pads = spec.pads
    word = spec.padding if isinstance(spec.padding, str) else None
    if word == "same":
        steps = []
        for axis in (0, 1):
            i, k, s, d = _axis_values(spec, axis)
            total = pads[2 * axis] + pads[2 * axis + 1]
            steps.append(
                f"total = max((ceil({i} / {s}) - 1)·{s} + {d}·({k} - 1) + 1 - {i}, 0) = {total}"
            )
        if steps[0] == steps[1]:
            how = f"{steps[0]} (height and width)"
        else:
            how = f"height {steps[0]}; width {steps[1]}"
        text = (
            f'"same" (TensorFlow\'s: output ceil(i / s), the odd pad at the bottom/right) '
            f"resolved to {_pads_words(pads)}: {how}"
        )
    elif word == "full":
        text = f'"full" (d·(k - 1) on each side) resolved to {_pads_words(pads)}'
    elif word == "valid":
        text = '"valid" resolved to none'
    else:
        text = _pads_words(pads)
    if spec.is_transposed and any(pads):
        text += " (cropped from the output, as PyTorch's padding of a transposed convolution)"
    return f"padding: {text}"


# -- output size ---------------------------------------------------------------------------------


def _size_lines(spec: LayerSpec) -> list[str]:
    same_axes = all(
        (a[0] == a[1]) for a in (spec.input_size, spec.kernel_size, spec.stride, spec.dilation)
    ) and (spec.pads[0], spec.pads[1]) == (spec.pads[2], spec.pads[3])
    if spec.is_transposed:
        same_axes = same_axes and spec.output_padding[0] == spec.output_padding[1]
    if same_axes:
        return [f"output size (height and width): {_axis_formula(spec, 0)}"]
    return [
        f"output {name}: {_axis_formula(spec, axis)}" for axis, (name, _, _) in enumerate(_AXES)
    ]


def _frames_line(spec: LayerSpec, figure: FigureSpec | None) -> str:
    out = geometry.output_size(spec)
    cells = out[0] * out[1]
    text = f"frames: {cells} (one per output cell, {_shape(out)})"
    if figure is None:
        return text
    from convanim.scene.budget import frames_of, shows_schematic
    from convanim.scene.channel_plan import wants_channel_view

    if not wants_channel_view(figure):
        return text
    # The channel view may show fewer positions (a schematic) or one frame per output channel;
    # counted from the geometry, as a huge layer can be explained but not laid out.
    n_frames = frames_of(figure)
    if shows_schematic(figure):
        return f"frames: {n_frames} (a schematic: {n_frames} of the {cells} positions)"
    if n_frames != cells:
        return (
            f"frames: {n_frames} (one per output cell and output channel, "
            f"{_shape(out)} x {spec.out_channels})"
        )
    return f"frames: {cells} (one per output cell, {_shape(out)}, all channels at once)"


# -- PyTorch -------------------------------------------------------------------------------------


def _arg(pair: Sequence[int]) -> str:
    """An int where both axes agree, else a tuple: as the frameworks accept either."""
    return str(pair[0]) if pair[0] == pair[1] else f"({pair[0]}, {pair[1]})"


def _symmetric(pads: Sequence[int]) -> bool:
    return pads[0] == pads[1] and pads[2] == pads[3]


def _torch(spec: LayerSpec) -> tuple[str, list[str]]:
    pads = spec.pads
    t, b, left, r = pads
    padded = any(pads)
    notes: list[str] = []
    args: list[str] = []
    if spec.is_pool:
        name = "MaxPool2d" if spec.op == "max_pool" else "AvgPool2d"
        args.append(f"kernel_size={_arg(spec.kernel_size)}")
        # A pool's stride defaults to its kernel size, not 1: always say it.
        args.append(f"stride={_arg(spec.stride)}")
    else:
        name = "Conv2d" if spec.op == "conv" else "ConvTranspose2d"
        args += [str(spec.in_channels), str(spec.out_channels)]
        args.append(f"kernel_size={_arg(spec.kernel_size)}")
        if spec.stride != (1, 1):
            args.append(f"stride={_arg(spec.stride)}")
    before = ""
    crop = ""
    if padded and _symmetric(pads):
        if spec.op == "conv" and spec.padding == "same" and spec.stride == (1, 1):
            # PyTorch's "same" exists for convolutions at stride 1 only (not for pools).
            args.append('padding="same"')
        else:
            args.append(f"padding={_arg((t, left))}")
    elif padded and spec.is_transposed:
        # ConvTranspose2d crops the same amount from both ends; crop the rest by hand.
        crop = f"[..., {_slice(t, b)}, {_slice(left, r)}]"
    elif padded:
        before = _torch_pad_layer(spec, notes)
    if spec.is_transposed and any(spec.output_padding):
        args.append(f"output_padding={_arg(spec.output_padding)}")
    if spec.dilation != (1, 1):
        args.append(f"dilation={_arg(spec.dilation)}")
    if spec.groups != 1:
        args.append(f"groups={spec.groups}")
    if spec.padding_mode != "zeros" and padded and not before:
        args.append(f'padding_mode="{spec.padding_mode}"')
    if spec.is_pool and spec.ceil_mode:
        args.append("ceil_mode=True")
    if spec.op == "avg_pool" and not spec.count_include_pad:
        args.append("count_include_pad=False")
    layer = f"torch.nn.{name}({', '.join(args)})"
    if before:
        return f"torch.nn.Sequential({before}, {layer})", notes
    if crop:
        notes.append("ConvTranspose2d's padding crops the same amount at both ends; crop by hand")
        return f"{layer}, then crop: y = y{crop}", notes
    return layer, notes


def _slice(lo: int, hi: int) -> str:
    return f"{lo or ''}:{-hi if hi else ''}"


def _torch_pad_layer(spec: LayerSpec, notes: list[str]) -> str:
    """An explicit padding layer for four-sided padding, which no layer argument expresses."""
    t, b, left, r = spec.pads
    sides = f"({left}, {r}, {t}, {b})"
    if spec.op == "max_pool":
        # A max pool pads with -inf (padding never wins); so must the explicit layer.
        layer = f'torch.nn.ConstantPad2d({sides}, float("-inf"))'
    else:
        layer = f"{_TORCH_PAD_LAYERS[spec.padding_mode]}({sides})"
    if spec.op == "avg_pool" and not spec.count_include_pad:
        notes.append(
            "no exact equivalent: explicitly added zeros count in the average, as if "
            "count_include_pad=True"
        )
    if spec.is_pool and spec.ceil_mode and _explicit_pad_changes_size(spec):
        notes.append(
            "not exact with ceil_mode: after explicit padding, PyTorch's last-window rule counts "
            "the padding as input and the output size changes"
        )
    return layer


def _explicit_pad_changes_size(spec: LayerSpec) -> bool:
    t, b, left, r = spec.pads
    h, w = spec.input_size
    padded = spec.replace(input_size=(h + t + b, w + left + r), padding=0)
    return geometry.output_size(padded) != geometry.output_size(spec)


# -- Keras ---------------------------------------------------------------------------------------


def tf_same_pads(spec: LayerSpec) -> tuple[int, int, int, int]:
    """TensorFlow's "same" padding for the spec's sizes: output ceil(i / s), the odd one at the
    bottom/right. (``LayerSpec(padding="same").pads``, without that spec's validation, which
    refuses some pools TensorFlow accepts.)"""
    out: list[int] = []
    for axis in (0, 1):
        i, k, s, d = _axis_values(spec, axis)
        total = max((-(-i // s) - 1) * s + (k - 1) * d + 1 - i, 0)
        out += [total // 2, total - total // 2]
    return (out[0], out[1], out[2], out[3])


def _overhang(spec: LayerSpec) -> tuple[int, int]:
    """Rows and columns a ceil_mode window reaches past the padded input (bottom, right)."""
    out = geometry.output_size(spec)
    reach = [(o - 1) * s + e for o, s, e in zip(out, spec.stride, spec.effective_kernel)]
    padded = [i + spec.pads[2 * a] + spec.pads[2 * a + 1] for a, i in enumerate(spec.input_size)]
    return (max(reach[0] - padded[0], 0), max(reach[1] - padded[1], 0))


def _keras_pads(pads: Sequence[int]) -> str:
    t, b, left, r = pads
    return f"(({t}, {b}), ({left}, {r}))"


def _keras(spec: LayerSpec) -> tuple[str, list[str]]:
    if spec.is_transposed:
        return _keras_transposed(spec)
    if spec.is_pool:
        return _keras_pool(spec)
    return _keras_conv(spec)


def _keras_conv_args(spec: LayerSpec, padding: str) -> list[str]:
    args = [f"filters={spec.out_channels}", f"kernel_size={_arg(spec.kernel_size)}"]
    if spec.stride != (1, 1):
        args.append(f"strides={_arg(spec.stride)}")
    args.append(f'padding="{padding}"')
    if spec.dilation != (1, 1):
        args.append(f"dilation_rate={_arg(spec.dilation)}")
    if spec.groups != 1:
        args.append(f"groups={spec.groups}")
    return args


def _stride_and_dilation(spec: LayerSpec, notes: list[str]) -> None:
    if spec.stride != (1, 1) and spec.dilation != (1, 1):
        notes.append(
            "Keras refuses strides > 1 together with dilation_rate > 1; use strides=1 and "
            "keep every s-th output (y[:, ::s_h, ::s_w, :])"
        )


def _keras_conv(spec: LayerSpec) -> tuple[str, list[str]]:
    pads = spec.pads
    notes: list[str] = []
    _stride_and_dilation(spec, notes)
    if not any(pads):
        return _call("Conv2D", _keras_conv_args(spec, "valid")), notes
    layer = _call("Conv2D", _keras_conv_args(spec, "valid"))
    if spec.padding_mode == "zeros":
        if pads == tf_same_pads(spec):
            return _call("Conv2D", _keras_conv_args(spec, "same")), notes
        return _sequential(f"keras.layers.ZeroPadding2D({_keras_pads(pads)})", layer), notes
    t, b, left, r = pads
    tf_pads = f"[[0, 0], [{t}, {b}], [{left}, {r}], [0, 0]]"
    if spec.padding_mode == "reflect":
        notes.append(f'Keras layers pad with zeros only: x = tf.pad(x, {tf_pads}, mode="REFLECT")')
    elif spec.padding_mode == "replicate" and max(pads) <= 1:
        # One cell of SYMMETRIC padding copies the edge cell, which is what replicate does.
        notes.append(
            f'Keras layers pad with zeros only: x = tf.pad(x, {tf_pads}, mode="SYMMETRIC") '
            "(the same as replicate for a padding of 1)"
        )
    else:
        notes.append(
            f"Keras layers pad with zeros only, and tf.pad has no {spec.padding_mode} mode: "
            "pad the input yourself"
        )
    return f"{layer} on the padded input", notes


def _keras_pool(spec: LayerSpec) -> tuple[str, list[str]]:
    name = "MaxPooling2D" if spec.op == "max_pool" else "AveragePooling2D"
    notes: list[str] = []
    if spec.dilation != (1, 1):
        notes.append("Keras pooling layers have no dilation: no direct equivalent")

    def layer(padding: str) -> str:
        return _call(
            name,
            [f"pool_size={_arg(spec.kernel_size)}", f"strides={_arg(spec.stride)}",
             f'padding="{padding}"'],
        )  # fmt: skip

    pads = spec.pads
    oh, ow = _overhang(spec)
    # What the windows really cover: the padding plus, with ceil_mode, the overhang at the
    # bottom/right, which PyTorch leaves out of a max and of an average's count.
    reach = (pads[0], pads[1] + oh, pads[2], pads[3] + ow)
    if not any(reach):
        return layer("valid"), notes
    # TensorFlow's "same" leaves its padding out of a max and of an average's count.
    if reach == tf_same_pads(spec) and (
        spec.op == "max_pool" or not spec.count_include_pad or not any(pads)
    ):
        return layer("same"), notes
    explicit = _sequential(f"keras.layers.ZeroPadding2D({_keras_pads(reach)})", layer("valid"))
    if oh or ow:
        notes.append("Keras pooling has no ceil_mode: the overhang is padded explicitly")
    if spec.op == "max_pool":
        notes.append(
            "ZeroPadding2D pads with 0 where PyTorch pads with -inf: the same only for "
            "non-negative inputs (e.g. after a ReLU)"
        )
    elif not spec.count_include_pad or oh or ow:
        notes.append(
            "no exact equivalent: the zeros of ZeroPadding2D count in the average, "
            "where PyTorch leaves them out"
        )
    return explicit, notes


def _keras_transposed(spec: LayerSpec) -> tuple[str, list[str]]:
    notes: list[str] = []
    _stride_and_dilation(spec, notes)
    args = [f"filters={spec.out_channels}", f"kernel_size={_arg(spec.kernel_size)}"]
    if spec.stride != (1, 1):
        args.append(f"strides={_arg(spec.stride)}")
    args.append('padding="valid"')
    # Keras's "valid" output is i·s + max(k - s, 0) unless output_padding is given; given, it
    # is PyTorch's (i - 1)·s + d·(k - 1) + 1 + output_padding.
    if any(spec.output_padding) or any(e < s for e, s in zip(spec.effective_kernel, spec.stride)):
        args.append(f"output_padding={_arg(spec.output_padding)}")
    if spec.dilation != (1, 1):
        args.append(f"dilation_rate={_arg(spec.dilation)}")
    if any(a >= s for a, s in zip(spec.output_padding, spec.stride)):
        notes.append(
            "Keras requires output_padding < strides (PyTorch allows it below the dilation): "
            "no direct equivalent"
        )
    if spec.groups != 1:
        notes.append("Keras's Conv2DTranspose has no groups: one layer per group")
    layer = _call("Conv2DTranspose", args)
    if not any(spec.pads):
        return layer, notes
    notes.append(
        'Conv2DTranspose takes no padding numbers (its "same" is not PyTorch\'s padding): '
        "crop with Cropping2D"
    )
    return _sequential(layer, f"keras.layers.Cropping2D({_keras_pads(spec.pads)})"), notes


def _call(name: str, args: list[str]) -> str:
    return f"keras.layers.{name}({', '.join(args)})"


def _sequential(*layers: str) -> str:
    return f"keras.Sequential([{', '.join(layers)}])"
