/**
 * Decision boundary of a 2-D toy problem: every cell of a grid over [0, 1]²
 * classified by a forward pass in JS, drawn at grid resolution and scaled up by
 * CSS (pixelated); sample points on top.
 * @module widgets/boundary
 */
import { THEMES, CLASS_COLORS, mix, css } from '../colors.js';
import { classifyGrid } from '../weights.js';
import { dataCanvas, fitCanvas, showPanel, themeName } from './canvas.js';

/** The predicted class over the whole input plane of a 2-D problem, with sample points. */
export class DecisionBoundary {
  /**
   * @param {HTMLElement} container holds canvas.boundary-map and canvas.boundary-points
   * @param {{size?: number}} [options] grid resolution (64)
   */
  constructor(container, options = {}) {
    this.container = container;
    this.options = { size: 64, ...options };
    this.map = container.querySelector('.boundary-map');
    this.overlay = container.querySelector('.boundary-points');
    this.img = null;
    this.points = [];
    this.reset();
  }

  /** Blank the map and forget the points. */
  /** Show or hide the panel this widget sits in. @param {boolean} visible */
  show(visible) {
    showPanel(this.container, visible);
  }

  reset() {
    const ctx = dataCanvas(this.map, this.options.size, this.options.size);
    ctx.clearRect(0, 0, this.options.size, this.options.size);
    this.points = [];
    this.highlight = null;
    this._drawPoints();
  }

  /** @param {{x: number[], classIndex: number}[]} points @param {number|null} [highlight] */
  setPoints(points, highlight = null) {
    this.points = points;
    this.highlight = highlight;
    this._drawPoints();
  }

  /** @param {{thetas: {rows: number, cols: number, data: Float32Array}[]}} data */
  update({ thetas }) {
    if (!thetas || thetas[0].rows !== 3) return; // 2 inputs + bias
    const n = this.options.size;
    const { label, confidence } = classifyGrid(thetas, n);
    const ctx = dataCanvas(this.map, n, n);
    if (!this.img) this.img = ctx.createImageData(n, n);
    const pal = THEMES[themeName()];
    for (let i = 0; i < n * n; i++) {
      const c = mix(pal.paper, CLASS_COLORS[label[i] % CLASS_COLORS.length], 0.2 + 0.6 * confidence[i]);
      this.img.data.set([c[0], c[1], c[2], 255], 4 * i);
    }
    ctx.putImageData(this.img, 0, 0);
    this._drawPoints();
  }

  _drawPoints() {
    const size = this.overlay.clientWidth || 300;
    const ctx = fitCanvas(this.overlay, size, size);
    ctx.clearRect(0, 0, size, size);
    const pal = THEMES[themeName()];
    this.points.forEach((p, i) => {
      ctx.beginPath();
      ctx.arc(p.x[0] * size, (1 - p.x[1]) * size, i === this.highlight ? 9 : 6, 0, 2 * Math.PI);
      ctx.fillStyle = css(CLASS_COLORS[p.classIndex % CLASS_COLORS.length]);
      ctx.fill();
      ctx.lineWidth = i === this.highlight ? 3 : 1.5;
      ctx.strokeStyle = css(pal.ink);
      ctx.stroke();
    });
  }
}
