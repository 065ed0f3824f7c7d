/**
 * The post's walkthrough, live: the chain of matrices of the current
 * architecture with their shapes, typeset with KaTeX, the selected input's row
 * highlighted in each and the phase's numbers beside it; J(Θ) as its formula
 * with the current values filled in. KaTeX renders into elements (no HTML
 * strings), which a Content-Security-Policy of `style-src 'self'` allows.
 * @module widgets/matrixchain
 */
import katex from '../../vendor/katex-0.16.22/katex.mjs';
import { matrixChain, preview, fmt } from '../explain.js';
import { el } from './canvas.js';

const tex = (node, src, display = false) => {
  katex.render(src, node, { throwOnError: false, displayMode: display, output: 'html' });
  return node;
};

/** Which part of the chain each phase is about. */
const PHASE_PART = { forward: 'forward', cost: 'cost', backward: 'backward', update: 'update' };

export class MatrixChain {
  /** @param {HTMLElement} container an empty element */
  constructor(container) {
    this.container = container;
    this.key = null;
    this.phase = null;
    this.head = el('p', { class: 'hint chain-head' });
    this.list = el('ol', { class: 'chain', 'aria-label': 'The chain of matrices' });
    this.cost = el('div', { class: 'chain-cost', 'aria-label': 'The cost J(Θ) with the current values' });
    container.append(this.head, this.list, this.cost);
    this.setStructure(null);
  }

  /**
   * The architecture (before any numbers): one row per matrix of the post.
   * @param {number[]|null} sizes layer sizes, input first @param {number|null} [m]
   */
  setStructure(sizes, m = null) {
    const key = sizes ? sizes.join(',') : '';
    if (key === this.key) { this._head(sizes, m); return; }
    this.key = key;
    this.nLayers = sizes ? sizes.length : 0;
    this.rows = [];
    this.list.replaceChildren();
    this._head(sizes, m);
    if (!sizes) return;
    const chain = matrixChain(sizes, 'm');
    for (const part of ['forward', 'backward']) {
      for (const item of chain[part]) {
        const sub = item.kind === 'grad' ? 'update' : part;
        const shape = `${item.rows}×${item.cols}`;
        const glyph = el('span', { class: 'glyph', 'aria-hidden': 'true' }, [el('span', { class: 'glyph-row' })]);
        const values = el('span', { class: 'values' });
        const li = el('li', { class: `chain-row part-${sub}`, 'data-kind': item.kind, 'data-layer': String(item.layer), 'data-shape': shape }, [
          tex(el('span', { class: 'eq' }), item.tex),
          tex(el('span', { class: 'shape' }), `\\in\\mathbb{R}^{${item.rows === 'm' ? 'm' : item.rows}\\times ${item.cols}}`),
          glyph, values,
        ]);
        if (item.dropped) li.append(el('span', { class: 'hint note', text: `(${item.dropped} columns before the bias column is dropped)` }));
        if (item.kind === 'grad') li.append(el('span', { class: 'hint note', text: 'bias row 0 not regularised' }));
        // rows of m samples show the selected one highlighted; a Θ or a gradient has no sample row
        glyph.classList.toggle('per-sample', item.rows === 'm');
        glyph.dataset.cols = String(Math.min(8, Math.ceil(Math.log2(item.cols + 1))));
        this.rows.push({ item, li, values });
        this.list.append(li);
      }
    }
    this._showPhase();
  }

  _head(sizes, m) {
    this.head.textContent = sizes
      ? `${sizes.join(' → ')} units · m = ${m != null ? m.toLocaleString() : '…'} training samples · the highlighted row is the selected input`
      : 'The chain of matrices appears with the network.';
  }

  /** @param {string|null} phase */
  setPhase(phase) {
    this.phase = phase;
    this._showPhase();
  }

  _showPhase() {
    const part = PHASE_PART[this.phase] || 'forward';
    this.container.dataset.phase = this.phase || 'live';
    for (const { li } of this.rows || []) {
      const sub = li.classList.contains('part-forward') ? 'forward' : li.classList.contains('part-update') ? 'update' : 'backward';
      const on = part === 'cost' ? li.dataset.kind === 'a' && +li.dataset.layer === this.nLayers - 1 : sub === part;
      li.classList.toggle('current', on);
    }
    this.cost.classList.toggle('current', part === 'cost');
  }

  /** Forget the numbers, keep the typeset chain (a new run, most often of the same shape). */
  clearValues() {
    for (const { values } of this.rows) values.textContent = '';
    this.cost.replaceChildren();
    delete this.cost.dataset.total;
  }

  /**
   * The numbers of an explanation.
   * @param {object|null} data {structure, exp, m, lambda, sampleIndex}
   */
  update(data) {
    if (!data) { this.setStructure(null); this.cost.replaceChildren(); return; }
    const { structure, exp, m, lambda } = data;
    this.setStructure(structure.layerSizes, m);
    for (const { item, values } of this.rows) values.textContent = this._values(item, exp);
    this._cost(exp, m, lambda);
  }

  _values(item, exp) {
    const layer = exp.layers[item.layer] || {};
    if (item.kind === 'input' || item.kind === 'bias') {
      const a = layer.a || [];
      if (item.kind === 'bias') return '';
      let ink = 0;
      for (const v of a) if (v > 0.05) ink++;
      return `row: ${a.length} inputs, ${ink} inked`;
    }
    if (item.kind === 'z') return `row: ${preview(layer.z)}`;
    if (item.kind === 'a') return `row: ${preview(layer.a)}`;
    if (item.kind === 'delta') return `row: ${preview(layer.delta)}`;
    if (item.kind === 'grad') {
      const g = exp.gradients;
      const norm = (t) => (t ? Math.hypot(...t[item.layer].data) : null);
      return `‖this sample‖ ${fmt(norm(g.sample))} · ‖all m‖ ${fmt(norm(g.full))}`;
    }
    return '';
  }

  _cost(exp, m, lambda) {
    const c = exp.cost;
    const L = exp.layers.length;
    const formula = 'J(\\Theta) = -\\frac{1}{m}\\sum_{i=1}^{m}\\sum_{k=1}^{K}\\Big[y_k^{(i)}\\log a_k^{(L)} + (1-y_k^{(i)})\\log\\big(1-a_k^{(L)}\\big)\\Big]'
      + ' + \\frac{\\lambda}{2m}\\sum_{l=1}^{L-1}\\sum_{j\\ge 1}\\sum_{k}\\big(\\Theta^{(l)}_{jk}\\big)^2';
    const values = `= \\underbrace{${fmt(c.data, 4)}}_{\\text{data}} + \\underbrace{\\tfrac{${fmt(lambda, 3)}}{2\\cdot ${m ?? 'm'}}\\,\\textstyle\\sum\\theta^2}_{${fmt(c.regularization, 4)}} = ${fmt(c.total, 4)}`
      + `\\qquad (L = ${L},\\ K = ${exp.target.length},\\ \\lambda = ${fmt(lambda, 3)},\\ m = ${m ?? 'm'})`;
    this.cost.replaceChildren(tex(el('div', { class: 'eq-block' }), formula, true), tex(el('div', { class: 'eq-block values' }), values, true));
    this.cost.dataset.total = String(c.total);
  }
}
