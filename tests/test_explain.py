"""explain(): the exact lines for a handful of specs, the worked output sizes against
``geometry.output_size`` on random specs, and, where torch is installed, the printed PyTorch
layer run on a tensor of the spec's input size."""

from __future__ import annotations

import ast
import re

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from convanim.catalog.templates import resolve
from convanim.errors import SpecError
from convanim.explain import explain, tf_same_pads
from convanim.model.spec import CompareSpec, FigureSpec, LayerSpec, parse_spec_string
from convanim.ops.geometry import output_size


def _spec(text: str) -> LayerSpec:
    return LayerSpec.from_mapping(parse_spec_string(text))


def _line(text: str, prefix: str) -> str:
    found = [line for line in text.splitlines() if line.startswith(prefix)]
    assert len(found) == 1, (prefix, text)
    return found[0]


def _lines(text: str, prefix: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith(prefix)]


# -- exact lines ---------------------------------------------------------------------------------


def test_padding_strides() -> None:
    text = explain(resolve("padding_strides"))
    assert text.splitlines() == [
        "padding_strides: Padding 1, strides 2: a 3x3 kernel over a 5x5 input",
        "layer: conv (convolution), input 5x5, kernel 3x3, stride 2, dilation 1",
        "padding: 1 on every side",
        "output size (height and width): "
        "o = floor((i + p_top + p_bottom - d·(k - 1) - 1) / s) + 1 "
        "= floor((5 + 1 + 1 - 1·(3 - 1) - 1) / 2) + 1 = 3",
        "frames: 9 (one per output cell, 3x3)",
        "PyTorch: torch.nn.Conv2d(1, 1, kernel_size=3, stride=2, padding=1)",
        'Keras: keras.layers.Conv2D(filters=1, kernel_size=3, strides=2, padding="same")',
    ]


def test_same_padding_with_stride_2_is_numbers_for_pytorch() -> None:
    # TensorFlow's "same" for 6 / 2 pads 0 before and 1 after: PyTorch needs a pad layer.
    text = explain(_spec("conv:i6,k3,s2,psame"))
    assert _line(text, "padding:") == (
        'padding: "same" (TensorFlow\'s: output ceil(i / s), the odd pad at the bottom/right) '
        "resolved to top 0, bottom 1, left 0, right 1: "
        "total = max((ceil(6 / 2) - 1)·2 + 1·(3 - 1) + 1 - 6, 0) = 1 (height and width)"
    )
    assert _line(text, "PyTorch:") == (
        "PyTorch: torch.nn.Sequential(torch.nn.ZeroPad2d((0, 1, 0, 1)), "
        "torch.nn.Conv2d(1, 1, kernel_size=3, stride=2))"
    )
    assert _line(text, "Keras:") == (
        'Keras: keras.layers.Conv2D(filters=1, kernel_size=3, strides=2, padding="same")'
    )
    # Symmetric at stride 2: numbers for PyTorch, "same" for Keras.
    text = explain(_spec("conv:i5,k3,s2,psame"))
    assert _line(text, "PyTorch:") == (
        "PyTorch: torch.nn.Conv2d(1, 1, kernel_size=3, stride=2, padding=1)"
    )
    assert 'padding="same"' in _line(text, "Keras:")


def test_stride_1_symmetric_same_is_same_for_both() -> None:
    text = explain(_spec("conv:i5,k3,psame"))
    assert (
        _line(text, "PyTorch:") == 'PyTorch: torch.nn.Conv2d(1, 1, kernel_size=3, padding="same")'
    )
    assert (
        _line(text, "Keras:")
        == 'Keras: keras.layers.Conv2D(filters=1, kernel_size=3, padding="same")'
    )
    # The same numbers written as numbers stay numbers for PyTorch; Keras has only words.
    text = explain(_spec("conv:i5,k3,p1"))
    assert _line(text, "PyTorch:") == "PyTorch: torch.nn.Conv2d(1, 1, kernel_size=3, padding=1)"
    assert 'padding="same"' in _line(text, "Keras:")


def test_asymmetric_padding_needs_pad_layers() -> None:
    text = explain(_spec("conv:i5,k3,p0x1x2x0"))
    assert _line(text, "padding:") == "padding: top 0, bottom 1, left 2, right 0"
    assert _line(text, "PyTorch:") == (
        "PyTorch: torch.nn.Sequential(torch.nn.ZeroPad2d((2, 0, 0, 1)), "
        "torch.nn.Conv2d(1, 1, kernel_size=3))"
    )
    assert _line(text, "Keras:") == (
        "Keras: keras.Sequential([keras.layers.ZeroPadding2D(((0, 1), (2, 0))), "
        'keras.layers.Conv2D(filters=1, kernel_size=3, padding="valid")])'
    )
    assert _lines(text, "output height:") and _lines(text, "output width:")


def test_transposed_with_output_padding() -> None:
    text = explain(resolve("padding_strides_odd_transposed"))
    assert _line(text, "output size") == (
        "output size (height and width): "
        "o = (i - 1)·s - p_top - p_bottom + d·(k - 1) + output_padding + 1 "
        "= (3 - 1)·2 - 1 - 1 + 1·(3 - 1) + 1 + 1 = 6"
    )
    assert _line(text, "PyTorch:") == (
        "PyTorch: torch.nn.ConvTranspose2d(1, 1, kernel_size=3, stride=2, padding=1, "
        "output_padding=1)"
    )
    assert _line(text, "Keras:") == (
        "Keras: keras.Sequential([keras.layers.Conv2DTranspose(filters=1, kernel_size=3, "
        'strides=2, padding="valid", output_padding=1), '
        "keras.layers.Cropping2D(((1, 1), (1, 1)))])"
    )
    assert "crop with Cropping2D" in _line(text, "Keras note:")


def test_transposed_asymmetric_padding_is_a_crop() -> None:
    text = explain(_spec("conv_transpose:i3,k3,s2,p1x0x1x1"))
    assert _line(text, "PyTorch:") == (
        "PyTorch: torch.nn.ConvTranspose2d(1, 1, kernel_size=3, stride=2), "
        "then crop: y = y[..., 1:, 1:-1]"
    )


def test_max_pool_ceil_mode() -> None:
    text = explain(_spec("max_pool:i5,k3,s1,ceil_mode=true"))
    assert _line(text, "PyTorch:") == (
        "PyTorch: torch.nn.MaxPool2d(kernel_size=3, stride=1, ceil_mode=True)"
    )
    assert _line(text, "Keras:") == (
        'Keras: keras.layers.MaxPooling2D(pool_size=3, strides=1, padding="valid")'
    )
    # A window that would start in the bottom padding is dropped: 4 -> 3.
    text = explain(_spec("max_pool:i5,k2,s2,p1,ceil_mode=true"))
    assert _line(text, "output size") == (
        "output size (height and width): "
        "o = ceil((i + p_top + p_bottom - d·(k - 1) - 1) / s) + 1 "
        "= ceil((5 + 1 + 1 - 1·(2 - 1) - 1) / 2) + 1 = 4; the last window would start at "
        "(4 - 1)·2 = 6 >= i + p_top = 6, in the bottom padding or past it, so PyTorch drops "
        "it: o = 3"
    )
    assert _line(text, "PyTorch:") == (
        "PyTorch: torch.nn.MaxPool2d(kernel_size=2, stride=2, padding=1, ceil_mode=True)"
    )
    # The window that hangs over the edge is TensorFlow's "same" padding for 5 / 2.
    text = explain(_spec("max_pool:i5,k2,s2,ceil_mode=true"))
    assert _line(text, "Keras:") == (
        'Keras: keras.layers.MaxPooling2D(pool_size=2, strides=2, padding="same")'
    )
    assert not _lines(text, "Keras note:")


def test_pools_take_numbers_for_same() -> None:
    # PyTorch's padding="same" is for convolutions only.
    text = explain(_spec("max_pool:i5,k3,s1,psame"))
    assert (
        _line(text, "PyTorch:") == "PyTorch: torch.nn.MaxPool2d(kernel_size=3, stride=1, padding=1)"
    )
    assert 'padding="same"' in _line(text, "Keras:")


def test_avg_pool_count_include_pad() -> None:
    text = explain(_spec("avg_pool:i5,k3,s2,p1,count_include_pad=false"))
    assert _line(text, "PyTorch:") == (
        "PyTorch: torch.nn.AvgPool2d(kernel_size=3, stride=2, padding=1, count_include_pad=False)"
    )
    # TensorFlow's "same" leaves its padding out of the average, as count_include_pad=False.
    assert _line(text, "Keras:") == (
        'Keras: keras.layers.AveragePooling2D(pool_size=3, strides=2, padding="same")'
    )
    # Counting the padding, Keras needs the zeros explicitly.
    text = explain(_spec("avg_pool:i5,k3,s2,p1"))
    assert (
        _line(text, "PyTorch:") == "PyTorch: torch.nn.AvgPool2d(kernel_size=3, stride=2, padding=1)"
    )
    assert _line(text, "Keras:") == (
        "Keras: keras.Sequential([keras.layers.ZeroPadding2D(((1, 1), (1, 1))), "
        'keras.layers.AveragePooling2D(pool_size=3, strides=2, padding="valid")])'
    )


def test_rectangular_modes_dilation_and_groups() -> None:
    spec = LayerSpec(
        input_size=(7, 9),
        kernel_size=(3, 1),
        padding=(2, 2, 0, 0),
        dilation=(2, 1),
        padding_mode="reflect",
        in_channels=4,
        out_channels=2,
        groups=2,
    )
    text = explain(spec)
    assert _line(text, "PyTorch:") == (
        "PyTorch: torch.nn.Conv2d(4, 2, kernel_size=(3, 1), padding=(2, 0), dilation=(2, 1), "
        'groups=2, padding_mode="reflect")'
    )
    assert _line(text, "Keras:") == (
        'Keras: keras.layers.Conv2D(filters=2, kernel_size=(3, 1), padding="valid", '
        "dilation_rate=(2, 1), groups=2) on the padded input"
    )
    assert 'mode="REFLECT"' in _line(text, "Keras note:")
    assert "channels 4 -> 2, groups 2" in _line(text, "layer:")


def test_full_padding_is_resolved_in_words() -> None:
    text = explain(_spec("conv:i5,k3,pfull"))
    assert _line(text, "padding:") == (
        'padding: "full" (d·(k - 1) on each side) resolved to 2 on every side'
    )
    assert _line(text, "PyTorch:") == "PyTorch: torch.nn.Conv2d(1, 1, kernel_size=3, padding=2)"


def test_comparison_explains_every_member() -> None:
    target = resolve("compare_3x3_vs_1x1")
    assert isinstance(target, CompareSpec)
    blocks = explain(target).split("\n\n")
    assert len(blocks) == 2
    assert blocks[0].startswith("[3x3] full_padding_no_strides_transposed:")
    assert blocks[1].startswith("[1x1] full_padding_no_strides_transposed_1x1:")
    assert "torch.nn.ConvTranspose2d(1, 1, kernel_size=1)" in blocks[1]


def test_every_template_can_be_explained() -> None:
    from convanim.catalog.templates import template_names

    for name in template_names():
        text = explain(resolve(name))
        assert "PyTorch: " in text and "Keras: " in text, name


def test_layer_spec_has_no_header_and_junk_is_refused() -> None:
    text = explain(LayerSpec())
    assert text.splitlines()[0].startswith("layer: conv")
    with pytest.raises(TypeError):
        explain("conv:i5")  # type: ignore[arg-type]


def test_channel_figures_count_their_frames() -> None:
    figure = FigureSpec(
        LayerSpec(input_size=4, kernel_size=3, in_channels=2, out_channels=3),
        frame_order="position_channel",
    )
    assert _line(explain(figure), "frames:") == (
        "frames: 12 (one per output cell and output channel, 2x2 x 3)"
    )


# -- random specs --------------------------------------------------------------------------------


@st.composite
def layer_specs(draw: st.DrawFn) -> LayerSpec:
    op = draw(st.sampled_from(["conv", "conv", "conv_transpose", "max_pool", "avg_pool"]))
    pair = st.tuples(st.integers(1, 3), st.integers(1, 3))
    fields: dict[str, object] = {
        "op": op,
        "input_size": draw(st.tuples(st.integers(1, 12), st.integers(1, 12))),
        "kernel_size": draw(st.tuples(st.integers(1, 5), st.integers(1, 5))),
        "stride": draw(pair),
        "dilation": (1, 1) if op == "avg_pool" else draw(pair),
    }
    if op != "conv_transpose" and draw(st.booleans()):
        fields["padding"] = draw(st.sampled_from(["valid", "same", "full"]))
    else:
        fields["padding"] = draw(st.tuples(*[st.integers(0, 3)] * 4))
    if op == "conv_transpose":
        fields["output_padding"] = draw(st.tuples(st.integers(0, 2), st.integers(0, 2)))
    if op == "conv":
        fields["padding_mode"] = draw(st.sampled_from(["zeros", "zeros", "reflect", "circular"]))
    if op in ("max_pool", "avg_pool"):
        fields["ceil_mode"] = draw(st.booleans())
    if op == "avg_pool":
        fields["count_include_pad"] = draw(st.booleans())
    try:
        return LayerSpec(**fields)  # type: ignore[arg-type]
    except SpecError:
        assume(False)
        raise AssertionError("unreachable") from None


_FINAL = re.compile(r"= (\d+)$")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(layer_specs())
def test_worked_output_sizes_match_the_geometry(spec: LayerSpec) -> None:
    text = explain(spec)
    both = _lines(text, "output size (height and width): ")
    if both:
        sizes = [int(_FINAL.search(both[0]).group(1))] * 2  # type: ignore[union-attr]
    else:
        sizes = [
            int(_FINAL.search(_line(text, f"output {axis}: ")).group(1))  # type: ignore[union-attr]
            for axis in ("height", "width")
        ]
    assert tuple(sizes) == output_size(spec)
    # The framework lines are Python expressions (with a crop or a remark after them).
    torch_code = _line(text, "PyTorch: ").removeprefix("PyTorch: ").split(", then crop: ")[0]
    keras_code = _line(text, "Keras: ").removeprefix("Keras: ").split(" on the padded")[0]
    ast.parse(torch_code, mode="eval")
    ast.parse(keras_code, mode="eval")
    if spec.padding == "same":
        assert tf_same_pads(spec) == spec.pads


# -- PyTorch itself, when installed --------------------------------------------------------------

_TORCH_CASES = [
    "conv:i5,k3,s2,p1",
    "conv:i6,k3,s2,psame",
    "conv:i5,k3,psame",
    "conv:i6,k2,psame",
    "conv:i5,k3,p0x1x2x0",
    "conv:i7x9,k3x1,d2x1,p2x2x0x0,padding_mode=reflect",
    "conv:i6,k3,p1x2x0x1,padding_mode=circular",
    "conv:i5,k3,cin=4,cout=2,g=2",
    "conv_transpose:i3,k3,s2,p1,a1",
    "conv_transpose:i3,k3,s2,p1x0x1x1",
    "conv_transpose:i4,k2,s3,a2",
    "conv_transpose:i3,k1,p1",  # padding beyond d·(k - 1) crops the stretched input
    "conv_transpose:i3x5,k3x2,s2x3,p4x1x0x3,a1",
    "max_pool:i5,k3,s1,ceil_mode=true",
    "max_pool:i5,k2,s2,p1,ceil_mode=true",
    "max_pool:i5,k3,s2,p0x1x1x1",
    "max_pool:i7,k3,s2,d2,p1",
    "avg_pool:i5,k3,s2,p1,count_include_pad=false",
    "avg_pool:i6,k3,s2,p0x1x0x1",
]


@pytest.mark.parametrize("text", _TORCH_CASES)
def test_printed_pytorch_layer_gives_the_output_shape(text: str) -> None:
    torch = pytest.importorskip("torch")
    spec = _spec(text)
    line = _line(explain(spec), "PyTorch: ").removeprefix("PyTorch: ")
    code, _, crop = line.partition(", then crop: y = ")
    module = eval(code, {"torch": torch})  # our own output, built from a validated spec
    y = module(torch.randn(1, spec.in_channels, *spec.input_size))
    if crop:
        y = eval(crop, {"y": y})
    assert tuple(y.shape) == (1, spec.out_channels, *output_size(spec))
