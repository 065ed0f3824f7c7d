/**
 * Saved runs: the server's model files (GET /api/models) with a button to reopen
 * each, and an upload of a model file from disk. The HTTP and the socket stay
 * outside: the widget reports clicks and shows what it is given.
 * @module widgets/savedruns
 */
import { el } from './canvas.js';

export class SavedRuns {
  /**
   * @param {HTMLElement} container holds .saved-list, #model-upload, #saved-refresh and #saved-note
   * @param {{onOpen: (name: string) => void, onUpload: (file: File) => void, onRefresh: () => void}} options
   */
  constructor(container, options) {
    this.options = options;
    this.list = container.querySelector('.saved-list');
    this.note = container.querySelector('#saved-note');
    this.upload = container.querySelector('#model-upload');
    container.querySelector('#saved-refresh').addEventListener('click', () => options.onRefresh());
    this.upload.addEventListener('change', () => {
      const file = this.upload.files[0];
      if (file) { this.setNote(`Uploading ${file.name}…`); options.onUpload(file); }
      this.upload.value = '';
    });
  }

  /** The files of `GET /api/models`. @param {object[]} models */
  update(models) {
    const usable = models.filter((m) => m.valid);
    if (!usable.length) { this.list.replaceChildren(el('li', { class: 'hint', text: 'No saved runs yet.' })); return; }
    this.list.replaceChildren(...usable.map((m) => {
      const what = [m.layer_sizes?.join('–'), m.dataset, m.n_iter != null && `${m.n_iter} it.`, m.cost != null && `cost ${m.cost.toFixed(3)}`,
        !m.has_history && 'no history'].filter(Boolean).join(' · ');
      return el('li', { 'data-model': m.name }, [
        el('button', { type: 'button', class: 'btn tiny', text: 'Open', 'aria-label': `Open ${m.name}`, onclick: () => { this.setNote(`Opening ${m.name}…`); this.options.onOpen(m.name); } }),
        el('span', { class: 'saved-name', text: m.name, title: what }), el('span', { class: 'hint saved-what', text: what })]);
    }));
  }

  /** A sentence under the list (an answer, or the server's refusal). @param {string} text @param {boolean} [isError] */
  setNote(text, isError = false) {
    this.note.textContent = text;
    this.note.classList.toggle('error', isError);
  }
}
