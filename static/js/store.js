/**
 * The page's settings state, synced to the URL, with subscriptions.
 * The train settings are the server's (`ready.settings`); until they arrive the
 * URL's values are kept raw, so a shared URL still reproduces a run: `adopt(rows)`
 * parses and validates them once the schema is known. Page-only settings (theme)
 * are a small table here and apply at once. No DOM: the URL is written through
 * the `onUrl` callback.
 * @module store
 */
import { Settings } from './settings.js';

/** Settings the page owns (never sent to the server). @type {import('./settings.js').SettingRow[]} */
export const PAGE_SETTINGS = [
  { name: 'theme', type: 'choice', choices: ['light', 'dark'], default: 'light', label: 'Theme', page: true },
];

/** State + URL + subscribers. */
export class Store {
  /**
   * @param {string} search the page's query string, e.g. location.search
   * @param {{onUrl?: (query: string) => void}} [options] called with the new query (no '?') after each change
   */
  constructor(search = '', options = {}) {
    this.onUrl = options.onUrl || null;
    this.raw = new URLSearchParams(search);
    /** @type {Set<string>} the keys the URL held when the page was opened: a shared link pins them */
    this.pinned = new Set(this.raw.keys());
    this.settings = new Settings(PAGE_SETTINGS);
    const { state, errors } = this.settings.fromQuery(this.raw);
    /** @type {object} the current, valid values by name */
    this.state = state;
    /** @type {Object<string,string>} the URL's refused page values (field → message) */
    this.errors = errors;
    this.subscribers = new Set();
  }

  /** Has the server's schema been adopted? */
  get hasSchema() {
    return this.settings.rows.length > PAGE_SETTINGS.length;
  }

  /**
   * Take the server's train settings (`ready.settings`): the URL's raw values are
   * parsed and validated now; refused ones fall back to the default. Subscribers are
   * not called (this is the start, not an edit); the URL is rewritten in full.
   * @param {import('./settings.js').SettingRow[]} rows @returns {Object<string,string>} field → message
   */
  adopt(rows) {
    this.settings = new Settings([...rows.filter((r) => r.form), ...PAGE_SETTINGS]);
    const { state, errors } = this.settings.fromQuery(this.raw);
    for (const r of PAGE_SETTINGS) state[r.name] = this.state[r.name]; // chosen already
    this.state = state;
    this._syncUrl();
    return errors;
  }

  /**
   * Change values (already valid), write the URL, tell the subscribers.
   * @param {object} patch name → value
   * @param {{quiet?: boolean}} [options] quiet: do not tell the subscribers (the caller does their work)
   */
  set(patch, options = {}) {
    Object.assign(this.state, patch);
    this._syncUrl();
    if (options.quiet) return;
    const keys = Object.keys(patch);
    for (const fn of this.subscribers) fn(this.state, keys);
  }

  /**
   * Be told of every change.
   * @param {(state: object, keys: string[]) => void} fn @returns {() => void} unsubscribe
   */
  subscribe(fn) {
    this.subscribers.add(fn);
    return () => this.subscribers.delete(fn);
  }

  /** The query string for the state; before the schema, the URL's raw train values are kept as they were. */
  query() {
    const q = new URLSearchParams(this.hasSchema ? '' : this.raw);
    for (const [k, v] of new URLSearchParams(this.settings.toQuery(this.state))) q.set(k, v);
    return q.toString();
  }

  _syncUrl() {
    const query = this.query();
    this.raw = new URLSearchParams(query); // a later `adopt` (a reconnect) starts from here
    this.onUrl?.(query);
  }
}
