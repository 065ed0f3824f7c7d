/**
 * Live line charts (cost, accuracy) on uPlot, appending a point per iteration.
 * @module widgets/charts
 */
import uPlot from '../../vendor/uplot-1.6.32/uPlot.esm.js';

/** How long a chart emptied for a starting run waits for its first point before it is rebuilt (ms). */
export const REBUILD_WAIT_MS = 400;

const cssVar = (name, fallback = '#888') => getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;

/** The value a legend shows: the hovered point's, else the newest (no hover needed). */
function legendValue(u, si, i, rest) {
  const ys = u.data[si];
  const k = i ?? rest;
  return k >= 0 ? ys[k] : null;
}

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
      if (this.plot && w > 0 && Math.abs(w - this.plot.width) > 1) this.plot.setSize({ width: w, height: this.plot.height });
    });
    this._resize.observe(container);
  }

  /**
   * Forget every point and redraw empty. An emptied uPlot keeps the previous run's x
   * range and ticks, so the x scale is set to [0, 1] at once, and the plot is rebuilt
   * too, in a frame of its own rather than in the task of the click that started the
   * run. With `pointsSoon` (a run is starting) the rebuild waits: the run's first
   * points set a new x range anyway, so the plot is rebuilt only if none came within
   * REBUILD_WAIT_MS (a run waiting in the queue), and the run's first frames do not
   * pay for it.
   * @param {{pointsSoon?: boolean}} [options]
   */
  reset({ pointsSoon = false } = {}) {
    this.at = null;
    delete this.container.dataset.at;
    this.container.dataset.points = '0'; // how many are drawn, for tests and tools
    delete this.container.dataset.firstX;
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
    this.plot.setScale('x', { min: 0, max: 1 }); // not the last run's iterations until it is rebuilt
    this._cancelRebuild();
    this._rebuild = pointsSoon
      ? { timer: setTimeout(() => { this._rebuild = null; if (!this.x.length) this._build(); }, REBUILD_WAIT_MS) }
      : { frame: requestAnimationFrame(() => { this._rebuild = null; this._build(); }) };
  }

  _cancelRebuild() {
    if (!this._rebuild) return;
    clearTimeout(this._rebuild.timer);
    cancelAnimationFrame(this._rebuild.frame);
    this._rebuild = null;
  }

  /** Remove the chart for good: its plot, a pending rebuild and its resize observer. */
  destroy() {
    this._cancelRebuild();
    this._resize.disconnect();
    this.plot?.destroy();
    this.plot = null;
  }

  /** Rebuild with the current theme's colours and type size (presenter mode), keeping the data. */
  restyle() {
    this._build();
  }

  /** The plot's height: the page's --chart-height when set (presenter mode), else the option. */
  get height() {
    return parseInt(cssVar('--chart-height', ''), 10) || this.options.height;
  }

  _build() {
    this._cancelRebuild();
    if (this.plot) this.plot.destroy();
    const { series, format, yLabel, yRange, log } = this.options;
    const height = this.height;
    // ticks and axis labels follow the page's type size (18 px in presenter mode)
    const px = parseInt(cssVar('--chart-font', '14px'), 10) || 14;
    this.container.dataset.axisFont = String(px);
    const font = `${px}px system-ui, sans-serif`;
    const axis = { stroke: cssVar('--fg-muted'), grid: { stroke: cssVar('--grid'), width: 1 }, ticks: { stroke: cssVar('--grid') },
      font, labelFont: font, labelSize: Math.round(px * 1.35) };
    const nfev = this.nfev;
    const opts = {
      width: Math.max(200, this.container.clientWidth || 400),
      height,
      scales: {
        // uPlot pads one point alone (a run's iteration 0, or a resumed run's first) to a
        // span of 100 iterations; show it and the next one instead
        x: { time: false, range: (u, min, max) => (u.data[0].length === 1 ? [u.data[0][0], u.data[0][0] + 1] : [min, max]) },
        y: yRange ? { range: yRange } : log ? { distr: 3 } : { range: (u, min, max) => [Math.min(0, min), max > 0 ? max * 1.05 : 1] },
      },
      cursor: { drag: { x: false, y: false }, points: { size: 8 } },
      legend: { live: true },
      series: [
        { label: 'iteration', value: (u, v, si, i) => {
          const k = i ?? this._restIndex();
          return k < 0 ? '–' : `${u.data[0][k]}` + (nfev[k] != null ? ` (${nfev[k]} evals)` : '');
        } },
        ...series.map((s) => ({
          label: s.label, stroke: cssVar(s.color), width: 2.5, dash: s.dash, spanGaps: true,
          // dots while there are few points, so iteration 1 is visible at all
          points: { show: (u) => u.data[0].length < 40, size: 6 },
          value: (u, v, si, i) => { const y = legendValue(u, si, i, this._restIndex()); return y == null ? '–' : format(y); },
        })),
      ],
      // iterations are whole numbers: no 1.5 ticks
      axes: [{ ...axis, label: 'iteration', size: Math.round(px * 2.4), incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000] }, { ...axis, label: yLabel, size: Math.round(px * 4), ...(this.options.axisFormat ? { values: (u, vals) => vals.map(this.options.axisFormat) } : {}) }],
    };
    opts.hooks = { draw: [(u) => { this._drawMark(u); this.container.dataset.xMax = String(u.scales.x.max); }] };
    this.plot = new uPlot(opts, [this.x, ...this.ys], this.container);
  }

  /**
   * Mark iteration `x` (the timeline rewound to it): a dashed vertical line, and the
   * legend shows that iteration's values while nothing is hovered; null: the newest again.
   * @param {number|null} x
   */
  showAt(x) {
    this.at = x;
    if (x == null) delete this.container.dataset.at;
    else this.container.dataset.at = String(x);
    if (!this.plot) return;
    this.plot.redraw(false);
    if (this.plot.legend.idx == null) this.plot.setLegend();
  }

  /** The point the legend shows when nothing is hovered: the marked iteration's, else the newest. */
  _restIndex() {
    const k = this.at == null ? -1 : this.x.indexOf(this.at);
    return k >= 0 ? k : this.x.length - 1;
  }

  _drawMark(u) {
    if (this.at == null || this.x.indexOf(this.at) < 0) return;
    const x = Math.round(u.valToPos(this.at, 'x', true));
    const { ctx } = u;
    const px = window.devicePixelRatio || 1;
    ctx.save();
    ctx.strokeStyle = cssVar('--fg-muted');
    ctx.lineWidth = 1.5 * px;
    ctx.setLineDash([5 * px, 4 * px]);
    ctx.beginPath();
    ctx.moveTo(x, u.bbox.top);
    ctx.lineTo(x, u.bbox.top + u.bbox.height);
    ctx.stroke();
    ctx.restore();
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
    this.plot.setData([this.x, ...this.ys]);
    if (this.plot.legend.idx == null) this.plot.setLegend(); // no hover: the legend shows the newest values
    this.container.dataset.points = String(this.x.length);
    this.container.dataset.firstX = String(this.x[0]);
  }

  /** Number of points held. @returns {number} */
  get length() {
    return this.x.length;
  }
}
