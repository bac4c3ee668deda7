"""The arithmetic floor of a training epoch: its FLOPs over one core's peak.

Used by ``bench_training.py`` and ``epoch_breakdown.py`` to put measured
epoch times beside the fastest an epoch could be on this machine.

Assumptions, printed with every figure:

* FLOPs are counted for the layers that hold nearly all the arithmetic
  (``Conv2D`` and ``Dense``: two FLOPs per multiply-add); pooling,
  activations, the loss and the optimizer's update are left out.
* A training step costs three forward passes (the forward pass, and a
  backward pass of two: gradients of the weights and of the inputs); the
  validation pass costs one per test image.
* One core's peak is its clock (``cpu MHz`` in ``/proc/cpuinfo``) times
  one fused multiply-add per cycle on its widest float32 vectors: 32 FLOPs
  per cycle with AVX-512 (16 lanes), 16 with AVX2 (8 lanes).
"""

from __future__ import annotations

import math
from pathlib import Path

import keras
from keras import layers


def forward_flops(model: keras.Model) -> int:
    """FLOPs of one forward pass of one image through ``model``'s Conv2D and Dense layers."""
    total = 0
    for layer in model.layers:
        if isinstance(layer, layers.Conv2D):
            kernel_height, kernel_width, channels_in, filters = layer.kernel.shape
            positions = math.prod(layer.output.shape[1:-1])
            total += 2 * positions * kernel_height * kernel_width * channels_in * filters
        elif isinstance(layer, layers.Dense):
            inputs, units = layer.kernel.shape
            total += 2 * inputs * units
    return total


def epoch_flops(model: keras.Model, train_examples: int, test_examples: int) -> int:
    """FLOPs of one epoch: three passes per training image, one per test image."""
    return forward_flops(model) * (3 * train_examples + test_examples)


def core_peak_flops() -> tuple[float, str]:
    """Return one core's float32 peak (FLOP/s) and how it was worked out."""
    cpuinfo = Path("/proc/cpuinfo")
    if not cpuinfo.exists():
        raise RuntimeError("the floor needs /proc/cpuinfo (Linux) for the clock and vector width")
    megahertz = 0.0
    flags: set[str] = set()
    for line in cpuinfo.read_text().splitlines():
        name, _, value = line.partition(":")
        if name.strip() == "cpu MHz" and not megahertz:
            megahertz = float(value)
        elif name.strip() == "flags" and not flags:
            flags = set(value.split())
    per_cycle = 32 if "avx512f" in flags else 16 if "avx2" in flags else 8
    how = f"{megahertz:.0f} MHz x {per_cycle} float32 FLOP/cycle (one FMA per cycle)"
    return megahertz * 1e6 * per_cycle, how


def epoch_floor_seconds(model: keras.Model, train_examples: int, test_examples: int) -> float:
    """Seconds one core needs for an epoch's FLOPs at its peak; prints the assumptions."""
    flops = epoch_flops(model, train_examples, test_examples)
    peak, how = core_peak_flops()
    floor = flops / peak
    print(
        f"Floor: {flops / 1e9:.0f} GFLOP per epoch (3 passes x {train_examples} training images"
        f" + {test_examples} test images, Conv2D and Dense only) / {peak / 1e9:.0f} GFLOP/s"
        f" per core ({how}) = {floor:.2f} s per epoch on one core"
    )
    return floor
