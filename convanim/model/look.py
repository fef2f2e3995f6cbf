"""How frames look apart from the figure (``Look``), and which looks a target can honour.

A look option that would do nothing is an error, never ignored: ``check_target`` refuses the
options a figure cannot show (sums outside the numerical view), and ``check_format`` those a
format cannot store (transparency in MP4). Every other option applies to every figure kind
(``convanim.scene.pictures``).
``formula`` turns the caption strip on, since the formula is written in it. ``check_given``
does the same for figure keys set explicitly (flags): a seed no number shows, a frame order
for a figure with one channel.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from convanim.errors import SpecError
from convanim.model.sizes import is_int

if TYPE_CHECKING:
    pass

# Formats whose files keep an alpha channel (``frames`` is a folder of PNGs).
_ALPHA_FORMATS = ("gif", "apng", "webp", "frames", "svg", "html", "pdf")
# What a comparison's shorter members do once they have finished: start again, or hold.
SYNCS = ("loop", "hold")


@dataclass(frozen=True)
class Look:
    """How frames look, apart from the figure: theme, size, labels, background.

    ``theme`` is a built-in name or a theme file (see ``convanim.catalog.themes.load_theme``);
    ``labels`` None means on for comparisons and off otherwise, and on whenever ``formula`` is
    set. ``max_size`` bounds the longer side of a figure drawn at ``scale`` 1 (big grids get
    smaller cells); ``scale`` multiplies that drawing and ``width`` fits it, bounded only by
    the pixel budget (``convanim.scene.budget``). ``crisp`` draws without antialiasing.
    """

    theme: str = "classic"
    transparent: bool = False
    scale: float = 1.0
    width: int | None = None
    font_scale: float = 1.0
    labels: bool | None = None
    formula: bool = False
    sums: bool = False
    max_size: int = 800
    sync: str | None = None  # comparisons: "loop" (the default) or "hold"
    crisp: bool = False  # no antialiasing: every pixel one flat colour (the smallest GIFs)

    def __post_init__(self) -> None:
        if not isinstance(self.theme, str) or not self.theme:
            raise SpecError("theme", f"{self.theme!r} is not a theme name or file")
        for name in ("transparent", "formula", "sums", "crisp"):
            if not isinstance(getattr(self, name), bool):
                raise SpecError(
                    name, f"{getattr(self, name)!r} is not allowed; must be true or false"
                )
        if self.labels is not None and not isinstance(self.labels, bool):
            raise SpecError("labels", f"{self.labels!r} is not allowed; must be true or false")
        if self.formula:
            if self.labels is False:
                raise SpecError(
                    "formula",
                    "is written in the caption strip, which labels = false (--no-labels) turns off",
                )
            object.__setattr__(self, "labels", True)
        for name, low, high in (("scale", 0.2, 5.0), ("font_scale", 0.25, 4.0)):
            value = getattr(self, name)
            if (
                not isinstance(value, (int, float))
                or isinstance(value, bool)
                or not low <= value <= high
            ):
                raise SpecError(
                    name, f"{value!r} is not allowed; must be a number from {low} to {high}"
                )
        if self.width is not None and (not is_int(self.width) or not 64 <= self.width <= 8000):
            raise SpecError("width", f"{self.width!r} is not allowed; must be 64 to 8000 pixels")
        if self.sync is not None and self.sync not in SYNCS:
            raise SpecError(
                "sync", f"{self.sync!r} is not allowed; must be one of {', '.join(SYNCS)}"
            )
        if not is_int(self.max_size) or self.max_size < 64:
            raise SpecError(
                "max_size", f"{self.max_size!r} is not allowed; must be at least 64 pixels"
            )

    def check_target(self, target: Any) -> None:
        """Raise ``SpecError`` naming the first option this look sets that ``target`` (a
        figure, comparison or sequence) would not show."""
        from convanim.model.spec import CompareSpec, SequenceSpec

        if self.sync is not None and not isinstance(target, CompareSpec):
            raise SpecError(
                "sync",
                "decides what the shorter animations of a comparison do; this figure is not a "
                "comparison",
            )
        if isinstance(target, SequenceSpec):
            members = target.stages
        else:
            members = target.members if isinstance(target, CompareSpec) else (target,)
        if self.sums and not any(m.view == "numerical" for m in members):
            view = members[0].view
            raise SpecError(
                "sums",
                f"shows the numerical view's sum of products; this figure's view is {view!r} "
                "(use view = numerical, --view numerical)",
            )

    def shared_for(self, target: Any) -> Look:
        """This look as set for many figures at once (the gallery, a manifest's defaults) and
        applied to ``target``: options that only some kinds of figure have are left out for
        the others."""
        from convanim.model.spec import CompareSpec

        if self.sync is not None and not isinstance(target, CompareSpec):
            return dataclasses.replace(self, sync=None)
        return self

    def check_format(self, format_name: str) -> None:
        """Raise ``SpecError`` if the writer ``format_name`` cannot store what this look asks."""
        if self.transparent and format_name not in _ALPHA_FORMATS:
            raise SpecError(
                "transparent",
                f"{format_name} has no transparency; write .gif, .png, .webp, .svg, .html, "
                ".pdf or PNG frames, "
                "or leave transparency off",
            )


def check_given(figure: Any, given: Collection[str]) -> None:
    """Raise ``SpecError`` if a figure key named in ``given`` (set explicitly, as by a flag)
    would change nothing in ``figure``; a template's own keys are not checked."""
    from convanim.model.spec import FigureSpec, wants_channel_view

    if not isinstance(figure, FigureSpec) or wants_channel_view(figure):
        return
    if "frame_order" in given:
        raise SpecError(
            "frame_order", "orders the frames of channel figures; this figure has one channel"
        )
    if "seed" in given and figure.view not in ("numerical", "matrix", "im2col"):
        raise SpecError(
            "seed",
            f"picks the example numbers, which only the numerical view shows; this figure's "
            f"view is {figure.view!r}",
        )
