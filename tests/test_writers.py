"""Tests of convanim.export.writers and convanim.export.atomic: round trips decoded with Pillow,
exact pixels, timing, GIF's changed rectangles and transparency, determinism, atomicity and user
errors."""

from __future__ import annotations

import io
import os
import struct
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from convanim.errors import ConvanimError, OutputError, SpecError, WriterUnavailable
from convanim.export.atomic import atomic_path, atomic_write_text
from convanim.export.writers import WriteOptions, get_writer, write, writer_for, writers

H, W = 40, 60
BACKGROUND = (250, 240, 230)
BLOCK = (200, 30, 30)
STRIPE = (0, 0, 255)


def make_frames(n: int = 5, alpha: bool = False) -> list[np.ndarray]:
    """``n`` frames of a few flat colours with a 10x10 block moving right by 8 px a frame."""
    frames = []
    for i in range(n):
        frame = np.zeros((H, W, 4 if alpha else 3), dtype=np.uint8)
        frame[..., :3] = BACKGROUND
        frame[30:35, :, :3] = STRIPE
        frame[5:15, 5 + 8 * i : 15 + 8 * i, :3] = BLOCK
        if alpha:
            frame[..., 3] = 255
            frame[:, :6, 3] = 0  # a transparent margin
        frames.append(frame)
    return frames


def decode(path: Path, mode: str = "RGB") -> tuple[list[np.ndarray], list[int], dict]:
    """All frames (as ``mode`` arrays), their durations in ms, and the first frame's info."""
    with Image.open(path) as im:
        info = dict(im.info)
        frames, durations = [], []
        for i in range(getattr(im, "n_frames", 1)):
            im.seek(i)
            frames.append(np.asarray(im.convert(mode)).copy())
            durations.append(im.info.get("duration"))  # WebP sets it when the frame loads
    return frames, durations, info


def visible(rgba: np.ndarray) -> np.ndarray:
    """RGBA with 1-bit alpha and the colour of transparent pixels zeroed, for comparisons."""
    out = rgba.copy()
    clear = out[..., 3] == 0
    out[clear] = 0
    out[~clear, 3] = 255
    return out


def gif_blocks(data: bytes) -> list[dict]:
    """Parse our GIF's frames: graphic control fields and image descriptor of each."""
    assert data[:6] == b"GIF89a"
    flags = data[10]
    pos = 13 + (3 << ((flags & 7) + 1) if flags & 0x80 else 0)
    frames: list[dict] = []
    control: dict = {}
    while data[pos] != 0x3B:
        if data[pos] == 0x21:
            label = data[pos + 1]
            pos += 2
            if label == 0xF9:
                packed, delay, index = struct.unpack("<BHB", data[pos + 1 : pos + 5])
                control = {"disposal": (packed >> 2) & 7, "delay": delay}
                control["transparent"] = index if packed & 1 else None
            while data[pos]:
                pos += data[pos] + 1
            pos += 1
        elif data[pos] == 0x2C:
            x, y, w, h, _ = struct.unpack("<HHHHB", data[pos + 1 : pos + 10])
            frames.append({**control, "rect": (x, y, w, h)})
            pos += 11  # descriptor + LZW minimum code size
            while data[pos]:
                pos += data[pos] + 1
            pos += 1
        else:  # pragma: no cover - a malformed file
            raise AssertionError(f"unexpected block {data[pos]:#x} at {pos}")
    return frames


def failing(frames: list[np.ndarray], after: int) -> Iterator[np.ndarray]:
    """Yield ``after`` frames, then fail like a renderer bug would."""
    yield from frames[:after]
    raise RuntimeError("renderer exploded")


# --------------------------------------------------------------------------------------------
# registry and options


def test_writer_for_picks_by_suffix_and_format() -> None:
    assert writer_for("a/b.gif").name == "gif"
    assert writer_for("B.GIF").name == "gif"
    assert writer_for("x.apng").name == "apng"
    assert writer_for("x.png").name == "apng"
    assert writer_for("x.webp").name == "webp"
    assert writer_for("folder").name == "frames"
    assert writer_for("x.dat", format="GIF").name == "gif"
    assert get_writer("frames").suffixes == ("",)
    assert writer_for("x.svg").name == "svg" and writer_for("x.html").name == "html"
    assert writer_for("x.pdf").name == "pdf"
    names = {"gif", "apng", "webp", "mp4", "frames", "svg", "html", "pdf"}
    assert {w.name for w in writers()} == names
    assert {w.name for w in writers() if w.takes_picture} == {"svg", "html", "pdf"}


def test_unknown_suffix_lists_formats() -> None:
    with pytest.raises(OutputError) as info:
        writer_for("movie.avi")
    message = str(info.value)
    assert "\n" not in message
    assert "'.avi'" in message
    for expected in ("gif (.gif)", "apng (.apng .png)", ".webp", ".mp4", "folder"):
        assert expected in message
    with pytest.raises(OutputError, match="known formats: gif"):
        get_writer("avi")


def test_mp4_unavailable_raises_fix_it_message(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    monkeypatch.setitem(sys.modules, "imageio_ffmpeg", None)  # makes the import fail
    with pytest.raises(WriterUnavailable, match=r"convanim\[mp4\]") as info:
        writer_for("x.mp4")
    assert "pip install 'convanim[mp4]'" in str(info.value)
    mp4 = next(w for w in writers() if w.name == "mp4")
    assert not mp4.is_available()
    with pytest.raises(WriterUnavailable):
        mp4.write(tmp_path / "x.mp4", make_frames())
    assert list(tmp_path.iterdir()) == []


def test_writers_package_imports_no_numpy() -> None:
    code = (
        "import sys, convanim.export.writers, convanim.export.atomic; "
        "bad = [m for m in ('numpy', 'PIL', 'matplotlib') if m in sys.modules]; "
        "sys.exit(', '.join(bad) or None)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    "kwargs",
    [{"delay": 0}, {"delay": -1.0}, {"delay": ()}, {"loop": -1}, {"hold_last": -0.5}, {"fps": 0}],
)
def test_write_options_reject_impossible_values(kwargs: dict) -> None:
    with pytest.raises(SpecError):
        WriteOptions(**kwargs)


def test_per_frame_delays_must_match_frame_count(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="delay"):
        write(tmp_path / "a.gif", make_frames(5), WriteOptions(delay=(1.0, 2.0)))
    with pytest.raises(SpecError, match="delay"):
        write(tmp_path / "a.gif", make_frames(2), WriteOptions(delay=(1.0, 2.0, 3.0)))
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------------------------
# GIF


def test_gif_round_trip_is_exact(tmp_path: Path) -> None:
    frames = make_frames()
    result = write(tmp_path / "a.gif", iter(frames))
    assert (result.n_frames, result.size, result.format) == (5, (W, H), "gif")
    assert result.bytes == (tmp_path / "a.gif").stat().st_size
    decoded, durations, info = decode(tmp_path / "a.gif")
    assert len(decoded) == 5
    assert durations == [1000] * 5  # 100 centiseconds
    assert info["loop"] == 0
    for got, want in zip(decoded, frames):
        np.testing.assert_array_equal(got, want)


def test_gif_stores_changed_rectangles_and_is_small(tmp_path: Path) -> None:
    frames = make_frames()
    write(tmp_path / "a.gif", frames)
    data = (tmp_path / "a.gif").read_bytes()
    blocks = gif_blocks(data)
    assert [b["rect"] for b in blocks][0] == (0, 0, W, H)
    for i, block in enumerate(blocks[1:], start=1):
        x, y, w, h = block["rect"]
        # The block moved from x=5+8(i-1) to x=5+8i: only rows 5..15, 18 columns changed.
        assert (x, y, w, h) == (5 + 8 * (i - 1), 5, 18, 10)
        assert block["disposal"] == 1
    full_frames = 0
    for frame in frames:
        buffer = io.BytesIO()
        Image.fromarray(frame).save(buffer, format="GIF")
        full_frames += len(buffer.getvalue())
    assert len(data) < full_frames


def test_gif_restores_what_a_passing_overlay_covered(tmp_path: Path) -> None:
    """A frame that looks more like the one before last than like the last is stored against
    the one before last: the last is disposed with 3 "restore to previous", so a patch that
    came and went is not stored again (with disposal 1 the third frame would repaint it)."""
    rng = np.random.default_rng(7)
    base = make_frames(1)[0]
    patch = base.copy()
    patch[2:38, 30:58] = rng.choice([BACKGROUND, BLOCK, STRIPE], size=(36, 28))
    moved = base.copy()
    moved[36:39, 2:5] = BLOCK
    frames = [base, patch, base, moved, base]
    write(tmp_path / "a.gif", frames)
    blocks = gif_blocks((tmp_path / "a.gif").read_bytes())
    assert [b["disposal"] for b in blocks][:2] == [1, 3]
    assert blocks[2]["rect"][2:] == (1, 1)  # back to the first frame: one kept pixel
    assert blocks[3]["rect"] == (2, 36, 3, 3)
    decoded, _, _ = decode(tmp_path / "a.gif")
    assert len(decoded) == len(frames)
    for got, want in zip(decoded, frames):
        np.testing.assert_array_equal(got, want)


def test_gif_merges_identical_frames_and_honours_holds(tmp_path: Path) -> None:
    a, b, c = make_frames(3)
    options = WriteOptions(delay=0.5, hold_first=1.0, hold_last=2.0, loop=3)
    result = write(tmp_path / "a.gif", [a, a, b, c, c, c], options)
    assert result.n_frames == 3
    assert result.duration == pytest.approx(6 * 0.5 + 3.0)
    decoded, durations, info = decode(tmp_path / "a.gif")
    assert durations == [2000, 500, 3500]  # (0.5+1.0)+0.5, 0.5, 0.5*3+2.0
    assert info["loop"] == 3
    for got, want in zip(decoded, [a, b, c]):
        np.testing.assert_array_equal(got, want)


def test_gif_per_frame_delays_in_centiseconds(tmp_path: Path) -> None:
    write(tmp_path / "a.gif", make_frames(3), WriteOptions(delay=(0.1, 0.25, 1.0)))
    assert [b["delay"] for b in gif_blocks((tmp_path / "a.gif").read_bytes())] == [10, 25, 100]


def test_gif_transparency(tmp_path: Path) -> None:
    frames = make_frames(5, alpha=True)
    frames[2][20:25, 20:40, 3] = 128  # semi-transparent: drawn opaque in GIF
    frames[3][:, 30:, 3] = 0  # pixels that were opaque turn transparent
    frames[4][0:2, 0:2, :3] = (1, 2, 3)  # RGB under alpha 0 changes: invisible
    write(tmp_path / "t.gif", frames, WriteOptions(transparent=True))
    decoded, _, _ = decode(tmp_path / "t.gif", "RGBA")
    assert len(decoded) == 5
    for got, want in zip(decoded, frames):
        np.testing.assert_array_equal(visible(got), visible(want))
    blocks = gif_blocks((tmp_path / "t.gif").read_bytes())
    assert blocks[2]["disposal"] == 2  # frame 3 clears pixels: frame 2 restores to background


def test_gif_without_transparent_option_flattens_on_white(tmp_path: Path) -> None:
    frame = np.zeros((4, 4, 4), dtype=np.uint8)
    frame[..., 0] = 255
    frame[:2, :, 3] = 255
    frame[2:, :, 3] = 0
    write(tmp_path / "w.gif", [frame])
    (got,), _, info = decode(tmp_path / "w.gif")
    assert "transparency" not in info
    assert (got[:2] == (255, 0, 0)).all() and (got[2:] == 255).all()


def test_gif_survives_a_renderer_that_reuses_its_buffer(tmp_path: Path) -> None:
    frames = make_frames()

    def reused() -> Iterator[np.ndarray]:
        buffer = np.empty_like(frames[0])
        for frame in frames:
            buffer[...] = frame
            yield buffer

    write(tmp_path / "a.gif", reused())
    decoded, _, _ = decode(tmp_path / "a.gif")
    for got, want in zip(decoded, frames):
        np.testing.assert_array_equal(got, want)


def test_gif_over_256_colours_is_deterministic_with_bounded_error(tmp_path: Path) -> None:
    y, x = np.mgrid[0:64, 0:64]
    base = np.stack([x * 4, y * 4, (x + y) * 2], axis=-1).astype(np.uint8)  # 4096 colours
    base[:8, :] = (10, 200, 90)  # a flat fill: frequent colours must stay exact
    frames = [np.roll(base, shift, axis=1) for shift in range(0, 12, 4)]
    write(tmp_path / "a.gif", frames)
    write(tmp_path / "b.gif", frames)
    assert (tmp_path / "a.gif").read_bytes() == (tmp_path / "b.gif").read_bytes()
    decoded, _, _ = decode(tmp_path / "a.gif")
    assert len(decoded) == 3
    for got, want in zip(decoded, frames):
        error = np.abs(got.astype(int) - want.astype(int))
        assert error.max() <= 32
        assert error.mean() < 4
        assert (got[:8] == (10, 200, 90)).all()


@pytest.mark.parametrize("alpha", [False, True])
def test_gif_is_exact_at_exactly_256_colours(tmp_path: Path, alpha: bool) -> None:
    # 256 entries is the limit either way: 256 opaque colours, or 255 plus transparent.
    rng = np.random.default_rng(7)
    colours = np.stack(
        [np.arange(256), rng.permutation(256), np.arange(256)[::-1], np.full(256, 255)], axis=-1
    ).astype(np.uint8)
    if alpha:
        colours[0, 3] = 0
    index = rng.permutation(np.arange(32 * 32) % 256).reshape(32, 32)
    frames = [colours[index], colours[np.roll(index, 3, axis=1)]]
    if not alpha:
        frames = [f[..., :3] for f in frames]
    write(tmp_path / "a.gif", frames, WriteOptions(transparent=alpha))
    decoded, _, _ = decode(tmp_path / "a.gif", "RGBA")
    for got, want in zip(decoded, frames):
        if not alpha:
            want = np.dstack([want, np.full((32, 32), 255, np.uint8)])
        np.testing.assert_array_equal(visible(got), visible(want))


def test_gif_delays_over_a_minute_are_refused_and_the_longest_allowed_is_one_block(
    tmp_path: Path,
) -> None:
    # GIF stores at most 655 s a frame; longer delays used to be written as repeated frames.
    with pytest.raises(SpecError, match="delay: 1000.0 seconds is more than the 60 seconds"):
        WriteOptions(delay=1000.0)
    write(tmp_path / "a.gif", make_frames(2), WriteOptions(delay=60.0, hold_last=60.0))
    delays = [b["delay"] for b in gif_blocks((tmp_path / "a.gif").read_bytes())]
    assert delays == [6000, 12000]


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    seed=st.integers(0, 2**32 - 1),
    n_frames=st.integers(1, 6),
    n_colours=st.integers(1, 6),
    alpha=st.booleans(),
)
def test_gif_decodes_exactly_for_any_few_colour_frames(
    tmp_path: Path, seed: int, n_frames: int, n_colours: int, alpha: bool
) -> None:
    rng = np.random.default_rng(seed)
    palette = rng.integers(0, 256, size=(n_colours, 4), dtype=np.uint8)
    palette[:, 3] = rng.choice([0, 255], size=n_colours) if alpha else 255
    index = rng.integers(0, n_colours, size=(9, 11))
    frames = []
    for _ in range(n_frames):
        # Repaint a random rectangle (sometimes none: a repeated frame).
        y0, x0 = rng.integers(0, 9), rng.integers(0, 11)
        index = index.copy()
        index[y0 : y0 + rng.integers(0, 5), x0 : x0 + rng.integers(0, 5)] = rng.integers(
            0, n_colours
        )
        frames.append(palette[index] if alpha else palette[index][..., :3])
    path = tmp_path / f"p{seed}.gif"
    write(path, frames, WriteOptions(transparent=alpha))
    decoded, durations, _ = decode(path, "RGBA")
    # What should show: 1-bit alpha, invisible colours ignored, repeats merged.
    want: list[np.ndarray] = []
    for frame in frames:
        shown = visible(frame if alpha else np.dstack([frame, np.full((9, 11), 255, np.uint8)]))
        if not want or not np.array_equal(shown, want[-1]):
            want.append(shown)
    assert len(decoded) == len(want)
    assert sum(durations) == 1000 * n_frames
    for got, exp in zip(decoded, want):
        np.testing.assert_array_equal(visible(got), exp)


# --------------------------------------------------------------------------------------------
# APNG, WebP, frames


@pytest.mark.parametrize("suffix", [".apng", ".png", ".webp"])
def test_apng_and_webp_round_trip(tmp_path: Path, suffix: str) -> None:
    frames = make_frames()
    path = tmp_path / f"a{suffix}"
    options = WriteOptions(delay=0.25, hold_last=0.5, loop=2)
    result = write(path, [frames[0], *frames], options)  # frame 0 twice: merged
    assert result.n_frames == 5 and result.size == (W, H)
    decoded, durations, info = decode(path)
    assert len(decoded) == 5
    assert durations == [500, 250, 250, 250, 750]
    assert info["loop"] == 2
    for got, want in zip(decoded, frames):
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("suffix", [".apng", ".webp"])
def test_apng_and_webp_keep_transparency(tmp_path: Path, suffix: str) -> None:
    frames = make_frames(3, alpha=True)
    frames[1][20:25, 20:40, 3] = 128
    path = tmp_path / f"t{suffix}"
    write(path, frames, WriteOptions(transparent=True))
    decoded, _, _ = decode(path, "RGBA")
    for got, want in zip(decoded, frames):
        assert (got[..., 3] == want[..., 3]).all()
        opaque = want[..., 3] > 0
        np.testing.assert_array_equal(got[opaque], want[opaque])


@pytest.mark.parametrize("name", ["a.gif", "a.apng", "a.webp", "folder"])
def test_same_frames_give_same_bytes(tmp_path: Path, name: str) -> None:
    frames = make_frames(alpha=True)
    options = WriteOptions(transparent=True)
    first, second = tmp_path / "one", tmp_path / "two"
    first.mkdir(), second.mkdir()
    write(first / name, frames, options)
    write(second / name, frames, options)
    if name == "folder":
        names = sorted(p.name for p in (first / name).iterdir())
        assert names == [f"frame_{i:04d}.png" for i in range(5)]
        for n in names:
            assert (first / name / n).read_bytes() == (second / name / n).read_bytes()
    else:
        assert (first / name).read_bytes() == (second / name).read_bytes()


def test_frames_folder_round_trip_and_safe_replace(tmp_path: Path) -> None:
    folder = tmp_path / "out"
    write(folder, make_frames(8))
    frames = make_frames(3)
    result = write(folder, frames, WriteOptions(delay=2.0))
    assert (result.n_frames, result.duration) == (3, 6.0)
    names = sorted(p.name for p in folder.iterdir())
    assert names == ["frame_0000.png", "frame_0001.png", "frame_0002.png"]
    for i, frame in enumerate(frames):
        with Image.open(folder / f"frame_{i:04d}.png") as im:
            assert "tIME" not in im.info and im.mode == "RGB"
            np.testing.assert_array_equal(np.asarray(im), frame)
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # no temporaries left

    precious = tmp_path / "docs"
    precious.mkdir()
    (precious / "thesis.tex").write_text("years of work")
    with pytest.raises(OutputError, match="refusing to replace"):
        write(precious, frames)
    assert (precious / "thesis.tex").read_text() == "years of work"


# --------------------------------------------------------------------------------------------
# atomicity and destination errors


@pytest.mark.parametrize("name", ["a.gif", "a.apng", "a.webp", "a.mp4", "folder"])
def test_failed_write_keeps_previous_output(tmp_path: Path, name: str) -> None:
    if name.endswith(".mp4"):
        pytest.importorskip("imageio_ffmpeg", reason="MP4 needs the convanim[mp4] extra")
    path = tmp_path / name
    write(path, make_frames(2))
    before = {p: p.read_bytes() for p in [path, *path.glob("*")] if p.is_file()}
    with pytest.raises(RuntimeError, match="renderer exploded"):
        write(path, failing(make_frames(), after=3))
    assert {p: p.read_bytes() for p in [path, *path.glob("*")] if p.is_file()} == before
    assert [p.name for p in tmp_path.iterdir()] == [name]


def test_keyboard_interrupt_leaves_no_temporary(tmp_path: Path) -> None:
    def interrupted() -> Iterator[np.ndarray]:
        yield from make_frames(2)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write(tmp_path / "a.gif", interrupted())
    assert list(tmp_path.iterdir()) == []


def test_missing_directory_is_one_line_error(tmp_path: Path) -> None:
    missing = tmp_path / "nope" / "deeper"
    for name in ("a.gif", "a.webp", "folder"):
        with pytest.raises(OutputError) as info:
            write(missing / name, make_frames(1))
        assert str(info.value) == f"output directory does not exist: {missing}"
    assert list(tmp_path.iterdir()) == []


def test_unwritable_directory_is_one_line_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As root, permissions are not enforced, so both checks are simulated.
    monkeypatch.setattr(os, "access", lambda *args, **kwargs: False)
    with pytest.raises(OutputError, match="output directory is not writable"):
        write(tmp_path / "a.gif", make_frames(1))
    monkeypatch.undo()

    def denied(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("convanim.export.atomic._create_entry", denied)
    with pytest.raises(OutputError) as info:
        write(tmp_path / "a.gif", make_frames(1))
    assert "\n" not in str(info.value) and "not writable" in str(info.value)
    assert isinstance(info.value, ConvanimError)


def test_directory_where_a_file_should_go(tmp_path: Path) -> None:
    (tmp_path / "x.gif").mkdir()
    with pytest.raises(OutputError, match="is a directory"):
        write(tmp_path / "x.gif", make_frames(1))


def test_atomic_path_gives_normal_permissions_and_keeps_old_mode(tmp_path: Path) -> None:
    target = tmp_path / "notes.txt"
    atomic_write_text(target, "one")
    umask = os.umask(0)
    os.umask(umask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~umask
    target.chmod(0o640)
    with atomic_path(target) as tmp:
        assert tmp.parent == tmp_path and tmp.name.startswith(".notes.txt.")
        assert tmp.name.endswith(".tmp")
        tmp.write_text("two")
    assert target.read_text() == "two" and target.stat().st_mode & 0o777 == 0o640


def test_empty_input_is_rejected_before_writing(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no frames"):
        write(tmp_path / "a.gif", iter([]))
    with pytest.raises(ValueError, match="uint8"):
        write(tmp_path / "a.gif", [np.zeros((4, 4, 3), dtype=float)])
    with pytest.raises(ValueError, match="frame 1 is"):
        write(tmp_path / "a.gif", [np.zeros((4, 4, 3), np.uint8), np.zeros((4, 5, 3), np.uint8)])
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------------------------
# MP4


def test_mp4_round_trip(tmp_path: Path) -> None:
    imageio_ffmpeg = pytest.importorskip(
        "imageio_ffmpeg", reason="MP4 needs the convanim[mp4] extra"
    )
    frames = [f[:-1, :-1] for f in make_frames(4, alpha=True)]  # odd size: 59x39
    result = write(tmp_path / "a.mp4", frames, WriteOptions(hold_last=0.5, transparent=True))
    assert result.size == (60, 40)
    assert result.n_frames == 9  # 2 fps: 2 + 2 + 2 + 3
    reader = imageio_ffmpeg.read_frames(str(tmp_path / "a.mp4"))
    meta = next(reader)
    assert meta["size"] == (60, 40) and meta["fps"] == 2
    decoded = [np.frombuffer(chunk, np.uint8).reshape(40, 60, 3) for chunk in reader]
    assert len(decoded) == 9
    # Lossy, but the flattened-on-white margin and the red block are recognisable.
    assert decoded[0][20, 2].min() > 235
    assert abs(int(decoded[0][10, 10, 0]) - BLOCK[0]) < 24
