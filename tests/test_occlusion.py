"""What hides what in the volume view, checked on the display list by geometry.

For every two faces of a block whose pictures overlap on the canvas, the face nearer the viewer
at a point of the overlap must be drawn later: it has the greater depth (or, at equal depth,
comes later). "Nearer" is measured here from the projection alone: the direction that the
oblique map sends to a single point is the line of sight, and the viewer looks from the side
of the top faces. Nothing of the builder's depth formula is used.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from convanim.catalog.templates import resolve
from convanim.model.spec import FigureSpec, LayerSpec
from convanim.scene.channel_plan import build_channel_scene
from convanim.scene.volume import (
    EX,
    EY,
    INPUT_BAND,
    LEFT,
    OUTPUT_BAND,
    RIGHT,
    TOP,
    Block,
    VolumeView,
    column_faces,
    outside_faces,
)

# The line of sight: (x, y, z) with x * EX + y * EY + (0, z) = 0, z in pixels.
_A = np.array([[EX[0], EY[0]], [EX[1], EY[1]]])
_SIGHT_XY = np.linalg.solve(_A, np.array([0.0, -1.0]))  # the (x, y) that cancels z = 1
_SIGHT = np.array([*_SIGHT_XY, 1.0])  # moving along +_SIGHT keeps the point; +z is the viewer


def _clip(subject: np.ndarray, clip: np.ndarray) -> np.ndarray:
    """Sutherland-Hodgman: the part of convex polygon ``subject`` inside convex ``clip``."""
    area = np.sum(clip[:, 0] * np.roll(clip[:, 1], -1) - np.roll(clip[:, 0], -1) * clip[:, 1])
    sign = 1.0 if area > 0 else -1.0
    output = list(subject)
    for a, b in zip(clip, np.roll(clip, -1, axis=0)):
        if not output:
            break
        edge = b - a

        def inside(p: np.ndarray, a: np.ndarray = a, edge: np.ndarray = edge) -> bool:
            return sign * (edge[0] * (p[1] - a[1]) - edge[1] * (p[0] - a[0])) > 1e-9

        points, output = output, []
        for k, p in enumerate(points):
            q = points[k - 1]
            if inside(p):
                if not inside(q):
                    output.append(_cross(q, p, a, edge))
                output.append(p)
            elif inside(q):
                output.append(_cross(q, p, a, edge))
    return np.array(output)


def _cross(q: np.ndarray, p: np.ndarray, a: np.ndarray, edge: np.ndarray) -> np.ndarray:
    d = p - q
    denom = edge[0] * d[1] - edge[1] * d[0]
    t = (edge[1] * (q[0] - a[0]) - edge[0] * (q[1] - a[1])) / denom
    return q + t * d


def _area(polygon: np.ndarray) -> float:
    if len(polygon) < 3:
        return 0.0
    x, y = polygon[:, 0], polygon[:, 1]
    return abs(float(np.sum(x * np.roll(y, -1) - np.roll(x, -1) * y))) / 2


def _nearness(block: Block, face: tuple, point: np.ndarray) -> float:
    """How far towards the viewer the face's plane lies along the line of sight through
    ``point`` (sketch pixels): larger is nearer."""
    _, kind, channel, (row, col) = face
    # A point of the sight line through `point`, at z = 0, in block coordinates.
    x0, y0 = np.linalg.solve(_A, point - block.origin)
    base = np.array([x0, y0, 0.0])
    axis, value = {
        LEFT: (0, col),
        RIGHT: (1, block.y_of(row)),
        TOP: (2, block.z(channel)),
    }[kind]
    return float((value - base[axis]) / _SIGHT[axis])  # the parameter along +_SIGHT (to +z)


def _check_block(block: Block, faces: list[tuple[tuple, float]]) -> int:
    """Every overlapping pair drawn in the right order; returns how many pairs overlapped."""
    order = sorted(range(len(faces)), key=lambda k: faces[k][1])  # stable: builder's order
    rank = {k: n for n, k in enumerate(order)}
    quads = [face[0] for face, _ in faces]
    lo = np.array([q.min(axis=0) for q in quads])
    hi = np.array([q.max(axis=0) for q in quads])
    checked = 0
    for i in range(len(faces)):
        near = np.flatnonzero(
            np.all(lo[i] < hi, axis=1) & np.all(lo < hi[i], axis=1) & (np.arange(len(faces)) > i)
        )
        for j in near:
            overlap = _clip(quads[i], quads[j])
            if _area(overlap) < 1e-3:
                continue
            point = overlap.mean(axis=0)
            ni, nj = _nearness(block, faces[i][0], point), _nearness(block, faces[j][0], point)
            if abs(ni - nj) < 1e-6:
                continue  # the same plane: neither hides the other
            checked += 1
            nearer, farther = (i, j) if ni > nj else (j, i)
            assert rank[nearer] > rank[farther], (faces[nearer][0][1:], faces[farther][0][1:])
    return checked


def _check_figure(figure: FigureSpec, frames: int = 3) -> int:
    scene = build_channel_scene(figure)
    if scene.schematic:
        return 0
    view = VolumeView(scene, metrics=_NoText(), inputs=None)
    pairs = 0
    step = max(1, scene.n_frames // frames)
    for index in range(0, scene.n_frames, step):
        state = scene.frame(index)
        cells = [(int(r), int(c)) for r, c in state.taps]
        ins = state.in_channels
        faces = outside_faces(view.inp, INPUT_BAND)
        faces += column_faces(view.inp, INPUT_BAND, cells, ins[0], ins[-1])
        pairs += _check_block(view.inp, faces)
        outs = state.out_channels
        faces = outside_faces(view.out, OUTPUT_BAND)
        faces += column_faces(view.out, OUTPUT_BAND, [state.out], outs[0], outs[-1])
        pairs += _check_block(view.out, faces)
    return pairs


class _NoText:
    def measure(self, text: str, size: float, font: str = "serif") -> tuple[float, float, float]:
        return (0.6 * size * len(text), 0.8 * size, 0.25 * size)


@pytest.mark.parametrize(
    "name",
    ["one_by_one_channel_mixing", "depthwise", "fully_connected_as_1x1", "network_in_network"],
)
def test_nearer_faces_are_drawn_later_in_channel_templates(name: str) -> None:
    target = resolve(name)
    figures = getattr(target, "stages", None) or [target]
    assert sum(_check_figure(f) for f in figures) > 100  # the check saw real overlaps


@settings(
    max_examples=200, deadline=None, derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)  # fmt: skip
@given(
    size=st.tuples(st.integers(2, 5), st.integers(2, 5)),
    kernel=st.tuples(st.integers(1, 3), st.integers(1, 3)),
    cin=st.integers(1, 4),
    cout=st.integers(1, 3),
    depthwise=st.booleans(),
    order=st.sampled_from(["position", "position_channel"]),
)
def test_nearer_faces_are_drawn_later_in_random_channel_specs(
    size: tuple[int, int],
    kernel: tuple[int, int],
    cin: int,
    cout: int,
    depthwise: bool,
    order: str,
) -> None:
    kernel = (min(kernel[0], size[0]), min(kernel[1], size[1]))
    groups = cin if depthwise else 1
    if depthwise:
        cout = cin
    layer = LayerSpec(
        input_size=size, kernel_size=kernel, in_channels=cin, out_channels=cout, groups=groups
    )
    figure = FigureSpec(layer, view="volume", frame_order=order)
    _check_figure(figure, frames=2)


def test_the_check_catches_a_column_drawn_over_its_block() -> None:
    """The old volume view's mistake: the highlighted column painted over the whole block, so
    that its sides showed through the cubes in front. The check must fail on it."""
    figure = resolve("one_by_one_channel_mixing")
    scene = build_channel_scene(figure)
    view = VolumeView(scene, metrics=_NoText(), inputs=None)
    faces = outside_faces(view.inp, INPUT_BAND)
    column = column_faces(view.inp, INPUT_BAND, [(2, 2)], 0, 2)
    wrong = [(face, depth + 1.0) for face, depth in column]
    with pytest.raises(AssertionError):
        _check_block(view.inp, faces + wrong)
