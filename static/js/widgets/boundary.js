/**
 * Decision boundary of a 2-D problem: the output's activation over the whole
 * plane, from a forward pass in JS (the run's hidden activation), drawn at grid
 * resolution and scaled up by CSS (pixelated); training and test points on top,
 * each switchable. A hidden unit chosen in the diagram is shown here large instead.
 * @module widgets/boundary
 */
import { THEMES, CLASS_COLORS, css } from '../colors.js';
import { planeActivationsCached } from '../weights.js';
import { dataCanvas, fitCanvas, showPanel, themeName } from './canvas.js';
import { fillPlaneMap, fillClassMap } from './planemaps.js';

/** The plane as the network sees it, with the points it learns from. */
export class DecisionBoundary {
  /**
   * @param {HTMLElement} container the panel: holds canvas.boundary-map, canvas.boundary-points,
   *   input[data-show=train|test], [data-action=show-output], [data-role=what], [data-role=caption]
   * @param {{size?: number}} [options] grid resolution (64)
   */
  constructor(container, options = {}) {
    const $ = (sel) => container.querySelector(sel);
    this.container = container;
    this.options = { size: 64, ...options };
    this.map = $('.boundary-map');
    this.overlay = $('.boundary-points');
    this.what = $('[data-role=what]');
    this.caption = $('[data-role=caption]');
    this.outputButton = $('[data-action=show-output]');
    this.outputButton?.addEventListener('click', () => this.showUnit(null));
    this.shown = { train: true, test: true };
    container.querySelectorAll('input[data-show]').forEach((box) => box.addEventListener('change', () => {
      this.shown[box.dataset.show] = box.checked;
      this._drawPoints();
    }));
    this.img = null;
    this.points = { train: [], test: [] };
    this.focus = null; // {layer, unit} of a hidden unit shown instead of the output
    this.last = null;  // the newest {thetas, activation}, redrawn when the focus changes
    this.draws = 0;
    this.reset();
  }

  /** Show or hide the panel this widget sits in. @param {boolean} visible */
  show(visible) {
    showPanel(this.container, visible);
  }

  /** Blank the map and forget the points and the weights. */
  reset() {
    const ctx = dataCanvas(this.map, this.options.size, this.options.size);
    ctx.clearRect(0, 0, this.options.size, this.options.size);
    this.points = { train: [], test: [] };
    this.highlight = null;
    this.last = null;
    this._drawPoints();
  }

  /**
   * The points to draw (features in [0, 1]²), and the test sample to mark.
   * @param {{train?: {vector: number[], label: number}[], test?: {index: number, vector: number[], label: number}[]}} points
   * @param {number|null} [highlight] a test-set index
   */
  setPoints(points, highlight = null) {
    this.points = { train: points.train || [], test: points.test || [] };
    this.highlight = highlight;
    this._drawPoints();
  }

  /** Mark one test sample (null: none). @param {number|null} index */
  setHighlight(index) {
    this.highlight = index;
    this._drawPoints();
  }

  /**
   * Show a hidden unit's map large, or the output again (null).
   * @param {{layer: number, unit: number}|null} focus layer counts from 1 (the first hidden layer)
   */
  showUnit(focus) {
    this.focus = focus;
    if (this.outputButton) this.outputButton.hidden = !focus;
    if (this.last) this.update(this.last);
    else this._label(null);
  }

  /**
   * Draw the output's map (or the chosen unit's) for these weights.
   * @param {{thetas: {rows: number, cols: number, data: Float32Array}[], activation?: string, layers?: Float32Array[][]}} data
   *   layers: the plane's maps already computed (plane.js), [layer][unit] of size² values
   */
  update(data) {
    const { thetas, activation = 'logistic' } = data;
    if (!thetas || thetas[0].rows !== 3) return; // 2 inputs + bias
    this.last = data;
    const n = this.options.size;
    const layers = data.layers || planeActivationsCached(thetas, n, activation);
    const ctx = dataCanvas(this.map, n, n);
    if (!this.img) this.img = ctx.createImageData(n, n);
    const palette = THEMES[themeName()];
    const L = layers.length - 1;
    const focus = this.focus && this.focus.layer < L && layers[this.focus.layer][this.focus.unit] ? this.focus : null;
    if (focus) {
      fillPlaneMap(this.img.data, layers[focus.layer][focus.unit], { gridSize: n, kind: 'hidden', unit: focus.unit, nUnits: layers[focus.layer].length, activation, palette });
    } else if (layers[L].length === 1) {
      fillPlaneMap(this.img.data, layers[L][0], { gridSize: n, kind: 'output', unit: 0, nUnits: 1, palette });
    } else fillClassMap(this.img.data, layers[L], palette);
    ctx.putImageData(this.img, 0, 0);
    this._label(focus, activation);
    this.container.dataset.draws = String(++this.draws); // redraws so far (tests measure the rate)
  }

  _label(focus, activation) {
    if (this.what) this.what.textContent = focus ? `hidden layer ${focus.layer}, unit ${focus.unit + 1}` : '';
    if (!this.caption) return;
    this.caption.textContent = focus
      ? `The unit's ${activation} activation at every point: blue high, orange low, white in between. Click it again in the diagram, or "Show the output".`
      : 'Colour: the predicted class, paler where the network is unsure (the boundary is where it is palest). Small dots: training points; ringed: test points.';
  }

  _drawPoints() {
    const size = this.overlay.clientWidth || 300;
    const ctx = fitCanvas(this.overlay, size, size);
    ctx.clearRect(0, 0, size, size);
    const pal = THEMES[themeName()];
    const dot = (p, r, ring, width) => {
      ctx.beginPath();
      ctx.arc(p.vector[0] * size, (1 - p.vector[1]) * size, r, 0, 2 * Math.PI);
      ctx.fillStyle = css(CLASS_COLORS[p.label % CLASS_COLORS.length]);
      ctx.fill();
      ctx.lineWidth = width;
      ctx.strokeStyle = ring;
      ctx.stroke();
    };
    const r = Math.max(2.5, Math.min(4, size / 90));
    if (this.shown.train) for (const p of this.points.train) dot(p, r, css(pal.paper), 1);
    if (this.shown.test) for (const p of this.points.test) dot(p, r + 1, css(pal.ink), 1.5);
    const marked = this.points.test.find((p) => p.index === this.highlight);
    if (marked) dot(marked, 9, css(pal.ink), 3);
  }
}
