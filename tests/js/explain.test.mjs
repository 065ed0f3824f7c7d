// The step-through's data: an `explanation` message and its gradient frames,
// in the shapes the server documents, read into one object the widgets draw.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { readExplanation, ExplanationBuffer, frameKind, contributions, matrixChain, incoming } from '../../static/js/explain.js';
import { encodeWeightsFrame, parseWeightsFrame } from '../../static/js/weights.js';

const fixture = JSON.parse(readFileSync(new URL('./fixtures/explanation.json', import.meta.url), 'utf8'));
const theta = (rows, cols, f) => ({ rows, cols, data: Float32Array.from({ length: rows * cols }, (_, i) => f(i)) });

test('an explanation reads into layers input first, with the target and the cost terms', () => {
  const e = readExplanation(fixture);
  assert.equal(e.layers.length, 3);
  assert.deepEqual(e.layers[0].a, fixture.layers[0].a);
  assert.equal(e.layers[0].delta, null);
  assert.deepEqual(e.layers[2].delta, fixture.layers[2].delta);
  assert.equal(e.label, 1);
  assert.equal(e.predicted, 1);
  assert.equal(e.cost.total, fixture.cost.J);
  assert.equal(e.cost.data, fixture.cost.J_data);
  assert.equal(e.cost.regularization, fixture.cost.J_reg);
  assert.equal(e.lambda, 1.0);
  assert.equal(e.m, 4500);
  assert.deepEqual(e.cost.perUnit, fixture.cost.units);
  assert.equal(e.why.contributions[0].unit, 1);
});

test('the buffer keeps only the newest request, whatever order its frames come in', () => {
  const b = new ExplanationBuffer();
  b.expect('explain-1');
  b.expect('explain-2');
  assert.equal(b.add({ ...fixture, request_id: 'explain-1' }), null);
  const g = [theta(3, 2, (i) => i), theta(3, 2, (i) => -i)];
  assert.equal(b.addFrame({ type: 'gradients', request_id: 'explain-2', kind: 'grad_sample' }, g), null); // before its JSON
  const e = b.add({ ...fixture, request_id: 'explain-2' });
  assert.equal(e.gradients.sample, g);
  b.addFrame({ type: 'gradients', request_id: 'explain-2', kind: 'grad_full' }, g);
  assert.equal(e.gradients.full, g);
  assert.equal(b.addFrame({ request_id: 'explain-1', kind: 'update' }, g), null);
  assert.equal(e.gradients.update, null);
});

test('frame kinds map to sample, full and update', () => {
  assert.equal(frameKind('grad_sample'), 'sample');
  assert.equal(frameKind('grad_full'), 'full');
  assert.equal(frameKind('update'), 'update');
  assert.equal(frameKind('weights'), 'weights');
  assert.equal(frameKind('something else'), null);
});

test('float64 gradient frames decode exactly', () => {
  const header = { type: 'explanation', dtype: 'float64', shapes: [[1, 2]] };
  let json = JSON.stringify(header);
  while ((4 + json.length) % 8) json += ' ';
  const buf = new ArrayBuffer(4 + json.length + 16);
  const view = new DataView(buf);
  view.setUint32(0, json.length, true);
  new Uint8Array(buf, 4).set(new TextEncoder().encode(json));
  view.setFloat64(4 + json.length, 0.1 + 1e-12, true);
  view.setFloat64(12 + json.length, -3e-17, true);
  const { thetas } = parseWeightsFrame(buf);
  assert.deepEqual(Array.from(thetas[0].data), [0.1 + 1e-12, -3e-17]);
  assert.equal(parseWeightsFrame(encodeWeightsFrame({ type: 'weights' }, [theta(1, 1, () => 2)])).thetas[0].data[0], 2);
});

test('contributions rank a_j·θ_jk by size, the bias apart', () => {
  const e = readExplanation(fixture); // last hidden a = [0.5, 1.0]
  const t = { rows: 3, cols: 2, data: [0.3, -0.2, 0.1, 2.0, -1.0, 0.5] };
  const { bias, terms } = contributions(e, t, 0);
  assert.equal(bias, 0.3);
  assert.deepEqual(terms.map((x) => x.unit), [1, 0]);
  assert.equal(terms[0].contribution, -1.0);
  assert.deepEqual(Array.from(incoming(t, 1)), [2.0, 0.5]);
});

test('the chain follows the architecture: shapes of the post for [25] and [16, 8]', () => {
  const one = matrixChain([400, 25, 10], 'm');
  const shape = (items, kind) => items.filter((i) => i.kind === kind).map((i) => `${i.rows}×${i.cols}`);
  assert.deepEqual(shape(one.forward, 'theta'), ['401×25', '26×10']);
  assert.deepEqual(shape(one.forward, 'z'), ['m×25', 'm×10']);
  assert.deepEqual(shape(one.forward, 'bias'), ['m×401', 'm×26']);
  assert.deepEqual(shape(one.backward, 'delta'), ['m×10', 'm×25']);
  assert.deepEqual(shape(one.backward, 'grad'), ['26×10', '401×25']);
  const two = matrixChain([400, 16, 8, 10], 'm');
  assert.deepEqual(shape(two.forward, 'theta'), ['401×16', '17×8', '9×10']);
  assert.deepEqual(shape(two.backward, 'delta'), ['m×10', 'm×8', 'm×16']);
  assert.deepEqual(matrixChain([2, 3], 'm').backward.map((i) => i.kind), ['delta', 'grad']); // no hidden layer
});
