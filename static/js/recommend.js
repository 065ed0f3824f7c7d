/**
 * The settings a data set recommends (`ready.datasets[i].recommended`, with a 2-D
 * set's own `data_params`), as a patch for the store. A shared link pins the keys
 * it held when the page was opened: choosing a data set leaves those alone, while
 * the "Recommended" control applies everything. Pure: no DOM, tested in Node.
 * @module recommend
 */

/**
 * The patch that applies a data set's recommended settings.
 *
 * Keys the schema does not know, or whose recommended value it refuses, are left
 * out (the form never shows a value Train would refuse). Settings of another kind
 * of data set (`row.datasets`, e.g. the points' noise for an image set) become
 * null; those of this kind take the set's own `data_params`.
 * @param {{kind?: string, recommended?: object, data_params?: object}} info the data set's entry
 * @param {import('./settings.js').Settings} settings the schema's rows
 * @param {Set<string>|string[]} [pinned] keys to leave as they are
 * @returns {object} name → value
 */
export function recommendedPatch(info, settings, pinned = new Set()) {
  const keep = new Set(pinned);
  const wanted = { ...(info.recommended || {}) };
  for (const row of settings.rows) {
    if (!row.datasets) continue;
    wanted[row.name] = row.datasets === info.kind ? (info.data_params?.[row.name] ?? null) : null;
  }
  const patch = {};
  for (const [name, value] of Object.entries(wanted)) {
    if (keep.has(name) || !settings.row(name) || settings.validateField(name, value)) continue;
    patch[name] = Array.isArray(value) ? value.slice() : value;
  }
  return patch;
}

/** The keys of a patch whose values differ from a state's. @param {object} state @param {object} patch @returns {string[]} */
export function changedKeys(state, patch) {
  return Object.keys(patch).filter((k) => JSON.stringify(state[k]) !== JSON.stringify(patch[k]));
}
