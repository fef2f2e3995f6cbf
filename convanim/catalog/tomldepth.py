"""How deeply a TOML text nests, measured without parsing it.

``tomllib`` parses arrays and inline tables by recursion, so ``x = [[[[...]]]]`` a few thousand
deep is a ``RecursionError``, and a dotted key of a hundred thousand parts takes gigabytes.
Every TOML file convanim reads (templates, themes, manifests) is measured here first, and
refused in one line naming the line if it nests deeper than ``MAX_TOML_DEPTH``. Standard
library only.
"""

from __future__ import annotations

import re
from functools import lru_cache

__all__ = ["MAX_TOML_DEPTH", "too_deep"]

# Arrays, inline tables and dotted keys at most this deep; convanim's own files nest 4 deep.
MAX_TOML_DEPTH = 32

_PART = rb"""(?:[A-Za-z0-9_-]+|"(?:[^"\\\n]|\\.)*"|'[^'\n]*')"""
# Strings and comments are matched whole so that brackets and dots inside them do not count;
# a dotted key (``a.b.c``) is matched before a lone string so that quoted parts count too.
_TOKENS = (
    # Only from the start of a word: tried inside a long word it would backtrack for each
    # of its characters (quadratic).
    rb"(?P<chain>(?<![A-Za-z0-9_-])" + _PART + rb"(?:[ \t]*\.[ \t]*" + _PART + rb")+)"
    rb'|"""(?:[^\\]|\\.)*?"""'
    rb"|'{3}.*?'{3}"
    rb'|"(?:[^"\\\n]|\\.)*"'
    rb"|'[^'\n]*'"
    rb"|#[^\n]*"
    rb"|(?P<open>[\[{])|(?P<close>[\]}])"
)


@lru_cache(maxsize=1)
def _tokens() -> re.Pattern[bytes]:
    return re.compile(_TOKENS, re.S)  # compiled when first needed: 3 ms of a short run


def too_deep(raw: bytes) -> str | None:
    """None if ``raw`` nests at most ``MAX_TOML_DEPTH`` deep, else what is wrong, with the line
    (e.g. "nested too deeply (line 3): ..."), for the caller to prefix with the file."""
    # Nothing nests deeper than all its brackets and dots together: most files are measured
    # by counting them.
    if sum(raw.count(c) for c in (b"[", b"{", b".")) < MAX_TOML_DEPTH:
        return None
    depth = 0
    for match in _tokens().finditer(raw):
        if match.group("open"):
            depth += 1
            deep = depth
        elif match.group("close"):
            depth = max(depth - 1, 0)
            continue
        elif match.group("chain"):
            deep = depth + match.group("chain").count(b".") + 1
        else:
            continue
        if deep > MAX_TOML_DEPTH:
            line = raw.count(b"\n", 0, match.start()) + 1
            return (
                f"nested too deeply (line {line}): more than {MAX_TOML_DEPTH} levels of arrays, "
                "tables or dotted keys; flatten it"
            )
    return None
