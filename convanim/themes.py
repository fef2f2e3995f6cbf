"""Colour and line tables, as data. ``classic`` is the reference's Solarized palette.

A theme says what colour each role has; the renderer decides where things go.
"""

from __future__ import annotations

from dataclasses import dataclass

RGB = tuple[int, int, int]


def hex_to_rgb(value: str) -> RGB:
    text = value.strip().lstrip("#")
    if len(text) != 6 or any(c not in "0123456789abcdefABCDEF" for c in text):
        raise ValueError(f"{value!r} is not a colour such as '#268BD2'")
    return (int(text[0:2], 16), int(text[2:4], 16), int(text[4:6], 16))


@dataclass(frozen=True)
class Theme:
    name: str
    background: str  # figure background
    input: str  # real input cells
    output: str  # output cells
    shade: str  # kernel footprint and current output cell, drawn at shade_alpha
    shade_alpha: float
    grid: str  # every cell border
    padding: str  # padding / inserted-zero / overhang cell face
    projection: str  # the four lines joining footprint and output cell
    text: str

    def rgb(self, role: str) -> RGB:
        return hex_to_rgb(getattr(self, role))


CLASSIC = Theme(
    name="classic",
    background="#FFFFFF",
    input="#268BD2",
    output="#2AA198",
    shade="#073642",
    shade_alpha=0.4,
    grid="#002B36",
    padding="#FFFFFF",
    projection="#000000",
    text="#000000",
)

THEMES = {t.name: t for t in (CLASSIC,)}
