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
