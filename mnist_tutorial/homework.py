"""The homework's own results, as it logged them, for comparison with ours.

The homework (HW5: MNIST with Keras) printed a Keras log line for every
epoch of its five 10-epoch runs. These are those numbers, copied from its
logs: training and validation loss and accuracy after each epoch. They come
from one run each, on the author's laptop, with an older Keras (the legacy
``SGD(lr=...)`` optimizer) and an unknown seed, so they are a reference for
the shape of the curves, not for their last digits.
"""

from __future__ import annotations

__all__ = ["BASELINE", "LEARNING_RATE_1", "LEARNING_RATE_1E_5", "MOMENTUM", "RUNS", "TWO_CONV"]

History = dict[str, list[float]]

#: The baseline of Part 1 (SGD, learning rate 0.01).
BASELINE: History = {
    "loss": [0.4673, 0.2139, 0.1645, 0.1348, 0.1147, 0.1002, 0.0893, 0.0807, 0.0735, 0.068],
    "accuracy": [0.8735, 0.9376, 0.9509, 0.9596, 0.9655, 0.9697, 0.9733, 0.976, 0.9771, 0.9793],
    "val_loss": [0.2423, 0.169, 0.1399, 0.1156, 0.1174, 0.0981, 0.0951, 0.0825, 0.0822, 0.0746],
    "val_accuracy": [
        0.9276,
        0.9507,
        0.9555,
        0.9647,
        0.9628,
        0.9694,
        0.9704,
        0.9743,
        0.9745,
        0.9753,
    ],
}
#: The learning rate of 1 in Part 2.
LEARNING_RATE_1: History = {
    "loss": [2.3079, 2.3091, 2.3083, 2.3083, 2.3088, 2.3084, 2.3087, 2.3085, 2.3088, 2.3081],
    "accuracy": [0.1076, 0.1042, 0.1041, 0.1062, 0.105, 0.1042, 0.1039, 0.1028, 0.1037, 0.1048],
    "val_loss": [2.3109, 2.3039, 2.3105, 2.32, 2.3098, 2.3037, 2.3125, 2.3083, 2.3199, 2.3103],
    "val_accuracy": [0.0892, 0.1028, 0.101, 0.101, 0.1032, 0.1135, 0.1032, 0.1135, 0.098, 0.0892],
}
#: The learning rate of 1e-5 in Part 2.
LEARNING_RATE_1E_5: History = {
    "loss": [2.3043, 2.294, 2.284, 2.2743, 2.2649, 2.2557, 2.2466, 2.2376, 2.2286, 2.2195],
    "accuracy": [0.0958, 0.0971, 0.1007, 0.108, 0.1243, 0.151, 0.1923, 0.2379, 0.2866, 0.3352],
    "val_loss": [2.2992, 2.2889, 2.279, 2.2694, 2.26, 2.2508, 2.2417, 2.2325, 2.2234, 2.2142],
    "val_accuracy": [0.0965, 0.099, 0.1038, 0.1137, 0.1308, 0.1624, 0.2049, 0.2554, 0.3054, 0.3533],
}
#: Momentum 0.9 at learning rate 0.01, in Part 3.
MOMENTUM: History = {
    "loss": [0.2372, 0.0794, 0.0516, 0.0383, 0.0279, 0.0212, 0.0155, 0.011, 0.0087, 0.0059],
    "accuracy": [0.9281, 0.976, 0.9841, 0.9884, 0.9914, 0.9936, 0.9954, 0.9969, 0.9975, 0.9986],
    "val_loss": [0.0942, 0.0642, 0.0557, 0.0462, 0.0484, 0.0464, 0.0429, 0.0458, 0.0487, 0.0576],
    "val_accuracy": [0.9709, 0.98, 0.983, 0.9859, 0.9851, 0.9852, 0.9855, 0.9851, 0.9862, 0.9853],
}
#: A second convolution block (64 filters), in Part 4.
TWO_CONV: History = {
    "loss": [0.5016, 0.1437, 0.0987, 0.0789, 0.066, 0.0575, 0.0518, 0.0463, 0.0428, 0.0388],
    "accuracy": [0.8512, 0.9566, 0.97, 0.9758, 0.9793, 0.9821, 0.984, 0.986, 0.9869, 0.9878],
    "val_loss": [0.1545, 0.0911, 0.0734, 0.0661, 0.0589, 0.0513, 0.0452, 0.0444, 0.042, 0.0464],
    "val_accuracy": [0.9539, 0.9721, 0.9783, 0.9791, 0.9819, 0.9843, 0.9858, 0.9857, 0.9862, 0.985],
}
#: Every run above, by a short label.
RUNS: dict[str, History] = {
    "baseline (lr 0.01)": BASELINE,
    "lr 1": LEARNING_RATE_1,
    "lr 1e-5": LEARNING_RATE_1E_5,
    "momentum 0.9": MOMENTUM,
    "two conv blocks": TWO_CONV,
}
