/**
 * The run buttons (Train, Pause, Step, Stop, Reset): reports clicks through
 * `onAction` and enables the buttons that make sense in a run state. A button
 * that does not apply is aria-disabled, not disabled: a disabled button drops the
 * keyboard focus, and after Train the focus stays on Train.
 * @module widgets/runbuttons
 */

export class RunButtons {
  /**
   * @param {HTMLElement} container holds buttons with data-action
   * @param {{onAction: (action: 'train'|'pause'|'step'|'stop'|'reset') => void}} options
   */
  constructor(container, options) {
    this.container = container;
    this.options = options;
    container.querySelectorAll('[data-action]').forEach((b) => {
      b.addEventListener('click', () => this.press(b.dataset.action));
    });
  }

  /** Do what the button does, when it applies now (a click or a keyboard shortcut). @param {string} action */
  press(action) {
    const b = this.container.querySelector(`[data-action=${action}]`);
    if (b && b.getAttribute('aria-disabled') !== 'true') this.options.onAction(action);
  }

  /** @param {'idle'|'queued'|'running'|'paused'|'stopping'} state */
  setRunState(state) {
    const b = (a) => this.container.querySelector(`[data-action=${a}]`);
    const active = isActive(state);
    const off = (a, yes) => b(a).setAttribute('aria-disabled', String(yes));
    off('train', active);
    off('pause', !(state === 'running' || state === 'paused'));
    b('pause').setAttribute('aria-pressed', String(state === 'paused'));
    b('pause').querySelector('.btn-text').textContent = state === 'paused' ? 'Paused: resume' : 'Pause';
    off('step', !(state === 'idle' || state === 'paused'));
    off('stop', !active || state === 'stopping');
    document.documentElement.dataset.run = state;
  }
}

/** A run is under way (its settings are fixed) in these states. @param {string} state */
export function isActive(state) {
  return state === 'running' || state === 'paused' || state === 'queued' || state === 'stopping';
}
