/**
 * One training step, explained: the server's `explanation` message (per layer
 * z, a and δ for one input, the target, the cost terms) and its binary gradient
 * frames (this sample's ∂J/∂Θ, the whole training set's, and the optimizer's
 * last change), gathered into one object the widgets draw. Pure: no DOM, no
 * maths of its own beyond ranking and picking; every number is the server's.
 * @module explain
 */

/** The four phases of one training step, in order. */
export const PHASES = [
  { name: 'forward', label: 'Forward', key: 'F' },
  { name: 'cost', label: 'Cost', key: 'C' },
  { name: 'backward', label: 'Backward', key: 'B' },
  { name: 'update', label: 'Update', key: 'U' },
];

/** What the Update phase colours the edges by. */
export const EDGE_SOURCES = [
  { name: 'sample', label: '∂J/∂θ, this sample' },
  { name: 'full', label: '∂J/∂θ, all samples' },
  { name: 'update', label: 'Δθ, last update' },
];

/**
 * Which of our three gradient kinds a frame header's `kind` names.
 * @param {string} kind e.g. "sample_gradient", "full_gradient", "update"
 * @returns {'sample'|'full'|'update'|null}
 */
export function frameKind(kind) {
  const k = String(kind || '').toLowerCase();
  if (k.includes('sample')) return 'sample';
  if (k === 'weights') return 'weights';
  if (k.includes('update') || k.includes('change') || k.includes('step')) return 'update';
  if (k.includes('full') || k.includes('train') || k.includes('set') || k.includes('batch')) return 'full';
  return null;
}

const num = (v) => (v == null ? null : Number(v));

/**
 * The server's `explanation` message as the page uses it. Layers run input
 * first; the input layer has `a` only.
 * @param {object} msg
 * @returns {{requestId: *, runId: string, iteration: number, layers: {z: number[]|null, a: number[], delta: number[]|null}[],
 *   target: number[], label: number|null, predicted: number, cost: {data: number|null, regularization: number|null, total: number|null, perUnit: number[]|null},
 *   lambda: number|null, m: number|null, activation: string, gradients: {sample: object[]|null, full: object[]|null, update: object[]|null}}}
 */
export function readExplanation(msg) {
  let layers = (msg.layers || []).map((l) => ({ z: l.z ?? null, a: l.a ?? [], delta: l.delta ?? null }));
  if (!layers.length && Array.isArray(msg.a)) { // the engine's lists: a[0] the input, z and delta per weight matrix
    layers = msg.a.map((a, l) => ({ a, z: l ? msg.z?.[l - 1] ?? null : null, delta: l ? msg.delta?.[l - 1] ?? null : null }));
  }
  if (msg.input && (!layers.length || layers[0].z)) layers = [{ z: null, a: msg.input, delta: null }, ...layers];
  const out = layers.length ? layers[layers.length - 1].a : [];
  const target = msg.target || msg.y || [];
  const c = msg.cost && typeof msg.cost === 'object' ? msg.cost : { ...msg, total: msg.J ?? null, sample: msg.cost };
  const label = msg.target_class ?? msg.target_index ?? msg.label ?? (target.length ? target.indexOf(1) : null);
  let predicted = msg.predicted_class ?? 0;
  if (msg.predicted_class == null) for (let k = 1; k < out.length; k++) if (out[k] > out[predicted]) predicted = k;
  return {
    requestId: msg.request_id, runId: msg.run_id, iteration: msg.iteration ?? null, layers, target,
    label: label >= 0 ? label : null, predicted,
    cost: {
      data: num(c.data ?? c.J_data ?? c.data_term), regularization: num(c.regularization ?? c.J_reg ?? c.reg),
      total: num(c.total ?? c.J), perUnit: c.units ?? c.per_unit ?? c.unit_costs ?? msg.unit_costs ?? null,
      sampleData: num(c.sample ?? c.sample_data ?? null),
    },
    lambda: num(msg.regularization_parameter ?? msg.lam ?? msg.lambda ?? c.lam ?? c.lambda),
    m: num(msg.m ?? msg.n_train ?? c.m),
    activation: msg.activation || 'logistic',
    why: msg.why || null, // the server's "why this prediction" for the predicted class
    frames: msg.frames || null,
    gradients: { sample: null, full: null, update: null, weights: null },
  };
}

/**
 * Gathers an explanation and its binary frames (which may come in any order)
 * for the newest request only; older answers are dropped.
 */
export class ExplanationBuffer {
  constructor() { this.clear(); }

  clear() {
    this.wanted = null;
    this.current = null;
    this.frames = {};
  }

  /** A new request went out: answers to older ones are ignored from now on. */
  expect(requestId) {
    this.wanted = requestId;
    this.current = null;
    this.frames = {};
  }

  /** @returns {object|null} the explanation, when it answers the newest request */
  add(msg) {
    if (msg.request_id !== this.wanted) return null;
    this.current = readExplanation(msg);
    Object.assign(this.current.gradients, this.frames);
    return this.current;
  }

  /** @param {object} header a binary frame's header @param {object[]} thetas @returns {object|null} the explanation it completes */
  addFrame(header, thetas) {
    if (header.request_id !== this.wanted) return null;
    const kind = frameKind(header.kind);
    if (!kind) return null;
    this.frames[kind] = thetas;
    if (this.current) this.current.gradients[kind] = thetas;
    return this.current;
  }
}

/**
 * "Why this prediction": each last-hidden unit's contribution a_j·θ_jk to the
 * output unit k's z, largest first (the bias row's share separately).
 * @param {{layers: {a: number[]}[]}} exp @param {{rows: number, cols: number, data: ArrayLike<number>}} theta the last weight matrix
 * @param {number} k output unit
 * @returns {{bias: number, terms: {unit: number, a: number, weight: number, contribution: number}[]}}
 */
export function contributions(exp, theta, k) {
  const a = exp.layers[exp.layers.length - 2].a;
  const terms = [];
  for (let j = 0; j < a.length; j++) {
    const weight = theta.data[(j + 1) * theta.cols + k];
    terms.push({ unit: j, a: a[j], weight, contribution: a[j] * weight });
  }
  terms.sort((p, q) => Math.abs(q.contribution) - Math.abs(p.contribution));
  return { bias: theta.data[k], terms };
}

/**
 * Column j of a theta without its bias row: unit j's incoming weights.
 * @param {{rows: number, cols: number, data: ArrayLike<number>}} theta @param {number} j @returns {Float64Array}
 */
export function incoming(theta, j) {
  const out = new Float64Array(theta.rows - 1);
  for (let i = 1; i < theta.rows; i++) out[i - 1] = theta.data[i * theta.cols + j];
  return out;
}

/**
 * The shapes of the post's chain of matrices for one architecture.
 * @param {number[]} sizes layer sizes, input first, e.g. [400, 25, 10]
 * @param {number} m training samples
 * @returns {{forward: object[], backward: object[]}} each entry {name, tex, rows, cols, layer, kind}
 */
export function matrixChain(sizes, m) {
  const L = sizes.length;
  const forward = [{ kind: 'input', layer: 0, tex: 'X', rows: m, cols: sizes[0] },
    { kind: 'bias', layer: 0, tex: 'a^{(1)} = [\\mathbf{1}\\;X]', rows: m, cols: sizes[0] + 1 }];
  for (let l = 1; l < L; l++) {
    const prev = l === 1 ? 'a^{(1)}' : `a^{(${l})}`;
    forward.push({ kind: 'theta', layer: l - 1, tex: `\\Theta^{(${l})}`, rows: sizes[l - 1] + 1, cols: sizes[l] });
    forward.push({ kind: 'z', layer: l, tex: `z^{(${l + 1})} = ${prev}\\,\\Theta^{(${l})}`, rows: m, cols: sizes[l] });
    forward.push({ kind: 'a', layer: l, tex: `a^{(${l + 1})} = g(z^{(${l + 1})})`, rows: m, cols: sizes[l] });
    if (l < L - 1) forward.push({ kind: 'bias', layer: l, tex: `a^{(${l + 1})} \\leftarrow [\\mathbf{1}\\;a^{(${l + 1})}]`, rows: m, cols: sizes[l] + 1 });
  }
  const backward = [{ kind: 'delta', layer: L - 1, tex: `\\delta^{(${L})} = a^{(${L})} - y`, rows: m, cols: sizes[L - 1] }];
  for (let l = L - 2; l >= 1; l--) {
    backward.push({ kind: 'delta', layer: l,
      tex: `\\delta^{(${l + 1})} = (\\delta^{(${l + 2})}{\\Theta^{(${l + 1})}}^{\\top})_{[:,1:]} \\odot g'(z^{(${l + 1})})`,
      rows: m, cols: sizes[l], dropped: sizes[l] + 1 });
  }
  for (let l = L - 1; l >= 1; l--) {
    const a = `{a^{(${l})}}`;
    backward.push({ kind: 'grad', layer: l - 1,
      tex: `\\tfrac{\\partial J}{\\partial \\Theta^{(${l})}} = \\tfrac{1}{m}${a}^{\\top}\\delta^{(${l + 1})} + \\tfrac{\\lambda}{m}\\Theta^{(${l})}`,
      rows: sizes[l - 1] + 1, cols: sizes[l] });
  }
  return { forward, backward };
}

/**
 * A few numbers of a vector for display: the first `n`, then "…".
 * @param {ArrayLike<number>} v @param {number} [n=4] @param {number} [digits=3] @returns {string}
 */
export function preview(v, n = 4, digits = 3) {
  if (!v || !v.length) return '';
  const parts = Array.from(v.slice ? v.slice(0, n) : Array.prototype.slice.call(v, 0, n), (x) => fmt(x, digits));
  return `[${parts.join(', ')}${v.length > n ? ', …' : ''}]`;
}

/** A number in a short, readable form (exponent for the very small). @param {number} x @param {number} [digits=3] */
export function fmt(x, digits = 3) {
  if (x == null || !Number.isFinite(x)) return '–';
  const a = Math.abs(x);
  if (a !== 0 && (a < 10 ** -digits || a >= 1e5)) return x.toExponential(digits - 1);
  return x.toFixed(digits);
}
