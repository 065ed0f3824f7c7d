import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fromOutputs, PredictionPanel } from '../../static/js/widgets/prediction.js';
import { ProbabilityBars } from '../../static/js/widgets/probbars.js';

/** Just enough of a DOM element for the bars: children, text, style and classes. */
class FakeElement {
  constructor(tag) {
    this.tag = tag;
    this.children = [];
    this.attributes = {};
    this.style = {};
    this.textContent = '';
    this.className = '';
    this.classes = new Set();
    this.classList = {
      toggle: (name, on) => (on ? this.classes.add(name) : this.classes.delete(name)),
      remove: (name) => this.classes.delete(name),
    };
  }
  setAttribute(name, value) { this.attributes[name] = value; }
  addEventListener() {}
  append(child) { this.children.push(child); }
  replaceChildren(...children) { this.children = children; }
}

globalThis.document = { createElement: (tag) => new FakeElement(tag) };

/** A prediction panel with real bars on fake elements (the pad and views are not needed). */
function panel(classNames) {
  const p = Object.create(PredictionPanel.prototype);
  p.bars = new ProbabilityBars(new FakeElement('div'), { classNames });
  p.label = new FakeElement('span');
  return p;
}

const percent = (text) => Number.parseFloat(text);

test('probabilities from sigmoid outputs are scaled to sum to 1', () => {
  const { probabilities, best } = fromOutputs([0.9, 0.3, 0.3]); // three independent sigmoids
  probabilities.forEach((p, i) => assert.ok(Math.abs(p - [0.6, 0.2, 0.2][i]) < 1e-12, `${p}`));
  assert.equal(best, 0);
  assert.deepEqual(fromOutputs([0, 0]).probabilities, [0, 0]); // nothing to scale
});

test('a probe sample\'s bars show the normalised probabilities, not the raw outputs', () => {
  const p = panel(['cat', 'dog', 'owl']);
  p.showOutputs([0.3, 0.9, 0.3], ['cat', 'dog', 'owl']);
  const widths = p.bars.rows.map((r) => percent(r.fill.style.width));
  assert.deepEqual(widths, [20, 60, 20]);
  assert.deepEqual(p.bars.rows.map((r) => r.value.textContent), ['20%', '60%', '20%']);
  assert.equal(widths.reduce((s, w) => s + w, 0), 100);
  assert.deepEqual(p.bars.rows.map((r) => r.row.classes.has('best')), [false, true, false]);
  assert.equal(p.label.textContent, 'dog');
});
