import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Router } from '../../static/js/router.js';
import * as handlers from '../../static/js/handlers.js';

test('a message goes to the handler of its type, and only to it', () => {
  const seen = [];
  const router = new Router().on('iteration', (m) => seen.push(['iteration', m.n])).on('done', (m) => seen.push(['done', m.n]));
  assert.equal(router.dispatch({ type: 'iteration', n: 1 }), true);
  assert.equal(router.dispatch({ type: 'done', n: 2 }), true);
  assert.deepEqual(seen, [['iteration', 1], ['done', 2]]);
});

test('an unknown type is reported to onUnknown and handled by nobody', () => {
  const unknown = [];
  const router = new Router({ onUnknown: (m) => unknown.push(m.type) }).on('ready', () => assert.fail('wrong handler'));
  assert.equal(router.dispatch({ type: 'from_the_future' }), false);
  assert.equal(new Router().dispatch({ type: 'x' }), false); // default: ignored quietly
  assert.equal(new Router().dispatch(null), false);
  assert.deepEqual(unknown, ['from_the_future']);
});

test('one handler per type: a second registration is a mistake', () => {
  const router = new Router().on('ready', () => {});
  assert.throws(() => router.on('ready', () => {}), /ready/);
});

test('there is a handler for every message the server sends', () => {
  const sent = ['ready', 'started', 'iteration', 'evaluation', 'state', 'done', 'prediction', 'gradient_check_result', 'saved', 'error', 'explanation',
    'shared', 'claimed', 'following', 'catchup', 'followers', 'share_ended',
    'race_started', 'race_done', 'history', 'confusion'];
  assert.deepEqual(Object.keys(handlers).sort(), sent.sort());
  for (const h of Object.values(handlers)) assert.ok(h.length <= 2 && String(h).split('\n').length <= 30, `${h.name} is small`);
});

test('messages about another run are ignored', () => {
  const lab = { owns: (m) => m.run_id === 'mine', run: { lastIteration: null }, scheduler: { addIteration: () => assert.fail('drawn') } };
  handlers.iteration({ type: 'iteration', run_id: 'other', iteration: 1 }, lab);
  assert.equal(lab.run.lastIteration, null);
});

test('an iteration that replaced others on the server adds their points first, in order', () => {
  const points = [];
  const replayed = [];
  const lab = {
    owns: (m) => m.run_id === 'mine', run: { lastIteration: null },
    scheduler: { addIteration: (m) => points.push([m.type, m.run_id, m.iteration, m.cost]) },
    replay: { iteration: (m) => replayed.push(m.iteration) },
  };
  const msg = { type: 'iteration', run_id: 'mine', iteration: 4, cost: 0.4,
    skipped: [{ iteration: 2, cost: 0.6 }, { iteration: 3, cost: 0.5 }] };
  handlers.iteration(msg, lab);
  assert.deepEqual(points, [['iteration', 'mine', 2, 0.6], ['iteration', 'mine', 3, 0.5], ['iteration', 'mine', 4, 0.4]]);
  assert.deepEqual(replayed, [2, 3, 4]); // a race's curves get them too
  assert.equal(lab.run.lastIteration, msg); // the newest is what the panels show
  handlers.iteration({ type: 'iteration', run_id: 'mine', iteration: 5, cost: 0.3 }, lab);
  assert.deepEqual(points.at(-1), ['iteration', 'mine', 5, 0.3]);
  assert.equal(points.length, 4);
});
