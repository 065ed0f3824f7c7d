/**
 * The "?" texts, written for a student: one entry per panel and control, keyed
 * by name. `at` says where the "?" goes (a CSS selector; the button follows the
 * first match); `tex` is an optional formula typeset under the text.
 * Pure data: widgets/help.js shows it.
 * @module help
 */

export const HELP = {
  // ------------------------------------------------------------ panels
  network: {
    at: '#h-net', title: 'The network',
    text: 'Each circle is a unit (a "neuron"). Columns are layers: the input (here the image itself, one pixel per unit), the hidden layers, and one output unit per class. Each edge is a weight θ: blue positive, orange negative, thicker = larger. A unit is darker when its activation is higher for the selected input. Click a unit to inspect it; hover an edge to read its weight.',
  },
  stepper: {
    at: '#h-chain', title: 'One training step, taken apart',
    text: 'Training repeats one step: forward propagation (compute every unit’s activation for the inputs), the cost (how wrong the outputs are), backpropagation (how much each unit’s z is to blame: its error δ), and the update (move every weight against its gradient ∂J/∂θ). Pick a phase, or use ◀ ▶ (or the arrow keys), to see each on the diagram with the real numbers of the selected input, computed by the server at the current weights.',
  },
  forward: {
    at: '.stepper [data-phase=forward]', title: 'Forward propagation',
    text: 'The input x goes in on the left. Each layer multiplies the previous layer’s activations (with a bias 1 in front) by its weight matrix Θ, giving z, and applies the activation function g, giving a = g(z). The logistic g(z) = 1/(1+e^(−z)) squeezes any z into (0, 1). The last layer’s a are the network’s answers, one per class.',
    tex: 'z^{(l+1)} = [1\\;a^{(l)}]\\,\\Theta^{(l)},\\qquad a^{(l+1)} = g(z^{(l+1)})',
  },
  cost: {
    at: '#h-cost', title: 'The cost J(Θ)',
    text: 'One number for how wrong the network is on the whole training set: for every sample and every output unit, −log of the probability it gave the right answer (y = 1 for the true class, 0 for the others), averaged over the m samples; plus λ/(2m) times the sum of the squared weights (bias weights excepted), which keeps the weights small. Training searches for the Θ that make J small.',
    tex: 'J(\\Theta) = -\\frac{1}{m}\\sum_{i,k}\\big[y_k\\log a_k + (1-y_k)\\log(1-a_k)\\big] + \\frac{\\lambda}{2m}\\sum\\theta^2',
    live: 'cost',
  },
  backward: {
    at: '.stepper [data-phase=backward]', title: 'Backpropagation',
    text: 'How should each weight change to lower the cost? Backpropagation answers for all weights at once by sending the error backwards. At the output, δ = a − y. A hidden unit’s δ is the output errors weighted by the unit’s outgoing weights (Θᵀδ, bias left out), times the slope of its activation g′(z) = a(1 − a): a saturated unit (a near 0 or 1) passes almost no error back. The gradient of a weight is then (activation at its start) × (δ at its end), averaged over the samples.',
    tex: '\\delta^{(L)} = a^{(L)} - y,\\quad \\delta^{(l)} = (\\delta^{(l+1)}\\Theta^{(l)\\top})_{[:,1:]}\\odot g\'(z^{(l)}),\\quad \\frac{\\partial J}{\\partial\\Theta^{(l)}} = \\frac{1}{m}a^{(l)\\top}\\delta^{(l+1)} + \\frac{\\lambda}{m}\\Theta^{(l)}',
  },
  update: {
    at: '.stepper [data-phase=update]', title: 'The update',
    text: 'With the gradient in hand, the optimizer moves every weight a little against it. Gradient descent takes θ ← θ − α ∂J/∂θ. One sample’s gradient points somewhere different from the whole training set’s: switch between them to compare, or show the change the optimizer really made since the previous iteration.',
  },
  accuracy: {
    at: '#h-acc', title: 'Accuracy, and why validation can part from training',
    text: 'The share of samples whose largest output is the true class. Training accuracy is measured on the samples the network learns from; validation accuracy on samples held out (the validation fraction) that it never trains on. When the network starts to memorise its training samples — learning their noise instead of what digits look like — training keeps improving while validation stalls or gets worse: the curves part. More λ or fewer units usually brings them back together.',
  },
  units: {
    at: '#h-units', title: 'Hidden units',
    text: 'Each tile is one first-layer hidden unit’s incoming weights, drawn in the input’s shape: blue pixels push the unit on, orange pixels push it off. A trained unit looks for a stroke or a blob somewhere in the image.',
  },
  heatmaps: {
    at: '#h-heat', title: 'Weight matrices',
    text: 'Every weight matrix Θ as a picture: one row per unit it feeds, one column per unit it reads (the bias first). Blue positive, orange negative. Θ1 is 401×25 for a 400-pixel input and 25 hidden units.',
  },
  draw: {
    at: '#h-draw', title: 'Draw a digit',
    text: 'Draw with the mouse or a finger. The drawing is cropped, centred and shrunk to the data set’s 20×20 like the training images, then fed forward through the current network. The bars show the output units’ activations (scaled to sum to 1).',
  },
  samples: {
    at: '#h-samples', title: 'Test samples',
    text: 'Images from the test set, which the network never trains on. Click one to make it the input of the diagram, the step-through and the inspector.',
  },
  confusion: {
    at: '#h-conf', title: 'Confusion matrix',
    text: 'After training: rows are the true classes, columns what the network predicted, on the test set. The diagonal counts the right answers; a bright cell off it is a pair of digits the network mixes up. Drag the timeline to see it at an earlier iteration.',
  },
  misclassified: {
    at: '#h-mis', title: 'Misclassified',
    text: 'Test images the trained network gets wrong, with the true and predicted class. Click one to step through what the network computes for it.',
  },
  inspector: {
    at: '#h-inspect', title: 'Inspect a unit',
    text: 'Click any unit on the diagram. You see its z (the weighted sum), a (its activation) and δ (its error in the backward pass) for the selected input, its incoming weights and their gradient. For an output unit, “why this output” lists the last hidden units whose a·θ pushed its z the most.',
  },
  gradnorms: {
    at: '#h-norms', title: 'Gradient size per layer',
    text: 'The length of each weight matrix’s part of the gradient, per iteration (log scale). Start with init = randn (the post’s): the weights are large, the sigmoids saturate (a near 0 or 1, g′(z) near 0) and the first layer’s gradient is tiny — it barely learns. The scaled uniform initialisation keeps z small, so the error reaches every layer.',
  },
  boundary: {
    at: '#h-boundary', title: 'Decision boundary',
    text: 'For 2-D data: the class the network predicts at every point of the plane, paler where it is less sure. The dots are test samples.',
  },

  // ------------------------------------------------------------ controls
  run: {
    at: '#run-buttons', title: 'Train, Pause, Step, Stop, Reset',
    text: 'Train starts from fresh random weights. Pause holds the optimizer; Step runs exactly one iteration and pauses again — the best way to watch. Stop ends the run but keeps its weights; Reset forgets them. An iteration is one step of the optimizer; inside it the optimizer may evaluate the cost and gradient several times (evaluations) while it searches for a good step.',
  },
  iteration: {
    at: '.readout', title: 'Iteration and evaluation',
    text: 'An iteration is one step of the optimizer from one set of weights to the next. An evaluation is one computation of J(Θ) and its gradient over the whole training set: TNC may need several per iteration, gradient descent needs one per mini-batch.',
  },
  gradcheck: {
    at: '#gradient-check', title: 'Gradient checking',
    text: 'Backprop is easy to get subtly wrong and still “learn” something. The check nudges a few weights by ±ε, measures how J changes (the numerical gradient, slow but trustworthy) and compares it with backprop’s. A relative difference below 1e-9 means backprop is right. Choose a broken backprop to see the check catch each classic bug.',
  },
  save: {
    at: '.save-model legend', title: 'Keep this model',
    text: 'Saves the trained weights as an .npz file that the Python class loads with NeuralNetwork.load(path).',
  },
  regularization_parameter: {
    at: 'label[for=f-regularization_parameter]', title: 'λ, the regularisation parameter',
    text: 'λ charges the cost for large weights: λ/(2m)·Σθ² (bias weights free). Large weights let a network fit every quirk of its training samples; λ trades a little training accuracy for a network that generalises. λ = 0 turns it off; try 0 and 10 and watch the validation curve.',
  },
  optimizer: {
    at: 'label[for=f-optimizer]', title: 'The optimizer',
    text: 'Gradient descent steps downhill by a fixed amount (the learning rate) along the gradient. TNC (truncated Newton) also estimates how the slope bends — the curvature — from a few extra gradient evaluations and takes one well-aimed step, with a line search to choose its length: far fewer iterations, each costing several evaluations. L-BFGS-B and CG are similar whole-training-set methods; Adam and GD work on small mini-batches.',
  },
  hidden_layers: {
    at: '#controls [data-role=layers]', title: 'Hidden layers',
    text: 'How many hidden layers, and how many units in each. The post uses one layer of 25. More units can fit more complicated shapes, and more easily overfit.',
  },
  max_iter: {
    at: 'label[for=f-max_iter]', title: 'Iterations',
    text: 'How many optimizer steps to take at most (epochs for the mini-batch optimizers). TNC often converges on digits20 within 50 to 100.',
  },
  init: {
    at: 'label[for=f-init]', title: 'Initial weights',
    text: 'Where the search starts. Scaled uniform: small random weights in ±√6/√(n_in+n_out), so z stays near 0 where the sigmoid is steep. randn (the post’s): standard normal weights; with 400 inputs z is huge, the sigmoids saturate and the first layer’s gradient vanishes — see the gradient chart.',
  },
  activation: {
    at: 'label[for=f-activation]', title: 'Hidden activation',
    text: 'The function g of the hidden units. The logistic (the post’s) gives a in (0, 1) with slope a(1 − a); tanh is a centred logistic; relu is max(0, z), slope 0 or 1. The output units stay logistic.',
  },
  random_state: {
    at: 'label[for=f-random_state]', title: 'Seed',
    text: 'Fixes the random initial weights (and the validation split), so the same settings give the same run. Change it to see how much depends on the starting point.',
  },
  validation_fraction: {
    at: 'label[for=f-validation_fraction]', title: 'Validation fraction',
    text: 'The share of the training set held out to measure how well the network does on samples it does not learn from.',
  },
  delay_ms: {
    at: 'label[for=f-delay_ms]', title: 'Speed',
    text: 'A pause after every iteration so a class can follow; 0 is full speed. It changes at once, even while training.',
  },
  dataset: {
    at: 'label[for=f-dataset]', title: 'Data set',
    text: 'What the network learns: digits20 is the course’s 5,000 handwritten digits of 20×20 pixels (the post’s); the 2-D sets are points in the plane whose classes form shapes.',
  },
  learning_rate: {
    at: 'label[for=f-learning_rate]', title: 'Learning rate',
    text: 'How far gradient descent and Adam move against the gradient on each step: too small is slow, too large overshoots and the cost jumps.',
  },
  batch_size: {
    at: 'label[for=f-batch_size]', title: 'Batch size',
    text: 'How many samples each mini-batch step looks at. Small batches give noisy but many steps per epoch.',
  },
};
