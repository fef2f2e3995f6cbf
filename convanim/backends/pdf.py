"""The PDF backend: a ``Picture`` as a multi-page vector PDF, one page per step, drawn by
matplotlib's PDF backend through the same artists as every matplotlib drawing
(``convanim.backends.mpl.artist``). Nothing is rasterised, so LaTeX's ``animate`` package can
play the pages (``\\animategraphics``). A pixel of the display list is a point; metadata is
pinned, so the same picture gives the same bytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import BinaryIO

from matplotlib import rc_context
from matplotlib.backends.backend_pdf import FigureCanvasPdf, PdfPages
from matplotlib.figure import Figure
from matplotlib.transforms import Affine2D

from convanim.backends.mpl import artist, rgba
from convanim.model.themes import Theme
from convanim.scene.display import Picture, in_depth_order


def write_pages(
    picture: Picture,
    theme: Theme,
    order: Sequence[int],
    out: BinaryIO,
    transparent: bool = False,
) -> int:
    """Write one page per entry of ``order`` (a frame index) to ``out``; returns the pages."""
    width, height = picture.size
    meta = {"CreationDate": None, "Producer": None, "Creator": "convanim"}
    with rc_context({"pdf.compression": 6}), PdfPages(out, metadata=meta) as pages:
        for index in order:
            figure = Figure(figsize=(width / 72, height / 72), dpi=72)
            FigureCanvasPdf(figure)
            face = rgba(theme, picture.background, 0.0 if transparent else 1.0)
            figure.patch.set_facecolor(face)
            transform = (
                Affine2D().scale(1, -1).translate(0, height).scale(1 / 72) + figure.dpi_scale_trans
            )
            prims = [*picture.static, *picture.frame(index)]
            for prim in in_depth_order(prims):
                figure.add_artist(artist(prim, theme, transform, figure))
            pages.savefig(figure, facecolor=face)
    return len(order)
