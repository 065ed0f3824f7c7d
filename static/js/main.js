/**
 * The one module that wires server messages to widgets. Widgets never see the
 * socket; the Connection never sees a widget. Rendering happens on
 * requestAnimationFrame: messages arriving faster than frames are coalesced
 * (the latest iteration and weights win; every iteration's cost is still appended).
 * @module main
 */
import { Connection } from './connection.js';
import { applyLimits, fromQuery, toQuery, trainMessage, validate } from './state.js';
import { Controls } from './widgets/controls.js';
import { StreamChart } from './widgets/charts.js';
import { NetworkDiagram } from './widgets/network.js';
import { WeightHeatmaps } from './widgets/heatmaps.js';
import { HiddenUnits } from './widgets/hiddenunits.js';
import { DrawPad } from './widgets/drawpad.js';
import { ProbabilityBars } from './widgets/probbars.js';
import { ConfusionMatrix } from './widgets/confusion.js';
import { ImageStrip } from './widgets/gallery.js';
import { ImageView } from './widgets/imageview.js';
import { DecisionBoundary } from './widgets/boundary.js';

const $ = (sel) => document.querySelector(sel);
const N_SAMPLES = 12;          // the sample strip, also the probe set followed during training
const N_MISCLASSIFIED = 24;    // thumbnails in the gallery

// ------------------------------------------------------------------ state
const parsed = fromQuery(location.search);
const state = parsed.state;
let datasets = [];             // from `ready` (or /api/datasets)
let run = null;                // {id, state, layerSizes, dataset, probe, thetas, lastIteration, done}
let input = { kind: 'none' };  // the input shown everywhere: probe k, test sample, or drawing
let samples = [];              // [{index, vector, label}] of the strip
let requestId = 0;
let lastPredictRequest = 0;
const pending = { points: [], latest: null, weights: null, evaluation: null };

// ------------------------------------------------------------------ widgets
const controls = new Controls($('#controls'), {
  buttons: $('#run-buttons'),
  onChange: (name, value) => setParam(name, value),
  onAction: (action) => actions[action](),
});
const costChart = new StreamChart($('#cost-chart'), {
  yLabel: 'cost', series: [{ label: 'training', color: '--series-train' }, { label: 'validation', color: '--series-val', dash: [6, 4] }],
});
const accChart = new StreamChart($('#acc-chart'), {
  yLabel: 'accuracy', yRange: [0, 1], format: (v) => `${(100 * v).toFixed(1)}%`, axisFormat: (v) => `${Math.round(100 * v)}%`,
  series: [{ label: 'training', color: '--series-train' }, { label: 'validation', color: '--series-val', dash: [6, 4] }],
});
const network = new NetworkDiagram($('#network'), { height: 340, caption: $('#net-caption') });
const heatmaps = new WeightHeatmaps($('#heatmaps'));
const hidden = new HiddenUnits($('#hiddenunits'));
const bars = new ProbabilityBars($('#bars'), { classNames: [] });
const preprocessed = new ImageView($('#preprocessed'));
const confusion = new ConfusionMatrix($('#confusion'));
const boundary = new DecisionBoundary($('#boundary'));
const sampleStrip = new ImageStrip($('#samples'), { onSelect: (item) => selectSample(item), empty: 'Loading samples…' });
const misStrip = new ImageStrip($('#misclassified'), { onSelect: (item) => selectSample(item), empty: 'Misclassified test digits appear when training ends.' });
const pad = new DrawPad($('#drawpad'), {
  onDraw: (image) => predict({ image }, { kind: 'drawing' }),
  onClear: () => clearDrawing(),
});

// ------------------------------------------------------------------ helpers
function status(text, isError = false) {
  const box = $('#status');
  box.textContent = text;
  box.classList.toggle('error', isError);
}

function setParam(name, value) {
  state[name] = value;
  history.replaceState(null, '', `?${toQuery(state)}`);
  if (name === 'theme') applyTheme();
  if (name === 'optimizer') $('#controls').dataset.optimizer = value;
  const idle = !run || run.state === 'idle';
  if (name === 'dataset' && idle) actions.reset(); // clears the last run and previews the new network
  if (name === 'dataset') loadDataset();
  if (name === 'hidden_layers' && idle) previewStructure();
  if (name === 'delay_ms' && run && run.state !== 'idle') conn.send({ type: 'speed', delay_ms: value, run_id: run.id });
}

function datasetInfo(id = state.dataset) {
  return datasets.find((d) => d.id === id) || { id, image_shape: null, class_names: [], name: id };
}

function applyTheme() {
  document.documentElement.dataset.theme = state.theme;
  $('#theme-toggle').setAttribute('aria-label', state.theme === 'dark' ? 'Light theme' : 'Dark theme');
  costChart.restyle();
  accChart.restyle();
  redrawAll();
}

function redrawAll() {
  if (run && run.thetas) pending.weights = run.thetas;
  if (run && run.lastIteration) pending.latest = run.lastIteration;
  network.draw();
  sampleStrip.update({ items: sampleStrip.items });
  misStrip.update({ items: misStrip.items });
  if (preprocessed.values) preprocessed.update({ image: preprocessed.values, shape: run?.dataset?.image_shape || datasetInfo().image_shape });
  schedule();
}

function setRunState(s) {
  if (run) run.state = s;
  $('#gradient-check').disabled = !run || !run.layerSizes;
  $('#save-model').disabled = !run || !run.layerSizes;
  controls.setRunState(s);
  $('#run-state').textContent = s;
}

// ------------------------------------------------------------------ data set & samples
/** Fetch test samples: `start`/`count`, or a list of `indices` (one request either way). */
async function fetchSamples(id, start, count, indices = null) {
  const which = indices ? `indices=${indices.join(',')}` : `start=${start}&count=${count}`;
  const r = await fetch(`/api/datasets/${encodeURIComponent(id)}/samples?split=test&${which}&format=list`);
  if (!r.ok) throw new Error(`samples of ${id}: HTTP ${r.status}`);
  const body = await r.json();
  return body.images.map((vector, k) => ({ index: body.indices[k], vector, label: body.labels[k] }));
}

function stripItems(list, caption) {
  const info = datasetInfo();
  return list.map((s) => ({
    index: s.index, vector: s.vector, classIndex: s.label,
    caption: caption ? caption(s) : (info.class_names[s.label] ?? String(s.label)),
    label: `test sample ${s.index}, class ${info.class_names[s.label] ?? s.label}`,
  }));
}

async function loadDataset() {
  const info = datasetInfo();
  $('#d-dataset').textContent = [info.n_train != null && `${info.n_train.toLocaleString()} train`, info.n_test != null && `${info.n_test.toLocaleString()} test`,
    info.image_shape ? `${info.image_shape[0]}×${info.image_shape[1]} images` : '2-D points'].filter(Boolean).join(' · ');
  $('#d-dataset').title = info.description || '';
  const isImage = !!info.image_shape;
  $('#units-panel').hidden = !isImage;
  $('#boundary-panel').hidden = isImage;
  $('#h-draw').textContent = isImage ? 'Draw a digit' : 'Input';
  if (input.kind !== 'sample') $('#prediction-source').textContent = isImage ? 'Draw, or pick a sample below.' : 'Pick a sample below.';
  misStrip.options.empty = isImage ? 'Misclassified test digits appear when training ends.' : 'Misclassified test points appear when training ends.';
  if (!misStrip.items.length) misStrip.reset();
  $('#drawpad').closest('.draw-row').hidden = !isImage;
  sampleStrip.setImageShape(info.image_shape);
  misStrip.setImageShape(info.image_shape);
  hidden.setImageShape(info.image_shape);
  bars.setClasses(info.class_names || []);
  try {
    samples = await fetchSamples(info.id, 0, isImage ? N_SAMPLES : 64);
    sampleStrip.update({ items: stripItems(samples.slice(0, N_SAMPLES)) });
    // before any training, the diagram already shows what goes in
    if (!run && input.kind === 'none' && samples.length) network.update({ activations: [samples[0].vector] });
    if (!isImage) boundary.setPoints(samples.map((s) => ({ x: s.vector, classIndex: s.label })));
  } catch (e) {
    status(`Could not load samples: ${e.message}`, true);
  }
}

/** Before training, draw the network the settings describe (edges come with weights). */
function previewStructure() {
  const info = datasetInfo();
  if (!info.n_features || !info.class_names?.length) return;
  run = null;
  const sizes = [info.n_features, ...state.hidden_layers, info.class_names.length];
  network.setStructure({ layerSizes: sizes, imageShape: info.image_shape, classNames: info.class_names });
  network.draw();
  heatmaps.setStructure(sizes); // canvases made now, not in the first training frame
  hidden.setStructure(sizes);
  $('#net-caption').textContent = `${[info.n_features, ...state.hidden_layers, info.class_names.length].join(' → ')} units. Press Train to learn the weights.`;
}

// ------------------------------------------------------------------ input selection
function selectSample(item) {
  input = { kind: 'sample', index: item.index, vector: item.vector, label: item.classIndex };
  sampleStrip.select(item.index);
  misStrip.select(item.index);
  const info = datasetInfo();
  $('#prediction-source').textContent = `Test sample #${item.index} (true class ${info.class_names[item.classIndex] ?? item.classIndex})`;
  $('#net-input-label').textContent = `input: test sample #${item.index}`;
  if (info.image_shape) preprocessed.update({ image: item.vector, shape: info.image_shape });
  if (!info.image_shape) boundary.setPoints(samples.map((s) => ({ x: s.vector, classIndex: s.label })), samples.findIndex((s) => s.index === item.index));
  if (run) predict({ sample: { split: 'test', index: item.index } }, input);
  else network.update({ activations: [item.vector] });
}

function clearDrawing() {
  pad.reset();
  if (input.kind === 'drawing') {
    input = { kind: 'none' };
    preprocessed.reset();
    bars.reset();
    $('#prediction').textContent = '';
    $('#prediction-source').textContent = datasetInfo().image_shape ? 'Draw, or pick a sample below.' : 'Pick a sample below.';
  }
}

function predict(what, forInput) {
  if (forInput.kind === 'drawing') {
    input = { kind: 'drawing' };
    sampleStrip.select(null);
    misStrip.select(null);
    $('#net-input-label').textContent = 'input: your drawing';
  }
  if (!run) {
    $('#prediction-source').textContent = 'Train a network first: it will read your drawing as it learns.';
    return;
  }
  lastPredictRequest = ++requestId;
  conn.send({ type: 'predict', request_id: lastPredictRequest, run_id: run.id, ...what });
}

/** Follow the selected input from each iteration: probe samples come with activations. */
function probeActivations(msg) {
  if (!run || !msg.probe_activations?.length) return null;
  let k = -1;
  if (input.kind === 'sample') k = run.probe.indices.indexOf(input.index);
  else if (input.kind === 'none') {
    // nothing chosen yet: follow the first probe sample, and say so
    k = 0;
    if (run.probe.indices.length && !$('#net-input-label').textContent) {
      $('#net-input-label').textContent = `input: test sample #${run.probe.indices[0]} (click another below)`;
      sampleStrip.select(run.probe.indices[0]);
    }
  }
  if (k < 0) return null;
  const vec = samples.find((s) => s.index === run.probe.indices[k])?.vector ?? null;
  return [vec, ...msg.probe_activations[k]];
}

// ------------------------------------------------------------------ actions
const actions = {
  train() {
    // What the form shows but refused counts, not only the last valid state.
    const errors = { ...validate(state), ...Object.fromEntries(controls.invalid) };
    if (Object.keys(errors).length) {
      for (const [f, m] of Object.entries(errors)) controls.showError(f, m);
      status('Fix the highlighted settings first.', true);
      return false;
    }
    controls.clearErrors();
    const id = `r${Date.now().toString(36)}`;
    const probe = samples.slice(0, N_SAMPLES).map((s) => s.index);
    conn.send(trainMessage(state, { run_id: id, ...(probe.length ? { probe } : {}) }));
    startRun(id);
    status(`Training on ${datasetInfo().name}…`);
    return true;
  },
  pause() {
    if (!run) return;
    conn.send({ type: run.state === 'paused' ? 'resume' : 'pause', run_id: run.id });
  },
  step() {
    // from idle: start a run and let the server pause it after its first iteration
    if (!run || run.state === 'idle') { if (!actions.train()) return; }
    conn.send({ type: 'step', run_id: run.id });
  },
  stop() {
    if (run && run.state !== 'idle') { conn.send({ type: 'stop', run_id: run.id }); setRunState('stopping'); }
  },
  reset() {
    if (run && run.state !== 'idle' && run.state !== 'stopping') conn.send({ type: 'stop', run_id: run.id });
    run = null;
    clearRunWidgets();
    clearDrawing();
    input = { kind: 'none' };
    preprocessed.reset();
    sampleStrip.select(null);
    misStrip.select(null);
    $('#prediction-source').textContent = datasetInfo().image_shape ? 'Draw, or pick a sample below.' : 'Pick a sample below.';
    $('#net-input-label').textContent = '';
    setRunState('idle');
    previewStructure();
    status('Reset. Press Train to start.');
  },
};

function clearRunWidgets() {
  pending.points = []; pending.latest = null; pending.weights = null;
  accPoints.length = 0;
  jobs.clear();
  costChart.reset(); accChart.reset();
  network.clear(); heatmaps.reset(); hidden.reset(); confusion.reset(); misStrip.reset();
  if (!datasetInfo().image_shape) { // the boundary panel is shown for 2-D data only
    boundary.reset();
    boundary.setPoints(samples.map((s) => ({ x: s.vector, classIndex: s.label })));
  }
  bars.reset();
  $('#iteration').textContent = '0';
  $('#cost').textContent = '–';
  $('#accuracy').textContent = '–';
  $('#prediction').textContent = '';
}

function startRun(id) {
  clearRunWidgets();
  run = { id, state: 'queued', thetas: null, lastIteration: null, probe: { indices: [] }, dataset: datasetInfo() };
  setRunState('queued');
}

// ------------------------------------------------------------------ server messages
const handlers = {
  ready(msg) {
    applyLimits(msg.limits || {});
    datasets = msg.datasets || [];
    controls.setDatasets(datasets, state.dataset);
    if (!datasets.some((d) => d.id === state.dataset) && datasets.length) {
      controls.showError('dataset', `unknown data set ${state.dataset}; using ${datasets[0].id}`);
      state.dataset = datasets[0].id;
    }
    loadDataset();
    if (!run) { previewStructure(); status('Connected. Press Train to start.'); }
    warmUp();
  },
  started(msg) {
    if (!run || msg.run_id !== run.id) return;
    run.layerSizes = msg.layer_sizes;
    run.dataset = { ...datasetInfo(), ...msg.dataset };
    run.probe = msg.probe || { indices: [] };
    network.setStructure({ layerSizes: msg.layer_sizes, imageShape: run.dataset.image_shape, classNames: run.dataset.class_names });
    queue('network', () => network.draw());
    $('#net-caption').textContent = 'Learning: the edges appear with the first weights.';
    queue('heatmaps-structure', () => heatmaps.setStructure(msg.layer_sizes));
    queue('hidden', () => hidden.setStructure(msg.layer_sizes));
    schedule();
    setRunState('running');
    status(`Training ${msg.layer_sizes.join('–')} network on ${run.dataset.name || run.dataset.id}.`);
  },
  state(msg) {
    if (!run || msg.run_id !== run.id) return;
    setRunState(msg.state);
    if (msg.state === 'queued') status(`The server is busy: this run waits in a queue${msg.position != null ? ` (position ${msg.position})` : ''}.`);
  },
  iteration(msg) {
    if (!run || msg.run_id !== run.id) return;
    pending.points.push(msg);
    pending.latest = msg;
    run.lastIteration = msg;
    schedule();
  },
  evaluation(msg) {
    if (!run || msg.run_id !== run.id) return;
    pending.evaluation = msg; // shown on the next frame, like everything else
    schedule();
  },
  done(msg) {
    if (!run || msg.run_id !== run.id) return;
    setRunState('idle');
    run.done = msg;
    const acc = msg.test_accuracy != null ? `: test accuracy ${(100 * msg.test_accuracy).toFixed(1)}%` : '';
    const info = run.dataset;
    const why = { max_iter: 'reached the iteration limit', converged: 'converged', stopped: 'stopped', max_fun: 'reached the evaluation limit', diverged: 'diverged', failed: 'the optimizer failed' }[msg.reason] || msg.reason;
    status(msg.reason === 'error' ? `Training failed: ${msg.message}` : `Finished (${why}) after ${msg.n_iter} iterations${acc}. ${info.image_shape ? 'Draw a digit or click a sample' : 'Click a sample'} to test the network.`, msg.reason === 'error');
    // each in a frame of its own, after the last weights have been drawn
    if (msg.confusion_matrix) queue('confusion', () => confusion.update({ matrix: msg.confusion_matrix, classNames: info.class_names, accuracy: msg.test_accuracy }));
    queue('misclassified', () => showMisclassified(msg.misclassified || [], msg.misclassified_predicted || []));
    schedule();
    // the pad or the chosen sample now gets the final model's answer
    if (input.kind === 'drawing') pad.update();
    else if (input.kind === 'sample') predict({ sample: { split: 'test', index: input.index } }, input);
  },
  prediction(msg) {
    if (msg.request_id !== lastPredictRequest) return; // an older answer overtaken by a newer drawing
    const shape = msg.image_shape || run?.dataset?.image_shape;
    if (shape && msg.image) preprocessed.update({ image: msg.image, shape });
    bars.update({ probabilities: msg.probabilities });
    $('#prediction').textContent = msg.class_name;
    if (input.kind === 'drawing') $('#prediction-source').textContent = 'The network reads your drawing as';
    if (input.kind !== 'none') network.update({ activations: msg.activations, probabilities: null });
  },
  gradient_check_result(msg) {
    const d = msg.relative_difference;
    $('#gradient-result').textContent = `Relative difference ${d.toExponential(1)} over ${msg.n_coordinates} weights: `
      + (d < 1e-6 ? 'backprop agrees with the numerical gradient.' : 'larger than expected (< 1e-6).');
  },
  saved(msg) {
    status(`Saved model “${msg.name}”.`);
    const link = document.createElement('a');
    link.href = `/api/models/${encodeURIComponent(msg.name)}`;
    link.textContent = `Download ${msg.name}.npz`;
    link.setAttribute('download', `${msg.name}.npz`);
    $('#save-result').replaceChildren(`Saved on the server. `, link);
  },
  error(msg) {
    const shown = msg.field ? controls.showError(msg.field, msg.message) : false;
    status(`${shown ? 'Refused: ' : ''}${msg.message}`, true);
    if (msg.request_type === 'train') { run = null; setRunState('idle'); previewStructure(); }
    if (msg.request_type === 'predict' && typeof msg.request_id !== 'string') $('#prediction-source').textContent = msg.message;
    if (msg.request_type === 'gradient_check') $('#gradient-result').textContent = msg.message;
    if (msg.request_type === 'save') $('#save-result').textContent = msg.message;
  },
};

/** Bars and predicted class from a probe sample's output units (normalised like the server's `probabilities`). */
function showOutputs(out) {
  const total = out.reduce((s, v) => s + v, 0);
  const probabilities = out.map((v) => (total > 0 ? v / total : v));
  let best = 0;
  out.forEach((v, i) => { if (v > out[best]) best = i; });
  bars.update({ probabilities });
  $('#prediction').textContent = run?.dataset?.class_names?.[best] ?? String(best);
}

function fmtCost(c) {
  return c == null ? '–' : c >= 100 ? c.toFixed(1) : c.toPrecision(4);
}

async function showMisclassified(indices, predicted = []) {
  const take = indices.slice(0, N_MISCLASSIFIED);
  if (!take.length) { misStrip.reset(); return; }
  const id = run.dataset.id;
  const runId = run.id;
  try {
    const got = await fetchSamples(id, 0, 0, take); // one request for the whole gallery
    if (!run || run.id !== runId) return;
    const names = run.dataset.class_names;
    const name = (c) => names[c] ?? String(c);
    const items = stripItems(got, (s) => `${name(s.label)} → ${name(predicted[got.indexOf(s)])}`);
    items.forEach((item, k) => {
      item.label = `test sample ${item.index}: true ${name(got[k].label)}, predicted ${name(predicted[k])}`;
    });
    misStrip.update({ items });
  } catch (e) {
    status(`Could not load misclassified samples: ${e.message}`, true);
  }
}

/** While training, ask again (at most once a second) what the newest weights make of a drawing or a non-probe sample. */
let lastRefresh = 0;
function refreshInput() {
  const now = performance.now();
  if (now - lastRefresh < 1000 || !run || run.state === 'idle') return;
  if (input.kind === 'drawing') { lastRefresh = now; pad.update(); }
  else if (input.kind === 'sample' && !run.probe.indices.includes(input.index)) {
    lastRefresh = now;
    predict({ sample: { split: 'test', index: input.index } }, input);
  }
}

// ------------------------------------------------------------------ rendering
let frameRequested = false;
function schedule() {
  if (!frameRequested) { frameRequested = true; requestAnimationFrame(frame); }
}

/*
 * Heavy widget updates are queued and run a few per frame within a time budget,
 * so one frame never carries every widget's redraw at once (a long task); each job
 * reads the newest data when it finally runs, so nothing stale is ever drawn.
 */
const jobs = new Map(); // name -> function, insertion-ordered, one pending per name
const FRAME_BUDGET_MS = 0; // one job (one canvas) per frame: each updated canvas costs the frame a compositor round trip
const accPoints = []; // iterations drawn on the cost chart, not yet on the accuracy chart

function queue(name, fn) {
  // Map.set on a pending name keeps its place: first queued, first run, so a widget
  // updated every frame (the charts) cannot starve the others
  jobs.set(name, fn);
}

function frame() {
  frameRequested = false;
  const t0 = performance.now();
  if (pending.points.length) {
    // every iteration's point is kept; the charts redraw once for all of them
    queue('cost-chart', () => {
      const pts = pending.points;
      pending.points = [];
      costChart.update(pts.map((p) => ({ x: p.iteration, y: [p.cost, p.val_cost], nfev: p.n_fev })));
      accPoints.push(...pts);
      $('#cost-chart').dataset.points = String(costChart.length);
    });
    queue('acc-chart', () => {
      accChart.update(accPoints.map((p) => ({ x: p.iteration, y: [p.train_accuracy, p.val_accuracy], nfev: p.n_fev })));
      accPoints.length = 0;
    });
  }
  const w = pending.weights;
  pending.weights = null;
  const m = pending.latest;
  pending.latest = null;
  if (pending.evaluation && !m) $('#cost').textContent = fmtCost(pending.evaluation.cost);
  pending.evaluation = null;
  if (m) {
    $('#iteration').textContent = String(m.iteration);
    $('#cost').textContent = fmtCost(m.cost);
    $('#accuracy').textContent = m.train_accuracy == null ? '–' : `${(100 * m.train_accuracy).toFixed(1)}%`;
    const acts = probeActivations(m);
    if (acts) {
      networkData.activations = acts;
      if (input.kind === 'none' && run.probe.labels?.length) {
        const names = run.dataset.class_names || [];
        $('#prediction-source').textContent = `Test sample #${run.probe.indices[0]} (true class ${names[run.probe.labels[0]] ?? run.probe.labels[0]})`;
      }
    }
  }
  if (w) {
    networkData.thetas = w;
    queue('heatmaps', () => heatmaps.update({ thetas: w }));
    queue('hidden', () => hidden.update({ thetas: w }));
    queue('boundary', () => boundary.update({ thetas: w }));
  }
  if (w || (m && networkData.activations)) {
    queue('network', () => {
      const acts = networkData.activations;
      network.update({ ...networkData, probabilities: null });
      // bars and predicted class in the same frame as the diagram's output column
      if (acts && input.kind !== 'drawing') showOutputs(acts[acts.length - 1]);
      networkData.thetas = undefined;
      networkData.activations = undefined;
    });
  }
  for (const [name, job] of jobs) {
    if (performance.now() - t0 > FRAME_BUDGET_MS) break;
    jobs.delete(name);
    job();
  }
  if (jobs.size) schedule();
}
const networkData = { thetas: undefined, activations: undefined };

/*
 * Warm-up: the first weights frame of a run used to cost 40-60 ms, mostly V8
 * running the per-weight loops cold. Exercising the same widget code once on
 * detached elements while the page is idle makes that first frame as cheap as
 * the others. Nothing here is visible.
 */
function warmUp() {
  const info = datasetInfo();
  if (!info.n_features) return;
  const sizes = [info.n_features, ...state.hidden_layers, info.class_names.length];
  let seed = 1;
  const rnd = () => ((seed = (seed * 16807) % 2147483647) / 2147483647) - 0.5;
  const thetas = sizes.slice(0, -1).map((n, l) => ({ rows: n + 1, cols: sizes[l + 1], data: Float32Array.from({ length: (n + 1) * sizes[l + 1] }, rnd) }));
  const box = () => { const d = document.createElement('div'); d.append(document.createElement('canvas')); return d; };
  const net = document.createElement('div');
  net.innerHTML = '<canvas class="net-edges"></canvas><canvas class="net-units"></canvas>';
  const n = new NetworkDiagram(net, { height: 340 });
  n.setStructure({ layerSizes: sizes, imageShape: info.image_shape, classNames: info.class_names });
  const hm = new WeightHeatmaps(document.createElement('div'));
  const hu = new HiddenUnits(box());
  hu.setImageShape(info.image_shape);
  // small steps, each in its own idle slot, so the warm-up is no long task itself
  const steps = [];
  for (let k = 0; k < 3; k++) {
    steps.push(() => n.update({ thetas, activations: [new Float32Array(sizes[0]).fill(0.5)] }));
    steps.push(() => hm.update({ thetas }), () => hu.update({ thetas }));
  }
  const idle = window.requestIdleCallback || ((f) => setTimeout(f, 16));
  const next = () => {
    const step = steps.shift();
    if (!step) { document.documentElement.dataset.warm = 'true'; return; }
    step();
    idle(next);
  };
  idle(next);
}

// ------------------------------------------------------------------ start
const conn = new Connection(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`, {
  onMessage: (msg) => handlers[msg.type]?.(msg),
  onWeights: ({ header, thetas }) => {
    if (!run || header.run_id !== run.id) return;
    run.thetas = thetas;
    pending.weights = thetas;
    schedule();
    refreshInput();
  },
  onStatus: (open) => {
    if (open) return;
    status('Connection to the server lost; reconnecting…', true);
    // the server ends a connection's runs when it closes: this one is gone
    if (run && run.state !== 'idle') { run = null; setRunState('idle'); }
  },
});

controls.setState(state);
for (const [f, m] of Object.entries(parsed.errors)) controls.showError(f, `${m} (from the URL; using the default)`);
applyTheme();
history.replaceState(null, '', `?${toQuery(state)}`);
$('#theme-toggle').addEventListener('click', () => {
  setParam('theme', state.theme === 'dark' ? 'light' : 'dark');
  $('#controls').elements.theme.value = state.theme;
});
$('#clear-drawing').addEventListener('click', () => clearDrawing());
$('#gradient-check').addEventListener('click', () => {
  if (!run) return;
  $('#gradient-result').textContent = 'Checking…';
  conn.send({ type: 'gradient_check', run_id: run.id });
});
$('#save-model').addEventListener('click', () => {
  if (!run) return;
  const name = $('#model-name').value.trim()
    || `${state.dataset}-${(run.layerSizes || []).join('-')}-seed${state.random_state}`;
  $('#save-result').textContent = 'Saving…';
  conn.send({ type: 'save', run_id: run.id, name });
});
document.addEventListener('keydown', (e) => {
  if (e.target.closest('input, select, textarea, canvas, button')) return;
  if (e.key === ' ') { e.preventDefault(); actions.pause(); }
});
setRunState('idle');
