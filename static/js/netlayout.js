/**
 * Layout maths for the network diagram: where each unit goes and which edges
 * are worth drawing. Pure (no DOM): positions in CSS pixels of the diagram.
 *
 * Big layers are summarised instead of drawn as 100,000 lines:
 *  - an image input is drawn as the image itself, one pixel per input unit;
 *  - a layer too tall for a column becomes a grid of square units;
 *  - only the strongest edges of each weight matrix are drawn (topEdges).
 * @module netlayout
 */
import { quickselect } from './colors.js';

/**
 * @typedef {object} LayerLayout
 * @property {'image'|'column'|'grid'} kind
 * @property {number} n           units
 * @property {number} x @property {number} y @property {number} w @property {number} h  bounding box
 * @property {number} size        unit diameter (column) or cell side (image, grid)
 * @property {number} gridCols    columns of the grid / image width
 * @property {Float32Array} pos   [x0, y0, x1, y1, ...] unit centres
 */

/**
 * Lay the network out in columns, input on the left.
 * @param {number[]} layerSizes e.g. [400, 25, 10]
 * @param {object} opts
 * @param {number} opts.width @param {number} opts.height
 * @param {number[]|null} [opts.imageShape]  [rows, cols] of the input, or null
 * @param {number} [opts.labelWidth=96]   room on the right for class labels
 * @param {number} [opts.minSpacing=16]   below this a column turns into a grid
 * @param {number} [opts.padding=12]
 * @param {number} [opts.captionHeight=18] room at the bottom for the layer captions
 * @returns {{layers: LayerLayout[], width: number, height: number}}
 */
export function layoutNetwork(layerSizes, opts) {
  const { width, height, imageShape = null, labelWidth = 96, minSpacing = 16, padding = 12, captionHeight = 18 } = opts;
  const L = layerSizes.length;
  const innerW = Math.max(10, width - 2 * padding - labelWidth);
  const innerH = Math.max(10, height - 2 * padding - captionHeight);
  const slot = innerW / L;
  const layers = layerSizes.map((n, l) => {
    const cx = padding + slot * (l + 0.5);
    const maxW = Math.min(slot * 0.72, innerH);
    if (l === 0 && imageShape && imageShape[0] * imageShape[1] === n) {
      return imageLayer(n, imageShape, cx, padding + innerH / 2, Math.min(maxW, innerH * 0.8));
    }
    if (n * minSpacing <= innerH) return columnLayer(n, cx, padding, innerH);
    return gridLayer(n, cx, padding + innerH / 2, maxW, innerH);
  });
  // one unit size for every column, so a 6-unit layer does not look more important than a 12-unit one
  const columns = layers.filter((l) => l.kind === 'column');
  const size = Math.min(...columns.map((l) => l.size));
  for (const l of columns) {
    const cx = l.x + l.w / 2;
    l.size = size; l.w = size; l.x = cx - size / 2;
  }
  return { layers, width, height };
}

/** Centres of n cells laid out row by row, `cols` wide, from (x, y): [x0, y0, x1, y1, …]. */
function gridPositions(n, cols, x, y, cell) {
  const pos = new Float32Array(2 * n);
  for (let i = 0; i < n; i++) {
    pos[2 * i] = x + ((i % cols) + 0.5) * cell;
    pos[2 * i + 1] = y + (Math.floor(i / cols) + 0.5) * cell;
  }
  return pos;
}

function imageLayer(n, [rows, cols], cx, cy, side) {
  const cell = side / Math.max(rows, cols);
  const w = cell * cols, h = cell * rows;
  const x = cx - w / 2, y = cy - h / 2;
  return { kind: 'image', n, x, y, w, h, size: cell, gridCols: cols, pos: gridPositions(n, cols, x, y, cell) };
}

function columnLayer(n, cx, top, innerH) {
  const spacing = Math.min(innerH / n, 64);
  const size = Math.max(4, Math.min(spacing * 0.72, 40));
  const h = spacing * n;
  const y0 = top + (innerH - h) / 2;
  const pos = new Float32Array(2 * n);
  for (let i = 0; i < n; i++) { pos[2 * i] = cx; pos[2 * i + 1] = y0 + spacing * (i + 0.5); }
  return { kind: 'column', n, x: cx - size / 2, y: y0, w: size, h, size, gridCols: 1, pos };
}

/**
 * Grid shape that fits n square cells in a w×h box with the biggest cell.
 * @param {number} n @param {number} w @param {number} h
 * @returns {{cols: number, rows: number, cell: number}}
 */
export function gridShape(n, w, h) {
  let best = { cols: 1, rows: n, cell: Math.min(w, h / n) };
  for (let cols = 1; cols <= n; cols++) {
    const rows = Math.ceil(n / cols);
    const cell = Math.min(w / cols, h / rows);
    if (cell > best.cell) best = { cols, rows, cell };
  }
  return best;
}

function gridLayer(n, cx, cy, maxW, innerH) {
  const { cols, rows, cell } = gridShape(n, maxW, innerH);
  const w = cols * cell, h = rows * cell;
  const x = cx - w / 2, y = cy - h / 2;
  return { kind: 'grid', n, x, y, w, h, size: cell, gridCols: cols, pos: gridPositions(n, cols, x, y, cell) };
}

/**
 * The k strongest non-bias weights of a theta, strongest last (so they are drawn on top).
 * @param {{rows: number, cols: number, data: Float32Array}} theta (n_in + 1, n_out), row 0 bias
 * @param {number} k
 * @returns {{from: Uint32Array, to: Uint32Array, w: Float32Array, maxAbs: number}}
 *   from: input unit index (0-based, bias excluded); to: output unit index
 */
export function topEdges(theta, k) {
  const { rows, cols, data } = theta;
  const n = (rows - 1) * cols;
  const m = Math.max(0, Math.min(k, n));
  const idx = new Uint32Array(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  const absAt = (i) => Math.abs(data[cols + i]);
  let chosen;
  if (m < n) {
    // partial selection by a threshold: the m-th largest |w|
    const abs = new Float32Array(n);
    for (let i = 0; i < n; i++) abs[i] = absAt(i);
    const thr = quickselect(abs.slice(), n - m);
    chosen = [];
    for (let i = 0; i < n && chosen.length < m; i++) if (abs[i] > thr) chosen.push(i);
    for (let i = 0; i < n && chosen.length < m; i++) if (abs[i] === thr) chosen.push(i);
  } else chosen = Array.from(idx);
  chosen.sort((a, b) => absAt(a) - absAt(b));
  const from = new Uint32Array(chosen.length), to = new Uint32Array(chosen.length), w = new Float32Array(chosen.length);
  let maxAbs = 0;
  chosen.forEach((e, q) => {
    from[q] = Math.floor(e / cols); to[q] = e % cols; w[q] = data[cols + e];
    maxAbs = Math.max(maxAbs, Math.abs(w[q]));
  });
  return { from, to, w, maxAbs };
}

/**
 * How many edges to draw between two layers: all of them when few, else a budget.
 * @param {number} nIn @param {number} nOut @param {number} [budget=400] @returns {number}
 */
export function edgeBudget(nIn, nOut, budget = 400) {
  return Math.min(nIn * nOut, budget);
}

/**
 * Index of the unit under a point, or -1.
 * @param {LayerLayout} layer @param {number} px @param {number} py @returns {number}
 */
export function hitUnit(layer, px, py) {
  const r = layer.size / 2;
  for (let i = 0; i < layer.n; i++) {
    if (Math.abs(layer.pos[2 * i] - px) <= r && Math.abs(layer.pos[2 * i + 1] - py) <= r) return i;
  }
  return -1;
}
