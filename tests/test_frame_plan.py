"""One frame plan: the budget's count (from the arithmetic alone), the picture every backend
draws, and ``explain``'s frames line agree for every template and for random channel specs,
schematics and frame orders included.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from convanim.catalog.templates import resolve, template_names
from convanim.explain import explain
from convanim.model.spec import FigureSpec, LayerSpec
from convanim.scene.budget import frames_of
from convanim.scene.pictures import picture_for


def _explained(target: object) -> list[int]:
    return [int(n) for n in re.findall(r"^frames: (\d+)", explain(target), re.M)]


def _check(target: object) -> None:
    count = frames_of(target)
    assert picture_for(target).n_frames == count
    if isinstance(target, FigureSpec):
        assert _explained(target) == [count]


@pytest.mark.parametrize("name", template_names())
def test_every_template_counts_its_frames_once(name: str) -> None:
    _check(resolve(name))


def test_a_small_schematic_is_counted_as_drawn() -> None:
    """The case the three counters once disagreed on (4 against 2)."""
    layer = LayerSpec(input_size=3, kernel_size=2, in_channels=2, out_channels=2)
    _check(FigureSpec(layer, schematic=True))
    _check(FigureSpec(layer, schematic=True, frame_order="position_channel"))


@settings(max_examples=60, deadline=None, derandomize=True)
@given(
    size=st.integers(2, 6),
    kernel=st.integers(1, 3),
    cin=st.integers(1, 4),
    cout=st.integers(1, 4),
    schematic=st.sampled_from([None, True]),
    order=st.sampled_from(["position", "position_channel"]),
    view=st.sampled_from(["volume", "numerical"]),
)
def test_random_channel_figures_count_their_frames_once(
    size: int, kernel: int, cin: int, cout: int, schematic: bool | None, order: str, view: str
) -> None:
    layer = LayerSpec(
        input_size=size, kernel_size=min(kernel, size), in_channels=cin, out_channels=cout
    )
    _check(FigureSpec(layer, schematic=schematic, frame_order=order, view=view))
