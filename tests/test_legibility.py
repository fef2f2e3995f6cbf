"""Figures a class can read: glyph sizes, contrast and text inside the canvas, checked on the
display list of every template in every theme and of random specs with every label option;
and the pieces that make it so (inks, wrapped sums, comparisons in step, sequences whose
stages fill the canvas, output colours that are never an input's)."""

from __future__ import annotations

import dataclasses
import random

import pytest
from legibility import problems

from convanim.backends import contrast, ink, resolve
from convanim.backends.mpl import MplMetrics
from convanim.catalog.templates import resolve as resolve_template
from convanim.catalog.templates import template_names
from convanim.catalog.themes import load_theme
from convanim.errors import ConvanimError
from convanim.model.look import Look
from convanim.model.spec import CompareSpec, FigureSpec, SequenceSpec
from convanim.model.themes import THEMES
from convanim.scene.channel_common import Tints
from convanim.scene.channel_plan import build_channel_scene
from convanim.scene.display import Text, TextMetrics
from convanim.scene.legibility import MINIMUM, glyph_px, wrap_terms
from convanim.scene.pictures import picture_for

METRICS = MplMetrics()
THEME_NAMES = sorted(THEMES)


def _looks(target: object) -> list[Look]:
    members = (
        target.stages
        if isinstance(target, SequenceSpec)
        else target.members
        if isinstance(target, CompareSpec)
        else (target,)
    )
    numerical = any(m.view == "numerical" for m in members)
    return [Look(), Look(labels=True, formula=True, sums=numerical)]


@pytest.mark.parametrize("name", template_names())
def test_every_template_is_legible_in_every_theme(name: str) -> None:
    target = resolve_template(name)
    for look in _looks(target):
        picture = picture_for(target, look, METRICS)
        for theme in THEME_NAMES:
            found = problems(picture, load_theme(theme), METRICS, MINIMUM)
            assert not found, f"{name} ({theme}, {look}): " + "; ".join(map(str, found[:5]))


def _random_specs(count: int, seed: int = 13) -> list[FigureSpec]:
    """``count`` valid single figures of every op, rectangular and square, padded, strided,
    dilated, with channels now and then, in every view that shows numbers or text."""
    rng = random.Random(seed)
    found: list[FigureSpec] = []
    while len(found) < count:
        op = rng.choice(["conv", "conv", "conv_transpose", "max_pool", "avg_pool"])
        pair = lambda low, high: [rng.randint(low, high), rng.randint(low, high)]  # noqa: E731
        mapping: dict = {
            "op": op,
            "input_size": pair(2, 8) if rng.random() < 0.5 else rng.randint(2, 8),
            "kernel_size": pair(1, 4) if rng.random() < 0.4 else rng.randint(1, 4),
            "stride": rng.randint(1, 3),
            "padding": rng.randint(0, 2),
            "view": rng.choice(["arithmetic", "numerical"]),
        }
        if op in ("conv", "conv_transpose") and rng.random() < 0.4:
            mapping["dilation"] = rng.randint(1, 2)
        if op == "conv" and rng.random() < 0.3:
            mapping["in_channels"] = rng.randint(1, 3)
            mapping["out_channels"] = rng.randint(1, 3)
            mapping["view"] = rng.choice(["numerical", "volume"])
        try:
            found.append(FigureSpec.from_mapping(mapping))
        except ConvanimError:
            continue
    return found


@pytest.mark.parametrize("chunk", range(4))
def test_random_specs_with_every_label_option_are_legible(chunk: int) -> None:
    specs = _random_specs(200)[chunk * 50 : (chunk + 1) * 50]
    for k, spec in enumerate(specs):
        look = Look(labels=True, formula=True, sums=spec.view == "numerical")
        theme = load_theme(THEME_NAMES[k % len(THEME_NAMES)])
        picture = picture_for(spec, look, METRICS)
        found = problems(picture, theme, METRICS, MINIMUM, frames=[0, picture.n_frames - 1])
        assert not found, f"{spec.layer} {spec.view} ({theme.name}): " + "; ".join(
            map(str, found[:5])
        )


def test_numbers_are_at_least_14_px_and_weights_10_px_however_big_the_grid() -> None:
    spec = resolve_template("conv:i12,k3,view=numerical")
    picture = picture_for(spec, Look(), METRICS)
    texts = [p for p in (*picture.static, *picture.frame(0)) if isinstance(p, Text)]
    values = [glyph_px(t) for t in texts if t.kind == "value"]
    weights = [glyph_px(t) for t in texts if t.kind == "weight"]
    assert len(values) >= 144 + 100 and len(weights) == 9
    assert min(values) >= 14 and min(weights) >= 10


def test_long_sums_wrap_at_terms_and_always_end_with_the_result() -> None:
    metrics = TextMetrics()
    text = " + ".join(f"{k}·2" for k in range(9)) + " = 72.0"
    lines = wrap_terms(text, 120, 15, metrics)
    assert len(lines) > 1
    assert " ".join(lines).replace("+ ", "+ ") == text.replace(" + ", " + ")
    assert lines[-1].endswith("= 72.0")
    assert all(metrics.measure(line, 15)[0] <= 120 or " + " not in line for line in lines)
    assert wrap_terms("1 = 1", 500, 15, metrics) == ["1 = 1"]


@pytest.mark.parametrize("spec", ["conv:i7,k3,d2,s2", "conv:i5,k5", "avg_pool:i5,k3,p1"])
def test_the_sum_is_never_cut_off(spec: str) -> None:
    figure = dataclasses.replace(resolve_template(spec), view="numerical")
    picture = picture_for(figure, Look(sums=True), METRICS)
    for index in range(picture.n_frames):
        captions = [p for p in picture.frame(index) if isinstance(p, Text) and p.kind == "caption"]
        assert captions and captions[-1].text.rsplit(" = ", 1)[-1][0].isdigit()
        for text in captions:
            left, _, right, _ = text.bounds(METRICS)
            assert left >= 0 and right <= picture.width


@pytest.mark.parametrize("theme", THEME_NAMES)
def test_an_ink_reads_on_every_colour_a_theme_shades(theme: str) -> None:
    palette = load_theme(theme)
    for role in ("background", "input", "output", "padding"):
        for behind in (palette.rgb(role), resolve(palette, _shaded(role))):
            assert contrast(ink(palette, behind), behind) >= 4.5


def _shaded(role: str):  # noqa: ANN202
    from convanim.scene.display import Paint

    return Paint(role).toward("shade")


def test_outputs_are_never_drawn_in_an_input_colour() -> None:
    for name in (
        "depthwise",
        "depthwise_separable",
        "network_in_network",
        "fully_connected_as_1x1",
    ):
        target = resolve_template(name)
        stages = target.stages if isinstance(target, SequenceSpec) else (target,)
        for stage in stages:
            scene = build_channel_scene(stage)
            tints = Tints(scene)
            for theme in THEME_NAMES:
                palette = load_theme(theme)
                ins = {resolve(palette, p) for p in tints.input}
                outs = {resolve(palette, p) for p in tints.output}
                assert not ins & outs, (name, theme)


def _labels(picture, index: int) -> list[str]:  # noqa: ANN001
    prims = (*picture.static, *picture.frame(index))
    return [p.text for p in prims if isinstance(p, Text) and p.size >= 19]


def test_a_shorter_comparison_member_loops_by_default_and_holds_when_asked() -> None:
    short, long = resolve_template("conv:i3,k3"), resolve_template("conv:i4,k2")  # 1 and 9 frames
    compare = CompareSpec((short, long), ("short", "long"))
    looped = picture_for(compare, Look(), METRICS)
    held = picture_for(compare, Look(sync="hold"), METRICS)
    assert looped.n_frames == held.n_frames == 9
    assert _labels(looped, 5) == ["short", "long"]
    assert "short (done)" in _labels(held, 5) and "short" in _labels(held, 0)
    with pytest.raises(ConvanimError, match="sync: .* not a comparison"):
        Look(sync="hold").check_target(short)
    assert Look(sync="hold").shared_for(short).sync is None  # the gallery's and batch's way
    with pytest.raises(ConvanimError, match="sync"):
        Look(sync="sometimes")


def test_comparison_parameter_lines_share_one_height() -> None:
    picture = picture_for(resolve_template("compare_3x3_vs_1x1"), Look(), METRICS)
    headings = [p for p in picture.static if isinstance(p, Text) and p.kind == "heading"]
    xs = sorted({h.x for h in headings})
    assert len(xs) == 2  # one column of lines per member
    rows = [sorted(h.y for h in headings if h.x == x) for x in xs]
    assert rows[0] == rows[1] and len(rows[0]) >= 1  # the same lines at the same heights


def test_every_stage_of_a_sequence_fills_the_canvas() -> None:
    picture = picture_for(resolve_template("network_in_network"), Look(), METRICS)
    for index in (0, picture.n_frames // 2, picture.n_frames - 1):
        box = _box(picture.frame(index)[1:])  # the stage's own picture, without its title
        # centred: about as much room on the left as on the right
        assert abs(box[0] - (picture.width - box[2])) <= 2 + 0.1 * picture.width


def _box(prims: list) -> tuple[float, float, float, float]:
    boxes = [p.bounds(METRICS) if isinstance(p, Text) else p.bounds() for p in prims]
    boxes = [b for b in boxes if b is not None]
    return (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )


def test_the_checker_finds_small_faint_and_clipped_text_and_skips_covered_text() -> None:
    import numpy as np

    from convanim.scene.display import Paint, Picture, Polygons

    square = np.array([[[0, 0], [100, 0], [100, 100], [0, 100]]], float)
    theme, metrics = load_theme("classic"), TextMetrics()

    def found(*prims) -> list[str]:  # noqa: ANN002
        picture = Picture(100, 100, prims, 1, lambda i: ())
        return [str(p) for p in problems(picture, theme, metrics, MINIMUM)]

    value = Text("12", 50, 50, 22, "text", 2, kind="value")
    assert "contrast 3.52" in found(Polygons(square, Paint("input").toward("shade"), 1), value)[0]
    assert found(Polygons(square, "input", 1), value) == []
    small = found(dataclasses.replace(value, size=12), Text("x", 99, 50, 22, "text", 2))
    assert "8.2 px < 14.0 px" in small[0] and "outside 100x100" in small[1]
    assert found(value, Polygons(square, "input", 3)) == []  # drawn over: nobody reads it
