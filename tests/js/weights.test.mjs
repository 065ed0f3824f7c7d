import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseWeightsFrame, encodeWeightsFrame, forward, sigmoid, classifyGrid } from '../../static/js/weights.js';

/** Build a frame by hand, byte by byte, exactly as docs/protocol.md describes it. */
function handFrame(headerObj, floats) {
  let json = JSON.stringify(headerObj);
  while ((4 + json.length) % 4) json += ' ';
  const buf = Buffer.alloc(4 + json.length + 4 * floats.length);
  buf.writeUInt32LE(json.length, 0);
  buf.write(json, 4, 'utf8');
  floats.forEach((f, i) => buf.writeFloatLE(f, 4 + json.length + 4 * i));
  return buf;
}

test('a weights frame decodes to its header and row-major thetas', () => {
  const header = { type: 'weights', run_id: 'r1', iteration: 3, dtype: 'float32', shapes: [[3, 2], [3, 1]] };
  const floats = [0.5, -0.5, 1, 2, 3, 4, /* theta 2 */ -1, 0.25, 8];
  const frame = handFrame(header, floats);
  const { header: h, thetas } = parseWeightsFrame(frame); // a Node Buffer: a view at some byteOffset
  assert.equal(h.iteration, 3);
  assert.equal(h.run_id, 'r1');
  assert.equal(thetas.length, 2);
  assert.deepEqual([thetas[0].rows, thetas[0].cols], [3, 2]);
  assert.deepEqual(Array.from(thetas[0].data), [0.5, -0.5, 1, 2, 3, 4]);
  assert.deepEqual(Array.from(thetas[1].data), [-1, 0.25, 8]);
});

test('a frame at an unaligned offset still decodes', () => {
  const inner = handFrame({ type: 'weights', shapes: [[2, 1]] }, [1.5, -2]);
  const big = Buffer.alloc(inner.length + 1);
  inner.copy(big, 1);
  const { thetas } = parseWeightsFrame(big.subarray(1));
  assert.deepEqual(Array.from(thetas[0].data), [1.5, -2]);
});

test('truncated frames are refused with a message', () => {
  const f = handFrame({ type: 'weights', shapes: [[4, 4]] }, [1, 2, 3]);
  assert.throws(() => parseWeightsFrame(f), /truncated/);
  assert.throws(() => parseWeightsFrame(new Uint8Array([1, 0])), /shorter/);
});

test('encodeWeightsFrame round-trips through parseWeightsFrame', () => {
  const t = [{ rows: 3, cols: 2, data: Float32Array.from([1, 2, 3, 4, 5, 6]) }];
  const buf = encodeWeightsFrame({ type: 'weights', iteration: 9 }, t);
  assert.equal(new DataView(buf).getUint32(0, true) % 4, 0);
  const back = parseWeightsFrame(buf);
  assert.equal(back.header.iteration, 9);
  assert.deepEqual(Array.from(back.thetas[0].data), [1, 2, 3, 4, 5, 6]);
});

test('forward pass matches a hand computation', () => {
  // one input x = 2, one hidden unit: z = 1 + 0.5 * 2 = 2; output z = -1 + 3 * sigmoid(2)
  const thetas = [
    { rows: 2, cols: 1, data: Float32Array.from([1, 0.5]) },
    { rows: 2, cols: 1, data: Float32Array.from([-1, 3]) },
  ];
  const acts = forward(thetas, [2]);
  assert.equal(acts.length, 3);
  assert.ok(Math.abs(acts[1][0] - sigmoid(2)) < 1e-7);
  assert.ok(Math.abs(acts[2][0] - sigmoid(-1 + 3 * sigmoid(2))) < 1e-6);
  assert.throws(() => forward(thetas, [1, 2]), /expects 1/);
});

test('classifyGrid splits the plane where a linear unit says so', () => {
  // 2 inputs -> 2 outputs: class 1 iff x > 0.5 (output 1 grows with x, output 0 shrinks)
  const theta = { rows: 3, cols: 2, data: Float32Array.from([10, -10, /* x */ -20, 20, /* y */ 0, 0]) };
  const { label, confidence } = classifyGrid([theta], 8);
  for (let r = 0; r < 8; r++) {
    for (let c = 0; c < 8; c++) assert.equal(label[r * 8 + c], c >= 4 ? 1 : 0, `cell ${r},${c}`);
  }
  assert.ok(confidence[0] > 0.9);
});

test('classifyGrid with one output unit thresholds at 0.5 and uses y upwards', () => {
  const theta = { rows: 3, cols: 1, data: Float32Array.from([-10, 0, 20]) }; // class 1 iff y > 0.5
  const { label } = classifyGrid([theta], 4);
  assert.deepEqual(Array.from(label), [1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
});
