/**
 * Test samples from the server's HTTP API, and the items the sample strips show.
 * @module samples
 */

const PAGE = 256; // the most samples one request may ask for

/**
 * Fetch test samples: `start`/`count`, or a list of `indices` (one request either way).
 * @param {string} id data set @param {number} start @param {number} count @param {number[]|null} [indices]
 * @param {object} [data] a 2-D set's `noise`, `n_points`, `data_seed` (null: the set's own)
 * @param {'test'|'train'} [split='test']
 * @returns {Promise<{index: number, vector: number[], label: number}[]>}
 */
export async function fetchSamples(id, start, count, indices = null, data = {}, split = 'test') {
  return (await fetchPage(id, split, indices ? { indices: indices.join(',') } : { start, count }, data)).samples;
}

async function fetchPage(id, split, which, data) {
  const q = new URLSearchParams({ split, ...which, format: 'list' });
  for (const [k, v] of Object.entries(data || {})) if (v != null) q.set(k, String(v));
  const r = await fetch(`/api/datasets/${encodeURIComponent(id)}/samples?${q}`);
  if (!r.ok) throw new Error(`samples of ${id}: HTTP ${r.status}`);
  const body = await r.json();
  return { n: body.n, samples: body.images.map((vector, k) => ({ index: body.indices[k], vector, label: body.labels[k] })) };
}

/**
 * Every sample of a split (the points of a 2-D set: a few requests of 256).
 * @param {string} id @param {'test'|'train'} split @param {object} [data] as fetchSamples
 * @returns {Promise<{index: number, vector: number[], label: number}[]>}
 */
export async function fetchAll(id, split, data = {}) {
  const first = await fetchPage(id, split, { start: 0, count: PAGE }, data);
  const rest = [];
  for (let start = PAGE; start < first.n; start += PAGE) rest.push(fetchPage(id, split, { start, count: Math.min(PAGE, first.n - start) }, data));
  return first.samples.concat(...(await Promise.all(rest)).map((p) => p.samples));
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
