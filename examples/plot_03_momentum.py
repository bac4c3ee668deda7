r"""
Part 3: SGD with momentum
=========================

Plain SGD takes each step along the current gradient alone. Where the loss
surface is a narrow valley, steep across and shallow along, it bounces
between the walls and makes slow progress down the valley. Momentum keeps a
running sum :math:`z` of past gradients and steps along that instead:

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
loss, which does not fall all the way to the end.

**Cost:** three 10-epoch runs (three seeds) of the momentum model, trained
side by side; the baseline and the :math:`\eta = 0.1` runs are replayed from
Parts 1 and 2. The last cell prints what it cost.
"""

# License: BSD-3-Clause

# %%
# Setup
# -----
import functools

from mnist_tutorial import data, display, models, plotting, reporting
from mnist_tutorial.replicates import separation, train_replicates

dataset = data.load_dataset()

# %%
# The optimizer
# -------------
# Momentum is an argument of Keras's ``SGD`` optimizer. The homework's
# ``SGD(lr=learning_rate, momentum=momentum)`` is written
# ``SGD(learning_rate=..., momentum=...)`` in Keras 3. This is where the
# site's models get their optimizer:
display.show_source(models.make_optimizer)

# %%
# What is a fair comparison?
# --------------------------
# Where the gradient keeps its direction, the running sum :math:`z` grows
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
# initial weights), the batch size and the number of epochs. The baseline
# and :math:`\eta = 0.1` runs are replayed.
runs = train_replicates(
    {
        "momentum 0.9 (lr = 0.01)": functools.partial(
            models.build_model, learning_rate=0.01, momentum=0.9
        ),
        "no momentum, lr = 0.01 (baseline)": functools.partial(
            models.build_model, learning_rate=0.01
        ),
        "no momentum, lr = 0.1": functools.partial(models.build_model, learning_rate=0.1),
    },
    dataset,
    epochs=10,
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
for metric in ("accuracy", "val_accuracy"):
    verdict = separation(momentum, larger_step, metric)
    print(f"Momentum against lr = 0.1 on final {metric}: {verdict}")

# %%
# Question 3: does momentum improve training?
# -------------------------------------------
# **Yes, by a wide margin, against the baseline.** With momentum the network
# is ahead from the first epoch, on every seed, and by its third epoch it is
# more accurate on the training set than the baseline is after ten. It ends
# with higher training and validation accuracy and a training loss more
# than ten times lower.
#
# **But most of that is the larger effective step.** Plain SGD at
# :math:`\eta = 0.1`, the effective learning rate of momentum 0.9 at 0.01,
# ends almost where momentum does. On the validation set, their final
# accuracies are within the seed-to-seed spread of each other (the verdict
# printed above says "tie"). On the training set both end above 99.9 %,
# where the last few of 60,000 images decide the order, which is why that
# verdict can go either way. On this problem and with these ten epochs, the
# evidence shows no advantage of momentum over simply taking ten times
# larger steps. Where momentum does help is on
# problems whose valleys are so narrow that a ten times larger plain step
# would be unstable; the steady directions then get the larger step, and
# the unstable ones do not.
#
# **The validation loss stops improving, while the validation accuracy
# stays flat.** For both fast runs, and every seed, the validation loss ends
# above its lowest value, while the training loss keeps falling to the
# end; the baseline's validation loss, by contrast, is still falling. The
# validation accuracy does not drop with it: the network still gets as many
# test digits right as at the validation-loss minimum. What grows is its
# confidence on the ones it gets wrong, since the cross-entropy loss
# punishes a confident mistake heavily. That is growing over-confidence,
# the first stage of overfitting, not yet memorising the training digits at
# the expense of the test digits. In practice one would stop around the
# validation-loss minimum (:class:`keras.callbacks.EarlyStopping`), or add
# regularisation.
#
# The homework's laptop run had the same shape: 0.9986 training and 0.9853
# validation accuracy with momentum, against 0.9793 and 0.9753 without, and
# a validation loss lowest at epoch 7 that rose afterwards.

# sphinx_gallery_start_ignore
import itertools

import numpy as np

from mnist_tutorial import claims, homework

for metric in ("accuracy", "val_accuracy"):
    claims.check(
        separation(momentum, baseline, metric) == "above",
        f"momentum ends with higher {metric} than the baseline, on every seed",
    )
claims.check(
    separation(momentum, baseline, "accuracy", epoch=0) == "above",
    "momentum is ahead of the baseline from the first epoch, on every seed",
)
third_epoch = momentum.curves("accuracy")[:, 2:3]  # empty in a 2-epoch draft build
claims.check(
    third_epoch.size > 0 and third_epoch.min() > baseline.high("accuracy"),
    "by its third epoch momentum beats the baseline's tenth-epoch training accuracy",
)
ratio = baseline.at("loss") / momentum.at("loss")
claims.check(
    ratio.min() > 10,
    "momentum ends with a training loss more than ten times lower than the baseline's",
)
claims.check(
    separation(momentum, larger_step, "val_accuracy") == "tie",
    "momentum and plain SGD at lr = 0.1 end within noise of each other on validation accuracy",
)
claims.check(
    min(momentum.low("accuracy"), larger_step.low("accuracy")) > 0.999,
    "momentum and lr = 0.1 both end above 99.9 % training accuracy",
)
for group in (momentum, larger_step):
    validation_loss = group.curves("val_loss")
    lowest = validation_loss.argmin(axis=1)
    claims.check(
        all(row[-1] > row.min() for row in validation_loss),
        f"{group.label}: the validation loss ends above its lowest value, on every seed",
    )
    claims.check(
        all(
            later < earlier
            for row in group.curves("loss")
            for earlier, later in itertools.pairwise(row)
        ),
        f"{group.label}: the training loss keeps falling to the end, on every seed",
    )
    claims.check(
        all(
            abs(row[-1] - row[index]) < 0.004
            for row, index in zip(group.curves("val_accuracy"), lowest, strict=True)
        ),
        f"{group.label}: validation accuracy stays flat after the validation-loss minimum",
    )
claims.check(
    all(row[-1] == row.min() for row in baseline.curves("val_loss")),
    "the baseline's validation loss is still falling at the end",
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
#    .. admonition:: What you should see
#       :class: dropdown
#
#       Curves close to the baseline's. That is the other half of this
#       page's argument: what matters most here is the effective step.
#
# 2. **Stop early.** Pass
#    ``keras.callbacks.EarlyStopping(monitor="val_loss", patience=2,
#    restore_best_weights=True)`` to ``model.fit`` for the momentum model,
#    with, say, 30 epochs.
#
#    .. admonition:: What you should see
#       :class: dropdown
#
#       Training stops a few epochs after the validation loss stops
#       improving, and the restored weights are those of its lowest point,
#       with about the same validation accuracy as after ten epochs. Adding
#       a ``layers.Dropout(0.5)`` before the last dense layer delays the
#       point where the validation loss turns.
#
# 3. **Nesterov momentum.** Use
#    ``keras.optimizers.SGD(learning_rate=0.01, momentum=0.9, nesterov=True)``.
#
#    .. admonition:: What you should see
#       :class: dropdown
#
#       Nesterov's variant looks ahead before taking the gradient. On this
#       problem expect results within the seed spread of plain momentum.

# %%
# Conclusion
# ----------
# Momentum is a one-argument change that makes SGD converge several times
# faster than the baseline here, about as fast as plain SGD with a ten times
# larger learning rate. Faster convergence brings over-confidence sooner, so
# the validation curve, not the training curve, decides when to stop.
print(reporting.cost_summary(runs))

# sphinx_gallery_thumbnail_number = 1
