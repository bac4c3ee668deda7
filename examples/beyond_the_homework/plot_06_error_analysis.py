r"""
What the network still gets wrong
=================================

Accuracy is one number. To see what the remaining errors are, we take the
configuration with the best validation accuracy among those the parts
trained, evaluate each of its three seeds' models on the 10,000 test
digits, and look at the confusion matrix, the accuracy for each digit, and
the digits it got wrong while being most sure of itself.

**What to look for:** which cells of the confusion matrix light up, and
whether they are the same for every seed; how sure the model is of its
worst mistakes.

**Cost:** this page trains nothing. Every run is replayed from the run
cache and its stored model evaluated on the test set (a few seconds).
"""

# License: BSD-3-Clause

# %%
# Pick the best configuration
# ---------------------------
# Every 10-epoch configuration of the four parts is replayed from the run
# cache (``log=False`` prints one line per seed), and the one with the
# highest mean final validation accuracy is chosen.
import functools

import numpy as np

from mnist_tutorial import data, evaluation, models, plotting
from mnist_tutorial.replicates import separation, train_replicates

dataset = data.load_dataset()
runs = train_replicates(
    {
        "baseline": functools.partial(models.build_model, learning_rate=0.01),
        "lr = 1": functools.partial(models.build_model, learning_rate=1),
        "lr = 1e-5": functools.partial(models.build_model, learning_rate=1e-5),
        "lr = 0.1": functools.partial(models.build_model, learning_rate=0.1),
        "momentum 0.9": functools.partial(models.build_model, learning_rate=0.01, momentum=0.9),
        "two conv layers": functools.partial(
            models.build_model, learning_rate=0.01, conv_filters=(32, 64)
        ),
    },
    dataset,
    epochs=10,
    log=False,
)
best_label = max(runs, key=lambda label: runs[label].mean("val_accuracy"))
best = runs[best_label]
print(f"Best configuration: {best_label}, mean validation accuracy {best.mean('val_accuracy'):.4f}")
for label, group in runs.items():
    if label != best_label:
        print(f"  against {label}: {separation(best, group, 'val_accuracy')}")

# %%
# The choice by the mean is a convenience: the verdicts above say which other
# configurations its seeds actually beat, and which it is tied with. Any of
# the tied ones would show the same kinds of errors.
#
# :meth:`~mnist_tutorial.training.RunRecord.load_model` loads each trained
# model that was stored with its run; nothing is retrained.
true_labels = dataset.y_test.argmax(axis=1)
probabilities = [
    model.predict(dataset.x_test, batch_size=256, verbose=0) for model in best.load_models()
]
matrices = [evaluation.confusion_matrix(true_labels, p.argmax(axis=1)) for p in probabilities]
for seed, matrix in zip(best.seeds, matrices, strict=True):
    errors = int(matrix.sum() - np.trace(matrix))
    print(f"Seed {seed}: test accuracy {1 - errors / matrix.sum():.4f} ({errors} errors)")

# %%
# The confusion matrix
# --------------------
# Row ``i``, column ``j`` counts the test images of digit ``i`` that the
# first seed's model called ``j``. The diagonal holds the correct answers;
# only the mistakes are coloured.
figure = plotting.plot_confusion_matrix(
    matrices[0], title=f"Confusion matrix: {best_label}, seed {best.seeds[0]}"
)

# %%
# The most frequent confusions, for every seed:
top_pairs = []
for seed, matrix in zip(best.seeds, matrices, strict=True):
    off_diagonal = matrix - np.diag(np.diag(matrix))
    order = np.argsort(off_diagonal.ravel(), kind="stable")[::-1][:6]
    pairs = [divmod(int(index), 10) for index in order]
    top_pairs.append(pairs)
    print(
        f"Seed {seed}: "
        + ", ".join(
            f"{true} as {predicted} ({off_diagonal[true, predicted]})" for true, predicted in pairs
        )
    )

# %%
# Accuracy per digit
# ------------------
per_digit = np.array([evaluation.per_class_accuracy(matrix) for matrix in matrices])
for digit in np.argsort(per_digit.mean(axis=0)):
    print(
        f"Digit {digit}: accuracy {per_digit[:, digit].mean():.4f} "
        f"(seeds {per_digit[:, digit].min():.4f}-{per_digit[:, digit].max():.4f}, "
        f"{matrices[0][digit].sum()} test images)"
    )

# %%
# The most confident mistakes
# ---------------------------
# These are the test digits the first seed's model got wrong while giving
# its answer the highest probability.
mistakes = evaluation.most_confident_mistakes(probabilities[0], true_labels, count=20)
figure = plotting.plot_digits(
    dataset.x_test[mistakes.indices],
    mistakes.true_labels,
    ncols=5,
    titles=mistakes.titles(),
    title="The most confident mistakes: true digit, answer and its probability",
)

# %%
# Are the errors concentrated?
# ----------------------------
# If a model's mistakes were spread at random over the 90 ways of confusing
# two digits, how much of them would the 10 most frequent confusions hold?
# We simulate that, with the same number of errors, and compare.
rng = np.random.default_rng(0)
cells = 90  # the off-diagonal cells of a 10 x 10 matrix
concentration = {}
for seed, matrix in zip(best.seeds, matrices, strict=True):
    off_diagonal = (matrix - np.diag(np.diag(matrix))).ravel()
    errors = int(off_diagonal.sum())
    observed = np.sort(off_diagonal)[::-1][:10].sum() / errors
    draws = rng.multinomial(errors, np.full(cells, 1 / cells), size=2000)
    random_shares = np.sort(draws, axis=1)[:, ::-1][:, :10].sum(axis=1) / errors
    concentration[seed] = (observed, float(np.quantile(random_shares, 0.999)))
    print(
        f"Seed {seed}: top 10 confusions hold {observed:.0%} of the errors; "
        f"random errors: {random_shares.mean():.0%} on average, "
        f"{concentration[seed][1]:.0%} at most in 999 of 1,000 draws"
    )

# %%
# What the errors tell us
# -----------------------
# The mistakes are few and far from random. For every seed, the ten most
# frequent confusions hold far more of the errors than they would if the
# errors were spread at random. One pair of digits is among the most
# frequent confusions of every seed, in one direction or the other: 4 and
# 9, since a 4 whose top is closed looks like a 9. Other pairs that share
# strokes, such as 3 and 5 (one stroke apart) or 2 and 7 (a 7 with a short
# bar), are among the most frequent for some seeds: which confusions come
# next depends on the seed. Many of the confident mistakes are digits a person would also
# hesitate over: badly written, cut off, or arguably labelled wrong. A model
# that is over 95 % sure about those is over-confident, which is common for
# networks trained to a low training loss.
#
# No digit is a blind spot: every digit is recognised at over 96 % by every
# seed. More data augmentation (small shifts and rotations) or a stronger
# model would go after the hard individual cases rather than a whole class.

# sphinx_gallery_start_ignore
from mnist_tutorial import claims

claims.check(
    all(run.replayed for group in runs.values() for run in group.records),
    "this page trains nothing: every run it uses was replayed from the run cache",
)
for seed, (observed, random_limit) in concentration.items():
    claims.check(
        observed > random_limit,
        f"seed {seed}: the errors are more concentrated than random errors would be",
    )
claims.check(
    all({(4, 9), (9, 4)} & set(pairs) for pairs in top_pairs),
    "4 and 9 are among every seed's six most frequent confusions",
)
for first, second in ((3, 5), (2, 7)):
    claims.check(
        any({(first, second), (second, first)} & set(pairs) for pairs in top_pairs),
        f"{first} and {second} are among the six most frequent confusions of some seed",
    )
claims.check(
    all(
        evaluation.most_confident_mistakes(p, true_labels, count=1).confidences[0] > 0.95
        for p in probabilities
    ),
    "every seed's model is over 95 % sure about its worst mistake",
)
claims.check(bool((per_digit > 0.96).all()), "every digit is recognised at over 96 % by every seed")
claims.check(best.high("loss") < 0.05, "the chosen models were trained to a low training loss")
# sphinx_gallery_end_ignore

# sphinx_gallery_thumbnail_number = 1
