/**
 * What one animation frame draws from a batch of coalesced messages: each
 * widget update is a named job on the frame scheduler (see scheduler.js), so the
 * heavy ones spread over frames. The charts get every iteration; the readouts,
 * the diagram and the weights only the newest.
 * @module render
 */
import { PlaneMaps } from './plane.js';

export class Painter {
  /** @param {import('./lab.js').Lab} lab the run, the input and the widgets */
  constructor(lab) {
    this.lab = lab;
    this.plane = new PlaneMaps(); // 2-D data: the unit maps, computed off the main thread
    this.clear();
  }

  /** Forget what a finished or abandoned run left to draw. */
  clear() {
    this.costPoints = []; // iterations not yet on the cost chart
    this.accPoints = [];  // drawn on the cost chart, not yet on the accuracy chart
    this.normPoints = []; // not yet on the gradient-norm chart
    this.networkData = { thetas: undefined, activations: undefined };
    this.plane?.clear();
  }

  /** @param {import('./scheduler.js').Batch} batch @param {import('./scheduler.js').FrameScheduler} scheduler */
  paint({ points, latest: m, weights: w, evaluation }, scheduler) {
    const { lab } = this;
    if (points.length) this.queueCharts(points, scheduler);
    if (evaluation && !m) lab.w.status.showCost(evaluation.cost);
    if (m) this.showLatest(m);
    if (w) {
      this.networkData.thetas = w;
      scheduler.queue('heatmaps', () => lab.w.heatmaps.update({ thetas: w }));
      const activation = lab.run?.params?.activation; // the page's forward pass follows the run's
      if (lab.run?.dataset?.image_shape) scheduler.queue('hidden', () => lab.w.hidden.update({ thetas: w }));
      else {
        this.plane.compute(w, activation, (layers) => {
          scheduler.queue('boundary', () => lab.w.boundary.update({ thetas: w, layers, activation }));
          scheduler.queue('unit-maps', () => lab.w.unitMaps.update({ thetas: w, layers, activation }));
        });
      }
    }
    if (w || (m && this.networkData.activations)) scheduler.queue('network', () => this.drawNetwork());
  }

  /** Every iteration's point is kept; the charts redraw once for all of them. */
  queueCharts(points, scheduler) {
    const { costChart, accChart, classStrip, score } = this.lab.w;
    this.costPoints.push(...points);
    this.normPoints.push(...points);
    scheduler.queue('grad-norms', () => this.lab.w.gradNorms.update(this.normPoints.splice(0)));
    scheduler.queue('cost-chart', () => {
      const pts = this.costPoints.splice(0);
      costChart.update(pts.map((p) => ({ x: p.iteration, y: [p.cost, p.val_cost], nfev: p.n_fev })));
      score.update(pts);
      this.accPoints.push(...pts);
      // Queued here, after the points are handed over: an accuracy job queued with the
      // cost job could already have had its turn, and these points would wait for the
      // next iteration, which after the run's last one never comes.
      scheduler.queue('acc-chart', () => {
        const acc = this.accPoints.splice(0);
        accChart.update(acc.map((p) => ({ x: p.iteration, y: [p.train_accuracy, p.val_accuracy], nfev: p.n_fev })));
        const run = this.lab.run;
        classStrip.update(acc, { classNames: run?.dataset?.class_names, maxIter: run?.params?.max_iter });
      });
    });
  }

  /** The readouts, and the followed probe sample's activations for the diagram. */
  showLatest(m) {
    const { lab } = this;
    lab.w.status.showIteration(m);
    const acts = this.probeActivations(m);
    if (!acts) return;
    this.networkData.activations = acts;
    const { run } = lab;
    if (lab.input.kind === 'none' && run.probe.labels?.length) {
      const names = run.dataset.class_names || [];
      lab.w.prediction.setSource(`Test sample #${run.probe.indices[0]} (true class ${names[run.probe.labels[0]] ?? run.probe.labels[0]})`);
    }
  }

  /** Follow the selected input from each iteration: probe samples come with activations. */
  probeActivations(msg) {
    const { run, input, w } = this.lab;
    if (!run || !msg.probe_activations?.length) return null;
    let k = -1;
    if (input.kind === 'sample') k = run.probe.indices.indexOf(input.index);
    else if (input.kind === 'none') {
      // nothing chosen yet: follow the first probe sample, and say so
      k = 0;
      if (run.probe.indices.length && !w.network.inputLabel) {
        w.network.setInputLabel(`input: test sample #${run.probe.indices[0]} (click another below)`);
        w.sampleStrip.select(run.probe.indices[0]);
      }
    }
    if (k < 0) return null;
    const vec = this.lab.samples.find((s) => s.index === run.probe.indices[k])?.vector ?? null;
    return [vec, ...msg.probe_activations[k]];
  }

  /** The diagram, and the bars and predicted class in the same frame as its output column. */
  drawNetwork() {
    const { w, input, run } = this.lab;
    const acts = this.networkData.activations;
    w.network.update({ ...this.networkData, probabilities: null });
    if (acts) w.network.container.dataset.outputs = JSON.stringify(Array.from(acts[acts.length - 1])); // what the output column shows, for tests
    if (acts && input.kind !== 'drawing') w.prediction.showOutputs(acts[acts.length - 1], run?.dataset?.class_names);
    this.networkData.thetas = undefined;
    this.networkData.activations = undefined;
  }
}
