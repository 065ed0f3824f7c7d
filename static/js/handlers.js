/**
 * One small handler per server message type, registered with the router by
 * main.js. Each takes the message and the Lab (the run, the input, the widgets).
 * A new message type is one function here.
 * @module handlers
 */
import { warmUp } from './warmup.js';
import { queueText } from './follow.js';

const DONE_WHY = {
  max_iter: 'reached the iteration limit', converged: 'converged', stopped: 'stopped',
  max_fun: 'reached the evaluation limit', diverged: 'diverged', failed: 'the optimizer failed',
};

/** The server's welcome: the settings schema, the data sets, the limits. */
export function ready(msg, lab) {
  const { store, w } = lab;
  lab.datasets = msg.datasets || [];
  const first = !store.hasSchema;
  if (first) {
    const errors = store.adopt(msg.settings || []);
    w.form.build(store.settings, msg.optimizers || []);
    w.form.setState(store.state);
    for (const [f, m] of Object.entries(errors)) w.form.showError(f, `${m} (from the URL; using the default)`);
  }
  w.form.setDatasets(lab.datasets, store.state.dataset);
  w.tools.check.setVariants(msg.gradient_check_variants);
  if (!lab.datasets.some((d) => d.id === store.state.dataset) && lab.datasets.length) {
    w.form.showError('dataset', `unknown data set ${store.state.dataset}; using ${lab.datasets[0].id}`);
    store.set({ dataset: lab.datasets[0].id }, { quiet: true }); // loaded just below
  }
  if (first) lab.applyRecommended(); // the data set's settings, but what the URL said wins
  lab.loadDataset();
  lab.replay?.setOptimizers(msg.optimizers || []);
  lab.replay?.listModels();
  if (!lab.run) { lab.previewStructure(); w.status.status('Connected. Press Train to start.'); }
  w.tools.setPlaceholder(lab.modelName());
  const sizes = lab.layerSizes();
  if (sizes) warmUp(sizes, lab.info().image_shape, lab.info().class_names);
  lab.follow?.ready();
}

export function started(msg, lab) {
  if (msg.race_id) lab.replay?.contenderStarted(msg);
  if (!lab.owns(msg)) return;
  const { run, w, scheduler } = lab;
  run.layerSizes = msg.layer_sizes;
  run.dataset = { ...lab.info(), ...msg.dataset };
  run.params = msg.params || {}; // the activation the page's own forward pass uses, the planned iterations
  run.probe = msg.probe || { indices: [] };
  w.network.setStructure({ layerSizes: msg.layer_sizes, imageShape: run.dataset.image_shape, classNames: run.dataset.class_names });
  scheduler.queue('network', () => w.network.draw());
  w.network.setCaption('Learning: the edges appear with the first weights.');
  scheduler.queue('heatmaps-structure', () => w.heatmaps.setStructure(msg.layer_sizes));
  scheduler.queue('hidden', () => w.hidden.setStructure(msg.layer_sizes));
  lab.backprop?.structureChanged(msg.layer_sizes);
  lab.setRunState('running');
  w.status.status(`Training ${msg.layer_sizes.join('–')} network on ${run.dataset.name || run.dataset.id}.`);
  lab.follow?.onStarted(msg);
}

export function state(msg, lab) {
  if (!lab.owns(msg)) return;
  lab.setRunState(msg.state);
  if (msg.state === 'queued') lab.w.status.status(queueText(msg));
}

/**
 * An iteration. When the server coalesced iterations for this page (it was behind),
 * `skipped` holds the scalars of those it did not send, oldest first: each still
 * becomes a point of the curves, before this one.
 */
export function iteration(msg, lab) {
  const points = (msg.skipped || []).map((s) => ({ ...s, type: 'iteration', run_id: msg.run_id }));
  points.push(msg);
  for (const point of points) lab.replay?.iteration(point);
  if (!lab.owns(msg)) return;
  lab.run.lastIteration = msg;
  for (const point of points) lab.scheduler.addIteration(point);
}

export function evaluation(msg, lab) {
  if (lab.owns(msg)) lab.scheduler.setEvaluation(msg);
}

export function done(msg, lab) {
  if (!lab.owns(msg)) return;
  const { run, w, scheduler } = lab;
  lab.setRunState('idle');
  run.done = msg;
  w.score.finish(msg);
  lab.replay?.runDone(run);
  const info = run.dataset;
  const acc = msg.test_accuracy != null ? `: test accuracy ${(100 * msg.test_accuracy).toFixed(1)}%` : '';
  const why = DONE_WHY[msg.reason] || msg.reason;
  if (msg.reason === 'error') w.status.status(`Training failed: ${msg.message}`, true);
  else w.status.status(`Finished (${why}) after ${msg.n_iter} iterations${acc}. ${info.image_shape ? 'Draw a digit or click a sample' : 'Click a sample'} to test the network.`);
  // each in a frame of its own, after the last weights have been drawn
  if (msg.confusion_matrix) scheduler.queue('confusion', () => w.confusion.update({ matrix: msg.confusion_matrix, classNames: info.class_names, accuracy: msg.test_accuracy }));
  scheduler.queue('misclassified', () => lab.showMisclassified(msg.misclassified || [], msg.misclassified_predicted || []));
  // the pad or the chosen sample now gets the final model's answer
  if (lab.input.kind === 'drawing') w.prediction.pad.update();
  else if (lab.input.kind === 'sample') lab.predict({ sample: { split: 'test', index: lab.input.index } }, lab.input);
}

export function prediction(msg, lab) {
  if (msg.request_id !== lab.lastPredictRequest) return; // an older answer overtaken by a newer drawing
  const { w, input } = lab;
  w.prediction.showPrediction({ ...msg, image_shape: msg.image_shape || lab.run?.dataset?.image_shape });
  if (input.kind === 'drawing') w.prediction.setSource('The network reads your drawing as');
  if (input.kind !== 'none') w.network.update({ activations: msg.activations, probabilities: null });
}

/** One training step for one input, laid open (the step-through, the chain, the inspector). */
export function explanation(msg, lab) {
  if (lab.owns(msg)) lab.backprop?.explanation(msg);
}

export function gradient_check_result(msg, lab) {
  lab.w.tools.showCheck(msg);
}

export function saved(msg, lab) {
  lab.w.status.status(`Saved model “${msg.name}”.`);
  lab.w.tools.showSaved(msg.name);
  lab.replay?.listModels();
}

export function error(msg, lab) {
  const { w } = lab;
  const shown = msg.field ? w.form.showError(msg.field, msg.message) : false;
  w.status.status(`${shown ? 'Refused: ' : ''}${msg.message}`, true);
  if (msg.request_type === 'train') { lab.run = null; lab.setRunState('idle'); lab.previewStructure(); }
  if (msg.request_type === 'predict' && typeof msg.request_id !== 'string') w.prediction.setSource(msg.message);
  if (msg.request_type === 'gradient_check') w.tools.showCheckError(msg.message);
  if (msg.request_type === 'explain') lab.backprop?.failed(msg.message);
  if (msg.request_type === 'save') w.tools.showSaveError(msg.message);
  lab.follow?.onError(msg);
  if (msg.request_type === 'open_model') { w.saved.setNote(msg.message, true); lab.run = null; lab.setRunState('idle'); lab.previewStructure(); }
  if (msg.request_type === 'confusion') lab.replay.confusionFailed(msg);
  if (msg.request_type === 'race') { lab.replay.clear(); lab.setRunState('idle'); lab.previewStructure(); }
}

/** An optimizer race began: its contenders, in racing order. */
export function race_started(msg, lab) {
  lab.replay.raceStarted(msg);
}

/** An optimizer race ended: each contender's final numbers. */
export function race_done(msg, lab) {
  lab.replay.raceDone(msg);
  lab.setRunState('idle');
}

/** A run's metrics and kept iterations: the timeline (and a race's curves). */
export function history(msg, lab) {
  lab.replay.onHistory(msg);
}

/** A confusion matrix at a rewound iteration: the matrix panel and the class strip. */
export function confusion(msg, lab) {
  lab.replay.onConfusion(msg);
}

// sharing a run with a class (follow.js)
export function shared(msg, lab) { lab.follow.onShared(msg); }
export function claimed(msg, lab) { lab.follow.onClaimed(msg); }
export function following(msg, lab) { lab.follow.onFollowing(msg); }
export function catchup(msg, lab) { lab.follow.onCatchup(msg); }
export function followers(msg, lab) { lab.follow.onFollowers(msg); }
export function share_ended(msg, lab) { lab.follow.onEnded(msg); }
