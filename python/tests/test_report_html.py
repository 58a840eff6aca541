"""Renders the HTML report with headless Debian `chromium` and checks that the
render succeeded and the SVG charts are there.

The data and binary are found as in test_notebooks.py (MAILCENSUS_DATA,
MAILCENSUS_SECTORS, MAILCENSUS_BIN, or a synthetic fixture built with cargo).
"""

from __future__ import annotations

import shutil
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from matplotlib import image

sys.path.insert(0, str(Path(__file__).parent))
from test_notebooks import dataset, run_report  # noqa: E402,F401  (fixture re-used)

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
WIDTH, HEIGHT = 412, 2400  # a phone-width viewport, tall enough for several charts


def png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return struct.unpack(">II", head[16:24])


def test_html_report_renders_in_headless_chromium(dataset, tmp_path):
    assert CHROMIUM, "chromium is not installed: run scripts/install-deps.sh --with-test-tools"
    data, sectors = dataset
    html = tmp_path / "report.html"
    run_report(data, sectors, "html", html)
    text = html.read_text()
    assert '<meta name="viewport"' in text
    assert text.count("<svg") >= 8, "charts missing"
    assert 'class="chart bar"' in text
    if text.count("<th>20") >= 2:  # several snapshots: trend charts
        assert 'class="chart line"' in text
    assert "<script" not in text.lower()

    png = tmp_path / "report.png"
    profile = tmp_path / "profile"
    result = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--hide-scrollbars",
            f"--user-data-dir={profile}",
            f"--screenshot={png}",
            f"--window-size={WIDTH},{HEIGHT}",
            html.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert png.exists() and png.stat().st_size > 20_000, "empty or tiny screenshot"
    assert png_size(png) == (WIDTH, HEIGHT)

    pixels = image.imread(png)[:, :, :3]
    # Non-trivial: not a blank page, and the bar colour (#2b6cb0) of the charts is drawn.
    assert pixels.std() > 0.05
    bar = np.array([0x2B, 0x6C, 0xB0]) / 255
    bar_pixels = (np.abs(pixels - bar).max(axis=2) < 0.03).sum()
    assert bar_pixels > 500, f"only {bar_pixels} chart-bar pixels"
