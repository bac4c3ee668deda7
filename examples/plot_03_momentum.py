r"""
Part 3: SGD with momentum
=========================

Plain SGD takes each step along the current gradient alone. Where the loss
surface is a narrow valley, steep across and shallow along, it bounces
between the walls and makes slow progress down the valley. Momentum keeps an
exponentially weighted sum :math:`z` of past gradients and steps along
that instead:

.. math::

   z^{k+1} = \beta z^{k} + \frac{\partial L}{\partial w^{k}}, \qquad
   w^{k+1} = w^{k} - \eta \, z^{k+1}.

Components of the gradient that flip sign from step to step cancel out, and
those that keep their direction add up. We train the baseline network with
:math:`\eta = 0.01` and momentum :math:`\beta = 0.9`, compare it with
Part 1, and answer Question 3.

**What to look for in the plots:** how early the momentum curve pulls away
from the baseline; how it compares with plain SGD at a ten times larger
learning rate, the fair comparison explained below; and the validation
loss, which stops following the training loss.

**Cost:** three 10-epoch runs (three seeds) of the momentum model, trained
side by side, and three of plain SGD at :math:`\eta = 0.1`, plus the
baseline's runs from Part 1.
"""

# License: BSD-3-Clause

# %%
# Setup
# -----
# :func:`~mnist_tutorial.data.load_dataset` gives Part 1's preprocessed
# arrays: images of shape (28, 28, 1) scaled to 0..1, and one-hot labels.
import functools

import keras
from keras import layers

from mnist_tutorial import data, plotting, reporting
from mnist_tutorial.replicates import train_replicates

dataset = data.load_dataset()

# %%
# The model and the optimizer
# ---------------------------
# Momentum is an argument of Keras's ``SGD`` optimizer. The homework's
# ``SGD(lr=learning_rate, momentum=momentum)`` is written
# ``SGD(learning_rate=..., momentum=...)`` in Keras 3. The network is
# Part 1's; the learning rate and the momentum are the function's
# arguments, so that the same function builds the baseline (momentum 0).


def build_model(learning_rate, momentum):
    model = keras.Sequential(
        [
            keras.Input(shape=(28, 28, 1)),
            layers.Conv2D(32, (3, 3), activation="relu"),
            layers.MaxPooling2D((2, 2)),
            layers.Flatten(),
            layers.Dense(100, activation="relu"),
            layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile(
        optimizer=keras.optimizers.SGD(learning_rate=learning_rate, momentum=momentum),
        loss="categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


# %%
# Training is Part 1's ``model.fit`` call, unchanged.


def fit(model, x_train, y_train, x_test, y_test, callbacks):
    return model.fit(
        x_train,
        y_train,
        batch_size=32,
        epochs=10,
        validation_data=(x_test, y_test),
        callbacks=callbacks,
        verbose=0,
    )


# %%
# What is a fair comparison?
# --------------------------
# Where the gradient keeps its direction, the weighted sum :math:`z` grows
# to :math:`1 / (1 - \beta)` gradients: ten, for :math:`\beta = 0.9`. So
# momentum 0.9 at :math:`\eta = 0.01` moves, along steady directions, about
# as far per step as plain SGD at an *effective* learning rate of
# :math:`\eta / (1 - \beta) = 0.1`. Comparing momentum only with the
# baseline mixes two things: a larger effective step, and whatever else
# momentum does. So we also compare it with plain SGD at
# :math:`\eta = 0.1`.

# %%
# Train
# -----
# Everything else is the baseline's: the architecture, the seeds (so the same
# initial weights), the batch size and the number of epochs.
runs = train_replicates(
    {
        "momentum 0.9 (lr = 0.01)": functools.partial(build_model, 0.01, 0.9),
        "no momentum, lr = 0.01 (baseline)": functools.partial(build_model, 0.01, 0.0),
        "no momentum, lr = 0.1": functools.partial(build_model, 0.1, 0.0),
    },
    dataset,
    epochs=10,
    fit=fit,
)
momentum = runs["momentum 0.9 (lr = 0.01)"]
baseline = runs["no momentum, lr = 0.01 (baseline)"]
larger_step = runs["no momentum, lr = 0.1"]

# %%
# Compare
# -------
figure = plotting.plot_curves(
    {label: group.histories for label, group in runs.items()},
    metric="accuracy",
    title="Training accuracy",
)

# %%
# The training loss spans more than a decade, so its axis is logarithmic.
figure = plotting.plot_curves(
    {label: group.histories for label, group in runs.items()},
    metric="loss",
    title="Training loss",
    log_scale=True,
)

# %%
# The validation loss tells a second part of the story.
figure = plotting.plot_curves(
    {label: group.histories for label, group in runs.items()},
    metric="val_loss",
    title="Validation loss",
)

# %%
print(reporting.results_table(runs))

# %%
# The seeds are paired: the same seed gives all three configurations the
# same initial weights and the same shuffling. Per-seed differences of the
# final accuracies, in points:
for name in ("accuracy", "val_accuracy"):
    for label, other in (("baseline", baseline), ("lr = 0.1", larger_step)):
        differences = momentum.at(name) - other.at(name)
        print(
            f"Momentum minus {label}, final {name}: "
            + ", ".join(f"{100 * value:+.2f}" for value in differences)
        )
gaps = {}
fourth = min(3, momentum.first.epochs - 1)  # the fourth epoch, or the last of a shorter run
for group in runs.values():
    gaps[group.label] = group.curves("val_loss") - group.curves("loss")
    print(
        f"{group.label}: validation minus training loss after epoch {fourth + 1} and the "
        "last, by seed: "
        + ", ".join(f"{row[fourth]:.4f} -> {row[-1]:.4f}" for row in gaps[group.label])
    )

# %%
# Question 3: does momentum improve training?
# -------------------------------------------
# **Yes, by a wide margin, against the baseline.** With momentum the network
# is ahead from the first epoch, on every seed, and by its third epoch it
# has reached the training accuracy that the baseline has after ten, seed by
# seed. It ends with a training accuracy more than half a point higher and
# a training loss more than five times lower. (The results page compares
# the validation accuracies of every configuration.)
#
# **But plain SGD with the same effective step gets as far on the training
# digits.** Plain SGD at :math:`\eta = 0.1`, the effective learning rate of
# momentum 0.9 at 0.01, ends almost where momentum does: their final
# training accuracies are within half a point of each other on every seed.
# Half a point is this site's width of a tie
# (:data:`mnist_tutorial.claims.TIE`, explained on the results page), so
# three seeds cannot say which of the two fits the training digits better.
# Their validation accuracies are in the table above, and the results page
# compares both with the baseline on the test digits. On this problem and
# with these ten epochs, the training curves show no advantage of momentum
# over simply taking ten times larger steps. A likely reason: momentum helps most where
# the valleys of the loss are so narrow that a ten times larger plain step
# would be unstable; the steady directions then get the larger step, and
# the unstable ones do not. This network is not such a case.
#
# **The validation loss stops following the training loss, while the
# validation accuracy changes little.** From the fourth epoch to the tenth,
# both fast runs keep lowering their training loss in every epoch, but their
# validation loss does not follow: the gap between validation and training
# loss widens, on every seed (printed above). The baseline's validation
# loss, by contrast, is still falling (lower after the tenth epoch than
# after the ninth, on every seed). The validation accuracy of the fast runs
# moves by less than one and a half points (150 test images) from the
# fourth epoch to the tenth, on every seed. So the network's accuracy on the
# test digits changes little, but it is more and more sure of its answers,
# and the cross-entropy loss punishes the confident mistakes heavily.
# :ref:`sphx_glr_auto_examples_beyond_the_homework_plot_06_error_analysis.py`
# measures that over-confidence directly. It is the first stage of
# overfitting, not yet memorising the training digits at the expense of the
# test digits. In practice one would stop around the validation-loss minimum
# (:class:`keras.callbacks.EarlyStopping`), or add regularisation.
#
# The homework's laptop run had the same shape: 0.9986 training and 0.9853
# validation accuracy with momentum, against 0.9793 and 0.9753 without, and
# a validation loss lowest at epoch 7 that rose afterwards.

# sphinx_gallery_start_ignore
import itertools

import numpy as np

from mnist_tutorial import claims, homework, models, training

for rate, momentum_value in ((0.01, 0.9), (0.01, 0.0), (0.1, 0.0)):
    keys = []
    for build in (build_model, models.build_model):
        keras.utils.set_random_seed(0)
        model = build(rate, momentum_value)
        keys.append(training.run_key(model, dataset, epochs=10, batch_size=32, seed=0)[0])
    claims.check(
        keys[0] == keys[1],
        f"the page's model at lr = {rate}, momentum {momentum_value} is models.build_model's: "
        "same network and settings",
    )
claims.ahead(
    momentum.at("accuracy"),
    baseline.at("accuracy"),
    "momentum ends more than half a point above the baseline on accuracy, seed by seed",
    by=claims.TIE,
)
for epoch in range(momentum.first.epochs):
    claims.ahead(
        momentum.at("accuracy", epoch=epoch),
        baseline.at("accuracy", epoch=epoch),
        f"momentum is ahead of the baseline from the first epoch (epoch {epoch + 1}), seed by seed",
    )
if momentum.first.epochs >= 3:  # a draft build trains fewer epochs
    claims.at_least(
        momentum.at("accuracy", epoch=2) - baseline.at("accuracy"),
        0.0,
        "by its third epoch momentum has reached the baseline's tenth-epoch training accuracy",
    )
claims.at_least(
    baseline.at("loss") / momentum.at("loss"),
    5.0,
    "momentum ends with a training loss more than five times lower than the baseline's",
)
claims.tied(
    momentum.at("accuracy"),
    larger_step.at("accuracy"),
    "momentum and plain SGD at lr = 0.1 end within half a point on accuracy, seed by seed",
)
for group in (momentum, larger_step):
    if group.first.epochs < 4:  # a draft build trains fewer epochs
        continue
    claims.at_least(
        gaps[group.label][:, -1] - gaps[group.label][:, 3],
        0.0,
        f"{group.label}: the gap between validation and training loss widens from epoch 4 "
        "to 10, on every seed",
    )
    claims.check(
        all(
            later < earlier
            for row in group.curves("loss")
            for earlier, later in itertools.pairwise(row)
        ),
        f"{group.label}: the training loss keeps falling to the end, on every seed",
    )
    claims.at_most(
        np.abs(group.at("val_accuracy") - group.at("val_accuracy", epoch=3)),
        0.015,
        f"{group.label}: validation accuracy moves by less than one and a half points "
        "from epoch 4 to 10, on every seed",
    )
claims.at_least(
    baseline.at("val_loss", epoch=-2) - baseline.at("val_loss"),
    0.0,
    "the baseline's validation loss is lower after the tenth epoch than after the ninth",
)

history = homework.MOMENTUM
claims.check(
    (history["accuracy"][-1], history["val_accuracy"][-1]) == (0.9986, 0.9853)
    and (homework.BASELINE["accuracy"][-1], homework.BASELINE["val_accuracy"][-1])
    == (0.9793, 0.9753),
    "the quoted homework figures are its logged final values",
)
claims.check(
    int(np.argmin(history["val_loss"])) == 6 and history["val_loss"][-1] > min(history["val_loss"]),
    "the homework's momentum validation loss was lowest at epoch 7 and rose afterwards",
)
# sphinx_gallery_end_ignore

# %%
# Try it yourself
# ---------------
# 1. **Momentum at a smaller rate.** Train momentum 0.9 with
#    ``learning_rate=0.001``, whose effective learning rate is
#    0.001 / (1 - 0.9) = 0.01, the baseline's.
#
#    .. admonition:: What to look for
#       :class: dropdown
#
#       Its effective step is the baseline's. If the effective step is
#       what matters most here, as this page argues, its curves should lie
#       close to the baseline's: do they, seed by seed?
#
# 2. **Stop early.** Pass
#    ``keras.callbacks.EarlyStopping(monitor="val_loss", patience=2,
#    restore_best_weights=True)`` to ``model.fit`` for the momentum model,
#    with, say, 30 epochs.
#
#    .. admonition:: What to look for
#       :class: dropdown
#
#       ``EarlyStopping`` ends training two epochs (``patience=2``) after
#       the validation loss last improved, and ``restore_best_weights=True``
#       keeps the weights of that lowest point. At which epoch does it stop,
#       and how does its validation accuracy compare with the ten-epoch
#       run's? Then add ``layers.Dropout(0.5)`` before the last dense
#       layer: does the validation loss turn later?
#
# 3. **Nesterov momentum.** Use
#    ``keras.optimizers.SGD(learning_rate=0.01, momentum=0.9, nesterov=True)``.
#
#    .. admonition:: What to look for
#       :class: dropdown
#
#       Nesterov's variant takes the gradient where momentum is about to
#       carry the weights, instead of where they are. Compare it with plain
#       momentum seed by seed: are the differences larger than the spread
#       between the seeds?

# %%
# Conclusion
# ----------
# Momentum is a one-argument change. Here it reaches the baseline's
# ten-epoch training accuracy within three epochs, and its training
# accuracy ends within half a point of plain SGD's with a ten times larger
# learning rate, on every seed. Faster convergence brings
# over-confidence sooner, so the validation curve, not the training curve,
# decides when to stop.
print(
    f"Final validation accuracy, momentum: mean {momentum.mean('val_accuracy'):.4f}, "
    f"range {momentum.low('val_accuracy'):.4f}-{momentum.high('val_accuracy'):.4f}"
)

# sphinx_gallery_thumbnail_number = 1
