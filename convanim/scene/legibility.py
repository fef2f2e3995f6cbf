"""How big the text of a figure must be, as facts the scene lays out by and tests check.

A glyph's height is its font size times the face's cap height (the height of a digit, near
enough: cmr10's digits stand 0.68 em above the baseline like its capitals, DejaVu's 0.73).
Numbers a reader computes with (grid values) must stand at least ``MIN_VALUE_PX`` pixels tall
at scale 1 and kernel weights at least ``MIN_WEIGHT_PX``; every other word at least
``MIN_WORD_PX``. Layouts grow the canvas to keep these; they never shrink the text. numpy-free.
"""

from __future__ import annotations

from convanim.scene.display import Text, TextMetrics

CAP_HEIGHT = {"serif": 0.683, "sans": 0.729, "mono": 0.729}  # em; measured from the TTFs

MIN_VALUE_PX = 14.0
MIN_WEIGHT_PX = 10.0
MIN_WORD_PX = 9.0

MINIMUM = {"value": MIN_VALUE_PX, "weight": MIN_WEIGHT_PX, "*": MIN_WORD_PX}


def size_for(px: float, font: str = "serif") -> float:
    """The font size (pixels) whose capitals and digits stand ``px`` pixels tall."""
    return px / CAP_HEIGHT[font]


def glyph_px(text: Text) -> float:
    """How tall ``text``'s capitals and digits stand, in pixels."""
    return text.size * CAP_HEIGHT[text.font]


def wrap_terms(text: str, width: float, size: float, metrics: TextMetrics) -> list[str]:
    """``text`` (a sum such as "3·1 + 2·0 + … = 7") in as few lines as fit ``width``, broken
    only after a term's separator (" + " or ", "); a term wider than ``width`` gets a line of
    its own. The result (after the last " = ") always stays whole."""
    if metrics.measure(text, size)[0] <= width:
        return [text]
    pieces = _pieces(text)
    lines: list[str] = []
    line = ""
    for piece in pieces:
        trial = line + piece
        if line and metrics.measure(trial.rstrip(), size)[0] > width:
            lines.append(line.rstrip())
            line = piece
        else:
            line = trial
    lines.append(line.rstrip())
    return lines


def _pieces(text: str) -> list[str]:
    """Terms with their trailing separator; the final " = result" is one piece."""
    head, sep, result = text.rpartition(" = ")
    body = head if sep else text
    pieces: list[str] = []
    start = 0
    for i, ch in enumerate(body):
        if body.startswith(" + ", i):
            pieces.append(body[start : i + 3])
            start = i + 3
        elif ch == "," and body.startswith(", ", i):
            pieces.append(body[start : i + 2])
            start = i + 2
    pieces.append(body[start:])
    if sep:
        pieces.append(f" = {result}")
    return [p for p in pieces if p]
