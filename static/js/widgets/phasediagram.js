/**
 * One training step drawn on the network diagram, phase by phase, on a canvas
 * laid over the live diagram: Forward (units show a), Cost (outputs beside the
 * one-hot target, each unit's share of the cost), Backward (units coloured by δ
 * on a diverging scale) and Update (edges coloured by ∂J/∂θ or by the
 * optimizer's change). Every number comes from the server's explanation.
 * @module widgets/phasediagram
 */
import { layoutNetwork, topEdges, edgeBudget } from '../netlayout.js';
import { THEMES, sequential, diverging, css, robustMaxAbs } from '../colors.js';
import { fitCanvas, themeName } from './canvas.js';
import { drawPixelLayer } from './network.js';
import { fmt } from '../explain.js';

const BAND = 46;           // the legend band at the top (taller when its sentences wrap)
const BAND_TEXT_X = 170;   // the band's sentences start right of the colour bar
const LABEL_WIDTH = 200;   // room for the output numbers on the right
const BUCKETS = 8;

/** The step-through drawing, over the live diagram while a phase is chosen. */
export class PhaseDiagram {
  /**
   * @param {HTMLElement} container the live diagram's container (.network)
   * @param {{height?: number}} [options]
   */
  constructor(container, options = {}) {
    this.container = container;
    this.options = { height: 340, ...options };
    this.height = this.options.height;
    this.canvas = container.appendChild(document.createElement('canvas'));
    this.canvas.className = 'net-phase';
    this.canvas.setAttribute('role', 'img');
    this.canvas.hidden = true;
    this.width = container.clientWidth || 600;
    this.phase = null;
    this.data = null;
    new ResizeObserver((entries) => {
      const w = Math.round(entries[entries.length - 1].contentRect.width);
      if (w > 0 && w !== this.width) { this.width = w; if (this.phase) this.draw(); }
    }).observe(container);
  }

  /** A font size, at least the page's minimum for the diagram (18 px in presenter mode). */
  _px(n) {
    return Math.max(n, this.minFont || 0);
  }

  /** Back to the live diagram. */
  hide() {
    this.phase = null;
    this.canvas.hidden = true;
    delete this.container.dataset.phase;
    this.layout = null;
  }

  /**
   * Draw a phase.
   * @param {string} phase forward | cost | backward | update
   * @param {object} data
   * @param {{layerSizes: number[], imageShape: number[]|null, classNames: string[]}} data.structure
   * @param {object} data.exp readExplanation()'s result
   * @param {object[]} [data.thetas] the weights the explanation was computed at
   * @param {string} [data.edgeSource] sample | full | update (Update phase)
   */
  show(phase, data) {
    this.phase = phase;
    this.data = data;
    this.canvas.hidden = false;
    this.container.dataset.phase = phase;
    this.draw();
  }

  draw() {
    if (!this.phase || !this.data) return;
    // presenter mode: the live diagram's height and at least its type size (CSS variables)
    const root = getComputedStyle(document.documentElement);
    this.minFont = parseFloat(root.getPropertyValue('--diagram-min-font')) || 0;
    const height = parseFloat(root.getPropertyValue('--diagram-height')) || this.options.height;
    this.height = height;
    const { width } = this;
    const ctx = fitCanvas(this.canvas, width, height);
    const pal = THEMES[themeName()];
    ctx.fillStyle = css(pal.paper);
    ctx.fillRect(0, 0, width, height);
    const { structure, exp } = this.data;
    this.texts = [];
    this.edges = this._edges();
    const band = this._bandLines(ctx, exp);
    const top = Math.max(BAND, band.length * band.lineHeight + 8);
    const layout = layoutNetwork(structure.layerSizes, { width, height: height - top, imageShape: structure.imageShape, labelWidth: LABEL_WIDTH });
    for (const layer of layout.layers) for (let i = 0; i < layer.pos.length; i += 2) layer.pos[i + 1] += top;
    for (const layer of layout.layers) layer.y += top;
    this.layout = layout;
    this._drawEdges(ctx, pal);
    layout.layers.forEach((layer, l) => this._drawLayer(ctx, layer, l, pal));
    this._drawOutputs(ctx, pal);
    this._drawBand(ctx, pal, band);
    this.canvas.setAttribute('aria-label', `Network diagram, ${this.phase} phase`);
    this.canvas.dataset.textBoxes = JSON.stringify(this.texts); // what was written where, for the layout tests
  }

  /** ``ctx.fillText``, and the text's box kept for the layout tests. */
  _text(ctx, text, x, y) {
    if (!text) return;
    ctx.fillText(text, x, y);
    const m = ctx.measureText(text);
    const left = x - m.actualBoundingBoxLeft, top = y - m.actualBoundingBoxAscent;
    this.texts.push({ text, x: Math.round(left), y: Math.round(top),
      w: Math.round(m.actualBoundingBoxLeft + m.actualBoundingBoxRight), h: Math.round(m.actualBoundingBoxAscent + m.actualBoundingBoxDescent) });
  }

  /** The matrices the edges show in this phase, and how strongly. */
  _edgeMatrices() {
    const { thetas, exp, edgeSource = 'full' } = this.data;
    if (this.phase === 'update') return { mats: exp.gradients[edgeSource] || null, diverge: true };
    return { mats: thetas || null, diverge: false, faint: this.phase !== 'forward' };
  }

  _edges() {
    const { mats, diverge, faint } = this._edgeMatrices();
    if (!mats) return null;
    return mats.map((t, l) => {
      const e = topEdges(t, edgeBudget(t.rows - 1, t.cols, 320));
      return { ...e, layer: l, diverge, faint, scale: diverge ? robustMaxAbs(t.data, 0.995) : e.maxAbs };
    });
  }

  _drawEdges(ctx, pal) {
    if (!this.edges) return;
    ctx.lineCap = 'round';
    for (const e of this.edges) {
      const a = this.layout.layers[e.layer], b = this.layout.layers[e.layer + 1];
      const paths = [];
      for (let q = 0; q < e.w.length; q++) {
        const t = Math.min(1, Math.abs(e.w[q]) / (e.scale || 1));
        const k = (e.w[q] < 0 ? BUCKETS : 0) + Math.min(BUCKETS - 1, Math.floor(t * BUCKETS));
        const p = paths[k] || (paths[k] = new Path2D());
        p.moveTo(a.pos[2 * e.from[q]], a.pos[2 * e.from[q] + 1]);
        p.lineTo(b.pos[2 * e.to[q]], b.pos[2 * e.to[q] + 1]);
      }
      for (let s = 0; s < BUCKETS; s++) {
        const t = (s + 0.5) / BUCKETS;
        for (const [k, c] of [[s, pal.positive], [BUCKETS + s, pal.negative]]) {
          if (!paths[k]) continue;
          ctx.strokeStyle = css(c, e.faint ? 0.05 + 0.12 * t : 0.15 + 0.8 * t);
          ctx.lineWidth = e.faint ? 0.6 : 0.5 + 3.5 * t * t;
          ctx.stroke(paths[k]);
        }
      }
    }
  }

  /** The colour of unit i of layer l in this phase. */
  _unitColour(l, i, pal, scale) {
    const { exp } = this.data;
    const layer = exp.layers[l] || {};
    if (this.phase === 'backward' && l > 0) return diverging(layer.delta ? layer.delta[i] : 0, scale, pal);
    if (this.phase === 'update' && l > 0) return pal.neutral;
    return sequential(layer.a ? layer.a[i] : 0, pal);
  }

  _drawLayer(ctx, layer, l, pal) {
    const { exp } = this.data;
    const L = this.layout.layers.length;
    const fade = (this.phase === 'cost' && l > 0 && l < L - 1) || (this.phase === 'update') || (this.phase === 'backward' && l === 0);
    const delta = exp.layers[l]?.delta;
    const scale = delta ? Math.max(...delta.map(Math.abs)) || 1 : 1;
    ctx.globalAlpha = fade ? 0.35 : 1;
    ctx.lineWidth = 1;
    ctx.strokeStyle = css(pal.ink, 0.45);
    if (layer.kind === 'image') {
      drawPixelLayer(ctx, layer, exp.layers[0]?.a || [], pal);
    } else {
      const r = layer.size / 2;
      for (let i = 0; i < layer.n; i++) {
        const x = layer.pos[2 * i], y = layer.pos[2 * i + 1];
        ctx.fillStyle = css(this._unitColour(l, i, pal, scale));
        ctx.beginPath();
        if (layer.kind === 'column') ctx.arc(x, y, r, 0, 2 * Math.PI);
        else ctx.rect(x - r + 0.5, y - r + 0.5, 2 * r - 1, 2 * r - 1);
        ctx.fill();
        if (layer.kind === 'column' || r > 3) ctx.stroke();
      }
    }
    ctx.globalAlpha = 1;
    this._caption(ctx, layer, l, pal, scale);
  }

  _caption(ctx, layer, l, pal, scale) {
    const L = this.layout.layers.length;
    const n = l + 1;
    const shape = this.data.structure.imageShape;
    const size = l === 0 && layer.kind === 'image' ? `${shape[0]}×${shape[1]}` : `${layer.n}`;
    let text = l === 0 ? `x = a(1), ${size}` : `a(${n}), ${layer.n} units`;
    if (this.phase === 'backward' && l > 0) text = `δ(${n})  |δ| ≤ ${fmt(scale, 3)}`;
    if (this.phase === 'update') text = l < L - 1 && this.edges?.[l] ? `Θ(${n}): ±${fmt(this.edges[l].scale, 2)}` : '';
    ctx.fillStyle = css(pal.ink, 0.8);
    ctx.font = `${this._px(14)}px system-ui, sans-serif`;
    ctx.textAlign = 'center';
    ctx.textBaseline = 'bottom';
    const x = this.phase === 'update' && l < L - 1 ? (layer.x + layer.w / 2 + this.layout.layers[l + 1].x) / 2 + 10 : layer.x + layer.w / 2;
    this._text(ctx, text, x, this.height - 2);
  }

  /** The numbers beside the output units. */
  _drawOutputs(ctx, pal) {
    const { exp, structure } = this.data;
    const layer = this.layout.layers[this.layout.layers.length - 1];
    if (layer.kind !== 'column') return;
    const out = exp.layers[exp.layers.length - 1];
    const names = structure.classNames || [];
    const x0 = layer.x + layer.w + 8;
    const font = Math.max(12, Math.min(15, layer.size * 0.9));
    ctx.textBaseline = 'middle';
    const cols = this._outputColumns(out);
    const head = this._px(Math.min(13, font));
    ctx.font = `600 ${head}px system-ui, sans-serif`;
    ctx.fillStyle = css(pal.ink, 0.7);
    ctx.textAlign = 'left';
    const W = Math.round(64 * this._px(font) / font); // the columns widen with presenter mode's type
    // above the first row's unit and its number, whichever is taller (presenter type is)
    const headY = layer.pos[1] - Math.max(layer.size, this._px(font)) / 2 - head / 2 - 4;
    cols.forEach((c, j) => this._text(ctx, c.head, x0 + 30 + j * W, headY));
    for (let i = 0; i < layer.n; i++) {
      const y = layer.pos[2 * i + 1];
      const isTarget = exp.target[i] === 1;
      ctx.font = `${isTarget ? '700 ' : ''}${this._px(font)}px system-ui, sans-serif`;
      ctx.fillStyle = css(pal.ink);
      ctx.textAlign = 'left';
      this._text(ctx, names[i] ?? String(i), x0, y);
      cols.forEach((c, j) => {
        const v = c.values[i];
        const right = x0 + 22 + (j + 1) * W - 6;
        if (c.colour) { // a swatch of the unit's colour; the number stays ink, legible on a projector
          ctx.fillStyle = css(c.colour(v));
          ctx.fillRect(right - W + 12, y - 5, 10, 10);
        }
        ctx.fillStyle = css(pal.ink, 0.9);
        ctx.textAlign = 'right';
        this._text(ctx, c.format(v), right, y);
      });
      if (isTarget && this.phase !== 'update') {
        ctx.strokeStyle = css(pal.positive);
        ctx.lineWidth = 2.5;
        ctx.beginPath();
        ctx.arc(layer.pos[2 * i], y, layer.size / 2 + 3, 0, 2 * Math.PI);
        ctx.stroke();
      }
    }
  }

  _outputColumns(out) {
    const { exp } = this.data;
    const pal = THEMES[themeName()];
    const a = { head: 'a', values: out.a, format: (v) => fmt(v, 2) };
    if (this.phase === 'forward') return [a, { head: 'z', values: out.z || [], format: (v) => fmt(v, 2) }];
    if (this.phase === 'cost') {
      const cols = [a, { head: 'y', values: exp.target, format: (v) => String(v) }];
      if (exp.cost.perUnit) cols.push({ head: 'cost', values: exp.cost.perUnit, format: (v) => fmt(v, 3) });
      return cols;
    }
    if (this.phase === 'backward') {
      const scale = Math.max(...(out.delta || [1]).map(Math.abs)) || 1;
      return [a, { head: 'δ = a − y', values: out.delta || [], format: (v) => fmt(v, 2), colour: (v) => diverging(v, scale, pal) }];
    }
    return [];
  }

  /** The legend band's sentences for this phase: ``[text, alpha]``, the first in full ink. */
  _bandSentences(exp) {
    const phase = this.phase;
    if (phase === 'forward') return [['units: activation a = g(z), 0 → 1; edges: weights Θ (blue +, orange −)', 1]];
    if (phase === 'cost') {
      return [[`J = ${fmt(exp.cost.data, 4)} (data) + ${fmt(exp.cost.regularization, 4)} (λ/2m·Σθ²) = ${fmt(exp.cost.total, 4)}`, 1],
        ['J: all m training samples · cost column: this sample, per output unit · ring: y = 1', 0.7]];
    }
    if (phase === 'backward') return [['units: error δ (orange −, blue +), each layer on its own scale (under it)', 1]];
    const what = { sample: 'edges: ∂J/∂θ of this sample', full: 'edges: ∂J/∂θ over the whole training set', update: 'edges: the optimizer’s change Δθ since the previous iteration' }[this.data.edgeSource || 'full'];
    const more = this.edges ? 'the strongest of each matrix; each matrix on its own scale (under it)'
      : this.data.edgeSource === 'update' ? 'no change yet: the first iteration has no previous one' : 'waiting for the gradients…';
    return [[what, 1], [more, 0.7]];
  }

  /**
   * The band's sentences wrapped, at word boundaries, to the width right of the colour
   * bar: ``[{text, alpha}]`` with its ``font`` and ``lineHeight``.
   */
  _bandLines(ctx, exp) {
    const px = this._px(14);
    ctx.font = `${px}px system-ui, sans-serif`;
    const room = Math.max(120, this.width - BAND_TEXT_X - 8);
    const lines = [];
    for (const [text, alpha] of this._bandSentences(exp)) {
      let line = '';
      for (const word of text.split(' ')) {
        const next = line ? `${line} ${word}` : word;
        if (line && ctx.measureText(next).width > room) { lines.push({ text: line, alpha }); line = word; } else line = next;
      }
      lines.push({ text: line, alpha });
    }
    return Object.assign(lines, { font: ctx.font, lineHeight: Math.round(px * 1.45) });
  }

  /** The legend band: what the colours mean in this phase (the cost in the Cost phase). */
  _drawBand(ctx, pal, lines) {
    const y = 16;
    if (this.phase === 'forward' || this.phase === 'cost') this._sequentialBar(ctx, pal, 8, y);
    else this._divergingBar(ctx, pal, 8, y);
    ctx.textBaseline = 'middle';
    ctx.textAlign = 'left';
    ctx.font = lines.font;
    lines.forEach((line, k) => {
      ctx.fillStyle = css(pal.ink, line.alpha);
      this._text(ctx, line.text, BAND_TEXT_X, y + k * lines.lineHeight);
    });
  }

  _sequentialBar(ctx, pal, x, y) {
    this._colourBar(ctx, pal, x, y, (t) => sequential(t, pal), ['0', x + 2], ['1', x + 140]);
  }

  _divergingBar(ctx, pal, x, y) {
    this._colourBar(ctx, pal, x, y, (t) => diverging(t * 2 - 1, 1, pal), ['−', x + 4], ['+', x + 140]);
    ctx.textAlign = 'center';
    this._text(ctx, '0', x + 76, y + 16);
  }

  /** A 121 px colour scale at (x, y): ``colourAt(t)`` for t in [0, 1], a label at each end. */
  _colourBar(ctx, pal, x, y, colourAt, [low, lowX], [high, highX]) {
    for (let i = 0; i < 100; i++) {
      ctx.fillStyle = css(colourAt(i / 99));
      ctx.fillRect(x + 16 + i * 1.2, y - 7, 1.3, 14);
    }
    ctx.strokeStyle = css(pal.ink, 0.4);
    ctx.strokeRect(x + 15.5, y - 7.5, 121, 15);
    ctx.font = '13px system-ui, sans-serif';
    ctx.fillStyle = css(pal.ink);
    ctx.textAlign = 'left';
    this._text(ctx, low, lowX, y);
    this._text(ctx, high, highX, y);
  }
}
