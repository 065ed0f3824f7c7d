/**
 * A drawing pad for mouse, pen and touch (Pointer Events). Ink is opaque on a
 * transparent canvas, so the alpha channel alone is the drawing (gray8).
 * The pad never talks to the server: it hands bitmaps to `onDraw`.
 * @module widgets/drawpad
 */
import { alphaToGray8, bytesToBase64, hasInk, throttle } from '../images.js';

export class DrawPad {
  /**
   * @param {HTMLElement} container holds a <canvas> (its width/height attributes are the bitmap size)
   * @param {object} options
   * @param {(image: {width: number, height: number, format: 'gray8', data: string}) => void} options.onDraw
   * @param {() => void} [options.onClear]
   * @param {number} [options.throttleMs=150] @param {number} [options.lineWidth] in bitmap pixels
   */
  constructor(container, options) {
    this.container = container;
    this.canvas = container.querySelector('canvas');
    this.options = { throttleMs: 150, lineWidth: Math.round(this.canvas.width / 12), ...options };
    this.ctx = this.canvas.getContext('2d', { willReadFrequently: true });
    this.drawing = false;
    this.last = null;
    this.strokes = 0;
    this.emit = throttle(() => this._emit(), this.options.throttleMs);
    const c = this.canvas;
    c.addEventListener('pointerdown', (e) => this._down(e));
    c.addEventListener('pointermove', (e) => this._move(e));
    for (const t of ['pointerup', 'pointercancel']) c.addEventListener(t, (e) => this._up(e));
    c.addEventListener('keydown', (e) => { if (e.key === 'Delete' || e.key === 'Backspace' || e.key === 'Escape') { this.reset(); this.options.onClear?.(); } });
  }

  _point(e) {
    const r = this.canvas.getBoundingClientRect();
    return [((e.clientX - r.left) / r.width) * this.canvas.width, ((e.clientY - r.top) / r.height) * this.canvas.height];
  }

  _down(e) {
    e.preventDefault();
    this.canvas.setPointerCapture?.(e.pointerId);
    this.drawing = true;
    this.container.classList.add('has-ink');
    this.last = this._point(e);
    this._line(this.last, this.last);
  }

  _move(e) {
    if (!this.drawing) return;
    e.preventDefault();
    const events = e.getCoalescedEvents ? e.getCoalescedEvents() : [e];
    for (const ev of events.length ? events : [e]) {
      const p = this._point(ev);
      this._line(this.last, p);
      this.last = p;
    }
    this.emit();
  }

  _up() {
    if (!this.drawing) return;
    this.drawing = false;
    this.strokes += 1;
    this.emit();
    this.emit.flush();
  }

  _line(a, b) {
    const ctx = this.ctx;
    ctx.strokeStyle = '#000';
    ctx.lineCap = 'round';
    ctx.lineJoin = 'round';
    ctx.lineWidth = this.options.lineWidth;
    ctx.beginPath();
    ctx.moveTo(a[0], a[1]);
    ctx.lineTo(b[0], b[1]);
    ctx.stroke();
  }

  _emit() {
    const image = this.bitmap();
    if (image) this.options.onDraw(image);
  }

  /**
   * The drawing as a protocol `image` ({width, height, format: 'gray8', data: base64}), or null when empty.
   * @returns {{width: number, height: number, format: string, data: string}|null}
   */
  bitmap() {
    const { width, height } = this.canvas;
    const gray = alphaToGray8(this.ctx.getImageData(0, 0, width, height).data);
    if (!hasInk(gray)) return null;
    return { width, height, format: 'gray8', data: bytesToBase64(gray) };
  }

  /** Wipe the pad. */
  reset() {
    this.emit.cancel();
    this.ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
    this.container.classList.remove('has-ink');
    this.strokes = 0;
  }

  /** Re-send the current drawing (e.g. when a new model is ready). */
  update() {
    if (this.strokes > 0) this._emit();
  }
}
