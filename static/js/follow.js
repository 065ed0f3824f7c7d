/**
 * Follow mode and sharing: the page as a follower of the teacher's shared run
 * (opened at /follow/<token>), and the presenter's side (share, claim back after
 * a reload, the follower count). Logic only: it sends through `send`, keeps the
 * control token in the tab's session storage and drives the share panel and the
 * follow banner (widgets/sharepanel.js) through the Lab's widgets.
 * @module follow
 */

const KEY = 'backprop-lab-share'; // sessionStorage: {run_id, token, control_token} of the presenter's share

/** The follow token of a /follow/<token> path, or null. @param {string} path */
export function followToken(path) {
  const m = /^\/follow\/([A-Za-z0-9_-]{1,40})\/?$/.exec(path);
  return m ? m[1] : null;
}

/** The status line of a queued run: its place and the estimated wait. @param {object} msg */
export function queueText(msg) {
  const place = msg.place ?? msg.position;
  const wait = msg.wait_estimate_s;
  const when = wait == null ? '' : wait < 60 ? `, about ${Math.max(1, Math.round(wait))} s` : `, about ${Math.round(wait / 60)} min`;
  return `The server is busy: this run waits in a queue${place != null ? ` (place ${place}${when})` : ''}.`;
}

export class Follow {
  /**
   * @param {object} parts
   * @param {string|null} parts.token the follow token of this page's path (null: not a follower)
   * @param {(msg: object) => void} parts.send
   * @param {Storage} [parts.storage] where the presenter's control token survives a reload
   */
  constructor({ token, send, storage = globalThis.sessionStorage }) {
    Object.assign(this, { token, send, storage });
    this.lab = null;
    this.shared = null; // the presenter's share: {run_id, token, control_token}
  }

  get following() { return !!this.token; }

  attach(lab) {
    this.lab = lab;
    lab.w.banner.setFollowing(this.following);
    return this;
  }

  /** After `ready`: a follower follows; a presenter whose tab held a share claims it back. */
  ready() {
    if (this.following) { this.send({ type: 'follow', token: this.token }); return; }
    const saved = this.load();
    if (saved && !this.lab.run) this.send({ type: 'claim', control_token: saved.control_token });
  }

  share() {
    if (this.lab.run) this.send({ type: 'share', run_id: this.lab.run.id });
  }

  /** The presenter's panel from a `shared` or `claimed` message. */
  onShared(msg) {
    this.shared = { run_id: msg.run_id, token: msg.token, control_token: msg.control_token };
    this.save(this.shared);
    const port = location.port ? `:${location.port}` : '';
    const lan = msg.lan_address ? `${location.protocol}//${msg.lan_address}${port}${msg.path}` : null;
    const here = `${location.origin}${msg.path}`;
    const loopback = msg.reachable === false;
    this.lab.w.share.showShared({ url: loopback && lan ? lan : here, loopback, lan, followers: msg.followers || 0 });
  }

  onClaimed(msg) {
    this.lab.startRun(msg.run_id);
    this.onShared({ ...msg, reachable: null });
    this.lab.w.status.status('Took the shared run back: the class is still following it.');
  }

  /** A follower's page: the teacher's run becomes this page's run. */
  onFollowing(msg) {
    this.lab.startRun(msg.run_id);
    this.lab.w.banner.show(`Following the teacher's run ${msg.run_id}`);
    this.lab.w.status.status("Following the teacher's run: draw or pick a sample to test its current model.");
  }

  /** A follower: the teacher's data set becomes the page's, so samples and the pad fit the run. */
  onStarted(msg) {
    if (!this.following) return;
    const { store } = this.lab;
    const params = msg.dataset?.data_params || {};
    if (msg.dataset && store.state.dataset !== msg.dataset.id) store.set({ dataset: msg.dataset.id, ...params });
    this.lab.w.banner.show(`Following the teacher's run: ${msg.layer_sizes.join('–')} on ${msg.dataset?.name || msg.dataset?.id}`);
  }

  /** A late joiner's history, drawn as the iterations would have been. */
  onCatchup(msg) {
    const { lab } = this;
    if (!lab.owns(msg)) return;
    for (const it of msg.iterations) lab.scheduler.addIteration({ ...it, type: 'iteration', run_id: msg.run_id });
  }

  onFollowers(msg) {
    if (this.shared && msg.run_id === this.shared.run_id) this.lab.w.share.setFollowers(msg.count);
  }

  onEnded(msg) {
    if (this.following) this.lab.w.banner.show(`The teacher's run ${msg.run_id} is no longer shared (${msg.reason}).`);
    else { this.forget(); this.lab.w.share.reset(); }
  }

  /** A refused claim (the share expired): forget it. */
  onError(msg) {
    if (msg.request_type === 'claim') this.forget();
  }

  /** The presenter started another run: the old share is not this page's any more. */
  runChanged(id) {
    if (this.following || (this.shared && this.shared.run_id === id)) return;
    this.forget();
    this.lab.w.share.reset();
  }

  load() { try { return JSON.parse(this.storage?.getItem(KEY) || 'null'); } catch { return null; } }
  save(v) { try { this.storage?.setItem(KEY, JSON.stringify(v)); } catch { /* private mode */ } }
  forget() { this.shared = null; try { this.storage?.removeItem(KEY); } catch { /* private mode */ } }
}
