/**
 * Take the numbers away: a chart's data as CSV and its canvas as PNG, saved
 * through a Blob and an object URL (no inline script, no data: URL, so it works
 * under a strict Content-Security-Policy).
 * @module widgets/export
 */
import { el } from './canvas.js';

/** One CSV field: quoted when it holds a comma, a quote or a line break. */
function field(v) {
  if (v == null || (typeof v === 'number' && !Number.isFinite(v))) return '';
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * A CSV text (RFC 4180, CRLF line ends) from a header and rows; null is an empty field.
 * @param {string[]} header @param {Array<Array<string|number|null>>} rows @returns {string}
 */
export function toCSV(header, rows) {
  return [header, ...rows].map((r) => r.map(field).join(',')).join('\r\n') + '\r\n';
}

/** Save a Blob under a file name (a download link clicked once, then revoked). */
export function saveBlob(blob, filename) {
  const url = URL.createObjectURL(blob);
  const a = el('a', { href: url, download: filename, hidden: '' });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000); // the download has started by then
}

/** Save a CSV text. @param {string} text @param {string} filename */
export function saveCSV(text, filename) {
  saveBlob(new Blob([text], { type: 'text/csv' }), filename);
}

/** Save a canvas as PNG. @param {HTMLCanvasElement} canvas @param {string} filename */
export function savePNG(canvas, filename) {
  canvas.toBlob((blob) => { if (blob) saveBlob(blob, filename); }, 'image/png');
}

/**
 * Small "CSV" and "PNG" buttons (PNG only when `png` is given), appended to `container`.
 * @param {HTMLElement} container usually the panel's heading
 * @param {object} options
 * @param {string} options.name file name stem, e.g. "cost"
 * @param {() => {header: string[], rows: any[][]}|null} options.csv the data now (null: nothing yet)
 * @param {() => HTMLCanvasElement|null} [options.png] the canvas now
 */
export class ExportButtons {
  constructor(container, options) {
    this.options = options;
    const box = el('span', { class: 'export-buttons' });
    this.csvButton = el('button', { type: 'button', class: 'btn tiny', 'data-export': 'csv', title: `Download the ${options.name} data as CSV`, text: 'CSV',
      onclick: () => this.csv() });
    box.append(this.csvButton);
    if (options.png) {
      this.pngButton = el('button', { type: 'button', class: 'btn tiny', 'data-export': 'png', title: `Download the ${options.name} chart as PNG`, text: 'PNG',
        onclick: () => this.png() });
      box.append(this.pngButton);
    }
    container.append(box);
  }

  csv() {
    const data = this.options.csv();
    if (data) saveCSV(toCSV(data.header, data.rows), `${this.options.name}.csv`);
  }

  png() {
    const canvas = this.options.png?.();
    if (canvas) savePNG(canvas, `${this.options.name}.png`);
  }
}

/**
 * A StreamChart's points as CSV columns: x, the evaluations so far, one column per series.
 * @param {import('./charts.js').StreamChart} chart @param {string} xName
 */
export function streamChartCSV(chart, xName = 'iteration') {
  const header = [xName, 'n_fev', ...chart.options.series.map((s) => s.label)];
  return { header, rows: chart.x.map((x, i) => [x, chart.nfev[i], ...chart.ys.map((y) => y[i])]) };
}

/**
 * A confusion matrix as CSV: one row per true class, one column per predicted class.
 * @param {number[][]} matrix @param {string[]} classNames
 */
export function confusionCSV(matrix, classNames) {
  const name = (i) => classNames[i] ?? String(i);
  return { header: ['true \\ predicted', ...matrix.map((_, j) => name(j))], rows: matrix.map((row, i) => [name(i), ...row]) };
}
