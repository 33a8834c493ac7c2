"""Headless Chromium for the report: find it, dump the DOM, take a screenshot.

    python -m tests.support.browser report.html report.png     # what `make report-screenshot` runs

Nothing here installs a browser: `make chromium` does (and CI runs it), so a test without one skips.

Chromium runs with no sandbox, no GPU, no background networking or component updates,
a throwaway profile, and a deadline after which its whole process group is killed.
"""

from __future__ import annotations

import os
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import zlib
from pathlib import Path

NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--no-first-run",
    "--disable-extensions",
    "--hide-scrollbars",
    "--mute-audio",
)


class NoBrowser(RuntimeError):
    """No Chromium to run, or it did not do what was asked."""


def find_chromium() -> str:
    """A Chromium on PATH, or NoBrowser saying none is (`make chromium` installs Debian's package)."""
    found = next(filter(None, map(shutil.which, NAMES)), None)
    if found is None:
        raise NoBrowser(f"none of {', '.join(NAMES)} is on PATH (`make chromium` installs one)")
    return found


def run_headless(chromium: str, url: str, *extra: str, timeout: float = 60) -> subprocess.CompletedProcess:
    with tempfile.TemporaryDirectory(prefix="newsdesk-chromium-") as profile:
        command = [chromium, *FLAGS, f"--user-data-dir={profile}", *extra, url]
        process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
        )
        try:
            stdout, stderr = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            raise
        return subprocess.CompletedProcess(command, process.returncode, stdout, stderr)


def dump_dom(chromium: str, page: Path) -> str:
    return run_headless(chromium, page.resolve().as_uri(), "--dump-dom").stdout


def screenshot(chromium: str, page: Path, png: Path, width: int = 1100, height: int = 2600) -> Path:
    png.parent.mkdir(parents=True, exist_ok=True)
    run_headless(chromium, page.resolve().as_uri(), f"--screenshot={png.resolve()}", f"--window-size={width},{height}")
    if not png.exists():
        raise NoBrowser(f"chromium wrote no screenshot to {png}")
    return png


def png_pixels(png: Path) -> list[tuple[int, ...]]:
    """The RGB pixels of an 8-bit RGB or RGBA PNG, as Chromium writes them (no Pillow here)."""
    data = png.read_bytes()
    chunks, offset = {}, 8
    while offset < len(data):
        length = struct.unpack(">I", data[offset : offset + 4])[0]
        kind = data[offset + 4 : offset + 8]
        chunks[kind] = chunks.get(kind, b"") + data[offset + 8 : offset + 8 + length]
        offset += 12 + length
    width, height, depth, colour_type = struct.unpack(">IIBB", chunks[b"IHDR"][:10])
    if depth != 8 or colour_type not in (2, 6):
        raise ValueError(f"unsupported PNG: depth {depth}, colour type {colour_type}")
    channels = 3 if colour_type == 2 else 4
    raw, stride = zlib.decompress(chunks[b"IDAT"]), width * channels
    previous, pixels = bytearray(stride), []
    for row in range(height):
        start = row * (stride + 1)
        line = _unfilter(raw[start], bytearray(raw[start + 1 : start + 1 + stride]), previous, channels)
        pixels.extend(tuple(line[i : i + 3]) for i in range(0, stride, channels))
        previous = line
    return pixels


def _unfilter(kind: int, line: bytearray, previous: bytearray, bpp: int) -> bytearray:
    for i in range(len(line)):
        left = line[i - bpp] if i >= bpp else 0
        up, up_left = previous[i], previous[i - bpp] if i >= bpp else 0
        if kind == 1:
            line[i] = (line[i] + left) & 0xFF
        elif kind == 2:
            line[i] = (line[i] + up) & 0xFF
        elif kind == 3:
            line[i] = (line[i] + (left + up) // 2) & 0xFF
        elif kind == 4:
            estimate = left + up - up_left
            nearest = min(
                (abs(estimate - left), 0, left), (abs(estimate - up), 1, up), (abs(estimate - up_left), 2, up_left)
            )[2]
            line[i] = (line[i] + nearest) & 0xFF
    return line


if __name__ == "__main__":
    html, png = Path(sys.argv[1]), Path(sys.argv[2])
    print(f"screenshot: {screenshot(find_chromium(), html, png).resolve()}")
