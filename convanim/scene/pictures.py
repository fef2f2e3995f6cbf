"""The one place where a request becomes a picture: any target (a figure, a comparison, a
sequence) and a ``Look`` give one display list.

Every look option reaches every figure kind here. Single-layer figures lay themselves out at
the size the look asks for (whole-pixel projection, ``convanim.scene.planar``); channel figures and
sequences are laid out at their natural size, with the look's font scale, then scaled as a
whole and given the caption strip (the parameter line and, with ``formula``, the output-size
formula) that planar figures draw themselves. Transparency and the theme's colours are the
backend's to apply. numpy only.
"""

from __future__ import annotations

import dataclasses

from convanim.model.look import Look
from convanim.model.spec import CompareSpec, FigureSpec, SequenceSpec, wants_channel_view
from convanim.model.views import MATRIX_VIEWS
from convanim.scene.compose import scaled, side_by_side, with_strip
from convanim.scene.display import Picture, TextMetrics
from convanim.scene.planar import picture as planar_picture
from convanim.scene.words import caption_lines, printable

# The channel views and sequences (convanim.scene.sequence, .channel_plan, .volume, ...) are
# imported where they are drawn: a planar figure's short render does not load them.

Target = FigureSpec | CompareSpec | SequenceSpec


def picture_for(
    target: Target, look: Look | None = None, metrics: TextMetrics | None = None
) -> Picture:
    """The display list of ``target`` drawn with ``look``."""
    look = look or Look()
    metrics = metrics or TextMetrics()
    if isinstance(target, CompareSpec):
        # Comparisons are labelled unless labels were turned off; the width fits the whole.
        member_look = dataclasses.replace(look, labels=look.labels is not False, width=None)
        # The members' parameter lines go in one row under their labels, at one height.
        members = [_figure(m, member_look, metrics, captions=False) for m in target.members]
        headings = [
            caption_lines(m.layer, look.formula, m.flip) if member_look.labels else []
            for m in target.members
        ]
        sync = look.sync or "loop"
        pic = side_by_side(
            members, target.labels, look.scale, look.font_scale, sync, metrics, headings
        )
        if target.caption and look.labels is not False:
            from convanim.scene.sequence import CAPTION

            size = CAPTION * look.scale * look.font_scale
            pic = with_strip(pic, lambda i: [printable(target.caption)], size, constant=True)
        return _fit_width(pic, look)
    if isinstance(target, SequenceSpec) and target.view == "receptive_field":
        from convanim.scene import receptive

        return receptive.picture(target, look, metrics)
    if isinstance(target, SequenceSpec):
        from convanim.scene.sequence import picture as sequence_picture

        pic = sequence_picture(target, metrics, look)
        return _fit_width(scaled(pic, look.scale) if look.width is None else pic, look)
    return _figure(target, look, metrics)


def _figure(figure: FigureSpec, look: Look, metrics: TextMetrics, captions: bool = True) -> Picture:
    if figure.view in MATRIX_VIEWS:
        from convanim.scene import im2col, matrix

        return (matrix if figure.view == "matrix" else im2col).picture(figure, look, metrics)
    if not wants_channel_view(figure):
        return planar_picture(figure, look, metrics, captions)
    from convanim.scene.channel_plan import build_channel_scene
    from convanim.scene.sequence import CAPTION, channel_picture

    pic, _ = channel_picture(build_channel_scene(figure), metrics, None, look.font_scale)
    if look.labels and captions:
        lines = caption_lines(figure.layer, look.formula, figure.flip)
        pic = with_strip(pic, lambda i: lines, CAPTION * look.font_scale, constant=True)
    return _fit_width(scaled(pic, look.scale) if look.width is None else pic, look)


def _fit_width(pic: Picture, look: Look) -> Picture:
    return pic if look.width is None else scaled(pic, look.width / pic.width)
