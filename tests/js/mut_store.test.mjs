// Edges of the store that `make mutate-js` (Stryker) found untested: what the page's
// own rows are, that a bad page value in the URL is refused by name, and that after the
// schema an unknown URL key is dropped rather than kept.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { PAGE_SETTINGS, Store } from '../../static/js/store.js';

const READY = JSON.parse(readFileSync(new URL('./fixtures/ready-settings.json', import.meta.url)));

test('the page rows are labelled choices that never reach a train message', () => {
  for (const r of PAGE_SETTINGS) {
    assert.equal(r.type, 'choice', r.name);
    assert.ok(r.label.length > 0, r.name);
    assert.equal(r.page, true, r.name);
  }
  const store = new Store('?theme=dark&presenter=1');
  store.adopt(READY.settings);
  const msg = store.settings.trainMessage(store.state);
  assert.equal(msg.theme, undefined);
  assert.equal(msg.presenter, undefined);
});

test('a page value outside its choices is refused with the row\'s label', () => {
  const store = new Store('?presenter=2&theme=blue');
  assert.equal(store.state.presenter, '0');
  assert.match(store.errors.presenter, /^Presenter mode must be one of 0, 1$/);
  assert.match(store.errors.theme, /^Theme must be one of light, dark$/);
});

test('with no query the store starts from the defaults and its URL has only known keys', () => {
  const store = new Store();
  assert.deepEqual(store.state, { theme: 'light', presenter: '0' });
  assert.deepEqual(store.errors, {});
  assert.equal(store.query(), 'theme=light&presenter=0');
  store.adopt(READY.settings);
  const keys = [...new URLSearchParams(store.query()).keys()];
  assert.ok(keys.includes('theme') && keys.includes('max_iter'));
  assert.ok(!keys.includes(''), 'no empty key in the URL');
});

test('after the schema, a key the schema does not know leaves the URL', () => {
  const store = new Store('?bogus=1&theme=dark');
  assert.equal(new URLSearchParams(store.query()).get('bogus'), '1', 'kept raw before the schema');
  store.adopt(READY.settings);
  assert.equal(new URLSearchParams(store.query()).get('bogus'), null);
});
