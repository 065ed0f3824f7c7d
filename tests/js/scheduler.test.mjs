import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FrameScheduler } from '../../static/js/scheduler.js';

/** A scheduler on a fake clock and a fake requestAnimationFrame. */
function fake(onFrame, { budgetMs = 0, jobMs = 0 } = {}) {
  const frames = [];
  let t = 0;
  const s = new FrameScheduler({ onFrame, raf: (fn) => frames.push(fn), now: () => t, budgetMs });
  return { s, frames, tick: () => frames.shift()(), advance: (ms) => { t += ms; }, jobMs };
}

test('messages between two frames are coalesced: every point, the latest iteration and weights', () => {
  const batches = [];
  const { s, frames, tick } = fake((b) => batches.push(b));
  s.addIteration({ iteration: 1 });
  s.addIteration({ iteration: 2 });
  s.setWeights('w1');
  s.addIteration({ iteration: 3 });
  s.setWeights('w2');
  s.setEvaluation({ cost: 1 });
  assert.equal(frames.length, 1, 'one frame asked for, however many messages');
  tick();
  assert.equal(batches.length, 1);
  assert.deepEqual(batches[0].points.map((p) => p.iteration), [1, 2, 3]);
  assert.equal(batches[0].latest.iteration, 3);
  assert.equal(batches[0].weights, 'w2');
  assert.deepEqual(batches[0].evaluation, { cost: 1 });
  assert.equal(frames.length, 0, 'nothing left: no further frame');
});

test('a frame with nothing new does not call onFrame', () => {
  let calls = 0;
  const { s, tick } = fake(() => calls++);
  s.schedule();
  tick();
  assert.equal(calls, 0);
});

test('jobs run one per frame (budget 0), first queued first run, a re-queued job keeps its place', () => {
  const ran = [];
  const { s, frames, tick, advance } = fake(() => {});
  s.queue('a', () => { ran.push('a1'); advance(1); });
  s.queue('b', () => { ran.push('b'); advance(1); });
  s.queue('a', () => { ran.push('a2'); advance(1); }); // replaces a1, still first
  tick();
  assert.deepEqual(ran, ['a2']);
  assert.equal(frames.length, 1, 'the frame asks for the next one while jobs are left');
  tick();
  assert.deepEqual(ran, ['a2', 'b']);
  assert.equal(frames.length, 0);
});

test('jobs queued by onFrame run in that frame without asking for a second one', () => {
  const ran = [];
  const { s, frames, tick } = fake((batch, sched) => sched.queue('chart', () => ran.push(batch.points.length)));
  s.addIteration({ iteration: 1 });
  tick();
  assert.deepEqual(ran, [1]);
  assert.equal(frames.length, 0);
});

test('clear drops the pending batch and jobs (a new run)', () => {
  let calls = 0;
  const { s, tick } = fake(() => calls++);
  s.addIteration({ iteration: 1 });
  s.queue('x', () => assert.fail('a dropped job ran'));
  s.clear();
  tick();
  assert.equal(calls, 0);
});

test('a frame that also handed over a batch still runs a job: a fast stream cannot starve the drawing', () => {
  const ran = [];
  let s;
  const { s: sched, tick, advance } = fake(() => { advance(2); s.queue('draw', () => ran.push('draw')); });
  s = sched;
  for (let i = 1; i <= 3; i++) {
    s.addIteration({ iteration: i }); // a new message before every frame
    tick();
  }
  assert.deepEqual(ran, ['draw', 'draw', 'draw']);
});

test('the accuracy chart and the class strip get every point, however the jobs interleave with iterations', async () => {
  const { Painter } = await import('../../static/js/render.js');
  const drawn = { cost: [], acc: [], strip: [], norms: [] };
  const w = {
    costChart: { update: (pts) => drawn.cost.push(...pts.map((p) => p.x)) },
    accChart: { update: (pts) => drawn.acc.push(...pts.map((p) => p.x)) },
    classStrip: { update: (pts) => drawn.strip.push(...pts.map((p) => p.iteration)) },
    score: { update: () => {} },
    gradNorms: { update: (pts) => drawn.norms.push(...pts.map((p) => p.iteration)) },
  };
  const painter = new Painter({ w, run: { params: { max_iter: 2 }, dataset: {} } });
  const { s, frames, tick } = fake((batch, sched) => painter.queueCharts(batch.points, sched));
  s.addIteration({ iteration: 0 });
  tick(); // queues the chart jobs, runs the first (one job a frame)
  tick(); // the cost chart takes iteration 0 and hands it to the accuracy chart
  s.addIteration({ iteration: 1 }); // arrives while the accuracy job is still pending
  s.addIteration({ iteration: 2 }); // the run's last
  for (let n = 0; frames.length && n < 50; n++) tick();
  assert.equal(frames.length, 0, 'the jobs end');
  for (const [chart, its] of Object.entries(drawn)) assert.deepEqual(its, [0, 1, 2], chart);
});
