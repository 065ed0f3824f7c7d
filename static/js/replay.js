/**
 * Compare and replay: the optimizer race, the timeline of a finished run and
 * the saved runs. Like the Lab it calls widget methods and sends through the
 * `send` callback; the handlers of `race_started`, `race_done`, `history` and
 * `confusion` and the `weights_at` answers come here.
 * @module replay
 */
import { N_SAMPLES } from './lab.js';
import { LatestRequest } from './latest.js';
import { ExportButtons, streamChartCSV } from './widgets/export.js';

export class Replay {
  /** @param {import('./lab.js').Lab} lab the run, the input and the widgets (raceControls, raceChart, raceResults, timeline, saved among them) */
  constructor(lab) {
    this.lab = lab;
    this.w = lab.w;
    this.race = null;        // {id, contenders: [{run_id, optimizer, label}], runs: Map run_id -> run, pending: Map run_id -> msgs}
    this.optimizers = [];    // ready.optimizers
    this.history = null;     // the shown run's `history`
    this.requestId = 0;
    this.lastWeightsAt = 0;
    this.timer = null;
    // a rewound confusion matrix and class strip: one batch in flight, the latest asked wins
    this.confusions = new LatestRequest((iteration) => this.requestScores(iteration));
  }

  // ---------------------------------------------------------------- race
  /** `ready`: the registry's optimizers become the race's checkboxes. */
  setOptimizers(optimizers) {
    this.optimizers = optimizers;
    this.w.raceControls.build(optimizers);
  }

  label(name) { return this.optimizers.find((o) => o.name === name)?.label ?? name; }

  /** Race the chosen optimizers with the form's settings from one seed. @param {string[]} optimizers */
  startRace(optimizers) {
    const { lab } = this;
    if (lab.run && lab.run.state !== 'idle') { this.w.raceControls.setNote('Stop the current run first.'); return; }
    const minibatch = optimizers.find((n) => this.optimizers.find((o) => o.name === n)?.family === 'minibatch');
    const settings = { ...lab.state, optimizer: minibatch || optimizers[0] };
    const errors = lab.store.settings.validate(settings);
    if (Object.keys(errors).length) { this.w.raceControls.setNote('Fix the highlighted settings first.'); return; }
    const probe = lab.samples.slice(0, N_SAMPLES).map((s) => s.index);
    const msg = lab.store.settings.trainMessage(settings, { type: 'race', optimizers, race_id: `race-${Date.now().toString(36)}`, ...(probe.length ? { probe } : {}) });
    delete msg.optimizer;
    delete msg.run_id;
    lab.clearRunWidgets({ runStarting: true }); // also leaves the previous race's view
    lab.run = null;
    this.race = { id: msg.race_id, contenders: [], runs: new Map(), pending: new Map() };
    this.w.raceControls.setNote('');
    lab.send(msg);
    lab.setRunState('queued');
    lab.w.status.status(`Racing ${optimizers.map((n) => this.label(n)).join(', ')} on ${lab.info().name}…`);
  }

  /** `race_started`: the contenders and their run ids. */
  raceStarted(msg) {
    if (msg.race_id !== this.race?.id) return;
    this.race.contenders = msg.contenders.map((c) => ({ ...c, label: this.label(c.optimizer) }));
    this.showRaceView(true);
    this.w.raceChart.setContenders(this.race.contenders);
    this.w.raceResults.start(this.race.contenders);
  }

  /** A contender's `started`: it becomes the run the panels show (as a run does). */
  contenderStarted(msg) {
    if (!this.race || msg.race_id !== this.race.id) return;
    const { lab } = this;
    lab.scheduler.clear();
    lab.painter.clear();
    lab.w.accChart.reset();
    lab.run = { id: msg.run_id, state: 'running', thetas: null, lastIteration: null, probe: { indices: [] }, dataset: lab.info(), race_id: msg.race_id };
    this.race.runs.set(msg.run_id, lab.run);
    this.w.raceResults.select(msg.run_id);
  }

  /** A race's iteration: onto the race chart on the next frame. */
  iteration(msg) {
    if (!this.race?.runs.has(msg.run_id)) return;
    const { pending } = this.race;
    if (!pending.has(msg.run_id)) pending.set(msg.run_id, []);
    pending.get(msg.run_id).push(msg);
    this.lab.scheduler.queue('race-chart', () => {
      for (const [id, msgs] of pending) this.w.raceChart.add(id, msgs.splice(0));
    });
  }

  /** `race_done`: the table (each contender's whole curve came with its history at its `done`). */
  raceDone(msg) {
    if (msg.race_id !== this.race?.id) return;
    this.race.done = msg;
    this.w.raceResults.finish(msg.results.map((r) => ({ ...r, label: this.label(r.optimizer) })));
    const best = [...msg.results].filter((r) => r.val_cost != null).sort((a, b) => a.val_cost - b.val_cost)[0];
    if (best) this.lab.w.status.status(`Race finished: ${this.label(best.optimizer)} reached the lowest validation cost (${best.val_cost.toFixed(4)}). Pick a row to inspect a contender.`);
  }

  /** Show a contender in every panel: its weights, its charts, its timeline. @param {string} runId */
  pick(runId) {
    const run = this.race?.runs.get(runId);
    if (!run || run === this.lab.run) return;
    const { lab } = this;
    this.stopPlaying();
    lab.scheduler.clear();
    lab.painter.clear();
    lab.run = run;
    lab.at = null;
    const { w } = lab;
    w.network.setStructure({ layerSizes: run.layerSizes, imageShape: run.dataset.image_shape, classNames: run.dataset.class_names });
    w.heatmaps.setStructure(run.layerSizes);
    w.hidden.setStructure(run.layerSizes);
    w.accChart.reset();
    if (run.done?.confusion_matrix) w.confusion.update({ matrix: run.done.confusion_matrix, classNames: run.dataset.class_names, accuracy: run.done.test_accuracy });
    lab.showMisclassified(run.done?.misclassified || [], run.done?.misclassified_predicted || []);
    run.fillCharts = true;
    this.requestHistory(run.id);
    this.w.raceResults.select(runId);
    w.status.status(`Showing ${this.label(this.race.contenders.find((c) => c.run_id === runId)?.optimizer)}.`);
  }

  /** Show the race chart in the cost panel instead of the single run's (and the race's panel). */
  showRaceView(on) {
    this.w.raceChart.container.hidden = !on;
    this.lab.w.costChart.container.hidden = on;
    if (!on) { this.race = null; this.w.raceResults.reset(); }
  }

  // ---------------------------------------------------------------- timeline
  /** Ask for a run's history (its metrics and kept iterations). */
  requestHistory(runId) {
    this.lab.send({ type: 'history', run_id: runId, request_id: `timeline-${++this.requestId}` });
  }

  /** A run ended: its timeline (and a contender's whole curve, none coalesced) can be asked for. */
  runDone(run) {
    if (run && !(run.opened && this.history?.run_id === run.id)) this.requestHistory(run.id);
  }

  /** `history`: a race's curve, and the shown run's timeline (and charts, for a reopened run or a picked contender). */
  onHistory(msg) {
    const { lab } = this;
    if (this.race?.runs.has(msg.run_id)) this.w.raceChart.setHistory(msg.run_id, msg.metrics);
    if (!lab.owns(msg) || !msg.finished && !lab.run.opened) return;
    this.history = msg;
    if (lab.run.opened || lab.run.fillCharts) this.fillCharts(msg.metrics);
    this.w.timeline.setHistory(msg);
    if (lab.run.fillCharts) this.seek(msg.kept[msg.kept.length - 1]); // a picked contender: its final weights
    lab.run.fillCharts = false;
  }

  /** The metrics' row of one iteration, as an `iteration` message. */
  row(iteration, extra = {}) {
    const m = this.history.metrics;
    const i = m.iteration.indexOf(iteration);
    const out = { type: 'iteration', run_id: this.history.run_id, ...extra };
    for (const [k, col] of Object.entries(m)) out[k] = col[i];
    out.iteration = iteration;
    return out;
  }

  /** A run that did not stream its iterations here (reopened, or picked): its curves from the history. */
  fillCharts(metrics) {
    const { lab } = this;
    lab.w.costChart.reset();
    lab.w.accChart.reset();
    lab.w.gradNorms.reset(); // else the shown run's norms are drawn after the last run's
    const rows = metrics.iteration.map((it) => this.row(it));
    lab.painter.queueCharts(rows, lab.scheduler);
    if (rows.length) { lab.run.lastIteration = rows[rows.length - 1]; lab.w.status.showIteration(rows[rows.length - 1]); }
  }

  /** Show every panel at a kept iteration. @param {number} iteration */
  seek(iteration) {
    const { lab } = this;
    if (!lab.run || iteration == null) return;
    lab.at = iteration;
    this.lastWeightsAt = ++this.requestId;
    lab.send({ type: 'weights_at', run_id: lab.run.id, iteration, request_id: this.lastWeightsAt });
    this.rewindScores(iteration);
    if (lab.input.kind === 'drawing') lab.w.prediction.pad.update();
    else if (lab.input.kind === 'sample' && !lab.run.probe.indices?.includes(lab.input.index)) lab.predict({ sample: { split: 'test', index: lab.input.index } }, lab.input);
  }

  /** A `weights_at` answer: the weights, the readouts and the followed sample's activations of that iteration. */
  weightsAt(header, thetas) {
    const { lab } = this;
    if (header.request_id !== this.lastWeightsAt || !lab.owns(header)) return;
    lab.run.thetas = thetas;
    lab.scheduler.setWeights(thetas);
    if (this.history) lab.scheduler.setLatest(this.row(header.iteration, { probe_activations: header.probe_activations }));
    this.w.timeline.showAt(header.iteration);
    const last = this.history?.kept.at(-1);
    const mark = header.iteration === last ? null : header.iteration; // the curves mark where the panels are
    for (const chart of [this.w.costChart, this.w.accChart, this.w.gradNorms]) chart.showAt(mark);
    const who = lab.run.race_id ? `${this.label(this.race?.contenders.find((c) => c.run_id === lab.run.id)?.optimizer)}: ` : '';
    const text = header.iteration === last ? `${who}the final network (iteration ${last}).`
      : `${who}rewound to iteration ${header.iteration} of ${last}: every panel shows the network as it was then.`;
    lab.w.status.status(text[0].toUpperCase() + text.slice(1));
    this.waiting = false;
  }

  /** The confusion matrix and the class strip at `iteration`; the final ones at the run's end. */
  rewindScores(iteration) {
    if (iteration !== this.history?.kept.at(-1)) { this.confusions.want(iteration); return; }
    this.confusions.cancel(); // back to the end: what `done` showed
    const { run, w } = this.lab;
    w.classStrip.live();
    if (run.done?.confusion_matrix) w.confusion.update({ matrix: run.done.confusion_matrix, classNames: run.dataset.class_names, accuracy: run.done.test_accuracy });
  }

  /** Ask for the test set's matrix and the strip's split (validation, else training) at `iteration`. @returns {string[]} the request ids */
  requestScores(iteration) {
    const run = this.lab.run;
    const splits = ['test', run.dataset?.n_val ? 'validation' : 'train'];
    return splits.map((split) => {
      const id = `confusion-${++this.requestId}`;
      this.lab.send({ type: 'confusion', run_id: run.id, iteration, split, request_id: id });
      return id;
    });
  }

  /** A `confusion` answer: the matrix (test) or the strip's column (its split), unless a newer one was asked. */
  onConfusion(msg) {
    if (!this.confusions.answered(msg.request_id) || !this.lab.owns(msg)) return;
    const { run, w } = this.lab;
    const last = this.history?.metrics.iteration.at(-1) ?? null;
    if (msg.split === 'test') {
      w.confusion.update({ matrix: msg.matrix, classNames: run.dataset.class_names, accuracy: msg.accuracy, split: msg.split, iteration: msg.iteration, last });
    } else {
      w.classStrip.showAt(msg.iteration, msg.class_accuracy, { classNames: run.dataset.class_names, maxIter: run.params?.max_iter ?? last ?? 0, last });
    }
  }

  /** A refused `confusion` (the run is gone, say): the batch is over all the same. */
  confusionFailed(msg) {
    this.confusions.answered(msg.request_id);
  }

  /** Play the run back from the first kept iteration (or where the slider is), or pause. @param {boolean} on */
  play(on) {
    this.stopPlaying();
    if (!on || !this.history) return;
    const kept = this.history.kept;
    let k = kept.indexOf(this.lab.at);
    if (k < 0 || k >= kept.length - 1) k = -1; // from the start
    this.w.timeline.setPlaying(true);
    this.timer = setInterval(() => {
      if (this.waiting) return; // one request at a time: a slow answer slows the playback, never floods
      k += 1;
      if (k >= kept.length) { this.stopPlaying(); return; }
      this.waiting = true;
      this.seek(kept[k]);
    }, 1000 / this.w.timeline.rate);
  }

  stopPlaying() {
    clearInterval(this.timer);
    this.timer = null;
    this.waiting = false;
    this.w.timeline.setPlaying(false);
  }

  /** A new run or a reset: no timeline until it ends. */
  clear() {
    this.stopPlaying();
    this.confusions.cancel();
    this.history = null;
    this.lab.at = null;
    this.w.timeline.reset();
    this.showRaceView(false);
  }

  // ---------------------------------------------------------------- saved runs
  async listModels() {
    try {
      const res = await fetch('/api/models');
      this.w.saved.update(await res.json());
    } catch (e) {
      this.w.saved.setNote(`Could not list the saved runs: ${e.message}`, true);
    }
  }

  /** Reopen a saved file as a finished run (on its own data set when it names one). @param {string} name */
  async open(name) {
    const { lab } = this;
    if (lab.run && lab.run.state !== 'idle') { this.w.saved.setNote('Stop the current run first.', true); return; }
    const file = (await (await fetch('/api/models')).json()).find((m) => m.name === name);
    if (file?.dataset && file.dataset !== lab.state.dataset) lab.store.set({ dataset: file.dataset });
    const id = `open-${Date.now().toString(36)}`;
    lab.startRun(id);
    lab.run.opened = name;
    lab.send({ type: 'open_model', name, dataset: lab.state.dataset, run_id: id });
  }

  /** Upload a model file from disk (the server checks it before storing it). @param {File} file */
  async upload(file) {
    const body = new FormData();
    body.append('file', file);
    try {
      const res = await fetch('/api/models', { method: 'POST', body });
      const answer = await res.json();
      if (!res.ok) { this.w.saved.setNote(`Refused: ${answer.message}`, true); return; }
      this.w.saved.setNote(`Uploaded ${answer.name} (${answer.layer_sizes.join('–')}). Open it below.`);
      this.listModels();
    } catch (e) {
      this.w.saved.setNote(`Upload failed: ${e.message}`, true);
    }
  }
}

/**
 * The CSV and PNG buttons of the charts and the confusion matrix: each exports what its widget shows.
 * @param {object} widgets main.js's widgets
 */
export function wireExports(widgets) {
  const $ = (sel) => document.querySelector(sel);
  new ExportButtons($('#h-cost'), { name: 'cost', csv: () => (widgets.raceChart.container.hidden ? streamChartCSV(widgets.costChart) : widgets.raceChart.csv()),
    png: () => (widgets.raceChart.container.hidden ? widgets.costChart.plot : widgets.raceChart.plot)?.ctx.canvas });
  new ExportButtons($('#h-acc'), { name: 'accuracy', csv: () => streamChartCSV(widgets.accChart), png: () => widgets.accChart.plot?.ctx.canvas });
  // what the panel shows: the final matrix, or the rewound one (its iteration in the file name)
  new ExportButtons($('#h-conf'), {
    get name() { return widgets.confusion.iteration == null ? 'confusion-matrix' : `confusion-matrix-iteration-${widgets.confusion.iteration}`; },
    csv: () => widgets.confusion.csv(),
  });
}
