/**
 * The settings form, built from the server's schema (`ready.settings` and
 * `ready.optimizers`): one field per `form` row, in the schema's order, with its
 * label, unit, limits and help (as a tooltip). Settings that only some optimizers
 * take are hidden for the others. Invalid values are refused here with a message
 * next to the field; valid edits go out through `onChange`. Never sees the socket.
 * @module widgets/settingsform
 */
import { el } from './canvas.js';

/**
 * What the schema does not say and the page adds: presets, a visible hint, a button.
 * Keyed by setting name; a setting missing here gets a plain field.
 */
const EXTRAS = {
  delay_ms: { step: '50', presets: [0, 100, 250, 500, 1000], hint: true },
  random_state: { newButton: { id: 'new-seed', text: 'New', title: 'New random seed' } },
  data_seed: { newButton: { id: 'new-data', text: 'New data', title: 'Draw a fresh set of points (a new data seed)' } },
  dataset: { recommendButton: true },
  hidden_layers: { empty: 'No hidden layer: logistic regression.', newItem: 8 },
};

/** The label a row shows: its unit in brackets unless the label says it already. */
export function labelText(row) {
  const unit = row.unit && row.type !== 'ints' && !row.label.toLowerCase().includes(row.unit.toLowerCase());
  return unit ? `${row.label} (${row.unit})` : row.label;
}

/** An option's text: the optimizer's label, its family when it is mini-batch. */
export function optimizerText(o) {
  return o.family === 'minibatch' ? `${o.label} (mini-batch)` : o.label;
}

export class SettingsForm {
  /**
   * @param {HTMLFormElement} form holds <fieldset data-group="live"> (editable during a run)
   *   and <fieldset data-group="train"> (fixed during a run)
   * @param {object} options
   * @param {(name: string, value: *) => void} options.onChange a valid edit
   * @param {() => void} options.onSubmit Enter in a field
   * @param {string[]} [options.live] settings that may change during a run (e.g. delay_ms)
   * @param {() => void} [options.onRecommended] the "Recommended" button next to the data set
   */
  constructor(form, options) {
    this.form = form;
    this.options = options;
    this.groups = { live: form.querySelector('[data-group=live]'), train: form.querySelector('[data-group=train]') };
    this.settings = null;
    this.layers = [];
    /** @type {Map<string, string>} fields whose shown value was refused, with the message */
    this.invalid = new Map();
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      // Enter in a field: take its value first (it has not been blurred, so no change event yet)
      const active = document.activeElement;
      if (active && form.contains(active) && active.tagName === 'INPUT') active.dispatchEvent(new Event('change'));
      options.onSubmit();
    });
  }

  /**
   * Build the fields (once: a reconnect's `ready` keeps the form as the user left it).
   * @param {import('../settings.js').Settings} settings the train rows (page rows are skipped)
   * @param {{name: string, label: string, family: string, help?: string}[]} optimizers
   */
  build(settings, optimizers) {
    if (this.settings) return;
    this.settings = settings;
    this.optimizers = optimizers;
    // the schema's order, but the data set leads: it decides the input and output layers
    const rows = settings.rows.filter((r) => !r.page);
    for (const row of [...rows.filter((r) => r.type === 'dataset'), ...rows.filter((r) => r.type !== 'dataset')]) {
      const group = (this.options.live || []).includes(row.name) ? 'live' : 'train';
      this.groups[group].append(this._field(row));
    }
  }

  _field(row) {
    const extra = EXTRAS[row.name] || {};
    if (row.type === 'ints') return this._listField(row, extra);
    const id = `f-${row.name}`;
    const label = el('label', { for: id }, [labelText(row)]);
    if (row.optional) label.append(' ', el('span', { class: 'hint', text: '(empty: default)' }));
    const input = row.type === 'choice' || row.type === 'dataset' ? this._select(row, id) : this._number(row, id, extra);
    input.setAttribute('aria-describedby', `e-${row.name}${extra.hint || row.type === 'dataset' ? ` d-${row.name}` : ''}`);
    if (row.help) { label.title = row.help; input.title = row.help; }
    input.addEventListener('change', () => this._edit(row.name, this.settings.parse(row.name, input.value)));
    const box = el('div', { class: 'field' }, [label, extra.newButton ? this._withNewSeed(input, extra.newButton) : input]);
    if (extra.recommendButton) box.append(this._recommendButton());
    if (extra.presets) {
      input.setAttribute('list', `${row.name}-presets`);
      box.append(el('datalist', { id: `${row.name}-presets` }, extra.presets.map((v) => el('option', { value: String(v) }))));
    }
    if (extra.hint || row.type === 'dataset') box.append(el('p', { class: 'hint', id: `d-${row.name}`, text: extra.hint ? row.help : '' }));
    box.append(errorBox(row.name));
    if (row.optimizers) box.dataset.optimizers = row.optimizers.join(' ');
    if (row.datasets) box.dataset.datasets = row.datasets;
    return box;
  }

  _number(row, id, extra) {
    const attrs = { id, name: row.name, type: 'number', step: extra.step || (row.type === 'int' ? '1' : 'any') };
    if (row.min != null) attrs.min = String(row.min);
    if (row.max != null) attrs.max = String(row.max);
    if (row.type === 'float' && !row.optional) attrs.inputmode = 'decimal';
    if (row.optional) attrs.placeholder = 'auto';
    return el('input', attrs);
  }

  _select(row, id) {
    const select = el('select', { id, name: row.name });
    if (row.type === 'choice') {
      const about = new Map((row.name === 'optimizer' ? this.optimizers : []).map((o) => [o.name, o]));
      select.append(...row.choices.map((c) => {
        const o = about.get(c);
        return el('option', { value: c, text: o ? optimizerText(o) : c, ...(o?.help ? { title: o.help } : {}) });
      }));
    }
    return select;
  }

  _recommendButton() {
    const button = el('button', { type: 'button', class: 'btn small', id: 'recommended', text: 'Recommended',
      title: 'Apply the settings that work for this data set (layers, λ, optimizer, iterations, activation, speed)' });
    button.addEventListener('click', () => this.options.onRecommended?.());
    return button;
  }

  _withNewSeed(input, { id, text, title }) {
    const button = el('button', { type: 'button', class: 'btn small', id, 'aria-label': title, title, text });
    button.addEventListener('click', () => {
      const v = Math.floor(Math.random() * 100000);
      input.value = String(v);
      this._edit(input.name, v);
    });
    return el('div', { class: 'inline' }, [input, button]);
  }

  _listField(row, extra) {
    const item = row.label.replace(/s$/, '').toLowerCase(); // "hidden layer"
    this.list = { row, extra, item, box: el('div', { 'data-role': 'layers', class: 'layers' }) };
    const add = el('button', { type: 'button', class: 'btn small', 'data-action': 'add-layer', text: `+ Add ${item.split(' ').pop()}` });
    add.addEventListener('click', () => {
      const next = [...this.layers, this.layers[this.layers.length - 1] ?? extra.newItem ?? row.min];
      if (next.length > (row.max_length ?? Infinity)) { this.showError(row.name, this.settings.validateField(row.name, next)); return; }
      this.layers = next;
      this._renderList();
      this._edit(row.name, this.layers.slice());
    });
    const label = el('span', { class: 'label', id: `l-${row.name}`, text: labelText(row), ...(row.help ? { title: row.help } : {}) });
    return el('div', { class: 'field', role: 'group', 'aria-labelledby': `l-${row.name}` }, [label, this.list.box, add, errorBox(row.name)]);
  }

  _renderList() {
    const { row, extra, item, box } = this.list;
    const rows = this.layers.map((n, i) => {
      const input = el('input', { type: 'number', min: String(row.min), max: String(row.max), step: '1', inputmode: 'numeric',
        value: String(n), id: `f-layer-${i}`, name: `layer-${i}`, 'aria-describedby': `e-${row.name}` });
      input.addEventListener('change', () => {
        const s = input.value.trim();
        this.layers[i] = s === '' ? NaN : Number(s);
        this._edit(row.name, this.layers.slice());
      });
      const remove = el('button', { type: 'button', class: 'btn icon', 'aria-label': `Remove ${item} ${i + 1}`, title: `Remove this ${item.split(' ').pop()}`, text: '−' });
      remove.addEventListener('click', () => { this.layers.splice(i, 1); this._renderList(); this._edit(row.name, this.layers.slice()); });
      return el('div', { class: 'layer-row' }, [el('label', { for: `f-layer-${i}`, text: `Layer ${i + 1} ${row.unit || ''}`.trim() }), input, remove]);
    });
    if (!rows.length && extra.empty) rows.push(el('p', { class: 'hint', text: extra.empty }));
    box.replaceChildren(...rows);
  }

  _edit(name, value) {
    const err = this.settings.validateField(name, value);
    this.showError(name, err);
    // A refused value is remembered so that Train refuses too, rather than
    // training with the last valid value the field no longer shows.
    if (err) { this.invalid.set(name, err); return; }
    this.invalid.delete(name);
    if (name === 'optimizer') this._showApplicable(value);
    this.options.onChange(name, value);
  }

  _showApplicable(optimizer) {
    this.form.querySelectorAll('.field[data-optimizers]').forEach((f) => { f.hidden = !f.dataset.optimizers.split(' ').includes(optimizer); });
  }

  /** Fill the form from a state. @param {object} state */
  setState(state) {
    for (const row of this.settings?.rows || []) {
      const input = this.form.elements[row.name];
      if (row.type === 'ints' && this.list?.row === row) { this.layers = state[row.name].slice(); this._renderList(); continue; }
      if (!input || row.page) continue;
      if (input.tagName === 'SELECT' && ![...input.options].some((o) => o.value === String(state[row.name]))) {
        input.append(el('option', { value: String(state[row.name]), text: String(state[row.name]) }));
      }
      input.value = this.settings.format(row.name, state[row.name]);
    }
    this._showApplicable(state.optimizer);
  }

  /** Fill the data set list. @param {{id: string, name: string}[]} datasets @param {string} current */
  setDatasets(datasets, current) {
    const select = this.form.elements.dataset;
    if (!select) return;
    select.replaceChildren(...datasets.map((d) => el('option', { value: d.id, text: d.name || d.id })));
    if (datasets.some((d) => d.id === current)) select.value = current;
  }

  /** Show only the settings of this kind of data set (rows marked `datasets`). @param {string} kind */
  setDatasetKind(kind) {
    this.form.querySelectorAll('.field[data-datasets]').forEach((f) => { f.hidden = f.dataset.datasets !== kind; });
  }

  /** The line under the data set list. @param {string} text @param {string} [title] */
  setDatasetInfo(text, title = '') {
    const hint = this.form.querySelector('#d-dataset');
    if (hint) { hint.textContent = text; hint.title = title; }
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
    const inputs = this.list?.row.name === name ? this.list.box.querySelectorAll('input') : [this.form.elements[name]].filter(Boolean);
    inputs.forEach((i) => i.setAttribute('aria-invalid', message ? 'true' : 'false'));
    return true;
  }

  /** Clear every field message. */
  clearErrors() {
    this.invalid.clear();
    this.form.querySelectorAll('.field-error').forEach((b) => { b.textContent = ''; });
    this.form.querySelectorAll('[aria-invalid=true]').forEach((i) => i.setAttribute('aria-invalid', 'false'));
  }

  /** During a run the train settings are fixed (the live ones stay editable). @param {boolean} active */
  setRunActive(active) {
    this.groups.train.querySelectorAll('input, select, button').forEach((i) => { i.disabled = active; });
  }
}

function errorBox(name) {
  return el('p', { class: 'field-error', id: `e-${name}`, 'aria-live': 'polite' });
}
