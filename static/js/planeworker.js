/**
 * A module worker: every unit's activation over the plane of a 2-D problem
 * (weights.js planeActivations), off the page's main thread so that drawing the
 * boundary 20 times a second never blocks it. In: {id, thetas, size, activation};
 * out: {id, layers} (the maps' buffers transferred, not copied).
 * @module planeworker
 */
import { planeActivations } from './weights.js';

self.onmessage = ({ data: { id, thetas, size, activation } }) => {
  const layers = planeActivations(thetas, size, activation);
  const buffers = layers.slice(1).flat().map((a) => a.buffer);
  self.postMessage({ id, layers: layers.slice(1) }, buffers);
};
