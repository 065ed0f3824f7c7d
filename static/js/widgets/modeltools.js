/**
 * "Is backprop right?" and "Keep this model": the gradient check and saving the
 * trained model. Reports clicks through callbacks; shows the answers it is given.
 * @module widgets/modeltools
 */

export class ModelTools {
  /**
   * @param {HTMLElement} container holds #gradient-check, #gradient-result, #model-name, #save-model, #save-result
   * @param {{onCheck: () => void, onSave: (name: string) => void}} options name: '' when the field is empty
   */
  constructor(container, options) {
    const $ = (id) => container.querySelector(`#${id}`);
    this.els = { check: $('gradient-check'), checkResult: $('gradient-result'), name: $('model-name'), save: $('save-model'), saveResult: $('save-result') };
    // the explanations the answers replace, shown again for a new run
    this.hints = { check: [...this.els.checkResult.childNodes].map((n) => n.cloneNode(true)), save: [...this.els.saveResult.childNodes].map((n) => n.cloneNode(true)) };
    this.els.check.addEventListener('click', () => {
      this.els.checkResult.textContent = 'Checking…';
      options.onCheck();
    });
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

  /** A `gradient_check_result`. @param {{relative_difference: number, n_coordinates: number}} msg */
  showCheck(msg) {
    const d = msg.relative_difference;
    this.els.checkResult.textContent = `Relative difference ${d.toExponential(1)} over ${msg.n_coordinates} weights: `
      + (d < 1e-6 ? 'backprop agrees with the numerical gradient.' : 'larger than expected (< 1e-6).');
  }

  /** The check failed. @param {string} text */
  showCheckError(text) {
    this.els.checkResult.textContent = text;
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
    this.els.checkResult.replaceChildren(...this.hints.check.map((n) => n.cloneNode(true)));
    this.els.saveResult.replaceChildren(...this.hints.save.map((n) => n.cloneNode(true)));
  }

  /** Saving failed. @param {string} text */
  showSaveError(text) {
    this.els.saveResult.textContent = text;
  }
}
