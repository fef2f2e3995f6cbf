"""The rules of the views that read a layer as numbers: the matrix and im2col views (one
channel, a linear layer), the kernel flip (true convolution), and the sequence views.

``convanim.model.spec`` asks these when a figure or a sequence is made; the arithmetic lives in
``convanim.ops.matrix`` and ``convanim.ops.receptive``. Standard library only.
"""

from __future__ import annotations

from typing import Any, Protocol

from convanim.errors import SpecError


class _Layer(Protocol):
    """What these rules read of a ``convanim.model.spec.LayerSpec`` (which imports this
    module, so it is named by shape, not imported)."""

    op: str
    in_channels: int
    out_channels: int

    @property
    def is_pool(self) -> bool: ...


# Views of one channel's numbers as matrices (convanim.scene.matrix, convanim.scene.im2col).
MATRIX_VIEWS = ("matrix", "im2col")
# A sequence is drawn stage by stage, or as the receptive field of its last layer's cells.
SEQUENCE_VIEWS = ("stages", "receptive_field")
# The views that show the kernel's numbers, where a flip changes something.
NUMBER_VIEWS = ("numerical", *MATRIX_VIEWS)


def check_linear(spec: _Layer, field: str = "view") -> None:
    """Raise ``SpecError`` unless ``spec`` is a single-channel linear layer: one whose output
    is a matrix times the input (the matrix and im2col views, ``explain --matrix``)."""
    if spec.op == "max_pool":
        raise SpecError(
            field,
            "max_pool is not linear (the maximum picks a cell per input), so it has no matrix; "
            "use conv, conv_transpose or avg_pool",
        )
    if spec.in_channels != 1 or spec.out_channels != 1:
        raise SpecError(
            field,
            f"the matrix is drawn for one channel; this layer has {spec.in_channels} -> "
            f"{spec.out_channels} channels (use in_channels = out_channels = 1)",
        )


def check_flip(flip: Any, layer: _Layer, view: str) -> bool:
    """``flip`` as a bool, or ``SpecError`` where rotating the kernel would change nothing."""
    if isinstance(flip, str) and flip.strip().lower() in ("true", "false"):
        flip = flip.strip().lower() == "true"
    if not isinstance(flip, bool):
        raise SpecError("flip", f"{flip!r} is not allowed; must be true or false")
    if not flip:
        return False
    if layer.is_pool:
        raise SpecError("flip", f"{layer.op} has no kernel to rotate; flip is for conv")
    if view not in NUMBER_VIEWS:
        raise SpecError(
            "flip",
            f"changes the numbers, which the {view} view does not show; use "
            "view = numerical, matrix or im2col",
        )
    return True


def check_view(view: Any, views: tuple[str, ...]) -> str:
    """A single figure's ``view``, normalised, or ``SpecError`` listing ``views``."""
    if isinstance(view, str):
        view = view.strip().lower()
    if view == "receptive_field":
        raise SpecError(
            "view",
            "'receptive_field' is a view of a sequence of layers (a template with "
            "[[sequence]] tables); a single figure's views are " + ", ".join(views),
        )
    if view not in views:
        raise SpecError("view", f"{view!r} is not one of {', '.join(views)}")
    return view


def check_number_view(figure: Any, views: tuple[str, ...]) -> bool:
    """What the matrix views and the flip ask of a figure (its view already checked and its
    schematic normalised); returns its ``flip`` as a bool."""
    if figure.view in MATRIX_VIEWS:
        check_linear(figure.layer)
        if figure.schematic:
            raise SpecError(
                "schematic", f"is for channel figures; the {figure.view} view draws every cell"
            )
    return check_flip(figure.flip, figure.layer, figure.view)
