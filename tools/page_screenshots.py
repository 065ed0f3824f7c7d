"""Screenshot the page in the states the browser tests reach, and pixel-diff two sets.

    .venv/bin/python tools/page_screenshots.py shoot OUT_DIR
    .venv/bin/python tools/page_screenshots.py diff BASE_DIR NEW_DIR

`shoot` starts the app on a free loopback port, opens it in Debian's Chromium at
1280x720 and saves full-page PNGs of: idle, a finished digits20 run (fixed seed),
the xor decision boundary, a drawing read by a trained network, the dark theme, and
finished digits20 and spiral runs in presenter mode (look at their -viewport.png).
`diff` prints, per image, how many pixels differ (any channel by more than 16) and
the bounding box of the differences. Used to check that a refactor of the page
changes nothing visible.
"""

from __future__ import annotations

import re
import sys
import tempfile
import threading
from pathlib import Path

CHROMIUM = "/usr/lib/chromium/chromium"
TOLERANCE = 16  # per channel: anti-aliasing noise, not a change


def serve():
    """Start the app on 127.0.0.1 and a free port; return (url, server)."""
    import logging

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    from werkzeug.serving import make_server

    from server import create_app

    app = create_app({"TESTING": True, "MODELS_DIR": tempfile.mkdtemp(prefix="shots-models-")})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_port}", server


def open_page(page, url, query=""):
    page.goto(f"{url}/?{query}")
    page.locator("#samples .thumb").first.wait_for(state="visible", timeout=15_000)
    # a function, not a bare expression: the page's CSP refuses Playwright's eval of a string
    page.wait_for_function("() => document.documentElement.dataset.warm === 'true'", timeout=15_000)


def train(page):
    page.get_by_role("button", name=re.compile("^Train")).click()
    finished = "() => document.querySelector('#status').textContent.startsWith('Finished')"
    page.wait_for_function(finished, timeout=60_000)
    page.wait_for_timeout(1500)  # the end-of-run frames (confusion, gallery thumbnails)


def draw_seven(page):
    from playwright.sync_api import expect

    pad = page.get_by_label(re.compile("draw", re.I)).and_(page.locator("canvas"))
    box = pad.bounding_box()
    pts = [(0.25, 0.2), (0.75, 0.2), (0.45, 0.85)]
    page.mouse.move(box["x"] + pts[0][0] * box["width"], box["y"] + pts[0][1] * box["height"])
    page.mouse.down()
    for x, y in pts[1:]:
        page.mouse.move(box["x"] + x * box["width"], box["y"] + y * box["height"], steps=8)
    page.mouse.up()
    expect(page.get_by_test_id("prediction")).to_have_text(re.compile(r"^[0-9]$"), timeout=10_000)
    page.wait_for_timeout(800)


def shoot(out: Path):
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    url, server = serve()
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM,
                                        args=["--no-sandbox", "--disable-gpu"])
            states = [
                ("01-idle", "", None),
                ("02-done-digits20", "max_iter=5&random_state=3", train),
                ("03-xor-boundary",
                 "dataset=xor&hidden_layers=6&max_iter=60&regularization_parameter=0", train),
                ("04-drawing", "max_iter=6&random_state=1", lambda pg: (train(pg), draw_seven(pg))),
                ("05-dark-optdigits",
                 "dataset=optdigits&hidden_layers=12,6&regularization_parameter=0.5"
                 "&optimizer=L-BFGS-B&max_iter=7&random_state=42&delay_ms=100&theme=dark", None),
                ("06-presenter-digits", "presenter=1&max_iter=5&random_state=3", train),
                ("07-presenter-spiral", "presenter=1&dataset=spiral&delay_ms=0", train),
            ]
            for name, query, action in states:
                page = browser.new_page(viewport={"width": 1280, "height": 720})
                open_page(page, url, query)
                if action:
                    action(page)
                page.mouse.move(0, 0)
                page.evaluate("window.scrollTo(0, 0)")
                page.wait_for_timeout(300)
                page.screenshot(path=out / f"{name}.png", full_page=True)
                page.screenshot(path=out / f"{name}-viewport.png")
                page.close()
                print(f"saved {out / name}.png")
            browser.close()
    finally:
        server.shutdown()


def read_png(path: Path):
    """Decode an 8-bit, non-interlaced RGB or RGBA PNG (what Chromium writes) to (h, w, 3) uint8."""
    import struct
    import zlib

    import numpy as np

    data = path.read_bytes()
    pos, chunks, idat = 8, {}, b""
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IDAT":
            idat += body
        else:
            chunks[kind] = body
        pos += 12 + n
    w, h, depth, color, _, _, interlace = struct.unpack(">IIBBBBB", chunks[b"IHDR"])
    if depth != 8 or color not in (2, 6) or interlace:
        raise ValueError(f"{path}: unsupported PNG (depth {depth}, colour type {color}, "
                         f"interlace {interlace})")
    bpp = 3 if color == 2 else 4
    raw = np.frombuffer(zlib.decompress(idat), np.uint8).reshape(h, 1 + w * bpp)
    out = np.zeros((h, w * bpp), np.int32)
    prev = np.zeros(w * bpp, np.int32)
    for y in range(h):
        f, line = raw[y, 0], raw[y, 1:].astype(np.int32)
        if f == 0:
            cur = line
        elif f == 2:
            cur = (line + prev) & 255
        else:  # Sub, Average, Paeth depend on the pixel to the left: one pixel at a time
            cur = np.zeros_like(line)
            for x in range(w * bpp):
                a = cur[x - bpp] if x >= bpp else 0
                b, c = prev[x], (prev[x - bpp] if x >= bpp else 0)
                if f == 1:
                    pred = a
                elif f == 3:
                    pred = (a + b) // 2
                else:
                    p = a + b - c
                    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                    pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                cur[x] = (line[x] + pred) & 255
        out[y] = cur
        prev = cur
    return out.reshape(h, w, bpp)[:, :, :3].astype(np.uint8)


def diff(base: Path, new: Path):
    import numpy as np

    for a in sorted(base.glob("*.png")):
        b = new / a.name
        if not b.exists():
            print(f"{a.name}: missing in {new}")
            continue
        ia, ib = read_png(a), read_png(b)
        size = ""
        if ia.shape != ib.shape:
            size = (f" (size {ia.shape[1]}x{ia.shape[0]} -> {ib.shape[1]}x{ib.shape[0]},"
                    " compared the overlap)")
            h, w = min(ia.shape[0], ib.shape[0]), min(ia.shape[1], ib.shape[1])
            ia, ib = ia[:h, :w], ib[:h, :w]
        over = (np.abs(ia.astype(int) - ib.astype(int)) > TOLERANCE).any(axis=2)
        n, total = int(over.sum()), over.size
        box = ""
        if n:
            ys, xs = np.nonzero(over)
            box = f", box x {xs.min()}-{xs.max()} y {ys.min()}-{ys.max()}"
        print(f"{a.name}: {n} of {total} pixels differ ({100 * n / total:.3f}%){box}{size}")


if __name__ == "__main__":
    cmd, *paths = sys.argv[1:]
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    if cmd == "shoot":
        shoot(Path(paths[0]))
    elif cmd == "diff":
        diff(Path(paths[0]), Path(paths[1]))
    else:
        sys.exit(__doc__)
