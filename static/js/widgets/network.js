/**
 * The network diagram: layers as columns of units coloured by activation for
 * the selected input, edges coloured by the sign of the weight and weighted by
 * its size. Big layers are summarised (see netlayout.js).
 * @module widgets/network
 */
import { layoutNetwork, topEdges, edgeBudget, hitUnit } from '../netlayout.js';
import { THEMES, sequential, css } from '../colors.js';
import { fitCanvas, themeName } from './canvas.js';

const LABEL_WIDTH = 112; // room on the right for the class labels
const MIN_FONT = 11;

/** A CSS variable of the page in px (the diagram's type size and height follow presenter mode). */
function cssPx(name, fallback) {
  return parseFloat(getComputedStyle(document.documentElement).getPropertyValue(name)) || fallback;
}

/**
 * The layer captions, on one line or as name over size when one line is wider than
 * a column's slot; the font shrinks (not below MIN_FONT) when even that does not fit.
 * @param {CanvasRenderingContext2D} ctx @param {string[][]} parts per layer [name, size]
 * @param {number} slot width per layer @param {number} font px
 * @returns {{lines: string[][], font: number}}
 */
export function fitCaptions(ctx, parts, slot, font) {
  const widest = (lines, f) => {
    ctx.font = `${f}px system-ui, sans-serif`;
    return Math.max(...lines.flat().map((t) => ctx.measureText(t).width));
  };
  const one = parts.map((p) => [p.join(' ')]);
  if (widest(one, font) <= slot - 10) return { lines: one, font };
  let f = font;
  while (f > MIN_FONT && widest(parts, f) > slot - 10) f -= 1;
  return { lines: parts, font: f };
}

/**
 * An image input layer as its pixel grid: one rect per pixel with a value above 0.02
 * (cheaper than scaling a bitmap with drawImage), on the neutral colour, framed.
 * @param {CanvasRenderingContext2D} ctx @param {object} layer a netlayout image layer
 * @param {ArrayLike<number>|null} values in [0, 1], one per pixel (none: the frame only)
 * @param {object} pal the theme's palette
 */
export function drawPixelLayer(ctx, layer, values, pal) {
  ctx.fillStyle = css(pal.neutral);
  ctx.fillRect(layer.x, layer.y, layer.w, layer.h);
  const cols = layer.gridCols, s = layer.size;
  for (let i = 0; values && i < layer.n; i++) {
    if (!(values[i] > 0.02)) continue;
    ctx.fillStyle = css(sequential(values[i], pal));
    ctx.fillRect(layer.x + (i % cols) * s, layer.y + Math.floor(i / cols) * s, s + 0.5, s + 0.5);
  }
  ctx.strokeRect(layer.x - 0.5, layer.y - 0.5, layer.w + 1, layer.h + 1);
}

/** Units coloured by activation and the strongest weights as edges, on two stacked canvases. */
export class NetworkDiagram {
  /**
   * @param {HTMLElement} container holds a <canvas>
   * @param {{height?: number, edgeBudget?: number, caption?: HTMLElement, inputLabel?: HTMLElement}} [options]
   *   caption: where the edge summary is written; inputLabel: where the diagram says which input it shows
   */
  constructor(container, options = {}) {
    this.container = container;
    this.options = { height: 360, edgeBudget: 320, ...options };
    // Two stacked canvases: edges change only with the weights (every 250 ms at
    // most), units with every iteration, so each redraws only when it must
    // (blitting one canvas into another costs more than drawing either).
    this.edgeCanvas = container.querySelector('canvas.net-edges');
    this.canvas = container.querySelector('canvas.net-units');
    this.caption = this.options.caption || container.querySelector('[data-role=caption]');
    this.inputLabelEl = this.options.inputLabel || null;
    this.edgeKey = null;
    this.width = container.clientWidth || 600;
    this.tip = container.appendChild(document.createElement('div'));
    this.tip.className = 'net-tip';
    this.tip.hidden = true;
    this.canvas.addEventListener('pointermove', (e) => this._hover(e));
    this.canvas.addEventListener('pointerleave', () => { this.tip.hidden = true; });
    this.reset();
    // the width comes from the observer, so draw() never forces a layout mid-frame
    new ResizeObserver((entries) => {
      const w = Math.round(entries[entries.length - 1].contentRect.width);
      if (w > 0 && w !== this.width) { this.width = w; this.draw(); }
    }).observe(container);
  }

  /** Forget structure, weights and activations. */
  /** Write the caption under the diagram. @param {string} text */
  setCaption(text) {
    if (this.caption) this.caption.textContent = text;
  }

  /** Say which input the units show ('' for none). @param {string} text */
  setInputLabel(text) {
    if (this.inputLabelEl) this.inputLabelEl.textContent = text;
  }

  /** What the input label says now. */
  get inputLabel() {
    return this.inputLabelEl?.textContent ?? '';
  }

  reset() {
    this.structure = null;
    this.edges = null;
    this.activations = null;
    this.probabilities = null;
    this.draw();
  }

  /** Keep the layers and the input, forget weights and the other activations (a new run of the same shape). */
  clear() {
    this.edges = null;
    this.activations = this.activations ? [this.activations[0]] : null;
    this.probabilities = null;
    this.draw();
  }

  /**
   * Set the layers to draw.
   * @param {{layerSizes: number[], imageShape: number[]|null, classNames: string[]}} s
   */
  setStructure(s) {
    this.structure = s;
    this.edges = null;
    this.activations = null;
    this.probabilities = null;
  }

  /**
   * Update any of weights / activations and redraw.
   * @param {object} data
   * @param {{rows: number, cols: number, data: Float32Array}[]} [data.thetas]
   * @param {ArrayLike<number>[]} [data.activations] per layer, input first (input may be null)
   * @param {ArrayLike<number>} [data.probabilities] softmax-free output shown next to the classes
   */
  update(data) {
    if (!this.structure) return;
    if (data.thetas) {
      this.edges = data.thetas.map((t, l) => topEdges(t, edgeBudget(t.rows - 1, t.cols, this.options.edgeBudget)));
    }
    if (data.activations) this.activations = data.activations;
    if (data.probabilities !== undefined) this.probabilities = data.probabilities;
    this.draw();
  }

  /** Redraw everything (called once per animation frame at most by main.js). */
  draw() {
    const width = this.width;
    const height = cssPx('--diagram-height', this.options.height);
    const ctx = fitCanvas(this.canvas, width, height);
    if (this.container.style.height !== `${height}px`) this.container.style.height = `${height}px`;
    const pal = THEMES[themeName()];
    ctx.clearRect(0, 0, width, height);
    if (!this.structure) {
      fitCanvas(this.edgeCanvas, width, height).clearRect(0, 0, width, height);
      this.edgeKey = null;
      ctx.fillStyle = css(pal.ink, 0.6);
      ctx.font = '16px system-ui, sans-serif';
      ctx.textAlign = 'center';
      ctx.fillText('Press Train to build the network', width / 2, height / 2);
      return;
    }
    const { layerSizes, imageShape, classNames } = this.structure;
    this.font = cssPx('--diagram-font', 15);
    this.labelBoxes = [];
    const L = layerSizes.length;
    const captions = fitCaptions(ctx, this._captionParts(), (width - 24 - LABEL_WIDTH) / L, this.font);
    const captionHeight = captions.lines[0].length * Math.round(captions.font * 1.2) + 4;
    const layout = layoutNetwork(layerSizes, { width, height, imageShape, labelWidth: LABEL_WIDTH, captionHeight });
    this.layout = layout;
    const key = [this.edges, width, height, themeName()];
    if (!this.edgeKey || key.some((k, i) => k !== this.edgeKey[i])) {
      const ectx = fitCanvas(this.edgeCanvas, width, height);
      ectx.clearRect(0, 0, width, height);
      this._drawEdges(ectx, layout, pal);
      this.edgeKey = key;
    }
    layout.layers.forEach((layer, l) => this._drawLayer(ctx, layer, l, pal));
    this._drawOutputLabels(ctx, layout.layers[layout.layers.length - 1], classNames || [], pal);
    this._drawCaptions(ctx, layout, pal, height, captions);
    this._publishLabels();
  }

  /** The drawn labels' boxes and smallest type size, on the container for tests and tools. */
  _publishLabels() {
    const fonts = this.labelBoxes.map((b) => b.font);
    this.container.dataset.labelFont = String(fonts.length ? Math.min(...fonts) : this.font);
    this.container.dataset.labelBoxes = JSON.stringify(this.labelBoxes.map(({ text, x, y, w, h }) => ({ text, x: Math.round(x), y: Math.round(y), w: Math.round(w), h: Math.round(h) })));
  }

  /** Draw a label and keep its box. @param {'left'|'right'|'center'} align @param {'middle'|'bottom'} baseline */
  _label(ctx, text, x, y, font, align, baseline) {
    ctx.textAlign = align;
    ctx.textBaseline = baseline;
    ctx.fillText(text, x, y);
    const w = ctx.measureText(text).width, h = font * 1.15;
    const left = align === 'left' ? x : align === 'right' ? x - w : x - w / 2;
    const top = baseline === 'middle' ? y - h / 2 : y - h;
    this.labelBoxes.push({ text, x: left, y: top, w, h, font });
  }

  _drawEdges(ctx, layout, pal) {
    if (!this.edges) return;
    let shown = 0, total = 0;
    ctx.lineCap = 'round';
    // Edges are bucketed by sign and strength so the whole diagram is ~2×BUCKETS
    // strokes rather than one per edge: 20× faster on a software canvas.
    const BUCKETS = 8;
    this.edges.forEach((e, l) => {
      const a = layout.layers[l], b = layout.layers[l + 1];
      total += a.n * b.n;
      shown += e.w.length;
      const maxAbs = e.maxAbs || 1;
      const paths = [];
      for (let q = 0; q < e.w.length; q++) {
        const t = Math.abs(e.w[q]) / maxAbs;
        const k = (e.w[q] < 0 ? BUCKETS : 0) + Math.min(BUCKETS - 1, Math.floor(t * BUCKETS));
        const p = paths[k] || (paths[k] = new Path2D());
        p.moveTo(a.pos[2 * e.from[q]], a.pos[2 * e.from[q] + 1]);
        p.lineTo(b.pos[2 * e.to[q]], b.pos[2 * e.to[q] + 1]);
      }
      for (let s = 0; s < BUCKETS; s++) { // weakest first: strong edges end on top
        const t = (s + 0.5) / BUCKETS;
        for (const [k, c] of [[s, pal.positive], [BUCKETS + s, pal.negative]]) {
          if (!paths[k]) continue;
          ctx.strokeStyle = css(c, 0.18 + 0.72 * t);
          ctx.lineWidth = 0.4 + 3.2 * t * t;
          ctx.stroke(paths[k]);
        }
      }
    });
    if (this.caption) {
      this.caption.textContent = shown < total
        ? `Edges: the ${shown.toLocaleString()} strongest of ${total.toLocaleString()} weights (blue +, orange −, thicker = larger).`
        : `Edges: all ${total.toLocaleString()} weights (blue +, orange −, thicker = larger).`;
    }
  }

  _hover(e) {
    if (!this.layout) return;
    const r = this.canvas.getBoundingClientRect();
    const x = e.clientX - r.left, y = e.clientY - r.top;
    const L = this.layout.layers.length;
    for (let l = 0; l < L; l++) {
      const i = hitUnit(this.layout.layers[l], x, y);
      if (i < 0) continue;
      const act = this._act(l);
      const names = this.structure.classNames || [];
      const layer = this.layout.layers[l];
      const what = l === 0 ? (layer.kind === 'image' ? `input pixel (row ${Math.floor(i / layer.gridCols) + 1}, column ${(i % layer.gridCols) + 1})` : `input x${i + 1}`) : l === L - 1 ? `output “${names[i] ?? i}”` : `hidden layer ${l}, unit ${i + 1}`;
      this.tip.textContent = act ? `${what}: activation ${Number(act[i]).toFixed(3)}` : what;
      this.tip.style.left = `${Math.min(x + 12, this.width - 220)}px`;
      this.tip.style.top = `${y + 12}px`;
      this.tip.hidden = false;
      return;
    }
    this.tip.hidden = true;
  }

  _act(l) {
    const a = this.activations && this.activations[l];
    return a && a.length ? a : null;
  }

  _drawLayer(ctx, layer, l, pal) {
    const act = this._act(l);
    ctx.lineWidth = 1;
    ctx.strokeStyle = css(pal.ink, 0.45);
    if (layer.kind === 'image') {
      drawPixelLayer(ctx, layer, act, pal);
      return;
    }
    const r = layer.size / 2;
    for (let i = 0; i < layer.n; i++) {
      const x = layer.pos[2 * i], y = layer.pos[2 * i + 1];
      ctx.fillStyle = css(act ? sequential(act[i], pal) : pal.neutral);
      ctx.beginPath();
      if (layer.kind === 'column') ctx.arc(x, y, r, 0, 2 * Math.PI);
      else ctx.rect(x - r + 0.5, y - r + 0.5, 2 * r - 1, 2 * r - 1);
      ctx.fill();
      if (layer.kind === 'column' || r > 3) ctx.stroke();
    }
    // 2-D toy inputs: name the coordinates
    if (l === 0 && layer.kind === 'column' && layer.n <= 3) {
      ctx.fillStyle = css(pal.ink);
      ctx.font = `${this.font}px system-ui, sans-serif`;
      for (let i = 0; i < layer.n; i++) this._label(ctx, `x${'₁₂₃'[i]}`, layer.pos[2 * i] - r - 6, layer.pos[2 * i + 1], this.font, 'right', 'middle');
    }
  }

  _drawOutputLabels(ctx, layer, classNames, pal) {
    const probs = this.probabilities || this._act(this.structure.layerSizes.length - 1);
    let best = -1;
    if (probs) for (let i = 0; i < probs.length; i++) if (best < 0 || probs[i] > probs[best]) best = i;
    // as large as the page's diagram type, unless the outputs stand closer than that
    const spacing = layer.n > 1 ? layer.pos[3] - layer.pos[1] : 2 * this.font;
    const fontSize = Math.round(Math.max(MIN_FONT, Math.min(this.font + 1, spacing * 0.85)));
    const right = layer.x + layer.w + 8;
    for (let i = 0; i < layer.n; i++) {
      const y = layer.pos[2 * i + 1];
      const x = layer.kind === 'column' ? right : layer.pos[2 * i] + layer.size / 2 + 4;
      if (layer.kind !== 'column' && layer.n > 12) break; // a grid of outputs: labels would overlap
      const name = classNames[i] ?? String(i);
      ctx.font = `${i === best ? '700 ' : ''}${fontSize}px system-ui, sans-serif`;
      ctx.fillStyle = css(pal.ink, i === best ? 1 : 0.75);
      this._label(ctx, probs ? `${name}  ${probs[i].toFixed(2)}` : name, x, y, fontSize, 'left', 'middle');
    }
  }

  /** Each layer's caption as [name, size]. */
  _captionParts() {
    const { layerSizes, imageShape } = this.structure;
    const L = layerSizes.length;
    return layerSizes.map((n, l) => (l === 0 ? ['input', imageShape && imageShape[0] * imageShape[1] === n ? `${imageShape[0]}×${imageShape[1]}` : `${n}`]
      : l === L - 1 ? ['output', `${n}`] : ['hidden', `${n}`]));
  }

  _drawCaptions(ctx, layout, pal, height, { lines, font }) {
    ctx.fillStyle = css(pal.ink, 0.85);
    ctx.font = `${font}px system-ui, sans-serif`;
    const lineHeight = Math.round(font * 1.2);
    layout.layers.forEach((layer, l) => {
      const rows = lines[l];
      rows.forEach((text, k) => this._label(ctx, text, layer.x + layer.w / 2, height - 2 - (rows.length - 1 - k) * lineHeight, font, 'center', 'bottom'));
    });
  }

  /** Whether anything but the background is drawn (for tests and debugging). @returns {boolean} */
  get hasEdges() {
    return !!this.edges;
  }
}
