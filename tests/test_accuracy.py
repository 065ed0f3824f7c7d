"""The engine on real digits: the post's experiment, held to the course's figure."""

from server.datasets import load_dataset
from server.network import NeuralNetwork


def test_digits20_tnc_50_iterations_reaches_93_5_percent_on_mnist_test_digits():
    ds = load_dataset("digits20")
    model = NeuralNetwork(hidden_layers=(25,), regularization_parameter=1.0, max_iter=50,
                          random_state=0)
    model.fit(ds.X_train, ds.y_train)
    assert model.n_iter_ == 50 and model.stop_reason_ == "max_iter"
    assert model.cost_history_[-1] < 0.5 < model.cost_history_[0]
    assert model.score(ds.X_test, ds.y_test) >= 0.935
