"""The HTML player: one self-contained page (no network, no library) that shows a picture's
frames inline as SVG (``convanim.backends.svg.frames_svg``) and steps through them.

Controls: play/pause, first, back, next, last, a frame slider and a speed choice; keys: space
(play/pause), ← and → (a frame back or on), Home and End. The page shows the frame's caption,
the parameter lines and formula, and the alt text, all given by the caller as strings. It
plays on load unless the reader prefers reduced motion (then it waits on the first frame), or
the address ends in ``#frame=N`` (then it shows frame N, paused). A comparison or a sequence
is one picture, so its members step together. The script is small and the page's own; the
same input gives the same bytes.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from html import escape

from convanim.backends import resolve
from convanim.backends.svg import Timeline, frames_svg
from convanim.model.themes import Theme
from convanim.scene.display import Picture, TextMetrics

_CSS = """\
body{font-family:system-ui,sans-serif;margin:1.5rem;background:%(bg)s;color:%(fg)s}
main{max-width:%(width)dpx;margin:auto}
h1{font-size:1.3rem;margin:0 0 .75rem}
figure{margin:0}
.stage svg{display:block;max-width:100%%;height:auto}
.js .f{visibility:hidden}.js .f.on{visibility:visible}
#caption{min-height:2.6em;margin:.6rem 0;font-size:1rem}
.controls{display:flex;flex-wrap:wrap;gap:.4rem;align-items:center}
.controls button,.controls select{font:inherit;padding:.25rem .6rem}
#slider{flex:1;min-width:8rem}
#counter{font-variant-numeric:tabular-nums;min-width:5.5em;text-align:right}
.params code{display:block;white-space:pre-wrap;margin:.2rem 0}
.alt,.made{font-size:.9rem;opacity:.85}"""

_SCRIPT = """\
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("convanim-data").textContent);
  var svg = document.querySelector(".stage svg");
  var n = data.captions.length;
  var groups = [];
  for (var i = 0; i < n; i++) groups.push(svg.querySelectorAll(".f" + i));
  svg.classList.add("js");
  var caption = document.getElementById("caption");
  var slider = document.getElementById("slider");
  var counter = document.getElementById("counter");
  var playButton = document.getElementById("play");
  var speed = document.getElementById("speed");
  var frame = -1, step = 0, plays = 0, timer = null;

  function show(i) {
    i = Math.max(0, Math.min(n - 1, i));
    if (frame >= 0) groups[frame].forEach(function (g) { g.classList.remove("on"); });
    groups[i].forEach(function (g) { g.classList.add("on"); });
    frame = i;
    slider.value = String(i);
    caption.textContent = data.captions[i];
    counter.textContent = (i + 1) + " / " + n;
    document.body.dataset.frame = String(i);
  }
  function stop() {
    if (timer !== null) clearTimeout(timer);
    timer = null;
    playButton.textContent = "play";
    playButton.setAttribute("aria-pressed", "false");
  }
  function tick() {
    timer = setTimeout(function () {
      step += 1;
      if (step >= data.order.length) {
        plays += 1;
        if (data.loop !== 0 && plays >= data.loop) { stop(); return; }
        step = 0;
      }
      show(data.order[step]);
      tick();
    }, data.ms[step] / Number(speed.value));
  }
  function play() {
    stop();
    var at = data.order.indexOf(frame);
    step = at < 0 ? 0 : at;
    plays = 0;
    playButton.textContent = "pause";
    playButton.setAttribute("aria-pressed", "true");
    tick();
  }
  function toggle() { if (timer === null) play(); else stop(); }
  function go(i) { stop(); show(i); }

  playButton.addEventListener("click", toggle);
  document.getElementById("first").addEventListener("click", function () { go(0); });
  document.getElementById("prev").addEventListener("click", function () { go(frame - 1); });
  document.getElementById("next").addEventListener("click", function () { go(frame + 1); });
  document.getElementById("last").addEventListener("click", function () { go(n - 1); });
  slider.addEventListener("input", function () { go(Number(slider.value)); });
  speed.addEventListener("change", function () { if (timer !== null) play(); });
  document.addEventListener("keydown", function (event) {
    var tag = event.target && event.target.tagName;
    if (tag === "INPUT" || tag === "SELECT" || event.altKey || event.ctrlKey || event.metaKey) {
      return;  // the slider and the speed list handle their own keys
    }
    var key = event.key;
    if (key === " " || key === "Spacebar") {
      if (tag === "BUTTON") return;  // the focused button is pressed instead
      toggle();
    } else if (key === "ArrowRight") go(frame + 1);
    else if (key === "ArrowLeft") go(frame - 1);
    else if (key === "Home") go(0);
    else if (key === "End") go(n - 1);
    else return;
    event.preventDefault();
  });

  var asked = /frame=(\\d+)/.exec(window.location.hash);
  show(asked ? Number(asked[1]) : 0);
  var still = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  if (!asked && !still) play(); else stop();
})();"""


def player_html(
    picture: Picture,
    theme: Theme,
    timeline: Timeline,
    *,
    title: str,
    alt: str,
    lines: Sequence[str],
    captions: Sequence[str],
    transparent: bool = False,
    metrics: TextMetrics | None = None,
    footer: str = "made with convanim",
) -> str:
    """The player page for ``picture``; ``captions`` has one entry per frame."""
    if len(captions) != picture.n_frames:
        raise ValueError(f"{len(captions)} captions for {picture.n_frames} frames")
    svg = frames_svg(picture, theme, transparent, metrics, title, alt)
    colours = {
        "bg": "#{:02x}{:02x}{:02x}".format(*resolve(theme, picture.background)),
        "fg": "#{:02x}{:02x}{:02x}".format(*resolve(theme, "text")),
        "width": max(picture.width, 480),
    }
    data = {
        "captions": list(captions),
        "order": list(timeline.order),
        "ms": [max(1, round(s * 1000)) for s in timeline.seconds],
        "loop": timeline.loop,
    }
    # "</" never ends the data block early, whatever a caption says.
    payload = json.dumps(data, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")
    last = picture.n_frames - 1
    speeds = "".join(
        f'<option value="{v}"{" selected" if v == "1" else ""}>{v}×</option>'
        for v in ("0.25", "0.5", "1", "2", "4")
    )
    params = "".join(f"<code>{escape(line)}</code>" for line in lines)
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en">',
            "<head>",
            '<meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            # Nothing may be fetched: the page is all there is.
            '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
            "style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">",
            f"<title>{escape(title)}</title>",
            f"<style>\n{_CSS % colours}\n</style>",
            "</head>",
            "<body>",
            "<main>",
            f"<h1>{escape(title)}</h1>",
            "<figure>",
            f'<div class="stage">\n{svg}</div>',
            f'<figcaption><p id="caption" aria-live="polite">{escape(captions[0])}</p>'
            "</figcaption>",
            "</figure>",
            '<div class="controls" role="group" aria-label="playback">',
            '<button id="first" title="first frame (Home)">« first</button>',
            '<button id="prev" title="a frame back (←)">‹ back</button>',
            '<button id="play" title="play or pause (space)" aria-pressed="false">play</button>',
            '<button id="next" title="next frame (→)">next ›</button>',
            '<button id="last" title="last frame (End)">last »</button>',
            f'<input id="slider" type="range" min="0" max="{last}" value="0" step="1" '
            'aria-label="frame">',
            f'<output id="counter">1 / {picture.n_frames}</output>',
            f'<label>speed <select id="speed">{speeds}</select></label>',
            "</div>",
            f'<div class="params">{params}</div>',
            f'<p class="alt" id="alt">{escape(alt)}</p>',
            f'<p class="made">{escape(footer)}</p>',
            "</main>",
            f'<script type="application/json" id="convanim-data">{payload}</script>',
            f"<script>\n{_SCRIPT}\n</script>",
            "</body>",
            "</html>",
            "",
        ]
    )
