import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { forward, planeActivations, sigmoid, ACTIVATIONS, activationOf } from '../../static/js/weights.js';
import { recommendedPatch, changedKeys } from '../../static/js/recommend.js';
import { Settings } from '../../static/js/settings.js';
import { Store } from '../../static/js/store.js';

const READY = JSON.parse(readFileSync(new URL('./fixtures/ready-settings.json', import.meta.url)));
const close = (a, b, tol = 1e-6) => assert.ok(Math.abs(a - b) < tol, `${a} != ${b}`);

// One input x = 2, two hidden units, one output:
//   hidden z = [1 + 0.5·2, -1 - 1·2] = [2, -3]
//   output z = 0.5 + 1·g(2) + 2·g(-3), always through the logistic sigmoid.
const THETAS = [
  { rows: 2, cols: 2, data: Float32Array.from([1, -1, /* x */ 0.5, -1]) },
  { rows: 3, cols: 1, data: Float32Array.from([0.5, /* h1 */ 1, /* h2 */ 2]) },
];

test('the forward pass uses the run\'s hidden activation and keeps the output logistic', () => {
  const hand = {
    logistic: [sigmoid(2), sigmoid(-3)],        // 0.8808, 0.0474
    tanh: [Math.tanh(2), Math.tanh(-3)],        // 0.9640, -0.9951
    relu: [2, 0],                               // max(0, z)
  };
  for (const [name, h] of Object.entries(hand)) {
    const acts = forward(THETAS, [2], name);
    close(acts[1][0], h[0]);
    close(acts[1][1], h[1]);
    close(acts[2][0], sigmoid(0.5 + h[0] + 2 * h[1]));
  }
  // relu by the numbers: output = sigmoid(0.5 + 2 + 0) = sigmoid(2.5) = 0.92414
  close(forward(THETAS, [2], 'relu')[2][0], 0.924142, 1e-5);
  assert.deepEqual(Object.keys(ACTIVATIONS), READY.settings.find((r) => r.name === 'activation').choices,
    'the page knows exactly the server\'s activations');
  assert.throws(() => activationOf('sigmoid'), /not one of logistic, tanh, relu/);
});

test('the plane\'s unit maps are the forward pass at every grid cell', () => {
  const thetas = [
    { rows: 3, cols: 3, data: Float32Array.from([0.1, -0.2, 0.3, 1.5, -2, 0.7, -1, 0.4, 2]) },
    { rows: 4, cols: 1, data: Float32Array.from([-0.3, 1, -1, 0.5]) },
  ];
  for (const name of Object.keys(ACTIVATIONS)) {
    const layers = planeActivations(thetas, 5, name);
    assert.equal(layers.length, 3);
    assert.equal(layers[1].length, 3);
    for (const [r, c] of [[0, 0], [2, 3], [4, 4]]) {
      const x = [(c + 0.5) / 5, 1 - (r + 0.5) / 5]; // y upwards
      const acts = forward(thetas, x, name);
      for (let j = 0; j < 3; j++) close(layers[1][j][r * 5 + c], acts[1][j], 1e-5);
      close(layers[2][0][r * 5 + c], acts[2][0], 1e-5);
    }
  }
});

const SPIRAL = {
  id: 'spiral', kind: 'points',
  recommended: { hidden_layers: [16, 16], regularization_parameter: 0.01, optimizer: 'TNC', max_iter: 150, activation: 'tanh', delay_ms: 100 },
  data_params: { noise: 0.05, n_points: 400, data_seed: 0 },
};
const DIGITS = {
  id: 'digits20', kind: 'image',
  recommended: { hidden_layers: [25], regularization_parameter: 1, optimizer: 'TNC', max_iter: 50, activation: 'logistic', delay_ms: 0 },
};

test('a data set\'s recommended settings leave the keys a shared link pinned alone', () => {
  const settings = new Settings(READY.settings.filter((r) => r.form));
  assert.deepEqual(recommendedPatch(SPIRAL, settings), { ...SPIRAL.recommended, ...SPIRAL.data_params });
  const pinned = recommendedPatch(SPIRAL, settings, new Set(['max_iter', 'hidden_layers', 'noise']));
  assert.equal('max_iter' in pinned, false);
  assert.equal('hidden_layers' in pinned, false);
  assert.equal('noise' in pinned, false);
  assert.equal(pinned.activation, 'tanh');
  assert.equal(pinned.data_seed, 0);
  // an image set: the points' settings do not apply (null), the post's settings come back
  const back = recommendedPatch(DIGITS, settings);
  assert.deepEqual(back, { ...DIGITS.recommended, noise: null, n_points: null, data_seed: null });
  // a value the schema refuses, or a key it does not know, is never applied
  const odd = recommendedPatch({ kind: 'image', recommended: { max_iter: 0, bogus: 1, optimizer: 'TNC' } }, settings);
  assert.deepEqual(odd, { optimizer: 'TNC', noise: null, n_points: null, data_seed: null });
  assert.deepEqual(changedKeys({ hidden_layers: [16, 16], max_iter: 50 }, { hidden_layers: [16, 16], max_iter: 150 }), ['max_iter']);
});

test('the store pins the keys of the URL the page was opened with, not later edits', () => {
  const store = new Store('?dataset=spiral&max_iter=20', { onUrl: () => {} });
  store.adopt(READY.settings);
  store.set({ hidden_layers: [3] });
  assert.deepEqual([...store.pinned].sort(), ['dataset', 'max_iter']);
  const patch = recommendedPatch(SPIRAL, store.settings, store.pinned);
  assert.equal(patch.max_iter, undefined);
  assert.deepEqual(patch.hidden_layers, [16, 16], 'an edit made after opening is not pinned');
});
