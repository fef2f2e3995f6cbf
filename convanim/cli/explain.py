"""``convanim explain``: a figure's arithmetic in words, its matrix, or a sequence's receptive
field, printed (the reports themselves are ``convanim.explain``'s)."""

from __future__ import annotations

import functools
from typing import Any

import click

from convanim.cli.figures import _layer_options, _resolve_named, _resolve_ref
from convanim.cli.figures import complete_templates as _complete_templates
from convanim.cli.report import _reported
from convanim.errors import SpecError


@click.command()
@click.argument("figures", nargs=-1, required=True, shell_complete=_complete_templates)
@functools.partial(_layer_options, seed=False)
@click.option("--matrix", is_flag=True, help="Print the layer's matrix C (y = C x), one channel.")
@click.option(
    "--receptive-field",
    is_flag=True,
    help="Print each layer's receptive field (rf, jump, start) of a sequence or of SPECS.",
)
@click.option("--json", "as_json", is_flag=True, help="With --matrix or --receptive-field: JSON.")
@click.option("--alt", is_flag=True, help="Print only the figure's alt text (its description).")
def explain(
    figures: tuple[str, ...],
    matrix: bool,
    receptive_field: bool,
    as_json: bool,
    alt: bool,
    **flags: Any,
) -> None:
    """Explain FIGURE (a template or spec string): output size with the formula, frame count,
    and the PyTorch and Keras layers that compute it. Flags change the figure as in render.

    --matrix prints C with y = C x (PyTorch's semantics; --json: {"weight", "matrix", ...},
    where matrix @ x.ravel() is the output when the layer has that weight; a conv_transpose's
    weight in ConvTranspose2d's layout). --receptive-field takes a sequence template or several
    spec strings, later ones without an input size (chained), and prints rf, jump and start
    per layer (--json: a list of {"rf", "jump", "start"}, each [h, w]; start is the input
    index of the centre of output cell 0's field). --flip: a true convolution (kernel rotated).

    \b
    Examples:
      convanim explain conv:i4,k3 --matrix --json
      convanim explain conv:i9,k3 conv:k3 conv:k3 --receptive-field
      convanim explain compare_3x3_vs_1x1 --alt   # only the alt text
    """
    from convanim.explain import explain as explain_figure
    from convanim.explain import explain_matrix, explain_receptive_field, numbers_shown

    given = {k: v for k, v in flags.items() if v is not None}
    flags_used = {"matrix": matrix, "receptive_field": receptive_field, "json": as_json}
    with _reported(set(given) | {k for k, v in flags_used.items() if v}):
        if matrix and receptive_field:
            raise SpecError("matrix", "and --receptive-field are separate reports; give one")
        if as_json and not (matrix or receptive_field):
            raise SpecError("json", "prints --matrix or --receptive-field; add one of them")
        if receptive_field:
            if given:
                raise SpecError(
                    next(iter(given)), "with --receptive-field, write the layers as spec strings"
                )
            click.echo(explain_receptive_field(figures, _resolve_ref, as_json))
            return
        if len(figures) > 1:
            raise SpecError(
                "figure",
                f"explain takes one FIGURE, got {len(figures)}; several spec strings "
                "only with --receptive-field",
            )
        flip = given.pop("flip", None)
        try:
            # The matrix is the matrix view's (a flip in a spec string needs a numbers view).
            target = _resolve_named(figures[0], {"view": "matrix", **given} if matrix else given)
        except SpecError as exc:
            if not matrix or exc.field != "view" or "view" in given:
                raise
            raise SpecError("matrix", str(exc).split(": ", 1)[1]) from None
        if matrix or flip is not None:
            target = numbers_shown(target, flip, matrix)
        if alt:
            from convanim.scene.describe import alt_text

            click.echo(alt_text(target))
            return
        if matrix:
            click.echo(explain_matrix(target, as_json))
            return
        click.echo(explain_figure(target))
