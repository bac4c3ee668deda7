r"""
Part 4: A second convolution layer
==================================

One way to give a network more capacity is to add layers. We add a second
convolution block, 64 filters of 3 by 3 followed by 2 by 2 max pooling, after
the first, train it like the baseline, and answer Question 4: does it train
better, and what does it cost in parameters and time?

**Cost:** one 10-epoch run, somewhat slower per epoch than the baseline; the
baseline is replayed from Part 1's run. The last cell prints what it cost.
"""

# License: BSD-3-Clause

# %%
# Setup
# -----
import functools

from mnist_tutorial import data, display, models, plotting, reporting, training

dataset = data.load_dataset()

# %%
# The model
# ---------
# :func:`~mnist_tutorial.models.build_model` adds one convolution block for
# each entry of ``conv_filters``. The baseline is ``conv_filters=(32,)``;
# ``(32, 64)`` adds the homework's second block. Each block is this code:
display.show_source(models.add_conv_block)

# %%
# and this loop in :func:`~mnist_tutorial.models.build_model` stacks them
# before the dense layers:
display.show_source(models.build_model)

# %%
# Where did the parameters go?
# ----------------------------
# The second block costs 18,496 parameters of its own (3 x 3 x 32 x 64
# weights and 64 biases), but it shrinks the feature map that reaches the
# dense layer from 13 x 13 x 32 = 5,408 numbers to 5 x 5 x 64 = 1,600, and
# that dense layer was where most of the baseline's parameters were.
two_conv_model = models.build_model(learning_rate=0.01, conv_filters=(32, 64))
two_conv_model.summary()

# %%
# Train
# -----
two_conv = training.train(
    functools.partial(models.build_model, learning_rate=0.01, conv_filters=(32, 64)),
    dataset,
    epochs=10,
)

# %%
baseline = training.train(
    functools.partial(models.build_model, learning_rate=0.01), dataset, epochs=10, log=False
)

# %%
# Compare
# -------
figure = plotting.plot_curves(
    {"1 conv layer": baseline.history, "2 conv layers": two_conv.history},
    metric="accuracy",
    title="Training accuracy",
)

# %%
runs = {"1 conv layer": baseline, "2 conv layers": two_conv}
print(reporting.results_table(runs))
print()
print(f"Parameters, 1 conv layer:  {baseline.n_params:>9,}")
print(f"Parameters, 2 conv layers: {two_conv.n_params:>9,}")
print(f"Parameter ratio:           {two_conv.n_params / baseline.n_params:9.2f}")
print(f"Time per epoch ratio:      {two_conv.seconds_per_epoch / baseline.seconds_per_epoch:9.2f}")

# %%
# Question 4: does a second convolution layer improve training accuracy?
# ----------------------------------------------------------------------
# **Yes.** The two-layer network starts a little slower: averaged over its
# first epoch, its training accuracy is below the baseline's. From the
# second epoch on it is ahead on the training set, it is ahead on the
# validation set after every epoch, and it ends with higher training and
# validation accuracy and lower losses than the baseline.
#
# **It does so with about a third of the parameters, but it is slower.** The
# parameter counts above show the trade: most of the baseline's weights sat
# in the dense layer that reads 5,408 features, and the second block cuts
# that input to 1,600. Capacity is not the number of weights alone. A second
# convolution looks at the first layer's feature maps, so each of its units
# combines edges and strokes over a wider patch of the image (an 8 by 8
# pixel neighbourhood instead of 3 by 3) into parts of digits, such as loops
# and corners. Those features are more useful to the classifier than raw
# pixel-level ones, and they are shared across the image.
#
# Convolutions, though, cost arithmetic for every position of the image,
# while a dense weight is used once per example. The new layer performs
# about 11 x 11 x 64 x 3 x 3 x 32, or 2.2 million, multiply-adds per image,
# more than the whole baseline network, so each epoch takes longer, as the
# time-per-epoch ratio above shows. The homework's laptop saw the same:
# 14 ms per step instead of 8, and 0.9878 training accuracy instead of
# 0.9793.

# sphinx_gallery_start_ignore
from mnist_tutorial import claims

claims.check(
    two_conv.history["accuracy"][0] < baseline.history["accuracy"][0],
    "two conv layers average a lower training accuracy over the first epoch",
)
claims.check(
    all(
        deeper > shallow
        for deeper, shallow in zip(
            two_conv.history["accuracy"][1:], baseline.history["accuracy"][1:], strict=True
        )
    ),
    "from the second epoch on, two conv layers are ahead on the training set",
)
claims.check(
    all(
        deeper > shallow
        for deeper, shallow in zip(
            two_conv.history["val_accuracy"], baseline.history["val_accuracy"], strict=True
        )
    ),
    "two conv layers are ahead on the validation set after every epoch",
)
claims.check(
    two_conv.final("accuracy") > baseline.final("accuracy")
    and two_conv.final("val_accuracy") > baseline.final("val_accuracy")
    and two_conv.final("loss") < baseline.final("loss")
    and two_conv.final("val_loss") < baseline.final("val_loss"),
    "two conv layers end with higher accuracies and lower losses",
)
claims.check(
    0.3 < two_conv.n_params / baseline.n_params < 0.36,
    "two conv layers have about a third of the parameters",
)
claims.check(
    two_conv.seconds_per_epoch > baseline.seconds_per_epoch,
    "each epoch of the two-conv network takes longer",
)
# sphinx_gallery_end_ignore

# %%
# Conclusion
# ----------
# Depth, not width, is what convolutional networks use to see larger
# patterns. A second block makes this network both smaller and better, at the
# price of more computation per image. Together with momentum (Part 3) or a
# larger learning rate (Part 2), it would be the natural next experiment.
print(reporting.cost_summary(runs))

# sphinx_gallery_thumbnail_number = 1
