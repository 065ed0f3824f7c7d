/**
 * Pure image helpers: grayscale images, hidden-unit tiles, drawing bitmaps.
 * No DOM: they fill Uint8ClampedArray RGBA buffers the widgets hand to ImageData.
 * @module images
 */
import { divergingLUT, lutIndex, sequential } from './colors.js';

/**
 * Tile grid for n images of shape [rows, cols] separated by a 1-px gap.
 * @param {number} n @param {number[]} imageShape @param {number} [aspect=1] wanted width/height of the whole
 * @returns {{tilesX: number, tilesY: number, width: number, height: number}}
 */
export function tileGrid(n, [rows, cols], aspect = 1) {
  let tilesX = Math.min(n, Math.max(1, Math.ceil(Math.sqrt((n * aspect * rows) / cols))));
  const tilesY = Math.ceil(n / tilesX);
  tilesX = Math.ceil(n / tilesY); // balance: 25 units make 5×5, not 6+6+6+6+1
  return { tilesX, tilesY, width: tilesX * (cols + 1) + 1, height: tilesY * (rows + 1) + 1 };
}

/**
 * Draw the first hidden layer's units as images in the input's shape (the
 * course's displayData): unit j's incoming weights Θ[1:, j], reshaped row-major
 * to imageShape, each tile on its own symmetric scale (max |w| of that unit).
 * @param {Uint8ClampedArray} out RGBA, grid.width * grid.height * 4
 * @param {{rows: number, cols: number, data: Float32Array}} theta first weight matrix
 * @param {number[]} imageShape @param {{tilesX: number, width: number}} grid
 * @param {object} palette  THEMES entry; gaps get palette.paper
 */
export function fillUnitTiles(out, theta, imageShape, grid, palette) {
  const [rows, cols] = imageShape;
  const nOut = theta.cols;
  const bg = palette.paper;
  const N = 257; // odd, so that 0 is exactly the neutral middle entry
  const lut = divergingLUT(palette, N);
  for (let p = 0; p < out.length; p += 4) { out[p] = bg[0]; out[p + 1] = bg[1]; out[p + 2] = bg[2]; out[p + 3] = 255; }
  for (let j = 0; j < nOut; j++) {
    let maxAbs = 0;
    for (let i = 1; i < theta.rows; i++) maxAbs = Math.max(maxAbs, Math.abs(theta.data[i * nOut + j]));
    const ox = (j % grid.tilesX) * (cols + 1) + 1;
    const oy = Math.floor(j / grid.tilesX) * (rows + 1) + 1;
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        const k = 3 * lutIndex(theta.data[(1 + r * cols + c) * nOut + j], maxAbs || 1, N);
        const p = 4 * ((oy + r) * grid.width + ox + c);
        out[p] = lut[k]; out[p + 1] = lut[k + 1]; out[p + 2] = lut[k + 2];
      }
    }
  }
}

/**
 * A grayscale image (values in [0, 1], 1 = ink) into RGBA with the theme's scale.
 * @param {Uint8ClampedArray} out @param {ArrayLike<number>} values @param {object} palette
 */
export function fillGray(out, values, palette) {
  for (let i = 0, p = 0; i < values.length; i++, p += 4) {
    const c = sequential(values[i], palette);
    out[p] = c[0]; out[p + 1] = c[1]; out[p + 2] = c[2]; out[p + 3] = 255;
  }
}

/**
 * The alpha channel of an RGBA bitmap as gray8 (ink = 255): the drawing pad
 * paints opaque strokes on a transparent canvas, so alpha is the ink.
 * @param {Uint8ClampedArray} rgba @returns {Uint8Array}
 */
export function alphaToGray8(rgba) {
  const out = new Uint8Array(rgba.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = rgba[4 * i + 3];
  return out;
}

/**
 * Base64 of bytes (btoa in browsers, Buffer in Node).
 * @param {Uint8Array} bytes @returns {string}
 */
export function bytesToBase64(bytes) {
  if (typeof Buffer !== 'undefined') return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
  let s = '';
  const CH = 0x8000;
  for (let i = 0; i < bytes.length; i += CH) s += String.fromCharCode.apply(null, bytes.subarray(i, i + CH));
  return btoa(s);
}

/**
 * True when a gray8 image has any ink at all.
 * @param {Uint8Array} gray @returns {boolean}
 */
export function hasInk(gray) {
  for (let i = 0; i < gray.length; i++) if (gray[i] > 0) return true;
  return false;
}

/**
 * Throttle: call fn at most once per `ms`, always delivering the latest
 * arguments (trailing call), with an injectable clock and timer for tests.
 * @param {Function} fn @param {number} ms
 * @param {{now?: () => number, setTimeout?: Function, clearTimeout?: Function}} [clock]
 * @returns {Function & {flush: () => void, cancel: () => void}}
 */
export function throttle(fn, ms, clock = {}) {
  const now = clock.now || (() => Date.now());
  const st = clock.setTimeout || ((f, t) => setTimeout(f, t));
  const ct = clock.clearTimeout || ((h) => clearTimeout(h));
  let last = -Infinity, timer = null, pending = null;
  const fire = () => { timer = null; last = now(); const a = pending; pending = null; fn(...a); };
  const throttled = (...args) => {
    pending = args;
    const wait = last + ms - now();
    if (wait <= 0) { if (timer !== null) { ct(timer); timer = null; } fire(); }
    else if (timer === null) timer = st(fire, wait);
  };
  throttled.flush = () => { if (pending) { if (timer !== null) { ct(timer); timer = null; } fire(); } };
  throttled.cancel = () => { if (timer !== null) ct(timer); timer = null; pending = null; };
  return throttled;
}
