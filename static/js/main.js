/**
 * Wiring, and nothing else: the store, the connection, the router, the frame
 * scheduler, the Lab and the widgets. The only module that knows the connection;
 * widgets get callbacks. A new widget is one file, one line below and its place
 * in templates/index.html.
 * @module main
 */
import { Connection } from './connection.js';
import { Store } from './store.js';
import { Router } from './router.js';
import { FrameScheduler } from './scheduler.js';
import { Lab } from './lab.js';
import * as handlers from './handlers.js';
import { StatusBar, formatCost } from './widgets/statusbar.js';
import { RunButtons } from './widgets/runbuttons.js';
import { SettingsForm } from './widgets/settingsform.js';
import { ModelTools } from './widgets/modeltools.js';
import { StreamChart } from './widgets/charts.js';
import { NetworkDiagram } from './widgets/network.js';
import { WeightHeatmaps } from './widgets/heatmaps.js';
import { HiddenUnits } from './widgets/hiddenunits.js';
import { PredictionPanel } from './widgets/prediction.js';
import { ConfusionMatrix } from './widgets/confusion.js';
import { ImageStrip } from './widgets/gallery.js';
import { DecisionBoundary } from './widgets/boundary.js';
import { RaceControls, RaceResults } from './widgets/race.js';
import { RaceChart } from './widgets/racechart.js';
import { Timeline } from './widgets/timeline.js';
import { SavedRuns } from './widgets/savedruns.js';
import { Replay, wireExports } from './replay.js';
import { UnitMaps } from './widgets/unitmaps.js';
import { ClassAccuracyStrip } from './widgets/classstrip.js';
import { Scoreboard } from './widgets/scoreboard.js';
import { Shortcuts } from './widgets/shortcuts.js';
import { Backprop } from './backprop.js';
import { HELP } from './help.js';
import { PhaseStepper } from './widgets/stepper.js';
import { PhaseDiagram } from './widgets/phasediagram.js';
import { MatrixChain } from './widgets/matrixchain.js';
import { Inspector } from './widgets/inspector.js';
import { GradNormChart } from './widgets/gradnorms.js';
import { HelpPopover } from './widgets/helppopover.js';
import { SharePanel, FollowBanner } from './widgets/sharepanel.js';
import { Follow, followToken } from './follow.js';

const $ = (sel) => document.querySelector(sel);
const SERIES = [{ label: 'training', color: '--series-train' }, { label: 'validation', color: '--series-val', dash: [6, 4] }];

const store = new Store(location.search, { onUrl: (query) => history.replaceState(null, '', `?${query}`) });

// the callbacks below reach `lab` (made once the widgets exist) only when they are called
const widgets = {
  status: new StatusBar($('.topbar'), {
    onToggleTheme: () => store.set({ theme: store.state.theme === 'dark' ? 'light' : 'dark' }),
    onTogglePresenter: () => togglePresenter(),
  }),
  buttons: new RunButtons($('#run-buttons'), { onAction: (action) => lab[action]() }),
  form: new SettingsForm($('#controls'), { live: ['delay_ms'], onChange: (name, value) => store.set({ [name]: value }), onSubmit: () => lab.train(), onRecommended: () => lab.applyRecommended(true) }),
  tools: new ModelTools($('.sidebar'), { onCheck: (variant) => lab.gradientCheck(variant), onSave: (name) => lab.save(name) }),
  costChart: new StreamChart($('#cost-chart'), { yLabel: 'cost', series: SERIES, format: formatCost }),
  accChart: new StreamChart($('#acc-chart'), {
    yLabel: 'accuracy', yRange: [0, 1], format: (v) => `${(100 * v).toFixed(1)}%`, axisFormat: (v) => `${Math.round(100 * v)}%`, series: SERIES,
  }),
  network: new NetworkDiagram($('#network'), { height: 340, caption: $('#net-caption'), inputLabel: $('#net-input-label') }),
  heatmaps: new WeightHeatmaps($('#heatmaps')),
  hidden: new HiddenUnits($('#hiddenunits')),
  prediction: new PredictionPanel($('#prediction-panel'), {
    onDraw: (image) => lab.predict({ image }, { kind: 'drawing' }),
    onClear: () => lab.clearDrawing(),
  }),
  confusion: new ConfusionMatrix($('#confusion')),
  boundary: new DecisionBoundary($('#boundary-panel')),
  unitMaps: new UnitMaps($('#network'), { layout: () => widgets.network.layout, onSelect: (unit) => widgets.boundary.showUnit(unit) }),
  classStrip: new ClassAccuracyStrip($('#class-strip')),
  score: new Scoreboard($('#scoreboard')),
  keys: new Shortcuts($('#shortcuts'), {
    actions: ['train', 'pause', 'step', 'stop', 'next', 'presenter'],
    onAction: (action) => shortcut(action),
  }),
  sampleStrip: new ImageStrip($('#samples'), { onSelect: (item) => lab.selectSample(item), empty: 'Loading samples…' }),
  share: new SharePanel($('#share-panel'), { onShare: () => lab.follow.share() }),
  banner: new FollowBanner($('#follow-banner')),
  misStrip: new ImageStrip($('#misclassified'), { onSelect: (item) => lab.selectSample(item), empty: 'Misclassified test digits appear when training ends.' }),
  raceControls: new RaceControls($('#race-controls'), { onRace: (optimizers) => lab.replay.startRace(optimizers) }),
  raceChart: new RaceChart($('#race-chart')),
  raceResults: new RaceResults($('#race-results'), { onPick: (runId) => lab.replay.pick(runId) }),
  timeline: new Timeline($('#timeline'), { onSeek: (it) => { lab.replay.stopPlaying(); lab.replay.seek(it); }, onPlay: (on) => lab.replay.play(on) }),
  saved: new SavedRuns($('#saved-runs'), { onOpen: (name) => lab.replay.open(name), onUpload: (file) => lab.replay.upload(file), onRefresh: () => lab.replay.listModels() }),
  gradNorms: new GradNormChart($('#gradnorm-chart')),
};
// the step-through of one training step (issue 9): its widgets and the Backprop that feeds them
const phase = new PhaseDiagram($('#network'), { height: 340 });
const step = {
  stepper: new PhaseStepper($('#stepper'), { onPhase: (p) => backprop.setPhase(p), onEdgeSource: (s) => backprop.setEdgeSource(s) }),
  phase,
  chain: new MatrixChain($('#matrix-chain')),
  inspector: new Inspector($('#inspect-panel'), { network: $('#network'), diagram: widgets.network, phase }, { onOpen: () => backprop.inputChanged() }),
};
wireExports(widgets, () => lab.run);

const scheduler = new FrameScheduler({ onFrame: (batch, s) => lab.painter.paint(batch, s) });
const lab = new Lab({ store, widgets, send: (msg) => conn.send(msg), scheduler });
const backprop = lab.backprop = new Backprop({ lab, widgets: step, send: (msg) => conn.send(msg) });
new HelpPopover(document.body, { table: HELP, values: (what) => backprop.liveTex(what), watch: $('#controls') });
lab.follow = new Follow({ token: followToken(location.pathname), send: (msg) => conn.send(msg) }).attach(lab);
lab.replay = new Replay(lab);
const router = new Router();
for (const [type, handle] of Object.entries(handlers)) router.on(type, (msg) => handle(msg, lab));
const conn = new Connection(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`, {
  onMessage: (msg) => router.dispatch(msg),
  onWeights: ({ header, thetas }) => {
    if (header.type === 'weights' && header.request_id != null) { lab.replay.weightsAt(header, thetas); return; } // a timeline answer
    if (!lab.owns(header)) return;
    if (header.type !== 'weights') { backprop.frame(header, thetas); return; } // an explanation's gradients
    lab.run.thetas = thetas;
    scheduler.setWeights(thetas);
    lab.refreshInput();
    backprop.weightsArrived();
  },
  onStatus: (open) => { if (!open) lab.connectionLost(); },
});

function applyTheme(theme) {
  document.documentElement.dataset.theme = theme;
  widgets.status.setTheme(theme);
}
function applyPresenter(on) {
  document.documentElement.dataset.presenter = on;
  widgets.status.setPresenter(on === '1');
}
function shortcut(action) {
  if (action === 'presenter') togglePresenter();
  else if (action === 'next') step.stepper.move(1); // the step-through's next phase
  else widgets.buttons.press(action);
}
function togglePresenter() {
  store.set({ presenter: store.state.presenter === '1' ? '0' : '1' });
}
store.subscribe((state, keys) => {
  if (keys.includes('theme')) applyTheme(state.theme);
  if (keys.includes('presenter')) { applyPresenter(state.presenter); lab.redrawAll(); } // charts and diagram take the new type size
  lab.settingsChanged(keys);
});
applyTheme(store.state.theme);
applyPresenter(store.state.presenter);
lab.redrawAll(); // the charts were made before the theme applied
lab.setRunState('idle');
