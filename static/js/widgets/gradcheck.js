/**
 * "Is backprop right?": the gradient check with a choice of broken backprops.
 * Shows numeric and analytic gradients side by side for the checked
 * coordinates, their relative difference and a verdict (colour and word).
 * The variants, their labels and what bug each plants come from the server.
 * @module widgets/gradcheck
 */
import { el } from './canvas.js';
import { fmt } from '../explain.js';

const PASS = 1e-9; // the course's "less than 1e-9" (the server's verdict wins when it sends one)
const SHOWN = 12;  // coordinates in the table

export class GradientCheck {
  /**
   * @param {HTMLElement} box holds #gradient-check and #gradient-result
   * @param {{onCheck: (variant: string) => void}} options
   */
  constructor(box, options) {
    this.button = box.querySelector('#gradient-check');
    this.result = box.querySelector('#gradient-result');
    this.select = el('select', { id: 'gradient-variant', 'aria-label': 'Which backprop to check' },
      [el('option', { value: 'correct', text: 'Real backprop' })]);
    this.about = el('p', { class: 'hint', id: 'variant-about' });
    this.table = el('div', { class: 'check-table', id: 'gradient-table' });
    const label = el('label', { for: 'gradient-variant', class: 'label', text: 'Backprop to check' });
    this.button.before(label, this.select, this.about);
    this.result.after(this.table);
    this.variants = [{ name: 'correct', label: 'Real backprop', help: "The engine's own cost and gradient." }];
    this.select.addEventListener('change', () => this._about());
    this.button.addEventListener('click', () => {
      this.result.textContent = 'Checking…';
      this.result.className = 'hint verdict';
      this.table.replaceChildren();
      options.onCheck(this.select.value);
    });
    this._about();
  }

  /** The server's list of variants. @param {{name: string, label?: string, help?: string}[]} variants */
  setVariants(variants) {
    if (!variants?.length) return;
    this.variants = variants;
    const keep = this.select.value;
    this.select.replaceChildren(...variants.map((v) => el('option', { value: v.name, text: v.label || v.name })));
    if (variants.some((v) => v.name === keep)) this.select.value = keep;
    this._about();
  }

  _about() {
    const v = this.variants.find((x) => x.name === this.select.value);
    this.about.textContent = v?.help || '';
  }

  setEnabled(enabled) { this.button.disabled = !enabled; }

  /** A `gradient_check_result`. */
  show(msg) {
    const d = msg.relative_difference;
    const passed = msg.passed ?? (msg.verdict ? msg.verdict === 'pass' : d <= (msg.tolerance ?? PASS));
    const v = this.variants.find((x) => x.name === (msg.variant || 'correct'));
    this.result.className = `hint verdict ${passed ? 'pass' : 'fail'}`;
    this.result.dataset.verdict = passed ? 'pass' : 'fail';
    this.result.replaceChildren(
      el('strong', { class: 'verdict-word', text: passed ? '✓ PASS' : '✗ FAIL' }),
      ` ${v?.label || msg.variant || 'Real backprop'}: relative difference ${fmt(d, 2)} over ${msg.n_coordinates} weights `
      + (passed ? '(≤ 1e-9: backprop agrees with the numerical gradient).' : '(should be ≤ 1e-9: this backprop is wrong).'),
    );
    this._table(msg);
  }

  _table(msg) {
    const num = msg.numeric || [], ana = msg.analytic || [], where = msg.coordinates || [];
    if (!num.length) { this.table.replaceChildren(); return; }
    const rows = num.slice(0, SHOWN).map((n, k) => {
      const a = ana[k];
      const rel = Math.abs(n - a) / (Math.abs(n) + Math.abs(a) || 1);
      const c = where[k];
      const at = Array.isArray(c) ? `Θ${c[0] + 1}[${c[1]},${c[2]}]${c[1] === 0 ? ' bias' : ''}` : c && typeof c === 'object' ? `Θ${c.layer + 1}[${c.row},${c.col}]${c.row === 0 ? ' bias' : ''}` : String(k + 1);
      return el('tr', { class: rel > 1e-6 ? 'off' : '' }, [el('td', { text: at }), el('td', { text: n.toExponential(5) }), el('td', { text: a.toExponential(5) })]);
    });
    this.table.replaceChildren(el('table', {}, [
      el('caption', { text: `${Math.min(SHOWN, num.length)} of ${num.length} checked coordinates` }),
      el('thead', {}, [el('tr', {}, [el('th', { text: 'weight' }), el('th', { text: 'numeric' }), el('th', { text: 'backprop' })])]),
      el('tbody', {}, rows),
    ]));
  }

  showError(text) {
    this.result.className = 'hint verdict';
    this.result.textContent = text;
  }
}
