"""``convanim render``: one figure, from a template, a spec string or flags alone, written by
``convanim.cli.export``."""

from __future__ import annotations

from typing import Any

import click

from convanim.cli.export import export, output_options, split_output_flags
from convanim.cli.figures import _layer_options, _named_after, _resolve_named
from convanim.cli.figures import complete_templates as _complete_templates
from convanim.cli.report import _reported


@click.command()
@click.argument("template", required=False, shell_complete=_complete_templates)
@_layer_options
@output_options
def render(template: str | None, **flags: Any) -> None:
    """Render one figure: a TEMPLATE name, a spec string, or flags alone.

    Flags override the template's values, and the name then says so: padding_strides with
    --kernel 3x1 is padding_strides-k3x1. Without -o the file goes to output/NAME.gif.

    \b
    Spec strings: OP:FIELD,FIELD,...  (OP: conv conv_transpose max_pool avg_pool)
      i5 i5x7        input size (height x width)
      k3 k3x1        kernel size
      s2             stride
      p1 p1x2 psame  padding; four sides: p0x1x0x1 (top x bottom x left x right)
      d2             dilation
      a1             output padding (conv_transpose)
      cin3 cout4     input and output channels
      groups=2       groups (or g2)
      name=value     any field or figure key: padding_mode=reflect, seed=2
    A size is an integer or HxW; a flag's padding may be 1,2 or 0,1,0,1.
    A dangling, doubled or mixed separator (3x  3,  1,,2) is an error.

    \b
    Examples:
      convanim render padding_strides
      convanim render conv:i5,k3,s2,p1 --view numerical --formula -o conv.gif
      convanim render --op max_pool --input 6 --kernel 2 --storyboard pool.pdf
    """
    from convanim.model.look import check_given
    from convanim.model.spec import FigureSpec

    out = split_output_flags(flags)
    given = {k: v for k, v in flags.items() if v is not None}
    with _reported(set(given) | {k for k, v in out.items() if v is not None}):
        if template:
            target = _resolve_named(template, given)
        else:
            target = FigureSpec.from_mapping({"name": "figure", **given})
            target = _named_after(target, given)
        check_given(target, set(given))
        export(target, out)
