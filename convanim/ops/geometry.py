"""The arithmetic of a layer, in numpy only: output sizes, the drawn grid, windows, numbers.

Everything a figure shows is computed here and nowhere else:

* ``output_size`` — the guide's Relationships 1-15, which are PyTorch's formulas;
* ``layout`` — the grid that is drawn under the kernel (the padded input; for ``conv_transpose``
  the guide's equivalent direct convolution with inserted zeros), what each drawn cell is, which
  input value it shows, and where the kernel sits for every output cell;
* ``windows`` — the frame sequence, one window per output cell, row-major from the top-left;
* ``evaluate`` — the numbers, with PyTorch's layouts and semantics (cross-correlation, groups,
  padding modes, pooling rules), for the numerical figures.

Importing this module must not import matplotlib (a test checks it).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import IntEnum
from functools import cached_property

import numpy as np

from convanim.model.spec import LayerSpec, Pair


class Role(IntEnum):
    """What a drawn input cell is."""

    # Ordered so that a cell's role is the larger of its row's and its column's.
    INPUT = 0  # a real input value
    ZERO = 1  # inserted between inputs by a transposed convolution's stride
    PADDING = 2  # added around the input (zeros, or a copy under reflect/replicate/circular)
    OVERHANG = 3  # outside the padded input, reached only by a ceil_mode pooling window
    # A transposed convolution's stretched input where its padding exceeds d·(k - 1): the
    # equivalent direct convolution crops these cells, and no window reaches them.
    CROPPED = 4


def _axis_output(spec: LayerSpec, axis: int) -> int:
    i, k = spec.input_size[axis], spec.kernel_size[axis]
    s, d = spec.stride[axis], spec.dilation[axis]
    lo, hi = spec.pads[2 * axis], spec.pads[2 * axis + 1]
    if spec.is_transposed:
        return (i - 1) * s - lo - hi + (k - 1) * d + spec.output_padding[axis] + 1
    span = i + lo + hi - ((k - 1) * d + 1)
    if spec.is_pool and spec.ceil_mode:
        out = -(-span // s) + 1
        # PyTorch: the last window must start inside the input or its leading padding.
        if (out - 1) * s >= i + lo:
            out -= 1
        return out
    return span // s + 1


def transposed_padding(spec: LayerSpec, axis: int) -> tuple[int, int]:
    """The padding (before, after) of a ``conv_transpose``'s equivalent direct convolution
    along ``axis``: d·(k - 1) - p on each side, output_padding more after; negative where it
    crops the stretched input instead."""
    k, d = spec.kernel_size[axis], spec.dilation[axis]
    lo, hi = spec.pads[2 * axis], spec.pads[2 * axis + 1]
    return ((k - 1) * d - lo, (k - 1) * d - hi + spec.output_padding[axis])


def output_size(spec: LayerSpec) -> Pair:
    """(H_out, W_out) of the layer."""
    return (_axis_output(spec, 0), _axis_output(spec, 1))


@dataclass(frozen=True)
class _Axis:
    """One axis of the drawn grid: the input index each drawn position shows, and its role."""

    source: np.ndarray  # int, -1 where no input value is shown (zeros, overhang)
    role: np.ndarray  # Role per position
    step: int  # how far the kernel moves per output cell
    dilation: int
    kernel: int
    start: int = 0  # where the first window starts (past a cropped border)


_NUMPY_PAD_MODE = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def _axis(spec: LayerSpec, axis: int) -> _Axis:
    i, k = spec.input_size[axis], spec.kernel_size[axis]
    s, d = spec.stride[axis], spec.dilation[axis]
    lo, hi = spec.pads[2 * axis], spec.pads[2 * axis + 1]
    n_out = _axis_output(spec, axis)
    if spec.is_transposed:
        # The guide's Relationship 14 generalised: s-1 zeros between inputs, (k-1)*d - p
        # padding on each side, output_padding more at the bottom/right; stride 1. Where
        # that padding is negative (p > (k-1)*d) the direct convolution crops the stretched
        # input instead: the cells stay drawn, and the windows start past them.
        stretched = (i - 1) * s + 1
        source = np.full(stretched, -1)
        source[::s] = np.arange(i)
        role = np.full(stretched, Role.ZERO)
        role[::s] = Role.INPUT
        before, after = transposed_padding(spec, axis)
        lead, trail = max(before, 0), max(after, 0)
        source = np.concatenate([np.full(lead, -1), source, np.full(trail, -1)])
        role = np.concatenate([np.full(lead, Role.PADDING), role, np.full(trail, Role.PADDING)])
        # The windows reach d·(k - 1) cells past the last output: everything else is cropped
        # (a crop larger than the stretched input reaches into the other side's padding).
        start = max(-before, 0)
        role[:start] = Role.CROPPED
        role[start + n_out + (k - 1) * d :] = Role.CROPPED
        return _Axis(source, role.astype(np.uint8), 1, d, k, start)

    index = np.arange(i)
    mode = _NUMPY_PAD_MODE.get(spec.padding_mode)
    if mode is None:
        source = np.pad(index, (lo, hi), constant_values=-1)
    else:
        source = np.pad(index, (lo, hi), mode=mode)
    role = np.full(i + lo + hi, Role.PADDING)
    role[lo : lo + i] = Role.INPUT
    # ceil_mode lets the last window hang past the padded input.
    reach = (n_out - 1) * s + (k - 1) * d + 1
    overhang = max(reach - len(source), 0)
    source = np.concatenate([source, np.full(overhang, -1)])
    role = np.concatenate([role, np.full(overhang, Role.OVERHANG)])
    return _Axis(source, role.astype(np.uint8), s, d, k)


@dataclass(frozen=True)
class Window:
    """Where the kernel reads for one output cell (one frame)."""

    index: int  # frame number
    out: Pair  # the output cell (row, col)
    taps: np.ndarray  # (kh * kw, 2) drawn-grid (row, col) of every kernel tap, row-major
    # The footprint's bounding box: row0, col0, row1, col1 (exclusive).
    box: tuple[int, int, int, int]


@dataclass(frozen=True, eq=False)
class Layout:
    """The grid drawn under the kernel, and how the kernel moves over it."""

    roles: np.ndarray  # (H, W) Role of every drawn cell
    source: np.ndarray  # (H, W, 2) input (row, col) each drawn cell shows; -1 where none
    step: Pair  # kernel movement per output cell on the drawn grid
    dilation: Pair
    kernel_size: Pair
    output_shape: Pair
    start: Pair = (0, 0)  # the first window's top-left drawn cell (past a cropped border)

    @property
    def shape(self) -> Pair:
        return (int(self.roles.shape[0]), int(self.roles.shape[1]))

    @property
    def n_frames(self) -> int:
        return self.output_shape[0] * self.output_shape[1]

    @cached_property
    def tap_offsets(self) -> np.ndarray:
        """(kh * kw, 2) offsets of the kernel taps from the window's top-left, row-major
        (read-only: every frame's window adds to it)."""
        kh, kw = self.kernel_size
        rows, cols = np.meshgrid(np.arange(kh), np.arange(kw), indexing="ij")
        offsets = np.stack([rows.ravel() * self.dilation[0], cols.ravel() * self.dilation[1]], 1)
        offsets.setflags(write=False)
        return offsets

    def origins(self) -> np.ndarray:
        """(n_frames, 2) top-left drawn cell of every window, in frame order."""
        ho, wo = self.output_shape
        rows, cols = np.meshgrid(np.arange(ho), np.arange(wo), indexing="ij")
        (sh, sw), (top, left) = self.step, self.start
        return np.stack([rows.ravel() * sh + top, cols.ravel() * sw + left], axis=1)

    def window(self, index: int) -> Window:
        ho, wo = self.output_shape
        if not 0 <= index < ho * wo:
            raise IndexError(f"frame {index} is outside 0..{ho * wo - 1}")
        r, c = divmod(index, wo)
        top, left = r * self.step[0] + self.start[0], c * self.step[1] + self.start[1]
        taps = self.tap_offsets + (top, left)
        bottom = top + (self.kernel_size[0] - 1) * self.dilation[0] + 1
        right = left + (self.kernel_size[1] - 1) * self.dilation[1] + 1
        return Window(index, (r, c), taps, (top, left, bottom, right))

    def windows(self) -> Iterator[Window]:
        for index in range(self.n_frames):
            yield self.window(index)


def layout(spec: LayerSpec) -> Layout:
    """The drawn grid of ``spec`` and the kernel's movement over it."""
    rows, cols = _axis(spec, 0), _axis(spec, 1)
    roles = np.maximum(rows.role[:, None], cols.role[None, :])
    src_r = np.broadcast_to(rows.source[:, None], roles.shape)
    src_c = np.broadcast_to(cols.source[None, :], roles.shape)
    source = np.stack([src_r, src_c], axis=-1).copy()
    source[(src_r < 0) | (src_c < 0)] = -1
    return Layout(
        roles=roles,
        source=source,
        step=(rows.step, cols.step),
        dilation=(rows.dilation, cols.dilation),
        kernel_size=(rows.kernel, cols.kernel),
        output_shape=output_size(spec),
        start=(rows.start, cols.start),
    )


def counted(spec: LayerSpec, lay: Layout | None = None) -> np.ndarray:
    """(H, W) bool: the drawn cells whose value takes part in the result. A convolution
    multiplies its padding and inserted zeros too; a max pool never picks its padding (PyTorch
    pads with -inf); an average pool counts its padding only with ``count_include_pad``. No
    window reaches the overhang of ``ceil_mode`` or a cropped border."""
    roles = (lay or layout(spec)).roles
    if spec.op == "max_pool":
        return roles == Role.INPUT
    if spec.op == "avg_pool":
        kept = (Role.INPUT, Role.PADDING) if spec.count_include_pad else (Role.INPUT,)
        return np.isin(roles, kept)
    return np.isin(roles, (Role.INPUT, Role.ZERO, Role.PADDING))


def windows(spec: LayerSpec) -> list[Window]:
    """The frame sequence: one window per output cell, row-major from the top-left."""
    return list(layout(spec).windows())


# -- numbers -----------------------------------------------------------------------------------


def weight_shape(spec: LayerSpec) -> tuple[int, int, int, int] | None:
    """PyTorch's weight layout for the layer, or None for pooling."""
    kh, kw = spec.kernel_size
    assert spec.out_channels is not None
    if spec.op == "conv":
        return (spec.out_channels, spec.in_channels // spec.groups, kh, kw)
    if spec.op == "conv_transpose":
        return (spec.in_channels, spec.out_channels // spec.groups, kh, kw)
    return None


_TRIES = 20  # draws tried for an example whose output varies
_CHECKED_WORK = 200_000  # multiply-adds beyond which only the weights are checked


def example_values(spec: LayerSpec, seed: int = 0) -> tuple[np.ndarray, np.ndarray | None]:
    """Reproducible small integers like the reference's: inputs 0..3 (0..19 for max pooling),
    weights 0..2.

    An example must teach: the first draw from ``seed`` is kept unless an output channel comes
    out constant (or, for pooling, with fewer than three distinct values where it has room for
    them) or a filter is all zeros; then draws seeded by ``(seed, 1)``, ``(seed, 2)``… are
    tried, and the first that varies (else the most varied) is taken. Same spec and seed,
    same numbers.

    Returns (x of shape (C_in, H, W), weight in PyTorch's layout or None for pooling).
    """
    best: tuple[int, np.ndarray, np.ndarray | None] | None = None
    for attempt in range(_TRIES):
        x, weight = _draw(spec, np.random.default_rng(seed if attempt == 0 else (seed, attempt)))
        score = _variety(spec, x, weight)
        if score >= 0:
            return x, weight
        if best is None or score > best[0]:
            best = (score, x, weight)
    assert best is not None
    return best[1], best[2]


def _draw(spec: LayerSpec, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray | None]:
    shape = (spec.in_channels, *spec.input_size)
    if spec.op == "max_pool":
        # Each of 0..19 about equally often (not 0..3, whose maxima are nearly all 3), so that
        # neighbouring windows have different maxima.
        cells = spec.input_size[0] * spec.input_size[1]
        x = np.stack([rng.permutation(cells) % 20 for _ in range(spec.in_channels)])
        x = x.reshape(shape).astype(np.float64)
    else:
        x = rng.integers(0, 4, size=shape).astype(np.float64)
    wshape = weight_shape(spec)
    weight = None if wshape is None else rng.integers(0, 3, size=wshape).astype(np.float64)
    return x, weight


def _variety(spec: LayerSpec, x: np.ndarray, weight: np.ndarray | None) -> int:
    """How far the example is from varied enough: 0 or more when it is, else minus the
    distinct values missing in its worst output channel."""
    if weight is not None and not weight.reshape(len(weight), -1).any(axis=1).all():
        return -len(weight)  # a filter of zeros: a channel of zeros
    ho, wo = output_size(spec)
    kh, kw = spec.kernel_size
    work = spec.in_channels * spec.out_channels * ho * wo * kh * kw  # type: ignore[operator]
    if work > _CHECKED_WORK:
        return 0
    want = min(3 if spec.is_pool else 2, ho * wo)
    out = evaluate(spec, x, weight)
    # Distinct values counted by sorting: np.unique would import numpy.ma (17 ms of a start).
    return min(_count_distinct(channel) for channel in out) - want


def _count_distinct(values: np.ndarray) -> int:
    ordered = np.sort(values, axis=None)
    return int(np.count_nonzero(ordered[1:] != ordered[:-1])) + min(ordered.size, 1)


def _check_array(name: str, array: np.ndarray, expected: tuple[int, ...]) -> np.ndarray:
    if array.shape != expected:
        raise ValueError(f"{name} has shape {array.shape}; the spec needs {expected}")
    return array


def drawn_values(spec: LayerSpec, x: np.ndarray, fill: float = 0.0) -> np.ndarray:
    """(C_in, H, W) values shown on the drawn grid: inputs, padding per padding_mode, and
    ``fill`` where the grid shows no input (zero padding, inserted zeros, overhang)."""
    lay = layout(spec)
    src = lay.source
    missing = src[..., 0] < 0
    values = x[:, np.where(missing, 0, src[..., 0]), np.where(missing, 0, src[..., 1])]
    values[:, missing] = fill
    return values


def evaluate(spec: LayerSpec, x: np.ndarray, weight: np.ndarray | None = None) -> np.ndarray:
    """The layer's output, (C_out, H_out, W_out), as PyTorch computes it (float64).

    ``x`` is (C_in, H, W) (a 2-D array is taken as one channel); ``weight`` is required for
    convolutions, in PyTorch's layout, and ignored for pooling. Convolutions are
    cross-correlations (no kernel flip), as in the frameworks.
    """
    x = np.asarray(x, dtype=np.float64)
    if x.ndim == 2:
        x = x[None]
    _check_array("x", x, (spec.in_channels, *spec.input_size))
    shape = weight_shape(spec)
    if shape is not None:
        if weight is None:
            raise ValueError(f"{spec.op} needs a weight of shape {shape}")
        weight = _check_array("weight", np.asarray(weight, dtype=np.float64), shape)
    if spec.op == "conv_transpose":
        assert weight is not None
        return _conv_transpose(spec, x, weight)

    lay = layout(spec)
    ho, wo = lay.output_shape
    sh, sw = lay.step
    fill = -np.inf if spec.op == "max_pool" else 0.0
    grid = drawn_values(spec, x, fill=fill)

    def patch(values: np.ndarray, dr: int, dc: int) -> np.ndarray:
        # The value under one kernel tap for every output cell at once: (C, H_out, W_out).
        r, c = dr + lay.start[0], dc + lay.start[1]
        return values[:, r : r + sh * (ho - 1) + 1 : sh, c : c + sw * (wo - 1) + 1 : sw]

    offsets = lay.tap_offsets
    if spec.op == "max_pool":
        return np.max([patch(grid, dr, dc) for dr, dc in offsets], axis=0)
    if spec.op == "avg_pool":
        total = np.sum([patch(grid, dr, dc) for dr, dc in offsets], axis=0)
        count = counted(spec, lay).astype(np.float64)[None]
        return total / sum(patch(count, dr, dc) for dr, dc in offsets)

    assert weight is not None
    groups = spec.groups
    cin_g = spec.in_channels // groups
    cout_g = spec.out_channels // groups  # type: ignore[operator]
    out = np.zeros((spec.out_channels, ho, wo))
    kw = spec.kernel_size[1]
    for t, (dr, dc) in enumerate(offsets):
        ki, kj = divmod(t, kw)
        p = patch(grid, dr, dc)
        for g in range(groups):
            w = weight[g * cout_g : (g + 1) * cout_g, :, ki, kj]  # (cout_g, cin_g)
            out[g * cout_g : (g + 1) * cout_g] += np.einsum(
                "oc,chw->ohw", w, p[g * cin_g : (g + 1) * cin_g]
            )
    return out


def _conv_transpose(spec: LayerSpec, x: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Scatter every input value through the kernel (the gradient of conv), then crop padding."""
    (h, w), (kh, kw) = spec.input_size, spec.kernel_size
    (sh, sw), (dh, dw) = spec.stride, spec.dilation
    top, _, left, _ = spec.pads
    ah, aw = spec.output_padding
    ho, wo = output_size(spec)
    groups = spec.groups
    cin_g = spec.in_channels // groups
    cout_g = spec.out_channels // groups  # type: ignore[operator]
    full = np.zeros(
        (
            spec.out_channels,
            (h - 1) * sh + (kh - 1) * dh + 1 + ah,
            (w - 1) * sw + (kw - 1) * dw + 1 + aw,
        )
    )
    for ki in range(kh):
        for kj in range(kw):
            rows = slice(ki * dh, ki * dh + (h - 1) * sh + 1, sh)
            cols = slice(kj * dw, kj * dw + (w - 1) * sw + 1, sw)
            for g in range(groups):
                wg = weight[g * cin_g : (g + 1) * cin_g, :, ki, kj]  # (cin_g, cout_g)
                full[g * cout_g : (g + 1) * cout_g, rows, cols] += np.einsum(
                    "co,chw->ohw", wg, x[g * cin_g : (g + 1) * cin_g]
                )
    return full[:, top : top + ho, left : left + wo]


def transposed_as_conv_weight(spec: LayerSpec, weight: np.ndarray) -> np.ndarray:
    """The direct-convolution weight that, applied to the drawn grid of a ``conv_transpose``
    (stride 1, same dilation), gives its output: the kernel rotated by 180 degrees with the
    channel axes swapped per group. (The arithmetic figures draw the footprint unflipped,
    as the guide does; the numbers need the flip.)"""
    groups = spec.groups
    cin_g = spec.in_channels // groups
    parts = []
    for g in range(groups):
        wg = weight[g * cin_g : (g + 1) * cin_g]  # (cin_g, cout_g, kh, kw)
        parts.append(np.transpose(wg, (1, 0, 2, 3))[:, :, ::-1, ::-1])
    return np.concatenate(parts, axis=0)
