import { test } from 'node:test';
import assert from 'node:assert/strict';
import { layoutNetwork, gridShape, topEdges, edgeBudget, hitUnit } from '../../static/js/netlayout.js';

const inside = (L, W, H) => {
  for (let i = 0; i < L.n; i++) {
    const x = L.pos[2 * i], y = L.pos[2 * i + 1];
    assert.ok(x >= 0 && x <= W && y >= 0 && y <= H, `unit ${i} at ${x},${y} outside ${W}x${H}`);
  }
};

test('an image input is drawn as the image, one cell per pixel, row-major', () => {
  const { layers } = layoutNetwork([400, 25, 10], { width: 640, height: 340, imageShape: [20, 20] });
  const inp = layers[0];
  assert.equal(inp.kind, 'image');
  assert.equal(inp.gridCols, 20);
  // pixel 21 is row 1, column 1
  assert.ok(Math.abs(inp.pos[42] - (inp.x + 1.5 * inp.size)) < 1e-3);
  assert.ok(Math.abs(inp.pos[43] - (inp.y + 1.5 * inp.size)) < 1e-3);
  assert.ok(Math.abs(inp.w - inp.h) < 1e-6);
  layers.forEach((l) => inside(l, 640, 340));
});

test('small layers are columns, big ones become grids that fit', () => {
  const { layers } = layoutNetwork([2, 8, 300, 2], { width: 600, height: 300 });
  assert.deepEqual(layers.map((l) => l.kind), ['column', 'column', 'grid', 'column']);
  const g = layers[2];
  assert.ok(g.gridCols * Math.ceil(300 / g.gridCols) >= 300);
  assert.ok(g.h <= 300 && g.w <= 600 / 4);
  layers.forEach((l) => inside(l, 600, 300));
  // columns go left to right
  for (let l = 1; l < layers.length; l++) assert.ok(layers[l].pos[0] > layers[l - 1].pos[0]);
});

test('every column layer uses the same unit size', () => {
  const { layers } = layoutNetwork([64, 12, 6, 10], { width: 640, height: 340, imageShape: [8, 8] });
  const sizes = layers.filter((l) => l.kind === 'column').map((l) => l.size);
  assert.equal(sizes.length, 3);
  assert.ok(sizes.every((s) => s === sizes[0]));
  layers.forEach((l) => inside(l, 640, 340));
});

test('gridShape picks the largest square cell', () => {
  assert.deepEqual(gridShape(100, 100, 100), { cols: 10, rows: 10, cell: 10 });
  const s = gridShape(25, 50, 200);
  assert.ok(s.cols * s.rows >= 25);
  assert.equal(s.cell, Math.min(50 / s.cols, 200 / s.rows));
  assert.ok(s.cell >= 50 / 3 - 1e-9);
});

test('topEdges keeps the k largest |w|, skips the bias row, strongest last', () => {
  // 3 inputs (+ bias) x 2 outputs
  const theta = { rows: 4, cols: 2, data: Float32Array.from([100, -100, /* bias */ 0.1, -5, 3, 0.2, -0.3, 4]) };
  const e = topEdges(theta, 3);
  assert.deepEqual(Array.from(e.w), [3, 4, -5]);
  assert.deepEqual(Array.from(e.from), [1, 2, 0]);
  assert.deepEqual(Array.from(e.to), [0, 1, 1]);
  assert.equal(e.maxAbs, 5);
  assert.equal(topEdges(theta, 100).w.length, 6);
  assert.equal(edgeBudget(400, 25, 320), 320);
  assert.equal(edgeBudget(2, 3, 320), 6);
});

test('ties at the threshold still give exactly k edges', () => {
  const theta = { rows: 5, cols: 1, data: Float32Array.from([0, 1, 1, 1, 1]) };
  assert.equal(topEdges(theta, 2).w.length, 2);
});

test('hitUnit finds the unit under the pointer', () => {
  const { layers } = layoutNetwork([3, 2], { width: 300, height: 200 });
  const l = layers[0];
  assert.equal(hitUnit(l, l.pos[2], l.pos[3]), 1);
  assert.equal(hitUnit(l, 0, 0), -1);
});
