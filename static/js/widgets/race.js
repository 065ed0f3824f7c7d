/**
 * The optimizer race on the page: the sidebar's choice of contenders with its
 * Race button, and the results table that ends a race (one row per contender,
 * each row's radio button makes that contender the run the panels show).
 * @module widgets/race
 */
import { el, showPanel } from './canvas.js';

const DEFAULT_CONTENDERS = ['TNC', 'L-BFGS-B', 'adam'];

/** Checkboxes for the registry's optimizers and a "Race" button. */
export class RaceControls {
  /**
   * @param {HTMLElement} container holds .race-choices, #race-start and #race-note
   * @param {{onRace: (optimizers: string[]) => void}} options
   */
  constructor(container, options) {
    this.choices = container.querySelector('.race-choices');
    this.button = container.querySelector('#race-start');
    this.note = container.querySelector('#race-note');
    this.button.addEventListener('click', () => {
      const picked = this.picked();
      if (!picked.length) { this.note.textContent = 'Pick at least one optimizer.'; return; }
      options.onRace(picked);
    });
  }

  /** One checkbox per optimizer of `ready.optimizers`. @param {{name: string, label: string, help: string}[]} optimizers */
  build(optimizers) {
    if (this.choices.childElementCount) return;
    this.choices.replaceChildren(...optimizers.map((o) => el('label', { class: 'check', title: o.help }, [
      el('input', { type: 'checkbox', value: o.name, ...(DEFAULT_CONTENDERS.includes(o.name) ? { checked: '' } : {}) }), ` ${o.label}`])));
  }

  /** The ticked optimizers, in the registry's order. @returns {string[]} */
  picked() {
    return [...this.choices.querySelectorAll('input:checked')].map((i) => i.value);
  }

  /** @param {boolean} enabled a race cannot start while a run is active */
  setEnabled(enabled) { this.button.disabled = !enabled; }

  /** @param {string} text */
  setNote(text) { this.note.textContent = text; }
}

const fmt = {
  cost: (v) => (v == null ? '–' : v.toFixed(4)),
  acc: (v) => (v == null ? '–' : `${(100 * v).toFixed(1)}%`),
  fev: (v) => (v == null ? '–' : Number.isInteger(v) ? String(v) : v.toFixed(1)),
  sec: (v) => (v == null ? '–' : `${v.toFixed(2)} s`),
};
const COLUMNS = [
  ['optimizer', (r) => r.label], ['train cost', (r) => fmt.cost(r.cost)], ['val. cost', (r) => fmt.cost(r.val_cost)],
  ['test cost', (r) => fmt.cost(r.test_cost)], ['train acc.', (r) => fmt.acc(r.train_accuracy)], ['val. acc.', (r) => fmt.acc(r.val_accuracy)],
  ['test acc.', (r) => fmt.acc(r.test_accuracy)], ['iterations', (r) => String(r.n_iter ?? '–')], ['evaluations*', (r) => fmt.fev(r.n_fev_equiv)],
  ['CPU time', (r) => fmt.sec(r.cpu_time)],
];

/** The race's contenders, their results at the end, and which one the panels show. */
export class RaceResults {
  /**
   * @param {HTMLElement} container the panel's body (holds .race-table and .race-caption)
   * @param {{onPick: (runId: string) => void}} options
   */
  constructor(container, options) {
    this.container = container;
    this.options = options;
    this.table = container.querySelector('.race-table');
    this.caption = container.querySelector('.race-caption');
    this.rows = [];
    this.reset();
  }

  /** No race: hide the panel. */
  reset() {
    this.rows = [];
    this.results = null;
    this.table.replaceChildren();
    showPanel(this.container, false);
  }

  /** A race began: rows for its contenders, results to come. @param {{run_id: string, label: string}[]} contenders */
  start(contenders) {
    this.rows = contenders.map((c) => ({ ...c }));
    this.results = null;
    this.caption.textContent = 'Racing… the contenders run one after the other from the same initial weights.';
    this._render();
    showPanel(this.container, true);
  }

  /** `race_done`: each contender's final numbers. @param {object[]} results in racing order */
  finish(results) {
    this.results = results;
    const byId = new Map(results.map((r) => [r.run_id, r]));
    this.rows = this.rows.map((row) => ({ ...row, ...byId.get(row.run_id) }));
    this.caption.textContent = '*Evaluations in full-batch equivalents: gradient computations on the whole training set, a mini-batch '
      + 'counting as its share of it (one epoch = 1), so the columns compare like with like. CPU time: the optimizer\'s own thread. '
      + 'Pick a row to inspect that network in every panel.';
    this._render();
  }

  /** Mark the row the panels show. @param {string} runId */
  select(runId) {
    for (const input of this.table.querySelectorAll('input[type=radio]')) input.checked = input.value === runId;
  }

  _render() {
    const head = el('tr', {}, [el('th', { text: 'show' }), ...COLUMNS.map(([name]) => el('th', { scope: 'col', text: name }))]);
    const body = this.rows.map((r) => el('tr', { 'data-run': r.run_id }, [
      el('td', {}, [el('input', { type: 'radio', name: 'race-pick', value: r.run_id, 'aria-label': `Show ${r.label}`, onchange: () => this.options.onPick(r.run_id) })]),
      ...COLUMNS.map(([, cell], k) => (k === 0 ? el('th', { scope: 'row', text: cell(r) }) : el('td', { text: this.results ? cell(r) : '…' }))),
    ]));
    this.table.replaceChildren(el('thead', {}, [head]), el('tbody', {}, body));
  }
}
