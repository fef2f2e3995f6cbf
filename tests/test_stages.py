"""Pictures in stages (``Picture.stages``, a sequence's layers one after another) and the raster
backend's frames of them by stage (``convanim.backends.staged``): the same frames and changed
rectangles as drawing every stage's still part in every frame."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from test_fast_paths import _random_picture

from convanim.backends._fonts import PilMetrics
from convanim.backends.raster import RasterFrames
from convanim.backends.staged import StagedFrames, raster_frames
from convanim.catalog.templates import resolve
from convanim.catalog.themes import load_theme
from convanim.model.look import Look
from convanim.scene.compose import scaled, with_strip
from convanim.scene.display import Picture, Stage
from convanim.scene.pictures import picture_for


def _staged(seeds: list[int]) -> Picture:
    """Random pictures (``test_fast_paths``) one after another, each a stage: its static
    layer the stage's still part, drawn in each of its frames too."""
    parts, start = [], 0
    for seed in seeds:
        pic = _random_picture(seed)
        parts.append(Stage(start, pic.n_frames, pic.static, pic.moving))
        start += pic.n_frames

    def frame(index: int) -> tuple:
        part = next(p for p in parts if index < p.start + p.n_frames)
        return (*part.static, *part.moving(index - part.start))

    first = _random_picture(seeds[0])
    return Picture(first.width, first.height, (), start, frame, stages=tuple(parts))


def _both_ways(picture: Picture, theme_name: str, transparent: bool, crisp: bool) -> tuple:
    theme = load_theme(theme_name)
    whole = RasterFrames(picture, theme, transparent, crisp)
    staged = StagedFrames(picture, theme, transparent, crisp)
    return whole, staged


@settings(max_examples=20, deadline=None)
@given(
    st.lists(st.integers(0, 10_000), min_size=2, max_size=3),
    st.sampled_from(["classic", "dark"]),
    st.booleans(),
    st.booleans(),
)
def test_frames_by_stage_equal_frames_drawn_whole(
    seeds: list[int], theme_name: str, transparent: bool, crisp: bool
) -> None:
    """With a palette that never changes (compositing is then a pure function), every frame
    and changed rectangle is the same both ways, crisp or not; transparent, the same pixels
    (where nothing is drawn, either way may keep another index under alpha 0, so only the
    colours and alpha are compared, and each change must lie inside its rectangle); and a
    frame drawn out of order (as a reversed animation plays) is the same too."""
    picture = _staged(seeds)
    whole, staged = _both_ways(picture, theme_name, transparent, crisp)
    assume(whole.palette.fixed)
    drawn = [(i.copy(), r, whole.rgb(i).copy()) for i, r in whole.index_frames()]
    before = None
    for (indices, rect), (want, want_rect, rgb) in zip(staged.index_frames(), drawn):
        frame = staged.rgb(indices)
        assert np.array_equal(frame, rgb)
        if not transparent:
            assert np.array_equal(indices, want)
            assert rect == want_rect
        elif before is not None:
            assert _inside(frame != before, rect)
        before = frame.copy()
    for index in (picture.n_frames - 2, 0, picture.n_frames // 2):
        assert np.array_equal(staged.frame(index), whole.frame(index))


def _inside(changed: np.ndarray, rect: tuple | None) -> bool:
    """Whether every changed pixel ((H, W, channels) of bools) lies inside ``rect``."""
    outside = changed.any(axis=-1)
    if rect is not None:
        x0, y0, x1, y1 = rect
        outside[y0:y1, x0:x1] = False
    return not outside.any()


@pytest.mark.parametrize("name", ["depthwise_separable", "network_in_network"])
@pytest.mark.parametrize(
    ("theme", "transparent", "crisp", "labels", "font_scale"),
    [("classic", False, False, None, 1.0), ("dark", True, False, True, 1.3),
     ("mono", False, True, True, 1.0)],
)  # fmt: skip
def test_a_sequence_is_drawn_by_stage_and_every_change_is_in_its_rectangle(
    name: str, theme: str, transparent: bool, crisp: bool, labels: bool | None, font_scale: float
) -> None:
    """The sequence templates, captions (a strip per stage) and larger text too: drawn by
    stage, each frame differs from the one before only inside its changed rectangle; crisp
    (flat colours: a palette that never changes), the frames are those drawn whole."""
    look = Look(theme=theme, labels=labels, font_scale=font_scale)
    picture = picture_for(resolve(name), look, PilMetrics())
    assert len(picture.stages) >= 2
    whole, staged = _both_ways(picture, theme, transparent, crisp)
    assert isinstance(raster_frames(picture, load_theme(theme)), StagedFrames)
    before = None
    for index, ((indices, rect), expected) in enumerate(zip(staged.index_frames(), whole.frames())):
        frame = staged.rgb(indices)
        if crisp:
            assert np.array_equal(frame, expected), index
        if before is not None:
            assert _inside(frame != before, rect), f"frame {index} changed outside {rect}"
        before = frame.copy()


def test_moving_scaling_and_captions_keep_a_pictures_stages() -> None:
    """``scaled`` and ``with_strip`` change a picture's stages as they change its frames: a
    frame put together from its stage is the frame itself."""
    picture = with_strip(
        scaled(_staged([1, 2]), 1.5), lambda i: [f"caption {i // 6}"], 12.0, constant=False
    )
    for index in range(picture.n_frames):
        stage = next(s for s in picture.stages if index < s.start + s.n_frames)
        from_stage = (*stage.static, *stage.moving(index - stage.start))
        assert [_key(p) for p in from_stage] == [_key(p) for p in picture.frame(index)]


def _key(prim: object) -> tuple:
    fields = vars(prim) if hasattr(prim, "__dict__") else {}
    return tuple(
        (k, v.round(6).tobytes() if isinstance(v, np.ndarray) else v) for k, v in fields.items()
    )
