"""The arithmetic floor of a training epoch: its FLOPs over one core's peak.

Used by ``bench_training.py`` and ``epoch_breakdown.py`` to put measured
epoch times beside the fastest an epoch could be on this machine. Beside
the floor, :func:`print_copy_rates` measures what two workers share
besides the cores: the caches and the memory.

Assumptions, printed with every figure:

* FLOPs are counted for the layers that hold nearly all the arithmetic
  (``Conv2D`` and ``Dense``: two FLOPs per multiply-add); pooling,
  activations, the loss and the optimizer's update are left out.
* A training step costs three forward passes (the forward pass, and a
  backward pass of two: gradients of the weights and of the inputs); the
  validation pass costs one per test image.
* One core's peak is the higher of two figures. The rule: its clock
  (``cpu MHz`` in ``/proc/cpuinfo``) times one fused multiply-add per cycle
  on its widest float32 vectors, 32 FLOPs per cycle with AVX-512 (16
  lanes), 16 with AVX2 (8 lanes). And a measurement: the rate of a
  float32 matrix product on one thread (NumPy's BLAS), best of three. A
  core with two FMA units (an AMD EPYC of our CI, with AVX2) beats the
  rule by about 2x, and a floor that real code beats is no floor.
"""

from __future__ import annotations

import math
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import keras
import numpy as np
from keras import layers
from threadpoolctl import threadpool_limits


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


def matrix_product_flops(size: int = 1024, repeats: int = 20) -> float:
    """Return one thread's float32 rate (FLOP/s) in NumPy's matrix product, best of three."""
    generator = np.random.default_rng(0)
    left = generator.random((size, size), dtype=np.float32)
    right = generator.random((size, size), dtype=np.float32)
    best = math.inf
    with threadpool_limits(limits=1, user_api="blas"):
        left @ right  # the first call allocates and warms the caches
        for _ in range(3):
            start = time.perf_counter()
            for _ in range(repeats):
                left @ right
            best = min(best, time.perf_counter() - start)
    return 2 * size**3 * repeats / best


def core_peak_flops() -> tuple[float, str]:
    """Return one core's float32 peak (FLOP/s) and how it was worked out (module docstring)."""
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
    rule = megahertz * 1e6 * per_cycle
    how = f"{megahertz:.0f} MHz x {per_cycle} float32 FLOP/cycle (one FMA per cycle)"
    measured = matrix_product_flops()
    if measured > rule:
        return measured, (
            f"a one-thread float32 matrix product, above the rule's {rule / 1e9:.0f} GFLOP/s"
            f" ({how})"
        )
    return rule, f"{how}; a one-thread matrix product reached {measured / 1e9:.0f} GFLOP/s"


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


def copy_rates(megabytes: int, repeats: int) -> tuple[float, float]:
    """Return the copy rate (bytes/s) of one thread alone, and of two threads at once in all.

    Each thread copies its own float32 array of ``megabytes`` MB into another
    (``numpy.copyto``, which releases the GIL), ``repeats`` times; a byte read
    and a byte written count as two. Where both threads' arrays fit in the
    caches the two together should copy about twice as fast as one; where
    they do not, the rate they share shows what two workers side by side
    get of the memory.
    """
    arrays = [np.ones(megabytes * 2**20 // 4, dtype=np.float32) for _ in range(4)]

    def copy(source: np.ndarray, target: np.ndarray) -> None:
        for _ in range(repeats):
            np.copyto(target, source)

    copy(arrays[0], arrays[1])  # touch every page first
    copy(arrays[2], arrays[3])
    start = time.perf_counter()
    copy(arrays[0], arrays[1])
    one = time.perf_counter() - start
    with ThreadPoolExecutor(max_workers=2) as pool:
        start = time.perf_counter()
        for future in [
            pool.submit(copy, arrays[0], arrays[1]),
            pool.submit(copy, arrays[2], arrays[3]),
        ]:
            future.result()
        two = time.perf_counter() - start
    moved = 2 * arrays[0].nbytes * repeats
    return moved / one, 2 * moved / two


def print_copy_rates() -> None:
    """Print one thread's copy rate against two threads' at once, from cache-sized to memory-sized arrays."""
    print("Copy rates: one thread alone, and two threads at once in all (GB/s)")
    for megabytes, repeats in ((2, 2000), (8, 500), (256, 10)):
        one, two = copy_rates(megabytes, repeats)
        print(f"  {megabytes:4d} MB arrays: one {one / 1e9:6.1f}, two at once {two / 1e9:6.1f}")
