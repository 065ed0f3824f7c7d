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
const SHOWN = 8;   // coordinates per table
export class GradientCheck {
  /**
   * @param {HTMLElement} box holds #gradient-check and #gradient-result
   * @param {{onCheck: (variant: string) => void}} options
   */
  constructor(box, options) {
    this.button = box.querySelector('#gradient-check');
    this.result = box.querySelector('#gradient-result');
    this.hint = this.result.textContent; // what the check does, shown until there is an answer
    this.select = el('select', { id: 'gradient-variant', 'aria-label': 'Which backprop to check' },
      [el('option', { value: 'correct', text: 'Real backprop' })]);
    this.about = el('p', { class: 'hint', id: 'variant-about' });
    this.table = el('div', { class: 'check-table', id: 'gradient-table' });
    const label = el('label', { for: 'gradient-variant', class: 'label', text: 'Backprop to check' });
    this.button.before(label, this.select, this.about);
    this.result.after(this.table);
    this.variants = []; // from `ready.gradient_check_variants`
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
    const verdict = msg.verdict || (d <= (msg.tolerance ?? PASS) ? 'pass' : 'fail');
    const v = this.variants.find((x) => x.name === (msg.variant || 'correct'));
    this.result.className = `hint verdict ${verdict}`;
    this.result.dataset.verdict = verdict;
    const word = { pass: '✓ PASS', fail: '✗ FAIL', unclear: '? UNCLEAR' }[verdict] || verdict;
    this.result.replaceChildren(
      el('strong', { class: 'verdict-word', text: word }),
      ` ${v?.label || msg.variant || 'Real backprop'}: relative difference ${fmt(d, 2)} over ${msg.n_coordinates} weights `
      + (verdict === 'pass' ? '(≤ 1e-9: backprop agrees with the numerical gradient).' : `(a correct backprop gives ≤ 1e-9${verdict === 'fail' ? ': this one is wrong' : ''}).`),
    );
    if (msg.message) this.result.append(el('span', { class: 'check-message', text: ` ${msg.message}` }));
    const checks = msg.checks || [msg];
    this.table.replaceChildren(...checks.map((c) => this._table(c)).filter(Boolean));
  }

  _table(msg) {
    const num = msg.numeric || [], ana = msg.analytic || [], where = msg.coordinates || [];
    if (!num.length) return null;
    const rows = num.slice(0, SHOWN).map((n, k) => {
      const a = ana[k];
      const rel = Math.abs(n - a) / (Math.abs(n) + Math.abs(a) || 1);
      const c = where[k];
      const at = Array.isArray(c) ? `Θ${c[0] + 1}[${c[1]},${c[2]}]${c[1] === 0 ? ' bias' : ''}` : c && typeof c === 'object' ? `Θ${c.layer + 1}[${c.row},${c.col}]${c.row === 0 ? ' bias' : ''}` : String(k + 1);
      return el('tr', { class: rel > 1e-6 ? 'off' : '' }, [el('td', { text: at }), el('td', { text: n == null ? '–' : n.toExponential(5) }), el('td', { text: a == null ? '–' : a.toExponential(5) })]);
    });
    const what = msg.network === 'course' ? `course’s check (${(msg.layer_sizes || []).join('-')}, λ = ${msg.lambda})` : msg.network === 'run' ? `this network (λ = ${msg.lambda})` : 'checked';
    const verdict = msg.verdict ? ` — ${msg.verdict}, ${fmt(msg.relative_difference, 2)}` : '';
    return el('table', { 'data-network': msg.network || '' }, [
      el('caption', { text: `${what}${verdict}: ${Math.min(SHOWN, num.length)} of ${num.length} coordinates${msg.hidden ? ` (${msg.hidden})` : ''}` }),
      el('thead', {}, [el('tr', {}, [el('th', { text: 'weight' }), el('th', { text: 'numeric' }), el('th', { text: 'backprop' })])]),
      el('tbody', {}, rows),
    ]);
  }

  /** A new run or data set: the previous answer goes, the explanation comes back. */
  reset() {
    this.result.className = 'hint';
    delete this.result.dataset.verdict;
    this.result.textContent = this.hint;
    this.table.replaceChildren();
  }

  showError(text) {
    this.result.className = 'hint verdict';
    this.result.textContent = text;
  }
}
