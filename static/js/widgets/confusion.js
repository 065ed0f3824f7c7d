/**
 * Confusion matrix on the test set as a table: rows true class, columns
 * predicted class, cells shaded by the share of their row. The final one, or
 * the one of an iteration the timeline rewound to (its caption says which).
 * @module widgets/confusion
 */
import { THEMES, mix, css } from '../colors.js';
import { el, themeName } from './canvas.js';
import { confusionCSV } from './export.js';

const SPLIT_NAMES = { test: 'Test', validation: 'Validation', train: 'Training' };

/**
 * Background for a cell: diagonal cells blue, off-diagonal orange, by share of the row.
 * @param {number} count @param {number} rowTotal @param {boolean} diagonal @param {object} palette
 * @returns {{background: string, dark: boolean}} dark: the text should be light
 */
export function cellStyle(count, rowTotal, diagonal, palette) {
  const share = rowTotal > 0 ? count / rowTotal : 0;
  const t = diagonal ? share : Math.min(1, share * 4); // errors are rarer: amplify so they show
  const c = mix(palette.neutral, diagonal ? palette.positive : palette.negative, t);
  const lum = 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
  return { background: css(c), dark: lum < 140 };
}

/**
 * A count in at most four characters, so ten columns fit a narrow panel: 1114 → "1.1k".
 * @param {number} n @returns {string}
 */
export function shortCount(n) {
  if (n < 1000) return String(n);
  if (n < 10000) return `${(n / 1000).toFixed(1)}k`;
  return `${Math.round(n / 1000)}k`;
}

/** The test-set confusion matrix as an accessible table. */
export class ConfusionMatrix {
  /** @param {HTMLElement} container @param {{onSelect?: (trueIdx: number, predIdx: number) => void}} [options] */
  constructor(container, options = {}) {
    this.container = container;
    this.options = options;
    this.reset();
  }

  /** Show the placeholder. */
  reset() {
    this.matrix = null;
    this.classNames = [];
    this.iteration = null;
    delete this.container.dataset.iteration;
    this.container.replaceChildren(el('p', { class: 'empty', text: 'The confusion matrix on the test set appears when training ends.' }));
  }

  /**
   * @param {{matrix: number[][], classNames: string[], accuracy?: number, split?: string, iteration?: number, last?: number}} data
   *   `iteration` (of `last`): a rewound matrix; absent for the final one
   */
  update({ matrix, classNames, accuracy, split = 'test', iteration = null, last = null }) {
    this.matrix = matrix;
    this.classNames = classNames;
    this.iteration = iteration;
    this.container.dataset.iteration = iteration == null ? 'final' : String(iteration);
    const pal = THEMES[themeName()];
    const head = el('tr', {}, [el('th', { scope: 'col', class: 'corner', 'aria-label': 'true class', text: '' }),
      ...classNames.map((n) => el('th', { scope: 'col', text: n }))]);
    const rows = matrix.map((row, i) => {
      const total = row.reduce((s, v) => s + v, 0);
      return el('tr', {}, [el('th', { scope: 'row', text: classNames[i] }), ...row.map((v, j) => {
        const st = cellStyle(v, total, i === j, pal);
        const td = el('td', { text: shortCount(v), title: `true ${classNames[i]}, predicted ${classNames[j]}: ${v}` });
        td.style.background = st.background;
        if (st.dark) td.classList.add('on-dark');
        return td;
      })]);
    });
    const name = SPLIT_NAMES[split] ?? split;
    const title = accuracy != null ? `${name} accuracy ${(100 * accuracy).toFixed(1)}%` : `${name} set`;
    const at = iteration == null ? '' : `at iteration ${iteration}${last != null ? ` of ${last}` : ''}`;
    const about = el('p', { class: 'confusion-about' }, [el('strong', { text: title }),
      ...(at ? [el('span', { class: 'confusion-at', 'data-testid': 'confusion-iteration', text: at })] : []),
      el('span', { class: 'hint', text: 'rows: true class, columns: predicted' })]);
    const table = el('table', { class: 'confusion', 'aria-label': `Confusion matrix on the ${name.toLowerCase()} set${at ? ` ${at}` : ''}. ${title}. Rows: true class, columns: predicted class.` },
      [el('thead', {}, [head]), el('tbody', {}, rows)]);
    this.container.replaceChildren(about, table);
  }

  /** What is shown, as CSV (null before there is a matrix). */
  csv() {
    return this.matrix ? confusionCSV(this.matrix, this.classNames) : null;
  }
}
