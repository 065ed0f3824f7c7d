/**
 * The gradient's norm per weight matrix, per iteration, on a log scale: with the
 * post's randn initialisation the sigmoids saturate and the first matrix's
 * gradient vanishes; with the scaled uniform one it does not.
 * @module widgets/gradnorms
 */
import { StreamChart } from './charts.js';

const COLOURS = ['--series-train', '--series-val', '--norm-3', '--norm-4', '--norm-5'];

export class GradNormChart {
  /** @param {HTMLElement} container */
  constructor(container) {
    this.container = container;
    this.n = 0;
    this.chart = null;
    this.setLayers(1);
  }

  /** One series per weight matrix. @param {number} n */
  setLayers(n) {
    if (n === this.n && this.chart) { this.chart.reset(); return; }
    this.n = n;
    // The old chart goes first: a rebuild it still had pending (a reset as the run
    // started) would add its empty plot below the new one.
    this.chart?.destroy();
    this.container.replaceChildren();
    this.chart = new StreamChart(this.container, {
      yLabel: '‖∂J/∂Θ‖', log: true, height: 190, format: (v) => v.toExponential(2), axisFormat: (v) => (v == null ? '' : v.toExponential(0)),
      series: Array.from({ length: n }, (_, l) => ({ label: `Θ${l + 1}`, color: COLOURS[l % COLOURS.length], dash: l ? [8 - 2 * l, 3] : undefined })),
    });
  }

  /** @param {{pointsSoon?: boolean}} [options] see StreamChart.reset */
  reset(options) { this.chart.reset(options); }

  restyle() { this.chart.restyle(); }

  /** Mark a rewound iteration (null: none), as StreamChart.showAt. @param {number|null} x */
  showAt(x) { this.chart.showAt(x); }

  /** @param {{iteration: number, grad_norms?: number[]}[]} points */
  update(points) {
    const pts = points.filter((p) => p.grad_norms?.length);
    if (!pts.length) return;
    if (pts[0].grad_norms.length !== this.n) this.setLayers(pts[0].grad_norms.length);
    this.chart.update(pts.map((p) => ({ x: p.iteration, y: p.grad_norms.map((v) => (v > 0 ? v : null)) })));
  }
}
