// Edges of the settings schema that `make mutate-js` (Stryker) found untested: the
// messages a bad value gets, open-ended rows (no min, no max, no max_length) and the
// string forms of lists and missing values.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Settings } from '../../static/js/settings.js';

const ROWS = [
  { name: 'lambda', type: 'float', default: 1, label: 'Lambda', min: 0, max: 10 },
  { name: 'free', type: 'float', default: 0, label: 'Free' },
  { name: 'iters', type: 'int', default: 5, label: 'Iterations', min: 1, max: 100 },
  { name: 'hidden', type: 'ints', default: [25], label: 'Layers', unit: 'units', min: 1, max: 50, min_length: 0, max_length: 2 },
  { name: 'sizes', type: 'ints', default: [], label: 'Sizes', min: 1, max: 9 },
  { name: 'optimizer', type: 'choice', choices: ['tnc', 'adam'], default: 'tnc', label: 'Optimizer' },
  { name: 'dataset', type: 'dataset', default: 'digits20', label: 'Data set' },
];
const s = new Settings(ROWS);

test('a float that is not a number is named as such, whatever its type', () => {
  assert.equal(s.validateField('lambda', 'x'), 'Lambda must be a number');
  assert.equal(s.validateField('lambda', NaN), 'Lambda must be a number');
  assert.equal(s.validateField('lambda', Infinity), 'Lambda must be a number');
  assert.equal(s.validateField('lambda', 10), null, 'the maximum itself is allowed');
  assert.equal(s.validateField('lambda', 10.5), 'Lambda must be at most 10');
});

test('a row without bounds takes any finite number', () => {
  assert.equal(s.validateField('free', -1e9), null);
  assert.equal(s.validateField('free', 1e9), null);
});

test('a list: not a list, too long, and a bad entry each get their message', () => {
  assert.equal(s.validateField('hidden', 25), 'Layers must be a list of whole numbers');
  assert.equal(s.validateField('hidden', [1, 2, 3]), 'at most 2 layers');
  assert.equal(s.validateField('hidden', [51]), 'layer 1: units per layer must be a whole number from 1 to 50');
  assert.equal(s.validateField('hidden', [50, 50]), null);
  assert.equal(s.validateField('sizes', [1, 2, 3, 4]), null, 'no max_length: any length');
  assert.equal(s.validateField('sizes', [10]), 'layer 1: each value must be a whole number from 1 to 9');
});

test('a name-like setting must be a non-empty string', () => {
  assert.equal(s.validateField('dataset', ''), 'Data set is required');
  assert.equal(s.validateField('dataset', ['digits20']), 'Data set is required');
  assert.equal(s.validateField('dataset', 'iris'), null);
});

test('parsing trims, splits lists on commas or spaces, and reads an empty list', () => {
  assert.equal(s.parse('iters', ' 7 '), 7);
  assert.deepEqual(s.parse('hidden', ''), []);
  assert.deepEqual(s.parse('hidden', ' 3, 4  5 '), [3, 4, 5]);
  assert.deepEqual(s.parse('hidden', '3,,4'), [3, 4]);
  assert.equal(s.parse('optimizer', ' adam '), 'adam');
});

test('formatting: a list joins with commas, a missing value is empty, a number is its string', () => {
  assert.equal(s.format('hidden', [3, 4]), '3,4');
  assert.equal(s.format('hidden', undefined), '');
  assert.equal(s.format('hidden', null), '');
  assert.equal(s.format('lambda', 0), '0');
});

test('applies: an unknown setting applies to every optimizer', () => {
  assert.equal(s.applies('nope', 'adam'), true);
});
