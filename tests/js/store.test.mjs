import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Store } from '../../static/js/store.js';

const READY = JSON.parse(readFileSync(new URL('./fixtures/ready-settings.json', import.meta.url)));

test('before the schema, the URL\'s train values are kept raw and the page ones apply', () => {
  const urls = [];
  const store = new Store('?max_iter=7&hidden_layers=12,6&theme=dark', { onUrl: (q) => urls.push(q) });
  assert.equal(store.hasSchema, false);
  assert.equal(store.state.theme, 'dark');
  assert.equal(store.state.max_iter, undefined);
  store.set({ theme: 'light' });
  const q = new URLSearchParams(urls.pop());
  assert.equal(q.get('theme'), 'light');
  assert.equal(q.get('max_iter'), '7', 'an early edit must not drop the raw train values');
  assert.equal(q.get('hidden_layers'), '12,6');
});

test('adopting the schema parses the raw values, refuses bad ones and rewrites the URL in full', () => {
  const urls = [];
  const store = new Store('?max_iter=7&hidden_layers=12,6&random_state=0x&optimizer=adam&learning_rate=0.01&bogus=1', { onUrl: (q) => urls.push(q) });
  const errors = store.adopt(READY.settings);
  assert.deepEqual(Object.keys(errors), ['random_state']);
  assert.match(errors.random_state, /whole number/);
  assert.equal(store.state.max_iter, 7);
  assert.deepEqual(store.state.hidden_layers, [12, 6]);
  assert.equal(store.state.random_state, 0); // the default
  const q = new URLSearchParams(urls.pop());
  assert.equal(q.get('random_state'), '0');
  assert.equal(q.get('learning_rate'), '0.01');
  assert.equal(q.get('theme'), 'light');
  assert.equal(q.has('bogus'), false);
  assert.equal(q.has('probe'), false, 'wire-only settings stay off the URL');
});

test('a shared URL reproduces the run: the query of a state gives that state back', () => {
  const a = new Store('');
  a.adopt(READY.settings);
  a.set({ dataset: 'xor', hidden_layers: [8, 4], optimizer: 'gd', batch_size: 32, random_state: 42, theme: 'dark' });
  const b = new Store(`?${a.query()}`);
  b.adopt(READY.settings);
  assert.deepEqual(b.state, a.state);
});

test('subscribers hear each change with its keys, until they unsubscribe; quiet sets tell nobody', () => {
  const store = new Store('');
  store.adopt(READY.settings);
  const heard = [];
  const off = store.subscribe((state, keys) => heard.push([keys, state.max_iter]));
  store.set({ max_iter: 9 });
  store.set({ dataset: 'xor' }, { quiet: true });
  off();
  store.set({ max_iter: 10 });
  assert.deepEqual(heard, [[['max_iter'], 9]]);
  assert.equal(store.state.dataset, 'xor');
});

test('a reconnect adopting again keeps the edits made since', () => {
  const store = new Store('?max_iter=7');
  store.adopt(READY.settings);
  store.set({ max_iter: 12 });
  store.settings = store.settings; // unchanged schema object
  assert.deepEqual(store.adopt(READY.settings), {});
  assert.equal(store.state.max_iter, 12);
});
