"""Page measurements shared by the presenter and screen tests: the visible text's
boxes, sizes and contrast, and the diagram's canvas-drawn labels."""

from __future__ import annotations

import json

# Every visible text node on the page: its tight boxes (a Range's client rects), the
# computed font size of its element and the contrast of its colour against the
# first opaque background behind it (WCAG relative luminance). KaTeX is left out:
# its glyphs are laid out by KaTeX on purpose.
TEXTS = """() => {
  const lum = ([r, g, b]) => {
    const f = (c) => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const parse = (s) => (s.match(/[\\d.]+/g) || []).map(Number);
  const blend = (fg, bg) => { const a = fg.length > 3 ? fg[3] : 1; return [0, 1, 2].map((i) => fg[i] * a + bg[i] * (1 - a)); };
  const background = (el) => {
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c.length && (c.length === 3 || c[3] > 0)) { layers.push(c); if (c.length === 3 || c[3] >= 1) break; }
    }
    let bg = [255, 255, 255];
    for (const c of layers.reverse()) bg = blend(c, bg);
    return bg;
  };
  const out = [];
  const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walk.nextNode(); n; n = walk.nextNode()) {
    const text = n.textContent.trim();
    const el = n.parentElement;
    if (!text || !el || el.closest('.katex, script, style, [aria-hidden="true"] canvas')) continue;
    const range = document.createRange();
    range.selectNodeContents(n);
    // what shows of the text: its boxes cut to the ancestors that clip (an ellipsis)
    let rects = [...range.getClientRects()].map((r) => ({ left: r.left, top: r.top, right: r.right, bottom: r.bottom }));
    for (let e = el; e && e !== document.body; e = e.parentElement) {
      if (getComputedStyle(e).overflow === 'visible') continue;
      const c = e.getBoundingClientRect();
      rects = rects.map((r) => ({ left: Math.max(r.left, c.left), top: Math.max(r.top, c.top), right: Math.min(r.right, c.right), bottom: Math.min(r.bottom, c.bottom) }));
    }
    rects = rects.map((r) => ({ left: r.left, top: r.top, width: r.right - r.left, height: r.bottom - r.top }))
      .filter((r) => r.width > 0.5 && r.height > 0.5);
    if (!rects.length) continue;
    const cs = getComputedStyle(el);
    if (cs.visibility !== 'visible' || +cs.opacity === 0) continue;
    // clipped away by an ancestor (overflow hidden, e.g. visually hidden button text)
    let clipped = false;
    for (let e = el; e && e !== document.body; e = e.parentElement) {
      const s = getComputedStyle(e);
      if (s.clipPath !== 'none' || (s.overflow === 'hidden' && (e.clientWidth < 2 || e.clientHeight < 2))) { clipped = true; break; }
    }
    if (clipped) continue;
    const fg = blend(parse(cs.color), background(el));
    const [l1, l2] = [lum(fg), lum(background(el))].sort((a, b) => b - a);
    out.push({
      text: text.slice(0, 40), tag: el.tagName, id: el.id, cls: String(el.className),
      size: parseFloat(cs.fontSize), contrast: (l1 + 0.05) / (l2 + 0.05),
      inactive: !!el.closest('[aria-disabled="true"], :disabled'),
      rects: rects.map((r) => ({ x: r.left, y: r.top, w: r.width, h: r.height })),
    });
  }
  return out;
}"""


def texts(page):
    """The visible text of the page (see TEXTS)."""
    return page.evaluate(TEXTS)


def in_viewport(box, width, height):
    return box["x"] >= -0.5 and box["y"] >= -0.5 and box["x"] + box["w"] <= width + 0.5 and box["y"] + box["h"] <= height + 0.5


def overlaps(a, b, slack=1.0):
    """Do two boxes overlap by more than `slack` px both ways?"""
    return (min(a["x"] + a["w"], b["x"] + b["w"]) - max(a["x"], b["x"]) > slack
            and min(a["y"] + a["h"], b["y"] + b["h"]) - max(a["y"], b["y"]) > slack)


def overlapping_texts(items):
    """Pairs of different text nodes whose boxes overlap."""
    boxes = [(t["text"], r) for t in items for r in t["rects"]]
    found = []
    for i in range(len(boxes)):
        for j in range(i + 1, len(boxes)):
            if boxes[i][0] != boxes[j][0] and overlaps(boxes[i][1], boxes[j][1]):
                found.append((boxes[i][0], boxes[j][0]))
    return found


def diagram_labels(page):
    """The diagram's canvas-drawn labels (boxes in canvas px) and its smallest font."""
    net = page.locator("#network")
    boxes = json.loads(net.get_attribute("data-label-boxes") or "[]")
    return boxes, float(net.get_attribute("data-label-font") or 0)


def box(locator):
    b = locator.bounding_box()
    return {"x": b["x"], "y": b["y"], "w": b["width"], "h": b["height"]}
