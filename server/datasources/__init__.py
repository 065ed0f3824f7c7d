"""The parts behind server.datasets: one kind of data set, or one step, per file."""
