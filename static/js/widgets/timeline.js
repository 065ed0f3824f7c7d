/**
 * The timeline: a slider over a run's kept iterations, a play button with a
 * speed, and a strip that marks which iterations kept their weights (every one
 * up to the server's memory budget, every 2^k-th beyond it).
 * @module widgets/timeline
 */
import { el, fitCanvas } from './canvas.js';

export const SPEEDS = [2, 5, 10, 20]; // iterations per second

export class Timeline {
  /**
   * @param {HTMLElement} container the panel's body
   * @param {{onSeek: (iteration: number) => void, onPlay: (playing: boolean) => void}} options
   */
  constructor(container, options) {
    this.container = container;
    this.options = options;
    this.slider = el('input', { type: 'range', id: 'timeline-slider', min: '0', max: '0', value: '0', step: '1', 'aria-label': 'Iteration to show' });
    this.playButton = el('button', { type: 'button', class: 'btn small', id: 'timeline-play', text: '▶ Play', title: 'Play the run back from its first kept iteration' });
    this.speed = el('select', { id: 'timeline-speed', 'aria-label': 'Playback speed' },
      SPEEDS.map((s) => el('option', { value: String(s), text: `${s} it/s`, ...(s === 5 ? { selected: '' } : {}) })));
    this.label = el('output', { id: 'timeline-label', 'data-testid': 'timeline-iteration', text: '' });
    this.marks = el('canvas', { class: 'timeline-marks', 'aria-hidden': 'true' });
    this.note = el('p', { class: 'hint', id: 'timeline-note' });
    container.replaceChildren(
      el('div', { class: 'timeline-row' }, [this.playButton, this.speed, el('div', { class: 'timeline-track' }, [this.slider, this.marks]), this.label]),
      this.note);
    this.slider.addEventListener('input', () => options.onSeek(this.kept[+this.slider.value]));
    this.playButton.addEventListener('click', () => options.onPlay(!this.playing));
    new ResizeObserver(() => this._drawMarks()).observe(this.marks);
    this.reset();
  }

  /** No run to rewind: the controls wait, disabled (the panel stays, so nothing below it moves). */
  reset() {
    this.kept = [];
    this.last = 0;
    this.playing = false;
    this.setPlaying(false);
    this.slider.disabled = true;
    this.playButton.disabled = true;
    this.label.textContent = '';
    this.note.textContent = 'When a run ends, drag the slider to rewind every panel to any of its iterations, or play the run back.';
    const ctx = this.marks.getContext('2d');
    ctx.clearRect(0, 0, this.marks.width, this.marks.height);
  }

  /**
   * A run's `history`: which iterations kept weights, and the budget.
   * @param {{kept: number[], metrics: {iteration: number[]}, stride: number, bytes: number, budget_bytes: number}} h
   */
  setHistory(h) {
    this.kept = h.kept.slice();
    const its = h.metrics.iteration;
    this.first = its.length ? its[0] : 0;
    this.last = its.length ? its[its.length - 1] : 0;
    this.slider.max = String(Math.max(0, this.kept.length - 1));
    this.slider.value = this.slider.max;
    this.slider.disabled = this.kept.length < 2;
    this.playButton.disabled = this.kept.length < 2;
    const mb = (b) => `${(b / 2 ** 20).toFixed(1)} MB`;
    const all = this.kept.length === its.length;
    this.note.textContent = `${this.kept.length} of ${its.length} iterations (${this.first} to ${this.last}) kept their weights `
      + (all ? `(every one; ${mb(h.bytes)} of the ${mb(h.budget_bytes)} budget). ` : `(every ${h.stride}th beyond the ${mb(h.budget_bytes)} budget, ticks above). `)
      + 'Drag to rewind every panel; the misclassified list is that of the final weights.';
    this.showAt(this.kept[this.kept.length - 1]);
    this._drawMarks();
  }

  /** Show which iteration the panels are at. @param {number} iteration */
  showAt(iteration) {
    const k = this.kept.indexOf(iteration);
    if (k >= 0) this.slider.value = String(k);
    this.label.textContent = `iteration ${iteration} of ${this.last}`;
    this.container.dataset.iteration = String(iteration);
  }

  /** @param {boolean} playing */
  setPlaying(playing) {
    this.playing = playing;
    this.playButton.textContent = playing ? '❚❚ Pause' : '▶ Play';
    this.playButton.setAttribute('aria-pressed', String(playing));
  }

  /** Iterations per second chosen. */
  get rate() { return +this.speed.value; }

  _drawMarks() {
    const w = this.marks.clientWidth, h = 8;
    if (!w || !this.kept.length) return;
    const ctx = fitCanvas(this.marks, w, h);
    ctx.clearRect(0, 0, w, h);
    ctx.fillStyle = getComputedStyle(this.container).color;
    const span = Math.max(1, this.last - this.first);
    for (const it of this.kept) ctx.fillRect(Math.round(((it - this.first) / span) * (w - 1)), 0, 1, h);
  }
}
