"""Themes: the built-in tables, theme files, palette sizes, colour differences (also under
simulated colour-vision deficiencies) and one golden frame per theme.

The colour science is here rather than in convanim, which only needs the tables: sRGB decoding,
the Machado, Oliveira & Fernandes (2009) dichromacy matrices at severity 1.0 (they act on linear
RGB), CIELAB under D65, and CIE76 colour differences.

Regenerate the golden frames after an intended change with
``CONVANIM_REGEN_BASELINES=1 pytest tests/test_themes.py`` and look at them.
"""

from __future__ import annotations

import dataclasses
from itertools import combinations
from pathlib import Path

import numpy as np
import pytest
from test_render import check_golden

from convanim.backends.mpl import palette_of
from convanim.backends.palette import MAX_COLOURS, composite
from convanim.catalog.templates import resolve
from convanim.catalog.themes import load_theme
from convanim.errors import SpecError, TemplateError
from convanim.model.spec import FigureSpec
from convanim.model.themes import CLASSIC, COLORBLIND, MONO, ROLES, THEMES, Theme
from convanim.render import FigureRenderer

RGB = tuple[int, int, int]

# -- colour science ------------------------------------------------------------------------------

# Machado et al. (2009), Table 2, severity 1.0: linear RGB -> linear RGB as a dichromat sees it.
SIMULATIONS = {
    "normal": np.eye(3),
    "protanopia": np.array(
        [
            [0.152286, 1.052583, -0.204868],
            [0.114503, 0.786281, 0.099216],
            [-0.003882, -0.048116, 1.051998],
        ]
    ),
    "deuteranopia": np.array(
        [
            [0.367322, 0.860646, -0.227968],
            [0.280085, 0.672501, 0.047413],
            [-0.011820, 0.042940, 0.968881],
        ]
    ),
    "tritanopia": np.array(
        [
            [1.255528, -0.076749, -0.178779],
            [-0.078411, 0.930809, 0.147602],
            [0.004733, 0.691367, 0.303900],
        ]
    ),
}
_SRGB_TO_XYZ = np.array(
    [
        [0.4124564, 0.3575761, 0.1804375],
        [0.2126729, 0.7151522, 0.0721750],
        [0.0193339, 0.1191920, 0.9503041],
    ]
)
_D65 = np.array([0.95047, 1.0, 1.08883])

# CIE76 distances a reader must see at a glance. A just-noticeable difference is about 2.3;
# 10 is plainly different side by side, but the figures are small cells seen on a washed-out
# projector or a cheap print, where contrast drops by half, and the shade is the smallest
# difference that carries meaning. 20 (about eight JNDs) keeps a clear margin after such a loss;
# it is also what Okabe & Ito's blue/orange pair keeps under every simulation below.
MIN_DELTA_E = 20.0


def _linear(rgb: RGB) -> np.ndarray:
    c = np.asarray(rgb, dtype=float) / 255
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def _lab(linear: np.ndarray) -> np.ndarray:
    # A simulated colour can leave the gamut slightly; clipping is what a display would do.
    xyz = _SRGB_TO_XYZ @ np.clip(linear, 0, 1) / _D65
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def delta_e(a: RGB, b: RGB, simulation: str = "normal") -> float:
    """CIE76 difference of two sRGB colours as seen with ``simulation``."""
    m = SIMULATIONS[simulation]
    return float(np.linalg.norm(_lab(m @ _linear(a)) - _lab(m @ _linear(b))))


def _contrast(a: RGB, b: RGB) -> float:
    """WCAG 2 contrast ratio."""
    la, lb = (float(_linear(c) @ [0.2126, 0.7152, 0.0722]) for c in (a, b))
    return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)


def seen(theme: Theme) -> dict[str, RGB]:
    """The colours a reader must tell apart: cells, padding (which is, or sits on, the
    background) and what the shade makes of each, composited as Agg does."""
    shade, alpha = theme.rgb("shade"), theme.shade_alpha
    out: dict[str, RGB] = {}
    for role in ("input", "output", "padding"):
        out[role] = theme.rgb(role)
        out[f"shaded {role}"] = composite(theme.rgb(role), shade, alpha)
    return out


def weakest_pair(
    theme: Theme, simulation: str, names: tuple[str, ...] | None = None
) -> tuple[float, str, str]:
    """The smallest difference among the colours of ``seen`` (or those named), and its pair."""
    colours = seen(theme)
    names = names or tuple(colours)
    return min(
        (delta_e(colours[a], colours[b], simulation), a, b) for a, b in combinations(names, 2)
    )


def test_simulations_keep_greys_grey_and_white_white() -> None:
    for name, m in SIMULATIONS.items():
        assert np.allclose(m.sum(axis=1), 1, atol=1e-5), name
        assert delta_e((255, 255, 255), (255, 255, 255), name) == 0
        grey = _lab(m @ _linear((128, 128, 128)))
        assert abs(grey[1]) < 0.5 and abs(grey[2]) < 0.5, name


def test_lab_of_known_colours() -> None:
    assert np.allclose(_lab(_linear((255, 255, 255))), (100, 0, 0), atol=0.01)
    # sRGB red is L* 53.24, a* 80.09, b* 67.20 (D65).
    assert np.allclose(_lab(_linear((255, 0, 0))), (53.24, 80.09, 67.20), atol=0.05)


@pytest.mark.parametrize("simulation", list(SIMULATIONS))
def test_colorblind_theme_keeps_every_pair_apart(simulation: str) -> None:
    """Minimum pair per simulation (computed): normal 29.5 (input / shaded input), protanopia
    27.0 (shaded input / shaded padding), deuteranopia 29.1, tritanopia 30.0."""
    weakest, a, b = weakest_pair(COLORBLIND, simulation)
    assert weakest >= MIN_DELTA_E, f"{simulation}: {a} / {b}: {weakest:.1f}"


def test_the_check_catches_a_red_green_theme_under_deuteranopia() -> None:
    """matplotlib's red and green: far apart for most readers, nearly one colour for
    deuteranopes. (Pure #FF0000 / #00FF00 would pass on lightness alone: ΔE 28.)"""
    bad = dataclasses.replace(COLORBLIND, name="bad", input="#D62728", output="#2CA02C")
    assert weakest_pair(bad, "normal")[0] >= MIN_DELTA_E
    weakest, a, b = weakest_pair(bad, "deuteranopia")
    assert weakest < MIN_DELTA_E
    assert delta_e(bad.rgb("input"), bad.rgb("output"), "deuteranopia") < 10  # 7.3


def test_classic_theme_is_not_colour_blind_safe() -> None:
    """The reference's blue and cyan differ mostly in hue along the blue-yellow axis that
    tritanopes lack: ΔE 50 for most readers, 10 under tritanopia (6 between the shaded cells).
    Its shade is also subtle on the cyan output: 17.6 with normal vision. This is why the
    ``colorblind`` theme exists; the numbers are asserted so that a change to classic shows."""
    colours = seen(CLASSIC)
    assert delta_e(colours["input"], colours["output"]) > 45
    assert delta_e(colours["input"], colours["output"], "tritanopia") < 12
    assert delta_e(colours["shaded input"], colours["shaded output"], "tritanopia") < 8
    for simulation in SIMULATIONS:
        assert weakest_pair(CLASSIC, simulation)[0] < MIN_DELTA_E, simulation


# The pairs that share a plane: a cell is told from its neighbours, and the two planes apart.
_INPUT_PLANE = ("padding", "shaded padding", "input", "shaded input")
_OUTPUT_PLANE = ("output", "shaded output")


@pytest.mark.parametrize("theme", list(THEMES.values()), ids=list(THEMES))
def test_every_theme_keeps_cells_and_shade_apart_for_normal_vision(theme: Theme) -> None:
    """A looser bound (15, over six JNDs) than the colour-blind one: ``mono`` has one dimension,
    lightness, for six colours, and ``dark`` trades some shade contrast for legible numbers.
    Computed minima: classic 17.6, dark 15.6 and colorblind 29.5 (a cell and its shaded self),
    mono 15.8 (shaded padding / input)."""
    colours = seen(theme)
    pairs = [
        *combinations(_INPUT_PLANE, 2),
        *combinations(_OUTPUT_PLANE, 2),
        ("input", "output"),
    ]
    for a, b in pairs:
        assert delta_e(colours[a], colours[b]) >= 15, (a, b)


@pytest.mark.parametrize("theme", list(THEMES.values()), ids=list(THEMES))
def test_numbers_stay_legible_on_every_cell(theme: Theme) -> None:
    """The numerical view writes ``text`` on every cell, shaded or not. 3:1 is WCAG's minimum
    for large text; the classic reference itself has 3.5 on a shaded input cell."""
    text = theme.rgb("text")
    for name, colour in seen(theme).items():
        assert _contrast(text, colour) >= 3.0, name
    assert _contrast(text, theme.rgb("background")) >= 4.5  # labels of a comparison


def test_mono_is_greys_only_and_input_and_output_differ_in_lightness() -> None:
    for role in ("background", "input", "output", "shade", "grid", "padding", "projection"):
        r, g, b = MONO.rgb(role)
        assert r == g == b, role
    lightness = {k: _lab(_linear(c))[0] for k, c in seen(MONO).items()}
    assert lightness["shaded input"] < lightness["input"]  # the shade darkens
    assert abs(lightness["input"] - lightness["output"]) >= 20


# -- the tables ----------------------------------------------------------------------------------


def test_built_in_themes() -> None:
    assert list(THEMES) == ["classic", "dark", "colorblind", "mono"]
    assert (
        Theme(
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
        == CLASSIC
    )
    for name, theme in THEMES.items():
        assert theme.name == name
        assert load_theme(name) is theme


def test_dark_theme_is_dark() -> None:
    dark = THEMES["dark"]
    background = _lab(_linear(dark.rgb("background")))[0]
    grid = _lab(_linear(dark.rgb("grid")))[0]
    assert background < 20 < 60 < grid


@pytest.mark.parametrize("theme", list(THEMES.values()), ids=list(THEMES))
def test_palette_keeps_three_antialiasing_steps(theme: Theme) -> None:
    """12 distinct flat colours with 3 blends per pair make 210; more would cost the edges
    antialiasing steps. Computed: classic 115, dark 117, colorblind 70, mono 61."""
    for name in ("padding_strides", "numerical_padding_strides"):
        picture = FigureRenderer(resolve(name), theme=theme).picture
        assert len(palette_of(picture, theme)) <= 210 <= MAX_COLOURS


# -- theme files ---------------------------------------------------------------------------------


def _file(tmp_path: Path, text: str, name: str = "mine.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_theme_file_overrides_some_roles_of_its_base(tmp_path: Path) -> None:
    path = _file(tmp_path, 'base = "dark"\ninput = "#268bd2"\nshade_alpha = 1\n')
    theme = load_theme(path)
    assert theme.name == "mine"  # the file's stem
    assert theme.input == "#268bd2" and theme.rgb("input") == (38, 139, 210)
    assert theme.shade_alpha == 1.0 and isinstance(theme.shade_alpha, float)
    assert theme.background == THEMES["dark"].background
    assert load_theme(str(path)) == theme


def test_theme_file_defaults_to_classic_and_may_name_itself(tmp_path: Path) -> None:
    path = _file(tmp_path, 'name = "slides"\noutput = "#CB4B16"\n')
    theme = load_theme(path)
    assert theme == dataclasses.replace(CLASSIC, name="slides", output="#CB4B16")


def test_theme_file_may_set_every_role(tmp_path: Path) -> None:
    roles = {role: getattr(MONO, role) for role in ROLES}
    text = "\n".join(
        f"{k} = {v!r}" if k == "shade_alpha" else f'{k} = "{v}"' for k, v in roles.items()
    )
    theme = load_theme(_file(tmp_path, f'name = "print"\n{text}\n'))
    assert theme == dataclasses.replace(MONO, name="print")


@pytest.mark.parametrize(
    ("line", "field", "message"),
    [
        ('input = "#12345"', "input", "input: '#12345' is not a colour such as '#268BD2'"),
        ('grid = "red"', "grid", "grid: 'red' is not a colour such as '#268BD2'"),
        ("text = 7", "text", "text: 7 is not a colour such as '#268BD2'"),
        ('shade = "268BD2"', "shade", "shade: '268BD2' is not a colour"),
        ('output = "#GG0000"', "output", "output: '#GG0000' is not a colour"),
        ("shade_alpha = 0", "shade_alpha", "shade_alpha: 0 is not allowed; must be a number in"),
        ("shade_alpha = 1.5", "shade_alpha", "shade_alpha: 1.5 is not allowed"),
        ('shade_alpha = "0.4"', "shade_alpha", "shade_alpha: '0.4' is not allowed"),
        ("shade_alpha = true", "shade_alpha", "shade_alpha: True is not allowed"),
        ('colour = "#FFFFFF"', "colour", "colour: unknown key; known keys: name, base, background"),
        ('base = "neon"', "base", "base: 'neon' is not one of classic, dark, colorblind, mono"),
        ("name = 3", "name", "name: 3 is not allowed; must be a non-empty string"),
    ],
)
def test_theme_file_mistakes_name_the_key_and_the_file(
    tmp_path: Path, line: str, field: str, message: str
) -> None:
    path = _file(tmp_path, line + "\n")
    with pytest.raises(SpecError) as info:
        load_theme(path)
    assert info.value.field == field
    assert str(info.value).startswith(message)
    assert str(path) in str(info.value)
    assert "\n" not in str(info.value)


def test_missing_or_broken_theme_file_names_the_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"
    with pytest.raises(TemplateError, match=r"nope\.toml: cannot read"):
        load_theme(missing)
    broken = _file(tmp_path, 'input = "#FFFFFF"\nbackground = \n')
    with pytest.raises(TemplateError, match=r"mine\.toml: invalid TOML: .*line 2, column"):
        load_theme(broken)
    binary = tmp_path / "bin.toml"
    binary.write_bytes(b'input = "\xff"\n')
    with pytest.raises(TemplateError, match=r"bin\.toml: invalid TOML"):
        load_theme(binary)


def test_theme_files_are_data_only(tmp_path: Path) -> None:
    """Python in a theme file is a TOML syntax error, not code: nothing runs."""
    marker = tmp_path / "ran"
    code = f"import pathlib; pathlib.Path({str(marker)!r}).touch()\n"
    with pytest.raises(TemplateError, match="invalid TOML"):
        load_theme(_file(tmp_path, code))
    assert not marker.exists()


def test_unknown_theme_name_lists_the_built_in_names() -> None:
    with pytest.raises(SpecError) as info:
        load_theme("drak")
    assert info.value.field == "theme"
    assert str(info.value) == (
        "theme: 'drak' is not one of classic, dark, colorblind, mono or a .toml theme file; "
        "did you mean dark?"
    )


def test_themes_built_in_code_are_checked_too() -> None:
    with pytest.raises(SpecError, match="^padding: '#FFF' is not a colour"):
        dataclasses.replace(CLASSIC, padding="#FFF")
    assert load_theme(CLASSIC) is CLASSIC


# -- golden frames -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(THEMES))
def test_golden_frame_per_theme(name: str) -> None:
    figure = resolve("padding_strides")
    assert isinstance(figure, FigureSpec)
    renderer = FigureRenderer(figure, theme=THEMES[name])
    frame = renderer.frame(1)
    # Every pixel is a palette colour, so the theme's flat colours are exactly what is shown.
    palette = {tuple(c) for c in palette_of(renderer.picture, THEMES[name]).tolist()}
    assert {tuple(c) for c in np.unique(frame.reshape(-1, 3), axis=0).tolist()} <= palette
    check_golden(frame, f"theme_{name}_padding_strides_01")
