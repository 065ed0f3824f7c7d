/**
 * The step-through of one training step: asks the server to `explain` the
 * selected input at the current weights, gathers the answer and its gradient
 * frames, and hands them to the phase diagram, the matrix chain and the
 * inspector. Like the Lab, it sends through a callback and never sees the socket.
 * @module backprop
 */
import { ExplanationBuffer } from './explain.js';

const REFRESH_MS = 700; // at most this often while training, when someone is looking

export class Backprop {
  /**
   * @param {object} parts
   * @param {import('./lab.js').Lab} parts.lab the run and the selected input
   * @param {{stepper: object, phase: object, chain: object, inspector: object}} parts.widgets
   * @param {(msg: object) => void} parts.send
   */
  constructor({ lab, widgets, send }) {
    Object.assign(this, { lab, w: widgets, send });
    this.buffer = new ExplanationBuffer();
    this.phase = null;
    this.edgeSource = 'full';
    this.requests = 0;
    this.lastRequest = 0;
    this.pending = null;
    this.exp = null; // the newest explanation (window.__backprop.exp in tests)
  }

  /** Someone is looking at the step: a phase is chosen or a unit inspected. */
  get engaged() {
    return this.phase !== null || this.w.inspector.isOpen;
  }

  /** The stepper's choice. @param {string|null} phase */
  setPhase(phase) {
    this.phase = phase;
    if (phase === null) { this.w.phase.hide(); this.w.chain.setPhase(null); return; }
    this.w.chain.setPhase(phase);
    if (this.exp && this.exp.runId === this.lab.run?.id) this.render();
    this.request();
  }

  setEdgeSource(name) {
    this.edgeSource = name;
    this.render();
  }

  /** What `explain` should explain: the selected sample, the drawing, or the followed probe sample. */
  inputFields() {
    const { input, run } = this.lab;
    if (input.kind === 'sample') return { sample: { split: 'test', index: input.index } };
    if (input.kind === 'drawing' && this.lab.lastInput?.image) return { image: this.lab.lastInput.image };
    if (run?.probe?.indices?.length) return { sample: { split: 'test', index: run.probe.indices[0] } };
    const first = this.lab.samples[0];
    return first ? { sample: { split: 'test', index: first.index } } : null;
  }

  /** Ask the server (the answer replaces whatever was asked before). */
  request() {
    const run = this.lab.run;
    const what = this.inputFields();
    if (!run || !run.layerSizes || !what) {
      this.w.stepper.note(run ? 'Waiting for the first iteration…' : 'Train (or Step) first: the phases show a real network’s numbers.');
      return;
    }
    const id = `explain-${++this.requests}`;
    this.buffer.expect(id);
    this.lastRequest = performance.now();
    this.send({ type: 'explain', run_id: run.id, request_id: id, ...what });
  }

  /** The network's shape (a preview before training, or `started`). @param {number[]} sizes */
  structureChanged(sizes) {
    this.w.chain.setStructure(sizes, this.lab.run ? this.m() : null);
  }

  /** J(Θ) with today's numbers, for the cost's "?" (TeX), or null before any explanation. */
  liveTex(what) {
    const exp = this.exp;
    if (what !== 'cost' || !exp || exp.cost.total == null) return null;
    const lam = exp.lambda ?? this.lab.state.regularization_parameter;
    return `J(\\Theta) = ${exp.cost.data.toFixed(4)} + \\tfrac{${lam}}{2\\cdot ${this.m()}}\\textstyle\\sum\\theta^2 = ${exp.cost.data.toFixed(4)} + ${exp.cost.regularization.toFixed(4)} = ${exp.cost.total.toFixed(4)}`;
  }

  /** New weights arrived: while someone looks, explain again (throttled). */
  weightsArrived() {
    this.w.inspector.setThetas(this.lab.run?.thetas);
    if (!this.engaged) return;
    const wait = REFRESH_MS - (performance.now() - this.lastRequest);
    if (wait <= 0) { this.request(); return; }
    if (!this.pending) this.pending = setTimeout(() => { this.pending = null; if (this.engaged) this.request(); }, wait);
  }

  /** The input changed (a sample clicked, a drawing): explain it if someone looks. */
  inputChanged() {
    if (this.engaged) this.request();
  }

  /** The `explanation` message. */
  explanation(msg) {
    const exp = this.buffer.add(msg);
    if (exp) { this.exp = exp; this.render(); }
  }

  /** A binary frame of an explanation (a gradient or an update). */
  frame(header, thetas) {
    const exp = this.buffer.addFrame(header, thetas);
    if (exp) this.render();
  }

  /** `explain` was refused. @param {string} text */
  failed(text) {
    this.w.stepper.note(`(${text})`);
  }

  /** A new run or a reset: forget the old network's step. */
  reset() {
    this.buffer.clear();
    this.exp = null;
    clearTimeout(this.pending);
    this.pending = null;
    this.w.inspector.close();
    this.w.phase.hide(); // the phase stays chosen: the new run's numbers are drawn when they come
    this.w.chain.clearValues(); // typesetting the chain again would cost the run's start ~15 ms
  }

  structure() {
    const run = this.lab.run;
    const ds = run?.dataset || this.lab.info();
    return { layerSizes: run?.layerSizes, imageShape: ds.image_shape, classNames: ds.class_names };
  }

  /** Training-set size m, from `started` (train minus validation). */
  m() {
    const ds = this.lab.run?.dataset || {};
    return this.exp?.m || (ds.n_train != null ? ds.n_train - (ds.n_val || 0) : null);
  }

  render() {
    const exp = this.exp;
    if (!exp || !this.lab.run?.layerSizes) return;
    const structure = this.structure();
    // the explained iteration's own weights (float64) when they came, else the newest drawn
    const data = { structure, exp, thetas: exp.gradients.weights || this.lab.run.thetas, edgeSource: this.edgeSource };
    if (this.phase) { this.w.phase.show(this.phase, data); this.w.stepper.note(''); }
    this.w.chain.update({ ...data, m: this.m(), lambda: exp.lambda ?? this.lab.state.regularization_parameter, sampleIndex: this.sampleIndex() });
    this.w.inspector.update(data);
  }

  sampleIndex() {
    const what = this.inputFields();
    return what?.sample ? what.sample.index : null;
  }
}
