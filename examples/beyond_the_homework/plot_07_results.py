r"""
All the results at a glance
===========================

This page gathers every configuration this site trains, three seeds each,
into one table and one figure, and sets them beside the figures that the
homework reported from the author's laptop.

**Cost:** this page trains nothing; every run is replayed from the run
cache.
"""

# License: BSD-3-Clause

# %%
# Every configuration
# -------------------
# Each entry is a configuration one of the pages trains, with the number of
# epochs it is trained for there. ``log=False`` replays each seed with one
# line.
import functools

from mnist_tutorial import data, homework, models, plotting, reporting
from mnist_tutorial.replicates import separation, train_replicates

dataset = data.load_dataset()
ten_epochs = {
    "baseline": functools.partial(models.build_model, learning_rate=0.01),
    "lr = 1": functools.partial(models.build_model, learning_rate=1),
    "lr = 1e-5": functools.partial(models.build_model, learning_rate=1e-5),
    "lr = 0.1": functools.partial(models.build_model, learning_rate=0.1),
    "momentum 0.9": functools.partial(models.build_model, learning_rate=0.01, momentum=0.9),
    "two conv layers": functools.partial(
        models.build_model, learning_rate=0.01, conv_filters=(32, 64)
    ),
}
two_epochs = {
    f"lr = {rate} (search, 2 epochs)": functools.partial(models.build_model, learning_rate=rate)
    for rate in (0.03, 0.1, 0.3)
}
runs = {
    **train_replicates(ten_epochs, dataset, epochs=10, log=False),
    **train_replicates(two_epochs, dataset, epochs=2, log=False),
}

# %%
# The table
# ---------
# Learning rate, momentum and convolution blocks are read from each run's
# recorded settings. Each cell gives the mean over the three seeds and, in
# brackets, the lowest and the highest seed. Seconds per epoch are those of
# the machine that trained the run, validation included, with other runs
# training beside it.
print(reporting.results_table(runs, settings=True))

# %%
# Validation accuracy of every 10-epoch configuration
# ---------------------------------------------------
# Each seed is a thin line. The two failed learning rates are left out:
# they end far below, near 10 % and 30 %. The rest lie within two points of
# each other.
figure = plotting.plot_curves(
    {label: runs[label].histories for label in ten_epochs if label not in ("lr = 1", "lr = 1e-5")},
    metric="val_accuracy",
    title="Validation accuracy, three seeds each",
)

# %%
# Which differences are real?
# ---------------------------
# Against the baseline, and between the three improvements, with the rule
# used on every page: a configuration is ahead only if its lowest seed is
# above the other's highest.
verdicts = {}
for first, second in (
    ("lr = 0.1", "baseline"),
    ("momentum 0.9", "baseline"),
    ("two conv layers", "baseline"),
    ("momentum 0.9", "lr = 0.1"),
    ("two conv layers", "lr = 0.1"),
    ("two conv layers", "momentum 0.9"),
):
    verdicts[first, second] = separation(runs[first], runs[second], "val_accuracy")
    print(f"{first} against {second}: {verdicts[first, second]}")

# %%
# How much do seeds move the numbers?
# -----------------------------------
# The seed-to-seed range of the final validation accuracy, also in test
# images out of 10,000. A difference between two configurations smaller
# than this is not a result.
for label, group in runs.items():
    spread = group.spread("val_accuracy")
    print(f"{label:<28} {spread:.4f}  ({round(spread * dataset.x_test.shape[0])} test images)")

# %%
# Beside the homework's figures
# -----------------------------
# The homework's notebook reported these final accuracies from the author's
# laptop, with an older Keras and one run each
# (:mod:`mnist_tutorial.homework` keeps its logged numbers). Ours are the
# mean and range of three seeds.
print(
    f"{'run':<16}  {'homework train':>14}  {'ours train':>20}  {'homework val':>12}  {'ours val':>20}"
)
for label, history in (
    ("baseline", homework.BASELINE),
    ("lr = 1", homework.LEARNING_RATE_1),
    ("lr = 1e-5", homework.LEARNING_RATE_1E_5),
    ("momentum 0.9", homework.MOMENTUM),
    ("two conv layers", homework.TWO_CONV),
):
    group = runs[label]
    cells = [
        f"{group.mean(name):.4f} ({group.low(name):.4f}-{group.high(name):.4f})"
        for name in ("accuracy", "val_accuracy")
    ]
    print(
        f"{label:<16}  {history['accuracy'][-1]:>14.4f}  {cells[0]:>20}"
        f"  {history['val_accuracy'][-1]:>12.4f}  {cells[1]:>20}"
    )

# %%
# Conclusion
# ----------
# Our runs reproduce the homework's pattern on every seed: :math:`\eta = 1`
# never learns, :math:`\eta = 10^{-5}` learns slowly, and momentum, a
# learning rate of 0.1 and a second convolution layer each beat the
# baseline. Between those three improvements, the verdicts above show which
# differences the seeds support and which are ties. At
# :math:`\eta = 10^{-5}` the seeds disagree most, by several points, and
# the homework's figure lies close to that wide range: at that rate the
# accuracy is still climbing after ten epochs, by half a point or more per
# epoch, so where it stands then depends strongly on the starting weights. At the other settings, the
# homework's figures differ from ours by about as much as our own seeds
# differ from each other.
print(reporting.cost_summary(runs))

# sphinx_gallery_start_ignore
from mnist_tutorial import claims

claims.check(
    all(run.replayed for group in runs.values() for run in group.records),
    "this page trains nothing: every run it uses was replayed from the run cache",
)
claims.check(runs["lr = 1"].high("accuracy") < 0.2, "lr = 1 never learns, on any seed")
claims.check(
    runs["lr = 1e-5"].low("val_accuracy") > 0.2 and runs["lr = 1e-5"].high("val_accuracy") < 0.4,
    "lr = 1e-5 ends near 30 % (between 20 and 40 %), on every seed",
)
claims.check(
    runs["lr = 1e-5"].high("accuracy") < runs["baseline"].low("accuracy") - 0.2,
    "lr = 1e-5 learns slowly, on every seed",
)
for label in ("momentum 0.9", "two conv layers", "lr = 0.1"):
    claims.check(
        verdicts[label, "baseline"] == "above", f"{label} beats the baseline on every seed"
    )
curves = {label: runs[label] for label in ten_epochs if label not in ("lr = 1", "lr = 1e-5")}
claims.check(
    max(group.high("val_accuracy") for group in curves.values())
    - min(group.low("val_accuracy") for group in curves.values())
    < 0.02,
    "the working configurations end within two points of each other",
)
for label, history in (
    ("baseline", homework.BASELINE),
    ("momentum 0.9", homework.MOMENTUM),
    ("two conv layers", homework.TWO_CONV),
):
    for name in ("accuracy", "val_accuracy"):
        group = runs[label]
        claims.check(
            abs(history[name][-1] - group.mean(name)) < max(3 * group.spread(name), 0.004),
            f"the homework's {label} {name} is within about our seed spread of ours",
        )
claims.check(
    runs["lr = 1e-5"].spread("accuracy") > 0.02
    and all(
        runs["lr = 1e-5"].spread("accuracy") > 5 * group.spread("accuracy")
        for label, group in runs.items()
        if label not in ("lr = 1e-5", "lr = 1")
    ),
    "at lr = 1e-5 the seeds disagree most, by several points",
)
slow = runs["lr = 1e-5"]
claims.check(
    slow.low("accuracy") - slow.spread("accuracy")
    <= homework.LEARNING_RATE_1E_5["accuracy"][-1]
    <= slow.high("accuracy") + slow.spread("accuracy"),
    "the homework's lr = 1e-5 figure lies close to our seeds' range",
)
claims.check(
    all(row[-1] - row[-2] > 0.004 for row in runs["lr = 1e-5"].curves("accuracy")),
    "at lr = 1e-5 the accuracy still climbs by half a point or more in the tenth epoch",
)
# sphinx_gallery_end_ignore

# sphinx_gallery_thumbnail_number = 1
