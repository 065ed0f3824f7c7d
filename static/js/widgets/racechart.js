/**
 * The optimizer race on one chart: one cost curve per contender, against
 * iterations, function evaluations (full-batch equivalents) or CPU seconds.
 * @module widgets/racechart
 */
import uPlot from '../../vendor/uplot-1.6.32/uPlot.esm.js';
import { el } from './canvas.js';

/** The x axes a race can be drawn against: the field of `iteration` / `history` and its label. */
export const RACE_AXES = [
  { key: 'iteration', label: 'iterations' },
  { key: 'n_fev_equiv', label: 'evaluations (full-batch eq.)', short: 'evaluations' },
  { key: 'cpu_time', label: 'CPU seconds' },
];
// Okabe–Ito: told apart with the common colour-vision deficiencies, on light and dark
const COLORS = ['#0072b2', '#e69f00', '#009e73', '#cc79a7', '#56b4e9'];
const DASHES = [[], [8, 4], [2, 3], [12, 4, 2, 4], [4, 4]];
const cssVar = (name) => getComputedStyle(document.documentElement).getPropertyValue(name).trim() || '#888';

/**
 * Align several (x, y) curves on one sorted x (uPlot's data layout), null where a curve has no point.
 * @param {{x: number[], y: number[]}[]} curves each sorted by x @returns {Array<Array<number|null>>}
 */
export function alignCurves(curves) {
  const xs = [...new Set(curves.flatMap((c) => c.x.filter((v) => v != null)))].sort((a, b) => a - b);
  const at = new Map(xs.map((x, i) => [x, i]));
  const ys = curves.map((c) => {
    const y = new Array(xs.length).fill(null);
    c.x.forEach((x, i) => { if (x != null) y[at.get(x)] = c.y[i] ?? null; });
    return y;
  });
  return [xs, ...ys];
}

export class RaceChart {
  /**
   * @param {HTMLElement} container gets the axis switch and the plot
   * @param {{height?: number, onAxis?: (key: string) => void}} [options]
   */
  constructor(container, options = {}) {
    this.container = container;
    this.options = { height: 190, ...options };
    this.axis = 'iteration';
    this.contenders = []; // [{run_id, label, points: {iteration, n_fev_equiv, cpu_time, cost}[]}]
    const select = el('select', { id: 'race-axis', 'aria-label': 'x axis of the race', onchange: () => this.setAxis(select.value) },
      RACE_AXES.map((a) => el('option', { value: a.key, text: a.short || a.label })));
    this.select = select;
    this.plotBox = el('div', { class: 'race-plot' });
    container.replaceChildren(el('label', { class: 'race-axis' }, ['x axis: ', select]), this.plotBox);
    new ResizeObserver(() => {
      const w = this.plotBox.clientWidth;
      if (this.plot && w > 0 && Math.abs(w - this.plot.width) > 1) this.plot.setSize({ width: w, height: this.options.height });
    }).observe(this.plotBox);
  }

  /** A new race: its contenders in racing order. @param {{run_id: string, label: string}[]} list */
  setContenders(list) {
    this.contenders = list.map((c) => ({ ...c, points: [] }));
    this._build();
  }

  /** Append `iteration` messages of one contender. @param {string} runId @param {object[]} msgs */
  add(runId, msgs) {
    const c = this.contenders.find((k) => k.run_id === runId);
    if (!c) return;
    for (const m of msgs) {
      if (c.points.length && m.iteration <= c.points[c.points.length - 1].iteration) continue;
      c.points.push({ iteration: m.iteration, n_fev_equiv: m.n_fev_equiv, cpu_time: m.cpu_time, cost: m.cost });
    }
    this._draw();
  }

  /** Replace a contender's points by its full `history` (nothing coalesced). @param {string} runId @param {object} metrics columns */
  setHistory(runId, metrics) {
    const c = this.contenders.find((k) => k.run_id === runId);
    if (!c) return;
    c.points = metrics.iteration.map((it, i) => ({ iteration: it, n_fev_equiv: metrics.n_fev_equiv[i], cpu_time: metrics.cpu_time[i], cost: metrics.cost[i] }));
    this._draw();
  }

  /** Draw against another x: 'iteration', 'n_fev_equiv' or 'cpu_time'. */
  setAxis(key) {
    this.axis = key;
    this.select.value = key;
    this._build();
    this.options.onAxis?.(key);
  }

  /** Every contender's points, long format, for the CSV export. */
  csv() {
    if (!this.contenders.length) return null;
    const rows = this.contenders.flatMap((c) => c.points.map((p) => [c.label, c.run_id, p.iteration, p.n_fev_equiv, p.cpu_time, p.cost]));
    return { header: ['optimizer', 'run_id', 'iteration', 'n_fev_equiv', 'cpu_time', 'cost'], rows };
  }

  /** The plot's canvas (for the PNG export). */
  get canvas() { return this.plot?.ctx.canvas ?? null; }

  restyle() { if (this.contenders.length) this._build(); }

  _data() {
    return alignCurves(this.contenders.map((c) => ({ x: c.points.map((p) => p[this.axis]), y: c.points.map((p) => p.cost) })));
  }

  _draw() {
    if (!this.plot) return;
    const data = this._data();
    this.plot.setData(data);
    const xs = data[0];
    // what is drawn, for tests and tools: the axis and the x range
    Object.assign(this.container.dataset, { axis: this.axis, xMax: String(xs.length ? xs[xs.length - 1] : ''), points: String(xs.length) });
  }

  _build() {
    if (this.plot) this.plot.destroy();
    const axisDef = RACE_AXES.find((a) => a.key === this.axis);
    const axis = { stroke: cssVar('--fg-muted'), grid: { stroke: cssVar('--grid'), width: 1 }, ticks: { stroke: cssVar('--grid') },
      font: '14px system-ui, sans-serif', labelFont: '14px system-ui, sans-serif' };
    const fmtX = (v) => (v == null ? '–' : this.axis === 'cpu_time' ? `${v.toFixed(2)} s` : this.axis === 'n_fev_equiv' ? `${+v.toFixed(2)}` : `${v}`);
    const opts = {
      width: Math.max(200, this.plotBox.clientWidth || 400),
      height: this.options.height,
      scales: { x: { time: false }, y: { range: (u, min, max) => [Math.min(0, min ?? 0), max > 0 ? max * 1.05 : 1] } },
      cursor: { drag: { x: false, y: false }, points: { size: 8 } },
      legend: { live: true },
      series: [
        { label: axisDef.short || axisDef.label, value: (u, v) => fmtX(v) },
        ...this.contenders.map((c, k) => ({
          label: c.label, stroke: COLORS[k % COLORS.length], width: 2.5, dash: DASHES[k % DASHES.length], spanGaps: true,
          points: { show: (u) => u.data[0].length < 40, size: 6 }, value: (u, v) => (v == null ? '–' : v.toPrecision(4)),
        })),
      ],
      axes: [{ ...axis, label: axisDef.label, labelSize: 18 }, { ...axis, label: 'cost', labelSize: 18, size: 56 }],
    };
    this.plot = new uPlot(opts, this._data(), this.plotBox);
    this._draw();
  }
}
