// Compare and replay (issue 13): the pure parts of the race chart and the exports.
import { test } from 'node:test';
import assert from 'node:assert/strict';

// both import canvas.js (document only inside functions) and uPlot (guards `window`)
const { toCSV, confusionCSV } = await import('../../static/js/widgets/export.js');
const { alignCurves } = await import('../../static/js/widgets/racechart.js');

test('CSV quotes what needs quoting and leaves missing values empty', () => {
  assert.equal(toCSV(['a', 'b'], [[1, null], ['x,y', 'say "hi"'], [NaN, 0.5]]), 'a,b\r\n1,\r\n"x,y","say ""hi"""\r\n,0.5\r\n');
});

test('a confusion matrix as CSV: a row per true class, a column per predicted class', () => {
  const { header, rows } = confusionCSV([[5, 1], [0, 7]], ['cat', 'dog']);
  assert.deepEqual(header, ['true \\ predicted', 'cat', 'dog']);
  assert.deepEqual(rows, [['cat', 5, 1], ['dog', 0, 7]]);
});

test('race curves with different x are aligned on one sorted x, null where a curve has no point', () => {
  const data = alignCurves([{ x: [0, 2, 5], y: [9, 4, 1] }, { x: [0, 1, 2], y: [9, 6, 3] }]);
  assert.deepEqual(data, [[0, 1, 2, 5], [9, null, 4, 1], [9, 6, 3, null]]);
});
