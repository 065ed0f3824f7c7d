/**
 * The WebSocket to the server: JSON text frames in and out, binary `weights`
 * frames decoded, reconnection with back-off. Knows nothing about widgets.
 * @module connection
 */
import { parseWeightsFrame } from './weights.js';

export class Connection {
  /**
   * @param {string} url ws://host/ws
   * @param {object} handlers
   * @param {(msg: object) => void} handlers.onMessage JSON messages, by their `type`
   * @param {(frame: {header: object, thetas: object[]}) => void} handlers.onWeights
   * @param {(open: boolean) => void} [handlers.onStatus]
   */
  constructor(url, handlers) {
    this.url = url;
    this.handlers = handlers;
    this.ws = null;
    this.retry = 0;
    this.queue = [];
    this.connect();
  }

  connect() {
    const ws = new WebSocket(this.url);
    ws.binaryType = 'arraybuffer';
    this.ws = ws;
    ws.onopen = () => {
      this.retry = 0;
      this.handlers.onStatus?.(true);
      for (const m of this.queue.splice(0)) ws.send(m);
    };
    ws.onmessage = (ev) => {
      if (typeof ev.data === 'string') this.handlers.onMessage(JSON.parse(ev.data));
      else this.handlers.onWeights(parseWeightsFrame(ev.data));
    };
    ws.onclose = () => {
      this.handlers.onStatus?.(false);
      const delay = Math.min(5000, 250 * 2 ** this.retry++);
      setTimeout(() => this.connect(), delay);
    };
  }

  /** Send a message (queued until the socket is open). @param {object} msg */
  send(msg) {
    const text = JSON.stringify(msg);
    if (this.ws && this.ws.readyState === WebSocket.OPEN) this.ws.send(text);
    else this.queue.push(text);
  }
}
