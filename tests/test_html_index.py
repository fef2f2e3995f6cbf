"""The batch HTML index: captions, escaping, links, when it is written, and — in headless
Chromium — that every image on it actually loads."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from convanim.batch.runner import caption, index_html
from convanim.catalog.manifest import INDEX_NAME, load_manifest
from convanim.catalog.templates import resolve
from convanim.cli.main import main

MANIFEST = """\
[defaults]
output_dir = "site"
delay = 0.1
html = true
title = "Figures & <friends>"

[[figures]]
name = "strided"
op = "conv"
input_size = 5
kernel_size = 1
stride = 2
output = "strided.gif"

[[figures]]
name = "odd <b>&\\"name\\""
description = "a <script>alert(1)</script> description"
template = "conv:i5x7,k3x1,p0x1x0x1"
output = "with space/fig 1.png"

[[figures]]
name = "both"
template = "compare_3x3_vs_1x1"
output = "both.webp"
"""


def _manifest(tmp_path: Path, text: str = MANIFEST) -> Path:
    path = tmp_path / "convanim.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_captions_give_the_parameters_and_the_output_size() -> None:
    assert caption(resolve("conv:i5,k1,s2")) == ["conv  i=5 k=1 s=2 p=0 → o=3"]
    assert caption(resolve("conv:i5x7,k3x1,p0x1x0x1")) == [
        "conv  i=5x7 k=3x1 s=1 p=0x1x0x1 → o=4x8"
    ]
    assert caption(resolve("conv_transpose:i3,k3,s2,a1")) == [
        "conv_transpose  i=3 k=3 s=2 p=0 a=1 → o=8"
    ]
    assert caption(resolve("numerical_max_pooling")) == [
        "max_pool  i=5 k=3 s=1 p=0 → o=3  (numerical)"
    ]
    assert caption(resolve("conv:i6,k3,d2,psame")) == ["conv  i=6 k=3 s=1 p=same d=2 → o=6"]
    assert caption(resolve("compare_3x3_vs_1x1")) == [
        "3x3: conv_transpose  i=7 k=3 s=1 p=2 → o=5",
        "1x1: conv_transpose  i=5 k=1 s=1 p=0 → o=5",
    ]


def test_the_index_escapes_text_and_links_relative_paths(tmp_path: Path) -> None:
    page = index_html(load_manifest(_manifest(tmp_path)))
    assert "<title>Figures &amp; &lt;friends&gt;</title>" in page
    assert "odd &lt;b&gt;&amp;&quot;name&quot;" in page
    assert "<script" not in page and "<b>" not in page
    # The alt is the figure described (convanim.scene.describe), not its name.
    strided = "A 1x1 kernel slides over a 5x5 input with stride 2; each of the 9 frames "
    assert f'<img src="strided.gif" alt="{strided}computes one cell of the 3x3 output.">' in page
    assert 'src="with%20space/fig%201.png"' in page
    assert "<code>conv  i=5 k=1 s=2 p=0 → o=3</code>" in page
    assert "<code>3x3: conv_transpose  i=7 k=3 s=1 p=2 → o=5</code>" in page
    assert page.count("<figure ") == 3
    assert str(tmp_path) not in page  # movable with the folder


def test_frame_folders_and_videos_get_fitting_elements(tmp_path: Path) -> None:
    text = MANIFEST.replace('"strided.gif"', '"strided"').replace('"both.webp"', '"both.mp4"')
    page = index_html(load_manifest(_manifest(tmp_path, text)))
    assert '<img src="strided/frame_0000.png" alt="A 1x1 kernel slides' in page
    assert '<video src="both.mp4" autoplay loop muted playsinline aria-label="2 figures' in page


def test_the_index_is_written_when_asked_and_only_when_it_changed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    text = MANIFEST.replace("html = true\n", "").split('[[figures]]\nname = "odd')[0]
    manifest = _manifest(tmp_path, text)
    index = tmp_path / "site" / INDEX_NAME

    def batch(*args: str) -> str:
        result = CliRunner().invoke(main, ["batch", "--jobs", "1", *args])
        assert result.exit_code == 0, result.output
        return result.output

    batch()
    assert not index.exists()  # the manifest does not ask for it
    assert "wrote site/index.html" in batch("--html")
    inode = index.stat().st_ino
    assert "index.html" not in batch("--html")
    assert index.stat().st_ino == inode  # unchanged: not rewritten

    manifest.write_text(text.replace("stride = 2", "stride = 1"), encoding="utf-8")
    result = CliRunner().invoke(main, ["batch", "--check", "--html"])
    assert result.exit_code == 1
    assert "stale: index.html" in result.output
    assert "index.html" not in batch("--no-html")
    assert "wrote site/index.html" in batch("--html")
    assert "s=1 p=0 → o=5" in index.read_text(encoding="utf-8")


# -- in a real browser ---------------------------------------------------------------------------

# Appended to a copy of the index beside it: after the load event (every image loaded or
# failed), it records on <body> how many images there are and which did not decode.
_PROBE = """<script>
window.addEventListener("load", () => {
  const images = Array.from(document.images);
  const broken = images.filter((img) => !(img.complete && img.naturalWidth > 0));
  document.body.dataset.images = String(images.length);
  document.body.dataset.broken = broken.map((img) => img.getAttribute("src")).join("|");
  document.body.dataset.checked = "yes";
});
</script>
</body>"""


def _images_in_chromium(index: Path, profile: Path) -> tuple[int, list[str]]:
    """(images on the page, srcs that did not load), as headless Chromium sees them."""
    probe = index.with_name(".probe.html")
    probe.write_text(index.read_text(encoding="utf-8").replace("</body>", _PROBE), "utf-8")
    command = [
        "chromium",
        "--headless",
        "--no-sandbox",  # CI runs as root
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        # Lets the page finish loading (and the load event fire) before the DOM is dumped.
        "--virtual-time-budget=10000",
        "--dump-dom",
        probe.as_uri(),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    body = re.search(r"<body[^>]*>", done.stdout)
    assert body and 'data-checked="yes"' in body.group(0), (done.stdout[-2000:], done.stderr)
    images = re.search(r'data-images="(\d+)"', body.group(0))
    broken = re.search(r'data-broken="([^"]*)"', body.group(0))
    assert images and broken
    return int(images.group(1)), [s for s in broken.group(1).split("|") if s]


@pytest.mark.skipif(
    shutil.which("chromium") is None,
    reason="headless Chromium is not installed (apt-get install chromium; .ci/run installs it)",
)
def test_every_image_of_the_index_loads_in_chromium(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    _manifest(tmp_path)
    result = CliRunner().invoke(main, ["batch", "--jobs", "2"])
    assert result.exit_code == 0, result.output
    index = tmp_path / "site" / INDEX_NAME
    assert _images_in_chromium(index, tmp_path / "profile") == (3, [])

    # The probe must be able to fail: a missing and a truncated figure are both caught.
    (tmp_path / "site" / "both.webp").unlink()
    gif = tmp_path / "site" / "strided.gif"
    gif.write_bytes(gif.read_bytes()[:64])
    count, broken = _images_in_chromium(index, tmp_path / "profile")
    assert count == 3
    assert sorted(broken) == ["both.webp", "strided.gif"]
