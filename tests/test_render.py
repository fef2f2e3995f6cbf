"""The renderer: reference colours at known cells, frame order, the fast path against a full
redraw, and golden frames (committed baselines, a small tolerance).

Regenerate the baselines after an intended visual change with
``CONVANIM_REGEN_BASELINES=1 pytest tests/test_render.py`` and look at them before committing.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from convanim.catalog.templates import resolve, template_names
from convanim.model.look import Look
from convanim.model.spec import FigureSpec, LayerSpec
from convanim.render import CompareRenderer, FigureRenderer, cell_pixel

BASELINES = Path(__file__).parent / "baseline"
REGENERATE = os.environ.get("CONVANIM_REGEN_BASELINES") == "1"

INPUT = (38, 139, 210)
OUTPUT = (42, 161, 152)
SHADED_INPUT = (26, 105, 152)
SHADED_OUTPUT = (28, 118, 118)
SHADED_PADDING = (156, 175, 179)
WHITE = (255, 255, 255)


def _close(pixel: np.ndarray, colour: tuple[int, int, int], tol: int = 1) -> bool:
    return bool(np.all(np.abs(pixel.astype(int) - colour) <= tol))


def _colour(frame: np.ndarray, r: FigureRenderer, plane: str, row: int, col: int) -> np.ndarray:
    """Median colour of a 5x5 patch at a cell's centre: thin lines crossing it don't count."""
    y, x = cell_pixel(r, plane, row, col)
    return np.median(frame[y - 2 : y + 3, x - 2 : x + 3].reshape(-1, 3), axis=0)


def _renderer(name: str, fast: bool = True) -> FigureRenderer:
    target = resolve(name)
    assert isinstance(target, FigureSpec)
    return FigureRenderer(target, fast=fast)


def _figure(view: str = "arithmetic", **layer: object) -> FigureRenderer:
    return FigureRenderer(FigureSpec(LayerSpec(**layer), view=view))


# -- colours and footprints ----------------------------------------------------------------------


def test_reference_colours_at_cells_of_a_transposed_frame() -> None:
    r = _renderer("padding_strides_odd_transposed")
    frame = r.frame(1)  # output cell (0, 1); the kernel covers drawn rows 0-2, cols 1-3

    def at(plane: str, row: int, col: int) -> np.ndarray:
        return _colour(frame, r, plane, row, col)

    assert _close(at("input", 1, 1), SHADED_INPUT)  # a real input under the kernel
    assert _close(at("input", 1, 2), SHADED_PADDING)  # an inserted zero under the kernel
    assert _close(at("input", 3, 3), INPUT)  # a real input elsewhere
    assert _close(at("input", 0, 0), WHITE)  # padding elsewhere
    assert _close(at("output", 0, 1), SHADED_OUTPUT)
    assert _close(at("output", 0, 0), OUTPUT)


def test_one_by_one_kernel_shades_exactly_one_cell() -> None:
    r = _figure(input_size=5, kernel_size=1, stride=2)
    assert r.n_frames == 9
    frame = r.frame(4)  # output (1, 1) reads input (2, 2)
    shaded = [
        (row, col)
        for row in range(5)
        for col in range(5)
        if _close(_colour(frame, r, "input", row, col), SHADED_INPUT)
    ]
    assert shaded == [(2, 2)]


def test_dilation_leaves_unshaded_gaps() -> None:
    r = _figure(input_size=7, kernel_size=3, dilation=2)
    frame = r.frame(0)
    for row in range(5):
        for col in range(5):
            colour = SHADED_INPUT if row % 2 == 0 and col % 2 == 0 else INPUT
            assert _close(_colour(frame, r, "input", row, col), colour), (row, col)


def test_rectangular_asymmetric_padding_places_cells() -> None:
    # 3x6 input, padding top 0, bottom 1, left 2, right 0: drawn grid 4x8, inputs at cols 2..7.
    r = _figure(input_size=(3, 6), kernel_size=(2, 3), padding=(0, 1, 2, 0))
    assert r.scene.input_shape == (4, 8)
    frame = r.frame(r.n_frames - 1)  # last window: rows 2-3, cols 5-7
    assert _close(_colour(frame, r, "input", 0, 0), WHITE)
    assert _close(_colour(frame, r, "input", 0, 2), INPUT)
    assert _close(_colour(frame, r, "input", 2, 7), SHADED_INPUT)
    assert _close(_colour(frame, r, "input", 3, 7), SHADED_PADDING)


def test_one_dimensional_convolution_draws_a_single_row() -> None:
    r = _figure(input_size=(1, 7), kernel_size=(1, 3))
    assert r.scene.input_shape == (1, 7)
    assert r.scene.output_shape == (1, 5)
    frame = r.frame(2)
    shaded = [c for c in range(7) if _close(_colour(frame, r, "input", 0, c), SHADED_INPUT)]
    assert shaded == [2, 3, 4]


def test_ceil_mode_window_hangs_over_the_edge() -> None:
    r = _figure(op="max_pool", input_size=5, kernel_size=2, stride=2, ceil_mode=True)
    assert r.scene.output_shape == (3, 3)
    assert r.scene.input_shape == (6, 6)  # one overhang row and column
    frame = r.frame(8)
    assert _close(_colour(frame, r, "input", 4, 4), SHADED_INPUT)
    assert _close(_colour(frame, r, "input", 5, 5), SHADED_PADDING)


@pytest.mark.parametrize("name", ["no_padding_strides", "numerical_padding_strides"])
def test_frames_run_row_major_from_the_top_left(name: str) -> None:
    r = _renderer(name)
    ho, wo = r.scene.output_shape
    for index, frame in enumerate(r.frames()):
        current = divmod(index, wo)
        for row in range(ho):
            for col in range(wo):
                pixel = _colour(frame, r, "output", row, col)
                if r.scene.view == "numerical":  # the number's glyphs sit at the centre
                    pixel = frame[tuple(np.add(cell_pixel(r, "output", row, col), (-12, -14)))]
                expected = SHADED_OUTPUT if (row, col) == current else OUTPUT
                assert _close(pixel, expected), (index, row, col)


def _flat_templates() -> list[str]:
    """Templates of one single-channel layer (comparisons and channel figures have their own
    tests)."""
    out = []
    for name in template_names():
        target = resolve(name)
        if (
            isinstance(target, FigureSpec)
            and target.layer.in_channels == 1 == target.layer.out_channels
        ):
            out.append(name)
    return out


@pytest.mark.parametrize("name", _flat_templates())
def test_every_template_has_one_frame_per_output_cell(name: str) -> None:
    target = resolve(name)
    assert isinstance(target, FigureSpec)
    from convanim.scene.plan import build_scene

    scene = build_scene(target)
    ho, wo = scene.output_shape
    assert scene.n_frames == ho * wo
    outs = [scene.frame(i).out for i in range(scene.n_frames)]
    assert outs == [(r, c) for r in range(ho) for c in range(wo)]


def test_comparison_runs_in_lockstep_and_holds_the_shorter() -> None:
    r = resolve("compare_3x3_vs_1x1")
    comp = CompareRenderer(r)
    counts = [m.n_frames for m in comp.members]
    frames = list(comp.frames())
    assert len(frames) == max(counts) == comp.n_frames
    assert frames[0].shape == (comp.size[1], comp.size[0], 3)


def test_comparison_holds_the_last_frame_of_the_shorter_member_when_asked() -> None:
    short = FigureSpec(LayerSpec(input_size=4, kernel_size=3), name="a")  # 4 frames
    long = FigureSpec(LayerSpec(input_size=5, kernel_size=3), name="b")  # 9 frames
    from convanim.model.spec import CompareSpec

    spec = CompareSpec((short, long), ("a", "b"))
    held = list(CompareRenderer(spec, look=Look(sync="hold")).frames())
    looped = list(CompareRenderer(spec).frames())
    assert len(held) == len(looped) == 9
    width = CompareRenderer(spec).members[0].width
    # With hold, the first member's tile stops changing after its fourth frame (its label
    # then says "(done)")...
    assert all(np.array_equal(held[4][:, :width], f[:, :width]) for f in held[5:])
    assert not np.array_equal(held[3][:, :width], held[4][:, :width])
    # ...while the second keeps moving.
    assert not np.array_equal(held[3][:, width:], held[4][:, width:])
    # By default it starts again: its fifth frame is its first.
    assert np.array_equal(looped[4][:, :width], looped[0][:, :width])


# -- the fast path -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "padding_strides_odd_transposed",
        "dilation",
        "numerical_padding_strides",
        "strided_1x1",
        "arbitrary_padding_no_strides",
    ],
)
def test_fast_path_matches_a_full_redraw(name: str) -> None:
    """Blitting restores the moving primitives' box from a background of what lies below them
    and draws again every static primitive above them that overlaps it: pixel for pixel a full
    redraw, including where the rays pass under the output plane."""
    fast, full = _renderer(name, fast=True), _renderer(name, fast=False)
    for a, b in zip(fast.frames(), full.frames(), strict=True):
        assert np.array_equal(a, b)


def test_renderer_draws_the_same_pixels_every_run() -> None:
    a = list(_renderer("padding_strides").frames())
    b = list(_renderer("padding_strides").frames())
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))


def test_geometry_does_not_import_matplotlib_but_render_does() -> None:
    import subprocess

    code = (
        "import sys, convanim.ops.geometry, convanim.scene.plan, convanim.catalog.templates;"
        "import convanim.export.writers;"
        "assert 'matplotlib' not in sys.modules, 'matplotlib imported';"
        "import convanim.render; assert 'matplotlib' in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# -- golden frames -------------------------------------------------------------------------------

GOLDEN = [
    ("no_padding_no_strides", 1),
    ("padding_strides_odd_transposed", 1),
    ("dilation", 1),
    ("numerical_padding_strides", 4),
    ("numerical_max_pooling", 0),
]


def _rms(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.sqrt(np.mean((a.astype(float) - b.astype(float)) ** 2)))


def check_golden(frame: np.ndarray, name: str, tol: float = 2.0) -> None:
    """Compare a frame with tests/baseline/<name>.png (RMS over all channels, 0-255 scale)."""
    path = BASELINES / f"{name}.png"
    if REGENERATE:
        BASELINES.mkdir(exist_ok=True)
        Image.fromarray(frame).save(path)
        return
    assert path.exists(), f"no baseline {path}; run with CONVANIM_REGEN_BASELINES=1"
    expected = np.asarray(Image.open(path).convert("RGB"))
    assert expected.shape == frame.shape, f"{name}: size {frame.shape} != baseline {expected.shape}"
    rms = _rms(expected, frame)
    assert rms <= tol, f"{name}: RMS {rms:.2f} > {tol}"


@pytest.mark.parametrize(("name", "index"), GOLDEN)
def test_golden_frame(name: str, index: int) -> None:
    check_golden(_renderer(name).frame(index), f"{name}_{index:02d}")


def test_golden_comparison() -> None:
    target = resolve("compare_3x3_vs_1x1")
    frames = CompareRenderer(target).frames()
    for _ in range(6):
        next(frames)
    check_golden(next(frames), "compare_3x3_vs_1x1_06")


def test_golden_check_catches_a_changed_frame() -> None:
    if REGENERATE:
        pytest.skip("regenerating baselines")
    frame = _renderer("dilation").frame(1)
    moved = _renderer("dilation").frame(2)
    with pytest.raises(AssertionError):
        check_golden(moved, "dilation_01")
    check_golden(frame, "dilation_01")
