/**
 * The message router: a name-keyed registry of handlers, one small function per
 * server message type (registered in main.js from handlers.js).
 * @module router
 */

export class Router {
  /** @param {{onUnknown?: (msg: object) => void}} [options] a message nobody handles (default: ignored) */
  constructor(options = {}) {
    this.handlers = new Map();
    this.onUnknown = options.onUnknown || (() => {});
  }

  /**
   * Register the handler of a message type (one per type).
   * @param {string} type @param {(msg: object) => void} handler @returns {Router} this
   */
  on(type, handler) {
    if (this.handlers.has(type)) throw new Error(`a handler for ${type} is registered already`);
    this.handlers.set(type, handler);
    return this;
  }

  /**
   * Hand a message to the handler of its `type`.
   * @param {{type: string}} msg @returns {boolean} whether a handler took it
   */
  dispatch(msg) {
    const handler = this.handlers.get(msg?.type);
    if (!handler) { this.onUnknown(msg); return false; }
    handler(msg);
    return true;
  }
}
