import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Follow, followToken, queueText } from '../../static/js/follow.js';

test('the follow token comes from a /follow/<token> path only', () => {
  assert.equal(followToken('/follow/abc_DEF-12'), 'abc_DEF-12');
  assert.equal(followToken('/follow/abc/'), 'abc');
  assert.equal(followToken('/'), null);
  assert.equal(followToken('/follow/a.b'), null);
});

test('a queued run says its place and the estimated wait', () => {
  assert.match(queueText({ place: 3, wait_estimate_s: 42.4 }), /place 3, about 42 s/);
  assert.match(queueText({ place: 2, wait_estimate_s: 300 }), /place 2, about 5 min/);
  assert.match(queueText({ place: 1, wait_estimate_s: null }), /place 1\)/);
});

function fakeLab(run = null) {
  const calls = [];
  const w = new Proxy({}, { get: (_, name) => new Proxy({}, { get: (__, m) => (...a) => calls.push([name, m, ...a]) }) });
  return { calls, lab: { run, w, owns: (m) => m.run_id === 'r1', scheduler: { addIteration: (m) => calls.push(['it', m.iteration]) }, startRun: (id) => calls.push(['start', id]) } };
}

function memory() {
  const m = new Map();
  return { getItem: (k) => m.get(k) ?? null, setItem: (k, v) => m.set(k, v), removeItem: (k) => m.delete(k) };
}

test('a follower follows on ready; a presenter claims back what its tab shared', () => {
  const sent = [];
  const { lab } = fakeLab();
  new Follow({ token: 'tok', send: (m) => sent.push(m), storage: memory() }).attach(lab).ready();
  assert.deepEqual(sent, [{ type: 'follow', token: 'tok' }]);
  const storage = memory();
  storage.setItem('backprop-lab-share', JSON.stringify({ run_id: 'r1', token: 't', control_token: 'c' }));
  const presenter = new Follow({ token: null, send: (m) => sent.push(m), storage }).attach(lab);
  presenter.ready();
  assert.deepEqual(sent.at(-1), { type: 'claim', control_token: 'c' });
  presenter.onError({ request_type: 'claim' }); // expired: forgotten
  presenter.ready();
  assert.equal(sent.length, 2);
});

test('a late joiner draws the catch-up iterations of its run only', () => {
  const { lab, calls } = fakeLab({ id: 'r1' });
  const f = new Follow({ token: 'tok', send: () => {}, storage: memory() }).attach(lab);
  f.onCatchup({ run_id: 'r1', iterations: [{ iteration: 1 }, { iteration: 2 }] });
  f.onCatchup({ run_id: 'other', iterations: [{ iteration: 9 }] });
  assert.deepEqual(calls.filter((c) => c[0] === 'it'), [['it', 1], ['it', 2]]);
});
