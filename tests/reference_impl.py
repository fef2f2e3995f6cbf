"""A deliberately naive reference for the numbers convanim computes: plain Python loops only.

Written from PyTorch's documented semantics (and its CPU kernels' rules for pooling), without
reading or importing ``convanim.ops.geometry``, so that agreeing with it means something. Layouts
are PyTorch's: ``x`` is (C_in, H, W); a conv weight is (C_out, C_in / groups, kh, kw); a transposed
conv weight is (C_in, C_out / groups, kh, kw). Convolutions are cross-correlations (no flip).
Padding is per side, (top, bottom, left, right). Speed is not a goal; clarity is."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

Pads = tuple[int, int, int, int]  # top, bottom, left, right


# -- sizes ---------------------------------------------------------------------------------------


def conv_output_length(n: int, k: int, s: int, lo: int, hi: int, d: int = 1) -> int:
    """PyTorch Conv2d: floor((n + lo + hi - d * (k - 1) - 1) / s) + 1."""
    return math.floor((n + lo + hi - d * (k - 1) - 1) / s) + 1


def conv_transpose_output_length(
    n: int, k: int, s: int, lo: int, hi: int, d: int = 1, a: int = 0
) -> int:
    """PyTorch ConvTranspose2d: (n - 1) * s - lo - hi + d * (k - 1) + a + 1."""
    return (n - 1) * s - lo - hi + d * (k - 1) + a + 1


def pool_output_length(
    n: int, k: int, s: int, lo: int, hi: int, d: int = 1, ceil_mode: bool = False
) -> int:
    """PyTorch pooling: floor or ceil of (n + lo + hi - d * (k - 1) - 1) / s, plus 1; in ceil
    mode a last window that would start in the bottom/right padding is dropped."""
    span = (n + lo + hi - d * (k - 1) - 1) / s
    out = (math.ceil(span) if ceil_mode else math.floor(span)) + 1
    if ceil_mode and (out - 1) * s >= n + lo:
        out -= 1
    return out


def resolve_padding(word: str, n: int, k: int, s: int, d: int = 1) -> tuple[int, int]:
    """(before, after) padding of one axis for "valid", "same" (TensorFlow) or "full"."""
    extent = d * (k - 1) + 1
    if word == "valid":
        return (0, 0)
    if word == "full":
        return (extent - 1, extent - 1)
    if word == "same":
        # TensorFlow's documented rule; the odd unit of padding goes after (bottom/right).
        total = max(extent - s, 0) if n % s == 0 else max(extent - n % s, 0)
        return (total // 2, total - total // 2)
    raise ValueError(f"unknown padding word {word!r}")


def resolve_pads(
    padding: str | Sequence[int],
    input_size: Sequence[int],
    kernel_size: Sequence[int],
    stride: Sequence[int],
    dilation: Sequence[int],
) -> Pads:
    """The (top, bottom, left, right) padding for a word or a 4-sequence."""
    if isinstance(padding, str):
        top, bottom = resolve_padding(
            padding, input_size[0], kernel_size[0], stride[0], dilation[0]
        )
        left, right = resolve_padding(
            padding, input_size[1], kernel_size[1], stride[1], dilation[1]
        )
        return (top, bottom, left, right)
    top, bottom, left, right = padding
    return (top, bottom, left, right)


# -- padding modes -------------------------------------------------------------------------------


def source_index(j: int, n: int, mode: str) -> int | None:
    """Which input index position ``j`` (may lie outside 0..n-1) shows; None for a zero."""
    if 0 <= j < n:
        return j
    if mode == "zeros":
        return None
    if mode == "replicate":  # the nearest edge value
        return 0 if j < 0 else n - 1
    if mode == "reflect":  # mirrored about the edge cell, which is not repeated
        return -j if j < 0 else 2 * (n - 1) - j
    if mode == "circular":  # wraps around
        return j % n
    raise ValueError(f"unknown padding mode {mode!r}")


def _lists(*arrays: np.ndarray) -> list[list]:
    # Nested Python lists: plain indexing, and much faster than numpy scalar access in loops.
    return [np.asarray(a, dtype=np.float64).tolist() for a in arrays]


# -- layers --------------------------------------------------------------------------------------


def conv2d(
    x: np.ndarray,
    weight: np.ndarray,
    stride: Sequence[int] = (1, 1),
    pads: Pads = (0, 0, 0, 0),
    dilation: Sequence[int] = (1, 1),
    groups: int = 1,
    padding_mode: str = "zeros",
) -> np.ndarray:
    """torch.nn.functional.conv2d (after F.pad with ``padding_mode``), one sample, no bias."""
    c_in, h, w = np.shape(x)
    c_out, cin_g, kh, kw = np.shape(weight)
    assert cin_g * groups == c_in and c_out % groups == 0
    cout_g = c_out // groups
    (sh, sw), (dh, dw) = stride, dilation
    top, bottom, left, right = pads
    ho = conv_output_length(h, kh, sh, top, bottom, dh)
    wo = conv_output_length(w, kw, sw, left, right, dw)
    xs, ws = _lists(x, weight)
    out = [[[0.0] * wo for _ in range(ho)] for _ in range(c_out)]
    for oc in range(c_out):
        group = oc // cout_g
        for oh in range(ho):
            for ow in range(wo):
                total = 0.0
                for ic in range(cin_g):
                    channel = group * cin_g + ic
                    for ki in range(kh):
                        r = source_index(oh * sh + ki * dh - top, h, padding_mode)
                        if r is None:
                            continue
                        for kj in range(kw):
                            c = source_index(ow * sw + kj * dw - left, w, padding_mode)
                            if c is None:
                                continue
                            total += xs[channel][r][c] * ws[oc][ic][ki][kj]
                out[oc][oh][ow] = total
    return np.array(out, dtype=np.float64).reshape(c_out, ho, wo)


def conv_transpose2d(
    x: np.ndarray,
    weight: np.ndarray,
    stride: Sequence[int] = (1, 1),
    pads: Pads = (0, 0, 0, 0),
    output_padding: Sequence[int] = (0, 0),
    dilation: Sequence[int] = (1, 1),
    groups: int = 1,
) -> np.ndarray:
    """torch.nn.functional.conv_transpose2d, one sample, no bias, with padding per side.

    Output cell (oh, ow) gathers every input cell (ih, iw) and tap (ki, kj) with
    ih * s + ki * d - top == oh (and likewise for columns): the adjoint of conv2d. Padding crops
    the full result per side; output_padding adds rows/columns at the bottom/right.
    """
    c_in, h, w = np.shape(x)
    w_in, cout_g, kh, kw = np.shape(weight)
    assert w_in == c_in and c_in % groups == 0
    cin_g = c_in // groups
    c_out = cout_g * groups
    (sh, sw), (dh, dw) = stride, dilation
    top, bottom, left, right = pads
    ah, aw = output_padding
    ho = conv_transpose_output_length(h, kh, sh, top, bottom, dh, ah)
    wo = conv_transpose_output_length(w, kw, sw, left, right, dw, aw)
    xs, ws = _lists(x, weight)
    out = [[[0.0] * wo for _ in range(ho)] for _ in range(c_out)]
    for oc in range(c_out):
        group, oc_g = divmod(oc, cout_g)
        for oh in range(ho):
            for ow in range(wo):
                total = 0.0
                for ic in range(cin_g):
                    channel = group * cin_g + ic
                    for ki in range(kh):
                        num_r = oh + top - ki * dh
                        if num_r % sh or not 0 <= num_r // sh < h:
                            continue
                        for kj in range(kw):
                            num_c = ow + left - kj * dw
                            if num_c % sw or not 0 <= num_c // sw < w:
                                continue
                            total += (
                                xs[channel][num_r // sh][num_c // sw] * ws[channel][oc_g][ki][kj]
                            )
                out[oc][oh][ow] = total
    return np.array(out, dtype=np.float64).reshape(c_out, ho, wo)


def max_pool2d(
    x: np.ndarray,
    kernel_size: Sequence[int],
    stride: Sequence[int],
    pads: Pads = (0, 0, 0, 0),
    dilation: Sequence[int] = (1, 1),
    ceil_mode: bool = False,
) -> np.ndarray:
    """torch.nn.functional.max_pool2d: padding cells are never candidates (-inf, as PyTorch's
    kernel starts from), nor are cells past the input reached in ceil mode."""
    c_in, h, w = np.shape(x)
    (kh, kw), (sh, sw), (dh, dw) = kernel_size, stride, dilation
    top, bottom, left, right = pads
    ho = pool_output_length(h, kh, sh, top, bottom, dh, ceil_mode)
    wo = pool_output_length(w, kw, sw, left, right, dw, ceil_mode)
    (xs,) = _lists(x)
    out = [[[0.0] * wo for _ in range(ho)] for _ in range(c_in)]
    for c in range(c_in):
        for oh in range(ho):
            for ow in range(wo):
                best = -math.inf
                for ki in range(kh):
                    r = oh * sh + ki * dh - top
                    for kj in range(kw):
                        col = ow * sw + kj * dw - left
                        if 0 <= r < h and 0 <= col < w and xs[c][r][col] > best:
                            best = xs[c][r][col]
                out[c][oh][ow] = best
    return np.array(out, dtype=np.float64).reshape(c_in, ho, wo)


def avg_pool2d(
    x: np.ndarray,
    kernel_size: Sequence[int],
    stride: Sequence[int],
    pads: Pads = (0, 0, 0, 0),
    ceil_mode: bool = False,
    count_include_pad: bool = True,
) -> np.ndarray:
    """torch.nn.functional.avg_pool2d with PyTorch's divisor rule.

    The sum is over real input cells (padding adds zeros). The divisor is, with
    count_include_pad, the window clipped to the padded input (a ceil-mode window's part past
    the padding is not counted); without it, the number of real input cells in the window.
    """
    c_in, h, w = np.shape(x)
    (kh, kw), (sh, sw) = kernel_size, stride
    top, bottom, left, right = pads
    ho = pool_output_length(h, kh, sh, top, bottom, 1, ceil_mode)
    wo = pool_output_length(w, kw, sw, left, right, 1, ceil_mode)
    (xs,) = _lists(x)
    out = [[[0.0] * wo for _ in range(ho)] for _ in range(c_in)]
    for c in range(c_in):
        for oh in range(ho):
            for ow in range(wo):
                r0, c0 = oh * sh - top, ow * sw - left
                r1, c1 = min(r0 + kh, h + bottom), min(c0 + kw, w + right)
                padded_count = (r1 - r0) * (c1 - c0)
                total, real_count = 0.0, 0
                for r in range(max(r0, 0), min(r1, h)):
                    for col in range(max(c0, 0), min(c1, w)):
                        total += xs[c][r][col]
                        real_count += 1
                out[c][oh][ow] = total / (padded_count if count_include_pad else real_count)
    return np.array(out, dtype=np.float64).reshape(c_in, ho, wo)
