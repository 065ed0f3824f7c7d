/**
 * Colour scales shared by every widget. Pure functions: no DOM, testable in Node.
 *
 * Conventions (after TensorFlow Playground): negative weights orange, positive
 * weights blue, zero the neutral colour of the current theme; activations run
 * from the neutral colour (0) to ink (1).
 * @module colors
 */

/** @typedef {[number, number, number]} RGB */

/** Palettes per theme. Neutral is the colour of zero / "no activity". */
export const THEMES = {
  light: {
    negative: [232, 119, 14], positive: [8, 104, 172], neutral: [246, 246, 246],
    ink: [20, 24, 31], paper: [255, 255, 255],
  },
  dark: {
    negative: [255, 160, 64], positive: [86, 170, 255], neutral: [38, 42, 50],
    ink: [238, 241, 245], paper: [24, 27, 33],
  },
};

/** Categorical colours for classes (Tableau 10, distinct in both themes). */
export const CLASS_COLORS = [
  [78, 121, 167], [242, 142, 43], [225, 87, 89], [118, 183, 178], [89, 161, 79],
  [237, 201, 72], [176, 122, 161], [255, 157, 167], [156, 117, 95], [186, 176, 172],
];

/**
 * Linear interpolation between two colours.
 * @param {RGB} a @param {RGB} b @param {number} t in [0, 1] (clamped)
 * @returns {RGB}
 */
export function mix(a, b, t) {
  const u = t < 0 ? 0 : t > 1 ? 1 : t;
  return [
    Math.round(a[0] + (b[0] - a[0]) * u),
    Math.round(a[1] + (b[1] - a[1]) * u),
    Math.round(a[2] + (b[2] - a[2]) * u),
  ];
}

/**
 * Diverging scale: -maxAbs → negative colour, 0 → neutral, +maxAbs → positive.
 * Values beyond ±maxAbs saturate.
 * @param {number} v @param {number} maxAbs > 0
 * @param {object} [palette=THEMES.light]
 * @returns {RGB}
 */
export function diverging(v, maxAbs, palette = THEMES.light) {
  if (!(maxAbs > 0) || !Number.isFinite(v)) return palette.neutral.slice();
  const t = v / maxAbs;
  return t < 0 ? mix(palette.neutral, palette.negative, -t) : mix(palette.neutral, palette.positive, t);
}

/**
 * Sequential scale for activations in [0, 1]: neutral → ink.
 * @param {number} a @param {object} [palette=THEMES.light] @returns {RGB}
 */
export function sequential(a, palette = THEMES.light) {
  return mix(palette.neutral, palette.ink, Number.isFinite(a) ? a : 0);
}

/** Format an RGB triple as a CSS colour. @param {RGB} c @param {number} [alpha] @returns {string} */
export function css(c, alpha) {
  return alpha === undefined ? `rgb(${c[0]},${c[1]},${c[2]})` : `rgba(${c[0]},${c[1]},${c[2]},${alpha})`;
}

/**
 * A robust symmetric range for a diverging scale: the given quantile of |v|
 * (so one outlier weight does not wash the whole map out), never 0.
 * @param {ArrayLike<number>} values @param {number} [quantile=0.99]
 * @returns {number}
 */
export function robustMaxAbs(values, quantile = 0.99) {
  const n = values.length;
  if (n === 0) return 1;
  const abs = new Float32Array(n);
  for (let i = 0; i < n; i++) abs[i] = Math.abs(values[i]);
  let k = Math.min(n - 1, Math.max(0, Math.ceil(quantile * n) - 1));
  const m = quickselect(abs, k);
  if (m > 0) return m;
  let max = 0;
  for (let i = 0; i < n; i++) if (abs[i] > max) max = abs[i];
  return max > 0 ? max : 1;
}

/**
 * k-th smallest element (0-based), in place, average O(n).
 * @param {Float32Array|number[]} a @param {number} k @returns {number}
 */
export function quickselect(a, k) {
  let lo = 0, hi = a.length - 1;
  while (hi > lo) {
    const pivot = a[(lo + hi) >> 1];
    let i = lo, j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) { const t = a[i]; a[i] = a[j]; a[j] = t; i++; j--; }
    }
    if (k <= j) hi = j; else if (k >= i) lo = i; else return a[k];
  }
  return a[k];
}

/**
 * Ticks for a diverging legend: [-m, -m/2, 0, m/2, m] with labels of a sensible precision.
 * @param {number} maxAbs @returns {{value: number, label: string}[]}
 */
export function legendTicks(maxAbs) {
  const m = maxAbs > 0 ? maxAbs : 1;
  const digits = m >= 10 ? 0 : m >= 1 ? 1 : Math.min(4, Math.ceil(-Math.log10(m)) + 1);
  return [-1, -0.5, 0, 0.5, 1].map((f) => ({ value: f * m, label: f === 0 ? '0' : (f * m).toFixed(digits) }));
}

/**
 * Fill RGBA pixels from values through a colour function.
 * @param {Uint8ClampedArray} out length 4 * values.length
 * @param {ArrayLike<number>} values
 * @param {(v: number) => RGB} colorOf
 */
export function fillPixels(out, values, colorOf) {
  for (let i = 0, p = 0; i < values.length; i++, p += 4) {
    const c = colorOf(values[i]);
    out[p] = c[0]; out[p + 1] = c[1]; out[p + 2] = c[2]; out[p + 3] = 255;
  }
}

/**
 * A lookup table of n colours for a diverging scale over [-1, 1]; indexing a
 * table is ~10× faster than calling diverging() per pixel on big matrices.
 * @param {object} palette @param {number} [n=256] @returns {Uint8ClampedArray} n*3
 */
export function divergingLUT(palette, n = 256) {
  const lut = new Uint8ClampedArray(n * 3);
  for (let i = 0; i < n; i++) {
    const c = diverging((i / (n - 1)) * 2 - 1, 1, palette);
    lut[i * 3] = c[0]; lut[i * 3 + 1] = c[1]; lut[i * 3 + 2] = c[2];
  }
  return lut;
}

/**
 * Index into a diverging LUT for value v with range ±maxAbs.
 * @param {number} v @param {number} maxAbs @param {number} n LUT size @returns {number}
 */
export function lutIndex(v, maxAbs, n) {
  let t = (v / maxAbs + 1) / 2;
  if (!(t > 0)) t = 0; else if (t > 1) t = 1;
  return Math.round(t * (n - 1));
}
