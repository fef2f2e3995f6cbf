"""The shortcuts the raster path takes for speed give what the plain way gives: rays rasterised
along their length equal the per-pixel rule over their whole box, layers blended once per
combination of coverages equal layers blended per pixel, ``distinct`` equals
``np.unique``, a template found by its own file equals the one the index finds, and a short
planar render loads none of the modules it does not draw with."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from convanim.backends import raster
from convanim.backends._composite import cover as agg_alpha
from convanim.backends._composite import over
from convanim.backends._convex import levels
from convanim.backends._fonts import PilMetrics
from convanim.backends._rasterise import Ink, _lines, outlines_each, square_share
from convanim.backends.palette import distinct
from convanim.backends.raster import RasterFrames
from convanim.catalog.templates import read_template, resolve, template_path
from convanim.catalog.themes import load_theme
from convanim.model.look import Look
from convanim.model.themes import Theme
from convanim.scene.display import Picture, Polygons, Segments, Text, union
from convanim.scene.pictures import picture_for


def _lines_whole_box(points: np.ndarray, width: float, crisp: bool) -> np.ndarray | None:
    """The rule of ``_lines`` evaluated at every pixel of every line's box (the reference)."""
    flat = points.reshape(-1, 2)
    x0, y0 = np.floor(flat.min(axis=0) - width / 2).astype(int) - 1
    x1, y1 = np.ceil(flat.max(axis=0) + width / 2).astype(int) + 1
    xs = np.arange(x0, x1, dtype=np.float32) + 0.5
    ys = np.arange(y0, y1, dtype=np.float32)[:, None] + 0.5
    cover = np.zeros((y1 - y0, x1 - x0), np.float32)
    half = width / 2
    for (ax, ay), (bx, by) in points:
        length = float(np.hypot(bx - ax, by - ay))
        if length == 0:
            continue
        ux, uy = (bx - ax) / length, (by - ay) / length
        px, py = xs - ax, ys - ay
        along = px * ux + py * uy
        across = np.abs(px * uy - py * ux)
        if crisp:
            part = ((across <= half) & (along >= 0) & (along <= length)).astype(np.float32)
        else:
            a, b = max(abs(ux), abs(uy)), min(abs(ux), abs(uy))
            part = square_share(half - across, a, b) - square_share(-half - across, a, b)
            part *= np.clip(along + 0.5, 0, 1) * np.clip(length - along + 0.5, 0, 1)
        np.maximum(cover, part, out=cover)
    mask = levels(cover.astype(np.float32))
    return mask if mask.any() else None


coordinate = st.floats(-40, 260, allow_nan=False).map(lambda v: round(v * 8) / 8)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(coordinate, coordinate, coordinate, coordinate), min_size=1, max_size=5),
    st.sampled_from([0.5, 1.0, 1.5, 2.0, 3.25]),
    st.booleans(),
)
def test_rays_along_their_length_equal_the_rule_over_their_box(
    segments: list[tuple[float, float, float, float]], width: float, crisp: bool
) -> None:
    points = np.array(segments, float).reshape(-1, 2, 2)
    fast = _lines(points, width, crisp)
    slow = _lines_whole_box(points, width, crisp)
    if slow is None:
        assert fast is None
        return
    assert fast is not None
    mask, x, y = fast
    flat = points.reshape(-1, 2)
    assert (x, y) == tuple(np.floor(flat.min(axis=0) - width / 2).astype(int) - 1)
    np.testing.assert_array_equal(mask, slow)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 1 << 24), max_size=300))
def test_distinct_is_np_unique(values: list[int]) -> None:
    array = np.array(values, np.int64)
    keys, inverse = distinct(array)
    want_keys, want_inverse = np.unique(array, return_inverse=True)
    np.testing.assert_array_equal(keys, want_keys)
    np.testing.assert_array_equal(inverse, want_inverse.ravel())
    small = array % (1 << 16)  # below a small bound: told apart by a table
    keys, inverse = distinct(small, below=1 << 16)
    want_keys, want_inverse = np.unique(small, return_inverse=True)
    np.testing.assert_array_equal(keys, want_keys)
    np.testing.assert_array_equal(inverse, want_inverse.ravel())


def test_a_template_in_a_user_folder_comes_before_the_builtin_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "padding_strides.toml").write_text("op = 'conv'\ninput = 6\nkernel = 2\n")
    # A manifest named like a template is not one: the built-in template is found past it.
    (tmp_path / "dilation.toml").write_text("[[figures]]\nname = 'x'\n")
    monkeypatch.setenv("CONVANIM_TEMPLATES", str(tmp_path))
    assert template_path("padding_strides") == tmp_path / "padding_strides.toml"
    assert resolve("padding_strides").layer.input_size == (6, 6)
    assert template_path("dilation").parent.name == "builtin"
    assert read_template("dilation")["dilation"] == 2
    with pytest.raises(Exception, match="did you mean padding_strides"):
        read_template("padding_stride")
    with pytest.raises(Exception, match="unknown template"):
        read_template("../builtin/padding_strides")


def test_a_short_planar_render_loads_only_what_it_draws_with(tmp_path: Path) -> None:
    """Each of these cost a short render 10-20 ms of its start (numpy.ma: np.unique asks
    whether its input is masked)."""
    code = f"""
import sys
from convanim.cli.main import main
try:
    main(["render", "no_padding_no_strides", "-o", {str(tmp_path / "x.gif")!r}])
except SystemExit as exit:
    assert exit.code == 0, exit.code
unwanted = ["numpy.ma", "matplotlib", "importlib.resources", "secrets", "html",
            "convanim.scene.channel_plan", "convanim.scene.volume", "convanim.scene.sequence"]
loaded = [name for name in unwanted if name in sys.modules]
assert not loaded, loaded
"""
    subprocess.run([sys.executable, "-c", code], check=True)
    assert (tmp_path / "x.gif").stat().st_size > 1000


def _layers_per_pixel(
    backend: RasterFrames, layers: list[Ink], box: tuple[int, int, int, int], under: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The reference, one pixel at a time: each layer blended over palette entry ``under``
    as Agg blends (8-bit integers), snapped once; the coverage over nothing (float32), and
    the colour over nothing (premultiplied, snapped)."""
    x0, y0, x1, y1 = box
    pixel = np.broadcast_to(backend.palette.rgb[under], (y1 - y0, x1 - x0, 3)).copy()
    paint = np.zeros((y1 - y0, x1 - x0, 3), np.float32)
    seen = np.zeros((y1 - y0, x1 - x0), np.float32)
    for layer in layers:
        rgb, strength = backend._colour(layer.colour)
        lx0, ly0, lx1, ly1 = layer.box()
        for row, col in zip(*np.nonzero(layer.mask)):
            y, x = ly0 - y0 + row, lx0 - x0 + col
            alpha = agg_alpha(strength, int(layer.mask[row, col]))
            pixel[y, x] = over(pixel[y, x][None], rgb.astype(np.uint8)[None], alpha[None])[0]
            a = np.float32(alpha) / 255
            paint[y, x] = paint[y, x] * (1 - a) + rgb * a
            seen[y, x] = seen[y, x] * (1 - a) + a
    coverage = np.round(seen * 255).astype(np.uint8)
    bare = np.zeros(coverage.shape, np.uint8)
    drawn = coverage > 0
    plain = np.round(paint[drawn] / seen[drawn][:, None]).clip(0, 255)
    bare[drawn] = backend.palette.snap(plain.astype(np.uint8))
    return backend.palette.snap(pixel), coverage, bare


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["input", "output", "grid", "shade", "padding"]),
            st.sampled_from([1.0, 0.5, 0.25]),
            st.integers(0, 6),
            st.integers(0, 6),
            st.integers(1, 9),
            st.integers(1, 9),
            st.integers(0, 1 << 30),
        ),
        min_size=2,
        max_size=5,
    ),
    st.integers(0, 20),
)
def test_a_layered_sprite_paints_as_its_layers_blended_one_by_one(layers: list, under: int) -> None:
    """A primitive of several layers (a cell's fill, then its outline, then the next cell's)
    paints, over any palette entry, what blending each layer over it in turn gives: the
    chain of states (``_chain``) against a pixel-by-pixel reference."""
    picture = picture_for(resolve("padding_strides"), Look(), PilMetrics())
    backend = RasterFrames(picture, load_theme("classic"))
    inks = []
    for role, alpha, x, y, w, h, seed in layers:
        levels = np.random.default_rng(seed).choice([0, 0, 64, 128, 200, 255, 255], (h, w))
        inks.append(Ink((role, alpha), levels.astype(np.uint8), x, y))
    box = union([ink.box() for ink in inks])
    states, coverage, chain = backend._chain(inks, box)
    want, want_coverage, _ = _layers_per_pixel(backend, inks, box, under)
    painted = chain.compose_keys((states.astype(np.int64) << 8) | under)
    np.testing.assert_array_equal(painted, want)
    np.testing.assert_array_equal(coverage, want_coverage)
    # Over a transparent background: the layers' colour over nothing.
    clear = RasterFrames(picture, load_theme("classic"), transparent=True)
    states, coverage, chain = clear._chain(inks, box)
    _, _, want_bare = _layers_per_pixel(clear, inks, box, under)
    np.testing.assert_array_equal(chain.bare[states][coverage > 0], want_bare[coverage > 0])


def test_a_pixel_share_of_an_edge_is_its_area() -> None:
    """The exact share of a pixel inside an edge, against counting a fine grid of points."""
    grid = (np.mgrid[0:400, 0:400].reshape(2, -1).T + 0.5) / 400 - 0.5
    for angle in (0.0, 0.3, np.pi / 4, 1.2, np.pi / 2, 2.5):
        normal = np.array([np.cos(angle), np.sin(angle)])
        a, b = np.abs(normal).max(), np.abs(normal).min()
        for t in (-0.9, -0.6, -0.3, 0.0, 0.2, 0.45, 0.7, 0.9):
            counted = float(np.mean(grid @ normal <= t))
            assert abs(float(square_share(np.array(t), a, b)) - counted) < 0.003, (angle, t)


def test_a_dashed_line_is_dashes_where_its_pattern_says() -> None:
    """A horizontal dashed line (6 on, 6 off) covers its dashes whole, its gaps not at all,
    and the one pixel where a dash ends and a gap starts at a half pixel, by half."""
    points = np.array([[[0.0, 5.5], [30.0, 5.5]]])
    mask, x, y = _lines(points, 1.0, False, (6.0, 6.0))
    row = mask[5 - y, -x : 30 - x]
    np.testing.assert_array_equal(row[:6], 255)
    np.testing.assert_array_equal(row[6:12], 0)
    np.testing.assert_array_equal(row[12:18], 255)
    shifted, sx, sy = _lines(points + [0.5, 0], 1.0, False, (6.0, 6.0))
    assert shifted[5 - sy, 6 - sx] == 128  # half dash, half gap
    crisp, cx, cy = _lines(points, 1.0, True, (6.0, 6.0))
    np.testing.assert_array_equal(crisp[5 - cy, -cx : 30 - cx] > 0, row > 0)


def test_a_dashed_outline_runs_its_pattern_on_around_the_corners() -> None:
    """A 10-pixel square outlined through pixel centres with dashes 6 on, 6 off, as
    matplotlib strokes a closed path: along the first side, dash for 6 pixels, gap for 4;
    down the second, the gap's last 2 pixels, then 6 of dash (half pixels at the ends)."""
    square = np.array([[[10.5, 10.5], [20.5, 10.5], [20.5, 20.5], [10.5, 20.5]]])
    (made,) = outlines_each(square, 1.0, False, (6.0, 6.0))
    assert made is not None
    mask, x, y = made
    top = mask[10 - y, 10 - x : 21 - x]  # row 10, columns 10 to 20
    np.testing.assert_array_equal(top, [128, 255, 255, 255, 255, 255, 128, 0, 0, 0, 0])
    right = mask[10 - y : 21 - y, 20 - x]  # column 20, rows 10 to 20
    np.testing.assert_array_equal(right, [0, 0, 128, 255, 255, 255, 255, 255, 128, 0, 0])


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.text("abcdefghijklmnopqrstuvwxyzABCXYZ0123456789(),.:;=-+x", max_size=9),
        min_size=1,
        max_size=9,
    ),  # fmt: skip
    st.sampled_from(["serif", "sans", "mono"]),
    st.sampled_from([9.0, 10.5, 13.0, 15.0, 17.3, 40.0]),
)
def test_text_in_one_face_is_drawn_as_imagedraw_draws_it(
    words: list[str], font: str, size: float
) -> None:
    """Lines drawn word by word (each word once, at its pen's fraction of a pixel) equal the
    whole line drawn by ``ImageDraw.text``."""
    from PIL import Image, ImageDraw

    from convanim.backends._fonts import ink, runs, text_mask

    text = " ".join(words)
    if not text.strip() or len(runs(text, font, size)) != 1:
        return
    mask, ox, oy = text_mask(text, font, size)
    left, top, right, bottom, _ = ink(text, font, size)
    box = (max(int(np.ceil(right - left)) + 2, 1), max(int(np.ceil(bottom - top)) + 2, 1))
    canvas = Image.new("L", box)
    face = runs(text, font, size)[0][0]
    ImageDraw.Draw(canvas).text((-ox, -oy), text, fill=255, font=face, anchor="ls")
    np.testing.assert_array_equal(mask, np.asarray(canvas))


@settings(max_examples=100, deadline=None)
@given(st.tuples(coordinate, coordinate, coordinate, coordinate))
def test_a_hairline_is_one_pixel_a_step_and_on_the_line(segment: tuple) -> None:
    """Crisp one-pixel lines (Pillow's) have one pixel in every row (column, for a flat line)
    they cross, each centre within a pixel of the line."""
    from convanim.backends._rasterise import _hairlines

    points = np.array(segment, float).reshape(1, 2, 2)
    (ax, ay), (bx, by) = points[0]
    if np.hypot(bx - ax, by - ay) < 2:
        return
    mask, x, y, (rows, cols) = _hairlines(points)
    np.testing.assert_array_equal(np.transpose(np.nonzero(mask)), np.transpose([rows, cols]))
    px, py = cols + x + 0.5, rows + y + 0.5
    length = np.hypot(bx - ax, by - ay)
    distance = np.abs((px - ax) * (by - ay) - (py - ay) * (bx - ax)) / length
    assert distance.max() <= 1.25  # ends at the nearest pixel centres, half a pixel steps
    steps = rows if abs(by - ay) >= abs(bx - ax) else cols
    assert len(np.unique(steps)) == len(steps)  # one pixel a step
    assert abs(len(rows) - max(abs(by - ay), abs(bx - ax))) <= 2  # every step, no more


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(coordinate, coordinate, coordinate, coordinate), min_size=1, max_size=4))
def test_hairlines_are_the_pixels_pillow_draws(segments: list) -> None:
    """The rays' pixels, worked out directly, are ``ImageDraw.line``'s from the pixels nearest
    each end (Bresenham: both ends, ties rounded half up along the line)."""
    from PIL import Image, ImageDraw

    from convanim.backends._rasterise import _hairlines

    points = np.array(segments, float).reshape(-1, 2, 2)
    mask, x, y, _ = _hairlines(points)
    canvas = Image.new("L", (mask.shape[1], mask.shape[0]), 0)
    draw = ImageDraw.Draw(canvas)
    for (ax, ay), (bx, by) in np.rint(points - (np.array([x, y]) + 0.5)).astype(int):
        draw.line([(int(ax), int(ay)), (int(bx), int(by))], fill=255, width=1)
    np.testing.assert_array_equal(mask, np.asarray(canvas))


def _random_picture(seed: int) -> Picture:
    """Many translucent and solid static quads, and per frame moving quads, a few rays and a
    caption at random depths among them: what ``raster._patch`` is for (a channel block)."""
    rng = np.random.default_rng(seed)
    width, height = 160, 120
    roles = ["input", "output", "padding", "grid", "shade"]

    def quads(n: int) -> np.ndarray:
        corner = rng.uniform(-10, [width, height], (n, 1, 2))
        return corner + rng.uniform(0, 40, (n, 4, 2)).cumsum(axis=1) * [1, 0.5]

    static = tuple(
        Polygons(
            quads(3),
            roles[rng.integers(5)],
            float(rng.uniform(0, 10)),
            alpha=float(rng.choice([1.0, 0.5])),
            edge="grid",
            width=1.0,
        )  # fmt: skip
        for _ in range(12)
    )
    frames = []
    for k in range(6):
        moving: list = [
            Polygons(
                quads(2), roles[rng.integers(5)], float(rng.uniform(0, 10)), edge="grid", width=1.0
            )  # fmt: skip
            for _ in range(int(rng.integers(1, 4)))
        ]
        ends = rng.uniform(0, [width, height], (3, 2, 2))
        moving.append(Segments(ends, "projection", float(rng.uniform(0, 10)), 1.0))
        moving.append(Text(f"frame {k} of {seed}", 5.0 + k, 8.0, 12.0, "text", 9.0, "left"))
        frames.append(tuple(moving))
    return Picture(width, height, static, len(frames), frames.__getitem__)


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000), st.sampled_from(["classic", "dark"]), st.booleans())
def test_frames_drawn_by_patches_equal_frames_drawn_over_the_whole_rectangle(
    seed: int, theme_name: str, crisp: bool
) -> None:
    """``_patch`` (forced for every frame) gives the pixels and changed rectangles of the
    plain way, which draws the whole rectangle around what moved."""
    _drawn_both_ways(_random_picture(seed), load_theme(theme_name), crisp, fixed=True)


@pytest.mark.parametrize(
    ("name", "theme_name"),
    [
        ("one_by_one_channel_mixing", "classic"),
        ("depthwise", "dark"),
        ("padding_strides", "classic"),
    ],
)
def test_figures_drawn_by_patches_equal_figures_drawn_over_the_whole_rectangle(
    name: str, theme_name: str
) -> None:
    """Channel figures (a palette full of tints) and a planar one, every frame both ways."""
    _drawn_both_ways(picture_for(resolve(name), Look(), PilMetrics()), load_theme(theme_name))


def _drawn_both_ways(
    picture: Picture, theme: Theme, crisp: bool = False, fixed: bool = False
) -> None:
    """Every frame drawn by patches (forced) and over the whole rectangle: the same indices
    and changed rectangles. ``fixed``: only pictures whose palette is fixed (pure) count."""
    drawn = {}
    many = raster._MANY
    for patches in (True, False):
        raster._PATCHES, raster._MANY = patches, 0
        try:
            backend = RasterFrames(picture, theme, crisp=crisp)
            if fixed:
                assume(backend.palette.fixed)  # a pure palette: the patches are used
            drawn[patches] = [(i.copy(), r) for i, r in backend.index_frames()]
        finally:
            raster._PATCHES, raster._MANY = True, many
    assert len(drawn[True]) == len(drawn[False])
    for (new, new_rect), (old, old_rect) in zip(drawn[True], drawn[False]):
        assert np.array_equal(new, old)
        assert new_rect == old_rect
