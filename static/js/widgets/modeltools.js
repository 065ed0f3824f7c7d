/**
 * "Is backprop right?" and "Keep this model": the gradient check and saving the
 * trained model. Reports clicks through callbacks; shows the answers it is given.
 * @module widgets/modeltools
 */
import { GradientCheck } from './gradcheck.js';

export class ModelTools {
  /**
   * @param {HTMLElement} container holds #gradient-check, #gradient-result, #model-name, #save-model, #save-result
   * @param {{onCheck: (variant: string) => void, onSave: (name: string) => void}} options name: '' when the field is empty
   */
  constructor(container, options) {
    const $ = (id) => container.querySelector(`#${id}`);
    this.els = { check: $('gradient-check'), checkResult: $('gradient-result'), name: $('model-name'), save: $('save-model'), saveResult: $('save-result') };
    this.check = new GradientCheck(this.els.check.parentElement, { onCheck: options.onCheck });
    // the explanation a save answer replaces, shown again for a new run
    this.saveHint = [...this.els.saveResult.childNodes].map((n) => n.cloneNode(true));
    this.els.save.addEventListener('click', () => {
      this.els.saveResult.textContent = 'Saving…';
      options.onSave(this.els.name.value.trim());
    });
  }

  /** Both need a trained (or training) network. @param {boolean} enabled */
  setEnabled(enabled) {
    this.els.check.disabled = !enabled;
    this.els.save.disabled = !enabled;
  }

  /** A `gradient_check_result`: numeric and analytic side by side, and a verdict. */
  showCheck(msg) {
    this.check.show(msg);
  }

  /** The check failed. @param {string} text */
  showCheckError(text) {
    this.check.showError(text);
  }

  /** A `saved` answer: a link to download the file. @param {string} name */
  showSaved(name) {
    const link = document.createElement('a');
    link.href = `/api/models/${encodeURIComponent(name)}`;
    link.textContent = `Download ${name}.npz`;
    link.setAttribute('download', `${name}.npz`);
    this.els.saveResult.replaceChildren('Saved on the server. ', link);
  }

  /** The name an empty field saves under (it follows the data set and the layers). @param {string} name */
  setPlaceholder(name) {
    this.els.name.placeholder = name;
  }

  /** Forget the previous run's answers: the explanations come back. */
  reset() {
    this.check.reset();
    this.els.saveResult.replaceChildren(...this.saveHint.map((n) => n.cloneNode(true)));
  }

  /** Saving failed. @param {string} text */
  showSaveError(text) {
    this.els.saveResult.textContent = text;
  }
}
