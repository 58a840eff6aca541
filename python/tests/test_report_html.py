"""Renders the HTML report in headless Debian `chromium` and checks what a
reader sees (issue 16 item 8): the charts and tables are there, the report
opens with the trend chart when there are several snapshots, every chart is
drawn at one visual scale (1 SVG unit = 1 CSS pixel at 1280 px), no label is
clipped by its chart, no table or cell overflows its column at 1280 px, and
the page never scrolls sideways on a phone.

The layout is measured by the browser itself: the test copies the report,
adds a script to the copy (the report has none) that measures every table,
cell, chart and chart label, and reads the result back with `--dump-dom`.

Screenshots at 1280 px (and 412 px) are written beside the test's temporary
files, and to `MAILCENSUS_SCREENSHOTS` when that names a directory.

The data and binary are found as in test_notebooks.py (MAILCENSUS_DATA,
MAILCENSUS_SECTORS, MAILCENSUS_BIN, or a synthetic fixture built with cargo).
"""

from __future__ import annotations

import html as htmllib
import json
import os
import re
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
DESKTOP = 1280
PHONE = 412

# Measures the rendered page; writes JSON into <pre id="mc-layout">.
MEASURE = r"""
<script>
(function () {
  const out = {width: window.innerWidth, page: document.documentElement.scrollWidth,
               tables: 0, charts: [], clipped: [], wide_tables: [], wide_cells: [],
               escaped: [], order: []};
  for (const h of document.querySelectorAll('h2, svg.chart')) {
    out.order.push(h.tagName === 'H2' ? 'h2:' + h.textContent : 'svg:' + h.getAttribute('class'));
  }
  const body = document.body.getBoundingClientRect();
  for (const t of document.querySelectorAll('table')) {
    out.tables += 1;
    const box = t.parentElement;
    if (t.scrollWidth > box.clientWidth + 1) {
      out.wide_tables.push({first: t.rows[0].textContent.slice(0, 60), table: t.scrollWidth, column: box.clientWidth});
    }
    for (const c of t.querySelectorAll('td, th')) {
      if (c.scrollWidth > c.clientWidth + 1) {
        out.wide_cells.push(c.textContent.slice(0, 60));
      }
    }
  }
  for (const s of document.querySelectorAll('svg.chart')) {
    const r = s.getBoundingClientRect();
    const vb = s.viewBox.baseVal;
    const scale = r.width / vb.width;
    const fonts = [...s.querySelectorAll('text')].map(t => parseFloat(t.getAttribute('font-size')) * scale);
    out.charts.push({cls: s.getAttribute('class'), natural: vb.width, rendered: r.width,
                     min_font: Math.min(...fonts), max_font: Math.max(...fonts)});
    if (r.left < body.left - 1 || r.right > body.right + 1) {
      out.escaped.push(s.getAttribute('aria-label'));
    }
    for (const t of s.querySelectorAll('text')) {
      const b = t.getBBox();
      if (b.x < -1 || b.y < -1 || b.x + b.width > vb.width + 1 || b.y + b.height > vb.height + 1) {
        out.clipped.push(s.getAttribute('aria-label') + ': ' + t.textContent);
      }
    }
  }
  const pre = document.createElement('pre');
  pre.id = 'mc-layout';
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
})();
</script>
"""


def png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return struct.unpack(">II", head[16:24])


def chromium(tmp: Path, *args: str) -> subprocess.CompletedProcess:
    assert CHROMIUM, "chromium is not installed: run scripts/install-deps.sh --with-test-tools"
    return subprocess.run(
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
            f"--user-data-dir={tmp / 'profile'}",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )


def layout(tmp: Path, html: Path, width: int) -> dict:
    probe = tmp / f"probe-{width}.html"
    probe.write_text(html.read_text().replace("</body>", MEASURE + "</body>"))
    result = chromium(tmp, "--dump-dom", f"--window-size={width},2000", probe.as_uri())
    assert result.returncode == 0, result.stderr[-2000:]
    found = re.search(r'<pre id="mc-layout">(.*?)</pre>', result.stdout, re.S)
    assert found, "the measuring script did not run"
    return json.loads(htmllib.unescape(found.group(1)))


def screenshot(tmp: Path, html: Path, width: int, height: int) -> Path:
    png = tmp / f"report-{width}.png"
    result = chromium(tmp, f"--screenshot={png}", f"--window-size={width},{height}", html.as_uri())
    assert result.returncode == 0, result.stderr[-2000:]
    assert png.exists() and png_size(png) == (width, height)
    keep = os.environ.get("MAILCENSUS_SCREENSHOTS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(png, Path(keep) / png.name)
    return png


@pytest.fixture(scope="module")
def report_html(dataset, tmp_path_factory) -> Path:
    data, sectors = dataset
    html = tmp_path_factory.mktemp("html") / "report.html"
    run_report(data, sectors, "html", html)
    return html


def test_html_report_has_charts_tables_and_opens_with_the_trend(report_html, tmp_path):
    text = report_html.read_text()
    assert '<meta name="viewport"' in text
    assert "<script" not in text.lower()
    got = layout(tmp_path, report_html, DESKTOP)
    assert got["tables"] >= 5, got["tables"]
    kinds = [c["cls"] for c in got["charts"]]
    assert kinds.count("chart bar") >= 5, kinds
    several = text.count('class="chart line"') > 0
    if several:
        # The first chart of the page is the trend chart, before any h2 but "Trend".
        first_chart = next(i for i, o in enumerate(got["order"]) if o.startswith("svg:"))
        assert got["order"][first_chart] == "svg:chart line"
        assert [o for o in got["order"][:first_chart] if o.startswith("h2:")] == ["h2:Trend"]


def test_nothing_overflows_its_column_at_1280_px(report_html, tmp_path):
    got = layout(tmp_path, report_html, DESKTOP)
    assert got["page"] <= got["width"], f"page scrolls sideways: {got['page']} > {got['width']}"
    assert got["wide_tables"] == [], got["wide_tables"]
    assert got["wide_cells"] == [], got["wide_cells"][:10]
    assert got["escaped"] == [], got["escaped"]
    assert got["clipped"] == [], got["clipped"][:10]
    # One visual scale: every chart at its natural size, text 11-14 px.
    for c in got["charts"]:
        assert abs(c["rendered"] - c["natural"]) < 0.5, c
        assert 10.9 <= c["min_font"] and c["max_font"] <= 14.1, c


def test_a_phone_never_scrolls_the_page_sideways(report_html, tmp_path):
    got = layout(tmp_path, report_html, PHONE)
    # Wide tables scroll inside their own box; the page itself does not.
    assert got["page"] <= got["width"], f"page scrolls sideways: {got['page']} > {got['width']}"
    assert got["escaped"] == [], got["escaped"]


def test_html_report_renders_in_headless_chromium(report_html, tmp_path):
    png = screenshot(tmp_path, report_html, DESKTOP, 2400)
    pixels = image.imread(png)[:, :, :3]
    # Not a blank page, and the chart colour (#2b6cb0) is drawn.
    assert pixels.std() > 0.05
    blue = np.array([0x2B, 0x6C, 0xB0]) / 255
    drawn = (np.abs(pixels - blue).max(axis=2) < 0.03).sum()
    assert drawn > 500, f"only {drawn} chart pixels"
    screenshot(tmp_path, report_html, PHONE, 2400)
