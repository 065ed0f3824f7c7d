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

const { LatestRequest } = await import('../../static/js/latest.js');

/** A LatestRequest whose sends are recorded: each key sends two requests (two splits). */
function recorder() {
  const sent = [];
  let n = 0;
  const latest = new LatestRequest((key) => { const ids = [++n, ++n]; sent.push({ key, ids }); return ids; });
  return { latest, sent };
}

test('dragging over many iterations sends one batch at a time, and then only the latest asked', () => {
  const { latest, sent } = recorder();
  for (const it of [1, 2, 3, 4, 5]) latest.want(it);
  assert.deepEqual(sent.map((s) => s.key), [1]); // 2, 3 and 4 were overtaken while 1 was in flight
  assert.equal(latest.answered(1), false); // stale: 5 is wanted now, 1's answers are not shown
  assert.deepEqual(sent.length, 1); // the batch is not complete yet
  assert.equal(latest.answered(2), false);
  assert.deepEqual(sent.map((s) => s.key), [1, 5]);
  assert.equal(latest.answered(3), true); // 5's answers are the latest: shown
  assert.equal(latest.answered(4), true);
  latest.want(6);
  assert.deepEqual(sent.map((s) => s.key), [1, 5, 6]); // nothing in flight: sent at once
});

test('answers that are not ours, repeated, or cancelled are never shown', () => {
  const { latest, sent } = recorder();
  latest.want(7);
  assert.equal(latest.answered(99), false);
  assert.equal(latest.answered(1), true);
  assert.equal(latest.answered(1), false); // the same answer twice
  latest.cancel(); // back to the final iteration: 7's second answer must not overwrite it
  assert.equal(latest.answered(2), false);
  latest.want(8);
  assert.deepEqual(sent.map((s) => s.key), [7, 8]);
});
