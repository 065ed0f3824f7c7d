// Edges of the weights frame and the plane that `make mutate-js` (Stryker) found
// untested: a header that is not padded, a header longer than the frame, a frame of
// exactly its length prefix, float64 gradients, the encoder's padding and dtype, a
// plane's input check, and the memo that spares a second widget the same work.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ACTIVATIONS, activationOf, encodeWeightsFrame, parseWeightsFrame, planeActivations,
  planeActivationsCached,
} from '../../static/js/weights.js';

/** A frame with `header` unpadded (JSON as is), then `pad` spaces of padding, then float32s. */
function frame(header, values, { pad = 0, dtype = 'float32' } = {}) {
  const json = Buffer.from(JSON.stringify(header) + ' '.repeat(pad));
  const size = dtype === 'float64' ? 8 : 4;
  const start = 4 + json.length + ((4 - ((4 + json.length) % 4)) % 4);
  const out = Buffer.alloc(start + size * values.length);
  out.writeUInt32LE(json.length, 0);
  json.copy(out, 4);
  values.forEach((v, i) => (size === 8 ? out.writeDoubleLE(v, start + 8 * i) : out.writeFloatLE(v, start + 4 * i)));
  return out;
}

test('a header whose length is not a multiple of 4 is skipped to the next 4-byte boundary', () => {
  for (const name of ['w', 'ww', 'www', 'wwww']) {
    const header = { type: name, shapes: [[1, 2]] };
    const { header: h, thetas } = parseWeightsFrame(frame(header, [0.25, -4]));
    assert.equal(h.type, name);
    assert.deepEqual(Array.from(thetas[0].data), [0.25, -4], `header of ${JSON.stringify(header).length} bytes`);
  }
});

test('a header longer than the frame is refused with its length; a bare prefix is an empty header', () => {
  const f = frame({ shapes: [] }, []);
  f.writeUInt32LE(f.length, 0);
  assert.throws(() => parseWeightsFrame(f), new RegExp(`weights header length ${f.length} exceeds frame`));
  const exact = frame({ shapes: [] }, [], { pad: 3 }); // 4 + 16 bytes: the header ends the frame
  assert.deepEqual(parseWeightsFrame(exact).header.shapes, []);
  assert.throws(() => parseWeightsFrame(new Uint8Array([0, 0, 0, 0])), /JSON/, 'four bytes: a zero-length header, not a short frame');
});

test('a frame without shapes has no thetas; float64 gradients decode at full precision', () => {
  assert.deepEqual(parseWeightsFrame(frame({ type: 'weights' }, [])).thetas, []);
  const { thetas } = parseWeightsFrame(frame({ dtype: 'float64', shapes: [[1, 1]] }, [0.1], { dtype: 'float64' }));
  assert.equal(thetas[0].data[0], 0.1);
});

test('a decoded theta is a copy: changing the frame afterwards does not change it', () => {
  const f = frame({ shapes: [[1, 1]] }, [3]);
  const { thetas } = parseWeightsFrame(f);
  f.fill(0);
  assert.equal(thetas[0].data[0], 3);
});

test('the encoder pads its header with spaces to a multiple of 4 and says float32', () => {
  for (const type of ['a', 'ab', 'abc', 'abcd']) {
    const buf = encodeWeightsFrame({ type }, [{ rows: 1, cols: 1, data: [2] }]);
    const h = new DataView(buf).getUint32(0, true);
    assert.equal(h % 4, 0, type);
    const text = new TextDecoder().decode(new Uint8Array(buf, 4, h));
    assert.equal(JSON.parse(text).dtype, 'float32');
    assert.match(text, /^\{.*\} *$/);
    assert.ok(text.length - text.trimEnd().length < 4, 'no more padding than needed');
  }
});

test('activation ranges are what each function can output', () => {
  assert.deepEqual(ACTIVATIONS.logistic.range, [0, 1]);
  assert.deepEqual(ACTIVATIONS.tanh.range, [-1, 1]);
  assert.deepEqual(ACTIVATIONS.relu.range, [0, null]);
  assert.equal(activationOf(), ACTIVATIONS.logistic);
});

const LINEAR = [{ rows: 3, cols: 1, data: Float32Array.from([0, 4, -4]) }];

test('a plane needs a first theta with 2 inputs, and names what it got', () => {
  const bad = [{ rows: 4, cols: 1, data: new Float32Array(4) }];
  assert.throws(() => planeActivations(bad, 2), /^Error: a plane needs 2 inputs, theta expects 3$/);
  assert.deepEqual(planeActivations(LINEAR, 2), planeActivations(LINEAR, 2, 'logistic'));
});

test('the cached plane is computed once per weights, size and activation', () => {
  const first = planeActivationsCached(LINEAR, 4);
  assert.equal(planeActivationsCached(LINEAR, 4), first, 'same arguments: the same arrays');
  assert.deepEqual(first, planeActivations(LINEAR, 4, 'logistic'));
  const other = planeActivationsCached(LINEAR, 2);
  assert.equal(other[0][0].length, 4, 'a new size is computed anew');
  const tanh = planeActivationsCached(LINEAR, 2, 'tanh');
  assert.notEqual(tanh, other);
  const moved = [{ rows: 3, cols: 1, data: Float32Array.from([1, 4, -4]) }];
  assert.notDeepEqual(planeActivationsCached(moved, 2, 'tanh'), tanh, 'new weights are computed anew');
});
