/**
 * Parse the `weights` binary frame of docs/protocol.md and run the network
 * forward in JS (decision boundaries, diagram activations). Pure: no DOM.
 *
 * Frame layout:
 *   uint32 LE   header length h (bytes)
 *   h bytes     JSON header, UTF-8, space-padded to a multiple of 4
 *   float32 LE  thetas one after another, each (n_in + 1, n_out) row-major, row 0 the bias
 * @module weights
 */

/**
 * @typedef {object} Theta
 * @property {number} rows    n_in + 1 (row 0 is the bias)
 * @property {number} cols    n_out
 * @property {Float32Array} data  rows * cols, row-major
 */

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * Decode a weights frame.
 * @param {ArrayBuffer|ArrayBufferView} frame
 * @returns {{header: object, thetas: Theta[]}}
 * @throws {Error} when the frame is truncated or the header is not valid JSON
 */
export function parseWeightsFrame(frame) {
  const bytes = frame instanceof ArrayBuffer
    ? new Uint8Array(frame)
    : new Uint8Array(frame.buffer, frame.byteOffset, frame.byteLength);
  if (bytes.length < 4) throw new Error('weights frame shorter than its length prefix');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getUint32(0, true);
  if (4 + headerLength > bytes.length) throw new Error(`weights header length ${headerLength} exceeds frame`);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(4, 4 + headerLength)));
  let offset = 4 + headerLength;
  offset += (4 - (offset % 4)) % 4; // the server pads; tolerate a sender that does not
  const thetas = [];
  for (const [rows, cols] of header.shapes || []) {
    const n = rows * cols;
    if (offset + 4 * n > bytes.length) throw new Error(`weights frame truncated at shape [${rows}, ${cols}]`);
    thetas.push({ rows, cols, data: readFloat32(bytes, view, offset, n) });
    offset += 4 * n;
  }
  return { header, thetas };
}

function readFloat32(bytes, view, offset, n) {
  const abs = bytes.byteOffset + offset;
  if (LITTLE_ENDIAN && abs % 4 === 0) return new Float32Array(bytes.buffer, abs, n).slice();
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = view.getFloat32(offset + 4 * i, true);
  return out;
}

/**
 * Build a weights frame (the inverse of parseWeightsFrame); used by tests and fakes.
 * @param {object} header without `shapes` @param {Theta[]} thetas @returns {ArrayBuffer}
 */
export function encodeWeightsFrame(header, thetas) {
  let json = JSON.stringify({ ...header, dtype: 'float32', shapes: thetas.map((t) => [t.rows, t.cols]) });
  let enc = new TextEncoder().encode(json);
  while ((4 + enc.length) % 4) { json += ' '; enc = new TextEncoder().encode(json); }
  const total = 4 + enc.length + thetas.reduce((s, t) => s + 4 * t.rows * t.cols, 0);
  const buf = new ArrayBuffer(total);
  const view = new DataView(buf);
  view.setUint32(0, enc.length, true);
  new Uint8Array(buf, 4, enc.length).set(enc);
  let off = 4 + enc.length;
  for (const t of thetas) for (let i = 0; i < t.data.length; i++, off += 4) view.setFloat32(off, t.data[i], true);
  return buf;
}

/** Logistic sigmoid. @param {number} z @returns {number} */
export function sigmoid(z) {
  return 1 / (1 + Math.exp(-z));
}

/**
 * The hidden units' functions by name, as the server's `ACTIVATIONS`
 * (server/core/maths.py); the output units are always logistic. `range` is what a
 * unit can output (null: unbounded), for colour scales.
 * @type {Object<string, {fn: (z: number) => number, range: [number, number|null]}>}
 */
export const ACTIVATIONS = {
  logistic: { fn: sigmoid, range: [0, 1] },
  tanh: { fn: Math.tanh, range: [-1, 1] },
  relu: { fn: (z) => (z > 0 ? z : 0), range: [0, null] },
};

/** The registry entry of a hidden activation (an unknown name is an error, not a silent sigmoid). */
export function activationOf(name = 'logistic') {
  const a = ACTIVATIONS[name];
  if (!a) throw new Error(`activation ${name} is not one of ${Object.keys(ACTIVATIONS).join(', ')}`);
  return a;
}

/**
 * Forward pass: a_{l+1} = g([1, a_l] · Θ_l), g the hidden activation, logistic for the output.
 * @param {Theta[]} thetas
 * @param {ArrayLike<number>} x  n_in features
 * @param {string} [activation='logistic'] the hidden units' function (a key of ACTIVATIONS)
 * @returns {Float64Array[]} activations per layer, input first (no bias units)
 */
export function forward(thetas, x, activation = 'logistic') {
  const hidden = activationOf(activation).fn;
  const acts = [Float64Array.from(x)];
  let a = acts[0];
  thetas.forEach((t, l) => {
    if (a.length !== t.rows - 1) throw new Error(`input has ${a.length} units, theta expects ${t.rows - 1}`);
    const g = l === thetas.length - 1 ? sigmoid : hidden;
    const out = new Float64Array(t.cols);
    for (let j = 0; j < t.cols; j++) out[j] = t.data[j]; // bias row
    for (let i = 0; i < a.length; i++) {
      const ai = a[i];
      if (ai === 0) continue;
      const row = (i + 1) * t.cols;
      for (let j = 0; j < t.cols; j++) out[j] += ai * t.data[row + j];
    }
    for (let j = 0; j < t.cols; j++) out[j] = g(out[j]);
    acts.push(out);
    a = out;
  });
  return acts;
}

/**
 * Every unit's activation over a size×size grid of [0, 1]² (2-D inputs only),
 * all grid points at once, layer by layer. Cell (r, c) has x = (c + 0.5) / size,
 * y = 1 - (r + 0.5) / size (y up).
 * @param {Theta[]} thetas @param {number} size @param {string} [activation='logistic']
 * @returns {Float32Array[][]} [layer][unit] → size² values, row-major; layer 0 is the input
 */
export function planeActivations(thetas, size, activation = 'logistic') {
  if (thetas[0].rows !== 3) throw new Error(`a plane needs 2 inputs, theta expects ${thetas[0].rows - 1}`);
  const hidden = activationOf(activation).fn;
  const m = size * size;
  const x = [new Float32Array(m), new Float32Array(m)];
  for (let i = 0; i < m; i++) { x[0][i] = ((i % size) + 0.5) / size; x[1][i] = 1 - (Math.floor(i / size) + 0.5) / size; }
  const layers = [x];
  thetas.forEach((t, l) => {
    const g = l === thetas.length - 1 ? sigmoid : hidden;
    const a = layers[l];
    const out = [];
    for (let j = 0; j < t.cols; j++) {
      const z = new Float32Array(m).fill(t.data[j]);
      for (let i = 0; i < a.length; i++) {
        const w = t.data[(i + 1) * t.cols + j], ai = a[i];
        if (w !== 0) for (let p = 0; p < m; p++) z[p] += w * ai[p];
      }
      for (let p = 0; p < m; p++) z[p] = g(z[p]);
      out.push(z);
    }
    layers.push(out);
  });
  return layers;
}

let planeMemo = { thetas: null, size: 0, activation: '', layers: null };

/**
 * planeActivations of the newest weights, computed once however many widgets draw them
 * (the boundary and the unit maps draw the same weights in different frames).
 * @param {Theta[]} thetas @param {number} size @param {string} [activation='logistic']
 * @returns {Float32Array[][]}
 */
export function planeActivationsCached(thetas, size, activation = 'logistic') {
  const k = planeMemo;
  if (k.thetas !== thetas || k.size !== size || k.activation !== activation) {
    planeMemo = { thetas, size, activation, layers: planeActivations(thetas, size, activation) };
  }
  return planeMemo.layers;
}

/**
 * Classify every cell of a size×size grid over [0, 1]² (2-D inputs only).
 * Cell (r, c) has x = (c + 0.5) / size, y = 1 - (r + 0.5) / size (y up).
 * @param {Theta[]} thetas @param {number} size @param {string} [activation='logistic'] hidden units' function
 * @returns {{label: Uint8Array, confidence: Float32Array}} row-major, length size²
 */
export function classifyGrid(thetas, size, activation = 'logistic') {
  const label = new Uint8Array(size * size);
  const confidence = new Float32Array(size * size);
  const x = [0, 0];
  for (let r = 0; r < size; r++) {
    for (let c = 0; c < size; c++) {
      x[0] = (c + 0.5) / size;
      x[1] = 1 - (r + 0.5) / size;
      const acts = forward(thetas, x, activation);
      const out = acts[acts.length - 1];
      let best = 0, sum = 0;
      for (let k = 0; k < out.length; k++) { sum += out[k]; if (out[k] > out[best]) best = k; }
      const i = r * size + c;
      label[i] = best;
      // one output unit: binary problem, class 1 when the unit is above 0.5
      if (out.length === 1) { label[i] = out[0] >= 0.5 ? 1 : 0; confidence[i] = Math.abs(out[0] - 0.5) * 2; }
      else confidence[i] = sum > 0 ? out[best] / sum : 0;
    }
  }
  return { label, confidence };
}
