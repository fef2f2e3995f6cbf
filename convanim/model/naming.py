"""Names of figures changed by flags, so that a figure never takes a name that is not its own.

A template overridden on the command line keeps its name with a suffix that lists what changed,
in field order (``padding_strides`` with ``--kernel 3x1`` is ``padding_strides-k3x1``); a figure
from a spec string or from flags alone is named after its fields (``conv_i5_k3_s1``). Both are
derived from the validated specs, so equal figures get equal names whatever the spelling.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any

from convanim.model.spec import FigureSpec, SequenceSpec

# Layer fields in the order they appear in names, with their short letters.
_LAYER = (
    ("op", ""),
    ("input_size", "i"),
    ("kernel_size", "k"),
    ("stride", "s"),
    ("padding", "p"),
    ("dilation", "d"),
    ("output_padding", "a"),
    ("padding_mode", ""),
    ("ceil_mode", ""),
    ("count_include_pad", ""),
    ("in_channels", "cin"),
    ("out_channels", "cout"),
    ("groups", "g"),
)
_FIGURE = (("view", ""), ("seed", "seed"), ("schematic", ""), ("frame_order", ""))
_WORDS = {
    ("ceil_mode", True): "ceil",
    ("ceil_mode", False): "floor",
    ("count_include_pad", True): "padcount",
    ("count_include_pad", False): "nopadcount",
    ("schematic", True): "schematic",
    ("schematic", False): "cells",
}


def _value(value: Any) -> str:
    if isinstance(value, tuple):
        if len(set(value)) == 1:
            return str(value[0])
        if len(value) == 4 and value[0] == value[1] and value[2] == value[3]:
            return f"{value[0]}x{value[2]}"  # (h, w) padding
        return "x".join(str(v) for v in value)
    return str(value)


def _token(field: str, letter: str, value: Any) -> str:
    if (field, value) in _WORDS:
        return _WORDS[(field, value)]
    if value is None:
        return f"{field}-default"
    return f"{letter}{_value(value)}"


def _fields(figure: FigureSpec) -> Iterable[tuple[str, str, Any]]:
    for field, letter in _LAYER:
        yield field, letter, getattr(figure.layer, field)
    for field, letter in _FIGURE:
        yield field, letter, getattr(figure, field)


def changes(before: FigureSpec, after: FigureSpec) -> list[str]:
    """The tokens of the fields in which ``after`` differs from ``before``, in field order."""
    old = {field: value for field, _, value in _fields(before)}
    return [
        _token(field, letter, value)
        for field, letter, value in _fields(after)
        if value != old[field]
    ]


def overridden(before: Any, after: Any) -> Any:
    """``after`` (``before`` with overrides applied) named ``before``'s name plus a suffix of
    what changed; unchanged when nothing did. Figures and sequences; others pass through."""
    if isinstance(before, FigureSpec) and isinstance(after, FigureSpec):
        tokens = changes(before, after)
    elif isinstance(before, SequenceSpec) and isinstance(after, SequenceSpec):
        tokens = []
        for old, new in zip(before.stages, after.stages):
            tokens += [t for t in changes(old, new) if t not in tokens]
    else:
        return after
    if not tokens:
        return after
    return dataclasses.replace(after, name=f"{before.name}-{'-'.join(tokens)}")


def spec_name(figure: FigureSpec, fields: Iterable[str]) -> str:
    """A name such as ``conv_i5_k3_s1`` for a figure given by ``fields`` (full field names, as
    a spec string or flags name them), with the figure's validated values."""
    wanted = set(fields)
    parts = [figure.layer.op]
    for field, letter, value in _fields(figure):
        if field in wanted and field != "op":
            parts.append(_token(field, letter, value))
    return "_".join(parts)
