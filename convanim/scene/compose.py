"""Pictures made of pictures: comparisons side by side, storyboards' tiles, and the changes
that apply to any picture (scaled, with a caption strip).

A comparison is its members' display lists placed on one canvas, standing on a common baseline
under a strip of labels, their frames in lockstep (a shorter member starts again, or holds its
last frame). A
storyboard is a grid of single frames, numbered. Both are plain display lists, so any backend
draws them and any figure kind can be a member. numpy only.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import replace

from convanim.scene.display import (
    Picture,
    Primitive,
    Text,
    TextMetrics,
    changed_stages,
    moved,
)
from convanim.scene.words import holding_label

_LABEL_HEIGHT = 34  # the label strip above comparison members, at scale 1
_LABEL_SIZE = 20
_HEADING_SIZE = 15  # the parameter lines under a comparison's labels
_GAP = 10  # between comparison members
TILE_GAP = 16  # between storyboard tiles
COMPARISON_TILE_GAP = 48  # further apart than a comparison's members, so tiles read as tiles
_NUMBER = 22  # under each storyboard tile, for its number
_NUMBER_SIZE = 14
_LABEL_DEPTH = 9.0
_MARGIN = 20


def side_by_side(
    members: Sequence[Picture],
    labels: Sequence[str],
    scale: float = 1.0,
    font_scale: float = 1.0,
    sync: str = "loop",
    metrics: TextMetrics | None = None,
    headings: Sequence[Sequence[str]] = (),
) -> Picture:
    """Members left to right under their labels and their ``headings`` (parameter lines, one
    row for all), standing on one baseline, each in a slot wide enough for its words. Frame i
    shows each member's frame i; a shorter member starts again (``sync="loop"``) or holds its
    last frame (``"hold"``), and then its label says so."""
    metrics = metrics or TextMetrics()
    gap = round(_GAP * scale)
    strip = round(_LABEL_HEIGHT * scale * font_scale)
    size = _LABEL_SIZE * scale * font_scale
    heading_size = _HEADING_SIZE * scale * font_scale
    step = 1.4 * heading_size
    rows = max((len(h) for h in headings), default=0)
    strip += round(rows * step + (0.4 * step if rows else 0))
    headings = list(headings) or [[] for _ in members]
    tallest = max(m.height for m in members)
    longest = max(m.n_frames for m in members)
    offsets: list[tuple[int, int]] = []
    x = 0
    static: list[Primitive] = []
    label_texts: list[tuple[int, Text, Text]] = []  # member, its label, its holding label
    for k, (member, label) in enumerate(zip(members, labels)):
        holding = holding_label(label)
        wanted = label if sync == "loop" or member.n_frames == longest else holding
        words = [metrics.measure(wanted, size)[0]]
        words += [metrics.measure(line, heading_size)[0] for line in headings[k]]
        slot = max(member.width, math.ceil(max(words)) + 2 * gap)
        left = x + (slot - member.width) // 2
        top = strip + tallest - member.height  # a common baseline
        offsets.append((left, top))
        static.extend(moved(member.static, left, top))
        label_y = 0.6 * _LABEL_HEIGHT * scale * font_scale
        text = Text(label, x + slot / 2, label_y, size, "text", _LABEL_DEPTH)
        for j, line in enumerate(headings[k]):
            y = _LABEL_HEIGHT * scale * font_scale + (j + 0.5) * step
            static.append(
                Text(line, x + slot / 2, y, heading_size, "text", _LABEL_DEPTH, kind="heading")
            )
        if sync == "hold" and member.n_frames < longest:
            label_texts.append((k, text, replace(text, text=holding)))
        else:
            static.append(text)
        x += slot + gap
    width = x - gap

    def moving(index: int) -> tuple[Primitive, ...]:
        out: list[Primitive] = []
        for member, (dx, dy) in zip(members, offsets):
            n = member.n_frames
            at = index % n if sync == "loop" else min(index, n - 1)
            out.extend(moved(member.frame(at), dx, dy))
        for k, text, holding in label_texts:
            out.append(holding if index >= members[k].n_frames else text)
        return tuple(out)

    roles = tuple(dict.fromkeys(r for m in members for r in m.roles))
    return Picture(width, strip + tallest, tuple(static), longest, moving, roles=roles)


def storyboard(
    picture: Picture, every: int = 1, columns: int | None = None, gap: float = TILE_GAP
) -> tuple[Picture, list[int]]:
    """Every ``every``-th frame of ``picture`` (always ending on the last) as one still picture,
    tiles numbered from 1 and ``gap`` apart; returns it and the frames chosen."""
    chosen = list(range(0, picture.n_frames, every))
    if chosen[-1] != picture.n_frames - 1:
        chosen.append(picture.n_frames - 1)
    cols = columns or math.ceil(math.sqrt(len(chosen)))
    rows = math.ceil(len(chosen) / cols)
    tile_w, tile_h = picture.width, picture.height + _NUMBER
    static: list[Primitive] = []
    for k, index in enumerate(chosen):
        row, col = divmod(k, cols)
        left, top = col * (tile_w + gap), row * (tile_h + gap)
        static.extend(moved(picture.static, left, top))
        static.extend(moved(picture.frame(index), left, top))
        number_y = top + picture.height + _NUMBER / 2
        static.append(
            Text(str(index + 1), left + tile_w / 2, number_y, _NUMBER_SIZE, "text", _LABEL_DEPTH)
        )
    width = round(cols * tile_w + (cols - 1) * gap)
    height = round(rows * tile_h + (rows - 1) * gap)
    board = Picture(width, height, tuple(static), 1, lambda index: (), roles=picture.roles)
    return board, chosen


def scaled(picture: Picture, factor: float) -> Picture:
    """The picture ``factor`` times as large: coordinates, line widths, dashes and text."""
    if factor == 1:
        return picture

    def grow(prims: tuple[Primitive, ...]) -> tuple[Primitive, ...]:
        return tuple(_grown(p, factor) for p in prims)

    return replace(
        picture,
        width=max(1, round(picture.width * factor)),
        height=max(1, round(picture.height * factor)),
        static=grow(picture.static),
        moving=lambda index: grow(picture.moving(index)),
        stages=changed_stages(picture, grow),
    )


def _grown(prim: Primitive, factor: float) -> Primitive:
    if isinstance(prim, Text):
        return replace(prim, x=prim.x * factor, y=prim.y * factor, size=prim.size * factor)
    dash = None if prim.dash is None else (prim.dash[0] * factor, prim.dash[1] * factor)
    return replace(prim, points=prim.points * factor, width=prim.width * factor, dash=dash)


def with_strip(
    picture: Picture,
    lines: Callable[[int], Sequence[str]],
    size: float,
    constant: bool,
) -> Picture:
    """Caption lines under the picture, centred, one per row: the same in every frame when
    ``constant`` (drawn once), else as ``lines(i)`` says for frame i. The canvas grows to fit
    the widest line, which the caller sizes with ``size``."""
    first = list(lines(0))
    rows = max(len(first), 1)
    step = 1.5 * size
    height = picture.height + round(rows * step + size / 2)
    widest = max((0.55 * size * len(t) for t in first), default=0.0)
    width = max(picture.width, round(widest + 2 * _MARGIN))
    dx = (width - picture.width) / 2

    def texts(index: int) -> tuple[Primitive, ...]:
        return tuple(
            Text(text, width / 2, picture.height + (k + 0.5) * step, size, "text", _LABEL_DEPTH)
            for k, text in enumerate(lines(index))
        )

    static = (*moved(picture.static, dx, 0), *(texts(0) if constant else ()))

    def moving(index: int) -> tuple[Primitive, ...]:
        own = moved(picture.moving(index), dx, 0)
        return own if constant else (*own, *texts(index))

    stages = changed_stages(
        picture, lambda prims: moved(prims, dx, 0), (lambda index: ()) if constant else texts
    )
    return replace(picture, width=width, height=height, static=static, moving=moving, stages=stages)
