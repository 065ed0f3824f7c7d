/**
 * Inspect any unit or weight of the diagram. Click a unit: its z, a and δ, its
 * incoming weights and their gradient (as images in the input's shape for the
 * first hidden layer); for an output unit, "why this prediction": each
 * last-hidden unit's contribution a_j·θ_jk, ranked. Hover an edge: the weight
 * and its gradient, live while training. Numbers are the server's.
 * @module widgets/inspector
 */
import { THEMES, divergingLUT, lutIndex } from '../colors.js';
import { hitUnit } from '../netlayout.js';
import { contributions, incoming, fmt } from '../explain.js';
import { el, dataCanvas, themeName } from './canvas.js';

const N_TERMS = 6;

/** Paint values as a diverging image (each on its own symmetric scale). */
function paintImage(canvas, values, [rows, cols]) {
  const ctx = dataCanvas(canvas, cols, rows);
  const img = ctx.createImageData(cols, rows);
  const lut = divergingLUT(THEMES[themeName()], 257);
  let max = 0;
  for (const v of values) max = Math.max(max, Math.abs(v));
  for (let i = 0; i < values.length; i++) {
    const k = 3 * lutIndex(values[i], max || 1, 257);
    img.data.set([lut[k], lut[k + 1], lut[k + 2], 255], 4 * i);
  }
  ctx.putImageData(img, 0, 0);
  return canvas;
}

function figure(values, shape, caption) {
  const canvas = paintImage(el('canvas', { class: 'weight-image', role: 'img', 'aria-label': caption }), values, shape);
  return el('figure', { class: 'inspect-fig' }, [canvas, el('figcaption', { text: caption })]);
}

export class Inspector {
  /**
   * @param {HTMLElement} panel where the card goes
   * @param {{network: HTMLElement, diagram: object, phase: object}} parts the diagram's container,
   *   the live NetworkDiagram and the PhaseDiagram (their `layout` and edges are read for hit tests)
   * @param {{onOpen?: () => void}} [options] onOpen: a unit was clicked (its numbers are wanted)
   */
  constructor(panel, { network, diagram, phase }, options = {}) {
    Object.assign(this, { panel, network, diagram, phaseView: phase, onOpen: options.onOpen });
    this.target = null; // {layer, unit}
    this.data = null;
    this.thetas = null;
    this.body = panel.querySelector('[data-role=inspect]') || panel;
    this.tip = network.appendChild(el('div', { class: 'edge-tip', 'data-testid': 'edge-tip' }));
    this.tip.hidden = true;
    network.addEventListener('click', (e) => this._click(e));
    network.addEventListener('pointermove', (e) => this._hover(e));
    network.addEventListener('pointerleave', () => { this.tip.hidden = true; });
    this.close();
  }

  get isOpen() { return !!this.target; }

  /** Forget the inspected unit. */
  close() {
    this.target = null;
    this.body.replaceChildren(el('p', { class: 'hint', text: 'Click a unit of the diagram to see its z, a, δ, its incoming weights and their gradient; hover an edge for its weight.' }));
    this.panel.dataset.unit = '';
  }

  /** New weights (while training). @param {object[]} thetas */
  setThetas(thetas) {
    this.thetas = thetas;
  }

  /** A new explanation. @param {{structure: object, exp: object, thetas: object[], edgeSource: string}} data */
  update(data) {
    this.data = data;
    if (data.thetas) this.thetas = data.thetas;
    if (this.target) this._render();
  }

  _layout() {
    return (this.phaseView.phase && this.phaseView.layout) || this.diagram.layout;
  }

  _point(e) {
    const r = this.network.getBoundingClientRect();
    return [e.clientX - r.left, e.clientY - r.top];
  }

  _click(e) {
    const layout = this._layout();
    if (!layout) return;
    const [x, y] = this._point(e);
    for (let l = 1; l < layout.layers.length; l++) {
      const i = hitUnit(layout.layers[l], x, y);
      if (i >= 0) { this.open(l, i); return; }
    }
  }

  /** Inspect unit `unit` of layer `layer` (1 = first hidden). */
  open(layer, unit) {
    this.target = { layer, unit };
    this.panel.dataset.unit = `${layer}:${unit}`;
    this.onOpen?.();
    this._render();
  }

  _render() {
    const { layer: l, unit: j } = this.target;
    const d = this.data;
    if (!d || !d.exp || !d.structure.layerSizes) {
      this.body.replaceChildren(el('p', { class: 'hint', text: 'Train (or Step) first: the numbers come from the server.' }));
      return;
    }
    const { exp, structure } = d;
    const L = structure.layerSizes.length;
    const names = structure.classNames || [];
    const u = exp.layers[l] || {};
    const title = l === L - 1 ? `Output unit “${names[j] ?? j}”` : `Hidden layer ${l}, unit ${j + 1}`;
    const close = el('button', { type: 'button', class: 'btn small', 'aria-label': 'Close the inspector', text: '×' });
    close.addEventListener('click', () => this.close());
    const facts = el('dl', { class: 'facts' }, [['z', u.z], ['a', u.a], ['δ', u.delta]].flatMap(([k, v]) => [el('dt', { text: k }), el('dd', { 'data-testid': `inspect-${k === 'δ' ? 'delta' : k}`, text: fmt(v?.[j], 5) })]));
    const parts = [el('div', { class: 'inspect-head' }, [el('strong', { text: title }), close]), facts];
    const theta = this.thetas?.[l - 1];
    const grad = exp.gradients[d.edgeSource === 'sample' ? 'sample' : 'full']?.[l - 1];
    if (l === 1 && structure.imageShape && theta) {
      const row = [figure(incoming(theta, j), structure.imageShape, 'incoming weights')];
      if (grad) row.push(figure(incoming(grad, j), structure.imageShape, d.edgeSource === 'sample' ? '∂J/∂θ, this sample' : '∂J/∂θ, all samples'));
      parts.push(el('div', { class: 'inspect-row' }, row));
    } else if (theta) {
      const w = incoming(theta, j), g = grad ? incoming(grad, j) : null;
      parts.push(el('p', { class: 'hint', text: `${w.length} incoming weights (max |θ| ${fmt(Math.max(...w.map(Math.abs)))})${g ? `, gradient max |∂J/∂θ| ${fmt(Math.max(...g.map(Math.abs)))}` : ''}` }));
    }
    if (l === L - 1 && theta && L > 2) parts.push(this._why(exp, theta, j, structure));
    this.body.replaceChildren(...parts);
  }

  /** Why this prediction: the last hidden layer's contributions to output unit k. */
  _why(exp, theta, k, structure) {
    const server = exp.why && exp.why.class === k ? exp.why : null; // the server's, when it explains this class
    const { bias, terms } = server ? this._serverTerms(exp, theta, server) : contributions(exp, theta, k);
    const L = structure.layerSizes.length;
    const first = this.thetas?.[0];
    const images = L === 3 && structure.imageShape && first;
    const items = terms.slice(0, N_TERMS).map((t) => {
      const sign = t.contribution >= 0 ? 'pos' : 'neg';
      const kids = [el('span', { class: `contrib ${sign}`, text: `${t.contribution >= 0 ? '+' : ''}${fmt(t.contribution, 3)}` }),
        el('span', { class: 'hint', text: ` = a${t.unit + 1} ${fmt(t.a, 2)} × θ ${fmt(t.weight, 2)}` })];
      if (images) kids.unshift(paintImage(el('canvas', { class: 'weight-image small', role: 'img', 'aria-label': `hidden unit ${t.unit + 1}'s weights` }), incoming(first, t.unit), structure.imageShape));
      return el('li', {}, kids);
    });
    const z = exp.layers[L - 1].z?.[k];
    return el('div', { class: 'why' }, [
      el('p', { class: 'why-title', text: `Why this output: z = bias ${fmt(bias, 2)} + Σ a_j·θ_jk = ${fmt(z, 3)}; the largest terms:` }),
      el('ol', { class: 'contribs' }, items),
    ]);
  }

  _serverTerms(exp, theta, why) {
    const a = exp.layers[exp.layers.length - 2].a;
    return { bias: why.bias, terms: why.contributions.map((c) => ({ unit: c.unit, a: a[c.unit], weight: theta.data[(c.unit + 1) * theta.cols + why.class], contribution: c.contribution })) };
  }

  // ------------------------------------------------------------- edge hover
  _edgeSets() {
    if (this.phaseView.phase && this.phaseView.edges) return { layout: this.phaseView.layout, sets: this.phaseView.edges };
    if (this.diagram.edges && this.diagram.layout) return { layout: this.diagram.layout, sets: this.diagram.edges.map((e, l) => ({ ...e, layer: l })) };
    return null;
  }

  _hover(e) {
    const found = this._edgeSets();
    if (!found) return;
    const [x, y] = this._point(e);
    const { layout, sets } = found;
    for (let l = 0; l < layout.layers.length; l++) if (hitUnit(layout.layers[l], x, y) >= 0) { this.tip.hidden = true; return; }
    let best = null, bestD = 5;
    for (const s of sets) {
      const a = layout.layers[s.layer], b = layout.layers[s.layer + 1];
      if (x < a.x || x > b.x + b.w) continue;
      for (let q = 0; q < s.from.length; q++) {
        const d = segDist(x, y, a.pos[2 * s.from[q]], a.pos[2 * s.from[q] + 1], b.pos[2 * s.to[q]], b.pos[2 * s.to[q] + 1]);
        if (d < bestD) { bestD = d; best = { layer: s.layer, from: s.from[q], to: s.to[q] }; }
      }
    }
    if (!best) { this.tip.hidden = true; return; }
    this.tip.textContent = this._edgeText(best);
    this.tip.style.left = `${Math.min(x + 12, this.network.clientWidth - 260)}px`;
    this.tip.style.top = `${y + 14}px`;
    this.tip.hidden = false;
  }

  _edgeText({ layer, from, to }) {
    const th = this.thetas?.[layer];
    const idx = (from + 1) * (th?.cols ?? 0) + to;
    const g = this.data?.exp?.gradients || {};
    const parts = [`Θ(${layer + 1}) [${from + 1}, ${to + 1}]: θ = ${fmt(th?.data[idx], 4)}`];
    if (g.full) parts.push(`∂J/∂θ all ${fmt(g.full[layer].data[idx], 3)}`);
    if (g.sample) parts.push(`this sample ${fmt(g.sample[layer].data[idx], 3)}`);
    return parts.join(' · ');
  }
}

/** Distance from (px, py) to the segment (ax, ay)–(bx, by). */
function segDist(px, py, ax, ay, bx, by) {
  const dx = bx - ax, dy = by - ay;
  const t = Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy || 1)));
  return Math.hypot(px - ax - t * dx, py - ay - t * dy);
}

