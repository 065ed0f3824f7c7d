/**
 * A map per unit for 2-D data (as TensorFlow Playground draws them): every
 * hidden and output unit of the network diagram shows its own activation over the
 * plane, in a small canvas laid over the unit. The output's map is the decision
 * boundary. Drawn at data resolution and scaled by CSS; canvases are reused.
 * Clicking a hidden unit's map hands it to `onSelect` (shown large elsewhere).
 * @module widgets/unitmaps
 */
import { THEMES } from '../colors.js';
import { planeActivationsCached } from '../weights.js';
import { dataCanvas, el, themeName } from './canvas.js';
import { fillPlaneMap } from './planemaps.js';

const GRID = 64;   // the plane's grid, shared with the boundary (computed once per weights)
const STRIDE = 2;  // the small maps take every other cell: 32×32 pixels each

export class UnitMaps {
  /**
   * @param {HTMLElement} container the diagram's box (position: relative); the maps go in a layer over it
   * @param {object} options
   * @param {() => ({layers: import('../netlayout.js').LayerLayout[], width: number, height: number}|null|undefined)} options.layout
   *   where the diagram put its units (NetworkDiagram.layout)
   * @param {(focus: {layer: number, unit: number}|null) => void} [options.onSelect] a hidden unit's map clicked (null: clicked again)
   */
  constructor(container, options) {
    this.options = options;
    this.layer = container.appendChild(el('div', { class: 'unit-maps' }));
    this.canvases = []; // reused across runs; extra ones hidden
    this.img = null;
    this.placed = '';
    this.selected = null;
  }

  /** Hide every map (a new run, a reset, an image data set). */
  reset() {
    for (const c of this.canvases) c.hidden = true;
    this.placed = '';
  }

  /**
   * Draw every unit's map for these weights.
   * @param {{thetas: {rows: number, cols: number, data: Float32Array}[], activation?: string, layers?: Float32Array[][]}} data
   *   layers: the plane's maps already computed (plane.js) on a 64×64 grid
   */
  update({ thetas, layers, activation = 'logistic' }) {
    if (!thetas || thetas[0].rows !== 3) { this.reset(); return; }
    const layout = this.options.layout();
    const sizes = [2, ...thetas.map((t) => t.cols)];
    if (!layout || layout.layers.length !== sizes.length || layout.layers.some((l, i) => l.n !== sizes[i])) return; // drawn next time
    this._place(layout);
    const planes = layers || planeActivationsCached(thetas, GRID, activation);
    const side = GRID / STRIDE;
    const palette = THEMES[themeName()];
    let k = 0;
    for (let l = 1; l < planes.length; l++) {
      const kind = l === planes.length - 1 ? 'output' : 'hidden';
      planes[l].forEach((values, unit) => {
        const ctx = dataCanvas(this.canvases[k++], side, side);
        if (!this.img) this.img = ctx.createImageData(side, side);
        fillPlaneMap(this.img.data, values, { gridSize: GRID, stride: STRIDE, kind, unit, nUnits: planes[l].length, activation, palette });
        ctx.putImageData(this.img, 0, 0);
      });
    }
  }

  /** Put one canvas over each non-input unit (only when the layout changed). */
  _place(layout) {
    const key = `${layout.width}x${layout.height}:${layout.layers.map((l) => `${l.n}@${l.x.toFixed(1)},${l.size.toFixed(1)}`).join(' ')}`;
    if (key === this.placed) return;
    this.placed = key;
    let k = 0;
    layout.layers.forEach((layer, l) => {
      if (l === 0) return;
      const output = l === layout.layers.length - 1;
      // as big as the gap between units allows, at least the unit itself
      let s = Math.max(layer.size, Math.min(48, (layer.kind === 'column' ? layer.h / layer.n : layer.size) * 0.92));
      if (output) s = Math.min(s, layer.size + 12); // clear of the class labels on its right
      for (let i = 0; i < layer.n; i++, k++) {
        const c = this.canvases[k] || this._make();
        Object.assign(c.dataset, { layer: String(l), unit: String(i), kind: output ? 'output' : 'hidden' });
        c.style.left = `${layer.pos[2 * i] - s / 2}px`;
        c.style.top = `${layer.pos[2 * i + 1] - s / 2}px`;
        c.style.width = c.style.height = `${s}px`;
        c.title = output ? `output unit ${i + 1}: its map is the decision boundary` : `hidden layer ${l}, unit ${i + 1}: click to see it large`;
        c.classList.toggle('selected', !!this.selected && this.selected.layer === l && this.selected.unit === i);
        c.hidden = false;
      }
    });
    for (; k < this.canvases.length; k++) this.canvases[k].hidden = true;
  }

  _make() {
    const c = el('canvas', { class: 'unit-map', role: 'img' });
    c.addEventListener('click', () => {
      const focus = c.dataset.kind === 'hidden' ? { layer: Number(c.dataset.layer), unit: Number(c.dataset.unit) } : null;
      const same = focus && this.selected && focus.layer === this.selected.layer && focus.unit === this.selected.unit;
      this.selected = same ? null : focus;
      for (const x of this.canvases) x.classList.toggle('selected', !!this.selected && x === c);
      this.options.onSelect?.(this.selected);
    });
    this.canvases.push(c);
    this.layer.append(c);
    return c;
  }
}
