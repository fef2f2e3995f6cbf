"""The GIF writer's frames as a browser decodes them (Debian's headless Chromium, through the
WebCodecs ``ImageDecoder``): every disposal method the writer uses, "restore to previous"
included, shows what Pillow shows and what was drawn."""

from __future__ import annotations

import base64
from pathlib import Path

import numpy as np
from chromium_driver import needs_chromium, probed
from test_writers import BACKGROUND, BLOCK, STRIPE, decode, gif_blocks, make_frames

from convanim.export.writers import write

pytestmark = needs_chromium

# Decodes the GIF given as base64 frame by frame and writes each frame's RGB values. The decoder
# works off the main thread, where virtual time does not wait for it: until it is done, the
# page holds virtual time back with short timers that each take real time.
PROBE = """<script>
var done = false;
(function hold() {
  if (done) return;
  for (var k = 0, x = 0; k < 2000000; k++) x += k;
  setTimeout(hold, 1);
})();
(async function () {
  var root = document.documentElement;
  var frames = [];
  try {
    var bytes = Uint8Array.from(atob("DATA"), function (c) { return c.charCodeAt(0); });
    var decoder = new ImageDecoder({data: bytes, type: "image/gif"});
    await decoder.completed;
    var canvas = document.createElement("canvas");
    for (var i = 0; ; i++) {
      var frame;
      try { frame = (await decoder.decode({frameIndex: i})).image; } catch (e) { break; }
      canvas.width = frame.displayWidth;
      canvas.height = frame.displayHeight;
      var context = canvas.getContext("2d");
      context.drawImage(frame, 0, 0);
      frame.close();
      var rgba = context.getImageData(0, 0, canvas.width, canvas.height).data;
      frames.push(Array.from(rgba.filter(function (_, k) { return k % 4 !== 3; })));
    }
    root.setAttribute("data-result", JSON.stringify({frames: frames}));
  } catch (e) {
    root.setAttribute("data-result", JSON.stringify({error: String(e), frames: frames}));
  }
  done = true;
})();
</script>"""


def test_chromium_shows_each_frame_as_drawn_with_every_disposal(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    base = make_frames(1)[0]
    patch = base.copy()
    patch[2:38, 30:58] = rng.choice([BACKGROUND, BLOCK, STRIPE], size=(36, 28))
    frames = [base, patch, base, *make_frames(3)[1:]]
    path = tmp_path / "a.gif"
    write(path, frames)
    assert {b["disposal"] for b in gif_blocks(path.read_bytes())} == {1, 3}
    page = tmp_path / "page.html"
    page.write_text("<!doctype html><html><body></body></html>", encoding="utf-8")
    probe = PROBE.replace("DATA", base64.b64encode(path.read_bytes()).decode("ascii"))
    result = probed(page, probe, "</body>", tmp_path / "profile")
    assert "error" not in result, result
    seen = [np.array(f, np.uint8).reshape(base.shape) for f in result["frames"]]
    pillow, _, _ = decode(path)
    assert len(seen) == len(frames) == len(pillow)
    for browser, ours, drawn in zip(seen, pillow, frames):
        np.testing.assert_array_equal(browser, drawn)
        np.testing.assert_array_equal(ours, drawn)
