/**
 * The header's live readouts (iteration, cost, training accuracy, run state),
 * the status line and the theme toggle. Owns that DOM; reports the toggle
 * through a callback.
 * @module widgets/statusbar
 */

/**
 * Cost as shown in the readout: 4 significant digits, 1 decimal from 100 on, and in
 * exponent form below 0.001 (a converged toy set's 0.000006709 was too wide for the
 * scores table at 1280 px and sat next to 2.093e-7).
 */
export function formatCost(c) {
  if (c == null) return '–';
  if (c >= 100) return c.toFixed(1);
  return c !== 0 && Math.abs(c) < 1e-3 ? c.toExponential(3) : c.toPrecision(4);
}

/** The header bar's readouts and status line. */
export class StatusBar {
  /**
   * @param {HTMLElement} container the header holding the readouts
   * @param {{onToggleTheme?: () => void, onTogglePresenter?: () => void}} [options]
   */
  constructor(container, options = {}) {
    const $ = (id) => container.querySelector(`#${id}`);
    this.els = { iteration: $('iteration'), cost: $('cost'), accuracy: $('accuracy'), state: $('run-state'), status: $('status'), theme: $('theme-toggle'), presenter: $('presenter-toggle') };
    this.els.theme.addEventListener('click', () => options.onToggleTheme?.());
    this.els.presenter.addEventListener('click', () => options.onTogglePresenter?.());
  }

  /** Show whether presenter mode is on. @param {boolean} on */
  setPresenter(on) {
    this.els.presenter.setAttribute('aria-pressed', String(on));
  }

  /** Show a status sentence (an error in the error style). @param {string} text @param {boolean} [isError] */
  status(text, isError = false) {
    this.els.status.textContent = text;
    this.els.status.classList.toggle('error', isError);
  }

  /** @param {string} state idle, queued, running, paused or stopping */
  setRunState(state) {
    this.els.state.textContent = state;
  }

  /** The readouts of one iteration message. */
  showIteration(m) {
    this.els.iteration.textContent = String(m.iteration);
    this.els.cost.textContent = formatCost(m.cost);
    this.els.accuracy.textContent = m.train_accuracy == null ? '–' : `${(100 * m.train_accuracy).toFixed(1)}%`;
  }

  /** A cost evaluated inside an iteration. @param {number|null} cost */
  showCost(cost) {
    this.els.cost.textContent = formatCost(cost);
  }

  /** The toggle offers the other theme. @param {'light'|'dark'} theme */
  setTheme(theme) {
    this.els.theme.setAttribute('aria-label', theme === 'dark' ? 'Light theme' : 'Dark theme');
  }

  /** Readouts back to a run not yet started. */
  reset() {
    this.els.iteration.textContent = '0';
    this.els.cost.textContent = '–';
    this.els.accuracy.textContent = '–';
  }
}
