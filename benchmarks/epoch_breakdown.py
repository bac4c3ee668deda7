"""Where a training epoch's time goes: the baseline's epoch taken apart, step by step.

One process, with the thread counts of a training worker pinned before
TensorFlow starts (one intra-op thread; ``--inter-op`` inter-op threads,
default the workers' count). Each stage adds one piece of what
``model.fit`` does to the stage before, and is timed over one epoch's
worth of batches (``--steps``, default 1875 = 60000 / 32), after an untimed
warm-up that traces the function:

1. ``forward``: the model's forward pass and the loss, on one fixed batch,
   in a ``tf.function`` loop (no input pipeline at all);
2. ``+ gradients``: the same, under ``tf.GradientTape``, with the gradients;
3. ``+ SGD update``: ``optimizer.apply_gradients`` too: a hand-written
   training step;
4. ``SGD update alone``: ``optimizer.apply_gradients`` on one fixed set of
   gradients, with no forward or backward pass: what the update costs by
   itself;
5. ``fit, cached tf.data``: ``model.fit`` on a cached, batched
   ``tf.data.Dataset`` (adds Keras's train step: metrics, callbacks);
6. ``fit, NumPy arrays``: ``model.fit`` on the NumPy arrays, as the pages
   call it (adds the shuffle and the slicing of each batch);
7. ``validation``: ``model.evaluate`` on the 10,000 test images, which
   ``fit`` runs after every epoch.

The loops of stages 1-4 run one step at a time, as ``fit`` does (each of
its steps reads the weights the step before wrote): left to TensorFlow's
default of ten iterations at once, the steps of stages 1 and 2, which
write nothing, would overlap on the inter-op threads and look cheaper
than a training step's share. Stages 5-7 run with the trainer's steps per
execution. Each stage is timed ``--repeats`` times (default 3), one round
of all the stages after another, and the median is printed: the machines
are shared, and one slow round moves no median. Printed: each stage's
seconds, what it adds to the stage before (stage 4 and stage 7 stand
alone), and the epoch against the arithmetic floor of
``hardware_floor.py``. CPU seconds are printed beside wall seconds: with
inter-op threads, independent operations run at once, so one process can
use more than one core. Last, the copy rates of one thread and of two at
once (``hardware_floor.print_copy_rates``), for arrays that fit in the
caches and arrays that do not: what two workers training side by side
share besides the cores.

Run with ``python benchmarks/epoch_breakdown.py`` in the tests' environment
(``nox -s bench -- --breakdown`` runs it after the throughput benchmark).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import keras
import tensorflow as tf
from hardware_floor import epoch_floor_seconds, print_copy_rates

from mnist_tutorial import config, data, fitting, models

THREADS = config.training_threads()
BATCH_SIZE = 32


def timed(step: Callable[[], object]) -> tuple[float, float]:
    """Return the wall and CPU seconds of one call."""
    wall, cpu = time.perf_counter(), time.process_time()
    step()
    return time.perf_counter() - wall, time.process_time() - cpu


def make_stages(
    model: keras.Model, dataset: data.Dataset, steps: int
) -> dict[str, Callable[[], object]]:
    """Return the stages, each a call that runs one epoch's worth of its work."""
    examples = steps * BATCH_SIZE
    x_train, y_train = dataset.x_train[:examples], dataset.y_train[:examples]
    x_batch = tf.constant(dataset.x_train[:BATCH_SIZE])
    y_batch = tf.constant(dataset.y_train[:BATCH_SIZE])
    loss_function = keras.losses.CategoricalCrossentropy()
    optimizer = keras.optimizers.SGD(learning_rate=0.01)

    # Each loop returns a value that depends on every step's result: work
    # whose result is unused would be pruned from the graph and not timed.
    # And each runs one iteration at a time, as fit's steps do.
    @tf.function
    def forward() -> tf.Tensor:
        total = tf.constant(0.0)
        for _ in tf.range(steps):
            tf.autograph.experimental.set_loop_options(parallel_iterations=1)
            total += loss_function(y_batch, model(x_batch, training=True))
        return total

    @tf.function
    def gradients() -> tf.Tensor:
        total = tf.constant(0.0)
        for _ in tf.range(steps):
            tf.autograph.experimental.set_loop_options(parallel_iterations=1)
            with tf.GradientTape() as tape:
                loss = loss_function(y_batch, model(x_batch, training=True))
            grads = tape.gradient(loss, model.trainable_variables)
            # One element of each gradient: the whole gradient is computed for it.
            total += tf.add_n([tf.reshape(grad, [-1])[0] for grad in grads])
        return total

    @tf.function
    def update() -> None:
        for _ in tf.range(steps):
            tf.autograph.experimental.set_loop_options(parallel_iterations=1)
            with tf.GradientTape() as tape:
                loss = loss_function(y_batch, model(x_batch, training=True))
            grads = tape.gradient(loss, model.trainable_variables)
            optimizer.apply_gradients(zip(grads, model.trainable_variables, strict=True))

    # Gradients of the right shapes, small enough to leave the weights
    # usable for the stages after this one.
    fixed_gradients = [tf.fill(weight.shape, 1e-9) for weight in model.trainable_variables]

    @tf.function
    def update_alone() -> None:
        for _ in tf.range(steps):
            tf.autograph.experimental.set_loop_options(parallel_iterations=1)
            optimizer.apply_gradients(zip(fixed_gradients, model.trainable_variables, strict=True))

    cached = tf.data.Dataset.from_tensor_slices((x_train, y_train)).batch(BATCH_SIZE).cache()
    return {
        "forward": forward,
        "+ gradients": gradients,
        "+ SGD update": update,
        "SGD update alone": update_alone,
        "fit, cached tf.data": lambda: model.fit(cached, epochs=1, shuffle=False, verbose=0),
        "fit, NumPy arrays": lambda: model.fit(
            x_train, y_train, batch_size=BATCH_SIZE, epochs=1, verbose=0
        ),
        "validation": lambda: model.evaluate(
            dataset.x_test, dataset.y_test, batch_size=BATCH_SIZE, verbose=0
        ),
    }


def main() -> None:
    """Time the stages and print the breakdown."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=60_000 // BATCH_SIZE, help="batches")
    parser.add_argument("--inter-op", type=int, default=THREADS[1], help="inter-op threads")
    parser.add_argument("--repeats", type=int, default=3, help="rounds; medians are printed")
    arguments = parser.parse_args()
    if min(arguments.steps, arguments.inter_op, arguments.repeats) < 1:
        parser.error("--steps, --inter-op and --repeats must be whole numbers >= 1")
    threads = (THREADS[0], arguments.inter_op)
    # Before anything runs TensorFlow: the thread counts a worker trains with.
    if fitting.pin_threads(threads) != threads:
        raise RuntimeError("TensorFlow ran before the threads could be pinned")

    dataset = data.load_dataset()
    examples = arguments.steps * BATCH_SIZE
    print(f"Data: {examples} training images in batches of {BATCH_SIZE}, threads {threads}")
    keras.utils.set_random_seed(0)
    model = models.build_model(learning_rate=0.01)
    fitting.ready_for_fit(model)
    stages = make_stages(model, dataset, arguments.steps)
    # Warm-up: trace each function (and fill the cache) before timing.
    for stage in stages.values():
        stage()
    rounds = [
        {name: timed(stage) for name, stage in stages.items()} for _ in range(arguments.repeats)
    ]
    results = {
        name: (
            statistics.median(timings[name][0] for timings in rounds),
            statistics.median(timings[name][1] for timings in rounds),
        )
        for name in stages
    }

    previous = 0.0
    print(f"Medians of {arguments.repeats} rounds (wall s of every round in brackets)")
    print(f"{'stage':22s} {'wall s':>7s} {'CPU s':>7s} {'adds':>7s}  rounds")
    for name, (wall, cpu) in results.items():
        alone = name in {"SGD update alone", "validation"}
        adds = wall if alone else wall - previous
        each = ", ".join(f"{timings[name][0]:.2f}" for timings in rounds)
        print(f"{name:22s} {wall:7.2f} {cpu:7.2f} {adds:+7.2f}  [{each}]")
        if not alone:
            previous = wall
    epoch = results["fit, NumPy arrays"][0] + results["validation"][0]
    floor = epoch_floor_seconds(model, examples, dataset.x_test.shape[0])
    print(
        f"Epoch (fit on arrays + validation): {epoch:.2f} s wall = {epoch / floor:.2f}x the"
        f" one-core floor of {floor:.2f} s"
    )
    # Two workers side by side share the last-level cache and the memory.
    print_copy_rates()


if __name__ == "__main__":
    main()
