/**
 * Colouring a unit's activation over the plane of a 2-D problem, shared by the
 * decision boundary (large) and the unit maps in the diagram (small). Pure apart
 * from the pixel buffers it fills: no DOM.
 *
 * Hidden units: the weights' diverging scale (orange −, blue +) over what the
 * activation can output (logistic [0, 1] centred on 0.5, tanh [−1, 1], ReLU from 0
 * to the map's own largest value). Output units: the class colours, so the output
 * map is the decision boundary itself; with one output unit, orange-ish class 0
 * below 0.5 and class 1 above, paler near 0.5.
 * @module widgets/planemaps
 */
import { CLASS_COLORS, mix, diverging } from '../colors.js';
import { ACTIVATIONS } from '../weights.js';

const LUT_SIZE = 256;
const luts = new Map(); // palette object + kind → Uint8ClampedArray(256 * 3)

function lut(pal, key, colorOf) {
  let byPal = luts.get(pal);
  if (!byPal) luts.set(pal, (byPal = new Map()));
  let t = byPal.get(key);
  if (!t) {
    t = new Uint8ClampedArray(LUT_SIZE * 3);
    for (let i = 0; i < LUT_SIZE; i++) t.set(colorOf(i / (LUT_SIZE - 1)), 3 * i);
    byPal.set(key, t);
  }
  return t;
}

/** The colour table of one output unit of `nOut` for probabilities 0..1. */
function outputLut(pal, unit, nOut) {
  if (nOut === 1) {
    const [c0, c1] = CLASS_COLORS;
    return lut(pal, 'binary', (p) => (p < 0.5 ? mix(pal.paper, c0, 0.85 * (0.5 - p) * 2) : mix(pal.paper, c1, 0.85 * (p - 0.5) * 2)));
  }
  const c = CLASS_COLORS[unit % CLASS_COLORS.length];
  return lut(pal, `class${unit}`, (p) => mix(pal.paper, c, 0.9 * p));
}

/**
 * Fill RGBA pixels with one unit's map.
 * @param {Uint8ClampedArray} out RGBA, (size / stride)² pixels
 * @param {Float32Array} values the unit over the grid, gridSize² row-major
 * @param {object} o
 * @param {number} o.gridSize side of the computed grid
 * @param {number} [o.stride=1] take every stride-th cell (a smaller map of the same grid)
 * @param {'hidden'|'output'} o.kind @param {number} o.unit index in its layer @param {number} o.nUnits units in its layer
 * @param {string} [o.activation='logistic'] the hidden units' function
 * @param {object} o.palette a THEMES entry
 */
export function fillPlaneMap(out, values, { gridSize, stride = 1, kind, unit, nUnits, activation = 'logistic', palette }) {
  const side = Math.floor(gridSize / stride);
  let table, lo = 0, span = 1;
  if (kind === 'output') table = outputLut(palette, unit, nUnits);
  else {
    table = lut(palette, 'diverging', (t) => diverging(2 * t - 1, 1, palette));
    const [min, max] = ACTIVATIONS[activation]?.range || [0, 1];
    lo = min;
    span = max === null ? 2 * maxOf(values) : max - min; // ReLU: 0 is neutral, its largest value full blue
    if (max === null) lo = -span / 2;
  }
  const scale = (LUT_SIZE - 1) / (span || 1);
  for (let r = 0, p = 0; r < side; r++) {
    const row = r * stride * gridSize;
    for (let c = 0; c < side; c++, p += 4) {
      let k = Math.round((values[row + c * stride] - lo) * scale);
      if (!(k >= 0)) k = 0; else if (k > LUT_SIZE - 1) k = LUT_SIZE - 1;
      out[p] = table[3 * k]; out[p + 1] = table[3 * k + 1]; out[p + 2] = table[3 * k + 2]; out[p + 3] = 255;
    }
  }
}

function maxOf(values) {
  let m = 0;
  for (let i = 0; i < values.length; i++) if (values[i] > m) m = values[i];
  return m || 1;
}

/**
 * Fill RGBA pixels with the predicted class of several output units: the winner's
 * colour, stronger the surer (its share of the outputs' sum).
 * @param {Uint8ClampedArray} out @param {Float32Array[]} outputs one map per output unit, size² each
 * @param {object} palette
 */
export function fillClassMap(out, outputs, palette) {
  const n = outputs[0].length;
  for (let i = 0, p = 0; i < n; i++, p += 4) {
    let best = 0, sum = 0;
    for (let k = 0; k < outputs.length; k++) { const v = outputs[k][i]; sum += v; if (v > outputs[best][i]) best = k; }
    const conf = sum > 0 ? outputs[best][i] / sum : 0;
    // conf runs from 1/K (a tie) to 1 (sure)
    const t = (conf - 1 / outputs.length) / (1 - 1 / outputs.length);
    const c = mix(palette.paper, CLASS_COLORS[best % CLASS_COLORS.length], 0.25 + 0.65 * t);
    out[p] = c[0]; out[p + 1] = c[1]; out[p + 2] = c[2]; out[p + 3] = 255;
  }
}
