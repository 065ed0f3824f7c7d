/**
 * Probability bars: one labelled bar per class, the winner highlighted.
 * Plain DOM so screen readers read the numbers.
 * @module widgets/probbars
 */
import { el } from './canvas.js';

export class ProbabilityBars {
  /** @param {HTMLElement} container @param {{classNames?: string[]}} [options] */
  constructor(container, options = {}) {
    this.container = container;
    this.setClasses(options.classNames || []);
  }

  /** @param {string[]} classNames */
  setClasses(classNames) {
    this.classNames = classNames;
    this.rows = classNames.map((name) => {
      const fill = el('span', { class: 'bar-fill' });
      const value = el('span', { class: 'bar-value', text: '' });
      const row = el('div', { class: 'bar-row', role: 'listitem' }, [el('span', { class: 'bar-label', text: name }), el('span', { class: 'bar-track' }, [fill]), value]);
      return { row, fill, value };
    });
    this.container.replaceChildren(...this.rows.map((r) => r.row));
    this.container.setAttribute('role', 'list');
  }

  /** Empty every bar. */
  reset() {
    for (const r of this.rows) { r.fill.style.width = '0%'; r.value.textContent = ''; r.row.classList.remove('best'); }
  }

  /**
   * Show probabilities (the output units; they need not sum to 1 for a sigmoid network).
   * @param {{probabilities: number[]}} data
   */
  update({ probabilities }) {
    let best = 0;
    probabilities.forEach((p, i) => { if (p > probabilities[best]) best = i; });
    this.rows.forEach((r, i) => {
      const p = probabilities[i] ?? 0;
      r.fill.style.width = `${(100 * Math.max(0, Math.min(1, p))).toFixed(1)}%`;
      r.value.textContent = `${(100 * p).toFixed(0)}%`;
      r.row.classList.toggle('best', i === best);
    });
  }
}
