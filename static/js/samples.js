/**
 * Test samples from the server's HTTP API, and the items the sample strips show.
 * @module samples
 */

/**
 * Fetch test samples: `start`/`count`, or a list of `indices` (one request either way).
 * @param {string} id data set @param {number} start @param {number} count @param {number[]|null} [indices]
 * @returns {Promise<{index: number, vector: number[], label: number}[]>}
 */
export async function fetchSamples(id, start, count, indices = null) {
  const which = indices ? `indices=${indices.join(',')}` : `start=${start}&count=${count}`;
  const r = await fetch(`/api/datasets/${encodeURIComponent(id)}/samples?split=test&${which}&format=list`);
  if (!r.ok) throw new Error(`samples of ${id}: HTTP ${r.status}`);
  const body = await r.json();
  return body.images.map((vector, k) => ({ index: body.indices[k], vector, label: body.labels[k] }));
}

/**
 * Strip items for samples: captioned with the class, or by `caption(sample, k)`.
 * @param {{index: number, vector: number[], label: number}[]} list @param {string[]} classNames
 * @param {(s: object, k: number) => string} [caption]
 */
export function stripItems(list, classNames, caption) {
  const name = (c) => classNames[c] ?? String(c);
  return list.map((s, k) => ({
    index: s.index, vector: s.vector, classIndex: s.label,
    caption: caption ? caption(s, k) : name(s.label),
    label: `test sample ${s.index}, class ${classNames[s.label] ?? s.label}`,
  }));
}
