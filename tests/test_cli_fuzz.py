"""Fuzzing the command line itself: argv made of real flags and nasty values, run in-process.

For ``render``, ``compare``, ``explain``, ``templates`` and ``gallery``, hypothesis builds
command lines from the real flags with values drawn from strings a careless user or script
would pass (empty, control characters, unicode digits, ``1e308``, ``inf``, ``nan``, ``-0``,
``10**30``, ``3x``, ``1,,2``, huge and negative numbers), spec strings, template names (user
templates among them: a cycle, a deeply nested file, a syntax error) and paths inside the
working folder. Every call must:

* exit with 0, 1 or 2;
* show no traceback (an exception other than ``SystemExit`` is a bug that reaches a user);
* leave the working folder exactly as it was unless it exited 0 (``gallery`` exiting 1 may keep
  the figures it reports as written);
* finish within ``CALL_SECONDS`` (a hang would be a bug; the bound is generous, not a timing).

Half the render and compare calls are nasty throughout, a quarter have exactly one nasty value
(huge numbers half the time) on a tiny figure, and a quarter are clean; the cases issue 17
found are always tried (``@example``). Figures stay tiny so that the calls are fast: every
render gets ``--max-frames 4`` first (a generated ``--max-frames`` may override it), so most
calls fail early as usage errors and the rest draw one to four small frames.
``derandomize=True`` makes CI deterministic; the file runs 2,000 generated calls (and the
examples) in under a minute.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from convanim.cli.main import main
from convanim.cli.report import _State

CALL_SECONDS = 20.0

NASTY = (
    "", " ", "\t", "\x01", "\x1b[31m", "\x7f", "é", "∞", "١", "²", "-", "--", "=", ",", "x",
    "0", "-0", "-1", "-7", "1e308", "-1e308", "inf", "-inf", "nan", "NaN", str(10**30),
    f"-{10**30}", "3x", "x3", "1,,2", "3,", ",3", "1x2x3", "2.5", "1e-300", "0x10", " 7 ",
    "true", "None", "../x", "a" * 300,
)  # fmt: skip
SMALL = ("1", "2", "3", "4")
HUGE = ("1e308", str(10**30), f"-{10**30}", "inf", "nan", "99999999", "65537", "1e6")
junk = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=6)


def values(*good: str) -> st.SearchStrategy[str]:
    """Mostly nasty: a good value a third of the time."""
    return st.one_of(st.sampled_from(good or SMALL), st.sampled_from(NASTY), junk)


OPS = ("conv", "conv_transpose", "max_pool", "avg_pool")
TOKENS = (
    "i3", "i2", "i4", "k1", "k2", "s2", "p1", "d2", "a1", "cin2", "cout2", "g2", "seed=3",
    "view=numerical", "view=volume", "schematic=true", "frame_order=position_channel",
    "padding=same", "i1e308", "k-1", "p1,,2", "i3x", "", "=", f"i{10**30}", "cin99999999",
    "seed=-1", "k3x", "i2x3", "zz9", "p0x1x0x1",
)  # fmt: skip
spec_strings = st.builds(
    lambda op, tokens: f"{op}:{','.join(tokens)}",
    st.sampled_from((*OPS, "", "deconv")),
    st.lists(st.sampled_from(TOKENS), max_size=4),
)
USER_TEMPLATES = {
    "tiny": 'op = "conv"\ninput_size = 2\nkernel_size = 1\ndescription = "four frames"\n',
    "tiny_pool": 'op = "max_pool"\ninput_size = 4\nkernel_size = 2\nstride = 2\n',
    "cycle_a": 'sequence = ["cycle_b", "conv:i3,k1"]\n',
    "cycle_b": 'name = "bee"\nsequence = ["cycle_a", "conv:i3,k1"]\n',
    "deep": "x = " + "[" * 3000 + "]" * 3000 + "\n",
    "broken": 'op = "conv"\ninput_size = = 5\n',
    "badfield": 'op = "conv"\ninput_size = 2\nwobble = 1\n',
}
refs = st.one_of(
    spec_strings,
    st.sampled_from((*USER_TEMPLATES, "no_such", "padding_strides")),
    st.sampled_from(NASTY),
)
THEMES = ("classic", "dark", "mono", "nosuch", "good_theme.toml", "deep_theme.toml", "x.toml")
OUTPUTS = (
    "out.gif", "out.png", "out.webp", "o.apng", "out.mp4", "out", "nodir/x.gif", "out.bmp",
    "é.gif", "-", "sub",
    "a" * 300 + ".gif",  # a name too long for the file system: one line, exit 1
)  # fmt: skip

# Every flag with values it accepts; the fuzz mixes them with NASTY and junk.
GOOD = {
    "--op": OPS,
    "--input": ("2", "3", "2x3"),
    "--kernel": ("1", "2"),
    "--stride": ("1", "2"),
    "--padding": ("0", "1", "same", "0,1,0,1"),
    "--dilation": ("1", "2"),
    "--output-padding": ("0", "1"),
    "--padding-mode": ("zeros", "reflect", "circular"),
    "--in-channels": ("1", "2", "3"),
    "--out-channels": ("1", "2"),
    "--groups": ("1", "2"),
    "--view": ("arithmetic", "numerical", "volume"),
    "--seed": ("0", "7"),
    "--frame-order": ("position", "position_channel"),
    "-o": OUTPUTS,
    "--format": ("gif", "apng", "webp", "frames", "mp4"),
    "--frames": ("frames", "out.gif", "nodir/f", "", "sub"),
    "--storyboard": ("s.png", "s.pdf", "s.svg", "s.bmp", "", "out.gif"),
    "--every": ("1", "2"),
    "--columns": ("1", "2", "100000"),
    "--dpi": ("10", "72"),
    "--theme": THEMES,
    "--width": ("64", "100"),
    "--scale": ("0.2", "0.5"),
    "--font-scale": ("0.5", "1"),
    "--delay": ("0.1", "1", "59", "61"),
    "--fps": ("1", "10", "0.01"),
    "--hold-first": ("0", "0.5"),
    "--hold-last": ("0", "60"),
    "--loop": ("0", "3", "65536"),
    "--max-frames": ("1", "4"),
    "--label": ("a", "b"),
}
LAYER = tuple(GOOD)[:14]
OUTPUT = tuple(GOOD)[14:]
NASTY_FLAGS = {flag: values(*good) for flag, good in GOOD.items()}
CLEAN_FLAGS = {flag: st.sampled_from(good) for flag, good in GOOD.items()}
# Figures of one to four frames, so that a clean call renders in a fraction of a second.
TINY = (
    "tiny", "tiny_pool", "conv:i2,k1", "conv:i3,k2,s2", "max_pool:i4,k2,s2", "conv:i2,k1,cin2",
    "conv_transpose:i1,k2", "conv:i3,k3,view=numerical", "conv:i2,k1,cin2,cout2,view=volume",
    "avg_pool:i3,k2,s2,p1,count_include_pad=false",
)  # fmt: skip
SWITCHES = (
    "--ceil-mode", "--floor-mode", "--count-include-pad", "--no-count-include-pad",
    "--schematic", "--no-schematic", "--transparent", "--labels", "--no-labels", "--formula",
    "--sums", "--reverse",
)  # fmt: skip


def flags(table: dict[str, st.SearchStrategy[str]], max_size: int) -> st.SearchStrategy[list]:
    pair = st.sampled_from(sorted(table)).flatmap(lambda f: st.tuples(st.just(f), table[f]))
    item = st.one_of(pair.map(list), st.sampled_from(SWITCHES).map(lambda s: [s]))
    return st.lists(item, max_size=max_size).map(lambda items: [a for i in items for a in i])


def pick(table: dict[str, st.SearchStrategy[str]], names: tuple[str, ...]) -> dict:
    return {name: table[name] for name in names}


nasty_render = st.builds(
    lambda ref, given: ["render", *ref, "--max-frames", "4", *given],
    st.one_of(refs.map(lambda r: [r]), st.just(["--input", "3", "--kernel", "1"])),
    flags(NASTY_FLAGS, 4),
)
nasty_compare = st.builds(
    lambda figures, given: ["compare", *figures, "--max-frames", "4", *given],
    st.lists(refs, min_size=0, max_size=3),
    flags(pick(NASTY_FLAGS, OUTPUT), 4),
)


# Three calls in four with mostly nasty values (usage errors, found before anything is drawn);
# the fourth has accepted values on a tiny figure, and renders into every kind of output.
def mix(nasty: st.SearchStrategy, one_wrong: st.SearchStrategy, clean: st.SearchStrategy):  # noqa: ANN201
    """Half the calls nasty throughout, a quarter with exactly one nasty value on a tiny figure
    (the likeliest mistake, and the one that reaches deepest), a quarter clean."""
    # st.one_of would pick each branch about equally often.
    return st.integers(0, 3).flatmap(lambda k: (clean, one_wrong, nasty, nasty)[k])


# Huge numbers half the time: they are what the bounds are for.
one_nasty_flag = st.sampled_from(sorted(NASTY_FLAGS)).flatmap(
    lambda f: st.tuples(st.just(f), st.one_of(st.sampled_from(HUGE), NASTY_FLAGS[f])).map(list)
)
render_argv = mix(
    nasty_render,
    st.builds(
        lambda ref, given, wrong: ["render", ref, "--max-frames", "4", *given, *wrong],
        st.sampled_from(TINY),
        flags(pick(CLEAN_FLAGS, OUTPUT), 2),
        one_nasty_flag,
    ),
    st.builds(
        lambda ref, given: ["render", ref, "--max-frames", "4", *given],
        st.sampled_from(TINY),
        flags(pick(CLEAN_FLAGS, OUTPUT), 3),
    ),
)
two_tiny = st.lists(st.sampled_from(TINY[:7]), min_size=2, max_size=2)
compare_argv = mix(
    nasty_compare,
    st.builds(
        lambda figures, given, wrong: ["compare", *figures, "--max-frames", "4", *given, *wrong],
        two_tiny,
        flags(pick(CLEAN_FLAGS, OUTPUT), 2),
        one_nasty_flag.filter(lambda pair: pair[0] in OUTPUT),
    ),
    st.builds(
        lambda figures, given: ["compare", *figures, "--max-frames", "4", *given],
        two_tiny,
        flags(pick(CLEAN_FLAGS, OUTPUT), 3),
    ),
)
explain_argv = st.builds(
    lambda ref, given: ["explain", ref, *given],
    st.one_of(refs, st.sampled_from(TINY)),
    flags(pick(NASTY_FLAGS, LAYER), 4),
)
other_argv = st.one_of(
    st.builds(lambda extra: ["templates", *extra], st.lists(st.sampled_from(NASTY), max_size=1)),
    st.builds(
        lambda names, out, jobs: ["gallery", *names, "--out", out, *jobs],
        st.lists(st.sampled_from((*USER_TEMPLATES, "no_such", *NASTY[:6])), min_size=1, max_size=2),
        st.sampled_from(("g", "out.gif", "nodir/g", "")),
        st.one_of(st.just([]), values("1").map(lambda j: ["--jobs", j])),
    ),
)


def snapshot(folder: Path) -> dict[str, tuple[bool, int, int]]:
    out = {}
    for root, dirs, files in os.walk(folder):
        for name in dirs + files:
            path = Path(root) / name
            info = path.lstat()
            out[str(path.relative_to(folder))] = (path.is_dir(), info.st_size, info.st_mtime_ns)
    return out


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The working folder, with user templates and theme files, some of them broken."""
    monkeypatch.chdir(tmp_path)
    templates = tmp_path / "tpl"
    templates.mkdir()
    for name, text in USER_TEMPLATES.items():
        (templates / f"{name}.toml").write_text(text, encoding="utf-8")
    monkeypatch.setenv("CONVANIM_TEMPLATES", str(templates))
    (tmp_path / "good_theme.toml").write_text('input = "#123456"\n', encoding="utf-8")
    (tmp_path / "deep_theme.toml").write_text("input = " + "[" * 3000 + "]" * 3000 + "\n")
    (tmp_path / "sub").mkdir()
    _State.debug = False
    yield tmp_path


def check(argv: list[str], folder: Path) -> None:
    """Run one command line and hold it to the promises in the module docstring."""
    before = snapshot(folder)
    start = time.monotonic()
    result = CliRunner().invoke(main, argv, catch_exceptions=True)
    elapsed = time.monotonic() - start
    shown = f"{argv!r} -> {result.exit_code}\n{result.output}"
    assert result.exit_code in (0, 1, 2), shown
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"{shown}\n{result.exception!r}"
    )
    assert "Traceback" not in result.output, shown
    assert elapsed < CALL_SECONDS, shown
    after = snapshot(folder)
    if result.exit_code == 0:
        _clean(folder, before, after)
        return
    if result.exit_code == 1 and argv[0] == "gallery":
        # Figures that worked are kept (and reported); the failed ones left nothing.
        new = {p for p in after if p not in before and not after[p][0]}
        written = {
            Path(line.split()[1]) for line in result.output.splitlines() if line[:5] == "wrote"
        }
        assert {Path(p) for p in new} <= written, shown
        assert not [p for p in after if Path(p).name.startswith(".")], shown
        _clean(folder, before, after)
        return
    assert after == before, f"{shown}\nchanged: {set(after) ^ set(before)}"


def _clean(folder: Path, before: dict, after: dict) -> None:
    """Remove what a call made, so that the next call starts from the same folder."""
    import shutil

    for name in sorted(set(after) - set(before), key=len, reverse=True):
        path = folder / name
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        elif path.exists() or path.is_symlink():
            path.unlink()


FUZZ = settings(
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@settings(FUZZ, max_examples=800)
@given(argv=render_argv)
# What issue 17 found, always tried: huge channel counts (a traceback, or a hang), durations
# (OverflowError, or a GIF repeating frames), storyboard columns and DPI.
@example(argv=["render", "conv:i2,k1", "--in-channels", str(10**30), "-o", "a.gif"])
@example(argv=["render", "conv:i2,k1", "--in-channels", "100000000", "-o", "a.gif"])
@example(argv=["render", "conv:i5,k3", "--groups", "65536", "--in-channels", "65536"])
@example(argv=["render", "conv:i100000000,k3,cin10", "-o", "a.gif"])
@example(argv=["render", "tiny", "--delay", "1e6", "-o", "a.gif"])
@example(argv=["render", "tiny", "--hold-last", "inf", "-o", "a.gif"])
@example(argv=["render", "tiny", "--fps", "1e-320", "-o", "a.gif"])
@example(argv=["render", "tiny", "--columns", "100000", "--storyboard", "s.png", "-o", "a.gif"])
@example(argv=["render", "conv:i30,k1", "--dpi", "1200", "--storyboard", "s.png", "-o", "a.gif"])
def test_render_never_tracebacks_hangs_or_leaves_output_on_failure(
    workdir: Path, argv: list[str]
) -> None:
    check(argv, workdir)


@settings(FUZZ, max_examples=300)
@given(argv=compare_argv)
def test_compare_never_tracebacks_hangs_or_leaves_output_on_failure(
    workdir: Path, argv: list[str]
) -> None:
    check(argv, workdir)


@settings(FUZZ, max_examples=700)
@given(argv=explain_argv)
@example(argv=["explain", f"conv:i5,k3,cin{10**11}"])
@example(argv=["explain", "cycle_a"])
def test_explain_never_tracebacks_or_hangs(workdir: Path, argv: list[str]) -> None:
    check(argv, workdir)


@settings(FUZZ, max_examples=200)
@given(argv=other_argv)
@example(argv=["gallery", "tiny", "--jobs", str(10**6), "--out", "g"])
@example(argv=["gallery", "tiny", "cycle_a", "deep", "--out", "g"])
def test_templates_and_gallery_report_bad_templates_and_go_on(
    workdir: Path, argv: list[str]
) -> None:
    check(argv, workdir)
