"""One grammar for sizes, pairs and four-sided padding, shared by flags, spec strings and TOML.

A value is a whole number (``3``), or whole numbers joined by one separator, ``x`` or ``,``
(``3x1``, ``1,2``, ``0x1x0x1``), used alike throughout one value. Spaces may surround a number
or a separator. Nothing else is read: a dangling separator (``3x``, ``3,``), a doubled one
(``1,,2``, ``3xx1``), a mixed one (``1x2,3``), a letter or a non-ASCII digit is refused with
a ``SpecError`` that names the field and says what is allowed. TOML may also give an integer or
a list of integers; the same counts apply. The command line, spec strings (``conv:i5,k3x1``)
and templates all reach this module through ``LayerSpec``, so they cannot disagree.
"""

from __future__ import annotations

import numbers
import re
from collections.abc import Sequence
from typing import Any

from convanim.errors import SpecError

# ASCII digits only: Python's int() also reads "٣" and "1_0", which no one means as a size.
_NUMBER = r"[+-]?[0-9]+"
_VALUE = re.compile(rf"\s*({_NUMBER})\s*(?:([x,])\s*({_NUMBER})\s*(?:\2\s*{_NUMBER}\s*)*)?")


def is_int(value: Any) -> bool:
    """A whole number that is not a bool (TOML's ``true`` is not a size)."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def parse_ints(name: str, value: Any, lengths: tuple[int, ...]) -> tuple[int, ...]:
    """``value`` (an int, a list of ints, or a string in this module's grammar) as a tuple of
    ``lengths[0]`` or another allowed count of ints; a single number fills ``lengths[0]``."""
    if isinstance(value, str):
        if not _VALUE.fullmatch(value.lower()):
            raise SpecError(name, f"{value!r}: {_flaw(value)}; {_allowed(lengths)}")
        items: Sequence[Any] = [int(p) for p in re.split(r"[x,]", value.lower())]
    elif is_int(value):
        items = [value]
    elif isinstance(value, Sequence) and value and all(is_int(v) for v in value):
        items = list(value)
    else:
        raise SpecError(name, f"{value!r} is not allowed; {_allowed(lengths)}")
    if len(items) == 1:
        items = list(items) * lengths[0]
    if len(items) not in lengths:
        raise SpecError(name, f"{value!r} has {len(items)} numbers; {_allowed(lengths)}")
    return tuple(int(v) for v in items)


def parse_count(name: str, value: Any) -> int:
    """A single whole number, given as an int or a string of ASCII digits (a spec string's
    ``cin3`` or ``seed=2``)."""
    if isinstance(value, str) and re.fullmatch(rf"\s*{_NUMBER}\s*", value):
        return int(value)
    if is_int(value):
        return int(value)
    raise SpecError(name, f"{value!r} is not allowed; must be a whole number")


def _allowed(lengths: tuple[int, ...]) -> str:
    if 4 in lengths:
        return (
            "write an integer, HxW or TOPxBOTTOMxLEFTxRIGHT (x or commas between), "
            "such as 1, 1x2 or 0,1,0,1"
        )
    return "write an integer or HxW, such as 5 or 5x7"


def _flaw(text: str) -> str:
    """What is wrong with a string outside the grammar, in a few words."""
    text = text.strip().lower()
    if re.match(r"^[x,]|.*[x,]$", text):
        return f"{text[0] if text[0] in 'x,' else text[-1]!r} dangles"
    if re.search(r"[x,]\s*[x,]", text):
        return "a separator is doubled"
    if "x" in text and "," in text:
        return "x and commas are mixed"
    return "only whole numbers and separators are allowed"
