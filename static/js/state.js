/**
 * The page's state, declared once (after TensorFlow Playground's state.ts):
 * every hyper-parameter has the same name in the Python API, the wire protocol,
 * this table and the URL. Pure: no DOM; the caller passes location.search in.
 * @module state
 */

/**
 * @typedef {object} Param
 * @property {string} name     protocol / URL key
 * @property {'string'|'enum'|'int'|'float'|'ints'} type
 * @property {*} default
 * @property {string} label    form label
 * @property {number} [min] @property {number} [max]
 * @property {string[]} [values] for enum
 * @property {boolean} [optional] null (empty field) means "server default"
 * @property {boolean} [train] sent with the `train` message
 */

/** @type {Param[]} */
export const PARAMS = [
  { name: 'dataset', type: 'string', default: 'digits20', label: 'Data set', train: true },
  { name: 'hidden_layers', type: 'ints', default: [25], min: 1, max: 512, maxLength: 4, label: 'Hidden layers', train: true },
  { name: 'regularization_parameter', type: 'float', default: 1, min: 0, max: 10000, label: 'λ (regularization)', train: true },
  { name: 'optimizer', type: 'enum', default: 'TNC', values: ['TNC', 'L-BFGS-B', 'CG', 'adam', 'gd'], label: 'Optimizer', train: true },
  { name: 'max_iter', type: 'int', default: 50, min: 1, max: 5000, label: 'Max iterations', train: true },
  { name: 'random_state', type: 'int', default: 0, min: 0, max: 2 ** 32 - 1, label: 'Seed', train: true },
  { name: 'learning_rate', type: 'float', default: null, optional: true, min: 1e-6, max: 100, label: 'Learning rate', train: true },
  { name: 'batch_size', type: 'int', default: 128, min: 1, max: 100000, label: 'Batch size', train: true },
  { name: 'delay_ms', type: 'int', default: 0, min: 0, max: 5000, label: 'Delay per iteration', train: true },
  { name: 'theme', type: 'enum', default: 'light', values: ['light', 'dark'], label: 'Theme' },
];

/** Params by name. */
export const PARAM = Object.fromEntries(PARAMS.map((p) => [p.name, p]));

/** Fresh default state. @returns {object} */
export function defaults() {
  return Object.fromEntries(PARAMS.map((p) => [p.name, Array.isArray(p.default) ? p.default.slice() : p.default]));
}

/**
 * Apply server limits from the `ready` message (e.g. max_iter, max_units) to the table.
 * Unknown keys are ignored.
 * @param {object} limits
 */
export function applyLimits(limits = {}) {
  const set = (name, key, v) => { if (Number.isFinite(v)) PARAM[name][key] = v; };
  set('max_iter', 'max', limits.max_iter);
  set('hidden_layers', 'max', limits.max_units ?? limits.max_units_per_layer);
  set('hidden_layers', 'maxLength', limits.max_layers ?? limits.max_hidden_layers);
  set('delay_ms', 'max', limits.max_delay_ms);
  set('batch_size', 'max', limits.max_batch_size);
}

/**
 * Check one value. Returns a message for the user, or null when valid.
 * @param {string} name @param {*} value @returns {string|null}
 */
export function validateField(name, value) {
  const p = PARAM[name];
  if (!p) return `unknown setting ${name}`;
  if (p.optional && value === null) return null;
  switch (p.type) {
    case 'string':
      return typeof value === 'string' && value.length > 0 ? null : `${p.label} is required`;
    case 'enum':
      return p.values.includes(value) ? null : `${p.label} must be one of ${p.values.join(', ')}`;
    case 'int':
      if (!Number.isInteger(value)) return `${p.label} must be a whole number`;
      return rangeError(p, value);
    case 'float':
      if (typeof value !== 'number' || !Number.isFinite(value)) return `${p.label} must be a number`;
      return rangeError(p, value);
    case 'ints': {
      if (!Array.isArray(value)) return `${p.label} must be a list of layer sizes`;
      if (value.length > p.maxLength) return `at most ${p.maxLength} hidden layers`;
      for (let i = 0; i < value.length; i++) {
        const v = value[i];
        if (!Number.isInteger(v) || v < p.min || v > p.max) return `layer ${i + 1}: units per layer must be a whole number from ${p.min} to ${p.max}`;
      }
      return null;
    }
    default:
      return null;
  }
}

function rangeError(p, v) {
  if (p.min !== undefined && v < p.min) return `${p.label} must be at least ${p.min}`;
  if (p.max !== undefined && v > p.max) return `${p.label} must be at most ${p.max}`;
  return null;
}

/**
 * Validate a whole state. @param {object} state
 * @returns {Object<string, string>} field name → message (empty when valid)
 */
export function validate(state) {
  const errors = {};
  for (const p of PARAMS) {
    const e = validateField(p.name, state[p.name]);
    if (e) errors[p.name] = e;
  }
  return errors;
}

/**
 * Parse a form / URL string into a typed value (NaN or a string for bad input, so validateField reports it).
 * @param {string} name @param {string} text @returns {*}
 */
export function parseValue(name, text) {
  const p = PARAM[name];
  const s = String(text).trim();
  if (p.optional && s === '') return null;
  switch (p.type) {
    case 'int': return s === '' ? NaN : Number(s);
    case 'float': return s === '' ? NaN : Number(s);
    case 'ints': return s === '' ? [] : s.split(/[,\s]+/).filter(Boolean).map(Number);
    default: return s;
  }
}

/** Format a value for the URL. @param {string} name @param {*} v @returns {string} */
export function formatValue(name, v) {
  if (v === null || v === undefined) return '';
  return PARAM[name].type === 'ints' ? v.join(',') : String(v);
}

/**
 * Read state from a query string; invalid or unknown entries fall back to defaults.
 * @param {string} search e.g. location.search
 * @returns {{state: object, errors: Object<string,string>}}
 */
export function fromQuery(search) {
  const state = defaults();
  const errors = {};
  const q = new URLSearchParams(search);
  for (const p of PARAMS) {
    if (!q.has(p.name)) continue;
    const v = parseValue(p.name, q.get(p.name));
    const e = validateField(p.name, v);
    if (e) errors[p.name] = e; else state[p.name] = v;
  }
  return { state, errors };
}

/**
 * Serialize state to a query string (seed included), omitting nothing so a URL
 * reproduces a run exactly even if defaults change later.
 * @param {object} state @returns {string} without the leading '?'
 */
export function toQuery(state) {
  const q = new URLSearchParams();
  for (const p of PARAMS) q.set(p.name, formatValue(p.name, state[p.name]));
  return q.toString();
}

/**
 * The `train` message for a state.
 * @param {object} state @param {object} [extra] e.g. probe, validation_fraction
 * @returns {object}
 */
export function trainMessage(state, extra = {}) {
  const msg = { type: 'train' };
  for (const p of PARAMS) if (p.train) msg[p.name] = Array.isArray(state[p.name]) ? state[p.name].slice() : state[p.name];
  // the first-order optimizers alone take a learning rate and batches
  if (!['adam', 'gd'].includes(state.optimizer)) { delete msg.learning_rate; delete msg.batch_size; }
  if (msg.learning_rate === null) delete msg.learning_rate; // the server picks adam 1e-3 / gd 0.5
  return Object.assign(msg, extra);
}
