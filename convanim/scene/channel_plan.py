"""The channel scene: what a figure with channels shows in every frame, in cells and channels.

A layer with ``in_channels``/``out_channels``/``groups`` maps a stack of C_in feature maps to a
stack of C_out maps; this module says, for every frame, which output position and output
channels are written, which input channels and drawn cells are read (the kernel's
k_h x k_w x (C_in / groups) footprint), which filters do it and which group each channel belongs
to. It also owns

* the frame orders (``FRAME_ORDERS``): one frame per output position with every output channel
  at once, or one per (position, output channel);
* the schematic decision: above a cell budget a figure is drawn as labelled boxes, not cells;
* the numbers of the numerical channel view, from ``geometry.evaluate``, and each output value
  as a sum over input channels;
* sequences of layers: that each stage's input is the previous stage's output, and the values
  that flow from one stage into the next.

numpy only: importing this module must not import matplotlib (a test checks it).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from convanim.errors import SpecError
from convanim.model.spec import (  # noqa: F401 - wants_channel_view is re-exported
    FRAME_ORDERS,
    FigureSpec,
    LayerSpec,
    Pair,
    SequenceSpec,
    wants_channel_view,
)
from convanim.ops import geometry
from convanim.ops.geometry import Layout

__all__ = [
    "CELL_BUDGET",
    "FRAME_ORDERS",
    "MAX_CHANNELS",
    "MAX_HEIGHT",
    "MAX_SIDE",
    "ChannelFrame",
    "ChannelScene",
    "Term",
    "build_channel_scene",
    "build_sequence",
    "channel_depth",
    "check_sequence",
    "drawn_cells",
    "is_schematic",
    "wants_channel_view",
]

# Above these a figure is drawn as a schematic: its cells would not fit a frame of about
# 800 x 800 px at the renderers' 30 px a cell, or would be too thin to read.
CELL_BUDGET = 1500
MAX_SIDE = 12  # cells along a side of a drawn grid
MAX_CHANNELS = 16
MAX_HEIGHT = 24  # cells from the bottom of the input block to the top of the output block
# A schematic animates the kernel at a few output positions, not at all of them.
SCHEMATIC_POSITIONS = 4


def schematic_positions(ho: int, wo: int) -> list[int]:
    """The output positions a schematic of an ``ho`` x ``wo`` output shows, row-major: a few
    along the diagonal from the first to the last (pure arithmetic, for any size)."""
    steps = np.linspace(0, 1, SCHEMATIC_POSITIONS)
    picked = {round(t * (ho - 1)) * wo + round(t * (wo - 1)) for t in steps}
    return sorted(picked)


def count_frames(ho: int, wo: int, out_channels: int, frame_order: str, schematic: bool) -> int:
    """The frame count of a channel figure, the one rule the scene and the budget share: a frame
    per shown output position (all of them, or a schematic's few), times the output channels
    when they take turns (``position_channel``, not in a schematic)."""
    n = len(schematic_positions(ho, wo)) if schematic else ho * wo
    if frame_order == "position_channel" and not schematic:
        n *= out_channels
    return n


def connection_groups(spec: LayerSpec) -> int:
    """How many independent channel groups the layer has: pooling acts on every channel alone."""
    return spec.in_channels if spec.is_pool else spec.groups


def channel_groups(spec: LayerSpec) -> tuple[np.ndarray, np.ndarray]:
    """The group of every input channel and of every output channel."""
    groups = connection_groups(spec)
    c_out = _out_channels(spec)
    return (
        np.arange(spec.in_channels) // (spec.in_channels // groups),
        np.arange(c_out) // (c_out // groups),
    )


def _out_channels(spec: LayerSpec) -> int:
    assert spec.out_channels is not None
    return spec.out_channels


def drawn_cells(spec: LayerSpec) -> int:
    """Cells a volume figure draws: input and output boxes and the filters."""
    lay = geometry.layout(spec)
    (h, w), (ho, wo) = lay.shape, lay.output_shape
    cells = h * w * spec.in_channels + ho * wo * _out_channels(spec)
    if not spec.is_pool:
        kh, kw = spec.kernel_size
        cells += _out_channels(spec) * kh * kw * (spec.in_channels // spec.groups)
    return cells


def channel_depth(spec: LayerSpec) -> float:
    """How deep a channel's slab is drawn, in cells: a cube for up to four channels, thinner
    for more, never under a third of a cell."""
    return min(1.0, max(1 / 3, 4 / max(spec.in_channels, _out_channels(spec))))


def _volume_height(spec: LayerSpec, lay: Layout) -> float:
    """Cells from the bottom of the input block to the top of the output block, a cell apart,
    with a cell for each label: the oblique view draws an h x w plane 0.5 w + 0.65 h high."""
    (h, w), (ho, wo) = lay.shape, lay.output_shape
    depth = channel_depth(spec)
    blocks = 0.5 * (w + wo) + 0.65 * (h + ho) + depth * (spec.in_channels + _out_channels(spec))
    return blocks + 3


def is_schematic(figure: FigureSpec) -> bool:
    """``figure.schematic`` if given, else whether the figure is above the cell budget."""
    if figure.schematic is not None:
        return figure.schematic
    spec = figure.layer
    lay = geometry.layout(spec)
    return (
        drawn_cells(spec) > CELL_BUDGET
        or max(*lay.shape, *lay.output_shape) > MAX_SIDE
        or max(spec.in_channels, _out_channels(spec)) > MAX_CHANNELS
        or _volume_height(spec, lay) > MAX_HEIGHT
    )


@dataclass(frozen=True, eq=False)
class ChannelFrame:
    """The moving parts of one frame of a channel figure."""

    index: int
    out: Pair  # output position (row, col)
    out_channels: tuple[int, ...]  # output channels written in this frame
    in_channels: tuple[int, ...]  # input channels the kernel reads for them
    filters: tuple[int, ...]  # the filters applied (one per output channel; none for pooling)
    taps: np.ndarray  # (n, 2) drawn-grid cells under the kernel, on every read channel
    box: tuple[int, int, int, int]  # footprint bounding box: row0, col0, row1, col1 (exclusive)


@dataclass(frozen=True)
class Term:
    """One input channel's share of an output value."""

    channel: int
    weights: np.ndarray | None  # (n_taps,) weights applied to this channel; None for pooling
    values: np.ndarray  # (n_taps,) input values under the kernel on this channel
    partial: float  # sum of weights * values (conv) or the pooled value (pooling)


@dataclass(frozen=True, eq=False)
class ChannelScene:
    """Everything a channel figure draws, in cells and channels."""

    figure: FigureSpec
    layout: Layout
    schematic: bool
    input_groups: np.ndarray  # (C_in,) group of every input channel
    output_groups: np.ndarray  # (C_out,) group of every output channel
    # The numbers, for the numerical channel view only (else None):
    input_values: np.ndarray | None  # (C_in, H, W) on the drawn grid
    weights: np.ndarray | None  # (C_out, C_in / groups, kh, kw) as applied over the drawn grid
    output_values: np.ndarray | None  # (C_out, H_out, W_out), geometry.evaluate's

    @property
    def spec(self) -> LayerSpec:
        return self.figure.layer

    @property
    def view(self) -> str:
        return self.figure.view

    @property
    def frame_order(self) -> str:
        return self.figure.frame_order

    @property
    def in_channels(self) -> int:
        return self.spec.in_channels

    @property
    def out_channels(self) -> int:
        return _out_channels(self.spec)

    @property
    def groups(self) -> int:
        return connection_groups(self.spec)

    @property
    def input_shape(self) -> Pair:
        return self.layout.shape

    @property
    def output_shape(self) -> Pair:
        return self.layout.output_shape

    @property
    def roles(self) -> np.ndarray:
        return self.layout.roles

    @property
    def has_filters(self) -> bool:
        return not self.spec.is_pool

    @property
    def filter_shape(self) -> tuple[int, int, int]:
        """(kh, kw, channels per filter) — a filter reads its group's input channels only."""
        kh, kw = self.spec.kernel_size
        return (kh, kw, self.in_channels // self.groups)

    def positions(self) -> list[int]:
        """The output positions shown, as row-major indices: all of them, or for a schematic
        a few along the diagonal from the first position to the last."""
        ho, wo = self.output_shape
        if not self.schematic:
            return list(range(ho * wo))
        return schematic_positions(ho, wo)

    @property
    def n_frames(self) -> int:
        ho, wo = self.output_shape
        return count_frames(ho, wo, self.out_channels, self.frame_order, self.schematic)

    def group_channels(self, group: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
        """(input channels, output channels) of one group."""
        ins = tuple(int(c) for c in np.flatnonzero(self.input_groups == group))
        outs = tuple(int(o) for o in np.flatnonzero(self.output_groups == group))
        return ins, outs

    def frame(self, index: int) -> ChannelFrame:
        if not 0 <= index < self.n_frames:
            raise IndexError(f"frame {index} is outside 0..{self.n_frames - 1}")
        positions = self.positions()
        if self.frame_order == "position_channel" and not self.schematic:
            # Output channels of one position, then the next position: the filters take turns.
            slot, channel = divmod(index, self.out_channels)
            outs: tuple[int, ...] = (channel,)
            ins = self.group_channels(int(self.output_groups[channel]))[0]
        else:
            slot = index
            outs = tuple(range(self.out_channels))
            ins = tuple(range(self.in_channels))
        window = self.layout.window(positions[slot])
        filters = outs if self.has_filters else ()
        return ChannelFrame(index, window.out, outs, ins, filters, window.taps, window.box)

    def frames(self) -> Iterator[ChannelFrame]:
        for index in range(self.n_frames):
            yield self.frame(index)

    def terms(self, state: ChannelFrame, channel: int) -> list[Term]:
        """How output ``channel`` at ``state.out`` is computed, one term per input channel it
        reads; for convolutions the partials sum to ``output_values`` (a test checks it)."""
        if self.input_values is None:
            raise ValueError("the numbers are only computed for the numerical view")
        rows, cols = state.taps[:, 0], state.taps[:, 1]
        group = int(self.output_groups[channel])
        ins = self.group_channels(group)[0]
        out: list[Term] = []
        for local, c in enumerate(ins):
            values = self.input_values[c, rows, cols]
            if self.weights is None:  # pooling: the output channel pools its own input channel
                r, col = state.out
                assert self.output_values is not None
                partial = float(self.output_values[channel, r, col])
                out.append(Term(c, None, values, partial))
                continue
            weights = self.weights[channel, local].ravel()
            out.append(Term(c, weights, values, float(np.dot(weights, values))))
        return out


def build_channel_scene(figure: FigureSpec, x: np.ndarray | None = None) -> ChannelScene:
    """The scene of a channel figure; ``x`` (C_in, H, W) replaces the example input values
    (a sequence passes the previous stage's output)."""
    spec = figure.layer
    lay = geometry.layout(spec)
    schematic = is_schematic(figure)
    ins, outs = channel_groups(spec)
    input_values = weights = output_values = None
    if figure.view == "numerical" and not schematic:
        example, weight = geometry.example_values(spec, seed=figure.seed)
        if figure.flip and weight is not None:  # true convolution: the kernel rotated
            weight = weight[..., ::-1, ::-1].copy()
        if x is None:
            x = example
        output_values = geometry.evaluate(spec, x, weight)
        input_values = geometry.drawn_values(spec, x)
        input_values[:, ~geometry.counted(spec, lay)] = np.nan  # as the single-layer view
        if weight is not None:
            # The drawn grid of a transposed convolution is a direct one: flipped kernel.
            weights = (
                geometry.transposed_as_conv_weight(spec, weight) if spec.is_transposed else weight
            )
    return ChannelScene(figure, lay, schematic, ins, outs, input_values, weights, output_values)


def check_sequence(sequence: SequenceSpec) -> None:
    """Raise ``SpecError`` naming the stage if a stage's input is not the previous output."""
    for number, (prev, stage) in enumerate(zip(sequence.stages, sequence.stages[1:]), 2):
        size = geometry.output_size(prev.layer)
        what = f"stage {number} ({stage.name})"
        if stage.layer.input_size != size:
            got = "x".join(map(str, stage.layer.input_size))
            raise SpecError(
                "sequence",
                f"{what} has input_size {got}, but stage {number - 1} ({prev.name}) outputs "
                f"{size[0]}x{size[1]}; each stage's input is the previous stage's output",
            )
        if stage.layer.in_channels != prev.layer.out_channels:
            raise SpecError(
                "sequence",
                f"{what} has in_channels {stage.layer.in_channels}, but stage {number - 1} "
                f"({prev.name}) has out_channels {prev.layer.out_channels}; each stage's input "
                "is the previous stage's output",
            )


def stage_inputs(sequence: SequenceSpec) -> list[np.ndarray]:
    """The input values of every stage: the first stage's example input, then each stage's
    output (with each stage's example weights) as the next stage's input."""
    check_sequence(sequence)
    x, _ = geometry.example_values(sequence.stages[0].layer, seed=sequence.stages[0].seed)
    inputs = [x]
    for stage in sequence.stages[:-1]:
        _, weight = geometry.example_values(stage.layer, seed=stage.seed)
        if stage.flip and weight is not None:
            weight = weight[..., ::-1, ::-1].copy()
        inputs.append(geometry.evaluate(stage.layer, inputs[-1], weight))
    return inputs


def build_sequence(sequence: SequenceSpec) -> list[ChannelScene | None]:
    """The channel scene of every stage (None for a stage the planar renderer draws), the
    numbers flowing from one stage into the next."""
    check_sequence(sequence)
    numbers = any(
        s.view == "numerical" and wants_channel_view(s) and not is_schematic(s)
        for s in sequence.stages
    )
    inputs = stage_inputs(sequence) if numbers else [None] * len(sequence.stages)
    return [
        build_channel_scene(stage, x) if wants_channel_view(stage) else None
        for stage, x in zip(sequence.stages, inputs)
    ]
