r"""
What the network still gets wrong
=================================

Accuracy is one number. To see what the remaining errors are, we take the
best model the parts trained, evaluate it on the 10,000 test digits, and look
at its confusion matrix, its accuracy for each digit, and the digits it got
wrong while being most sure of itself.

**Cost:** no training. The models are loaded from the run cache and
evaluated on the test set (a few seconds).
"""

# License: BSD-3-Clause

# %%
# Pick the best model
# -------------------
# Every run of the four parts is replayed from the run cache (``log=False``
# prints one summary line each), and the one with the highest final
# validation accuracy is chosen.
import functools

import numpy as np

from mnist_tutorial import data, evaluation, models, plotting, training

dataset = data.load_dataset()
part_runs = {
    "baseline": dict(learning_rate=0.01),
    "lr = 1": dict(learning_rate=1),
    "lr = 1e-5": dict(learning_rate=1e-5),
    "lr = 0.1": dict(learning_rate=0.1),
    "momentum 0.9": dict(learning_rate=0.01, momentum=0.9),
    "two conv layers": dict(learning_rate=0.01, conv_filters=(32, 64)),
}
runs = {
    label: training.train(
        functools.partial(models.build_model, **settings), dataset, epochs=10, log=False
    )
    for label, settings in part_runs.items()
}
best_label = max(runs, key=lambda label: runs[label].final("val_accuracy"))
best = runs[best_label]
print(f"Best run: {best_label}, validation accuracy {best.final('val_accuracy'):.4f}")

# %%
# :meth:`~mnist_tutorial.training.RunRecord.load_model` loads the trained
# model that was stored with the run; nothing is retrained.
model = best.load_model()
probabilities = model.predict(dataset.x_test, batch_size=256, verbose=0)
predicted = probabilities.argmax(axis=1)
true_labels = dataset.y_test.argmax(axis=1)
errors = int((predicted != true_labels).sum())
print(f"Test accuracy: {1 - errors / true_labels.size:.4f} ({errors} errors)")

# %%
# The confusion matrix
# --------------------
# Row ``i``, column ``j`` counts the test images of digit ``i`` that the
# model called ``j``. The diagonal holds the correct answers; only the
# mistakes are coloured.
matrix = evaluation.confusion_matrix(true_labels, predicted)
figure = plotting.plot_confusion_matrix(matrix, title=f"Confusion matrix: {best_label}")

# %%
# Accuracy per digit
# ------------------
accuracy = evaluation.per_class_accuracy(matrix)
for digit in np.argsort(accuracy):
    print(f"Digit {digit}: accuracy {accuracy[digit]:.4f} ({matrix[digit].sum()} test images)")

# %%
# The most confident mistakes
# ---------------------------
# These are the test digits the model got wrong while giving its answer the
# highest probability.
mistakes = evaluation.most_confident_mistakes(probabilities, true_labels, count=20)
figure = plotting.plot_digits(
    dataset.x_test[mistakes.indices],
    mistakes.true_labels,
    ncols=5,
    titles=mistakes.titles(),
    title="The most confident mistakes: true digit, answer and its probability",
)

# %%
# What the errors tell us
# -----------------------
# The mistakes are few and far from random. They concentrate in a handful of
# cells of the matrix, between digits that share strokes: a 4 whose top is
# closed looks like a 9, a 7 with a short bar like a 2, a 5 and a 3 differ by
# one stroke. Many of the confident mistakes are digits a person would also
# hesitate over: badly written, cut off, or arguably labelled wrong. A model
# that is very sure about those is overconfident, which is common for
# networks trained to low training loss, as this one was.
#
# The per-digit accuracies differ by only a couple of points, so no digit is
# a blind spot; more data augmentation (small shifts and rotations) or a
# stronger model would go after the hard individual cases rather than a
# whole class.

# sphinx_gallery_start_ignore
from mnist_tutorial import claims

claims.check(
    all(run.replayed for run in runs.values()),
    "this page trains nothing: every run is replayed from the run cache",
)
off_diagonal = matrix - np.diag(np.diag(matrix))
top_cells = np.sort(off_diagonal.ravel())[::-1]
claims.check(
    top_cells[:10].sum() > 0.3 * errors,
    "the mistakes concentrate in a handful of cells (top 10 cells hold over 30 %)",
)
claims.check(
    float(np.nanmax(accuracy) - np.nanmin(accuracy)) < 0.04,
    "per-digit accuracies differ by only a couple of points",
)
claims.check(mistakes.confidences[0] > 0.95, "the model is very sure about its worst mistakes")
claims.check(best.final("loss") < 0.05, "the chosen model was trained to a low training loss")
# sphinx_gallery_end_ignore

# sphinx_gallery_thumbnail_number = 1
