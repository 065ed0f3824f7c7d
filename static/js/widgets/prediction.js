/**
 * The prediction panel: the drawing pad with its Clear button, the input as the
 * network sees it, the predicted class with a line saying what the input is, and
 * one probability bar per class. Hands drawings out through `onDraw`; never sees
 * the socket.
 * @module widgets/prediction
 */
import { DrawPad } from './drawpad.js';
import { ImageView } from './imageview.js';
import { ProbabilityBars } from './probbars.js';

/** Probabilities and the winning class from output units (scaled to sum to 1, like the server's). */
export function fromOutputs(outputs) {
  const total = outputs.reduce((s, v) => s + v, 0);
  let best = 0;
  outputs.forEach((v, i) => { if (v > outputs[best]) best = i; });
  return { probabilities: outputs.map((v) => (total > 0 ? v / total : v)), best };
}

/** Drawing pad, preprocessed view, predicted class and probability bars. */
export class PredictionPanel {
  /**
   * @param {HTMLElement} container the panel (holds #drawpad, #clear-drawing, #preprocessed, #prediction-source, #prediction, #bars)
   * @param {object} options
   * @param {(image: object) => void} options.onDraw a drawing, as a protocol `image`
   * @param {() => void} options.onClear the pad was cleared
   */
  constructor(container, options) {
    const $ = (sel) => container.querySelector(sel);
    this.heading = $('h2');
    this.drawRow = $('.draw-row');
    this.source = $('#prediction-source');
    this.label = $('#prediction');
    this.pad = new DrawPad($('#drawpad'), { onDraw: options.onDraw, onClear: options.onClear });
    this.view = new ImageView($('#preprocessed'));
    this.bars = new ProbabilityBars($('#bars'), { classNames: [] });
    $('#clear-drawing').addEventListener('click', () => options.onClear());
    this.isImage = true;
    this.shape = null;
  }

  /** Fit the panel to a data set: images get the pad, 2-D points only the bars. @param {object} info */
  setDataset(info) {
    this.isImage = !!info.image_shape;
    this.shape = info.image_shape;
    this.heading.textContent = this.isImage ? 'Draw a digit' : 'Input';
    this.drawRow.hidden = !this.isImage;
    this.bars.setClasses(info.class_names || []);
  }

  /** Say what the input is (or what to do). @param {string} text */
  setSource(text) {
    this.source.textContent = text;
  }

  /** The line shown when nothing is chosen. */
  showHint() {
    this.setSource(this.isImage ? 'Draw, or pick a sample below.' : 'Pick a sample below.');
  }

  /** Show an input as the network sees it. @param {number[]} image @param {number[]} [shape] */
  showInput(image, shape = this.shape) {
    if (shape && image) this.view.update({ image, shape });
  }

  /** A `prediction` answer. @param {{probabilities: number[], class_name: string, image?: number[], image_shape?: number[]}} msg */
  showPrediction(msg) {
    this.showInput(msg.image, msg.image_shape || this.shape);
    this.bars.update({ probabilities: msg.probabilities });
    this.label.textContent = msg.class_name;
  }

  /** Bars and predicted class from a probe sample's output units. @param {number[]} outputs @param {string[]} classNames */
  showOutputs(outputs, classNames = []) {
    const { probabilities, best } = fromOutputs(outputs);
    this.bars.update({ probabilities });
    this.label.textContent = classNames[best] ?? String(best);
  }

  /** Empty bars and class, keep the input. */
  clearAnswer() {
    this.bars.reset();
    this.label.textContent = '';
  }

  /** Empty the preprocessed view, the bars and the class; the hint line comes back. */
  clear() {
    this.view.reset();
    this.clearAnswer();
    this.showHint();
  }

  /** Redraw in the current theme. */
  restyle() {
    if (this.view.values) this.view.update({ image: this.view.values, shape: this.shape });
  }
}
