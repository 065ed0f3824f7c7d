/**
 * A strip of small clickable images (the sample strip, the misclassified
 * gallery). Each image is rendered once at data resolution into one shared
 * canvas and shown as an <img> scaled up by CSS: dozens of live canvases would
 * each become a compositor layer and slow every frame while training.
 * @module widgets/gallery
 */
import { THEMES, CLASS_COLORS, css } from '../colors.js';
import { fillGray } from '../images.js';
import { dataCanvas, el, themeName } from './canvas.js';

/**
 * @typedef {object} StripItem
 * @property {number} index        test-set index
 * @property {number[]|null} vector  the sample's features (an image, or 2-D point)
 * @property {string} caption      e.g. "7" or "7 → 1"
 * @property {string} label        accessible name
 * @property {number} [classIndex] colours 2-D points
 */

export class ImageStrip {
  /**
   * @param {HTMLElement} container
   * @param {{onSelect: (item: StripItem) => void, empty?: string}} options
   */
  constructor(container, options) {
    this.container = container;
    this.options = options;
    this.items = [];
    this.imageShape = null;
    this.selected = null;
    this.scratch = document.createElement('canvas');
    this.reset();
  }

  /** Show the placeholder. */
  reset() {
    this.items = [];
    this.container.replaceChildren(el('p', { class: 'empty', text: this.options.empty || '' }));
  }

  /** @param {number[]|null} imageShape */
  setImageShape(imageShape) {
    this.imageShape = imageShape;
  }

  /**
   * Replace the items.
   * @param {{items: StripItem[]}} data
   */
  update({ items }) {
    this.items = items;
    if (!items.length) { this.reset(); return; }
    const pal = THEMES[themeName()];
    const buttons = items.map((item) => {
      const btn = el('button', { type: 'button', class: 'thumb', 'aria-label': item.label, 'aria-pressed': String(item.index === this.selected) });
      if (this.imageShape && item.vector) {
        const [rows, cols] = this.imageShape;
        const ctx = dataCanvas(this.scratch, cols, rows);
        const img = ctx.createImageData(cols, rows);
        fillGray(img.data, item.vector, pal);
        ctx.putImageData(img, 0, 0);
        btn.append(el('img', { alt: '', src: this.scratch.toDataURL(), width: String(cols), height: String(rows) }));
      } else if (item.vector) {
        const dot = el('span', { class: 'dot' });
        dot.style.background = css(CLASS_COLORS[(item.classIndex ?? 0) % CLASS_COLORS.length]);
        btn.append(dot, el('span', { class: 'coords', text: `(${item.vector.map((v) => v.toFixed(2)).join(', ')})` }));
      }
      btn.append(el('span', { class: 'thumb-caption', text: item.caption }));
      btn.addEventListener('click', () => { this.select(item.index); this.options.onSelect(item); });
      return btn;
    });
    this.container.replaceChildren(...buttons);
  }

  /**
   * Change one item's caption and accessible name in place (no redraw of the strip).
   * @param {number} k item position @param {string} caption @param {string} label
   */
  setCaption(k, caption, label) {
    const item = this.items[k];
    const btn = this.container.querySelectorAll('.thumb')[k];
    if (!item || !btn) return;
    item.caption = caption;
    item.label = label;
    btn.querySelector('.thumb-caption').textContent = caption;
    btn.setAttribute('aria-label', label);
  }

  /** Mark an item as the current input (null: none). @param {number|null} index */
  select(index) {
    this.selected = index;
    this.container.querySelectorAll('.thumb').forEach((b, i) => b.setAttribute('aria-pressed', String(this.items[i]?.index === index)));
  }
}
