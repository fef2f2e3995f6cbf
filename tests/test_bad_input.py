"""The bad-input matrix: every way a hand-written flag, template, manifest or theme goes wrong.

Each case gives one line naming the flag, field or file and what is allowed, the right exit code
(2 for usage errors, 1 for runtime errors), no traceback, and writes nothing: the working folder
is compared file by file (names, sizes, modification times, hidden temporaries included) before
and after. The command line runs in this process through click's CliRunner, so every case costs
milliseconds; one subprocess checks what a real terminal sees, with and without ``--debug``.
"""

from __future__ import annotations

import errno
import os
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from convanim.animation import Animation
from convanim.catalog.manifest import load_manifest
from convanim.catalog.templates import resolve, template_names
from convanim.catalog.themes import load_theme
from convanim.cli.main import main
from convanim.errors import (
    BudgetError,
    ConvanimError,
    ManifestError,
    OutputError,
    SpecError,
    TemplateError,
)
from convanim.export import atomic
from convanim.model.look import Look
from convanim.model.spec import FigureSpec, LayerSpec
from convanim.scene.channel_plan import wants_channel_view

# -- the files a user writes by hand, some of them wrong ----------------------------------------

THEMES = {
    "bad_colour.toml": 'input = "#12345"\n',
    "unknown_role.toml": 'wobble = "#000000"\n',
    "broken_theme.toml": "input = \n",
    "bool_alpha.toml": "shade_alpha = true\n",
}

TEMPLATES = {
    "broken_tpl.toml": 'op = "conv"\ninput_size = = 5\n',
    "wrongtype_tpl.toml": 'op = "conv"\ninput_size = true\nkernel_size = 3\n',
    "unknownkey_tpl.toml": 'op = "conv"\ninput_size = 5\nkernel_size = 3\nwobble = 1\n',
    "strkernel_tpl.toml": 'op = "conv"\ninput_size = 5\nkernel_size = "three"\n',
    "selfref_tpl.toml": 'compare = ["selfref_tpl", "conv:i5,k3"]\n',
}

GOOD_FIGURE = """
[[figures]]
name = "ok"
op = "conv"
input_size = 3
kernel_size = 2
"""

MANIFESTS = {
    "m_syntax.toml": '[defaults]\noutput_dir = "mout"\n\n[[figures]]\nname = "a"\nop = conv\n',
    "m_unknown.toml": '[defaults]\noutput_dir = "mout"\nwobble = 1\n' + GOOD_FIGURE,
    "m_topkey.toml": "[settings]\nx = 1\n" + GOOD_FIGURE,
    "m_escape.toml": '[defaults]\noutput_dir = "mout"\n'
    + GOOD_FIGURE
    + 'output = "../escape.gif"\n',
    "m_absolute.toml": '[defaults]\noutput_dir = "mout"\n'
    + GOOD_FIGURE
    + 'output = "/tmp/abs.gif"\n',
    "m_suffix.toml": '[defaults]\noutput_dir = "mout"\n' + GOOD_FIGURE + 'output = "ok.bmp"\n',
    "m_kernel.toml": '[defaults]\noutput_dir = "mout"\n\n[[figures]]\nname = "k0"\n'
    'op = "conv"\ninput_size = 5\nkernel_size = 0\n',
    "m_type.toml": '[defaults]\noutput_dir = "mout"\n\n[[figures]]\nname = "t"\n'
    'op = "conv"\ninput_size = true\n',
    "m_maxframes.toml": '[defaults]\noutput_dir = "mout"\nmax_frames = 0\n' + GOOD_FIGURE,
    "m_theme.toml": '[defaults]\noutput_dir = "mout"\ntheme = "neon"\n' + GOOD_FIGURE,
    "m_template.toml": '[defaults]\noutput_dir = "mout"\n\n[[figures]]\ntemplate = "nosuch"\n',
    "m_delay.toml": '[defaults]\noutput_dir = "mout"\ndelay = -1\n' + GOOD_FIGURE,
    "m_big.toml": '[defaults]\noutput_dir = "mout"\n\n[[figures]]\nname = "big"\n'
    'op = "conv"\ninput_size = 100\nkernel_size = 1\n',
    "m_nul.toml": '[defaults]\noutput_dir = "mo\\u0000ut"\n' + GOOD_FIGURE,
    "m_empty.toml": '[defaults]\noutput_dir = "mout"\nfigures = []\n',
}


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project folder holding the hand-written files, as the working directory; user
    templates found through $CONVANIM_TEMPLATES."""
    monkeypatch.chdir(tmp_path)
    for name, text in {**THEMES, **MANIFESTS}.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    templates = tmp_path / "tpl"
    templates.mkdir()
    for name, text in TEMPLATES.items():
        (templates / name).write_text(text, encoding="utf-8")
    (templates / "latin1_tpl.toml").write_bytes(b'op = "conv"\ndescription = "caf\xe9"\n')
    monkeypatch.setenv("CONVANIM_TEMPLATES", str(templates))
    (tmp_path / "somefile").write_text("a regular file, not a folder\n")
    (tmp_path / "mout").mkdir()  # batch's output folder exists, so a failed run makes nothing
    (tmp_path / "ro").mkdir()
    return tmp_path


def snapshot(folder: Path) -> dict[str, tuple[bool, int, int]]:
    """Every path under ``folder`` (hidden ones too): is it a folder, its size, its mtime."""
    out = {}
    for root, dirs, files in os.walk(folder):
        for name in dirs + files:
            path = Path(root) / name
            info = path.lstat()
            out[str(path.relative_to(folder))] = (path.is_dir(), info.st_size, info.st_mtime_ns)
    return out


def read_only(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make ``folder`` refuse new files. Tests may run as root, which ignores permissions, so
    creating a temporary there fails as the kernel would fail it: EACCES."""
    original = atomic._create_entry

    def create(place: Any, name: str, make_dir: bool) -> int:
        if place.real == folder.resolve():
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))
        return original(place, name, make_dir)

    monkeypatch.setattr(atomic, "_create_entry", create)


# -- the command line ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Cli:
    """A command line, its exit code, and what its one error line must name."""

    args: tuple[str, ...]
    code: int
    names: tuple[str, ...]
    setup: Callable[[Path, pytest.MonkeyPatch], None] | None = None


def cli(*args: str, code: int = 2, names: tuple[str, ...] | str, setup: Any = None) -> Cli:
    return Cli(args, code, (names,) if isinstance(names, str) else names, setup)


GIF = ("-o", "x.gif")

CLI_CASES = {
    # sizes: zero, negative, not an integer
    "input-zero": cli("render", "--input", "0", *GIF, names=("--input", "at least 1")),
    "input-negative": cli("render", "--input", "-3", *GIF, names=("--input", "at least 1")),
    "input-float": cli("render", "--input", "2.5", *GIF, names=("--input", "integer")),
    "input-word": cli("render", "--input", "five", *GIF, names="--input"),
    "input-three-values": cli("render", "--input", "5x5x5", *GIF, names=("--input", "5x7")),
    "kernel-zero": cli("render", "--kernel", "0", *GIF, names="--kernel"),
    "stride-zero": cli("render", "--stride", "0", *GIF, names=("--stride", "never moves")),
    "dilation-zero": cli("render", "--dilation", "0", *GIF, names="--dilation"),
    "padding-negative": cli("render", "--padding", "-1", *GIF, names=("--padding", "0 or more")),
    "padding-three-values": cli("render", "--padding", "1,2,3", *GIF, names="--padding"),
    "padding-word": cli("render", "--padding", "lots", *GIF, names=("--padding", "same")),
    # impossible combinations
    "kernel-larger-than-padded-input": cli(
        "render", "--input", "3", "--kernel", "5", *GIF, names=("--kernel", "padded input")
    ),
    "dilated-kernel-too-large": cli(
        "render", "--input", "5", "--kernel", "3", "--dilation", "3", *GIF, names="--kernel"
    ),
    "same-padding-transposed": cli(
        "render", "--op", "conv_transpose", "--padding", "same", *GIF, names="--padding"
    ),
    "output-padding-too-large": cli(
        "render",
        "--op",
        "conv_transpose",
        "--stride",
        "2",
        "--output-padding",
        "2",
        *GIF,
        names=("--output-padding", "smaller than the stride"),
    ),  # fmt: skip
    "output-padding-on-conv": cli(
        "render", "--output-padding", "1", *GIF, names="--output-padding"
    ),
    "groups-not-dividing": cli(
        "render", "--in-channels", "3", "--groups", "2", *GIF, names=("--groups", "divide")
    ),
    "groups-zero": cli("render", "--groups", "0", *GIF, names="--groups"),
    "pool-padding-over-half": cli(
        "render", "--op", "max_pool", "--kernel", "2", "--padding", "2", *GIF, names="--padding"
    ),
    "ceil-mode-on-conv": cli("render", "--ceil-mode", *GIF, names="--ceil-mode"),
    "reflect-on-pool": cli(
        "render", "--op", "avg_pool", "--padding-mode", "reflect", *GIF, names="--padding-mode"
    ),
    # unknown names
    "unknown-op": cli("render", "--op", "deconv", *GIF, names=("--op", "conv_transpose")),
    "unknown-padding-mode": cli("render", "--padding-mode", "mirror", *GIF, names="--padding-mode"),
    "unknown-view": cli("render", "--view", "sideways", *GIF, names=("--view", "numerical")),
    "unknown-frame-order": cli("render", "--frame-order", "random", *GIF, names="--frame-order"),
    "unknown-spec-field": cli("render", "conv:i5,k3,zz9", *GIF, names=("zz", "known fields")),
    "unreadable-spec-token": cli("render", "conv:i5,k?", *GIF, names=("spec", "k3")),
    "unknown-template": cli("render", "padding_stride", *GIF, names="padding_stride"),
    "negative-seed": cli("render", "--seed", "-1", *GIF, names="--seed"),
    # look and timing
    "width-too-small": cli("render", "conv:i5,k3", "--width", "10", *GIF, names="--width"),
    "scale-zero": cli("render", "conv:i5,k3", "--scale", "0", *GIF, names="--scale"),
    "delay-negative": cli("render", "conv:i5,k3", "--delay", "-1", *GIF, names="--delay"),
    "delay-and-fps": cli("render", "conv:i5,k3", "--delay", "1", "--fps", "2", *GIF, names="--fps"),
    "fps-zero": cli("render", "conv:i5,k3", "--fps", "0", *GIF, names="--fps"),
    "loop-negative": cli("render", "conv:i5,k3", "--loop", "-1", *GIF, names="--loop"),
    "every-zero": cli(
        "render", "conv:i5,k3", "--every", "0", "--storyboard", "s.png", *GIF, names="--every"
    ),
    "dpi-out-of-range": cli(
        "render", "conv:i5,k3", "--dpi", "5", "--storyboard", "s.png", *GIF, names="--dpi"
    ),
    "max-frames-zero": cli("render", "conv:i5,k3", "--max-frames", "0", *GIF, names="--max-frames"),
    # themes
    "unknown-theme": cli(
        "render", "conv:i5,k3", "--theme", "neon", *GIF, names=("--theme", "classic")
    ),
    "theme-malformed-colour": cli(
        "render",
        "conv:i5,k3",
        "--theme",
        "bad_colour.toml",
        *GIF,
        names=("--theme", "input", "#12345", "bad_colour.toml"),
    ),  # fmt: skip
    "theme-unknown-role": cli(
        "render",
        "conv:i5,k3",
        "--padding",
        "0",
        "--theme",
        "unknown_role.toml",
        *GIF,
        names=("--theme", "wobble", "unknown_role.toml"),
    ),  # fmt: skip
    "theme-toml-syntax": cli(
        "render",
        "conv:i5,k3",
        "--theme",
        "broken_theme.toml",
        *GIF,
        names=("broken_theme.toml", "line 1"),
    ),  # fmt: skip
    "theme-wrong-type": cli(
        "render", "conv:i5,k3", "--theme", "bool_alpha.toml", *GIF, names=("shade_alpha", "(0, 1]")
    ),
    "theme-missing-file": cli(
        "render", "conv:i5,k3", "--theme", "nothere.toml", *GIF, names="nothere.toml"
    ),
    # outputs: runtime errors, exit 1
    "unknown-suffix": cli("render", "conv:i5,k3", "-o", "x.bmp", code=1, names=("x.bmp", ".gif")),
    "unknown-format": cli(
        "render", "conv:i5,k3", "--format", "bmp", code=1, names=("'bmp'", "gif")
    ),
    "missing-output-dir": cli(
        "render", "conv:i5,k3", "-o", "nodir/x.gif", code=1, names=("nodir", "does not exist")
    ),
    "output-under-a-file": cli(
        "render",
        "conv:i5,k3",
        "-o",
        "somefile/x.gif",
        code=1,
        names=("somefile", "not a directory"),
    ),
    "read-only-output-dir": cli(
        "render",
        "conv:i5,k3",
        "-o",
        "ro/x.gif",
        code=1,
        names=("ro", "not writable"),
        setup=lambda root, mp: read_only(root / "ro", mp),
    ),  # fmt: skip
    "output-is-a-folder": cli("render", "conv:i5,k3", "-o", "tpl", names=("-o", "tpl")),
    "storyboard-unknown-suffix": cli(
        "render",
        "conv:i5,k3",
        "--storyboard",
        "s.bmp",
        *GIF,
        code=1,
        names=("--storyboard", ".png"),
    ),
    "frames-dir-under-a-file": cli(
        "render", "conv:i5,k3", "--frames", "somefile/frames", code=1, names="somefile"
    ),
    # oversized requests
    "too-many-frames": cli(
        "render", "conv:i100,k1", *GIF, names=("10000 frames", "--max-frames 2000", "stride")
    ),
    "too-many-frames-flags": cli(
        "render", "--input", "1000", "--kernel", "1", *GIF, names=("1000000 frames", "--max-frames")
    ),
    "too-many-frames-reverse": cli(
        "render",
        "conv:i5,k3",
        "--reverse",
        "--max-frames",
        "10",
        *GIF,
        names=("16", "--max-frames"),
    ),
    "too-many-channel-frames": cli(
        "render",
        "conv:i50,k3,cin4,cout4",
        "--frame-order",
        "position_channel",
        "--no-schematic",
        *GIF,
        names=("9216", "--schematic"),
    ),  # fmt: skip
    "too-many-pixels": cli(
        "render", "conv:i5,k3", "--width", "8000", *GIF, names=("8000x", "pixels", "--width")
    ),
    # compare
    "compare-unknown-template": cli("compare", "conv:i5,k3", "nosuch", *GIF, names="nosuch"),
    "compare-one-figure": cli("compare", "conv:i5,k3", *GIF, names=("compare", "two")),
    "compare-label-count": cli(
        "compare", "conv:i5,k3", "conv:i5,k1", "--label", "a", *GIF, names=("labels", "one each")
    ),
    "compare-too-many-frames": cli(
        "compare", "conv:i50,k1", "conv:i5,k1", *GIF, names=("2500", "--max-frames")
    ),
    "compare-bad-member": cli("compare", "conv:i5,k0", "conv:i5,k1", *GIF, names="kernel_size"),
    # explain, gallery
    "explain-impossible": cli("explain", "conv:i5,k9", names=("kernel_size", "padded input")),
    "explain-bad-flag": cli("explain", "conv:i5,k3", "--stride", "0", names="--stride"),
    "gallery-unknown-template": cli("gallery", "paddin_strides", names=("paddin_strides", "mean")),
    "gallery-jobs-zero": cli("gallery", "--jobs", "0", names="--jobs"),
    "gallery-out-is-a-file": cli("gallery", "--out", "somefile", names="somefile"),
    # user templates ($CONVANIM_TEMPLATES)
    "template-toml-syntax": cli(
        "render", "broken_tpl", *GIF, names=("broken_tpl.toml", "invalid TOML", "line 2")
    ),
    "template-wrong-type": cli(
        "render", "wrongtype_tpl", *GIF, names=("input_size", "True", "wrongtype_tpl.toml")
    ),
    "template-unknown-key": cli(
        "render", "unknownkey_tpl", *GIF, names=("wobble", "known fields", "unknownkey_tpl.toml")
    ),
    "template-string-kernel": cli(
        "render", "strkernel_tpl", *GIF, names=("kernel_size", "three", "strkernel_tpl.toml")
    ),
    "template-not-utf8": cli("render", "latin1_tpl", *GIF, names=("latin1_tpl.toml", "UTF-8")),
    "template-refers-to-itself": cli("render", "selfref_tpl", *GIF, names="refers to itself"),
    "template-flag-override": cli(
        "render", "padding_strides", "--stride", "0", *GIF, names="--stride"
    ),
    # manifests
    "manifest-missing": cli("batch", "nothere.toml", names=("nothere.toml", "no such manifest")),
    "manifest-toml-syntax": cli(
        "batch", "m_syntax.toml", names=("m_syntax.toml", "line 6", "column")
    ),
    "manifest-unknown-key": cli("batch", "m_unknown.toml", names=("m_unknown.toml", "wobble")),
    "manifest-unknown-table": cli("batch", "m_topkey.toml", names=("settings", "known keys")),
    "manifest-path-traversal": cli(
        "batch", "m_escape.toml", names=("figure ok", "output", "leaves the output directory")
    ),
    "manifest-absolute-output": cli("batch", "m_absolute.toml", names=("output", "absolute")),
    "manifest-unknown-suffix": cli("batch", "m_suffix.toml", names=("output", ".bmp")),
    "manifest-kernel-zero": cli("batch", "m_kernel.toml", names=("figure k0", "kernel_size")),
    "manifest-wrong-type": cli("batch", "m_type.toml", names=("figure t", "input_size")),
    "manifest-max-frames-zero": cli("batch", "m_maxframes.toml", names="max_frames"),
    "manifest-unknown-theme": cli("batch", "m_theme.toml", names=("theme", "neon")),
    "manifest-unknown-template": cli("batch", "m_template.toml", names=("template", "nosuch")),
    "manifest-negative-delay": cli("batch", "m_delay.toml", names=("defaults", "delay")),
    "manifest-nul-in-a-path": cli("batch", "m_nul.toml", names=("output_dir", "NUL")),
    "manifest-no-figures": cli("batch", "m_empty.toml", names="figures"),
    "manifest-too-many-frames": cli(
        "batch", "m_big.toml", "--jobs", "1", code=1, names=("big", "--max-frames")
    ),
    "batch-jobs-zero": cli("batch", "m_big.toml", "--jobs", "0", names="--jobs"),
}


def error_lines(output: str) -> list[str]:
    """The lines that report an error: click's ``Error: ...`` or batch's ``error: NAME: ...``."""
    return [line for line in output.splitlines() if line.lower().startswith("error")]


@pytest.mark.parametrize("case", list(CLI_CASES.values()), ids=list(CLI_CASES))
def test_cli_bad_input_is_one_line_and_writes_nothing(
    case: Cli, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if case.setup is not None:
        case.setup(workdir, monkeypatch)
    before = snapshot(workdir)
    result = CliRunner().invoke(main, list(case.args))
    assert result.exit_code == case.code, result.output
    # Any exception other than click's exit would be a traceback on a terminal.
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output
    lines = error_lines(result.output)
    assert len(lines) == 1, result.output
    for name in case.names:
        assert name in lines[0], lines[0]
    assert snapshot(workdir) == before


# -- the Python API -----------------------------------------------------------------------------


def _figure(**layer: Any) -> FigureSpec:
    return FigureSpec(LayerSpec(**layer), name="f")


def _save(target: FigureSpec, path: str, **kwargs: Any) -> Callable[[Path], Any]:
    return lambda root: Animation(target, **kwargs).save(root / path)


API_CASES: dict[str, tuple[Callable[[Path], Any], type[ConvanimError], tuple[str, ...]]] = {
    "layer-input-zero": (lambda _: LayerSpec(input_size=0), SpecError, ("input_size",)),
    "layer-stride-zero": (lambda _: LayerSpec(stride=(1, 0)), SpecError, ("stride",)),
    "layer-dilation-negative": (lambda _: LayerSpec(dilation=-1), SpecError, ("dilation",)),
    "layer-kernel-float": (lambda _: LayerSpec(kernel_size=2.5), SpecError, ("kernel_size",)),
    "layer-kernel-too-large": (
        lambda _: LayerSpec(input_size=3, kernel_size=4),
        SpecError,
        ("kernel_size", "padded input"),
    ),
    "layer-same-transposed": (
        lambda _: LayerSpec(op="conv_transpose", padding="same"),
        SpecError,
        ("padding", "conv_transpose"),
    ),
    "layer-output-padding": (
        lambda _: LayerSpec(op="conv_transpose", stride=2, output_padding=(0, 3)),
        SpecError,
        ("output_padding", "width"),
    ),
    "layer-groups": (
        lambda _: LayerSpec(in_channels=4, out_channels=6, groups=4),
        SpecError,
        ("groups", "out_channels"),
    ),
    "layer-channels-bool": (lambda _: LayerSpec(in_channels=True), SpecError, ("in_channels",)),
    "mapping-unknown-key": (
        lambda _: LayerSpec.from_mapping({"kernal": 3}),
        SpecError,
        ("kernal", "kernel_size"),
    ),
    "mapping-twice": (
        lambda _: LayerSpec.from_mapping({"k": 3, "kernel_size": 3}),
        SpecError,
        ("kernel_size", "twice"),
    ),
    "mapping-not-a-table": (lambda _: LayerSpec.from_mapping([1, 2]), SpecError, ("layer",)),
    "figure-unknown-view": (
        lambda _: FigureSpec.from_mapping({"view": "3d"}),
        SpecError,
        ("view", "arithmetic"),
    ),
    "figure-seed-negative": (lambda _: FigureSpec.from_mapping({"seed": -1}), SpecError, ("seed",)),
    "figure-layer-not-table": (
        lambda _: FigureSpec.from_mapping({"layer": 5}),
        SpecError,
        ("layer",),
    ),
    "look-width": (lambda _: Look(width=10), SpecError, ("width", "64 to 8000")),
    "look-scale-type": (lambda _: Look(scale="big"), SpecError, ("scale",)),
    "look-transparent-type": (lambda _: Look(transparent="yes"), SpecError, ("transparent",)),
    "theme-unknown-name": (lambda _: load_theme("neon"), SpecError, ("theme", "classic")),
    "theme-malformed-colour": (
        lambda root: load_theme(root / "bad_colour.toml"),
        SpecError,
        ("input", "#12345"),
    ),
    "theme-unknown-role": (
        lambda root: load_theme(root / "unknown_role.toml"),
        SpecError,
        ("wobble", "known keys"),
    ),
    "theme-toml-syntax": (
        lambda root: load_theme(root / "broken_theme.toml"),
        TemplateError,
        ("broken_theme.toml", "line 1"),
    ),
    "save-too-many-frames": (
        _save(_figure(input_size=100, kernel_size=1), "a.gif"),
        BudgetError,
        ("10000 frames", "max-frames 2000"),
    ),
    "save-own-max-frames": (
        _save(_figure(input_size=5, kernel_size=3), "a.gif", max_frames=4),
        BudgetError,
        ("9 frames", "max-frames 4"),
    ),
    "save-max-frames-zero": (
        _save(_figure(), "a.gif", max_frames=0),
        SpecError,
        ("max_frames",),
    ),
    "save-too-many-pixels": (
        _save(_figure(), "a.gif", look=Look(width=8000)),
        BudgetError,
        ("pixels", "--width"),
    ),
    "save-unknown-suffix": (_save(_figure(), "a.bmp"), OutputError, ("a.bmp",)),
    "save-missing-folder": (_save(_figure(), "nodir/a.gif"), OutputError, ("nodir",)),
    "save-bad-delay": (
        lambda root: Animation(_figure()).save(root / "a.gif", delay=0),
        SpecError,
        ("delay",),
    ),
    "storyboard-too-many-tiles": (
        lambda root: Animation(_figure(input_size=60, kernel_size=1)).storyboard(root / "s.png"),
        BudgetError,
        ("3600", "max-frames"),
    ),
    "manifest-missing": (lambda root: load_manifest(root / "nope.toml"), ManifestError, ("nope",)),
    "manifest-traversal": (
        lambda root: load_manifest(root / "m_escape.toml"),
        ManifestError,
        ("m_escape.toml", "figure ok", "output"),
    ),
    "manifest-syntax": (
        lambda root: load_manifest(root / "m_syntax.toml"),
        ManifestError,
        ("line 6", "column"),
    ),
}


@pytest.mark.parametrize("case", list(API_CASES.values()), ids=list(API_CASES))
def test_python_api_raises_convanims_errors_naming_the_field(case: tuple, workdir: Path) -> None:
    call, error, names = case
    before = snapshot(workdir)
    with pytest.raises(error) as caught:
        call(workdir)
    message = str(caught.value)
    assert "\n" not in message
    for name in names:
        assert name in message, message
    assert snapshot(workdir) == before


# -- what a terminal sees -----------------------------------------------------------------------


def test_a_real_terminal_gets_one_line_and_debug_gets_the_traceback(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "convanim"]
    args = ["render", "--input", "0", "-o", "x.gif"]
    plain = subprocess.run(command + args, cwd=tmp_path, capture_output=True, text=True)
    assert plain.returncode == 2
    assert "Traceback" not in plain.stderr + plain.stdout
    assert error_lines(plain.stderr) == ["Error: --input: 0 is not allowed; must be at least 1"]

    debug = subprocess.run(
        command + ["--debug", *args], cwd=tmp_path, capture_output=True, text=True
    )
    assert debug.returncode != 0
    assert "Traceback" in debug.stderr and "SpecError" in debug.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_templates_name_cannot_lead_the_default_output_out_of_output(workdir: Path) -> None:
    """Data stays data: the name a template gives its figure becomes one file name in output/."""
    (workdir / "tpl" / "sneaky.toml").write_text(
        'name = "../../escaped"\nop = "conv"\ninput_size = 3\nkernel_size = 2\n'
    )
    result = CliRunner().invoke(main, ["render", "sneaky", "--delay", "0.1"])
    assert result.exit_code == 0, result.output
    assert [p.name for p in (workdir / "output").iterdir()] == ["_.._escaped.gif"]
    assert not (workdir.parent / "escaped.gif").exists()
    assert not list(workdir.parent.parent.glob("escaped.gif"))


# -- bounds -------------------------------------------------------------------------------------


def test_the_frame_count_comes_from_the_geometry_before_anything_is_built() -> None:
    from convanim.scene.budget import frames_of

    huge = FigureSpec(LayerSpec(input_size=1_000_000, kernel_size=1), name="huge")
    assert frames_of(huge) == 10**12
    started = time.perf_counter()
    with pytest.raises(BudgetError, match="1000000000000 frames"):
        Animation(huge).n_frames  # noqa: B018 - the property is the request
    # A drawn grid of 10**12 cells would take minutes and terabytes: nothing was built.
    assert time.perf_counter() - started < 1


@pytest.mark.parametrize("name", template_names())
def test_the_geometry_count_bounds_every_templates_real_frame_count(name: str) -> None:
    from convanim.scene.budget import frames_of

    target = resolve(name)
    counted, drawn = frames_of(target), Animation(target).n_frames
    assert counted >= drawn  # never below: the budget is never too lenient
    if isinstance(target, FigureSpec) and not wants_channel_view(target):
        assert counted == drawn  # one frame per output cell, exactly
    else:
        # A schematic shows a few positions on the diagonal; the count allows for all four.
        assert counted - drawn <= 3


def test_memory_stays_flat_in_the_frame_count(tmp_path: Path) -> None:
    """Frames are streamed into the GIF writer: 2x the frames is not 2x the memory. The same
    figure played forth, then forth and back (the same picture, 100 and 198 frames), so that
    only the frame count differs (a figure with another output plane also has another static
    layer to draw)."""
    look = Look(width=400)
    peaks = []
    for reverse in (False, False, True):  # the first one warms up
        animation = Animation(resolve("conv:i10,k1"), look=look, reverse=reverse)
        tracemalloc.start()
        animation.save(tmp_path / "m.gif", delay=0.01)
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
    small, large = peaks[1], peaks[2]
    assert large < 1.3 * small, (small, large)
