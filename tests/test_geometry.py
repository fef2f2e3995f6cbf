"""convanim.ops.geometry: output sizes, the drawn grid, windows and numbers, against the reference
gallery, closed-form formulas and a naive plain-loop reference (tests/reference_impl.py)."""

from __future__ import annotations

import math
import subprocess
import sys
from typing import Any

import numpy as np
import pytest
import reference_impl as ref
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from convanim import LayerSpec, SpecError
from convanim.model.spec import PADDING_MODES, parse_spec_string
from convanim.ops.geometry import (
    Role,
    drawn_values,
    evaluate,
    example_values,
    layout,
    output_size,
    transposed_as_conv_weight,
    weight_shape,
    windows,
)

# -- the reference gallery -------------------------------------------------------------------------

# STYLE.md: name, i, k, p, s, d, conv frames, transposed frames (None: no transposed figure).
GALLERY = [
    ("no_padding_no_strides", 4, 3, 0, 1, 1, 4, 16),
    ("arbitrary_padding_no_strides", 5, 4, 2, 1, 1, 36, 25),
    ("same_padding_no_strides", 5, 3, 1, 1, 1, 25, 25),
    ("full_padding_no_strides", 5, 3, 2, 1, 1, 49, 25),
    ("no_padding_strides", 5, 3, 0, 2, 1, 4, 25),
    ("padding_strides", 5, 3, 1, 2, 1, 9, 25),
    ("padding_strides_odd", 6, 3, 1, 2, 1, 9, 36),
    ("dilation", 7, 3, 0, 1, 2, 9, None),
    ("numerical_no_padding_no_strides", 5, 3, 0, 1, 1, 9, None),
    ("numerical_padding_strides", 5, 3, 1, 2, 1, 9, None),
]
POOL_GALLERY = [("numerical_max_pooling", "max_pool"), ("numerical_average_pooling", "avg_pool")]


def transposed_of(conv: LayerSpec) -> LayerSpec:
    """The transposed counterpart the gallery draws: its input is the convolution's output."""
    i, k, p, s = conv.input_size[0], conv.kernel_size[0], conv.pads[0], conv.stride[0]
    return LayerSpec(
        op="conv_transpose",
        input_size=output_size(conv),
        kernel_size=k,
        stride=s,
        padding=p,
        dilation=conv.dilation,
        output_padding=(i + 2 * p - k) % s,
    )


@pytest.mark.parametrize(("name", "i", "k", "p", "s", "d", "frames", "t_frames"), GALLERY)
def test_gallery_convolution(
    name: str, i: int, k: int, p: int, s: int, d: int, frames: int, t_frames: int | None
):
    spec = LayerSpec(input_size=i, kernel_size=k, padding=p, stride=s, dilation=d)
    o = math.isqrt(frames)
    assert output_size(spec) == (o, o)
    assert len(windows(spec)) == frames
    assert layout(spec).shape == (i + 2 * p, i + 2 * p)


@pytest.mark.parametrize(
    ("name", "i", "k", "p", "s", "d", "frames", "t_frames"),
    [row for row in GALLERY if row[-1] is not None],
)
def test_gallery_transposed(
    name: str, i: int, k: int, p: int, s: int, d: int, frames: int, t_frames: int
):
    conv = LayerSpec(input_size=i, kernel_size=k, padding=p, stride=s, dilation=d)
    spec = transposed_of(conv)
    assert spec.input_size == output_size(conv)
    assert output_size(spec) == (i, i)  # the transpose restores the convolution's input size
    assert len(windows(spec)) == t_frames
    # Relationship 14: i' inputs with s - 1 zeros between, p' = k - 1 - p each side, a extra.
    i_t, a = spec.input_size[0], (i + 2 * p - k) % s
    assert layout(spec).shape[0] == (i_t - 1) * s + 1 + 2 * (k - 1 - p) + a


def test_gallery_named_examples():
    odd = LayerSpec(input_size=6, kernel_size=3, padding=1, stride=2)
    assert output_size(odd) == (3, 3) and len(windows(odd)) == 9
    odd_t = transposed_of(odd)
    assert odd_t.output_padding == (1, 1)
    assert output_size(odd_t) == (6, 6) and len(windows(odd_t)) == 36
    strided_t = transposed_of(LayerSpec(input_size=5, kernel_size=3, stride=2))
    assert strided_t.input_size == (2, 2)
    assert output_size(strided_t) == (5, 5) and len(windows(strided_t)) == 25


@pytest.mark.parametrize(("name", "op"), POOL_GALLERY)
def test_gallery_pooling(name: str, op: str):
    spec = LayerSpec(op=op, input_size=5, kernel_size=3, stride=1)
    assert output_size(spec) == (3, 3)
    assert len(windows(spec)) == 9


# -- output sizes against closed forms -------------------------------------------------------------

# (spec string, expected (H_out, W_out)), worked out by hand from the guide's relationships and
# PyTorch's documented formulas.
OUTPUT_SIZES = [
    # conv: floor((i + p_lo + p_hi - (k - 1) * d - 1) / s) + 1
    ("conv:i7,k3,s2,p1", (4, 4)),
    ("conv:i5x7,k3x1,s2x3", (2, 3)),
    ("conv:i6,k3,p0x1x2x0", (5, 6)),
    ("conv:i9,k3,d2x4", (5, 1)),
    ("conv:i5,k3,p1", (5, 5)),  # Relationship 4, "half" padding
    ("conv:i5,k3,p2", (7, 7)),  # Relationship 5, full padding
    # "same" (TensorFlow): ceil(i / s), whatever the kernel
    ("conv:i5,k3,s2,psame", (3, 3)),
    ("conv:i6,k2,s4,psame", (2, 2)),
    ("conv:i7x8,k4,s3,psame", (3, 3)),
    ("conv:i5,k4,d2,psame", (5, 5)),
    # "full": (k - 1) * d each side
    ("conv:i5,k3,d2,pfull", (9, 9)),
    ("conv:i5,k3,s2,pfull", (4, 4)),
    # conv_transpose: (i - 1) * s - p_lo - p_hi + (k - 1) * d + a + 1
    ("conv_transpose:i4,k3,s2,p1,a1", (8, 8)),
    ("conv_transpose:i2,k3,s2", (5, 5)),
    ("conv_transpose:i3,k3,d2,p0x1x4x0", (6, 3)),
    ("conv_transpose:i3,k2,d3,a2", (8, 8)),  # output_padding below the dilation
    # pooling: floor, or ceil with the last window starting inside the input or its padding
    ("max_pool:i5,k2,s2", (2, 2)),
    ("max_pool:i5,k2,s2,ceil_mode=true", (3, 3)),
    ("avg_pool:i6,k3,s2,p1,ceil_mode=true", (4, 4)),
    ("max_pool:i8,k3,s2,d2", (2, 2)),
    ("max_pool:i8,k3,s2,d2,ceil_mode=true", (3, 3)),
    # ceil would give 4 here, but that window would start in the right padding: PyTorch drops it
    ("max_pool:i5,k2,s2,p1,ceil_mode=true", (3, 3)),
]


@pytest.mark.parametrize(("text", "expected"), OUTPUT_SIZES)
def test_output_size_closed_forms(text: str, expected: tuple[int, int]):
    assert output_size(LayerSpec.from_mapping(parse_spec_string(text))) == expected


# -- strategies ------------------------------------------------------------------------------------

MAX_SIZE = 9


def _spec(mapping: dict[str, Any]) -> LayerSpec:
    """Build a candidate; the strategies make invalid candidates rare, and they are rejected."""
    try:
        return LayerSpec.from_mapping(mapping)
    except SpecError:
        assume(False)
        raise  # not reached: assume(False) rejects the example


def _kernel_and_dilation(draw: st.DrawFn, max_dilation: int = 3) -> tuple[int, int]:
    k = draw(st.integers(1, 4))
    d = draw(st.integers(1, min(max_dilation, 8 // max(k - 1, 1))))  # extent at most 9
    return k, d


def _values(draw: st.DrawFn, shape: tuple[int, ...]) -> np.ndarray:
    # Small integers keep every sum exact, so results can be compared for equality.
    seed = draw(st.integers(0, 2**32 - 1))
    return np.random.default_rng(seed).integers(-3, 4, size=shape).astype(np.float64)


def _channels(draw: st.DrawFn) -> dict[str, int]:
    groups = draw(st.integers(1, 3))
    cin_g = draw(st.integers(1, 2))
    out: dict[str, int] = {"in_channels": groups * cin_g, "groups": groups}
    if draw(st.booleans()):
        out["out_channels"] = groups * draw(st.integers(1, 2))
    return out


@st.composite
def conv_cases(draw: st.DrawFn, padding_modes: tuple[str, ...] = PADDING_MODES):
    """(spec, pads resolved by the reference, x, weight) for a valid convolution."""
    mode = draw(st.sampled_from(padding_modes))
    word = draw(st.sampled_from([None, None, "valid", "same", "full"]))
    sizes, kernel, stride, dilation, pads = [], [], [], [], []
    for _ in range(2):
        k, d = _kernel_and_dilation(draw)
        extent = (k - 1) * d + 1
        if word is None:
            lo, hi = draw(st.integers(0, 3)), draw(st.integers(0, 3))
            least = max(1, extent - lo - hi)
            if mode == "reflect":
                least = max(least, max(lo, hi) + 1)
            elif mode == "circular":
                least = max(least, max(lo, hi))
            assume(least <= MAX_SIZE)
            pads += [lo, hi]
        else:
            least = extent if word == "valid" or mode != "zeros" else 1
        sizes.append(draw(st.integers(least, MAX_SIZE)))
        kernel.append(k)
        dilation.append(d)
        stride.append(draw(st.integers(1, 3)))
    mapping = {
        "op": "conv",
        "input_size": tuple(sizes),
        "kernel_size": tuple(kernel),
        "stride": tuple(stride),
        "dilation": tuple(dilation),
        "padding": word if word is not None else tuple(pads),
        "padding_mode": mode,
        **_channels(draw),
    }
    spec = _spec(mapping)
    resolved = ref.resolve_pads(mapping["padding"], sizes, kernel, stride, dilation)
    x = _values(draw, (spec.in_channels, *spec.input_size))
    weight = _values(draw, weight_shape(spec))
    return spec, resolved, x, weight


@st.composite
def conv_transpose_cases(draw: st.DrawFn):
    """(spec, x, weight) for a valid transposed convolution, padding per side."""
    sizes, kernel, stride, dilation, pads, extra = [], [], [], [], [], []
    for _ in range(2):
        k, d = _kernel_and_dilation(draw)
        s = draw(st.integers(1, 3))
        a = draw(st.integers(0, max(s, d) - 1))
        i = draw(st.integers(1, 5))
        # The output, (i - 1) * s + (k - 1) * d + a + 1 - lo - hi, must stay at least 1;
        # padding beyond (k - 1) * d (PyTorch allows it) crops the stretched input.
        budget = (i - 1) * s + (k - 1) * d + a
        lo = draw(st.integers(0, min((k - 1) * d + 2, budget)))
        hi = draw(st.integers(0, min((k - 1) * d + 2, budget - lo)))
        sizes.append(i), kernel.append(k), stride.append(s), dilation.append(d)
        pads += [lo, hi]
        extra.append(a)
    padding: Any = tuple(pads)
    if not any(pads) and draw(st.booleans()):
        padding = "valid"
    spec = _spec(
        {
            "op": "conv_transpose",
            "input_size": tuple(sizes),
            "kernel_size": tuple(kernel),
            "stride": tuple(stride),
            "dilation": tuple(dilation),
            "padding": padding,
            "output_padding": tuple(extra),
            **_channels(draw),
        }
    )
    x = _values(draw, (spec.in_channels, *spec.input_size))
    weight = _values(draw, weight_shape(spec))
    return spec, x, weight


@st.composite
def pool_cases(draw: st.DrawFn, op: str, ceil_mode: bool | None = None):
    """(spec, pads resolved by the reference, x) for a valid pooling layer."""
    word = draw(st.sampled_from([None, None, None, "valid", "same"]))
    sizes, kernel, stride, dilation, pads = [], [], [], [], []
    for _ in range(2):
        k, d = _kernel_and_dilation(draw, max_dilation=3 if op == "max_pool" else 1)
        extent = (k - 1) * d + 1
        if word is None:
            lo, hi = draw(st.integers(0, k // 2)), draw(st.integers(0, k // 2))
            pads += [lo, hi]
            least = max(1, extent - lo - hi)
        else:
            least = extent if word == "valid" else 1
        sizes.append(draw(st.integers(least, MAX_SIZE)))
        kernel.append(k)
        dilation.append(d)
        stride.append(draw(st.integers(1, 3)))
    mapping: dict[str, Any] = {
        "op": op,
        "input_size": tuple(sizes),
        "kernel_size": tuple(kernel),
        "stride": tuple(stride),
        "dilation": tuple(dilation),
        "padding": word if word is not None else tuple(pads),
        "ceil_mode": draw(st.booleans()) if ceil_mode is None else ceil_mode,
        "in_channels": draw(st.integers(1, 3)),
    }
    if op == "avg_pool":
        mapping["count_include_pad"] = draw(st.booleans())
    spec = _spec(mapping)
    resolved = ref.resolve_pads(mapping["padding"], sizes, kernel, stride, dilation)
    x = _values(draw, (spec.in_channels, *spec.input_size))
    return spec, resolved, x


# -- evaluate against the reference (1,100 random valid specs in all) ------------------------------


@settings(max_examples=400, deadline=None)
@given(conv_cases())
def test_conv_matches_reference(case):
    spec, pads, x, weight = case
    assert spec.pads == pads
    expected = ref.conv2d(
        x, weight, spec.stride, pads, spec.dilation, spec.groups, spec.padding_mode
    )
    got = evaluate(spec, x, weight)
    assert got.shape == expected.shape == (spec.out_channels, *output_size(spec))
    np.testing.assert_array_equal(got, expected)


@settings(max_examples=300, deadline=None)
@given(conv_transpose_cases())
def test_conv_transpose_matches_reference(case):
    spec, x, weight = case
    expected = ref.conv_transpose2d(
        x, weight, spec.stride, spec.pads, spec.output_padding, spec.dilation, spec.groups
    )
    got = evaluate(spec, x, weight)
    assert got.shape == expected.shape == (spec.out_channels, *output_size(spec))
    np.testing.assert_array_equal(got, expected)


@settings(max_examples=200, deadline=None)
@given(pool_cases("max_pool"))
def test_max_pool_matches_reference(case):
    spec, pads, x = case
    assert spec.pads == pads
    expected = ref.max_pool2d(x, spec.kernel_size, spec.stride, pads, spec.dilation, spec.ceil_mode)
    got = evaluate(spec, x)
    assert got.shape == expected.shape == (spec.in_channels, *output_size(spec))
    np.testing.assert_array_equal(got, expected)


@settings(max_examples=200, deadline=None)
@given(pool_cases("avg_pool"))
def test_avg_pool_matches_reference(case):
    spec, pads, x = case
    assert spec.pads == pads
    expected = ref.avg_pool2d(
        x, spec.kernel_size, spec.stride, pads, spec.ceil_mode, spec.count_include_pad
    )
    got = evaluate(spec, x)
    assert got.shape == expected.shape == (spec.in_channels, *output_size(spec))
    np.testing.assert_array_equal(got, expected)


@settings(max_examples=200, deadline=None)
@given(st.one_of(conv_cases(), pool_cases("max_pool"), pool_cases("avg_pool")))
def test_output_size_matches_closed_forms(case):
    spec, pads = case[0], case[1]
    length = ref.pool_output_length if spec.is_pool else ref.conv_output_length
    expected = []
    for axis in range(2):
        args = [spec.input_size[axis], spec.kernel_size[axis], spec.stride[axis]]
        args += [pads[2 * axis], pads[2 * axis + 1], spec.dilation[axis]]
        expected.append(length(*args, spec.ceil_mode) if spec.is_pool else length(*args))
    assert output_size(spec) == tuple(expected)
    if spec.padding == "same":
        # TensorFlow: ceil(i / s) whatever the kernel; the odd unit goes at the bottom/right.
        assert output_size(spec) == tuple(-(-i // s) for i, s in zip(spec.input_size, spec.stride))
        assert pads[1] - pads[0] in (0, 1) and pads[3] - pads[2] in (0, 1)
    if spec.padding == "full":
        assert pads == tuple(
            (k - 1) * d for k, d in zip(spec.kernel_size, spec.dilation) for _ in range(2)
        )


# -- hand-checked numbers --------------------------------------------------------------------------


def test_conv_numbers_by_hand():
    x = np.arange(16.0).reshape(4, 4)
    ones = np.ones((1, 1, 3, 3))
    out = evaluate(LayerSpec(input_size=4, kernel_size=3), x, ones)
    np.testing.assert_array_equal(out, [[[45.0, 54.0], [81.0, 90.0]]])


def test_conv_is_cross_correlation_not_convolution():
    x = np.arange(16.0).reshape(1, 4, 4)
    top_left = np.zeros((1, 1, 2, 2))
    top_left[0, 0, 0, 0] = 1.0
    out = evaluate(LayerSpec(input_size=4, kernel_size=2), x, top_left)
    np.testing.assert_array_equal(out[0], x[0, :3, :3])  # a flipped kernel would give x[1:, 1:]


def test_conv_transpose_of_an_impulse_is_the_kernel():
    kernel = np.arange(1.0, 10.0).reshape(1, 1, 3, 3)
    spec = LayerSpec(op="conv_transpose", input_size=1, kernel_size=3, stride=2)
    np.testing.assert_array_equal(evaluate(spec, np.ones((1, 1, 1)), kernel), kernel[0])


def test_conv_transpose_output_padding_rows_are_bottom_right():
    # i=2, k=1, s=2: inputs land on rows/cols 0 and 2; output_padding adds row/col 3, all zero.
    spec = LayerSpec(op="conv_transpose", input_size=2, kernel_size=1, stride=2, output_padding=1)
    out = evaluate(spec, np.array([[1.0, 2.0], [3.0, 4.0]]), np.ones((1, 1, 1, 1)))
    expected = np.array([[1, 0, 2, 0], [0, 0, 0, 0], [3, 0, 4, 0], [0, 0, 0, 0]], dtype=float)
    np.testing.assert_array_equal(out[0], expected)


POOL_ROWS = "k1x2,s1x2"  # pooling along one row, windows of 2 cells, stride 2


@pytest.mark.parametrize(
    ("text", "row", "expected"),
    [
        (f"max_pool:i1x5,{POOL_ROWS},ceil_mode=true", [1, 2, 3, 4, 5], [2, 4, 5]),
        (f"avg_pool:i1x5,{POOL_ROWS},ceil_mode=true", [1, 2, 3, 4, 5], [1.5, 3.5, 5.0]),
        # The window over the left padding counts it; the one past the right padding does not.
        (f"avg_pool:i1x5,{POOL_ROWS},p0x0x1x1,ceil_mode=true", [1, 2, 3, 4, 5], [0.5, 2.5, 4.5]),
        (
            f"avg_pool:i1x5,{POOL_ROWS},p0x0x1x1,ceil_mode=true,count_include_pad=false",
            [1, 2, 3, 4, 5],
            [1.0, 2.5, 4.5],
        ),
        (
            "avg_pool:i1x6,k1x3,s1x2,p0x0x1x1,ceil_mode=true",
            [1, 2, 3, 4, 5, 6],
            [1.0, 3.0, 5.0, 3.0],
        ),
        (
            "avg_pool:i1x6,k1x3,s1x2,p0x0x1x1,ceil_mode=true,count_include_pad=false",
            [1, 2, 3, 4, 5, 6],
            [1.5, 3.0, 5.0, 6.0],
        ),
        (f"max_pool:i1x3,{POOL_ROWS},p0x0x1x1", [-1, -2, -3], [-1, -2]),  # padding never wins
    ],
)
def test_pooling_numbers_by_hand(text: str, row: list[int], expected: list[float]):
    spec = LayerSpec.from_mapping(parse_spec_string(text))
    out = evaluate(spec, np.array([row], dtype=float))
    np.testing.assert_array_equal(out, [[expected]])


def test_evaluate_checks_shapes():
    spec = LayerSpec(input_size=4, kernel_size=3, in_channels=2, out_channels=4, groups=2)
    x, weight = example_values(spec)
    with pytest.raises(ValueError, match="x has shape"):
        evaluate(spec, x[:1], weight)
    with pytest.raises(ValueError, match="weight has shape"):
        evaluate(spec, x, weight[:, :, :2])
    with pytest.raises(ValueError, match="needs a weight"):
        evaluate(spec, x)


# -- adjoint ---------------------------------------------------------------------------------------


@st.composite
def adjoint_cases(draw: st.DrawFn):
    """A zero-padded convolution whose padding its transpose can undo, with its transpose."""
    sizes, kernel, stride, dilation, pads = [], [], [], [], []
    for _ in range(2):
        k, d = _kernel_and_dilation(draw)
        lo = draw(st.integers(0, (k - 1) * d))
        hi = draw(st.integers(0, (k - 1) * d))
        sizes.append(draw(st.integers(max(1, (k - 1) * d + 1 - lo - hi), MAX_SIZE)))
        kernel.append(k), dilation.append(d), stride.append(draw(st.integers(1, 3)))
        pads += [lo, hi]
    conv = _spec(
        {
            "input_size": tuple(sizes),
            "kernel_size": tuple(kernel),
            "stride": tuple(stride),
            "dilation": tuple(dilation),
            "padding": tuple(pads),
            **_channels(draw),
        }
    )
    # The rows a strided convolution never reaches come back as output_padding.
    extra = tuple(
        (i + lo + hi - ((k - 1) * d + 1)) % s
        for i, k, s, d, lo, hi in zip(sizes, kernel, stride, dilation, pads[::2], pads[1::2])
    )
    transposed = _spec(
        {
            "op": "conv_transpose",
            "input_size": output_size(conv),
            "kernel_size": conv.kernel_size,
            "stride": conv.stride,
            "dilation": conv.dilation,
            "padding": conv.pads,
            "output_padding": extra,
            "in_channels": conv.out_channels,
            "out_channels": conv.in_channels,
            "groups": conv.groups,
        }
    )
    x = _values(draw, (conv.in_channels, *conv.input_size))
    y = _values(draw, (conv.out_channels, *output_size(conv)))
    weight = _values(draw, weight_shape(conv))
    return conv, transposed, x, y, weight


@settings(max_examples=200, deadline=None)
@given(adjoint_cases())
def test_conv_transpose_is_the_adjoint_of_conv(case):
    conv, transposed, x, y, weight = case
    assert output_size(transposed) == conv.input_size
    assert weight_shape(transposed) == weight.shape  # the same weight serves both
    lhs = float(np.sum(evaluate(conv, x, weight) * y))
    rhs = float(np.sum(x * evaluate(transposed, y, weight)))
    assert lhs == rhs
    # The reference is an adjoint pair too, which checks the reference itself.
    conv_ref = ref.conv2d(x, weight, conv.stride, conv.pads, conv.dilation, conv.groups)
    transposed_ref = ref.conv_transpose2d(
        y, weight, conv.stride, conv.pads, transposed.output_padding, conv.dilation, conv.groups
    )
    assert float(np.sum(conv_ref * y)) == float(np.sum(x * transposed_ref)) == lhs


# -- the transposed drawn grid ---------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(conv_transpose_cases())
def test_transposed_drawn_grid_reproduces_evaluate(case):
    spec, x, weight = case
    lay = layout(spec)
    grid = drawn_values(spec, x)
    assert grid.shape[1:] == lay.shape
    # The direct convolution reads the grid without its cropped border.
    rows, cols = np.nonzero(lay.roles != Role.CROPPED)
    assert (rows.min(), cols.min()) == lay.start
    direct = ref.conv2d(
        grid[:, rows.min() : rows.max() + 1, cols.min() : cols.max() + 1],
        transposed_as_conv_weight(spec, weight),
        (1, 1),
        (0, 0, 0, 0),
        spec.dilation,
        spec.groups,
    )
    np.testing.assert_array_equal(direct, evaluate(spec, x, weight))


def _transposed_axis_roles(i: int, k: int, s: int, d: int, lo: int, hi: int, a: int) -> list[Role]:
    before, after = (k - 1) * d - lo, (k - 1) * d - hi + a
    stretched = [Role.INPUT if m % s == 0 else Role.ZERO for m in range((i - 1) * s + 1)]
    cells = [Role.PADDING] * max(before, 0) + stretched + [Role.PADDING] * max(after, 0)
    # Negative padding crops: the first -before cells, and the last -after, are never reached.
    for m in [*range(-before), *range(len(cells) + after, len(cells))]:
        cells[m] = Role.CROPPED
    return cells


def test_transposed_roles_padding_strides_odd():
    # padding_strides_odd_transposed: 3x3 input, s=2, p'=k-1-p=1, a=1 at the bottom/right only.
    spec = transposed_of(LayerSpec(input_size=6, kernel_size=3, padding=1, stride=2))
    lay = layout(spec)
    P, IN, Z = Role.PADDING, Role.INPUT, Role.ZERO
    axis = [P, IN, Z, IN, Z, IN, P, P]
    assert lay.shape == (8, 8)
    np.testing.assert_array_equal(lay.roles[1], axis)
    np.testing.assert_array_equal(lay.roles[:, 1], axis)
    np.testing.assert_array_equal(lay.roles[2], [P, Z, Z, Z, Z, Z, P, P])
    assert (lay.roles[[0, 6, 7]] == P).all() and (lay.roles[:, [0, 6, 7]] == P).all()
    rows, cols = np.nonzero(lay.roles == Role.INPUT)
    assert sorted(set(rows)) == sorted(set(cols)) == [1, 3, 5]
    for r, c in zip(rows, cols):
        assert tuple(lay.source[r, c]) == ((r - 1) // 2, (c - 1) // 2)
    assert (lay.source[lay.roles != Role.INPUT] == -1).all()


@settings(max_examples=150, deadline=None)
@given(conv_transpose_cases())
def test_transposed_roles(case):
    spec, x, _ = case
    lay = layout(spec)
    axes = [
        _transposed_axis_roles(
            spec.input_size[a],
            spec.kernel_size[a],
            spec.stride[a],
            spec.dilation[a],
            spec.pads[2 * a],
            spec.pads[2 * a + 1],
            spec.output_padding[a],
        )
        for a in range(2)
    ]
    expected = np.maximum(np.array(axes[0])[:, None], np.array(axes[1])[None, :])
    np.testing.assert_array_equal(lay.roles, expected)
    # Real inputs sit at multiples of s, offset by (k - 1) * d - p (or 0 if cropped), in order.
    top = max((spec.kernel_size[0] - 1) * spec.dilation[0] - spec.pads[0], 0)
    left = max((spec.kernel_size[1] - 1) * spec.dilation[1] - spec.pads[2], 0)
    sh, sw = spec.stride
    h, w = spec.input_size
    inputs = lay.source[top : top + (h - 1) * sh + 1 : sh, left : left + (w - 1) * sw + 1 : sw]
    np.testing.assert_array_equal(inputs[..., 0], np.repeat(np.arange(h)[:, None], w, axis=1))
    np.testing.assert_array_equal(inputs[..., 1], np.repeat(np.arange(w)[None, :], h, axis=0))
    grid = drawn_values(spec, x)
    assert (grid[:, lay.source[..., 0] < 0] == 0).all()
    # One frame per output cell: the stride-1 windows cover exactly the cells not cropped.
    reached = np.zeros(lay.shape, bool)
    for window in lay.windows():
        r0, c0, r1, c1 = window.box
        reached[r0:r1, c0:c1] = True
    np.testing.assert_array_equal(reached, lay.roles != Role.CROPPED)


# -- windows ---------------------------------------------------------------------------------------


def test_windows_run_row_major_from_the_top_left():
    spec = LayerSpec(input_size=(5, 7), kernel_size=3, stride=2)
    ws = windows(spec)
    assert [w.index for w in ws] == list(range(6))
    assert [w.out for w in ws] == [(0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (1, 2)]
    assert [w.box[:2] for w in ws] == [(0, 0), (0, 2), (0, 4), (2, 0), (2, 2), (2, 4)]
    assert ws[0].box == (0, 0, 3, 3)
    assert ws[-1].box == (2, 4, 5, 7)


def test_dilated_taps_leave_gaps():
    spec = LayerSpec(input_size=7, kernel_size=3, dilation=2)
    first = windows(spec)[0]
    taps = {tuple(t) for t in first.taps}
    assert taps == {(r, c) for r in (0, 2, 4) for c in (0, 2, 4)}
    assert [tuple(t) for t in first.taps][:4] == [(0, 0), (0, 2), (0, 4), (2, 0)]  # row-major
    assert first.box == (0, 0, 5, 5)
    assert (1, 1) not in taps and (0, 1) not in taps


def test_one_by_one_kernel_has_one_tap():
    spec = LayerSpec(input_size=(3, 4), kernel_size=1, stride=(1, 2), dilation=3)
    ws = windows(spec)
    assert len(ws) == 3 * 2
    for w in ws:
        assert w.taps.shape == (1, 2)
        assert tuple(w.taps[0]) == (w.out[0], 2 * w.out[1])
        assert w.box == (w.out[0], 2 * w.out[1], w.out[0] + 1, 2 * w.out[1] + 1)


def test_ceil_mode_windows_hang_over_onto_overhang_cells():
    spec = LayerSpec(op="max_pool", input_size=5, kernel_size=2, stride=2, ceil_mode=True)
    lay = layout(spec)
    assert lay.shape == (6, 6)
    assert (lay.roles[5] == Role.OVERHANG).all() and (lay.roles[:, 5] == Role.OVERHANG).all()
    assert (lay.roles[:5, :5] == Role.INPUT).all()
    last = windows(spec)[-1]
    assert last.out == (2, 2) and last.box == (4, 4, 6, 6)
    roles = [Role(lay.roles[r, c]) for r, c in last.taps]
    assert roles == [Role.INPUT, Role.OVERHANG, Role.OVERHANG, Role.OVERHANG]
    assert (lay.source[lay.roles == Role.OVERHANG] == -1).all()


def test_overhang_comes_after_padding():
    spec = LayerSpec(
        op="avg_pool",
        input_size=(1, 6),
        kernel_size=(1, 3),
        stride=(1, 2),
        padding=(0, 0, 1, 1),
        ceil_mode=True,
    )
    P, IN, OV = Role.PADDING, Role.INPUT, Role.OVERHANG
    np.testing.assert_array_equal(layout(spec).roles[0], [P, IN, IN, IN, IN, IN, IN, P, OV])


def test_per_side_padding_places_inputs_at_the_offset():
    spec = LayerSpec(input_size=(3, 4), kernel_size=2, padding=(1, 0, 2, 0))
    lay = layout(spec)
    assert lay.shape == (4, 6)
    inputs = lay.roles == Role.INPUT
    assert inputs[1:, 2:].all() and inputs.sum() == 12
    assert (lay.roles[0] == Role.PADDING).all() and (lay.roles[:, :2] == Role.PADDING).all()
    for r in range(3):
        for c in range(4):
            assert tuple(lay.source[1 + r, 2 + c]) == (r, c)
    assert output_size(spec) == (3, 5)
    assert {tuple(t) for t in windows(spec)[0].taps} == {(0, 0), (0, 1), (1, 0), (1, 1)}


@settings(max_examples=150, deadline=None)
@given(st.one_of(conv_cases(), pool_cases("max_pool"), pool_cases("avg_pool")))
def test_windows_cover_the_drawn_grid(case):
    spec = case[0]
    lay = layout(spec)
    ws = windows(spec)
    ho, wo = output_size(spec)
    (sh, sw), (dh, dw) = spec.stride, spec.dilation
    eh, ew = spec.effective_kernel
    assert len(ws) == ho * wo == lay.n_frames
    for n, w in enumerate(ws):
        r, c = divmod(n, wo)
        assert w.index == n and w.out == (r, c)
        assert w.box == (r * sh, c * sw, r * sh + eh, c * sw + ew)
        expected = [
            (r * sh + i * dh, c * sw + j * dw)
            for i in range(spec.kernel_size[0])
            for j in range(spec.kernel_size[1])
        ]
        assert [tuple(t) for t in w.taps] == expected
        assert w.box[2] <= lay.shape[0] and w.box[3] <= lay.shape[1]
    padded = (spec.input_size[0] + sum(spec.pads[:2]), spec.input_size[1] + sum(spec.pads[2:]))
    overhang = lay.roles == Role.OVERHANG
    if spec.ceil_mode:
        # Overhang cells are exactly those past the padded input.
        rows, cols = np.indices(lay.shape)
        np.testing.assert_array_equal(overhang, (rows >= padded[0]) | (cols >= padded[1]))
    else:
        assert lay.shape == padded and not overhang.any()


def test_window_index_out_of_range():
    lay = layout(LayerSpec(input_size=4, kernel_size=3))
    with pytest.raises(IndexError):
        lay.window(4)
    with pytest.raises(IndexError):
        lay.window(-1)


# -- drawn values under each padding mode ----------------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("zeros", [0, 0, 0, 1, 2, 3, 0, 0]),
        ("reflect", [2, 1, 0, 1, 2, 3, 2, 1]),
        ("replicate", [0, 0, 0, 1, 2, 3, 3, 3]),
        ("circular", [2, 3, 0, 1, 2, 3, 0, 1]),
    ],
)
def test_drawn_values_per_padding_mode(mode: str, expected: list[int]):
    spec = LayerSpec(input_size=(1, 4), kernel_size=1, padding=(0, 0, 2, 2), padding_mode=mode)
    grid = drawn_values(spec, np.arange(4.0).reshape(1, 1, 4))
    np.testing.assert_array_equal(grid, [[expected]])
    roles = layout(spec).roles[0]
    np.testing.assert_array_equal(roles != Role.INPUT, [1, 1, 0, 0, 0, 0, 1, 1])


def test_drawn_values_reflect_corners_are_separable():
    spec = LayerSpec(input_size=3, kernel_size=1, padding=1, padding_mode="reflect")
    x = np.arange(9.0).reshape(1, 3, 3)
    grid = drawn_values(spec, x)[0]
    assert grid[0, 0] == x[0, 1, 1] and grid[4, 4] == x[0, 1, 1] and grid[0, 4] == x[0, 1, 1]
    np.testing.assert_array_equal(grid[1:4, 1:4], x[0])


# -- import weight and example values --------------------------------------------------------------


def test_importing_geometry_does_not_import_matplotlib():
    code = "import sys, convanim.ops.geometry; print('matplotlib' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "False"


@pytest.mark.parametrize(
    ("kwargs", "x_shape", "w_shape"),
    [
        ({}, (1, 5, 5), (1, 1, 3, 3)),
        (
            {
                "input_size": (5, 7),
                "kernel_size": (3, 2),
                "in_channels": 4,
                "out_channels": 6,
                "groups": 2,
            },
            (4, 5, 7),
            (6, 2, 3, 2),
        ),
        (
            {
                "op": "conv_transpose",
                "input_size": 3,
                "in_channels": 4,
                "out_channels": 6,
                "groups": 2,
            },
            (4, 3, 3),
            (4, 3, 3, 3),
        ),
        ({"op": "max_pool", "in_channels": 3}, (3, 5, 5), None),
        ({"op": "avg_pool", "input_size": (4, 6), "kernel_size": 2}, (1, 4, 6), None),
    ],
)
def test_example_values_shapes_and_ranges(
    kwargs: dict[str, Any], x_shape: tuple[int, ...], w_shape: tuple[int, ...] | None
):
    spec = LayerSpec(**kwargs)
    x, weight = example_values(spec, seed=3)
    assert x.shape == x_shape and x.dtype == np.float64
    assert set(np.unique(x)) <= set(range(20) if spec.op == "max_pool" else range(4))
    if w_shape is None:
        assert weight is None
        return
    assert weight is not None
    assert weight.shape == w_shape == weight_shape(spec)
    assert set(np.unique(weight)) <= {0.0, 1.0, 2.0}


def test_example_values_are_deterministic_per_seed():
    spec = LayerSpec(input_size=7, kernel_size=3, in_channels=2, out_channels=2)
    x1, w1 = example_values(spec, seed=7)
    x2, w2 = example_values(spec, seed=7)
    np.testing.assert_array_equal(x1, x2)
    np.testing.assert_array_equal(w1, w2)
    x3, w3 = example_values(spec, seed=8)
    assert not np.array_equal(x1, x3) or not np.array_equal(w1, w3)
    x0, _ = example_values(spec)
    np.testing.assert_array_equal(x0, example_values(spec, seed=0)[0])
    # Over a large grid every value in the ranges turns up.
    big_x, big_w = example_values(LayerSpec(input_size=9, kernel_size=5, in_channels=3), seed=1)
    assert set(np.unique(big_x)) == {0.0, 1.0, 2.0, 3.0}
    assert big_w is not None and set(np.unique(big_w)) == {0.0, 1.0, 2.0}


def test_transposed_padding_beyond_the_kernel_crops_the_stretched_input():
    # PyTorch's ConvTranspose2d(kernel_size=1, padding=1) on a 3x3 input gives 1x1: the middle.
    spec = LayerSpec(op="conv_transpose", input_size=3, kernel_size=1, padding=1)
    lay = layout(spec)
    assert output_size(spec) == (1, 1) and lay.shape == (3, 3) and lay.start == (1, 1)
    C, IN = Role.CROPPED, Role.INPUT
    np.testing.assert_array_equal(lay.roles, [[C, C, C], [C, IN, C], [C, C, C]])
    assert [tuple(w.taps[0]) for w in lay.windows()] == [(1, 1)]
    x = np.arange(9.0).reshape(1, 3, 3)
    np.testing.assert_array_equal(evaluate(spec, x, np.full((1, 1, 1, 1), 2.0)), [[[8.0]]])


# -- PyTorch itself, when installed ----------------------------------------------------------------


def _torch_conv_transpose(torch: Any, spec: LayerSpec, x: np.ndarray, weight: np.ndarray):
    """PyTorch's output for ``spec``: per-side padding as ConvTranspose2d's symmetric padding
    (the smaller side of each axis), the rest cropped from its output, as convanim explains."""
    t, b, left, r = spec.pads
    ph, pw = min(t, b), min(left, r)
    y = torch.nn.functional.conv_transpose2d(
        torch.from_numpy(x)[None],
        torch.from_numpy(weight),
        stride=spec.stride,
        padding=(ph, pw),
        output_padding=spec.output_padding,
        groups=spec.groups,
        dilation=spec.dilation,
    )[0]
    h, w = y.shape[-2:]
    return y[:, t - ph : h - (b - ph), left - pw : w - (r - pw)].numpy()


def test_conv_transpose_accepts_what_pytorch_accepts_and_equals_it():
    """Every small conv_transpose (i, k, s, d, p, output_padding): convanim refuses it with a
    SpecError exactly when PyTorch refuses it, and otherwise evaluates to PyTorch's numbers,
    padding beyond d·(k - 1) included."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    accepted = beyond = 0
    for i in (1, 2, 3):
        for k in (1, 2, 3):
            for s in (1, 2, 3):
                for d in (1, 2):
                    for p in range(5):
                        for a in range(3):
                            x = rng.integers(-3, 4, size=(1, i, i)).astype(np.float64)
                            weight = rng.integers(-3, 4, size=(1, 1, k, k)).astype(np.float64)
                            try:
                                want = torch.nn.functional.conv_transpose2d(
                                    torch.from_numpy(x)[None],
                                    torch.from_numpy(weight),
                                    stride=s,
                                    padding=p,
                                    output_padding=a,
                                    dilation=d,
                                )[0].numpy()
                            except RuntimeError:
                                want = None
                            fields = dict(
                                op="conv_transpose",
                                input_size=i,
                                kernel_size=k,
                                stride=s,
                                dilation=d,
                                padding=p,
                                output_padding=a,
                            )
                            if want is None:
                                with pytest.raises(SpecError):
                                    LayerSpec(**fields)
                                continue
                            spec = LayerSpec(**fields)
                            np.testing.assert_array_equal(evaluate(spec, x, weight), want)
                            accepted += 1
                            beyond += p > d * (k - 1)
    assert accepted > 200 and beyond > 50


@pytest.mark.parametrize(
    "text",
    [
        "conv_transpose:i3,k1,p1",
        "conv_transpose:i4,k3,s2,p3,a1",
        "conv_transpose:i4,k2,s3,d2,p4x1,a2",
        "conv_transpose:i3x5,k3x2,s2x3,p4x1x0x3",  # per side, beyond d·(k - 1) on two sides
        "conv_transpose:i4,k3,s2,d2,p6x5x1x7,a1,cin=4,cout=2,g=2",
    ],
)
def test_conv_transpose_with_large_padding_equals_pytorch(text: str):
    torch = pytest.importorskip("torch")
    spec = LayerSpec.from_mapping(parse_spec_string(text))
    assert max(spec.pads) > min(d * (k - 1) for d, k in zip(spec.dilation, spec.kernel_size))
    x, weight = example_values(spec, seed=1)
    assert weight is not None
    want = _torch_conv_transpose(torch, spec, x, weight)
    assert want.shape == (spec.out_channels, *output_size(spec))
    np.testing.assert_array_equal(evaluate(spec, x, weight), want)
    # The figure's drawn grid, read by its windows with the flipped kernel, gives it too.
    lay = layout(spec)
    grid = drawn_values(spec, x)
    flipped = transposed_as_conv_weight(spec, weight)
    got = np.zeros_like(want)
    for window in lay.windows():
        taps = grid[:, window.taps[:, 0], window.taps[:, 1]]  # (C_in, taps)
        r, c = window.out
        cin_g = spec.in_channels // spec.groups
        for o in range(spec.out_channels):
            g = o // (spec.out_channels // spec.groups)
            w = flipped[o].reshape(cin_g, -1)
            got[o, r, c] = np.sum(w * taps[g * cin_g : (g + 1) * cin_g])
    np.testing.assert_array_equal(got, want)
