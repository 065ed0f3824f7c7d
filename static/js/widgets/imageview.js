/**
 * One grayscale image at data resolution, scaled up pixelated by CSS
 * (the preprocessed drawing "as the network sees it").
 * @module widgets/imageview
 */
import { THEMES } from '../colors.js';
import { fillGray } from '../images.js';
import { dataCanvas, themeName } from './canvas.js';

/** A single grayscale image, e.g. the preprocessed drawing. */
export class ImageView {
  /** @param {HTMLElement} container holds a <canvas> */
  constructor(container) {
    this.container = container;
    this.canvas = container.querySelector('canvas');
    this.reset();
  }

  /** Blank the image. */
  reset() {
    this.values = null;
    const ctx = dataCanvas(this.canvas, 1, 1);
    ctx.clearRect(0, 0, 1, 1);
    this.container.classList.add('is-empty');
  }

  /** @param {{image: number[], shape: number[]}} data row-major values in [0, 1] */
  update({ image, shape }) {
    const [rows, cols] = shape;
    this.values = image;
    const ctx = dataCanvas(this.canvas, cols, rows);
    const img = ctx.createImageData(cols, rows);
    fillGray(img.data, image, THEMES[themeName()]);
    ctx.putImageData(img, 0, 0);
    this.container.classList.remove('is-empty');
  }
}
