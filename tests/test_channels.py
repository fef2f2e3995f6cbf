"""Channels: the channel scene against geometry.evaluate (footprints, groups, numbers), frame
orders, the schematic decision, sequences, the channel templates, and the volume renderer's
pixels and golden frames (``CONVANIM_REGEN_BASELINES=1`` regenerates them, as in test_render).
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image
from test_render import check_golden

from convanim import LayerSpec, SpecError
from convanim.animation import Animation
from convanim.backends._fonts import PilMetrics
from convanim.catalog.templates import figure_from_mapping, resolve, template_names
from convanim.cli.main import main
from convanim.model.look import Look
from convanim.model.spec import CompareSpec, FigureSpec, SequenceSpec
from convanim.ops.geometry import evaluate, example_values, layout, output_size, weight_shape
from convanim.scene.channel_plan import (
    build_channel_scene,
    check_sequence,
    is_schematic,
    stage_inputs,
    wants_channel_view,
)
from convanim.scene.display import _prim_colours
from convanim.scene.pictures import picture_for

CHANNEL_TEMPLATES = [
    "one_by_one_channel_mixing",
    "dimension_reduction_200x200x50_to_20",
    "depthwise",
    "depthwise_separable",
    "fully_connected_as_1x1",
    "network_in_network",
]

SHADED_INPUT = (26, 105, 152)
SHADED_OUTPUT = (28, 118, 118)
INPUT = (38, 139, 210)


def _figure(view: str = "volume", frame_order: str = "position", **layer: object) -> FigureSpec:
    """A figure drawn cell by cell whatever its size: the scene's geometry is what is tested."""
    return FigureSpec(LayerSpec(**layer), view=view, frame_order=frame_order, schematic=False)


# -- footprints and groups against evaluate -------------------------------------------------------

SPECS = [
    dict(input_size=5, kernel_size=1, in_channels=3, out_channels=2),
    dict(input_size=5, kernel_size=3, in_channels=3, out_channels=3, groups=3),
    dict(input_size=(4, 5), kernel_size=(2, 3), in_channels=4, out_channels=6, groups=2, stride=2),
    dict(input_size=5, kernel_size=3, in_channels=2, out_channels=4, padding=1, dilation=2),
    dict(
        input_size=4,
        kernel_size=3,
        in_channels=2,
        out_channels=2,
        padding=1,
        padding_mode="reflect",
    ),
    dict(
        op="conv_transpose",
        input_size=3,
        kernel_size=3,
        stride=2,
        in_channels=4,
        out_channels=2,
        groups=2,
    ),
    dict(op="avg_pool", input_size=5, kernel_size=2, stride=2, in_channels=3, padding=1),
]


def _reads(spec: LayerSpec) -> np.ndarray:
    """Which input element each output value depends on: (C_in, H, W, C_out, H_out, W_out),
    from evaluate on one-hot inputs with all-ones weights (no cancellation: it is linear and
    every term is positive)."""
    shape = weight_shape(spec)
    weight = None if shape is None else np.ones(shape)
    c, (h, w) = spec.in_channels, spec.input_size
    reads = np.zeros((c, h, w, spec.out_channels, *output_size(spec)), dtype=bool)
    for index in np.ndindex(c, h, w):
        x = np.zeros((c, h, w))
        x[index] = 1.0
        reads[index] = evaluate(spec, x, weight) != 0
    return reads


def _highlighted(spec: LayerSpec, channels: tuple[int, ...], taps: np.ndarray) -> np.ndarray:
    """The input elements a frame highlights: its channels at the input cells under its taps."""
    source = layout(spec).source
    out = np.zeros((spec.in_channels, *spec.input_size), dtype=bool)
    for r, c in taps:
        sr, sc = source[r, c]
        if sr >= 0:
            out[list(channels), sr, sc] = True
    return out


@pytest.mark.parametrize("layer", SPECS, ids=lambda d: "-".join(f"{k}{v}" for k, v in d.items()))
def test_each_frame_highlights_exactly_what_evaluate_reads(layer: dict) -> None:
    spec = LayerSpec(**layer)
    reads = _reads(spec)
    scene = build_channel_scene(_figure(frame_order="position_channel", **layer))
    assert scene.n_frames == reads.shape[4] * reads.shape[5] * spec.out_channels
    for state in scene.frames():
        (o,) = state.out_channels
        r, c = state.out
        shown = _highlighted(spec, state.in_channels, state.taps)
        np.testing.assert_array_equal(shown, reads[..., o, r, c], err_msg=str(state.index))


@pytest.mark.parametrize("layer", SPECS[:4], ids=str)
def test_position_order_lights_every_output_channel_and_the_union_of_reads(layer: dict) -> None:
    spec = LayerSpec(**layer)
    reads = _reads(spec)
    scene = build_channel_scene(_figure(**layer))
    ho, wo = output_size(spec)
    assert scene.n_frames == ho * wo
    for state in scene.frames():
        r, c = state.out
        assert state.out == divmod(state.index, wo)
        assert state.out_channels == tuple(range(spec.out_channels))
        assert state.filters == state.out_channels
        union = reads[..., r, c].any(axis=-1)
        np.testing.assert_array_equal(_highlighted(spec, state.in_channels, state.taps), union)


def test_position_channel_order_runs_channels_within_a_position() -> None:
    scene = build_channel_scene(
        _figure(
            frame_order="position_channel",
            input_size=3,
            kernel_size=1,
            in_channels=2,
            out_channels=3,
        )
    )
    got = [(s.out, s.out_channels, s.filters) for s in scene.frames()][:4]
    assert got == [
        ((0, 0), (0,), (0,)),
        ((0, 0), (1,), (1,)),
        ((0, 0), (2,), (2,)),
        ((0, 1), (0,), (0,)),
    ]


@settings(max_examples=25, deadline=None)
@given(
    groups=st.sampled_from([1, 2, 3]),
    per_in=st.integers(1, 2),
    per_out=st.integers(1, 2),
    k=st.integers(1, 3),
    s=st.integers(1, 2),
)
def test_groups_split_channels_as_evaluate_does(
    groups: int, per_in: int, per_out: int, k: int, s: int
) -> None:
    layer = dict(
        input_size=4,
        kernel_size=k,
        stride=s,
        in_channels=groups * per_in,
        out_channels=groups * per_out,
        groups=groups,
    )
    spec = LayerSpec(**layer)
    reads = _reads(spec).any(axis=(1, 2, 4, 5))  # (C_in, C_out): which channel feeds which
    scene = build_channel_scene(_figure(**layer))
    for o in range(spec.out_channels):
        g = int(scene.output_groups[o])
        ins, outs = scene.group_channels(g)
        assert o in outs
        assert set(np.flatnonzero(reads[:, o])) == set(ins)
        assert all(scene.input_groups[c] == g for c in ins)


def test_depthwise_has_one_group_per_channel_and_filters_one_channel_deep() -> None:
    target = resolve("depthwise")
    scene = build_channel_scene(target)
    assert scene.groups == scene.in_channels == 3
    assert scene.filter_shape == (3, 3, 1)
    for state in scene.frames():
        assert state.in_channels == state.out_channels  # channel c feeds output channel c only


# -- numbers ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("layer", SPECS, ids=str)
def test_terms_sum_to_evaluates_numbers(layer: dict) -> None:
    figure = _figure(view="numerical", frame_order="position_channel", **layer)
    spec = figure.layer
    scene = build_channel_scene(figure)
    x, weight = example_values(spec, seed=figure.seed)
    expected = evaluate(spec, x, weight)
    np.testing.assert_array_equal(scene.output_values, expected)
    for state in scene.frames():
        (o,) = state.out_channels
        r, c = state.out
        terms = scene.terms(state, o)
        assert [t.channel for t in terms] == list(state.in_channels)
        if spec.is_pool:
            assert terms[0].partial == expected[o, r, c]
        else:
            assert sum(t.partial for t in terms) == pytest.approx(expected[o, r, c])


def test_one_by_one_terms_are_weight_times_value_per_channel() -> None:
    figure = resolve("one_by_one_channel_mixing", {"view": "numerical"})
    scene = build_channel_scene(figure)
    x, weight = example_values(figure.layer)
    state = scene.frame(7)  # output (1, 2)
    for o in range(2):
        terms = scene.terms(state, o)
        assert [(t.weights[0], t.values[0]) for t in terms] == [
            (weight[o, c, 0, 0], x[c, 1, 2]) for c in range(3)
        ]


def test_numbers_are_only_computed_for_the_numerical_view() -> None:
    scene = build_channel_scene(resolve("one_by_one_channel_mixing"))
    assert scene.input_values is None
    with pytest.raises(ValueError, match="numerical"):
        scene.terms(scene.frame(0), 0)


# -- the schematic and the channel view ------------------------------------------------------------


def test_schematic_is_automatic_above_the_cell_budget_and_can_be_forced() -> None:
    big = dict(input_size=200, kernel_size=1, in_channels=50, out_channels=20)
    assert is_schematic(FigureSpec(LayerSpec(**big)))
    assert is_schematic(FigureSpec(LayerSpec(input_size=5, kernel_size=1, in_channels=40)))
    assert not is_schematic(FigureSpec(LayerSpec(input_size=5, kernel_size=1, in_channels=3)))
    # Too tall a stack of blocks for a frame of ~800 px: a 9 x 9 drawn grid of 4 channels.
    tall = dict(op="conv_transpose", input_size=3, kernel_size=3, stride=2, in_channels=4)
    assert is_schematic(FigureSpec(LayerSpec(**tall)))
    assert not is_schematic(FigureSpec(LayerSpec(**big), schematic=False))
    small = FigureSpec(LayerSpec(in_channels=3), schematic=True)
    assert is_schematic(small)
    scene = build_channel_scene(FigureSpec(LayerSpec(**big), view="numerical"))
    assert scene.schematic and scene.input_values is None  # no numbers for 40000 positions
    assert 1 < scene.n_frames <= 4
    assert scene.frame(0).out == (0, 0) and scene.frame(scene.n_frames - 1).out == (199, 199)


def test_which_figures_take_the_channel_view() -> None:
    assert not wants_channel_view(FigureSpec(LayerSpec()))
    assert wants_channel_view(FigureSpec(LayerSpec(), view="volume"))
    assert wants_channel_view(FigureSpec(LayerSpec(), schematic=True))
    assert wants_channel_view(FigureSpec(LayerSpec(in_channels=2)))
    assert wants_channel_view(FigureSpec(LayerSpec(out_channels=2)))


@pytest.mark.parametrize(
    ("field", "kwargs"),
    [("schematic", {"schematic": "maybe"}), ("frame_order", {"frame_order": "channel"})],
)
def test_figure_options_are_validated(field: str, kwargs: dict) -> None:
    with pytest.raises(SpecError) as info:
        FigureSpec(LayerSpec(), **kwargs)
    assert info.value.field == field


def test_figure_options_from_a_mapping() -> None:
    figure = FigureSpec.from_mapping(
        {"input_size": 5, "in_channels": 3, "schematic": "true", "frame-order": "position-channel"}
    )
    assert figure.schematic is True and figure.frame_order == "position_channel"


# -- sequences -------------------------------------------------------------------------------------


def test_a_sequence_must_chain_and_the_error_names_the_stage() -> None:
    a = FigureSpec(LayerSpec(input_size=5, kernel_size=3, in_channels=3, out_channels=4), name="a")
    b = FigureSpec(LayerSpec(input_size=3, kernel_size=1, in_channels=4, out_channels=2), name="b")
    check_sequence(SequenceSpec((a, b)))
    wrong_size = FigureSpec(b.layer.replace(input_size=5), name="b")
    with pytest.raises(SpecError, match=r"stage 2 \(b\).*input_size 5x5.*outputs 3x3"):
        check_sequence(SequenceSpec((a, wrong_size)))
    wrong_channels = FigureSpec(b.layer.replace(in_channels=3, out_channels=3), name="b")
    with pytest.raises(SpecError, match=r"stage 2 \(b\).*in_channels 3.*out_channels 4"):
        check_sequence(SequenceSpec((a, wrong_channels)))
    with pytest.raises(SpecError, match="sequence"):
        figure_from_mapping(
            {"sequence": [a.layer.to_mapping(), wrong_size.layer.to_mapping()]}, "s"
        )


def test_sequence_values_flow_from_stage_to_stage() -> None:
    target = resolve("network_in_network")
    assert isinstance(target, SequenceSpec) and len(target.stages) == 3
    inputs = stage_inputs(target)
    for stage, x, after in zip(target.stages, inputs, inputs[1:]):
        _, weight = example_values(stage.layer, seed=stage.seed)
        np.testing.assert_array_equal(evaluate(stage.layer, x, weight), after)


def test_sequence_templates_and_their_errors() -> None:
    target = resolve("depthwise_separable")
    assert isinstance(target, SequenceSpec)
    assert [s.layer.groups for s in target.stages] == [3, 1]
    assert target.stages[0].frame_order == "position_channel"
    # Figure keys given for the whole sequence (as CLI flags are) reach every stage.
    numbers = resolve("network_in_network", {"view": "numerical"})
    assert all(s.view == "numerical" for s in numbers.stages)
    with pytest.raises(SpecError) as info:
        resolve("network_in_network", {"kernel_size": 3})
    assert info.value.field == "kernel_size"
    with pytest.raises(SpecError, match="stage 2"):
        figure_from_mapping({"sequence": [{"input_size": 5}, 7]}, "s")
    with pytest.raises(SpecError, match="compare single figures"):
        figure_from_mapping({"compare": ["depthwise_separable", "depthwise"]}, "c")
    with pytest.raises(SpecError, match="compare"):
        CompareSpec((target, resolve("depthwise")), ("a", "b"))


# -- rendering ------------------------------------------------------------------------------------


def _pixel_colour(frame: np.ndarray, at: tuple[int, int]) -> np.ndarray:
    y, x = at
    return np.median(frame[y - 2 : y + 3, x - 2 : x + 3].reshape(-1, 3), axis=0)


def test_volume_frame_shades_the_column_and_the_output_it_writes() -> None:
    from convanim.render_volume import VolumeRenderer, cell_pixel, renderer_for

    r = renderer_for(resolve("one_by_one_channel_mixing"))
    assert isinstance(r, VolumeRenderer)
    frame = r.frame(7)  # output (1, 2) reads input (1, 2) in all three channels
    assert frame.shape == (r.size[1], r.size[0], 3)
    assert max(r.size) <= 800
    shaded = [
        (row, col)
        for row in range(5)
        for col in range(5)
        if np.allclose(_pixel_colour(frame, cell_pixel(r, "input", row, col)), SHADED_INPUT, atol=1)
    ]
    assert shaded == [(1, 2)]
    assert np.allclose(_pixel_colour(frame, cell_pixel(r, "input", 0, 0)), INPUT, atol=1)
    assert np.allclose(_pixel_colour(frame, cell_pixel(r, "output", 1, 2)), SHADED_OUTPUT, atol=1)


@pytest.mark.parametrize(
    "target",
    [
        "one_by_one_channel_mixing",
        "depthwise",
        "dimension_reduction_200x200x50_to_20",
        ("one_by_one_channel_mixing", {"view": "numerical", "frame_order": "position_channel"}),
    ],
    ids=str,
)
def test_fast_path_equals_a_full_redraw(target: object) -> None:
    from convanim.render_volume import renderer_for

    figure = resolve(*target) if isinstance(target, tuple) else resolve(target)
    fast, full = renderer_for(figure, fast=True), renderer_for(figure, fast=False)
    for index, (a, b) in enumerate(zip(fast.frames(), full.frames(), strict=True)):
        # Agg may round an edge pixel's blend one level apart when a region is restored and
        # drawn again: a handful of pixels one level off, nothing more.
        off = np.abs(a.astype(int) - b.astype(int))
        assert off.max() <= 1 and (off.any(axis=-1)).sum() <= 8, index
        if index == 3:
            break


@pytest.mark.parametrize("name", CHANNEL_TEMPLATES)
def test_channel_templates_render(name: str) -> None:
    anim = Animation(resolve(name))
    frames = anim.frames()
    first = next(frames)
    width, height = anim.size
    assert first.shape == (height, width, 3) and first.dtype == np.uint8
    assert width <= 800 and height <= 800
    expected = {
        "one_by_one_channel_mixing": 25,
        "dimension_reduction_200x200x50_to_20": 4,
        "depthwise": 27,
        "depthwise_separable": 27 + 9,
        "fully_connected_as_1x1": 4,
        "network_in_network": 27,
    }
    assert anim.n_frames == expected[name]


def test_a_sequence_shows_its_stages_one_after_another() -> None:
    from convanim.render_volume import SequenceRenderer

    r = SequenceRenderer(resolve("depthwise_separable"))
    frames = list(r.frames())
    assert len(frames) == r.n_frames == 36
    # The strip naming the stage changes when the second stage starts.
    strip = slice(0, 40)
    assert np.array_equal(frames[0][strip], frames[26][strip])
    assert not np.array_equal(frames[26][strip], frames[27][strip])


def test_channels_does_not_import_matplotlib() -> None:
    code = (
        "import sys, convanim.scene.channel_plan;"
        "convanim.scene.channel_plan.build_channel_scene("
        "convanim.catalog.templates.resolve('one_by_one_channel_mixing'));"
        "assert 'matplotlib' not in sys.modules, 'matplotlib imported'"
    )
    subprocess.run([sys.executable, "-c", "import convanim.catalog.templates;" + code], check=True)


def test_cli_frame_order_and_schematic_flags(tmp_path, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    spec = "conv:i3,k1,cin3,cout2"
    result = runner.invoke(
        main, ["render", spec, "--frame-order", "position_channel", "-o", "a.gif"]
    )
    assert result.exit_code == 0, result.output
    with Image.open(tmp_path / "a.gif") as im:
        assert im.n_frames == 18  # 3 x 3 positions, 2 output channels each
    result = runner.invoke(main, ["render", "depthwise", "--schematic", "-o", "b.gif"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(main, ["render", "depthwise", "--frame-order", "diagonal"])
    assert result.exit_code == 2 and "--frame-order" in result.output
    result = runner.invoke(main, ["render", "--input", "5", "--view", "volume", "-o", "c.gif"])
    assert result.exit_code == 0, result.output


# -- golden frames ---------------------------------------------------------------------------------

GOLDEN = [
    ("volume", "one_by_one_channel_mixing", 7),
    ("schematic", "dimension_reduction_200x200x50_to_20", 1),
    ("depthwise", "depthwise", 4),
]


@pytest.mark.parametrize(("prefix", "name", "index"), GOLDEN)
def test_golden_frame(prefix: str, name: str, index: int) -> None:
    from convanim.render_volume import renderer_for

    frame = renderer_for(resolve(name)).frame(index)
    tag = name if name.startswith(prefix) else f"{prefix}_{name}"
    check_golden(frame, f"{tag}_{index:02d}")


@pytest.mark.parametrize("name", template_names())
def test_a_picture_lists_every_colour_its_frames_show(name: str) -> None:
    """A backend's palette is made from ``Picture.colours()`` before any frame is drawn. A
    channel figure's filters and highlighted cubes take turns, so frames after the first show
    paints the first does not; unlisted, they met a palette already full of blends and snapped
    to a neighbouring colour (a depthwise filter in use drew (133, 41, 91) for (129, 54, 104))."""
    picture = picture_for(resolve(name), Look(), PilMetrics())
    listed = set(picture.colours())
    shown = {c for i in range(picture.n_frames) for p in picture.frame(i) for c in _prim_colours(p)}
    assert shown <= listed, sorted(map(str, shown - listed))[:3]
