/**
 * The first hidden layer's units drawn as images in the input's shape: what
 * each unit "looks for" (the course's displayData), updated live.
 * @module widgets/hiddenunits
 */
import { THEMES } from '../colors.js';
import { tileGrid, fillUnitTiles } from '../images.js';
import { dataCanvas, showPanel, themeName } from './canvas.js';
import { drawLegend } from './heatmaps.js';

/** Hidden layer 1 as a grid of images, one per unit. */
export class HiddenUnits {
  /** @param {HTMLElement} container holds a <canvas> and an optional .legend @param {{maxUnits?: number}} [options] */
  constructor(container, options = {}) {
    this.container = container;
    this.options = { maxUnits: 512, ...options };
    this.canvas = container.querySelector('canvas');
    this.legend = container.querySelector('.legend');
    this.note = container.querySelector('[data-role=note]');
    this.imageShape = null;
    this.img = null;
    this.reset();
  }

  /** Clear the tiles. */
  /** Show or hide the panel this widget sits in. @param {boolean} visible */
  show(visible) {
    showPanel(this.container, visible);
  }

  reset() {
    this.canvas.hidden = true; // kept at its size: the next run of this shape reuses it
    if (this.note) this.note.textContent = 'Hidden units appear here once training starts (image data sets).';
  }

  /** @param {number[]|null} imageShape input shape, or null for non-image data */
  setImageShape(imageShape) {
    this.imageShape = imageShape;
    this.reset();
    if (!imageShape && this.note) this.note.textContent = 'Hidden units as images need an image data set.';
  }

  /**
   * Size the tile canvas for a network before its first weights arrive.
   * @param {number[]} layerSizes
   */
  setStructure(layerSizes) {
    if (!this.imageShape || layerSizes.length < 3 || layerSizes[0] !== this.imageShape[0] * this.imageShape[1]) return;
    const grid = tileGrid(layerSizes[1], this.imageShape, 1.2);
    dataCanvas(this.canvas, grid.width, grid.height);
  }

  /**
   * Draw from the first weight matrix.
   * @param {{thetas: {rows: number, cols: number, data: Float32Array}[]}} data
   */
  update({ thetas }) {
    if (!this.imageShape || !thetas || thetas.length < 2) {
      if (thetas && thetas.length < 2 && this.note) this.note.textContent = 'No hidden layer: the output units look at the pixels directly.';
      return;
    }
    const t = thetas[0];
    if (t.rows - 1 !== this.imageShape[0] * this.imageShape[1]) return;
    const grid = tileGrid(t.cols, this.imageShape, 1.2);
    const ctx = dataCanvas(this.canvas, grid.width, grid.height);
    if (!this.img || this.img.width !== grid.width || this.img.height !== grid.height) this.img = ctx.createImageData(grid.width, grid.height);
    const pal = THEMES[themeName()];
    fillUnitTiles(this.img.data, t, this.imageShape, grid, pal);
    ctx.putImageData(this.img, 0, 0);
    this.canvas.hidden = false;
    this.canvas.setAttribute('aria-label', `${t.cols} hidden units shown as ${this.imageShape[0]}×${this.imageShape[1]} images of their incoming weights`);
    if (this.note) this.note.textContent = `${t.cols} units of hidden layer 1, each its incoming weights as an image (own scale per unit: blue +, orange −).`;
    if (this.legend) drawLegend(this.legend, 1, pal);
  }
}
