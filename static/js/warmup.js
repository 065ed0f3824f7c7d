/**
 * Warm-up: the first weights frame of a run used to cost 40-60 ms, mostly V8
 * running the per-weight loops cold. Exercising the same widget code once on
 * detached elements while the page is idle makes that first frame as cheap as
 * the others. Nothing here is visible.
 * @module warmup
 */
import { NetworkDiagram } from './widgets/network.js';
import { WeightHeatmaps } from './widgets/heatmaps.js';
import { HiddenUnits } from './widgets/hiddenunits.js';

/**
 * Run the drawing code on a network of these sizes, one small step per idle slot;
 * sets <html data-warm="true"> when done.
 * @param {number[]} sizes layer sizes @param {number[]|null} imageShape @param {string[]} classNames
 */
export function warmUp(sizes, imageShape, classNames) {
  let seed = 1;
  const rnd = () => ((seed = (seed * 16807) % 2147483647) / 2147483647) - 0.5;
  const thetas = sizes.slice(0, -1).map((n, l) => ({ rows: n + 1, cols: sizes[l + 1], data: Float32Array.from({ length: (n + 1) * sizes[l + 1] }, rnd) }));
  const box = () => { const d = document.createElement('div'); d.append(document.createElement('canvas')); return d; };
  const net = document.createElement('div');
  net.innerHTML = '<canvas class="net-edges"></canvas><canvas class="net-units"></canvas>';
  const n = new NetworkDiagram(net, { height: 340 });
  n.setStructure({ layerSizes: sizes, imageShape, classNames });
  const hm = new WeightHeatmaps(document.createElement('div'));
  const hu = new HiddenUnits(box());
  hu.setImageShape(imageShape);
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
