"""Helpers for the MNIST-with-Keras course: data, models, training and plots."""

import os
import sys

# TensorFlow decides once, when it starts, whether its oneDNN kernels run:
# by default only on processors with AVX512-VNNI, AVX512-BF16, AVX-VNNI or
# AMX. On an AVX2 processor without them its own kernels took about twice
# the CPU time of an epoch. So the package asks for oneDNN, unless the
# reader chose (TF_ENABLE_ONEDNN_OPTS): in this process when TensorFlow
# has not started yet, and in every worker process it starts. Where
# TensorFlow started first, the setting it started with is kept here, so
# that a run trained in this process is keyed with the kernels it really
# uses (mnist_tutorial.identity.onednn_on).
ONEDNN_VARIABLE = "TF_ENABLE_ONEDNN_OPTS"
TENSORFLOW_STARTED_FIRST = "tensorflow" in sys.modules
ONEDNN_SETTING_AT_START = os.environ.get(ONEDNN_VARIABLE)
os.environ.setdefault(ONEDNN_VARIABLE, "1")
