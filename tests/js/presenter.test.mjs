import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openingGap, GAP_GROWTH } from '../../static/js/widgets/scoreboard.js';
import { shortcutFor, isTextField } from '../../static/js/widgets/shortcuts.js';
import { fitCaptions } from '../../static/js/widgets/network.js';
import { PAGE_SETTINGS, Store } from '../../static/js/store.js';

test('the gap is pointed out once validation parts from training, not while both fall together', () => {
  assert.equal(openingGap([0.02, 0.02, 0.021, 0.02, 0.022]), null); // steady: no badge
  assert.equal(openingGap([-0.1, -0.08, -0.05, -0.02]), null);      // closing from below zero
  const opening = [0.01, 0.02, 0.04, 0.07, 0.1];
  assert.equal(openingGap(opening), 0.1);
  assert.ok(0.1 - 0.01 >= GAP_GROWTH);
  assert.equal(openingGap([...opening, 0.09]), null, 'a gap that shrinks again is not pointed out');
  assert.equal(openingGap([0.5]), null);
});

const key = (k, tag = 'BODY', extra = {}) => ({ key: k, target: { tagName: tag, type: extra.type }, ...extra });
const ALL = ['train', 'pause', 'step', 'stop', 'presenter'];

test('shortcuts work anywhere but in a text field, and only the ones on offer', () => {
  assert.equal(shortcutFor(key('t'), ALL), 'train');
  assert.equal(shortcutFor(key('T'), ALL), 'train');
  assert.equal(shortcutFor(key(' ', 'BUTTON'), ALL), 'pause'); // Space pauses over a button too
  assert.equal(shortcutFor(key('s', 'CANVAS'), ALL), 'step');
  assert.equal(shortcutFor(key('x'), ALL), 'stop');
  assert.equal(shortcutFor(key('p'), ALL), 'presenter');
  assert.equal(shortcutFor(key('n'), ALL), null, 'no step-through: no next phase');
  assert.equal(shortcutFor(key('n'), [...ALL, 'next']), 'next');
  assert.equal(shortcutFor(key('t', 'INPUT', { type: 'number' }), ALL), null);
  assert.equal(shortcutFor(key('t', 'SELECT'), ALL), null);
  assert.equal(shortcutFor(key(' ', 'INPUT', { type: 'checkbox' }), ALL), null, 'Space still ticks a checkbox');
  assert.equal(shortcutFor(key('t', 'INPUT', { type: 'checkbox' }), ALL), 'train');
  assert.equal(shortcutFor(key('t', 'BODY', { ctrlKey: true }), ALL), null);
  assert.ok(isTextField({ tagName: 'INPUT', type: 'text' }) && !isTextField({ tagName: 'BUTTON' }));
});

// a fake 2-D context: every character 0.6 em wide
const ctx = { font: '10px x', measureText(t) { return { width: t.length * 0.6 * parseFloat(this.font) }; } };

test('layer captions: one line when they fit, name over size when not, smaller only as a last resort', () => {
  const parts = [['input', '20×20'], ['hidden', '25'], ['output', '10']];
  assert.deepEqual(fitCaptions(ctx, parts, 200, 18), { lines: parts.map((p) => [p.join(' ')]), font: 18 });
  const two = fitCaptions(ctx, parts, 100, 18); // "input 20×20" is 119 px at 18 px
  assert.deepEqual(two, { lines: parts, font: 18 });
  const small = fitCaptions(ctx, parts, 60, 18);
  assert.ok(small.font < 18 && small.font >= 11 && 6 * 0.6 * small.font <= 50, small.font);
});

test('presenter mode is a page setting in the URL', () => {
  assert.ok(PAGE_SETTINGS.some((r) => r.name === 'presenter'));
  const urls = [];
  const store = new Store('?presenter=1', { onUrl: (q) => urls.push(q) });
  assert.equal(store.state.presenter, '1');
  store.set({ presenter: '0' });
  assert.equal(new URLSearchParams(urls.at(-1)).get('presenter'), '0');
});
