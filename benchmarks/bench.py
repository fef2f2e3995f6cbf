"""convanim's speed and size figures, printed (not asserted): run ``python benchmarks/bench.py``.

Everything is measured in one run on this machine, so the ratios are what to compare; the
machines are shared and noisy, so each timing is the best of a few repeats.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

from convanim.animation import Animation
from convanim.catalog.templates import resolve
from convanim.model.spec import FigureSpec
from convanim.render import FigureRenderer

# The reference gallery: 15 arithmetic animations and 4 numerical ones (STYLE.md).
GALLERY = [
    *(
        f"{name}{suffix}"
        for name in (
            "no_padding_no_strides",
            "arbitrary_padding_no_strides",
            "same_padding_no_strides",
            "full_padding_no_strides",
            "no_padding_strides",
            "padding_strides",
            "padding_strides_odd",
        )
        for suffix in ("", "_transposed")
    ),
    "dilation",
    "numerical_no_padding_no_strides",
    "numerical_padding_strides",
    "numerical_max_pooling",
    "numerical_average_pooling",
]
REFERENCE_SECONDS = 344.0  # pdflatex + ImageMagick + gifsicle, 2 cores, 19 GIFs, 358 frames
REFERENCE_BYTES = 4.1e6
# Pixel sizes of two reference GIFs (STYLE.md): (frames, width, height).
REFERENCE_SIZES = {"no_padding_no_strides": (244, 259), "arbitrary_padding_no_strides": (495, 542)}
CLI = [sys.executable, "-m", "convanim"]


def best(fn, repeats: int = 3) -> float:  # noqa: ANN001
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def run(args: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def child_peak_rss_mb(args: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of a command, measured in a fresh interpreter."""
    code = (
        "import resource, subprocess, sys, time;"
        "t = time.perf_counter();"
        "subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL);"
        "w = time.perf_counter() - t;"
        "print(w, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    out = subprocess.run([sys.executable, "-c", code, *args], check=True, capture_output=True)
    wall, kb = out.stdout.split()
    return float(wall), int(kb) / 1024


def main() -> None:
    print(f"convanim benchmark on {os.cpu_count()} cores, Python {sys.version.split()[0]}\n")
    tmp = Path(tempfile.mkdtemp(prefix="convanim-bench-"))

    # -- the whole gallery, from the command line ------------------------------------------
    wall = min(run([*CLI, "gallery", "--out", str(tmp / "g"), *GALLERY]) for _ in range(3))
    wall1 = run([*CLI, "gallery", "--jobs", "1", "--out", str(tmp / "g1"), *GALLERY])
    frames = sum(Animation(resolve(n)).n_frames for n in GALLERY)
    sizes = {p.stem: p.stat().st_size for p in (tmp / "g").glob("*.gif")}
    total = sum(sizes.values())
    same = all(
        (tmp / "g" / f"{n}.gif").read_bytes() == (tmp / "g1" / f"{n}.gif").read_bytes()
        for n in GALLERY
    )
    print("gallery (19 reference figures, convanim gallery, all cores)")
    print(
        f"  wall {wall:.2f} s (1 process: {wall1:.2f} s), {frames} frames,"
        f" {total / 1e6:.2f} MB ({total / REFERENCE_BYTES:.2f}x the reference's 4.1 MB)"
    )
    speedup = REFERENCE_SECONDS / wall
    print(
        f"  {speedup:.0f}x faster than the reference's {REFERENCE_SECONDS:.0f} s;"
        f" parallel output identical to --jobs 1: {same}"
    )
    for name, (rw, rh) in REFERENCE_SIZES.items():
        w, h = Animation(resolve(name)).size
        print(f"  {name}: {w}x{h} px (reference {rw}x{rh}: {w / rw:.2f}x, {h / rh:.2f}x)")

    # -- per frame: fast path, full redraw, encode floor -----------------------------------
    name = "same_padding_no_strides"  # 25 frames, about 400x400
    figure = resolve(name)
    assert isinstance(figure, FigureSpec)
    fast = FigureRenderer(figure)
    n = fast.n_frames
    t_fast = best(lambda: list(FigureRenderer(figure).frames())) / n
    reuse = FigureRenderer(figure, fast=False)
    t_reuse = best(lambda: list(reuse.frames()), 2) / n
    t_scratch = best(lambda: [FigureRenderer(figure, fast=False).frame(i) for i in range(n)], 1) / n
    print(f"\nper frame ({name}, {fast.size[0]}x{fast.size[1]} px, {n} frames)")
    print(f"  fast path (background once, moving artists blitted): {t_fast * 1e3:.2f} ms")
    print(
        f"  full redraw, artists reused (canvas.draw): {t_reuse * 1e3:.2f} ms"
        f" ({t_reuse / t_fast:.1f}x the fast path)"
    )
    print(
        f"  full redraw from scratch (new figure per frame): {t_scratch * 1e3:.2f} ms"
        f" ({t_scratch / t_fast:.1f}x the fast path)"
    )

    made = list(fast.frames())
    palette = np.unique(np.concatenate([f.reshape(-1, 3) for f in made]), axis=0)
    # np.unique sorts rows, which is the order of the packed colours: searchsorted is exact.
    weights = np.array([1 << 16, 1 << 8, 1], dtype=np.uint32)
    packed = palette.astype(np.uint32) @ weights
    indexed = []
    for f in made:
        idx = np.searchsorted(packed, f.astype(np.uint32) @ weights)
        im = Image.fromarray(idx.astype(np.uint8), "P")
        im.putpalette(palette.ravel().tolist())
        indexed.append(im)

    def pillow_floor() -> None:
        buf = io.BytesIO()
        indexed[0].save(
            buf,
            "GIF",
            save_all=True,
            append_images=indexed[1:],
            duration=1000,
            loop=0,
            optimize=False,
        )

    t_floor = best(pillow_floor) / n
    from convanim.export.writers import WriteOptions, get_writer

    gif = get_writer("gif")
    t_writer = best(lambda: gif.write(tmp / "w.gif", iter(made), WriteOptions())) / n
    t_pipeline = best(lambda: Animation(figure).save(tmp / "p.gif")) / n
    print(
        f"  encode only, Pillow save_all of the same frames already palettised: "
        f"{t_floor * 1e3:.2f} ms"
    )
    print(f"  encode only, convanim's GIF writer on the same frames: {t_writer * 1e3:.2f} ms")
    print(
        f"  whole pipeline (render + write): {t_pipeline * 1e3:.2f} ms"
        f" = {t_pipeline / t_floor:.2f}x the Pillow encode floor,"
        f" {t_pipeline / t_writer:.2f}x convanim's own encode"
    )
    colours = len(palette)
    print(f"  colours in the whole animation: {colours} (GIF palette is exact when <= 255)")

    # -- long animations: time and memory --------------------------------------------------
    print("\nlong animations (convanim render, fresh process)")
    for spec, frames_ in (("conv:i32,k1", 1024), ("conv:i8,k1", 64)):
        wall_, rss = child_peak_rss_mb([*CLI, "render", spec, "-o", str(tmp / "long.gif")])
        print(f"  {spec} ({frames_} frames): {wall_:.2f} s wall, peak RSS {rss:.0f} MB")

    # -- start-up ---------------------------------------------------------------------------
    t_help = min(run([*CLI, "--help"]) for _ in range(5))
    t_py = min(run([sys.executable, "-c", "pass"]) for _ in range(5))
    print(f"\nconvanim --help: {t_help:.3f} s wall (bare Python start: {t_py:.3f} s)")


if __name__ == "__main__":
    main()
