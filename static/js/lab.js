/**
 * The page's application logic: the run's life (train, pause, step, stop, reset),
 * the data set and its samples, and which input the widgets show (a probe sample
 * followed while training, a test sample, or a drawing). It calls widget methods
 * and sends through the `send` callback; it never sees the socket or the DOM.
 * @module lab
 */
import { fetchSamples, fetchAll, stripItems } from './samples.js';
import { recommendedPatch, changedKeys } from './recommend.js';
import { isActive } from './widgets/runbuttons.js';
import { Painter } from './render.js';

export const N_SAMPLES = 12;       // the sample strip, also the probe set followed during training
const N_MISCLASSIFIED = 24;        // thumbnails in the gallery

export class Lab {
  /**
   * @param {object} parts
   * @param {import('./store.js').Store} parts.store
   * @param {object} parts.widgets by name (see main.js)
   * @param {(msg: object) => void} parts.send a message to the server
   * @param {import('./scheduler.js').FrameScheduler} parts.scheduler
   */
  constructor({ store, widgets, send, scheduler }) {
    Object.assign(this, { store, w: widgets, send, scheduler });
    this.painter = new Painter(this);
    this.datasets = [];          // from `ready`
    this.run = null;             // {id, state, layerSizes, dataset, probe, thetas, lastIteration, done}
    this.input = { kind: 'none' }; // probe k, test sample, or drawing
    this.samples = [];           // [{index, vector, label}] of the strip
    this.points = { train: [], test: [] }; // every point of a 2-D set, as the server draws them
    this.loading = 0;            // the newest loadDataset (an older answer is dropped)
    this.requestId = 0;
    this.lastPredictRequest = 0;
    this.lastRefresh = 0;
    this.at = null;              // the timeline's iteration (null: the newest weights)
    this.replay = null;          // compare and replay (replay.js), set by main.js
  }

  get state() { return this.store.state; }

  /** A data set's description from `ready` (a stub for an unknown id). */
  info(id = this.state.dataset) {
    return this.datasets.find((d) => d.id === id) || { id, image_shape: null, class_names: [], name: id };
  }

  /** Is this message about the current run? */
  owns(msg) { return !!this.run && msg.run_id === this.run.id; }

  setRunState(s) {
    if (this.run) this.run.state = s;
    this.w.tools.setEnabled(!!this.run?.layerSizes);
    this.w.share?.setAvailable(!!this.run && !this.follow?.following);
    this.w.buttons.setRunState(s);
    this.w.form.setRunActive(isActive(s));
    this.w.status.setRunState(s);
  }

  /** The name a model is saved under when none is typed, e.g. "spiral-16-16". */
  modelName() {
    return [this.state.dataset, ...(this.state.hidden_layers || [])].join('-');
  }

  /** React to settings edits (a store subscription). @param {string[]} keys */
  settingsChanged(keys) {
    const idle = !this.run || this.run.state === 'idle';
    if (keys.includes('theme')) this.redrawAll();
    if (keys.includes('dataset')) keys = [...keys, ...this.applyRecommended()];
    // a new data set, or new points of a 2-D one: reset previews the new network
    if (keys.includes('dataset') || keys.some((k) => this.store.settings.row(k)?.datasets)) { if (idle) this.reset(); this.loadDataset(); }
    if (keys.includes('hidden_layers') && idle) this.previewStructure();
    if (keys.includes('dataset') || keys.includes('hidden_layers')) this.w.tools.setPlaceholder(this.modelName());
    if (keys.includes('delay_ms') && this.run && this.run.state !== 'idle') this.send({ type: 'speed', delay_ms: this.state.delay_ms, run_id: this.run.id });
  }

  redrawAll() {
    const w = this.w;
    w.costChart.restyle();
    w.raceChart?.restyle();
    w.accChart.restyle();
    w.gradNorms.restyle();
    if (this.run?.thetas) this.scheduler.setWeights(this.run.thetas);
    if (this.run?.lastIteration) this.scheduler.setLatest(this.run.lastIteration);
    w.network.draw();
    w.sampleStrip.update({ items: w.sampleStrip.items });
    w.misStrip.update({ items: w.misStrip.items });
    w.prediction.restyle();
  }

  /**
   * Apply the data set's recommended settings (`ready.datasets[i].recommended`): all
   * of them from the "Recommended" button, else all but the keys a shared link pinned.
   * @param {boolean} [all] @returns {string[]} the keys that changed
   */
  applyRecommended(all = false) {
    const { store } = this;
    if (!store.hasSchema) return [];
    if (all) store.pinned.clear(); // chosen over the link's values from now on
    const patch = recommendedPatch(this.info(), store.settings, store.pinned);
    const keys = changedKeys(this.state, patch);
    store.set(Object.fromEntries(keys.map((k) => [k, patch[k]])), { quiet: !all });
    this.w.form.setState(this.state);
    if (all) this.w.status.status(`The recommended settings for ${this.info().name} are set. Press Train.`);
    return keys;
  }

  /** A 2-D set's point parameters in the state (noise, n_points, data_seed; null: the set's own). */
  dataParams() {
    return Object.fromEntries(this.store.settings.rows.filter((r) => r.datasets).map((r) => [r.name, this.state[r.name]]));
  }

  // ---------------------------------------------------------------- data set
  async loadDataset() {
    const info = this.info();
    const w = this.w;
    const isImage = !!info.image_shape;
    const token = ++this.loading;
    const data = isImage ? {} : this.dataParams();
    w.form.setDatasetKind(info.kind);
    this.points = { train: [], test: [] };
    w.form.setDatasetInfo([info.n_train != null && `${info.n_train.toLocaleString()} train`, info.n_test != null && `${info.n_test.toLocaleString()} test`,
      isImage ? `${info.image_shape[0]}×${info.image_shape[1]} images` : '2-D points'].filter(Boolean).join(' · '), info.description || '');
    w.hidden.show(isImage);
    w.boundary.show(!isImage);
    w.prediction.setDataset(info);
    if (this.input.kind !== 'sample') w.prediction.showHint();
    w.misStrip.options.empty = `Misclassified test ${isImage ? 'digits' : 'points'} appear when training ends.`;
    if (!w.misStrip.items.length) w.misStrip.reset();
    for (const strip of [w.sampleStrip, w.misStrip, w.hidden]) strip.setImageShape(info.image_shape);
    try {
      const samples = await fetchSamples(info.id, 0, isImage ? N_SAMPLES : 64, null, data);
      if (token !== this.loading) return;
      this.samples = samples;
      w.sampleStrip.update({ items: stripItems(this.samples.slice(0, N_SAMPLES), info.class_names) });
      // before any training, the diagram already shows what goes in
      if (!this.run && this.input.kind === 'none' && this.samples.length) w.network.update({ activations: [this.samples[0].vector] });
      if (isImage) return;
      const [train, test] = await Promise.all([fetchAll(info.id, 'train', data), fetchAll(info.id, 'test', data)]);
      if (token !== this.loading) return;
      this.points = { train, test };
      this.showPoints();
    } catch (e) {
      w.status.status(`Could not load samples: ${e.message}`, true);
    }
  }

  /** The 2-D points on the boundary map, the selected test sample marked. */
  showPoints() {
    this.w.boundary.setPoints(this.points, this.input.kind === 'sample' ? this.input.index : null);
  }

  /** Layer sizes the settings describe for the current data set, or null before its description arrived. */
  layerSizes() {
    const info = this.info();
    if (!info.n_features || !info.class_names?.length) return null;
    return [info.n_features, ...this.state.hidden_layers, info.class_names.length];
  }

  /** Before training, draw the network the settings describe (edges come with weights). */
  previewStructure() {
    const sizes = this.layerSizes();
    if (!sizes) return;
    const info = this.info();
    this.run = null;
    this.w.network.setStructure({ layerSizes: sizes, imageShape: info.image_shape, classNames: info.class_names });
    this.w.network.draw();
    this.w.heatmaps.setStructure(sizes); // canvases made now, not in the first training frame
    this.w.hidden.setStructure(sizes);
    this.w.network.setCaption(`${sizes.join(' → ')} units. Press Train to learn the weights.`);
    this.backprop?.structureChanged(sizes);
  }

  // ---------------------------------------------------------------- input
  selectSample(item) {
    const w = this.w;
    const info = this.info();
    this.input = { kind: 'sample', index: item.index, vector: item.vector, label: item.classIndex };
    w.sampleStrip.select(item.index);
    w.misStrip.select(item.index);
    w.prediction.setSource(`Test sample #${item.index} (true class ${info.class_names[item.classIndex] ?? item.classIndex})`);
    w.network.setInputLabel(`input: test sample #${item.index}`);
    if (info.image_shape) w.prediction.showInput(item.vector, info.image_shape);
    else this.w.boundary.setHighlight(item.index);
    if (this.run) this.predict({ sample: { split: 'test', index: item.index } }, this.input);
    else w.network.update({ activations: [item.vector] });
  }

  clearDrawing() {
    this.w.prediction.pad.reset();
    if (this.input.kind === 'drawing') {
      this.input = { kind: 'none' };
      this.w.prediction.clear();
    }
  }

  predict(what, forInput) {
    if (forInput.kind === 'drawing') {
      this.input = { kind: 'drawing' };
      this.w.sampleStrip.select(null);
      this.w.misStrip.select(null);
      this.w.network.setInputLabel('input: your drawing');
    }
    if (!this.run) {
      this.w.prediction.setSource('Train a network first: it will read your drawing as it learns.');
      return;
    }
    this.lastPredictRequest = ++this.requestId;
    this.lastInput = what; // the step-through explains the same input
    this.send({ type: 'predict', request_id: this.lastPredictRequest, run_id: this.run.id, ...what, ...(this.at != null ? { iteration: this.at } : {}) });
    this.backprop?.inputChanged();
  }

  /** While training, ask again (at most once a second) what the newest weights make of a drawing or a non-probe sample. */
  refreshInput() {
    const now = performance.now();
    if (now - this.lastRefresh < 1000 || !this.run || this.run.state === 'idle') return;
    if (this.input.kind === 'drawing') { this.lastRefresh = now; this.w.prediction.pad.update(); }
    else if (this.input.kind === 'sample' && !this.run.probe.indices.includes(this.input.index)) {
      this.lastRefresh = now;
      this.predict({ sample: { split: 'test', index: this.input.index } }, this.input);
    }
  }

  // ---------------------------------------------------------------- actions
  train() {
    const form = this.w.form;
    if (!this.store.hasSchema) { // the settings (and their defaults) come with `ready`
      this.w.status.status('Connecting to the server: the settings arrive with it.', true);
      return false;
    }
    if (this.run && isActive(this.run.state)) { // Enter in the speed field during a run
      this.w.status.status('A run is under way: stop it (X) before training a new one.');
      return false;
    }
    // What the form shows but refused counts, not only the last valid state.
    const errors = { ...this.store.settings.validate(this.state), ...Object.fromEntries(form.invalid) };
    if (Object.keys(errors).length) {
      for (const [f, m] of Object.entries(errors)) form.showError(f, m);
      this.w.status.status('Fix the highlighted settings first.', true);
      return false;
    }
    form.clearErrors();
    const id = `r${Date.now().toString(36)}`;
    const probe = this.samples.slice(0, N_SAMPLES).map((s) => s.index);
    this.send(this.store.settings.trainMessage(this.state, { run_id: id, ...(probe.length ? { probe } : {}) }));
    this.startRun(id);
    this.w.status.status(`Training on ${this.info().name}…`);
    return true;
  }

  pause() {
    if (this.run) this.send({ type: this.run.state === 'paused' ? 'resume' : 'pause', run_id: this.run.id });
  }

  step() {
    // from idle: start a run and let the server pause it after its first iteration
    if ((!this.run || this.run.state === 'idle') && !this.train()) return;
    this.send({ type: 'step', run_id: this.run.id });
  }

  stop() {
    if (this.run && this.run.state !== 'idle') { this.send({ type: 'stop', run_id: this.run.id }); this.setRunState('stopping'); }
  }

  reset() {
    if (this.run && this.run.state !== 'idle' && this.run.state !== 'stopping') this.send({ type: 'stop', run_id: this.run.id });
    this.run = null;
    this.clearRunWidgets();
    this.clearDrawing();
    this.input = { kind: 'none' };
    this.w.prediction.clear();
    this.w.sampleStrip.select(null);
    this.w.misStrip.select(null);
    this.w.network.setInputLabel('');
    this.setRunState('idle');
    this.previewStructure();
    this.w.status.status('Reset. Press Train to start.');
  }

  /** The connection dropped: the server ended its runs. */
  connectionLost() {
    this.w.status.status('Connection to the server lost; reconnecting…', true);
    if (this.run && this.run.state !== 'idle') { this.run = null; this.setRunState('idle'); }
  }

  gradientCheck(variant = 'correct') {
    if (this.run) this.send({ type: 'gradient_check', run_id: this.run.id, ...(variant !== 'correct' ? { variant } : {}) });
  }

  /** Save the run's model under `name` ('' for a name made of the settings). */
  save(name) {
    if (!this.run) return;
    this.send({ type: 'save', run_id: this.run.id, name: name || this.modelName() });
  }

  /** Empty every panel of the last run. @param {{runStarting?: boolean}} [options] a run's points follow soon */
  clearRunWidgets({ runStarting = false } = {}) {
    const w = this.w;
    const charts = { pointsSoon: runStarting }; // their first points rescale them: no rebuild in the run's first frames
    this.replay?.clear();
    this.scheduler.clear();
    this.painter.clear();
    w.costChart.reset(charts); w.accChart.reset(charts);
    w.network.clear(); w.heatmaps.reset(); w.hidden.reset(); w.confusion.reset(); w.misStrip.reset();
    w.unitMaps.reset(); w.classStrip.reset(); w.score.reset(); w.tools.reset();
    if (!this.info().image_shape) { // the boundary panel is shown for 2-D data only
      w.boundary.reset();
      this.showPoints();
    }
    w.prediction.clearAnswer();
    w.status.reset();
    w.gradNorms.reset(charts);
    this.backprop?.reset();
  }

  startRun(id) {
    this.clearRunWidgets({ runStarting: true });
    this.run = { id, state: 'queued', thetas: null, lastIteration: null, probe: { indices: [] }, dataset: this.info() };
    this.follow?.runChanged(id);
    this.setRunState('queued');
  }

  async showMisclassified(indices, predicted = []) {
    const take = indices.slice(0, N_MISCLASSIFIED);
    if (!take.length) { this.w.misStrip.reset(); return; }
    const { id: runId, dataset } = this.run;
    try {
      const got = await fetchSamples(dataset.id, 0, 0, take, dataset.data_params || {}); // one request for the whole gallery
      if (!this.run || this.run.id !== runId) return;
      const name = (c) => dataset.class_names[c] ?? String(c);
      const items = stripItems(got, dataset.class_names, (s, k) => `${name(s.label)} → ${name(predicted[k])}`);
      items.forEach((item, k) => {
        item.label = `test sample ${item.index}: true ${name(got[k].label)}, predicted ${name(predicted[k])}`;
      });
      this.w.misStrip.update({ items });
    } catch (e) {
      this.w.status.status(`Could not load misclassified samples: ${e.message}`, true);
    }
  }
}
