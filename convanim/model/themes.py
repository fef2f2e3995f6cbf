"""Colour and line tables, as data: the built-in themes and user theme files.

A theme says what colour each role has; the renderer decides where things go. This module owns
the built-in themes (``classic``, the reference's Solarized palette; ``dark``; ``colorblind``;
``mono``), the rule that a theme is valid (every role a ``#RRGGBB`` colour, ``shade_alpha`` in
(0, 1]); ``convanim.catalog.themes.load_theme`` reads a built-in name or a theme file. Theme
files are parsed as TOML only: nothing in them runs.

The shade is drawn at ``shade_alpha`` over whatever it covers (cells, padding, the output
plane), so a theme's visible colours are its flat roles plus the shade composited over each;
``tests/test_themes.py`` checks that the ones a reader must tell apart stay apart, also under
simulated colour-vision deficiencies for ``colorblind``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields

from convanim.errors import SpecError

RGB = tuple[int, int, int]

_COLOUR = re.compile(r"#[0-9A-Fa-f]{6}")
_EXAMPLE = "'#268BD2'"


def hex_to_rgb(value: str) -> RGB:
    text = value.strip().lstrip("#")
    if len(text) != 6 or any(c not in "0123456789abcdefABCDEF" for c in text):
        raise ValueError(f"{value!r} is not a colour such as {_EXAMPLE}")
    return (int(text[0:2], 16), int(text[2:4], 16), int(text[4:6], 16))


@dataclass(frozen=True)
class Theme:
    """Every role's colour; built or loaded, a theme is checked on creation (``SpecError``
    naming the role)."""

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

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise SpecError("name", f"{self.name!r} is not allowed; must be a non-empty string")
        for role in COLOUR_ROLES:
            value = getattr(self, role)
            if not isinstance(value, str) or not _COLOUR.fullmatch(value):
                raise SpecError(role, f"{value!r} is not a colour such as {_EXAMPLE}")
        alpha = self.shade_alpha
        # bool is an int to Python, but `shade_alpha = true` in a file is a mistake.
        if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or not 0 < alpha <= 1:
            raise SpecError(
                "shade_alpha", f"{alpha!r} is not allowed; must be a number in (0, 1], e.g. 0.4"
            )
        object.__setattr__(self, "shade_alpha", float(alpha))

    def rgb(self, role: str) -> RGB:
        return hex_to_rgb(getattr(self, role))

    def opacity(self, role: str) -> float:
        """How opaque a role is drawn: the shade at ``shade_alpha``, everything else solid."""
        return self.shade_alpha if role == "shade" else 1.0

    def colour(self, role: str) -> RGB:
        """Any role a picture may name: the theme's own, ``white``, or ``group<k>`` (the hue
        of channel group k)."""
        if role == "white":
            return (255, 255, 255)
        if role.startswith("group") and role[5:].isdigit():
            hues = GROUP_HUES.get(self.name, GROUP_HUES["classic"])
            return hex_to_rgb(hues[int(role[5:]) % len(hues)])
        return self.rgb(role)


COLOUR_ROLES = tuple(f.name for f in fields(Theme) if f.name not in ("name", "shade_alpha"))
ROLES = (*COLOUR_ROLES, "shade_alpha")  # what a theme file may set besides name and base

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

# For dark slides: Solarized base03 behind everything, as the reference's white is. The cells
# are darker than Solarized's blue and cyan so that white numbers keep a contrast above 3:1
# even under the shade; the shade is light (base3) and lightens what it covers, which on a dark
# page reads as a highlight. Padding is the background, as in the reference.
DARK = Theme(
    name="dark",
    background="#002B36",
    input="#1F6FA8",
    output="#1A7A73",
    shade="#FDF6E3",
    shade_alpha=0.3,
    grid="#93A1A1",
    padding="#002B36",
    projection="#FFFFFF",
    text="#FFFFFF",
)

# Okabe & Ito's palette: sky blue input, orange output; a blue/orange pair stays apart under
# protanopia, deuteranopia and tritanopia. Sky blue rather than their darker blue #0072B2 keeps
# black numbers legible on shaded input cells (and the minimum colour difference higher; the
# test records the numbers). The shade is black, so it darkens every cell the same way.
COLORBLIND = Theme(
    name="colorblind",
    background="#FFFFFF",
    input="#56B4E9",
    output="#E69F00",
    shade="#000000",
    shade_alpha=0.4,
    grid="#000000",
    padding="#FFFFFF",
    projection="#000000",
    text="#000000",
)

# For print: greys only, told apart by lightness. Input darker than output, and a light shade
# (black at 0.28), place padding, shaded padding, input and shaded input at L* 100, 75, 59, 43
# and output, shaded output at 82, 61: at least ~16 apart on each plane, and black numbers keep
# a contrast above 3.5:1 on every cell.
MONO = Theme(
    name="mono",
    background="#FFFFFF",
    input="#8E8E8E",
    output="#CCCCCC",
    shade="#000000",
    shade_alpha=0.28,
    grid="#000000",
    padding="#FFFFFF",
    projection="#000000",
    text="#000000",
)

THEMES = {t.name: t for t in (CLASSIC, DARK, COLORBLIND, MONO)}

# The hues of channel groups (groups > 1), first to last; a theme file has classic's.
# Classic and dark: Solarized's accents, blue first so that a single group keeps the input's.
# Colorblind: Okabe & Ito's. Mono: greys that stay apart from black text and white padding.
_SOLARIZED_ACCENTS = ("#268BD2", "#D33682", "#B58900", "#859900", "#6C71C4", "#CB4B16", "#DC322F")
GROUP_HUES = {
    "classic": _SOLARIZED_ACCENTS,
    "dark": _SOLARIZED_ACCENTS,
    # Okabe-Ito without the orange, which is the theme's output colour.
    "colorblind": ("#56B4E9", "#009E73", "#CC79A7", "#0072B2", "#D55E00", "#F0E442"),
    "mono": ("#8E8E8E", "#5E5E5E", "#B4B4B4", "#767676", "#A4A4A4", "#484848", "#C8C8C8"),
}
