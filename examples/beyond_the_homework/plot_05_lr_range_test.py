r"""
Finding a learning rate: the range test
=======================================

Part 2 found a better learning rate by training candidates one by one. The
learning-rate range test (Smith, 2017; fastai's ``lr_find``) maps the whole
range in less than one epoch: it trains while raising the learning rate
exponentially, one step per batch, from :math:`10^{-6}` to 10, and records
the loss. Part 2's three rates are points on that one curve.

**Cost:** at most one epoch of training (about half a minute on a laptop
CPU), plus a 10-epoch confirmation run unless Part 2 already trained it.
"""

# License: BSD-3-Clause

# %%
# Run the test
# ------------
# :func:`~mnist_tutorial.lr_range.lr_range_test` takes a compiled model,
# trains it for at most one epoch with a growing learning rate, and then
# restores its weights. We seed Keras first so that the model starts from
# the same weights as every other run on this site.
import functools
import math

import keras

from mnist_tutorial import data, lr_range, models, plotting, reporting, training

dataset = data.load_dataset()
keras.utils.set_random_seed(0)
model = models.build_model(learning_rate=0.01)
result = lr_range.lr_range_test(model, dataset, min_lr=1e-6, max_lr=10.0)
print(
    f"Steps run: {len(result.learning_rates)} of an epoch's {math.ceil(dataset.x_train.shape[0] / 32)}"
)
print(f"Stopped early because the loss diverged: {result.stopped_early}")
print(f"Lowest smoothed loss at learning rate: {result.lowest_loss_learning_rate:.3g}")

# %%
# The curve
# ---------
# The loss is smoothed with an exponential moving average, because single
# batches are noisy. Part 2's learning rates are marked on it.
figure = plotting.plot_lr_range_test(
    result.learning_rates,
    result.smoothed_losses,
    markers={"lr = 1e-5 (Part 2)": 1e-5, "lr = 0.01 (baseline)": 0.01, "lr = 1 (Part 2)": 1.0},
    suggestion=result.suggestion,
)

# %%
# Reading the curve
# -----------------
# Below about :math:`10^{-4}` the loss does not move: steps that small change
# nothing in a few hundred batches, which is why :math:`\eta = 10^{-5}`
# learned so slowly in Part 2. The loss then falls, fastest around
# :math:`10^{-2}`, reaches its lowest point a little below 1, and shoots up
# as the rate reaches about 1, where the steps are so large that training
# breaks down: the regime where :math:`\eta = 1` sits.
#
# The rule used here for a suggestion is the usual one:
print(f"Rule: {lr_range.SUGGESTION_RULE}")
print(f"Suggested learning rate: {result.suggestion:g}")

# %%
# The lowest point of the curve is not itself a good learning rate: by the
# time the loss is lowest, the rate is already close to where it diverges.
# A tenth of it keeps a safety margin, and the 1-3-10 grid keeps it to the
# values people usually try.
#
# Confirm the suggestion
# ----------------------
# A curve from less than one epoch is a hint, not a result. We train the
# suggested rate for the full 10 epochs and compare with the baseline. When
# the suggestion is one that Part 2 has already trained, this comes from the
# run cache.
suggested = training.train(
    functools.partial(models.build_model, learning_rate=result.suggestion), dataset, epochs=10
)
baseline = training.train(
    functools.partial(models.build_model, learning_rate=0.01), dataset, epochs=10, log=False
)
part_2_best = training.train(
    functools.partial(models.build_model, learning_rate=0.1), dataset, epochs=10, log=False
)
runs = {
    "baseline (lr 0.01)": baseline,
    f"suggested (lr {result.suggestion:g})": suggested,
    "Part 2's best (lr 0.1)": part_2_best,
}
print(reporting.results_table(runs))

# %%
figure = plotting.plot_curves(
    {label: run.history for label, run in runs.items()},
    metric="val_accuracy",
    title="Validation accuracy: suggestion against the baseline",
)

# %%
# Conclusion
# ----------
# From less than one epoch of training, the range test suggests a learning
# rate of 0.03, and the full run confirms that it beats the baseline on
# validation accuracy. Part 2's search found 0.1 a little better still: the
# rule's margin, a tenth of the minimum rounded down, is deliberately
# cautious, and 0.1 is the next value up on the grid. The two methods work
# well together: one curve shows the rates that are too small and too large,
# and a short search inside the useful range, as in Part 2, picks the best.
print(reporting.cost_summary(runs))

# sphinx_gallery_start_ignore
import itertools

from mnist_tutorial import claims

curve = dict(zip(result.learning_rates, result.smoothed_losses, strict=True))
early = [loss for rate, loss in curve.items() if rate < 1e-4]
claims.check(max(early) - min(early) < 0.05, "below about 1e-4 the loss does not move")
claims.check(result.stopped_early, "the loss finally shoots up (the test stopped early)")
claims.check(
    0.3 <= result.lowest_loss_learning_rate < 1.0,
    "the loss reaches its lowest point a little below 1",
)
claims.check(
    0.5 <= result.learning_rates[-1] <= 3.0, "the loss shoots up as the rate reaches about 1"
)
stride = max(1, len(result.learning_rates) // 16)  # about 16 points along the curve
drops = {
    rate: earlier - later
    for (rate, earlier), (_, later) in itertools.pairwise(
        zip(result.learning_rates[::stride], result.smoothed_losses[::stride], strict=True)
    )
}
steepest = max(drops, key=drops.__getitem__)
claims.check(3e-3 <= steepest <= 3e-2, "the loss falls fastest around 1e-2")
claims.check(result.suggestion == 0.03, "the range test suggests a learning rate of 0.03")
claims.check(
    suggested.final("val_accuracy") > baseline.final("val_accuracy"),
    "the suggestion beats the baseline on validation accuracy",
)
claims.check(
    part_2_best.final("val_accuracy") > suggested.final("val_accuracy"),
    "Part 2's lr = 0.1 is a little better still",
)
# sphinx_gallery_end_ignore

# sphinx_gallery_thumbnail_number = 1
