"""Figures that do not mislead (issue 13, items 3-6 and 9), checked on the display list: example
values that vary, numbers rounded as by hand, sums that list what is computed, ceil_mode overhang
and uncounted padding drawn unlike padding, transposed figures that name both parameter sets,
and transposed convolutions whose padding crops the stretched input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from convanim.catalog.templates import resolve, template_names
from convanim.cli.main import main
from convanim.model.look import Look
from convanim.model.spec import CompareSpec, FigureSpec, SequenceSpec
from convanim.ops import geometry
from convanim.scene.cells import Kind
from convanim.scene.channel_plan import build_channel_scene, build_sequence
from convanim.scene.display import Paint, Picture, Polygons, Segments, Text
from convanim.scene.pictures import picture_for
from convanim.scene.plan import build_scene
from convanim.scene.words import fmt_input, fmt_output, half_up, sum_text, written_sum


def _figure(ref: str, **overrides: object) -> FigureSpec:
    target = resolve(ref, overrides or None)
    assert isinstance(target, FigureSpec)
    return target


def _texts(pic: Picture, frame: int | None = None) -> list[str]:
    prims = pic.static if frame is None else pic.frame(frame)
    return [p.text for p in prims if isinstance(p, Text)]


# -- item 3: example values that teach ---------------------------------------------------------


def _numerical_figures() -> list[tuple[str, FigureSpec]]:
    """Every built-in single figure and sequence stage that has a numerical view."""
    out = []
    for name in template_names():
        target = resolve(name)
        if isinstance(target, SequenceSpec):
            out += [
                (f"{name}/{k}", s) for k, s in enumerate(target.stages) if s.view == "numerical"
            ]
        elif isinstance(target, FigureSpec) and target.view == "numerical":
            out.append((name, target))
    return out


def test_every_numerical_template_shows_varied_outputs() -> None:
    figures = _numerical_figures()
    assert {"numerical_max_pooling", "numerical_average_pooling"} <= {n for n, _ in figures}
    for name, figure in figures:
        spec = figure.layer
        x, weight = geometry.example_values(spec, figure.seed)
        out = geometry.evaluate(spec, x, weight)
        cells = out.shape[1] * out.shape[2]
        want = min(3 if spec.is_pool else 2, cells)
        for channel in out:
            assert len(np.unique(channel)) >= want, (name, channel)


@pytest.mark.parametrize(
    "name", [n for n in template_names() if not isinstance(resolve(n), CompareSpec)]
)
def test_no_template_drawn_numerically_has_a_constant_output(name: str) -> None:
    target = resolve(name, {"view": "numerical"})
    if isinstance(target, SequenceSpec):
        scenes = [
            s for s in build_sequence(target) if s is not None and s.output_values is not None
        ]
        outputs = [s.output_values for s in scenes]
    else:
        assert isinstance(target, FigureSpec)
        x, weight = geometry.example_values(target.layer, target.seed)
        outputs = [geometry.evaluate(target.layer, x, weight)]
    for out in outputs:
        for channel in out:
            if channel.size > 1:
                assert len(np.unique(channel)) > 1, name


@pytest.mark.parametrize(
    "ref", ["numerical_max_pooling", "max_pool:i6,k3,s2,ceil_mode=true", "max_pool:i5,k2,s2,p1"]
)
def test_pooling_examples_have_three_distinct_outputs(ref: str) -> None:
    scene = build_scene(_figure(ref, view="numerical"))
    assert scene.output_values is not None
    assert len(np.unique(scene.output_values)) >= 3


def test_example_values_are_seeded() -> None:
    spec = _figure("numerical_max_pooling").layer
    a, b = geometry.example_values(spec, 4), geometry.example_values(spec, 4)
    np.testing.assert_array_equal(a[0], b[0])
    assert not np.array_equal(a[0], geometry.example_values(spec, 5)[0])


@pytest.mark.parametrize(
    ("value", "text"),
    [(1.25, "1.3"), (0.05, "0.1"), (2.25, "2.3"), (-1.25, "-1.3"), (-0.04, "0.0"), (12.0, "12.0")],
)
def test_numbers_are_rounded_half_up(value: float, text: str) -> None:
    assert fmt_output(value) == text
    assert fmt_input(value) == (text if not float(value).is_integer() else str(int(value)))


def test_half_up_rounds_the_decimal_a_reader_sees() -> None:
    assert half_up(2.675, 2) == "2.68"  # the float is 2.67499…: f"{2.675:.2f}" gives 2.67
    assert half_up(1 / 3) == "0.3"


def test_the_numbers_a_figure_shows_are_rounded_half_up() -> None:
    # avg_pool without count_include_pad: the first window averages 3, 2, 0, 0 = 1.25.
    ref = "avg_pool:i5,k3,s2,p1,count_include_pad=false"
    planar = picture_for(_figure(ref, view="numerical"))
    assert "1.3" in _texts(planar) and "1.2" not in _texts(planar)
    channels = picture_for(_figure(ref, view="numerical", in_channels=2))
    assert "1.3" in _texts(channels)


# -- item 4: sums that show what is computed ---------------------------------------------------


def test_avg_pool_sums_list_only_the_counted_cells() -> None:
    look = Look(sums=True)
    ref = "avg_pool:i5,k3,s2,p1"
    off = picture_for(_figure(ref, view="numerical", count_include_pad=False), look)
    assert "mean(3, 2, 0, 0) = 1.3" in _texts(off, 0)
    on = picture_for(_figure(ref, view="numerical"), look)
    assert "mean(0, 0, 0, 0, 3, 2, 0, 0, 0) = 0.6" in _texts(on, 0)
    # Uncounted padding shows no number; counted padding shows its zero.
    assert _texts(off).count("0") < _texts(on).count("0")


def test_max_pool_sums_never_list_padding() -> None:
    figure = _figure("max_pool:i5,k3,s2,p1", view="numerical")
    scene = build_scene(figure)
    text = sum_text(scene, scene.frame(0))
    x, _ = geometry.example_values(figure.layer, figure.seed)
    real = ", ".join(fmt_input(v) for v in x[0, :2, :2].ravel())
    assert text.startswith(f"max({real}) = ")


def test_sums_write_their_terms_in_the_same_order_in_every_view() -> None:
    figure = _figure("conv:i4,k2,s2", view="numerical")
    planar = build_scene(figure)
    channel = build_channel_scene(figure)
    for index in range(planar.n_frames):
        mine = sum_text(planar, planar.frame(index))
        theirs = written_sum(channel, channel.frame(index), 0).split(" = ", 1)[1]
        assert mine == theirs
    pooled = _figure("avg_pool:i5,k3,s2,p1,count_include_pad=false", view="numerical")
    planar, channel = build_scene(pooled), build_channel_scene(pooled)
    assert written_sum(channel, channel.frame(0), 0).endswith(sum_text(planar, planar.frame(0)))


# -- item 5: overhang and uncounted padding are not padding ------------------------------------


def _cells_by_fill(pic: Picture) -> dict[object, list[Polygons]]:
    out: dict[object, list[Polygons]] = {}
    for prim in pic.static:
        if isinstance(prim, Polygons) and not isinstance(prim.fill, tuple):
            out.setdefault(prim.fill, []).append(prim)
    return out


@pytest.mark.parametrize("view", ["arithmetic", "numerical"])
def test_ceil_mode_overhang_is_drawn_unlike_padding(view: str) -> None:
    figure = _figure("max_pool:i6,k3,s2,p1,ceil_mode=true", view=view)
    lay = geometry.layout(figure.layer)
    overhang = int((lay.roles == geometry.Role.OVERHANG).sum())
    assert overhang > 0
    pic = picture_for(figure)
    hollow = [p for p in _cells_by_fill(pic).get(None, []) if p.edge]
    assert sum(len(p.points) for p in hollow) == overhang
    padded = _cells_by_fill(pic)["padding"]
    assert all(p.dash != hollow[0].dash for p in padded)  # dotted, not the padding's dashes
    if view == "numerical":  # numbers in the input and output only: none in the overhang
        ho, wo = geometry.output_size(figure.layer)
        assert len([t for t in _texts(pic) if t]) == 6 * 6 + ho * wo
    words = " ".join(_texts(picture_for(figure, Look(labels=True))))
    assert "past the input (ceil mode): not read" in words
    assert "ceil mode" not in " ".join(_texts(pic))  # the legend comes with labels only


@pytest.mark.parametrize("view", ["arithmetic", "numerical"])
def test_uncounted_padding_is_crossed_out(view: str) -> None:
    ref = "avg_pool:i5,k3,s2,p1"
    off = picture_for(_figure(ref, view=view, count_include_pad=False))
    slashes = [p for p in off.static if isinstance(p, Segments) and p.dash is None]
    assert sum(len(p.points) for p in slashes) == 7 * 7 - 5 * 5
    on = picture_for(_figure(ref, view=view))
    assert not [p for p in on.static if isinstance(p, Segments) and p.dash is None]
    words = " ".join(_texts(picture_for(_figure(ref, count_include_pad=False), Look(labels=True))))
    assert "padding, not counted" in words


# -- item 6: transposed figures say what they are ----------------------------------------------


def test_a_labelled_transposed_figure_names_both_parameter_sets() -> None:
    figure = _figure("padding_strides_transposed")
    words = _texts(picture_for(figure, Look(labels=True)))
    assert "conv transpose  i=3 k=3 s=2 p=1  →  o=5" in words
    assert "drawn as conv  i'=5 k'=3 s'=1 p'=1  →  o=5" in words
    assert "stretched input" in words and "the 3x3 input" in words
    assert any(w.startswith("inserted zero") for w in words)
    assert any(w.startswith("padding: d·(k - 1) - p = 1") for w in words)
    with_a = _figure("conv_transpose:i3,k3,s2,p1,a1")
    assert "drawn as conv  i'=5 k'=3 s'=1 p'=1x2x1x2  →  o=6" in _texts(
        picture_for(with_a, Look(labels=True))
    )


def test_inserted_zeros_look_like_padding_only_in_the_classic_figure() -> None:
    figure = _figure("padding_strides_transposed")
    labelled = picture_for(figure, Look(labels=True))
    tints = [f for f in _cells_by_fill(labelled) if isinstance(f, Paint)]
    zeros = int((geometry.layout(figure.layer).roles == geometry.Role.ZERO).sum())
    # One tint for the zeros on the grid, the same for the legend's swatch.
    assert len(tints) == 1
    assert sum(len(p.points) for p in _cells_by_fill(labelled)[tints[0]]) == zeros + 1
    classic = picture_for(figure)
    assert not [f for f in _cells_by_fill(classic) if isinstance(f, Paint)]
    assert not any(t for t in _texts(classic))


# -- item 9: padding beyond d·(k - 1) --------------------------------------------------------


@pytest.mark.parametrize("view", ["arithmetic", "numerical"])
def test_a_cropped_border_is_drawn_greyed(view: str) -> None:
    figure = _figure("conv_transpose:i3,k1,p1", view=view)
    pic = picture_for(figure, Look(labels=True, sums=view == "numerical"))
    greyed = [f for f in _cells_by_fill(pic) if isinstance(f, Paint)]
    assert len(greyed) == 1  # the 8 cropped inputs and the legend's swatch
    assert sum(len(p.points) for p in _cells_by_fill(pic)[greyed[0]]) == 8 + 1
    assert any(t.startswith("cropped") for t in _texts(pic))
    assert pic.n_frames == 1
    if view == "numerical":
        scene = build_scene(figure)
        assert scene.output_values is not None
        x, weight = geometry.example_values(figure.layer, figure.seed)
        assert weight is not None
        assert scene.output_values[0, 0] == x[0, 1, 1] * weight[0, 0, 0, 0]
        assert sum_text(scene, scene.frame(0)).endswith(
            f"= {fmt_output(x[0, 1, 1] * weight[0, 0, 0, 0])}"
        )


def test_the_cli_renders_what_pytorch_accepts_and_refuses_what_it_rejects(tmp_path: Path) -> None:
    runner = CliRunner()
    ok = runner.invoke(main, ["render", "conv_transpose:i3,k1,p1", "-o", str(tmp_path / "a.gif")])
    assert ok.exit_code == 0, ok.output
    bad = runner.invoke(main, ["render", "conv_transpose:i3,k3,p3", "-o", str(tmp_path / "b.gif")])
    assert bad.exit_code == 2
    assert bad.output.strip().splitlines()[-1].startswith("Error: padding: (3, 3) along the height")
    assert not (tmp_path / "b.gif").exists()


def test_kinds_of_cells() -> None:
    from convanim.scene.cells import kinds

    spec = _figure("conv_transpose:i3,k2,s2,p2").layer
    grid = kinds(spec, geometry.layout(spec))
    assert set(np.unique(grid)) == {Kind.INPUT, Kind.ZERO, Kind.CROPPED}
