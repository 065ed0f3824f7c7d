/**
 * The settings as rows of a schema: the train settings come from the server's
 * `ready.settings` (the protocol owns them), the page's own rows (theme) from
 * store.js. Everything here is driven by the rows: parsing a form or URL string,
 * validation with a message that names the range, the URL round trip and the
 * `train` message. Pure: no DOM, so it is tested in Node with a fake schema.
 * @module settings
 */

/**
 * @typedef {object} SettingRow one row of `ready.settings` (see docs/protocol.md)
 * @property {string} name      protocol / URL key
 * @property {'int'|'float'|'ints'|'choice'|'dataset'|'ident'} type
 * @property {*} default
 * @property {string} label     form label; messages start with it
 * @property {string|null} [unit] @property {string} [help]
 * @property {number} [min] @property {number} [max] @property {boolean} [min_open] min itself refused
 * @property {number} [min_length] @property {number} [max_length] for ints
 * @property {string[]} [choices] for choice
 * @property {boolean} [optional] null (an empty field) means "the server picks"
 * @property {string[]} [optimizers] the setting applies to these optimizers only
 * @property {boolean} [page] page-only (theme): in the URL, never in `train`
 */

/** Copy a value so that state never shares arrays with a row's default. */
const copy = (v) => (Array.isArray(v) ? v.slice() : v);

/** A set of setting rows and what follows from them. */
export class Settings {
  /** @param {SettingRow[]} rows in the order the form shows them */
  constructor(rows) {
    this.rows = rows;
    this.byName = new Map(rows.map((r) => [r.name, r]));
  }

  /** The row of a setting, or undefined. @param {string} name @returns {SettingRow|undefined} */
  row(name) {
    return this.byName.get(name);
  }

  /** Fresh default state. @returns {object} */
  defaults() {
    return Object.fromEntries(this.rows.map((r) => [r.name, copy(r.default)]));
  }

  /**
   * Does a setting apply to an optimizer (rows without `optimizers` apply to all)?
   * @param {string} name @param {string} optimizer @returns {boolean}
   */
  applies(name, optimizer) {
    const only = this.row(name)?.optimizers;
    return !only || only.includes(optimizer);
  }

  /**
   * Parse a form / URL string into a typed value (NaN or a string for bad input, so validateField reports it).
   * @param {string} name @param {string} text @returns {*}
   */
  parse(name, text) {
    const r = this.row(name);
    const s = String(text).trim();
    if (r.optional && s === '') return null;
    switch (r.type) {
      case 'int': case 'float': return s === '' ? NaN : Number(s);
      case 'ints': return s === '' ? [] : s.split(/[,\s]+/).filter(Boolean).map(Number);
      default: return s;
    }
  }

  /**
   * Check one value. Returns a message for the user, or null when valid.
   * @param {string} name @param {*} value @returns {string|null}
   */
  validateField(name, value) {
    const r = this.row(name);
    if (!r) return `unknown setting ${name}`;
    if (r.optional && value === null) return null;
    switch (r.type) {
      case 'choice':
        return r.choices.includes(value) ? null : `${r.label} must be one of ${r.choices.join(', ')}`;
      case 'int':
        return Number.isInteger(value) ? rangeError(r, value) : `${r.label} must be a whole number`;
      case 'float':
        return typeof value === 'number' && Number.isFinite(value) ? rangeError(r, value) : `${r.label} must be a number`;
      case 'ints':
        return listError(r, value);
      default: // dataset, ident: the server knows the valid names
        return typeof value === 'string' && value.length > 0 ? null : `${r.label} is required`;
    }
  }

  /**
   * Validate a whole state; a setting that does not apply to the chosen optimizer is not checked.
   * @param {object} state @returns {Object<string, string>} field name → message (empty when valid)
   */
  validate(state) {
    const errors = {};
    for (const r of this.rows) {
      if (!this.applies(r.name, state.optimizer)) continue;
      const e = this.validateField(r.name, state[r.name]);
      if (e) errors[r.name] = e;
    }
    return errors;
  }

  /** Format a value for the URL or a form field. @param {string} name @param {*} v @returns {string} */
  format(name, v) {
    if (v === null || v === undefined) return '';
    return this.row(name).type === 'ints' ? v.join(',') : String(v);
  }

  /**
   * Read state from a query string; invalid entries fall back to defaults, unknown keys are ignored.
   * @param {string|URLSearchParams} search e.g. location.search
   * @returns {{state: object, errors: Object<string,string>}}
   */
  fromQuery(search) {
    const state = this.defaults();
    const errors = {};
    const q = new URLSearchParams(search);
    for (const r of this.rows) {
      if (!q.has(r.name)) continue;
      const v = this.parse(r.name, q.get(r.name));
      const e = this.validateField(r.name, v);
      if (e) errors[r.name] = e; else state[r.name] = v;
    }
    return { state, errors };
  }

  /**
   * Serialize state to a query string (seed included), omitting nothing so a URL
   * reproduces a run exactly even if defaults change later.
   * @param {object} state @returns {string} without the leading '?'
   */
  toQuery(state) {
    const q = new URLSearchParams();
    for (const r of this.rows) q.set(r.name, this.format(r.name, state[r.name]));
    return q.toString();
  }

  /**
   * The `train` message for a state: every train row that applies to the optimizer
   * and has a value (null lets the server pick, e.g. adam's learning rate).
   * @param {object} state @param {object} [extra] e.g. run_id, probe
   * @returns {object}
   */
  trainMessage(state, extra = {}) {
    const msg = { type: 'train' };
    for (const r of this.rows) {
      if (r.page || !this.applies(r.name, state.optimizer) || state[r.name] == null) continue;
      msg[r.name] = copy(state[r.name]);
    }
    return Object.assign(msg, extra);
  }
}

function rangeError(r, v) {
  if (r.min != null && (r.min_open ? v <= r.min : v < r.min)) {
    return r.min_open ? `${r.label} must be greater than ${r.min}` : `${r.label} must be at least ${r.min}`;
  }
  if (r.max != null && v > r.max) return `${r.label} must be at most ${r.max}`;
  return null;
}

/** A list of whole numbers, e.g. units per hidden layer. */
function listError(r, value) {
  if (!Array.isArray(value)) return `${r.label} must be a list of whole numbers`;
  if (value.length < (r.min_length ?? 0)) return `at least ${r.min_length} ${r.label.toLowerCase()}`;
  if (r.max_length != null && value.length > r.max_length) return `at most ${r.max_length} ${r.label.toLowerCase()}`;
  const what = r.unit ? `${r.unit} per layer` : 'each value';
  for (let i = 0; i < value.length; i++) {
    const v = value[i];
    if (!Number.isInteger(v) || v < r.min || v > r.max) return `layer ${i + 1}: ${what} must be a whole number from ${r.min} to ${r.max}`;
  }
  return null;
}
