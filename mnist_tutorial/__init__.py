"""Helpers for the MNIST-with-Keras course: data, models, training and plots."""
