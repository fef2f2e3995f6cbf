"""What each frame of a figure shows, in grid cells and numbers: no pixels, no matplotlib.

A ``Scene`` is the bridge between the geometry (``convanim.ops.geometry``) and the renderer: the
drawn input grid and what every cell is, the output grid, and per frame the kernel's taps, its
bounding box and the output cell it writes. Numerical scenes also carry the values shown.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from convanim.model.spec import FigureSpec, LayerSpec, Pair
from convanim.ops import geometry
from convanim.ops.geometry import Layout


@dataclass(frozen=True, eq=False)
class FrameState:
    """The moving parts of one frame."""

    index: int
    out: Pair  # output cell (row, col)
    taps: np.ndarray  # (n, 2) drawn-grid cells under the kernel
    box: tuple[int, int, int, int]  # footprint bounding box: row0, col0, row1, col1 (exclusive)
    tap_weights: np.ndarray | None  # (n,) the weight shown at each tap (numerical conv views)


@dataclass(frozen=True, eq=False)
class Scene:
    """Everything a figure draws, in cells."""

    spec: LayerSpec
    view: str
    layout: Layout
    input_values: np.ndarray | None  # (H, W) values on the drawn grid (numerical view)
    output_values: np.ndarray | None  # (H_out, W_out) (numerical view)
    kernel_weights: np.ndarray | None  # (kh, kw) as shown over the drawn grid
    flip: bool = False  # a true convolution: the kernel shown is rotated by 180 degrees

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
    def n_frames(self) -> int:
        return self.layout.n_frames

    def frame(self, index: int) -> FrameState:
        window = self.layout.window(index)
        weights = None if self.kernel_weights is None else self.kernel_weights.ravel()
        return FrameState(index, window.out, window.taps, window.box, weights)

    def frames(self) -> Iterator[FrameState]:
        for index in range(self.n_frames):
            yield self.frame(index)


def build_scene(figure: FigureSpec) -> Scene:
    """Compute the scene of a single-layer figure."""
    spec = figure.layer
    lay = geometry.layout(spec)
    input_values = output_values = kernel = None
    if figure.view == "numerical":
        x, weight = geometry.example_values(spec, seed=figure.seed)
        if figure.flip and weight is not None:
            # True convolution: the kernel rotated by 180 degrees is what slides (and is shown).
            weight = weight[..., ::-1, ::-1].copy()
        # The numbers of the first channel pair are shown; channels get their own view.
        input_values = geometry.drawn_values(spec, x)[0]
        # A number is shown where it takes part: not in padding a pool does not count, nor past
        # the input (ceil_mode) or in a cropped border.
        input_values[~geometry.counted(spec, lay)] = np.nan
        output_values = geometry.evaluate(spec, x, weight)[0]
        if weight is not None:
            if spec.is_transposed:
                # The drawn grid is a direct convolution, which needs the flipped kernel.
                weight = geometry.transposed_as_conv_weight(spec, weight)
            kernel = weight[0, 0]
    return Scene(spec, figure.view, lay, input_values, output_values, kernel, figure.flip)
