/**
 * The run buttons (Train, Pause, Step, Stop, Reset): reports clicks through
 * `onAction` and enables the buttons that make sense in a run state.
 * @module widgets/runbuttons
 */

export class RunButtons {
  /**
   * @param {HTMLElement} container holds buttons with data-action
   * @param {{onAction: (action: 'train'|'pause'|'step'|'stop'|'reset') => void}} options
   */
  constructor(container, options) {
    this.container = container;
    container.querySelectorAll('[data-action]').forEach((b) => {
      b.addEventListener('click', () => options.onAction(b.dataset.action));
    });
  }

  /** @param {'idle'|'queued'|'running'|'paused'|'stopping'} state */
  setRunState(state) {
    const b = (a) => this.container.querySelector(`[data-action=${a}]`);
    const active = isActive(state);
    b('train').disabled = active;
    b('pause').disabled = !(state === 'running' || state === 'paused');
    b('pause').setAttribute('aria-pressed', String(state === 'paused'));
    b('pause').querySelector('.btn-text').textContent = state === 'paused' ? 'Paused: resume' : 'Pause';
    b('step').disabled = !(state === 'idle' || state === 'paused');
    b('stop').disabled = !active || state === 'stopping';
    document.documentElement.dataset.run = state;
  }
}

/** A run is under way (its settings are fixed) in these states. @param {string} state */
export function isActive(state) {
  return state === 'running' || state === 'paused' || state === 'queued' || state === 'stopping';
}
