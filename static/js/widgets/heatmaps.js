/**
 * Weight heatmaps: one canvas per weight matrix at data resolution (one pixel
 * per weight, CSS scales it up pixelated), a diverging colour scale and a legend.
 * @module widgets/heatmaps
 */
import { THEMES, robustMaxAbs, legendTicks, divergingLUT, lutIndex, css } from '../colors.js';
import { dataCanvas, el, themeName } from './canvas.js';

const LUT_SIZE = 257; // odd: 0 maps exactly to the neutral middle entry

/**
 * Draw a horizontal diverging legend with ticks into `box`: a CSS gradient (the
 * scale is linear through the neutral colour, so three stops are exact).
 * @param {HTMLElement} box @param {number} maxAbs @param {object} palette
 */
export function drawLegend(box, maxAbs, palette) {
  let bar = box.querySelector('.legend-bar');
  if (!bar) {
    bar = el('div', { 'aria-hidden': 'true', class: 'legend-bar' });
    box.append(bar, el('div', { class: 'legend-ticks' }));
  }
  const gradient = `linear-gradient(to right, ${css(palette.negative)}, ${css(palette.neutral)}, ${css(palette.positive)})`;
  if (bar.style.background !== gradient) bar.style.background = gradient;
  box.setAttribute('aria-label', `colour scale from ${-maxAbs.toPrecision(2)} (orange) through 0 to ${maxAbs.toPrecision(2)} (blue)`);
  const ticks = box.querySelector('.legend-ticks');
  const labels = legendTicks(maxAbs).map((t) => t.label);
  if (ticks.dataset.labels !== labels.join('|')) {
    ticks.replaceChildren(...labels.map((t) => el('span', { text: t })));
    ticks.dataset.labels = labels.join('|');
  }
}

/** A heatmap per weight matrix. */
export class WeightHeatmaps {
  /** @param {HTMLElement} container @param {{transpose?: boolean}} [options] */
  constructor(container, options = {}) {
    this.container = container;
    this.options = { transpose: true, ...options };
    this.items = [];
    this.thetas = null;
    this.placeholder = el('p', { class: 'empty', text: 'Weights appear here once training starts.' });
    this.figures = el('div', { class: 'heatmap-list' });
    container.replaceChildren(this.placeholder, this.figures);
    this.reset();
  }

  /** Hide the maps until new weights arrive (the canvases are kept for the next run). */
  reset() {
    this.thetas = null;
    this.figures.hidden = true;
    this.placeholder.hidden = false;
  }

  /**
   * Build the figures for a network's weight shapes before training (canvas and
   * context creation cost tens of ms: not something to do in a training frame).
   * @param {number[]} layerSizes e.g. [400, 25, 10]
   */
  setStructure(layerSizes) {
    this._ensure(layerSizes.slice(0, -1).map((n, l) => ({ rows: n + 1, cols: layerSizes[l + 1] })));
    for (const it of this.items) {
      dataCanvas(it.canvas, this.options.transpose ? it.rows : it.cols, this.options.transpose ? it.cols : it.rows);
      it.canvas.style.height = `${Math.max(40, Math.min(160, (this.options.transpose ? it.cols : it.rows) * 6))}px`;
    }
  }

  _ensure(thetas) {
    if (this.items.length === thetas.length && this.items.every((it, l) => it.rows === thetas[l].rows && it.cols === thetas[l].cols)) return;
    this.figures.replaceChildren();
    this.items = thetas.map((t, l) => {
      const canvas = el('canvas', { class: 'heatmap', role: 'img',
        'aria-label': `Θ${l + 1}: weights from layer ${l + 1} (${t.rows - 1} units + bias) to layer ${l + 2} (${t.cols} units)` });
      const legend = el('div', { class: 'legend' });
      const readout = el('span', { class: 'heat-readout', 'aria-live': 'off' });
      const fig = el('figure', { class: 'heatmap-figure' }, [
        el('figcaption', {}, [`Θ${l + 1}  ${t.cols} × ${t.rows} (to × from, bias first column) `, readout]), canvas, legend,
      ]);
      this.figures.append(fig);
      dataCanvas(canvas, 1, 1); // create the context now
      canvas.addEventListener('pointermove', (e) => this._hover(l, e));
      canvas.addEventListener('pointerleave', () => { readout.textContent = ''; });
      return { rows: t.rows, cols: t.cols, canvas, legend, readout, img: null };
    });
  }

  _hover(l, e) {
    const it = this.items[l], t = this.thetas && this.thetas[l];
    if (!it || !t) return;
    const r = it.canvas.getBoundingClientRect();
    const W = it.canvas.width, H = it.canvas.height;
    const c = it.canvas; // content box: the border is not part of the map
    const x = Math.max(0, Math.min(W - 1, Math.floor(((e.clientX - r.left - c.clientLeft) / c.clientWidth) * W)));
    const y = Math.max(0, Math.min(H - 1, Math.floor(((e.clientY - r.top - c.clientTop) / c.clientHeight) * H)));
    const [i, j] = this.options.transpose ? [x, y] : [y, x]; // i: from (0 = bias), j: to
    const from = i === 0 ? 'bias' : `unit ${i}`;
    it.readout.textContent = `· to unit ${j + 1} from ${from}: ${t.data[i * t.cols + j].toFixed(3)}`;
  }

  /**
   * Redraw from the latest weights.
   * @param {{thetas: {rows: number, cols: number, data: Float32Array}[]}} data
   */
  update({ thetas }) {
    if (!thetas || !thetas.length) return;
    this._ensure(thetas);
    this.thetas = thetas;
    this.figures.hidden = false;
    this.placeholder.hidden = true;
    const pal = THEMES[themeName()];
    const lut = divergingLUT(pal, LUT_SIZE);
    thetas.forEach((t, l) => {
      const it = this.items[l];
      const maxAbs = robustMaxAbs(t.data, 0.99);
      // transposed: one row per output unit, one column per input (bias first)
      const W = this.options.transpose ? t.rows : t.cols, H = this.options.transpose ? t.cols : t.rows;
      const ctx = dataCanvas(it.canvas, W, H);
      if (!it.img || it.img.width !== W || it.img.height !== H) it.img = ctx.createImageData(W, H);
      const px = it.img.data;
      for (let i = 0; i < t.rows; i++) {
        for (let j = 0; j < t.cols; j++) {
          const k = 3 * lutIndex(t.data[i * t.cols + j], maxAbs, LUT_SIZE);
          const p = 4 * (this.options.transpose ? j * W + i : i * W + j);
          px[p] = lut[k]; px[p + 1] = lut[k + 1]; px[p + 2] = lut[k + 2]; px[p + 3] = 255;
        }
      }
      ctx.putImageData(it.img, 0, 0);
      drawLegend(it.legend, maxAbs, pal);
    });
  }
}

