/**
 * Canvas helpers shared by the widgets.
 * @module widgets/canvas
 */

/**
 * Size a canvas's backing store for crisp lines at the device pixel ratio,
 * touching it only when the size really changed (reuse, never recreate).
 * @param {HTMLCanvasElement} canvas @param {number} cssW @param {number} cssH
 * @returns {CanvasRenderingContext2D} scaled so that one unit is one CSS pixel
 */
export function fitCanvas(canvas, cssW, cssH) {
  const dpr = Math.min(2, globalThis.devicePixelRatio || 1);
  const w = Math.max(1, Math.round(cssW * dpr)), h = Math.max(1, Math.round(cssH * dpr));
  if (canvas.width !== w || canvas.height !== h) { canvas.width = w; canvas.height = h; }
  const ctx = canvas.getContext('2d');
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  return ctx;
}

/**
 * Size a canvas to exact data resolution (heatmaps, images; CSS scales it up pixelated).
 * @param {HTMLCanvasElement} canvas @param {number} w @param {number} h
 * @returns {CanvasRenderingContext2D}
 */
export function dataCanvas(canvas, w, h) {
  if (canvas.width !== w || canvas.height !== h) { canvas.width = w; canvas.height = h; }
  return canvas.getContext('2d');
}

/** Make an element. @param {string} tag @param {object} [attrs] @param {(Node|string)[]} [children] @returns {HTMLElement} */
export function el(tag, attrs = {}, children = []) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c);
  return e;
}

/** The current palette name from <html data-theme>. @returns {'light'|'dark'} */
export function themeName() {
  return document.documentElement.dataset.theme === 'dark' ? 'dark' : 'light';
}

/** Show or hide the panel (<section class="panel">) a widget sits in. @param {HTMLElement} container @param {boolean} visible */
export function showPanel(container, visible) {
  const panel = container.closest('.panel');
  if (panel) panel.hidden = !visible;
}
