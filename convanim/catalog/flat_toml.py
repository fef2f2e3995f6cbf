"""Flat TOML, the kind most templates are, read without importing ``tomllib``.

A single figure's template is a few lines such as ``kernel_size = 3`` and ``view = "arithmetic"``;
importing ``tomllib`` (and ``string``) to read them was 3 ms of a short render's start.
``loads_flat`` reads exactly this subset of TOML: lines that are blank, a comment, or a bare key
set once to a basic string without escapes, a decimal integer or a boolean (a comment may follow).
Anything else, valid or not, gives None, and the caller parses the text with ``tomllib``, which
also reports every mistake. On the subset the result is what ``tomllib.loads`` returns (a test
compares them). Standard library only.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["loads_flat"]

# TOML forbids control characters (tab aside) in basic strings and comments.
_TEXT = r"[^\x00-\x08\x0a-\x1f\x7f"
_LINE = re.compile(
    r"[ \t]*(?:(?P<key>[A-Za-z0-9_-]+)[ \t]*=[ \t]*"
    r'(?:"(?P<str>' + _TEXT + r'"\\]*)"|(?P<int>[+-]?(?:0|[1-9][0-9]*))|(?P<bool>true|false))'
    r"[ \t]*)?(?:#" + _TEXT + r"]*)?"
)


def loads_flat(text: str) -> dict[str, Any] | None:
    """``text`` as ``tomllib.loads`` reads it, if it is flat TOML as described above; else None."""
    table: dict[str, Any] = {}
    for line in text.replace("\r\n", "\n").split("\n"):  # a lone CR matches no line
        match = _LINE.fullmatch(line)
        if match is None:
            return None
        key = match["key"]
        if key is None:
            continue  # a blank or comment line
        if key in table:
            return None  # an error, which tomllib words
        if match["str"] is not None:
            table[key] = match["str"]
        elif match["int"] is not None:
            table[key] = int(match["int"])
        else:
            table[key] = match["bool"] == "true"
    return table
