"""Headless Chromium for the browser tests, with the standard library only: a page (or an SVG)
gets a probe script appended that drives it and writes what it saw, as JSON, into an attribute
of the root element; ``--dump-dom`` prints the document after the load event and the virtual
time budget, and the attribute is read back. Network lookups are mapped to nowhere, so a page
that tried to fetch something fails fast instead of waiting, and the probe lists every resource
the page loaded (``performance.getEntriesByType("resource")``)."""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = shutil.which("chromium")
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None,
    reason="headless Chromium is not installed (apt-get install chromium; .ci/run installs it)",
)


def _command(profile: Path, flags: tuple[str, ...], budget: int) -> list[str]:
    assert CHROMIUM is not None
    return [
        CHROMIUM,
        "--headless",
        "--no-sandbox",  # CI runs as root
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        "--host-resolver-rules=MAP * ~NOTFOUND",
        f"--user-data-dir={profile}",
        f"--virtual-time-budget={budget}",
        *flags,
    ]


def probed(page: Path, probe: str, before: str, profile: Path, *flags: str) -> dict[str, Any]:
    """Load a copy of ``page`` with ``probe`` inserted before the text ``before`` (e.g.
    ``</body>``) and return the JSON the probe wrote into ``data-result`` of the root."""
    copy = page.with_name(f".probe-{page.name}")
    text = page.read_text(encoding="utf-8")
    assert before in text
    copy.write_text(text.replace(before, probe + before, 1), encoding="utf-8")
    command = [*_command(profile, flags, 5000), "--dump-dom", copy.as_uri()]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    found = re.search(r'data-result="([^"]*)"', done.stdout)
    assert found, (done.stdout[-2000:], done.stderr[-2000:])
    result: dict[str, Any] = json.loads(html.unescape(found.group(1)))
    return result


def screenshot(url: str, out: Path, size: tuple[int, int], profile: Path, *flags: str) -> Path:
    """A PNG of ``url`` after ``--virtual-time-budget`` (given in ``flags``, else 2 s)."""
    budget = 2000
    rest = []
    for flag in flags:
        if flag.startswith("--virtual-time-budget="):
            budget = int(flag.split("=", 1)[1])
        else:
            rest.append(flag)
    command = [
        *_command(profile, tuple(rest), budget),
        f"--window-size={size[0]},{size[1]}",
        f"--screenshot={out}",
        url,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert out.exists(), done.stderr[-2000:]
    return out
