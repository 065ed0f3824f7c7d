/**
 * Sharing a run with a class: the presenter's share panel (button, short URL, QR
 * code made here from the vendored encoder, follower count, the loopback warning)
 * and the follower's banner. Widgets: they own their DOM and report clicks.
 * @module widgets/sharepanel
 */
import { encode } from '../../vendor/uqr-0.1.3/index.mjs';

const QUIET = 4; // modules of white border a phone camera needs

/** Draw `text` as a QR code on `canvas`, `scale` pixels a module. @returns {number} modules a side */
export function drawQr(canvas, text, scale = 4) {
  const { data, size } = encode(text, { ecc: 'M', border: 0 });
  const side = (size + 2 * QUIET) * scale;
  canvas.width = canvas.height = side;
  const g = canvas.getContext('2d');
  g.fillStyle = '#fff';
  g.fillRect(0, 0, side, side);
  g.fillStyle = '#000';
  data.forEach((row, y) => row.forEach((on, x) => { if (on) g.fillRect((x + QUIET) * scale, (y + QUIET) * scale, scale, scale); }));
  return size;
}

export class SharePanel {
  /**
   * @param {HTMLElement} container the panel (#share-panel)
   * @param {{onShare: () => void}} options
   */
  constructor(container, options) {
    this.el = container;
    this.button = container.querySelector('#share-button');
    this.box = container.querySelector('.share-box');
    this.link = container.querySelector('#share-url');
    this.qr = container.querySelector('#share-qr');
    this.count = container.querySelector('#share-followers');
    this.warning = container.querySelector('#share-warning');
    this.button.addEventListener('click', () => options.onShare());
    this.reset();
  }

  /** The button works once there is a run to share. @param {boolean} on */
  setAvailable(on) { this.button.disabled = !on; }

  /** @param {{url: string, loopback: boolean, lan: string|null, followers: number}} s */
  showShared({ url, loopback, lan, followers }) {
    this.box.hidden = false;
    this.link.textContent = url;
    this.link.href = url;
    this.qr.dataset.url = url;
    drawQr(this.qr, url);
    this.warning.hidden = !loopback;
    this.warning.textContent = loopback ? `This server listens only on this computer: students cannot open the link. Restart it with --host 0.0.0.0${lan ? ` and they open ${lan}` : ''} (python -m server --host 0.0.0.0).` : '';
    this.setFollowers(followers);
  }

  /** @param {number} n */
  setFollowers(n) { this.count.textContent = `${n} following`; this.count.dataset.count = String(n); }

  reset() {
    this.box.hidden = true;
    this.warning.hidden = true;
    this.link.textContent = '';
    this.setFollowers(0);
  }
}

export class FollowBanner {
  /** @param {HTMLElement} container the banner (#follow-banner) */
  constructor(container) { this.el = container; }

  /** Follow mode hides the run's controls (CSS on html[data-mode=follow]). @param {boolean} on */
  setFollowing(on) {
    if (on) document.documentElement.dataset.mode = 'follow';
    this.el.hidden = !on;
  }

  /** @param {string} text */
  show(text) { this.el.hidden = false; this.el.textContent = text; }
}
