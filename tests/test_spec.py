"""LayerSpec: validation (every invalid spec names its field), from_mapping, spec strings."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from convanim import ConvanimError, LayerSpec, SpecError
from convanim.model.spec import ALIASES, parse_spec_string

# -- invalid specs ---------------------------------------------------------------------------------

# (id, mapping given to from_mapping, the field SpecError must name)
INVALID = [
    ("input_size_zero", {"input_size": 0}, "input_size"),
    ("input_size_zero_width", {"input_size": (5, 0)}, "input_size"),
    ("input_size_negative", {"input_size": -3}, "input_size"),
    ("input_size_three_values", {"input_size": (5, 5, 5)}, "input_size"),
    ("input_size_empty", {"input_size": []}, "input_size"),
    ("kernel_size_zero", {"kernel_size": 0}, "kernel_size"),
    ("kernel_size_negative", {"kernel_size": (3, -1)}, "kernel_size"),
    ("stride_zero", {"stride": 0}, "stride"),
    ("stride_zero_width", {"stride": (1, 0)}, "stride"),
    ("dilation_zero", {"dilation": 0}, "dilation"),
    ("kernel_larger_than_input", {"input_size": 5, "kernel_size": 6}, "kernel_size"),
    ("kernel_larger_than_input_width", {"input_size": (5, 2), "kernel_size": 3}, "kernel_size"),
    (
        "dilated_kernel_larger_than_input",
        {"input_size": 4, "kernel_size": 3, "dilation": 2},
        "kernel_size",
    ),
    (
        "dilated_kernel_larger_than_padded_input",
        {"input_size": 4, "kernel_size": 3, "dilation": 3, "padding": (1, 1, 0, 0)},
        "kernel_size",
    ),
    (
        "pool_kernel_larger_than_input",
        {"op": "max_pool", "input_size": 2, "kernel_size": 3},
        "kernel_size",
    ),
    (
        "output_padding_equal_to_stride",
        {"op": "conv_transpose", "input_size": 3, "stride": 2, "output_padding": 2},
        "output_padding",
    ),
    (
        "output_padding_not_below_stride_or_dilation",
        {"op": "conv_transpose", "input_size": 3, "stride": 1, "dilation": 1, "output_padding": 1},
        "output_padding",
    ),
    (
        "output_padding_above_both",
        {"op": "conv_transpose", "input_size": 3, "stride": 2, "dilation": 2, "output_padding": 3},
        "output_padding",
    ),
    (
        "output_padding_negative",
        {"op": "conv_transpose", "input_size": 3, "stride": 2, "output_padding": -1},
        "output_padding",
    ),
    ("output_padding_for_conv", {"stride": 2, "output_padding": 1}, "output_padding"),
    ("groups_not_dividing_in", {"in_channels": 3, "out_channels": 4, "groups": 2}, "groups"),
    ("groups_not_dividing_out", {"in_channels": 4, "out_channels": 6, "groups": 4}, "groups"),
    ("groups_not_dividing_default_out", {"in_channels": 3, "groups": 2}, "groups"),
    ("groups_zero", {"in_channels": 2, "groups": 0}, "groups"),
    ("in_channels_zero", {"in_channels": 0}, "in_channels"),
    ("out_channels_zero", {"out_channels": 0}, "out_channels"),
    (
        "max_pool_padding_over_half_kernel",
        {"op": "max_pool", "kernel_size": 3, "padding": 2},
        "padding",
    ),
    (
        "avg_pool_padding_over_half_kernel",
        {"op": "avg_pool", "kernel_size": 2, "padding": (0, 0, 0, 2)},
        "padding",
    ),
    (
        # PyTorch bounds pooling padding by half the kernel, not the dilated kernel.
        "max_pool_padding_over_half_undilated_kernel",
        {"op": "max_pool", "input_size": 5, "kernel_size": 2, "dilation": 3, "padding": 2},
        "padding",
    ),
    ("max_pool_full_padding", {"op": "max_pool", "kernel_size": 3, "padding": "full"}, "padding"),
    ("kernel_size_float", {"kernel_size": 2.5}, "kernel_size"),
    ("kernel_size_float_in_list", {"kernel_size": [3, 2.5]}, "kernel_size"),
    ("kernel_size_word", {"kernel_size": "abc"}, "kernel_size"),
    ("kernel_size_bool", {"kernel_size": True}, "kernel_size"),
    ("kernel_size_none", {"kernel_size": None}, "kernel_size"),
    ("input_size_float_string", {"input_size": "2.5"}, "input_size"),
    ("stride_bool", {"stride": True}, "stride"),
    ("dilation_float", {"dilation": 1.0}, "dilation"),
    ("padding_float", {"padding": 2.5}, "padding"),
    ("padding_word", {"padding": "abc"}, "padding"),
    ("padding_bool", {"padding": True}, "padding"),
    ("padding_three_values", {"padding": (1, 1, 1)}, "padding"),
    ("in_channels_float", {"in_channels": 2.5}, "in_channels"),
    ("in_channels_word", {"in_channels": "abc"}, "in_channels"),
    ("in_channels_bool", {"in_channels": True}, "in_channels"),
    ("groups_bool", {"groups": True}, "groups"),
    ("ceil_mode_word", {"op": "max_pool", "ceil_mode": "maybe"}, "ceil_mode"),
    ("ceil_mode_int", {"op": "max_pool", "ceil_mode": 1}, "ceil_mode"),
    ("padding_negative", {"padding": -1}, "padding"),
    ("padding_negative_one_side", {"padding": (0, -1, 0, 0)}, "padding"),
    ("op_unknown", {"op": "deconv"}, "op"),
    ("same_with_conv_transpose", {"op": "conv_transpose", "padding": "same"}, "padding"),
    ("full_with_conv_transpose", {"op": "conv_transpose", "padding": "full"}, "padding"),
    ("padding_mode_unknown", {"padding_mode": "mirror"}, "padding_mode"),
    (
        "padding_mode_reflect_max_pool",
        {"op": "max_pool", "padding_mode": "reflect"},
        "padding_mode",
    ),
    (
        "padding_mode_circular_avg_pool",
        {"op": "avg_pool", "padding_mode": "circular"},
        "padding_mode",
    ),
    (
        "padding_mode_replicate_conv_transpose",
        {"op": "conv_transpose", "padding_mode": "replicate"},
        "padding_mode",
    ),
    (
        "reflect_padding_not_below_input",
        {"input_size": 3, "kernel_size": 1, "padding": 3, "padding_mode": "reflect"},
        "padding",
    ),
    (
        "circular_padding_above_input",
        {"input_size": 3, "kernel_size": 1, "padding": 4, "padding_mode": "circular"},
        "padding",
    ),
    (
        "conv_transpose_padding_above_dilated_kernel",
        {"op": "conv_transpose", "input_size": 4, "kernel_size": 3, "padding": 3},
        "padding",
    ),
    (
        "conv_transpose_empty_output",
        {"op": "conv_transpose", "input_size": 1, "kernel_size": 3, "padding": 2},
        "padding",
    ),
    ("ceil_mode_for_conv", {"ceil_mode": True}, "ceil_mode"),
    ("count_include_pad_for_conv", {"count_include_pad": False}, "count_include_pad"),
    (
        "count_include_pad_for_max_pool",
        {"op": "max_pool", "count_include_pad": False},
        "count_include_pad",
    ),
    ("avg_pool_dilation", {"op": "avg_pool", "input_size": 7, "dilation": 2}, "dilation"),
    (
        "pool_changes_channels",
        {"op": "max_pool", "in_channels": 2, "out_channels": 3},
        "out_channels",
    ),
    ("pool_groups", {"op": "avg_pool", "in_channels": 2, "groups": 2}, "groups"),
    ("unknown_key", {"kernal_size": 3}, "kernal_size"),
    ("alias_given_twice", {"k": 3, "kernel_size": 3}, "kernel_size"),
]


@pytest.mark.parametrize(
    ("mapping", "field"), [case[1:] for case in INVALID], ids=[case[0] for case in INVALID]
)
def test_invalid_spec_raises_spec_error_naming_the_field(mapping: dict[str, Any], field: str):
    with pytest.raises(SpecError) as info:
        LayerSpec.from_mapping(mapping)
    assert info.value.field == field
    assert str(info.value).startswith(f"{field}: ")
    assert len(str(info.value)) > len(field) + 10  # says what is wrong, not just where


def test_spec_error_is_a_value_error_and_a_convanim_error():
    with pytest.raises(ValueError):
        LayerSpec(stride=0)
    with pytest.raises(ConvanimError):
        LayerSpec(stride=0)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"input_size": 0}, "input_size"),
        ({"op": "pool"}, "op"),
        ({"kernel_size": 2.5}, "kernel_size"),
        ({"padding": "same", "op": "conv_transpose"}, "padding"),
    ],
)
def test_direct_construction_validates_too(kwargs: dict[str, Any], field: str):
    with pytest.raises(SpecError) as info:
        LayerSpec(**kwargs)
    assert info.value.field == field


def test_unknown_key_message_lists_the_known_fields():
    with pytest.raises(SpecError) as info:
        LayerSpec.from_mapping({"kernel": 3, "colour": "red"})
    assert info.value.field == "colour"
    message = str(info.value)
    for name in LayerSpec.field_names():
        assert name in message


def test_from_mapping_rejects_a_non_mapping():
    with pytest.raises(SpecError) as info:
        LayerSpec.from_mapping([("k", 3)])  # type: ignore[arg-type]
    assert info.value.field == "layer"


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"op": "conv_transpose", "stride": 1, "dilation": 2, "output_padding": 1}, (1, 1)),
        ({"op": "conv_transpose", "stride": 3, "output_padding": 2}, (2, 2)),
        ({"op": "conv_transpose", "stride": (2, 1), "output_padding": (1, 0)}, (1, 0)),
    ],
)
def test_output_padding_below_stride_or_dilation_is_allowed(
    kwargs: dict[str, Any], expected: tuple[int, int]
):
    assert LayerSpec(input_size=3, **kwargs).output_padding == expected


def test_pool_padding_of_exactly_half_the_kernel_is_allowed():
    assert LayerSpec(op="max_pool", kernel_size=(3, 2), padding=(1, 1, 1, 1)).pads == (1, 1, 1, 1)
    assert LayerSpec(op="avg_pool", kernel_size=5, padding=2).pads == (2, 2, 2, 2)


def test_spec_is_frozen():
    spec = LayerSpec()
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.stride = (2, 2)  # type: ignore[misc]


# -- normalisation and from_mapping ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (5, (5, 5)),
        ("5", (5, 5)),
        ("5x7", (5, 7)),
        ("5X7", (5, 7)),
        ("5,7", (5, 7)),
        (" 5 x 7 ", (5, 7)),
        ([5, 7], (5, 7)),
        ((5, 7), (5, 7)),
        ([6], (6, 6)),
    ],
)
def test_pairs_accept_ints_strings_and_lists(value: Any, expected: tuple[int, int]):
    spec = LayerSpec.from_mapping({"input_size": value, "kernel_size": 1})
    assert spec.input_size == expected
    assert all(type(v) is int for v in spec.input_size)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1, (1, 1, 1, 1)),
        ("1", (1, 1, 1, 1)),
        ([1, 2], (1, 1, 2, 2)),
        ("1x2", (1, 1, 2, 2)),
        ([0, 1, 0, 1], (0, 1, 0, 1)),
        ("0,1,2,0", (0, 1, 2, 0)),
        ("0x1x2x0", (0, 1, 2, 0)),
    ],
)
def test_padding_normalises_to_top_bottom_left_right(value: Any, expected: tuple[int, ...]):
    spec = LayerSpec.from_mapping({"padding": value})
    assert spec.padding == expected
    assert spec.pads == expected


@pytest.mark.parametrize(
    ("key", "field"),
    [
        ("input-size", "input_size"),
        ("Kernel-Size", "kernel_size"),
        ("output-padding", "output_padding"),
        ("ceil-mode", "ceil_mode"),
        *ALIASES.items(),
    ],
)
def test_from_mapping_accepts_dashed_keys_and_aliases(key: str, field: str):
    values = {
        "input_size": "6x7",
        "kernel_size": "1x2",
        "stride": 2,
        "padding": 1,
        "dilation": 2,
        "output_padding": 1,
        "in_channels": 4,
        "out_channels": 4,
        "groups": 2,
        "ceil_mode": "true",
    }
    op = {"output_padding": "conv_transpose", "ceil_mode": "max_pool"}.get(field, "conv")
    base = {"stride": 2} if field == "output_padding" else {}
    if field == "groups":
        base = {"in_channels": 4}
    spec = LayerSpec.from_mapping({"op": op, **base, key: values[field]})
    expected = LayerSpec(op=op, **base, **{field: values[field]})
    assert getattr(spec, field) == getattr(expected, field)
    assert spec == expected


def test_from_mapping_reads_flag_strings():
    spec = LayerSpec.from_mapping(
        {
            "op": "avg_pool",
            "input": "5x7",
            "kernel": "3",
            "ceil-mode": "True",
            "count-include-pad": "false",
            "cin": " 3 ",
        }
    )
    assert spec.input_size == (5, 7)
    assert spec.kernel_size == (3, 3)
    assert spec.ceil_mode is True
    assert spec.count_include_pad is False
    assert spec.in_channels == 3
    assert spec.out_channels == 3  # defaults to in_channels


def test_defaults():
    spec = LayerSpec()
    assert spec.op == "conv"
    assert spec.input_size == (5, 5)
    assert spec.kernel_size == (3, 3)
    assert spec.stride == (1, 1)
    assert spec.pads == (0, 0, 0, 0)
    assert spec.out_channels == 1


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("conv:i5,k1,s2", {"input_size": (5, 5), "kernel_size": (1, 1), "stride": (2, 2)}),
        ("conv:i5x7,k3x1,s2x1", {"input_size": (5, 7), "kernel_size": (3, 1), "stride": (2, 1)}),
        ("max_pool:input=5x7,kernel=2", {"op": "max_pool", "input_size": (5, 7)}),
        ("conv:i5,k3,p0x1x0x1", {"padding": (0, 1, 0, 1)}),
        ("conv:i5,k3,p1x2", {"padding": (1, 1, 2, 2)}),
        ("conv:i5,k3,s2,psame", {"padding": "same", "pads": (1, 1, 1, 1)}),
        ("conv:i5,k3,pfull", {"padding": "full", "pads": (2, 2, 2, 2)}),
        ("conv: i7 , k3 , d2 ", {"input_size": (7, 7), "dilation": (2, 2)}),
        ("conv_transpose:i3,k3,s2,p1,a1", {"op": "conv_transpose", "output_padding": (1, 1)}),
        ("conv:i6,k3,cin4,cout6,g2", {"in_channels": 4, "out_channels": 6, "groups": 2}),
        (
            "avg_pool:i5,k2,s2,ceil_mode=true,count_include_pad=false",
            {"ceil_mode": True, "count_include_pad": False},
        ),
        ("conv:i5,k3,padding_mode=circular,p1", {"padding_mode": "circular"}),
    ],
)
def test_parse_spec_string(text: str, expected: dict[str, Any]):
    spec = LayerSpec.from_mapping(parse_spec_string(text))
    for name, value in expected.items():
        assert getattr(spec, name) == value, name


def test_parse_spec_string_keeps_strings_for_from_mapping():
    assert parse_spec_string("conv:i5,k1,s2") == {"op": "conv", "i": "5", "k": "1", "s": "2"}


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("conv", "spec"),  # no colon
        ("conv:i5,zz", "spec"),  # a token with no value
        ("conv:i5,k-1", "spec"),  # negative numbers do not read as a short token
        ("conv:i5,q3", "q"),  # reads, but names no field
        ("deconv:i5", "op"),
        ("conv:i5,k3,s0", "stride"),
    ],
)
def test_bad_spec_strings_raise_spec_error(text: str, field: str):
    with pytest.raises(SpecError) as info:
        LayerSpec.from_mapping(parse_spec_string(text))
    assert info.value.field == field


# -- round trip ------------------------------------------------------------------------------------

ROUND_TRIP = [
    LayerSpec(),
    LayerSpec(input_size=(5, 7), kernel_size=(3, 1), stride=(2, 1), padding=(0, 1, 2, 0)),
    LayerSpec(input_size=6, padding="same", stride=2),
    LayerSpec(input_size=6, padding="full", dilation=2),
    LayerSpec(padding=1, padding_mode="reflect", in_channels=4, out_channels=6, groups=2),
    LayerSpec(op="conv_transpose", input_size=3, stride=2, padding=1, output_padding=1),
    LayerSpec(op="max_pool", kernel_size=2, stride=2, ceil_mode=True, dilation=(1, 2)),
    LayerSpec(op="avg_pool", kernel_size=3, padding=1, count_include_pad=False, in_channels=3),
]


@pytest.mark.parametrize("spec", ROUND_TRIP, ids=lambda s: s.op)
def test_to_mapping_from_mapping_round_trip(spec: LayerSpec):
    mapping = spec.to_mapping()
    assert json.loads(json.dumps(mapping)) == mapping  # plain data, as TOML or JSON can hold
    again = LayerSpec.from_mapping(mapping)
    assert again == spec
    assert again.pads == spec.pads


@st.composite
def simple_specs(draw: st.DrawFn) -> LayerSpec:
    """Convolutions with any shape of padding, always valid (the kernel fits unpadded)."""
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    padding = draw(
        st.one_of(
            st.sampled_from(["valid", "same", "full"]),
            st.integers(0, 2),
            st.tuples(*[st.integers(0, 2)] * 4),
        )
    )
    groups = draw(st.integers(1, 3))
    return LayerSpec(
        input_size=(draw(st.integers(kh, 9)), draw(st.integers(kw, 9))),
        kernel_size=(kh, kw),
        stride=(draw(st.integers(1, 3)), draw(st.integers(1, 3))),
        padding=padding,
        in_channels=groups * draw(st.integers(1, 2)),
        out_channels=groups * draw(st.integers(1, 2)),
        groups=groups,
    )


@settings(max_examples=100, deadline=None)
@given(simple_specs())
def test_round_trip_property(spec: LayerSpec):
    assert LayerSpec.from_mapping(spec.to_mapping()) == spec


# -- padding words ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("i", "k", "s", "d", "same", "full"),
    [
        (5, 3, 1, 1, (1, 1), (2, 2)),
        (5, 4, 1, 1, (1, 2), (3, 3)),  # odd total: the extra unit at the bottom/right
        (5, 3, 2, 1, (1, 1), (2, 2)),
        (6, 3, 2, 1, (0, 1), (2, 2)),
        (6, 1, 2, 1, (0, 0), (0, 0)),  # total would be negative: no padding
        (7, 3, 1, 2, (2, 2), (4, 4)),
        (4, 2, 4, 1, (0, 0), (1, 1)),
    ],
)
def test_same_and_full_padding_words(
    i: int, k: int, s: int, d: int, same: tuple[int, int], full: tuple[int, int]
):
    spec = LayerSpec(input_size=i, kernel_size=k, stride=s, dilation=d, padding="same")
    assert spec.padding == "same"
    assert spec.pads == (*same, *same)
    assert spec.replace(padding="full").pads == (*full, *full)
    assert spec.replace(padding="valid").pads == (0, 0, 0, 0)


def test_padding_words_resolve_per_axis():
    spec = LayerSpec(input_size=(5, 6), kernel_size=(4, 3), stride=(1, 2), padding="SAME")
    assert spec.padding == "same"
    assert spec.pads == (1, 2, 0, 1)


def test_effective_kernel_and_op_kinds():
    spec = LayerSpec(input_size=9, kernel_size=(3, 2), dilation=(2, 3))
    assert spec.effective_kernel == (5, 4)
    assert not spec.is_pool and not spec.is_transposed
    assert LayerSpec(op="max_pool").is_pool
    assert LayerSpec(op="conv_transpose").is_transposed


def test_words_are_case_insensitive_and_numpy_integers_are_integers() -> None:
    import numpy as np

    spec = LayerSpec(op="Conv", padding_mode="Reflect", padding=1, input_size=np.int64(5))
    assert (spec.op, spec.padding_mode, spec.input_size) == ("conv", "reflect", (5, 5))
    assert type(spec.input_size[0]) is int


def test_spec_string_rejects_a_field_given_twice() -> None:
    with pytest.raises(SpecError) as info:
        parse_spec_string("conv:i5,i7")
    assert info.value.field == "spec"
