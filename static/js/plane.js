/**
 * The plane's unit maps for the newest weights, computed in a worker
 * (planeworker.js): one computation at a time, and while one runs only the newest
 * request waits (older weights are never drawn). No DOM.
 * @module plane
 */

export const PLANE_SIZE = 64; // grid side: the boundary's pixels; the unit maps take every other cell

export class PlaneMaps {
  /** @param {() => Worker} [makeWorker] (a fake in tests) */
  constructor(makeWorker = () => new Worker(new URL('./planeworker.js', import.meta.url), { type: 'module' })) {
    this.makeWorker = makeWorker;
    this.worker = null;
    this.busy = null;    // the request in the worker
    this.pending = null; // the newest request waiting for it
    this.ids = 0;
  }

  /**
   * Compute the maps of these weights; `done(layers)` gets [hidden 1 …, output] × units
   * of PLANE_SIZE² values, unless newer weights overtake these first.
   * @param {{rows: number, cols: number, data: Float32Array}[]} thetas
   * @param {string} activation @param {(layers: Float32Array[][]) => void} done
   */
  compute(thetas, activation, done) {
    this.pending = { id: ++this.ids, thetas, activation, done };
    if (!this.busy) this._next();
  }

  /** Forget what is waiting (a new run); an answer in flight is dropped. */
  clear() {
    this.pending = null;
    if (this.busy) this.busy.done = null;
  }

  _next() {
    const req = this.pending;
    this.pending = null;
    this.busy = req;
    if (!req) return;
    if (!this.worker) {
      this.worker = this.makeWorker();
      this.worker.onmessage = ({ data }) => {
        const finished = this.busy;
        this.busy = null;
        if (finished && finished.id === data.id) finished.done?.([[], ...data.layers]);
        this._next();
      };
    }
    const thetas = req.thetas.map((t) => ({ rows: t.rows, cols: t.cols, data: t.data }));
    this.worker.postMessage({ id: req.id, thetas, size: PLANE_SIZE, activation: req.activation || 'logistic' });
  }
}
