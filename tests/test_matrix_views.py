"""The matrix and im2col views and ``explain --matrix``: C times an input is PyTorch's output
(random specs, through the command line's JSON), a transposed convolution's matrix is the
forward convolution's C transposed, im2col gives the same numbers, ``--flip`` is a true
convolution, and what cannot be a matrix is refused in one line."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from convanim.cli.main import main
from convanim.errors import SpecError
from convanim.model.look import Look
from convanim.model.spec import FigureSpec, LayerSpec
from convanim.ops import geometry
from convanim.ops import matrix as ops
from convanim.scene.display import Text
from convanim.scene.pictures import picture_for


def _random_spec_strings(n: int, seed: int = 7) -> list[str]:
    """Single-channel specs, rectangular, padded (four-sided too), strided, dilated."""
    rng = np.random.default_rng(seed)
    out: list[str] = []
    while len(out) < n:
        op = ["conv", "conv_transpose", "avg_pool"][len(out) % 3]
        i = rng.integers(1, 8, 2)
        k = rng.integers(1, 5, 2)
        s = rng.integers(1, 4, 2)
        d = rng.integers(1, 3, 2) if op != "avg_pool" else np.array([1, 1])
        if op == "avg_pool" or rng.random() < 0.5:
            p = f"{rng.integers(0, 3)}x{rng.integers(0, 3)}"
        else:
            p = "x".join(str(v) for v in rng.integers(0, 3, 4))
        fields = [f"i{i[0]}x{i[1]}", f"k{k[0]}x{k[1]}", f"s{s[0]}x{s[1]}", f"p{p}"]
        if op != "avg_pool":
            fields.append(f"d{d[0]}x{d[1]}")
        if op == "conv_transpose":
            fields.append(f"a{rng.integers(0, s[0])}x{rng.integers(0, s[1])}")
        if op == "avg_pool":
            fields += [f"ceil_mode={rng.random() < 0.5}", f"count_include_pad={rng.random() < 0.5}"]
        if op != "avg_pool" and rng.random() < 0.3:
            fields.append("flip=true")
        fields += [f"seed={rng.integers(0, 100)}", "view=matrix"]
        text = f"{op}:{','.join(fields)}"
        try:
            from convanim.catalog.templates import resolve

            resolve(text)
        except SpecError:
            continue
        out.append(text)
    return out


def _torch_output(spec: LayerSpec, x: np.ndarray, weight: np.ndarray | None) -> np.ndarray:
    torch = pytest.importorskip("torch")
    import torch.nn.functional as F

    t, b, left, r = spec.pads
    xt = torch.tensor(x, dtype=torch.float64)[None, None]
    if spec.op == "avg_pool":
        y = F.avg_pool2d(
            xt,
            spec.kernel_size,
            spec.stride,
            (t, left),
            ceil_mode=spec.ceil_mode,
            count_include_pad=spec.count_include_pad,
        )
        return y[0, 0].numpy()
    w = torch.tensor(np.array(weight), dtype=torch.float64)[None, None]
    if spec.op == "conv":
        y = F.conv2d(F.pad(xt, (left, r, t, b)), w, stride=spec.stride, dilation=spec.dilation)
        return y[0, 0].numpy()
    # ConvTranspose2d crops the same at both ends: crop nothing, then by hand.
    y = F.conv_transpose2d(
        xt, w, stride=spec.stride, dilation=spec.dilation, output_padding=spec.output_padding
    )[0, 0].numpy()
    return y[t : y.shape[0] - b, left : y.shape[1] - r]


def test_explain_matrix_json_times_inputs_is_pytorch_output() -> None:
    pytest.importorskip("torch")
    from convanim.catalog.templates import resolve

    runner = CliRunner()
    rng = np.random.default_rng(0)
    checked = {"conv": 0, "conv_transpose": 0, "avg_pool": 0}
    flipped = 0
    for text in _random_spec_strings(210):
        result = runner.invoke(main, ["explain", text, "--matrix", "--json"])
        assert result.exit_code == 0, (text, result.output)
        data = json.loads(result.output)
        spec = resolve(text).layer
        c_matrix = np.array(data["matrix"])
        assert c_matrix.shape == ops.matrix_shape(spec)
        for _ in range(2):
            x = rng.standard_normal(spec.input_size)
            expected = _torch_output(spec, x, data["weight"])
            assert expected.shape == geometry.output_size(spec), text
            np.testing.assert_allclose(c_matrix @ x.ravel(), expected.ravel(), atol=1e-9)
        if data["flip"]:  # the weight PyTorch is given is the kernel rotated
            assert np.array_equal(np.array(data["weight"]), np.array(data["kernel"])[::-1, ::-1])
            flipped += 1
        checked[spec.op] += 1
    assert min(checked.values()) >= 60 and flipped >= 20, (checked, flipped)


def test_transposed_matrix_is_the_forward_convolutions_c_transposed() -> None:
    found = 0
    for text in _random_spec_strings(120, seed=3):
        from convanim.catalog.templates import resolve

        spec = resolve(text).layer
        partner = ops.forward_partner(spec)
        if partner is None:
            continue
        kernel = ops.example_kernel(spec, 1)
        np.testing.assert_array_equal(ops.matrix(spec, kernel), ops.matrix(partner, kernel).T)
        found += 1
    assert found >= 20


def test_the_guides_example_is_4_by_16_and_its_transpose_16_by_4() -> None:
    from convanim.catalog.templates import resolve

    conv = resolve("matrix_no_padding_no_strides")
    back = resolve("matrix_no_padding_no_strides_transposed")
    c_forward = ops.matrix(conv.layer, ops.example_kernel(conv.layer))
    c_back = ops.matrix(back.layer, ops.example_kernel(back.layer))
    assert c_forward.shape == (4, 16) and c_back.shape == (16, 4)
    np.testing.assert_array_equal(c_back, c_forward.T)  # the same weights, transposed


def test_im2col_gives_the_layers_output() -> None:
    from convanim.catalog.templates import resolve

    for text in _random_spec_strings(60, seed=11):
        figure = resolve(text)
        spec = figure.layer
        x = ops.example_input(spec, 2)
        kernel = ops.example_kernel(spec, 2)
        cols = ops.im2col(spec, x, kernel, figure.flip)
        weight = None if kernel is None else ops.used_kernel(kernel, figure.flip)[None, None]
        expected = geometry.evaluate(spec, x, weight)[0]
        np.testing.assert_allclose(cols.output, expected.ravel(), atol=1e-9)


def test_flip_is_a_true_convolution() -> None:
    spec = LayerSpec(input_size=(4, 5), kernel_size=(2, 3))
    kernel = np.arange(6.0).reshape(2, 3)
    x = np.random.default_rng(0).standard_normal((4, 5))
    flipped = ops.matrix(spec, kernel, flip=True) @ x.ravel()
    # A true convolution: y[i, j] = sum x[i + a, j + b] · k[kh - 1 - a, kw - 1 - b].
    truth = np.array(
        [
            [
                sum(x[i + a, j + b] * kernel[1 - a, 2 - b] for a in range(2) for b in range(3))
                for j in range(3)
            ]
            for i in range(3)
        ]
    )
    np.testing.assert_allclose(flipped, truth.ravel())
    assert not np.allclose(ops.matrix(spec, kernel) @ x.ravel(), truth.ravel())


@pytest.mark.parametrize(
    "args, flag, words",
    [
        (["explain", "max_pool:i4,k2,s2", "--matrix"], "--matrix", "max_pool is not linear"),
        (["explain", "conv:i4,k3,cin2", "--matrix"], "--matrix", "one channel"),
        (["render", "max_pool:i4,k2", "--view", "matrix"], "--view", "not linear"),
        (["render", "dilation", "--flip"], "--flip", "does not show"),
        (["render", "max_pool:i4,k2", "--view", "numerical", "--flip"], "--flip", "no kernel"),
        (["explain", "conv:i4,k3", "--json"], "--json", "add one of them"),
        (["render", "conv:i10,k3,p1", "--view", "matrix"], "frame too large", "pixels"),
    ],
)
def test_refusals_are_one_line(args: list[str], flag: str, words: str, tmp_path) -> None:
    result = CliRunner().invoke(
        main, [*args, *(["-o", str(tmp_path / "x.gif")] if args[0] == "render" else [])]
    )
    assert result.exit_code == 2, result.output
    error = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert len(error) == 1 and flag in error[0] and words in error[0], result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "x.gif").exists()


def test_explain_states_the_kernel_flip() -> None:
    runner = CliRunner()
    plain = runner.invoke(main, ["explain", "conv:i4,k3", "--matrix"]).output
    flipped = runner.invoke(main, ["explain", "conv:i4,k3", "--matrix", "--flip"]).output
    assert "cross-correlation, as PyTorch computes it" in plain
    assert "true convolution" in flipped and "w.flip(-2, -1)" in flipped
    numerical = runner.invoke(main, ["explain", "numerical_padding_strides", "--flip"])
    assert numerical.exit_code == 0 and "true convolution" in numerical.output


@pytest.mark.parametrize("view", ["matrix", "im2col"])
@pytest.mark.parametrize(
    "text",
    ["conv:i4,k3", "conv_transpose:i2,k3,s2,p1", "avg_pool:i5,k3,s2,p1", "conv:i3x5,k2x3,d1x2"],
)
def test_views_keep_text_legible_and_inside(view: str, text: str) -> None:
    from convanim.backends.mpl import MplMetrics
    from convanim.catalog.templates import resolve

    figure = resolve(text, {"view": view})
    metrics = MplMetrics()
    pic = picture_for(figure, Look(labels=True), metrics)
    for index in range(pic.n_frames):
        for prim in (*pic.static, *pic.frame(index)):
            if isinstance(prim, Text):
                left, top, right, bottom = prim.bounds(metrics)
                assert left >= 0 and top >= 0 and right <= pic.width and bottom <= pic.height, prim
                if any(ch.isdigit() for ch in prim.text):
                    assert prim.size >= 15, prim
    assert (
        pic.n_frames
        == geometry.output_size(figure.layer)[0] * geometry.output_size(figure.layer)[1]
    )


def test_seed_and_flip_reach_the_matrix_view_from_every_path() -> None:
    from convanim.catalog.templates import figure_from_mapping

    figure = figure_from_mapping(
        {
            "view": "matrix",
            "op": "conv",
            "kernel_size": 2,
            "input_size": 3,
            "flip": True,
            "seed": 4,
        },
        "f",
    )
    assert isinstance(figure, FigureSpec) and figure.flip and figure.seed == 4
    result = CliRunner().invoke(
        main, ["explain", "conv:i3,k2,seed=4,flip=true", "--matrix", "--json"]
    )
    data = json.loads(result.output)
    assert np.array_equal(np.array(data["kernel"]), ops.example_kernel(figure.layer, 4))


def _luminance(rgb: tuple[int, int, int]) -> float:
    def channel(v: float) -> float:
        v /= 255
        return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4

    r, g, b = rgb
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


@pytest.mark.parametrize("theme", ["classic", "dark", "colorblind", "mono"])
def test_numbers_keep_a_contrast_of_4_5_on_every_fill_behind_them(theme: str) -> None:
    """Every fill a matrix or im2col number can sit on: the background, C's tint, a highlighted
    input or output cell, the shade over a padding cell."""
    from convanim.backends import resolve as colour
    from convanim.model.themes import THEMES
    from convanim.scene import grids

    t = THEMES[theme]
    pad, shade = t.colour("padding"), t.colour("shade")
    shaded = tuple(round(p * (1 - t.shade_alpha) + s * t.shade_alpha) for p, s in zip(pad, shade))
    fills = [t.colour("background"), colour(t, grids.TINT), t.colour("input"), t.colour("output")]
    text = _luminance(t.colour("text"))
    for fill in [*fills, shaded]:
        low, high = sorted([text, _luminance(fill)])
        assert (high + 0.05) / (low + 0.05) >= 4.5, (theme, fill)


@pytest.mark.parametrize(
    "text", ["conv:i5,k3,s2,p1", "conv:i4,k2,cin2,cout2", "conv_transpose:i3,k3,s2"]
)
def test_flip_rotates_the_numerical_figures_kernel_and_the_caption_says_so(text: str) -> None:
    from convanim.catalog.templates import resolve
    from convanim.scene.words import FLIP_LINE

    plain = resolve(text, {"view": "numerical"})
    flipped = resolve(text, {"view": "numerical", "flip": True})

    def texts(figure: FigureSpec) -> list[str]:
        pic = picture_for(figure, Look(labels=True))
        prims = [*pic.static, *pic.frame(0)]
        return [p.text for p in prims if isinstance(p, Text)]

    assert FLIP_LINE in texts(flipped) and FLIP_LINE not in texts(plain)
    # The numbers changed too: the rotated kernel's weights and what they sum to.
    assert sorted(t for t in texts(flipped) if t != FLIP_LINE) != sorted(texts(plain))


def test_the_matrix_views_refuse_a_schematic() -> None:
    with pytest.raises(SpecError, match="schematic"):
        FigureSpec(LayerSpec(), view="im2col", schematic=True)
