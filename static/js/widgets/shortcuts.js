/**
 * Keyboard shortcuts for the run (train, pause/resume, step, stop, …) and their
 * legend. They work with the focus anywhere but a text field; Space also over a
 * button (it pauses, as the legend says; Enter still presses the button). Owns the
 * legend's DOM and the document's keydown listener; reports through `onAction`.
 * @module widgets/shortcuts
 */

/** The shortcuts, in the legend's order. */
export const SHORTCUTS = [
  { key: 't', label: 'T', action: 'train', text: 'train' },
  { key: ' ', label: 'Space', action: 'pause', text: 'pause/resume' },
  { key: 's', label: 'S', action: 'step', text: 'step' },
  { key: 'x', label: 'X', action: 'stop', text: 'stop' },
  { key: 'n', label: 'N', action: 'next', text: 'next phase' },
  { key: 'p', label: 'P', action: 'presenter', text: 'presenter' },
];

const TEXT_INPUTS = /^(text|number|search|email|url|tel|password|date|time|datetime-local|month|week)$/;

/** Is this element a field where keys type text (or choose in a list)? @param {Element|null} el */
export function isTextField(el) {
  if (!el || !el.tagName) return false;
  const tag = el.tagName;
  if (tag === 'TEXTAREA' || tag === 'SELECT' || el.isContentEditable) return true;
  return tag === 'INPUT' && TEXT_INPUTS.test(el.type || 'text');
}

/**
 * The shortcut a key press asks for, or null.
 * @param {{key: string, ctrlKey?: boolean, metaKey?: boolean, altKey?: boolean, target?: Element}} e
 * @param {string[]} actions the actions the page offers now
 * @returns {string|null}
 */
export function shortcutFor(e, actions) {
  if (e.ctrlKey || e.metaKey || e.altKey || isTextField(e.target)) return null;
  const key = e.key.length === 1 ? e.key.toLowerCase() : e.key;
  const s = SHORTCUTS.find((k) => k.key === key && actions.includes(k.action));
  if (!s) return null;
  // Space keeps toggling a focused checkbox; over anything else it pauses
  if (key === ' ' && e.target?.tagName === 'INPUT') return null;
  return s.action;
}

export class Shortcuts {
  /**
   * @param {HTMLElement} legend where the legend is written
   * @param {{onAction: (action: string) => void, actions: string[]}} options the actions on offer
   */
  constructor(legend, options) {
    this.legend = legend;
    this.options = options;
    this.setActions(options.actions);
    document.addEventListener('keydown', (e) => {
      const action = shortcutFor(e, this.actions);
      if (!action || e.repeat) return;
      e.preventDefault(); // no scrolling, no button press on Space
      options.onAction(action);
    });
  }

  /** Offer these actions (the step-through's "next phase" only when it exists). @param {string[]} actions */
  setActions(actions) {
    this.actions = actions;
    this.legend.replaceChildren(...SHORTCUTS.filter((s) => actions.includes(s.action)).map((s) => {
      const item = document.createElement('span');
      const kbd = document.createElement('kbd');
      kbd.textContent = s.label;
      item.append(kbd, ` ${s.text}`);
      return item;
    }));
  }
}
