/**
 * Live line charts (cost, accuracy) on uPlot, appending a point per iteration.
 * @module widgets/charts
 */
import uPlot from '../../vendor/uplot-1.6.32/uPlot.esm.js';

const cssVar = (name) => getComputedStyle(document.documentElement).getPropertyValue(name).trim() || '#888';

/**
 * An appending chart: x is the iteration; one y series per entry of `series`.
 * Hovering shows the iteration, the function evaluations so far and each value.
 */
export class StreamChart {
  /**
   * @param {HTMLElement} container
   * @param {object} options
   * @param {{label: string, color: string, dash?: number[]}[]} options.series color is a CSS variable name
   * @param {(v: number) => string} [options.format] y value formatter
   * @param {string} [options.yLabel] @param {number} [options.height=190]
   * @param {[number, number]} [options.yRange] fixed range (accuracy: [0, 1])
   * @param {boolean} [options.log] logarithmic y axis
   * @param {(v: number) => string} [options.axisFormat] y tick formatter (uPlot's own when absent)
   */
  constructor(container, options) {
    this.container = container;
    this.options = { height: 190, format: (v) => v.toPrecision(4), ...options };
    this.reset();
    this._resize = new ResizeObserver(() => {
      const w = this.container.clientWidth;
      if (this.plot && w > 0 && Math.abs(w - this.plot.width) > 1) this.plot.setSize({ width: w, height: this.options.height });
    });
    this._resize.observe(container);
  }

  /** Forget every point and redraw empty (the plot is reused, not rebuilt). */
  reset() {
    if (!this.plot) {
      this.x = [];
      this.nfev = [];
      this.ys = this.options.series.map(() => []);
      this._build();
      return;
    }
    this.x.length = 0;
    this.nfev.length = 0;
    for (const y of this.ys) y.length = 0;
    this.plot.setData([this.x, ...this.ys]);
    this.container.dataset.points = String(this.x.length); // how many are drawn, for tests and tools
  }

  /** Rebuild with the current theme's colours, keeping the data. */
  restyle() {
    this._build();
  }

  _build() {
    if (this.plot) this.plot.destroy();
    const { series, format, yLabel, height, yRange, log } = this.options;
    const axis = { stroke: cssVar('--fg-muted'), grid: { stroke: cssVar('--grid'), width: 1 }, ticks: { stroke: cssVar('--grid') },
      font: '14px system-ui, sans-serif', labelFont: '14px system-ui, sans-serif' };
    const nfev = this.nfev;
    const opts = {
      width: Math.max(200, this.container.clientWidth || 400),
      height,
      scales: {
        x: { time: false },
        y: yRange ? { range: yRange } : log ? { distr: 3 } : { range: (u, min, max) => [Math.min(0, min), max > 0 ? max * 1.05 : 1] },
      },
      cursor: { drag: { x: false, y: false }, points: { size: 8 } },
      legend: { live: true },
      series: [
        { label: 'iteration', value: (u, v, si, i) => (v == null ? '–' : `${v}` + (i != null && nfev[i] != null ? ` (${nfev[i]} evals)` : '')) },
        ...series.map((s) => ({
          label: s.label, stroke: cssVar(s.color), width: 2.5, dash: s.dash, spanGaps: true,
          // dots while there are few points, so iteration 1 is visible at all
          points: { show: (u) => u.data[0].length < 40, size: 6 },
          value: (u, v) => (v == null ? '–' : format(v)),
        })),
      ],
      // iterations are whole numbers: no 1.5 ticks
      axes: [{ ...axis, label: 'iteration', labelSize: 18, incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000] }, { ...axis, label: yLabel, labelSize: 18, size: 56, ...(this.options.axisFormat ? { values: (u, vals) => vals.map(this.options.axisFormat) } : {}) }],
    };
    this.plot = new uPlot(opts, [this.x, ...this.ys], this.container);
  }

  /**
   * Append points and redraw once.
   * @param {{x: number, y: (number|null)[], nfev?: number}[]} points
   */
  update(points) {
    if (!points.length) return;
    for (const p of points) {
      this.x.push(p.x);
      this.nfev.push(p.nfev ?? null);
      p.y.forEach((v, k) => this.ys[k].push(v ?? null));
    }
    this.plot.setData([this.x, ...this.ys]);    this.container.dataset.points = String(this.x.length);
  }

  /** Number of points held. @returns {number} */
  get length() {
    return this.x.length;
  }
}
