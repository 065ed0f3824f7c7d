/**
 * The step-through control: Live, then the four phases of one training step
 * (Forward, Cost, Backward, Update) with back and forward buttons and the arrow
 * keys, and in the Update phase what the edges show. Reports choices through
 * callbacks; says in words what the chosen phase shows.
 * @module widgets/stepper
 */
import { PHASES, EDGE_SOURCES } from '../explain.js';
import { el } from './canvas.js';

const ABOUT = {
  live: 'Live: the diagram follows training. Pick a phase to take one training step apart for the selected input.',
  forward: 'Forward: the input flows left to right. Each unit computes z = a·Θ (with the bias) and a = g(z).',
  cost: 'Cost: the output a is compared with the one-hot target y; each unit adds −[y log a + (1−y) log(1−a)], and λ adds a penalty on the weights.',
  backward: 'Backward: the error flows right to left. Output δ = a − y; a hidden δ = (Θᵀδ without the bias) ⊙ g′(z), with g′(z) = a(1 − a) for the logistic unit.',
  update: 'Update: ∂J/∂Θ = aᵀδ / m + (λ/m)Θ (bias row not regularised) says which way each weight should move; the optimizer moves them.',
};

export class PhaseStepper {
  /**
   * @param {HTMLElement} container an empty element
   * @param {{onPhase: (phase: string|null) => void, onEdgeSource: (name: string) => void}} options
   */
  constructor(container, options) {
    this.container = container;
    this.options = options;
    this.phase = null;
    this.buttons = new Map();
    const names = [{ name: null, label: 'Live' }, ...PHASES];
    const bar = el('div', { class: 'stepper-bar', role: 'toolbar', 'aria-label': 'Step through one training step' });
    this.prev = el('button', { type: 'button', class: 'btn small', 'data-action': 'prev-phase', 'aria-label': 'Previous phase', title: 'Previous phase (←)', text: '◀' });
    this.next = el('button', { type: 'button', class: 'btn small', 'data-action': 'next-phase', 'aria-label': 'Next phase', title: 'Next phase (→)', text: '▶' });
    bar.append(this.prev);
    names.forEach(({ name, label }, k) => {
      const b = el('button', { type: 'button', class: 'btn small phase', 'data-phase': name || 'live', 'aria-pressed': 'false', text: k ? `${k} ${label}` : label });
      b.addEventListener('click', () => this.set(name));
      this.buttons.set(name, b);
      bar.append(b);
    });
    bar.append(this.next);
    this.source = el('select', { 'aria-label': 'What the edges show in the Update phase', id: 'edge-source' },
      EDGE_SOURCES.map((s) => el('option', { value: s.name, text: s.label })));
    this.source.value = 'full';
    this.source.addEventListener('change', () => options.onEdgeSource(this.source.value));
    this.sourceBox = el('label', { class: 'edge-source' }, ['edges: ', this.source]);
    bar.append(this.sourceBox);
    this.about = el('p', { class: 'hint stepper-about', 'aria-live': 'polite' });
    container.append(bar, this.about);
    this.prev.addEventListener('click', () => this.move(-1));
    this.next.addEventListener('click', () => this.move(1));
    container.addEventListener('keydown', (e) => {
      if (e.key === 'ArrowRight') { this.move(1); e.preventDefault(); }
      if (e.key === 'ArrowLeft') { this.move(-1); e.preventDefault(); }
    });
    this.set(null, { quiet: true });
  }

  /** Go one phase forwards (+1) or back (−1); Live sits before Forward. */
  move(step) {
    const order = [null, ...PHASES.map((p) => p.name)];
    const k = Math.max(0, Math.min(order.length - 1, order.indexOf(this.phase) + step));
    this.set(order[k]);
  }

  /** Choose a phase (null: live). */
  set(phase, { quiet = false } = {}) {
    this.phase = phase;
    for (const [name, b] of this.buttons) b.setAttribute('aria-pressed', String(name === phase));
    this.sourceBox.hidden = phase !== 'update';
    this.prev.disabled = phase === null;
    this.next.disabled = phase === 'update';
    this.about.textContent = ABOUT[phase || 'live'];
    if (!quiet) this.options.onPhase(phase);
  }

  /** A note under the buttons (e.g. why nothing is drawn yet). @param {string} text */
  note(text) {
    this.about.textContent = text ? `${ABOUT[this.phase || 'live']} ${text}` : ABOUT[this.phase || 'live'];
  }

  /** @returns {string} the Update phase's edge source */
  get edgeSource() { return this.source.value; }
}
