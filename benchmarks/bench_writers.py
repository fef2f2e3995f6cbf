"""Benchmark of the GIF writer: ms per frame and bytes for synthetic convolution-like frames.

Run: ``python benchmarks/bench_writers.py [--frames 100] [--size 400] [--formats gif,apng]``.
Frames have ~30 flat colours (a grid of cells) and a moving 3x3-cell "kernel" square; they are
drawn before timing so that only the encode is measured. The peak Python-heap memory of the GIF
writer is also measured for N and 4N frames fed from a generator, to show that it stays flat.
"""

from __future__ import annotations

import argparse
import tempfile
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from convanim.export.writers import WriteOptions, get_writer


def synthetic_frames(n: int, size: int) -> Iterator[np.ndarray]:
    """``n`` frames of a 6x5 grid of distinct flat colours with a moving highlighted square."""
    rng = np.random.default_rng(0)
    colours = rng.integers(0, 256, size=(30, 3), dtype=np.uint8)
    cell = size // 6
    base = np.full((size, size, 3), 255, dtype=np.uint8)
    for k, colour in enumerate(colours):
        r, c = divmod(k, 6)
        base[r * cell + 2 : (r + 1) * cell - 2, c * cell + 2 : (c + 1) * cell - 2] = colour
    steps = 4
    for i in range(n):
        frame = base.copy()
        r, c = divmod(i % (steps * steps), steps)
        y, x = r * cell, c * cell
        frame[y : y + 3 * cell, x : x + 3 * cell] //= 2  # the kernel's shadow
        yield frame


def bench(name: str, n: int, size: int) -> None:
    frames = list(synthetic_frames(n, size))
    writer = get_writer(name)
    suffix = writer.suffixes[0] or ""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"bench{suffix}"
        # Warm-up: imports (Pillow, the format module) are not part of the per-frame cost.
        writer.write(path, iter(frames[:2]), WriteOptions())
        start = time.perf_counter()
        result = writer.write(path, iter(frames), WriteOptions())
        elapsed = time.perf_counter() - start
    print(
        f"{name:6s} {n} frames {size}x{size}: {1000 * elapsed / n:6.2f} ms/frame, "
        f"{result.bytes} bytes, {result.n_frames} frames stored"
    )


def peak_memory(n: int, size: int) -> int:
    writer = get_writer("gif")
    with tempfile.TemporaryDirectory() as tmp:
        tracemalloc.start()
        writer.write(Path(tmp) / "m.gif", synthetic_frames(n, size), WriteOptions())
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=100)
    parser.add_argument("--size", type=int, default=400)
    parser.add_argument("--formats", default="gif")
    args = parser.parse_args()
    for name in args.formats.split(","):
        bench(name.strip(), args.frames, args.size)
    for n in (args.frames, 4 * args.frames):
        print(f"gif peak heap for {n} frames: {peak_memory(n, args.size) / 2**20:.1f} MiB")


if __name__ == "__main__":
    main()
