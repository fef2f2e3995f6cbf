"""A single-channel layer as a matrix: the guide's "convolution is multiplication by a sparse
matrix C", and the im2col patches frameworks multiply by the kernel. numpy only.

``matrix(spec, kernel)`` is C for a convolution or an average pool (rows = output cells,
columns = the *real* input cells, both row-major): ``C @ x.ravel()`` is the layer's output with
PyTorch's semantics. Padding is cropped: a kernel tap over zero padding multiplies a zero, so it
has no column; under ``reflect``/``replicate``/``circular`` padding the tap reads a real cell
and its weight lands (and adds up) in that cell's column. A ``conv_transpose`` is, exactly,
Cᵀ of the convolution it is the gradient of (same kernel, same stride, padding and dilation,
its input the transposed convolution's output), built here as that scatter; a test checks it
against the convolution's C transposed.

``flip`` everywhere means true convolution: the kernel rotated by 180 degrees before PyTorch's
cross-correlation (or transposed convolution) uses it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from convanim.errors import SpecError
from convanim.model.spec import LayerSpec, Pair
from convanim.model.views import check_linear
from convanim.ops import geometry
from convanim.ops.geometry import Role


def example_kernel(spec: LayerSpec, seed: int = 0) -> np.ndarray | None:
    """The (kh, kw) kernel the matrix views and ``explain --matrix`` use: small integers 1..3
    (no zero weight, so every tap shows in C), drawn before anything else, so that a
    convolution and its transpose with one seed share it."""
    if spec.is_pool:
        return None
    rng = np.random.default_rng(seed)
    return rng.integers(1, 4, size=spec.kernel_size).astype(np.float64)


def example_input(spec: LayerSpec, seed: int = 0) -> np.ndarray:
    """The (H, W) input the matrix views show: integers 0..3, drawn after the kernel."""
    rng = np.random.default_rng(seed)
    rng.integers(1, 4, size=spec.kernel_size)  # the kernel's draw, so the two never depend
    return rng.integers(0, 4, size=spec.input_size).astype(np.float64)


def used_kernel(kernel: np.ndarray, flip: bool) -> np.ndarray:
    """The kernel PyTorch's op is given: rotated by 180 degrees for a true convolution."""
    return kernel[::-1, ::-1].copy() if flip else kernel


def matrix(spec: LayerSpec, kernel: np.ndarray | None = None, flip: bool = False) -> np.ndarray:
    """C, shaped (H_out * W_out, H_in * W_in): ``C @ x.ravel()`` is the layer's output."""
    check_linear(spec)
    if spec.op == "avg_pool":
        return _pool_matrix(spec)
    if kernel is None:
        raise ValueError(f"{spec.op} needs a kernel of shape {spec.kernel_size}")
    kernel = np.asarray(kernel, dtype=np.float64)
    if kernel.shape != spec.kernel_size:
        raise ValueError(f"kernel has shape {kernel.shape}; the spec needs {spec.kernel_size}")
    kernel = used_kernel(kernel, flip)
    if spec.is_transposed:
        return _transposed_matrix(spec, kernel)
    return _conv_matrix(spec, kernel)


def structure(spec: LayerSpec) -> np.ndarray:
    """Which entries of C a kernel tap reaches (bool), whatever the weights' values."""
    if spec.is_pool:
        return matrix(spec) != 0
    # One distinct power of two per tap would tell them apart; any positive kernel finds them.
    return matrix(spec, np.ones(spec.kernel_size)) != 0


def _conv_matrix(spec: LayerSpec, kernel: np.ndarray) -> np.ndarray:
    lay = geometry.layout(spec)
    h, w = spec.input_size
    out = np.zeros((lay.n_frames, h * w))
    flat = kernel.ravel()
    for window in lay.windows():
        src = lay.source[window.taps[:, 0], window.taps[:, 1]]  # (taps, 2) input cell or -1
        real = src[:, 0] >= 0
        np.add.at(out[window.index], src[real, 0] * w + src[real, 1], flat[real])
    return out


def _pool_matrix(spec: LayerSpec) -> np.ndarray:
    """Each row holds 1/divisor at the cells its window reads; the divisor counts padding
    under ``count_include_pad`` (never a ceil_mode window's overhang), as PyTorch does."""
    lay = geometry.layout(spec)
    h, w = spec.input_size
    out = np.zeros((lay.n_frames, h * w))
    for window in lay.windows():
        roles = lay.roles[window.taps[:, 0], window.taps[:, 1]]
        counted = roles == Role.INPUT
        if spec.count_include_pad:
            counted |= roles == Role.PADDING
        src = lay.source[window.taps[:, 0], window.taps[:, 1]]
        real = src[:, 0] >= 0
        np.add.at(out[window.index], src[real, 0] * w + src[real, 1], 1.0 / counted.sum())
    return out


def _transposed_matrix(spec: LayerSpec, kernel: np.ndarray) -> np.ndarray:
    """Every input cell m scattered through the kernel: output n = m·s + t·d - pad_before."""
    (h, w), (ho, wo) = spec.input_size, geometry.output_size(spec)
    out = np.zeros((ho * wo, h * w))
    kh, kw = spec.kernel_size
    (sh, sw), (dh, dw) = spec.stride, spec.dilation
    top, left = spec.pads[0], spec.pads[2]
    for m_r in range(h):
        for m_c in range(w):
            for ki in range(kh):
                n_r = m_r * sh + ki * dh - top
                if not 0 <= n_r < ho:
                    continue
                for kj in range(kw):
                    n_c = m_c * sw + kj * dw - left
                    if 0 <= n_c < wo:
                        out[n_r * wo + n_c, m_r * w + m_c] += kernel[ki, kj]
    return out


def forward_partner(spec: LayerSpec) -> LayerSpec | None:
    """The convolution whose C, transposed, is this ``conv_transpose``'s matrix: same kernel,
    stride, padding and dilation, its input the transposed convolution's output. None when that
    convolution's output is not exactly this layer's input (an output_padding of a stride or
    more), so C would have extra rows."""
    if not spec.is_transposed:
        return None
    try:
        partner = LayerSpec(
            op="conv",
            input_size=geometry.output_size(spec),
            kernel_size=spec.kernel_size,
            stride=spec.stride,
            padding=spec.pads,
            dilation=spec.dilation,
        )
    except SpecError:
        return None
    return partner if geometry.output_size(partner) == spec.input_size else None


# -- im2col ------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Im2col:
    """The patches as columns and the kernel as a row: ``row @ patches`` is the output.

    For a ``conv_transpose`` the patches are read from its drawn grid (zeros inserted between
    the inputs, the border padded) and the row is its kernel rotated, the direct convolution the
    guide draws; an average pool's row is ones and each column is divided by its count.
    """

    patches: np.ndarray  # (kh * kw, n_out) the drawn-grid values under every window
    row: np.ndarray  # (kh * kw,) the kernel (flipped as the direct convolution needs)
    divisor: np.ndarray  # (n_out,) 1 for convolutions, the pool's count for avg_pool
    output: np.ndarray  # (n_out,) row @ patches / divisor
    taps_real: np.ndarray  # (kh * kw, n_out) bool: the tap reads an input cell, not a zero


def im2col(spec: LayerSpec, x: np.ndarray, kernel: np.ndarray | None, flip: bool = False) -> Im2col:
    """The im2col form of the layer on input ``x`` (H, W)."""
    check_linear(spec)
    lay = geometry.layout(spec)
    grid = geometry.drawn_values(spec, np.asarray(x, dtype=np.float64)[None])[0]
    n = lay.n_frames
    taps = len(lay.tap_offsets)
    patches = np.zeros((taps, n))
    real = np.zeros((taps, n), bool)
    divisor = np.ones(n)
    for window in lay.windows():
        rows, cols = window.taps[:, 0], window.taps[:, 1]
        patches[:, window.index] = grid[rows, cols]
        real[:, window.index] = lay.source[rows, cols, 0] >= 0
        if spec.op == "avg_pool":
            roles = lay.roles[rows, cols]
            counted = roles == Role.INPUT
            if spec.count_include_pad:
                counted |= roles == Role.PADDING
            divisor[window.index] = counted.sum()
    if spec.op == "avg_pool":
        row = np.ones(taps)
    else:
        assert kernel is not None
        used = used_kernel(np.asarray(kernel, dtype=np.float64), flip)
        if spec.is_transposed:
            used = used[::-1, ::-1]
        row = used.ravel()
    return Im2col(patches, row, divisor, row @ patches / divisor, real)


def matrix_shape(spec: LayerSpec) -> Pair:
    """(rows, columns) of C, from the sizes alone."""
    ho, wo = geometry.output_size(spec)
    h, w = spec.input_size
    return (ho * wo, h * w)
