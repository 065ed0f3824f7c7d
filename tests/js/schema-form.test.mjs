// The schema-built form's rules, as pure functions over a fake schema (not the server's),
// so a row the server may add one day (min_open, min_length, optimizers) is covered now.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Settings } from '../../static/js/settings.js';
import { labelText, optimizerText } from '../../static/js/widgets/settingsform.js';

const FAKE = new Settings([
  { name: 'widths', type: 'ints', default: [3], min: 2, max: 9, min_length: 1, max_length: 2, label: 'Widths', unit: 'cells' },
  { name: 'rate', type: 'float', default: null, optional: true, min: 0, min_open: true, max: 5, label: 'Rate', optimizers: ['fast'] },
  { name: 'steps', type: 'int', default: 10, min: 1, max: 100, label: 'Steps', unit: 'steps' },
  { name: 'optimizer', type: 'choice', default: 'slow', choices: ['slow', 'fast'], label: 'Method' },
  { name: 'delay', type: 'int', default: 0, min: 0, max: 10, label: 'Delay', unit: 'ms' },
  { name: 'where', type: 'dataset', default: 'a', label: 'Data' },
  { name: 'look', type: 'choice', default: 'x', choices: ['x', 'y'], label: 'Look', page: true },
]);

test('numbers are checked against the row\'s limits, an open minimum refused itself', () => {
  assert.equal(FAKE.validateField('rate', 0.5), null);
  assert.match(FAKE.validateField('rate', 0), /^Rate must be greater than 0$/);
  assert.match(FAKE.validateField('rate', 6), /^Rate must be at most 5$/);
  assert.equal(FAKE.validateField('rate', null), null); // optional: the server picks
  assert.match(FAKE.validateField('steps', 2.5), /^Steps must be a whole number$/);
  assert.match(FAKE.validateField('steps', NaN), /whole number/);
  assert.match(FAKE.validateField('optimizer', 'medium'), /^Method must be one of slow, fast$/);
  assert.match(FAKE.validateField('where', ''), /^Data is required$/);
  assert.match(FAKE.validateField('nope', 1), /unknown setting nope/);
});

test('lists are checked for their length and every entry', () => {
  assert.match(FAKE.validateField('widths', []), /^at least 1 widths$/);
  assert.match(FAKE.validateField('widths', [3, 3, 3]), /^at most 2 widths$/);
  assert.match(FAKE.validateField('widths', [3, 1]), /^layer 2: cells per layer must be a whole number from 2 to 9$/);
  assert.equal(FAKE.validateField('widths', [2, 9]), null);
});

test('a setting for some optimizers is neither validated nor sent for the others', () => {
  const s = { ...FAKE.defaults(), rate: -1 };
  assert.deepEqual(Object.keys(FAKE.validate(s)), []);
  assert.equal(FAKE.applies('rate', 'slow'), false);
  assert.equal('rate' in FAKE.trainMessage(s), false);
  assert.deepEqual(Object.keys(FAKE.validate({ ...s, optimizer: 'fast' })), ['rate']);
  assert.equal(FAKE.trainMessage({ ...s, optimizer: 'fast', rate: 2 }).rate, 2);
  assert.equal('rate' in FAKE.trainMessage({ ...s, optimizer: 'fast', rate: null }), false); // null: the server picks
});

test('the train message carries every train row and no page row', () => {
  const msg = FAKE.trainMessage(FAKE.defaults(), { run_id: 'r1' });
  assert.deepEqual(msg, { type: 'train', widths: [3], steps: 10, optimizer: 'slow', delay: 0, where: 'a', run_id: 'r1' });
  msg.widths.push(4);
  assert.deepEqual(FAKE.defaults().widths, [3], 'the message must not share the default list');
});

test('parse turns form text into values validation can judge', () => {
  assert.equal(FAKE.parse('steps', ' 12 '), 12);
  assert.ok(Number.isNaN(FAKE.parse('steps', '')));
  assert.equal(FAKE.parse('rate', ''), null);
  assert.deepEqual(FAKE.parse('widths', '4 5,6'), [4, 5, 6]);
  assert.equal(FAKE.parse('optimizer', 'fast'), 'fast');
  assert.equal(FAKE.format('widths', [4, 5]), '4,5');
  assert.equal(FAKE.format('rate', null), '');
});

test('labels show the unit once, and mini-batch optimizers say so', () => {
  assert.equal(labelText(FAKE.row('delay')), 'Delay (ms)');
  assert.equal(labelText(FAKE.row('steps')), 'Steps'); // the label says it already
  assert.equal(labelText(FAKE.row('widths')), 'Widths'); // list items carry the unit
  assert.equal(optimizerText({ name: 'adam', label: 'Adam', family: 'minibatch' }), 'Adam (mini-batch)');
  assert.equal(optimizerText({ name: 'TNC', label: 'TNC (Newton)', family: 'scipy' }), 'TNC (Newton)');
});
