"""``convanim compare``: figures side by side in one animation, frames in lockstep."""

from __future__ import annotations

from typing import Any

import click

from convanim.cli.export import export, output_options
from convanim.cli.figures import _resolve_ref
from convanim.cli.figures import complete_templates as _complete_templates
from convanim.cli.report import _reported
from convanim.errors import SpecError


@click.command()
@click.argument("figures", nargs=-1, required=True, shell_complete=_complete_templates)
@click.option("--label", "labels_", multiple=True, help="One label per figure (repeat).")
@output_options
def compare(figures: tuple[str, ...], labels_: tuple[str, ...], **out: Any) -> None:
    """Show FIGURES side by side in one animation, frames in lockstep.

    Each figure is a template name or a spec string such as conv:i5,k1,s2 (see 'convanim
    render --help'). A single comparison template (e.g. compare_3x3_vs_1x1) works too.

    \b
    Examples:
      convanim compare compare_3x3_vs_1x1
      convanim compare conv:i5,k3 conv:i5,k1 --label 3x3 --label 1x1
      convanim compare padding_strides dilation --scale 0.5 -o small.webp
    """
    from convanim.model.spec import CompareSpec, FigureSpec

    with _reported({k for k, v in out.items() if v is not None}):
        resolved = [_resolve_ref(ref) for ref in figures]
        if len(resolved) == 1 and isinstance(resolved[0], CompareSpec):
            target = resolved[0]
        else:
            members: list[FigureSpec] = []
            for ref, item in zip(figures, resolved):
                if not isinstance(item, FigureSpec):
                    raise SpecError("compare", f"{ref!r} is not a single figure; name figures only")
                members.append(item)
            names = labels_ or tuple(_short_label(m) for m in members)
            target = CompareSpec(
                tuple(members), tuple(names), name="_vs_".join(m.name for m in members)
            )
        export(target, out)


def _short_label(figure: Any) -> str:
    kh, kw = figure.layer.kernel_size
    return f"{kh}x{kw}"
