"""The animated SVG in a real browser (Debian's headless Chromium): with no script of its own
it shows each frame at its time, with the GIF's delays, holds and loop count; it plays as an
image too; it fetches nothing from the network."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from chromium_driver import needs_chromium, probed, screenshot
from PIL import Image

from convanim.animation import Animation
from convanim.catalog.templates import resolve

pytestmark = needs_chromium

# Pauses the document's CSS animations at given times (seconds) and records which frame groups
# the browser then shows.
PROBE = """<script><![CDATA[
window.addEventListener("load", function () {
  var root = document.documentElement;
  var n = 0;
  root.querySelectorAll("g.f").forEach(function (g) {
    g.classList.forEach(function (c) { if (/^f\\d+$/.test(c)) n = Math.max(n, +c.slice(1) + 1); });
  });
  function drawn() {
    var out = [];
    for (var i = 0; i < n; i++) {
      var groups = root.querySelectorAll(".f" + i);
      for (var k = 0; k < groups.length; k++) {
        if (getComputedStyle(groups[k]).visibility === "visible") { out.push(i); break; }
      }
    }
    return out;
  }
  var animations = document.getAnimations();
  var seen = {};
  TIMES.forEach(function (t) {
    animations.forEach(function (a) { a.pause(); a.currentTime = t * 1000; });
    seen[String(t)] = drawn();
  });
  var loaded = performance.getEntriesByType("resource").map(function (e) { return e.name; });
  root.setAttribute("data-result", JSON.stringify(
    {seen: seen, animations: animations.length, groups: root.querySelectorAll("g.f").length,
     resources: loaded}));
});
]]></script>"""


def _seen(path: Path, times: list[float]) -> dict:
    probe = PROBE.replace("TIMES", repr(times))
    return probed(path, probe, "</svg>", path.parent / "profile")


def test_each_frame_shows_at_its_time_and_loops(tmp_path: Path) -> None:
    path = tmp_path / "ps.svg"
    Animation(resolve("padding_strides")).save(path)  # 9 frames, 1 s each, forever
    result = _seen(path, [0.5, 1.5, 4.2, 8.5, 9.5, 10.5])
    assert result["seen"] == {
        "0.5": [0], "1.5": [1], "4.2": [4], "8.5": [8], "9.5": [0], "10.5": [1]
    }  # fmt: skip
    assert result["animations"] == result["groups"] >= 9  # every frame group is animated
    assert result["resources"] == []


def test_delays_holds_and_a_loop_count_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "once.svg"
    # Frame 0 for 0.5 + 1 s, the others 0.5 s each, played once, then resting on the last.
    Animation(resolve("padding_strides")).save(path, delay=0.5, hold_first=1.0, loop=1)
    result = _seen(path, [1.2, 1.7, 2.3, 5.2, 7.5, 30.5])
    assert result["seen"] == {
        "1.2": [0], "1.7": [1], "2.3": [2], "5.2": [8], "7.5": [8], "30.5": [8]
    }  # fmt: skip


def test_it_plays_by_itself_in_an_img_element(tmp_path: Path) -> None:
    path = tmp_path / "ps.svg"
    Animation(resolve("padding_strides")).save(path)
    page = tmp_path / "page.html"
    page.write_text('<!DOCTYPE html><body style="margin:0"><img src="ps.svg"></body>', "utf-8")
    profile = tmp_path / "profile"
    early, late = (
        screenshot(page.as_uri(), tmp_path / f"{t}.png", (400, 400), profile,
                   f"--virtual-time-budget={t}")
        for t in (500, 2500)
    )  # fmt: skip
    a, b = (np.asarray(Image.open(s).convert("RGB")) for s in (early, late))
    assert (a != b).any(axis=2).sum() > 500  # frame 0, then frame 2


@pytest.mark.parametrize("suffix", ["svg", "html"])
def test_nothing_refers_to_the_network(suffix: str, tmp_path: Path) -> None:
    import re

    path = tmp_path / f"x.{suffix}"
    Animation(resolve("compare_3x3_vs_1x1")).save(path)
    text = path.read_text("utf-8")
    urls = set(re.findall(r"\w+://[^\s\"'<>)]*", text))
    assert urls <= {"http://www.w3.org/2000/svg"}
    links = re.findall(r'(?:href|src)="([^"]*)"', text)
    assert links and all(link.startswith("#") for link in links)
