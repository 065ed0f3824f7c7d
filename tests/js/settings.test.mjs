// The settings functions over the server's schema (tests/js/fixtures/ready-settings.json,
// what `ready.settings` sends; tests/test_page_fixture.py keeps it equal to the server's).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Settings } from '../../static/js/settings.js';
import { PAGE_SETTINGS } from '../../static/js/store.js';

const READY = JSON.parse(readFileSync(new URL('./fixtures/ready-settings.json', import.meta.url)));
const settings = new Settings([...READY.settings.filter((r) => r.form), ...PAGE_SETTINGS]);
const defaults = () => settings.defaults();
const fromQuery = (q) => settings.fromQuery(q);
const toQuery = (s) => settings.toQuery(s);
const validate = (s) => settings.validate(s);
const validateField = (n, v) => settings.validateField(n, v);
const parseValue = (n, t) => settings.parse(n, t);
const trainMessage = (s, extra) => settings.trainMessage(s, extra);
const PARAMS = settings.rows.map((r) => ({ ...r, train: !r.page }));

test('defaults are valid and include the seed', () => {
  const s = defaults();
  assert.deepEqual(validate(s), {});
  assert.equal(s.random_state, 0);
  assert.deepEqual(s.hidden_layers, [25]);
});

test('a state survives the URL round trip', () => {
  const s = { ...defaults(), dataset: 'xor', hidden_layers: [8, 4], regularization_parameter: 0.3, optimizer: 'adam',
    max_iter: 120, random_state: 42, learning_rate: 0.01, batch_size: 32, delay_ms: 100, theme: 'dark' };
  const { state, errors } = fromQuery('?' + toQuery(s));
  assert.deepEqual(errors, {});
  assert.deepEqual(state, s);
});

test('bad URL values fall back to defaults and are reported by field', () => {
  const { state, errors } = fromQuery('?hidden_layers=25,0&max_iter=abc&optimizer=sgd&random_state=7');
  assert.deepEqual(state.hidden_layers, [25]);
  assert.equal(state.max_iter, 50);
  assert.equal(state.optimizer, 'TNC');
  assert.equal(state.random_state, 7);
  assert.match(errors.hidden_layers, /layer 2: units per layer must be a whole number from 1 to/);
  assert.match(errors.max_iter, /whole number/);
  assert.match(errors.optimizer, /one of TNC/);
});

test('field validation names the range', () => {
  assert.equal(validateField('max_iter', 10), null);
  assert.match(validateField('max_iter', 0), /at least 1/);
  assert.match(validateField('max_iter', 1e9), /at most/);
  assert.match(validateField('regularization_parameter', -1), /at least 0/);
  assert.match(validateField('hidden_layers', [3, 2.5]), /layer 2/);
  assert.match(validateField('hidden_layers', [1, 1, 1, 1, 1, 1, 1, 1]), /at most 4 hidden layers/);
  assert.equal(validateField('hidden_layers', []), null); // logistic regression is a network too
  assert.equal(validateField('learning_rate', null), null);
  assert.deepEqual(parseValue('hidden_layers', ' 10, 5 '), [10, 5]);
  assert.equal(parseValue('learning_rate', ''), null);
});

test('the train message uses protocol names and drops what the optimizer ignores', () => {
  const tnc = trainMessage(defaults(), { probe: [1, 2] });
  assert.equal(tnc.type, 'train');
  assert.deepEqual(tnc.probe, [1, 2]);
  assert.equal(tnc.learning_rate, undefined);
  assert.equal(tnc.theme, undefined);
  const adam = trainMessage({ ...defaults(), optimizer: 'adam', learning_rate: 0.01 });
  assert.equal(adam.learning_rate, 0.01);
  assert.equal(adam.batch_size, 128);
  // every setting with a value is sent; an optional one left empty (null) lets the server decide
  for (const p of PARAMS.filter((q) => q.train && q.default !== null && !['learning_rate', 'batch_size'].includes(q.name))) assert.ok(p.name in tnc, p.name);
  assert.equal('noise' in tnc, false);
  assert.equal(trainMessage({ ...defaults(), dataset: 'xor', noise: 0.2, data_seed: 7 }).data_seed, 7);
});
