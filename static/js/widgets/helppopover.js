/**
 * "?" buttons on every panel and control, and the one popover that shows their
 * text (from a name-keyed table, static/js/help.js). Keyboard accessible: the
 * "?" is a button, the popover takes focus, Escape (or a click elsewhere)
 * closes it and gives focus back. Controls built later (the settings form) get
 * their "?" as they appear.
 * @module widgets/helppopover
 */
import katex from '../../vendor/katex-0.16.22/katex.mjs';
import { el } from './canvas.js';

const INSIDE = /^(H2|LABEL|LEGEND)$/; // the "?" goes inside these, after everything else after

export class HelpPopover {
  /**
   * @param {HTMLElement} root where to look for the places the table names
   * @param {{table: Object<string, {at: string, title: string, text: string, tex?: string, live?: string}>,
   *   values?: (live: string) => string|null, watch?: HTMLElement}} options values: a formula with today's
   *   numbers (TeX); watch: an element whose controls are built later (the settings form): its "?"s follow
   */
  constructor(root, options) {
    this.root = root;
    this.table = options.table;
    this.values = options.values || (() => null);
    this.opener = null;
    this.pop = el('div', { class: 'help-pop', role: 'dialog', 'aria-modal': 'false', tabindex: '-1', 'aria-labelledby': 'help-pop-title', id: 'help-pop' });
    this.pop.hidden = true;
    document.body.append(this.pop);
    this.pop.addEventListener('keydown', (e) => { if (e.key === 'Escape') { e.stopPropagation(); this.close(); } });
    document.addEventListener('keydown', (e) => { if (e.key === 'Escape' && !this.pop.hidden) this.close(); });
    document.addEventListener('pointerdown', (e) => {
      if (!this.pop.hidden && !this.pop.contains(e.target) && !e.target.closest('.help-btn')) this.close(false);
    });
    this.attach();
    // Only the watched element, and only for added elements: watching the whole page would
    // run attach() on every frame of training (each readout's text is a mutation).
    let queued = false;
    if (options.watch) {
      new MutationObserver((records) => {
        if (queued || !records.some((r) => [...r.addedNodes].some((n) => n.nodeType === 1))) return;
        queued = true;
        requestAnimationFrame(() => { queued = false; this.attach(); });
      }).observe(options.watch, { childList: true, subtree: true });
    }
  }

  /** Give every place in the table that exists now its "?" (once). */
  attach() {
    for (const [key, entry] of Object.entries(this.table)) {
      const target = this.root.querySelector(entry.at);
      if (!target || target.querySelector(`:scope > .help-btn[data-help="${key}"]`) || target.nextElementSibling?.dataset?.help === key) continue;
      const b = el('button', { type: 'button', class: 'help-btn', 'data-help': key, 'aria-label': `Help: ${entry.title}`, 'aria-expanded': 'false', 'aria-controls': 'help-pop', text: '?' });
      b.addEventListener('click', (e) => { e.preventDefault(); e.stopPropagation(); this.toggle(key, b); });
      if (INSIDE.test(target.tagName)) target.append(b);
      else target.after(b);
    }
  }

  toggle(key, button) {
    if (!this.pop.hidden && this.opener === button) { this.close(); return; }
    this.open(key, button);
  }

  /** Show the text of `key` next to its button. */
  open(key, button) {
    const entry = this.table[key];
    if (this.opener) this.opener.setAttribute('aria-expanded', 'false');
    this.opener = button;
    button.setAttribute('aria-expanded', 'true');
    const close = el('button', { type: 'button', class: 'btn small help-close', 'aria-label': 'Close help', text: '×' });
    close.addEventListener('click', () => this.close());
    const kids = [el('div', { class: 'help-head' }, [el('strong', { id: 'help-pop-title', text: entry.title }), close]), el('p', { text: entry.text })];
    if (entry.tex) kids.push(this._tex(entry.tex));
    const live = entry.live && this.values(entry.live);
    if (live) kids.push(el('p', { class: 'hint', text: 'Now, at the current weights:' }), this._tex(live));
    this.pop.replaceChildren(...kids);
    this.pop.dataset.key = key;
    this.pop.hidden = false;
    const r = button.getBoundingClientRect();
    const w = Math.min(420, window.innerWidth - 16);
    this.pop.style.width = `${w}px`;
    this.pop.style.left = `${Math.max(8, Math.min(r.left + window.scrollX - 20, window.scrollX + window.innerWidth - w - 8))}px`;
    this.pop.style.top = `${r.bottom + window.scrollY + 6}px`;
    this.pop.focus();
  }

  _tex(src) {
    const box = el('div', { class: 'help-tex' });
    katex.render(src, box, { throwOnError: false, displayMode: true, output: 'html' });
    return box;
  }

  /** Hide the popover; focus goes back to its "?" unless the user clicked elsewhere. */
  close(refocus = true) {
    if (this.pop.hidden) return;
    this.pop.hidden = true;
    if (this.opener) {
      this.opener.setAttribute('aria-expanded', 'false');
      if (refocus) this.opener.focus();
    }
    this.opener = null;
  }
}
