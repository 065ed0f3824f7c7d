/**
 * Per-class accuracy over time: one row per class, one column per iteration,
 * darker = more of that class right (the iteration's `class_accuracy`), so a
 * class sees which digits are learned first. Drawn at data resolution (a pixel
 * per class and iteration) and stretched by CSS. Rewound by the timeline
 * (`showAt`), the columns after the shown iteration fade and a label names it.
 * @module widgets/classstrip
 */
import { THEMES, mix } from '../colors.js';
import { dataCanvas, el, themeName } from './canvas.js';

const MAX_COLUMNS = 1000; // beyond this many iterations, columns are shared

export class ClassAccuracyStrip {
  /** @param {HTMLElement} container an empty box under the accuracy chart */
  constructor(container) {
    this.container = container;
    this.labels = container.appendChild(el('div', { class: 'class-strip-labels', 'aria-hidden': 'true' }));
    this.canvas = container.appendChild(el('canvas', { class: 'class-strip-map', role: 'img', 'aria-label': 'Accuracy of each class per iteration' }));
    this.atLabel = container.appendChild(el('p', { class: 'class-strip-at', 'data-testid': 'class-strip-iteration', hidden: '' }));
    this.note = container.appendChild(el('p', { class: 'caption' }));
    this.canvas.addEventListener('pointermove', (e) => this._hover(e));
    this.canvas.addEventListener('pointerleave', () => this._say());
    this.reset();
  }

  /** Forget the run. */
  reset() {
    this.rows = [];      // per class: accuracy per column (NaN = none yet)
    this.iterations = []; // the iteration of each column
    this.classNames = [];
    this.columns = 0;
    this.at = null;       // the iteration the timeline rewound to (null: all of them)
    this.atLabel.hidden = true;
    delete this.container.dataset.at;
    this.canvas.hidden = true;
    this.labels.replaceChildren();
    this.container.dataset.columns = '0';
    this._say();
  }

  /**
   * Append iterations.
   * @param {{iteration: number, class_accuracy?: (number|null)[]|null}[]} points
   * @param {{classNames?: string[], maxIter?: number}} [run] names of the rows; the planned iterations (the strip's width)
   */
  update(points, { classNames = [], maxIter = 0 } = {}) {
    const got = points.filter((p) => Array.isArray(p.class_accuracy));
    if (!got.length) return;
    const k = got[0].class_accuracy.length;
    if (this.rows.length !== k) this._start(k, classNames, maxIter);
    for (const p of got) {
      const col = this._column(p.iteration);
      this.iterations[col] = p.iteration;
      p.class_accuracy.forEach((v, c) => { this.rows[c][col] = v == null ? NaN : v; });
    }
    this._draw();
  }

  /**
   * Rewind to `iteration`: later columns fade; `classAccuracy` (that iteration's, from its
   * kept weights) fills its column, which a reopened run never streamed.
   * @param {number} iteration @param {(number|null)[]|null} classAccuracy
   * @param {{classNames?: string[], maxIter?: number, last?: number}} [run] as for `update`; `last` the run's last iteration
   */
  showAt(iteration, classAccuracy, { classNames = [], maxIter = 0, last = null } = {}) {
    this.at = iteration;
    this.container.dataset.at = String(iteration);
    const values = Array.isArray(classAccuracy) ? classAccuracy.map((v, c) => `${this.classNames[c] ?? classNames[c] ?? c} ${v == null ? '–' : `${Math.round(100 * v)}%`}`) : [];
    this.atLabel.textContent = `Iteration ${iteration}${last != null ? ` of ${last}` : ''} (later ones faded)${values.length ? `: ${values.join(', ')}` : ''}`;
    this.atLabel.hidden = false;
    if (Array.isArray(classAccuracy) && iteration >= 1) this.update([{ iteration, class_accuracy: classAccuracy }], { classNames, maxIter });
    else if (this.rows.length) this._draw();
  }

  /** Back to the whole run: no column faded. */
  live() {
    if (this.at == null) return;
    this.at = null;
    this.atLabel.hidden = true;
    delete this.container.dataset.at;
    if (this.rows.length) this._draw();
  }

  _start(k, classNames, maxIter) {
    this.classNames = Array.from({ length: k }, (_, c) => classNames[c] ?? String(c));
    const planned = (maxIter || 50) + 1; // iterations 0 (the initial weights) to maxIter
    this.columns = Math.min(MAX_COLUMNS, planned);
    this.perColumn = Math.ceil(planned / MAX_COLUMNS);
    this.rows = this.classNames.map(() => new Float32Array(this.columns).fill(NaN));
    this.labels.replaceChildren(...this.classNames.map((n) => el('span', { text: n })));
    this.labels.style.setProperty('--rows', String(k));
    this.canvas.hidden = false;
    this._say(); // the placeholder gives way to the legend
  }

  _column(iteration) {
    const col = Math.floor(iteration / this.perColumn);
    if (col >= this.columns) this._grow(col + 1); // more iterations than planned (a resumed run)
    return col;
  }

  _grow(n) {
    this.rows = this.rows.map((r) => { const g = new Float32Array(n).fill(NaN); g.set(r); return g; });
    this.columns = n;
  }

  _draw() {
    const k = this.rows.length, w = this.columns;
    const ctx = dataCanvas(this.canvas, w, k);
    const img = ctx.createImageData(w, k);
    const pal = THEMES[themeName()];
    const after = this.at == null ? Infinity : Math.floor((this.at - 1) / this.perColumn); // columns past it fade
    for (let c = 0; c < k; c++) {
      for (let x = 0; x < w; x++) {
        const v = this.rows[c][x];
        let rgb = Number.isNaN(v) ? pal.neutral : mix(pal.paper, pal.positive, v);
        if (x > after) rgb = mix(rgb, pal.paper, 0.8);
        img.data.set([rgb[0], rgb[1], rgb[2], 255], 4 * (c * w + x));
      }
    }
    ctx.putImageData(img, 0, 0);
    this.canvas.style.height = `${Math.min(18, Math.max(10, 160 / k)) * k}px`;
    this.container.dataset.columns = String(this.iterations.filter((i) => i != null).length);
  }

  _hover(e) {
    if (!this.rows.length) return;
    const r = this.canvas.getBoundingClientRect();
    const col = Math.floor(((e.clientX - r.left) / r.width) * this.columns);
    const c = Math.floor(((e.clientY - r.top) / r.height) * this.rows.length);
    const v = this.rows[c]?.[col];
    if (v == null || Number.isNaN(v)) { this._say(); return; }
    this._say(`class ${this.classNames[c]}, iteration ${this.iterations[col]}: ${(100 * v).toFixed(1)}% right`);
  }

  _say(text) {
    this.note.textContent = text || (this.rows.length
      ? 'Each row a class, each column an iteration: darker blue = more of that class right (validation set). Hover for numbers.'
      : 'Per-class accuracy appears here while training.');
  }

}
