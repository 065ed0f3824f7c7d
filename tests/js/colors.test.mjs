import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  THEMES, mix, diverging, sequential, robustMaxAbs, quickselect, legendTicks, divergingLUT, lutIndex, css,
} from '../../static/js/colors.js';

const L = THEMES.light;

test('diverging maps the sign to orange / blue and zero to the neutral colour', () => {
  assert.deepEqual(diverging(0, 2, L), L.neutral);
  assert.deepEqual(diverging(2, 2, L), L.positive);
  assert.deepEqual(diverging(-2, 2, L), L.negative);
  assert.deepEqual(diverging(-1, 2, L), mix(L.neutral, L.negative, 0.5));
});

test('diverging saturates beyond the range and survives bad input', () => {
  assert.deepEqual(diverging(50, 2, L), L.positive);
  assert.deepEqual(diverging(-50, 2, L), L.negative);
  assert.deepEqual(diverging(NaN, 2, L), L.neutral);
  assert.deepEqual(diverging(1, 0, L), L.neutral);
});

test('sequential runs from neutral (0) to ink (1) in both themes', () => {
  for (const p of [THEMES.light, THEMES.dark]) {
    assert.deepEqual(sequential(0, p), p.neutral);
    assert.deepEqual(sequential(1, p), p.ink);
  }
  // dark theme: activation brightens, light theme: darkens
  const mid = (c) => c[0] + c[1] + c[2];
  assert.ok(mid(sequential(0.5, THEMES.dark)) > mid(THEMES.dark.neutral));
  assert.ok(mid(sequential(0.5, THEMES.light)) < mid(THEMES.light.neutral));
});

test('robustMaxAbs ignores a single outlier but never returns 0', () => {
  const v = new Array(1000).fill(0).map((_, i) => ((i % 7) - 3) / 3);
  v[17] = 1000;
  const m = robustMaxAbs(v, 0.99);
  assert.ok(m <= 1 && m > 0.5, `got ${m}`);
  assert.equal(robustMaxAbs([0, 0, 0]), 1);
  assert.equal(robustMaxAbs([]), 1);
  assert.equal(robustMaxAbs([0, 0, -3], 0.5), 3);
});

test('quickselect finds the k-th smallest like a sort does', () => {
  let seed = 7;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  for (let trial = 0; trial < 20; trial++) {
    const a = Array.from({ length: 1 + Math.floor(rnd() * 200) }, () => Math.floor(rnd() * 50));
    const sorted = a.slice().sort((x, y) => x - y);
    const k = Math.floor(rnd() * a.length);
    assert.equal(quickselect(a.slice(), k), sorted[k]);
  }
});

test('legend ticks are symmetric with a readable precision', () => {
  assert.deepEqual(legendTicks(2).map((t) => t.label), ['-2.0', '-1.0', '0', '1.0', '2.0']);
  assert.deepEqual(legendTicks(0.03).map((t) => t.label), ['-0.030', '-0.015', '0', '0.015', '0.030']);
  assert.deepEqual(legendTicks(40).map((t) => t.value), [-40, -20, 0, 20, 40]);
});

test('the diverging lookup table agrees with diverging()', () => {
  const lut = divergingLUT(L, 101);
  for (const v of [-3, -1.5, 0, 0.7, 3]) {
    const i = lutIndex(v, 3, 101);
    const want = diverging(((i / 100) * 2 - 1) * 3, 3, L);
    assert.deepEqual([lut[3 * i], lut[3 * i + 1], lut[3 * i + 2]], want);
  }
  assert.equal(lutIndex(-99, 1, 101), 0);
  assert.equal(lutIndex(99, 1, 101), 100);
  assert.equal(lutIndex(0, 1, 101), 50);
  assert.equal(css([1, 2, 3]), 'rgb(1,2,3)');
  assert.equal(css([1, 2, 3], 0.5), 'rgba(1,2,3,0.5)');
});

import { tileGrid, alphaToGray8, bytesToBase64, hasInk, throttle, fillUnitTiles } from '../../static/js/images.js';

test('hidden-unit tiles balance the grid and leave 1-px gaps', () => {
  assert.deepEqual(tileGrid(25, [20, 20], 1), { tilesX: 5, tilesY: 5, width: 5 * 21 + 1, height: 5 * 21 + 1 });
  const g = tileGrid(10, [8, 8], 1.2);
  assert.ok(g.tilesX * g.tilesY >= 10 && (g.tilesX - 1) * g.tilesY < 10 + g.tilesY);
  assert.equal(tileGrid(1, [20, 20]).tilesX, 1);
});

test('a unit tile shows its incoming weights row-major on its own scale', () => {
  // 2x2 image, 1 hidden unit: weights rows 1..4 -> pixels (0,0) (0,1) (1,0) (1,1)
  const theta = { rows: 5, cols: 1, data: Float32Array.from([9, 2, -2, 0, 1]) };
  const grid = tileGrid(1, [2, 2]);
  const out = new Uint8ClampedArray(grid.width * grid.height * 4);
  fillUnitTiles(out, theta, [2, 2], grid, THEMES.light);
  const px = (x, y) => Array.from(out.slice(4 * (y * grid.width + x), 4 * (y * grid.width + x) + 3));
  assert.deepEqual(px(0, 0), THEMES.light.paper); // gap
  assert.deepEqual(px(1, 1), THEMES.light.positive); // +2 = max
  assert.deepEqual(px(2, 1), THEMES.light.negative); // -2
  assert.deepEqual(px(1, 2), THEMES.light.neutral); // 0
  // +1 of ±2 is three quarters up the 257-entry table; the bias (9) is ignored for the scale
  const lut = divergingLUT(THEMES.light, 257);
  const k = 3 * lutIndex(1, 2, 257);
  assert.deepEqual(px(2, 2), [lut[k], lut[k + 1], lut[k + 2]]);
  assert.ok(Math.abs(px(2, 2)[2] - diverging(1, 2, THEMES.light)[2]) <= 2);
});

test('gray8 comes from the alpha channel and base64-encodes', () => {
  const rgba = Uint8ClampedArray.from([0, 0, 0, 0, 0, 0, 0, 255, 9, 9, 9, 128]);
  const g = alphaToGray8(rgba);
  assert.deepEqual(Array.from(g), [0, 255, 128]);
  assert.equal(bytesToBase64(g), Buffer.from([0, 255, 128]).toString('base64'));
  assert.ok(hasInk(g));
  assert.ok(!hasInk(new Uint8Array(4)));
});

test('throttle delivers at most one call per interval, always the latest arguments', () => {
  let t = 0;
  const timers = [];
  const clock = { now: () => t, setTimeout: (f, ms) => { timers.push({ f, at: t + ms }); return timers.length; }, clearTimeout: (h) => { timers[h - 1].f = null; } };
  const calls = [];
  const th = throttle((x) => calls.push([t, x]), 150, clock);
  th('a');                 // fires now
  t = 50; th('b');         // schedules for 150
  t = 100; th('c');        // replaces the pending arguments
  assert.deepEqual(calls, [[0, 'a']]);
  t = 150; timers.filter((x) => x.f && x.at <= t).forEach((x) => { const f = x.f; x.f = null; f(); });
  assert.deepEqual(calls, [[0, 'a'], [150, 'c']]);
  t = 200; th('d'); th.flush();
  assert.deepEqual(calls.at(-1), [200, 'd']);
  th.cancel();
  assert.equal(calls.length, 3);
});
