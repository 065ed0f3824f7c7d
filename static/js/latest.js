/**
 * The latest request wins: a slider dragged over fifty iterations must not put
 * fifty requests on the socket. One batch of requests is in flight at a time;
 * what is asked meanwhile replaces what was asked before, and only the answers
 * of the newest batch are shown. Pure: tested in Node.
 * @module latest
 */

export class LatestRequest {
  /**
   * @param {(key: any) => Array<number|string>} send sends the requests for `key` and
   *   returns their request ids (the batch is done when each is answered)
   */
  constructor(send) {
    this.send = send;
    this.cancel();
  }

  /** Ask for `key`: now if nothing is in flight, else once the batch in flight is answered. */
  want(key) {
    if (this.waiting.size) { this.wanted = { key }; return; }
    this.wanted = null;
    this.key = key;
    this.waiting = new Set(this.send(key));
  }

  /**
   * An answer (or an error) came for `requestId`.
   * @returns {boolean} true when it answers the newest request (show it); false when it
   *   is stale or not ours. The next wanted batch is sent once this one is complete.
   */
  answered(requestId) {
    if (!this.waiting.delete(requestId)) return false;
    const fresh = !this.wanted;
    if (!this.waiting.size && this.wanted) this.want(this.wanted.key);
    return fresh;
  }

  /** Forget what is asked and in flight: later answers are ignored. */
  cancel() {
    this.waiting = new Set();
    this.wanted = null;
    this.key = undefined;
  }
}
