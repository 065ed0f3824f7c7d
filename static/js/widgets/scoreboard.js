/**
 * The run's scores in large type: training, validation and test cost and accuracy,
 * and a badge that points out the gap between training and validation when it opens.
 * Owns the DOM of its container (a table it builds once).
 * @module widgets/scoreboard
 */
import { formatCost } from './statusbar.js';

/** The gap must have grown by this much (cost units) over the recent iterations to be pointed out. */
export const GAP_GROWTH = 0.05;
/** How many recent iterations the growth is measured over. */
export const GAP_WINDOW = 10;

/**
 * Is validation parting from training? The gap is validation cost − training cost;
 * it is pointed out when it is positive, rose past `GAP_GROWTH` above its smallest
 * value over the last `GAP_WINDOW` iterations, and still rose at the newest one.
 * @param {number[]} gaps one per iteration, oldest first
 * @returns {number|null} the newest gap when it is opening, else null
 */
export function openingGap(gaps) {
  const n = gaps.length;
  if (n < 3) return null;
  const now = gaps[n - 1];
  const recent = gaps.slice(Math.max(0, n - GAP_WINDOW));
  if (!(now > 0) || now - Math.min(...recent) < GAP_GROWTH || !(now >= gaps[n - 2])) return null;
  return now;
}

const pct = (a) => (a == null ? '–' : `${(100 * a).toFixed(1)}%`);

/** A 3 × 2 table (training, validation, test × cost, accuracy) and the gap badge. */
export class Scoreboard {
  /** @param {HTMLElement} container */
  constructor(container) {
    this.container = container;
    const cell = (row, col) => `<td data-score="${row}-${col}">–</td>`;
    container.innerHTML = `<table class="scores"><thead><tr><th></th><th scope="col">cost</th><th scope="col">accuracy</th></tr></thead><tbody>${
      ['training', 'validation', 'test'].map((r) => `<tr class="score-${r}"><th scope="row">${r}</th>${cell(r, 'cost')}${cell(r, 'acc')}</tr>`).join('')
    }</tbody></table><p class="gap-badge" role="status" hidden></p>`;
    this.badge = container.querySelector('.gap-badge');
    this.reset();
  }

  _set(row, col, text) {
    this.container.querySelector(`[data-score="${row}-${col}"]`).textContent = text;
  }

  /** Iterations' scores (`iteration` messages, oldest first); the newest is shown. @param {object[]} points */
  update(points) {
    if (!points.length) return;
    for (const p of points) if (p.val_cost != null && p.cost != null) this.gaps.push(p.val_cost - p.cost);
    const m = points[points.length - 1];
    this._set('training', 'cost', formatCost(m.cost));
    this._set('training', 'acc', pct(m.train_accuracy));
    this._set('validation', 'cost', formatCost(m.val_cost));
    this._set('validation', 'acc', pct(m.val_accuracy));
    const gap = openingGap(this.gaps);
    this.badge.hidden = gap == null;
    if (gap != null) this.badge.textContent = `validation is parting from training: +${gap.toFixed(2)}`;
  }

  /** The run's end: the final weights' test cost and accuracy. @param {{test_cost?: number, test_accuracy?: number}} done */
  finish(done) {
    this._set('test', 'cost', formatCost(done.test_cost));
    this._set('test', 'acc', pct(done.test_accuracy));
  }

  /** Back to a run not yet started. */
  reset() {
    this.gaps = [];
    for (const r of ['training', 'validation', 'test']) { this._set(r, 'cost', '–'); this._set(r, 'acc', '–'); }
    this.badge.hidden = true;
  }
}
