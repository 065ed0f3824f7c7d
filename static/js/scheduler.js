/**
 * The frame scheduler. Messages arriving faster than frames are coalesced: the
 * latest iteration and weights win, every iteration is still kept for the charts.
 * On each animation frame `onFrame` gets what arrived since the last one and
 * queues named jobs; the jobs then run a few per frame within a time budget, so
 * one frame never carries every widget's redraw at once (a long task). A job reads
 * the newest data when it finally runs, so nothing stale is ever drawn.
 * @module scheduler
 */

/**
 * @typedef {object} Batch what arrived since the last frame
 * @property {object[]} points every iteration message, in order
 * @property {object|null} latest the newest iteration message
 * @property {object|null} weights the newest weights
 * @property {object|null} evaluation the newest evaluation message
 */

export class FrameScheduler {
  /**
   * @param {object} options
   * @param {(batch: Batch, scheduler: FrameScheduler) => void} options.onFrame
   * @param {(fn: () => void) => void} [options.raf] requestAnimationFrame (a fake in tests)
   * @param {() => number} [options.now] performance.now
   * @param {number} [options.budgetMs=0] 0: one job (one canvas) per frame; each updated
   *   canvas costs the frame a compositor round trip
   */
  constructor(options) {
    this.onFrame = options.onFrame;
    this.raf = options.raf || ((fn) => requestAnimationFrame(fn));
    this.now = options.now || (() => performance.now());
    this.budgetMs = options.budgetMs ?? 0;
    this.jobs = new Map(); // name -> function, insertion-ordered, one pending per name
    this.requested = false;
    this.inFrame = false;
    this.clear();
  }

  /** An iteration: its point is kept, and it becomes the latest. */
  addIteration(msg) { this.pending.points.push(msg); this.pending.latest = msg; this.schedule(); }

  /** Show this iteration again (no new point), e.g. after a theme change. */
  setLatest(msg) { this.pending.latest = msg; this.schedule(); }

  /** New weights: only the newest are drawn. */
  setWeights(thetas) { this.pending.weights = thetas; this.schedule(); }

  /** An evaluation inside an iteration (shown on the next frame, like everything else). */
  setEvaluation(msg) { this.pending.evaluation = msg; this.schedule(); }

  /**
   * Queue a job; a pending job of that name is replaced but keeps its place
   * (first queued, first run), so a widget updated every frame cannot starve the others.
   * @param {string} name @param {() => void} fn
   */
  queue(name, fn) {
    this.jobs.set(name, fn);
    if (!this.inFrame) this.schedule(); // in a frame, the frame asks for the next one itself
  }

  /** Drop everything not yet drawn (a new run, a reset). */
  clear() {
    this.pending = { points: [], latest: null, weights: null, evaluation: null };
    this.jobs.clear();
  }

  /** Ask for a frame (at most one outstanding). */
  schedule() {
    if (this.requested) return;
    this.requested = true;
    this.raf(() => this.frame());
  }

  /** Run one frame: hand over the batch, then run jobs within the budget. */
  frame() {
    this.requested = false;
    const t0 = this.now();
    const batch = this.pending;
    this.pending = { points: [], latest: null, weights: null, evaluation: null };
    this.inFrame = true;
    try {
      if (batch.points.length || batch.latest || batch.weights || batch.evaluation) this.onFrame(batch, this);
    } finally {
      this.inFrame = false;
    }
    let ran = 0;
    for (const [name, job] of this.jobs) {
      // at least one job a frame: messages arriving every frame must not starve the drawing
      if (ran++ && this.now() - t0 > this.budgetMs) break;
      this.jobs.delete(name);
      job();
    }
    if (this.jobs.size) this.schedule();
  }
}
