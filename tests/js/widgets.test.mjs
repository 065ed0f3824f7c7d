import { test } from 'node:test';
import assert from 'node:assert/strict';
import { THEMES } from '../../static/js/colors.js';

// confusion.js imports canvas.js, which touches `document` only inside functions
const { cellStyle, shortCount } = await import('../../static/js/widgets/confusion.js');

test('confusion counts fit in four characters', () => {
  assert.equal(shortCount(7), '7');
  assert.equal(shortCount(999), '999');
  assert.equal(shortCount(1114), '1.1k');
  assert.equal(shortCount(12345), '12k');
});

test('confusion cells: diagonal blue by share of the row, errors orange and amplified', () => {
  const p = THEMES.light;
  assert.equal(cellStyle(100, 100, true, p).background, `rgb(${p.positive.join(',')})`);
  assert.equal(cellStyle(0, 100, false, p).background, `rgb(${p.neutral.join(',')})`);
  // 25% of a row wrong is already full orange: errors are rare and must show
  assert.equal(cellStyle(25, 100, false, p).background, `rgb(${p.negative.join(',')})`);
  assert.equal(cellStyle(100, 100, true, p).dark, true); // white text on strong blue
  assert.equal(cellStyle(0, 0, true, p).dark, false); // empty row: neutral, dark text
});

test('a cost reads in at most 9 characters, in exponent form below 0.001', async () => {
  const { formatCost } = await import('../../static/js/widgets/statusbar.js');
  const cases = [[null, '–'], [1.8412, '1.841'], [0.36512, '0.3651'], [0.0012345, '0.001234'],
    [6.709e-6, '6.709e-6'], [2.0934e-7, '2.093e-7'], [0, '0.000'], [123.456, '123.5']];
  for (const [c, text] of cases) assert.equal(formatCost(c), text, String(c));
  for (let e = -12; e <= 4; e++) assert.ok(formatCost(1.2345 * 10 ** e).length <= 9, `1.2345e${e}`);
});
