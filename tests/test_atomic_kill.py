"""Nothing lost: a render killed mid-write, two renders racing for one file, stale temporaries.

Every output is written to a hidden temporary beside it (``.NAME.XXXXXXXX.tmp``, see
``convanim.export.atomic``), fsynced and renamed into place. These tests run the real command in
subprocesses and kill it with SIGKILL — no cleanup handler runs — to check that the previous
output survives byte for byte, that the next run removes the abandoned temporary, and that two
concurrent renders leave one whole file without deleting each other's temporaries.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image

from convanim.export.atomic import atomic_path, remove_stale_temporaries

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL and flock are POSIX")

RENDER = [sys.executable, "-m", "convanim", "render"]
LONG = "conv:i24,k1"  # 576 frames: a few seconds of drawing, time enough to be killed


def _temporaries(folder: Path, name: str) -> list[Path]:
    return sorted(folder.glob(f".{name}.*.tmp"))


def _wait_for_temporary(proc: subprocess.Popen, folder: Path, name: str) -> Path:
    """The writer's temporary, once it exists (the first frame is drawn by then)."""
    deadline = time.monotonic() + 60
    while True:
        found = _temporaries(folder, name)
        if found:
            return found[0]
        assert proc.poll() is None, "the render ended before its temporary appeared"
        assert time.monotonic() < deadline, "no temporary appeared"
        time.sleep(0.01)


def _gif(path: Path) -> tuple[int, set[int]]:
    with Image.open(path) as im:
        durations = set()
        for index in range(im.n_frames):
            im.seek(index)
            durations.add(im.info["duration"])
        return im.n_frames, durations


def test_a_killed_render_keeps_the_previous_file_and_the_next_run_cleans_up(
    tmp_path: Path,
) -> None:
    subprocess.run([*RENDER, "conv:i3,k1", "-o", "out.gif"], cwd=tmp_path, check=True)
    previous = (tmp_path / "out.gif").read_bytes()

    proc = subprocess.Popen(
        [*RENDER, LONG, "--delay", "0.01", "-o", "out.gif"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for_temporary(proc, tmp_path, "out.gif")
        time.sleep(0.3)  # well into the frames
        assert proc.poll() is None, "the render finished before it could be killed"
        proc.send_signal(signal.SIGKILL)
        assert proc.wait(timeout=30) == -signal.SIGKILL
    finally:
        proc.kill()
        proc.wait(timeout=30)

    assert (tmp_path / "out.gif").read_bytes() == previous  # whole, and the old version
    assert len(_temporaries(tmp_path, "out.gif")) == 1  # what SIGKILL leaves behind

    subprocess.run(
        [*RENDER, LONG, "--delay", "0.01", "-o", "out.gif"],
        cwd=tmp_path,
        check=True,
        capture_output=True,
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.gif"]  # the leftover is gone
    assert _gif(tmp_path / "out.gif") == (576, {10})


def test_two_concurrent_renders_to_one_path_leave_one_whole_file(tmp_path: Path) -> None:
    first = subprocess.Popen(
        [*RENDER, LONG, "--delay", "0.01", "-o", "c.gif"], cwd=tmp_path, stderr=subprocess.PIPE
    )
    try:
        # The second starts while the first is writing: its clean-up of abandoned temporaries
        # must leave the first's (locked) temporary alone.
        _wait_for_temporary(first, tmp_path, "c.gif")
        second = subprocess.run(
            [*RENDER, "conv:i10,k1", "--delay", "0.02", "-o", "c.gif"],  # 100 frames
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
        )
        overlapped = first.poll() is None  # the first was still writing all along
        first.wait(timeout=120)
    finally:
        first.kill()
        first.wait(timeout=30)
    assert first.returncode == 0, first.stderr.read() if first.stderr else ""
    if first.stderr:
        first.stderr.close()
    assert second.returncode == 0, second.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.gif"]
    # One render's file, whole, not a mixture: the last rename wins.
    result = _gif(tmp_path / "c.gif")
    assert result in ((576, {10}), (100, {20}))
    if overlapped:  # the first renamed last
        assert result == (576, {10})


def test_a_temporary_in_use_is_kept_and_an_abandoned_one_removed(tmp_path: Path) -> None:
    dest = tmp_path / "a.gif"
    abandoned = tmp_path / ".a.gif.abcd1234.tmp"  # as a killed writer leaves it: no lock
    abandoned.write_bytes(b"half a GIF")
    other = tmp_path / ".b.gif.abcd1234.tmp"  # another destination's: not ours to judge
    other.write_bytes(b"")
    with atomic_path(dest) as tmp:
        assert not abandoned.exists()  # removed when the write began
        tmp.write_bytes(b"GIF89a")
        assert remove_stale_temporaries(tmp_path, "a.gif") == []  # ours is locked: kept
        assert tmp.exists()
    assert dest.read_bytes() == b"GIF89a"
    assert sorted(p.name for p in tmp_path.iterdir()) == [".b.gif.abcd1234.tmp", "a.gif"]


def test_a_folder_moved_aside_by_a_killed_writer_is_put_back(tmp_path: Path) -> None:
    # Killed between moving the old frames folder aside and renaming the new one in.
    old = tmp_path / ".frames.abcd1234.old"
    old.mkdir()
    (old / "frame_0000.png").write_bytes(b"png")
    assert remove_stale_temporaries(tmp_path, "frames") == [old]
    assert (tmp_path / "frames" / "frame_0000.png").read_bytes() == b"png"
    assert not old.exists()
