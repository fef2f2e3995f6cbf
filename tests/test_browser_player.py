"""The HTML player in a real browser (Debian's headless Chromium): "next", the arrow keys, Home
and End move the drawn frame, and the slider and the caption follow; space plays and pauses;
it waits when the reader prefers reduced motion; nothing is fetched from the network."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from chromium_driver import needs_chromium, probed, screenshot
from PIL import Image

from convanim.animation import Animation
from convanim.catalog.templates import resolve
from convanim.scene.describe import frame_captions

pytestmark = needs_chromium

# Drives the player after it loaded: each step records which frame groups are visible (by the
# browser's computed style), the slider, the caption and whether it plays.
PROBE = """<script>
window.addEventListener("load", function () {
  var svg = document.querySelector(".stage svg");
  var slider = document.getElementById("slider");
  var n = Number(slider.max) + 1;
  function drawn() {
    var out = [];
    for (var i = 0; i < n; i++) {
      var groups = svg.querySelectorAll(".f" + i);
      for (var k = 0; k < groups.length; k++) {
        if (getComputedStyle(groups[k]).visibility === "visible") { out.push(i); break; }
      }
    }
    return out;
  }
  function state() {
    return {drawn: drawn(), slider: slider.value,
            caption: document.getElementById("caption").textContent,
            playing: document.getElementById("play").getAttribute("aria-pressed")};
  }
  function key(name) {
    document.body.dispatchEvent(new KeyboardEvent("keydown", {key: name, bubbles: true}));
  }
  var steps = [state()];
  var next = document.getElementById("next");
  for (var k = 0; k < 3; k++) { next.click(); steps.push(state()); }
  key("ArrowRight"); steps.push(state());
  key("ArrowLeft"); key("ArrowLeft"); steps.push(state());
  key("End"); steps.push(state());
  key("Home"); steps.push(state());
  key(" "); var playing = state().playing; key(" ");
  var loaded = performance.getEntriesByType("resource").map(function (e) { return e.name; });
  document.documentElement.dataset.result = JSON.stringify(
    {steps: steps, playing: playing, paused: state().playing, resources: loaded});
});
</script>"""


@pytest.fixture(scope="module")
def player(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("player")
    path = folder / "padding_strides.html"
    Animation(resolve("padding_strides")).save(path)
    return path


def test_next_and_the_keys_move_the_frame_slider_and_caption(player: Path) -> None:
    captions = frame_captions(resolve("padding_strides"))
    profile = player.parent / "profile"
    calm = probed(player, PROBE, "</body>", profile, "--force-prefers-reduced-motion")
    expected = [0, 1, 2, 3, 4, 2, 8, 0]  # start, next x3, →, ← ←, End, Home
    assert [s["drawn"] for s in calm["steps"]] == [[k] for k in expected]
    assert [s["slider"] for s in calm["steps"]] == [str(k) for k in expected]
    assert [s["caption"] for s in calm["steps"]] == [captions[k] for k in expected]
    assert calm["steps"][0]["playing"] == "false"  # reduced motion: it waits
    assert (calm["playing"], calm["paused"]) == ("true", "false")  # space plays, space pauses
    assert calm["resources"] == []
    # Without the preference it plays on load, and stepping pauses it the same way.
    eager = probed(player, PROBE, "</body>", profile)
    assert eager["steps"][0]["playing"] == "true"
    assert [s["drawn"] for s in eager["steps"][1:]] == [[k] for k in expected[1:]]
    assert eager["resources"] == []


def test_a_comparison_steps_its_members_together(tmp_path: Path) -> None:
    path = tmp_path / "both.html"
    Animation(resolve("compare_3x3_vs_1x1")).save(path)
    result = probed(path, PROBE, "</body>", tmp_path / "profile", "--force-prefers-reduced-motion")
    caption = result["steps"][1]["caption"]
    assert "3x3: output cell (0, 1) of 5x5" in caption
    assert "1x1: output cell (0, 1) of 5x5" in caption
    assert result["steps"][1]["drawn"] == [1]


def test_the_drawn_picture_changes_between_frames(player: Path) -> None:
    profile = player.parent / "profile"
    shots = [
        screenshot(f"{player.as_uri()}#frame={k}", player.with_name(f"f{k}.png"), (640, 560),
                   profile)
        for k in (0, 3, 3)
    ]  # fmt: skip
    first, third, again = (np.asarray(Image.open(s).convert("RGB")) for s in shots)
    assert (first != third).any(axis=2).sum() > 500  # the window and output cell moved
    assert np.array_equal(third, again)
