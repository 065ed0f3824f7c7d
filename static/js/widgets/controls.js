/**
 * The settings form and the run buttons. Reads and writes the form markup of
 * templates/index.html; reports edits and clicks through callbacks and never
 * sees the socket. Invalid values are refused here with a message next to the field.
 * @module widgets/controls
 */
import { PARAM, PARAMS, parseValue, validateField } from '../state.js';
import { el } from './canvas.js';

/** The settings form, the hidden-layer editor and the run buttons. */
export class Controls {
  /**
   * @param {HTMLElement} container the <form>
   * @param {object} options
   * @param {(name: string, value: *) => void} options.onChange  a valid edit
   * @param {(action: 'train'|'pause'|'step'|'stop'|'reset') => void} options.onAction
   * @param {HTMLElement} [options.buttons] the element holding the run buttons (default: container)
   */
  constructor(container, options) {
    this.form = container;
    this.options = options;
    this.buttons = options.buttons || container;
    this.layersBox = container.querySelector('[data-role=layers]');
    this.layers = [];
    /** @type {Map<string, string>} fields whose shown value was refused, with the message */
    this.invalid = new Map();
    this.form.addEventListener('submit', (e) => {
      e.preventDefault();
      // Enter in a field: take its value first (it has not been blurred, so no change event yet)
      const active = document.activeElement;
      if (active && this.form.contains(active) && active.tagName === 'INPUT') active.dispatchEvent(new Event('change'));
      options.onAction('train');
    });
    for (const p of PARAMS) {
      if (p.name === 'hidden_layers') continue;
      const input = this.form.elements[p.name];
      if (!input) continue;
      input.addEventListener('change', () => this._edit(p.name, parseValue(p.name, input.value)));
    }
    container.querySelector('[data-action=add-layer]').addEventListener('click', () => {
      const max = PARAM.hidden_layers.maxLength;
      if (this.layers.length >= max) { this.showError('hidden_layers', `at most ${max} hidden layers`); return; }
      this.layers.push(this.layers[this.layers.length - 1] ?? 8);
      this._renderLayers();
      this._edit('hidden_layers', this.layers.slice());
    });
    const seed = container.querySelector('#new-seed');
    if (seed) {
      seed.addEventListener('click', () => {
        const v = Math.floor(Math.random() * 100000);
        this.form.elements.random_state.value = String(v);
        this._edit('random_state', v);
      });
    }
    this.buttons.querySelectorAll('[data-action]').forEach((b) => {
      if (b.dataset.action === 'add-layer') return;
      b.addEventListener('click', () => options.onAction(b.dataset.action));
    });
  }

  _edit(name, value) {
    const err = validateField(name, value);
    this.showError(name, err);
    // A refused value is remembered so that Train refuses too, rather than
    // training with the last valid value the field no longer shows.
    if (err) this.invalid.set(name, err);
    else { this.invalid.delete(name); this.options.onChange(name, value); }
  }

  _renderLayers() {
    const max = PARAM.hidden_layers.max;
    const rows = this.layers.map((units, i) => {
      const input = el('input', { type: 'number', min: '1', max: String(max), step: '1', inputmode: 'numeric',
        value: String(units), id: `f-layer-${i}`, name: `layer-${i}`, 'aria-describedby': 'e-hidden_layers' });
      input.addEventListener('change', () => {
        this.layers[i] = parseValue('max_iter', input.value); // an integer field
        this._edit('hidden_layers', this.layers.slice());
      });
      const remove = el('button', { type: 'button', class: 'btn icon', 'aria-label': `Remove hidden layer ${i + 1}`, title: 'Remove this layer', text: '−' });
      remove.addEventListener('click', () => { this.layers.splice(i, 1); this._renderLayers(); this._edit('hidden_layers', this.layers.slice()); });
      return el('div', { class: 'layer-row' }, [el('label', { for: `f-layer-${i}`, text: `Layer ${i + 1} units` }), input, remove]);
    });
    if (!rows.length) rows.push(el('p', { class: 'hint', text: 'No hidden layer: logistic regression.' }));
    this.layersBox.replaceChildren(...rows);
  }

  /** Fill the form from a state. @param {object} state */
  setState(state) {
    for (const p of PARAMS) {
      if (p.name === 'hidden_layers') continue;
      const input = this.form.elements[p.name];
      if (!input) continue;
      if (input.tagName === 'SELECT' && ![...input.options].some((o) => o.value === String(state[p.name]))) {
        input.append(el('option', { value: String(state[p.name]), text: String(state[p.name]) }));
      }
      input.value = state[p.name] === null ? '' : String(state[p.name]);
    }
    this.layers = state.hidden_layers.slice();
    this._renderLayers();
    this.form.dataset.optimizer = state.optimizer;
  }

  /** Fill the data set list. @param {{id: string, name: string, kind?: string}[]} datasets @param {string} current */
  setDatasets(datasets, current) {
    const select = this.form.elements.dataset;
    select.replaceChildren(...datasets.map((d) => el('option', { value: d.id, text: d.name || d.id })));
    if (datasets.some((d) => d.id === current)) select.value = current;
  }

  /**
   * Show (or clear, with null) a message next to a field. Returns false when the
   * form has no such field, so the caller can show it in the status area.
   * @param {string} field protocol field name (a dotted name uses its first part)
   * @param {string|null} message @returns {boolean}
   */
  showError(field, message) {
    const name = String(field || '').split('.')[0];
    const box = this.form.querySelector(`#e-${CSS.escape(name)}`);
    if (!box) return false;
    box.textContent = message || '';
    const inputs = name === 'hidden_layers' ? this.layersBox.querySelectorAll('input') : [this.form.elements[name]].filter(Boolean);
    inputs.forEach((i) => i.setAttribute('aria-invalid', message ? 'true' : 'false'));
    return true;
  }

  /** Clear every field message. */
  clearErrors() {
    this.invalid.clear();
    this.form.querySelectorAll('.field-error').forEach((b) => { b.textContent = ''; });
    this.form.querySelectorAll('[aria-invalid=true]').forEach((i) => i.setAttribute('aria-invalid', 'false'));
  }

  /**
   * Enable the buttons that make sense in a run state.
   * @param {'idle'|'queued'|'running'|'paused'|'stopping'} state
   */
  setRunState(state) {
    const b = (a) => this.buttons.querySelector(`[data-action=${a}]`);
    const active = state === 'running' || state === 'paused' || state === 'queued' || state === 'stopping';
    b('train').disabled = active;
    b('pause').disabled = !(state === 'running' || state === 'paused');
    b('pause').setAttribute('aria-pressed', String(state === 'paused'));
    b('pause').querySelector('.btn-text').textContent = state === 'paused' ? 'Paused: resume' : 'Pause';
    b('step').disabled = !(state === 'idle' || state === 'paused');
    b('stop').disabled = !active || state === 'stopping';
    this.form.querySelectorAll('fieldset.train-settings input, fieldset.train-settings select, fieldset.train-settings button')
      .forEach((i) => { i.disabled = active; });
    document.documentElement.dataset.run = state;
  }

  /** Nothing to clear but messages; the form keeps the user's settings. */
  reset() {
    this.clearErrors();
  }
}
