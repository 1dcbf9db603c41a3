"""Renders `labeille ft report --format html` in a real headless Chromium and checks the
screenshots: the top of the page must show the totals chart and the heatmap's pass
(green) and crash (red) cells; with every package's section expanded, the evidence
(a run whose tests did not run, grey) is drawn too. The page must load nothing from the
network (it is self-contained: no script, no external resource).

With STRESS_RESULT_DIR (a real `labeille ft run --stress --compare-with-gil` run), the
stress runs of each GIL mode must be drawn as their own shaded heatmap blocks with their
cells on the shade, and each package's section must carry the per-test stress evidence.

usage: html_screenshot_test.py LABEILLE RESULT_DIR CHROMIUM WORK_DIR [STRESS_RESULT_DIR]
The expanded page's screenshot is left in WORK_DIR/report-expanded.png (docs/report-html.png
is one, for the demo corpus).
"""
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib


def png_pixels(path):
    """Decodes an 8-bit RGB/RGBA non-interlaced PNG (what Chromium writes) to rows."""
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, width = 8, b"", 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, ctype = struct.unpack(">IIBB", chunk[:10])
            assert depth == 8 and ctype in (2, 6), (depth, ctype)
            bpp = 3 if ctype == 2 else 4
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = width * bpp
    rows, prev = [], bytearray(stride)
    for y in range(height):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b = prev[x]
            c = prev[x - bpp] if x >= bpp else 0
            if f == 1: line[x] = (line[x] + a) & 255
            elif f == 2: line[x] = (line[x] + b) & 255
            elif f == 3: line[x] = (line[x] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append([tuple(line[i:i + 3]) for i in range(0, stride, bpp)])
        prev = line
    return rows


def screenshot(chromium, html, png, size):
    profile = tempfile.mkdtemp(prefix="labeille-chromium-")
    try:
        subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                        "--disable-background-networking", "--disable-component-update", "--disable-sync",
                        "--user-data-dir=" + profile, "--window-size=" + size, "--screenshot=" + png,
                        "file://" + html], check=True, timeout=90, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    return png_pixels(png)


GREEN = (0x2e, 0x7d, 0x32)     # a pass cell
YELLOW = (0xf9, 0xa8, 0x25)    # a fail cell
STRESS_SHADE = (0xe3, 0xf2, 0xfd)  # behind the stress blocks (html_report.cpp, kStressShade)


def check_stress(labeille, chromium, result_dir, work):
    html = os.path.join(work, "report-stress.html")
    subprocess.run([labeille, "ft", "report", result_dir, "--format", "html", "-o", html], check=True)
    page = open(html, encoding="utf-8").read()
    for needle in (">stress, PYTHON_GIL=0</text>", ">stress, PYTHON_GIL=1</text>", " stress GIL=0 run 1 (threads ",
                   "<h4>Under stress: every test in ", "<h4>Tests failing under stress",
                   "thread-unsafe test (fails with the GIL too)",
                   "<h4>Run single-threaded as thread-unsafe by pytest-run-parallel"):
        assert needle in page, f"the stress report lacks {needle!r}"
    assert "<script" not in page and " src=" not in page and "<link" not in page, "the page loads something"
    rows = screenshot(chromium, html, os.path.join(work, "report-stress.png"), "1100,500")
    assert any(STRESS_SHADE in row for row in rows), "no stress block drawn"
    # Run cells drawn on the shade: a cell's edge a gap (2 px) away from it. The legend's
    # swatch of the shade is far from any cell colour.
    assert touches(rows, GREEN, STRESS_SHADE), "no passing stress run drawn in the stress blocks"
    assert touches(rows, YELLOW, STRESS_SHADE), "no failing stress run drawn in the stress blocks"


def touches(rows, color, other, d=3):
    """Whether a pixel of `color` has one of `other` within d pixels in its row or column."""
    h, w = len(rows), len(rows[0])
    for y in range(h):
        for x in range(w):
            if rows[y][x] != color:
                continue
            for k in range(-d, d + 1):
                if (0 <= x + k < w and rows[y][x + k] == other) or (0 <= y + k < h and rows[y + k][x] == other):
                    return True
    return False


def main():
    labeille, result_dir, chromium, work = sys.argv[1:5]
    stress_dir = sys.argv[5] if len(sys.argv) > 5 else ""
    if not chromium or not os.path.exists(chromium):
        print("chromium not found: install Debian's chromium (scripts/setup.sh does)")
        return 1
    os.makedirs(work, exist_ok=True)
    html = os.path.join(work, "report.html")
    png = os.path.join(work, "report.png")
    for f in (html, png):
        if os.path.exists(f):
            os.remove(f)
    subprocess.run([labeille, "ft", "report", result_dir, "--format", "html", "-o", html], check=True)
    page = open(html, encoding="utf-8").read()
    assert "<script" not in page and " src=" not in page and "<link" not in page, "the page loads something"
    assert "PYTHON_GIL=1" in page, "no GIL=1 block in the heatmap"
    assert page.count('<details class="pkg">') >= 5, "no expandable section per package"
    rows = screenshot(chromium, html, png, "900,500")
    colors = {px for row in rows for px in row}
    green = GREEN
    red = (0xb7, 0x1c, 0x1c)
    print(f"screenshot {len(rows[0])}x{len(rows)}, {len(colors)} colours")
    assert len(rows) == 500 and len(rows[0]) == 900, "unexpected screenshot size"
    assert len(colors) > 20, "blank page"
    assert green in colors, "no pass cell drawn"
    assert red in colors, "no crash cell drawn"

    # Every section expanded, as a reader who clicks through: the evidence is drawn.
    expanded = os.path.join(work, "report-expanded.html")
    with open(expanded, "w", encoding="utf-8") as f:
        f.write(page.replace('<details class="pkg">', '<details class="pkg" open>'))
    rows = screenshot(chromium, expanded, os.path.join(work, "report-expanded.png"), "1100,2400")
    colors = {px for row in rows for px in row}
    grey = (0x9e, 0x9e, 0x9e)
    assert grey in colors, "no run whose tests did not run drawn"
    # The demo corpus ran without --stress: no stress block.
    assert "stress, PYTHON_GIL" not in page, "a stress block in a run without stress iterations"
    if stress_dir:
        check_stress(labeille, chromium, stress_dir, work)
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
