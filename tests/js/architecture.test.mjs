// The page's walls (docs/architecture.md, "The page"): widgets never touch the connection,
// only main.js knows it, and the pure modules stay free of the DOM.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';

const JS = new URL('../../static/js/', import.meta.url);
const read = (rel) => readFileSync(new URL(rel, JS), 'utf8');
/** The code without its comments (a comment may well say "location.search"). */
const code = (rel) => read(rel).replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
const files = (dir) => readdirSync(new URL(dir, JS)).filter((f) => f.endsWith('.js')).map((f) => `${dir}${f}`);
const ALL = [...files(''), ...files('widgets/')];

/** The modules a file imports, as paths relative to static/js/. */
function imports(rel) {
  const base = new URL(rel, JS);
  return [...read(rel).matchAll(/^\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|^\s*import\s*\(?\s*['"]([^'"]+)['"]/gm)]
    .map((m) => m[1] || m[2])
    .map((spec) => (spec.startsWith('.') ? new URL(spec, base).pathname.slice(JS.pathname.length) : spec));
}

test('the import parser sees the imports it must judge', () => {
  assert.ok(imports('main.js').includes('connection.js'));
  assert.ok(imports('widgets/prediction.js').includes('widgets/drawpad.js'));
  assert.ok(imports('widgets/network.js').includes('netlayout.js'));
});

test('no widget imports the connection, the router, the store, the Lab or the handlers', () => {
  const banned = ['connection.js', 'router.js', 'store.js', 'lab.js', 'handlers.js', 'main.js', 'scheduler.js'];
  for (const f of files('widgets/')) {
    const bad = imports(f).filter((i) => banned.includes(i));
    assert.deepEqual(bad, [], `${f} imports ${bad}`);
  }
});

test('no widget mentions WebSocket or sends messages itself', () => {
  for (const f of files('widgets/')) {
    const src = code(f);
    assert.doesNotMatch(src, /WebSocket/, f);
    assert.doesNotMatch(src, /\bconn\b|\.send\(/, f);
  }
});

test('only main.js imports connection.js, and only connection.js opens a WebSocket', () => {
  const importers = ALL.filter((f) => imports(f).includes('connection.js'));
  assert.deepEqual(importers, ['main.js']);
  const sockets = ALL.filter((f) => /\bnew WebSocket\b|\bWebSocket\./.test(read(f)));
  assert.deepEqual(sockets, ['connection.js']);
});

test('the pure modules touch no DOM (they are tested in Node)', () => {
  for (const f of ['settings.js', 'store.js', 'router.js', 'scheduler.js']) {
    assert.doesNotMatch(code(f), /\bdocument\.|\bwindow\.|querySelector|\blocation\.|\bhistory\./, f);
    for (const i of imports(f)) assert.ok(!i.startsWith('widgets/'), `${f} imports ${i}`);
  }
});

test('main.js only wires: well under 200 lines', () => {
  const lines = read('main.js').split('\n').length;
  assert.ok(lines < 150, `main.js has ${lines} lines`);
});
