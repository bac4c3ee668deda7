r"""
Part 1: A baseline convolutional network
========================================

We load MNIST, prepare it for a convolutional network, and train the
homework's baseline: one convolution layer, one pooling layer and two dense
layers, trained with stochastic gradient descent (SGD) at a learning rate of
0.01 for 10 epochs. Then we read its learning curves to answer Question 1.

**Cost:** one 10-epoch run on 60,000 images, a few minutes on a laptop CPU.
The last cell prints what it cost on the machine that built this page.
"""

# License: BSD-3-Clause

# %%
# Load the data
# -------------
# :func:`~mnist_tutorial.data.load_mnist` returns the same four arrays as
# :func:`keras.datasets.mnist.load_data`: 60,000 training and 10,000 test
# images of handwritten digits, 28 by 28 pixels of 8-bit grey levels, and
# their labels. Wherever the file comes from (Keras's download, a local
# cache or an offline mirror), each array is checked against its known
# sha256 before it is used.
import functools

from mnist_tutorial import config, data, display, models, plotting, reporting, training

(x_train, y_train), (x_test, y_test) = data.load_mnist()
print(f"Training images: {x_train.shape}, {x_train.dtype}")
print(f"Training labels: {y_train.shape}, {y_train.dtype}")
print(f"Test images:     {x_test.shape}, {x_test.dtype}")
print(f"Pixel values:    {x_train.min()} to {x_train.max()}")

# %%
# Here are the first twenty training digits with their labels.
figure = plotting.plot_digits(
    x_train[:20], y_train[:20], title="The first twenty training digits and their labels"
)

# %%
# Preprocess
# ----------
# A convolution layer expects a channel axis, so each image becomes a
# (28, 28, 1) array. Pixels are scaled from 0..255 to 0..1, which keeps the
# first layer's inputs small, and each label becomes a one-hot row of ten
# numbers, the format that the categorical cross-entropy loss expects.
#
# ``config.subset_sizes()`` is empty for a normal run. In the site's draft
# mode it selects a small subset so that authors get a quick preview.
dataset = data.preprocess(x_train, y_train, x_test, y_test, **config.subset_sizes())
print(f"Images: {dataset.x_train.shape}, {dataset.x_train.dtype}")
print(f"Labels: {dataset.y_train.shape}, first label one-hot: {dataset.y_train[0]}")
print(f"Pixel values: {dataset.x_train.min():.1f} to {dataset.x_train.max():.1f}")

# %%
# The model
# ---------
# The network is built by :func:`mnist_tutorial.models.build_model`. It adds
# one convolution block with :func:`~mnist_tutorial.models.add_conv_block`
# (32 filters of 3 by 3 pixels, then 2 by 2 max pooling), flattens, and ends
# with a 100-unit ReLU layer and a 10-way softmax. This is its Keras code:
display.show_source(models.add_conv_block)

# %%
display.show_source(models.build_model)

# %%
# The summary shows where the parameters are. The convolution has only
# 320 of them; the dense layer that reads the 13 x 13 x 32 = 5,408 pooled
# features holds almost all the rest.
model = models.build_model(learning_rate=0.01)
model.summary()

# %%
# Train
# -----
# :func:`mnist_tutorial.training.train` seeds every random number generator,
# builds a fresh model, and calls ``model.fit`` with a batch size of 32 for
# 10 epochs. As in the homework, the test set serves as validation data.
# The log has one line per epoch. A rebuild of this page replays the stored
# run instead of training again.
baseline = training.train(
    functools.partial(models.build_model, learning_rate=0.01),
    dataset,
    epochs=10,
    batch_size=32,
)

# %%
# Learning curves
# ---------------
figure = plotting.plot_history(baseline.history, title="Baseline: SGD, learning rate 0.01")

# %%
print(reporting.results_table({"baseline (lr 0.01)": baseline}))

# %%
# Question 1: what do the plots show, and why?
# --------------------------------------------
# **Both losses fall and both accuracies rise, steeply in the first epoch and
# then more and more slowly.** Each epoch is 1,875 small SGD steps down the
# gradient of the training loss. Early on the network's predictions are
# poor and the gradient is large, so every step helps a lot; as the loss
# shrinks, so do the gradients and the gains per epoch.
#
# **The validation curves follow the training curves closely.** After ten
# epochs the training and validation accuracies in the table above differ by
# less than one percentage point, and the validation loss is still at its
# lowest in the last epoch. The model has not started to overfit: what it
# learns from the training digits carries over to digits it has never seen.
#
# **It has not finished learning either.** The training loss falls in every
# epoch, and the validation loss is still going down at epoch 10, so more
# epochs, or a faster optimizer (Parts 2 and 3), would still pay off.
#
# For comparison, the homework's own run (on the author's laptop, with an
# older Keras) reported 0.9793 training and 0.9753 validation accuracy after
# 10 epochs.
#
# .. note::
#    The test set doubles as validation data here, as in the homework. When
#    choosing settings by validation accuracy, as Part 2 does, a careful study
#    would hold out part of the training set for that and keep the test set
#    for one final measurement.

# sphinx_gallery_start_ignore
import itertools

from mnist_tutorial import claims

history = baseline.history
claims.check(
    all(later < earlier for earlier, later in itertools.pairwise(history["loss"])),
    "the training loss falls in every epoch",
)
claims.check(
    history["accuracy"][-1] > history["accuracy"][0]
    and history["val_accuracy"][-1] > history["val_accuracy"][0],
    "both accuracies rise",
)
claims.check(
    history["accuracy"][1] - history["accuracy"][0]
    > history["accuracy"][-1] - history["accuracy"][-2],
    "accuracy rises steeply at first and then more slowly",
)
claims.check(
    abs(history["accuracy"][-1] - history["val_accuracy"][-1]) < 0.01,
    "final training and validation accuracy differ by less than one point",
)
claims.check(
    min(history["val_loss"]) == history["val_loss"][-1],
    "the validation loss is at its lowest in the last epoch",
)
claims.check(
    0.975 <= history["val_accuracy"][-1] < 0.985,
    "about 98 % of unseen digits are recognised after ten epochs",
)
# sphinx_gallery_end_ignore

# %%
# Conclusion
# ----------
# A single convolution layer trained with plain SGD already recognises
# about 98 % of unseen digits after ten epochs, and its curves show room to
# improve. The next parts change one thing at a time: the learning rate
# (Part 2), momentum (Part 3) and a second convolution layer (Part 4), and
# compare each against this baseline.
print(reporting.cost_summary({"baseline": baseline}))

# sphinx_gallery_thumbnail_number = 2
